//! Token usage of LLM API responses, normalised into llmcost's disjoint billable
//! buckets.
//!
//! [`extract`] reads one JSON document — a full response body (OpenAI Chat
//! Completions or Responses, Anthropic Messages, Gemini `GenerateContentResponse`,
//! DeepSeek, Mistral, xAI, OpenRouter), a bare usage object, a streaming event
//! that carries usage (`response.completed`, `message_start`, `message_delta`,
//! the last chat chunk), or any of these inside a `response` / `body` /
//! `message` / `result` wrapper (log lines, batch-result lines) — and returns
//! an [`Extracted`]: the [`Shape`] it recognised, the echoed model, the time,
//! the service tier, any cost the provider reported, and a
//! [`llmcost_core::Usage`] whose buckets are disjoint, so that
//! `cost = Σ bucket × rate`.
//!
//! ```
//! use llmcost_usage::{Shape, extract};
//!
//! let line = br#"{"timestamp":"2025-03-10T18:00:00Z","response":{"model":"gpt-4o-2024-08-06",
//!     "usage":{"prompt_tokens":2006,"completion_tokens":300,"prompt_tokens_details":{"cached_tokens":1920}}}}"#;
//! let e = extract(line)?;
//! assert_eq!(e.shape, Shape::OpenAiChat);
//! assert_eq!((e.usage.input, e.usage.cache_read, e.usage.output), (86, 1920, 300));
//! assert_eq!(e.model.as_deref(), Some("gpt-4o-2024-08-06"));
//! assert_eq!(e.at.map(|t| t.as_second()), Some(1_741_629_600));
//! # Ok::<(), llmcost_usage::Error>(())
//! ```
//!
//! The mapping from provider fields to buckets follows the pricing reference:
//!
//! | shape | input (uncached) | cache read | cache write | output | reasoning |
//! |---|---|---|---|---|---|
//! | OpenAI chat, Mistral, OpenRouter | `prompt_tokens − cached_tokens − cache_write_tokens` | `cached_tokens` | `cache_write_tokens` | `completion_tokens − reasoning_tokens` | `reasoning_tokens` |
//! | OpenAI Responses | `input_tokens − cached_tokens − cache_write_tokens` | `cached_tokens` | `cache_write_tokens` | `output_tokens − reasoning_tokens` | `reasoning_tokens` |
//! | DeepSeek | `prompt_cache_miss_tokens` | `prompt_cache_hit_tokens` | – | `completion_tokens − reasoning_tokens` | `reasoning_tokens` |
//! | xAI chat (and its native SDK) | `prompt_tokens − cached_tokens` (SDK: `− cached_prompt_text_tokens`) | `cached_tokens` / `cached_prompt_text_tokens` | – | `completion_tokens` | `reasoning_tokens` (added; SDK: top-level) |
//! | Anthropic | `input_tokens` | `cache_read_input_tokens` | 5m / 1h split of `cache_creation_input_tokens` | `output_tokens` (thinking included) | – |
//! | Gemini | `promptTokenCount − cachedContentTokenCount + toolUsePromptTokenCount` | `cachedContentTokenCount` | – | `candidatesTokenCount` | `thoughtsTokenCount` (added) |
//!
//! Tokens a provider bills apart by modality go to their own buckets, taken out
//! of the text buckets above:
//!
//! | shape | `input_audio` | `cache_read_audio` | `input_image` | `output_audio` | `output_image` |
//! |---|---|---|---|---|---|
//! | OpenAI chat, Mistral, OpenRouter | `prompt_tokens_details.audio_tokens` | – | `prompt_tokens_details.image_tokens` | `completion_tokens_details.audio_tokens` | – |
//! | OpenAI Realtime (`input_token_details`) | `audio_tokens − cached_tokens_details.audio_tokens` | `cached_tokens_details.audio_tokens` | `image_tokens − cached_tokens_details.image_tokens` | `output_token_details.audio_tokens` | – |
//! | OpenAI Images / image models | – | – | `input_tokens_details.image_tokens` | – | `output_tokens_details.image_tokens`; the Images API (`input_tokens_details.text_tokens`, no output details): all of `output_tokens` |
//! | Gemini | `promptTokensDetails` AUDIO − `cacheTokensDetails` AUDIO | `cacheTokensDetails` AUDIO | – (text, image, video input share one price) | `candidatesTokensDetails` AUDIO | `candidatesTokensDetails` IMAGE |
//! | xAI | – (text, audio and image prompt tokens share the prompt price) | – | – | – | – |
//!
//! Cached Realtime image tokens have no bucket of their own and bill as cache
//! reads. A bucket without a rate of its own bills at the text rate of its
//! direction (see `llmcost-core`).
//!
//! ## Where the references are silent
//!
//! - **Which shape.** Field names decide first (`prompt_cache_hit_tokens` →
//!   DeepSeek; `cost_in_usd_ticks` / `num_sources_used` → xAI; `cost` /
//!   `cost_details` → OpenRouter; Anthropic cache fields → Anthropic), then the
//!   echoed model's last `/` segment (`deepseek…`, `grok…`, Mistral's families,
//!   `claude…`), then the document's `type` / `object`. A bare
//!   `{"input_tokens", "output_tokens"}` without `total_tokens` reads as
//!   Anthropic; both readings give the same buckets.
//! - **xAI Responses API**: read like OpenAI Responses (reasoning ⊂
//!   `output_tokens`), unless `total_tokens` equals input + output + reasoning,
//!   which shows reasoning was counted apart as in xAI chat.
//! - **Anthropic TTL split short of `cache_creation_input_tokens`**: the
//!   unattributed writes bill as 5-minute writes (the default TTL); a split
//!   larger than the total is an error.
//! - **Wrappers**: the innermost document's model, id, time and tier win; a
//!   wrapper only fills what the body did not say. A batch-result line (a
//!   `custom_id` wrapper, OpenAI or Anthropic batch output) is
//!   [`ServiceTier::Batch`] whatever the body's `service_tier` says.
//! - **Service tiers** the core does not price (OpenAI `scale`, Vertex
//!   `PROVISIONED_THROUGHPUT`) read as `None`.
//! - **Numbers**: `12.0` and `"12"` are accepted as 12 (some loggers and
//!   protobuf's JSON mapping write counts so); `12.5`, `-1`, `true` are errors.
//!   Unix times above 10^11 are read as milliseconds (then micro-, nanoseconds).
//!   A time outside 1970-01-01..2200-01-01 is [`Error::TimestampOutOfRange`]:
//!   the document is refused, never priced at a misread instant.
//! - **OpenRouter `cost`** (USD) is reported in the same ticks as xAI's, from its
//!   decimal digits, rounded half away from zero past 10^-10 USD.
//!
//! # What this crate must not do
//!
//! It is pure: no I/O, no clock, no environment, no randomness. It never uses
//! floats for money (token counts are `u64`; a reported cost is kept in integer
//! ticks), never invents a count (a subset larger than its total is an error,
//! not a wrapped or negative number) and never prices anything: pricing is
//! `llmcost-core`'s job.
//!
//! # Performance
//!
//! [`extract`] is a single typed serde pass: keys are classified without being
//! copied, unknown fields are skipped, strings are borrowed from the input, and
//! wrappers are walked on the stack. [`extract_ref`] allocates nothing for a
//! typical body; [`extract`] allocates only the model and id strings.
#![deny(missing_docs)]

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use llmcost_core::{ServiceTier, Timestamp, Usage};
use serde::{Deserialize, Serialize};

