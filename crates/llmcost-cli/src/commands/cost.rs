//! `llmcost cost`: the exact, itemised cost of a usage.

use std::io::Write;

use anyhow::Result;
use llmcost_core::{ServiceTier, Usage};
use serde::Serialize;

use super::{ExitStatus, catalog};
use crate::args::{CostArgs, Format};
use crate::common::{FxApplied, PriceSettings, Priced, Provenance, price};
use crate::output::{Align, Display, Table, int, when};

/// Wire format of `cost --format json` for one usage (stable; add only).
#[derive(Debug, Serialize)]
pub struct CostJson<'a> {
    /// The name asked for.
    pub model: &'a str,
    /// The catalog model that priced it.
    pub resolved_model: &'a str,
    pub at: llmcost_core::Timestamp,
    pub currency: llmcost_core::Currency,
    /// Exact total, decimal string.
    #[serde(with = "rust_decimal::serde::str")]
    pub total: llmcost_core::Decimal,
    pub items: &'a [llmcost_core::LineItem],
    pub usage: &'a Usage,
    pub regime: llmcost_core::Regime,
    /// The time-of-day rate that priced it: `peak`, `off_peak` or `standard`.
    pub rate_regime: llmcost_core::RateRegime,
    pub price: &'a Provenance,
    pub fx: Option<&'a FxApplied>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shape: Option<String>,
    /// What the answer cannot account for (a holiday calendar that has ended).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

pub fn tier_of(batch: bool, service_tier: Option<&str>) -> Result<ServiceTier> {
    if batch {
        return Ok(ServiceTier::Batch);
    }
    match service_tier {
        None => Ok(ServiceTier::Standard),
        Some(t) => t
            .parse()
            .map_err(|e: String| crate::common::usage_err!("invalid --service-tier: {e}")),
    }
}

pub fn run(args: &CostArgs, out: &mut dyn Write) -> Result<ExitStatus> {
    let s = PriceSettings::resolve(&args.price)?;
    let tier = tier_of(args.batch, args.service_tier.as_deref())?;
    if let Some(path) = &args.usage {
        return super::usage_file::run(args, path, &s, tier, out);
    }
    let Some(model) = args.model.as_deref() else {
        crate::common::usage_bail!(
            "--model is required (or give --usage FILE with a response body)"
        );
    };
    let usage = Usage {
        input: args.input.unwrap_or(0),
        cache_read: args.cache_read.unwrap_or(0),
        cache_write: args.cache_write.unwrap_or(0),
        cache_write_1h: args.cache_write_1h.unwrap_or(0),
        output: args.output.unwrap_or(0),
        reasoning: args.reasoning.unwrap_or(0),
        input_audio: args.input_audio.unwrap_or(0),
        cache_read_audio: args.cache_read_audio.unwrap_or(0),
        output_audio: args.output_audio.unwrap_or(0),
        input_image: args.input_image.unwrap_or(0),
        output_image: args.output_image.unwrap_or(0),
    };
    if usage.is_zero() {
        crate::common::usage_bail!(
            "no tokens given: pass at least one of --input, --cache-read, --cache-write, --cache-write-1h, --output, --reasoning (or an audio/image bucket: --input-audio, --cache-read-audio, --output-audio, --input-image, --output-image)"
        );
    }
    let cat = catalog()?;
    let p = price(cat, model, &usage, s.at, tier, &s)?;
    render(out, args.price.format, model, &usage, s.at, &p, None)?;
    if args.price.format == Format::Table
        && let Some(h) = super::clock::bare_date_hint(args.price.at.as_deref(), &p, s.at)
    {
        writeln!(out, "{h}")?;
    }
    Ok(ExitStatus::Success)
}

