//! Parsing and validation of catalog files.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use llmcost_core::schedule::epoch_day;
use llmcost_core::{
    Currency, DayWindow, Decimal, LongContext, OffPeak, PriceRow, PriceRowSpec, Rates, Schedule,
    ScheduleKind, ServiceTier, TierBasis, TierPricing, Timestamp,
};
use toml::Spanned;

use crate::raw::{ProviderFile, RawPrice, RawRates, RawTier, SchedulesFile};
use crate::{Catalog, Model, TimedAlias};

/// A catalog file that cannot be used, with where and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct LoadError {
    /// The file.
    pub file: String,
    /// 1-based line (0 when unknown).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

struct Ctx<'a> {
    file: &'a str,
    text: &'a str,
}

impl Ctx<'_> {
    fn line_of(&self, offset: usize) -> usize {
        self.text
            .get(..offset)
            .map_or(0, |t| t.bytes().filter(|&b| b == b'\n').count() + 1)
    }

    fn err_at<T>(
        &self,
        span: std::ops::Range<usize>,
        message: impl Into<String>,
    ) -> Result<T, LoadError> {
        Err(LoadError {
            file: self.file.to_string(),
            line: self.line_of(span.start),
            message: message.into(),
        })
    }

    fn err<T>(&self, message: impl Into<String>) -> Result<T, LoadError> {
        Err(LoadError {
            file: self.file.to_string(),
            line: 0,
            message: message.into(),
        })
    }

    fn instant(&self, s: &Spanned<String>, field: &str) -> Result<Timestamp, LoadError> {
        parse_instant(s.get_ref())
            .or_else(|e| self.err_at(s.span(), format!("field `{field}`: {e}")))
    }

    fn decimal(&self, s: &Spanned<String>, field: &str) -> Result<Decimal, LoadError> {
        let t = s.get_ref().trim();
        match t.parse::<Decimal>() {
            Ok(d) if d.is_sign_negative() && !d.is_zero() => {
                self.err_at(s.span(), format!("field `{field}`: negative rate `{t}`"))
            }
            Ok(d) => Ok(d),
            Err(_) => self.err_at(
                s.span(),
                format!("field `{field}`: `{t}` is not a decimal number (write rates as strings, e.g. \"0.27\")"),
            ),
        }
    }

    fn rates(&self, r: &RawRates, what: &str) -> Result<Rates, LoadError> {
        let f = |x: &Option<Spanned<String>>, name: &str| -> Result<Option<Decimal>, LoadError> {
            x.as_ref()
                .map(|v| self.decimal(v, &format!("{what}{name}")))
                .transpose()
        };
        Ok(Rates {
            input: f(&r.input, "input")?,
            cache_read: f(&r.cache_read, "cache_read")?,
            cache_write: f(&r.cache_write, "cache_write")?,
            cache_write_1h: f(&r.cache_write_1h, "cache_write_1h")?,
            output: f(&r.output, "output")?,
            reasoning: f(&r.reasoning, "reasoning")?,
        })
    }
}

/// Parses an RFC 3339 instant, or a bare date as 00:00 UTC.
pub(crate) fn parse_instant(s: &str) -> Result<Timestamp, String> {
    let t = s.trim();
    if let Ok(ts) = t.parse::<Timestamp>() {
        return Ok(ts);
    }
    if let Ok(d) = t.parse::<jiff::civil::Date>() {
        return d
            .to_zoned(jiff::tz::TimeZone::UTC)
            .map(|z| z.timestamp())
            .map_err(|e| e.to_string());
    }
    Err(format!(
        "`{t}` is not an RFC 3339 instant (e.g. 2025-02-08T16:00:00Z)"
    ))
}

fn parse_offset(s: &str) -> Result<i32, String> {
    let t = s.trim();
    let (sign, rest) = match t.as_bytes().first() {
        Some(b'+') => (1, &t[1..]),
        Some(b'-') => (-1, &t[1..]),
        _ => return Err(format!("`{t}` is not an offset like +08:00")),
    };
    let (h, m) = rest
        .split_once(':')
        .ok_or_else(|| format!("`{t}` is not an offset like +08:00"))?;
    let h: i32 = h.parse().map_err(|_| format!("`{t}` is not an offset"))?;
    let m: i32 = m.parse().map_err(|_| format!("`{t}` is not an offset"))?;
    Ok(sign * (h * 3600 + m * 60))
}

