//! JSON Lines of provider response bodies or usage objects: every shape
//! `llmcost_usage::extract` reads. A file whose first character is `[` is read
//! as one JSON array of such documents.
//!
//! Each line needs a time (the body's `created`, a wrapper's `timestamp`...)
//! and a model; a line without them is an issue. The dedup key follows
//! [`llmcost_ledger::identity`]: `jsonl:id:<response id>:<digest>` when the
//! body has a plausible `id` (the digest of time, model, usage and tier
//! keeps apart two responses that reuse an id), else
//! `jsonl:row:<digest>:<occurrence>` (identical id-less lines of one file
//! stay distinct; a re-written or re-sorted file adds only new lines). A scan
//! that resumes after an offset first counts the id-less lines before it.

use llmcost_core::{Currency, Decimal, ServiceTier};
use llmcost_ledger::identity::{self, Content, Occurrences};
use memchr::memmem;

use crate::json::Cur;
use crate::{Detail, Entry, Error, FileCtx, Models, Out, Tail, fast_hash, for_each_line};

/// Finds the span of the usage object in a body (for the raw usage kept with
/// a record), looking through the usual wrappers.
fn usage_span(b: &[u8]) -> Option<&[u8]> {
    fn walk<'a>(c: &mut Cur<'a>, depth: u8, found: &mut Option<&'a [u8]>) -> crate::json::R<()> {
        c.object(|c, k| {
            match k {
                b"usage" | b"usageMetadata" | b"usage_metadata"
                    if found.is_none() && c.is_object() =>
                {
                    *found = Some(c.span()?);
                }
                b"response" | b"body" | b"message" | b"result" | b"data"
                    if depth < 4 && found.is_none() && c.is_object() =>
                {
                    walk(c, depth + 1, found)?;
                }
                _ => c.skip_value()?,
            }
            Ok(())
        })
    }
    let mut found = None;
    let mut c = Cur::new(b);
    walk(&mut c, 0, &mut found).ok()?;
    found
}

fn ticks_to_usd(ticks: i64) -> Decimal {
    Decimal::from_i128_with_scale(i128::from(ticks), 10).normalize()
}

pub(crate) fn scan(ctx: &FileCtx, start: u64, out: &mut Out<'_>) -> Result<(), Error> {
    let mut models = Models::default();
    let detail = out.detail;
    let first = first_byte(&ctx.path)?;
    if first == Some(b'[') && start == 0 {
        return scan_array(ctx, out);
    }
    let mut occ = if start > 0 {
        prefix_occurrences(&ctx.path, start)?
    } else {
        Occurrences::default()
    };
    let usage_finder = memmem::Finder::new(b"sage");
    for_each_line(out, start, Tail::Json, &mut |out, no, line| {
        let t = line.trim_ascii();
        if t.is_empty() {
            return;
        }
        if usage_finder.find(t).is_none() {
            return; // no usage here (a streaming chunk, a request line)
        }
        one(t, no, &mut models, &mut occ, detail, out);
    })
}

/// The occurrences of the id-less lines in the first `upto` bytes (already
/// imported), so the lines after them are numbered as a scan from the start
/// would number them.
fn prefix_occurrences(path: &std::path::Path, upto: u64) -> Result<Occurrences, Error> {
    use std::io::{BufRead, Read};
    let f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut r = std::io::BufReader::with_capacity(256 << 10, f.take(upto));
    let mut occ = Occurrences::default();
    let mut line = Vec::new();
    let finder = memmem::Finder::new(b"sage");
    loop {
        line.clear();
        if r.read_until(b'\n', &mut line)
            .map_err(|e| Error::io(path, e))?
            == 0
        {
            return Ok(occ);
        }
        let t = line.trim_ascii();
        if t.is_empty() || finder.find(t).is_none() {
            continue;
        }
        if let Ok(ex) = llmcost_usage::extract_ref(t)
            && let (Some(model), Some(at)) = (ex.model.as_deref(), ex.at)
            && !ex.request_id.as_deref().is_some_and(identity::plausible_id)
        {
            let c = Content {
                at,
                model,
                usage: ex.usage,
                tier: ex.service_tier.unwrap_or(ServiceTier::Standard),
                session: None,
            };
            occ.next(c.digest());
        }
    }
}

