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

use llmcost_core::{ServiceTier, Usage};
use memchr::memmem;

use crate::json::{Bad, Cur, R};
use crate::{
    Detail, Entry, Error, FileCtx, KeepMax, Models, Out, Tail, fast_hash, for_each_line, time,
};

/// The fields of `message.usage` that matter.
#[derive(Default)]
struct RawUsage<'a> {
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    cache_creation_input_tokens: Option<u64>,
    cache_read_input_tokens: Option<u64>,
    ephemeral_5m_input_tokens: Option<u64>,
    ephemeral_1h_input_tokens: Option<u64>,
    service_tier: Option<Cow<'a, str>>,
    speed: Option<Cow<'a, str>>,
}

fn parse_usage<'a>(c: &mut Cur<'a>) -> R<RawUsage<'a>> {
    let mut u = RawUsage::default();
    c.object(|c, k| {
        match k {
            b"input_tokens" => u.input_tokens = c.opt_u64()?,
            b"output_tokens" => u.output_tokens = c.opt_u64()?,
            b"cache_creation_input_tokens" => u.cache_creation_input_tokens = c.opt_u64()?,
            b"cache_read_input_tokens" => u.cache_read_input_tokens = c.opt_u64()?,
            b"cache_creation" if c.is_object() => c.object(|c, k| {
                match k {
                    b"ephemeral_5m_input_tokens" => u.ephemeral_5m_input_tokens = c.opt_u64()?,
                    b"ephemeral_1h_input_tokens" => u.ephemeral_1h_input_tokens = c.opt_u64()?,
                    _ => c.skip_value()?,
                }
                Ok(())
            })?,
            b"service_tier" => u.service_tier = c.opt_str()?,
            b"speed" => u.speed = c.opt_str()?,
            _ => c.skip_value()?,
        }
        Ok(())
    })?;
    Ok(u)
}

/// The fields of one line that matter.
#[derive(Default)]
struct Line<'a> {
    timestamp: Option<&'a [u8]>,
    request_id: Option<&'a [u8]>,
    sidechain: bool,
    message_id: Option<&'a [u8]>,
    model: Option<Cow<'a, str>>,
    usage: Option<&'a [u8]>,
    raw: RawUsage<'a>,
}

fn parse_line(b: &[u8]) -> R<Line<'_>> {
    let mut l = Line::default();
    let mut c = Cur::new(b);
    c.object(|c, k| {
        match k {
            b"timestamp" => l.timestamp = Some(c.raw_str()?),
            b"requestId" => l.request_id = c.opt_raw_str()?,
            b"isSidechain" => l.sidechain = c.bool()?,
            b"message" if c.is_object() => c.object(|c, k| {
                match k {
                    b"id" => l.message_id = c.opt_raw_str()?,
                    b"model" => l.model = c.opt_str()?,
                    b"usage" if c.is_object() => {
                        let start = c.pos();
                        l.raw = parse_usage(c)?;
                        l.usage = Some(&b[start..c.pos()]);
                    }
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
    let (w5, w1) =
        if raw.ephemeral_5m_input_tokens.is_some() || raw.ephemeral_1h_input_tokens.is_some() {
            let m5 = raw.ephemeral_5m_input_tokens.unwrap_or(0);
            let h1 = raw.ephemeral_1h_input_tokens.unwrap_or(0);
            // Writes the split does not attribute bill as 5-minute writes.
            let split = m5.checked_add(h1).ok_or(Bad("token count overflow"))?;
            let unattributed = creation.saturating_sub(split);
            (m5 + unattributed, h1)
        } else {
            (creation, 0)
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
    let finder = memmem::Finder::new(b"\"usage\":");
    // About one entry per 1.5 KB of log (assistant lines with usage are about
    // half the lines, which average ~1 KB): sized once, never rehashed.
    let expect = std::fs::metadata(&ctx.path)
        .map_or(0, |m| m.len().saturating_sub(start) / 1_536)
        .min(1 << 20) as usize;
    let mut keep = KeepMax::with_capacity(expect);
    let mut models = Models::default();
    // message ids seen outside the side chain in this file
    let mut parents = crate::HashSet64::with_capacity_and_hasher(
        expect,
        std::hash::BuildHasherDefault::default(),
    );
    let detail = out.detail;
    let file_key = crate::fnv(&[ctx.path.to_string_lossy().as_bytes()]);
    // Lines without ids are keyed by file head and line.
    let head = if detail {
        crate::head_hash(&ctx.path)?
    } else {
        String::new()
    };
    for_each_line(out, start, Tail::Json, &mut |out, no, line| {
        if finder.find(line).is_none() {
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
        let (u, tier, has_speed) = match usage_of(&l.raw) {
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
        let mid = l.message_id;
        let rid = l.request_id;
        let key = match (mid, rid) {
            (None, None) => fast_hash(&[b"line", &file_key.to_le_bytes(), &no.to_le_bytes()]),
            _ => fast_hash(&[mid.unwrap_or(b""), rid.unwrap_or(b"")]),
        };
        let parent = mid.map_or(0, |m| fast_hash(&[m]));
        if !l.sidechain && parent != 0 {
            parents.insert(parent);
        }
        let detail = detail.then(|| {
            let dedup_key = match (mid, rid) {
                (None, None) => format!("claude:{head}:{no}"),
                _ => {
                    let text = |x: Option<&[u8]>| {
                        x.and_then(|x| crate::json::decode(x).ok())
                            .map(|x| x.into_owned())
                            .unwrap_or_default()
                    };
                    format!("claude:{}:{}", text(mid), text(rid))
                }
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
