//! Token usage in disjoint, billable buckets.

use std::fmt;
use std::ops::{Add, AddAssign};

use serde::{Deserialize, Serialize};

/// A billable token bucket. Buckets are disjoint: a token is in exactly one.
///
/// The modality buckets (`input_audio`, …) hold tokens a provider bills apart
/// from text; text, and modalities priced like text, stay in the text buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bucket {
    /// Input not read from cache (a cache miss), and not written to it.
    Input,
    /// Input read from a prompt cache (a cache hit).
    CacheRead,
    /// Input written to the cache with a 5-minute TTL (Anthropic's default write).
    CacheWrite,
    /// Input written to the cache with a 1-hour TTL.
    CacheWrite1h,
    /// Output tokens (visible output; reasoning is its own bucket when reported apart).
    Output,
    /// Reasoning / thinking tokens, billed at the output rate unless priced apart.
    Reasoning,
    /// Audio input not read from cache.
    InputAudio,
    /// Audio input read from a prompt cache.
    CacheReadAudio,
    /// Audio output.
    OutputAudio,
    /// Image input not read from cache.
    InputImage,
    /// Image output.
    OutputImage,
}

impl Bucket {
    /// Every bucket, in display order (the enum's order).
    pub const ALL: [Bucket; 11] = [
        Bucket::Input,
        Bucket::CacheRead,
        Bucket::CacheWrite,
        Bucket::CacheWrite1h,
        Bucket::Output,
        Bucket::Reasoning,
        Bucket::InputAudio,
        Bucket::CacheReadAudio,
        Bucket::OutputAudio,
        Bucket::InputImage,
        Bucket::OutputImage,
    ];

    /// The text buckets, the first ones of [`Bucket::ALL`].
    pub const TEXT: [Bucket; 6] = [
        Bucket::Input,
        Bucket::CacheRead,
        Bucket::CacheWrite,
        Bucket::CacheWrite1h,
        Bucket::Output,
        Bucket::Reasoning,
    ];

    /// The modality buckets, the last ones of [`Bucket::ALL`].
    pub const MODAL: [Bucket; 5] = [
        Bucket::InputAudio,
        Bucket::CacheReadAudio,
        Bucket::OutputAudio,
        Bucket::InputImage,
        Bucket::OutputImage,
    ];

    /// The stable key used in JSON and CSV output.
    #[must_use]
    pub fn key(self) -> &'static str {
        match self {
            Bucket::Input => "input",
            Bucket::CacheRead => "cache_read",
            Bucket::CacheWrite => "cache_write",
            Bucket::CacheWrite1h => "cache_write_1h",
            Bucket::Output => "output",
            Bucket::Reasoning => "reasoning",
            Bucket::InputAudio => "input_audio",
            Bucket::CacheReadAudio => "cache_read_audio",
            Bucket::OutputAudio => "output_audio",
            Bucket::InputImage => "input_image",
            Bucket::OutputImage => "output_image",
        }
    }

    /// A human label for tables.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Bucket::Input => "input (cache miss)",
            Bucket::CacheRead => "cache read (hit)",
            Bucket::CacheWrite => "cache write 5m",
            Bucket::CacheWrite1h => "cache write 1h",
            Bucket::Output => "output",
            Bucket::Reasoning => "reasoning",
            Bucket::InputAudio => "audio input (cache miss)",
            Bucket::CacheReadAudio => "audio cache read (hit)",
            Bucket::OutputAudio => "audio output",
            Bucket::InputImage => "image input",
            Bucket::OutputImage => "image output",
        }
    }

    /// The bucket parsed from its [`key`](Bucket::key).
    #[must_use]
    pub fn from_key(key: &str) -> Option<Bucket> {
        Bucket::ALL.into_iter().find(|b| b.key() == key)
    }

    /// Whether the bucket counts input-side tokens.
    #[must_use]
    pub fn is_input(self) -> bool {
        matches!(
            self,
            Bucket::Input
                | Bucket::CacheRead
                | Bucket::CacheWrite
                | Bucket::CacheWrite1h
                | Bucket::InputAudio
                | Bucket::CacheReadAudio
                | Bucket::InputImage
        )
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Bucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// Tokens of one or more requests, per bucket. All buckets are disjoint, so the
/// cost is the sum of `tokens × rate` over buckets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct Usage {
    /// Uncached input (cache miss).
    pub input: u64,
    /// Cache read (hit).
    pub cache_read: u64,
    /// Cache write, 5-minute TTL.
    pub cache_write: u64,
    /// Cache write, 1-hour TTL.
    pub cache_write_1h: u64,
    /// Output, excluding reasoning reported apart.
    pub output: u64,
    /// Reasoning tokens not counted in `output`.
    pub reasoning: u64,
    /// Uncached audio input (not in `input`).
    #[serde(skip_serializing_if = "is_zero")]
    pub input_audio: u64,
    /// Audio cache read (not in `cache_read`).
    #[serde(skip_serializing_if = "is_zero")]
    pub cache_read_audio: u64,
    /// Audio output (not in `output`).
    #[serde(skip_serializing_if = "is_zero")]
    pub output_audio: u64,
    /// Image input (not in `input`).
    #[serde(skip_serializing_if = "is_zero")]
    pub input_image: u64,
    /// Image output (not in `output`).
    #[serde(skip_serializing_if = "is_zero")]
    pub output_image: u64,
}