mod error;
mod normalise;
mod raw;

pub use error::{Error, Result};

/// The provider convention a usage object follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Shape {
    /// OpenAI Chat Completions (`prompt_tokens`, cached ⊂ prompt, reasoning ⊂ completion).
    #[serde(rename = "openai_chat", alias = "open_ai_chat")]
    OpenAiChat,
    /// OpenAI Responses API (`input_tokens`, cached ⊂ input, reasoning ⊂ output).
    #[serde(rename = "openai_responses", alias = "open_ai_responses")]
    OpenAiResponses,
    /// DeepSeek (`prompt_cache_hit_tokens` + `prompt_cache_miss_tokens` = prompt).
    #[serde(rename = "deepseek", alias = "deep_seek")]
    DeepSeek,
    /// Anthropic Messages (cache reads and writes added to `input_tokens`).
    #[serde(rename = "anthropic")]
    Anthropic,
    /// Google Gemini `usageMetadata` (thoughts added to candidates).
    #[serde(rename = "gemini")]
    Gemini,
    /// Mistral (OpenAI-style `prompt_tokens` / `completion_tokens`).
    #[serde(rename = "mistral")]
    Mistral,
    /// xAI Grok (reasoning counted apart from `completion_tokens`).
    #[serde(rename = "xai")]
    Xai,
    /// OpenRouter (OpenAI-style, with `cost` in the usage).
    #[serde(rename = "openrouter", alias = "open_router")]
    OpenRouter,
}

