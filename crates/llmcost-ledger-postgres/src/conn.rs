//! Connection settings from a `postgres://` URL and the libpq environment
//! (`PGPASSWORD`, `~/.pgpass`, `PGUSER`, `PGHOST`, `PGPORT`, `PGDATABASE`),
//! and a redacted form of the URL that is safe to print.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use postgres::Config;
use postgres::config::Host;

use crate::PgError;

/// The URL with its password replaced by `***`: the only form errors print.
#[must_use]
pub fn redact(url: &str) -> String {
    match password_span(url) {
        Some((start, end)) => format!("{}***{}", &url[..start], &url[end..]),
        None => url.to_string(),
    }
}

/// Byte range of the password in `scheme://user:password@host...`.
fn password_span(url: &str) -> Option<(usize, usize)> {
    let scheme_end = url.find("://")? + 3;
    let rest = &url[scheme_end..];
    // The authority ends at the query; the last `@` before it ends the user info.
    let authority = &rest[..rest.find('?').unwrap_or(rest.len())];
    let at = authority.rfind('@')?;
    let colon = authority[..at].find(':')?;
    Some((scheme_end + colon + 1, scheme_end + at))
}

/// Whether the URL names a port (`host:port` or `?port=`); the driver fills 5432 otherwise.
fn url_has_port(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let (authority, query) = rest.split_once('?').unwrap_or((rest, ""));
    let authority = authority.split('/').next().unwrap_or("");
    let hosts = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let explicit = hosts.split(',').any(|h| match h.rfind(']') {
        Some(end) => h[end..].contains(':'),
        None => h.contains(':'),
    });
    explicit || query.split('&').any(|kv| kv.starts_with("port="))
}

/// `url` with `:port` after its (single) host, or `port=` in the query when it names no host.
fn with_port(url: &str, port: u16) -> String {
    let start = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[start..];
    let end = start + rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &url[start..end];
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host.is_empty() || host.contains(',') {
        let sep = if url.contains('?') { '&' } else { '?' };
        format!("{url}{sep}port={port}")
    } else {
        format!("{}:{port}{}", &url[..end], &url[end..])
    }
}

/// Removes every occurrence of the URL's password (raw or percent-decoded) from a message.
pub(crate) fn scrub(message: &str, url: &str) -> String {
    let Some((s, e)) = password_span(url) else {
        return message.to_string();
    };
    let raw = &url[s..e];
    let mut out = message.to_string();
    if !raw.is_empty() {
        out = out.replace(raw, "***");
        let decoded = percent_decode(raw);
        if !decoded.is_empty() {
            out = out.replace(&decoded, "***");
        }
    }
    out
}

pub(crate) fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let Some(v) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Builds the driver's settings from `url`, filling what the URL leaves out
/// from the environment as libpq does. `env` reads a variable (the real
/// environment in [`crate::PgLedger::open`]; tests pass their own).
///
/// # Errors
/// A URL that is not a PostgreSQL URL, or TLS settings that cannot be used.
pub(crate) fn config(
    url: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(Config, crate::tls::Tls), PgError> {
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(PgError::Url {
            url: redact(url),
            message: "expected a URL starting with postgres:// or postgresql://".into(),
        });
    }
    let (driver_url, tls) = crate::tls::split(url, env).map_err(|message| PgError::Tls {
        url: redact(url),
        message,
    })?;
    let mut full = driver_url;
    if !url_has_port(url)
        && let Some(port) = env("PGPORT").and_then(|p| p.parse::<u16>().ok())
    {
        full = with_port(&full, port);
    }
    let mut cfg = Config::from_str(&full).map_err(|e| PgError::Url {
        url: redact(url),
        message: scrub(&e.to_string(), url),
    })?;
    if cfg.get_user().is_none() {
        let user = env("PGUSER")
            .or_else(|| env("USER"))
            .unwrap_or_else(|| "postgres".into());
        cfg.user(&user);
    }
    if cfg.get_hosts().is_empty() {
        cfg.host(&env("PGHOST").unwrap_or_else(|| "localhost".into()));
    }
    if cfg.get_dbname().is_none()
        && let Some(db) = env("PGDATABASE")
    {
        cfg.dbname(&db);
    }
    if cfg.get_connect_timeout().is_none() {
        cfg.connect_timeout(Duration::from_secs(10));
    }
    if cfg.get_application_name().is_none() {
        cfg.application_name("llmcost");
    }
    if cfg.get_password().is_none() {
        if let Some(pw) = env("PGPASSWORD") {
            cfg.password(pw);
        } else if let Some(pw) = pgpass_password(&cfg, env) {
            cfg.password(pw);
        }
    }
    Ok((cfg, tls))
}

