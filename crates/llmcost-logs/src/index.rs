//! A bit index of one JSON line: where its strings start and end and where
//! its brackets are (the first stage of simdjson's design, in safe portable
//! SIMD through `wide`).
//!
//! For every 64 bytes of the line three words are kept: the quotes that open
//! or close a string (escaped quotes excluded), and the opening (`{`, `[`) and
//! closing (`}`, `]`) brackets outside strings. With them a walker finds the
//! end of a string or of a nested object with a few bit operations instead of
//! reading every byte. Building the index reads 64 bytes in four 16-byte
//! compares per character class; it is exact for any bytes (a quote inside a
//! string is always escaped in JSON, so the quote bits alone tell strings
//! apart), and a line whose last string is not closed reports so.

use wide::u8x16;

use crate::simd::Path;

/// The index of one line; reused from line to line (it only grows).
#[derive(Default)]
pub(crate) struct LineIndex {
    /// Per 64 bytes: quotes, opening brackets, closing brackets.
    blocks: Vec<[u64; 3]>,
    /// The implementation that builds it, chosen when it is created.
    path: Path,
}

/// 16 bytes as a vector.
#[inline(always)]
fn load(b: &[u8]) -> u8x16 {
    let mut a = [0u8; 16];
    a.copy_from_slice(&b[..16]);
    u8x16::from(a)
}

/// The quote, backslash, opening and closing bracket bits of 64 bytes
/// (portable; [`crate::simd`] has the AVX2 and AVX-512 ones).
#[inline(always)]
pub(crate) fn classify(b: &[u8; 64]) -> [u64; 4] {
    let (quote, backslash) = (u8x16::splat(b'"'), u8x16::splat(b'\\'));
    // OR-ing 0x20 folds `[` into `{` and `]` into `}` (and nothing else)
    let (fold, open, close) = (u8x16::splat(0x20), u8x16::splat(b'{'), u8x16::splat(b'}'));
    let mut m = [0u64; 4];
    for k in 0..4 {
        let v = load(&b[16 * k..]);
        let f = v | fold;
        let bits = |x: u8x16| u64::from(x.move_mask() as u32 as u16) << (16 * k);
        m[0] |= bits(v.cmp_eq(quote));
        m[1] |= bits(v.cmp_eq(backslash));
        m[2] |= bits(f.cmp_eq(open));
        m[3] |= bits(f.cmp_eq(close));
    }
    m
}

/// A cursor over the quotes of a [`LineIndex`]. Stepping to the next quote
/// clears one bit of a word already in a register, so walking a run of
/// strings is not a chain of loads.
pub(crate) struct Quotes<'i> {
    blocks: &'i [[u64; 3]],
    w: usize,
    rem: u64,
}

impl Quotes<'_> {
    /// The next quote.
    #[inline]
    pub(crate) fn next(&mut self) -> Option<usize> {
        while self.rem == 0 {
            self.w += 1;
            self.rem = self.blocks.get(self.w)?[0];
        }
        let p = (self.w << 6) | self.rem.trailing_zeros() as usize;
        self.rem &= self.rem - 1;
        Some(p)
    }

    /// Moves to the first quote at or after `from`.
    #[inline]
    pub(crate) fn seek(&mut self, from: usize) {
        self.w = from >> 6;
        self.rem = self
            .blocks
            .get(self.w)
            .map_or(0, |b| b[0] & (!0u64 << (from & 63)));
    }
}

/// Bits of the characters escaped by a backslash, given the backslash bits
/// of a block and whether its first character is escaped by the previous
/// block (updated for the next one). Backslashes are rare in log lines, so
/// this walks them one by one: a backslash that is not itself escaped
/// escapes the next character.
#[inline]
fn escaped_bits(backslashes: u64, carry: &mut bool) -> u64 {
    let mut escaped = u64::from(*carry);
    *carry = false;
    let mut m = backslashes;
    while m != 0 {
        let p = m.trailing_zeros();
        m &= m - 1;
        if escaped >> p & 1 == 1 {
            continue;
        }
        if p == 63 {
            *carry = true;
        } else {
            escaped |= 1 << (p + 1);
        }
    }
    escaped
}

/// Bit i set when an odd number of bits at or below i are set.
#[inline(always)]
fn prefix_xor(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
}

impl LineIndex {
    /// Indexes `b`. Returns false when the line ends inside a string or has
    /// a backslash outside strings (not JSON: a reader that escapes only
    /// inside strings would see other strings than this index does).
    pub(crate) fn build(&mut self, b: &[u8]) -> bool {
        let path = self.path;
        path.build(self, b)
    }

