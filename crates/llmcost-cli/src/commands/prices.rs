//! `llmcost prices`: search the catalog, show price history and sources.

use std::io::Write;

use anyhow::Result;
use llmcost_catalog::{Layer, Model, Origin};
use llmcost_core::{Currency, Decimal, PriceRow, Rates, TierPricing, Timestamp};
use serde::Serialize;

use super::{ExitStatus, catalog};
use crate::args::{Format, PricesArgs};
use crate::common::parse_time;
use crate::output::{Align, Display, Table, when};

#[derive(Debug, Serialize)]
struct RatesJson {
    #[serde(with = "rust_decimal::serde::str_option")]
    input: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str_option")]
    cache_read: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str_option")]
    cache_write: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str_option")]
    cache_write_1h: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str_option")]
    output: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str_option")]
    reasoning: Option<Decimal>,
    // Modality rates: keys present only when published.
    #[serde(
        with = "rust_decimal::serde::str_option",
        skip_serializing_if = "Option::is_none"
    )]
    input_audio: Option<Decimal>,
    #[serde(
        with = "rust_decimal::serde::str_option",
        skip_serializing_if = "Option::is_none"
    )]
    cache_read_audio: Option<Decimal>,
    #[serde(
        with = "rust_decimal::serde::str_option",
        skip_serializing_if = "Option::is_none"
    )]
    output_audio: Option<Decimal>,
    #[serde(
        with = "rust_decimal::serde::str_option",
        skip_serializing_if = "Option::is_none"
    )]
    input_image: Option<Decimal>,
    #[serde(
        with = "rust_decimal::serde::str_option",
        skip_serializing_if = "Option::is_none"
    )]
    output_image: Option<Decimal>,
}

impl From<&Rates> for RatesJson {
    fn from(r: &Rates) -> Self {
        let n = |d: Option<Decimal>| d.map(|x| x.normalize());
        RatesJson {
            input: n(r.input),
            cache_read: n(r.cache_read),
            cache_write: n(r.cache_write),
            cache_write_1h: n(r.cache_write_1h),
            output: n(r.output),
            reasoning: n(r.reasoning),
            input_audio: n(r.input_audio),
            cache_read_audio: n(r.cache_read_audio),
            output_audio: n(r.output_audio),
            input_image: n(r.input_image),
            output_image: n(r.output_image),
        }
    }
}

#[derive(Debug, Serialize)]
struct OffPeakJson {
    schedule: String,
    rates: RatesJson,
}

#[derive(Debug, Serialize)]
struct LongContextJson {
    threshold: u64,
    basis: llmcost_core::TierBasis,
    rates: RatesJson,
}

#[derive(Debug, Serialize)]
struct TierJson {
    tier: llmcost_core::ServiceTier,
    #[serde(with = "rust_decimal::serde::str_option")]
    multiplier: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rates: Option<RatesJson>,
}

/// One price row (stable; add only). Rates are per 1M tokens, exact decimal strings.
#[derive(Debug, Serialize)]
struct RowJson {
    from: Timestamp,
    until: Option<Timestamp>,
    currency: Currency,
    #[serde(flatten)]
    rates: RatesJson,
    off_peak: Option<OffPeakJson>,
    long_context: Option<LongContextJson>,
    service_tiers: Vec<TierJson>,
    source: String,
    confidence: Option<String>,
    note: Option<String>,
    /// The catalog layer of the row: `built-in`, `user:<file>` or `imported:<file>`.
    catalog: String,
    /// In `current[]`: the time-of-day rate in force at `at` (`peak`, `off_peak`,
    /// `standard`); the rates above are the row's base (peak or standard) rates.
    #[serde(skip_serializing_if = "Option::is_none")]
    rate_regime: Option<llmcost_core::RateRegime>,
}

