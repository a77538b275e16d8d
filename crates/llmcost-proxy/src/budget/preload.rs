//! The spend of the current budget periods, read from the ledger at start.
//!
//! [`Budgets::preload_ledger`] reads the whole UTC hours of each period from
//! the ledger's hourly rollups and scans only the records rollups cannot
//! price exactly:
//!
//! * the **edges**: from a period start that is not on a UTC hour (a budget
//!   in a `:30` time zone) to the next hour, and from the start of the current
//!   hour on (the hour being written);
//! * the **mixed hours**: an hour × model whose rollup rows hold records a
//!   budget cannot take the stored cost of (another currency, unpriced):
//!   those records are priced one by one as before ([`CostOf`]).
//!
//! Each (record, budget) pair is counted by exactly one of the three: a
//! budget's whole hours `[ceil(start), current hour)` by the rollups (records
//! whose stored cost is in its currency) or the mixed-hour scan (the others),
//! everything else from its start on by the edge scans. Reads with few
//! records between them are merged into one (what lies between is read but
//! not counted again). A ledger without rollups (or budgets none of which has
//! a whole hour yet) is read by [`Budgets::preload_scan`], the scan of every
//! record since the earliest start.
//!
//! The reservation estimate of a model (the cost of its last record) comes from
//! the last records read: the current hour's scan, else the model's latest
//! whole hour read again on its own (see [`Budgets::preload_ledger`]).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use jiff::Timestamp;
use llmcost_core::{Currency, Decimal};
use llmcost_ledger::rollup::{Dim, RollupQuery, RollupRow, hour_of, hour_start, on_hour};
use llmcost_ledger::{Filter, Ledger, Result, UsageRecord};

use super::{AccountKey, Budgets, Scope};

/// Records between two reads below which they are made one read.
const MERGE_GAP: u64 = 4096;

/// What a record costs in a currency (`None`: nothing, it stays unpriced).
pub type CostOf<'a> = dyn Fn(&UsageRecord, Currency) -> Option<Decimal> + 'a;

/// How [`Budgets::preload_ledger`] read the ledger.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PreloadReport {
    /// Whether hourly rollups answered (else every record was scanned).
    pub rollups: bool,
    /// Record reads made (each one `Ledger::for_each`).
    pub scans: u32,
    /// Records read by them.
    pub records: u64,
}

/// One budget's part of the read: its period start and the whole hours
/// `[from, to)` read from rollups (`None`: everything is scanned).
#[derive(Debug, Clone, Copy)]
struct Span {
    start: Timestamp,
    whole: Option<(i64, i64)>,
}

impl Span {
    fn whole_hour(&self, hour: i64) -> bool {
        self.whole.is_some_and(|(f, t)| f <= hour && hour < t)
    }
    /// Whether the edge scans count a record at `at` for this budget.
    fn scanned(&self, at: Timestamp) -> bool {
        at >= self.start && !self.whole_hour(hour_of(at))
    }
}

/// Whether a record's stored cost is what a budget in `cur` counts
/// (`cost_in` returns it as it is): what the rollups sum in `cur`.
fn stored_in(r: &UsageRecord, cur: Currency) -> bool {
    r.cost.is_some() && r.currency == Some(cur)
}

/// The state of one read.
struct Reading<'b, 'c> {
    budgets: &'b Budgets,
    spans: Vec<Span>,
    cost_of: &'c CostOf<'c>,
    /// Spilled records not seen in the ledger yet, by key.
    spilled: HashMap<&'b str, &'b UsageRecord>,
    /// Latest record cost per (model, currency): (its time, cost).
    latest: HashMap<(String, Currency), (Timestamp, Decimal)>,
    spent: HashMap<AccountKey, Decimal>,
    report: PreloadReport,
}

