//! `import` and `reprice`: logs into a temporary ledger, idempotent, incremental, repriced.

use std::io::Write;
use std::path::{Path, PathBuf};

use llmcost_ledger::{Filter, Ledger};
use llmcost_ledger_sqlite::SqliteLedger;

use crate::{Run, fixture, llmcost};

/// A temporary directory holding a copy of `import/responses.jsonl` (five
/// lines, the third malformed) and a ledger path.
struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    fn new() -> Setup {
        let dir = tempfile::tempdir().expect("tmp");
        std::fs::create_dir_all(dir.path().join("logs")).expect("mkdir");
        std::fs::copy(
            fixture("import/responses.jsonl"),
            dir.path().join("logs/responses.jsonl"),
        )
        .expect("copy");
        Setup { dir }
    }
    fn logs(&self) -> PathBuf {
        self.dir.path().join("logs/responses.jsonl")
    }
    fn ledger(&self) -> PathBuf {
        self.dir.path().join("data/ledger.db")
    }
    fn import(&self, extra: &[&str]) -> Run {
        let logs = self.logs();
        let ledger = self.ledger();
        let mut args = vec![
            "import",
            logs.to_str().expect("utf-8"),
            "--source",
            "jsonl",
            "--ledger",
            ledger.to_str().expect("utf-8"),
        ];
        args.extend_from_slice(extra);
        llmcost(&args)
    }
    fn import_json(&self) -> serde_json::Value {
        self.import_json_with(&[])
    }
    fn import_json_with(&self, extra: &[&str]) -> serde_json::Value {
        let mut args = vec!["--format", "json"];
        args.extend_from_slice(extra);
        let r = self.import(&args);
        serde_json::from_str(&r.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", r.stdout, r.stderr))
    }
    /// The stored key whose short form ([`short_key`]) is `short`.
    fn key_of(&self, short: &str) -> String {
        let l = SqliteLedger::open(self.ledger()).expect("open ledger");
        let mut found = None;
        l.for_each(&Filter::default(), &mut |r| {
            if short_key(&r.dedup_key) == short {
                found = Some(r.dedup_key);
            }
            Ok(())
        })
        .expect("read");
        found.unwrap_or_else(|| panic!("no record {short}"))
    }

    fn costs(&self) -> Vec<(String, Option<String>, Option<String>)> {
        let l = SqliteLedger::open(self.ledger()).expect("open ledger");
        let mut v = Vec::new();
        l.for_each(&Filter::default(), &mut |r| {
            v.push((
                short_key(&r.dedup_key),
                r.cost.map(|d| d.normalize().to_string()),
                r.currency.map(|c| c.to_string()),
            ));
            Ok(())
        })
        .expect("read");
        v.sort();
        v
    }
}

/// `jsonl:<id>` for a key `jsonl:id:<id>:<digest>` (the digest of the
/// call's content is tested in `identity.rs`).
fn short_key(key: &str) -> String {
    match key
        .strip_prefix("jsonl:id:")
        .and_then(|k| k.rsplit_once(':'))
    {
        Some((id, _)) => format!("jsonl:{id}"),
        None => key.to_string(),
    }
}

fn append(path: &Path, text: &str) {
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .expect("open for append");
    f.write_all(text.as_bytes()).expect("append");
}

const C6: &str = r#"{"id":"c6","object":"chat.completion","created":1735776000,"model":"gpt-4o-mini","usage":{"prompt_tokens":2000,"completion_tokens":1000,"total_tokens":3000}}
"#;

#[test]
fn import_round_trip_prices_each_record() {
    let s = Setup::new();
    let r = s.import(&["--format", "json"]);
    // Line 3 is malformed: reported with file:line, the rest imported, exit 1.
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("responses.jsonl:3:"), "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(v["files"], 1);
    assert_eq!(v["lines"], 5);
    assert_eq!(v["records_new"], 4);
    assert_eq!(v["duplicates"], 0);
    // The malformed line, and the model left unpriced (exit policy).
    assert_eq!(v["issues"]["count"], 2);
    assert_eq!(v["issues"]["first"][0]["line"], 3);
    assert!(
        v["issues"]["first"][1]["message"]
            .as_str()
            .is_some_and(|m| m.contains("`my-private-model` has no price")),
        "{v}"
    );
    assert_eq!(v["currency"], "USD");
    assert_eq!(v["unpriced"][0]["model"], "my-private-model");
    assert_eq!(v["unpriced"][0]["tokens"], 1500);
    // gpt-4o-mini on 2025-01-01: 1000×0.15 + 500×0.6 = 450 per 1M = 0.00045 each;
    // grok-2-1212: 1000×2 + 500×10 = 7000 per 1M = 0.007; the unknown model has no cost (not 0).
    let costs = s.costs();
    let usd = Some("USD".to_string());
    assert_eq!(
        costs,
        vec![
            ("jsonl:c1".into(), Some("0.00045".into()), usd.clone()),
            ("jsonl:c2".into(), Some("0.00045".into()), usd.clone()),
            ("jsonl:c4".into(), Some("0.007".into()), usd),
            ("jsonl:c5".into(), None, None),
        ],
        "{costs:?}"
    );
}

