//! pydantic/genai-prices `prices/new_data/v2/data.json` (the feed its
//! packages download; `prices/data.json` has the same shape).
//!
//! The file is an array of providers, each with `models[]`: `id`, `name`,
//! `match` (a tree of `equals`, `starts_with`, `ends_with`, `contains`,
//! `regex`, `or`, `and`) and `prices`: one price set, or a list of
//! `{constraint, prices}` where the last active entry wins. A
//! `start_date` constraint starts a dated period (00:00 UTC of that date); a
//! time-of-day constraint cannot be modelled, so such a model is skipped
//! (listed). A price is a number per million tokens, or
//! `{base, tiers: [{start, price}]}`: the lowest tier becomes the
//! `long_context` tier (above `start` prompt tokens); others are listed.

use std::collections::BTreeMap;

use jiff::civil::Date;
use llmcost_core::{Bucket, Rates, Timestamp};
use serde_json::value::RawValue;

use crate::litellm::{number_text, set};
use crate::number::per_mtok;
use crate::{Dated, Entry, Format, ImportError, Rounded, Skipped};

/// genai-prices keys that map onto the price model.
const MAP: &[(&str, Bucket)] = &[
    ("input_mtok", Bucket::Input),
    ("output_mtok", Bucket::Output),
    ("cache_read_mtok", Bucket::CacheRead),
    ("cache_write_mtok", Bucket::CacheWrite),
    ("cache_write_1h_mtok", Bucket::CacheWrite1h),
    ("output_reasoning_mtok", Bucket::Reasoning),
];

fn reason(field: &str) -> &'static str {
    if field.ends_with("_kcount") {
        "per-request fees are not modelled"
    } else {
        crate::litellm::reason(field)
    }
}

fn shape(message: impl Into<String>) -> ImportError {
    ImportError::Shape {
        format: Format::GenaiPrices,
        message: message.into(),
    }
}

type Obj<'a> = BTreeMap<String, &'a RawValue>;

fn obj(v: &RawValue) -> Option<Obj<'_>> {
    serde_json::from_str(v.get()).ok()
}

fn list(v: &RawValue) -> Option<Vec<&RawValue>> {
    serde_json::from_str(v.get()).ok()
}

fn string(v: &RawValue) -> Option<String> {
    serde_json::from_str(v.get()).ok()
}

/// A provider key as llmcost spells it.
pub(crate) fn provider_key(id: &str) -> String {
    match id {
        "x-ai" | "x_ai" => "xai".to_string(),
        other => other.to_ascii_lowercase(),
    }
}

pub(crate) fn read(
    text: &str,
    skipped: &mut Vec<Skipped>,
    rounded: &mut Vec<Rounded>,
) -> Result<Vec<Entry>, ImportError> {
    let providers: Vec<&RawValue> = serde_json::from_str(text).map_err(|e| shape(e.to_string()))?;
    let mut out = Vec::new();
    for p in providers {
        let p = obj(p).ok_or_else(|| shape("a provider is not an object"))?;
        let pid = p
            .get("id")
            .and_then(|v| string(v))
            .ok_or_else(|| shape("a provider has no `id`"))?;
        let models = p
            .get("models")
            .and_then(|v| list(v))
            .ok_or_else(|| shape(format!("provider `{pid}` has no `models` list")))?;
        for m in models {
            let m = obj(m).ok_or_else(|| shape(format!("a model of `{pid}` is not an object")))?;
            let id = m
                .get("id")
                .and_then(|v| string(v))
                .ok_or_else(|| shape(format!("a model of `{pid}` has no `id`")))?;
            if let Some(e) = model(&pid, id, &m, skipped, rounded) {
                out.push(e);
            }
        }
    }
    Ok(out)
}

