//! Integration tests of the `llmcost` binary.
#![expect(clippy::expect_used, reason = "test helpers fail loudly with a reason")]

/// Runs `llmcost` and snapshots the whole run in one inline snapshot: exit code,
/// stdout and stderr (uv's `uv_snapshot!`). The first argument is a [`Run`]
/// (`llmcost(&[...])`, `llmcost_env(&[...], &[...])`).
macro_rules! llmcost_snapshot {
    ($run:expr, @$snapshot:literal) => {{
        let run: $crate::Run = $run;
        insta::assert_snapshot!(run.snapshot(), @$snapshot);
    }};
}

mod bad_input; // the table of bad inputs: exit code, message, no panic, ledger consistent
mod basics; // the CLI basics: --quiet, --color, --ascii, --wide, the config file, -h
mod breadth; // the breadth layer, `prices update` default sources, `prices status`, offline use
mod calendar; // answers priced after a holiday calendar ends say so
mod clock; // answers that follow the clock: spread forecasts, weekly averages, regimes
mod dimensions; // issue 13: report by project/provider/source/tag/key/device, filters, --breakdown BY
mod engines; // `--format json` of the pricing commands = the llmcost_app::quote engines' answers
mod errors; // bad input: clear messages, non-zero exits, no panics
mod identity; // issue 11: record identity, bad lines, read-only reports, migration
mod import; // `import` and `reprice` through a temporary ledger
mod ledger_admin; // `ledger init|copy|prune` on SQLite files
mod peer; // issue 10: real recorded bodies priced like the peer database, differences explained
#[cfg(feature = "cluster-tests")]
mod pg; // `--ledger postgres://`: the same answers as a SQLite file (a throwaway cluster)
mod prices_layers; // user and imported catalogs: precedence, provenance, import/which/update/diff
mod proxy; // `proxy` end to end: metering, a budget, SIGTERM flush, `report` on its records
mod report; // `report` and `reconcile` from log paths and a ledger
mod seeds; // the seed scenarios S1–S8 with their exact expected answers
mod shell; // `completions` and `man`, generated from the clap definitions
mod snapshots; // table and JSON output, guarded by insta
mod time_aware; // prices in force at the instant: history, aliases, windows, currencies
mod usage; // `cost --usage` on provider bodies, arrays and JSON Lines

use std::process::Command;

/// Output of one run.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The whole run as text: exit code, then stdout, then stderr.
    pub fn snapshot(&self) -> String {
        format!(
            "exit_code: {}\n----- stdout -----\n{}\n----- stderr -----\n{}",
            self.code, self.stdout, self.stderr
        )
    }

    pub fn json(&self) -> serde_json::Value {
        assert_eq!(self.code, 0, "stderr: {}", self.stderr);
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.stdout))
    }
}

pub fn llmcost(args: &[&str]) -> Run {
    llmcost_stdin(args, None)
}

pub fn llmcost_stdin(args: &[&str], stdin: Option<&str>) -> Run {
    run_with(args, &[("TZ", "UTC")], stdin)
}

/// A run with only these environment variables set (not even `TZ`).
pub fn llmcost_env(args: &[&str], env: &[(&str, &str)]) -> Run {
    run_with(args, env, None)
}

fn run_with(args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Run {
    use std::io::Write;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_llmcost"));
    cmd.args(args)
        .env_clear()
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("spawn llmcost");
    if let Some(s) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(s.as_bytes())
            .expect("write stdin");
    } else {
        drop(child.stdin.take());
    }
    let o = child.wait_with_output().expect("run llmcost");
    Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

pub fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// A JSON string field.
pub fn s<'a>(v: &'a serde_json::Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("`{key}` is not a string in {v}"))
}

/// Serves `body` to every request on 127.0.0.1 (random port); returns the URL of `path`.
pub fn serve_http(body: String, path: &str) -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = l.local_addr().expect("addr");
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            use std::io::{Read, Write};
            let mut buf = [0u8; 4096];
            let mut req = Vec::new();
            while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                match s.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => req.extend_from_slice(&buf[..n]),
                }
            }
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = s.write_all(head.as_bytes());
            let _ = s.write_all(body.as_bytes());
        }
    });
    format!("http://{addr}/{path}")
}