/// The password `~/.pgpass` (or `PGPASSFILE`) gives for these settings.
fn pgpass_password(cfg: &Config, env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let path = env("PGPASSFILE")
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|h| PathBuf::from(h).join(".pgpass")))?;
    let text = std::fs::read_to_string(path).ok()?;
    let host = match cfg.get_hosts().first()? {
        Host::Tcp(h) => h.clone(),
        Host::Unix(_) => "localhost".to_string(),
    };
    let port = cfg.get_ports().first().copied().unwrap_or(5432).to_string();
    let user = cfg.get_user()?;
    let db = cfg.get_dbname().unwrap_or(user);
    pgpass_lookup(&text, &host, &port, db, user)
}

/// The first `host:port:database:user:password` line of a pgpass file
/// matching the four fields (`*` matches anything; `\:` and `\\` escape).
#[must_use]
pub fn pgpass_lookup(text: &str, host: &str, port: &str, db: &str, user: &str) -> Option<String> {
    for line in text.lines() {
        if line.trim_start().starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let fields = split_pgpass(line);
        let [h, p, d, u, pw] = fields.as_slice() else {
            continue;
        };
        let ok = |pat: &str, v: &str| pat == "*" || pat == v;
        if ok(h, host) && ok(p, port) && ok(d, db) && ok(u, user) {
            return Some(pw.clone());
        }
    }
    None
}

fn split_pgpass(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let (Some(next), Some(last)) = (chars.next(), fields.last_mut()) {
                    last.push(next);
                }
            }
            // The password is the rest of the line, colons included.
            ':' if fields.len() < 5 => fields.push(String::new()),
            c => {
                if let Some(last) = fields.last_mut() {
                    last.push(c);
                }
            }
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_hides_only_the_password() {
        assert_eq!(
            redact("postgres://app:s3cr%40t@db.example:5432/ledger?sslmode=disable"),
            "postgres://app:***@db.example:5432/ledger?sslmode=disable"
        );
        assert_eq!(
            redact("postgres://app@db/ledger"),
            "postgres://app@db/ledger"
        );
        assert_eq!(
            redact("postgresql://db/x?user=a@b"),
            "postgresql://db/x?user=a@b"
        );
        assert_eq!(redact("postgres://u:p@ss@h/d"), "postgres://u:***@h/d");
    }

    #[test]
    fn scrub_removes_raw_and_decoded_passwords() {
        let url = "postgres://app:s3cr%40t@h/d";
        assert_eq!(scrub("bad s3cr%40t and s3cr@t", url), "bad *** and ***");
    }

    #[test]
    fn pgpass_matches_fields_wildcards_and_escapes() {
        let text = "# comment\n\
                    other:5432:*:app:nope\n\
                    db.example:5432:ledger:app:first\n\
                    *:*:*:app:pa\\:ss:with:colons\n";
        assert_eq!(
            pgpass_lookup(text, "db.example", "5432", "ledger", "app").as_deref(),
            Some("first")
        );
        assert_eq!(
            pgpass_lookup(text, "db.example", "5433", "ledger", "app").as_deref(),
            Some("pa:ss:with:colons")
        );
        assert_eq!(pgpass_lookup(text, "h", "1", "d", "bob"), None);
    }

    #[test]
    fn environment_fills_what_the_url_leaves_out() {
        let env = |k: &str| match k {
            "PGPASSWORD" => Some("from-env".to_string()),
            "PGUSER" => Some("alice".to_string()),
            "PGPORT" => Some("6543".to_string()),
            _ => None,
        };
        let (cfg, _) = config("postgres://localhost/ledger", &env).expect("config");
        assert_eq!(cfg.get_password(), Some(&b"from-env"[..]));
        assert_eq!(cfg.get_user(), Some("alice"));
        assert_eq!(cfg.get_ports(), [6543]);
        let (cfg, _) = config("postgres://localhost:5000/ledger", &env).expect("config");
        assert_eq!(cfg.get_ports(), [5000], "the URL's port wins");
        // The URL's own password wins over PGPASSWORD.
        let (cfg, _) = config("postgres://bob:url-pw@localhost/ledger", &env).expect("config");
        assert_eq!(cfg.get_password(), Some(&b"url-pw"[..]));
        assert_eq!(cfg.get_user(), Some("bob"));
    }

    #[test]
    fn bad_tls_and_foreign_urls_are_refused_without_the_password() {
        let none = |_: &str| None;
        let e = config("postgres://u:hunter22@h/d?sslmode=sure", &none).expect_err("tls");
        assert!(matches!(e, PgError::Tls { .. }), "{e:?}");
        assert!(!format!("{e} {e:?}").contains("hunter22"));
        let (cfg, tls) =
            config("postgres://u:hunter22@h/d?sslmode=verify-full", &none).expect("ok");
        assert_eq!(cfg.get_ssl_mode(), postgres::config::SslMode::Require);
        assert_eq!(tls.mode, crate::tls::SslMode::VerifyFull);
        let e = config("mysql://u:hunter22@h/d", &none).expect_err("scheme");
        assert!(!format!("{e} {e:?}").contains("hunter22"), "{e}");
        let e = config("postgres://u:hunter22@h:notaport/d", &none).expect_err("port");
        assert!(!format!("{e} {e:?}").contains("hunter22"), "{e}");
    }
}
