//! Reports by dimension over a SQLite ledger: answered from its hourly
//! rollups when they can, from every record otherwise, and the same either
//! way. Four records, every one priced in USD (hand-worked sums below):
//!
//! | rec | time (UTC)       | model | project | provider  | source      | tags          | key | device | cost |
//! |-----|------------------|-------|---------|-----------|-------------|---------------|-----|--------|------|
//! | a   | 2025-03-01 10:15 | m1    | web     | openai    | proxy       | ci            | k1  | d1     | 0.5  |
//! | b   | 2025-03-01 23:30 | m2    | api     | anthropic | claude-code | ci, nightly   | -   | d2     | 1.25 |
//! | c   | 2025-03-02 08:00 | m1    | web     | openai    | proxy       | -             | k2  | d1     | 2    |
//! | d   | 2025-03-02 09:00 | m1    | -       | openai    | proxy       | nightly       | k1  | d2     | 0.25 |

use std::str::FromStr;

use llmcost_core::{Currency, Decimal, Usage};
use llmcost_ledger::{
    CostUpdate, FileProgress, Filter, InsertSummary, LeanRecord, Ledger, UsageRecord,
};
use llmcost_ledger_sqlite::SqliteLedger;

use super::*;

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).expect("decimal")
}

#[expect(
    clippy::too_many_arguments,
    reason = "one record per line of the table"
)]
fn rec(
    key: &str,
    at: &str,
    model: &str,
    project: Option<&str>,
    provider: &str,
    source: &str,
    tags: &[&str],
    key_fp: Option<&str>,
    device: &str,
    input: u64,
    cost: &str,
) -> UsageRecord {
    let mut r = UsageRecord::new(
        key,
        at.parse().expect("time"),
        source,
        model,
        Usage {
            input,
            ..Usage::default()
        },
    );
    r.project = project.map(Into::into);
    r.provider = Some(provider.into());
    r.tags = tags.iter().map(|t| (*t).to_string()).collect();
    r.key_fingerprint = key_fp.map(Into::into);
    r.device = Some(device.into());
    r.cost = Some(dec(cost));
    r.currency = Some(Currency::USD);
    r
}

fn records() -> Vec<UsageRecord> {
    vec![
        rec(
            "a",
            "2025-03-01T10:15:00Z",
            "m1",
            Some("web"),
            "openai",
            "proxy",
            &["ci"],
            Some("k1"),
            "d1",
            100,
            "0.5",
        ),
        rec(
            "b",
            "2025-03-01T23:30:00Z",
            "m2",
            Some("api"),
            "anthropic",
            "claude-code",
            &["ci", "nightly"],
            None,
            "d2",
            200,
            "1.25",
        ),
        rec(
            "c",
            "2025-03-02T08:00:00Z",
            "m1",
            Some("web"),
            "openai",
            "proxy",
            &[],
            Some("k2"),
            "d1",
            300,
            "2",
        ),
        rec(
            "d",
            "2025-03-02T09:00:00Z",
            "m1",
            None,
            "openai",
            "proxy",
            &["nightly"],
            Some("k1"),
            "d2",
            400,
            "0.25",
        ),
    ]
}

/// The same ledger without rollups: every report reads every record.
struct ScanOnly(SqliteLedger);

impl Ledger for ScanOnly {
    fn insert(&mut self, records: &[UsageRecord]) -> llmcost_ledger::Result<InsertSummary> {
        self.0.insert(records)
    }
    fn insert_with_progress(
        &mut self,
        records: &[UsageRecord],
        progress: &FileProgress,
    ) -> llmcost_ledger::Result<InsertSummary> {
        self.0.insert_with_progress(records, progress)
    }
    fn file_progress(&self, path: &str) -> llmcost_ledger::Result<Option<FileProgress>> {
        self.0.file_progress(path)
    }
    fn for_each(
        &self,
        filter: &Filter,
        f: &mut dyn FnMut(UsageRecord) -> llmcost_ledger::Result<()>,
    ) -> llmcost_ledger::Result<()> {
        self.0.for_each(filter, f)
    }
    fn for_each_lean(
        &self,
        filter: &Filter,
        f: &mut dyn FnMut(LeanRecord<'_>) -> llmcost_ledger::Result<()>,
    ) -> llmcost_ledger::Result<()> {
        self.0.for_each_lean(filter, f)
    }
    fn update_costs(&mut self, costs: &[CostUpdate]) -> llmcost_ledger::Result<u64> {
        self.0.update_costs(costs)
    }
    fn count(&self) -> llmcost_ledger::Result<u64> {
        self.0.count()
    }
}

fn ledgers() -> (SqliteLedger, ScanOnly) {
    let mut a = SqliteLedger::open_in_memory().expect("open");
    a.insert(&records()).expect("insert");
    let mut b = SqliteLedger::open_in_memory().expect("open");
    b.insert(&records()).expect("insert");
    (a, ScanOnly(b))
}

fn cat() -> &'static llmcost_catalog::Catalog {
    llmcost_catalog::Catalog::builtin().expect("catalog")
}

