//! Sums per row key and model, merged across threads.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use llmcost_core::civil::first_of_month;
use llmcost_core::{Currency, Decimal, ServiceTier, Timestamp, Usage};
use llmcost_logs::Issue;

use super::dims::{Dimension, NONE_LABEL, Values};
use super::{MAX_ISSUES_SHOWN, Period, Pricer, ReportSettings};
use crate::quote::calendar::Ended;

/// What a row is keyed by.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Key {
    /// A day, week start or month, as days since the epoch (month: first day).
    Day(i64),
    /// A model or session.
    Name(Arc<str>, Option<Arc<str>>),
}

/// Sums of one row (or one model in a row).
#[derive(Debug, Clone, Default)]
pub struct Sum {
    /// Tokens per bucket.
    pub usage: Usage,
    /// Records counted.
    pub records: u64,
    /// Exact cost of the priced records.
    pub cost: Decimal,
    /// Tokens of the priced records.
    pub priced_tokens: u128,
    /// Tokens of the records with no price.
    pub unpriced_tokens: u128,
    /// Records with no price.
    pub unpriced_records: u64,
}

impl Sum {
    /// Adds one record: its tokens, and its cost or why it has none.
    pub(crate) fn add_one(&mut self, usage: &Usage, tokens: u128, cost: &Result<Decimal, String>) {
        self.usage += *usage;
        self.records += 1;
        match cost {
            Ok(c) => {
                self.cost += *c;
                self.priced_tokens += tokens;
            }
            Err(_) => {
                self.unpriced_tokens += tokens;
                self.unpriced_records += 1;
            }
        }
    }

    /// Adds another sum.
    pub fn merge(&mut self, o: &Sum) {
        self.usage += o.usage;
        self.records += o.records;
        self.cost += o.cost;
        self.priced_tokens += o.priced_tokens;
        self.unpriced_tokens += o.unpriced_tokens;
        self.unpriced_records += o.unpriced_records;
    }
}

/// An unpriced model: tokens and why.
#[derive(Debug, Clone, Default)]
pub struct Unpriced {
    /// Tokens per bucket.
    pub usage: Usage,
    /// Records.
    pub records: u64,
    /// Why there is no price (the first record's reason).
    pub reason: String,
}

/// Aggregates of a report.
#[derive(Default)]
pub struct Agg {
    /// Sums per row key and model.
    pub cells: HashMap<(Key, Arc<str>), Sum, foldhash::fast::RandomState>,
    /// Models with no price.
    pub unpriced: BTreeMap<Arc<str>, Unpriced>,
    /// The first lines that could not be read.
    pub issues: Vec<Issue>,
    /// How many lines could not be read.
    pub issue_count: u64,
    /// Not problems: a last line still being written (path mode).
    pub notes: Vec<Issue>,
    /// Exchange rates used (one unit of the key in the report's currency).
    pub fx: BTreeMap<Currency, Decimal>,
    /// Schedules whose holiday calendar had ended at a record priced.
    pub calendars: Ended,
    /// Files read (path mode).
    pub files: u64,
    /// Claude Code message ids counted outside a side chain (path mode).
    pub parents: Vec<u64>,
    /// Row sums and the total, kept apart when tags make rows or breakdown
    /// groups overlap (a record with two tags is in two of them).
    pub overlap: Option<Overlap>,
    /// Names of groups, shared (`Arc`) by the cells.
    pub(crate) names: HashMap<Box<str>, Arc<str>, foldhash::fast::RandomState>,
}

/// Sums that cannot be taken from the cells when groups overlap.
#[derive(Debug, Clone, Default)]
pub struct Overlap {
    /// Per row: each record once.
    pub rows: HashMap<Key, Sum, foldhash::fast::RandomState>,
    /// Everything: each record once.
    pub total: Sum,
}

/// How the rows of a report with dimensions are keyed and broken down.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Shape {
    pub period: Period,
    pub breakdown: Option<Dimension>,
}