pub(crate) fn load(files: &[(&str, &str)]) -> Result<Catalog, LoadError> {
    let mut cat = Catalog::default();
    // Schedules first: price rows refer to them by name.
    for (file, text) in files.iter().filter(|(f, _)| *f == "schedules.toml") {
        load_schedules(&mut cat, &Ctx { file, text })?;
    }
    for (file, text) in files.iter().filter(|(f, _)| *f != "schedules.toml") {
        let ctx = Ctx { file, text };
        let pf: ProviderFile = toml::from_str(text).map_err(|e| LoadError {
            file: file.to_string(),
            line: e.span().map_or(0, |s| ctx.line_of(s.start)),
            message: e.message().to_string(),
        })?;
        let provider = pf.provider.trim().to_ascii_lowercase();
        if !cat.providers.contains(&provider) {
            cat.providers.push(provider.clone());
        }
        for m in pf.model {
            let model = load_model(&cat, &ctx, &provider, m)?;
            let idx = cat.models.len();
            for n in std::iter::once(&model.id).chain(model.aliases.iter()) {
                let key = n.to_ascii_lowercase();
                if let Some(&prev) = cat.by_name.get(&key) {
                    return ctx.err(format!(
                        "name `{n}` is used by both `{}` and `{}`",
                        cat.models[prev].id, model.id
                    ));
                }
                cat.by_name.insert(key, idx);
            }
            cat.models.push(model);
        }
        for a in pf.alias {
            let from = ctx.instant(&a.from, "alias.from")?;
            let until = a
                .until
                .as_ref()
                .map(|u| ctx.instant(u, "alias.until"))
                .transpose()?;
            if until.is_some_and(|u| u <= from) {
                return ctx.err_at(a.from.span(), "alias period is empty (`until` <= `from`)");
            }
            if a.source.trim().is_empty() {
                return ctx.err_at(a.name.span(), "alias has no `source`");
            }
            cat.timed
                .entry(a.name.get_ref().to_ascii_lowercase())
                .or_default()
                .push(TimedAlias {
                    name: a.name.get_ref().clone(),
                    target: a.target.clone(),
                    from,
                    until,
                    source: a.source.clone(),
                    note: a.note.clone(),
                });
        }
    }
    validate(&cat)?;
    Ok(cat)
}

fn load_schedules(cat: &mut Catalog, ctx: &Ctx<'_>) -> Result<(), LoadError> {
    let sf: SchedulesFile = toml::from_str(ctx.text).or_else(|e| {
        let line = e.span().map_or(0, |s| ctx.line_of(s.start));
        ctx.err_at(line_span(ctx, line), e.message().to_string())
    })?;
    let mut calendars: HashMap<String, BTreeSet<i64>> = HashMap::new();
    for c in sf.calendar {
        if c.source.trim().is_empty() {
            return ctx.err(format!("calendar `{}` has no `source`", c.name));
        }
        let mut days = BTreeSet::new();
        for d in &c.dates {
            let date: jiff::civil::Date = d.get_ref().trim().parse().or_else(|_| {
                ctx.err_at(
                    d.span(),
                    format!("`{}` is not a date (YYYY-MM-DD)", d.get_ref()),
                )
            })?;
            days.insert(epoch_day(date));
        }
        calendars.insert(c.name.clone(), days);
    }
    for s in sf.schedule {
        if s.source.trim().is_empty() {
            return ctx.err_at(s.name.span(), "schedule has no `source`");
        }
        let windows = s
            .windows_utc
            .iter()
            .map(|w| DayWindow::parse(w.get_ref()).or_else(|e| ctx.err_at(w.span(), e)))
            .collect::<Result<Vec<_>, _>>()?;
        let kind = match s.kind.get_ref().as_str() {
            "off_peak_windows" => ScheduleKind::OffPeakWindows(windows),
            "peak_windows" => {
                let utc_offset_seconds = s
                    .calendar_utc_offset
                    .as_ref()
                    .map(|o| parse_offset(o.get_ref()).or_else(|e| ctx.err_at(o.span(), e)))
                    .transpose()?
                    .unwrap_or(0);
                let weekends_off_peak_from = s
                    .weekends_off_peak_from
                    .as_ref()
                    .map(|w| ctx.instant(w, "weekends_off_peak_from"))
                    .transpose()?;
                let holidays = match &s.holidays {
                    None => BTreeSet::new(),
                    Some(h) => calendars.get(h.get_ref()).cloned().map_or_else(
                        || ctx.err_at(h.span(), format!("unknown calendar `{}`", h.get_ref())),
                        Ok,
                    )?,
                };
                ScheduleKind::PeakWindows {
                    windows,
                    utc_offset_seconds,
                    weekends_off_peak_from,
                    holidays,
                }
            }
            other => {
                return ctx.err_at(
                    s.kind.span(),
                    format!("unknown schedule kind `{other}` (expected off_peak_windows or peak_windows)"),
                );
            }
        };
        let name = s.name.get_ref().clone();
        cat.schedules
            .insert(name.clone(), Arc::new(Schedule { name, kind }));
    }
    Ok(())
}

