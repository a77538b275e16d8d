//! Pricing many records with a cache of the row in force per model
//! (`report`, `reconcile`, `import`): one per thread.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use llmcost_catalog::Catalog;
use llmcost_core::{Currency, Decimal, PriceRow, ServiceTier, Timestamp, Usage};

use crate::quote::PriceSettings;
use crate::quote::calendar::Ended;

/// A cached resolution: valid for instants in `[from, until)`.
struct Cached {
    from: Timestamp,
    until: Option<Timestamp>,
    row: Arc<PriceRow>,
    rate: Option<(Currency, Decimal)>,
    /// The end of the row's holiday calendar, if any (records at or after it
    /// are noted once in `Pricer::calendars`).
    calendar_end: Option<Timestamp>,
}

/// Prices usages of many records; caches per model the row in force and its
/// validity, so most records cost one comparison and the row's arithmetic.
pub struct Pricer<'a> {
    cat: &'a Catalog,
    s: &'a PriceSettings,
    cache: Vec<(Arc<str>, Cached)>,
    /// Models whose name is unknown (time-independent), with the reason.
    unknown: HashMap<Arc<str>, String, foldhash::fast::RandomState>,
    /// Conversions used.
    pub fx: BTreeMap<Currency, Decimal>,
    /// Schedules whose holiday calendar had ended at a record priced.
    pub calendars: Ended,
}

impl<'a> Pricer<'a> {
    /// A pricer with an empty cache.
    #[must_use]
    pub fn new(cat: &'a Catalog, s: &'a PriceSettings) -> Pricer<'a> {
        Pricer {
            cat,
            s,
            cache: Vec::new(),
            unknown: HashMap::default(),
            fx: BTreeMap::new(),
            calendars: Ended::default(),
        }
    }

    /// The exact cost of `usage` of `model` at `at`, in the settings'
    /// currency, or why there is none.
    ///
    /// # Errors
    /// Why the usage has no price (the first line of the lookup's message).
    pub fn price(
        &mut self,
        model: &Arc<str>,
        at: Timestamp,
        usage: &Usage,
        tier: ServiceTier,
    ) -> Result<Decimal, String> {
        if let Some(why) = self.unknown.get(model) {
            return Err(why.clone());
        }
        // Models are few: a linear scan (pointer first) beats hashing the name.
        let pos = self
            .cache
            .iter()
            .position(|(m, _)| Arc::ptr_eq(m, model) || **m == **model);
        let fresh = pos.filter(|&i| {
            let c = &self.cache[i].1;
            at >= c.from && c.until.is_none_or(|u| at < u)
        });
        let i = match fresh {
            Some(i) => i,
            None => self.refresh(model, at)?,
        };
        let c = &self.cache[i].1;
        let total = c.row.total(usage, at, tier).map_err(|e| e.to_string())?;
        // One comparison; past the calendar the row's schedule is noted once.
        if c.calendar_end.is_some_and(|e| at >= e) {
            let row = c.row.clone();
            self.cache[i].1.calendar_end = None;
            self.calendars.note_row(&row, at);
        }
        let c = &self.cache[i].1;
        Ok(match c.rate {
            Some((from, rate)) => {
                self.fx.insert(from, rate);
                (total * rate).normalize()
            }
            None => total,
        })
    }

    fn refresh(&mut self, model: &Arc<str>, at: Timestamp) -> Result<usize, String> {
        match crate::quote::resolve(self.cat, model, at, self.s) {
            Ok((r, conv)) => {
                let spec = r.row.spec();
                let mut from = spec.from;
                let mut until = spec.until;
                for a in &r.via {
                    from = from.max(a.from);
                    until = match (until, a.until) {
                        (Some(x), Some(y)) => Some(x.min(y)),
                        (x, y) => x.or(y),
                    };
                }
                if let Some(ret) = r.model.retired {
                    until = Some(until.map_or(ret, |u| u.min(ret)));
                }
                let cached = Cached {
                    from,
                    until,
                    row: r.row.clone(),
                    rate: conv.map(|(from, _, rate)| (from, rate)),
                    calendar_end: spec
                        .off_peak
                        .as_ref()
                        .and_then(|o| o.schedule.calendar_end()),
                };
                let i = match self.cache.iter().position(|(m, _)| **m == **model) {
                    Some(i) => {
                        self.cache[i].1 = cached;
                        i
                    }
                    None => {
                        self.cache.push((model.clone(), cached));
                        self.cache.len() - 1
                    }
                };
                Ok(i)
            }
            Err(e) => {
                let msg = format!("{e:#}");
                let reason = msg.lines().next().unwrap_or("no price").to_string();
                if !self.cat.knows(model) {
                    self.unknown.insert(model.clone(), reason.clone());
                }
                self.cache.retain(|(m, _)| **m != **model);
                Err(reason)
            }
        }
    }
}
