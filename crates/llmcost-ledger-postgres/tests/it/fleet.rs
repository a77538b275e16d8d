//! Fleet budgets: several proxies on one PostgreSQL ledger enforce one
//! budget, keep it across restarts, and lose nothing while the database is
//! down. A mock upstream on 127.0.0.1 answers every call with the same usage.
#![expect(
    clippy::expect_used,
    reason = "a test: a failed expectation is a failed test"
)]

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::str::FromStr as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use llmcost_core::Decimal;
use llmcost_ledger::Ledger;
use llmcost_ledger_postgres::PgLedger;
use llmcost_proxy::{
    BudgetFail, CliOverrides, FileConfig, Proxy, ProxyState, Settings, WriterReport,
};

use crate::cluster::{Cluster, cluster};

/// gpt-4o-mini at $0.15 input and $0.60 output per million tokens (OpenAI's
/// price page, grade A in the catalog): 1,000 input tokens cost 0.00015 and
/// 1,000 output tokens 0.0006, so one call costs 0.00075 USD.
const CALL_COST: &str = "0.00075";
const ANSWER: &str = r#"{"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1000,"completion_tokens":1000,"total_tokens":2000}}"#;

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).expect("decimal")
}

/// Reads one HTTP/1.1 message head and its `Content-Length` body.
fn read_message(s: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        match s.read(&mut byte) {
            Ok(1) => buf.push(byte[0]),
            _ => return None,
        }
    }
    let head = String::from_utf8_lossy(&buf).to_string();
    let len = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    s.read_exact(&mut body).ok()?;
    Some((head, body))
}

/// An OpenAI-style upstream: every call answers [`ANSWER`] (keep-alive).
fn mock_upstream() -> String {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind mock");
    let url = format!("http://{}", l.local_addr().expect("addr"));
    std::thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(mut s) = conn else { continue };
            std::thread::spawn(move || {
                while read_message(&mut s).is_some() {
                    let resp = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{ANSWER}",
                        ANSWER.len()
                    );
                    if s.write_all(resp.as_bytes()).is_err() {
                        break;
                    }
                }
            });
        }
    });
    url
}

/// One call through a proxy (a new connection); its status and body.
fn call(proxy: &str) -> (u16, String) {
    let addr = proxy.trim_start_matches("http://");
    let body = r#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}"#;
    let mut s = TcpStream::connect(addr).expect("connect to the proxy");
    let req = format!(
        "POST /v1/chat/completions HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer sk-test\r\n\
         content-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).expect("send");
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).to_string();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    (status, body)
}

struct Running {
    url: String,
    state: ProxyState,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<std::io::Result<WriterReport>>>,
}

impl Running {
    fn start(
        ledger_url: &str,
        upstream: &str,
        budget: &str,
        spill: &std::path::Path,
        fail: BudgetFail,
    ) -> Running {
        let cli = CliOverrides {
            upstreams: vec![upstream.to_string()],
            budgets: vec![budget.to_string()],
            fx: vec![],
        };
        let file = FileConfig {
            builtin_upstreams: Some(false),
            ..FileConfig::default()
        };
        let mut settings = Settings::resolve(&file, &cli, &|_| None).expect("settings");
        settings.writer = Settings::for_tests().writer;
        settings.spill_path = Some(spill.to_path_buf());
        settings.budget_fail = fail;
        let ledger = PgLedger::open(ledger_url).expect("open the ledger");
        let proxy = Proxy::start(settings, Box::new(ledger)).expect("proxy starts");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let state = proxy.state();
        let served = proxy.state();
        let thread = std::thread::spawn(move || {
            llmcost_proxy::serve_threads(listener, served, 2, async move {
                let _ = rx.await;
            })
        });
        Running {
            url,
            state,
            stop: Some(tx),
            thread: Some(thread),
        }
    }

    fn stop(mut self) -> WriterReport {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        self.thread
            .take()
            .expect("running")
            .join()
            .expect("joins")
            .expect("serves")
    }
}

fn one_decimal(client: &mut postgres::Client, sql: &str) -> Decimal {
    let s: Option<String> = client.query_one(sql, &[]).expect(sql).get(0);
    dec(s.as_deref().unwrap_or("0"))
}

