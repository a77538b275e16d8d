//! Provider usage exports (whole JSON documents, or JSON Lines of them).
//!
//! **OpenAI** organization usage API, `GET /v1/organization/usage/completions`:
//! a page `{"object":"page","data":[bucket...]}` where each bucket has
//! `start_time`, `end_time` (unix seconds) and `results[]` of
//! `organization.usage.completions.result`: `input_tokens` (including
//! `input_cached_tokens`), `input_cached_tokens`, `output_tokens`,
//! `num_model_requests`, and with `group_by` `model`, `project_id`,
//! `api_key_id`, `user_id`, `batch`, `service_tier`.
//!
//! **Anthropic** Admin API usage report, `GET /v1/organizations/usage_report/messages`:
//! `{"data":[{"starting_at","ending_at","results":[...]}]}`, each result with
//! `uncached_input_tokens`, `cache_read_input_tokens`,
//! `cache_creation.{ephemeral_5m_input_tokens, ephemeral_1h_input_tokens}`,
//! `output_tokens`, and with `group_by` `model`, `workspace_id`, `api_key_id`,
//! `service_tier`, `context_window`.
//!
//! A bucket's tokens are recorded at the bucket's start. Results without a
//! model (an export without `group_by=model`) are recorded under model
//! `unknown` and reported. Cost pages (`organization.costs.result`, the
//! Anthropic cost report) hold amounts, not tokens: they are reported and
//! belong to `llmcost reconcile --billed`.

use llmcost_core::{ServiceTier, Timestamp, Usage};
use serde_json::Value;

use crate::{Detail, Entry, Error, FileCtx, Models, Out, SourceKind, fast_hash, time};

fn u(v: &Value, k: &str) -> u64 {
    v.get(k).and_then(Value::as_u64).unwrap_or(0)
}

fn s<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

fn bucket_start(b: &Value) -> Option<Timestamp> {
    if let Some(t) = b.get("start_time").and_then(Value::as_i64) {
        return time::from_unix(t);
    }
    s(b, "starting_at")
        .or_else(|| s(b, "start_time"))
        .and_then(|x| time::parse(x.as_bytes()))
}

