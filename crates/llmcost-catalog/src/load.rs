//! Parsing and validation of catalog files.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use llmcost_core::civil::epoch_day;
use llmcost_core::schedule::calendar_end_of;
use llmcost_core::{
    Currency, DayWindow, Decimal, LongContext, OffPeak, PriceRow, PriceRowSpec, Rates, Schedule,
    ScheduleKind, ServiceTier, TierBasis, TierPricing, Timestamp,
};
use toml::Spanned;

use crate::origin::{BEGINNING, ImportInfo, Layer, Origin, Pattern, sort_patterns};
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

#[derive(Clone, Copy)]
pub(crate) struct Ctx<'a> {
    pub file: &'a str,
    pub text: &'a str,
    /// The built-in catalog: every field required, sources are URLs.
    pub builtin: bool,
    pub origin: Option<&'a Origin>,
}

impl<'a> Ctx<'a> {
    pub(crate) fn builtin(file: &'a str, text: &'a str) -> Ctx<'a> {
        Ctx {
            file,
            text,
            builtin: true,
            origin: None,
        }
    }

    pub(crate) fn user(file: &'a str, text: &'a str) -> Ctx<'a> {
        Ctx {
            file,
            text,
            builtin: false,
            origin: None,
        }
    }

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
            input_audio: f(&r.input_audio, "input_audio")?,
            cache_read_audio: f(&r.cache_read_audio, "cache_read_audio")?,
            output_audio: f(&r.output_audio, "output_audio")?,
            input_image: f(&r.input_image, "input_image")?,
            output_image: f(&r.output_image, "output_image")?,
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

/// Line numbers by binary search over newline offsets (one pass per file,
/// instead of a scan from the start for every model).
struct Lines(Vec<usize>);

impl Lines {
    fn new(text: &str) -> Lines {
        Lines(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i)
                .collect(),
        )
    }

    /// 1-based line of a byte offset.
    fn line(&self, offset: usize) -> usize {
        self.0.partition_point(|&p| p < offset) + 1
    }
}

/// One parsed catalog file, before it joins a catalog.
#[derive(Debug)]
pub(crate) struct Part {
    pub origin: Origin,
    /// The file's `provider` (required in the built-in catalog).
    pub provider: Option<String>,
    pub models: Vec<PartModel>,
    /// Timed aliases with their 1-based line.
    pub aliases: Vec<(TimedAlias, usize)>,
    pub import: Option<ImportInfo>,
}

/// One model of a parsed file.
#[derive(Debug)]
pub(crate) struct PartModel {
    pub model: Model,
    /// Per row (parallel to `model.rows`): marked `override = true`.
    pub overrides: Vec<bool>,
    /// Name patterns with their line.
    pub patterns: Vec<(String, usize)>,
    /// Line of the model's `id`.
    pub line: usize,
}

pub(crate) fn load(files: &[(&str, &str)]) -> Result<Catalog, LoadError> {
    let mut cat = Catalog::default();
    // Schedules first: price rows refer to them by name.
    for (file, text) in files.iter().filter(|(f, _)| *f == "schedules.toml") {
        load_schedules(&mut cat, &Ctx::builtin(file, text))?;
    }
    for (file, text) in files.iter().filter(|(f, _)| *f != "schedules.toml") {
        let ctx = Ctx::builtin(file, text);
        let part = parse_file(&cat.schedules, &ctx)?;
        let Some(provider) = part.provider else {
            return ctx
                .err("missing field `provider` (the provider key, e.g. provider = \"deepseek\")");
        };
        if !cat.providers.contains(&provider) {
            cat.providers.push(provider.clone());
        }
        for pm in part.models {
            let model = pm.model;
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
            for (p, _) in pm.patterns {
                cat.patterns
                    .push(Pattern::new(&p, &model, part.origin.clone(), 1));
            }
            cat.models.push(model);
        }
        for (a, _) in part.aliases {
            cat.timed
                .entry(a.name.to_ascii_lowercase())
                .or_default()
                .push(a);
        }
    }
    sort_patterns(&mut cat.patterns);
    validate(&cat)?;
    Ok(cat)
}

