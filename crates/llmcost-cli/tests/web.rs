//! `llmcost serve` and `proxy --dashboard` over HTTP: the API answers what
//! the CLI's `--format json` prints and matches docs/openapi.json; the server
//! is read-only, sends its security headers, and needs a token off loopback.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers fail loudly"
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_llmcost");

/// June 2025: gpt-4o-2024-08-06 (2.5 in / 10 out per 1M) and deepseek-chat.
const USAGE: &str = "date,model,input,output,cache_read
2025-06-01,gpt-4o-2024-08-06,1000000,100000,0
2025-06-02,gpt-4o-2024-08-06,500000,20000,100000
2025-06-03,deepseek-chat,3000000,100000,0
";

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn ledger(dir: &Path) -> String {
    let csv = dir.join("usage.csv");
    std::fs::write(&csv, USAGE).unwrap();
    let ledger = dir.join("ledger.db");
    let st = Command::new(BIN)
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
    assert_eq!(st.code(), Some(0));
    ledger.to_str().unwrap().to_string()
}

/// `llmcost serve ARGS --listen 127.0.0.1:0`; returns it and its address.
fn serve(args: &[&str]) -> (Killed, String) {
    let mut child = Command::new(BIN)
        .arg("serve")
        .args(args)
        .args(["--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .split_whitespace()
        .find_map(|w| w.strip_prefix("http://"))
        .expect("serve prints its URL")
        .trim_end_matches('/')
        .to_string();
    (Killed(child), addr)
}

struct Answer {
    status: u16,
    head: String,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }
}

fn request(addr: &str, method: &str, path: &str, headers: &[&str]) -> Answer {
    let mut s = TcpStream::connect(addr).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n");
    for h in headers {
        req.push_str(h);
        req.push_str("\r\n");
    }
    req.push_str("content-length: 0\r\n\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let raw = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap();
    // Bodies here are small: chunked encoding is undone by hand.
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        let mut out = String::new();
        let mut rest = body;
        while let Some((n, after)) = rest.split_once("\r\n") {
            let n = usize::from_str_radix(n.trim(), 16).unwrap_or(0);
            if n == 0 {
                break;
            }
            out.push_str(&after[..n]);
            rest = &after[n + 2..];
        }
        out
    } else {
        body.to_string()
    };
    Answer {
        status,
        head: head.to_string(),
        body,
    }
}

fn get(addr: &str, path: &str) -> Answer {
    request(addr, "GET", path, &[])
}

fn cli_json(args: &[&str]) -> Value {
    let out = Command::new(BIN).args(args).output().unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

fn openapi() -> Value {
    serde_json::from_str(include_str!("../../../docs/openapi.json")).unwrap()
}

fn resolve<'a>(doc: &'a Value, s: &'a Value) -> &'a Value {
    match s.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let name = r.trim_start_matches("#/components/schemas/");
            resolve(doc, &doc["components"]["schemas"][name])
        }
        None => s,
    }
}

fn type_ok(v: &Value, t: &str) -> bool {
    match t {
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        "object" => v.is_object(),
        "array" => v.is_array(),
        _ => false,
    }
}

/// Checks `v` against `schema`: types, required keys, no undocumented key
/// where `additionalProperties` is false, recursively.
fn check(doc: &Value, schema: &Value, v: &Value, at: &str, errs: &mut Vec<String>) {
    let s = resolve(doc, schema);
    if let Some(t) = s.get("type") {
        let ok = match t {
            Value::String(t) => type_ok(v, t),
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).any(|t| type_ok(v, t)),
            _ => true,
        };
        if !ok {
            errs.push(format!("{at}: {v} is not {t}"));
            return;
        }
    }
    if let Some(o) = v.as_object() {
        let props = s.get("properties").and_then(Value::as_object);
        for r in s["required"].as_array().into_iter().flatten() {
            let r = r.as_str().unwrap();
            if !o.contains_key(r) {
                errs.push(format!("{at}: required key `{r}` missing"));
            }
        }
        for (k, x) in o {
            match props.and_then(|p| p.get(k)) {
                Some(ps) => check(doc, ps, x, &format!("{at}.{k}"), errs),
                None if s.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    errs.push(format!("{at}: key `{k}` is not in the schema"));
                }
                None => {}
            }
        }
    }
    if let (Some(a), Some(items)) = (v.as_array(), s.get("items")) {
        for (i, x) in a.iter().enumerate() {
            check(doc, items, x, &format!("{at}[{i}]"), errs);
        }
    }
}