impl Reading<'_, '_> {
    /// Reads the records of `filter` (source `proxy`, time order); `count`
    /// says which budgets the scan counts a record for.
    fn scan(
        &mut self,
        ledger: &dyn Ledger,
        mut filter: Filter,
        count: &dyn Fn(&Span, &UsageRecord, Currency) -> bool,
    ) -> Result<()> {
        filter.sources = vec!["proxy".to_string()];
        self.report.scans += 1;
        ledger.for_each(&filter, &mut |r| {
            self.report.records += 1;
            self.spilled.remove(r.dedup_key.as_str());
            let mut costs: Vec<(Currency, Option<Decimal>)> = Vec::new();
            for (i, subject) in self
                .budgets
                .applicable(r.key_fingerprint.as_deref(), &r.tags)
            {
                let span = self.spans[i];
                if r.at < span.start {
                    continue;
                }
                let cur = self.budgets.rules[i].currency;
                let cost = match costs.iter().find(|(c, _)| *c == cur) {
                    Some((_, v)) => *v,
                    None => {
                        let v = (self.cost_of)(&r, cur);
                        costs.push((cur, v));
                        v
                    }
                };
                let Some(c) = cost else { continue };
                // The estimate: the latest record wins (same time: the later read).
                if c > Decimal::ZERO {
                    let k = (r.model.clone(), cur);
                    if self.latest.get(&k).is_none_or(|(t, _)| r.at >= *t) {
                        self.latest.insert(k, (r.at, c));
                    }
                }
                if count(&span, &r, cur) {
                    *self
                        .spent
                        .entry(AccountKey {
                            rule: i,
                            subject,
                            start: span.start,
                        })
                        .or_default() += c;
                }
            }
            Ok(())
        })
    }
}

/// The filter of one UTC hour of some models.
fn hour_filter(hour: i64, models: &BTreeSet<String>) -> Filter {
    Filter {
        since: hour_start(hour),
        until: hour_start(hour + 1),
        models: models.iter().cloned().collect(),
        ..Filter::default()
    }
}

impl Budgets {
    /// Reads the spend of the current periods at `now` by scanning every
    /// record (source `proxy`) since the earliest period start, in time order,
    /// then the spilled records (`backlog`) the ledger does not hold.
    ///
    /// # Errors
    /// Ledger read errors.
    pub fn preload_scan(
        &self,
        ledger: &dyn Ledger,
        now: Timestamp,
        backlog: &[UsageRecord],
        cost_of: &CostOf<'_>,
    ) -> Result<PreloadReport> {
        let mut report = PreloadReport::default();
        let Some(since) = self.earliest_start(now) else {
            return Ok(report);
        };
        let filter = Filter {
            since: Some(since),
            sources: vec!["proxy".to_string()],
            ..Filter::default()
        };
        // Spilled records not yet in the ledger count too (each exactly once).
        let mut spilled: HashMap<&str, &UsageRecord> = backlog
            .iter()
            .filter(|r| r.source == "proxy" && r.at >= since)
            .map(|r| (r.dedup_key.as_str(), r))
            .collect();
        let preload = |r: &UsageRecord| {
            self.preload(
                r.at,
                now,
                r.key_fingerprint.as_deref(),
                &r.tags,
                &r.model,
                &|cur| cost_of(r, cur),
            );
        };
        report.scans = 1;
        ledger.for_each(&filter, &mut |r| {
            report.records += 1;
            spilled.remove(r.dedup_key.as_str());
            preload(&r);
            Ok(())
        })?;
        // In the spill file's order (the last one sets the estimate).
        for r in backlog {
            if spilled.remove(r.dedup_key.as_str()).is_some() {
                preload(r);
            }
        }
        Ok(report)
    }

    /// Reads the spend of the current periods at `now` as
    /// [`Budgets::preload_scan`] does, with the same result, from the hourly
    /// rollups where they answer exactly (see the module docs); falls back to
    /// [`Budgets::preload_scan`] when the ledger keeps no rollups.
    ///
    /// The reservation estimates are those of the scan: per model and
    /// currency, the cost of the last record (time order) that costs more
    /// than zero. They come from the records read anyway (the current hour,
    /// the edges, the mixed hours); for a model not among them, its latest
    /// whole hour that may hold such a record is read on its own (all of its
    /// records there, so the last one is found; rollup rows in the budget's
    /// currency with no cost hold none, as recorded costs are never negative),
    /// going back an hour at a time while none is found.
    ///
    /// # Errors
    /// Ledger read errors.
    pub fn preload_ledger(
        &self,
        ledger: &dyn Ledger,
        now: Timestamp,
        backlog: &[UsageRecord],
        cost_of: &CostOf<'_>,
    ) -> Result<PreloadReport> {
        self.preload_ledger_with(ledger, now, backlog, cost_of, MERGE_GAP)
    }