    /// The build over any `classify` (the portable one, or an architecture's
    /// from [`crate::simd`], inlined into a function compiled for it).
    #[inline(always)]
    pub(crate) fn build_with(
        &mut self,
        b: &[u8],
        classify: impl Fn(&[u8; 64]) -> [u64; 4],
    ) -> bool {
        self.blocks.clear();
        self.blocks.resize(b.len().div_ceil(64), [0; 3]);
        let mut esc_carry = false;
        let mut in_string = 0u64; // all ones when the previous block ended inside a string
        let mut stray = 0u64; // backslashes outside strings
        let mut chunks = b.chunks_exact(64);
        let mut tail = [0u8; 64];
        let rest = chunks.remainder();
        tail[..rest.len()].copy_from_slice(rest);
        let last = (!rest.is_empty()).then_some(&tail);
        let input = chunks
            .by_ref()
            .filter_map(|c| <&[u8; 64]>::try_from(c).ok())
            .chain(last);
        for (block, out) in input.zip(self.blocks.iter_mut()) {
            let [quote, backslash, open, close] = classify(block);
            let quote = if backslash == 0 && !esc_carry {
                quote
            } else {
                quote & !escaped_bits(backslash, &mut esc_carry)
            };
            // inside a string: from an opening quote (included) to its closing one (excluded)
            let inside = prefix_xor(quote) ^ in_string;
            in_string = ((inside as i64) >> 63) as u64;
            stray |= backslash & !inside;
            *out = [quote, open & !inside, close & !inside];
        }
        in_string == 0 && stray == 0
    }

    /// The unescaped quotes from `from` on, in order.
    #[inline]
    pub(crate) fn quotes_from(&self, from: usize) -> Quotes<'_> {
        let mut q = Quotes {
            blocks: &self.blocks,
            w: 0,
            rem: 0,
        };
        q.seek(from);
        q
    }

    /// The bracket closing the one at `open` (which must be an opening
    /// bracket outside strings): the first point where as many brackets have
    /// closed as opened. `[` and `{` are not told apart, as a depth counter
    /// that skips values does not need to.
    #[inline]
    pub(crate) fn close_of(&self, open: usize) -> Option<usize> {
        let mut w = open >> 6;
        let keep = !0u64 << (open & 63);
        let [_, o, c] = *self.blocks.get(w)?;
        let (mut o, mut c) = (o & keep, c & keep);
        let mut depth = 0u32;
        loop {
            // brackets are few next to the bytes of strings: visit each
            let mut m = o | c;
            while m != 0 {
                let bit = m & m.wrapping_neg();
                m ^= bit;
                if o & bit != 0 {
                    depth += 1;
                } else {
                    depth = depth.checked_sub(1)?;
                    if depth == 0 {
                        return Some((w << 6) + bit.trailing_zeros() as usize);
                    }
                }
            }
            w += 1;
            [_, o, c] = *self.blocks.get(w)?;
        }
    }
}

impl LineIndex {
    /// The implementation building this index.
    #[cfg(test)]
    pub(crate) fn path(&self) -> Path {
        self.path
    }

    /// The three words per 64 bytes: quotes, opening and closing brackets.
    #[cfg(test)]
    pub(crate) fn blocks(&self) -> &[[u64; 3]] {
        &self.blocks
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_string_ends_and_closing_brackets() {
        let line = br#"{"a":[1,{"b":"]}\"x"},[]],"c":"d\\"}"#;
        let mut ix = LineIndex::default();
        assert!(ix.build(line));
        assert_eq!(ix.quotes_from(1).next(), Some(1));
        assert_eq!(ix.quotes_from(2).next(), Some(3));
        let arr = 5;
        let end = ix.close_of(arr).unwrap();
        assert_eq!(line[end], b']');
        assert_eq!(&line[end + 1..end + 5], br#","c""#);
        assert_eq!(ix.close_of(0), Some(line.len() - 1));
        let mut q = ix.quotes_from(0);
        let all: Vec<usize> = std::iter::from_fn(|| q.next()).collect();
        assert_eq!(all, [1, 3, 9, 11, 13, 19, 26, 28, 30, 34]);
        // the string "d\\" ends at the quote after the escaped backslash
        let d = line.len() - 6;
        assert_eq!(line[d], b'"');
        assert_eq!(ix.quotes_from(d + 1).next(), Some(line.len() - 2));
        let mut long = b"{\"k\":[".to_vec();
        long.extend(std::iter::repeat_n(b'[', 100));
        long.extend(std::iter::repeat_n(b']', 100));
        long.extend_from_slice(b"]}");
        assert!(ix.build(&long));
        assert_eq!(ix.close_of(5), Some(long.len() - 2));
        assert_eq!(ix.close_of(0), Some(long.len() - 1));
        assert!(!ix.build(br#"{"a":"b"#));
        assert!(ix.build(b"{\"a\":[1,2"));
        assert_eq!(ix.close_of(5), None);
    }
}
