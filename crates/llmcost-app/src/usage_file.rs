//! `cost --usage FILE|-`: pricing provider response bodies or usage objects.
//!
//! One document is priced like `cost` with line items. A JSON array or JSON
//! Lines is priced record by record, each at its own time and model, in
//! parallel, and summed per model. A record that cannot be read is counted
//! and listed with its line; every other record is still priced. A model
//! without a price is listed as unpriced with its tokens, never counted as
//! zero.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use llmcost_catalog::Catalog;
use llmcost_core::{Bucket, Currency, Decimal, ServiceTier, Timestamp, Usage};
use rayon::prelude::*;
use serde::Serialize;

use crate::error::{Error, Result, usage_err};
use crate::quote::{PriceSettings, chain, price, resolve};

/// Errors kept in full; the rest are counted.
const MAX_ERRORS_SHOWN: usize = 20;

/// What to price: the model given (it overrides the bodies'), the price
/// settings and the service tier given.
#[derive(Debug, Clone, Copy)]
pub struct UsageQuery<'a> {
    /// `--model`: every record is priced as this model.
    pub model: Option<&'a str>,
    /// Instant, currency and exchange rates.
    pub settings: &'a PriceSettings,
    /// `--batch` / `--service-tier` (standard: each body's own tier).
    pub tier: ServiceTier,
}

/// One document priced like `cost`.
#[derive(Debug, Clone)]
pub struct Single {
    /// The model priced.
    pub model: String,
    /// Its usage.
    pub usage: Usage,
    /// The instant priced at.
    pub at: Timestamp,
    /// The cost and the row that priced it.
    pub priced: crate::quote::Priced,
    /// The shape of the body (`openai-chat`, ...).
    pub shape: String,
}

/// Many records summed per model.
#[derive(Debug)]
pub struct Many {
    /// The input's name (a path, or `<stdin>`).
    pub name: String,
    /// What a numbered item is: `line` (JSON Lines) or `record` (a JSON array).
    pub unit: &'static str,
    /// The currency of the sums.
    pub currency: Currency,
    /// The sums.
    pub agg: Agg,
    /// Exact total of the priced records.
    pub total: Decimal,
    /// Tokens of the priced records.
    pub usage: Usage,
    /// Records priced.
    pub priced: u64,
}

/// What an input priced to.
#[derive(Debug)]
pub enum Outcome {
    /// One document.
    Single(Box<Single>),
    /// Many records.
    Many(Box<Many>),
}

/// Opens `path` (`-`: stdin), with its name for messages.
///
/// # Errors
/// The file cannot be opened.
pub fn open_input(path: &Path) -> Result<(String, Box<dyn Read + Send>)> {
    if path.as_os_str() == "-" {
        Ok(("<stdin>".into(), Box::new(std::io::stdin())))
    } else {
        let f = std::fs::File::open(path)
            .map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
        Ok((path.display().to_string(), Box::new(f)))
    }
}