    /// [`Budgets::preload_ledger`], merging reads with at most `merge_gap`
    /// records between them.
    fn preload_ledger_with(
        &self,
        ledger: &dyn Ledger,
        now: Timestamp,
        backlog: &[UsageRecord],
        cost_of: &CostOf<'_>,
        merge_gap: u64,
    ) -> Result<PreloadReport> {
        let Some(since) = self.earliest_start(now) else {
            return Ok(PreloadReport::default());
        };
        let current = hour_of(now);
        let spans: Vec<Span> = self
            .rules
            .iter()
            .map(|rule| {
                let start = rule.bounds(now).0;
                let first = hour_of(start) + i64::from(!on_hour(start));
                Span {
                    start,
                    whole: (first < current).then_some((first, current)),
                }
            })
            .collect();
        let Some(from) = spans.iter().filter_map(|s| s.whole.map(|w| w.0)).min() else {
            // No whole hour yet: nothing to read from rollups.
            return self.preload_scan(ledger, now, backlog, cost_of);
        };
        let base = RollupQuery {
            since: hour_start(from),
            until: hour_start(current),
            sources: vec!["proxy".to_string()],
            ..RollupQuery::default()
        };
        // Global and key budgets: rows by key. Tag budgets: rows by tag, each
        // record once in the row of each of its tags (as `applicable` counts it).
        let by_key = RollupQuery {
            group_by: vec![Dim::Hour, Dim::Model, Dim::Key],
            ..base.clone()
        };
        let mut tags: Vec<String> = self
            .rules
            .iter()
            .filter_map(|r| match &r.scope {
                Scope::Tag(t) => Some(t.clone()),
                _ => None,
            })
            .collect();
        tags.sort();
        tags.dedup();
        let Some(rows_key) = (if base.since.is_some() && base.until.is_some() {
            ledger.rollup(&by_key)?
        } else {
            None
        }) else {
            return self.preload_scan(ledger, now, backlog, cost_of);
        };
        let rows_tag = if tags.is_empty() {
            Vec::new()
        } else {
            let by_tag = RollupQuery {
                group_by: vec![Dim::Hour, Dim::Model, Dim::Tag],
                tags,
                ..base
            };
            match ledger.rollup(&by_tag)? {
                Some(rows) => rows,
                None => return self.preload_scan(ledger, now, backlog, cost_of),
            }
        };

        let mut reading = Reading {
            budgets: self,
            spans,
            cost_of,
            spilled: backlog
                .iter()
                .filter(|r| r.source == "proxy" && r.at >= since)
                .map(|r| (r.dedup_key.as_str(), r))
                .collect(),
            latest: HashMap::new(),
            spent: HashMap::new(),
            report: PreloadReport {
                rollups: true,
                ..PreloadReport::default()
            },
        };
        // Whole hours: the rollups' sums in the budget's currency; the hours ×
        // models holding other records are scanned; where each model's
        // estimate may be found.
        let mut mixed: BTreeMap<i64, BTreeSet<String>> = BTreeMap::new();
        let mut maybe: HashMap<(String, Currency), BTreeSet<i64>> = HashMap::new();
        let rows = rows_key
            .iter()
            .map(|r| (r, false))
            .chain(rows_tag.iter().map(|r| (r, true)));
        for (row, by_tag) in rows {
            let (Some(hour), Some(model)) = (row.hour.map(hour_of), row.model.as_ref()) else {
                continue;
            };
            for (i, subject) in self.row_budgets(row, by_tag) {
                let span = reading.spans[i];
                if !span.whole_hour(hour) {
                    continue;
                }
                let cur = self.rules[i].currency;
                let s = &row.sums;
                let in_cur = row.currency == Some(cur);
                if in_cur && s.records > s.unpriced_records {
                    *reading
                        .spent
                        .entry(AccountKey {
                            rule: i,
                            subject,
                            start: span.start,
                        })
                        .or_default() += s.cost;
                }
                if !in_cur || s.unpriced_records > 0 {
                    mixed.entry(hour).or_default().insert(model.clone());
                }
                if !in_cur || s.unpriced_records > 0 || !s.cost.is_zero() {
                    maybe.entry((model.clone(), cur)).or_default().insert(hour);
                }
            }
        }

        // The edges: each budget's start up to its first whole hour, the
        // current hour on (intervals merged, so no record is read twice).
        let mut edges: Vec<(Timestamp, Option<Timestamp>)> = Vec::new();
        for span in &reading.spans {
            match span.whole {
                Some((first, to)) => {
                    let first = hour_start(first);
                    if first.is_some_and(|f| span.start < f) {
                        edges.push((span.start, first));
                    }
                    edges.push((hour_start(to).unwrap_or(span.start), None));
                }
                None => edges.push((span.start, None)),
            }
        }
        edges.sort();
        // Two reads with few records between them are one read (each read
        // passes over the whole table when the ledger has no time index);
        // what lies between is read but not counted (`Span::scanned`).
        let mut per_hour: BTreeMap<i64, u64> = BTreeMap::new();
        for row in &rows_key {
            if let Some(h) = row.hour {
                *per_hour.entry(hour_of(h)).or_default() += row.sums.records;
            }
        }
        let between = |from: Timestamp, to: Timestamp| -> u64 {
            per_hour
                .range(hour_of(from)..=hour_of(to))
                .map(|(_, n)| n)
                .sum()
        };
        let mut merged: Vec<(Timestamp, Option<Timestamp>)> = Vec::new();
        for (s, e) in edges {
            match merged.last_mut() {
                Some((_, last)) if last.is_none_or(|l| s <= l || between(l, s) <= merge_gap) => {
                    *last = match (*last, e) {
                        (Some(a), Some(b)) => Some(a.max(b)),
                        _ => None,
                    };
                }
                _ => merged.push((s, e)),
            }
        }
        for (s, e) in merged {
            let filter = Filter {
                since: Some(s),
                until: e,
                ..Filter::default()
            };
            reading.scan(ledger, filter, &|span, r, _| span.scanned(r.at))?;
        }
        // The mixed hours: the records the rollups did not count.
        let mut read: HashSet<(i64, String)> = HashSet::new();
        for (hour, models) in &mixed {
            reading.scan(ledger, hour_filter(*hour, models), &|span, r, cur| {
                span.whole_hour(hour_of(r.at)) && !stored_in(r, cur)
            })?;
            read.extend(models.iter().map(|m| (*hour, m.clone())));
        }
        // Estimates not found yet: each model's latest hour that may hold
        // one, read on its own (nothing counted), until found or none is left.
        loop {
            let mut want: BTreeMap<i64, BTreeSet<String>> = BTreeMap::new();
            for ((model, cur), hours) in &mut maybe {
                let found = reading
                    .latest
                    .get(&(model.clone(), *cur))
                    .map(|(t, _)| hour_of(*t));
                hours.retain(|h| {
                    found.is_none_or(|f| *h > f) && !read.contains(&(*h, model.clone()))
                });
                if let Some(h) = hours.last() {
                    want.entry(*h).or_default().insert(model.clone());
                }
            }
            if want.is_empty() {
                break;
            }
            for (hour, models) in &want {
                reading.scan(ledger, hour_filter(*hour, models), &|_, _, _| false)?;
                read.extend(models.iter().map(|m| (*hour, m.clone())));
            }
        }
        // Spilled records the reads above did not meet may be in the ledger's
        // whole hours: look for their keys there (nothing counted).
        let mut hours: BTreeMap<i64, BTreeSet<String>> = BTreeMap::new();
        for r in reading.spilled.values() {
            let h = hour_of(r.at);
            if !read.contains(&(h, r.model.clone())) && h < current {
                hours.entry(h).or_default().insert(r.model.clone());
            }
        }
        if hours.len() <= 8 {
            for (hour, models) in &hours {
                reading.scan(ledger, hour_filter(*hour, models), &|_, _, _| false)?;
            }
        } else if let Some((first, _)) = hours.first_key_value() {
            let filter = Filter {
                since: hour_start(*first),
                until: hour_start(current),
                models: hours
                    .values()
                    .flatten()
                    .cloned()
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect(),
                ..Filter::default()
            };
            reading.scan(ledger, filter, &|_, _, _| false)?;
        }

        let Reading {
            spilled,
            latest,
            spent,
            report,
            ..
        } = reading;
        {
            let mut inner = self.lock();
            for (key, s) in spent {
                inner.accounts.entry(key).or_default().spent += s;
            }
            for (k, (_, c)) in latest {
                inner.estimates.insert(k, c);
            }
        }
        let mut spilled = spilled;
        for r in backlog {
            if spilled.remove(r.dedup_key.as_str()).is_none() {
                continue;
            }
            self.preload(
                r.at,
                now,
                r.key_fingerprint.as_deref(),
                &r.tags,
                &r.model,
                &|cur| cost_of(r, cur),
            );
        }
        Ok(report)
    }

