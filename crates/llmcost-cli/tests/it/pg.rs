//! `--ledger postgres://…`: `import`, `report`, `reconcile` and `reprice`
//! against a throwaway PostgreSQL cluster answer exactly as against a SQLite
//! file (`--features cluster-tests`; needs Debian's `postgresql` package).

#[path = "../../../llmcost-ledger-postgres/tests/it/cluster.rs"]
#[expect(
    dead_code,
    reason = "the cluster helper of the PostgreSQL crate, not all used here"
)]
mod cluster;

use serde_json::Value;

use crate::{fixture, llmcost};

/// Runs `llmcost ARGS --ledger LEDGER --format json` and reads its JSON
/// (exit 0, or 1 for the fixture's unpriced model).
fn json(args: &[&str], ledger: &str) -> Value {
    let mut all = args.to_vec();
    all.extend(["--ledger", ledger, "--format", "json"]);
    let r = llmcost(&all);
    assert!(r.code == 0 || r.code == 1, "{all:?}: {}", r.stderr);
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.stdout))
}

#[test]
fn postgres_and_sqlite_ledgers_answer_the_same_to_the_last_digit() {
    let c = cluster::cluster();
    let url = c.url(&c.create_db());
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("l.db");
    let sqlite = file.to_str().expect("utf-8 path");
    let (claude, deepseek) = (fixture("report/claude"), fixture("report/deepseek.jsonl"));
    let logs = [claude.as_str(), deepseek.as_str()];

    let mut import = vec!["import"];
    import.extend(logs);
    let (a, b) = (json(&import, sqlite), json(&import, &url));
    // The fixtures (tests/it/report.rs): 3 Claude Code messages, 3 DeepSeek calls.
    assert_eq!(a["records_new"], 6, "{a}");
    assert_eq!(b["records_new"], a["records_new"]);
    assert_eq!(b["unpriced"], a["unpriced"]);
    // The summary names the ledger without the password.
    assert!(
        !b["ledger"]
            .as_str()
            .expect("ledger")
            .contains(cluster::PASSWORD)
    );
    // A second import adds nothing to either.
    assert_eq!(json(&import, &url)["records_new"], 0);

    for period in ["daily", "weekly", "monthly", "model", "session"] {
        let (a, b) = (
            json(&["report", period, "--breakdown"], sqlite),
            json(&["report", period, "--breakdown"], &url),
        );
        assert_eq!(a, b, "report {period}");
    }
    // Hand-checked (tests/it/report.rs): Claude 0.018 + 0.0165 = 0.0345;
    // DeepSeek 1.37 + 0.685 + 0.07 = 2.125; 0.0345 + 2.125 = 2.1595.
    let daily = json(&["report", "daily"], &url);
    assert_eq!(daily["totals"]["cost"], "2.1595");
    assert_eq!(daily["mode"], "ledger");

    let bill = ["reconcile", "--billed", "2.16"];
    assert_eq!(json(&bill, sqlite), json(&bill, &url));

    let reprice = ["reprice", "--currency", "CNY"];
    let (a, b) = (json(&reprice, sqlite), json(&reprice, &url));
    assert_eq!(
        (&a["records"], &a["changed"]),
        (&b["records"], &b["changed"])
    );
    assert_eq!(a["unpriced"], b["unpriced"]);
    let cny = ["report", "daily", "--currency", "CNY"];
    assert_eq!(json(&cny, sqlite), json(&cny, &url));
}
