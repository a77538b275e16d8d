//! `llmcost prices`: search the catalog, show price history and sources (the
//! engine is `llmcost_app::quote::prices`).

use std::io::Write;

use anyhow::Result;
use llmcost_app::quote::prices::{PricesRequest, regime_at, threshold_label};
use llmcost_catalog::Layer;
use llmcost_core::{Decimal, Timestamp};

use super::ExitStatus;
use crate::args::{Format, PricesArgs};
use crate::common::parse_time;
use crate::ctx::Ctx;
use crate::output::{Align, Display, Table, when};

pub fn run(args: &PricesArgs, ctx: &Ctx, out: &mut dyn Write) -> Result<ExitStatus> {
    if let Some(action) = &args.action {
        return super::prices_admin::run(action, ctx, out);
    }
    let cat = ctx.catalog()?;
    let at = match &args.at {
        Some(a) => parse_time(a)?,
        None => Timestamp::now(),
    };
    let q = llmcost_app::quote::prices::quote(
        cat,
        &PricesRequest {
            query: args.query.clone().unwrap_or_default(),
            at,
            history: args.history,
            provider: args.provider.clone(),
        },
    )?;
    let (models, warnings) = (&q.models, &q.warnings);
    match args.format {
        Format::Json => crate::output::write_json(out, &q.json())?,
        Format::Table => {
            let mut d = Display::default();
            let show =
                |d: &mut Display, x: Option<Decimal>| x.map_or("—".to_string(), |v| d.amount(v));
            if args.history {
                for m in models {
                    writeln!(out, "{} ({})", m.id, m.provider)?;
                    if !m.aliases.is_empty() {
                        writeln!(out, "  aliases: {}", m.aliases.join(", "))?;
                    }
                    for a in q.aliases_of(m) {
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
                for m in models {
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
                for w in warnings {
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
