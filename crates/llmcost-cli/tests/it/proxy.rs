//! `llmcost proxy` end to end: the binary on 127.0.0.1:0 in front of a tiny mock
//! upstream, `--upstream URL`, `--budget`, `--ledger`, SIGTERM flushing the
//! ledger, and `report` reading the proxy's records.
#![expect(
    clippy::expect_used,
    reason = "the mock upstream and the raw HTTP helper fail the test on I/O errors"
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::Duration;

const COMPLETION: &str = r#"{"id":"c1","object":"chat.completion","created":1735689600,"model":"gpt-4o-mini-2024-07-18","choices":[],"usage":{"prompt_tokens":58,"completion_tokens":52,"total_tokens":110}}"#;

/// A one-thread HTTP/1.1 upstream answering every request with `COMPLETION`.
fn mock_upstream() -> String {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", l.local_addr().expect("addr"));
    std::thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(mut s) = conn else { continue };
            std::thread::spawn(move || {
                let mut r = BufReader::new(s.try_clone().expect("clone"));
                loop {
                    let mut len = 0usize;
                    let mut line = String::new();
                    // Request line and headers.
                    loop {
                        line.clear();
                        if r.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        if line == "\r\n" {
                            break;
                        }
                        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                            len = v.trim().parse().unwrap_or(0);
                        }
                    }
                    let mut body = vec![0; len];
                    if r.read_exact(&mut body).is_err() {
                        return;
                    }
                    let resp = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{COMPLETION}",
                        COMPLETION.len()
                    );
                    if s.write_all(resp.as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    url
}

/// POSTs a chat completion; returns the status and body.
fn post(addr: &str, key: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let body = r#"{"model":"gpt-4o-mini","messages":[]}"#;
    write!(
        s,
        "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {key}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("write");
    let mut out = String::new();
    s.read_to_string(&mut out).expect("read");
    let status = out[9..12].parse().expect("status");
    let body = out
        .split_once("\r\n\r\n")
        .map(|x| x.1.to_string())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn proxy_meters_enforces_a_budget_and_flushes_on_sigterm() {
    let up = mock_upstream();
    let dir = tempfile::tempdir().expect("tempdir");
    let ledger = dir.path().join("ledger.db");
    let mut child = Command::new(env!("CARGO_BIN_EXE_llmcost"))
        .args([
            "proxy",
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            &up,
            // Two calls' worth: 2 × (58 × 0.15 + 52 × 0.6) / 1e6.
            "--budget",
            "global=0.0000798USD/day",
            "--ledger",
        ])
        .arg(&ledger)
        .env_clear()
        .env("TZ", "UTC")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut err = BufReader::new(child.stderr.take().expect("stderr"));
    let mut line = String::new();
    err.read_line(&mut line).expect("log line");
    let addr = line
        .split("listening on http://")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    let (s1, b1) = post(&addr, "sk-cli-test");
    assert_eq!(s1, 200);
    assert_eq!(b1, COMPLETION);
    assert_eq!(post(&addr, "sk-cli-test").0, 200);
    let (s3, b3) = post(&addr, "sk-cli-test");
    assert_eq!(s3, 429);
    let e: serde_json::Value = serde_json::from_str(&b3).expect("json error");
    assert_eq!(e["error"]["code"], "budget_exceeded");
    assert!(
        e["error"]["message"]
            .as_str()
            .expect("message")
            .starts_with("budget `global` of 0.0000798 USD per day is spent")
    );
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(term.success());
    let out = child.wait_with_output().expect("exit");
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout
            .contains("llmcost proxy stopped: 2 records written, 0 dropped (queue full), 0 failed"),
        "{stdout}"
    );
    // The records are in the ledger and `report` reads them.
    let r = crate::llmcost(&[
        "report",
        "daily",
        "--ledger",
        ledger.to_str().expect("utf8 path"),
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("0.0000798"), "{}", r.stdout);
    assert!(!r.stdout.contains("sk-cli-test"));
}
