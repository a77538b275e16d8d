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

use llmcost_core::{ServiceTier, Usage};
use memchr::memmem;

use crate::index::LineIndex;
use crate::json::{Bad, Cur, R};
use crate::{
    Detail, Entry, Error, FileCtx, KeepMax, Models, Out, Tail, fast_hash, for_each_line, time,
};

/// The fields of `message.usage` that matter.
#[derive(Default)]
#[cfg_attr(test, derive(Debug, PartialEq))]
struct RawUsage<'a> {
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    cache_creation_input_tokens: Option<u64>,
    cache_read_input_tokens: Option<u64>,
    ephemeral_5m_input_tokens: Option<u64>,
    ephemeral_1h_input_tokens: Option<u64>,
    /// Raw (escapes kept): decoded only when compared.
    service_tier: Option<&'a [u8]>,
    speed: Option<&'a [u8]>,
}

fn parse_usage<'a>(c: &mut Cur<'a>, u: &mut RawUsage<'a>) -> R<()> {
    *u = RawUsage::default();
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
            b"service_tier" => u.service_tier = c.opt_raw_str()?,
            b"speed" => u.speed = c.opt_raw_str()?,
            _ => c.skip_value()?,
        }
        Ok(())
    })
}

/// The fields of one line that matter.
#[derive(Default)]
#[cfg_attr(test, derive(Debug, PartialEq))]
struct Line<'a> {
    timestamp: Option<&'a [u8]>,
    request_id: Option<&'a [u8]>,
    sidechain: bool,
    message_id: Option<&'a [u8]>,
    /// Raw (escapes kept).
    model: Option<&'a [u8]>,
    usage: Option<&'a [u8]>,
    raw: RawUsage<'a>,
}

