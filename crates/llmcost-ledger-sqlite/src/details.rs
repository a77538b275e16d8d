//! The cold fields of records, stored many to a row in `detail_blocks`.
//!
//! Reports never read them; an import writes them once. One block holds the
//! details of up to [`BLOCK_RECORDS`] records in a compact binary form
//! compressed with LZ4: a record's details (dedup key, origin, raw usage...)
//! are mostly text that repeats from record to record, so a block is several
//! times smaller than the rows it replaces and costs one insert instead of
//! thousands.
//!
//! Layout before compression, per record: `dedup_key` (string), `origin`
//! (optional string), `line` (optional integer), `provider` (optional string),
//! `billed` (optional string: exact decimal text), `billed_currency` (optional
//! string), `raw_usage` (optional string), `status`, `latency_ms`, `ttfb_ms`
//! (optional integers). A string is a LEB128 length and its UTF-8 bytes; an
//! optional value is a byte 0 (absent) or 1 followed by the value; an integer
//! is LEB128.

use llmcost_core::{Currency, Decimal};
use llmcost_ledger::UsageRecord;
use std::str::FromStr;

/// Most records in one block.
pub(crate) const BLOCK_RECORDS: usize = 4_096;

/// Bits of an entry's `detail` reference that hold the index in its block.
pub(crate) const INDEX_BITS: u32 = 16;

/// The details of one record, as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Details {
    pub dedup_key: String,
    pub origin: Option<String>,
    pub line: Option<u64>,
    pub provider: Option<String>,
    pub billed: Option<Decimal>,
    pub billed_currency: Option<Currency>,
    pub raw_usage: Option<String>,
    pub status: Option<u16>,
    pub latency_ms: Option<u64>,
    pub ttfb_ms: Option<u64>,
}

/// A block being filled by an insert.
#[derive(Default)]
pub(crate) struct BlockWriter {
    buf: Vec<u8>,
}

impl BlockWriter {
    pub(crate) fn push(&mut self, r: &UsageRecord) {
        let b = &mut self.buf;
        put_str(b, &r.dedup_key);
        put_opt_str(b, r.origin.as_deref());
        put_opt_u64(b, r.line);
        put_opt_str(b, r.provider.as_deref());
        put_opt_str(b, r.billed.map(|d| d.to_string()).as_deref());
        put_opt_str(b, r.billed_currency.as_ref().map(Currency::as_str));
        put_opt_str(b, r.raw_usage.as_deref());
        put_opt_u64(b, r.status.map(u64::from));
        put_opt_u64(b, r.latency_ms);
        put_opt_u64(b, r.ttfb_ms);
    }

    /// Adds stored details again (a block rewritten by a migration).
    pub(crate) fn push_details(&mut self, d: &Details) {
        let b = &mut self.buf;
        put_str(b, &d.dedup_key);
        put_opt_str(b, d.origin.as_deref());
        put_opt_u64(b, d.line);
        put_opt_str(b, d.provider.as_deref());
        put_opt_str(b, d.billed.map(|x| x.to_string()).as_deref());
        put_opt_str(b, d.billed_currency.as_ref().map(Currency::as_str));
        put_opt_str(b, d.raw_usage.as_deref());
        put_opt_u64(b, d.status.map(u64::from));
        put_opt_u64(b, d.latency_ms);
        put_opt_u64(b, d.ttfb_ms);
    }

    /// The compressed block; the writer is empty afterwards (and keeps its buffer).
    pub(crate) fn finish(&mut self) -> Vec<u8> {
        let data = lz4_flex::compress_prepend_size(&self.buf);
        self.buf.clear();
        data
    }
}

fn put_u64(b: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        b.push((v as u8) | 0x80);
        v >>= 7;
    }
    b.push(v as u8);
}

fn put_str(b: &mut Vec<u8>, s: &str) {
    put_u64(b, s.len() as u64);
    b.extend_from_slice(s.as_bytes());
}

fn put_opt_str(b: &mut Vec<u8>, s: Option<&str>) {
    match s {
        None => b.push(0),
        Some(s) => {
            b.push(1);
            put_str(b, s);
        }
    }
}

fn put_opt_u64(b: &mut Vec<u8>, v: Option<u64>) {
    match v {
        None => b.push(0),
        Some(v) => {
            b.push(1);
            put_u64(b, v);
        }
    }
}

