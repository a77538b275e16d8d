//! Bad input, table-driven: every case runs the binary on real files in a
//! temporary directory and asserts the exit code of the policy (README, "Exit
//! codes": 0 done, 1 partial, 2 usage or configuration, 3 failed), a message
//! that says what, where and what to do, no panic, and for commands that write
//! a ledger, a ledger unchanged or consistent.
//!
//! Placeholders: `{d}` is the case's temporary directory in arguments, files
//! and environment values.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What the ledger (`{d}/ledger.db`) must hold after the command.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Ledger {
    /// Not looked at.
    #[default]
    Unchecked,
    /// As many records as before (none and no file when it was not seeded).
    Unchanged,
    /// Exactly this many records.
    Records(u64),
}

#[derive(Debug, Default)]
struct Case {
    args: &'static [&'static str],
    /// Files to write first: (path under `{d}`, bytes).
    files: &'static [(&'static str, &'static [u8])],
    /// Symbolic links to make: (link under `{d}`, target).
    links: &'static [(&'static str, &'static str)],
    stdin: Option<&'static str>,
    env: &'static [(&'static str, &'static str)],
    code: i32,
    /// stderr contains each (what is wrong, where, what to do).
    says: &'static [&'static str],
    /// stdout contains each.
    prints: &'static [&'static str],
    /// Import [`SEED`] (one record) into the ledger first.
    seed: bool,
    ledger: Ledger,
}

/// One DeepSeek response body: 1M cache-miss input and 1M output tokens.
const SEED: &[u8] = br#"{"id":"seed-1","object":"chat.completion","created":1740830400,"model":"deepseek-chat","usage":{"prompt_tokens":1000000,"completion_tokens":1000000,"prompt_cache_hit_tokens":0,"prompt_cache_miss_tokens":1000000}}
"#;

/// A Claude Code assistant line (one record) and a user line (none).
const CLAUDE_USER: &[u8] = br#"{"parentUuid":null,"isSidechain":false,"sessionId":"s","type":"user","message":{"role":"user","content":"hi"},"uuid":"u1","timestamp":"2025-09-01T10:00:00.000Z"}"#;
const CLAUDE_A: &[u8] = br#"{"parentUuid":"u1","isSidechain":false,"sessionId":"s","message":{"id":"msg_A","type":"message","role":"assistant","model":"claude-sonnet-4-20250514","content":[],"usage":{"input_tokens":100,"cache_creation_input_tokens":200,"cache_read_input_tokens":1000,"output_tokens":10}},"requestId":"req_A","type":"assistant","uuid":"a1","timestamp":"2025-09-01T10:00:05.000Z"}"#;
const CLAUDE_B: &[u8] = br#"{"parentUuid":"a1","isSidechain":false,"sessionId":"s","message":{"id":"msg_B","type":"message","role":"assistant","model":"claude-sonnet-4-20250514","content":[],"usage":{"input_tokens":5,"output_tokens":7}},"requestId":"req_B","type":"assistant","uuid":"a2","timestamp":"2025-09-01T10:01:00.000Z"}"#;

macro_rules! cat {
    ($($part:expr),* $(,)?) => {{
        const PARTS: &[&[u8]] = &[$($part),*];
        const LEN: usize = {
            let mut n = 0;
            let mut i = 0;
            while i < PARTS.len() {
                n += PARTS[i].len();
                i += 1;
            }
            n
        };
        const OUT: [u8; LEN] = {
            let mut out = [0u8; LEN];
            let mut k = 0;
            let mut i = 0;
            while i < PARTS.len() {
                let mut j = 0;
                while j < PARTS[i].len() {
                    out[k] = PARTS[i][j];
                    k += 1;
                    j += 1;
                }
                i += 1;
            }
            out
        };
        &OUT
    }};
}

