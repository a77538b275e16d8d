//! Aggregation from any ledger: split across threads when the backend
//! splits reads ([`Ledger::lean_parts`]), else on the calling thread.

use std::collections::HashMap;
use std::sync::Arc;

use llmcost_catalog::Catalog;
use llmcost_ledger::{Filter, LeanRecord, Ledger};

use super::agg::Agg;
use super::dims::{Dimension, Values};
use super::{Period, Pricer, ReportQuery, ReportSettings};
use crate::error::{Error, Result};

/// Reads the records of `led` in the settings' window into an aggregate.
/// A record's stored cost is used when it is in the report's currency;
/// otherwise it is priced again.
///
/// # Errors
/// The ledger cannot be read.
pub fn aggregate_ledger(
    cat: &Catalog,
    led: &dyn Ledger,
    period: Period,
    s: &ReportSettings,
) -> Result<Agg> {
    // Rows are read on every core, each thread over its own part of the
    // ledger (SQLite: a range of row ids) with its own connection; the sums
    // do not depend on the order.
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(8);
    aggregate_ledger_on(cat, led, period, s, threads, 100_000)
}

/// Sums the ledger on up to `threads` threads when it holds at least about
/// `min_rows` records and the backend splits reads, else on this one.
pub(crate) fn aggregate_ledger_on(
    cat: &Catalog,
    led: &dyn Ledger,
    period: Period,
    s: &ReportSettings,
    threads: usize,
    min_rows: u64,
) -> Result<Agg> {
    let filter = Filter {
        since: s.since,
        until: s.until,
        models: s.models.clone(),
        ..Filter::default()
    };
    let parts = if threads > 1 {
        led.lean_parts(threads, min_rows)
            .map_err(|e| Error::ledger("cannot open the ledger again", e))?
    } else {
        Vec::new()
    };
    if parts.len() < 2 {
        return aggregate_part(cat, period, s, &mut |f| led.for_each_lean(&filter, f));
    }
    let aggs: Vec<Result<Agg>> = std::thread::scope(|sc| {
        let handles: Vec<_> = parts
            .into_iter()
            .map(|part| {
                let filter = &filter;
                sc.spawn(move || {
                    aggregate_part(cat, period, s, &mut |f| part.for_each_lean(filter, f))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(Error::Stopped("a ledger reader stopped".into())))
            })
            .collect()
    });
    let mut total = Agg::default();
    for a in aggs {
        total = total.merge(a?);
    }
    Ok(total)
}

/// A lean read: calls its argument with every record read.
type LeanRead<'r> = dyn FnMut(
        &mut dyn FnMut(LeanRecord<'_>) -> llmcost_ledger::Result<()>,
    ) -> llmcost_ledger::Result<()>
    + 'r;

/// Sums the records of one read (a part, or the whole ledger).
fn aggregate_part(
    cat: &Catalog,
    period: Period,
    s: &ReportSettings,
    read: &mut LeanRead<'_>,
) -> Result<Agg> {
    let mut pricer = Pricer::new(cat, &s.price);
    let mut agg = Agg::default();
    // Names shared by the rows: records of one session come in runs, so the
    // last name of each column is checked before the map.
    let mut names: HashMap<Box<str>, Arc<str>, foldhash::fast::RandomState> = HashMap::default();
    let mut intern = move |last: &mut Option<Arc<str>>, x: &str| -> Arc<str> {
        if let Some(l) = last.as_ref().filter(|l| &***l == x) {
            return l.clone();
        }
        let a = if let Some(a) = names.get(x) {
            a.clone()
        } else {
            let a: Arc<str> = Arc::from(x);
            names.insert(Box::from(x), a.clone());
            a
        };
        *last = Some(a.clone());
        a
    };
    let (mut last_model, mut last_session, mut last_project) = (None, None, None);
    read(&mut |r| {
        let model = intern(&mut last_model, r.model);
        let stored = match (r.cost, r.currency) {
            (Some(c), Some(cur)) if cur == s.currency => Some(c),
            _ => None,
        };
        // sessions and projects matter to the session report only
        let (sess, proj) = if period == Period::Session {
            let sess = intern(&mut last_session, r.session.unwrap_or("-"));
            (Some(sess), r.project.map(|p| intern(&mut last_project, p)))
        } else {
            (None, None)
        };
        agg.add(
            period,
            s,
            &mut pricer,
            r.at,
            &model,
            &r.usage,
            r.service_tier,
            stored,
            sess.as_ref().map(|sess| (sess, proj.as_ref())),
        );
        Ok(())
    })
    .map_err(|e| Error::ledger("cannot read the ledger", e))?;
    agg.fx = pricer.fx;
    agg.calendars = pricer.calendars;
    Ok(agg)
}

/// Reads the records of `led` for a report `q` (rows, breakdown and filters
/// by any dimension) into an aggregate: the lean read (on every core) when
/// the dimensions are among model, project and source, else the full records.
///
/// # Errors
/// The ledger cannot be read.
pub(crate) fn aggregate_ledger_by(cat: &Catalog, led: &dyn Ledger, q: &ReportQuery) -> Result<Agg> {
    let dims = q.dims();
    if dims.is_empty() && (!q.breakdown || q.breakdown_by == Dimension::Model) {
        return aggregate_ledger(cat, led, q.period, &q.settings);
    }
    let s = &q.settings;
    let shape = q.shape();
    let filter = Filter {
        since: s.since,
        until: s.until,
        models: s.models.clone(),
        sources: q.filters.sources.clone(),
        ..Filter::default()
    };
    let err = |e| Error::ledger("cannot read the ledger", e);
    let mut pricer = Pricer::new(cat, &s.price);
    let mut agg = Agg::default();
    if dims.iter().all(|d| d.in_lean_read()) {
        led.for_each_lean(&filter, &mut |r| {
            let v = Values {
                project: r.project,
                provider: None,
                source: r.source,
                tags: &[],
                key: None,
                device: None,
                session: r.session,
            };
            if q.filters.keeps(&v) {
                let model = agg.name(r.model);
                let stored = stored_cost(r.cost, r.currency, s);
                agg.add_dims(
                    shape,
                    s,
                    &mut pricer,
                    r.at,
                    &model,
                    &r.usage,
                    r.service_tier,
                    stored,
                    &v,
                );
            }
            Ok(())
        })
        .map_err(err)?;
    } else {
        led.for_each_unordered(&filter, &mut |r| {
            let v = Values {
                project: r.project.as_deref(),
                provider: r.provider.as_deref(),
                source: &r.source,
                tags: &r.tags,
                key: r.key_fingerprint.as_deref(),
                device: r.device.as_deref(),
                session: r.session.as_deref(),
            };
            if q.filters.keeps(&v) {
                let model = agg.name(&r.model);
                let stored = stored_cost(r.cost, r.currency, s);
                agg.add_dims(
                    shape,
                    s,
                    &mut pricer,
                    r.at,
                    &model,
                    &r.usage,
                    r.service_tier,
                    stored,
                    &v,
                );
            }
            Ok(())
        })
        .map_err(err)?;
    }
    agg.fx = pricer.fx;
    agg.calendars = pricer.calendars;
    Ok(agg)
}

/// A record's stored cost when it is in the report's currency.
fn stored_cost(
    cost: Option<llmcost_core::Decimal>,
    currency: Option<llmcost_core::Currency>,
    s: &ReportSettings,
) -> Option<llmcost_core::Decimal> {
    match (cost, currency) {
        (Some(c), Some(cur)) if cur == s.currency => Some(c),
        _ => None,
    }
}