fn line_span(ctx: &Ctx<'_>, line: usize) -> std::ops::Range<usize> {
    // Byte offset of the start of `line` (1-based), for re-reporting a parse error.
    let mut off = 0;
    for (i, l) in ctx.text.split_inclusive('\n').enumerate() {
        if i + 1 >= line {
            break;
        }
        off += l.len();
    }
    off..off
}

fn load_model(
    cat: &Catalog,
    ctx: &Ctx<'_>,
    provider: &str,
    m: crate::raw::RawModel,
) -> Result<Model, LoadError> {
    let id = m.id.get_ref().trim().to_string();
    if id.is_empty() {
        return ctx.err_at(m.id.span(), "model has an empty `id`");
    }
    let retired = m
        .retired
        .as_deref()
        .map(|r| {
            parse_instant(r)
                .or_else(|e| ctx.err_at(m.id.span(), format!("model `{id}` field `retired`: {e}")))
        })
        .transpose()?;
    let mut rows = Vec::with_capacity(m.price.len());
    let mut confidence = Vec::with_capacity(m.price.len());
    for p in &m.price {
        let row = load_row(cat, ctx, &id, p)?;
        confidence.push(p.confidence.clone());
        rows.push(Arc::new(row));
    }
    // Order by currency, then start.
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by_key(|&i| (rows[i].spec().currency, rows[i].spec().from));
    let rows_sorted: Vec<_> = order.iter().map(|&i| rows[i].clone()).collect();
    let conf_sorted: Vec<_> = order.iter().map(|&i| confidence[i].clone()).collect();
    // No overlap per currency.
    for w in rows_sorted.windows(2) {
        let (a, b) = (w[0].spec(), w[1].spec());
        if a.currency == b.currency && a.until.is_none_or(|u| u > b.from) {
            return ctx.err_at(
                m.id.span(),
                format!(
                    "model `{id}`: {} rows overlap: one from {} until {}, another from {}",
                    a.currency,
                    a.from,
                    a.until.map_or("(open)".to_string(), |u| u.to_string()),
                    b.from
                ),
            );
        }
    }
    Ok(Model {
        id,
        provider: provider.to_string(),
        name: m.name,
        aliases: m.aliases,
        retired,
        successor: m.successor,
        note: m.note,
        rows: rows_sorted,
        file: ctx.file.to_string(),
        confidence: conf_sorted,
    })
}

