//! End-to-end tests of the dashboard in headless Debian chromium (over the
//! DevTools protocol): `cargo test -p llmcost-cli --features browser-tests
//! --test browser`. `.ci/run` installs chromium (`.ci/chromium.sh`); without
//! it these tests fail, they never skip.
//!
//! Screenshots go to docs/screenshots/ (shown in the README).
#![cfg(feature = "browser-tests")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail loudly"
)]
#![expect(
    clippy::print_stderr,
    reason = "the browser tests report paint timings and screenshots on stderr"
)]

mod cdp;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use cdp::Browser;
use serde_json::Value;

/// The binary under test: this build's, or `$LLMCOST_BIN` (a release build, for the figures
/// in bench/RESULTS.md).
fn bin() -> String {
    std::env::var("LLMCOST_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_llmcost").to_string())
}

/// Usage in June 2025, three priced models (rates per 1M tokens, catalog):
/// gpt-4o-2024-08-06 2.5 in / 10 out, deepseek-chat, claude-sonnet-4.
const USAGE: &str = "date,model,input,output,cache_read
2025-06-01,gpt-4o-2024-08-06,1000000,100000,0
2025-06-01,claude-sonnet-4-20250514,2000000,50000,500000
2025-06-02,gpt-4o-2024-08-06,500000,20000,100000
2025-06-03,deepseek-chat,3000000,100000,0
2025-06-05,claude-sonnet-4-20250514,100000,10000,0
";

