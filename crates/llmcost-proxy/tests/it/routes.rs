//! Every metered route and provider shape (JSON answers), unmetered routes,
//! routing by prefix and the default upstream.

use llmcost_core::{ServiceTier, Usage};

use crate::mock::{self, CHAT_USAGE};
use crate::{CHAT_COST, Harness, USD, client, dec, post, send, settings_for};

const CHAT_BODY: &str = r#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}"#;

#[tokio::test]
async fn chat_completion_is_forwarded_unchanged_and_recorded_with_its_cost() {
    let (up, mock) = mock::start().await;
    let h = Harness::start(settings_for(&up)).await;
    let c = client();
    let got = crate::send(
        &c,
        "POST",
        &format!("{}/openai/v1/chat/completions?x=1", h.url),
        &[
            ("authorization", "Bearer sk-test-key"),
            ("x-llmcost-tag", "ci, nightly"),
            ("x-llmcost-project", "billing"),
            ("accept-encoding", "gzip"),
        ],
        CHAT_BODY,
    )
    .await;
    assert_eq!(got.status, 200);
    // The body is the upstream's, byte for byte; so are its headers.
    assert_eq!(
        got.body,
        mock::json_body("/v1/chat/completions", "gpt-4o-mini").as_bytes()
    );
    assert_eq!(got.headers["x-mock"], "yes");
    // What the upstream received: same path and query, same body, the client's key,
    // no llmcost headers, no Accept-Encoding (a compressed answer could not be metered).
    let seen = mock.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "/v1/chat/completions");
    assert_eq!(seen[0].body, CHAT_BODY.as_bytes());
    assert_eq!(seen[0].headers["authorization"], "Bearer sk-test-key");
    assert!(seen[0].headers.get("x-llmcost-tag").is_none());
    assert!(seen[0].headers.get("accept-encoding").is_none());

    let recs = h.ledger.wait_for(1).await;
    assert_eq!(recs.len(), 1);
    let r = &recs[0];
    assert_eq!(r.source, "proxy");
    assert_eq!(r.origin.as_deref(), Some("openai"));
    assert_eq!(r.provider.as_deref(), Some("openai"));
    assert_eq!(r.model, "gpt-4o-mini");
    assert_eq!(
        r.usage,
        Usage {
            input: 58,
            output: 52,
            ..Usage::default()
        }
    );
    assert_eq!(r.cost, Some(dec(CHAT_COST)));
    assert_eq!(r.currency, Some(USD));
    assert!(
        r.price_ref
            .as_deref()
            .is_some_and(|p| p.starts_with("gpt-4o-mini USD"))
    );
    assert_eq!(r.status, Some(200));
    assert_eq!(r.tags, vec!["ci", "nightly"]);
    assert_eq!(r.project.as_deref(), Some("billing"));
    assert_eq!(
        r.key_fingerprint,
        Some(h.state.key_fingerprint("sk-test-key"))
    );
    assert_eq!(r.raw_usage.as_deref(), Some(CHAT_USAGE));
    assert!(r.latency_ms.is_some() && r.ttfb_ms.is_some());
    assert!(!r.incomplete);
    // A sequenced key (`seq:<stem>:<n>`), kept next to its neighbours in the ledger's index.
    let (stem, n) = r
        .dedup_key
        .strip_prefix("seq:proxy-")
        .and_then(|k| k.rsplit_once(':'))
        .expect("a sequenced key");
    assert!(
        !stem.is_empty() && n.parse::<u64>().is_ok(),
        "{}",
        r.dedup_key
    );
    assert_eq!(r.service_tier, ServiceTier::Standard);
    h.stop().await;
}