fn load_row(cat: &Catalog, ctx: &Ctx<'_>, id: &str, p: &RawPrice) -> Result<PriceRow, LoadError> {
    let at = p.from.span();
    let from = ctx.instant(&p.from, "from")?;
    let until = p
        .until
        .as_ref()
        .map(|u| ctx.instant(u, "until"))
        .transpose()?;
    let currency = Currency::new(p.currency.get_ref())
        .or_else(|e| ctx.err_at(p.currency.span(), e.to_string()))?;
    if p.source.get_ref().trim().is_empty() {
        return ctx.err_at(
            p.source.span(),
            format!("model `{id}`: row has an empty `source`"),
        );
    }
    if !p.source.get_ref().starts_with("http") {
        return ctx.err_at(
            p.source.span(),
            format!("model `{id}`: `source` must be a URL"),
        );
    }
    if let Some(c) = &p.confidence
        && !matches!(c.as_str(), "A" | "B" | "C")
    {
        return ctx.err_at(
            at,
            format!(
                "model `{id}`: confidence `{c}` is not A, B or C (unverified prices are left out)"
            ),
        );
    }
    let rates = ctx.rates(&p.rates(), "")?;
    let off_peak = match &p.off_peak {
        None => None,
        Some(o) => {
            let schedule = cat
                .schedules
                .get(o.schedule.get_ref())
                .cloned()
                .map_or_else(
                    || {
                        ctx.err_at(
                            o.schedule.span(),
                            format!("unknown schedule `{}`", o.schedule.get_ref()),
                        )
                    },
                    Ok,
                )?;
            Some(OffPeak {
                schedule,
                rates: ctx.rates(&o.rates(), "off_peak.")?,
            })
        }
    };
    let long_context = match &p.long_context {
        None => None,
        Some(l) => {
            let basis = match l.basis.get_ref().as_str() {
                "prompt" => TierBasis::Prompt,
                "total" => TierBasis::Total,
                other => {
                    return ctx.err_at(
                        l.basis.span(),
                        format!("unknown basis `{other}` (expected prompt or total)"),
                    );
                }
            };
            Some(LongContext {
                threshold: l.threshold,
                basis,
                rates: ctx.rates(&l.rates(), "long_context.")?,
            })
        }
    };
    let mut service_tiers = Vec::new();
    for (tier, raw) in [
        (ServiceTier::Batch, &p.batch),
        (ServiceTier::Flex, &p.flex),
        (ServiceTier::Priority, &p.priority),
    ] {
        if let Some(t) = raw {
            service_tiers.push((tier, tier_pricing(ctx, tier, t)?));
        }
    }
    let spec = PriceRowSpec {
        from,
        until,
        currency,
        rates,
        off_peak,
        long_context,
        service_tiers,
        thinking_output: p.thinking_output,
        source: p.source.get_ref().clone(),
        note: p.note.clone(),
    };
    PriceRow::new(spec).or_else(|e| ctx.err_at(at, format!("model `{id}`: {e}")))
}

fn tier_pricing(ctx: &Ctx<'_>, tier: ServiceTier, t: &RawTier) -> Result<TierPricing, LoadError> {
    let rates = ctx.rates(&t.rates(), &format!("{tier}."))?;
    match &t.multiplier {
        Some(m) => {
            if rates != Rates::default() {
                return ctx.err_at(
                    m.span(),
                    format!("`{tier}` has both a multiplier and rates: give one"),
                );
            }
            Ok(TierPricing::Multiplier(
                ctx.decimal(m, &format!("{tier}.multiplier"))?,
            ))
        }
        None => Ok(TierPricing::Rates(rates)),
    }
}

fn validate(cat: &Catalog) -> Result<(), LoadError> {
    let err = |message: String| LoadError {
        file: "catalog".into(),
        line: 0,
        message,
    };
    for (name, periods) in &cat.timed {
        for a in periods {
            let Some(&ti) = cat.by_name.get(&a.target.to_ascii_lowercase()) else {
                // A target may itself be a timed alias.
                if cat.timed.contains_key(&a.target.to_ascii_lowercase()) {
                    continue;
                }
                return Err(err(format!(
                    "alias `{}` points at unknown model `{}`",
                    a.name, a.target
                )));
            };
            if cat.models[ti].rows.is_empty() {
                return Err(err(format!(
                    "alias `{}` points at `{}`, which has no prices",
                    a.name, a.target
                )));
            }
        }
        let mut sorted: Vec<&TimedAlias> = periods.iter().collect();
        sorted.sort_by_key(|a| a.from);
        for w in sorted.windows(2) {
            if w[0].until.is_none_or(|u| u > w[1].from) {
                return Err(err(format!(
                    "alias `{name}` has overlapping periods starting {} and {}",
                    w[0].from, w[1].from
                )));
            }
        }
    }
    for m in &cat.models {
        if let Some(s) = &m.successor
            && !cat.by_name.contains_key(&s.to_ascii_lowercase())
            && !cat.timed.contains_key(&s.to_ascii_lowercase())
        {
            return Err(err(format!(
                "model `{}` names unknown successor `{s}`",
                m.id
            )));
        }
    }
    Ok(())
}