impl Shape {
    /// Whether tags make groups overlap.
    pub(crate) fn overlaps(self) -> bool {
        self.period == Period::Tag || self.breakdown == Some(Dimension::Tag)
    }
}

/// The row key of an instant in a time report (daily, weekly, monthly).
pub(crate) fn time_key(period: Period, s: &ReportSettings, at: Timestamp) -> Key {
    let d = s.day(at);
    match period {
        // 1970-01-01 was a Thursday: Monday-based weeks start 3 days earlier.
        Period::Weekly => Key::Day(d - (d + 3).rem_euclid(7)),
        Period::Monthly => Key::Day(first_of_month(d)),
        _ => Key::Day(d),
    }
}

impl Agg {
    /// Merges another aggregate (of another thread or file).
    #[must_use]
    pub fn merge(mut self, o: Agg) -> Agg {
        for (k, v) in o.cells {
            self.cells.entry(k).or_default().merge(&v);
        }
        for (k, v) in o.unpriced {
            let e = self.unpriced.entry(k).or_default();
            e.usage += v.usage;
            e.records += v.records;
            if e.reason.is_empty() {
                e.reason = v.reason;
            }
        }
        self.issue_count += o.issue_count;
        self.issues.extend(o.issues);
        self.issues
            .sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
        self.issues.truncate(MAX_ISSUES_SHOWN);
        self.notes.extend(o.notes);
        self.fx.extend(o.fx);
        self.calendars.extend(o.calendars);
        self.files += o.files;
        self.parents.extend(o.parents);
        match (&mut self.overlap, o.overlap) {
            (Some(a), Some(b)) => {
                for (k, v) in b.rows {
                    a.rows.entry(k).or_default().merge(&v);
                }
                a.total.merge(&b.total);
            }
            (None, Some(b)) => self.overlap = Some(b),
            _ => {}
        }
        self
    }

    /// A shared name.
    pub(crate) fn name(&mut self, s: &str) -> Arc<str> {
        if let Some(a) = self.names.get(s) {
            return a.clone();
        }
        let a: Arc<str> = Arc::from(s);
        self.names.insert(Box::from(s), a.clone());
        a
    }

