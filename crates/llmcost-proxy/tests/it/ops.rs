//! Operations: /health, /metrics, graceful shutdown flushing the writer, and a
//! failing ledger that never fails a call.

use std::time::Duration;

use crate::mock;
use crate::{Harness, MemLedger, client, post, send, settings_for};

const BODY: &str = r#"{"model":"gpt-4o-mini-2024-07-18"}"#;

#[tokio::test]
async fn health_and_metrics() {
    let (up, _mock) = mock::start().await;
    let h = Harness::start(settings_for(&up)).await;
    let c = client();
    let g = send(&c, "GET", &format!("{}/health", h.url), &[], "").await;
    assert_eq!(g.status, 200);
    assert_eq!(g.json()["status"], "ok");
    assert_eq!(
        post(&c, &format!("{}/openai/v1/chat/completions", h.url), BODY)
            .await
            .status,
        200
    );
    h.ledger.wait_for(1).await;
    let g = send(&c, "GET", &format!("{}/metrics", h.url), &[], "").await;
    assert_eq!(g.status, 200);
    assert!(
        g.headers["content-type"]
            .to_str()
            .expect("ct")
            .starts_with("text/plain")
    );
    let text = String::from_utf8(g.body.to_vec()).expect("utf8");
    for line in [
        "llmcost_proxy_requests_total{upstream=\"openai\",model=\"gpt-4o-mini-2024-07-18\",status=\"200\"} 1",
        "llmcost_proxy_tokens_total{upstream=\"openai\",model=\"gpt-4o-mini-2024-07-18\",bucket=\"input\"} 58",
        "llmcost_proxy_tokens_total{upstream=\"openai\",model=\"gpt-4o-mini-2024-07-18\",bucket=\"output\"} 52",
        "llmcost_proxy_cost_total{upstream=\"openai\",model=\"gpt-4o-mini-2024-07-18\",currency=\"USD\"} 0.0000399",
        "llmcost_proxy_upstream_latency_seconds_count{upstream=\"openai\"} 1",
        "llmcost_proxy_upstream_latency_seconds_bucket{upstream=\"openai\",le=\"+Inf\"} 1",
        "# TYPE llmcost_proxy_upstream_latency_seconds histogram",
        "llmcost_proxy_ledger_queue_depth 0",
        "llmcost_proxy_ledger_dropped_total 0",
        "llmcost_proxy_ledger_written_total 1",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing `{line}` in\n{text}"
        );
    }
    h.stop().await;
}