#[tokio::test]
async fn completions_embeddings_and_responses_are_metered() {
    let (up, _mock) = mock::start().await;
    let h = Harness::start(settings_for(&up)).await;
    let c = client();
    let base = format!("{}/openai/v1", h.url);
    let g = post(
        &c,
        &format!("{base}/completions"),
        r#"{"model":"gpt-4o-mini","prompt":"hi"}"#,
    )
    .await;
    assert_eq!(g.status, 200);
    let g = post(
        &c,
        &format!("{base}/embeddings"),
        r#"{"model":"text-embedding-3-small","input":"hi"}"#,
    )
    .await;
    assert_eq!(g.status, 200);
    let g = post(
        &c,
        &format!("{base}/responses"),
        r#"{"model":"gpt-4.1-mini","input":"hi"}"#,
    )
    .await;
    assert_eq!(g.status, 200);
    let recs = h.ledger.wait_for(3).await;
    let by = |m: &str| recs.iter().find(|r| r.model == m).expect(m).clone();

    let comp = by("gpt-4o-mini");
    assert_eq!(comp.cost, Some(dec(CHAT_COST)));

    // text-embedding-3-small at $0.02 per 1M input tokens: 8 × 0.02 / 1M = 0.00000016.
    let emb = by("text-embedding-3-small");
    assert_eq!(emb.usage.input, 8);
    assert_eq!(emb.cost, Some(dec("0.00000016")));
    assert!(!emb.incomplete);

    // Responses: 36 input of which 6 cached, 87 output of which 12 reasoning;
    // gpt-4.1-mini at 0.4 / 0.1 / 1.6: 30×0.4 + 6×0.1 + 75×1.6 + 12×1.6 = 151.8 per million.
    let resp = by("gpt-4.1-mini");
    assert_eq!(
        resp.usage,
        Usage {
            input: 30,
            cache_read: 6,
            output: 75,
            reasoning: 12,
            ..Usage::default()
        }
    );
    assert_eq!(resp.cost, Some(dec("0.0001518")));
    h.stop().await;
}

#[tokio::test]
async fn anthropic_messages_are_metered_with_cache_buckets() {
    let (up, mock) = mock::start().await;
    let h = Harness::start(settings_for(&up)).await;
    let c = client();
    let g = send(
        &c,
        "POST",
        &format!("{}/anthropic/v1/messages", h.url),
        &[
            ("x-api-key", "sk-ant-test"),
            ("anthropic-version", "2023-06-01"),
        ],
        r#"{"model":"claude-sonnet-4-6","max_tokens":10,"messages":[]}"#,
    )
    .await;
    assert_eq!(g.status, 200);
    assert_eq!(mock.seen()[0].headers["x-api-key"], "sk-ant-test");
    assert_eq!(mock.seen()[0].headers["anthropic-version"], "2023-06-01");
    let r = h.ledger.wait_for(1).await.remove(0);
    assert_eq!(r.provider.as_deref(), Some("anthropic"));
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
    // 9×3 + 100×3.75 + 200×0.3 + 57×15 = 27 + 375 + 60 + 855 = 1317 per million.
    assert_eq!(r.cost, Some(dec("0.001317")));
    assert_eq!(
        r.key_fingerprint,
        Some(h.state.key_fingerprint("sk-ant-test"))
    );
    h.stop().await;
}

#[tokio::test]
async fn deepseek_and_xai_usage_shapes_are_normalised() {
    let (up, _mock) = mock::start().await;
    let h = Harness::start(settings_for(&up)).await;
    let c = client();
    let g = post(
        &c,
        &format!("{}/openai/v1/chat/completions", h.url),
        r#"{"model":"deepseek-v4-flash"}"#,
    )
    .await;
    assert_eq!(g.status, 200);
    let g = post(
        &c,
        &format!("{}/xai/v1/chat/completions", h.url),
        r#"{"model":"grok-4"}"#,
    )
    .await;
    assert_eq!(g.status, 200);
    let recs = h.ledger.wait_for(2).await;
    let cat = llmcost_catalog::Catalog::builtin().expect("catalog");
    // DeepSeek: hit/miss are the input buckets; reasoning is inside completion_tokens.
    let ds = recs
        .iter()
        .find(|r| r.model == "deepseek-v4-flash")
        .expect("deepseek");
    assert_eq!(
        ds.usage,
        Usage {
            input: 60,
            cache_read: 40,
            output: 11,
            reasoning: 81,
            ..Usage::default()
        }
    );
    // Priced at the instant of the call (DeepSeek has off-peak windows).
    let (want, _) = cat
        .price_usage(
            "deepseek-v4-flash",
            ds.at,
            USD,
            &ds.usage,
            ServiceTier::Standard,
        )
        .expect("priced");
    assert_eq!(ds.cost, Some(want));
    // xAI: reasoning is added to completion_tokens; the reported cost is kept as billed.
    let x = recs.iter().find(|r| r.model == "grok-4").expect("xai");
    assert_eq!(
        x.usage,
        Usage {
            input: 27,
            cache_read: 98,
            output: 48,
            reasoning: 10,
            ..Usage::default()
        }
    );
    assert_eq!(x.provider.as_deref(), Some("xai"));
    assert_eq!(x.billed, Some(dec("0.0037756")));
    assert_eq!(x.billed_currency, Some(USD));
    assert!(x.cost.is_some());
    h.stop().await;
}

