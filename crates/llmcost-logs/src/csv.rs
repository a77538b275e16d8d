//! CSV with a header row. Columns are found by name (case-insensitive,
//! spaces and dashes read as `_`); unknown columns are ignored:
//!
//! | column | names accepted |
//! |---|---|
//! | time (required) | `date`, `day`, `time`, `timestamp`, `start_time`, `starting_at` — a date (00:00 UTC), an RFC 3339 instant or unix seconds |
//! | model (required) | `model` |
//! | input, cache miss | `input`, `input_tokens`, `uncached_input_tokens`, `prompt_tokens` |
//! | cache read | `cache_read`, `cache_read_tokens`, `cache_read_input_tokens`, `cached_input_tokens`, `cache_hit` |
//! | cache write 5 min | `cache_write`, `cache_write_5m`, `cache_creation_input_tokens`, `cache_write_tokens` |
//! | cache write 1 h | `cache_write_1h` |
//! | output | `output`, `output_tokens`, `completion_tokens` |
//! | reasoning | `reasoning`, `reasoning_tokens` |
//! | billed amount | `amount`, `cost`, `billed` |
//! | currency of the amount | `currency` (default USD) |
//! | provider, project, session | `provider`, `project`, `session` |
//!
//! Token columns are disjoint buckets: `input` must not include cache reads.
//! Fields may be quoted (`"1,234"`); a field cannot span lines. A row with
//! fewer or more fields than the header is a bad line (skipped, reported);
//! an empty token cell is 0. The dedup key is the row's content and
//! occurrence ([`llmcost_ledger::identity`]): `csv:row:<digest of time, model,
//! tokens, tier and session column>:<identical rows before it in the file>`,
//! so a re-export, a re-sort or an appended row adds only what is new.

use llmcost_core::{Currency, Decimal, ServiceTier, Timestamp, Usage};
use llmcost_ledger::identity::{self, Content, Occurrences};

use crate::{Detail, Entry, Error, FileCtx, Models, Out, Tail, fast_hash, for_each_line, time};

#[derive(Default, Clone, Copy)]
struct Cols {
    /// Fields in the header.
    width: usize,
    time: Option<usize>,
    model: Option<usize>,
    input: Option<usize>,
    cache_read: Option<usize>,
    cache_write: Option<usize>,
    cache_write_1h: Option<usize>,
    output: Option<usize>,
    reasoning: Option<usize>,
    amount: Option<usize>,
    currency: Option<usize>,
    provider: Option<usize>,
    session: Option<usize>,
}

/// Splits one CSV line into its fields (RFC 4180 quoting: `"a,b"` is one
/// field, `""` inside quotes is a quote; no embedded newlines). Bills read
/// by `reconcile` use it too.
#[must_use]
pub fn fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut q = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (q, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            (true, '"') => q = false,
            (false, '"') if cur.is_empty() => q = true,
            (false, ',') => out.push(std::mem::take(&mut cur)),
            (_, c) => cur.push(c),
        }
    }
    out.push(cur);
    out
}

fn norm(h: &str) -> String {
    h.trim()
        .trim_start_matches('\u{feff}')
        .to_ascii_lowercase()
        .replace([' ', '-'], "_")
}

fn header(h: &[String]) -> Cols {
    let mut c = Cols {
        width: h.len(),
        ..Cols::default()
    };
    for (i, name) in h.iter().enumerate() {
        let n = norm(name);
        let slot = match n.as_str() {
            "date" | "day" | "time" | "timestamp" | "start_time" | "starting_at" => &mut c.time,
            "model" => &mut c.model,
            "input" | "input_tokens" | "uncached_input_tokens" | "prompt_tokens" => &mut c.input,
            "cache_read"
            | "cache_read_tokens"
            | "cache_read_input_tokens"
            | "cached_input_tokens"
            | "cache_hit" => &mut c.cache_read,
            "cache_write"
            | "cache_write_5m"
            | "cache_creation_input_tokens"
            | "cache_write_tokens" => &mut c.cache_write,
            "cache_write_1h" => &mut c.cache_write_1h,
            "output" | "output_tokens" | "completion_tokens" => &mut c.output,
            "reasoning" | "reasoning_tokens" => &mut c.reasoning,
            "amount" | "cost" | "billed" => &mut c.amount,
            "currency" => &mut c.currency,
            "provider" => &mut c.provider,
            "session" => &mut c.session,
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(i);
        }
    }
    c
}