impl Shape {
    /// Every shape.
    pub const ALL: [Shape; 8] = [
        Shape::OpenAiChat,
        Shape::OpenAiResponses,
        Shape::DeepSeek,
        Shape::Anthropic,
        Shape::Gemini,
        Shape::Mistral,
        Shape::Xai,
        Shape::OpenRouter,
    ];

    /// The stable key (as in JSON).
    #[must_use]
    pub fn key(self) -> &'static str {
        match self {
            Shape::OpenAiChat => "openai_chat",
            Shape::OpenAiResponses => "openai_responses",
            Shape::DeepSeek => "deepseek",
            Shape::Anthropic => "anthropic",
            Shape::Gemini => "gemini",
            Shape::Mistral => "mistral",
            Shape::Xai => "xai",
            Shape::OpenRouter => "openrouter",
        }
    }

    /// A human name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Shape::OpenAiChat => "OpenAI Chat Completions",
            Shape::OpenAiResponses => "OpenAI Responses",
            Shape::DeepSeek => "DeepSeek",
            Shape::Anthropic => "Anthropic Messages",
            Shape::Gemini => "Google Gemini",
            Shape::Mistral => "Mistral",
            Shape::Xai => "xAI",
            Shape::OpenRouter => "OpenRouter",
        }
    }

    /// The provider that bills usage of this shape (`openai`, `anthropic`,
    /// `google`, `deepseek`, `mistral`, `xai`, `openrouter`).
    #[must_use]
    pub fn provider(self) -> &'static str {
        match self {
            Shape::OpenAiChat | Shape::OpenAiResponses => "openai",
            Shape::DeepSeek => "deepseek",
            Shape::Anthropic => "anthropic",
            Shape::Gemini => "google",
            Shape::Mistral => "mistral",
            Shape::Xai => "xai",
            Shape::OpenRouter => "openrouter",
        }
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Shape {
    type Err = Error;

    /// Accepts the keys, their serde aliases and a few common names
    /// (`chat`, `responses`, `claude`, `google`, `grok`, ...), case-insensitively.
    fn from_str(s: &str) -> Result<Shape> {
        const NAMES: &[(&str, Shape)] = &[
            ("openai_chat", Shape::OpenAiChat),
            ("open_ai_chat", Shape::OpenAiChat),
            ("openai", Shape::OpenAiChat),
            ("chat", Shape::OpenAiChat),
            ("chat_completions", Shape::OpenAiChat),
            ("openai_responses", Shape::OpenAiResponses),
            ("open_ai_responses", Shape::OpenAiResponses),
            ("responses", Shape::OpenAiResponses),
            ("deepseek", Shape::DeepSeek),
            ("deep_seek", Shape::DeepSeek),
            ("anthropic", Shape::Anthropic),
            ("claude", Shape::Anthropic),
            ("gemini", Shape::Gemini),
            ("google", Shape::Gemini),
            ("vertex", Shape::Gemini),
            ("mistral", Shape::Mistral),
            ("xai", Shape::Xai),
            ("x-ai", Shape::Xai),
            ("grok", Shape::Xai),
            ("openrouter", Shape::OpenRouter),
            ("open_router", Shape::OpenRouter),
        ];
        let t = s.trim();
        NAMES
            .iter()
            .find(|(k, _)| {
                k.len() == t.len()
                    && k.bytes()
                        .zip(t.bytes())
                        .all(|(a, b)| a == b.to_ascii_lowercase() || (a == b'_' && b == b'-'))
            })
            .map(|&(_, shape)| shape)
            .ok_or_else(|| Error::UnknownShape { name: t.to_owned() })
    }
}

