//! Upstream errors are passed through unchanged (status, headers, body) and
//! recorded; an unreachable upstream and a stream cut mid-way are reported.

use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Full};

use crate::mock;
use crate::{Harness, client, dec, post, settings_for};

#[tokio::test]
async fn upstream_429_and_500_are_passed_through_unchanged() {
    let (up, _mock) = mock::start().await;
    let h = Harness::start(settings_for(&up)).await;
    let c = client();
    let url = format!("{}/openai/v1/chat/completions", h.url);
    let g = post(&c, &url, r#"{"model":"error-429"}"#).await;
    assert_eq!(g.status, 429);
    assert_eq!(g.headers["retry-after"], "7");
    assert_eq!(g.headers["x-ratelimit-remaining-requests"], "0");
    assert_eq!(
        g.body,
        Bytes::from_static(
            br#"{"error":{"message":"Rate limit reached for requests","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#
        )
    );
    let g = post(&c, &url, r#"{"model":"error-500"}"#).await;
    assert_eq!(g.status, 500);
    assert_eq!(g.json()["error"]["type"], "server_error");
    let recs = h.ledger.wait_for(2).await;
    let mut statuses: Vec<_> = recs.iter().map(|r| r.status).collect();
    statuses.sort();
    assert_eq!(statuses, vec![Some(429), Some(500)]);
    for r in &recs {
        assert!(r.usage.is_zero());
        assert!(!r.incomplete, "an error answer is complete");
    }
    h.stop().await;
}

#[tokio::test]
async fn an_unreachable_upstream_is_a_502_in_the_openai_envelope() {
    // A port that was just free: nothing listens there.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        format!("http://{}", l.local_addr().expect("addr"))
    };
    let h = Harness::start(settings_for(&dead)).await;
    let g = post(
        &client(),
        &format!("{}/openai/v1/chat/completions", h.url),
        r#"{"model":"gpt-4o-mini-2024-07-18"}"#,
    )
    .await;
    assert_eq!(g.status, 502);
    let e = g.json();
    assert_eq!(e["error"]["code"], "upstream_error");
    assert_eq!(e["error"]["type"], "api_error");
    assert!(
        e["error"]["message"]
            .as_str()
            .expect("msg")
            .starts_with("upstream `openai` failed")
    );
    let r = h.ledger.wait_for(1).await.remove(0);
    assert_eq!(r.status, Some(502));
    // The connection was refused: nothing was sent, nothing used (priced at zero tokens).
    assert!(!r.incomplete);
    assert_eq!(r.cost, Some(dec("0")));
    assert!(
        h.state
            .metrics_text()
            .contains("llmcost_proxy_upstream_errors_total{upstream=\"openai\"} 1")
    );
    h.stop().await;
}

#[tokio::test]
async fn a_stream_cut_by_the_upstream_is_recorded_incomplete() {
    let (up, _mock) = mock::start().await;
    let h = Harness::start(settings_for(&up)).await;
    let req = Request::post(format!("{}/openai/v1/chat/completions", h.url))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from_static(
            br#"{"model":"drop","stream":true}"#,
        )))
        .expect("request");
    let resp = client().request(req).await.expect("headers arrive");
    assert_eq!(resp.status(), 200);
    // The client sees the stream break, as it would without the proxy.
    assert!(resp.into_body().collect().await.is_err());
    let r = h.ledger.wait_for(1).await.remove(0);
    assert!(r.incomplete);
    assert_eq!(r.status, Some(200));
    // Cut before the usage chunk: unknown cost, not zero.
    assert_eq!(r.cost, None);
    h.stop().await;
}
