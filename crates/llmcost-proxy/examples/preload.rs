//! How long the proxy takes to read its budgets' current spend at start:
//! the scan of every record since the earliest period start
//! ([`Budgets::preload_scan`], what `Proxy::start` did before) against the
//! hourly rollups ([`Budgets::preload_ledger`]), on one SQLite ledger.
//!
//! ```sh
//! preload build SRC DST    # SRC's records as proxy records of 2026-12-01..03 into a new ledger DST
//! preload time LEDGER RUNS # times both reads RUNS times each (alternating), checks they agree
//! ```
//! Used by `bench/budget_preload.sh`.
#![expect(
    clippy::expect_used,
    clippy::print_stdout,
    reason = "a benchmark tool: a setup error ends it"
)]

use std::time::Instant;

use jiff::{SignedDuration, Timestamp, tz::TimeZone};
use llmcost_core::{Currency, Decimal};
use llmcost_ledger::{Filter, Ledger, UsageRecord};
use llmcost_ledger_sqlite::SqliteLedger;
use llmcost_proxy::{BudgetRule, Budgets, Period, Scope};

/// The bench's records span [FROM, TO); it reads them at NOW.
const FROM: &str = "2026-12-01T00:00:00Z";
const TO: &str = "2026-12-03T18:00:00Z";
const NOW: &str = "2026-12-03T18:20:00Z";

fn ts(s: &str) -> Timestamp {
    s.parse().expect("timestamp")
}

fn build(src: &str, dst: &str) {
    let src = SqliteLedger::open_read_only(src).expect("source ledger");
    let mut records: Vec<UsageRecord> = Vec::new();
    src.for_each(&Filter::default(), &mut |r| {
        records.push(r);
        Ok(())
    })
    .expect("read");
    let (Some(first), Some(last)) = (records.first(), records.last()) else {
        panic!("the source ledger is empty");
    };
    // Spread the records over [FROM, TO) in their order, as proxy calls of
    // 8 keys with a few tag sets.
    let (t0, span) = (first.at, last.at.duration_since(first.at).as_secs_f64());
    let (from, width) = (ts(FROM), ts(TO).duration_since(ts(FROM)).as_secs_f64());
    let tags: [&[&str]; 4] = [&[], &["ci"], &["ci", "team-a"], &["team-b"]];
    for (n, r) in records.iter_mut().enumerate() {
        let x = r.at.duration_since(t0).as_secs_f64() / span.max(1.0);
        r.at = from + SignedDuration::from_secs_f64(x * width * 0.999_999);
        r.dedup_key = format!("seq:proxy-bench:{n}");
        r.source = "proxy".into();
        r.key_fingerprint = Some(format!("key{}", n % 8));
        r.tags = tags[n % 4].iter().map(|t| (*t).to_string()).collect();
    }
    let mut dst = SqliteLedger::open(dst).expect("target ledger");
    let started = Instant::now();
    {
        let _bulk = dst.bulk_load().expect("bulk load");
        for chunk in records.chunks(50_000) {
            dst.insert(chunk).expect("insert");
        }
    }
    println!(
        "built {} records in {:.1} s",
        records.len(),
        started.elapsed().as_secs_f64()
    );
}

fn rules() -> Vec<BudgetRule> {
    let r = |scope: Scope, period: Period, tz: Option<&str>| BudgetRule {
        scope,
        limit: Decimal::from(1_000_000),
        currency: Currency::USD,
        period,
        tz: tz.map(|z| TimeZone::get(z).expect("tz")),
    };
    vec![
        r(Scope::Global, Period::Month, None),
        r(Scope::Global, Period::Day, None),
        r(Scope::EachKey, Period::Day, None),
        r(Scope::Tag("ci".into()), Period::Month, None),
        r(Scope::Global, Period::Day, Some("Asia/Kolkata")),
    ]
}

fn time(path: &str, runs: usize) {
    let ledger = SqliteLedger::open_read_only(path).expect("ledger");
    let now = ts(NOW);
    // The records carry their USD cost: cost_in returns it as it is.
    let cost_of = |r: &UsageRecord, cur: Currency| r.cost.filter(|_| r.currency == Some(cur));
    let mut scan_ms = Vec::new();
    let mut roll_ms = Vec::new();
    for _ in 0..runs {
        let a = Budgets::new(rules());
        let t = Instant::now();
        let ra = a.preload_scan(&ledger, now, &[], &cost_of).expect("scan");
        scan_ms.push(t.elapsed().as_secs_f64() * 1e3);
        let b = Budgets::new(rules());
        let t = Instant::now();
        let rb = b
            .preload_ledger(&ledger, now, &[], &cost_of)
            .expect("rollups");
        roll_ms.push(t.elapsed().as_secs_f64() * 1e3);
        assert_eq!(a.spend(now), b.spend(now), "the two reads disagree");
        println!(
            "scan {:8.1} ms ({} records read) | rollups {:7.1} ms ({} reads, {} records read)",
            scan_ms.last().copied().unwrap_or_default(),
            ra.records,
            roll_ms.last().copied().unwrap_or_default(),
            rb.scans,
            rb.records
        );
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let b = Budgets::new(rules());
    b.preload_ledger(&ledger, now, &[], &cost_of)
        .expect("rollups");
    for s in b.spend(now).iter().filter(|s| s.subject.is_none()) {
        println!("  {}: {} USD", s.rule, s.spent.round_dp(2));
    }
    println!(
        "median of {runs}: scan {:.1} ms, rollups {:.1} ms",
        median(&mut scan_ms),
        median(&mut roll_ms)
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).expect("missing argument").clone();
    match arg(0).as_str() {
        "build" => build(&arg(1), &arg(2)),
        "time" => time(&arg(1), arg(2).parse().expect("runs")),
        other => panic!("unknown command {other}"),
    }
}
