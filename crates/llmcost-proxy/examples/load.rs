//! A self-contained load test of the proxy for paired before/after runs on a
//! machine without the anchors kit (nginx, wrk): a fixed-answer upstream, the
//! proxy (two serving threads, a real SQLite ledger, default writer settings)
//! and a keep-alive load generator, each its own process.
//!
//! ```sh
//! load upstream PORT                         # answers every POST with a chat JSON
//! load proxy PORT UPSTREAM_URL LEDGER SECS   # serves SECS seconds, prints the writer's totals
//! load run URL CONCURRENCY SECS              # POSTs for SECS s (1 s warm-up not counted)
//! ```
//! Used by `bench/proxy_paired.sh`.
#![expect(
    clippy::expect_used,
    clippy::print_stdout,
    reason = "a benchmark tool: a setup error ends it"
)]

use std::convert::Infallible;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;

const ANSWER: &str = r#"{"id":"chatcmpl-1","object":"chat.completion","created":1735689600,"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant","content":"Hello there!"},"finish_reason":"stop"}],"usage":{"prompt_tokens":58,"completion_tokens":52,"total_tokens":110}}"#;
const BODY: &str = r#"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}"#;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).expect("missing argument").clone();
    match arg(0).as_str() {
        "upstream" => upstream(arg(1).parse().expect("port")),
        "proxy" => proxy(
            arg(1).parse().expect("port"),
            &arg(2),
            &arg(3),
            arg(4).parse().expect("secs"),
        ),
        "run" => run(
            &arg(1),
            arg(2).parse().expect("concurrency"),
            arg(3).parse().expect("secs"),
        ),
        other => panic!("unknown mode {other}"),
    }
}

fn upstream(port: u16) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let l = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind");
        loop {
            let (s, _) = l.accept().await.expect("accept");
            let _ = s.set_nodelay(true);
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(
                    |req: http::Request<hyper::body::Incoming>| async move {
                        let _ = req.into_body().collect().await;
                        let mut r =
                            http::Response::new(Full::new(Bytes::from_static(ANSWER.as_bytes())));
                        r.headers_mut().insert(
                            http::header::CONTENT_TYPE,
                            http::HeaderValue::from_static("application/json"),
                        );
                        Ok::<_, Infallible>(r)
                    },
                );
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(s), svc)
                    .await;
            });
        }
    });
}

fn proxy(port: u16, upstream: &str, ledger: &str, secs: u64) {
    let file = llmcost_proxy::FileConfig {
        builtin_upstreams: Some(false),
        ..llmcost_proxy::FileConfig::default()
    };
    let cli = llmcost_proxy::CliOverrides {
        upstreams: vec![upstream.to_string()],
        ..llmcost_proxy::CliOverrides::default()
    };
    let settings = llmcost_proxy::Settings::resolve(&file, &cli, &|_| None).expect("settings");
    let ledger = llmcost_ledger_sqlite::SqliteLedger::open(ledger).expect("ledger");
    let proxy = llmcost_proxy::Proxy::start(settings, Box::new(ledger)).expect("start");
    let listener = std::net::TcpListener::bind(("127.0.0.1", port)).expect("bind");
    let report = llmcost_proxy::serve_threads(listener, proxy.state(), 2, async move {
        tokio::time::sleep(Duration::from_secs(secs)).await;
    })
    .expect("serve");
    println!("proxy: {report:?}");
}

fn run(url: &str, conc: usize, secs: u64) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let uri: http::Uri = format!("{url}/v1/chat/completions").parse().expect("url");
    let addr = uri.authority().expect("authority").to_string();
    let (count, mut lat) = rt.block_on(async move {
        let start = Instant::now();
        let warm = start + Duration::from_secs(1);
        let end = warm + Duration::from_secs(secs);
        let mut tasks = Vec::new();
        for _ in 0..conc {
            let addr = addr.clone();
            let uri = uri.clone();
            tasks.push(tokio::spawn(async move {
                let s = tokio::net::TcpStream::connect(&addr)
                    .await
                    .expect("connect");
                let _ = s.set_nodelay(true);
                let (mut tx, conn) = hyper::client::conn::http1::handshake(TokioIo::new(s))
                    .await
                    .expect("handshake");
                tokio::spawn(conn);
                let mut lat: Vec<u32> = Vec::new();
                loop {
                    let t = Instant::now();
                    if t >= end {
                        return lat;
                    }
                    let req = http::Request::post(uri.clone())
                        .header("host", "bench")
                        .header("content-type", "application/json")
                        .header("authorization", "Bearer sk-bench")
                        .body(Full::new(Bytes::from_static(BODY.as_bytes())))
                        .expect("request");
                    tx.ready().await.expect("ready");
                    let resp = tx.send_request(req).await.expect("response");
                    assert_eq!(resp.status(), 200);
                    let _ = resp.into_body().collect().await.expect("body");
                    if t >= warm {
                        lat.push(u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX));
                    }
                }
            }));
        }
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.expect("task"));
        }
        (all.len(), all)
    });
    lat.sort_unstable();
    let pct = |p: usize| lat.get(lat.len() * p / 100).copied().unwrap_or(0);
    println!(
        "requests {count} req/s {:.0} p50_us {} p99_us {}",
        count as f64 / secs as f64,
        pct(50),
        pct(99)
    );
}
