//! A mock upstream on 127.0.0.1:0: OpenAI-compatible JSON and SSE, Responses,
//! Anthropic Messages, errors, slow and dropped streams. It records what it
//! received so tests can check what the proxy forwarded.
//!
//! The request's `model` picks a behaviour: `error-429`, `error-500`,
//! `slow-json` (answers after 300 ms), `slow` (SSE with 40 ms between events),
//! `drop` (SSE cut after two events), `no-usage`, `hang` (never answers),
//! `huge-header` (a 1 MiB response header), `deepseek-slow` (a DeepSeek stream
//! with its usage last), `garbage-sse` (malformed SSE, then a normal stream);
//! anything else answers normally, echoing the model.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use http_body::Frame;
use http_body_util::BodyExt;
use tokio::sync::mpsc;

pub const CHAT_USAGE: &str = r#"{"prompt_tokens":58,"completion_tokens":52,"total_tokens":110,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}"#;

/// A request the mock received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

#[derive(Clone, Default)]
pub struct Mock {
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

impl Mock {
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("lock").clone()
    }
}

/// Starts the mock; returns its base URL (`http://127.0.0.1:PORT`).
pub async fn start() -> (String, Mock) {
    let mock = Mock::default();
    let app = Router::new().fallback(handle).with_state(mock.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind mock");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("mock serves");
    });
    (format!("http://{addr}"), mock)
}

/// A body fed from a channel: each item is one frame; an `Err` cuts the stream.
struct ChanBody(mpsc::Receiver<Result<Bytes, std::io::Error>>);

impl http_body::Body for ChanBody {
    type Data = Bytes;
    type Error = std::io::Error;
    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        self.0.poll_recv(cx).map(|o| o.map(|r| r.map(Frame::data)))
    }
}

fn sse(events: Vec<String>, delay: Duration, cut_after: Option<usize>) -> Response {
    let (tx, rx) = mpsc::channel(4);
    tokio::spawn(async move {
        for (i, e) in events.into_iter().enumerate() {
            if cut_after == Some(i) {
                let _ = tx
                    .send(Err(std::io::Error::other("mock cut the stream")))
                    .await;
                return;
            }
            if tx.send(Ok(Bytes::from(e))).await.is_err() {
                return;
            }
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
        }
    });
    Response::builder()
        .header("content-type", "text/event-stream")
        .header("cache-control", "no-cache")
        .body(Body::new(ChanBody(rx)))
        .expect("response")
}

fn json(status: StatusCode, body: String) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("x-mock", "yes")
        .body(Body::from(body))
        .expect("response")
}

/// The SSE events of an OpenAI chat stream; the usage chunk only with include_usage.
pub fn chat_events(model: &str, include_usage: bool) -> Vec<String> {
    let mut ev = vec![format!(
        "data: {{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"{model}\",\"choices\":[{{\"index\":0,\"delta\":{{\"role\":\"assistant\",\"content\":\"\"}}}}]}}\n\n"
    )];
    for w in ["Hello", " there", "!"] {
        ev.push(format!(
            "data: {{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"{model}\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"{w}\"}}}}]}}\n\n"
        ));
    }
    if include_usage {
        ev.push(format!(
            "data: {{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"{model}\",\"choices\":[],\"usage\":{CHAT_USAGE}}}\n\n"
        ));
    }
    ev.push("data: [DONE]\n\n".into());
    ev
}

pub fn anthropic_events(model: &str) -> Vec<String> {
    vec![
        format!("event: message_start\ndata: {{\"type\":\"message_start\",\"message\":{{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"{model}\",\"content\":[],\"usage\":{{\"input_tokens\":9,\"cache_creation_input_tokens\":100,\"cache_read_input_tokens\":200,\"output_tokens\":1}}}}}}\n\n"),
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}\n\n".into(),
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\" there\"}}\n\n".into(),
        "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":57}}\n\n".into(),
        "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n".into(),
    ]
}