fn screenshots() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots")
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn ledger_with_usage(dir: &Path) -> PathBuf {
    let csv = dir.join("usage.csv");
    std::fs::write(&csv, USAGE).unwrap();
    let ledger = dir.join("ledger.db");
    let st = Command::new(bin())
        .args([
            "import",
            csv.to_str().unwrap(),
            "--ledger",
            ledger.to_str().unwrap(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(st.code().is_some_and(|c| c <= 1), "import failed: {st}");
    ledger
}

/// `llmcost serve` on a free loopback port; returns it and its base URL.
fn serve(ledger: &Path) -> (Killed, String) {
    let mut child = Command::new(bin())
        .args([
            "serve",
            "--ledger",
            ledger.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("serve prints its URL")
        .trim_end_matches('/')
        .to_string();
    (Killed(child), url)
}

fn cli_json(args: &[&str]) -> Value {
    let out = Command::new(bin()).args(args).output().unwrap();
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", String::from_utf8_lossy(&out.stderr)))
}

fn text(b: &mut Browser, testid: &str) -> String {
    b.eval(&format!(
        "document.querySelector('[data-testid=\"{testid}\"]').textContent.trim()"
    ))
    .unwrap()
    .as_str()
    .unwrap_or_default()
    .to_string()
}

/// Every request stayed on `base` (127.0.0.1), and nothing went wrong in the console.
fn assert_clean(b: &Browser, base: &str) {
    let errors = b.errors();
    assert!(errors.is_empty(), "console errors: {errors:#?}");
    for u in b.requests() {
        assert!(
            u.starts_with(base) || u == "about:blank",
            "a request left {base}: {u}"
        );
        assert!(
            u.starts_with("http://127.0.0.1:") || u == "about:blank",
            "{u}"
        );
    }
}

#[test]
fn overview_filters_prices_and_reconcile_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = ledger_with_usage(dir.path());
    let l = ledger.to_str().unwrap();
    let (_server, base) = serve(&ledger);
    let mut b = Browser::launch().unwrap();

    // The overview's total is `report --format json`'s, to the last digit.
    let q = "since=2025-06-01&until=2025-06-30";
    b.navigate(&format!("{base}/?{q}")).unwrap();
    let cli = cli_json(&[
        "report",
        "model",
        "--format",
        "json",
        "--ledger",
        l,
        "--since",
        "2025-06-01",
        "--until",
        "2025-06-30",
    ]);
    let total = text(&mut b, "total-cost");
    assert_eq!(total, cli["totals"]["cost"].as_str().unwrap());
    assert!(!total.is_empty() && total != "0");
    let fcp = b
        .eval("(performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime || null")
        .unwrap();
    eprintln!("first contentful paint of the overview: {fcp} ms");
    for id in ["cost-chart", "model-table", "filter-model"] {
        let n = b
            .eval(&format!(
                "document.querySelectorAll('[data-testid=\"{id}\"]').length"
            ))
            .unwrap();
        assert_eq!(n, 1, "{id}");
    }
    let series_before = b
        .eval("[...new Set([...document.querySelectorAll('[data-testid=\"cost-chart\"] rect[data-series]')].map(r => r.dataset.series))].sort()")
        .unwrap();
    assert_eq!(
        series_before.as_array().unwrap().len(),
        3,
        "{series_before}"
    );
    b.screenshot(&screenshots().join("overview.png")).unwrap();
    b.color_scheme("dark").unwrap();
    b.screenshot(&screenshots().join("overview-dark.png"))
        .unwrap();
    b.color_scheme("light").unwrap();

    // Filtering by a model (the control submits on change) changes chart and total.
    let before = b.events.len();
    b.eval(
        "(() => { const s = document.querySelector('[data-testid=\"filter-model\"]'); s.value = 'gpt-4o-2024-08-06'; s.dispatchEvent(new Event('change')); return true })()",
    )
    .unwrap();
    b.wait_load_after(before).unwrap();
    let search = b.eval("location.search").unwrap();
    assert!(
        search.as_str().unwrap().contains("model=gpt-4o-2024-08-06"),
        "the filter is in the URL: {search}"
    );
    let cli_m = cli_json(&[
        "report",
        "model",
        "--format",
        "json",
        "--ledger",
        l,
        "--since",
        "2025-06-01",
        "--until",
        "2025-06-30",
        "--model",
        "gpt-4o-2024-08-06",
    ]);
    let total_m = text(&mut b, "total-cost");
    assert_eq!(total_m, cli_m["totals"]["cost"].as_str().unwrap());
    assert_ne!(total_m, total, "the total changed");
    let series_after = b
        .eval("[...new Set([...document.querySelectorAll('[data-testid=\"cost-chart\"] rect[data-series]')].map(r => r.dataset.series))]")
        .unwrap();
    assert_eq!(
        series_after,
        serde_json::json!(["gpt-4o-2024-08-06"]),
        "the chart changed"
    );

    // A price history: one step per row per bucket and currency, as `prices --history`.
    for model in [
        "deepseek-chat",
        "gpt-4o-2024-08-06",
        "claude-sonnet-4-20250514",
    ] {
        b.navigate(&format!("{base}/prices/{model}")).unwrap();
        let got = b
            .eval("Object.fromEntries([...document.querySelectorAll('[data-testid=\"price-history-chart\"] g.series')].map(g => [g.dataset.series, g.querySelectorAll('[data-step]').length]))")
            .unwrap();
        let cli = cli_json(&["prices", model, "--history", "--format", "json"]);
        let m = cli["models"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == model)
            .unwrap();
        let mut want: BTreeMap<String, u64> = BTreeMap::new();
        for row in m["history"].as_array().unwrap() {
            for k in [
                "input",
                "cache_read",
                "cache_write",
                "cache_write_1h",
                "output",
                "reasoning",
                "input_audio",
                "cache_read_audio",
                "output_audio",
                "input_image",
                "output_image",
            ] {
                if row.get(k).is_some_and(|v| !v.is_null()) {
                    *want
                        .entry(format!("{k} {}", row["currency"].as_str().unwrap()))
                        .or_default() += 1;
                }
            }
        }
        let got: BTreeMap<String, u64> = serde_json::from_value(got).unwrap();
        assert_eq!(got, want, "{model}: steps per bucket and currency");
        if model == "deepseek-chat" {
            b.screenshot(&screenshots().join("prices.png")).unwrap();
        }
    }

    // Reconcile against a billed amount.
    b.navigate(&format!("{base}/reconcile?billed=20&{q}"))
        .unwrap();
    let rec = cli_json(&[
        "reconcile",
        "--billed",
        "20",
        "--format",
        "json",
        "--ledger",
        l,
        "--since",
        "2025-06-01",
        "--until",
        "2025-06-30",
    ]);
    assert_eq!(
        text(&mut b, "recorded-total"),
        rec["totals"]["ledger_cost"].as_str().unwrap()
    );
    b.screenshot(&screenshots().join("reconcile.png")).unwrap();
    assert_clean(&b, &base);
}

/// A mock OpenAI upstream on 127.0.0.1: every request gets one chat
/// completion with usage (1,000 prompt and 200 completion tokens).
fn mock_upstream() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { continue };
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let Ok(n) = s.read(&mut chunk) else { return };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf).to_string();
                    if let Some(h) = text.find("\r\n\r\n") {
                        let len = text[..h]
                            .lines()
                            .find_map(|l| {
                                let (k, v) = l.split_once(':')?;
                                k.eq_ignore_ascii_case("content-length")
                                    .then(|| v.trim().parse::<usize>().ok())?
                            })
                            .unwrap_or(0);
                        if buf.len() >= h + 4 + len {
                            let body = r#"{"id":"chatcmpl-1","object":"chat.completion","created":1767225600,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1000,"completion_tokens":200,"total_tokens":1200}}"#;
                            let _ = write!(
                                s,
                                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                                body.len()
                            );
                            buf.clear();
                        }
                    }
                }
            });
        }
    });
    format!("http://{addr}")
}

fn post(addr: &str, path: &str, body: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\nauthorization: Bearer sk-test-not-a-real-key\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

fn now_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
        * 1000.0
}