#[tokio::test]
async fn gemini_prefix_keeps_the_base_path() {
    let (up, mock) = mock::start().await;
    let h = Harness::start(settings_for(&up)).await;
    let g = post(
        &client(),
        &format!("{}/gem/chat/completions", h.url),
        CHAT_BODY,
    )
    .await;
    assert_eq!(g.status, 200);
    assert_eq!(mock.seen()[0].path, "/v1beta/openai/chat/completions");
    let r = h.ledger.wait_for(1).await.remove(0);
    assert_eq!(
        (r.origin.as_deref(), r.provider.as_deref()),
        (Some("gem"), Some("google"))
    );
    h.stop().await;
}

#[tokio::test]
async fn unmetered_routes_are_forwarded_and_recorded_without_usage() {
    let (up, mock) = mock::start().await;
    let h = Harness::start(settings_for(&up)).await;
    let g = send(
        &client(),
        "GET",
        &format!("{}/openai/v1/models", h.url),
        &[],
        "",
    )
    .await;
    assert_eq!(g.status, 200);
    assert!(g.json()["data"].is_array());
    assert_eq!(mock.seen()[0].method, "GET");
    assert_eq!(mock.seen()[0].path, "/v1/models");
    let r = h.ledger.wait_for(1).await.remove(0);
    assert_eq!(r.model, "unmetered");
    assert_eq!(r.cost, None);
    assert!(r.usage.is_zero());
    assert_eq!(r.tags, vec!["unmetered"]);
    assert_eq!(r.status, Some(200));
    h.stop().await;
}

#[tokio::test]
async fn default_upstream_serves_unprefixed_paths() {
    let (up, mock) = mock::start().await;
    let h = Harness::start(settings_for(&up)).await;
    let g = post(
        &client(),
        &format!("{}/v1/chat/completions", h.url),
        CHAT_BODY,
    )
    .await;
    assert_eq!(g.status, 200);
    assert_eq!(g.json()["usage"]["total_tokens"], 110);
    assert_eq!(mock.seen()[0].path, "/v1/chat/completions");
    let r = h.ledger.wait_for(1).await.remove(0);
    assert_eq!(r.origin.as_deref(), Some("default"));
    assert_eq!(r.cost, Some(dec(CHAT_COST)));
    h.stop().await;
}

#[tokio::test]
async fn unknown_prefix_without_default_is_an_openai_style_404() {
    let (up, mock) = mock::start().await;
    let mut s = settings_for(&up);
    s.default_upstream = None;
    let h = Harness::start(s).await;
    let g = post(
        &client(),
        &format!("{}/nope/v1/chat/completions", h.url),
        CHAT_BODY,
    )
    .await;
    assert_eq!(g.status, 404);
    let e = g.json();
    assert_eq!(e["error"]["code"], "no_upstream");
    assert_eq!(e["error"]["type"], "invalid_request_error");
    assert!(
        e["error"]["message"]
            .as_str()
            .expect("message")
            .contains("`openai`")
    );
    assert!(mock.seen().is_empty());
    h.stop().await;
}

#[tokio::test]
async fn an_upstream_that_closes_every_connection_is_reconnected() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // One answer per connection, then close (like `Connection: close` servers).
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let up = format!("http://{}", l.local_addr().expect("addr"));
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = l.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = vec![0; 8192];
                let mut got = Vec::new();
                // Read the head and the small body (the proxy sends content-length).
                while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => got.extend_from_slice(&buf[..n]),
                    }
                }
                let body = mock::json_body("/v1/chat/completions", "gpt-4o-mini");
                let resp = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.write_all(resp.as_bytes()).await;
            });
        }
    });
    let h = Harness::start(settings_for(&up)).await;
    let c = client();
    for _ in 0..3 {
        let g = post(&c, &format!("{}/v1/chat/completions", h.url), CHAT_BODY).await;
        assert_eq!(g.status, 200);
        assert_eq!(g.json()["usage"]["total_tokens"], 110);
    }
    assert_eq!(h.ledger.wait_for(3).await.len(), 3);
    h.stop().await;
}

#[tokio::test]
async fn a_model_without_a_price_keeps_its_tokens_and_has_no_cost() {
    let (up, _mock) = mock::start().await;
    let h = Harness::start(settings_for(&up)).await;
    let g = post(
        &client(),
        &format!("{}/openai/v1/chat/completions", h.url),
        r#"{"model":"no-such-model-in-the-catalog"}"#,
    )
    .await;
    assert_eq!(g.status, 200);
    let r = h.ledger.wait_for(1).await.remove(0);
    assert_eq!((r.usage.input, r.usage.output), (58, 52));
    // Unknown, never 0.
    assert_eq!(r.cost, None);
    assert!(!r.incomplete);
    h.stop().await;
}