    /// The budgets a rollup row counts for, as [`Budgets::applicable`] picks
    /// them for a record: rows by key for global and key budgets, rows by
    /// tag for tag budgets.
    fn row_budgets<'a>(
        &'a self,
        row: &'a RollupRow,
        by_tag: bool,
    ) -> impl Iterator<Item = (usize, Option<String>)> + 'a {
        self.rules
            .iter()
            .enumerate()
            .filter_map(move |(i, r)| match (&r.scope, by_tag) {
                (Scope::Global, false) => Some((i, None)),
                (Scope::EachKey, false) => row.key_fingerprint.clone().map(|k| (i, Some(k))),
                (Scope::Key(k), false) => (row.key_fingerprint.as_deref() == Some(k.as_str()))
                    .then(|| (i, Some(k.clone()))),
                (Scope::Tag(t), true) => {
                    (row.tag.as_deref() == Some(t.as_str())).then(|| (i, Some(t.clone())))
                }
                _ => None,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::budget::{BudgetRule, Period, Spend};
    use jiff::tz::TimeZone;
    use llmcost_core::Usage;
    use llmcost_ledger_sqlite::SqliteLedger;

    fn d(s: &str) -> Decimal {
        s.parse().expect("decimal")
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("timestamp")
    }

    fn eur() -> Currency {
        Currency::new("EUR").expect("EUR")
    }

    fn rule(scope: Scope, period: Period, tz: Option<&str>) -> BudgetRule {
        BudgetRule {
            scope,
            limit: d("1000"),
            currency: Currency::USD,
            period,
            tz: tz.map(|z| TimeZone::get(z).expect("tz")),
        }
    }

    /// A proxy record: `cost` in `cur` (no cost: unpriced), 1,000 input tokens.
    fn rec(
        n: u32,
        at: &str,
        model: &str,
        cost: Option<(&str, Currency)>,
        key: Option<&str>,
        tags: &[&str],
    ) -> UsageRecord {
        let mut r = UsageRecord::new(
            format!("seq:proxy-test:{n}"),
            ts(at),
            "proxy",
            model,
            Usage {
                input: 1000,
                ..Usage::default()
            },
        );
        if let Some((c, cur)) = cost {
            r.cost = Some(d(c));
            r.currency = Some(cur);
        }
        r.key_fingerprint = key.map(str::to_string);
        r.tags = tags.iter().map(|t| (*t).to_string()).collect();
        r
    }

    /// As `cost_in` prices a record: its stored cost in its own currency;
    /// a EUR cost at 2 USD per EUR; an unpriced record at 0.001 per input
    /// token (the "catalog" of these tests).
    fn cost_of(r: &UsageRecord, cur: Currency) -> Option<Decimal> {
        match (r.cost, r.currency) {
            (Some(c), Some(rc)) if rc == cur => Some(c),
            (Some(c), Some(rc)) if rc == eur() && cur == Currency::USD => Some(c * d("2")),
            (None, _) => Some(Decimal::from(r.usage.input) * d("0.001")),
            _ => None,
        }
    }

    fn ledger(records: &[UsageRecord]) -> (tempfile::TempDir, SqliteLedger) {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut l = SqliteLedger::open(dir.path().join("l.db")).expect("ledger");
        l.insert(records).expect("insert");
        (dir, l)
    }

    type Estimates = Vec<((String, Currency), Decimal)>;

    fn estimates(b: &Budgets) -> Estimates {
        let mut e: Estimates = b.lock().estimates.clone().into_iter().collect();
        e.sort();
        e
    }

    /// Preloads with the scan and with rollups (reads never merged, and
    /// merged as by default); all must agree. The report of the unmerged read.
    fn both(
        rules: &[BudgetRule],
        l: &dyn Ledger,
        now: Timestamp,
        backlog: &[UsageRecord],
    ) -> (Vec<Spend>, Estimates, PreloadReport) {
        let scan = Budgets::new(rules.to_vec());
        let s = scan.preload_scan(l, now, backlog, &cost_of).expect("scan");
        assert!(!s.rollups);
        let merged = Budgets::new(rules.to_vec());
        merged
            .preload_ledger(l, now, backlog, &cost_of)
            .expect("rollups");
        assert_eq!(merged.spend(now), scan.spend(now));
        assert_eq!(estimates(&merged), estimates(&scan));
        let roll = Budgets::new(rules.to_vec());
        let r = roll
            .preload_ledger_with(l, now, backlog, &cost_of, 0)
            .expect("rollups");
        assert_eq!(roll.spend(now), scan.spend(now));
        assert_eq!(estimates(&roll), estimates(&scan));
        (roll.spend(now), estimates(&roll), r)
    }

    fn spent(spend: &[Spend], rule: &str, subject: Option<&str>) -> Decimal {
        spend
            .iter()
            .find(|s| s.rule.to_string() == rule && s.subject.as_deref() == subject)
            .map(|s| s.spent)
            .unwrap_or_else(|| panic!("no account {rule} {subject:?}"))
    }

    #[test]
    fn keys_tags_and_global_from_rollups_equal_the_scan() {
        let usd = Currency::USD;
        let now = ts("2026-11-23T10:20:00Z");
        let records = vec![
            rec(
                1,
                "2026-11-22T23:30:00Z",
                "m1",
                Some(("5", usd)),
                Some("k1"),
                &["a"],
            ),
            rec(
                2,
                "2026-11-23T01:15:00Z",
                "m1",
                Some(("0.1", usd)),
                Some("k1"),
                &["a", "b"],
            ),
            rec(
                3,
                "2026-11-23T03:40:00Z",
                "m1",
                Some(("0.2", usd)),
                Some("k2"),
                &["b"],
            ),
            rec(
                4,
                "2026-11-23T03:50:00Z",
                "m2",
                Some(("0.4", usd)),
                Some("k1"),
                &[],
            ),
            rec(
                5,
                "2026-11-23T10:05:00Z",
                "m1",
                Some(("0.8", usd)),
                Some("k2"),
                &["a"],
            ),
            // Zero cost: counted (nothing) but never an estimate.
            rec(
                6,
                "2026-11-23T05:00:00Z",
                "m2",
                Some(("0", usd)),
                None,
                &["a", "a"],
            ),
        ];
        let (_dir, mut l) = ledger(&records);
        // Duplicates inserted again (alone and in a batch) add nothing.
        assert_eq!(l.insert(&records[1..3]).expect("again").inserted, 0);
        assert_eq!(l.insert(&records).expect("again").duplicates, 6);
        let rules = [
            rule(Scope::Global, Period::Day, None),
            rule(Scope::EachKey, Period::Day, None),
            rule(Scope::Key("k1".into()), Period::Day, None),
            rule(Scope::Tag("a".into()), Period::Day, None),
            rule(Scope::Tag("b".into()), Period::Day, None),
            rule(Scope::Tag("a".into()), Period::Month, None),
        ];
        let (spend, est, report) = both(&rules, &l, now, &[]);
        assert!(report.rollups);
        // global: 0.1 + 0.2 + 0.4 + 0.8 + 0 = 1.5 (record 1 is the day before)
        assert_eq!(spent(&spend, "global=1000USD/day", None), d("1.5"));
        // key k1: 0.1 + 0.4 = 0.5; k2: 0.2 + 0.8 = 1.0; `key:k1` the same 0.5
        assert_eq!(spent(&spend, "key=1000USD/day", Some("k1")), d("0.5"));
        assert_eq!(spent(&spend, "key=1000USD/day", Some("k2")), d("1.0"));
        assert_eq!(spent(&spend, "key:k1=1000USD/day", Some("k1")), d("0.5"));
        // tag a: 0.1 (tags a and b: once here) + 0.8 + 0 (tagged a twice: once) = 0.9
        assert_eq!(spent(&spend, "tag:a=1000USD/day", Some("a")), d("0.9"));
        // tag b: 0.1 + 0.2 = 0.3 (record 2 once here too)
        assert_eq!(spent(&spend, "tag:b=1000USD/day", Some("b")), d("0.3"));
        // tag a per month: 5 + 0.1 + 0.8 + 0 = 5.9
        assert_eq!(spent(&spend, "tag:a=1000USD/month", Some("a")), d("5.9"));
        // Estimates: m1's last record (10:05) 0.8; m2's last costing more
        // than zero (03:50, read again from its hour) 0.4.
        assert_eq!(
            est,
            vec![
                (("m1".to_string(), usd), d("0.8")),
                (("m2".to_string(), usd), d("0.4"))
            ]
        );
        // Two reads of one record each: the current hour (record 5), and
        // m2's records of 03:00 for its estimate (record 4; 05:00 costs nothing).
        assert_eq!((report.scans, report.records), (2, 2));
    }

    #[test]
    fn a_period_starting_at_half_past_reads_its_edges() {
        let usd = Currency::USD;
        // Asia/Kolkata (+05:30): the day of 2026-11-23 starts at 2026-11-22T18:30Z.
        let now = ts("2026-11-23T10:20:00Z");
        let records = vec![
            rec(1, "2026-11-22T18:10:00Z", "m", Some(("1", usd)), None, &[]),
            rec(2, "2026-11-22T18:45:00Z", "m", Some(("2", usd)), None, &[]),
            rec(3, "2026-11-22T20:00:00Z", "m", Some(("4", usd)), None, &[]),
            rec(4, "2026-11-23T09:59:59Z", "m", Some(("8", usd)), None, &[]),
            rec(5, "2026-11-23T10:05:00Z", "m", Some(("16", usd)), None, &[]),
        ];
        let (_dir, l) = ledger(&records);
        let rules = [
            rule(Scope::Global, Period::Day, Some("Asia/Kolkata")),
            rule(Scope::Global, Period::Month, None),
        ];
        let (spend, est, report) = both(&rules, &l, now, &[]);
        assert!(report.rollups);
        // Kolkata day: 2 (18:45, the partial first hour) + 4 + 8 + 16 (10:05,
        // the current hour) = 30; 18:10 is the day before in Kolkata.
        assert_eq!(
            spent(&spend, "global=1000USD/day@Asia/Kolkata", None),
            d("30")
        );
        // UTC month: 1 + 2 + 4 + 8 + 16 = 31.
        assert_eq!(spent(&spend, "global=1000USD/month", None), d("31"));
        assert_eq!(est, vec![(("m".to_string(), usd), d("16"))]);
        // [18:30, 19:00) and [10:00, ...): two reads, records 2 and 5.
        assert_eq!((report.scans, report.records), (2, 2));
        // By default, with 2 records between them (20:00, 09:59:59), one read
        // from 18:30 on: records 2 to 5.
        let b = Budgets::new(rules.to_vec());
        let merged = b.preload_ledger(&l, now, &[], &cost_of).expect("rollups");
        assert_eq!((merged.scans, merged.records), (1, 4));
    }

    #[test]
    fn other_currencies_and_unpriced_records_are_priced_one_by_one() {
        let usd = Currency::USD;
        let now = ts("2026-11-23T10:20:00Z");
        let records = vec![
            rec(
                1,
                "2026-11-23T02:10:00Z",
                "m",
                Some(("0.5", usd)),
                None,
                &["t"],
            ),
            rec(
                2,
                "2026-11-23T02:20:00Z",
                "m",
                Some(("0.25", eur())),
                None,
                &["t"],
            ),
            rec(3, "2026-11-23T02:30:00Z", "m", None, None, &[]),
            rec(
                4,
                "2026-11-23T04:00:00Z",
                "n",
                Some(("3", eur())),
                None,
                &["t"],
            ),
        ];
        let (_dir, l) = ledger(&records);
        let mut in_eur = rule(Scope::Global, Period::Day, None);
        in_eur.currency = eur();
        let rules = [
            rule(Scope::Global, Period::Day, None),
            rule(Scope::Tag("t".into()), Period::Day, None),
            in_eur,
        ];
        let (spend, est, report) = both(&rules, &l, now, &[]);
        assert!(report.rollups);
        // USD: 0.5 + 0.25 EUR × 2 (0.5) + 1 (unpriced: 1,000 tokens × 0.001)
        // + 3 EUR × 2 (6) = 8.0
        assert_eq!(spent(&spend, "global=1000USD/day", None), d("8.0"));
        // tag t in USD: 0.5 + 0.5 + 6 = 7.0
        // Estimates: m's last record is the unpriced one (1 in either
        // currency), n's the EUR one (3 EUR, 6 USD).
        assert_eq!(spent(&spend, "tag:t=1000USD/day", Some("t")), d("7.0"));
        // EUR: 0.25 + 3 + 1 (the unpriced record) = 4.25; the USD record has
        // no EUR price in these tests: not counted.
        assert_eq!(spent(&spend, "global=1000EUR/day", None), d("4.25"));
        assert_eq!(
            est,
            vec![
                (("m".to_string(), eur()), d("1.000")),
                (("m".to_string(), usd), d("1.000")),
                (("n".to_string(), eur()), d("3")),
                (("n".to_string(), usd), d("6")),
            ]
        );
    }

    #[test]
    fn spilled_records_count_once() {
        let usd = Currency::USD;
        let now = ts("2026-11-23T10:20:00Z");
        let stored = vec![
            rec(
                1,
                "2026-11-23T02:10:00Z",
                "m",
                Some(("0.5", usd)),
                None,
                &[],
            ),
            rec(
                2,
                "2026-11-23T03:10:00Z",
                "m",
                Some(("0.25", usd)),
                None,
                &[],
            ),
        ];
        let (_dir, l) = ledger(&stored);
        // The spill file holds record 2 (stored since) and record 3 (not stored).
        let backlog = vec![
            stored[1].clone(),
            rec(3, "2026-11-23T04:10:00Z", "m", Some(("2", usd)), None, &[]),
        ];
        let rules = [rule(Scope::Global, Period::Day, None)];
        let (spend, _, report) = both(&rules, &l, now, &backlog);
        assert!(report.rollups);
        // 0.5 + 0.25 + 2 = 2.75
        assert_eq!(spent(&spend, "global=1000USD/day", None), d("2.75"));
    }

    #[test]
    fn a_ledger_without_rollups_is_scanned() {
        struct Plain(SqliteLedger);
        impl Ledger for Plain {
            fn insert(&mut self, r: &[UsageRecord]) -> Result<llmcost_ledger::InsertSummary> {
                self.0.insert(r)
            }
            fn insert_with_progress(
                &mut self,
                r: &[UsageRecord],
                p: &llmcost_ledger::FileProgress,
            ) -> Result<llmcost_ledger::InsertSummary> {
                self.0.insert_with_progress(r, p)
            }
            fn file_progress(&self, path: &str) -> Result<Option<llmcost_ledger::FileProgress>> {
                self.0.file_progress(path)
            }
            fn for_each(
                &self,
                filter: &Filter,
                f: &mut dyn FnMut(UsageRecord) -> Result<()>,
            ) -> Result<()> {
                self.0.for_each(filter, f)
            }
            fn update_costs(&mut self, costs: &[llmcost_ledger::CostUpdate]) -> Result<u64> {
                self.0.update_costs(costs)
            }
            fn count(&self) -> Result<u64> {
                self.0.count()
            }
        }
        let now = ts("2026-11-23T10:20:00Z");
        let (_dir, l) = ledger(&[rec(
            1,
            "2026-11-23T02:10:00Z",
            "m",
            Some(("0.5", Currency::USD)),
            None,
            &[],
        )]);
        let plain = Plain(l);
        let (spend, _, report) = both(&[rule(Scope::Global, Period::Day, None)], &plain, now, &[]);
        assert!(!report.rollups);
        assert_eq!(spend[0].spent, d("0.5"));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]
        /// Any records, any budgets of these kinds: the rollup read equals the scan.
        #[test]
        fn rollups_read_what_the_scan_reads(
            recs in proptest::collection::vec(
                (0i64..3000, 0usize..3, 0usize..3, 0usize..4, 0usize..4, 0u32..5),
                0..40,
            ),
            now_min in 1500i64..3000,
            spill in proptest::collection::vec(0usize..40, 0..4),
        ) {
            let base = ts("2026-11-22T00:00:00Z");
            let models = ["m1", "m2", "m3"];
            let keys = [None, Some("k1"), Some("k2")];
            let tag_sets: [&[&str]; 4] = [&[], &["a"], &["a", "b"], &["b", "b"]];
            let records: Vec<UsageRecord> = recs
                .iter()
                .enumerate()
                .map(|(n, &(min, m, k, t, c, cents))| {
                    let at = base + jiff::SignedDuration::from_secs(min * 60 + 17);
                    let cost = format!("0.{cents}");
                    let cost = match c {
                        0 => Some((cost.as_str(), Currency::USD)),
                        1 => Some((cost.as_str(), eur())),
                        2 => None,
                        _ => Some(("0.3", Currency::USD)),
                    };
                    let mut r = rec(
                        u32::try_from(n).unwrap_or(0), "2026-01-01T00:00:00Z", models[m], cost, keys[k], tag_sets[t],
                    );
                    r.at = at;
                    r
                })
                .collect();
            let stored: Vec<UsageRecord> =
                records.iter().enumerate().filter(|(i, _)| i % 5 != 4).map(|(_, r)| r.clone()).collect();
            let backlog: Vec<UsageRecord> =
                spill.iter().filter_map(|i| records.get(*i).cloned()).collect();
            let (_dir, l) = ledger(&stored);
            let now = base + jiff::SignedDuration::from_secs(now_min * 60 + 5);
            let mut eur_tag = rule(Scope::Tag("b".into()), Period::Day, Some("Asia/Kolkata"));
            eur_tag.currency = eur();
            let rules = [
                rule(Scope::Global, Period::Day, None),
                rule(Scope::Global, Period::Day, Some("Asia/Kolkata")),
                rule(Scope::EachKey, Period::Month, None),
                rule(Scope::Key("k2".into()), Period::Day, Some("America/St_Johns")),
                rule(Scope::Tag("a".into()), Period::Day, None),
                eur_tag,
            ];
            both(&rules, &l, now, &backlog);
        }
    }
}