/// A time cell: a date (00:00 UTC), an RFC 3339 instant or unix seconds.
pub(crate) fn parse_time(s: &str) -> Option<Timestamp> {
    let t = s.trim();
    if let Some(ts) = time::parse(t.as_bytes()) {
        return Some(ts);
    }
    if let Ok(d) = t.parse::<jiff::civil::Date>() {
        return d
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp());
    }
    if let Ok(dt) = t.parse::<jiff::civil::DateTime>() {
        return dt
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp());
    }
    t.parse::<i64>().ok().and_then(time::from_unix)
}

fn tokens(f: &[String], col: Option<usize>, what: &str) -> Result<u64, String> {
    // An empty cell is 0; a missing field is caught by the width check.
    let Some(i) = col else { return Ok(0) };
    let cell = f.get(i).map_or("", |s| s.trim());
    if cell.is_empty() {
        return Ok(0);
    }
    let clean: String = cell.chars().filter(|c| *c != ',' && *c != '_').collect();
    clean
        .parse::<u64>()
        .map_err(|_| format!("`{what}` is not a whole number of tokens: `{cell}`: skipped"))
}

fn complete_row(b: &[u8]) -> bool {
    // An unterminated last row is taken when its quotes are balanced.
    b.iter().filter(|c| **c == b'"').count() % 2 == 0
}

/// One data row, read.
struct Row<'f> {
    at: Timestamp,
    model: &'f str,
    usage: Usage,
    billed: Option<(Decimal, Currency)>,
    provider: Option<&'f str>,
    session: Option<&'f str>,
}

impl Row<'_> {
    fn digest(&self) -> u128 {
        Content {
            at: self.at,
            model: self.model,
            usage: self.usage,
            tier: ServiceTier::Standard,
            session: self.session,
        }
        .digest()
    }
}

/// Reads the fields of a data row; `Err` says what is wrong and what to do.
fn row<'f>(c: &Cols, f: &'f [String]) -> Result<Row<'f>, String> {
    if f.len() != c.width {
        return Err(format!(
            "the row has {} fields but the header has {}: skipped; fix the row (a missing or extra comma, an unquoted comma in a value)",
            f.len(),
            c.width
        ));
    }
    let cell = |i: Option<usize>| {
        i.and_then(|i| f.get(i))
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
    };
    let Some(time_cell) = cell(c.time) else {
        return Err(
            "missing time: skipped; give a date, an RFC 3339 instant or unix seconds".into(),
        );
    };
    let Some(at) = parse_time(time_cell) else {
        return Err(format!(
            "invalid time `{time_cell}`: skipped; give a date, an RFC 3339 instant or unix seconds"
        ));
    };
    let Some(model) = cell(c.model) else {
        return Err("missing model: skipped; name the model of the row".into());
    };
    let mut usage = Usage::default();
    for (col, what, slot) in [
        (c.input, "input", &mut usage.input),
        (c.cache_read, "cache_read", &mut usage.cache_read),
        (c.cache_write, "cache_write", &mut usage.cache_write),
        (
            c.cache_write_1h,
            "cache_write_1h",
            &mut usage.cache_write_1h,
        ),
        (c.output, "output", &mut usage.output),
        (c.reasoning, "reasoning", &mut usage.reasoning),
    ] {
        *slot = tokens(f, col, what)?;
    }
    let billed = match cell(c.amount) {
        None => None,
        Some(a) => {
            let Ok(d) = a
                .trim_start_matches('$')
                .replace(',', "")
                .parse::<Decimal>()
            else {
                return Err(format!("amount `{a}` is not a decimal number"));
            };
            let cur = match cell(c.currency).map(Currency::new) {
                None => Currency::USD,
                Some(Ok(c)) => c,
                Some(Err(e)) => return Err(e.to_string()),
            };
            Some((d, cur))
        }
    };
    Ok(Row {
        at,
        model,
        usage,
        billed,
        provider: cell(c.provider),
        session: cell(c.session),
    })
}

