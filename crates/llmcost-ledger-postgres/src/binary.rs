//! PostgreSQL's binary COPY format, for the rows llmcost writes in bulk.
//! Binary rows skip the server's text parsing of every field (about a fifth
//! of a COPY's server time on the 1M-record import) and llmcost's own number
//! and time formatting. The format: a signature and two `int32`s, then per row
//! an `int16` field count and per field an `int32` length (-1 for NULL) and
//! the value in the type's `send` form, then `-1` as `int16`.
//!
//! `NUMERIC` is encoded here rather than by `rust_decimal`'s `db-postgres`
//! feature: that one allocates per value and drops the scale of a zero
//! (`0.00000000` would come back as `0`).

use llmcost_ledger::{LedgerError, Result};
use rust_decimal::Decimal;

/// Microseconds from 1970-01-01 to PostgreSQL's epoch, 2000-01-01 (UTC).
const PG_EPOCH_US: i64 = 946_684_800_000_000;
/// The `oid` of `text`, the element type of `text[]`.
const TEXT_OID: u32 = 25;

/// Bytes before the first row: signature, flags, header extension length.
pub(crate) const HEADER_LEN: usize = 19;

/// Binary COPY data being built.
pub(crate) struct BinaryRows {
    buf: Vec<u8>,
}

impl BinaryRows {
    /// Rows for about `bytes` bytes, in a buffer given back by [`recycle`]
    /// if there is one.
    pub(crate) fn with_capacity(bytes: usize) -> Self {
        let spare = SPARE.lock().ok().and_then(|mut spare| spare.pop());
        Self::in_buffer(spare.unwrap_or_default(), bytes)
    }

    /// Rows written over `buf` (whatever it held is dropped).
    fn in_buffer(mut buf: Vec<u8>, bytes: usize) -> Self {
        buf.clear();
        buf.reserve(bytes + HEADER_LEN + 2);
        buf.extend_from_slice(b"PGCOPY\n\xff\r\n\0");
        buf.extend_from_slice(&0i32.to_be_bytes()); // flags
        buf.extend_from_slice(&0i32.to_be_bytes()); // header extension
        Self { buf }
    }

    /// The bytes so far (a prefix of the data: rows are whole once a row's
    /// fields are all written).
    pub(crate) fn len(&self) -> usize {
        self.buf.len()
    }

    /// The bytes in `range` (as [`Self::len`] reported before and after rows).
    pub(crate) fn slice(&self, range: std::ops::Range<usize>) -> &[u8] {
        &self.buf[range]
    }

    /// Appends whole rows taken from other data with [`Self::slice`].
    pub(crate) fn raw(&mut self, rows: &[u8]) {
        self.buf.extend_from_slice(rows);
    }

    /// Starts a row of `fields` fields.
    pub(crate) fn row(&mut self, fields: i16) {
        self.buf.extend_from_slice(&fields.to_be_bytes());
    }

    pub(crate) fn null(&mut self) {
        self.buf.extend_from_slice(&(-1i32).to_be_bytes());
    }

    fn field(&mut self, bytes: &[u8]) {
        self.buf
            .extend_from_slice(&i32::try_from(bytes.len()).unwrap_or(i32::MAX).to_be_bytes());
        self.buf.extend_from_slice(bytes);
    }

    pub(crate) fn i16(&mut self, v: i16) {
        self.field(&v.to_be_bytes());
    }

    pub(crate) fn i32(&mut self, v: i32) {
        self.field(&v.to_be_bytes());
    }

    pub(crate) fn opt_i32(&mut self, v: Option<i32>) {
        match v {
            None => self.null(),
            Some(v) => self.i32(v),
        }
    }

    pub(crate) fn i64(&mut self, v: i64) {
        self.field(&v.to_be_bytes());
    }

    pub(crate) fn bool(&mut self, v: bool) {
        self.field(&[u8::from(v)]);
    }

    /// A `timestamptz` from microseconds since 1970 (UTC).
    pub(crate) fn micros(&mut self, us: i64) {
        self.i64(us.saturating_sub(PG_EPOCH_US));
    }

