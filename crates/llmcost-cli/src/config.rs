//! Defaults from the config file: `$LLMCOST_CONFIG`, else
//! `<config dir>/llmcost/config.toml` (e.g. `~/.config/llmcost/config.toml`).
//!
//! ```toml
//! currency = "EUR"          # --currency of the pricing commands, report, reconcile, import, reprice
//! tz = "Europe/Paris"       # --tz of report, reconcile and forecast
//! ledger = "/data/ledger.db" # --ledger of import, reprice, report, reconcile, proxy
//! prefer = "user"           # --prefer: which catalog layer wins
//! ```
//!
//! A flag always wins; so does an environment variable (`LLMCOST_LEDGER` over `ledger`,
//! `TZ` over `tz`). A missing default file is no error; a file named by
//! `$LLMCOST_CONFIG` must exist, and a file that does not parse is a usage error
//! that names the file, line and key.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::ArgMatches;
use clap::parser::ValueSource;
use serde::Deserialize;

use crate::args::{Cli, Command};
use crate::common::usage_bail;

/// The environment variable naming the config file.
pub const CONFIG_ENV: &str = "LLMCOST_CONFIG";

/// The keys of the config file (all optional).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Default currency.
    pub currency: Option<String>,
    /// Default time zone (IANA name, `UTC` or `+08:00`).
    pub tz: Option<String>,
    /// Default ledger file.
    pub ledger: Option<PathBuf>,
    /// Default catalog precedence: `curated`, `user` or `imported`.
    pub prefer: Option<String>,
}

/// The config file of this run: `$LLMCOST_CONFIG`, else the default path.
pub fn path() -> Option<(PathBuf, bool)> {
    if let Some(p) = std::env::var_os(CONFIG_ENV).filter(|v| !v.is_empty()) {
        return Some((PathBuf::from(p), true));
    }
    dirs::config_dir().map(|d| (d.join("llmcost").join("config.toml"), false))
}

/// Reads the config file (none: the defaults).
pub fn load() -> Result<Config> {
    let Some((path, named)) = path() else {
        return Ok(Config::default());
    };
    read(&path, named)
}

fn read(path: &Path, named: bool) -> Result<Config> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !named => {
            return Ok(Config::default());
        }
        Err(e) => usage_bail!(
            "cannot read the config file {}: {e}\nhint: fix {CONFIG_ENV}, or create the file",
            path.display()
        ),
    };
    match toml::from_str::<Config>(&text) {
        Ok(c) => Ok(c),
        Err(e) => {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            let at = line.map_or_else(
                || path.display().to_string(),
                |l| format!("{}:{l}", path.display()),
            );
            usage_bail!(
                "invalid config file {at}: {}\nhint: the keys are currency, tz, ledger and prefer (see docs/config.md)",
                e.message()
            )
        }
    }
}

fn env_set(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| !v.is_empty())
}

/// Whether an argument of a subcommand took its default (was not given).
fn defaulted(m: Option<&ArgMatches>, id: &str) -> bool {
    m.and_then(|m| m.value_source(id))
        .is_none_or(|s| s == ValueSource::DefaultValue)
}

/// Fills in what neither a flag nor the environment gave.
pub fn apply(c: &Config, cli: &mut Cli, m: &ArgMatches) {
    if cli.layers.prefer.is_none() {
        cli.layers.prefer.clone_from(&c.prefer);
    }
    let ledger = (!env_set(crate::ledger::LEDGER_ENV))
        .then_some(c.ledger.as_ref())
        .flatten();
    let tz = (!env_set("TZ")).then_some(c.tz.as_ref()).flatten();
    let fill = |slot: &mut Option<String>, v: Option<&String>| {
        if slot.is_none() {
            *slot = v.cloned();
        }
    };
    let fill_path = |slot: &mut Option<PathBuf>| {
        if slot.is_none() {
            *slot = ledger.cloned();
        }
    };
    let cur = c.currency.as_ref();
    let sub = m.subcommand().map(|(_, s)| s);
    match &mut cli.command {
        Command::Cost(a) => fill(&mut a.price.money.currency, cur),
        Command::Estimate(a) => fill(&mut a.price.money.currency, cur),
        Command::Blend(a) => fill(&mut a.price.money.currency, cur),
        Command::Compare(a) => fill(&mut a.price.money.currency, cur),
        Command::Forecast(a) => {
            fill(&mut a.price.money.currency, cur);
            fill(&mut a.tz, tz);
        }
        Command::Import(a) => {
            fill_path(&mut a.ledger.path);
            if let Some(cur) = cur
                && defaulted(sub, "currency")
            {
                a.currency.clone_from(cur);
            }
        }
        Command::Reprice(a) => {
            fill_path(&mut a.ledger.path);
            fill(&mut a.currency, cur);
        }
        Command::Report(a) => {
            // Paths or --logs read logs directly: no ledger then.
            if a.paths.is_empty() && a.path.is_empty() && !a.logs {
                fill_path(&mut a.ledger.path);
            }
            fill(&mut a.money.currency, cur);
            fill(&mut a.window.tz, tz);
        }
        Command::Reconcile(a) => {
            if a.paths.is_empty() {
                fill_path(&mut a.ledger.path);
            }
            fill(&mut a.money.currency, cur);
            fill(&mut a.window.tz, tz);
        }
        Command::Proxy(a) => fill_path(&mut a.ledger.path),
        Command::Ledger(l) => {
            if let crate::args::ledger_admin::LedgerCommand::Prune(a) = &mut l.command
                && a.ledger.is_none()
            {
                a.ledger = ledger.map(|p| p.display().to_string());
            }
        }
        Command::Serve(a) => {
            if a.ledger.is_none() {
                a.ledger = ledger.map(|p| p.display().to_string());
            }
        }
        Command::Prices(p) => {
            if let Some(crate::args::prices::PricesCommand::Which(w)) = &mut p.action {
                fill(&mut w.price.money.currency, cur);
            }
        }
        Command::Completions(_) | Command::Man => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_key_names_the_line() {
        let d = std::env::temp_dir().join(format!("llmcost-config-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        let p = d.join("config.toml");
        std::fs::write(&p, "currency = \"EUR\"\ncolour = \"never\"\n").unwrap();
        let e = read(&p, true).unwrap_err().to_string();
        assert!(e.contains("config.toml:2: unknown field `colour`"), "{e}");
        std::fs::write(&p, "currency = \"EUR\"\n").unwrap();
        assert_eq!(read(&p, true).unwrap().currency.as_deref(), Some("EUR"));
        // A missing default file is no error; a named one is.
        assert!(read(&d.join("none.toml"), false).is_ok());
        assert!(read(&d.join("none.toml"), true).is_err());
        let _ = std::fs::remove_dir_all(&d);
    }
}