fn row_json(r: &PriceRow, confidence: Option<&String>, origin: Option<&Origin>) -> RowJson {
    let s = r.spec();
    RowJson {
        from: s.from,
        until: s.until,
        currency: s.currency,
        rates: RatesJson::from(&s.rates),
        off_peak: s.off_peak.as_ref().map(|o| OffPeakJson {
            schedule: o.schedule.name.clone(),
            rates: RatesJson::from(&o.rates),
        }),
        long_context: s.long_context.as_ref().map(|l| LongContextJson {
            threshold: l.threshold,
            basis: l.basis,
            rates: RatesJson::from(&l.rates),
        }),
        service_tiers: s
            .service_tiers
            .iter()
            .map(|(t, p)| match p {
                TierPricing::Multiplier(m) => TierJson {
                    tier: *t,
                    multiplier: Some(m.normalize()),
                    rates: None,
                },
                TierPricing::Rates(r) => TierJson {
                    tier: *t,
                    multiplier: None,
                    rates: Some(RatesJson::from(r)),
                },
            })
            .collect(),
        source: s.source.clone(),
        confidence: confidence.cloned(),
        note: s.note.clone(),
        catalog: origin.map_or_else(|| "built-in".to_string(), Origin::label),
        rate_regime: None,
    }
}

/// The rate regime of a row at an instant.
fn regime_at(r: &PriceRow, at: Timestamp) -> llmcost_core::RateRegime {
    let sched = r.spec().off_peak.as_ref().map(|o| o.schedule.as_ref());
    llmcost_core::spread::regime_at(sched, at)
}

#[derive(Debug, Serialize)]
struct AliasJson {
    name: String,
    target: String,
    from: Timestamp,
    until: Option<Timestamp>,
    source: String,
}

/// One model (stable; add only).
#[derive(Debug, Serialize)]
struct ModelJson {
    id: String,
    provider: String,
    aliases: Vec<String>,
    retired: Option<Timestamp>,
    successor: Option<String>,
    /// Rows in force at `at`, one per currency.
    current: Vec<RowJson>,
    /// Every row (with --history).
    #[serde(skip_serializing_if = "Option::is_none")]
    history: Option<Vec<RowJson>>,
    /// Aliases that pointed at this model for a period.
    timed_aliases: Vec<AliasJson>,
}

#[derive(Debug, Serialize)]
struct PricesJson {
    at: Timestamp,
    models: Vec<ModelJson>,
    /// A holiday calendar that has ended by `at` (absent when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<String>,
}