/// The usage of one response, normalised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extracted {
    /// The provider convention the usage was read with.
    pub shape: Shape,
    /// The model echoed in the body (Gemini: `modelVersion`), else the
    /// wrapper's `model`.
    pub model: Option<String>,
    /// When the request was made: the response's `created` / `created_at`
    /// (unix seconds) or RFC 3339 `timestamp` / `createTime`, else the
    /// wrapper's.
    pub at: Option<Timestamp>,
    /// Tokens in disjoint buckets.
    pub usage: Usage,
    /// The tier that served the request: response `service_tier`, Anthropic
    /// `usage.service_tier`, Vertex `trafficType`, or
    /// [`ServiceTier::Batch`] for a batch-result line.
    pub service_tier: Option<ServiceTier>,
    /// The cost the provider reported, in ticks (1 USD = 10^10 ticks): xAI
    /// `cost_in_usd_ticks`, or OpenRouter `cost` converted exactly.
    pub reported_cost_usd_ticks: Option<i64>,
    /// The `id` of the response (Gemini: `responseId`).
    pub request_id: Option<String>,
}

/// [`Extracted`] borrowing its strings from the input: no allocation unless a
/// string has JSON escapes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtractedRef<'a> {
    /// See [`Extracted::shape`].
    pub shape: Shape,
    /// See [`Extracted::model`].
    pub model: Option<Cow<'a, str>>,
    /// See [`Extracted::at`].
    pub at: Option<Timestamp>,
    /// See [`Extracted::usage`].
    pub usage: Usage,
    /// See [`Extracted::service_tier`].
    pub service_tier: Option<ServiceTier>,
    /// See [`Extracted::reported_cost_usd_ticks`].
    pub reported_cost_usd_ticks: Option<i64>,
    /// See [`Extracted::request_id`].
    pub request_id: Option<Cow<'a, str>>,
}

impl ExtractedRef<'_> {
    /// Copies the borrowed strings.
    #[must_use]
    pub fn into_owned(self) -> Extracted {
        Extracted {
            shape: self.shape,
            model: self.model.map(Cow::into_owned),
            at: self.at,
            usage: self.usage,
            service_tier: self.service_tier,
            reported_cost_usd_ticks: self.reported_cost_usd_ticks,
            request_id: self.request_id.map(Cow::into_owned),
        }
    }
}

/// Extracts the usage of one JSON document, detecting its shape.
///
/// # Errors
///
/// Invalid JSON, no recognisable usage, an invalid count or timestamp, or a
/// subset larger than its total (see [`Error`]).
pub fn extract(body: &[u8]) -> Result<Extracted> {
    extract_ref_with_hint(body, None).map(ExtractedRef::into_owned)
}

/// [`extract`], reading the usage with the rules of `hint` when it is given.
///
/// # Errors
///
/// As [`extract`], and [`Error::ShapeMismatch`] when the document does not have
/// the fields of the forced shape.
pub fn extract_with_hint(body: &[u8], hint: Option<Shape>) -> Result<Extracted> {
    extract_ref_with_hint(body, hint).map(ExtractedRef::into_owned)
}