pub fn responses_events(model: &str) -> Vec<String> {
    vec![
        format!("event: response.created\ndata: {{\"type\":\"response.created\",\"response\":{{\"id\":\"resp_1\",\"model\":\"{model}\",\"usage\":null}}}}\n\n"),
        "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"Hi\"}\n\n".into(),
        format!("event: response.completed\ndata: {{\"type\":\"response.completed\",\"response\":{{\"id\":\"resp_1\",\"model\":\"{model}\",\"usage\":{RESPONSES_USAGE}}}}}\n\n"),
    ]
}

pub const RESPONSES_USAGE: &str = r#"{"input_tokens":36,"input_tokens_details":{"cached_tokens":6},"output_tokens":87,"output_tokens_details":{"reasoning_tokens":12},"total_tokens":123}"#;

pub const ANTHROPIC_USAGE: &str = r#"{"input_tokens":9,"cache_creation_input_tokens":100,"cache_read_input_tokens":200,"output_tokens":57}"#;

pub const DEEPSEEK_USAGE: &str = r#"{"prompt_tokens":100,"completion_tokens":92,"total_tokens":192,"prompt_cache_hit_tokens":40,"prompt_cache_miss_tokens":60,"completion_tokens_details":{"reasoning_tokens":81}}"#;

pub const XAI_USAGE: &str = r#"{"prompt_tokens":125,"completion_tokens":48,"total_tokens":173,"prompt_tokens_details":{"cached_tokens":98},"completion_tokens_details":{"reasoning_tokens":10},"cost_in_usd_ticks":37756000}"#;

/// The JSON answer of each route.
pub fn json_body(path: &str, model: &str) -> String {
    if path.ends_with("/chat/completions")
        && (model.starts_with("deepseek") || model.starts_with("grok"))
    {
        let usage = if model.starts_with("grok") {
            XAI_USAGE
        } else {
            DEEPSEEK_USAGE
        };
        format!(
            "{{\"id\":\"c2\",\"object\":\"chat.completion\",\"created\":1735689600,\"model\":\"{model}\",\"choices\":[],\"usage\":{usage}}}"
        )
    } else if path.ends_with("/chat/completions") {
        format!(
            "{{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1735689600,\"model\":\"{model}\",\"choices\":[{{\"index\":0,\"message\":{{\"role\":\"assistant\",\"content\":\"Hello there!\"}},\"finish_reason\":\"stop\"}}],\"usage\":{CHAT_USAGE}}}"
        )
    } else if path.ends_with("/completions") {
        format!(
            "{{\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"created\":1735689600,\"model\":\"{model}\",\"choices\":[{{\"text\":\"Hello\",\"index\":0,\"finish_reason\":\"stop\"}}],\"usage\":{CHAT_USAGE}}}"
        )
    } else if path.ends_with("/embeddings") {
        format!(
            "{{\"object\":\"list\",\"data\":[{{\"object\":\"embedding\",\"index\":0,\"embedding\":[0.1,-0.2,0.3]}}],\"model\":\"{model}\",\"usage\":{{\"prompt_tokens\":8,\"total_tokens\":8}}}}"
        )
    } else if path.ends_with("/responses") {
        format!(
            "{{\"id\":\"resp_1\",\"object\":\"response\",\"created_at\":1735689600,\"model\":\"{model}\",\"output\":[],\"usage\":{RESPONSES_USAGE}}}"
        )
    } else {
        format!(
            "{{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"{model}\",\"content\":[{{\"type\":\"text\",\"text\":\"Hi\"}}],\"usage\":{ANTHROPIC_USAGE}}}"
        )
    }
}