/// Prints one priced usage as a table or JSON.
pub fn render(
    out: &mut dyn Write,
    format: Format,
    model: &str,
    usage: &Usage,
    at: llmcost_core::Timestamp,
    p: &Priced,
    shape: Option<String>,
) -> Result<()> {
    match format {
        Format::Json => crate::output::write_json(
            out,
            &CostJson {
                model,
                resolved_model: &p.price.model,
                at,
                currency: p.cost.currency,
                total: p.cost.total,
                items: &p.cost.items,
                usage,
                regime: p.cost.regime,
                rate_regime: super::clock::regime_of_priced(p, at).0,
                price: &p.price,
                fx: p.fx.as_ref(),
                shape,
                warnings: super::calendar::instant_warning(p, at)
                    .into_iter()
                    .collect(),
            },
        ),
        Format::Table => {
            let mut d = Display::default();
            write!(
                out,
                "{}",
                table(&mut d, model, usage, at, p, shape.as_deref())
            )?;
            if let Some(w) = super::calendar::instant_warning(p, at) {
                writeln!(out, "warning: {w}")?;
            }
            Ok(())
        }
    }
}

pub fn table(
    d: &mut Display,
    model: &str,
    usage: &Usage,
    at: llmcost_core::Timestamp,
    p: &Priced,
    shape: Option<&str>,
) -> String {
    let cur = p.cost.currency;
    let mut s = String::new();
    let resolved = if p.price.model.eq_ignore_ascii_case(model) {
        String::new()
    } else {
        format!(" → {}", p.price.model)
    };
    s.push_str(&format!("{model}{resolved} at {}\n", when(at)));
    if let Some(sh) = shape {
        s.push_str(&format!("usage read as: {sh}\n"));
    }
    let mut regime = Vec::new();
    match super::clock::regime_of_priced(p, at) {
        (r, Some(sched)) => regime.push(format!(
            "{r} rates (the price depends on the hour: {})",
            super::clock::describe(&sched)
        )),
        (_, None) if p.cost.regime.off_peak => regime.push("off-peak rates".to_string()),
        _ => {}
    }
    if p.cost.regime.long_context {
        regime.push("long-context tier (whole request)".to_string());
    }
    if p.cost.regime.service_tier != ServiceTier::Standard {
        regime.push(format!("{} tier", p.cost.regime.service_tier));
    }
    if !regime.is_empty() {
        s.push_str(&format!("pricing: {}\n", regime.join(", ")));
    }
    s.push('\n');
    let mut t = Table::new(&[
        ("bucket", Align::Left),
        ("tokens", Align::Right),
        (&format!("{cur}/1M"), Align::Right),
        (&format!("cost {cur}"), Align::Right),
    ]);
    for it in &p.cost.items {
        let label = if it.rate_of == it.bucket {
            it.bucket.label().to_string()
        } else {
            format!("{} (at {} rate)", it.bucket.label(), it.rate_of.key())
        };
        t.row(vec![
            label,
            int(it.tokens),
            d.amount(it.rate_per_million),
            d.amount(it.cost),
        ]);
    }
    t.rule();
    t.row(vec![
        "total".into(),
        int(usage.total()),
        String::new(),
        d.amount(p.cost.total),
    ]);
    s.push_str(&t.render());
    s.push('\n');
    let pr = &p.price;
    let until = pr.until.map_or("now".to_string(), when);
    s.push_str(&format!(
        "price: {} {} list, in force {} → {}{}\n",
        pr.model,
        pr.currency,
        crate::output::since(pr.from),
        until,
        pr.confidence
            .as_ref()
            .map(|c| format!(", confidence {c}"))
            .unwrap_or_default()
    ));
    for v in &pr.via {
        s.push_str(&format!("alias: {v}\n"));
    }
    if let Some(n) = &pr.note {
        s.push_str(&format!("note: {n}\n"));
    }
    s.push_str(&format!("source: {}\n", pr.source));
    if pr.catalog != "built-in" {
        s.push_str(&format!(
            "catalog: {} (see `llmcost prices which`)\n",
            pr.catalog
        ));
    }
    if let Some(fx) = &p.fx {
        s.push_str(&format!(
            "converted: {} {} at 1 {} = {} {} (rate given with --fx)\n",
            fx.list_total.normalize(),
            fx.from,
            fx.from,
            fx.rate.normalize(),
            fx.to
        ));
    }
    if let Some(f) = d.footnote() {
        s.push_str(f);
        s.push('\n');
    }
    s
}