/// [`extract`] without copying strings out of `body`.
///
/// # Errors
///
/// As [`extract`].
pub fn extract_ref(body: &[u8]) -> Result<ExtractedRef<'_>> {
    extract_ref_with_hint(body, None)
}

/// [`extract_with_hint`] without copying strings out of `body`.
///
/// A leading UTF-8 byte-order mark and a Server-Sent Events `data:` prefix are
/// skipped, so a raw SSE line can be passed as is.
///
/// # Errors
///
/// As [`extract_with_hint`].
pub fn extract_ref_with_hint(body: &[u8], hint: Option<Shape>) -> Result<ExtractedRef<'_>> {
    let body = body
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(body)
        .trim_ascii_start();
    let body = body
        .strip_prefix(b"data:")
        .map_or(body, <[u8]>::trim_ascii_start);
    if body.trim_ascii_end().is_empty() {
        return Err(Error::Empty);
    }
    let out = raw::walk_slice(body).map_err(Error::Json)?;
    normalise::finish(out, hint)
}

/// [`extract`] over an already parsed value.
///
/// # Errors
///
/// As [`extract`].
pub fn extract_value(v: &serde_json::Value) -> Result<Extracted> {
    extract_value_with_hint(v, None)
}

/// [`extract_with_hint`] over an already parsed value.
///
/// # Errors
///
/// As [`extract_with_hint`].
pub fn extract_value_with_hint(v: &serde_json::Value, hint: Option<Shape>) -> Result<Extracted> {
    let out = raw::walk_value(v).map_err(Error::Json)?;
    normalise::finish(out, hint).map(ExtractedRef::into_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(s: &str) -> Extracted {
        extract(s.as_bytes()).expect("extracts")
    }

    #[test]
    fn openai_chat_reference_example() {
        let e = ex(
            r#"{"usage":{"prompt_tokens":2006,"completion_tokens":300,"total_tokens":2306,
            "prompt_tokens_details":{"cached_tokens":1920}}}"#,
        );
        assert_eq!(e.shape, Shape::OpenAiChat);
        assert_eq!(
            e.usage,
            Usage {
                input: 86,
                cache_read: 1920,
                output: 300,
                ..Usage::default()
            }
        );
    }

    #[test]
    fn shape_names_round_trip() {
        for s in Shape::ALL {
            assert_eq!(s.key().parse::<Shape>().expect("parses"), s);
            let json = serde_json::to_string(&s).expect("serializes");
            assert_eq!(json, format!("\"{}\"", s.key()));
            assert_eq!(
                serde_json::from_str::<Shape>(&json).expect("deserializes"),
                s
            );
        }
        assert_eq!(
            "Open-AI-Chat".parse::<Shape>().ok(),
            Some(Shape::OpenAiChat)
        );
        assert_eq!("OPENAI-CHAT".parse::<Shape>().ok(), Some(Shape::OpenAiChat));
        assert_eq!(
            serde_json::from_str::<Shape>("\"open_ai_chat\"").ok(),
            Some(Shape::OpenAiChat)
        );
        assert!("nope".parse::<Shape>().is_err());
    }

    #[test]
    fn borrowed_extraction_does_not_copy_the_model() {
        let body = br#"{"model":"gpt-4o","usage":{"prompt_tokens":1,"completion_tokens":2}}"#;
        let e = extract_ref(body).expect("extracts");
        assert!(matches!(e.model, Some(Cow::Borrowed("gpt-4o"))));
    }

    #[test]
    fn sse_data_prefix_is_skipped() {
        let e = ex(r#"data: {"usage":{"prompt_tokens":3,"completion_tokens":4}}"#);
        assert_eq!(e.usage.input, 3);
        assert!(matches!(extract(b"data: [DONE]"), Err(Error::Json(_))));
        assert!(matches!(extract(b"  \n"), Err(Error::Empty)));
    }
}