/// Parses one provider file (built-in or user) against known schedules.
pub(crate) fn parse_file(
    schedules: &HashMap<String, Arc<Schedule>>,
    ctx: &Ctx<'_>,
) -> Result<Part, LoadError> {
    let pf: ProviderFile = toml::from_str(ctx.text).map_err(|e| LoadError {
        file: ctx.file.to_string(),
        line: e.span().map_or(0, |s| ctx.line_of(s.start)),
        message: e.message().trim().to_string(),
    })?;
    let lines = Lines::new(ctx.text);
    let import = match &pf.import {
        None => None,
        Some(i) => Some(ImportInfo {
            format: i.format.clone(),
            source: i.source.clone(),
            imported: parse_instant(&i.imported)
                .or_else(|e| ctx.err(format!("field `import.imported`: {e}")))?,
            unmapped: i.unmapped.clone(),
            skipped: i.skipped.clone(),
            digest: i.digest.clone(),
        }),
    };
    let origin = Origin {
        layer: if ctx.builtin {
            Layer::BuiltIn
        } else if import.is_some() {
            Layer::Imported
        } else {
            Layer::User
        },
        file: ctx.file.to_string(),
    };
    let ctx = &Ctx {
        origin: Some(&origin),
        ..*ctx
    };
    let provider = pf
        .provider
        .as_ref()
        .map(|p| p.trim().to_ascii_lowercase())
        .filter(|p| !p.is_empty());
    let default_provider = provider
        .clone()
        .unwrap_or_else(|| origin.layer.key().to_string());
    let mut models = Vec::with_capacity(pf.model.len());
    for m in pf.model {
        let line = lines.line(m.id.span().start);
        let patterns = m
            .patterns
            .iter()
            .map(|p| (p.get_ref().trim().to_string(), lines.line(p.span().start)))
            .collect::<Vec<_>>();
        if let Some((p, l)) = patterns
            .iter()
            .find(|(p, _)| p.is_empty() || !p.contains('*'))
        {
            return Err(LoadError {
                file: ctx.file.to_string(),
                line: *l,
                message: format!(
                    "field `patterns`: `{p}` has no `*` (write e.g. \"my-finetune-*\"; a plain name belongs in `aliases`)"
                ),
            });
        }
        let provider = m
            .provider
            .as_ref()
            .map(|p| p.trim().to_ascii_lowercase())
            .unwrap_or_else(|| default_provider.clone());
        let (model, overrides) = load_model(schedules, ctx, &provider, m)?;
        models.push(PartModel {
            model,
            overrides,
            patterns,
            line,
        });
    }
    let mut aliases = Vec::with_capacity(pf.alias.len());
    for a in pf.alias {
        let line = lines.line(a.name.span().start);
        let from = match &a.from {
            Some(f) => ctx.instant(f, "alias.from")?,
            None if ctx.builtin => {
                return ctx.err_at(a.name.span(), "alias: missing field `from`");
            }
            None => BEGINNING,
        };
        let until = a
            .until
            .as_ref()
            .map(|u| ctx.instant(u, "alias.until"))
            .transpose()?;
        if until.is_some_and(|u| u <= from) {
            return ctx.err_at(a.name.span(), "alias period is empty (`until` <= `from`)");
        }
        let source = match a.source.as_deref().map(str::trim) {
            Some(s) if !s.is_empty() => s.to_string(),
            _ if ctx.builtin => return ctx.err_at(a.name.span(), "alias has no `source`"),
            _ => origin.label(),
        };
        aliases.push((
            TimedAlias {
                name: a.name.get_ref().clone(),
                target: a.target.clone(),
                from,
                until,
                source,
                note: a.note.clone(),
                origin: origin.clone(),
            },
            line,
        ));
    }
    Ok(Part {
        origin,
        provider,
        models,
        aliases,
        import,
    })
}

