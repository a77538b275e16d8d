//! Outbound security: HTTPS upstreams verified (an extra CA from `ca_file`),
//! `HTTPS_PROXY` honoured through a `CONNECT` tunnel (a tiny proxy on
//! 127.0.0.1), and calls forwarded only to configured upstreams.
//!
//! `tls/` holds a test CA (`ca.pem`) and a leaf certificate for `localhost`
//! and 127.0.0.1 signed by it (`leaf.pem`, `leaf.key`), made with openssl.

use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::mock::json_body;
use crate::{CHAT_COST, Harness, MemLedger, client, dec, post, settings_for};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/tls")
        .join(name)
}

/// An HTTPS upstream on 127.0.0.1 answering every call with the chat JSON.
async fn tls_upstream() -> u16 {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(fixture("leaf.pem"))
        .expect("leaf.pem")
        .collect::<Result<_, _>>()
        .expect("certs");
    let key = PrivateKeyDer::from_pem_file(fixture("leaf.key")).expect("leaf.key");
    let cfg = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(cfg));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let svc = hyper::service::service_fn(|_req| async {
                    let body = json_body("/v1/chat/completions", "gpt-4o-mini-2024-07-18");
                    let mut r = http::Response::new(Full::new(Bytes::from(body)));
                    r.headers_mut().insert(
                        http::header::CONTENT_TYPE,
                        http::HeaderValue::from_static("application/json"),
                    );
                    Ok::<_, Infallible>(r)
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), svc)
                    .await;
            });
        }
    });
    port
}

/// A `CONNECT` proxy on 127.0.0.1: records each request line, then tunnels.
async fn connect_proxy() -> (String, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let log = log.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut b = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    if client.read_exact(&mut b).await.is_err() {
                        return;
                    }
                    head.push(b[0]);
                }
                let head = String::from_utf8_lossy(&head).to_string();
                let line = head.lines().next().unwrap_or_default().to_string();
                log.lock().expect("lock").push(line.clone());
                let target = line.split(' ').nth(1).unwrap_or_default().to_string();
                let Ok(mut up) = tokio::net::TcpStream::connect(target).await else {
                    let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n").await;
                    return;
                };
                let _ = client
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .await;
                let _ = tokio::io::copy_bidirectional(&mut client, &mut up).await;
            });
        }
    });
    (url, seen)
}

fn settings_with(upstream: &str) -> llmcost_proxy::Settings {
    let mut s = settings_for("http://127.0.0.1:9");
    s.upstreams.push(
        llmcost_proxy::config::parse_upstream_arg(&format!("secure={upstream}"))
            .expect("upstream")
            .0,
    );
    s
}

#[tokio::test]
async fn an_https_upstream_is_verified_against_the_ca_file() {
    let port = tls_upstream().await;
    let url = format!("https://localhost:{port}");
    // Not signed by a trusted root: refused.
    let h = Harness::start(settings_with(&url)).await;
    let g = post(
        &client(),
        &format!("{}/secure/v1/chat/completions", h.url),
        "{}",
    )
    .await;
    assert_eq!(g.status, 502);
    let m = g.json()["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(m.contains("certificate"), "{m}");
    h.stop().await;
    // Trusted through --ca-file.
    let mut s = settings_with(&url);
    s.ca_file = Some(fixture("ca.pem"));
    let h = Harness::start(s).await;
    let g = post(
        &client(),
        &format!("{}/secure/v1/chat/completions", h.url),
        "{}",
    )
    .await;
    assert_eq!(g.status, 200);
    assert_eq!(h.ledger.wait_for(1).await[0].cost, Some(dec(CHAT_COST)));
    h.stop().await;
}

#[tokio::test]
async fn a_ca_file_without_certificates_is_a_start_up_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("empty.pem");
    std::fs::write(&p, "not a certificate\n").expect("write");
    let mut s = settings_with("https://localhost:1");
    s.ca_file = Some(p);
    let e =
        llmcost_proxy::Proxy::start(s, Box::new(MemLedger::default())).expect_err("no certificate");
    assert!(e.to_string().contains("holds no PEM certificate"), "{e}");
}

#[tokio::test]
async fn https_proxy_is_honoured_and_no_proxy_bypasses_it() {
    let port = tls_upstream().await;
    let (proxy_url, seen) = connect_proxy().await;
    let url = format!("https://localhost:{port}");
    let mut s = settings_with(&url);
    s.ca_file = Some(fixture("ca.pem"));
    s.outbound = llmcost_proxy::OutboundProxy {
        https_proxy: Some(proxy_url.clone()),
        no_proxy: None,
    };
    let h = Harness::start(s.clone()).await;
    let g = post(
        &client(),
        &format!("{}/secure/v1/chat/completions", h.url),
        "{}",
    )
    .await;
    assert_eq!(g.status, 200);
    assert_eq!(
        seen.lock().expect("lock").clone(),
        vec![format!("CONNECT localhost:{port} HTTP/1.1")]
    );
    // Plain-HTTP upstreams (the mock on 127.0.0.1) are never tunnelled.
    h.stop().await;
    s.outbound.no_proxy = Some("localhost".into());
    let h = Harness::start(s).await;
    let g = post(
        &client(),
        &format!("{}/secure/v1/chat/completions", h.url),
        "{}",
    )
    .await;
    assert_eq!(g.status, 200);
    assert_eq!(seen.lock().expect("lock").len(), 1, "NO_PROXY: direct");
    h.stop().await;
}

/// A request in absolute form naming another host still goes to the
/// configured upstream: the proxy forwards only where it is told to.
#[tokio::test]
async fn absolute_form_requests_go_only_to_configured_upstreams() {
    let (up, mock) = crate::mock::start().await;
    let elsewhere = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let other = elsewhere.local_addr().expect("addr");
    let h = Harness::start(settings_for(&up)).await;
    let addr = h.url.trim_start_matches("http://").to_string();
    let mut tcp = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    let body = r#"{"model":"gpt-4o-mini-2024-07-18"}"#;
    let req = format!(
        "POST http://{other}/v1/chat/completions HTTP/1.1\r\nHost: {other}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    tcp.write_all(req.as_bytes()).await.expect("write");
    let mut resp = Vec::new();
    tcp.read_to_end(&mut resp).await.expect("read");
    assert!(
        resp.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&resp)
    );
    // The default upstream (the mock) got it, with its own Host.
    let seen = mock.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].headers["host"], up.trim_start_matches("http://"));
    let accepted =
        tokio::time::timeout(std::time::Duration::from_millis(200), elsewhere.accept()).await;
    assert!(accepted.is_err(), "the other host was contacted");
    h.stop().await;
}
