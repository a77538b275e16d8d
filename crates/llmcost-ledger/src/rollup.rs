//! Hourly rollups: the records summed per UTC hour and dimension, kept by the
//! backends beside the records so that reports need not read every record.
//!
//! A stored rollup row is keyed by hour × model × project × source ×
//! provider × **tag set** × key fingerprint × device × currency. Each record
//! is in exactly one stored row (its whole tag set is one key), so sums over
//! any selection of stored rows never count a record twice. Grouping by
//! [`Dim::Tag`] spreads each row over its tags at query time: a record tagged
//! `a` and `b` is in the group of `a` and in the group of `b` (and a record
//! with no tag in the group with no tag), so tag groups may overlap and their
//! sum may exceed the total; take totals from a query not grouped by tag.
//!
//! [`scan`] computes the same answer from the records themselves: it is the
//! definition the backends are tested against.

use std::collections::HashMap;
use std::str::FromStr;

use llmcost_core::{Currency, Decimal, Timestamp, Usage};

use crate::{Filter, Ledger, Result, UsageRecord};

/// Seconds in an hour.
const HOUR: i64 = 3600;

/// The UTC hour of an instant, as whole hours since the Unix epoch.
#[must_use]
pub fn hour_of(at: Timestamp) -> i64 {
    at.as_second().div_euclid(HOUR)
}

/// The first instant of an hour given as hours since the epoch.
#[must_use]
pub fn hour_start(hour: i64) -> Option<Timestamp> {
    Timestamp::from_second(hour.checked_mul(HOUR)?).ok()
}

/// Whether an instant is the first instant of an hour (UTC).
#[must_use]
pub fn on_hour(at: Timestamp) -> bool {
    at.subsec_nanosecond() == 0 && at.as_second().rem_euclid(HOUR) == 0
}

/// A dimension rollups are grouped by. The currency is always one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dim {
    /// The UTC hour.
    Hour,
    /// The model as recorded.
    Model,
    /// The project.
    Project,
    /// The source (importer or `proxy`).
    Source,
    /// The provider.
    Provider,
    /// Each tag of the record (groups overlap; see the module docs).
    Tag,
    /// The API key fingerprint.
    Key,
    /// The device (machine or proxy instance) that recorded it.
    Device,
}

impl Dim {
    /// Every dimension.
    pub const ALL: [Dim; 8] = [
        Dim::Hour,
        Dim::Model,
        Dim::Project,
        Dim::Source,
        Dim::Provider,
        Dim::Tag,
        Dim::Key,
        Dim::Device,
    ];

    /// Its name: `hour`, `model`, `project`, `source`, `provider`, `tag`, `key`, `device`.
    #[must_use]
    pub fn key(self) -> &'static str {
        match self {
            Dim::Hour => "hour",
            Dim::Model => "model",
            Dim::Project => "project",
            Dim::Source => "source",
            Dim::Provider => "provider",
            Dim::Tag => "tag",
            Dim::Key => "key",
            Dim::Device => "device",
        }
    }
}

impl FromStr for Dim {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Dim::ALL
            .into_iter()
            .find(|d| d.key() == s)
            .ok_or_else(|| format!("unknown dimension `{s}`"))
    }
}

/// What a rollup query sums: the dimensions to group by, and which records.
/// Empty lists select everything; a list selects records whose value is one
/// of it (for tags: records carrying one of them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RollupQuery {
    /// Dimensions to group by (the currency always is).
    pub group_by: Vec<Dim>,
    /// At or after this instant; rollups answer only whole hours.
    pub since: Option<Timestamp>,
    /// Before this instant; rollups answer only whole hours.
    pub until: Option<Timestamp>,
    /// Only these models.
    pub models: Vec<String>,
    /// Only these projects.
    pub projects: Vec<String>,
    /// Only these sources.
    pub sources: Vec<String>,
    /// Only these providers.
    pub providers: Vec<String>,
    /// Only records carrying one of these tags.
    pub tags: Vec<String>,
    /// Only these key fingerprints.
    pub keys: Vec<String>,
    /// Only these devices.
    pub devices: Vec<String>,
}

impl RollupQuery {
    /// Whether rows are grouped by `d`.
    #[must_use]
    pub fn groups(&self, d: Dim) -> bool {
        self.group_by.contains(&d)
    }

    /// Whether the time bounds fall on whole hours, so that stored rollups
    /// can answer the query (else a backend returns `None`).
    #[must_use]
    pub fn on_hours(&self) -> bool {
        self.since.is_none_or(on_hour) && self.until.is_none_or(on_hour)
    }

    /// The bounds as hours: `[from, to)`.
    #[must_use]
    pub fn hours(&self) -> (Option<i64>, Option<i64>) {
        (self.since.map(hour_of), self.until.map(hour_of))
    }