fn load_schedules(cat: &mut Catalog, ctx: &Ctx<'_>) -> Result<(), LoadError> {
    let sf: SchedulesFile = toml::from_str(ctx.text).or_else(|e| {
        let line = e.span().map_or(0, |s| ctx.line_of(s.start));
        ctx.err_at(line_span(ctx, line), e.message().to_string())
    })?;
    // Holiday dates and the last date each calendar covers.
    let mut calendars: HashMap<String, (BTreeSet<i64>, jiff::civil::Date)> = HashMap::new();
    for c in sf.calendar {
        let name = c.name.get_ref().clone();
        if c.source.trim().is_empty() {
            return ctx.err_at(c.name.span(), format!("calendar `{name}` has no `source`"));
        }
        let Some(until) = &c.covers_until else {
            return ctx.err_at(
                c.name.span(),
                format!(
                    "calendar `{name}` has no `covers_until`: give the last date it covers \
                     (YYYY-MM-DD), so that later dates are reported as not covered"
                ),
            );
        };
        let until_date: jiff::civil::Date = until.get_ref().trim().parse().or_else(|_| {
            ctx.err_at(
                until.span(),
                format!("`{}` is not a date (YYYY-MM-DD)", until.get_ref()),
            )
        })?;
        let mut days = BTreeSet::new();
        for d in &c.dates {
            let date: jiff::civil::Date = d.get_ref().trim().parse().or_else(|_| {
                ctx.err_at(
                    d.span(),
                    format!("`{}` is not a date (YYYY-MM-DD)", d.get_ref()),
                )
            })?;
            if date > until_date {
                return ctx.err_at(
                    d.span(),
                    format!(
                        "holiday {date} is after the calendar's `covers_until` ({until_date}): \
                         move `covers_until` to the end of the year the new dates cover"
                    ),
                );
            }
            days.insert(epoch_day(date));
        }
        calendars.insert(name, (days, until_date));
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
                let (holidays, calendar_end) = match &s.holidays {
                    None => (BTreeSet::new(), None),
                    Some(h) => {
                        let (days, until) = calendars.get(h.get_ref()).cloned().map_or_else(
                            || ctx.err_at(h.span(), format!("unknown calendar `{}`", h.get_ref())),
                            Ok,
                        )?;
                        let end = calendar_end_of(until, utc_offset_seconds).map_or_else(
                            || {
                                ctx.err_at(
                                    h.span(),
                                    format!("calendar `{}` ends out of range", h.get_ref()),
                                )
                            },
                            Ok,
                        )?;
                        (days, Some(end))
                    }
                };
                ScheduleKind::PeakWindows {
                    windows,
                    utc_offset_seconds,
                    weekends_off_peak_from,
                    holidays,
                    calendar_end,
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
    schedules: &HashMap<String, Arc<Schedule>>,
    ctx: &Ctx<'_>,
    provider: &str,
    m: crate::raw::RawModel,
) -> Result<(Model, Vec<bool>), LoadError> {
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
        let row = load_row(schedules, ctx, &id, p)?;
        confidence.push(p.confidence.clone());
        rows.push(Arc::new(row));
    }
    if ctx.builtin && m.price.iter().any(|p| p.overrides) {
        return ctx.err_at(
            m.id.span(),
            format!("model `{id}`: `override` is for user catalog files"),
        );
    }
    // Order by currency, then start.
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by_key(|&i| (rows[i].spec().currency, rows[i].spec().from));
    let rows_sorted: Vec<_> = order.iter().map(|&i| rows[i].clone()).collect();
    let conf_sorted: Vec<_> = order.iter().map(|&i| confidence[i].clone()).collect();
    let overrides: Vec<bool> = order.iter().map(|&i| m.price[i].overrides).collect();
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
    let origin = ctx.origin.cloned().unwrap_or_else(|| Origin {
        layer: Layer::BuiltIn,
        file: ctx.file.to_string(),
    });
    Ok((
        Model {
            id,
            provider: provider.to_string(),
            name: m.name,
            aliases: m.aliases,
            retired,
            successor: m.successor,
            note: m.note,
            origins: vec![origin; rows_sorted.len()],
            rows: rows_sorted,
            file: ctx.file.to_string(),
            confidence: conf_sorted,
        },
        overrides,
    ))
}

fn load_row(
    schedules: &HashMap<String, Arc<Schedule>>,
    ctx: &Ctx<'_>,
    id: &str,
    p: &RawPrice,
) -> Result<PriceRow, LoadError> {
    // Where to point at for row-level problems: the first field that has a span.
    let at = p
        .from
        .as_ref()
        .or(p.currency.as_ref())
        .or(p.source.as_ref())
        .or(p.input.as_ref())
        .or(p.output.as_ref())
        .map_or(0..0, Spanned::span);
    let missing = |field: &str| {
        ctx.err_at(
            at.clone(),
            format!("model `{id}`: price row has no `{field}` (required in the built-in catalog)"),
        )
    };
    let from = match &p.from {
        Some(f) => ctx.instant(f, "from")?,
        None if ctx.builtin => return missing("from"),
        None => BEGINNING,
    };
    let until = p
        .until
        .as_ref()
        .map(|u| ctx.instant(u, "until"))
        .transpose()?;
    let currency = match &p.currency {
        Some(c) => Currency::new(c.get_ref())
            .or_else(|e| ctx.err_at(c.span(), format!("field `currency`: {e}")))?,
        None if ctx.builtin => return missing("currency"),
        None => Currency::USD,
    };
    let source = match &p.source {
        Some(s) if s.get_ref().trim().is_empty() => {
            return ctx.err_at(s.span(), format!("model `{id}`: row has an empty `source`"));
        }
        Some(s) if ctx.builtin && !s.get_ref().starts_with("http") => {
            return ctx.err_at(s.span(), format!("model `{id}`: `source` must be a URL"));
        }
        Some(s) => s.get_ref().trim().to_string(),
        None if ctx.builtin => return missing("source"),
        None => ctx
            .origin
            .map_or_else(|| format!("user:{}", ctx.file), Origin::label),
    };
    if let Some(c) = &p.confidence
        && !matches!(c.as_str(), "A" | "B" | "C")
    {
        return ctx.err_at(
            at.clone(),
            format!(
                "model `{id}`: confidence `{c}` is not A, B or C (unverified prices are left out)"
            ),
        );
    }
    let rates = ctx.rates(&p.rates(), "")?;
    let off_peak = match &p.off_peak {
        None => None,
        Some(o) => {
            let schedule = schedules.get(o.schedule.get_ref()).cloned().map_or_else(
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
        source,
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
