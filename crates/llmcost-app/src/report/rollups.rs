//! Reports from a ledger's hourly rollups (`Ledger::rollup`): sums per UTC
//! hour, model and dimension, read instead of every record when they answer
//! the report exactly. They do when:
//!
//! * rows are not sessions (rollups keep no session);
//! * `--since`/`--until` fall on whole hours (else the backend says `None`);
//! * every record in the window is priced in the report's currency (a record
//!   with no cost, or a cost in another currency, is priced again one by one
//!   from its own tokens and time, which sums cannot do);
//! * for days, weeks and months: the zone is a whole number of hours from UTC
//!   throughout each hour (true of every zone but those with :30 or :45
//!   offsets, such as Asia/Kolkata), so each UTC hour lies inside one day.
//!
//! Otherwise the answer is `Err(reason)` and the caller reads every record.

use llmcost_ledger::rollup::hour_of;
use llmcost_ledger::{Dim, Ledger, RollupQuery, RollupRow};

use super::agg::{Agg, Key, Overlap, Sum, time_key};
use super::dims::{Dimension, NONE_LABEL};
use super::{Period, ReportQuery};
use crate::error::{Error, Result};

/// The aggregate of `q` from rollups and the number of rollup rows read, or
/// why rollups cannot answer it.
pub(crate) fn aggregate(
    led: &dyn Ledger,
    q: &ReportQuery,
) -> Result<std::result::Result<(Agg, usize), String>> {
    if q.period == Period::Session {
        return Ok(Err("session reports need each record's session".into()));
    }
    let s = &q.settings;
    let mut group_by = vec![Dim::Model];
    if q.period.is_time() {
        group_by.push(Dim::Hour);
    }
    group_by.extend(q.period.dimension().map(Dimension::dim));
    if q.breakdown {
        group_by.push(q.breakdown_by.dim());
    }
    group_by.sort();
    group_by.dedup();
    let f = &q.filters;
    let base = RollupQuery {
        group_by: Vec::new(),
        since: s.since,
        until: s.until,
        models: s.models.clone(),
        projects: f.projects.clone(),
        sources: f.sources.clone(),
        providers: f.providers.clone(),
        tags: f.tags.clone(),
        keys: f.keys.clone(),
        devices: f.devices.clone(),
    };
    let rq = RollupQuery {
        group_by,
        ..base.clone()
    };
    let read = |rq: &RollupQuery| {
        led.rollup(rq)
            .map_err(|e| Error::ledger("cannot read the ledger's rollups", e))
    };
    let Some(rows) = read(&rq)? else {
        return Ok(Err(if rq.on_hours() {
            "this ledger keeps no hourly rollups".into()
        } else {
            "--since or --until falls inside an hour".into()
        }));
    };
    let mut to_price = 0;
    for r in &rows {
        if r.currency != Some(s.currency) {
            to_price += r.sums.records;
        } else {
            to_price += r.sums.unpriced_records;
        }
    }
    if to_price > 0 {
        return Ok(Err(format!(
            "{to_price} record(s) have no cost in {} and are priced one by one",
            s.currency
        )));
    }
    if q.period.is_time() {
        for r in &rows {
            if let Some(h) = r.hour
                && !whole_hour(&s.tz, h)
            {
                return Ok(Err(format!(
                    "the zone {} is not a whole number of hours from UTC at {h}",
                    s.tz_name
                )));
            }
        }
    }
    let n = rows.len();
    let mut agg = Agg::default();
    let shape = q.shape();
    for r in &rows {
        let Some(key) = row_key(&mut agg, q, r) else {
            continue;
        };
        let group = match shape.breakdown {
            None | Some(Dimension::Model) => agg.name(r.model.as_deref().unwrap_or(NONE_LABEL)),
            Some(d) => agg.name(value(r, d).unwrap_or(NONE_LABEL)),
        };
        agg.cells.entry((key, group)).or_default().merge(&sum_of(r));
    }
    // Tags overlap: each row and the total count a record once, from sums
    // not grouped by the tag of the breakdown.
    if shape.overlaps() {
        let mut rows_by = Vec::new();
        if q.period.is_time() {
            rows_by.push(Dim::Hour);
        }
        rows_by.extend(q.period.dimension().map(Dimension::dim));
        let mut o = Overlap::default();
        let per_row = read(&RollupQuery {
            group_by: rows_by,
            ..base.clone()
        })?
        .unwrap_or_default();
        for r in &per_row {
            if let Some(key) = row_key(&mut agg, q, r) {
                o.rows.entry(key).or_default().merge(&sum_of(r));
            }
        }
        for r in read(&base)?.unwrap_or_default() {
            o.total.merge(&sum_of(&r));
        }
        agg.overlap = Some(o);
    }
    Ok(Ok((agg, n)))
}

/// The row key of a rollup row.
fn row_key(agg: &mut Agg, q: &ReportQuery, r: &RollupRow) -> Option<Key> {
    Some(match q.period.dimension() {
        None => time_key(q.period, &q.settings, r.hour?),
        Some(d) => Key::Name(agg.name(value(r, d).unwrap_or(NONE_LABEL)), None),
    })
}

/// A rollup row's value of a dimension.
fn value(r: &RollupRow, d: Dimension) -> Option<&str> {
    match d {
        Dimension::Model => r.model.as_deref(),
        Dimension::Project => r.project.as_deref(),
        Dimension::Provider => r.provider.as_deref(),
        Dimension::Source => r.source.as_deref(),
        Dimension::Tag => r.tag.as_deref(),
        Dimension::Key => r.key_fingerprint.as_deref(),
        Dimension::Device => r.device.as_deref(),
    }
}

/// A report sum of a rollup row (every record in it priced).
fn sum_of(r: &RollupRow) -> Sum {
    let total = r.sums.usage.total();
    Sum {
        usage: r.sums.usage,
        records: r.sums.records,
        cost: r.sums.cost,
        priced_tokens: total.saturating_sub(r.sums.unpriced_tokens),
        unpriced_tokens: r.sums.unpriced_tokens,
        unpriced_records: r.sums.unpriced_records,
    }
}

/// Whether `tz` is a whole number of hours from UTC throughout the hour
/// starting at `h`.
fn whole_hour(tz: &jiff::tz::TimeZone, h: jiff::Timestamp) -> bool {
    let a = tz.to_offset(h).seconds();
    let end = jiff::Timestamp::from_second(h.as_second() + 3599).unwrap_or(h);
    let b = tz.to_offset(end).seconds();
    a % 3600 == 0 && a == b && hour_of(h) == hour_of(end)
}