/// Prices what `reader` holds (`name` names it in messages): one document,
/// a JSON array, or JSON Lines (streamed in blocks when large).
///
/// # Errors
/// The input cannot be read, is empty, is not JSON, names no model, holds
/// no readable record at all, or its sums overflow.
pub fn price_input(
    cat: &Catalog,
    name: &str,
    mut reader: Box<dyn Read + Send>,
    q: UsageQuery<'_>,
) -> Result<Outcome> {
    let s = q.settings;
    let tier = q.tier;
    let mut data = Vec::with_capacity(BLOCK);
    let whole = fill(&mut reader, &mut data, BLOCK)
        .map_err(|e| Error::io(format!("cannot read {name}"), e))?;
    if !whole && data.first().is_some_and(|b| *b != b'[') {
        // Larger than one block and not an array: JSON Lines, streamed in blocks
        // so memory stays bounded and reading overlaps pricing.
        let agg = aggregate_stream(cat, q.model, s, tier, data, reader)
            .map_err(|e| Error::io(format!("cannot read {name}"), e))?;
        return many(name, "line", agg, s).map(|m| Outcome::Many(Box::new(m)));
    }
    if !whole {
        reader
            .read_to_end(&mut data)
            .map_err(|e| Error::io(format!("cannot read {name}"), e))?;
    }
    let start = data
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .ok_or_else(|| Error::Input(format!("{name} is empty: expected a response body, a usage object, a JSON array or JSON Lines")))?;
    let body = &data[start..];
    if body[0] == b'[' {
        let values: Vec<serde_json::Value> =
            serde_json::from_slice(body).map_err(|e| Error::Json {
                context: format!("{name}: not a valid JSON array"),
                source: e,
            })?;
        let records: Vec<Result<llmcost_usage::Extracted, String>> = values
            .iter()
            .map(|v| llmcost_usage::extract_value(v).map_err(|e| e.to_string()))
            .collect();
        let agg = aggregate_records(
            cat,
            q.model,
            s,
            tier,
            records.into_iter().enumerate().map(|(i, r)| (i + 1, r)),
        );
        return many(name, "record", agg, s).map(|m| Outcome::Many(Box::new(m)));
    }
    if is_single_document(body) {
        let ex = llmcost_usage::extract(body).map_err(|e| Error::Input(format!("{name}: {e}")))?;
        let model = q
            .model
            .map(str::to_string)
            .or_else(|| ex.model.clone())
            .ok_or_else(|| usage_err!("{name}: the body names no model; pass --model"))?;
        let at = if s.at_given {
            s.at
        } else {
            ex.at.unwrap_or(s.at)
        };
        let tier = effective_tier(tier, ex.service_tier);
        let priced = price(cat, &model, &ex.usage, at, tier, s)?;
        return Ok(Outcome::Single(Box::new(Single {
            model,
            usage: ex.usage,
            at,
            priced,
            shape: ex.shape.to_string(),
        })));
    }
    let agg = aggregate_lines(cat, q.model, s, tier, &data);
    many(name, "line", agg, s).map(|m| Outcome::Many(Box::new(m)))
}

/// Sums the models of an aggregate; refuses sums past 64 bits and inputs
/// where no record at all could be read.
fn many(name: &str, unit: &'static str, agg: Agg, s: &PriceSettings) -> Result<Many> {
    let cur = target_currency(s);
    let mut total = Decimal::ZERO;
    let mut usage = Usage::default();
    let mut priced = 0;
    let mut overflow = agg.overflow;
    for m in agg.models.values() {
        total += m.total;
        add_usage(&mut overflow, &mut usage, &m.usage);
        priced += m.records;
    }
    if let Some(b) = overflow {
        return Err(Error::Input(format!(
            "{name}: the `{b}` tokens of the records add up to more than 18446744073709551615 \
             (2^64 − 1), which no sum here can hold; price the file in parts"
        )));
    }
    if agg.records == 0 && agg.error_count > 0 && agg.errors.len() as u64 == agg.error_count {
        // Nothing readable at all: say what was expected.
        let (line, msg) = agg.errors.first().cloned().unwrap_or_default();
        return Err(Error::Input(format!(
            "{name}:{line}: {msg}\nno record could be read ({} {unit}s failed)",
            agg.error_count
        )));
    }
    Ok(Many {
        name: name.to_string(),
        unit,
        currency: cur,
        agg,
        total,
        usage,
        priced,
    })
}

/// Bytes per streamed block of JSON Lines.
const BLOCK: usize = 8 << 20;

