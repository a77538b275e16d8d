//! The crate's architecture-specific code, and its only `unsafe`: the AVX2
//! and AVX-512BW builds of the line index ([`crate::index`]), and the choice
//! between them and the portable build (safe SIMD through `wide`).
//!
//! The choice is made once, when a [`LineIndex`] is created ([`Path::best`]),
//! and a [`Path`] that needs a CPU feature can only be made here, after
//! `is_x86_feature_detected!` found it: that is what makes calling the
//! `#[target_feature]` builds sound. Each `unsafe` block says why it is sound
//! (`// SAFETY:`; `clippy::undocumented_unsafe_blocks` is denied).
//!
//! The equivalence tests are at the end of this file: every path the CPU
//! runs, against the portable path and a byte-by-byte reading, on 40,000
//! generated lines and escapes at block edges. A path runs only where the CPU
//! has it; the test asserts that it ran every path the CPU offers, and fails
//! when a path named in `LLMCOST_SIMD_REQUIRE` (e.g. `avx512,avx2`) is
//! missing, so a CI host can prove the AVX-512 path was tested. The
//! development machine (December 2026) has AVX-512BW: all three paths ran.

use crate::index::LineIndex;

/// An implementation of [`LineIndex::build`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Path(Kind);

/// The implementations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// 16 bytes per compare, any CPU.
    Portable,
    /// 32 bytes per compare.
    #[cfg(target_arch = "x86_64")]
    Avx2,
    /// 64 bytes per compare.
    #[cfg(target_arch = "x86_64")]
    Avx512,
}

impl Default for Path {
    fn default() -> Self {
        Path::best()
    }
}

