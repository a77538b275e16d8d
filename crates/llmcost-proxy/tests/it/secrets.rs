//! API keys never reach the ledger or the logs (even at TRACE, even on errors);
//! an injected key replaces the client's and is not shown by `Debug`.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use llmcost_proxy::config::{Secret, parse_budget_arg};

use crate::mock;
use crate::{Harness, USD, client, send, settings_for};

const KEY: &str = "sk-secret-SHOULD-NOT-LEAK-42";

#[derive(Clone)]
struct Buf(Arc<Mutex<Vec<u8>>>);

impl Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every log line of this test binary, at TRACE.
fn logs() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let w = Buf(buf.clone());
        let sub = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || w.clone())
            .finish();
        tracing::subscriber::set_global_default(sub).expect("one global subscriber");
        buf
    })
}

#[tokio::test]
async fn keys_are_absent_from_the_ledger_and_the_logs() {
    let logs = logs();
    let (up, _mock) = mock::start().await;
    let mut s = settings_for(&up);
    s.budgets = vec![parse_budget_arg("key=0.0000399USD/day", USD).expect("budget")];
    let h = Harness::start(s).await;
    let c = client();
    let auth = format!("Bearer {KEY}");
    let hs = [("authorization", auth.as_str()), ("x-api-key", KEY)];
    let url = format!("{}/openai/v1/chat/completions", h.url);
    // A metered JSON call, then a refusal by the key's budget, then upstream errors
    // and a stream (with another key, since this one's budget is spent).
    assert_eq!(
        send(&c, "POST", &url, &hs, r#"{"model":"gpt-4o-mini"}"#)
            .await
            .status,
        200
    );
    assert_eq!(
        send(&c, "POST", &url, &hs, r#"{"model":"gpt-4o-mini"}"#)
            .await
            .status,
        429
    );
    let other = format!("Bearer {KEY}-2");
    let hs2 = [("authorization", other.as_str())];
    assert_eq!(
        send(&c, "POST", &url, &hs2, r#"{"model":"error-500"}"#)
            .await
            .status,
        500
    );
    let g = send(
        &c,
        "POST",
        &url,
        &[("authorization", "Bearer sk-secret-3")],
        r#"{"model":"gpt-4o-mini","stream":true}"#,
    )
    .await;
    assert_eq!(g.status, 200);
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        format!("http://{}", l.local_addr().expect("addr"))
    };
    let h2 = Harness::start(settings_for(&dead)).await;
    let g = send(
        &c,
        "POST",
        &format!("{}/v1/chat/completions", h2.url),
        &hs,
        "{}",
    )
    .await;
    assert_eq!(g.status, 502);
    assert!(!String::from_utf8_lossy(&g.body).contains(KEY));

    let recs = h.ledger.wait_for(3).await;
    let recs2 = h2.ledger.wait_for(1).await;
    let fp_key = h.state.key_fingerprint(KEY);
    h.stop().await;
    h2.stop().await;
    assert_eq!(recs[0].key_fingerprint, Some(fp_key.clone()));
    for r in recs.iter().chain(&recs2) {
        let json = serde_json::to_string(r).expect("serialises");
        assert!(
            !json.contains("sk-secret"),
            "a key reached the ledger: {json}"
        );
    }
    let text = String::from_utf8(logs.lock().expect("lock").clone()).expect("utf8");
    assert!(
        text.contains("upstream request failed"),
        "the logs were captured"
    );
    assert!(!text.contains("sk-secret"), "a key reached the logs");
}

#[tokio::test]
async fn an_injected_key_replaces_the_clients() {
    let (up, mock) = mock::start().await;
    let mut s = settings_for(&up);
    for u in &mut s.upstreams {
        u.api_key = Some(Secret::new("sk-injected-777"));
    }
    assert!(!format!("{s:?}").contains("sk-injected"));
    let h = Harness::start(s).await;
    let c = client();
    let g = send(
        &c,
        "POST",
        &format!("{}/anthropic/v1/messages", h.url),
        &[("x-api-key", "placeholder")],
        r#"{"model":"claude-sonnet-4-6"}"#,
    )
    .await;
    assert_eq!(g.status, 200);
    let g = send(
        &c,
        "POST",
        &format!("{}/openai/v1/chat/completions", h.url),
        &[],
        r#"{"model":"gpt-4o-mini"}"#,
    )
    .await;
    assert_eq!(g.status, 200);
    let seen = mock.seen();
    assert_eq!(seen[0].headers["x-api-key"], "sk-injected-777");
    assert!(seen[0].headers.get("authorization").is_none());
    assert_eq!(seen[1].headers["authorization"], "Bearer sk-injected-777");
    let recs = h.ledger.wait_for(2).await;
    // The client's own credential identifies it when it sends one; else the injected key.
    let fps: Vec<_> = recs.iter().map(|r| r.key_fingerprint.clone()).collect();
    assert!(fps.contains(&Some(h.state.key_fingerprint("placeholder"))));
    assert!(fps.contains(&Some(h.state.key_fingerprint("sk-injected-777"))));
    h.stop().await;
}

/// Fingerprints are salted per ledger: the same key has unrelated
/// fingerprints in two ledgers and the same one across restarts of one.
#[tokio::test]
async fn key_fingerprints_are_salted_per_ledger_and_stable_across_restarts() {
    use llmcost_ledger::Ledger as _;
    let dir = tempfile::tempdir().expect("tempdir");
    let open = |name: &str| {
        llmcost_ledger_sqlite::SqliteLedger::open(dir.path().join(name)).expect("ledger")
    };
    let mut a = open("a.db");
    let salt_a = llmcost_proxy::key_salt(&mut a).expect("salt");
    assert_eq!(salt_a.len(), 32);
    // Stored in the ledger: read back, not made again.
    let mut a2 = open("a.db");
    assert_eq!(llmcost_proxy::key_salt(&mut a2).expect("salt"), salt_a);
    let p = a2
        .file_progress(llmcost_proxy::KEY_SALT_ENTRY)
        .expect("read")
        .expect("stored");
    assert_eq!(p.head_hash, salt_a);
    let mut b = open("b.db");
    let salt_b = llmcost_proxy::key_salt(&mut b).expect("salt");
    assert_ne!(salt_a, salt_b);
    let fa = llmcost_proxy::fingerprint(&salt_a, KEY);
    let fb = llmcost_proxy::fingerprint(&salt_b, KEY);
    assert_ne!(fa, fb);
    assert_ne!(fa, llmcost_proxy::fingerprint("", KEY));
    // A proxy on ledger a records fa.
    let (up, _mock) = mock::start().await;
    let h = Harness::with_any(settings_for(&up), Box::new(a)).await;
    assert_eq!(h.state.key_fingerprint(KEY), fa);
    h.stop().await;
}
