//! Claude Code session logs.
//!
//! Claude Code writes one JSON line per content block of an assistant
//! message; each repeats `message.id`, `requestId` and a (growing) snapshot of
//! `message.usage`. Within a file the copies of one (`message.id`,
//! `requestId`) are reduced to the one with the most tokens (a tie goes to the
//! copy that has `speed`), as ccusage does. Lines with model `<synthetic>`
//! (local notices) and lines with no tokens are ignored. A line marked
//! `isSidechain` whose `message.id` also appears outside the side chain in the
//! same file is a replay and is dropped; [`crate::Entry::parent`] lets a
//! reader that sees several files apply the same rule across them.

use std::borrow::Cow;
use std::collections::HashSet;

use llmcost_core::{ServiceTier, Usage};
use memchr::memmem;
use serde::Deserialize;

use crate::json::{Bad, Cur, R};
use crate::{
    Detail, Entry, Error, FileCtx, KeepMax, Models, Out, Tail, fast_hash, for_each_line, time,
};

#[derive(Deserialize, Default)]
struct CacheCreation {
    #[serde(default)]
    ephemeral_5m_input_tokens: Option<u64>,
    #[serde(default)]
    ephemeral_1h_input_tokens: Option<u64>,
}

#[derive(Deserialize, Default)]
struct RawUsage<'a> {
    #[serde(default)]
    input_tokens: Option<u64>,
    #[serde(default)]
    output_tokens: Option<u64>,
    #[serde(default)]
    cache_creation_input_tokens: Option<u64>,
    #[serde(default)]
    cache_read_input_tokens: Option<u64>,
    #[serde(default)]
    cache_creation: Option<CacheCreation>,
    #[serde(default, borrow)]
    service_tier: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    speed: Option<Cow<'a, str>>,
}

/// The fields of one line that matter.
#[derive(Default)]
struct Line<'a> {
    timestamp: Option<&'a [u8]>,
    request_id: Option<Cow<'a, str>>,
    sidechain: bool,
    message_id: Option<Cow<'a, str>>,
    model: Option<Cow<'a, str>>,
    usage: Option<&'a [u8]>,
}

fn parse_line(b: &[u8]) -> R<Line<'_>> {
    let mut l = Line::default();
    let mut c = Cur::new(b);
    c.object(|c, k| {
        match k {
            b"timestamp" => l.timestamp = Some(c.raw_str()?),
            b"requestId" => l.request_id = c.opt_str()?,
            b"isSidechain" => l.sidechain = c.bool()?,
            b"message" if c.is_object() => c.object(|c, k| {
                match k {
                    b"id" => l.message_id = c.opt_str()?,
                    b"model" => l.model = c.opt_str()?,
                    b"usage" if !c.is_null() => l.usage = Some(c.span()?),
                    _ => c.skip_value()?,
                }
                Ok(())
            })?,
            _ => c.skip_value()?,
        }
        Ok(())
    })?;
    c.end()?;
    Ok(l)
}

/// Normalises Claude's (Anthropic) usage into disjoint buckets; returns the
/// tier and whether `speed` was present.
fn usage_of(raw: &RawUsage<'_>) -> R<(Usage, ServiceTier, bool)> {
    let creation = raw.cache_creation_input_tokens.unwrap_or(0);
    let (w5, w1) = match &raw.cache_creation {
        Some(cc)
            if cc.ephemeral_5m_input_tokens.is_some() || cc.ephemeral_1h_input_tokens.is_some() =>
        {
            let m5 = cc.ephemeral_5m_input_tokens.unwrap_or(0);
            let h1 = cc.ephemeral_1h_input_tokens.unwrap_or(0);
            // Writes the split does not attribute bill as 5-minute writes.
            let split = m5.checked_add(h1).ok_or(Bad("token count overflow"))?;
            let unattributed = creation.saturating_sub(split);
            (m5 + unattributed, h1)
        }
        _ => (creation, 0),
    };
    let u = Usage {
        input: raw.input_tokens.unwrap_or(0),
        cache_read: raw.cache_read_input_tokens.unwrap_or(0),
        cache_write: w5,
        cache_write_1h: w1,
        output: raw.output_tokens.unwrap_or(0),
        reasoning: 0,
    };
    let fast = raw
        .speed
        .as_deref()
        .is_some_and(|s| s.eq_ignore_ascii_case("fast"));
    let tier = if fast {
        ServiceTier::Priority
    } else {
        match raw.service_tier.as_deref() {
            Some("batch") => ServiceTier::Batch,
            Some("priority") => ServiceTier::Priority,
            _ => ServiceTier::Standard,
        }
    };
    Ok((u, tier, raw.speed.is_some()))
}