fn settings(tz: &str, since: Option<&str>) -> ReportSettings {
    ReportSettings::resolve(None, &[], Some(tz), since, None, &[]).expect("settings")
}

fn query(period: Period, by: Option<Dimension>) -> ReportQuery {
    ReportQuery {
        breakdown: by.is_some(),
        breakdown_by: by.unwrap_or(Dimension::Model),
        ..ReportQuery::new(period, settings("UTC", None))
    }
}

/// The report from rollups and from a scan: equal JSON; returns the first
/// and how it was read.
fn both(q: &ReportQuery) -> (serde_json::Value, String) {
    let (roll, scan) = ledgers();
    let a = run(cat(), q, Input::Ledger(&roll)).expect("rollups");
    let b = run(cat(), q, Input::Ledger(&scan)).expect("scan");
    let ja = serde_json::to_value(&a).expect("json");
    assert_eq!(ja, serde_json::to_value(&b).expect("json"), "{q:?}");
    assert!(b.read.starts_with("every record was read"), "{}", b.read);
    (ja, a.read)
}

fn rows(v: &serde_json::Value) -> Vec<(String, String, u64)> {
    v["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            (
                r["period"].as_str().expect("period").to_string(),
                r["cost"].as_str().expect("cost").to_string(),
                r["records"].as_u64().expect("records"),
            )
        })
        .collect()
}

fn row(p: &str, c: &str, n: u64) -> (String, String, u64) {
    (p.into(), c.into(), n)
}

#[test]
fn a_project_report_comes_from_rollups() {
    let (v, read) = both(&query(Period::Project, None));
    assert!(
        read.starts_with("answered from the ledger's hourly rollups"),
        "{read}"
    );
    // web = a + c = 0.5 + 2 = 2.5; api = b = 1.25; no project = d = 0.25.
    assert_eq!(
        rows(&v),
        [
            row("web", "2.5", 2),
            row("api", "1.25", 1),
            row("-", "0.25", 1)
        ]
    );
    assert_eq!(v["report"], "project");
    assert_eq!(v["rows"][0]["project"], "web");
    // 2.5 + 1.25 + 0.25 = 4.
    assert_eq!(v["totals"]["cost"], "4");
    assert_eq!(v["totals"]["records"], 4);
}

#[test]
fn tag_rows_overlap_but_the_total_counts_each_record_once() {
    let (v, read) = both(&query(Period::Tag, None));
    assert!(read.contains("rollups"), "{read}");
    // no tag = c = 2; ci = a + b = 1.75; nightly = b + d = 1.5.
    assert_eq!(
        rows(&v),
        [
            row("-", "2", 1),
            row("ci", "1.75", 2),
            row("nightly", "1.5", 2)
        ]
    );
    assert_eq!(v["rows"][1]["tag"], "ci");
    assert_eq!(v["rows"][0]["tag"], serde_json::Value::Null);
    // Not 2 + 1.75 + 1.5 = 5.25: b counts once, 0.5 + 1.25 + 2 + 0.25 = 4.
    assert_eq!(v["totals"]["cost"], "4");
    assert_eq!(v["totals"]["records"], 4);
    assert_eq!(v["totals"]["input"], 1000);
}

#[test]
fn every_dimension_and_breakdown_sums_alike_both_ways() {
    for period in [
        Period::Daily,
        Period::Weekly,
        Period::Monthly,
        Period::Model,
        Period::Project,
        Period::Provider,
        Period::Source,
        Period::Tag,
        Period::Key,
        Period::Device,
    ] {
        for by in [None]
            .into_iter()
            .chain(Dimension::ALL.into_iter().map(Some))
        {
            let (_, read) = both(&query(period, by));
            assert!(read.contains("rollups"), "{period:?} {by:?}: {read}");
        }
    }
}