pub(crate) fn scan(ctx: &FileCtx, start: u64, out: &mut Out<'_>) -> Result<(), Error> {
    let data = std::fs::read(&ctx.path).map_err(|e| Error::io(&ctx.path, e))?;
    // Re-read whole: records are keyed by content, so this is idempotent.
    let _ = start;
    let mut docs: Vec<(u64, Value)> = Vec::new();
    match serde_json::from_slice::<Value>(&data) {
        Ok(v) => docs.push((1, v)),
        Err(_) => {
            for (i, line) in data.split(|b| *b == b'\n').enumerate() {
                let t = line.trim_ascii();
                if t.is_empty() {
                    continue;
                }
                match serde_json::from_slice::<Value>(t) {
                    Ok(v) => docs.push((i as u64 + 1, v)),
                    Err(e) => out.issue(i as u64 + 1, format!("malformed JSON: {e}")),
                }
            }
            if docs.is_empty() {
                return Err(Error::Format {
                    path: ctx.path.clone(),
                    message: "not a JSON document or JSON Lines".into(),
                });
            }
        }
    }
    let mut models = Models::default();
    let mut cost_pages = false;
    let mut no_model = false;
    for (line, doc) in &docs {
        let pages: Vec<&Value> = match doc {
            Value::Array(a) => a.iter().collect(),
            v => vec![v],
        };
        for page in pages {
            let buckets: Vec<&Value> = match page.get("data") {
                Some(Value::Array(a)) => a.iter().collect(),
                _ if page.get("results").is_some() => vec![page],
                _ => {
                    out.issue(*line, "no `data` list of buckets");
                    continue;
                }
            };
            for b in buckets {
                let Some(at) = bucket_start(b) else {
                    out.issue(*line, "a bucket without `start_time` / `starting_at`");
                    continue;
                };
                let Some(results) = b.get("results").and_then(Value::as_array) else {
                    continue;
                };
                for r in results {
                    let object = s(r, "object").unwrap_or("");
                    if object.contains("costs") || r.get("amount").is_some() {
                        cost_pages = true;
                        continue;
                    }
                    let (usage, tier, provider) = match ctx.kind {
                        SourceKind::AnthropicUsage => anthropic(r),
                        _ => openai(r),
                    };
                    if usage.is_zero() {
                        continue;
                    }
                    let model = match s(r, "model") {
                        Some(m) => m,
                        None => {
                            no_model = true;
                            "unknown"
                        }
                    };
                    let ident = format!(
                        "{}:{}:{}:{}:{}:{}:{}:{}",
                        provider,
                        at.as_second(),
                        model,
                        s(r, "project_id")
                            .or_else(|| s(r, "workspace_id"))
                            .unwrap_or(""),
                        s(r, "api_key_id").unwrap_or(""),
                        s(r, "user_id").unwrap_or(""),
                        tier.key(),
                        s(r, "context_window").unwrap_or(""),
                    );
                    let key = fast_hash(&[ident.as_bytes()]);
                    let detail = out.detail.then(|| {
                        Box::new(Detail {
                            dedup_key: format!("{}:{ident}", ctx.kind.name()),
                            raw_usage: serde_json::to_string(r).ok(),
                            provider: Some(provider.to_string()),
                            tags: Vec::new(),
                        })
                    });
                    out.emit(Entry {
                        key,
                        parent: 0,
                        sidechain: false,
                        at,
                        model: models.get(model),
                        usage,
                        tier,
                        line: *line,
                        billed: None,
                        session: None,
                        detail,
                    });
                }
            }
        }
    }
    if cost_pages {
        out.issue(
            0,
            "cost results hold amounts, not tokens: they are not usage records (use them with `llmcost reconcile --billed`)",
        );
    }
    if no_model {
        out.issue(
            0,
            "results without a model (export with `group_by=model`) are listed under model `unknown`",
        );
    }
    out.outcome.lines = data.iter().filter(|b| **b == b'\n').count() as u64;
    out.outcome.end_offset = data.len() as u64;
    Ok(())
}

fn tier_of(r: &Value) -> ServiceTier {
    if r.get("batch").and_then(Value::as_bool) == Some(true) {
        return ServiceTier::Batch;
    }
    match s(r, "service_tier").map(str::to_ascii_lowercase).as_deref() {
        Some("batch") => ServiceTier::Batch,
        Some("flex") => ServiceTier::Flex,
        Some("priority") => ServiceTier::Priority,
        _ => ServiceTier::Standard,
    }
}

fn openai(r: &Value) -> (Usage, ServiceTier, &'static str) {
    let input = u(r, "input_tokens");
    let cached = u(r, "input_cached_tokens").min(input);
    (
        Usage {
            input: input - cached,
            cache_read: cached,
            output: u(r, "output_tokens"),
            ..Usage::default()
        },
        tier_of(r),
        "openai",
    )
}

fn anthropic(r: &Value) -> (Usage, ServiceTier, &'static str) {
    let cc = r.get("cache_creation");
    let w5 = cc.map_or(0, |c| u(c, "ephemeral_5m_input_tokens"))
        + u(r, "cache_creation_5m_input_tokens");
    let w1 = cc.map_or(0, |c| u(c, "ephemeral_1h_input_tokens"))
        + u(r, "cache_creation_1h_input_tokens");
    (
        Usage {
            input: u(r, "uncached_input_tokens"),
            cache_read: u(r, "cache_read_input_tokens"),
            cache_write: w5,
            cache_write_1h: w1,
            output: u(r, "output_tokens"),
            reasoning: 0,
            ..Usage::default()
        },
        tier_of(r),
        "anthropic",
    )
}