/// `(provider, model id)` of every model not marked deprecated, in file order.
pub(crate) fn current_ids(text: &str) -> Result<Vec<(String, String)>, ImportError> {
    let providers: Vec<&RawValue> = serde_json::from_str(text).map_err(|e| shape(e.to_string()))?;
    let mut out = Vec::new();
    for p in providers {
        let Some(p) = obj(p) else { continue };
        let Some(pid) = p.get("id").and_then(|v| string(v)) else {
            continue;
        };
        for m in p.get("models").and_then(|v| list(v)).unwrap_or_default() {
            let Some(m) = obj(m) else { continue };
            let deprecated = m
                .get("deprecated")
                .is_some_and(|v| v.get().trim() == "true");
            if let (Some(id), false) = (m.get("id").and_then(|v| string(v)), deprecated) {
                out.push((provider_key(&pid), id));
            }
        }
    }
    Ok(out)
}

/// One price set: rates and the long-context tier.
struct Set {
    rates: Rates,
    long: Option<(u64, Rates)>,
    /// The price object had no field at all.
    empty: bool,
}

fn model(
    pid: &str,
    id: String,
    m: &Obj<'_>,
    skipped: &mut Vec<Skipped>,
    rounded: &mut Vec<Rounded>,
) -> Option<Entry> {
    let mut e = Entry {
        provider: Some(provider_key(pid)),
        name: m.get("name").and_then(|v| string(v)),
        deprecated: m
            .get("deprecated")
            .is_some_and(|v| v.get().trim() == "true"),
        ..Entry::default()
    };
    if let Some(mt) = m.get("match") {
        matches(mt, &id, &mut e);
    }
    let Some(prices) = m.get("prices") else {
        skipped.push(Skipped {
            model: id,
            reason: "no `prices`".into(),
        });
        return None;
    };
    // (start date or none, price object), in file order.
    let mut periods: Vec<(Option<Date>, &RawValue)> = Vec::new();
    if prices.get().trim_start().starts_with('[') {
        for cp in list(prices).unwrap_or_default() {
            let Some(cp) = obj(cp) else { continue };
            let Some(set) = cp.get("prices") else {
                continue;
            };
            match cp.get("constraint").and_then(|c| obj(c)) {
                None => periods.push((None, set)),
                Some(c) => match c.get("start_date").and_then(|v| string(v)) {
                    Some(d) if c.len() == 1 => match d.parse::<Date>() {
                        Ok(d) => periods.push((Some(d), set)),
                        Err(err) => {
                            skipped.push(Skipped {
                                model: id,
                                reason: format!("start_date `{d}`: {err}"),
                            });
                            return None;
                        }
                    },
                    _ => {
                        let keys: Vec<&str> = c.keys().map(String::as_str).collect();
                        skipped.push(Skipped {
                            model: id,
                            reason: format!(
                                "a price depends on the time of day ({}); not modelled",
                                keys.join(", ")
                            ),
                        });
                        return None;
                    }
                },
            }
        }
    } else {
        periods.push((None, prices));
    }
    let mut sets: Vec<(Option<Timestamp>, Set)> = Vec::with_capacity(periods.len());
    for (date, raw) in periods {
        let Some(fields) = obj(raw) else { continue };
        let set = price_set(&id, &fields, &mut e.unmapped, rounded);
        let from = date
            .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC).ok())
            .map(|z| z.timestamp());
        sets.push((from, set));
    }
    // Later entries win: dated periods by start; an undated one is the base.
    sets.sort_by_key(|(f, _)| *f);
    let mut it = sets.into_iter();
    let Some((first_from, first)) = it.next() else {
        skipped.push(Skipped {
            model: id,
            reason: "no price set".into(),
        });
        return None;
    };
    // `prices: {}` is how genai-prices lists a free model ("Gemma 3 (free)").
    let free = first.rates == Rates::default() && first.empty;
    let mut first = first;
    if free {
        first.rates.input = Some(rust_decimal::Decimal::ZERO);
        first.rates.output = Some(rust_decimal::Decimal::ZERO);
        e.note = Some("free: genai-prices lists no price".into());
    }
    if first.rates.input.is_none() && first.rates.output.is_none() {
        skipped.push(Skipped {
            model: id,
            reason: "no per-token input or output price".into(),
        });
        return None;
    }
    e.rates = first.rates;
    e.long_context = first.long;
    e.first_from = first_from;
    for (from, s) in it {
        if let Some(from) = from {
            e.later.push(Dated {
                from,
                rates: s.rates,
                long_context: s.long,
            });
        }
    }
    e.unmapped.sort();
    e.unmapped.dedup();
    e.id = id;
    Some(e)
}

