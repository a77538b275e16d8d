//! `estimate`: a cost from a total token count and an assumed input share,
//! and the reconciliation of that estimate with a bill.

use llmcost_catalog::Catalog;
use llmcost_core::{Bucket, Decimal, ServiceTier, Usage, round_for_display};
use serde::Serialize;

use super::{
    PriceSettings, Priced, Provenance, Result, invalid, invalid_err, price, resolve, round_tokens,
};
use crate::text::int;

/// Wire format of `estimate --format json` (stable; add only).
#[derive(Debug, Clone, Serialize)]
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
#[derive(Debug, Clone, Serialize)]
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
#[derive(Debug, Clone)]
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

/// What to estimate.
#[derive(Debug, Clone)]
pub struct EstimateRequest {
    /// Model id or alias.
    pub model: String,
    /// Total tokens (input + output).
    pub total_tokens: u64,
    /// Assumed input share, in [0, 1] (see [`super::parse_share`]).
    pub input_share: Decimal,
    /// The amount billed, to reconcile against (see [`parse_billed`]).
    pub billed: Option<Decimal>,
}

/// An estimate: the wire answer, the usage it assumed and the row that priced it.
#[derive(Debug, Clone)]
pub struct EstimateQuote {
    pub json: EstimateJson,
    pub usage: Usage,
    pub priced: Priced,
}

impl EstimateQuote {
    /// Whether the bill (if any) is explained by some split; when not, the
    /// answer is complete but the exit status is partial.
    pub fn explained(&self) -> bool {
        self.json
            .reconciliation
            .as_ref()
            .is_none_or(|r| r.explained)
    }
}

/// An amount billed: a non-negative decimal, a leading `$`, `¥` or `€` allowed.
pub fn parse_billed(b: &str) -> Result<Decimal> {
    let d: Decimal = b
        .trim()
        .trim_start_matches(['$', '¥', '€'])
        .parse()
        .map_err(|_| invalid_err!("--billed: `{b}` is not an amount"))?;
    if d < Decimal::ZERO {
        invalid!("--billed: `{b}` is negative");
    }
    Ok(d)
}

/// Estimates the cost of a total split by an input share, and reconciles it
/// with the bill when one is given.
pub fn quote(cat: &Catalog, req: &EstimateRequest, s: &PriceSettings) -> Result<EstimateQuote> {
    let t = req.total_tokens;
    let input = round_tokens(Decimal::from(t) * req.input_share)?;
    let usage = Usage {
        input,
        output: t - input.min(t),
        ..Usage::default()
    };
    let p = price(cat, &req.model, &usage, s.at, ServiceTier::Standard, s)?;
    let (r, conv) = resolve(cat, &req.model, s.at, s)?;
    let rates = r.row.rates_at(&usage, s.at, ServiceTier::Standard)?;
    let fx = conv.map_or(Decimal::ONE, |c| c.2);
    let rin = rates
        .effective(Bucket::Input)
        .map(|x| x.0 * fx)
        .ok_or_else(|| invalid_err!("`{}` has no input price", req.model))?;
    let rout = rates
        .effective(Bucket::Output)
        .map(|x| x.0 * fx)
        .ok_or_else(|| invalid_err!("`{}` has no output price", req.model))?;
    let cur = p.cost.currency;
    let rec = req
        .billed
        .map(|b| (b, reconcile(t, p.cost.total, b, rin, rout, cur.as_str())));
    let json = EstimateJson {
        model: req.model.clone(),
        at: s.at,
        total_tokens: t,
        input_share: req.input_share.normalize(),
        input_tokens: usage.input,
        output_tokens: usage.output,
        total: p.cost.total,
        currency: cur,
        items: p.cost.items.clone(),
        regime: p.cost.regime,
        rate_regime: super::clock::regime_of_priced(cat, &p, s.at).0,
        price: p.price.clone(),
        reconciliation: rec.map(|(b, r)| ReconcileJson {
            billed: b.normalize(),
            difference: r.difference.normalize(),
            difference_percent: r.difference_percent,
            implied_input_share: r.implied_share,
            implied_input_tokens: r.implied_tokens,
            explained: r.explained,
            explanation: r.explanation,
        }),
        warnings: super::calendar::instant_warning(cat, &p, s.at)
            .into_iter()
            .collect(),
    };
    Ok(EstimateQuote {
        json,
        usage,
        priced: p,
    })
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
