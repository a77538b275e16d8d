//! Token usage in disjoint, billable buckets.

use std::fmt;
use std::ops::{Add, AddAssign};

use serde::{Deserialize, Serialize};

/// A billable token bucket. Buckets are disjoint: a token is in exactly one.
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
}

impl Bucket {
    /// Every bucket, in display order.
    pub const ALL: [Bucket; 6] = [
        Bucket::Input,
        Bucket::CacheRead,
        Bucket::CacheWrite,
        Bucket::CacheWrite1h,
        Bucket::Output,
        Bucket::Reasoning,
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
        }
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
}

impl Usage {
    /// Tokens in one bucket.
    #[must_use]
    pub fn get(&self, b: Bucket) -> u64 {
        match b {
            Bucket::Input => self.input,
            Bucket::CacheRead => self.cache_read,
            Bucket::CacheWrite => self.cache_write,
            Bucket::CacheWrite1h => self.cache_write_1h,
            Bucket::Output => self.output,
            Bucket::Reasoning => self.reasoning,
        }
    }

    /// Sets one bucket.
    pub fn set(&mut self, b: Bucket, tokens: u64) {
        match b {
            Bucket::Input => self.input = tokens,
            Bucket::CacheRead => self.cache_read = tokens,
            Bucket::CacheWrite => self.cache_write = tokens,
            Bucket::CacheWrite1h => self.cache_write_1h = tokens,
            Bucket::Output => self.output = tokens,
            Bucket::Reasoning => self.reasoning = tokens,
        }
    }

    /// All input-side tokens: uncached, cache reads and cache writes.
    #[must_use]
    pub fn prompt_tokens(&self) -> u64 {
        self.input
            .saturating_add(self.cache_read)
            .saturating_add(self.cache_write)
            .saturating_add(self.cache_write_1h)
    }

    /// All output-side tokens (output plus reasoning).
    #[must_use]
    pub fn completion_tokens(&self) -> u64 {
        self.output.saturating_add(self.reasoning)
    }

    /// Every token of the usage.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.prompt_tokens()
            .saturating_add(self.completion_tokens())
    }

    /// True when no bucket has a token.
    #[must_use]
    pub fn is_zero(&self) -> bool {
        self.total() == 0
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
    fn add_assign(&mut self, rhs: Usage) {
        self.input = self.input.saturating_add(rhs.input);
        self.cache_read = self.cache_read.saturating_add(rhs.cache_read);
        self.cache_write = self.cache_write.saturating_add(rhs.cache_write);
        self.cache_write_1h = self.cache_write_1h.saturating_add(rhs.cache_write_1h);
        self.output = self.output.saturating_add(rhs.output);
        self.reasoning = self.reasoning.saturating_add(rhs.reasoning);
    }
}