    /// Whether a row with these dimensions is selected.
    #[must_use]
    pub fn keeps(&self, d: &Dims<'_>) -> bool {
        let (from, to) = self.hours();
        fn one(list: &[String], v: Option<&str>) -> bool {
            list.is_empty() || v.is_some_and(|v| list.iter().any(|x| x == v))
        }
        from.is_none_or(|f| d.hour >= f)
            && to.is_none_or(|t| d.hour < t)
            && one(&self.models, Some(d.model))
            && one(&self.projects, d.project)
            && one(&self.sources, Some(d.source))
            && one(&self.providers, d.provider)
            && (self.tags.is_empty() || d.tags.iter().any(|t| self.tags.contains(t)))
            && one(&self.keys, d.key_fingerprint)
            && one(&self.devices, d.device)
    }

    /// The record filter of the time bounds and models (what
    /// [`Ledger::for_each`] can select; the other dimensions are checked on
    /// each record).
    #[must_use]
    pub fn filter(&self) -> Filter {
        Filter {
            since: self.since,
            until: self.until,
            models: self.models.clone(),
            sources: self.sources.clone(),
            ..Filter::default()
        }
    }
}

/// The dimensions of one stored rollup row or one record.
#[derive(Debug, Clone, Copy)]
pub struct Dims<'a> {
    /// UTC hour ([`hour_of`]).
    pub hour: i64,
    /// Model.
    pub model: &'a str,
    /// Project.
    pub project: Option<&'a str>,
    /// Source.
    pub source: &'a str,
    /// Provider.
    pub provider: Option<&'a str>,
    /// The whole tag set.
    pub tags: &'a [String],
    /// Key fingerprint.
    pub key_fingerprint: Option<&'a str>,
    /// Device.
    pub device: Option<&'a str>,
    /// Currency of the cost.
    pub currency: Option<Currency>,
}

impl<'a> Dims<'a> {
    /// The dimensions of a record.
    #[must_use]
    pub fn of(r: &'a UsageRecord) -> Self {
        Dims {
            hour: hour_of(r.at),
            model: &r.model,
            project: r.project.as_deref(),
            source: &r.source,
            provider: r.provider.as_deref(),
            tags: &r.tags,
            key_fingerprint: r.key_fingerprint.as_deref(),
            device: r.device.as_deref(),
            currency: r.currency,
        }
    }
}

/// Sums of a group of records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sums {
    /// Records.
    pub records: u64,
    /// Tokens per bucket, priced and unpriced records alike.
    pub usage: Usage,
    /// Exact sum of the costs of the priced records.
    pub cost: Decimal,
    /// Records with no cost.
    pub unpriced_records: u64,
    /// Tokens (every bucket) of the records with no cost.
    pub unpriced_tokens: u128,
}

impl Sums {
    /// Adds one record's usage and cost.
    pub fn add(&mut self, usage: &Usage, cost: Option<Decimal>) {
        self.records += 1;
        self.usage += *usage;
        match cost {
            Some(c) => self.cost += c,
            None => {
                self.unpriced_records += 1;
                self.unpriced_tokens += usage.total();
            }
        }
    }

    /// Adds another group's sums.
    pub fn merge(&mut self, o: &Sums) {
        self.records += o.records;
        self.usage += o.usage;
        self.cost += o.cost;
        self.unpriced_records += o.unpriced_records;
        self.unpriced_tokens += o.unpriced_tokens;
    }
}

/// One group of a rollup answer. A dimension not grouped by is `None`; a
/// grouped one is `None` for records that have none (no project, no tag...).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RollupRow {
    /// First instant of the UTC hour.
    pub hour: Option<Timestamp>,
    /// Model.
    pub model: Option<String>,
    /// Project.
    pub project: Option<String>,
    /// Source.
    pub source: Option<String>,
    /// Provider.
    pub provider: Option<String>,
    /// One tag.
    pub tag: Option<String>,
    /// Key fingerprint.
    pub key_fingerprint: Option<String>,
    /// Device.
    pub device: Option<String>,
    /// Currency of `cost` (always grouped by).
    pub currency: Option<Currency>,
    /// The sums.
    pub sums: Sums,
}

type GroupKey = (Option<i64>, [Option<String>; 7], Option<Currency>);

/// Groups rows (stored rollup rows or records) as a query asks.
#[derive(Debug)]
pub struct Grouper<'q> {
    q: &'q RollupQuery,
    /// Hashed while adding (keys are large: a tree would move them around),
    /// sorted once at the end.
    groups: HashMap<GroupKey, Sums>,
}

impl<'q> Grouper<'q> {
    /// An empty grouping for `q`.
    #[must_use]
    pub fn new(q: &'q RollupQuery) -> Self {
        Grouper {
            q,
            groups: HashMap::new(),
        }
    }