#[test]
fn a_breakdown_by_device_per_day() {
    let (v, _) = both(&query(Period::Daily, Some(Dimension::Device)));
    // 03-01: d1 = a 0.5, d2 = b 1.25; 03-02: d1 = c 2, d2 = d 0.25.
    assert_eq!(v["breakdown"], "device");
    let day1 = &v["rows"][0];
    assert_eq!(day1["period"], "2025-03-01");
    assert_eq!(day1["devices"][0]["device"], "d1");
    assert_eq!(day1["devices"][0]["cost"], "0.5");
    assert_eq!(day1["devices"][1]["device"], "d2");
    assert_eq!(day1["devices"][1]["cost"], "1.25");
    assert_eq!(v["rows"][1]["devices"][0]["cost"], "2");
    assert!(day1.get("models").is_none());
}

#[test]
fn filters_select_by_every_dimension() {
    let mut q = query(Period::Model, None);
    q.filters = DimFilters {
        tags: vec!["nightly".into()],
        devices: vec!["d2".into()],
        ..DimFilters::default()
    };
    let (v, read) = both(&q);
    assert!(read.contains("rollups"), "{read}");
    // b (m2, 1.25) and d (m1, 0.25).
    assert_eq!(rows(&v), [row("m2", "1.25", 1), row("m1", "0.25", 1)]);
    q.filters = DimFilters {
        sources: vec!["claude".into()],
        ..DimFilters::default()
    };
    // `claude` is the format name of the `claude-code` source: b.
    assert_eq!(rows(&both(&q).0), [row("m2", "1.25", 1)]);
    q.filters = DimFilters {
        keys: vec!["k1".into()],
        providers: vec!["openai".into()],
        projects: vec!["web".into()],
        ..DimFilters::default()
    };
    assert_eq!(rows(&both(&q).0), [row("m1", "0.5", 1)]);
}

#[test]
fn whole_hour_zones_use_rollups_and_half_hour_zones_read_every_record() {
    let mut q = query(Period::Daily, None);
    q.settings = settings("Europe/Paris", None);
    let (v, read) = both(&q);
    assert!(read.contains("rollups"), "{read}");
    // b at 23:30 UTC is 00:30 on 03-02 in Paris (UTC+1): 03-01 = a = 0.5,
    // 03-02 = b + c + d = 1.25 + 2 + 0.25 = 3.5.
    assert_eq!(
        rows(&v),
        [row("2025-03-01", "0.5", 1), row("2025-03-02", "3.5", 3)]
    );
    q.settings = settings("Asia/Kolkata", None);
    let (v, read) = both(&q);
    assert!(
        read.contains(
            "every record was read: the zone Asia/Kolkata is not a whole number of hours"
        ),
        "{read}"
    );
    // UTC+5:30: b is 05:00 on 03-02: 03-01 = a; 03-02 = b + c + d.
    assert_eq!(
        rows(&v),
        [row("2025-03-01", "0.5", 1), row("2025-03-02", "3.5", 3)]
    );
    // Sessions and bounds inside an hour read every record too.
    let (_, read) = both(&query(Period::Session, None));
    assert!(read.contains("session"), "{read}");
    q.settings = settings("UTC", Some("2025-03-01T10:30:00Z"));
    let (v, read) = both(&q);
    assert!(read.contains("inside an hour"), "{read}");
    assert_eq!(v["totals"]["cost"], "3.5");
}

#[test]
fn unpriced_records_are_priced_one_by_one() {
    let mut roll = SqliteLedger::open_in_memory().expect("open");
    let mut r = records();
    r[0].cost = None;
    r[0].currency = None;
    roll.insert(&r).expect("insert");
    let rep = run(cat(), &query(Period::Project, None), Input::Ledger(&roll)).expect("report");
    assert!(
        rep.read
            .contains("1 record(s) have no cost in USD and are priced one by one"),
        "{}",
        rep.read
    );
    // m1 has no price in the catalog: a stays unpriced, never zero.
    assert_eq!(rep.unpriced.len(), 1);
    assert_eq!(rep.totals.cost, dec("3.5"));
}