fn price_set(
    id: &str,
    fields: &Obj<'_>,
    unmapped: &mut Vec<(String, String, String)>,
    rounded: &mut Vec<Rounded>,
) -> Set {
    let mut rates = Rates::default();
    let mut tiers: BTreeMap<u64, Rates> = BTreeMap::new();
    for (k, v) in fields {
        let Some(&(_, bucket)) = MAP.iter().find(|(n, _)| n == k) else {
            if !crate::litellm::is_zero(v) {
                unmapped.push((k.clone(), v.get().trim().to_string(), reason(k).into()));
            }
            continue;
        };
        let mut value = |text: &str, field: &str| match per_mtok(text) {
            Ok(p) => {
                if p.rounded {
                    rounded.push(Rounded {
                        model: id.to_string(),
                        field: field.to_string(),
                        written: text.to_string(),
                        per_million: p.value.to_string(),
                    });
                }
                Some(p.value)
            }
            Err(why) => {
                unmapped.push((field.to_string(), text.to_string(), why));
                None
            }
        };
        if let Some(t) = number_text(v) {
            if let Some(x) = value(&t, k) {
                set(&mut rates, bucket, x);
            }
            continue;
        }
        // {base, tiers: [{start, price}]}
        let Some(tiered) = obj(v) else {
            unmapped.push((k.clone(), v.get().trim().to_string(), "not a price".into()));
            continue;
        };
        if let Some(x) = tiered
            .get("base")
            .and_then(|b| number_text(b))
            .and_then(|t| value(&t, k))
        {
            set(&mut rates, bucket, x);
        }
        for t in tiered
            .get("tiers")
            .and_then(|t| list(t))
            .unwrap_or_default()
        {
            let Some(t) = obj(t) else { continue };
            let start = t
                .get("start")
                .and_then(|s| s.get().trim().parse::<u64>().ok());
            let price = t
                .get("price")
                .and_then(|p| number_text(p))
                .and_then(|p| value(&p, &format!("{k}.tiers")));
            if let (Some(s), Some(p)) = (start, price) {
                set(tiers.entry(s).or_default(), bucket, p);
            }
        }
    }
    let mut it = tiers.into_iter();
    let long = it.next().map(|(threshold, mut r)| {
        r.input = r.input.or(rates.input);
        r.output = r.output.or(rates.output);
        r.cache_read = r.cache_read.or(rates.cache_read);
        r.cache_write = r.cache_write.or(rates.cache_write);
        r.cache_write_1h = r.cache_write_1h.or(rates.cache_write_1h);
        r.reasoning = r.reasoning.or(rates.reasoning);
        (threshold, r)
    });
    for (threshold, _) in it {
        unmapped.push((
            format!("tier above {threshold} tokens"),
            String::new(),
            "a second long-context tier is not modelled".into(),
        ));
    }
    Set {
        rates,
        long,
        empty: fields.is_empty(),
    }
}