    /// `text`; NUL, which PostgreSQL text cannot hold, is refused.
    pub(crate) fn text(&mut self, s: &str) -> Result<()> {
        if s.as_bytes().contains(&0) {
            return Err(LedgerError::Conflict(
                "PostgreSQL text cannot hold a NUL character".into(),
            ));
        }
        self.field(s.as_bytes());
        Ok(())
    }

    pub(crate) fn opt_text(&mut self, s: Option<&str>) -> Result<()> {
        match s {
            Some(s) => self.text(s),
            None => {
                self.null();
                Ok(())
            }
        }
    }

    /// A one-dimensional `text[]` (no dimensions when empty, as PostgreSQL
    /// sends `'{}'`).
    pub(crate) fn text_array(&mut self, items: &[String]) -> Result<()> {
        let mut body = Vec::with_capacity(20 + items.iter().map(|s| s.len() + 4).sum::<usize>());
        let dims: i32 = if items.is_empty() { 0 } else { 1 };
        body.extend_from_slice(&dims.to_be_bytes());
        body.extend_from_slice(&0i32.to_be_bytes()); // no NULL elements
        body.extend_from_slice(&TEXT_OID.to_be_bytes());
        if !items.is_empty() {
            let n = i32::try_from(items.len())
                .map_err(|_| LedgerError::Conflict("too many tags".into()))?;
            body.extend_from_slice(&n.to_be_bytes());
            body.extend_from_slice(&1i32.to_be_bytes()); // lower bound
        }
        for s in items {
            if s.as_bytes().contains(&0) {
                return Err(LedgerError::Conflict(
                    "PostgreSQL text cannot hold a NUL character".into(),
                ));
            }
            let len = i32::try_from(s.len())
                .map_err(|_| LedgerError::Conflict("a tag is too long".into()))?;
            body.extend_from_slice(&len.to_be_bytes());
            body.extend_from_slice(s.as_bytes());
        }
        self.field(&body);
        Ok(())
    }

    pub(crate) fn numeric(&mut self, d: Decimal) {
        let mut out = [0u8; 8 + 2 * MAX_GROUPS];
        let n = numeric_send(d, &mut out);
        self.field(&out[..n]);
    }

    pub(crate) fn opt_numeric(&mut self, d: Option<Decimal>) {
        match d {
            Some(d) => self.numeric(d),
            None => self.null(),
        }
    }

    /// The whole data, with the trailer.
    pub(crate) fn finish(mut self) -> Vec<u8> {
        self.buf.extend_from_slice(&(-1i16).to_be_bytes());
        self.buf
    }
}

/// Buffers of sent data, kept for the next batch: a fresh one of tens of MB
/// costs the kernel a page fault and a zeroed page per 4 KiB.
static SPARE: std::sync::Mutex<Vec<Vec<u8>>> = std::sync::Mutex::new(Vec::new());

/// Gives back the data of [`BinaryRows::finish`] once it is sent (two are
/// kept, of at most 256 MiB each: the two halves of a batch).
pub(crate) fn recycle(buf: Vec<u8>) {
    if buf.capacity() <= 256 << 20
        && let Ok(mut spare) = SPARE.lock()
        && spare.len() < 2
    {
        spare.push(buf);
    }
}

/// Base-10000 digits a `Decimal` can need: 96-bit mantissa times 10^3 < 10^32.
const MAX_GROUPS: usize = 8;

