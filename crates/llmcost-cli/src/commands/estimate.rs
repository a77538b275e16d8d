//! `llmcost estimate`: a cost from a total token count and an assumed input
//! share, and the reconciliation of that estimate with a bill.

use std::io::Write;

use anyhow::Result;
use llmcost_core::{Bucket, Decimal, ServiceTier, Usage, round_for_display};
use serde::Serialize;

use super::{ExitStatus, catalog};
use crate::args::{EstimateArgs, Format};
use crate::common::{PriceSettings, Provenance, parse_share, price, resolve, round_tokens};
use crate::output::{Display, int, write_json};

/// Wire format of `estimate --format json` (stable; add only).
#[derive(Debug, Serialize)]
pub struct EstimateJson {
    pub model: String,
    pub at: llmcost_core::Timestamp,
    pub total_tokens: u64,
    /// The assumed share as an exact decimal (1/3 is given to 28 digits).
    #[serde(with = "rust_decimal::serde::str")]
    pub input_share: Decimal,
    pub input_tokens: u64,
    pub output_tokens: u64,
    #[serde(with = "rust_decimal::serde::str")]
    pub total: Decimal,
    pub currency: llmcost_core::Currency,
    pub items: Vec<llmcost_core::LineItem>,
    pub regime: llmcost_core::Regime,
    /// The time-of-day rate that priced it: `peak`, `off_peak` or `standard`.
    pub rate_regime: llmcost_core::RateRegime,
    pub price: Provenance,
    /// Present only with `--billed`.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub reconciliation: Option<ReconcileJson>,
    /// What the answer cannot account for (a holiday calendar that has ended).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Reconciliation keys of `estimate --billed`.
#[derive(Debug, Serialize)]
pub struct ReconcileJson {
    #[serde(with = "rust_decimal::serde::str")]
    pub billed: Decimal,
    /// Estimate minus bill, exact.
    #[serde(with = "rust_decimal::serde::str")]
    pub difference: Decimal,
    /// Difference as a percentage of the bill, rounded to 4 decimals (null for a zero bill).
    #[serde(with = "rust_decimal::serde::str_option")]
    pub difference_percent: Option<Decimal>,
    /// Input share that explains the bill exactly, rounded to 6 decimals (null when none can).
    #[serde(with = "rust_decimal::serde::str_option")]
    pub implied_input_share: Option<Decimal>,
    /// Input tokens that explain the bill exactly (may end in .5; null when none can).
    #[serde(with = "rust_decimal::serde::str_option")]
    pub implied_input_tokens: Option<Decimal>,
    /// Whether some split explains the bill.
    pub explained: bool,
    /// Plain statement of what the bill implies.
    pub explanation: String,
}

/// The reconciliation of an estimate with a bill.
pub struct Reconciled {
    pub difference: Decimal,
    pub difference_percent: Option<Decimal>,
    pub implied_tokens: Option<Decimal>,
    pub implied_share: Option<Decimal>,
    pub explanation: String,
    pub explained: bool,
}

/// Solves `x·rin + (T−x)·rout = billed·1M` for the input tokens `x`.
pub fn reconcile(
    total_tokens: u64,
    estimate: Decimal,
    billed: Decimal,
    rin: Decimal,
    rout: Decimal,
    cur: &str,
) -> Reconciled {
    let t = Decimal::from(total_tokens);
    let million = Decimal::from(1_000_000);
    let difference = estimate - billed;
    let difference_percent = (!billed.is_zero())
        .then(|| round_for_display(difference / billed * Decimal::ONE_HUNDRED, 4).normalize());
    let target = billed * million;
    let lo = t * rin.min(rout) / million;
    let hi = t * rin.max(rout) / million;
    if rin == rout {
        let same = t * rin == target;
        return Reconciled {
            difference,
            difference_percent,
            implied_tokens: None,
            implied_share: None,
            explanation: if same {
                "input and output cost the same for this model: every split gives the bill".into()
            } else {
                format!(
                    "no split explains the bill: input and output cost the same, so {} tokens always cost {} {cur}",
                    int(total_tokens),
                    (t * rin / million).normalize()
                )
            },
            explained: same,
        };
    }
    let x = (rout * t - target) / (rout - rin);
    if x < Decimal::ZERO || x > t {
        return Reconciled {
            difference,
            difference_percent,
            implied_tokens: None,
            implied_share: None,
            explanation: format!(
                "no split explains the bill: {} tokens cost between {} and {} {cur} whatever the split (all input to all output at these prices); check the model, the period or the token total",
                int(total_tokens),
                lo.normalize(),
                hi.normalize()
            ),
            explained: false,
        };
    }
    let share = if t.is_zero() { Decimal::ZERO } else { x / t };
    let share_r = round_for_display(share, 6).normalize();
    Reconciled {
        difference,
        difference_percent,
        implied_tokens: Some(x.normalize()),
        implied_share: Some(share_r),
        explanation: format!(
            "the bill is explained exactly by {} input and {} output tokens ({}% input)",
            x.normalize(),
            (t - x).normalize(),
            round_for_display(share * Decimal::ONE_HUNDRED, 2).normalize()
        ),
        explained: true,
    }
}

pub fn run(args: &EstimateArgs, out: &mut dyn Write) -> Result<ExitStatus> {
    let s = PriceSettings::resolve(&args.price)?;
    let share = parse_share(&args.input_share, "--input-share")?;
    let billed = args
        .billed
        .as_deref()
        .map(|b| -> Result<Decimal> {
            let d: Decimal = b
                .trim()
                .trim_start_matches(['$', '¥', '€'])
                .parse()
                .map_err(|_| crate::common::usage_err!("--billed: `{b}` is not an amount"))?;
            if d < Decimal::ZERO {
                crate::common::usage_bail!("--billed: `{b}` is negative");
            }
            Ok(d)
        })
        .transpose()?;
    let t = args.total_tokens;
    let input = round_tokens(Decimal::from(t) * share)?;
    let usage = Usage {
        input,
        output: t - input.min(t),
        ..Usage::default()
    };
    let cat = catalog()?;
    let p = price(cat, &args.model, &usage, s.at, ServiceTier::Standard, &s)?;
    let (r, conv) = resolve(cat, &args.model, s.at, &s)?;
    let rates = r.row.rates_at(&usage, s.at, ServiceTier::Standard)?;
    let fx = conv.map_or(Decimal::ONE, |c| c.2);
    let rin = rates
        .effective(Bucket::Input)
        .map(|x| x.0 * fx)
        .ok_or_else(|| crate::common::usage_err!("`{}` has no input price", args.model))?;
    let rout = rates
        .effective(Bucket::Output)
        .map(|x| x.0 * fx)
        .ok_or_else(|| crate::common::usage_err!("`{}` has no output price", args.model))?;
    let cur = p.cost.currency;
    let rec = billed.map(|b| reconcile(t, p.cost.total, b, rin, rout, cur.as_str()));
    let explained = rec.as_ref().is_none_or(|r| r.explained);
    match args.price.format {
        Format::Json => {
            let j = EstimateJson {
                model: args.model.clone(),
                at: s.at,
                total_tokens: t,
                input_share: share.normalize(),
                input_tokens: usage.input,
                output_tokens: usage.output,
                total: p.cost.total,
                currency: cur,
                items: p.cost.items.clone(),
                regime: p.cost.regime,
                rate_regime: super::clock::regime_of_priced(&p, s.at).0,
                price: p.price.clone(),
                reconciliation: billed.zip(rec.as_ref()).map(|(b, r)| ReconcileJson {
                    billed: b.normalize(),
                    difference: r.difference.normalize(),
                    difference_percent: r.difference_percent,
                    implied_input_share: r.implied_share,
                    implied_input_tokens: r.implied_tokens,
                    explained: r.explained,
                    explanation: r.explanation.clone(),
                }),
                warnings: super::calendar::instant_warning(&p, s.at)
                    .into_iter()
                    .collect(),
            };
            write_json(out, &j)?;
        }
        Format::Table => {
            let mut d = Display::default();
            let mut text = super::cost::table(&mut d, &args.model, &usage, s.at, &p, None);
            text = text.replacen(
                '\n',
                &format!(
                    "\nestimate: {} tokens, input share {} → {} input (rounded to the nearest token), {} output\n",
                    int(t),
                    args.input_share.trim(),
                    int(usage.input),
                    int(usage.output)
                ),
                1,
            );
            write!(out, "{text}")?;
            if let Some(h) = super::clock::bare_date_hint(args.price.at.as_deref(), &p, s.at) {
                writeln!(out, "{h}")?;
            }
            if let Some(w) = super::calendar::instant_warning(&p, s.at) {
                writeln!(out, "warning: {w}")?;
            }
            if let (Some(b), Some(r)) = (billed, &rec) {
                writeln!(out)?;
                writeln!(out, "billed:      {} {cur}", b.normalize())?;
                let sign = if r.difference >= Decimal::ZERO {
                    "+"
                } else {
                    ""
                };
                let pct = r
                    .difference_percent
                    .map(|p| {
                        let above = if r.difference >= Decimal::ZERO {
                            "above"
                        } else {
                            "below"
                        };
                        format!(
                            " (the estimate is {}% {above} the bill)",
                            round_for_display(p.abs(), 2).normalize()
                        )
                    })
                    .unwrap_or_default();
                writeln!(
                    out,
                    "difference:  {sign}{} {cur}{pct}",
                    r.difference.normalize()
                )?;
                writeln!(out, "{}", r.explanation)?;
            }
        }
    }
    if explained {
        Ok(ExitStatus::Success)
    } else {
        // Done, but the bill is not explained: exit 1.
        crate::common::warn(&rec.map(|r| r.explanation).unwrap_or_default());
        Ok(ExitStatus::Partial)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn s4_implied_split() {
        // Seed S4: 1,022,407 tokens billed 0.43 USD at 0.2 / 0.6 per 1M.
        let r = reconcile(
            1_022_407,
            d("0.4771234"),
            d("0.43"),
            d("0.2"),
            d("0.6"),
            "USD",
        );
        assert_eq!(r.implied_tokens, Some(d("458610.5")));
        assert_eq!(r.implied_share, Some(d("0.44856")));
        assert_eq!(r.difference, d("0.0471234"));
        assert_eq!(r.difference_percent, Some(d("10.9589")));
        assert!(r.explained);
    }

    #[test]
    fn unexplainable_bill() {
        let r = reconcile(1_000_000, d("0.4"), d("5"), d("0.2"), d("0.6"), "USD");
        assert!(!r.explained);
        assert!(r.implied_tokens.is_none());
        assert!(
            r.explanation.contains("between 0.2 and 0.6"),
            "{}",
            r.explanation
        );
    }
}
