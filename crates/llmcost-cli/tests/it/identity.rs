//! Issue 11's reproducers for record identity and failure isolation in
//! `import`, `report` and `reprice`: nothing lost, nothing counted twice.

use std::path::{Path, PathBuf};

use llmcost_ledger::{Filter, Ledger};
use llmcost_ledger_sqlite::SqliteLedger;
use serde_json::Value;

use crate::{Run, llmcost};

/// Four DeepSeek bodies: two reuse the id `chatcmpl-123`, two have an empty
/// id; times (2025-01-10T10:00Z + 0..3 min) and usage differ.
///
/// deepseek-chat from 2024-12-26 to 2025-02-08 (USD per 1M): input (cache
/// miss) 0.14, cache hit 0.014, output 0.28:
/// 1. 6000×0.14 + 4000×0.014 + 2000×0.28 = 840 + 56 + 560 = 1456 → 0.001456
/// 2. 20000×0.14 + 0 + 5000×0.28 = 2800 + 1400 = 4200 → 0.0042
/// 3. 20000×0.14 + 10000×0.014 + 1000×0.28 = 2800 + 140 + 280 = 3220 → 0.00322
/// 4. 0 + 5000×0.014 + 10000×0.28 = 70 + 2800 = 2870 → 0.00287
///
/// Total 11746 per 1M = 0.011746 USD (the old keys kept 1 and 3: 0.004676).
const DEEPSEEK_FOUR: &str = concat!(
    r#"{"id":"chatcmpl-123","object":"chat.completion","created":1736503200,"model":"deepseek-chat","usage":{"prompt_tokens":10000,"completion_tokens":2000,"prompt_cache_hit_tokens":4000,"prompt_cache_miss_tokens":6000}}"#,
    "\n",
    r#"{"id":"chatcmpl-123","object":"chat.completion","created":1736503260,"model":"deepseek-chat","usage":{"prompt_tokens":20000,"completion_tokens":5000,"prompt_cache_hit_tokens":0,"prompt_cache_miss_tokens":20000}}"#,
    "\n",
    r#"{"id":"","object":"chat.completion","created":1736503320,"model":"deepseek-chat","usage":{"prompt_tokens":30000,"completion_tokens":1000,"prompt_cache_hit_tokens":10000,"prompt_cache_miss_tokens":20000}}"#,
    "\n",
    r#"{"id":"","object":"chat.completion","created":1736503380,"model":"deepseek-chat","usage":{"prompt_tokens":5000,"completion_tokens":10000,"prompt_cache_hit_tokens":5000,"prompt_cache_miss_tokens":0}}"#,
    "\n",
);

struct Dir(tempfile::TempDir);

impl Dir {
    fn new() -> Dir {
        Dir(tempfile::tempdir().expect("tmp"))
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.path().join(name)
    }
    fn write(&self, name: &str, text: &str) -> String {
        let p = self.path(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&p, text).expect("write");
        p.display().to_string()
    }
    fn ledger(&self) -> String {
        self.path("ledger.db").display().to_string()
    }
    fn import(&self, paths: &[&str]) -> Run {
        let ledger = self.ledger();
        let mut args = vec!["import", "--ledger", &ledger, "--format", "json"];
        args.extend_from_slice(paths);
        llmcost(&args)
    }
}

fn json(r: &Run) -> Value {
    serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\nstderr: {}", r.stdout, r.stderr))
}

fn total(v: &Value) -> (u64, String) {
    (
        v["totals"]["records"].as_u64().expect("records"),
        v["totals"]["cost"].as_str().expect("cost").to_string(),
    )
}

fn ledger_report(d: &Dir) -> Run {
    let ledger = d.ledger();
    llmcost(&["report", "daily", "--ledger", &ledger, "--format", "json"])
}

