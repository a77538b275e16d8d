//! LiteLLM `model_prices_and_context_window.json`.

use std::collections::BTreeMap;

use llmcost_core::{Bucket, Rates};
use serde_json::value::RawValue;

use crate::number::per_million;
use crate::{Entry, Format, ImportError, Rounded, Skipped};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Base,
    /// A long-context tier above this many prompt tokens.
    Long(u64),
    Batch,
    Flex,
    Priority,
}

/// Every LiteLLM field that maps onto the price model.
const MAP: &[(&str, Slot, Bucket)] = &[
    ("input_cost_per_token", Slot::Base, Bucket::Input),
    ("output_cost_per_token", Slot::Base, Bucket::Output),
    ("cache_read_input_token_cost", Slot::Base, Bucket::CacheRead),
    (
        "input_cost_per_token_cache_hit",
        Slot::Base,
        Bucket::CacheRead,
    ),
    (
        "cache_creation_input_token_cost",
        Slot::Base,
        Bucket::CacheWrite,
    ),
    (
        "cache_creation_input_token_cost_above_1hr",
        Slot::Base,
        Bucket::CacheWrite1h,
    ),
    (
        "output_cost_per_reasoning_token",
        Slot::Base,
        Bucket::Reasoning,
    ),
    (
        "input_cost_per_token_above_128k_tokens",
        Slot::Long(128_000),
        Bucket::Input,
    ),
    (
        "output_cost_per_token_above_128k_tokens",
        Slot::Long(128_000),
        Bucket::Output,
    ),
    (
        "cache_read_input_token_cost_above_128k_tokens",
        Slot::Long(128_000),
        Bucket::CacheRead,
    ),
    (
        "input_cost_per_token_above_200k_tokens",
        Slot::Long(200_000),
        Bucket::Input,
    ),
    (
        "output_cost_per_token_above_200k_tokens",
        Slot::Long(200_000),
        Bucket::Output,
    ),
    (
        "cache_read_input_token_cost_above_200k_tokens",
        Slot::Long(200_000),
        Bucket::CacheRead,
    ),
    (
        "cache_creation_input_token_cost_above_200k_tokens",
        Slot::Long(200_000),
        Bucket::CacheWrite,
    ),
    (
        "cache_creation_input_token_cost_above_1hr_above_200k_tokens",
        Slot::Long(200_000),
        Bucket::CacheWrite1h,
    ),
    (
        "output_cost_per_reasoning_token_above_200k_tokens",
        Slot::Long(200_000),
        Bucket::Reasoning,
    ),
    ("input_cost_per_token_batches", Slot::Batch, Bucket::Input),
    ("output_cost_per_token_batches", Slot::Batch, Bucket::Output),
    ("input_cost_per_token_flex", Slot::Flex, Bucket::Input),
    ("output_cost_per_token_flex", Slot::Flex, Bucket::Output),
    (
        "cache_read_input_token_cost_flex",
        Slot::Flex,
        Bucket::CacheRead,
    ),
    (
        "input_cost_per_token_priority",
        Slot::Priority,
        Bucket::Input,
    ),
    (
        "output_cost_per_token_priority",
        Slot::Priority,
        Bucket::Output,
    ),
    (
        "cache_read_input_token_cost_priority",
        Slot::Priority,
        Bucket::CacheRead,
    ),
];

/// Why a price field has no place in the price model.
pub(crate) fn reason(field: &str) -> &'static str {
    let f = field;
    if f.contains("audio") {
        "audio is not priced apart from text tokens"
    } else if f.contains("image") || f.contains("pixel") {
        "per-image pricing is not modelled"
    } else if f.contains("video") {
        "video pricing is not modelled"
    } else if f.contains("second") {
        "per-second pricing is not modelled"
    } else if f.contains("character") {
        "per-character pricing is not modelled"
    } else if f.contains("query")
        || f.contains("request")
        || f.contains("session")
        || f.contains("calls")
        || f.contains("search")
    {
        "per-request fees are not modelled"
    } else if f.contains("gb") {
        "storage is not priced"
    } else {
        "no matching bucket in the price model"
    }
}

/// A JSON value's number text: a number, or a string holding one.
pub(crate) fn number_text(v: &RawValue) -> Option<std::borrow::Cow<'_, str>> {
    let t = v.get().trim();
    match t.as_bytes().first() {
        Some(b'-' | b'0'..=b'9') => Some(std::borrow::Cow::Borrowed(t)),
        Some(b'"') => serde_json::from_str::<String>(t)
            .ok()
            .map(std::borrow::Cow::Owned),
        _ => None,
    }
}

/// Whether a raw value is a number (or numeric string) equal to zero.
pub(crate) fn is_zero(v: &RawValue) -> bool {
    number_text(v)
        .and_then(|t| per_million(&t).ok())
        .is_some_and(|p| p.value.is_zero())
}

fn is_price_field(k: &str) -> bool {
    k.contains("cost") || k.contains("price") || k.contains("pricing")
}

/// A JSON object's members in file order (the first of two equal ids wins).
struct Ordered<'a>(Vec<(String, &'a RawValue)>);

impl<'de: 'a, 'a> serde::Deserialize<'de> for Ordered<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for V<'a> {
            type Value = Ordered<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object of models")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                mut m: M,
            ) -> Result<Self::Value, M::Error> {
                let mut v = Vec::with_capacity(m.size_hint().unwrap_or(0));
                while let Some((k, raw)) = m.next_entry::<String, &'de RawValue>()? {
                    v.push((k, raw));
                }
                Ok(Ordered(v))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

