//! Sums per row key and model, merged across threads.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use llmcost_core::civil::first_of_month;
use llmcost_core::{Currency, Decimal, ServiceTier, Timestamp, Usage};
use llmcost_logs::Issue;

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
        self
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
            Period::Daily => Key::Day(s.day(at)),
            Period::Weekly => {
                let d = s.day(at);
                // 1970-01-01 was a Thursday: Monday-based weeks start 3 days earlier.
                Key::Day(d - (d + 3).rem_euclid(7))
            }
            Period::Monthly => Key::Day(first_of_month(s.day(at))),
            Period::Model => Key::Name(model.clone(), None),
            Period::Session => match session {
                Some((sess, proj)) => Key::Name(sess.clone(), proj.cloned()),
                None => Key::Name(Arc::from("-"), None),
            },
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