pub fn run(args: &PricesArgs, out: &mut dyn Write) -> Result<ExitStatus> {
    if let Some(action) = &args.action {
        return super::prices_admin::run(action, out);
    }
    let cat = catalog()?;
    let at = match &args.at {
        Some(a) => parse_time(a)?,
        None => Timestamp::now(),
    };
    let q = args.query.clone().unwrap_or_default();
    let mut models: Vec<&Model> = cat.search(&q);
    // An alias asked for by name shows what it means at `at` first.
    if !q.is_empty()
        && let Ok(m) = cat.resolve_model(&q, at, None, &mut Vec::new())
    {
        models.retain(|x| x.id != m.id);
        models.insert(0, m);
    }
    if let Some(p) = &args.provider {
        let p = p.trim().to_ascii_lowercase();
        if !cat.providers().contains(&p) {
            crate::common::usage_bail!(
                "--provider: no provider `{p}` in the catalog; known: {}",
                cat.providers().join(", ")
            );
        }
        models.retain(|m| m.provider == p);
        if models.is_empty() {
            crate::common::usage_bail!("no {p} model matches `{q}`");
        }
    }
    // Models with a price in force at `at` first, then retired or ended ones.
    let current = |m: &Model| m.retired.is_none_or(|r| at < r) && m.rows_at(at).next().is_some();
    models.sort_by_key(|m| !current(m));
    if models.is_empty() {
        let sug = cat.suggestions(&q, 3);
        if sug.is_empty() {
            crate::common::usage_bail!("no model matches `{q}`");
        }
        crate::common::usage_bail!(
            "no model matches `{q}`; closest known: {}",
            sug.iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    // Sorted: the catalog keeps aliases in a hash map, whose order means nothing.
    let mut timed: Vec<_> = cat.timed_aliases().collect();
    timed.sort_by(|a, b| (a.from, &a.name).cmp(&(b.from, &b.name)));
    let warnings = super::calendar::rows_warnings(
        models.iter().flat_map(|m| m.rows_at(at)).map(AsRef::as_ref),
        at,
    );
    match args.format {
        Format::Json => {
            let j = PricesJson {
                at,
                warnings,
                models: models
                    .iter()
                    .map(|m| ModelJson {
                        id: m.id.clone(),
                        provider: m.provider.clone(),
                        aliases: m.aliases.clone(),
                        retired: m.retired,
                        successor: m.successor.clone(),
                        current: m
                            .rows
                            .iter()
                            .zip(&m.confidence)
                            .filter(|(r, _)| r.covers(at))
                            .map(|(r, c)| RowJson {
                                rate_regime: Some(regime_at(r, at)),
                                ..row_json(r, c.as_ref(), m.origin_of(r))
                            })
                            .collect(),
                        history: args.history.then(|| {
                            m.rows
                                .iter()
                                .zip(&m.confidence)
                                .map(|(r, c)| row_json(r, c.as_ref(), m.origin_of(r)))
                                .collect()
                        }),
                        timed_aliases: timed
                            .iter()
                            .filter(|a| a.target.eq_ignore_ascii_case(&m.id))
                            .map(|a| AliasJson {
                                name: a.name.clone(),
                                target: a.target.clone(),
                                from: a.from,
                                until: a.until,
                                source: a.source.clone(),
                            })
                            .collect(),
                    })
                    .collect(),
            };
            crate::output::write_json(out, &j)?;
        }
        Format::Table => {
            let mut d = Display::default();
            let show =
                |d: &mut Display, x: Option<Decimal>| x.map_or("—".to_string(), |v| d.amount(v));
            if args.history {
                for m in &models {
                    writeln!(out, "{} ({})", m.id, m.provider)?;
                    if !m.aliases.is_empty() {
                        writeln!(out, "  aliases: {}", m.aliases.join(", "))?;
                    }
                    for a in timed
                        .iter()
                        .filter(|a| a.target.eq_ignore_ascii_case(&m.id))
                    {
                        writeln!(
                            out,
                            "  `{}` pointed here from {} until {}",
                            a.name,
                            when(a.from),
                            a.until.map_or("now".into(), when)
                        )?;
                    }
                    if let Some(r) = m.retired {
                        writeln!(
                            out,
                            "  retired {}{}",
                            when(r),
                            m.successor
                                .as_ref()
                                .map(|s| format!(", successor `{s}`"))
                                .unwrap_or_default()
                        )?;
                    }
                    let mut t = Table::new(&[
                        ("from", Align::Left),
                        ("until", Align::Left),
                        ("cur", Align::Left),
                        ("input", Align::Right),
                        ("cache read", Align::Right),
                        ("cache write", Align::Right),
                        ("output", Align::Right),
                        ("also", Align::Left),
                        ("conf", Align::Left),
                    ]);
                    for (r, c) in m.rows.iter().zip(&m.confidence) {
                        let s = r.spec();
                        let mut also = Vec::new();
                        if let Some(o) = &s.off_peak {
                            also.push(format!(
                                "off-peak ({}) {}/{}/{}",
                                o.schedule.name,
                                show(&mut d, o.rates.input),
                                show(&mut d, o.rates.cache_read),
                                show(&mut d, o.rates.output)
                            ));
                        }
                        if let Some(l) = &s.long_context {
                            also.push(format!(
                                "{}: {}/{}",
                                threshold_label(l.threshold),
                                show(&mut d, l.rates.input),
                                show(&mut d, l.rates.output)
                            ));
                        }
                        for (tier, _) in &s.service_tiers {
                            also.push(tier.to_string());
                        }
                        if let Some(o) = m.origin_of(r).filter(|o| o.layer != Layer::BuiltIn) {
                            also.push(format!("catalog {o}"));
                        }
                        t.row(vec![
                            s.from.strftime("%Y-%m-%d %H:%M").to_string(),
                            s.until
                                .map_or("now".into(), |u| u.strftime("%Y-%m-%d %H:%M").to_string()),
                            s.currency.to_string(),
                            show(&mut d, s.rates.input),
                            show(&mut d, s.rates.cache_read),
                            show(&mut d, s.rates.cache_write),
                            show(&mut d, s.rates.output),
                            also.join("; "),
                            c.clone().unwrap_or_default(),
                        ]);
                    }
                    for line in t.render().lines() {
                        writeln!(out, "  {line}")?;
                    }
                    let mut sources: Vec<&str> = Vec::new();
                    for r in &m.rows {
                        if !sources.contains(&r.spec().source.as_str()) {
                            sources.push(r.spec().source.as_str());
                        }
                    }
                    for s in sources {
                        writeln!(out, "  source: {s}")?;
                    }
                    writeln!(out)?;
                }
                writeln!(out, "rates per 1M tokens; periods are [from, until) in UTC")?;
            } else {
                let mut t = Table::new(&[
                    ("model", Align::Left),
                    ("provider", Align::Left),
                    ("cur", Align::Left),
                    ("input", Align::Right),
                    ("cache read", Align::Right),
                    ("cache write", Align::Right),
                    ("output", Align::Right),
                    ("since", Align::Left),
                ]);
                let mut none = Vec::new();
                let mut windows = false;
                for m in &models {
                    let rows: Vec<_> = m.rows_at(at).collect();
                    if rows.is_empty() {
                        none.push(m.id.clone());
                    }
                    for r in rows {
                        let s = r.spec();
                        // The rates in force at `at`: off-peak rates in an off-peak hour.
                        let regime = regime_at(r, at);
                        let rates = match (&s.off_peak, regime) {
                            (Some(o), llmcost_core::RateRegime::OffPeak) => &o.rates,
                            _ => &s.rates,
                        };
                        let mut out_rate = show(&mut d, rates.output);
                        if s.off_peak.is_some() {
                            windows = true;
                            out_rate.push_str(&format!(" ({regime})"));
                        }
                        t.row(vec![
                            m.id.clone(),
                            m.provider.clone(),
                            s.currency.to_string(),
                            show(&mut d, rates.input),
                            show(&mut d, rates.cache_read),
                            show(&mut d, rates.cache_write),
                            out_rate,
                            match m.origin_of(r).filter(|o| o.layer != Layer::BuiltIn) {
                                Some(o) => format!("{} ({o})", s.from.strftime("%Y-%m-%d")),
                                None => s.from.strftime("%Y-%m-%d").to_string(),
                            },
                        ]);
                    }
                }
                writeln!(out, "prices per 1M tokens in force at {}\n", when(at))?;
                write!(out, "{}", t.render())?;
                if !none.is_empty() {
                    writeln!(
                        out,
                        "\nno price in force then (see --history): {}",
                        none.join(", ")
                    )?;
                }
                if windows {
                    writeln!(
                        out,
                        "\n(peak), (off-peak), (standard): the price depends on the hour; the rates in force at that instant are shown (--history shows both)"
                    )?;
                }
                for w in &warnings {
                    writeln!(out, "warning: {w}")?;
                }
            }
            if let Some(f) = d.footnote() {
                writeln!(out, "{f}")?;
            }
        }
    }
    Ok(ExitStatus::Success)
}

/// A long-context threshold as the provider words it: the tier applies when the count is
/// above `t`, so `199999` is "≥200k", `200000` is ">200k"; any other value is shown exactly.
fn threshold_label(t: u64) -> String {
    match t.checked_add(1) {
        Some(n) if n.is_multiple_of(1000) => format!("≥{}k", n / 1000),
        _ if t.is_multiple_of(1000) => format!(">{}k", t / 1000),
        _ => format!(">{t}"),
    }
}

#[cfg(test)]
mod tests {
    use super::threshold_label;

    #[test]
    fn thresholds_read_as_the_provider_words_them() {
        // xAI ">= 200k prompt tokens" is stored as "above 199,999".
        assert_eq!(threshold_label(199_999), "≥200k");
        assert_eq!(threshold_label(200_000), ">200k");
        assert_eq!(threshold_label(128_000), ">128k");
        assert_eq!(threshold_label(131_072), ">131072");
    }
}