/// Decodes a stored block into the details of its records, in order.
pub(crate) fn decode(data: &[u8]) -> Result<Vec<Details>, String> {
    let raw = lz4_flex::decompress_size_prepended(data).map_err(|e| format!("LZ4: {e}"))?;
    let mut r = Reader { b: &raw, at: 0 };
    let mut out = Vec::new();
    while r.at < r.b.len() {
        let status = |v: Option<u64>| {
            v.map(|s| u16::try_from(s).map_err(|_| format!("bad HTTP status {s}")))
                .transpose()
        };
        out.push(Details {
            dedup_key: r.string()?,
            origin: r.opt(Reader::string)?,
            line: r.opt(Reader::u64)?,
            provider: r.opt(Reader::string)?,
            billed: r
                .opt(Reader::string)?
                .map(|s| {
                    Decimal::from_str(&s)
                        .map_err(|e| format!("`billed` is not an exact decimal: `{s}` ({e})"))
                })
                .transpose()?,
            billed_currency: r
                .opt(Reader::string)?
                .map(|s| Currency::new(&s).map_err(|e| format!("`billed_currency`: {e}")))
                .transpose()?,
            raw_usage: r.opt(Reader::string)?,
            status: status(r.opt(Reader::u64)?)?,
            latency_ms: r.opt(Reader::u64)?,
            ttfb_ms: r.opt(Reader::u64)?,
        });
    }
    Ok(out)
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> Result<u8, String> {
        let v = *self.b.get(self.at).ok_or("truncated details block")?;
        self.at += 1;
        Ok(v)
    }

    fn u64(&mut self) -> Result<u64, String> {
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let byte = self.byte()?;
            v |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err("integer too long in details block".into())
    }

    fn string(&mut self) -> Result<String, String> {
        let len = usize::try_from(self.u64()?).map_err(|_| "string too long")?;
        let end = self
            .at
            .checked_add(len)
            .filter(|&e| e <= self.b.len())
            .ok_or("truncated details block")?;
        let s = std::str::from_utf8(&self.b[self.at..end])
            .map_err(|e| format!("details block text is not UTF-8: {e}"))?;
        self.at = end;
        Ok(s.to_owned())
    }

    fn opt<T>(&mut self, f: fn(&mut Self) -> Result<T, String>) -> Result<Option<T>, String> {
        match self.byte()? {
            0 => Ok(None),
            1 => f(self).map(Some),
            t => Err(format!("bad presence byte {t} in details block")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use llmcost_core::Usage;

    #[test]
    fn a_block_round_trips() {
        let mut w = BlockWriter::default();
        let mut a = UsageRecord::new(
            "k:1",
            "2025-01-01T00:00:00Z".parse().expect("ts"),
            "proxy",
            "m",
            Usage::default(),
        );
        a.origin = Some("/tmp/é.jsonl".into());
        a.line = Some(300);
        a.billed = Some(Decimal::from_str("1.10").expect("dec"));
        a.billed_currency = Some(Currency::CNY);
        a.raw_usage = Some("{\"x\":1}".into());
        a.status = Some(429);
        a.latency_ms = Some(u64::MAX);
        a.ttfb_ms = Some(0);
        let b = UsageRecord::new("k:2", a.at, "jsonl", "m", Usage::default());
        w.push(&a);
        w.push(&b);
        let got = decode(&w.finish()).expect("decode");
        assert_eq!(got.len(), 2);
        // The writer starts over empty.
        w.push(&b);
        assert_eq!(decode(&w.finish()).expect("decode").len(), 1);
        assert_eq!(got[0].dedup_key, "k:1");
        assert_eq!(got[0].origin.as_deref(), Some("/tmp/é.jsonl"));
        assert_eq!(
            got[0].billed.map(|d| d.to_string()).as_deref(),
            Some("1.10")
        );
        assert_eq!(
            (got[0].status, got[0].latency_ms, got[0].ttfb_ms),
            (Some(429), Some(u64::MAX), Some(0))
        );
        assert_eq!(
            got[1],
            Details {
                dedup_key: "k:2".into(),
                ..Details::default()
            }
        );
    }

    #[test]
    fn damage_is_an_error_not_a_panic() {
        let mut w = BlockWriter::default();
        w.push(&UsageRecord::new(
            "k:1",
            "2025-01-01T00:00:00Z".parse().expect("ts"),
            "s",
            "m",
            Usage::default(),
        ));
        let data = w.finish();
        assert!(decode(&data[..data.len() - 1]).is_err());
        assert!(decode(b"xx").is_err());
    }
}
