//! A small Chrome DevTools Protocol client for the dashboard's browser tests:
//! starts headless chromium, drives one page, and records every console
//! error, exception and network request it sees.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

pub type Res<T> = Result<T, String>;

/// The chromium binary: `$CHROMIUM`, else Debian's `/usr/bin/chromium`.
pub fn chromium_path() -> Res<String> {
    let p = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_string());
    if std::path::Path::new(&p).is_file() {
        Ok(p)
    } else {
        Err(format!(
            "chromium is not installed at {p}: run `bash .ci/chromium.sh` (Debian's chromium), or set CHROMIUM"
        ))
    }
}

pub struct Browser {
    child: Child,
    ws: WebSocket<MaybeTlsStream<TcpStream>>,
    next: u64,
    session: String,
    /// Every event seen, in order.
    pub events: Vec<Value>,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Browser {
    pub fn launch() -> Res<Browser> {
        let exe = chromium_path()?;
        let profile = tempfile::tempdir().map_err(|e| e.to_string())?;
        let mut cmd = Command::new(&exe);
        cmd.args([
            "--headless=new",
            "--disable-gpu",
            "--remote-debugging-port=0",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--disable-default-apps",
            "--disable-features=Translate,OptimizationHints,MediaRouter",
            "--metrics-recording-only",
            "--mute-audio",
            "--hide-scrollbars",
            "--window-size=1280,900",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()));
        // Root in containers (CI) cannot use the sandbox.
        if std::env::var("USER").as_deref() == Ok("root") || is_root() {
            cmd.arg("--no-sandbox");
        }
        cmd.arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {exe}: {e}"))?;
        let stderr = child.stderr.take().ok_or("no stderr")?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(u) = line.strip_prefix("DevTools listening on ") {
                    let _ = tx.send(u.trim().to_string());
                }
            }
        });
        let url = rx
            .recv_timeout(Duration::from_secs(30))
            .map_err(|_| "chromium did not print its DevTools address in 30 s".to_string())?;
        let (ws, _) = tungstenite::connect(url.as_str()).map_err(|e| e.to_string())?;
        if let MaybeTlsStream::Plain(s) = ws.get_ref() {
            s.set_read_timeout(Some(Duration::from_millis(50)))
                .map_err(|e| e.to_string())?;
        }
        let mut b = Browser {
            child,
            ws,
            next: 0,
            session: String::new(),
            events: Vec::new(),
            _profile: profile,
        };
        let t = b.send(None, "Target.createTarget", json!({"url": "about:blank"}))?;
        let target = t["targetId"].as_str().ok_or("no targetId")?.to_string();
        let s = b.send(
            None,
            "Target.attachToTarget",
            json!({"targetId": target, "flatten": true}),
        )?;
        b.session = s["sessionId"].as_str().ok_or("no sessionId")?.to_string();
        for m in [
            "Page.enable",
            "Runtime.enable",
            "Network.enable",
            "Log.enable",
        ] {
            b.call(m, json!({}))?;
        }
        Ok(b)
    }

    fn read_one(&mut self) -> Res<Option<Value>> {
        match self.ws.read() {
            Ok(Message::Text(t)) => serde_json::from_str(t.as_str())
                .map(Some)
                .map_err(|e| e.to_string()),
            Ok(_) => Ok(None),
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(e.to_string()),
        }
    }

    fn send(&mut self, session: Option<&str>, method: &str, params: Value) -> Res<Value> {
        self.next += 1;
        let id = self.next;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        self.ws
            .send(Message::text(msg.to_string()))
            .map_err(|e| e.to_string())?;
        let until = Instant::now() + Duration::from_secs(60);
        while Instant::now() < until {
            let Some(v) = self.read_one()? else { continue };
            if v["id"].as_u64() == Some(id) {
                if let Some(e) = v.get("error") {
                    return Err(format!("{method}: {e}"));
                }
                return Ok(v["result"].clone());
            }
            if v.get("method").is_some() {
                self.events.push(v);
            }
        }
        Err(format!("{method}: no answer in 60 s"))
    }

    /// A command on the page's session.
    pub fn call(&mut self, method: &str, params: Value) -> Res<Value> {
        let s = self.session.clone();
        self.send(Some(&s), method, params)
    }

    /// Reads events for `d`.
    pub fn pump(&mut self, d: Duration) -> Res<()> {
        let until = Instant::now() + d;
        while Instant::now() < until {
            if let Some(v) = self.read_one()?
                && v.get("method").is_some()
            {
                self.events.push(v);
            }
        }
        Ok(())
    }

    /// Opens `url` and waits for its load event.
    pub fn navigate(&mut self, url: &str) -> Res<()> {
        let before = self.events.len();
        self.call("Page.navigate", json!({"url": url}))?;
        self.wait_event("Page.loadEventFired", before, Duration::from_secs(20))
    }

    fn wait_event(&mut self, method: &str, from: usize, d: Duration) -> Res<()> {
        let until = Instant::now() + d;
        loop {
            if self.events[from..].iter().any(|e| e["method"] == method) {
                return Ok(());
            }
            if Instant::now() > until {
                return Err(format!("no {method} in {d:?}"));
            }
            if let Some(v) = self.read_one()?
                && v.get("method").is_some()
            {
                self.events.push(v);
            }
        }
    }

    /// The value of a JavaScript expression (promises awaited).
    pub fn eval(&mut self, expr: &str) -> Res<Value> {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expr, "returnByValue": true, "awaitPromise": true}),
        )?;
        if let Some(e) = r.get("exceptionDetails") {
            return Err(format!("{expr}: {e}"));
        }
        Ok(r["result"]["value"].clone())
    }

    /// Polls `expr` until it is truthy; returns how long that took.
    pub fn wait_for(&mut self, expr: &str, d: Duration) -> Res<Duration> {
        let start = Instant::now();
        loop {
            let v = self.eval(expr)?;
            if v.as_bool() == Some(true) {
                return Ok(start.elapsed());
            }
            if start.elapsed() > d {
                return Err(format!("`{expr}` still false after {d:?}"));
            }
            self.pump(Duration::from_millis(5))?;
        }
    }

    /// Waits for a new page load after an action (a form submitted by the script).
    pub fn wait_load_after(&mut self, from: usize) -> Res<()> {
        self.wait_event("Page.loadEventFired", from, Duration::from_secs(20))
    }

    /// A PNG of the whole page to `path`.
    pub fn screenshot(&mut self, path: &std::path::Path) -> Res<()> {
        let r = self.call(
            "Page.captureScreenshot",
            json!({"format": "png", "captureBeyondViewport": true}),
        )?;
        let data = base64::engine::general_purpose::STANDARD
            .decode(r["data"].as_str().ok_or("no screenshot data")?)
            .map_err(|e| e.to_string())?;
        if let Some(d) = path.parent() {
            std::fs::create_dir_all(d).map_err(|e| e.to_string())?;
        }
        std::fs::write(path, data).map_err(|e| e.to_string())
    }

    /// Emulates `prefers-color-scheme`.
    pub fn color_scheme(&mut self, scheme: &str) -> Res<()> {
        self.call(
            "Emulation.setEmulatedMedia",
            json!({"features": [{"name": "prefers-color-scheme", "value": scheme}]}),
        )
        .map(|_| ())
    }

    /// Console errors, uncaught exceptions and error log entries (CSP
    /// violations, failed loads) seen so far.
    pub fn errors(&self) -> Vec<String> {
        self.events
            .iter()
            .filter_map(|e| match e["method"].as_str()? {
                "Runtime.exceptionThrown" => Some(e["params"]["exceptionDetails"].to_string()),
                "Runtime.consoleAPICalled" if e["params"]["type"] == "error" => {
                    Some(e["params"]["args"].to_string())
                }
                "Log.entryAdded" if e["params"]["entry"]["level"] == "error" => {
                    Some(e["params"]["entry"].to_string())
                }
                _ => None,
            })
            .collect()
    }

    /// Every URL the page requested so far.
    pub fn requests(&self) -> Vec<String> {
        self.events
            .iter()
            .filter(|e| e["method"] == "Network.requestWillBeSent")
            .filter_map(|e| e["params"]["request"]["url"].as_str().map(str::to_string))
            .collect()
    }
}

fn is_root() -> bool {
    // `id -u` without libc: /proc/self/status lists the real uid.
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(1).map(|u| u == "0"))
        })
        .unwrap_or(false)
}
