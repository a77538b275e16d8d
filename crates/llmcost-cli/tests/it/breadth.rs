//! The breadth layer and fresh prices: `prices generate-breadth`, `prices update`
//! with its default sources (served on 127.0.0.1), `prices status`, offline use.
#![expect(
    clippy::expect_used,
    reason = "test helpers fail the test on a setup error"
)]

use std::path::Path;
use std::process::Command;

use crate::Run;

fn fixture(name: &str) -> String {
    format!(
        "{}/../llmcost-price-import/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// Runs llmcost with the user catalog directory set to `dir` and the update
/// sources set to `sources`.
fn run(dir: &Path, sources: &str, args: &[&str]) -> Run {
    let o = Command::new(env!("CARGO_BIN_EXE_llmcost"))
        .args(args)
        .env_clear()
        .env("TZ", "UTC")
        .env("LLMCOST_CATALOG_DIR", dir)
        .env("LLMCOST_PRICE_SOURCES", sources)
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run llmcost");
    Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

fn ok(r: &Run) -> &str {
    assert_eq!(r.code, 0, "stderr: {}\nstdout: {}", r.stderr, r.stdout);
    &r.stdout
}

fn json(r: &Run) -> serde_json::Value {
    serde_json::from_str(ok(r)).expect("json")
}

fn sha256(text: &str) -> String {
    use sha2::Digest as _;
    let h = sha2::Sha256::digest(text.as_bytes());
    let hex: String = h.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// A genai-prices feed with one model no curated catalog will ever list:
/// $1 / $2 per MTok now, $3 / $4 from 2099-01-01.
const GENAI: &str = r#"[{"id": "acme", "name": "Acme", "models": [
  {"id": "acme-chat-9", "match": {"or": [{"equals": "acme-chat-9"}, {"starts_with": "acme-chat-9-"}]},
   "prices": [{"prices": {"input_mtok": 1, "output_mtok": 2}},
              {"constraint": {"start_date": "2099-01-01"}, "prices": {"input_mtok": 3, "output_mtok": 4}}]}
]}]"#;

#[test]
fn update_reads_the_default_sources_shows_the_diff_and_keeps_the_digest() {
    let d = tempfile::tempdir().expect("dir");
    let litellm = std::fs::read_to_string(fixture("litellm_small.json")).expect("fixture");
    let g = crate::serve_http(GENAI.to_string(), "data.json");
    let l = crate::serve_http(litellm.clone(), "model_prices_and_context_window.json");
    let sources = format!("{g},{l}");
    // No --from, not a terminal, no --yes: the diffs are shown, nothing is written.
    let r = run(d.path(), &sources, &["prices", "update"]);
    let out = ok(&r);
    assert!(out.contains("acme-chat-9"), "{out}");
    assert!(out.contains(&sha256(GENAI)), "{out}");
    assert!(out.contains("not written: pass --yes"), "{out}");
    assert!(!d.path().join("genai-prices.toml").exists());
    // With --yes: one file per source, each with the digest of what was read.
    let j = json(&run(
        d.path(),
        &sources,
        &["prices", "update", "--yes", "--json"],
    ));
    let reports = j.as_array().expect("one report per source");
    assert_eq!(reports.len(), 2);
    assert_eq!(reports[0]["format"], "genai-prices");
    assert_eq!(reports[0]["written"], true);
    assert_eq!(reports[0]["digest"], sha256(GENAI));
    assert_eq!(reports[1]["format"], "litellm");
    assert_eq!(reports[1]["digest"], sha256(&litellm));
    let file = std::fs::read_to_string(d.path().join("genai-prices.toml")).expect("written");
    assert!(file.contains(&format!("digest = \"{}\"", sha256(GENAI))));
    // The updated layer prices the model, with its dated period kept:
    // 1M in + 1M out = 1 + 2 = 3 now; 3 + 4 = 7 from 2099-01-01.
    let cost = |at: &str| {
        json(&run(
            d.path(),
            &sources,
            &[
                "cost",
                "--model",
                "acme-chat-9-mini",
                "--input",
                "1000000",
                "--output",
                "1000000",
                "--at",
                at,
                "--format",
                "json",
            ],
        ))
    };
    let now = cost("2098-12-31T23:59:59Z");
    assert_eq!(now["total"], "3");
    assert_eq!(now["price"]["catalog"], "imported:genai-prices.toml");
    assert_eq!(cost("2099-01-01T00:00:00Z")["total"], "7");
    // status shows the imported layers with their date and digest.
    let s = json(&run(
        d.path(),
        &sources,
        &["prices", "status", "--format", "json"],
    ));
    let layers = s["layers"].as_array().expect("layers");
    let imported = layers
        .iter()
        .find(|l| l["name"] == "genai-prices.toml")
        .expect("listed");
    assert_eq!(imported["layer"], "imported");
    assert_eq!(imported["age_days"], 0);
    assert_eq!(imported["digest"], sha256(GENAI));
    // Unchanged sources: nothing is rewritten.
    let r = run(d.path(), &sources, &["prices", "update"]);
    assert_eq!(
        ok(&r).matches("no price changed").count(),
        2,
        "{}",
        r.stdout
    );
}

#[test]
fn offline_the_built_in_layers_still_answer() {
    let d = tempfile::tempdir().expect("dir");
    // Nothing listens on port 9 here: the update fails, says so, exits 1.
    let r = run(
        d.path(),
        "http://127.0.0.1:9/data.json",
        &["prices", "update", "--yes"],
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("the layers already in place stay"),
        "{}",
        r.stdout
    );
    // genai-prices voyageai.yml: voyage-3.5 input $0.06 per MTok; 1M tokens = 0.06.
    let j = json(&run(
        d.path(),
        "",
        &[
            "cost",
            "--model",
            "voyage-3.5",
            "--input",
            "1000000",
            "--at",
            "2026-08-25T00:00:00Z",
            "--format",
            "json",
        ],
    ));
    assert_eq!(j["total"], "0.06");
    assert_eq!(j["price"]["catalog"], "breadth:genai-prices@2026-08-21");
    // An unknown name is an error with suggestions, never $0.
    let r = run(
        d.path(),
        "",
        &[
            "cost",
            "--model",
            "voyage-3.55x",
            "--input",
            "1000",
            "--at",
            "2026-08-25T00:00:00Z",
        ],
    );
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("unknown model"), "{}", r.stderr);
    assert!(r.stderr.contains("voyage-3.5"), "{}", r.stderr);
}