#[test]
fn importing_twice_adds_nothing_and_a_grown_file_adds_only_new_lines() {
    let s = Setup::new();
    let first = s.import_json();
    assert_eq!(first["records_new"], 4);
    let again = s.import_json();
    assert_eq!(again["files_unchanged"], 1);
    assert_eq!(again["records_new"], 0);
    assert_eq!(again["lines"], 0, "an unchanged file is not read again");

    append(&s.logs(), C6);
    let grown = s.import_json();
    assert_eq!(grown["files_read"], 1);
    assert_eq!(grown["lines"], 1, "only the appended line is read");
    assert_eq!(grown["records_new"], 1);
    assert_eq!(grown["duplicates"], 0);
    let l = SqliteLedger::open(s.ledger()).expect("open");
    assert_eq!(l.count().expect("count"), 5);
    // 2000×0.15 + 1000×0.6 = 900 per 1M.
    assert!(
        s.costs()
            .contains(&("jsonl:c6".into(), Some("0.0009".into()), Some("USD".into())))
    );
}

#[test]
fn a_replaced_file_is_read_again_without_doubles() {
    let s = Setup::new();
    s.import_json();
    // Rewritten from scratch: a different head, c1 gone, c6 new.
    let text = std::fs::read_to_string(fixture("import/responses.jsonl")).expect("read");
    let rest: String = text.lines().skip(1).map(|l| format!("{l}\n")).collect();
    std::fs::write(s.logs(), format!("{C6}{rest}")).expect("rewrite");
    let v = s.import_json();
    assert_eq!(v["files_reread"], 1);
    assert_eq!(v["lines"], 5);
    assert_eq!(v["records_new"], 1);
    assert_eq!(v["duplicates"], 3);
    let l = SqliteLedger::open(s.ledger()).expect("open");
    assert_eq!(l.count().expect("count"), 5);
}

#[test]
fn two_concurrent_imports_of_one_file_never_duplicate() {
    let s = Setup::new();
    // 2,000 records with distinct ids.
    let mut text = String::new();
    for i in 0..2_000 {
        text.push_str(&format!(
            "{{\"id\":\"r{i}\",\"created\":1735689600,\"model\":\"gpt-4o-mini\",\"usage\":{{\"prompt_tokens\":{i},\"completion_tokens\":1}}}}\n"
        ));
    }
    std::fs::write(s.logs(), text).expect("write");
    let (a, b) = std::thread::scope(|sc| {
        let a = sc.spawn(|| s.import(&["--format", "json"]));
        let b = sc.spawn(|| s.import(&["--format", "json"]));
        (a.join().expect("a"), b.join().expect("b"))
    });
    assert_eq!((a.code, b.code), (0, 0), "{} {}", a.stderr, b.stderr);
    let l = SqliteLedger::open(s.ledger()).expect("open");
    assert_eq!(l.count().expect("count"), 2_000);
    let news: u64 = [&a, &b]
        .iter()
        .map(|r| {
            serde_json::from_str::<serde_json::Value>(&r.stdout).expect("json")["records_new"]
                .as_u64()
                .expect("n")
        })
        .sum();
    assert_eq!(news, 2_000, "each record counted new exactly once");
}