/// `match` rules → aliases (`equals`) and glob patterns (`starts_with` →
/// `x*`, `ends_with` → `*x`, `contains` → `*x*`); `regex` and `and` are
/// listed as unmapped.
fn matches(v: &RawValue, id: &str, e: &mut Entry) {
    let Some(o) = obj(v) else { return };
    for (k, v) in &o {
        match k.as_str() {
            "or" => {
                for x in list(v).unwrap_or_default() {
                    matches(x, id, e);
                }
            }
            "equals" | "starts_with" | "ends_with" | "contains" => {
                let Some(s) = string(v).map(|s| s.trim().to_string()) else {
                    continue;
                };
                if s.is_empty() || s.contains(['*', '?']) {
                    continue;
                }
                match k.as_str() {
                    "equals" => {
                        if !s.eq_ignore_ascii_case(id) && !e.aliases.contains(&s) {
                            e.aliases.push(s);
                        }
                    }
                    "starts_with" => e.patterns.push(format!("{s}*")),
                    "ends_with" => e.patterns.push(format!("*{s}")),
                    _ => e.patterns.push(format!("*{s}*")),
                }
            }
            other => e.unmapped.push((
                format!("match.{other}"),
                v.get().trim().to_string(),
                "only equals, starts_with, ends_with and contains rules become names".into(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"[
      {"id": "x-ai", "name": "X AI", "models": [
        {"id": "grok-4.5", "match": {"or": [{"equals": "grok-4.5"}, {"starts_with": "grok-4.5-"}]},
         "prices": {"input_mtok": 2, "cache_read_mtok": 0.5, "output_mtok": 6.0, "web_searches_kcount": 5}}
      ]},
      {"id": "anthropic", "name": "Anthropic", "models": [
        {"id": "claude-sonnet-5", "name": "Claude Sonnet 5", "match": {"contains": "claude-sonnet-5"},
         "prices": [
           {"prices": {"input_mtok": 2, "output_mtok": 10}},
           {"constraint": {"start_date": "2026-09-01"}, "prices": {"input_mtok": 3, "output_mtok": 15}}
         ]},
        {"id": "claude-opus-4-6", "match": {"regex": "^claude-opus-4-6"},
         "prices": {"input_mtok": {"base": 5, "tiers": [{"start": 200000, "price": 10}]},
                    "output_mtok": {"base": 25, "tiers": [{"start": 200000, "price": 37.5}]}}}
      ]},
      {"id": "deepseek", "models": [
        {"id": "deepseek-chat", "match": {"equals": "deepseek-chat"},
         "prices": [{"prices": {"input_mtok": 0.135}},
                    {"constraint": {"start_time": "00:30:00Z", "end_time": "16:30:00Z"}, "prices": {"input_mtok": 0.27}}]}
      ]}
    ]"#;

    fn d(s: &str) -> Option<rust_decimal::Decimal> {
        Some(s.parse().expect("decimal"))
    }

    #[test]
    fn reads_rates_periods_tiers_and_rules() {
        let (mut sk, mut ro) = (Vec::new(), Vec::new());
        let e = read(SAMPLE, &mut sk, &mut ro).expect("reads");
        assert_eq!(e.len(), 3);
        let g = &e[0];
        assert_eq!(g.provider.as_deref(), Some("xai"));
        assert_eq!(g.rates.input, d("2"));
        assert_eq!(g.rates.output, d("6"));
        assert_eq!(g.rates.cache_read, d("0.5"));
        assert!(g.aliases.is_empty(), "equals of its own id is no alias");
        assert_eq!(g.patterns, vec!["grok-4.5-*".to_string()]);
        assert_eq!(g.unmapped[0].0, "web_searches_kcount");
        let s = &e[1];
        assert_eq!(s.patterns, vec!["*claude-sonnet-5*".to_string()]);
        assert_eq!(s.rates.input, d("2"));
        assert_eq!(s.later.len(), 1);
        assert_eq!(s.later[0].from.to_string(), "2026-09-01T00:00:00Z");
        assert_eq!(s.later[0].rates.output, d("15"));
        // The regex rule is listed; the tiered prices give a long-context tier.
        let o = &e[2];
        assert_eq!(o.rates.input, d("5"));
        let (threshold, long) = o.long_context.as_ref().expect("tier");
        assert_eq!(*threshold, 200_000);
        assert_eq!(long.input, d("10"));
        assert_eq!(long.output, d("37.5"));
        assert!(o.unmapped.iter().any(|u| u.0 == "match.regex"));
        // A time-of-day price cannot be modelled: the model is skipped, and says why.
        assert!(
            sk.iter()
                .any(|x| x.model == "deepseek-chat" && x.reason.contains("time of day"))
        );
        assert!(ro.is_empty());
    }
}
