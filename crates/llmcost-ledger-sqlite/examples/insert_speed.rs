//! Writer ceiling: N synthetic Claude-like records into a fresh ledger file,
//! BATCH records per transaction (default 1,000,000 and 131,072; PATH defaults
//! to `insert_speed.db` in the temporary directory). `PRE_SQL` runs SQL first
//! (for experiments, e.g. `PRE_SQL='DROP INDEX ...'`).
//! `cargo run --release -p llmcost-ledger-sqlite --example insert_speed -- N BATCH PATH`
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
#![expect(clippy::print_stdout, reason = "an example prints its measurement")]
use llmcost_core::{Currency, Decimal, Timestamp, Usage};
use llmcost_ledger::{Ledger, UsageRecord};
use llmcost_ledger_sqlite::SqliteLedger;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).map_or(1_000_000, |s| s.parse().unwrap());
    let batch: usize = args.get(2).map_or(131_072, |s| s.parse().unwrap());
    let path = args.get(3).cloned().unwrap_or_else(|| {
        std::env::temp_dir()
            .join("insert_speed.db")
            .display()
            .to_string()
    });
    let _ = std::fs::remove_file(&path);
    let _ = std::fs::remove_file(format!("{path}-wal"));
    let mut l = SqliteLedger::open(&path).unwrap();
    if let Ok(sql) = std::env::var("PRE_SQL") {
        l.connection().execute_batch(&sql).unwrap();
    }
    let t0: i64 = 1_762_593_939;
    let recs: Vec<UsageRecord> = (0..n)
        .map(|i| {
            let f = i / 10_000;
            let mut r = UsageRecord::new(
                format!("claude:msg_01aWgJ6XDUlN1G19t5uc{i:08}:req_011CfK2kmPX4yl3wGRf{i:06}"),
                Timestamp::from_second(t0 + (i % 10_000) as i64 * 30 + f as i64).unwrap(),
                "claude-code",
                ["claude-sonnet-4-20250514", "claude-3-5-haiku-20241022", "claude-opus-4-20250514"][i % 3],
                Usage { input: 49 + i as u64 % 1000, cache_read: 18939, cache_write: 205, cache_write_1h: 0, output: 512, reasoning: 0, ..Usage::default() },
            );
            r.origin = Some(format!("/root/.cache/llmcost-anchors/data/claude-1m/projects/-home-dev-src-project-{:02}/4168b34a-4d86-4ac7-af59-c01983e3{f:04}.jsonl", f % 10));
            r.line = Some(i as u64 % 10_000 * 2 + 1);
            r.provider = Some("anthropic".into());
            r.project = Some(format!("-home-dev-src-project-{:02}", f % 10));
            r.session = Some(format!("4168b34a-4d86-4ac7-af59-c01983e3{f:04}"));
            r.cost = Some(Decimal::new(1_427_745 + i as i64, 8));
            r.currency = Some(Currency::USD);
            r.price_ref = Some("claude-sonnet-4-20250514 USD 2025-05-22T00:00:00Z https://platform.claude.com/docs/en/about-claude/pricing".into());
            r.raw_usage = Some(r#"{"input_tokens":49,"cache_creation_input_tokens":205,"cache_read_input_tokens":18939,"output_tokens":512,"service_tier":"standard"}"#.into());
            r
        })
        .collect();
    let start = std::time::Instant::now();
    for c in recs.chunks(batch) {
        l.insert(c).unwrap();
    }
    let el = start.elapsed().as_secs_f64();
    println!("{n} records in {el:.2} s: {:.0} records/s", n as f64 / el);
}