#[tokio::test]
async fn shutdown_flushes_every_queued_record() {
    let (up, _mock) = mock::start().await;
    let mut s = settings_for(&up);
    // A batch would wait 60 s: only the shutdown can write these.
    s.writer.flush_interval = Duration::from_secs(60);
    s.writer.batch_size = 10_000;
    let h = Harness::start(s).await;
    let c = client();
    for _ in 0..20 {
        assert_eq!(
            post(&c, &format!("{}/v1/chat/completions", h.url), BODY)
                .await
                .status,
            200
        );
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(h.ledger.all().is_empty());
    let ledger = h.ledger.clone();
    drop(c);
    let report = h.stop().await;
    assert_eq!(report.written, 20);
    assert_eq!(ledger.all().len(), 20);
}

#[tokio::test]
async fn a_failing_ledger_without_a_spill_file_holds_records_and_refuses_new_calls() {
    let (up, _mock) = mock::start().await;
    let h = Harness::start(settings_for(&up)).await;
    *h.ledger.fail.lock().expect("lock") = true;
    let c = client();
    let url = format!("{}/v1/chat/completions", h.url);
    let g = post(&c, &url, BODY).await;
    assert_eq!(g.status, 200);
    assert_eq!(g.json()["usage"]["total_tokens"], 110);
    // After two retries (50 + 250 ms) the record is held in memory: with no
    // spill file to take it, new calls are refused rather than left unrecorded.
    let t = std::time::Instant::now();
    loop {
        let g = send(&c, "GET", &format!("{}/health", h.url), &[], "").await;
        if g.status == 503 {
            assert_eq!(g.json()["status"], "failing");
            assert_eq!(g.json()["ledger_held"], 1);
            assert!(
                g.json()["reason"].as_str().is_some_and(|r| r
                    .contains("the test ledger is failing")
                    && r.contains("no spill file")),
                "{}",
                g.json()
            );
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(5));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let g = post(&c, &url, BODY).await;
    assert_eq!(g.status, 503);
    assert_eq!(g.json()["error"]["code"], "ledger_unavailable");
    assert_eq!(g.headers["retry-after"], "1");
    // The ledger works again: the held record is written, calls are served.
    *h.ledger.fail.lock().expect("lock") = false;
    h.ledger.wait_for(1).await;
    let t = std::time::Instant::now();
    while post(&c, &url, BODY).await.status != 200 {
        assert!(t.elapsed() < Duration::from_secs(5));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let ledger = h.ledger.clone();
    drop(c);
    let report = h.stop().await;
    assert_eq!(report.failed, 0);
    assert_eq!(ledger.all().len(), 2);
    assert!(h_metrics_ok(&report));
}

fn h_metrics_ok(r: &llmcost_proxy::WriterReport) -> bool {
    r.written == 2 && r.duplicates == 0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_calls_over_serving_threads_are_all_recorded() {
    let (up, _mock) = mock::start().await;
    let h = Harness::start(settings_for(&up)).await;
    // 16 clients with their own connections, handed out over the 2 serving threads.
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let url = format!("{}/openai/v1/chat/completions", h.url);
        tasks.push(tokio::spawn(async move {
            let c = client();
            for _ in 0..10 {
                let g = post(&c, &url, BODY).await;
                assert_eq!(g.status, 200);
                assert_eq!(g.json()["usage"]["total_tokens"], 110);
            }
        }));
    }
    for t in tasks {
        t.await.expect("client task");
    }
    let ledger = h.ledger.clone();
    let report = h.stop().await;
    assert_eq!(report.written, 160);
    let all = ledger.all();
    assert_eq!(all.len(), 160);
    assert!(
        all.iter()
            .all(|r| r.usage.input == 58 && r.usage.output == 52)
    );
}

#[tokio::test]
async fn serve_on_the_callers_runtime() {
    // `serve` (one runtime, the caller's) behaves like `serve_threads`.
    let (up, _mock) = mock::start().await;
    let ledger = MemLedger::default();
    let proxy = llmcost_proxy::Proxy::start(settings_for(&up), Box::new(ledger.clone()))
        .expect("proxy starts");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(llmcost_proxy::serve(listener, proxy.state(), async move {
        let _ = rx.await;
    }));
    let c = client();
    for _ in 0..3 {
        let g = post(&c, &format!("{url}/v1/chat/completions"), BODY).await;
        assert_eq!(g.status, 200);
    }
    drop(c);
    let _ = tx.send(());
    let report = tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("stops in time")
        .expect("joins")
        .expect("serves");
    assert_eq!(report.written, 3);
    assert_eq!(ledger.all().len(), 3);
}

#[tokio::test]
async fn calls_are_written_one_interval_later_with_consecutive_keys() {
    let (up, _mock) = mock::start().await;
    let mut s = settings_for(&up);
    s.writer.flush_interval = Duration::from_millis(50);
    let h = Harness::start(s).await;
    let c = client();
    for _ in 0..3 {
        assert_eq!(
            post(&c, &format!("{}/v1/chat/completions", h.url), BODY)
                .await
                .status,
            200
        );
    }
    // Written by the interval, not by the shutdown.
    let mut keys: Vec<(String, u64)> = h
        .ledger
        .wait_for(3)
        .await
        .iter()
        .map(|r| {
            let (stem, n) = r.dedup_key.rsplit_once(':').expect("seq:<stem>:<n>");
            (stem.to_string(), n.parse().expect("a counter"))
        })
        .collect();
    keys.sort();
    assert!(keys.iter().all(|(stem, _)| *stem == keys[0].0), "{keys:?}");
    assert_eq!(keys[1].1, keys[0].1 + 1);
    assert_eq!(keys[2].1, keys[0].1 + 2);
    drop(c);
    assert_eq!(h.stop().await.written, 3);
}

#[tokio::test]
async fn records_name_the_proxy_instance() {
    let (up, _mock) = mock::start().await;
    let mut s = settings_for(&up);
    s.device = Some("proxy@edge-1:8787".into());
    let h = Harness::start(s).await;
    let c = client();
    let got = post(&c, &format!("{}/openai/v1/chat/completions", h.url), BODY).await;
    assert_eq!(got.status, 200);
    let records = h.ledger.wait_for(1).await;
    assert_eq!(records[0].device.as_deref(), Some("proxy@edge-1:8787"));
    h.stop().await;
}
