//! OpenRouter `GET /api/v1/models`.

use std::collections::BTreeMap;

use llmcost_core::{Bucket, Rates};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::litellm::{is_zero, number_text, set};
use crate::number::per_million;
use crate::{Entry, Format, ImportError, Rounded, Skipped};

#[derive(Deserialize)]
struct Response<'a> {
    #[serde(borrow)]
    data: Vec<Model<'a>>,
}

#[derive(Deserialize)]
struct Model<'a> {
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default, borrow)]
    pricing: Option<BTreeMap<String, &'a RawValue>>,
}

/// `pricing` keys that map; `optional` buckets read `"0"` as "not published"
/// (OpenRouter writes 0 where a model has no cache or reasoning price).
const MAP: &[(&str, Bucket, bool)] = &[
    ("prompt", Bucket::Input, false),
    ("completion", Bucket::Output, false),
    ("input_cache_read", Bucket::CacheRead, true),
    ("input_cache_write", Bucket::CacheWrite, true),
    ("internal_reasoning", Bucket::Reasoning, true),
];

fn reason(field: &str) -> String {
    match field {
        "request" => "per-request fee is not modelled".into(),
        "image" => "per-image pricing is not modelled".into(),
        "web_search" => "per-search fee is not modelled".into(),
        "discount" => "a discount is not modelled".into(),
        f => crate::litellm::reason(f).into(),
    }
}

pub(crate) fn read(
    text: &str,
    skipped: &mut Vec<Skipped>,
    rounded: &mut Vec<Rounded>,
) -> Result<Vec<Entry>, ImportError> {
    let resp: Response<'_> = serde_json::from_str(text).map_err(|e| ImportError::Shape {
        format: Format::OpenRouter,
        message: e.to_string(),
    })?;
    let mut out = Vec::with_capacity(resp.data.len());
    for m in resp.data {
        let Some(pricing) = m.pricing else {
            skipped.push(Skipped {
                model: m.id,
                reason: "no `pricing`".into(),
            });
            continue;
        };
        let mut e = Entry {
            provider: m.id.split_once('/').map(|(p, _)| p.to_string()),
            name: m.name,
            ..Entry::default()
        };
        let mut rates = Rates::default();
        let mut variable = false;
        for (k, v) in &pricing {
            let Some(&(_, bucket, optional)) = MAP.iter().find(|(n, _, _)| n == k) else {
                if !is_zero(v) {
                    e.unmapped
                        .push((k.clone(), v.get().trim().to_string(), reason(k)));
                }
                continue;
            };
            let Some(t) = number_text(v) else {
                e.unmapped
                    .push((k.clone(), v.get().trim().to_string(), "not a number".into()));
                continue;
            };
            if t.trim() == "-1" {
                variable = true;
                continue;
            }
            match per_million(&t) {
                Ok(p) => {
                    if optional && p.value.is_zero() {
                        continue;
                    }
                    if p.rounded {
                        rounded.push(Rounded {
                            model: m.id.clone(),
                            field: k.clone(),
                            written: t.to_string(),
                            per_million: p.value.to_string(),
                        });
                    }
                    set(&mut rates, bucket, p.value);
                }
                Err(why) => e
                    .unmapped
                    .push((k.clone(), v.get().trim().to_string(), why)),
            }
        }
        if variable {
            skipped.push(Skipped {
                model: m.id,
                reason: "variable price (-1: the router chooses the model)".into(),
            });
            continue;
        }
        if rates.input.is_none() && rates.output.is_none() {
            skipped.push(Skipped {
                model: m.id,
                reason: "no prompt or completion price".into(),
            });
            continue;
        }
        e.rates = rates;
        e.id = m.id;
        out.push(e);
    }
    Ok(out)
}