pub(crate) fn scan(ctx: &FileCtx, start: u64, out: &mut Out<'_>) -> Result<(), Error> {
    // `usage` comes near the end of an assistant line: search from the end.
    let finder = memmem::FinderRev::new(b"\"usage\":");
    let mut keep = KeepMax::default();
    let mut models = Models::default();
    // message ids seen outside the side chain in this file
    let mut parents: HashSet<u64> = HashSet::new();
    let detail = out.detail;
    let file_key = crate::fnv(&[ctx.path.to_string_lossy().as_bytes()]);
    // Lines without ids are keyed by file head and line.
    let head = if detail {
        crate::head_hash(&ctx.path)?
    } else {
        String::new()
    };
    for_each_line(out, start, Tail::Json, &mut |out, no, line| {
        if finder.rfind(line).is_none() {
            if !line.trim_ascii().is_empty() && line.trim_ascii_start().first() != Some(&b'{') {
                out.issue(no, "not a JSON object");
            }
            return;
        }
        let l = match parse_line(line) {
            Ok(l) => l,
            Err(Bad(m)) => {
                out.issue(no, format!("malformed JSON: {m}"));
                return;
            }
        };
        let Some(usage) = l.usage else { return };
        let Some(model) = l.model.as_deref() else {
            return; // usage outside an assistant message (tool results)
        };
        if model == "<synthetic>" {
            return;
        }
        let raw: RawUsage<'_> = match serde_json::from_slice(usage) {
            Ok(r) => r,
            Err(e) => {
                out.issue(no, format!("invalid `message.usage`: {e}"));
                return;
            }
        };
        let (u, tier, has_speed) = match usage_of(&raw) {
            Ok(x) => x,
            Err(Bad(m)) => {
                out.issue(no, m);
                return;
            }
        };
        if crate::tokens(&u) == 0 {
            return;
        }
        let Some(at) = l.timestamp.and_then(time::parse) else {
            out.issue(no, "missing or invalid `timestamp`");
            return;
        };
        let mid = l.message_id.as_deref();
        let rid = l.request_id.as_deref();
        let key = match (mid, rid) {
            (None, None) => fast_hash(&[b"line", &file_key.to_le_bytes(), &no.to_le_bytes()]),
            _ => fast_hash(&[mid.unwrap_or("").as_bytes(), rid.unwrap_or("").as_bytes()]),
        };
        let parent = mid.map_or(0, |m| fast_hash(&[m.as_bytes()]));
        if !l.sidechain && parent != 0 {
            parents.insert(parent);
        }
        let detail = detail.then(|| {
            let dedup_key = match (mid, rid) {
                (None, None) => format!("claude:{head}:{no}"),
                _ => format!("claude:{}:{}", mid.unwrap_or(""), rid.unwrap_or("")),
            };
            Box::new(Detail {
                dedup_key,
                raw_usage: std::str::from_utf8(usage).ok().map(str::to_string),
                provider: Some("anthropic".into()),
                tags: if l.sidechain {
                    vec!["sidechain".into()]
                } else {
                    Vec::new()
                },
            })
        });
        keep.add(
            Entry {
                key,
                parent,
                sidechain: l.sidechain,
                at,
                model: models.get(model),
                usage: u,
                tier,
                line: no,
                billed: None,
                session: None,
                detail,
            },
            has_speed,
        );
    })?;
    for e in keep.into_entries() {
        if e.sidechain && e.parent != 0 && parents.contains(&e.parent) {
            continue;
        }
        out.emit(e);
    }
    Ok(())
}