    /// Adds the sums of a row with dimensions `d` (not filtered here: see
    /// [`RollupQuery::keeps`]). Dimensions not grouped by are ignored.
    pub fn add(&mut self, d: &Dims<'_>, sums: &Sums) {
        let q = self.q;
        let g = |dim: Dim, v: Option<&str>| {
            if q.groups(dim) {
                v.map(str::to_owned)
            } else {
                None
            }
        };
        let mut key: GroupKey = (
            q.groups(Dim::Hour).then_some(d.hour),
            [
                g(Dim::Model, Some(d.model)),
                g(Dim::Project, d.project),
                g(Dim::Source, Some(d.source)),
                g(Dim::Provider, d.provider),
                None,
                g(Dim::Key, d.key_fingerprint),
                g(Dim::Device, d.device),
            ],
            d.currency,
        );
        if q.groups(Dim::Tag) && !d.tags.is_empty() {
            // Each tag once, even if the record lists it twice.
            let mut seen: Vec<&String> = Vec::with_capacity(d.tags.len());
            for t in d.tags {
                if seen.contains(&t) {
                    continue;
                }
                seen.push(t);
                key.1[4] = Some(t.clone());
                self.groups.entry(key.clone()).or_default().merge(sums);
            }
        } else {
            self.groups.entry(key).or_default().merge(sums);
        }
    }

    /// The groups, in key order (hour, model, project, source, provider,
    /// tag, key, device, currency; none first).
    #[must_use]
    pub fn finish(self) -> Vec<RollupRow> {
        let mut groups: Vec<(GroupKey, Sums)> = self.groups.into_iter().collect();
        groups.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        groups
            .into_iter()
            .map(|((hour, dims, currency), sums)| {
                let [
                    model,
                    project,
                    source,
                    provider,
                    tag,
                    key_fingerprint,
                    device,
                ] = dims;
                RollupRow {
                    hour: hour.and_then(hour_start),
                    model,
                    project,
                    source,
                    provider,
                    tag,
                    key_fingerprint,
                    device,
                    currency,
                    sums,
                }
            })
            .collect()
    }
}

/// The answer of `q` computed from the records themselves (every record read
/// once): what [`Ledger::rollup`] must return. Time bounds need not be whole
/// hours here.
///
/// # Errors
/// As [`Ledger::for_each_unordered`].
pub fn scan<L: Ledger + ?Sized>(ledger: &L, q: &RollupQuery) -> Result<Vec<RollupRow>> {
    let mut g = Grouper::new(q);
    let any = RollupQuery {
        since: None,
        until: None,
        ..q.clone()
    };
    ledger.for_each_unordered(&q.filter(), &mut |r| {
        let d = Dims::of(&r);
        if any.keeps(&d) {
            let mut s = Sums::default();
            s.add(&r.usage, r.cost);
            g.add(&d, &s);
        }
        Ok(())
    })?;
    Ok(g.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn hours_are_utc_and_floor_before_the_epoch() {
        assert_eq!(hour_of(ts("1970-01-01T00:59:59.999Z")), 0);
        assert_eq!(hour_of(ts("1970-01-01T01:00:00Z")), 1);
        assert_eq!(hour_of(ts("1969-12-31T23:00:01Z")), -1);
        assert_eq!(hour_start(1), Some(ts("1970-01-01T01:00:00Z")));
        assert!(on_hour(ts("2025-03-01T05:00:00Z")));
        assert!(!on_hour(ts("2025-03-01T05:00:00.000000001Z")));
        assert!(!on_hour(ts("2025-03-01T05:30:00Z")));
    }

    #[test]
    fn tags_spread_over_groups_but_not_the_total() {
        let mut r = UsageRecord::new(
            "k",
            ts("2025-01-01T10:15:00Z"),
            "proxy",
            "m",
            Usage {
                input: 100,
                ..Usage::default()
            },
        );
        r.tags = vec!["a".into(), "b".into(), "a".into()];
        let mut s = Sums::default();
        s.add(&r.usage, Some(Decimal::new(5, 1)));
        let by_tag = RollupQuery {
            group_by: vec![Dim::Tag],
            ..RollupQuery::default()
        };
        let mut g = Grouper::new(&by_tag);
        g.add(&Dims::of(&r), &s);
        let rows = g.finish();
        // Two groups (a, b), each with the one record: 100 tokens, 0.5.
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].tag.as_deref(), Some("a"));
        assert_eq!(rows[1].sums.usage.input, 100);
        let total = RollupQuery::default();
        let mut g = Grouper::new(&total);
        g.add(&Dims::of(&r), &s);
        let rows = g.finish();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].sums.records, 1);
        assert_eq!(rows[0].sums.cost, Decimal::new(5, 1));
    }

    #[test]
    fn dims_parse_by_name() {
        for d in Dim::ALL {
            assert_eq!(d.key().parse::<Dim>(), Ok(d));
        }
        assert!("period".parse::<Dim>().is_err());
    }
}