fn parse_line<'a>(b: &'a [u8], l: &mut Line<'a>) -> R<()> {
    *l = Line::default();
    let mut c = Cur::new(b);
    c.object(|c, k| {
        match k {
            b"timestamp" => l.timestamp = Some(c.raw_str()?),
            b"requestId" => l.request_id = c.opt_raw_str()?,
            b"isSidechain" => l.sidechain = c.bool()?,
            b"message" if c.is_object() => c.object(|c, k| {
                match k {
                    b"id" => l.message_id = c.opt_raw_str()?,
                    b"model" => l.model = c.opt_raw_str()?,
                    b"usage" if c.is_object() => {
                        let start = c.pos();
                        parse_usage(c, &mut l.raw)?;
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
    c.end()
}

/// [`parse_line`] for the compact lines Claude Code writes, with the help of
/// a bit index of the line: strings and nested values are stepped over with
/// bit operations instead of byte by byte. It reads the same fields by the
/// same rules (the last of repeated keys wins, a non-object `message` or
/// `usage` is skipped) and gives up — `None`, the caller then uses
/// [`parse_line`], which also says what is wrong — on anything else:
/// whitespace between tokens, a value of the wrong type, a malformed line.
/// The fields are written to `l`.
fn fast_line<'a>(b: &'a [u8], ix: &mut LineIndex, l: &mut Line<'a>) -> Option<()> {
    if b.first() != Some(&b'{') || !ix.build(b) {
        return None;
    }
    *l = Line::default();
    let end = members(b, ix, 0, |k, v, end| {
        match k {
            b"timestamp" => l.timestamp = Some(string(b, v, end)?),
            b"requestId" => l.request_id = opt_string(b, v, end)?,
            b"isSidechain" => {
                l.sidechain = match &b[v..end] {
                    b"true" => true,
                    b"false" | b"null" => false,
                    _ => return None,
                }
            }
            b"message" if b[v] == b'{' => {
                let outer_end = end;
                let inner_end = members(b, ix, v, |k, v, end| {
                    match k {
                        b"id" => l.message_id = opt_string(b, v, end)?,
                        b"model" => l.model = opt_string(b, v, end)?,
                        b"usage" if b[v] == b'{' => {
                            (fast_usage(b, ix, v, &mut l.raw)? == end).then_some(())?;
                            l.usage = Some(&b[v..end]);
                        }
                        _ => {}
                    }
                    Some(())
                })?;
                (inner_end == outer_end).then_some(())?;
            }
            _ => {}
        }
        Some(())
    })?;
    (end == b.len()).then_some(())
}

/// [`parse_usage`] on the index; returns the position after the object.
fn fast_usage<'a>(b: &'a [u8], ix: &LineIndex, open: usize, u: &mut RawUsage<'a>) -> Option<usize> {
    *u = RawUsage::default();
    members(b, ix, open, |k, v, end| {
        let val = &b[v..end];
        match k {
            b"input_tokens" => u.input_tokens = count(val)?,
            b"output_tokens" => u.output_tokens = count(val)?,
            b"cache_creation_input_tokens" => u.cache_creation_input_tokens = count(val)?,
            b"cache_read_input_tokens" => u.cache_read_input_tokens = count(val)?,
            b"cache_creation" if b[v] == b'{' => {
                let inner = members(b, ix, v, |k, v, end| {
                    match k {
                        b"ephemeral_5m_input_tokens" => {
                            u.ephemeral_5m_input_tokens = count(&b[v..end])?;
                        }
                        b"ephemeral_1h_input_tokens" => {
                            u.ephemeral_1h_input_tokens = count(&b[v..end])?;
                        }
                        _ => {}
                    }
                    Some(())
                })?;
                (inner == end).then_some(())?;
            }
            b"service_tier" => u.service_tier = opt_string(b, v, end)?,
            b"speed" => u.speed = opt_string(b, v, end)?,
            _ => {}
        }
        Some(())
    })
}

/// A token count (`null`: none), as [`Cur::opt_u64`] reads it; `None`
/// when it is not one (the plain walker then says why).
fn count(val: &[u8]) -> Option<Option<u64>> {
    crate::json::count(val).ok()
}

/// A string value's raw bytes (`b[v..end]` is the value, quotes included).
fn string(b: &[u8], v: usize, end: usize) -> Option<&[u8]> {
    (b[v] == b'"').then(|| &b[v + 1..end - 1])
}

/// A string value's raw bytes, or `None` for `null`.
fn opt_string(b: &[u8], v: usize, end: usize) -> Option<Option<&[u8]>> {
    match &b[v..end] {
        b"null" => Some(None),
        _ => string(b, v, end).map(Some),
    }
}

/// Visits the members of the compact object whose `{` is at `open`, calling
/// `f(key, value_start, value_end)` with the key's raw bytes; returns the
/// position after the closing `}`. `None` when the object is not compact,
/// well-formed JSON as far as this walk can tell, or when `f` says so.
fn members<'a>(
    b: &'a [u8],
    ix: &LineIndex,
    open: usize,
    mut f: impl FnMut(&'a [u8], usize, usize) -> Option<()>,
) -> Option<usize> {
    let mut i = open + 1;
    if b.get(i) == Some(&b'}') {
        return Some(i + 1);
    }
    let mut q = ix.quotes_from(i);
    loop {
        // the key's quotes: the next two (a quote right after `{` or `,`
        // cannot be escaped)
        if q.next()? != i {
            return None;
        }
        let kend = q.next()?;
        if b.get(kend + 1) != Some(&b':') {
            return None;
        }
        let v = kend + 2;
        let end = match *b.get(v)? {
            b'"' => {
                if q.next()? != v {
                    return None;
                }
                q.next()? + 1
            }
            b'{' | b'[' => {
                let e = ix.close_of(v)? + 1;
                q.seek(e);
                e
            }
            // a scalar: no quote in it, so the cursor stays put
            b'n' if b.get(v..v + 4) == Some(b"null") => v + 4,
            b'f' if b.get(v..v + 5) == Some(b"false") => v + 5,
            b't' if b.get(v..v + 4) == Some(b"true") => v + 4,
            _ => scalar_end(b, v)?,
        };
        f(&b[i + 1..kend], v, end)?;
        match b.get(end) {
            Some(b',') => i = end + 1,
            Some(b'}') => return Some(end + 1),
            _ => return None,
        }
    }
}

/// The end of the scalar at `v` (a number, `true`, `false`, `null`): the
/// next `,` or `}`. `None` for an empty scalar or one with whitespace, a
/// quote or a bracket in it (not what compact JSON has there).
#[inline]
fn scalar_end(b: &[u8], v: usize) -> Option<usize> {
    // Token counts first: up to 8 digits at once. A byte is not a digit
    // when c - 0x30 borrows or c + 0x46 reaches 0x80; borrows and carries
    // only disturb bytes after the first non-digit, which are not looked at.
    if let Some(w) = b.get(v..v + 8) {
        let mut a = [0u8; 8];
        a.copy_from_slice(w);
        let x = u64::from_le_bytes(a);
        let non_digit = (x.wrapping_sub(0x3030_3030_3030_3030)
            | x.wrapping_add(0x4646_4646_4646_4646))
            & 0x8080_8080_8080_8080;
        let e = v + (non_digit.trailing_zeros() / 8) as usize;
        if e > v && matches!(b.get(e), Some(b',' | b'}')) {
            return Some(e);
        }
    }
    let mut e = v;
    while let Some(&c) = b.get(e) {
        match c {
            b',' | b'}' => break,
            b' ' | b'\t' | b'\r' | b'\n' | b']' | b'"' | b'{' | b'[' => return None,
            _ => e += 1,
        }
    }
    (e > v).then_some(e)
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
        ..Usage::default()
    };
    let speed = raw.speed.map(crate::json::decode_bytes).transpose()?;
    let fast = speed.is_some_and(|s| s.eq_ignore_ascii_case(b"fast"));
    let tier = if fast {
        ServiceTier::Priority
    } else {
        match raw
            .service_tier
            .map(crate::json::decode_bytes)
            .transpose()?
            .as_deref()
        {
            Some(b"batch") => ServiceTier::Batch,
            Some(b"priority") => ServiceTier::Priority,
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
    // The tables of the previous file on this thread, emptied: scanning many
    // files then neither allocates nor faults in fresh pages per file.
    let (mut keep, mut parents) = SCRATCH.with(|s| s.borrow_mut().take()).unwrap_or_default();
    keep.reserve(expect);
    // message ids seen outside the side chain in this file
    parents.clear();
    parents.reserve(expect);
    let mut models = Models::default();
    let mut ix = LineIndex::default();
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
        let mut l = Line::default();
        if fast_line(line, &mut ix, &mut l).is_none()
            && let Err(Bad(m)) = parse_line(line, &mut l)
        {
            out.issue(no, format!("malformed JSON: {m}"));
            return;
        }
        let model = match l.model.map(|m| models.get_raw(m)).transpose() {
            Ok(m) => m,
            Err(Bad(m)) => {
                out.issue(no, format!("malformed JSON: {m}"));
                return;
            }
        };
        let Some(usage) = l.usage else { return };
        let Some(model) = model else {
            return; // usage outside an assistant message (tool results)
        };
        if &*model == "<synthetic>" {
            return;
        }
        let (u, tier, has_speed) = match usage_of(&l.raw) {
            Ok(x) => x,
            Err(Bad(m)) => {
                out.issue(no, m);
                return;
            }
        };
        if u.is_zero() {
            return;
        }
        let Some(at) = l.timestamp.and_then(time::parse) else {
            out.issue(no, "missing or invalid `timestamp`");
            return;
        };
        // An empty id identifies nothing.
        let mid = l.message_id.filter(|m| !m.is_empty());
        let rid = l.request_id.filter(|r| !r.is_empty());
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
                model,
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
    for e in keep.drain() {
        if e.sidechain && e.parent != 0 && parents.contains(&e.parent) {
            continue;
        }
        out.emit(e);
    }
    if keep.capacity() <= SCRATCH_KEPT {
        SCRATCH.with(|s| *s.borrow_mut() = Some((keep, parents)));
    }
    Ok(())
}

/// Largest tables (in entries) kept for the next file (~10 MB).
const SCRATCH_KEPT: usize = 1 << 16;

thread_local! {
    static SCRATCH: std::cell::RefCell<Option<(KeepMax, crate::HashSet64)>> =
        const { std::cell::RefCell::new(None) };
}

/// For benchmarks: reads each line of `text` as [`scan`] does before
/// de-duplication (byte prefilter, then the indexed walk, or only the plain
/// walk when `plain`; only the prefilter and index when `index_only`) and
/// returns the lines read and their total tokens.
#[doc(hidden)]
pub fn bench_lines(text: &[u8], plain: bool, index_only: bool) -> (u64, u64) {
    let finder = memmem::Finder::new(b"\"usage\":");
    let mut ix = LineIndex::default();
    let (mut n, mut tokens) = (0, 0_u64);
    let mut start = 0;
    for nl in memchr::memchr_iter(b'\n', text) {
        let line = &text[start..nl];
        start = nl + 1;
        if finder.find(line).is_none() {
            continue;
        }
        if index_only {
            n += u64::from(ix.build(line));
            continue;
        }
        let mut l = Line::default();
        let ok = if plain {
            parse_line(line, &mut l).is_ok()
        } else {
            fast_line(line, &mut ix, &mut l).is_some() || parse_line(line, &mut l).is_ok()
        };
        if ok && let Ok((u, _, _)) = usage_of(&l.raw) {
            n += 1;
            tokens = tokens.saturating_add(u64::try_from(u.total()).unwrap_or(u64::MAX));
        }
    }
    (n, tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURES: [&str; 2] = [
        include_str!("../tests/fixtures/claude/projects/proj-a/sess-1.jsonl"),
        include_str!("../tests/fixtures/claude/projects/proj-b/sess-2.jsonl"),
    ];

    /// Lines that walk the rules: escapes, nulls, repeated keys, a `usage`
    /// deep in content and in `toolUseResult`, values of other types.
    const LINES: &[&str] = &[
        r#"{"isSidechain":true,"message":{"id":"m\"1","model":"claude-\u0073onnet-4","content":[{"type":"tool_use","input":{"usage":{"input_tokens":7}}}],"usage":{"input_tokens":1,"output_tokens":2,"cache_creation":{"ephemeral_5m_input_tokens":3,"ephemeral_1h_input_tokens":4},"speed":"fast"}},"requestId":null,"timestamp":"2025-09-01T10:00:05Z"}"#,
        r#"{"message":{"id":null,"model":null,"usage":{"input_tokens":1}},"timestamp":"2025-09-01T10:00:05Z","timestamp":"2025-09-02T10:00:05Z"}"#,
        r#"{"message":"text","toolUseResult":{"usage":{"input_tokens":5}},"timestamp":"2025-09-01T10:00:05Z"}"#,
        r#"{"message":{"usage":{"input_tokens":1}},"message":{"model":"m","usage":[1,2]},"timestamp":"t"}"#,
        r#"{"a":[],"b":{},"c":[[["]"]]],"d":-1.5e3,"message":{"model":"x\\","usage":{"output_tokens":9,"service_tier":"batch"}},"timestamp":"\\\""}"#,
        r#"{}"#,
    ];

    fn parse_both(line: &[u8]) -> (Option<String>, Result<String, Bad>) {
        let mut ix = LineIndex::default();
        let mut l = Line::default();
        let fast = fast_line(line, &mut ix, &mut l).map(|()| format!("{l:?}"));
        let slow = parse_line(line, &mut l).map(|()| format!("{l:?}"));
        (fast, slow)
    }

    #[test]
    fn the_indexed_walk_reads_what_the_plain_walk_reads() {
        let lines = FIXTURES
            .iter()
            .flat_map(|f| f.lines())
            .chain(LINES.iter().copied());
        let mut read = 0;
        for line in lines {
            match parse_both(line.as_bytes()) {
                (fast, Ok(slow)) => {
                    assert_eq!(fast.as_deref(), Some(slow.as_str()), "{line}");
                    read += 1;
                }
                // the fixtures' malformed lines
                (fast, Err(_)) => assert_eq!(fast, None, "{line}"),
            }
        }
        assert!(read >= 15, "{read}");
        // and gives up on what it does not take
        for line in [
            r#" {"timestamp":"t"}"#,
            r#"{"timestamp": "t"}"#,
            r#"{"timestamp":"t"} "#,
            r#"{"timestamp":1}"#,
            r#"{"isSidechain":"yes","timestamp":"t"}"#,
            r#"{"a":\"x","timestamp":"t"}"#,
            r#"{"timestamp":"t""#,
            r#"{"timestamp":"t",}"#,
        ] {
            assert_eq!(parse_both(line.as_bytes()).0, None, "{line}");
        }
    }

    #[test]
    fn a_damaged_line_is_read_the_same_or_left_to_the_plain_walk() {
        // Every line with one byte removed, doubled or replaced by a
        // character that matters: whenever the indexed walk takes the line,
        // the plain walk reads the same fields from it.
        let specials = b"\"\\{}[],: n";
        let lines: Vec<&str> = FIXTURES
            .iter()
            .flat_map(|f| f.lines())
            .chain(LINES.iter().copied())
            .collect();
        let mut taken = 0;
        for line in lines {
            let b = line.as_bytes();
            for i in 0..b.len() {
                let mut variants = vec![
                    [&b[..i], &b[i + 1..]].concat(),
                    [&b[..=i], &b[i..]].concat(),
                ];
                for &c in specials {
                    let mut v = b.to_vec();
                    v[i] = c;
                    variants.push(v);
                }
                for v in variants {
                    if let (Some(fast), slow) = parse_both(&v) {
                        taken += 1;
                        assert_eq!(
                            slow.as_ref().ok(),
                            Some(&fast),
                            "{}",
                            String::from_utf8_lossy(&v)
                        );
                    }
                }
            }
        }
        assert!(taken > 10_000, "{taken}");
    }
}