async fn handle(State(mock): State<Mock>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    let path = parts.uri.path().to_string();
    mock.seen.lock().expect("lock").push(Seen {
        method: parts.method.to_string(),
        path: path.clone(),
        headers: parts.headers.clone(),
        body: body.clone(),
    });
    if parts.method == http::Method::GET {
        return json(
            StatusCode::OK,
            r#"{"object":"list","data":[{"id":"gpt-4o-mini","object":"model"}]}"#.into(),
        );
    }
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let model = v["model"].as_str().unwrap_or("gpt-4o-mini").to_string();
    let stream = v["stream"].as_bool() == Some(true);
    let include = v["stream_options"]["include_usage"].as_bool() == Some(true);
    match model.as_str() {
        "error-429" => {
            return Response::builder()
                .status(StatusCode::TOO_MANY_REQUESTS)
                .header("content-type", "application/json")
                .header("retry-after", "7")
                .header("x-ratelimit-remaining-requests", "0")
                .body(Body::from(
                    r#"{"error":{"message":"Rate limit reached for requests","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#,
                ))
                .expect("response");
        }
        "error-500" => {
            return json(
                StatusCode::INTERNAL_SERVER_ERROR,
                r#"{"error":{"message":"The server had an error","type":"server_error","param":null,"code":null}}"#.into(),
            );
        }
        "slow-json" => tokio::time::sleep(Duration::from_millis(300)).await,
        // Never answers (the proxy's drain timeout must cut it).
        "hang" => tokio::time::sleep(Duration::from_secs(3600)).await,
        "huge-header" => {
            // 1 MiB of header: more than any HTTP client should buffer.
            return Response::builder()
                .header("content-type", "application/json")
                .header("x-huge", "a".repeat(1 << 20))
                .body(Body::from(json_body(&path, "gpt-4o-mini-2024-07-18")))
                .expect("response");
        }
        "deepseek-slow" => {
            // A DeepSeek stream whose usage comes in the last chunk, 40 ms apart.
            let mut ev = chat_events("deepseek-v4-flash", false);
            ev.insert(
                ev.len() - 1,
                format!("data: {{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"deepseek-v4-flash\",\"choices\":[],\"usage\":{DEEPSEEK_USAGE}}}\n\n"),
            );
            return sse(ev, Duration::from_millis(40), None);
        }
        "garbage-sse" => {
            // Broken lines, a non-JSON data line, an event without data, a line
            // split across chunks, then the real usage chunk.
            let mut ev = vec![
                "data: {not json\n\n".to_string(),
                ": comment\nevent: x\n\n".into(),
                "data: \u{0}\u{1}\u{2}\n\n".into(),
                "data: {\"id\":\"c1\",\"model\":".into(),
                "\"gpt-4o-mini-2024-07-18\",\"choices\":[]}\n\n".into(),
            ];
            ev.extend(chat_events("gpt-4o-mini-2024-07-18", true));
            return sse(ev, Duration::ZERO, None);
        }
        "slow-budget" => tokio::time::sleep(Duration::from_millis(100)).await,
        _ => {}
    }
    let priced_model = match model.as_str() {
        "slow-json" | "slow-budget" | "no-usage" => "gpt-4o-mini-2024-07-18".to_string(),
        _ => model.clone(),
    };
    if stream {
        let (delay, cut) = match model.as_str() {
            "slow" => (Duration::from_millis(40), None),
            "drop" => (Duration::from_millis(20), Some(2)),
            _ => (Duration::ZERO, None),
        };
        let events = if path.ends_with("/messages") {
            anthropic_events(if model.starts_with("claude") {
                &model
            } else {
                "claude-sonnet-4-6"
            })
        } else if path.ends_with("/responses") {
            responses_events(&model)
        } else {
            chat_events(&priced_model, include)
        };
        return sse(events, delay, cut);
    }
    if model == "no-usage" {
        return json(
            StatusCode::OK,
            r#"{"id":"x","object":"chat.completion","model":"gpt-4o-mini-2024-07-18","choices":[]}"#.into(),
        );
    }
    json(StatusCode::OK, json_body(&path, &priced_model))
}