#[test]
fn reprice_restores_catalog_prices_and_changes_currency() {
    let s = Setup::new();
    s.import_json();
    let (c1, c4) = (s.key_of("jsonl:c1"), s.key_of("jsonl:c4"));
    {
        // As if the catalog had been wrong when these were imported.
        let mut l = SqliteLedger::open(s.ledger()).expect("open");
        let wrong = |k: &str| {
            (
                k.to_string(),
                Some(rust_decimal::Decimal::ONE),
                Some(llmcost_core::Currency::USD),
                Some("old".to_string()),
            )
        };
        let n = l.update_costs(&[wrong(&c1), wrong(&c4)]).expect("update");
        assert_eq!(n, 2);
    }
    let ledger = s.ledger();
    let r = llmcost(&[
        "reprice",
        "--ledger",
        ledger.to_str().expect("utf-8"),
        "--format",
        "json",
    ]);
    // One model stays unpriced: done, but not all priced (exit 1).
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(v["records"], 4);
    assert_eq!(v["priced"], 3);
    assert_eq!(v["changed"], 2);
    assert_eq!(v["unpriced"][0]["model"], "my-private-model");
    let costs = s.costs();
    assert_eq!(costs[0].1.as_deref(), Some("0.00045"));
    assert_eq!(costs[2].1.as_deref(), Some("0.007"));
    // Reprice again: nothing changes.
    let r = llmcost(&[
        "reprice",
        "--ledger",
        ledger.to_str().expect("utf-8"),
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(v["changed"], 0);
    // A currency no model is priced in is refused before anything changes.
    let before = s.costs();
    let r = llmcost(&[
        "reprice",
        "--ledger",
        ledger.to_str().expect("utf-8"),
        "--currency",
        "XYZ",
    ]);
    assert_ne!(r.code, 0);
    assert!(
        r.stderr
            .contains("no model has a price list in XYZ; nothing was changed")
            && r.stderr.contains("USD"),
        "{}",
        r.stderr
    );
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    assert_eq!(s.costs(), before, "no cost touched");
    // In CNY: none of these models has a CNY list, so all become unpriced (no cost, not 0).
    let r = llmcost(&[
        "reprice",
        "--ledger",
        ledger.to_str().expect("utf-8"),
        "--currency",
        "CNY",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(v["priced"], 0);
    assert_eq!(v["changed"], 3);
    assert!(s.costs().iter().all(|c| c.1.is_none()));
}

#[test]
fn import_summary_table() {
    let s = Setup::new();
    let r = s.import(&[]);
    assert_eq!(r.code, 1);
    let tmp = regex_escape(&s.dir.path().display().to_string());
    insta::with_settings!({filters => vec![(tmp.as_str(), "[TMP]")]}, {
        insta::assert_snapshot!("import_summary_table", format!("--- stdout\n{}--- stderr\n{}", r.stdout, r.stderr));
    });
    let again = s.import(&[]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    insta::with_settings!({filters => vec![(tmp.as_str(), "[TMP]")]}, {
        insta::assert_snapshot!("import_summary_table_again", again.stdout);
    });
}

#[test]
fn bad_source_and_missing_path_are_clear_errors() {
    let s = Setup::new();
    let logs = s.logs();
    let r = llmcost(&["import", logs.to_str().expect("utf-8"), "--source", "excel"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("invalid --source"), "{}", r.stderr);
    assert!(
        r.stderr.contains("unknown source format `excel`"),
        "{}",
        r.stderr
    );
    let ledger = s.ledger();
    let r = llmcost(&[
        "import",
        "/nonexistent/x.jsonl",
        "--ledger",
        ledger.to_str().expect("utf-8"),
    ]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("does not exist"), "{}", r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
}

fn regex_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[test]
fn two_machines_importing_copies_of_one_log_store_each_record_once() {
    let s = Setup::new();
    let first = s.import_json_with(&["--device", "laptop-a"]);
    assert_eq!(first["records_new"], 4);
    // Machine b has its own copy of the log (another path): nothing is new.
    let copy = s.dir.path().join("machine-b/responses.jsonl");
    std::fs::create_dir_all(copy.parent().expect("dir")).expect("mkdir");
    std::fs::copy(s.logs(), &copy).expect("copy");
    let ledger = s.ledger();
    let r = llmcost(&[
        "import",
        copy.to_str().expect("utf-8"),
        "--source",
        "jsonl",
        "--ledger",
        ledger.to_str().expect("utf-8"),
        "--device",
        "laptop-b",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(
        (v["records_new"].clone(), v["duplicates"].clone()),
        (0.into(), 4.into())
    );
    let l = SqliteLedger::open(s.ledger()).expect("open");
    assert_eq!(l.count().expect("count"), 4);
    let mut devices = Vec::new();
    l.for_each(&Filter::default(), &mut |r| {
        devices.push(r.device);
        Ok(())
    })
    .expect("read");
    assert_eq!(
        devices,
        vec![Some("laptop-a".to_string()); 4],
        "the first import's device stays"
    );
}

#[test]
fn an_import_names_this_host_by_default() {
    let s = Setup::new();
    s.import_json();
    let host = llmcost_app::device::import_device(None);
    let l = SqliteLedger::open(s.ledger()).expect("open");
    l.for_each(&Filter::default(), &mut |r| {
        assert_eq!(r.device.as_deref(), Some(host.as_str()));
        Ok(())
    })
    .expect("read");
}