pub(crate) fn read(
    text: &str,
    skipped: &mut Vec<Skipped>,
    rounded: &mut Vec<Rounded>,
) -> Result<Vec<Entry>, ImportError> {
    let shape = |e: serde_json::Error| ImportError::Shape {
        format: Format::LiteLlm,
        message: e.to_string(),
    };
    let top: Ordered<'_> = serde_json::from_str(text).map_err(shape)?;
    let mut out = Vec::with_capacity(top.0.len());
    for (id, raw) in top.0 {
        if id == "sample_spec" {
            continue;
        }
        if !raw.get().trim_start().starts_with('{') {
            skipped.push(Skipped {
                model: id,
                reason: "not a JSON object".into(),
            });
            continue;
        }
        let fields: BTreeMap<String, &RawValue> = serde_json::from_str(raw.get()).map_err(shape)?;
        out.extend(entry(id, &fields, skipped, rounded));
    }
    Ok(out)
}

fn entry(
    id: String,
    fields: &BTreeMap<String, &RawValue>,
    skipped: &mut Vec<Skipped>,
    rounded: &mut Vec<Rounded>,
) -> Option<Entry> {
    let mut e = Entry {
        provider: fields
            .get("litellm_provider")
            .and_then(|v| serde_json::from_str::<String>(v.get()).ok()),
        note: fields
            .get("deprecation_date")
            .and_then(|v| serde_json::from_str::<String>(v.get()).ok())
            .map(|d| format!("LiteLLM deprecation date: {d}")),
        ..Entry::default()
    };
    let mut long: BTreeMap<u64, Rates> = BTreeMap::new();
    let (mut batch, mut flex, mut priority) =
        (Rates::default(), Rates::default(), Rates::default());
    for (k, v) in fields {
        let Some(&(_, slot, bucket)) = MAP.iter().find(|(name, _, _)| name == k) else {
            if is_price_field(k) && !is_zero(v) {
                e.unmapped
                    .push((k.clone(), v.get().trim().to_string(), reason(k).to_string()));
            }
            continue;
        };
        let parsed = number_text(v)
            .ok_or_else(|| "not a number".to_string())
            .and_then(|t| per_million(&t).map(|p| (p, t.into_owned())));
        let (p, written) = match parsed {
            Ok(x) => x,
            Err(why) => {
                e.unmapped
                    .push((k.clone(), v.get().trim().to_string(), why));
                continue;
            }
        };
        if p.rounded {
            rounded.push(Rounded {
                model: id.clone(),
                field: k.clone(),
                written,
                per_million: p.value.to_string(),
            });
        }
        let target = match slot {
            Slot::Base => &mut e.rates,
            Slot::Long(t) => long.entry(t).or_default(),
            Slot::Batch => &mut batch,
            Slot::Flex => &mut flex,
            Slot::Priority => &mut priority,
        };
        // `cache_read_input_token_cost` wins over DeepSeek's `_cache_hit` name.
        if k == "input_cost_per_token_cache_hit"
            && fields.contains_key("cache_read_input_token_cost")
        {
            continue;
        }
        set(target, bucket, p.value);
    }
    if e.rates.input.is_none() && e.rates.output.is_none() {
        let priced: Vec<String> = fields
            .iter()
            .filter(|(k, _)| is_price_field(k))
            .map(|(k, v)| format!("{k} = {}", v.get().trim()))
            .collect();
        skipped.push(Skipped {
            model: id,
            reason: if priced.is_empty() {
                "no price fields".into()
            } else {
                format!("no per-token input or output price ({})", priced.join(", "))
            },
        });
        return None;
    }
    // One long-context tier: the lowest threshold; the others are listed.
    let mut tiers = long.into_iter();
    if let Some((threshold, rates)) = tiers.next() {
        e.long_context = Some((threshold, fill(rates, &e.rates)));
    }
    for (threshold, _) in tiers {
        for (k, v) in fields {
            if MAP
                .iter()
                .any(|(name, slot, _)| name == k && *slot == Slot::Long(threshold))
            {
                e.unmapped.push((
                    k.clone(),
                    v.get().trim().to_string(),
                    format!(
                        "a second long-context tier (above {}k) is not modelled; the {}k tier is used",
                        threshold / 1000,
                        e.long_context.as_ref().map_or(0, |l| l.0 / 1000)
                    ),
                ));
            }
        }
    }
    let tier = |r: Rates, base: &Rates| (r != Rates::default()).then(|| fill(r, base));
    e.batch = tier(batch, &e.rates);
    e.flex = tier(flex, &e.rates);
    e.priority = tier(priority, &e.rates);
    // `dashscope/qwen-max` is what LiteLLM routes; logs say `qwen-max`.
    if let Some(p) = &e.provider
        && let Some(bare) = id
            .strip_prefix(p.as_str())
            .and_then(|r| r.strip_prefix('/'))
        && !bare.is_empty()
    {
        e.aliases.push(bare.to_string());
    }
    e.id = id;
    Some(e)
}

pub(crate) fn set(r: &mut Rates, b: Bucket, v: rust_decimal::Decimal) {
    r.set(b, Some(v));
}

/// A tier's buckets the source leaves out take the standard rate (as LiteLLM
/// prices them).
fn fill(mut r: Rates, base: &Rates) -> Rates {
    r.input = r.input.or(base.input);
    r.output = r.output.or(base.output);
    r.cache_read = r.cache_read.or(base.cache_read);
    r.cache_write = r.cache_write.or(base.cache_write);
    r.cache_write_1h = r.cache_write_1h.or(base.cache_write_1h);
    r.reasoning = r.reasoning.or(base.reasoning);
    r
}