/// Reads until `buf` holds `want` more bytes or the input ends; true at the end.
fn fill(r: &mut dyn Read, buf: &mut Vec<u8>, want: usize) -> std::io::Result<bool> {
    let target = buf.len() + want;
    let mut chunk = [0u8; 64 << 10];
    while buf.len() < target {
        let n = r.read(&mut chunk)?;
        if n == 0 {
            return Ok(true);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(false)
}

/// True when the bytes hold exactly one JSON document (possibly pretty-printed).
fn is_single_document(body: &[u8]) -> bool {
    use serde::Deserialize as _;
    let mut de = serde_json::Deserializer::from_slice(body);
    serde::de::IgnoredAny::deserialize(&mut de).is_ok() && de.end().is_ok()
}

fn effective_tier(cli: ServiceTier, body: Option<ServiceTier>) -> ServiceTier {
    if cli == ServiceTier::Standard {
        body.unwrap_or(ServiceTier::Standard)
    } else {
        cli
    }
}

/// What pricing needs of one extracted record (borrowed).
struct Rec<'a> {
    model: Option<&'a str>,
    at: Option<llmcost_core::Timestamp>,
    usage: Usage,
    service_tier: Option<ServiceTier>,
}

impl<'a> Rec<'a> {
    fn of(ex: &'a llmcost_usage::Extracted) -> Rec<'a> {
        Rec {
            model: ex.model.as_deref(),
            at: ex.at,
            usage: ex.usage,
            service_tier: ex.service_tier,
        }
    }
}

/// Per-model sums.
#[derive(Debug, Default, Clone)]
pub struct ModelAgg {
    /// Records.
    pub records: u64,
    /// Their tokens.
    pub usage: Usage,
    /// Their exact cost.
    pub total: Decimal,
}

/// A model that could not be priced, with why.
#[derive(Debug, Default, Clone)]
pub struct Unpriced {
    /// Records.
    pub records: u64,
    /// Their tokens.
    pub usage: Usage,
    /// Why there is no price.
    pub reason: String,
}

/// The sums of many records.
#[derive(Debug, Default)]
pub struct Agg {
    /// Records with a model.
    pub records: u64,
    /// Priced models.
    pub models: BTreeMap<String, ModelAgg>,
    /// Models with no price.
    pub unpriced: BTreeMap<String, Unpriced>,
    /// Records that could not be read.
    pub error_count: u64,
    /// The first of them: (line or 1-based index, message).
    pub errors: Vec<(usize, String)>,
    /// Exchange rates used.
    pub fx: BTreeMap<Currency, Decimal>,
    /// The first bucket whose sum over records left 64 bits (refused at the end).
    overflow: Option<Bucket>,
}

/// `into += add`, bucket by bucket; a sum past `u64::MAX` is noted, never
/// saturated silently.
fn add_usage(overflow: &mut Option<Bucket>, into: &mut Usage, add: &Usage) {
    match into.checked_add(add) {
        Ok(u) => *into = u,
        Err(b) => {
            overflow.get_or_insert(b);
        }
    }
}

impl Agg {
    fn merge(mut self, o: Agg) -> Agg {
        self.records += o.records;
        for (k, v) in o.models {
            let e = self.models.entry(k).or_default();
            e.records += v.records;
            add_usage(&mut self.overflow, &mut e.usage, &v.usage);
            e.total += v.total;
        }
        for (k, v) in o.unpriced {
            let e = self.unpriced.entry(k).or_default();
            e.records += v.records;
            add_usage(&mut self.overflow, &mut e.usage, &v.usage);
            if e.reason.is_empty() {
                e.reason = v.reason;
            }
        }
        self.error_count += o.error_count;
        self.errors.extend(o.errors);
        self.errors.sort_by_key(|e| e.0);
        self.errors.truncate(MAX_ERRORS_SHOWN);
        self.fx.extend(o.fx);
        if self.overflow.is_none() {
            self.overflow = o.overflow;
        }
        self
    }

    fn error(&mut self, line: usize, msg: String) {
        self.error_count += 1;
        if self.errors.len() < MAX_ERRORS_SHOWN {
            self.errors.push((line, msg));
        }
    }

    fn add(
        &mut self,
        cat: &Catalog,
        forced: Option<&str>,
        s: &PriceSettings,
        tier: ServiceTier,
        line: usize,
        ex: Rec<'_>,
    ) {
        let Some(model) = forced.or(ex.model) else {
            self.error(line, "the record names no model; pass --model".into());
            return;
        };
        self.records += 1;
        let at = if s.at_given {
            s.at
        } else {
            ex.at.unwrap_or(s.at)
        };
        let tier = effective_tier(tier, ex.service_tier);
        let currency = s.currency.unwrap_or(Currency::USD);
        let fast = cat.price_total(model, at, currency, &ex.usage, tier);
        let priced = match fast {
            Ok(t) => Ok(t),
            Err(llmcost_catalog::PriceError::Lookup(llmcost_catalog::LookupError::Currency {
                ..
            })) => resolve(cat, model, at, s).and_then(|(r, conv)| {
                let t = r.row.total(&ex.usage, at, tier)?;
                Ok(match conv {
                    Some((from, _, rate)) => {
                        self.fx.insert(from, rate);
                        t * rate
                    }
                    None => t,
                })
            }),
            Err(e) => Err(crate::quote::Error::from(e)),
        };
        match priced {
            Ok(total) => {
                if let Some(m) = self.models.get_mut(model) {
                    m.records += 1;
                    add_usage(&mut self.overflow, &mut m.usage, &ex.usage);
                    m.total += total;
                } else {
                    self.models.insert(
                        model.to_string(),
                        ModelAgg {
                            records: 1,
                            usage: ex.usage,
                            total,
                        },
                    );
                }
            }
            Err(e) => {
                let u = self.unpriced.entry(model.to_string()).or_default();
                u.records += 1;
                add_usage(&mut self.overflow, &mut u.usage, &ex.usage);
                if u.reason.is_empty() {
                    u.reason = chain(&e);
                }
            }
        }
    }
}

fn target_currency(s: &PriceSettings) -> Currency {
    s.currency.unwrap_or(Currency::USD)
}

fn aggregate_records(
    cat: &Catalog,
    forced: Option<&str>,
    s: &PriceSettings,
    tier: ServiceTier,
    records: impl Iterator<Item = (usize, Result<llmcost_usage::Extracted, String>)>,
) -> Agg {
    let mut s = s.clone();
    s.currency = Some(target_currency(&s));
    let mut agg = Agg::default();
    for (i, r) in records {
        match r {
            Ok(ex) => agg.add(cat, forced, &s, tier, i, Rec::of(&ex)),
            Err(e) => agg.error(i, e),
        }
    }
    agg
}

/// Splits JSON Lines into chunks at line boundaries and prices them in parallel.
fn aggregate_lines(
    cat: &Catalog,
    forced: Option<&str>,
    s: &PriceSettings,
    tier: ServiceTier,
    data: &[u8],
) -> Agg {
    let mut s = s.clone();
    s.currency = Some(target_currency(&s));
    let chunks = split_chunks(data, rayon::current_num_threads() * 8);
    // Line number of each chunk's first line.
    let counts: Vec<usize> = chunks
        .par_iter()
        .map(|c| memchr::memchr_iter(b'\n', c).count())
        .collect();
    let mut first_line = Vec::with_capacity(chunks.len());
    let mut acc = 1;
    for c in &counts {
        first_line.push(acc);
        acc += c;
    }
    chunks
        .par_iter()
        .zip(first_line.par_iter())
        .map(|(chunk, &first)| price_chunk(cat, forced, &s, tier, chunk, first))
        .reduce(Agg::default, Agg::merge)
}

/// Prices the JSON Lines of one chunk whose first line is `first`.
fn price_chunk(
    cat: &Catalog,
    forced: Option<&str>,
    s: &PriceSettings,
    tier: ServiceTier,
    chunk: &[u8],
    first: usize,
) -> Agg {
    let mut agg = Agg::default();
    let mut pos = 0;
    let mut line_no = first - 1;
    while pos < chunk.len() {
        let end = memchr::memchr(b'\n', &chunk[pos..]).map_or(chunk.len(), |p| pos + p);
        let line = &chunk[pos..end];
        pos = end + 1;
        line_no += 1;
        let l = trim_ascii(line);
        if l.is_empty() {
            continue;
        }
        match llmcost_usage::extract_ref(l) {
            Ok(ex) => agg.add(
                cat,
                forced,
                s,
                tier,
                line_no,
                Rec {
                    model: ex.model.as_deref(),
                    at: ex.at,
                    usage: ex.usage,
                    service_tier: ex.service_tier,
                },
            ),
            Err(e) => agg.error(line_no, e.to_string()),
        }
    }
    agg
}

/// JSON Lines streamed in blocks: one thread reads and cuts blocks at line
/// ends, the pool prices them; memory is a few blocks, whatever the file size.
fn aggregate_stream(
    cat: &Catalog,
    forced: Option<&str>,
    s: &PriceSettings,
    tier: ServiceTier,
    first_block: Vec<u8>,
    mut reader: Box<dyn Read + Send>,
) -> std::io::Result<Agg> {
    let mut s = s.clone();
    s.currency = Some(target_currency(&s));
    let s = &s;
    let (tx, rx) =
        std::sync::mpsc::sync_channel::<(Vec<u8>, usize)>(rayon::current_num_threads() * 2);
    std::thread::scope(|scope| {
        let producer = scope.spawn(move || -> std::io::Result<()> {
            let mut buf = first_block;
            let mut line = 1;
            loop {
                let want = BLOCK.saturating_sub(buf.len());
                let end = fill(&mut reader, &mut buf, want)?;
                let cut = if end {
                    buf.len()
                } else {
                    memchr::memrchr(b'\n', &buf).map_or(buf.len(), |p| p + 1)
                };
                let rest = buf.split_off(cut);
                let lines = memchr::memchr_iter(b'\n', &buf).count();
                if !buf.is_empty() && tx.send((buf, line)).is_err() {
                    return Ok(());
                }
                line += lines;
                if end {
                    return Ok(());
                }
                buf = rest;
                buf.reserve(BLOCK);
            }
        });
        let agg = rx
            .into_iter()
            .par_bridge()
            .map(|(block, first)| price_chunk(cat, forced, s, tier, &block, first))
            .reduce(Agg::default, Agg::merge);
        producer
            .join()
            .map_err(|_| std::io::Error::other("the reader thread panicked"))??;
        Ok(agg)
    })
}

fn trim_ascii(b: &[u8]) -> &[u8] {
    b.trim_ascii()
}

fn split_chunks(data: &[u8], n: usize) -> Vec<&[u8]> {
    let n = n.max(1);
    let target = data.len() / n + 1;
    let mut out = Vec::with_capacity(n);
    let mut start = 0;
    while start < data.len() {
        let mut end = (start + target).min(data.len());
        if end < data.len() {
            end = memchr::memchr(b'\n', &data[end..]).map_or(data.len(), |p| end + p + 1);
        }
        out.push(&data[start..end]);
        start = end;
    }
    out
}

#[derive(Debug, Serialize)]
pub struct UsageJson {
    input: u64,
    cache_read: u64,
    cache_write: u64,
    cache_write_1h: u64,
    output: u64,
    reasoning: u64,
    // Modality buckets (audio, image): present only when non-zero.
    #[serde(skip_serializing_if = "is_zero")]
    input_audio: u64,
    #[serde(skip_serializing_if = "is_zero")]
    cache_read_audio: u64,
    #[serde(skip_serializing_if = "is_zero")]
    output_audio: u64,
    #[serde(skip_serializing_if = "is_zero")]
    input_image: u64,
    #[serde(skip_serializing_if = "is_zero")]
    output_image: u64,
    total_tokens: u128,
}

/// Uncached input of every modality (the table's `input` column).
#[must_use]
pub fn uncached_input(u: &Usage) -> u128 {
    u128::from(u.input) + u128::from(u.input_audio) + u128::from(u.input_image)
}

#[expect(clippy::trivially_copy_pass_by_ref, reason = "serde's signature")]
fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl From<&Usage> for UsageJson {
    fn from(u: &Usage) -> Self {
        UsageJson {
            input: u.input,
            cache_read: u.cache_read,
            cache_write: u.cache_write,
            cache_write_1h: u.cache_write_1h,
            output: u.output,
            reasoning: u.reasoning,
            input_audio: u.input_audio,
            cache_read_audio: u.cache_read_audio,
            output_audio: u.output_audio,
            input_image: u.input_image,
            output_image: u.output_image,
            total_tokens: u.total(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ModelJson {
    model: String,
    records: u64,
    usage: UsageJson,
    #[serde(with = "rust_decimal::serde::str")]
    total: Decimal,
    currency: Currency,
}

#[derive(Debug, Serialize)]
pub struct UnpricedJson {
    model: String,
    records: u64,
    tokens: u128,
    usage: UsageJson,
    reason: String,
}

#[derive(Debug, Serialize)]
pub struct ErrorJson {
    /// Line (JSON Lines) or 1-based element index (JSON array).
    line: usize,
    message: String,
}

#[derive(Debug, Serialize)]
pub struct ErrorsJson {
    count: u64,
    first: Vec<ErrorJson>,
}

#[derive(Debug, Serialize)]
pub struct FxJson {
    from: Currency,
    to: Currency,
    #[serde(with = "rust_decimal::serde::str")]
    rate: Decimal,
}

/// Wire format of `cost --usage` over many records (stable; add only).
#[derive(Debug, Serialize)]
pub struct ManyJson {
    records: u64,
    priced_records: u64,
    currency: Currency,
    #[serde(with = "rust_decimal::serde::str")]
    total: Decimal,
    usage: UsageJson,
    models: Vec<ModelJson>,
    unpriced: Vec<UnpricedJson>,
    errors: ErrorsJson,
    fx: Vec<FxJson>,
    /// What makes the exit code 1: lines skipped and models left unpriced.
    issues: IssuesJson,
}

#[derive(Debug, Serialize)]
pub struct IssuesJson {
    count: u64,
    first: Vec<IssueJson>,
}

#[derive(Debug, Serialize)]
pub struct IssueJson {
    path: String,
    line: usize,
    message: String,
}

impl Many {
    /// What `cost --usage --format json` prints for many records (stable; add only).
    #[must_use]
    pub fn wire(&self) -> ManyJson {
        let (agg, name, cur) = (&self.agg, &self.name, self.currency);
        let mut first: Vec<IssueJson> = agg
            .errors
            .iter()
            .map(|(l, m)| IssueJson {
                path: name.clone(),
                line: *l,
                message: format!("skipped: {m}"),
            })
            .collect();
        first.extend(agg.unpriced.iter().map(|(k, v)| IssueJson {
            path: name.clone(),
            line: 0,
            message: format!(
                "`{k}` has no price ({}): {} records left out of the total",
                v.reason, v.records
            ),
        }));
        let issues = IssuesJson {
            count: agg.error_count + agg.unpriced.len() as u64,
            first,
        };
        ManyJson {
            issues,
            records: agg.records,
            priced_records: self.priced,
            currency: cur,
            total: self.total.normalize(),
            usage: UsageJson::from(&self.usage),
            models: agg
                .models
                .iter()
                .map(|(k, v)| ModelJson {
                    model: k.clone(),
                    records: v.records,
                    usage: UsageJson::from(&v.usage),
                    total: v.total.normalize(),
                    currency: cur,
                })
                .collect(),
            unpriced: agg
                .unpriced
                .iter()
                .map(|(k, v)| UnpricedJson {
                    model: k.clone(),
                    records: v.records,
                    tokens: v.usage.total(),
                    usage: UsageJson::from(&v.usage),
                    reason: v.reason.clone(),
                })
                .collect(),
            errors: ErrorsJson {
                count: agg.error_count,
                first: agg
                    .errors
                    .iter()
                    .map(|(l, m)| ErrorJson {
                        line: *l,
                        message: m.clone(),
                    })
                    .collect(),
            },
            fx: agg
                .fx
                .iter()
                .map(|(f, r)| FxJson {
                    from: *f,
                    to: cur,
                    rate: *r,
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_everything_at_line_boundaries() {
        let data = b"a\nbb\nccc\ndddd\n\neeeee";
        for n in 1..8 {
            let c = split_chunks(data, n);
            assert_eq!(c.concat(), data.to_vec());
            for ch in &c[..c.len() - 1] {
                assert_eq!(*ch.last().unwrap(), b'\n');
            }
        }
    }

    #[test]
    fn single_document_detection() {
        assert!(is_single_document(b"{\n \"a\": 1\n}\n"));
        assert!(!is_single_document(b"{\"a\":1}\n{\"a\":2}\n"));
        assert!(!is_single_document(b"{\"a\":"));
    }
}