#[test]
fn responses_sharing_an_id_or_with_an_empty_one_are_all_counted() {
    let d = Dir::new();
    let f = d.write("ds.jsonl", DEEPSEEK_FOUR);
    let r = llmcost(&["report", "daily", &f, "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(total(&json(&r)), (4, "0.011746".into()));

    let r = d.import(&[&f]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = json(&r);
    assert_eq!(
        (v["records_new"].as_u64(), v["duplicates"].as_u64()),
        (Some(4), Some(0))
    );
    let r = ledger_report(&d);
    assert_eq!(total(&json(&r)), (4, "0.011746".into()));
    // The same file again (copied elsewhere): every record is already stored.
    let g = d.write("copy/ds.jsonl", DEEPSEEK_FOUR);
    let v = json(&d.import(&[&g]));
    assert_eq!(
        (v["records_new"].as_u64(), v["duplicates"].as_u64()),
        (Some(0), Some(4))
    );
}

const HEADER: &str = "date,model,input_tokens,output_tokens\n";

/// gpt-4o input: 2.50 USD per 1M, so a row of 1,000,000 input tokens costs 2.5.
fn row(day: u32) -> String {
    format!("2025-03-{day:02},gpt-4o,1000000,0\n")
}

#[test]
fn a_re_exported_csv_adds_only_its_new_row() {
    let d = Dir::new();
    let f = d.write("export.csv", &format!("{HEADER}{}{}", row(1), row(2)));
    let v = json(&d.import(&[&f]));
    assert_eq!(v["records_new"], 2);
    // Re-exported newest first with one more row, at the same path.
    d.write(
        "export.csv",
        &format!("{HEADER}{}{}{}", row(3), row(2), row(1)),
    );
    let v = json(&d.import(&[&f]));
    assert_eq!(v["files_reread"], 1);
    assert_eq!(
        (v["records_new"].as_u64(), v["duplicates"].as_u64()),
        (Some(1), Some(2))
    );
    // 3 rows × 2.5 = 7.5 (12.5 when every row was stored again).
    assert_eq!(total(&json(&ledger_report(&d))), (3, "7.5".into()));
    // An appended row, read from where the last import stopped.
    d.write(
        "export.csv",
        &format!("{HEADER}{}{}{}{}", row(3), row(2), row(1), row(1)),
    );
    let v = json(&d.import(&[&f]));
    assert_eq!(
        (v["lines"].as_u64(), v["records_new"].as_u64()),
        (Some(1), Some(1))
    );
    // The repeated row of 03-01 is a second record: 4 × 2.5 = 10.
    assert_eq!(total(&json(&ledger_report(&d))), (4, "10".into()));
}

#[test]
fn a_time_outside_1970_to_2199_is_a_bad_line_that_blocks_nothing() {
    let d = Dir::new();
    let bad = d.write(
        "in/bad.csv",
        &format!("{HEADER}2300-01-01,gpt-4o,1000000,0\n{}", row(1)),
    );
    let good = d.write("in/good.csv", &format!("{HEADER}{}", row(2)));
    let ledger = d.ledger();
    let r = llmcost(&["import", "--ledger", &ledger, &bad, &good]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("bad.csv:2:") && r.stderr.contains("outside 1970–2199"),
        "{}",
        r.stderr
    );
    // The next import goes on as usual.
    let more = d.write("in/more.csv", &format!("{HEADER}{}", row(3)));
    let r = llmcost(&["import", "--ledger", &ledger, &bad, &good, &more]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // The three good rows are stored; the year-2300 row is nowhere.
    assert_eq!(total(&json(&ledger_report(&d))), (3, "7.5".into()));
    let dir = d.path("in").display().to_string();
    let r = llmcost(&["report", "monthly", &dir, "--format", "json"]);
    assert_eq!(r.code, 1);
    let v = json(&r);
    assert_eq!(
        v["rows"].as_array().map(Vec::len),
        Some(1),
        "no row for 2300"
    );
    assert_eq!(v["rows"][0]["period"], "2025-03");
    assert_eq!(v["issues"]["first"][0]["line"], 2);
}

#[test]
fn csv_rows_with_missing_or_extra_fields_are_reported() {
    let d = Dir::new();
    let f = d.write(
        "short.csv",
        &format!(
            "{HEADER}2025-03-01,gpt-4o,1000000\n2025-03-02,gpt-4o,1,2,3\n{}",
            row(3)
        ),
    );
    let r = llmcost(&["report", "daily", &f]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains(
            "short.csv:2: the row has 3 fields but the header has 4: skipped; fix the row"
        ) && r.stderr.contains("short.csv:3: the row has 5 fields"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_wrong_source_says_so() {
    let d = Dir::new();
    let f = d.write("ds.jsonl", DEEPSEEK_FOUR);
    let r = llmcost(&["report", "daily", &f, "--source", "codex"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("no Codex CLI record in 4 lines")
            && r.stderr
                .contains("looks like a `jsonl` file; check `--source`"),
        "{}",
        r.stderr
    );
}

#[cfg(unix)]
#[test]
fn a_symlink_loop_is_skipped_and_named() {
    let d = Dir::new();
    d.write("logs/ds.jsonl", DEEPSEEK_FOUR);
    std::os::unix::fs::symlink(d.path("logs"), d.path("logs/loop")).expect("symlink");
    let logs = d.path("logs").display().to_string();
    let r = llmcost(&["report", "daily", &logs, "--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("symlink loop"), "{}", r.stderr);
    assert_eq!(total(&json(&r)), (4, "0.011746".into()));
    let r = d.import(&[&logs]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = json(&r);
    assert_eq!(v["records_new"], 4);
    assert!(
        v["failed_files"][0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("symlink loop")),
        "{v}"
    );
}

#[test]
fn read_only_commands_never_create_a_ledger() {
    let d = Dir::new();
    let missing = d.path("typo/ledger.db").display().to_string();
    let r = llmcost(&["report", "daily", "--ledger", &missing]);
    assert_ne!(r.code, 0);
    assert!(
        r.stderr
            .contains(&format!("there is no ledger at {missing}"))
            && r.stderr.contains("run `llmcost import`"),
        "{}",
        r.stderr
    );
    assert!(r.stdout.is_empty());
    let r = llmcost(&["reprice", "--ledger", &missing]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("there is no ledger at"), "{}", r.stderr);
    assert!(!d.path("typo").exists(), "nothing created");

    // A report leaves an existing ledger as it was (SQLite may add its
    // shared-memory files beside it, as any reader of a WAL database does).
    let f = d.write("ds.jsonl", DEEPSEEK_FOUR);
    assert_eq!(d.import(&[&f]).code, 0);
    let state = || {
        let p = d.path("ledger.db");
        let m = std::fs::metadata(&p).expect("meta");
        (std::fs::read(&p).expect("read"), m.modified().ok())
    };
    let before = state();
    assert_eq!(ledger_report(&d).code, 0);
    assert!(state() == before, "the ledger file changed");
}

#[test]
fn a_failed_import_leaves_no_empty_ledger() {
    let d = Dir::new();
    let ledger = d.path("new/ledger.db");
    let l = ledger.display().to_string();
    let r = llmcost(&["import", "--ledger", &l, "/nonexistent/x.jsonl"]);
    assert_ne!(r.code, 0);
    let f = d.write("ds.jsonl", DEEPSEEK_FOUR);
    let r = llmcost(&["import", "--ledger", &l, "--currency", "XYZ", &f]);
    assert_ne!(r.code, 0);
    assert!(
        r.stderr.contains("no model has a price list in XYZ"),
        "{}",
        r.stderr
    );
    assert!(!ledger.exists(), "no ledger left behind");
}

#[test]
fn a_last_line_still_being_written_is_a_note() {
    let d = Dir::new();
    let cut = &DEEPSEEK_FOUR[..DEEPSEEK_FOUR.len() - 40];
    let f = d.write("ds.jsonl", cut);
    let r = llmcost(&["report", "daily", &f, "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("note: ") && r.stderr.contains("ds.jsonl:4:"),
        "{}",
        r.stderr
    );
    let v = json(&r);
    assert_eq!(v["issues"]["count"], 0);
    assert_eq!(v["notes"][0]["line"], 4);
    assert_eq!(total(&v).0, 3);
    let r = d.import(&[&f]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(json(&r)["records_new"], 3);
    // Completed later: the fourth line is read then.
    d.write("ds.jsonl", DEEPSEEK_FOUR);
    let v = json(&d.import(&[&f]));
    assert_eq!(
        (v["lines"].as_u64(), v["records_new"].as_u64()),
        (Some(1), Some(1))
    );
}

/// A ledger written by llmcost 0.1 (schema 2) with the old keys: the bodies
/// sharing `chatcmpl-123` and the two with an empty id were merged into one
/// record each (`jsonl:chatcmpl-123` and `jsonl:`), and the file was marked
/// as read to its end.
#[test]
fn an_old_ledger_is_migrated_and_the_merged_records_come_back() {
    let d = Dir::new();
    let f = d.write("ds.jsonl", DEEPSEEK_FOUR);
    let mut old = Vec::new();
    llmcost_logs::scan_file(
        Path::new(&f),
        llmcost_logs::SourceKind::Jsonl,
        0,
        &mut |r| {
            old.push(r);
        },
    )
    .expect("scan");
    old[0].dedup_key = "jsonl:chatcmpl-123".into();
    old[2].dedup_key = "jsonl:".into();
    let mut kept = vec![old[0].clone(), old[2].clone()];
    // Priced as the old import did: 0.001456 and 0.00322.
    kept[0].cost = Some("0.001456".parse().expect("dec"));
    kept[1].cost = Some("0.00322".parse().expect("dec"));
    for r in &mut kept {
        r.currency = Some(llmcost_core::Currency::USD);
    }
    let canonical = std::fs::canonicalize(&f).expect("canonical");
    let progress = llmcost_ledger::FileProgress {
        path: canonical.display().to_string(),
        offset: DEEPSEEK_FOUR.len() as u64,
        head_hash: "old".into(),
        lines: 4,
    };
    llmcost_ledger_sqlite::write_v2_ledger(&d.path("ledger.db"), &kept, &[progress])
        .expect("v2 ledger");
    // A report only reads: it asks for the one import that upgrades it.
    let r = ledger_report(&d);
    assert_ne!(r.code, 0);
    assert!(
        r.stderr.contains("run `llmcost import` once to upgrade it"),
        "{}",
        r.stderr
    );

    let v = json(&d.import(&[&f]));
    assert_eq!(
        (v["records_new"].as_u64(), v["duplicates"].as_u64()),
        (Some(2), Some(2)),
        "{v}"
    );
    assert_eq!(total(&json(&ledger_report(&d))), (4, "0.011746".into()));
    let v = json(&d.import(&[&f]));
    assert_eq!(v["files_unchanged"], 1);
    let l = SqliteLedger::open(d.path("ledger.db")).expect("open");
    let mut keys = Vec::new();
    l.for_each(&Filter::default(), &mut |r| {
        keys.push(r.dedup_key);
        Ok(())
    })
    .expect("read");
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 4);
}