#[test]
fn status_warns_about_an_old_snapshot_and_a_calendar_running_out() {
    let d = tempfile::tempdir().expect("dir");
    // 2026-12-03: the genai-prices snapshot (2026-08-21) is 104 days old; the
    // cn-statutory calendar ends 2026-12-31, 28 days later.
    let j = json(&run(
        d.path(),
        "",
        &[
            "prices",
            "status",
            "--at",
            "2026-12-03T00:00:00Z",
            "--format",
            "json",
        ],
    ));
    let layers = j["layers"].as_array().expect("layers");
    let g = layers
        .iter()
        .find(|l| l["name"] == "genai-prices@2026-08-21")
        .expect("breadth listed");
    assert_eq!(g["layer"], "breadth");
    assert_eq!(g["age_days"], 104);
    let w = j["warnings"].to_string();
    assert!(w.contains("104 days old"), "{w}");
    assert!(w.contains("2026-12-31"), "{w}");
    // On the snapshot's day and well before the calendar ends: no warning about either.
    let j = json(&run(
        d.path(),
        "",
        &[
            "prices",
            "status",
            "--at",
            "2026-08-21T00:00:00Z",
            "--format",
            "json",
        ],
    ));
    assert_eq!(j["warnings"], serde_json::json!([]));
}

#[test]
fn generate_breadth_writes_loadable_files() {
    let d = tempfile::tempdir().expect("dir");
    let out = d.path().join("breadth");
    let r = run(
        d.path(),
        "",
        &[
            "prices",
            "generate-breadth",
            "--genai-prices",
            &fixture("genai_small.json"),
            "--genai-prices-date",
            "2026-08-21",
            "--litellm",
            &fixture("litellm_small.json"),
            "--litellm-date",
            "2025-07-20",
            "--out",
            &out.display().to_string(),
        ],
    );
    let text = ok(&r);
    assert!(text.contains("genai-prices.toml"), "{text}");
    let g = std::fs::read_to_string(out.join("genai-prices.toml")).expect("written");
    // claude-sonnet-5: $2 / $10 until 2026-09-01, then $3 / $15 (anthropic.yml).
    assert!(g.contains("until = \"2026-09-01T00:00:00Z\""));
    // DeepSeek's time-of-day prices cannot be modelled: skipped and listed.
    assert!(!g.contains("id = \"deepseek-chat\""));
    assert!(
        text.contains("deepseek-chat: a price depends on the time of day"),
        "{text}"
    );
    // `moderation` is free in genai-prices (`prices: {}`): priced at 0, and says so.
    assert!(g.contains("free: genai-prices lists no price"));
    let list = std::fs::read_to_string(out.join("genai-prices-current.txt")).expect("list");
    assert!(list.contains("anthropic claude-sonnet-5"));
}

#[test]
fn a_breadth_row_without_a_recorded_start_says_so() {
    let d = tempfile::tempdir().expect("dir");
    // genai-prices voyageai.yml: voyage-3.5 at $0.06 per MTok, no start date in the snapshot.
    let r = run(
        d.path(),
        "",
        &[
            "cost",
            "--model",
            "voyage-3.5",
            "--input",
            "1000000",
            "--at",
            "2026-08-25T00:00:00Z",
        ],
    );
    let out = ok(&r);
    assert!(out.contains("in force (start not recorded) → now"), "{out}");
    assert!(out.contains("breadth:genai-prices@2026-08-21"), "{out}");
}
