//! `llmcost cost`: the exact, itemised cost of a usage.

use std::io::Write;

use anyhow::Result;
use llmcost_app::quote::cost::{CostJson, CostRequest};
use llmcost_app::quote::{self, clock};
use llmcost_catalog::Catalog;
use llmcost_core::{ServiceTier, Usage};

use super::ExitStatus;
use crate::args::{CostArgs, Format};
use crate::common::{PriceSettings, Priced};
use crate::ctx::Ctx;
use crate::output::{Align, Display, Table, int, when};

pub use llmcost_app::quote::tier_of;

pub fn run(args: &CostArgs, ctx: &Ctx, out: &mut dyn Write) -> Result<ExitStatus> {
    let s = PriceSettings::resolve(&args.price)?;
    let tier = tier_of(args.batch, args.service_tier.as_deref())?;
    if let Some(path) = &args.usage {
        return super::usage_file::run(args, ctx, path, &s, tier, out);
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
    let req = CostRequest {
        model: model.to_string(),
        usage,
        tier,
    };
    req.check()?;
    let cat = ctx.catalog()?;
    let q = quote::cost::quote(cat, &req, &s)?;
    write_answer(out, cat, args.price.format, &q.json, &q.priced)?;
    if args.price.format == Format::Table
        && let Some(h) = clock::bare_date_hint(cat, args.price.at.as_deref(), &q.priced, s.at)
    {
        writeln!(out, "{h}")?;
    }
    Ok(ExitStatus::Success)
}

/// Prints one priced usage (its JSON answer `j`) as a table or JSON.
pub fn write_answer(
    out: &mut dyn Write,
    cat: &Catalog,
    format: Format,
    j: &CostJson,
    p: &Priced,
) -> Result<()> {
    match format {
        Format::Json => crate::output::write_json(out, j),
        Format::Table => {
            let mut d = Display::default();
            write!(
                out,
                "{}",
                table(cat, &mut d, &j.model, &j.usage, j.at, p, j.shape.as_deref())
            )?;
            for w in &j.warnings {
                writeln!(out, "warning: {w}")?;
            }
            Ok(())
        }
    }
}

pub fn table(
    cat: &Catalog,
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
    match clock::regime_of_priced(cat, p, at) {
        (r, Some(sched)) => regime.push(format!(
            "{r} rates (the price depends on the hour: {})",
            clock::describe(&sched)
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