/// Writes `d` in `numeric_send` form into `out`; returns the length. The
/// display scale is `d`'s own, so `1.50` stays `1.50` and `0.00` stays `0.00`.
fn numeric_send(d: Decimal, out: &mut [u8; 8 + 2 * MAX_GROUPS]) -> usize {
    let scale = d.scale();
    // Pad the fraction to whole base-10000 digits.
    let pad = (4 - scale % 4) % 4;
    let mut m = d.mantissa().unsigned_abs() * 10u128.pow(pad);
    let frac_groups = (scale + pad) / 4;
    // Base-10000 digits, least significant first.
    let mut groups = [0u16; MAX_GROUPS];
    let mut n = 0;
    while m > 0 && n < MAX_GROUPS {
        groups[n] = (m % 10_000) as u16;
        m /= 10_000;
        n += 1;
    }
    // Trailing zero digits are implied by the display scale.
    let low = groups[..n].iter().take_while(|g| **g == 0).count();
    let ndigits = n - low;
    let weight = if ndigits == 0 {
        0
    } else {
        n as i16 - 1 - frac_groups as i16
    };
    let sign: u16 = if ndigits > 0 && d.is_sign_negative() {
        0x4000
    } else {
        0
    };
    out[0..2].copy_from_slice(&(ndigits as u16).to_be_bytes());
    out[2..4].copy_from_slice(&weight.to_be_bytes());
    out[4..6].copy_from_slice(&sign.to_be_bytes());
    out[6..8].copy_from_slice(&(scale as u16).to_be_bytes());
    for (i, g) in groups[low..n].iter().rev().enumerate() {
        out[8 + 2 * i..10 + 2 * i].copy_from_slice(&g.to_be_bytes());
    }
    8 + 2 * ndigits
}

#[cfg(test)]
mod tests {
    use super::*;

    fn send(s: &str) -> Vec<u16> {
        let mut out = [0u8; 8 + 2 * MAX_GROUPS];
        let n = numeric_send(s.parse().unwrap(), &mut out);
        out[..n]
            .chunks(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect()
    }

    #[test]
    fn numeric_matches_postgres_send_form() {
        // [ndigits, weight, sign, dscale, digits...], worked out by hand from
        // PostgreSQL's numeric.c (value = sum digit_i * 10000^(weight - i)).
        assert_eq!(send("0.00303510"), [2, 0xffff, 0, 8, 30, 3510]);
        assert_eq!(send("12345.6789"), [3, 1, 0, 4, 1, 2345, 6789]);
        assert_eq!(send("-1.5"), [2, 0, 0x4000, 1, 1, 5000]);
        assert_eq!(send("10000"), [1, 1, 0, 0, 1]);
        assert_eq!(send("0.00000000"), [0, 0, 0, 8]);
        assert_eq!(send("0"), [0, 0, 0, 0]);
        assert_eq!(send("-0.00"), [0, 0, 0, 2]);
        assert_eq!(send("0.0001"), [1, 0xffff, 0, 4, 1]);
        assert_eq!(send("77111.62401359"), [4, 1, 0, 8, 7, 7111, 6240, 1359]);
        // The largest mantissa at the largest scale: 28 fraction digits.
        assert_eq!(
            send("7.9228162514264337593543950335"),
            [8, 0, 0, 28, 7, 9228, 1625, 1426, 4337, 5935, 4395, 335]
        );
        assert_eq!(
            send("79228162514264337593543950335"),
            [8, 7, 0, 0, 7, 9228, 1625, 1426, 4337, 5935, 4395, 335]
        );
    }

    #[test]
    fn rows_have_header_lengths_and_trailer() {
        let mut rows = BinaryRows::with_capacity(0);
        rows.row(5);
        rows.i64(1);
        rows.null();
        rows.text("a").unwrap();
        assert!(rows.text("nul\0").is_err());
        rows.opt_i32(Some(258));
        rows.opt_i32(None);
        let data = rows.finish();
        assert_eq!(&data[..11], b"PGCOPY\n\xff\r\n\0");
        assert_eq!(
            &data[19..],
            [
                0, 5, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 1, 255, 255, 255, 255, 0, 0, 0, 1, b'a', 0,
                0, 0, 4, 0, 0, 1, 2, 255, 255, 255, 255, 255, 255
            ]
        );
    }

    #[test]
    fn a_reused_buffer_starts_clean() {
        let mut rows = BinaryRows::in_buffer(b"left from a batch before".to_vec(), 16);
        rows.row(1);
        rows.text("b").unwrap();
        let mut want = b"PGCOPY\n\xff\r\n\0".to_vec();
        want.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, b'b', 255, 255]);
        assert_eq!(rows.finish(), want);
    }

    #[test]
    fn times_count_from_2000() {
        let mut rows = BinaryRows::with_capacity(0);
        rows.micros(PG_EPOCH_US + 5);
        assert_eq!(&rows.buf[19..], [0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 5]);
    }
}