    /// Adds one record to a report with dimensions (rows or breakdown by
    /// project, provider, source, tag, key or device): to the cell of each
    /// of its row keys and breakdown groups, and, when groups overlap, once
    /// to its rows' sums and the total.
    #[expect(
        clippy::too_many_arguments,
        reason = "the fields of one record, kept apart to avoid building a record"
    )]
    pub(crate) fn add_dims(
        &mut self,
        shape: Shape,
        s: &ReportSettings,
        pricer: &mut Pricer<'_>,
        at: Timestamp,
        model: &Arc<str>,
        usage: &Usage,
        tier: ServiceTier,
        stored: Option<Decimal>,
        v: &Values<'_>,
    ) {
        let row_keys: Vec<Key> = match shape.period {
            Period::Daily | Period::Weekly | Period::Monthly => vec![time_key(shape.period, s, at)],
            Period::Model => vec![Key::Name(model.clone(), None)],
            Period::Session => {
                let sess = self.name(v.session.unwrap_or(NONE_LABEL));
                let proj = v.project.map(|p| self.name(p));
                vec![Key::Name(sess, proj)]
            }
            p => {
                let d = p.dimension().unwrap_or(Dimension::Model);
                v.of(d, model)
                    .into_iter()
                    .map(|x| Key::Name(self.name(x.unwrap_or(NONE_LABEL)), None))
                    .collect()
            }
        };
        // Rows broken down by their own dimension: each row is its one group.
        if shape.breakdown.is_some() && shape.breakdown == shape.period.dimension() {
            let tokens = usage.total();
            let cost = match stored {
                Some(c) => Ok(c),
                None => pricer.price(model, at, usage, tier),
            };
            for k in &row_keys {
                let g = match k {
                    Key::Name(n, _) => n.clone(),
                    Key::Day(_) => model.clone(),
                };
                self.cells
                    .entry((k.clone(), g))
                    .or_default()
                    .add_one(usage, tokens, &cost);
            }
            self.finish_record(shape, row_keys, model, usage, tokens, cost);
            return;
        }
        let groups: Vec<Arc<str>> = match shape.breakdown {
            None | Some(Dimension::Model) => vec![model.clone()],
            Some(d) => v
                .of(d, model)
                .into_iter()
                .map(|x| self.name(x.unwrap_or(NONE_LABEL)))
                .collect(),
        };
        let tokens = usage.total();
        let cost = match stored {
            Some(c) => Ok(c),
            None => pricer.price(model, at, usage, tier),
        };
        for k in &row_keys {
            for g in &groups {
                self.cells
                    .entry((k.clone(), g.clone()))
                    .or_default()
                    .add_one(usage, tokens, &cost);
            }
        }
        self.finish_record(shape, row_keys, model, usage, tokens, cost);
    }

    /// The overlap sums and the unpriced model of a record added by `add_dims`.
    fn finish_record(
        &mut self,
        shape: Shape,
        row_keys: Vec<Key>,
        model: &Arc<str>,
        usage: &Usage,
        tokens: u128,
        cost: Result<Decimal, String>,
    ) {
        if shape.overlaps() {
            let o = self.overlap.get_or_insert_with(Overlap::default);
            for k in row_keys {
                o.rows.entry(k).or_default().add_one(usage, tokens, &cost);
            }
            o.total.add_one(usage, tokens, &cost);
        }
        if let Err(why) = cost {
            let u = self.unpriced.entry(model.clone()).or_default();
            u.usage += *usage;
            u.records += 1;
            if u.reason.is_empty() {
                u.reason = why;
            }
        }
    }

    /// Adds one record.
    #[expect(
        clippy::too_many_arguments,
        reason = "the fields of one record, kept apart to avoid building a record"
    )]
    pub fn add(
        &mut self,
        period: Period,
        s: &ReportSettings,
        pricer: &mut Pricer<'_>,
        at: Timestamp,
        model: &Arc<str>,
        usage: &Usage,
        tier: ServiceTier,
        stored: Option<Decimal>,
        session: Option<(&Arc<str>, Option<&Arc<str>>)>,
    ) {
        let key = match period {
            Period::Daily | Period::Weekly | Period::Monthly => time_key(period, s, at),
            Period::Session => match session {
                Some((sess, proj)) => Key::Name(sess.clone(), proj.cloned()),
                None => Key::Name(Arc::from("-"), None),
            },
            // Model, and dimensions (which go through `add_dims`).
            _ => Key::Name(model.clone(), None),
        };
        let tokens = usage.total();
        let cost = match stored {
            Some(c) => Ok(c),
            None => pricer.price(model, at, usage, tier),
        };
        let cell = self.cells.entry((key, model.clone())).or_default();
        cell.usage += *usage;
        cell.records += 1;
        match cost {
            Ok(c) => {
                cell.cost += c;
                cell.priced_tokens += tokens;
            }
            Err(why) => {
                cell.unpriced_tokens += tokens;
                cell.unpriced_records += 1;
                let u = self.unpriced.entry(model.clone()).or_default();
                u.usage += *usage;
                u.records += 1;
                if u.reason.is_empty() {
                    u.reason = why;
                }
            }
        }
    }

    /// Counts an issue, keeping the first ones.
    pub fn issue(&mut self, i: Issue) {
        self.issue_count += 1;
        if self.issues.len() < MAX_ISSUES_SHOWN {
            self.issues.push(i);
        }
    }
}

/// A hasher for keys that are already hashes.
#[derive(Default)]
pub(crate) struct PassHasher(u64);

impl Hasher for PassHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

pub(crate) type HashSet64 = HashSet<u64, BuildHasherDefault<PassHasher>>;