fn one(
    t: &[u8],
    no: u64,
    models: &mut Models,
    occ: &mut Occurrences,
    detail: bool,
    out: &mut Out<'_>,
) {
    let ex = match llmcost_usage::extract_ref(t) {
        Ok(e) => e,
        Err(e) => {
            out.issue(no, e.to_string());
            return;
        }
    };
    let Some(model) = ex.model.as_deref() else {
        out.issue(no, "the body names no model");
        return;
    };
    let Some(at) = ex.at else {
        out.issue(no, "the body has no time (`created`, `timestamp`...)");
        return;
    };
    let tier = ex.service_tier.unwrap_or(ServiceTier::Standard);
    let digest = Content {
        at,
        model,
        usage: ex.usage,
        tier,
        session: None,
    }
    .digest();
    let id = ex
        .request_id
        .as_deref()
        .filter(|id| identity::plausible_id(id));
    let (key, dedup_key) = match id {
        Some(id) => (
            fast_hash(&[b"jsonl:id", id.as_bytes(), &digest.to_le_bytes()]),
            detail.then(|| identity::id_key("jsonl", id, digest)),
        ),
        None => {
            let n = occ.next(digest);
            (
                fast_hash(&[b"jsonl:row", &digest.to_le_bytes(), &n.to_le_bytes()]),
                detail.then(|| identity::row_key("jsonl", digest, n)),
            )
        }
    };
    let billed = ex
        .reported_cost_usd_ticks
        .map(|t| (ticks_to_usd(t), Currency::USD));
    let detail = dedup_key.map(|dedup_key| {
        Box::new(Detail {
            dedup_key,
            raw_usage: std::str::from_utf8(usage_span(t).unwrap_or(t))
                .ok()
                .map(str::to_string),
            provider: Some(ex.shape.provider().to_string()),
            tags: Vec::new(),
        })
    });
    out.emit(Entry {
        key,
        parent: 0,
        sidechain: false,
        at,
        model: models.get(model),
        usage: ex.usage,
        tier,
        line: no,
        billed,
        session: None,
        detail,
    });
}

fn first_byte(path: &std::path::Path) -> Result<Option<u8>, Error> {
    use std::io::Read;
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut buf = [0u8; 512];
    loop {
        let n = f.read(&mut buf).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            return Ok(None);
        }
        let s = buf[..n].strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&buf[..n]);
        if let Some(b) = s.iter().find(|b| !b.is_ascii_whitespace()) {
            return Ok(Some(*b));
        }
    }
}

/// A JSON array of bodies: read whole; the "line" of an item is its 1-based index.
fn scan_array(ctx: &FileCtx, out: &mut Out<'_>) -> Result<(), Error> {
    let data = std::fs::read(&ctx.path).map_err(|e| Error::io(&ctx.path, e))?;
    let mut models = Models::default();
    let detail = out.detail;
    let mut items: Vec<&[u8]> = Vec::new();
    let mut c = Cur::new(&data);
    let parsed = c
        .array(|c| {
            items.push(c.span()?);
            Ok(())
        })
        .and_then(|()| c.end());
    if let Err(e) = parsed {
        return Err(Error::Format {
            path: ctx.path.clone(),
            message: format!("not a valid JSON array: {}", e.0),
        });
    }
    let mut occ = Occurrences::default();
    for (i, item) in items.iter().enumerate() {
        one(item, i as u64 + 1, &mut models, &mut occ, detail, out);
    }
    out.outcome.lines = items.len() as u64;
    out.outcome.end_offset = data.len() as u64;
    Ok(())
}