#[expect(clippy::trivially_copy_pass_by_ref, reason = "serde's signature")]
fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Usage {
    /// Tokens in one bucket.
    #[must_use]
    #[inline]
    pub fn get(&self, b: Bucket) -> u64 {
        match b {
            Bucket::Input => self.input,
            Bucket::CacheRead => self.cache_read,
            Bucket::CacheWrite => self.cache_write,
            Bucket::CacheWrite1h => self.cache_write_1h,
            Bucket::Output => self.output,
            Bucket::Reasoning => self.reasoning,
            Bucket::InputAudio => self.input_audio,
            Bucket::CacheReadAudio => self.cache_read_audio,
            Bucket::OutputAudio => self.output_audio,
            Bucket::InputImage => self.input_image,
            Bucket::OutputImage => self.output_image,
        }
    }

    /// Sets one bucket.
    pub fn set(&mut self, b: Bucket, tokens: u64) {
        *self.slot(b) = tokens;
    }

    fn slot(&mut self, b: Bucket) -> &mut u64 {
        match b {
            Bucket::Input => &mut self.input,
            Bucket::CacheRead => &mut self.cache_read,
            Bucket::CacheWrite => &mut self.cache_write,
            Bucket::CacheWrite1h => &mut self.cache_write_1h,
            Bucket::Output => &mut self.output,
            Bucket::Reasoning => &mut self.reasoning,
            Bucket::InputAudio => &mut self.input_audio,
            Bucket::CacheReadAudio => &mut self.cache_read_audio,
            Bucket::OutputAudio => &mut self.output_audio,
            Bucket::InputImage => &mut self.input_image,
            Bucket::OutputImage => &mut self.output_image,
        }
    }

    /// Whether any modality bucket (audio, image) has a token.
    #[must_use]
    #[inline]
    pub fn has_modal(&self) -> bool {
        (self.input_audio
            | self.cache_read_audio
            | self.output_audio
            | self.input_image
            | self.output_image)
            != 0
    }

    /// All input-side tokens: uncached input, cache reads and cache writes, of
    /// every modality. Exact: a sum of `u64` buckets always fits `u128`.
    #[must_use]
    pub fn prompt_tokens(&self) -> u128 {
        u128::from(self.input)
            + u128::from(self.cache_read)
            + u128::from(self.cache_write)
            + u128::from(self.cache_write_1h)
            + u128::from(self.input_audio)
            + u128::from(self.cache_read_audio)
            + u128::from(self.input_image)
    }

    /// All output-side tokens (output, reasoning, audio and image output). Exact.
    #[must_use]
    pub fn completion_tokens(&self) -> u128 {
        u128::from(self.output)
            + u128::from(self.reasoning)
            + u128::from(self.output_audio)
            + u128::from(self.output_image)
    }

    /// Every token of the usage, exact (never saturates).
    #[must_use]
    pub fn total(&self) -> u128 {
        self.prompt_tokens() + self.completion_tokens()
    }

    /// True when no bucket has a token.
    #[must_use]
    pub fn is_zero(&self) -> bool {
        Bucket::ALL.into_iter().all(|b| self.get(b) == 0)
    }

    /// Adds another usage bucket by bucket.
    ///
    /// # Errors
    /// The bucket whose sum exceeds `u64::MAX`; `self` is unchanged then.
    pub fn checked_add(&self, rhs: &Usage) -> Result<Usage, Bucket> {
        let mut out = *self;
        for b in Bucket::ALL {
            *out.slot(b) = self.get(b).checked_add(rhs.get(b)).ok_or(b)?;
        }
        Ok(out)
    }
}

impl Add for Usage {
    type Output = Usage;
    fn add(mut self, rhs: Usage) -> Usage {
        self += rhs;
        self
    }
}

impl AddAssign for Usage {
    /// Adds bucket by bucket, saturating at `u64::MAX` per bucket; use
    /// [`Usage::checked_add`] where that must be refused.
    fn add_assign(&mut self, rhs: Usage) {
        for b in Bucket::ALL {
            let s = self.get(b).saturating_add(rhs.get(b));
            *self.slot(b) = s;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_are_exact_beyond_u64() {
        let u = Usage {
            input: u64::MAX,
            cache_read: u64::MAX,
            output: u64::MAX,
            ..Usage::default()
        };
        // 3 × (2^64 − 1) = 55340232221128654845
        assert_eq!(u.total(), 55_340_232_221_128_654_845);
        assert_eq!(u.prompt_tokens(), 2 * u128::from(u64::MAX));
        assert_eq!(u.completion_tokens(), u128::from(u64::MAX));
    }

    #[test]
    fn every_bucket_counts_once() {
        let mut u = Usage::default();
        for (i, b) in Bucket::ALL.into_iter().enumerate() {
            u.set(b, 1 << i);
        }
        assert_eq!(u.total(), (1 << 11) - 1);
        // input-side: bits 0..=3 (text) and 6, 7, 9 (audio in, audio cache, image in)
        assert_eq!(u.prompt_tokens(), 0b010_1100_1111);
        assert_eq!(u.completion_tokens(), 0b101_0011_0000);
        assert!(u.has_modal());
        for b in Bucket::ALL {
            assert_eq!(Bucket::from_key(b.key()), Some(b));
        }
    }

    #[test]
    fn checked_add_names_the_bucket() {
        let a = Usage {
            output_audio: u64::MAX,
            ..Usage::default()
        };
        let b = Usage {
            output_audio: 1,
            ..Usage::default()
        };
        assert_eq!(a.checked_add(&b), Err(Bucket::OutputAudio));
    }
}
