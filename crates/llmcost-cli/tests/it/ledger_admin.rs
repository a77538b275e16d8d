//! `ledger init|copy|prune` on SQLite files (the PostgreSQL side is tested
//! against a real cluster in llmcost-ledger-postgres).

use crate::llmcost;

/// Three calls: 2025-01-01, 2025-02-01 and 2025-03-20 (UTC).
const LOG: &str = r#"{"id":"a1","object":"chat.completion","created":1735689600,"model":"gpt-4o-mini","usage":{"prompt_tokens":1000,"completion_tokens":500,"total_tokens":1500}}
{"id":"a2","object":"chat.completion","created":1738368000,"model":"gpt-4o-mini","usage":{"prompt_tokens":1000,"completion_tokens":500,"total_tokens":1500}}
{"id":"a3","object":"chat.completion","created":1742428800,"model":"gpt-4o-mini","usage":{"prompt_tokens":1000,"completion_tokens":500,"total_tokens":1500}}
"#;

#[test]
fn init_copy_and_prune_a_sqlite_ledger() {
    let dir = tempfile::tempdir().expect("dir");
    let p = |n: &str| dir.path().join(n).to_str().expect("utf-8").to_string();
    std::fs::write(p("calls.jsonl"), LOG).expect("log");
    let r = llmcost(&[
        "import",
        &p("calls.jsonl"),
        "--source",
        "jsonl",
        "--ledger",
        &p("a.db"),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);

    let r = llmcost(&["ledger", "init", &p("b.db")]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("ledger ready: "), "{}", r.stdout);
    assert!(r.stdout.contains("(SQLite, schema version"), "{}", r.stdout);
    assert!(r.stdout.contains(", 0 records)"), "{}", r.stdout);

    let r = llmcost(&["ledger", "copy", "--from", &p("a.db"), "--to", &p("b.db")]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains(": 3 records read, 3 new, 0 already there"),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr.is_empty(),
        "no progress bar when piped: {}",
        r.stderr
    );
    // A second push adds nothing.
    let r = llmcost(&["ledger", "copy", "--from", &p("a.db"), "--to", &p("b.db")]);
    assert!(
        r.stdout
            .contains(": 0 records read, 0 new, 0 already there"),
        "{}",
        r.stdout
    );

    // Before 2025-03-01: the January and February calls.
    let r = llmcost(&[
        "ledger",
        "prune",
        "--before",
        "2025-03-01",
        "--ledger",
        &p("b.db"),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .starts_with("would remove 2 records before 2025-03-01T00:00:00Z"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("hint: add --yes"), "{}", r.stdout);
    let r = llmcost(&[
        "ledger",
        "prune",
        "--before",
        "2025-03-01",
        "--ledger",
        &p("b.db"),
        "--yes",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains(": 2 records before 2025-03-01T00:00:00Z removed"),
        "{}",
        r.stdout
    );
    let r = llmcost(&["ledger", "init", &p("b.db")]);
    assert!(r.stdout.contains(", 1 records)"), "{}", r.stdout);

    let r = llmcost(&[
        "ledger",
        "prune",
        "--before",
        "March",
        "--ledger",
        &p("b.db"),
    ]);
    assert_eq!(r.code, 2, "a bad date is a usage error");
    assert!(
        r.stderr.contains("--before `March` is not a date"),
        "{}",
        r.stderr
    );
}