impl Path {
    /// Every implementation this CPU runs, fastest first (the portable one last).
    #[cfg(test)]
    pub(crate) fn available() -> Vec<Path> {
        let mut v = Vec::with_capacity(3);
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512bw") {
                v.push(Path(Kind::Avx512));
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                v.push(Path(Kind::Avx2));
            }
        }
        v.push(Path(Kind::Portable));
        v
    }

    /// The fastest implementation this CPU runs.
    pub(crate) fn best() -> Path {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512bw") {
                return Path(Kind::Avx512);
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                return Path(Kind::Avx2);
            }
        }
        Path(Kind::Portable)
    }

    /// Which implementation this is.
    #[cfg(test)]
    pub(crate) fn kind(self) -> Kind {
        self.0
    }

    /// Builds `ix` over `b` (see [`LineIndex::build`]).
    #[inline]
    pub(crate) fn build(self, ix: &mut LineIndex, b: &[u8]) -> bool {
        match self.0 {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: a `Kind::Avx512` path is only made by `best` (and
            // `available`, in tests), after `is_x86_feature_detected!("avx512bw")`.
            Kind::Avx512 => unsafe { x86::build_avx512(ix, b) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: a `Kind::Avx2` path is only made by `best` (and
            // `available`, in tests), after `is_x86_feature_detected!("avx2")`.
            Kind::Avx2 => unsafe { x86::build_avx2(ix, b) },
            Kind::Portable => ix.build_with(b, crate::index::classify),
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use core::arch::x86_64::{
        __m256i, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_movemask_epi8, _mm256_or_si256,
        _mm256_set1_epi8, _mm512_cmpeq_epi8_mask, _mm512_loadu_si512, _mm512_or_si512,
        _mm512_set1_epi8,
    };

    use crate::index::LineIndex;

    /// [`LineIndex::build`] compiled for AVX2 (32 bytes per compare).
    #[target_feature(enable = "avx2")]
    pub(super) fn build_avx2(ix: &mut LineIndex, b: &[u8]) -> bool {
        ix.build_with(b, |x| classify_avx2(x))
    }

    /// [`LineIndex::build`] compiled for AVX-512BW (64 bytes per compare).
    #[target_feature(enable = "avx512bw")]
    pub(super) fn build_avx512(ix: &mut LineIndex, b: &[u8]) -> bool {
        ix.build_with(b, |x| classify_avx512(x))
    }

    /// [`crate::index::classify`] with AVX-512BW: one compare per class.
    #[target_feature(enable = "avx512bw")]
    #[inline]
    fn classify_avx512(b: &[u8; 64]) -> [u64; 4] {
        // SAFETY: one unaligned 64-byte load of the 64-byte array.
        let v = unsafe { _mm512_loadu_si512(b.as_ptr().cast()) };
        let f = _mm512_or_si512(v, _mm512_set1_epi8(0x20));
        [
            _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(b'"' as i8)),
            _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(b'\\' as i8)),
            _mm512_cmpeq_epi8_mask(f, _mm512_set1_epi8(b'{' as i8)),
            _mm512_cmpeq_epi8_mask(f, _mm512_set1_epi8(b'}' as i8)),
        ]
    }

    /// Bits of the 64 bytes `lo`, `hi` equal to `c`.
    #[target_feature(enable = "avx2")]
    #[inline]
    fn eq(lo: __m256i, hi: __m256i, c: u8) -> u64 {
        let c = _mm256_set1_epi8(c as i8);
        let a = _mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, c)) as u32;
        let b = _mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, c)) as u32;
        u64::from(a) | u64::from(b) << 32
    }

    /// [`crate::index::classify`] with AVX2.
    #[target_feature(enable = "avx2")]
    #[inline]
    fn classify_avx2(b: &[u8; 64]) -> [u64; 4] {
        // SAFETY: two unaligned 32-byte loads of b[0..32] and b[32..64],
        // both inside the 64-byte array.
        let (lo, hi) = unsafe {
            (
                _mm256_loadu_si256(b.as_ptr().cast()),
                _mm256_loadu_si256(b.as_ptr().add(32).cast()),
            )
        };
        let fold = _mm256_set1_epi8(0x20);
        let (flo, fhi) = (_mm256_or_si256(lo, fold), _mm256_or_si256(hi, fold));
        [
            eq(lo, hi, b'"'),
            eq(lo, hi, b'\\'),
            eq(flo, fhi, b'{'),
            eq(flo, fhi, b'}'),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Byte-by-byte reference: unescaped quotes and brackets outside strings.
    fn reference(b: &[u8]) -> (Vec<usize>, Vec<usize>, Vec<usize>, bool) {
        let (mut q, mut o, mut c) = (Vec::new(), Vec::new(), Vec::new());
        let (mut in_str, mut esc, mut stray) = (false, false, false);
        for (i, &x) in b.iter().enumerate() {
            if esc {
                esc = false;
                continue;
            }
            match x {
                b'\\' => {
                    esc = true;
                    stray |= !in_str;
                }
                b'"' => {
                    q.push(i);
                    in_str = !in_str;
                }
                b'{' | b'[' if !in_str => o.push(i),
                b'}' | b']' if !in_str => c.push(i),
                _ => {}
            }
        }
        (q, o, c, !in_str && !stray)
    }

    fn bits(words: &[u64]) -> Vec<usize> {
        let mut v = Vec::new();
        for (w, &x) in words.iter().enumerate() {
            for i in 0..64 {
                if x >> i & 1 == 1 {
                    v.push(w * 64 + i);
                }
            }
        }
        v
    }

    /// Checks every path this CPU runs on `b` against the reference and the
    /// portable path; returns the paths it ran.
    fn check(b: &[u8]) -> Vec<Kind> {
        let text = String::from_utf8_lossy(b);
        let (q, o, c, ok) = reference(b);
        let mut portable = LineIndex::default();
        assert_eq!(Path(Kind::Portable).build(&mut portable, b), ok, "{text:?}");
        let mut ran = Vec::new();
        for path in Path::available() {
            let mut ix = LineIndex::default();
            assert_eq!(path.build(&mut ix, b), ok, "{path:?} on {text:?}");
            ran.push(path.kind());
            if !ok {
                continue; // what the bits say of a line that is not JSON does not matter
            }
            let col = |k: usize| ix.blocks().iter().map(|b| b[k]).collect::<Vec<_>>();
            assert_eq!(bits(&col(0)), q, "quotes, {path:?} on {text:?}");
            assert_eq!(bits(&col(1)), o, "opens, {path:?} on {text:?}");
            assert_eq!(bits(&col(2)), c, "closes, {path:?} on {text:?}");
            assert_eq!(ix.blocks(), portable.blocks(), "{path:?} on {text:?}");
        }
        // What `LineIndex::build` runs is the best path, which is among them.
        let mut best = LineIndex::default();
        assert_eq!(best.build(b), ok);
        assert_eq!(best.path(), Path::best());
        assert_eq!(Some(&best.path().kind()), ran.first());
        ran
    }

    /// The paths a CPU with these features must run, fastest first.
    fn expected() -> Vec<Kind> {
        let mut want = Vec::new();
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512bw") {
                want.push(Kind::Avx512);
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                want.push(Kind::Avx2);
            }
        }
        want.push(Kind::Portable);
        want
    }

    #[test]
    fn runs_every_path_this_cpu_has() {
        let ran = check(br#"{"a":"b\"c","d":[1,{"e":"]"}]}"#);
        assert_eq!(ran, expected());
        // A CI host names the paths it must have tested.
        let required = std::env::var("LLMCOST_SIMD_REQUIRE").unwrap_or_default();
        for name in required.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let found = ran
                .iter()
                .any(|k| format!("{k:?}").eq_ignore_ascii_case(name));
            assert!(
                found,
                "LLMCOST_SIMD_REQUIRE names {name}, but only {ran:?} ran"
            );
        }
    }

    /// A small deterministic generator (xorshift), so failures reproduce.
    fn rng(seed: u64) -> impl FnMut() -> u64 {
        let mut s = seed.max(1);
        move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        }
    }

    #[test]
    fn matches_a_byte_by_byte_reading_on_random_lines() {
        // Mostly the characters that matter, runs of backslashes across
        // block boundaries included.
        let alphabet = b"\\\\\\\"\"{}[]a:,";
        let mut next = rng(7);
        for _ in 0..20_000 {
            let len = (next() % 300) as usize;
            let line: Vec<u8> = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            assert_eq!(check(&line), expected());
        }
    }

    #[test]
    fn matches_a_byte_by_byte_reading_on_random_json_like_lines() {
        // Tokens outside strings, and strings of escapes, quotes and brackets.
        let outside: &[&[u8]] = &[b"{", b"}", b"[", b"]", b":", b",", b"1", b"true"];
        let inside: &[&[u8]] = &[b"a", b"\\\\", b"\\\"", b"{", b"]", b"\\n", b"xyzxyzxyz"];
        let mut next = rng(11);
        for _ in 0..20_000 {
            let mut line = Vec::new();
            let tokens = next() % 80;
            for _ in 0..tokens {
                if next().is_multiple_of(3) {
                    line.push(b'"');
                    for _ in 0..next() % 12 {
                        line.extend_from_slice(inside[(next() % inside.len() as u64) as usize]);
                    }
                    line.push(b'"');
                } else {
                    line.extend_from_slice(outside[(next() % outside.len() as u64) as usize]);
                }
            }
            assert_eq!(check(&line), expected());
        }
    }

    #[test]
    fn escapes_at_block_edges() {
        for pad in 55..72 {
            for run in 0..5 {
                let mut line = vec![b'"'];
                line.extend(std::iter::repeat_n(b'a', pad));
                line.extend(std::iter::repeat_n(b'\\', run));
                line.extend_from_slice(br#""}{"x"]"#);
                check(&line);
            }
        }
    }
}