/// The example request of a documented GET.
fn example_url(path: &str, op: &Value) -> String {
    let mut url = path.to_string();
    let mut q = Vec::new();
    for p in op["parameters"].as_array().into_iter().flatten() {
        let name = p["name"].as_str().unwrap();
        let Some(ex) = p.get("example") else { continue };
        if p["in"] == "path" {
            url = url.replace(&format!("{{{name}}}"), ex.as_str().unwrap());
            continue;
        }
        match ex {
            Value::Array(vs) => {
                q.extend(vs.iter().map(|v| format!("{name}={}", v.as_str().unwrap())));
            }
            v => q.push(format!("{name}={}", v.as_str().unwrap())),
        }
    }
    if !q.is_empty() {
        url.push('?');
        url.push_str(&q.join("&"));
    }
    url
}

#[test]
fn every_documented_path_answers_and_matches_openapi() {
    let dir = tempfile::tempdir().unwrap();
    let l = ledger(dir.path());
    let (_s, addr) = serve(&["--ledger", &l]);
    let doc = openapi();
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 7);
    for (path, item) in paths {
        let op = &item["get"];
        let url = example_url(path, op);
        let a = get(&addr, &url);
        let documented = op["responses"].get(a.status.to_string());
        assert!(
            documented.is_some(),
            "{url}: status {} is not documented: {}",
            a.status,
            a.body
        );
        // Only the proxy has budgets; everything else answers 200 here.
        if path != "/api/budgets" {
            assert_eq!(a.status, 200, "{url}: {}", a.body);
        }
        assert_eq!(
            a.header("content-type").as_deref(),
            Some("application/json"),
            "{url}"
        );
        let v: Value = serde_json::from_str(&a.body).unwrap();
        let schema = &documented.unwrap()["content"]["application/json"]["schema"];
        let mut errs = Vec::new();
        check(&doc, schema, &v, path, &mut errs);
        assert!(errs.is_empty(), "{url}: {errs:#?}");
    }
}

