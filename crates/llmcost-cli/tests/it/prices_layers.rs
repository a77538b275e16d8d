//! User and imported catalogs: precedence, provenance, `prices import | which | update | diff`.
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

/// Runs llmcost with the user catalog directory set to `dir`.
fn run(dir: &Path, args: &[&str]) -> Run {
    let o = Command::new(env!("CARGO_BIN_EXE_llmcost"))
        .args(args)
        .env_clear()
        .env("TZ", "UTC")
        .env("LLMCOST_CATALOG_DIR", dir)
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

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// Paths and today's date replaced for snapshots.
fn scrub(s: &str, dir: &Path) -> String {
    let s = s.replace(&dir.display().to_string(), "[TMP]");
    let s = s.replace(&fixture(""), "[FIXTURES]/");
    let today = jiff::Timestamp::now().strftime("%Y-%m-%d").to_string();
    let s = s.replace(&today, "[TODAY]");
    // `[TODAY] 02:16:07 UTC` → `[TODAY] [TIME] UTC`; `output::when` writes a
    // whole minute without its seconds (`02:16 UTC`), once a minute.
    let mut out = String::with_capacity(s.len());
    let mut rest = s.as_str();
    while let Some(i) = rest.find("[TODAY] ") {
        let (head, tail) = rest.split_at(i + "[TODAY] ".len());
        out.push_str(head);
        let b = tail.as_bytes();
        if b.len() >= 8 && b[2] == b':' && b[5] == b':' {
            out.push_str("[TIME]");
            rest = &tail[8..];
        } else if b.len() >= 5 && b[2] == b':' {
            out.push_str("[TIME]");
            rest = &tail[5..];
        } else {
            rest = tail;
        }
    }
    out.push_str(rest);
    out
}

const MINE: &str =
    "[[model]]\nid = \"my-private-model\"\nprice = [{ input = \"0.5\", output = \"1.5\" }]\n";

#[test]
fn three_lines_of_my_own_price_an_unknown_model() {
    let d = tmp();
    std::fs::write(d.path().join("mine.toml"), MINE).expect("write");
    let r = run(
        d.path(),
        &[
            "cost",
            "--model",
            "my-private-model",
            "--at",
            "2025-03-01",
            "--input",
            "1000000",
            "--output",
            "2000000",
            "--format",
            "json",
        ],
    );
    let j: serde_json::Value = serde_json::from_str(ok(&r)).expect("json");
    // 1M × 0.5 + 2M × 1.5 per 1M = 3.5
    assert_eq!(j["total"], "3.5");
    assert_eq!(j["price"]["catalog"], "user:mine.toml");
    assert_eq!(j["price"]["source"], "user:mine.toml");
    // The table names the layer too.
    let r = run(
        d.path(),
        &[
            "cost",
            "--model",
            "my-private-model",
            "--at",
            "2025-03-01",
            "--input",
            "1000000",
        ],
    );
    assert!(ok(&r).contains("catalog: user:mine.toml"), "{}", r.stdout);
    // Built-in prices still say built-in, and are unchanged.
    let r = run(
        d.path(),
        &[
            "cost",
            "--model",
            "deepseek-chat",
            "--at",
            "2025-01-15T12:00:00Z",
            "--currency",
            "CNY",
            "--cache-read",
            "946816",
            "--input",
            "2753752",
            "--output",
            "3100977",
            "--format",
            "json",
        ],
    );
    let j: serde_json::Value = serde_json::from_str(ok(&r)).expect("json");
    assert_eq!(j["total"], "9.0503876");
    assert_eq!(j["price"]["catalog"], "built-in");
    // Without the directory the model is unknown, and says so.
    let r = run(
        d.path(),
        &[
            "cost",
            "--no-user-catalog",
            "--model",
            "my-private-model",
            "--input",
            "1",
        ],
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("unknown model `my-private-model`"),
        "{}",
        r.stderr
    );
}

#[test]
fn catalog_flag_files_win_over_the_directory() {
    let d = tmp();
    std::fs::write(d.path().join("mine.toml"), MINE).expect("write");
    let other = d.path().join("other.toml");
    std::fs::write(
        &other,
        "[[model]]\nid = \"my-private-model\"\nprice = [{ input = \"2\", output = \"3\" }]\n",
    )
    .expect("write");
    let r = run(
        d.path(),
        &[
            "cost",
            "--model",
            "my-private-model",
            "--input",
            "1000000",
            "--catalog",
            "other.toml",
            "--format",
            "json",
        ],
    );
    let j: serde_json::Value = serde_json::from_str(ok(&r)).expect("json");
    assert_eq!(j["total"], "2");
    assert_eq!(j["price"]["catalog"], "user:other.toml");
}

#[test]
fn invalid_user_file_names_file_line_and_field() {
    let d = tmp();
    std::fs::write(
        d.path().join("bad.toml"),
        "[[model]]\nid = \"m\"\n\n[[model.price]]\ninput = \"-1\"\noutput = \"2\"\n",
    )
    .expect("write");
    let r = run(d.path(), &["cost", "--model", "gpt-4o", "--input", "1"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("bad.toml:5") && r.stderr.contains("field `input`"),
        "{}",
        r.stderr
    );
}

#[test]
fn prices_query_still_works_beside_the_verbs() {
    let d = tmp();
    let r = run(d.path(), &["prices", "deepseek-chat", "--history"]);
    assert!(
        ok(&r).starts_with("deepseek-chat (deepseek)"),
        "{}",
        r.stdout
    );
    let r = run(d.path(), &["prices", "--history", "deepseek-chat"]);
    assert!(
        ok(&r).starts_with("deepseek-chat (deepseek)"),
        "{}",
        r.stdout
    );
    let r = run(d.path(), &["prices", "grok-2", "--format", "json"]);
    let j: serde_json::Value = serde_json::from_str(ok(&r)).expect("json");
    assert_eq!(j["models"][0]["current"][0]["catalog"], "built-in");
}

const OVERRIDE: &str = r#"[[model]]
id = "deepseek-chat"
[[model.price]]
from = "2025-03-01"
until = "2025-04-01"
currency = "USD"
input = "0.2"
output = "1"
source = "our contract 2025-03"
override = true

[[model.price]]
from = "2025-04-01"
until = "2025-05-01"
currency = "USD"
input = "0.01"
output = "0.01"
source = "a wish"

[[model]]
id = "my-finetune"
patterns = ["my-finetune-*"]
price = [{ from = "2025-01-01", input = "0.3", output = "1.2", source = "finance sheet" }]
"#;

#[test]
fn which_explains_override_precedence_and_patterns() {
    let d = tmp();
    std::fs::write(d.path().join("contract.toml"), OVERRIDE).expect("write");
    let r = run(
        d.path(),
        &[
            "prices",
            "which",
            "deepseek-chat",
            "--at",
            "2025-03-10T12:00:00Z",
        ],
    );
    insta::assert_snapshot!("which_override_table", ok(&r));
    let r = run(
        d.path(),
        &[
            "prices",
            "which",
            "deepseek-chat",
            "--at",
            "2025-04-10T12:00:00Z",
            "--format",
            "json",
        ],
    );
    let j: serde_json::Value = serde_json::from_str(ok(&r)).expect("json");
    // Without `override`, the built-in row wins; the user row is outranked.
    assert_eq!(j["price"]["catalog"], "built-in");
    let user = j["candidates"]
        .as_array()
        .expect("candidates")
        .iter()
        .find(|c| c["source"] == "a wish")
        .expect("user row listed");
    assert_eq!(user["status"], "outranked");
    assert_eq!(user["outcome"], "shadowed");
    // ...unless the user prefers their own rows.
    let r = run(
        d.path(),
        &[
            "prices",
            "which",
            "deepseek-chat",
            "--at",
            "2025-04-10T12:00:00Z",
            "--prefer",
            "user",
            "--format",
            "json",
        ],
    );
    let j: serde_json::Value = serde_json::from_str(ok(&r)).expect("json");
    assert_eq!(j["price"]["catalog"], "user:contract.toml");
    assert_eq!(j["prefer"], "user");
    // Cost in the override period: 1M input at 0.2.
    let r = run(
        d.path(),
        &[
            "cost",
            "--model",
            "deepseek-chat",
            "--at",
            "2025-03-10T12:00:00Z",
            "--currency",
            "USD",
            "--input",
            "1000000",
            "--format",
            "json",
        ],
    );
    let j: serde_json::Value = serde_json::from_str(ok(&r)).expect("json");
    assert_eq!(j["total"], "0.2");
    assert_eq!(j["price"]["catalog"], "user:contract.toml");
    // A pattern.
    let r = run(
        d.path(),
        &[
            "prices",
            "which",
            "my-finetune-v7",
            "--at",
            "2025-06-01",
            "--format",
            "json",
        ],
    );
    let j: serde_json::Value = serde_json::from_str(ok(&r)).expect("json");
    assert_eq!(j["resolved_model"], "my-finetune");
    assert_eq!(j["steps"][0]["kind"], "pattern");
    assert_eq!(j["steps"][0]["name"], "my-finetune-*");
}

#[test]
fn import_litellm_then_price_a_model_the_built_in_catalog_lacks() {
    let d = tmp();
    let r = run(
        d.path(),
        &[
            "prices",
            "import",
            &fixture("litellm_small.json"),
            "--format",
            "litellm",
            "--from",
            "2025-01-01",
        ],
    );
    insta::assert_snapshot!("import_litellm_table", scrub(ok(&r), d.path()));
    let written = d.path().join("litellm.toml");
    assert!(written.exists());
    // Kimi via its LiteLLM id without the routing prefix: 1M × 0.6 + 1M × 2.5 = 3.1.
    let r = run(
        d.path(),
        &[
            "cost",
            "--model",
            "kimi-k2-0711-preview",
            "--at",
            "2025-06-01",
            "--input",
            "1000000",
            "--output",
            "1000000",
            "--format",
            "json",
        ],
    );
    let j: serde_json::Value = serde_json::from_str(ok(&r)).expect("json");
    assert_eq!(j["total"], "3.1");
    assert_eq!(j["price"]["catalog"], "imported:litellm.toml");
    assert_eq!(j["resolved_model"], "moonshot/kimi-k2-0711-preview");
    // The built-in row still prices gpt-4o.
    let r = run(
        d.path(),
        &[
            "cost",
            "--model",
            "gpt-4o",
            "--at",
            "2025-06-01",
            "--input",
            "1000",
            "--format",
            "json",
        ],
    );
    let j: serde_json::Value = serde_json::from_str(ok(&r)).expect("json");
    assert_eq!(j["price"]["catalog"], "built-in");
}

#[test]
fn import_openrouter_json_report() {
    let d = tmp();
    let r = run(
        d.path(),
        &[
            "prices",
            "import",
            &fixture("openrouter_small.json"),
            "--output",
            "or.toml",
            "--json",
            "--from",
            "2025-01-01",
        ],
    );
    let j: serde_json::Value = serde_json::from_str(ok(&r)).expect("json");
    assert_eq!(j["format"], "openrouter");
    assert_eq!(j["models"], 14);
    assert_eq!(j["skipped"].as_array().map(Vec::len), Some(2));
    assert_eq!(j["unmapped"].as_array().map(Vec::len), Some(8));
    let r = run(
        d.path(),
        &[
            "cost",
            "--catalog",
            "or.toml",
            "--model",
            "qwen/qwen3-235b-a22b",
            "--input",
            "1000000",
            "--output",
            "1000000",
            "--format",
            "json",
        ],
    );
    let j: serde_json::Value = serde_json::from_str(ok(&r)).expect("json");
    // 0.13 + 0.6
    assert_eq!(j["total"], "0.73");
    assert_eq!(j["price"]["catalog"], "imported:or.toml");
}

#[test]
fn update_from_a_local_server_shows_the_diff_before_writing() {
    let d = tmp();
    let before = std::fs::read_to_string(fixture("litellm_small.json")).expect("fixture");
    let r = run(
        d.path(),
        &["prices", "import", &fixture("litellm_small.json")],
    );
    ok(&r);
    let after = before
        .replace(
            "\"output_cost_per_token\": 2.2e-06",
            "\"output_cost_per_token\": 2.5e-06",
        )
        .replace("\"dashscope/qwen-max\"", "\"dashscope/qwen-max-2026\"");
    let url = crate::serve_http(after, "model_prices_and_context_window.json");
    // Not a terminal and no --yes: shows the diff, writes nothing.
    let r = run(d.path(), &["prices", "update", "--from", &url]);
    let shown = scrub(ok(&r), d.path()).replace(&url, "[URL]");
    insta::assert_snapshot!("update_diff_table", shown);
    let file = std::fs::read_to_string(d.path().join("litellm.toml")).expect("file");
    assert!(file.contains("\"dashscope/qwen-max\""));
    // With --yes it writes.
    let r = run(
        d.path(),
        &["prices", "update", "--from", &url, "--yes", "--json"],
    );
    let j: serde_json::Value = serde_json::from_str(ok(&r)).expect("json");
    assert_eq!(j["written"], true);
    assert_eq!(j["diff"]["summary"]["dearer"], 1);
    assert_eq!(j["diff"]["summary"]["new"], 1);
    assert_eq!(j["diff"]["summary"]["gone"], 1);
    let file = std::fs::read_to_string(d.path().join("litellm.toml")).expect("file");
    assert!(file.contains("\"dashscope/qwen-max-2026\""));
    // Again: nothing changed, nothing written.
    let r = run(d.path(), &["prices", "update", "--from", &url]);
    assert!(ok(&r).contains("no price changed"), "{}", r.stdout);
}

#[test]
fn diff_two_catalog_files() {
    let d = tmp();
    std::fs::write(
        d.path().join("a.toml"),
        "[[model]]\nid = \"m1\"\nprice = [{ input = \"1\", output = \"2\" }]\n\
         [[model]]\nid = \"m2\"\nprice = [{ input = \"1\", output = \"2\" }]\n\
         [[model]]\nid = \"m3\"\nprice = [{ input = \"1\", output = \"2\" }]\n",
    )
    .expect("write");
    std::fs::write(
        d.path().join("b.toml"),
        "[[model]]\nid = \"m1\"\nprice = [{ input = \"0.5\", output = \"2\" }]\n\
         [[model]]\nid = \"m2\"\nprice = [{ input = \"0.5\", output = \"3\" }]\n\
         [[model]]\nid = \"m4\"\nprice = [{ input = \"1\", output = \"2\" }]\n",
    )
    .expect("write");
    let r = run(
        d.path(),
        &[
            "prices",
            "diff",
            "a.toml",
            "b.toml",
            "--at",
            "2025-01-01",
            "--no-user-catalog",
        ],
    );
    insta::assert_snapshot!("diff_table", ok(&r));
    let r = run(
        d.path(),
        &[
            "prices",
            "diff",
            "a.toml",
            "b.toml",
            "--at",
            "2025-01-01",
            "--format",
            "json",
        ],
    );
    let j: serde_json::Value = serde_json::from_str(ok(&r)).expect("json");
    assert_eq!(j["summary"]["cheaper"], 1);
    assert_eq!(j["summary"]["changed"], 1);
    assert_eq!(j["summary"]["new"], 1);
    assert_eq!(j["summary"]["gone"], 1);
    assert_eq!(j["rows"][0]["model"], "m1");
    assert_eq!(j["rows"][0]["after"]["input"], "0.5");
}

#[test]
fn import_and_prefer_errors_are_clear() {
    let d = tmp();
    let r = run(d.path(), &["prices", "import", "missing.json"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("cannot read missing.json"),
        "{}",
        r.stderr
    );
    std::fs::write(d.path().join("x.json"), "[1, 2]").expect("write");
    let r = run(d.path(), &["prices", "import", "x.json"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("hint: pass --format litellm"),
        "{}",
        r.stderr
    );
    let r = run(
        d.path(),
        &["prices", "import", "x.json", "--format", "litellm"],
    );
    assert_eq!(r.code, 3);
    assert!(
        r.stderr.contains("not a litellm price file"),
        "{}",
        r.stderr
    );
    let r = run(d.path(), &["prices", "import", "x.json", "--format", "csv"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("unknown price file format `csv`"),
        "{}",
        r.stderr
    );
    let r = run(
        d.path(),
        &[
            "cost", "--prefer", "mine", "--model", "gpt-4o", "--input", "1",
        ],
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("invalid --prefer"), "{}", r.stderr);
    let r = run(d.path(), &["prices", "which", "no-such-model-xyz"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("unknown model `no-such-model-xyz`"),
        "{}",
        r.stderr
    );
    // Nothing was written.
    assert!(!d.path().join("litellm.toml").exists());
}

/// `prices diff --format json` shows every rate: a row whose only change is the
/// 1-hour cache-write rate (or the reasoning rate) has different `before` and
/// `after` (the old diff JSON had no such keys, so both looked identical).
#[test]
fn diff_json_shows_a_change_of_the_one_hour_cache_write_rate() {
    let d = tmp();
    std::fs::write(
        d.path().join("a.toml"),
        "[[model]]\nid = \"m1\"\nprice = [{ input = \"3\", cache_write = \"3.75\", cache_write_1h = \"6\", output = \"15\" }]\n\
         [[model]]\nid = \"m2\"\nprice = [{ input = \"1\", output = \"2\", reasoning = \"4\" }]\n",
    )
    .expect("write");
    std::fs::write(
        d.path().join("b.toml"),
        "[[model]]\nid = \"m1\"\nprice = [{ input = \"3\", cache_write = \"3.75\", cache_write_1h = \"7.5\", output = \"15\" }]\n\
         [[model]]\nid = \"m2\"\nprice = [{ input = \"1\", output = \"2\", reasoning = \"5\" }]\n",
    )
    .expect("write");
    let r = run(
        d.path(),
        &[
            "prices",
            "diff",
            "a.toml",
            "b.toml",
            "--at",
            "2025-01-01",
            "--format",
            "json",
        ],
    );
    let j: serde_json::Value = serde_json::from_str(ok(&r)).expect("json");
    let rows = j["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 2, "{j}");
    let m1 = rows.iter().find(|x| x["model"] == "m1").expect("m1");
    assert_eq!(m1["before"]["cache_write_1h"], "6");
    assert_eq!(m1["after"]["cache_write_1h"], "7.5");
    assert_eq!(m1["before"]["cache_write"], m1["after"]["cache_write"]);
    assert_ne!(m1["before"], m1["after"]);
    let m2 = rows.iter().find(|x| x["model"] == "m2").expect("m2");
    assert_eq!(m2["before"]["reasoning"], "4");
    assert_eq!(m2["after"]["reasoning"], "5");
    // The shared rates object: the six text buckets always, modality keys only when
    // published (serde_json's map lists keys sorted).
    let keys: Vec<&str> = m1["after"]
        .as_object()
        .expect("rates")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "cache_read",
            "cache_write",
            "cache_write_1h",
            "input",
            "output",
            "reasoning"
        ]
    );
}