#[test]
#[expect(
    clippy::print_stderr,
    reason = "the test reports the overspend it measured"
)]
fn three_proxies_hold_one_budget_across_the_fleet_and_restarts() {
    let c = cluster();
    let db = c.url(&c.create_db());
    let upstream = mock_upstream();
    let dir = tempfile::tempdir().expect("dir");
    let cost = dec(CALL_COST);
    // 100 calls' worth: 100 * 0.00075 = 0.075 USD.
    let limit = dec("0.075");
    let budget = "global=0.075USD/day";
    let proxies: Vec<Running> = (0..3)
        .map(|i| {
            Running::start(
                &db,
                &upstream,
                budget,
                &dir.path().join(format!("p{i}.spill.jsonl")),
                BudgetFail::Open,
            )
        })
        .collect();
    let urls: Vec<String> = proxies.iter().map(|p| p.url.clone()).collect();
    const CLIENTS: usize = 64;
    let served = Arc::new(AtomicU64::new(0));
    let threads: Vec<_> = (0..CLIENTS)
        .map(|j| {
            let url = urls[j % urls.len()].clone();
            let served = served.clone();
            std::thread::spawn(move || {
                // Until this client is told the budget is spent (bounded).
                for _ in 0..2_000 {
                    let (status, body) = call(&url);
                    match status {
                        200 => {
                            served.fetch_add(1, Ordering::Relaxed);
                        }
                        429 if body.contains("is spent") => return,
                        429 => std::thread::sleep(Duration::from_millis(1)),
                        other => panic!("unexpected status {other}: {body}"),
                    }
                }
                panic!("the budget was never reported spent");
            })
        })
        .collect();
    for t in threads {
        t.join().expect("client");
    }
    for p in proxies {
        let r = p.stop();
        assert_eq!((r.failed, r.left_in_spill), (0, 0));
    }
    let served = served.load(Ordering::Relaxed);
    let mut admin = postgres::Client::connect(&db, postgres::NoTls).expect("admin");
    let n: i64 = admin
        .query_one("SELECT count(*) FROM records", &[])
        .expect("count")
        .get(0);
    assert_eq!(n as u64, served, "every call served is recorded once");
    let recorded = one_decimal(&mut admin, "SELECT sum(cost)::text FROM records");
    assert_eq!(recorded, cost * Decimal::from(served));
    let stored = one_decimal(
        &mut admin,
        "SELECT spent::text FROM budget_spend WHERE account = 'global|USD|day'",
    );
    assert_eq!(stored, recorded, "the shared spend is the records' spend");
    // The bound docs/proxy.md states: at most the calls in flight (one per client) beyond the limit.
    let over = recorded - limit;
    eprintln!(
        "fleet budget: {served} calls served, spend {recorded} USD, limit {limit}, overspend {over}"
    );
    assert!(recorded >= limit, "the budget was reached: {recorded}");
    assert!(
        over <= cost * Decimal::from(CLIENTS as u64),
        "overspend {over} is more than {CLIENTS} calls in flight"
    );
    // Stopped cleanly: no holds left.
    let holds: i64 = admin
        .query_one("SELECT count(*) FROM budget_holds", &[])
        .expect("holds")
        .get(0);
    assert_eq!(holds, 0);

    // A restarted proxy knows the spend: refused at once.
    let p = Running::start(
        &db,
        &upstream,
        budget,
        &dir.path().join("again.spill.jsonl"),
        BudgetFail::Open,
    );
    let (status, body) = call(&p.url);
    assert_eq!(status, 429, "{body}");
    assert!(body.contains("is spent"), "{body}");
    assert!(body.contains("budget_exceeded"), "{body}");
    p.stop();
}

#[test]
#[expect(
    clippy::print_stderr,
    reason = "the test reports what it served during the outage"
)]
fn an_outage_spills_and_replays_without_losing_or_doubling_a_record() {
    let c = Cluster::start_with("", |_| {});
    let db = c.url(&c.create_db());
    let upstream = mock_upstream();
    let dir = tempfile::tempdir().expect("dir");
    let budget = "global=1000USD/day";
    let open = Running::start(
        &db,
        &upstream,
        budget,
        &dir.path().join("open.spill.jsonl"),
        BudgetFail::Open,
    );
    let closed = Running::start(
        &db,
        &upstream,
        budget,
        &dir.path().join("closed.spill.jsonl"),
        BudgetFail::Closed,
    );
    let served = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..8)
        .map(|_| {
            let (url, served, done) = (open.url.clone(), served.clone(), done.clone());
            std::thread::spawn(move || {
                while !done.load(Ordering::Relaxed) {
                    let (status, body) = call(&url);
                    assert_eq!(status, 200, "budget-fail open keeps serving: {body}");
                    served.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(400));
    c.stop_server();
    let before = served.load(Ordering::Relaxed);
    std::thread::sleep(Duration::from_millis(800));
    // Closed refuses while the database is away.
    let (status, body) = call(&closed.url);
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("budget-fail closed"), "{body}");
    let during = served.load(Ordering::Relaxed) - before;
    assert!(during > 0, "calls were served during the outage");
    assert!(open.state.spill_backlog() > 0, "records were spilled");
    c.start_server();
    std::thread::sleep(Duration::from_millis(400));
    done.store(true, Ordering::Relaxed);
    for t in clients {
        t.join().expect("client");
    }
    // The spill file is replayed once the database is back.
    let deadline = Instant::now() + Duration::from_secs(20);
    while open.state.spill_backlog() > 0 {
        assert!(Instant::now() < deadline, "the spill file was not replayed");
        std::thread::sleep(Duration::from_millis(50));
    }
    let r = open.stop();
    assert_eq!((r.failed, r.left_in_spill), (0, 0), "{r:?}");
    assert!(r.spilled > 0 && r.replayed >= r.spilled, "{r:?}");
    closed.stop();
    let served = served.load(Ordering::Relaxed);
    let l = PgLedger::open(&db).expect("reopen");
    assert_eq!(l.count().expect("count"), served, "none lost, none doubled");
    let mut admin = l.client().expect("client");
    let recorded = one_decimal(&mut admin, "SELECT sum(cost)::text FROM records");
    assert_eq!(recorded, dec(CALL_COST) * Decimal::from(served));
    let stored = one_decimal(
        &mut admin,
        "SELECT spent::text FROM budget_spend WHERE account = 'global|USD|day'",
    );
    assert_eq!(stored, recorded, "replayed records add their spend once");
    eprintln!("outage: {served} calls served, {during} while the database was down");
}
