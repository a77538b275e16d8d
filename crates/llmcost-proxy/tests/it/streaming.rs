//! SSE: passed through byte for byte, usage read from the stream for every
//! provider shape, `stream_options.include_usage` injection on and off, and
//! clients that disconnect mid-stream or before the answer.

use std::time::Duration;

use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Full};
use llmcost_core::Usage;

use crate::mock::{self, anthropic_events, chat_events, responses_events};
use crate::{CHAT_COST, Harness, client, dec, post, settings_for};

#[tokio::test]
async fn openai_stream_gets_include_usage_and_is_passed_through() {
    let (up, mock) = mock::start().await;
    let h = Harness::start(settings_for(&up)).await;
    let body = r#"{"model":"gpt-4o-mini","stream":true,"messages":[]}"#;
    let g = post(
        &client(),
        &format!("{}/openai/v1/chat/completions", h.url),
        body,
    )
    .await;
    assert_eq!(g.status, 200);
    assert_eq!(g.headers["content-type"], "text/event-stream");
    assert_eq!(g.body, chat_events("gpt-4o-mini", true).concat().as_bytes());
    let sent: serde_json::Value = serde_json::from_slice(&mock.seen()[0].body).expect("json");
    assert_eq!(sent["stream_options"]["include_usage"], true);
    assert_eq!(sent["model"], "gpt-4o-mini");
    let r = h.ledger.wait_for(1).await.remove(0);
    assert_eq!(
        r.usage,
        Usage {
            input: 58,
            output: 52,
            ..Usage::default()
        }
    );
    assert_eq!(r.cost, Some(dec(CHAT_COST)));
    assert!(!r.incomplete);
    h.stop().await;
}

#[tokio::test]
async fn a_request_that_asks_for_usage_is_forwarded_byte_for_byte() {
    let (up, mock) = mock::start().await;
    let h = Harness::start(settings_for(&up)).await;
    let body =
        r#"{"model":"gpt-4o-mini", "stream": true, "stream_options": {"include_usage": true}}"#;
    let g = post(&client(), &format!("{}/v1/chat/completions", h.url), body).await;
    assert_eq!(g.status, 200);
    assert_eq!(mock.seen()[0].body, body.as_bytes());
    assert_eq!(h.ledger.wait_for(1).await[0].usage.output, 52);
    h.stop().await;
}

#[tokio::test]
async fn without_injection_a_stream_without_usage_is_recorded_incomplete() {
    let (up, mock) = mock::start().await;
    let mut s = settings_for(&up);
    for u in &mut s.upstreams {
        u.include_usage = false;
    }
    let h = Harness::start(s).await;
    let body = r#"{"model":"gpt-4o-mini","stream":true}"#;
    let g = post(
        &client(),
        &format!("{}/openai/v1/chat/completions", h.url),
        body,
    )
    .await;
    assert_eq!(
        g.body,
        chat_events("gpt-4o-mini", false).concat().as_bytes()
    );
    assert_eq!(mock.seen()[0].body, body.as_bytes());
    let r = h.ledger.wait_for(1).await.remove(0);
    assert!(r.incomplete);
    assert!(r.usage.is_zero());
    assert_eq!(r.cost, None);
    assert_eq!(r.model, "gpt-4o-mini");
    h.stop().await;
}

#[tokio::test]
async fn anthropic_stream_merges_message_start_and_message_delta() {
    let (up, _mock) = mock::start().await;
    let h = Harness::start(settings_for(&up)).await;
    let body = r#"{"model":"claude-sonnet-4-6","stream":true,"max_tokens":5,"messages":[]}"#;
    let g = post(&client(), &format!("{}/anthropic/v1/messages", h.url), body).await;
    assert_eq!(
        g.body,
        anthropic_events("claude-sonnet-4-6").concat().as_bytes()
    );
    let r = h.ledger.wait_for(1).await.remove(0);
    assert_eq!(
        r.usage,
        Usage {
            input: 9,
            cache_write: 100,
            cache_read: 200,
            output: 57,
            ..Usage::default()
        }
    );
    assert_eq!(r.cost, Some(dec("0.001317")));
    assert!(!r.incomplete);
    h.stop().await;
}

#[tokio::test]
async fn responses_stream_reads_response_completed() {
    let (up, mock) = mock::start().await;
    let h = Harness::start(settings_for(&up)).await;
    let body = r#"{"model":"gpt-4.1-mini","stream":true,"input":"hi"}"#;
    let g = post(&client(), &format!("{}/openai/v1/responses", h.url), body).await;
    assert_eq!(g.body, responses_events("gpt-4.1-mini").concat().as_bytes());
    // The Responses API has no stream_options: nothing is injected.
    assert_eq!(mock.seen()[0].body, body.as_bytes());
    let r = h.ledger.wait_for(1).await.remove(0);
    assert_eq!(r.cost, Some(dec("0.0001518")));
    assert_eq!(r.usage.reasoning, 12);
    h.stop().await;
}

#[tokio::test]
async fn a_client_that_disconnects_mid_stream_leaves_an_incomplete_record() {
    let (up, _mock) = mock::start().await;
    let mut s = settings_for(&up);
    // Not reading the rest of the stream: what the client saw is what is known.
    s.abandoned_stream_drain = Duration::ZERO;
    let h = Harness::start(s).await;
    let c = client();
    let req = Request::post(format!("{}/anthropic/v1/messages", h.url))
        .header("content-type", "application/json")
        .header("x-api-key", "sk-ant")
        .body(Full::new(Bytes::from_static(
            br#"{"model":"slow","stream":true,"max_tokens":5}"#,
        )))
        .expect("request");
    let resp = c.request(req).await.expect("response");
    assert_eq!(resp.status(), 200);
    let mut body = resp.into_body();
    let first = body.frame().await.expect("a frame").expect("ok");
    assert!(
        first
            .data_ref()
            .is_some_and(|d| d.starts_with(b"event: message_start"))
    );
    drop(body);
    drop(c);
    let r = h.ledger.wait_for(1).await.remove(0);
    assert!(r.incomplete);
    assert_eq!(r.status, Some(200));
    // What message_start reported: 9 input, 100 written, 200 read, 1 output:
    // 27 + 375 + 60 + 15 = 477 per million.
    assert_eq!(
        r.usage,
        Usage {
            input: 9,
            cache_write: 100,
            cache_read: 200,
            output: 1,
            ..Usage::default()
        }
    );
    assert_eq!(r.cost, Some(dec("0.000477")));
    // Finalised exactly once.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(h.ledger.all().len(), 1);
    h.stop().await;
}

#[tokio::test]
async fn a_client_that_gives_up_before_the_answer_leaves_a_499_record() {
    let (up, mock) = mock::start().await;
    let h = Harness::start(settings_for(&up)).await;
    let c = client();
    let req = Request::post(format!("{}/openai/v1/chat/completions", h.url))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from_static(br#"{"model":"slow-json"}"#)))
        .expect("request");
    let r = tokio::time::timeout(Duration::from_millis(100), c.request(req)).await;
    assert!(r.is_err(), "the mock answers after 300 ms");
    drop(c);
    let r = h.ledger.wait_for(1).await.remove(0);
    assert_eq!(r.status, Some(499));
    assert!(r.incomplete);
    // The upstream had the request: what it used is unknown, not zero.
    assert_eq!(r.cost, None);
    assert_eq!(r.model, "slow-json");
    assert_eq!(mock.seen().len(), 1);
    h.stop().await;
}