#[test]
fn a_call_through_the_proxy_appears_on_live_within_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("proxy.db");
    let upstream = mock_upstream();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let _proxy = Killed(
        Command::new(bin())
            .args([
                "proxy",
                "--dashboard",
                "--listen",
                &addr,
                "--upstream",
                &upstream,
                "--budget",
                "global=5USD/day",
                "--ledger",
                ledger.to_str().unwrap(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let start = Instant::now();
    while TcpStream::connect(&addr).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the proxy did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let base = format!("http://{addr}");
    let mut b = Browser::launch().unwrap();
    b.navigate(&format!("{base}/live")).unwrap();
    b.wait_for(
        "document.getElementById('live-status').textContent.startsWith('Connected')",
        Duration::from_secs(5),
    )
    .unwrap();
    assert_eq!(
        b.eval("document.querySelectorAll('[data-testid=\"live-feed\"] tr.call').length")
            .unwrap(),
        0
    );
    // Note when the row arrives, in the page.
    b.eval("new MutationObserver(() => { if (!window.seenAt) window.seenAt = Date.now() }).observe(document.querySelector('#live-feed tbody'), {childList: true}), true")
        .unwrap();
    let sent = Instant::now();
    let answer = post(
        &addr,
        "/v1/chat/completions",
        r#"{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}"#,
    );
    let answered_ms = now_ms();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let took = b
        .wait_for(
            "document.querySelectorAll('[data-testid=\"live-feed\"] tr.call').length === 1",
            Duration::from_secs(1),
        )
        .map(|_| sent.elapsed())
        .unwrap();
    assert!(took < Duration::from_secs(1), "{took:?}");
    let seen = b.eval("window.seenAt").unwrap().as_f64().unwrap();
    // The record is published when queued, before the answer is sent: so
    // seen - answered bounds the event's delay from above.
    eprintln!(
        "live: call sent to row on the page {took:?}; row {:.0} ms after the answer came back",
        (seen - answered_ms).max(0.0)
    );
    let row = b
        .eval("document.querySelector('#live-feed tr.call').textContent")
        .unwrap();
    let row = row.as_str().unwrap();
    assert!(row.contains("gpt-4o-2024-08-06"), "{row}");
    // 1,000 × 2.5/1M + 200 × 10/1M = 0.0025 + 0.002 = 0.0045 USD.
    assert!(row.contains("0.0045 USD"), "{row}");
    assert!(row.contains("1200"), "{row}");
    assert!(!row.contains("sk-test"), "no key material: {row}");
    // The budget panel shows the spend after a reload.
    b.navigate(&format!("{base}/live")).unwrap();
    let budgets = b
        .eval("document.querySelector('[data-testid=\"budgets\"]').textContent")
        .unwrap();
    assert!(
        budgets.as_str().unwrap().contains("0.0045 USD"),
        "{budgets}"
    );
    b.screenshot(&screenshots().join("live.png")).unwrap();
    assert_clean(&b, &base);
}

/// First contentful paint and server time of a running dashboard's overview:
/// `LLMCOST_WEB_URL=http://127.0.0.1:8788/ cargo test -p llmcost-cli --features browser-tests
/// --test browser -- --ignored --nocapture measure_overview` (bench/web.sh runs it).
#[test]
#[ignore = "a measurement: needs LLMCOST_WEB_URL"]
fn measure_overview() {
    let url = std::env::var("LLMCOST_WEB_URL").expect("LLMCOST_WEB_URL");
    let mut b = Browser::launch().unwrap();
    // A first load warms chromium itself; the next five are measured.
    b.navigate(&url).unwrap();
    let mut fcp = Vec::new();
    let mut ttfb = Vec::new();
    for _ in 0..5 {
        b.navigate("about:blank").unwrap();
        b.navigate(&url).unwrap();
        // The paint entry is reported a moment after the load event.
        let v = b
            .eval("new Promise(r => { const f = () => { const e = performance.getEntriesByName('first-contentful-paint')[0]; const n = performance.getEntriesByType('navigation')[0]; if (e) r([e.startTime, n.responseStart - n.requestStart]); else setTimeout(f, 10); }; f(); })")
            .unwrap();
        fcp.push(v[0].as_f64().unwrap());
        ttfb.push(v[1].as_f64().unwrap());
    }
    fcp.sort_by(f64::total_cmp);
    ttfb.sort_by(f64::total_cmp);
    eprintln!(
        "overview {url}: first contentful paint median {:.0} ms (min {:.0}, max {:.0}); server response (request to first byte) median {:.0} ms",
        fcp[2], fcp[0], fcp[4], ttfb[2]
    );
    let origin = url.splitn(4, '/').take(3).collect::<Vec<_>>().join("/");
    assert_clean(&b, &origin);
}