fn fill(s: &str, d: &Path) -> String {
    s.replace("{d}", &d.display().to_string())
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs the binary with a clean environment; kills it after 60 s.
fn exec(args: &[String], env: &[(String, String)], stdin: Option<&str>, cwd: &Path) -> Out {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_llmcost"));
    cmd.args(args)
        .current_dir(cwd)
        .env_clear()
        .env("TZ", "UTC")
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn llmcost");
    let mut input = child.stdin.take().expect("stdin");
    if let Some(s) = stdin {
        input.write_all(s.as_bytes()).expect("write stdin");
    }
    drop(input);
    let start = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("llmcost {args:?} did not finish in 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let o = child.wait_with_output().expect("output");
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// Records in the ledger, read with `report` (0 when there is no file).
fn records(d: &Path) -> Option<u64> {
    let l = d.join("ledger.db");
    if !l.exists() {
        return None;
    }
    let args: Vec<String> = ["report", "daily", "--ledger", &l.display().to_string()]
        .iter()
        .map(ToString::to_string)
        .chain(["--format".into(), "json".into()])
        .collect();
    let o = exec(&args, &[], None, d);
    let v: serde_json::Value = serde_json::from_str(&o.stdout)
        .unwrap_or_else(|e| panic!("report on the ledger ({e}): {}{}", o.stdout, o.stderr));
    v["totals"]["records"].as_u64()
}

fn check(c: &Case) {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    for (name, bytes) in c.files {
        let p = d.join(fill(name, d));
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        // Text gets its placeholders filled; binary files are written as they are.
        match std::str::from_utf8(bytes) {
            Ok(t) => std::fs::write(&p, fill(t, d)).expect("write file"),
            Err(_) => std::fs::write(&p, bytes).expect("write file"),
        }
    }
    for (link, target) in c.links {
        let p = d.join(link);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::os::unix::fs::symlink(fill(target, d), &p).expect("symlink");
    }
    let env: Vec<(String, String)> = c
        .env
        .iter()
        .map(|(k, v)| ((*k).to_string(), fill(v, d)))
        .collect();
    if c.seed {
        std::fs::write(d.join("seed.jsonl"), SEED).expect("seed");
        let args: Vec<String> = ["import", "seed.jsonl", "--ledger", "ledger.db"]
            .iter()
            .map(ToString::to_string)
            .collect();
        let o = exec(&args, &[], None, d);
        assert_eq!(o.code, 0, "seeding: {}", o.stderr);
    }
    let before = records(d);
    let args: Vec<String> = c.args.iter().map(|a| fill(a, d)).collect();
    let o = exec(&args, &env, c.stdin, d);
    let shown = format!(
        "llmcost {}\n--- exit {}\n--- stdout\n{}\n--- stderr\n{}",
        args.join(" "),
        o.code,
        o.stdout,
        o.stderr
    );
    assert_eq!(o.code, c.code, "exit code\n{shown}");
    for bad in ["panicked", "RUST_BACKTRACE", "stack backtrace"] {
        assert!(!o.stderr.contains(bad), "a panic\n{shown}");
    }
    if c.code >= 2 {
        assert!(o.stderr.starts_with("error: "), "an error line\n{shown}");
        assert!(o.stdout.is_empty(), "no data on stdout\n{shown}");
    }
    for s in c.says {
        let s = fill(s, d);
        assert!(o.stderr.contains(&s), "stderr should say `{s}`\n{shown}");
    }
    for s in c.prints {
        assert!(o.stdout.contains(s), "stdout should show `{s}`\n{shown}");
    }
    let after = records(d);
    match c.ledger {
        Ledger::Unchecked => {}
        Ledger::Unchanged => assert_eq!(after, before, "ledger changed\n{shown}"),
        Ledger::Records(n) => assert_eq!(after, Some(n), "ledger records\n{shown}"),
    }
}

macro_rules! cases {
    ($( $(#[$m:meta])* $name:ident { $($field:ident: $value:expr),* $(,)? } )*) => {
        $(
            #[test]
            $(#[$m])*
            fn $name() {
                check(&Case { $($field: $value,)* ..Case::default() });
            }
        )*
        /// Every case's name, to count them.
        const NAMES: &[&str] = &[$(stringify!($name)),*];
    };
}

#[test]
fn at_least_eighty_cases() {
    assert!(NAMES.len() >= 80, "{}", NAMES.len());
}

cases! {
    // ---- cost: flags and values ---------------------------------------------------
    cost_negative_tokens {
        args: &["cost", "--model", "gpt-4o", "--input", "-5"],
        code: 2, says: &["--input", "cannot be negative"],
    }
    cost_fractional_tokens {
        args: &["cost", "--model", "gpt-4o", "--output", "1.5"],
        code: 2, says: &["--output", "not a whole number", "write e.g. 1200"],
    }
    cost_tokens_beyond_u64 {
        args: &["cost", "--model", "gpt-4o", "--input", "99999999999999999999999"],
        code: 2, says: &["--input", "too large", "at most 18446744073709551615"],
    }
    cost_tokens_not_a_number {
        args: &["cost", "--model", "gpt-4o", "--input", "lots"],
        code: 2, says: &["--input", "not a whole number"],
    }
    cost_bad_at {
        args: &["cost", "--model", "gpt-4o", "--input", "1", "--at", "yesterday"],
        code: 2, says: &["invalid --at", "`yesterday` is not a time", "use RFC 3339"],
    }
    cost_at_month_13 {
        args: &["cost", "--model", "gpt-4o", "--input", "1", "--at", "2025-13-01"],
        code: 2, says: &["invalid --at", "2025-13-01", "use RFC 3339"],
    }
    cost_bad_currency {
        args: &["cost", "--model", "gpt-4o", "--input", "1", "--currency", "ZZ"],
        code: 2, says: &["invalid --currency", "not a currency code"],
    }
    cost_currency_not_listed {
        args: &["cost", "--model", "gpt-4o", "--input", "1", "--currency", "CNY", "--at", "2025-03-01"],
        code: 2, says: &["has no CNY price list", "hint: pass an exchange rate", "--fx USD=RATE"],
    }
    cost_fx_without_currency {
        args: &["cost", "--model", "gpt-4o", "--input", "1", "--fx", "0.9"],
        code: 2, says: &["--fx needs --currency"],
    }
    cost_fx_zero {
        args: &["cost", "--model", "gpt-4o", "--input", "1", "--currency", "EUR", "--fx", "0"],
        code: 2, says: &["--fx", "`0` must be greater than zero"],
    }
    cost_fx_negative {
        args: &["cost", "--model", "gpt-4o", "--input", "1", "--currency", "EUR", "--fx", "-1"],
        code: 2, says: &["--fx", "`-1` must be greater than zero"],
    }
    cost_fx_not_a_number {
        args: &["cost", "--model", "gpt-4o", "--input", "1", "--currency", "EUR", "--fx", "USD=abc"],
        code: 2, says: &["--fx", "`abc` is not a decimal number"],
    }
    cost_fx_bad_currency {
        args: &["cost", "--model", "gpt-4o", "--input", "1", "--currency", "EUR", "--fx", "U$=1"],
        code: 2, says: &["invalid --fx `U$=1`"],
    }
    cost_unknown_model {
        args: &["cost", "--model", "gpt-4oo", "--input", "1", "--at", "2025-03-01"],
        code: 2, says: &["unknown model `gpt-4oo`", "closest known: `gpt-4o"],
    }
    cost_empty_model {
        args: &["cost", "--model", "", "--input", "1"],
        code: 2, says: &["unknown model ``"],
    }
    cost_no_tokens {
        args: &["cost", "--model", "gpt-4o"],
        code: 2, says: &["no tokens given", "pass at least one of --input"],
    }
    cost_no_model {
        args: &["cost", "--input", "5"],
        code: 2, says: &["--model is required", "--usage FILE"],
    }
    cost_bad_service_tier {
        args: &["cost", "--model", "gpt-4o", "--input", "1", "--service-tier", "turbo"],
        code: 2, says: &["invalid --service-tier", "turbo"],
    }
    cost_tier_not_published {
        args: &["cost", "--model", "deepseek-chat", "--input", "1", "--batch", "--at", "2025-03-01"],
        code: 2, says: &["no batch price is published"],
    }
    cost_misspelt_flag {
        args: &["cost", "--model", "gpt-4o", "--inptu", "5"],
        code: 2, says: &["unexpected argument '--inptu'", "--input"],
    }
    cost_flag_without_value {
        args: &["cost", "--model", "gpt-4o", "--input"],
        code: 2, says: &["a value is required for '--input <N>'"],
    }
    cost_before_the_model_existed {
        args: &["cost", "--model", "gpt-5", "--input", "1", "--at", "2024-01-01"],
        code: 2, says: &["`gpt-5` has no price before 2025-08-07"],
    }

    // ---- cost --usage: files --------------------------------------------------------
    usage_missing_file {
        args: &["cost", "--usage", "{d}/nope.json"],
        code: 2, says: &["cannot read {d}/nope.json", "No such file"],
    }
    usage_a_directory {
        args: &["cost", "--usage", "{d}"],
        code: 3, says: &["cannot read {d}", "directory"],
    }
    usage_empty_file {
        args: &["cost", "--usage", "{d}/e.json"],
        files: &[("e.json", b"")],
        code: 3, says: &["{d}/e.json is empty", "expected a response body"],
    }
    usage_whitespace_only {
        args: &["cost", "--usage", "{d}/e.json"],
        files: &[("e.json", b" \n\r\n\t\n")],
        code: 3, says: &["{d}/e.json is empty"],
    }
    usage_binary_garbage {
        args: &["cost", "--usage", "{d}/g.bin"],
        files: &[("g.bin", b"\x00\x9f\xff\xfe\x01garbage\x00\n\x7f\x80\x81\n")],
        code: 3, says: &["{d}/g.bin:1:", "invalid JSON", "no record could be read"],
    }
    usage_truncated_body {
        args: &["cost", "--usage", "{d}/t.json"],
        files: &[("t.json", br#"{"id":"x","model":"gpt-4o","usage":{"prompt_tokens":1"#)],
        code: 3, says: &["{d}/t.json:1:", "EOF while parsing", "no record could be read"],
    }
    usage_no_usage_in_body {
        args: &["cost", "--usage", "-", "--model", "gpt-4o"],
        stdin: Some(r#"{"hello":"world"}"#),
        code: 3, says: &["<stdin>", "no token usage found", "expected an OpenAI"],
    }
    usage_stdin_garbage {
        args: &["cost", "--usage", "-"],
        stdin: Some("this is not json\n"),
        code: 3, says: &["<stdin>:1:", "invalid JSON"],
    }
    usage_negative_tokens_in_body {
        args: &["cost", "--usage", "{d}/n.json"],
        files: &[("n.json", br#"{"model":"gpt-4o","created":1740830400,"usage":{"prompt_tokens":-5,"completion_tokens":1}}"#)],
        code: 3, says: &["{d}/n.json", "prompt_tokens"],
    }
    usage_fractional_tokens_in_body {
        args: &["cost", "--usage", "{d}/n.json"],
        files: &[("n.json", br#"{"model":"gpt-4o","created":1740830400,"usage":{"prompt_tokens":1.5,"completion_tokens":1}}"#)],
        code: 3, says: &["{d}/n.json", "prompt_tokens"],
    }
    usage_huge_tokens_in_body {
        args: &["cost", "--usage", "{d}/n.json"],
        files: &[("n.json", br#"{"model":"gpt-4o","created":1740830400,"usage":{"prompt_tokens":1e30,"completion_tokens":1}}"#)],
        code: 3, says: &["{d}/n.json", "prompt_tokens"],
    }
    usage_body_without_model {
        args: &["cost", "--usage", "{d}/m.json"],
        files: &[("m.json", br#"{"created":1740830400,"usage":{"prompt_tokens":5,"completion_tokens":1}}"#)],
        code: 2, says: &["{d}/m.json", "names no model", "pass --model"],
    }
    usage_unknown_model_in_body {
        args: &["cost", "--usage", "{d}/m.json"],
        files: &[("m.json", br#"{"model":"gpt-9-imaginary","created":1740830400,"usage":{"prompt_tokens":5,"completion_tokens":1}}"#)],
        code: 2, says: &["unknown model `gpt-9-imaginary`"],
    }
    usage_jsonl_one_bad_line {
        args: &["cost", "--usage", "{d}/m.jsonl", "--format", "json"],
        files: &[("m.jsonl", cat!(SEED, b"{not json\n", SEED))],
        code: 1, says: &["warning: {d}/m.jsonl:2: skipped", "invalid JSON"],
        prints: &["\"issues\"", "\"line\": 2"],
    }
    usage_jsonl_unknown_model_is_unpriced {
        args: &["cost", "--usage", "{d}/m.jsonl", "--format", "json"],
        files: &[("m.jsonl", cat!(SEED, br#"{"model":"gpt-9-imaginary","created":1740830400,"usage":{"prompt_tokens":5,"completion_tokens":1}}"#, b"\n"))],
        code: 1, says: &["no price for `gpt-9-imaginary`", "hint:"],
        prints: &["\"unpriced\"", "`gpt-9-imaginary` has no price"],
    }
    usage_bom_is_fine {
        args: &["cost", "--usage", "{d}/b.json", "--format", "json"],
        files: &[("b.json", cat!(b"\xEF\xBB\xBF", SEED))],
        code: 0, prints: &["\"total\": \"1.37\""],
    }
    usage_crlf_lines_are_fine {
        args: &["cost", "--usage", "{d}/c.jsonl", "--format", "json"],
        files: &[("c.jsonl", cat!(br#"{"id":"a","created":1740830400,"model":"deepseek-chat","usage":{"prompt_tokens":1000000,"completion_tokens":0,"prompt_cache_hit_tokens":0,"prompt_cache_miss_tokens":1000000}}"#, b"\r\n", br#"{"id":"b","created":1740830400,"model":"deepseek-chat","usage":{"prompt_tokens":1000000,"completion_tokens":0,"prompt_cache_hit_tokens":0,"prompt_cache_miss_tokens":1000000}}"#, b"\r\n"))],
        // 2 × 1M input at 0.27 per 1M (2025-03-01, standard hours) = 0.54
        code: 0, prints: &["\"total\": \"0.54\""],
    }
    usage_created_in_year_5138 {
        args: &["cost", "--usage", "{d}/f.json"],
        files: &[("f.json", br#"{"model":"deepseek-chat","created":99999999999999,"usage":{"prompt_tokens":5,"completion_tokens":1}}"#)],
        code: 3, says: &["{d}/f.json", "created"],
    }

    // ---- estimate, blend, compare, forecast -----------------------------------------------
    estimate_share_above_one {
        args: &["estimate", "--model", "gpt-4o", "--total-tokens", "1000", "--input-share", "1.5"],
        code: 2, says: &["--input-share", "outside [0, 1]"],
    }
    estimate_share_divides_by_zero {
        args: &["estimate", "--model", "gpt-4o", "--total-tokens", "1000", "--input-share", "1/0"],
        code: 2, says: &["--input-share", "divides by zero"],
    }
    estimate_share_garbage {
        args: &["estimate", "--model", "gpt-4o", "--total-tokens", "1000", "--input-share", "most"],
        code: 2, says: &["--input-share", "use 1/3, 0.25 or 25%"],
    }
    estimate_negative_total {
        args: &["estimate", "--model", "gpt-4o", "--total-tokens", "-1000", "--input-share", "1/2"],
        code: 2, says: &["--total-tokens", "cannot be negative"],
    }
    estimate_negative_bill {
        args: &["estimate", "--model", "gpt-4o", "--total-tokens", "1000", "--input-share", "1/2", "--billed", "-3"],
        code: 2, says: &["--billed", "is negative"],
    }
    estimate_bill_not_an_amount {
        args: &["estimate", "--model", "gpt-4o", "--total-tokens", "1000", "--input-share", "1/2", "--billed", "3 dollars"],
        code: 2, says: &["--billed", "is not an amount"],
    }
    estimate_missing_required {
        args: &["estimate", "--model", "gpt-4o", "--input-share", "1/2"],
        code: 2, says: &["--total-tokens <N>", "required"],
    }
    blend_bad_ratio {
        args: &["blend", "--model", "gpt-4o", "--ratio", "3-1"],
        code: 2, says: &["--ratio", "is not IN:OUT (e.g. 3:1)"],
    }
    blend_zero_ratio {
        args: &["blend", "--model", "gpt-4o", "--ratio", "0:0"],
        code: 2, says: &["--ratio", "not both zero"],
    }
    blend_hit_rate_above_all {
        args: &["blend", "--model", "gpt-4o", "--ratio", "3:1", "--cache-hit-rate", "150%"],
        code: 2, says: &["--cache-hit-rate", "outside [0, 1]"],
    }
    blend_unknown_model {
        args: &["blend", "--model", "no-such-model-x", "--ratio", "3:1"],
        code: 2, says: &["unknown model `no-such-model-x`"],
    }
    compare_input_without_output {
        args: &["compare", "--model", "gpt-4o", "--input", "5"],
        code: 2, says: &["--output <N>", "required"],
    }
    compare_reference_not_compared {
        args: &["compare", "--model", "gpt-4o", "--model", "gpt-4o-mini", "--ratio", "3:1", "--reference", "o3"],
        code: 2, says: &["--reference `o3` is not one of the compared models", "add it with --model"],
    }
    forecast_zero_days {
        args: &["forecast", "--model", "gpt-4o", "--requests-per-day", "10", "--input", "1", "--output", "1", "--days", "0"],
        code: 2, says: &["--days must be at least 1"],
    }
    forecast_overflow {
        args: &["forecast", "--model", "gpt-4o", "--requests-per-day", "18446744073709551615", "--input", "2", "--output", "1"],
        code: 2, says: &["input tokens per day overflow"],
    }
    forecast_negative_days {
        args: &["forecast", "--model", "gpt-4o", "--requests-per-day", "10", "--input", "1", "--output", "1", "--days", "-3"],
        code: 2, says: &["invalid value '-3' for '--days <D>'"],
    }

    forecast_bad_hours {
        args: &["forecast", "--model", "gpt-4o", "--requests-per-day", "10", "--input", "1", "--output", "1", "--hours", "25:00-26:00"],
        code: 2, says: &["--hours", "`25:00` is not a time of day"],
    }
    forecast_bad_time_zone {
        args: &["forecast", "--model", "gpt-4o", "--requests-per-day", "10", "--input", "1", "--output", "1", "--tz", "Mars/Olympus"],
        code: 2, says: &["--tz: `Mars/Olympus` is not a time zone", "use an IANA name"],
    }
    forecast_from_and_at {
        args: &["forecast", "--model", "gpt-4o", "--requests-per-day", "10", "--input", "1", "--output", "1", "--from", "2025-03-01", "--at", "2025-03-01"],
        code: 2, says: &["give --from DATE or --at TIME, not both"],
    }

    // ---- prices ------------------------------------------------------------------------
    prices_no_match {
        args: &["prices", "zzzz-no-such-model"],
        code: 2, says: &["no model matches `zzzz-no-such-model`"],
    }
    prices_bad_at {
        args: &["prices", "gpt-4o", "--at", "soon"],
        code: 2, says: &["`soon` is not a time"],
    }
    prices_import_missing_file {
        args: &["prices", "import", "{d}/missing.json", "--output", "{d}/out.toml"],
        code: 2, says: &["cannot read {d}/missing.json"],
    }
    prices_import_undetectable {
        args: &["prices", "import", "{d}/x.json", "--output", "{d}/out.toml"],
        files: &[("x.json", b"[1, 2]")],
        code: 2, says: &["cannot tell whether this is a LiteLLM, OpenRouter or genai-prices price file", "hint: pass --format litellm"],
    }
    prices_import_truncated {
        args: &["prices", "import", "{d}/x.json", "--format", "litellm", "--output", "{d}/out.toml"],
        files: &[("x.json", br#"{"gpt-4o": {"input_cost_per_token": 0.0000025, "#)],
        code: 3, says: &["not a litellm price file", "line 1"],
    }

    // ---- report ------------------------------------------------------------------------
    report_missing_path {
        args: &["report", "daily", "{d}/nope"],
        code: 2, says: &["{d}/nope does not exist"],
    }
    report_unknown_source {
        args: &["report", "daily", "{d}/s.jsonl", "--source", "excel"],
        files: &[("s.jsonl", SEED)],
        code: 2, says: &["invalid --source", "unknown source format `excel`", "expected claude, codex"],
    }
    report_unknown_time_zone {
        args: &["report", "daily", "{d}/s.jsonl", "--tz", "Mars/Olympus"],
        files: &[("s.jsonl", SEED)],
        code: 2, says: &["Mars/Olympus"],
    }
    report_since_after_until {
        args: &["report", "daily", "{d}/s.jsonl", "--since", "2025-03-02", "--until", "2025-03-01"],
        files: &[("s.jsonl", SEED)],
        code: 2, says: &["--since", "is not before --until"],
    }
    report_bad_since {
        args: &["report", "daily", "{d}/s.jsonl", "--since", "last week"],
        files: &[("s.jsonl", SEED)],
        code: 2, says: &["--since", "`last week` is not a time"],
    }
    report_bad_currency {
        args: &["report", "daily", "{d}/s.jsonl", "--currency", "dollars"],
        files: &[("s.jsonl", SEED)],
        code: 2, says: &["--currency", "dollars"],
    }
    report_paths_and_ledger {
        args: &["report", "daily", "{d}/s.jsonl", "--ledger", "{d}/ledger.db"],
        files: &[("s.jsonl", SEED)],
        code: 2, says: &["not both", "hint: `llmcost import"],
    }
    // From the ledger, --source filters records by source (issue 13): the seed is `jsonl`.
    report_source_filters_the_ledger {
        args: &["report", "daily", "--source", "claude", "--ledger", "{d}/ledger.db"],
        seed: true,
        code: 0, prints: &["(no usage in this period)"],
        ledger: Ledger::Unchanged,
    }
    report_two_sources_with_paths {
        args: &["report", "daily", "{d}/s.jsonl", "--source", "jsonl", "--source", "csv"],
        files: &[("s.jsonl", SEED)],
        code: 2, says: &["--source names the format of the PATHs: give it once"],
    }
    report_claude_bad_line {
        args: &["report", "daily", "{d}/projects/p/s.jsonl", "--format", "json"],
        files: &[("projects/p/s.jsonl", cat!(CLAUDE_USER, b"\n", b"{\"message\":{\"usage\":\n", CLAUDE_A, b"\n"))],
        code: 1, says: &["{d}/projects/p/s.jsonl:2:", "everything else was counted"],
        prints: &["\"records\": 1"],
    }
    report_binary_garbage_as_jsonl {
        args: &["report", "daily", "{d}/g.jsonl", "--source", "jsonl"],
        files: &[("g.jsonl", b"\x00\x01\x02\xff\xfe\"usage\":\n\x89PNG\r\n\x1a\n")],
        code: 1, says: &["{d}/g.jsonl:1:", "could not be read"],
    }
    #[ignore = "a file that yields no record and no issue (garbage without `usage`) passes silently: reported to identity"]
    report_garbage_without_usage {
        args: &["report", "daily", "{d}/g.jsonl", "--source", "jsonl"],
        files: &[("g.jsonl", b"\x00\x01\x02\xff\xfe\n\x89PNG\r\n\x1a\n")],
        code: 1, says: &["{d}/g.jsonl"],
    }
    report_empty_file {
        args: &["report", "daily", "{d}/e.jsonl", "--source", "jsonl", "--format", "json"],
        files: &[("e.jsonl", b"")],
        code: 0, prints: &["\"records\": 0"],
    }
    report_empty_folder {
        args: &["report", "daily", "{d}/empty", "--format", "json"],
        files: &[("empty/readme.txt", b"nothing here")],
        code: 0, prints: &["\"records\": 0"],
    }
    report_crlf_claude_lines {
        args: &["report", "daily", "{d}/projects/p/s.jsonl", "--format", "json"],
        files: &[("projects/p/s.jsonl", cat!(CLAUDE_USER, b"\r\n", CLAUDE_A, b"\r\n", CLAUDE_B, b"\r\n"))],
        code: 0, prints: &["\"records\": 2"],
    }
    #[ignore = "llmcost-logs reads a byte-order mark as part of the first line: reported to identity"]
    report_bom_claude_lines {
        args: &["report", "daily", "{d}/projects/p/s.jsonl", "--format", "json"],
        files: &[("projects/p/s.jsonl", cat!(b"\xEF\xBB\xBF", CLAUDE_A, b"\n", CLAUDE_B, b"\n"))],
        code: 0, prints: &["\"records\": 2"],
    }
    report_last_line_being_written {
        args: &["report", "daily", "{d}/projects/p/s.jsonl", "--format", "json"],
        files: &[("projects/p/s.jsonl", cat!(CLAUDE_A, b"\n", b"{\"parentUuid\":\"a1\",\"message\":{\"id\":\"msg_B\",\"usa"))],
        code: 0, prints: &["\"records\": 1"],
    }
    report_symlink_loop_alone {
        args: &["report", "daily", "{d}/loop.jsonl"],
        links: &[("loop.jsonl", "{d}/loop.jsonl")],
        code: 1, says: &["{d}/loop.jsonl"],
    }
    report_symlink_loop_beside_a_good_file {
        args: &["report", "daily", "{d}/logs", "--source", "jsonl", "--format", "json"],
        files: &[("logs/good.jsonl", SEED)],
        links: &[("logs/loop.jsonl", "{d}/logs/loop.jsonl")],
        code: 1, says: &["{d}/logs/loop.jsonl"],
        prints: &["\"records\": 1"],
    }
    import_symlink_loop_beside_a_good_file {
        args: &["import", "{d}/logs", "--source", "jsonl", "--ledger", "{d}/ledger.db"],
        files: &[("logs/good.jsonl", SEED)],
        links: &[("logs/loop.jsonl", "{d}/logs/loop.jsonl")],
        code: 1, says: &["{d}/logs/loop.jsonl"],
        ledger: Ledger::Records(1),
    }
    usage_empty_array {
        args: &["cost", "--usage", "{d}/a.json", "--format", "json"],
        files: &[("a.json", b"[]")],
        code: 0, prints: &["\"records\": 0"],
    }
    report_unpriced_model {
        args: &["report", "daily", "{d}/u.jsonl", "--format", "json"],
        files: &[("u.jsonl", br#"{"model":"gpt-9-imaginary","created":1740830400,"usage":{"prompt_tokens":5,"completion_tokens":1}}
"#)],
        code: 1, says: &["no price for `gpt-9-imaginary`", "hint:"],
        prints: &["\"unpriced\"", "`gpt-9-imaginary` has no price"],
    }
    report_csv_bad_number {
        args: &["report", "daily", "{d}/u.csv", "--format", "json"],
        files: &[("u.csv", b"date,model,input,output\n2025-03-01,deepseek-chat,1000,10\n2025-03-01,deepseek-chat,lots,10\n")],
        code: 1, says: &["{d}/u.csv:3:"],
        prints: &["\"records\": 1"],
    }
    report_csv_smallest_unix_time {
        // Found by fuzzing (csv_file): i64::MIN as a Unix time overflowed.
        args: &["report", "daily", "{d}/u.csv", "--format", "json"],
        files: &[("u.csv", b"date,model,input,output\n-9223372036854775808,deepseek-chat,1,1\n2025-03-01,deepseek-chat,1000,10\n")],
        code: 1, says: &["{d}/u.csv:2:"],
        prints: &["\"records\": 1"],
    }
    report_csv_header_only {
        args: &["report", "daily", "{d}/u.csv", "--format", "json"],
        files: &[("u.csv", b"date,model,input,output\n")],
        code: 0, prints: &["\"records\": 0"],
    }
    report_csv_missing_fields {
        args: &["report", "daily", "{d}/u.csv", "--format", "json"],
        files: &[("u.csv", b"date,model,input,output\n2025-03-01,deepseek-chat,1000,10\n2025-03-01,deepseek-chat,1000\n")],
        code: 1, says: &["{d}/u.csv:3:"],
        prints: &["\"records\": 1"],
    }
    report_csv_year_2300 {
        args: &["report", "daily", "{d}/u.csv", "--format", "json"],
        files: &[("u.csv", b"date,model,input,output\n2025-03-01,deepseek-chat,1000,10\n2300-01-01,deepseek-chat,1000,10\n")],
        code: 1, says: &["{d}/u.csv:3:"],
        prints: &["\"records\": 1"],
    }
    report_codex_source_on_jsonl {
        args: &["report", "daily", "{d}/r.jsonl", "--source", "codex"],
        files: &[("r.jsonl", SEED)],
        code: 1, says: &["{d}/r.jsonl"],
    }
    report_mistyped_ledger {
        args: &["report", "daily", "--ledger", "{d}/ledgr.db"],
        seed: true,
        code: 2, says: &["{d}/ledgr.db"],
        ledger: Ledger::Unchanged,
    }
    report_shared_ids_are_distinct {
        args: &["report", "daily", "{d}/ds.jsonl", "--format", "json"],
        files: &[("ds.jsonl", br#"{"id":"chatcmpl-123","created":1740830400,"model":"deepseek-chat","usage":{"prompt_tokens":1000,"completion_tokens":10,"prompt_cache_hit_tokens":0,"prompt_cache_miss_tokens":1000}}
{"id":"chatcmpl-123","created":1740830460,"model":"deepseek-chat","usage":{"prompt_tokens":2000,"completion_tokens":20,"prompt_cache_hit_tokens":0,"prompt_cache_miss_tokens":2000}}
{"id":"","created":1740830520,"model":"deepseek-chat","usage":{"prompt_tokens":3000,"completion_tokens":30,"prompt_cache_hit_tokens":0,"prompt_cache_miss_tokens":3000}}
{"id":"","created":1740830580,"model":"deepseek-chat","usage":{"prompt_tokens":4000,"completion_tokens":40,"prompt_cache_hit_tokens":0,"prompt_cache_miss_tokens":4000}}
"#)],
        code: 0, prints: &["\"records\": 4"],
    }

    // ---- import: the ledger stays consistent ------------------------------------------------
    import_missing_path {
        args: &["import", "{d}/nope.jsonl", "--ledger", "{d}/ledger.db"],
        seed: true,
        code: 2, says: &["{d}/nope.jsonl does not exist"],
        ledger: Ledger::Unchanged,
    }
    import_unknown_source {
        args: &["import", "{d}/s.jsonl", "--source", "excel", "--ledger", "{d}/ledger.db"],
        files: &[("s.jsonl", SEED)],
        seed: true,
        code: 2, says: &["invalid --source", "unknown source format `excel`"],
        ledger: Ledger::Unchanged,
    }
    import_bad_currency {
        args: &["import", "{d}/s.jsonl", "--currency", "usd!", "--ledger", "{d}/ledger.db"],
        files: &[("s.jsonl", SEED)],
        seed: true,
        code: 2, says: &["invalid --currency"],
        ledger: Ledger::Unchanged,
    }
    import_garbage_only {
        args: &["import", "{d}/g.jsonl", "--source", "jsonl", "--ledger", "{d}/ledger.db"],
        files: &[("g.jsonl", b"\x00\xff garbage \"usage\": \nmore garbage\n")],
        seed: true,
        code: 1, says: &["{d}/g.jsonl:1:"],
        ledger: Ledger::Unchanged,
    }
    import_one_bad_line_among_good {
        args: &["import", "{d}/m.jsonl", "--ledger", "{d}/ledger.db"],
        files: &[("m.jsonl", br#"{"id":"x-1","created":1740830400,"model":"deepseek-chat","usage":{"prompt_tokens":10,"completion_tokens":1,"prompt_cache_hit_tokens":0,"prompt_cache_miss_tokens":10}}
{"id":"x-2","created":1740830430,"usage":{"prompt_tokens":
{"id":"x-3","created":1740830460,"model":"deepseek-chat","usage":{"prompt_tokens":20,"completion_tokens":2,"prompt_cache_hit_tokens":0,"prompt_cache_miss_tokens":20}}
"#)],
        seed: true,
        code: 1, says: &["{d}/m.jsonl:2:"],
        ledger: Ledger::Records(3),
    }
    import_truncated_last_line_waits {
        args: &["import", "{d}/projects/p/s.jsonl", "--ledger", "{d}/ledger.db"],
        files: &[("projects/p/s.jsonl", cat!(CLAUDE_A, b"\n", b"{\"parentUuid\":\"a1\",\"message\":{\"id\":\"msg_B\",\"usa"))],
        seed: true,
        code: 0,
        ledger: Ledger::Records(2),
    }
    import_crlf_lines {
        args: &["import", "{d}/projects/p/s.jsonl", "--ledger", "{d}/ledger.db"],
        files: &[("projects/p/s.jsonl", cat!(CLAUDE_USER, b"\r\n", CLAUDE_A, b"\r\n", CLAUDE_B, b"\r\n"))],
        seed: true,
        code: 0,
        ledger: Ledger::Records(3),
    }
    #[ignore = "llmcost-logs reads a byte-order mark as part of the first line: reported to identity"]
    import_bom_first_line {
        args: &["import", "{d}/projects/p/s.jsonl", "--ledger", "{d}/ledger.db"],
        files: &[("projects/p/s.jsonl", cat!(b"\xEF\xBB\xBF", CLAUDE_A, b"\n"))],
        seed: true,
        code: 0,
        ledger: Ledger::Records(2),
    }
    import_empty_file {
        args: &["import", "{d}/e.jsonl", "--source", "jsonl", "--ledger", "{d}/ledger.db"],
        files: &[("e.jsonl", b"")],
        seed: true,
        code: 0,
        ledger: Ledger::Unchanged,
    }
    import_export_not_json {
        args: &["import", "{d}/o.json", "--source", "openai-usage", "--ledger", "{d}/ledger.db"],
        files: &[("o.json", b"{\"object\": \"page\", \"data\": [")],
        seed: true,
        code: 1, says: &["{d}/o.json"],
        ledger: Ledger::Unchanged,
    }
    import_failed_leaves_no_ledger {
        args: &["import", "{d}/nope.jsonl", "--ledger", "{d}/ledger.db"],
        code: 2, says: &["{d}/nope.jsonl does not exist"],
        ledger: Ledger::Unchanged,
    }
    import_shared_ids_are_distinct {
        args: &["import", "{d}/ds.jsonl", "--ledger", "{d}/ledger.db"],
        files: &[("ds.jsonl", br#"{"id":"chatcmpl-123","created":1740830400,"model":"deepseek-chat","usage":{"prompt_tokens":1000,"completion_tokens":10,"prompt_cache_hit_tokens":0,"prompt_cache_miss_tokens":1000}}
{"id":"chatcmpl-123","created":1740830460,"model":"deepseek-chat","usage":{"prompt_tokens":2000,"completion_tokens":20,"prompt_cache_hit_tokens":0,"prompt_cache_miss_tokens":2000}}
{"id":"","created":1740830520,"model":"deepseek-chat","usage":{"prompt_tokens":3000,"completion_tokens":30,"prompt_cache_hit_tokens":0,"prompt_cache_miss_tokens":3000}}
{"id":"","created":1740830580,"model":"deepseek-chat","usage":{"prompt_tokens":4000,"completion_tokens":40,"prompt_cache_hit_tokens":0,"prompt_cache_miss_tokens":4000}}
"#)],
        seed: true,
        code: 0,
        ledger: Ledger::Records(5),
    }
    import_csv_missing_fields {
        args: &["import", "{d}/u.csv", "--ledger", "{d}/ledger.db"],
        files: &[("u.csv", b"date,model,input,output\n2025-03-01,deepseek-chat,1000,10\n2025-03-01,deepseek-chat,1000\n")],
        seed: true,
        code: 1, says: &["{d}/u.csv:3:"],
        ledger: Ledger::Records(2),
    }
    import_timestamp_out_of_range {
        args: &["import", "{d}/f.jsonl", "{d}/g.jsonl", "--ledger", "{d}/ledger.db"],
        files: &[
            ("f.jsonl", br#"{"id":"far","model":"deepseek-chat","created":99999999999999,"usage":{"prompt_tokens":5,"completion_tokens":1}}
"#),
            ("g.jsonl", br#"{"id":"near","model":"deepseek-chat","created":1740830400,"usage":{"prompt_tokens":5,"completion_tokens":1}}
"#),
        ],
        seed: true,
        code: 1, says: &["{d}/f.jsonl:1:"],
        ledger: Ledger::Records(2),
    }
    import_into_a_new_folder {
        // `import` creates the ledger (and its folder); read-only commands never do.
        args: &["import", "{d}/s.jsonl", "--ledger", "{d}/new-folder/ledger.db"],
        files: &[("s.jsonl", SEED)],
        code: 0, prints: &["new records:         1"],
    }

    // ---- reprice ------------------------------------------------------------------------
    reprice_currency_nobody_lists {
        args: &["reprice", "--currency", "XYZ", "--ledger", "{d}/ledger.db"],
        seed: true,
        code: 2, says: &["XYZ"],
        ledger: Ledger::Unchanged,
    }
    reprice_bad_currency_code {
        args: &["reprice", "--currency", "US", "--ledger", "{d}/ledger.db"],
        seed: true,
        code: 2, says: &["invalid --currency"],
        ledger: Ledger::Unchanged,
    }

    // ---- reconcile --------------------------------------------------------------------------
    reconcile_negative_amount {
        args: &["reconcile", "{d}/s.jsonl", "--billed", "-5"],
        files: &[("s.jsonl", SEED)],
        code: 2, says: &["--billed", "is negative"],
    }
    reconcile_missing_bill {
        args: &["reconcile", "{d}/s.jsonl", "--billed", "{d}/bill.csv"],
        files: &[("s.jsonl", SEED)],
        code: 2, says: &["--billed: `{d}/bill.csv` is neither an amount nor a readable file"],
    }
    reconcile_bill_bad_date {
        args: &["reconcile", "{d}/s.jsonl", "--billed", "{d}/bill.csv"],
        files: &[("s.jsonl", SEED), ("bill.csv", b"date,amount\n2025-03-01,1.37\n2025-02-30,1\n")],
        code: 3, says: &["{d}/bill.csv:3: date: `2025-02-30` is not a date", "hint: write dates as 2025-09-01"],
    }
    reconcile_bill_without_amount_column {
        args: &["reconcile", "{d}/s.jsonl", "--billed", "{d}/bill.csv"],
        files: &[("s.jsonl", SEED), ("bill.csv", b"date,total\n2025-03-01,1.37\n")],
        code: 3, says: &["{d}/bill.csv:1: the header has no `amount` column", "hint:"],
    }
    reconcile_bill_short_row {
        args: &["reconcile", "{d}/s.jsonl", "--billed", "{d}/bill.csv"],
        files: &[("s.jsonl", SEED), ("bill.csv", b"date,model,amount\n2025-03-01,1.37\n")],
        code: 3, says: &["{d}/bill.csv:2: 2 fields where the header has 3", "hint:"],
    }
    reconcile_bill_empty {
        args: &["reconcile", "{d}/s.jsonl", "--billed", "{d}/bill.csv"],
        files: &[("s.jsonl", SEED), ("bill.csv", b"")],
        code: 3, says: &["{d}/bill.csv:1: empty file", "hint:"],
    }
    reconcile_bill_header_only {
        args: &["reconcile", "{d}/s.jsonl", "--billed", "{d}/bill.csv"],
        files: &[("s.jsonl", SEED), ("bill.csv", b"date,amount\n")],
        code: 3, says: &["{d}/bill.csv: the bill has no lines", "hint:"],
    }
    reconcile_bill_truncated_json {
        args: &["reconcile", "{d}/s.jsonl", "--billed", "{d}/bill.json"],
        files: &[("s.jsonl", SEED), ("bill.json", b"[{\"date\":\"2025-03-01\",\"amount\":")],
        code: 3, says: &["{d}/bill.json:1:", "not valid JSON", "hint:"],
    }
    reconcile_bill_binary {
        args: &["reconcile", "{d}/s.jsonl", "--billed", "{d}/bill.csv"],
        files: &[("s.jsonl", SEED), ("bill.csv", b"date,amount\n\xff\xfe\x00\x01\n")],
        code: 3, says: &["{d}/bill.csv: not UTF-8 text (byte 12)", "hint:"],
    }
    reconcile_bill_year_2300 {
        args: &["reconcile", "{d}/s.jsonl", "--billed", "{d}/bill.json"],
        files: &[("s.jsonl", SEED), ("bill.json", b"[{\"date\":\"2300-01-01\",\"amount\":\"1\"}]")],
        code: 3, says: &["{d}/bill.json: not a bill: item 1: no `date` between 1970 and 2199"],
    }
    reconcile_bill_bad_start_time {
        args: &["reconcile", "{d}/s.jsonl", "--billed", "{d}/bill.json"],
        files: &[("s.jsonl", SEED), ("bill.json", b"{\"data\":[{\"start_time\":-9223372036854775808,\"results\":[]}]}")],
        code: 3, says: &["{d}/bill.json: not a bill: data[0]"],
    }
    reconcile_bill_mixed_currencies {
        args: &["reconcile", "{d}/s.jsonl", "--billed", "{d}/bill.csv"],
        files: &[("s.jsonl", SEED), ("bill.csv", b"date,amount,currency\n2025-03-01,1,USD\n2025-03-01,7,CNY\n")],
        code: 2, says: &["the bill mixes currencies (CNY, USD)", "--currency"],
    }
    reconcile_bill_bom_and_crlf_match {
        args: &["reconcile", "{d}/s.jsonl", "--billed", "{d}/bill.csv"],
        // 1M input at 0.27 + 1M output at 1.10 per 1M (DeepSeek, 2025-03-01 12:00 UTC) = 1.37
        files: &[("s.jsonl", SEED), ("bill.csv", b"\xEF\xBB\xBFdate,amount\r\n2025-03-01,1.37\r\n")],
        code: 0, prints: &["every line matches the bill"],
    }
    reconcile_bad_tolerance {
        args: &["reconcile", "{d}/s.jsonl", "--billed", "1.37", "--tolerance", "a bit"],
        files: &[("s.jsonl", SEED)],
        code: 2, says: &["--tolerance: `a bit` is not an amount or a percentage", "hint: e.g. `--tolerance 0.05`"],
    }
    reconcile_negative_tolerance {
        args: &["reconcile", "{d}/s.jsonl", "--billed", "1.37", "--tolerance", "-1%"],
        files: &[("s.jsonl", SEED)],
        code: 2, says: &["--tolerance"],
    }
    reconcile_gap_beyond_tolerance {
        args: &["reconcile", "{d}/s.jsonl", "--billed", "1.50", "--format", "json"],
        files: &[("s.jsonl", SEED)],
        // 1.37 recorded vs 1.50 billed: −0.13, beyond max(0.5% × 1.50, 0.01) = 0.01
        code: 1, prints: &["\"within_tolerance\": false", "\"tolerance\": \"0.01\""],
    }
    reconcile_gap_within_a_given_tolerance {
        args: &["reconcile", "{d}/s.jsonl", "--billed", "1.50", "--tolerance", "10%", "--format", "json"],
        files: &[("s.jsonl", SEED)],
        // 10% of 1.50 = 0.15 ≥ 0.13
        code: 0, prints: &["\"within_tolerance\": true", "\"tolerance\": \"0.15\""],
    }

    // ---- catalog files ----------------------------------------------------------------------
    user_catalog_broken_file_is_skipped {
        args: &["cost", "--model", "my-model", "--input", "1000000", "--at", "2025-03-01", "--format", "json"],
        env: &[("LLMCOST_CATALOG_DIR", "{d}/cat")],
        files: &[
            ("cat/a-broken.toml", b"[[model]]\nid = \"broken\"\nprice = [{ input = \"abc\", output = \"1\" }]\n"),
            ("cat/b-good.toml", b"[[model]]\nid = \"my-model\"\nprice = [{ input = \"0.5\", output = \"1.5\" }]\n"),
        ],
        // 1M × 0.5 per 1M = 0.5, priced by the good file
        code: 1, says: &["warning: user catalog file skipped: {d}/cat/a-broken.toml:3: field `input`", "hint: fix the file or move it out of {d}/cat"],
        prints: &["\"total\": \"0.5\""],
    }
    user_catalog_not_toml_at_all {
        args: &["cost", "--model", "gpt-4o", "--input", "1", "--at", "2025-03-01"],
        env: &[("LLMCOST_CATALOG_DIR", "{d}/cat")],
        files: &[("cat/junk.toml", b"\x00\x01\xff not toml [[[")],
        code: 1, says: &["user catalog file skipped", "{d}/cat/junk.toml", "hint:"],
    }
    user_catalog_folder_unaffected_with_flag {
        args: &["cost", "--model", "gpt-4o", "--input", "1", "--at", "2025-03-01", "--no-user-catalog"],
        env: &[("LLMCOST_CATALOG_DIR", "{d}/cat")],
        files: &[("cat/junk.toml", b"[[[")],
        code: 0,
    }
    explicit_catalog_broken {
        args: &["--catalog", "{d}/mine.toml", "cost", "--model", "gpt-4o", "--input", "1"],
        files: &[("mine.toml", b"[[model]]\nid = \"m\"\nprice = [{ input = \"-1\", output = \"1\" }]\n")],
        code: 2, says: &["invalid catalog file {d}/mine.toml:3", "field `input`", "hint: fix the file"],
    }
    explicit_catalog_missing {
        args: &["--catalog", "{d}/mine.toml", "cost", "--model", "gpt-4o", "--input", "1"],
        code: 2, says: &["cannot read catalog file {d}/mine.toml"],
    }
    bad_prefer {
        args: &["cost", "--prefer", "mine", "--model", "gpt-4o", "--input", "1"],
        code: 2, says: &["invalid --prefer"],
    }

    // ---- proxy: refused at start-up ----------------------------------------------------------
    proxy_bad_upstream {
        args: &["proxy", "--listen", "127.0.0.1:0", "--upstream", "x=not a url", "--ledger", "{d}/ledger.db"],
        code: 2, says: &["not a url"],
    }
    proxy_bad_budget {
        args: &["proxy", "--listen", "127.0.0.1:0", "--upstream", "x=http://127.0.0.1:9", "--budget", "global=lots", "--ledger", "{d}/ledger.db"],
        code: 2, says: &["global=lots"],
    }
    proxy_bad_listen {
        args: &["proxy", "--listen", "here", "--upstream", "x=http://127.0.0.1:9", "--ledger", "{d}/ledger.db"],
        code: 2, says: &["here"],
    }
    proxy_missing_config {
        args: &["proxy", "--config", "{d}/proxy.toml", "--ledger", "{d}/ledger.db"],
        code: 2, says: &["{d}/proxy.toml"],
    }
    proxy_config_not_toml {
        args: &["proxy", "--config", "{d}/proxy.toml", "--ledger", "{d}/ledger.db"],
        files: &[("proxy.toml", b"[[upstream\nname = ")],
        code: 2, says: &["invalid config"],
    }
    proxy_budget_in_a_currency_without_fx {
        args: &["proxy", "--listen", "127.0.0.1:0", "--upstream", "x=http://127.0.0.1:9", "--budget", "global=5EUR/day", "--ledger", "{d}/ledger.db"],
        code: 2, says: &["EUR", "--fx"],
    }
}