#[test]
fn the_api_answers_exactly_what_the_cli_prints() {
    let dir = tempfile::tempdir().unwrap();
    let l = ledger(dir.path());
    let (_s, addr) = serve(&["--ledger", &l]);
    for (url, args) in [
        (
            "/api/report/daily?since=2025-06-01&until=2025-06-30&group=model",
            vec![
                "report",
                "daily",
                "--since",
                "2025-06-01",
                "--until",
                "2025-06-30",
                "--breakdown",
            ],
        ),
        (
            "/api/report/model?model=deepseek-chat",
            vec!["report", "model", "--model", "deepseek-chat"],
        ),
        (
            "/api/reconcile?billed=5",
            vec!["reconcile", "--billed", "5"],
        ),
    ] {
        let a = get(&addr, url);
        assert_eq!(a.status, 200, "{url}: {}", a.body);
        let mut cli = args.clone();
        cli.extend(["--format", "json", "--ledger", &l]);
        assert_eq!(
            serde_json::from_str::<Value>(&a.body).unwrap(),
            cli_json(&cli),
            "{url}"
        );
    }
    let a = get(
        &addr,
        "/api/compare?model=gpt-4o-2024-08-06&model=deepseek-chat&input=1000000&output=100000&at=2025-06-01T00:00:00Z",
    );
    let cli = cli_json(&[
        "compare",
        "--model",
        "gpt-4o-2024-08-06",
        "--model",
        "deepseek-chat",
        "--input",
        "1000000",
        "--output",
        "100000",
        "--at",
        "2025-06-01T00:00:00Z",
        "--format",
        "json",
    ]);
    assert_eq!(serde_json::from_str::<Value>(&a.body).unwrap(), cli);
    // gpt-4o-2024-08-06: 1,000,000 × 2.5/1M + 100,000 × 10/1M = 2.5 + 1 = 3.5 USD.
    let total = cli["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["model"] == "gpt-4o-2024-08-06")
        .unwrap()["total"]
        .clone();
    assert_eq!(total, "3.5");
    // The overview's total is the report's, to the last digit:
    // 3.5 + (500,000 × 2.5 + 100,000 × 1.25 + 20,000 × 10)/1M = 3.5 + 1.575 = 5.075 for gpt-4o.
    let page = get(&addr, "/?model=gpt-4o-2024-08-06");
    assert!(
        page.body
            .contains("<span data-testid=\"total-cost\">5.075</span>"),
        "{}",
        page.body
    );
    // The calculator on a model's page prices with the same engine.
    let page = get(
        &addr,
        "/prices/gpt-4o-2024-08-06?input=1000000&output=100000&requests_per_day=10&days=7",
    );
    let one = cli_json(&[
        "compare",
        "--model",
        "gpt-4o-2024-08-06",
        "--input",
        "1000000",
        "--output",
        "100000",
        "--format",
        "json",
    ]);
    let want = format!(
        "<dd data-testid=\"calc-request\">{} {}</dd>",
        one["rows"][0]["total"].as_str().unwrap(),
        one["rows"][0]["currency"].as_str().unwrap()
    );
    assert!(page.body.contains(&want), "{want} in {}", page.body);
    // A bad question is a 400 naming the problem; an unknown report too.
    let a = get(&addr, "/api/report/yearly");
    assert_eq!(a.status, 400);
    assert!(a.body.contains("unknown report `yearly`"), "{}", a.body);
    let a = get(&addr, "/api/prices?ledger=/etc/passwd");
    assert_eq!(a.status, 400);
    assert!(a.body.contains("unknown parameter `ledger`"), "{}", a.body);
    let a = get(&addr, "/api/reconcile?billed=/etc/passwd");
    assert_eq!(
        a.status, 400,
        "only amounts and bills given to serve: {}",
        a.body
    );
}

#[test]
fn read_only_with_security_headers() {
    let dir = tempfile::tempdir().unwrap();
    let l = ledger(dir.path());
    let (_s, addr) = serve(&["--ledger", &l]);
    for (m, p) in [
        ("POST", "/api/report/daily"),
        ("PUT", "/"),
        ("DELETE", "/api/prices"),
        ("PATCH", "/live"),
    ] {
        let a = request(&addr, m, p, &[]);
        assert_eq!(a.status, 405, "{m} {p}");
        assert_eq!(a.header("allow").as_deref(), Some("GET, HEAD"));
    }
    let a = request(&addr, "HEAD", "/", &[]);
    assert_eq!(a.status, 200);
    for path in [
        "/",
        "/live",
        "/prices",
        "/prices/deepseek-chat",
        "/reconcile",
        "/api/report/model",
        "/assets/app.js",
    ] {
        let a = get(&addr, path);
        assert_eq!(a.status, 200, "{path}");
        let csp = a.header("content-security-policy").unwrap();
        assert!(csp.contains("default-src 'self'"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(csp.contains("script-src 'self'"), "{csp}");
        assert_eq!(
            a.header("x-content-type-options").as_deref(),
            Some("nosniff")
        );
        assert_eq!(a.header("referrer-policy").as_deref(), Some("no-referrer"));
        if path.starts_with("/api/") || path.starts_with("/assets/") {
            continue;
        }
        // No inline script, no style attribute, nothing from elsewhere.
        assert!(!a.body.contains("<script>"), "{path}");
        assert!(!a.body.contains(" style="), "{path}");
        assert!(!a.body.contains("src=\"http"), "{path}");
        assert!(
            !a.body.contains("href=\"http") || path.starts_with("/prices"),
            "{path}"
        );
    }
    assert_eq!(get(&addr, "/nowhere").status, 404);
    // /live without a proxy says how to get one; its stream is 404.
    assert!(
        get(&addr, "/live")
            .body
            .contains("llmcost proxy --dashboard")
    );
    assert_eq!(get(&addr, "/live/events").status, 404);
}

#[test]
fn a_token_is_required_off_loopback_and_checked() {
    let out = Command::new(BIN)
        .args([
            "serve",
            "--listen",
            "0.0.0.0:0",
            "--ledger",
            "/nonexistent.db",
        ])
        .env_remove("LLMCOST_DASHBOARD_TOKEN")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not a loopback address") && err.contains("--token"),
        "{err}"
    );

    let dir = tempfile::tempdir().unwrap();
    let l = ledger(dir.path());
    let token = "0123456789abcdef0123";
    let file = dir.path().join("token");
    std::fs::write(&file, format!("{token}\n")).unwrap();
    let (_s, addr) = serve(&["--ledger", &l, "--token-file", file.to_str().unwrap()]);
    let a = get(&addr, "/api/report/model");
    assert_eq!(a.status, 401);
    assert!(!a.body.contains(token));
    assert_eq!(get(&addr, "/?token=wrong").status, 401);
    let a = request(
        &addr,
        "GET",
        "/api/report/model",
        &[&format!("authorization: Bearer {token}")],
    );
    assert_eq!(a.status, 200);
    // ?token= once: a cookie, and the URL without the token.
    let a = get(&addr, &format!("/?since=2025-06-01&token={token}"));
    assert_eq!(a.status, 303);
    assert_eq!(a.header("location").as_deref(), Some("/?since=2025-06-01"));
    let cookie = a.header("set-cookie").unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().unwrap().to_string();
    let a = request(
        &addr,
        "GET",
        "/?since=2025-06-01",
        &[&format!("cookie: {pair}")],
    );
    assert_eq!(a.status, 200);
    assert!(a.body.contains("data-testid=\"total-cost\""));
}

#[test]
fn proxy_dashboard_serves_pages_and_budgets_on_the_proxy_port() {
    let out = Command::new(BIN)
        .args([
            "proxy",
            "--dashboard",
            "--listen",
            "0.0.0.0:0",
            "--ledger",
            "/nonexistent/x.db",
        ])
        .env_remove("LLMCOST_DASHBOARD_TOKEN")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("proxy.db");
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let _p = Killed(
        Command::new(BIN)
            .args([
                "proxy",
                "--dashboard",
                "--listen",
                &addr,
                "--upstream",
                "http://127.0.0.1:9",
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
        assert!(start.elapsed() < Duration::from_secs(20));
        std::thread::sleep(Duration::from_millis(20));
    }
    let a = get(&addr, "/api/budgets");
    assert_eq!(a.status, 200, "{}", a.body);
    let v: Value = serde_json::from_str(&a.body).unwrap();
    let doc = openapi();
    let mut errs = Vec::new();
    check(
        &doc,
        &doc["components"]["schemas"]["Budgets"],
        &v,
        "budgets",
        &mut errs,
    );
    assert!(errs.is_empty(), "{errs:#?}");
    assert_eq!(v["budgets"][0]["scope"], "global");
    assert_eq!(v["budgets"][0]["limit"], "5");
    assert_eq!(v["budgets"][0]["spent"], "0");
    assert_eq!(get(&addr, "/live").status, 200);
    assert_eq!(
        get(&addr, "/health").status,
        200,
        "the proxy's own routes stay"
    );
    // Other paths are still proxied: the upstream is down, so 502.
    let a = request(
        &addr,
        "POST",
        "/v1/chat/completions",
        &["content-type: application/json"],
    );
    assert_eq!(a.status, 502, "{}", a.body);
}

#[test]
fn answers_follow_the_ledger_as_it_grows() {
    let dir = tempfile::tempdir().unwrap();
    let l = ledger(dir.path());
    let (_s, addr) = serve(&["--ledger", &l]);
    let total = |addr: &str| {
        let a = get(addr, "/api/report/model");
        let v: Value = serde_json::from_str(&a.body).unwrap();
        v["totals"]["cost"].as_str().unwrap().to_string()
    };
    let before = total(&addr);
    assert_eq!(before, total(&addr), "asked twice, one answer (kept)");
    // One more day: 1,000,000 input tokens of gpt-4o-2024-08-06 at 2.5/1M = 2.5 USD.
    let more = dir.path().join("more.csv");
    std::fs::write(
        &more,
        "date,model,input,output\n2025-06-10,gpt-4o-2024-08-06,1000000,0\n",
    )
    .unwrap();
    let st = Command::new(BIN)
        .args(["import", more.to_str().unwrap(), "--ledger", &l])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(st.code(), Some(0));
    let after = total(&addr);
    let cli = cli_json(&["report", "model", "--format", "json", "--ledger", &l]);
    assert_eq!(after, cli["totals"]["cost"].as_str().unwrap());
    let (b, a): (rust_decimal::Decimal, rust_decimal::Decimal) =
        (before.parse().unwrap(), after.parse().unwrap());
    assert_eq!(
        a - b,
        rust_decimal::Decimal::new(25, 1),
        "{before} -> {after}"
    );
}