/// The header and the occurrences of the rows in the first `upto` bytes
/// (already imported), so the rows after them are numbered as a scan from
/// the start would number them.
fn prefix(path: &std::path::Path, upto: u64) -> Result<(Option<Cols>, Occurrences), Error> {
    let data = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let upto = usize::try_from(upto).unwrap_or(usize::MAX).min(data.len());
    let mut cols: Option<Cols> = None;
    let mut occ = Occurrences::default();
    for line in data[..upto].split(|b| *b == b'\n') {
        let text = String::from_utf8_lossy(line);
        let text = text.trim_end_matches('\r');
        if text.trim().is_empty() {
            continue;
        }
        let f = fields(text);
        match &cols {
            None => cols = Some(header(&f)),
            Some(c) => {
                if let Ok(r) = row(c, &f) {
                    occ.next(r.digest());
                }
            }
        }
    }
    Ok((cols, occ))
}

pub(crate) fn scan(ctx: &FileCtx, start: u64, out: &mut Out<'_>) -> Result<(), Error> {
    let (mut cols, mut occ) = if start > 0 {
        prefix(&ctx.path, start)?
    } else {
        (None, Occurrences::default())
    };
    let mut models = Models::default();
    let detail = out.detail;
    let mut fatal: Option<String> = None;
    for_each_line(
        out,
        start,
        Tail::Custom(complete_row),
        &mut |out, no, line| {
            if fatal.is_some() {
                return;
            }
            let text = String::from_utf8_lossy(line);
            if text.trim().is_empty() {
                return;
            }
            let f = fields(&text);
            let Some(c) = cols else {
                let c = header(&f);
                if c.time.is_none() || c.model.is_none() {
                    fatal = Some(format!(
                        "the CSV header needs a time column (`date`, `time` or `timestamp`) and a `model` column; found: {}",
                        f.join(", ")
                    ));
                }
                cols = Some(c);
                return;
            };
            let r = match row(&c, &f) {
                Ok(r) => r,
                Err(m) => {
                    out.issue(no, m);
                    return;
                }
            };
            let digest = r.digest();
            let n = occ.next(digest);
            let usage = r.usage;
            let detail = detail.then(|| {
                let names = [
                    "input",
                    "cache_read",
                    "cache_write",
                    "cache_write_1h",
                    "output",
                    "reasoning",
                ];
                let vals = [
                    usage.input,
                    usage.cache_read,
                    usage.cache_write,
                    usage.cache_write_1h,
                    usage.output,
                    usage.reasoning,
                ];
                let raw: serde_json::Map<String, serde_json::Value> = names
                    .iter()
                    .zip(vals)
                    .map(|(n, v)| ((*n).to_string(), v.into()))
                    .collect();
                Box::new(Detail {
                    dedup_key: identity::row_key("csv", digest, n),
                    raw_usage: serde_json::to_string(&raw).ok(),
                    provider: r.provider.map(str::to_string),
                    tags: Vec::new(),
                })
            });
            out.emit(Entry {
                key: fast_hash(&[b"csv:row", &digest.to_le_bytes(), &n.to_le_bytes()]),
                parent: 0,
                sidechain: false,
                at: r.at,
                model: models.get(r.model),
                usage,
                tier: ServiceTier::Standard,
                line: no,
                billed: r.billed,
                session: r.session.map(std::sync::Arc::from),
                detail,
            });
        },
    )?;
    if let Some(message) = fatal {
        return Err(Error::Format {
            path: ctx.path.clone(),
            message,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_quoted_fields() {
        assert_eq!(
            fields(r#"a,"b,c","d""e",,"#),
            vec!["a", "b,c", "d\"e", "", ""]
        );
    }
}
