//! From raw provider counts to disjoint billable buckets.
//!
//! The rules are those of the pricing reference (`pricing-rules.md` §1–7):
//! cached ⊂ prompt for OpenAI-style, DeepSeek, xAI and Gemini usage; Anthropic's
//! cache fields are *added* to `input_tokens`; reasoning ⊂ completion for
//! OpenAI-style usage but *added* to it for xAI chat and Gemini.

use jiff::{SignedDuration, Timestamp};
use llmcost_core::{ServiceTier, Usage};

use crate::error::{Error, Result};
use crate::raw::{Counts, DocKind, Found, Path, Slot, TimeField, TimeRaw, Tok, Walked};
use crate::{ExtractedRef, Shape};

/// Which set of field names a usage object uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    /// `prompt_tokens` / `completion_tokens` (Chat Completions and compatibles).
    Chat,
    /// `input_tokens` / `output_tokens` (OpenAI Responses, Anthropic).
    Responses,
    /// `promptTokenCount` / `candidatesTokenCount` (Gemini).
    Gemini,
}

struct Families {
    chat: bool,
    responses: bool,
    gemini: bool,
}

impl Families {
    fn of(c: &Counts) -> Families {
        Families {
            chat: c.has(Slot::PromptTokens)
                || c.has(Slot::CompletionTokens)
                || c.has(Slot::Hit)
                || c.has(Slot::Miss),
            responses: c.has(Slot::InputTokens)
                || c.has(Slot::OutputTokens)
                || c.has(Slot::CacheCreationInput)
                || c.has(Slot::CacheReadInput),
            gemini: c.has_mask(Slot::GEMINI),
        }
    }

    /// The family to read, chat first.
    fn primary(&self) -> Option<Family> {
        if self.chat {
            Some(Family::Chat)
        } else if self.responses {
            Some(Family::Responses)
        } else if self.gemini {
            Some(Family::Gemini)
        } else {
            None
        }
    }
}

/// The vendor a model id belongs to, from its last `/` segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Vendor {
    OpenAi,
    Anthropic,
    DeepSeek,
    Xai,
    Mistral,
    Google,
    Unknown,
}

fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.get(..prefix.len())
        .is_some_and(|h| h.eq_ignore_ascii_case(prefix))
}

const MISTRAL_PREFIXES: &[&str] = &[
    "mistral",
    "magistral",
    "codestral",
    "ministral",
    "pixtral",
    "devstral",
    "voxtral",
    "mixtral",
    "open-mistral",
    "open-mixtral",
    "open-codestral",
];

const OPENAI_PREFIXES: &[&str] = &[
    "gpt",
    "chatgpt",
    "o1",
    "o3",
    "o4",
    "codex",
    "computer-use",
    "davinci",
    "babbage",
];

fn vendor(model: Option<&str>) -> Vendor {
    let Some(model) = model else {
        return Vendor::Unknown;
    };
    let m = model.rsplit('/').next().unwrap_or(model);
    let any = |prefixes: &[&str]| prefixes.iter().any(|p| starts_with_ci(m, p));
    // Dispatch on the first letter: this runs once per record.
    match m.bytes().next().map(|b| b.to_ascii_lowercase()) {
        Some(b'd') if starts_with_ci(m, "deepseek") => Vendor::DeepSeek,
        Some(b'g') if starts_with_ci(m, "grok") => Vendor::Xai,
        Some(b'g') if any(&["gemini", "gemma"]) => Vendor::Google,
        Some(b'c' | b'm' | b'o' | b'p' | b'd' | b'v') if any(MISTRAL_PREFIXES) => Vendor::Mistral,
        Some(b'g' | b'c' | b'o' | b'd' | b'b') if any(OPENAI_PREFIXES) => Vendor::OpenAi,
        // `claude-…`, and Bedrock's `anthropic.claude-…` / `us.anthropic.claude-…`.
        _ if m.split('.').any(|part| starts_with_ci(part, "claude")) => Vendor::Anthropic,
        _ => Vendor::Unknown,
    }
}

/// Picks the shape of a usage object from its fields, then the echoed model,
/// then what the document says it is.
fn detect(
    c: &Counts,
    fam: &Families,
    model: Option<&str>,
    kind: DocKind,
    id: Option<&str>,
) -> Shape {
    let v = || vendor(model);
    match fam.primary() {
        Some(Family::Chat) | None => {
            if c.has(Slot::Hit) || c.has(Slot::Miss) {
                Shape::DeepSeek
            } else if c.xai_marker {
                Shape::Xai
            } else if c.openrouter_marker {
                Shape::OpenRouter
            } else {
                match v() {
                    Vendor::DeepSeek => Shape::DeepSeek,
                    Vendor::Xai => Shape::Xai,
                    Vendor::Mistral => Shape::Mistral,
                    _ => Shape::OpenAiChat,
                }
            }
        }
        Some(Family::Responses) => {
            let id = id.unwrap_or("");
            let anthropic_fields = c.has(Slot::CacheCreationInput)
                || c.has(Slot::CacheReadInput)
                || c.cache_creation
                || c.anthropic_marker;
            let responses_fields =
                c.input_details || c.has(Slot::OutputReasoning) || c.has(Slot::TotalTokens);
            if anthropic_fields {
                Shape::Anthropic
            } else if c.xai_marker || v() == Vendor::Xai {
                Shape::Xai
            } else if c.openrouter_marker {
                Shape::OpenRouter
            } else if responses_fields || kind == DocKind::Responses || id.starts_with("resp_") {
                Shape::OpenAiResponses
            } else if v() == Vendor::Anthropic
                || kind == DocKind::Anthropic
                || id.starts_with("msg_")
            {
                Shape::Anthropic
            } else if v() == Vendor::OpenAi {
                Shape::OpenAiResponses
            } else {
                // Bare `{"input_tokens", "output_tokens"}` without `total_tokens`:
                // Anthropic's convention (both readings give the same buckets).
                Shape::Anthropic
            }
        }
        Some(Family::Gemini) => Shape::Gemini,
    }
}

/// The family a forced shape reads, or the mismatch error.
fn forced_family(shape: Shape, fam: &Families) -> Result<Family> {
    let (ok, expected) = match shape {
        Shape::OpenAiChat | Shape::DeepSeek | Shape::Mistral => (
            fam.chat.then_some(Family::Chat),
            "`usage.prompt_tokens` / `usage.completion_tokens`",
        ),
        Shape::OpenAiResponses | Shape::Anthropic => (
            fam.responses.then_some(Family::Responses),
            "`usage.input_tokens` / `usage.output_tokens`",
        ),
        Shape::Xai | Shape::OpenRouter => (
            if fam.chat {
                Some(Family::Chat)
            } else if fam.responses {
                Some(Family::Responses)
            } else {
                None
            },
            "`usage.prompt_tokens` or `usage.input_tokens`",
        ),
        Shape::Gemini => (
            fam.gemini.then_some(Family::Gemini),
            "`usageMetadata.promptTokenCount` / `usageMetadata.candidatesTokenCount`",
        ),
    };
    ok.ok_or(Error::ShapeMismatch { shape, expected })
}

// ---------------------------------------------------------------------------
// Validation and arithmetic

/// What is wrong with a raw count, if anything.
fn count_problem(t: Tok) -> Option<String> {
    match t {
        Tok::Absent | Tok::Val(_) => None,
        Tok::Neg(v) => Some(format!("negative ({v})")),
        Tok::Frac(v) => Some(format!("not an integer ({v})")),
        Tok::NotNumber(kind) => Some(format!("{kind}, expected a non-negative integer")),
    }
}

fn check(t: Tok, p: Path, name: &str) -> Result<()> {
    match count_problem(t) {
        None => Ok(()),
        Some(problem) => Err(Error::InvalidCount {
            field: p.join(name),
            problem,
        }),
    }
}

/// Every count of the usage object must be a non-negative integer.
fn validate(c: &Counts, p: Path) -> Result<()> {
    match c.bad {
        Some((slot, t)) => check(t, p, slot.name(c.gemini_snake)),
        None => Ok(()),
    }
}

/// The most parts [`Reader::minus`] takes.
const MAX_PARTS: usize = 4;

/// Reads counts of one usage object, naming fields for errors.
struct Reader<'c> {
    c: &'c Counts,
    p: Path,
}

impl Reader<'_> {
    fn get(&self, s: Slot) -> u64 {
        self.c.get(s)
    }

    fn has(&self, s: Slot) -> bool {
        self.c.has(s)
    }

    fn name(&self, s: Slot) -> String {
        self.p.join(s.name(self.c.gemini_snake))
    }

    /// `total − Σ parts`, where every part is a subset of `total`.
    fn minus(&self, total: Slot, parts: &[Slot]) -> Result<u64> {
        // On the stack: this runs a few times per record.
        debug_assert!(parts.len() <= MAX_PARTS, "more parts than MAX_PARTS");
        let mut vals = [(Slot::TotalTokens, 0); MAX_PARTS];
        let n = parts.len().min(MAX_PARTS);
        for (v, &s) in vals.iter_mut().zip(&parts[..n]) {
            *v = (s, self.get(s));
        }
        self.minus_vals(total, &vals[..n])
    }

    /// `total − Σ values`, each value named by its slot (a part of a slot's
    /// count, such as the uncached share of the audio tokens, is named by it).
    fn minus_vals(&self, total: Slot, parts: &[(Slot, u64)]) -> Result<u64> {
        let mut sum: u64 = 0;
        for &(s, v) in parts {
            sum = sum.checked_add(v).ok_or_else(|| Error::Overflow {
                field: self.name(s),
            })?;
        }
        let total_value = self.get(total);
        if let Some(rest) = total_value.checked_sub(sum) {
            return Ok(rest);
        }
        let nonzero: Vec<(Slot, u64)> = parts.iter().copied().filter(|&(_, v)| v > 0).collect();
        match nonzero.as_slice() {
            [(first, v), ..] if !self.has(total) => Err(Error::MissingTotal {
                part: self.name(*first),
                part_value: *v,
                total: self.name(total),
            }),
            [(only, v)] => Err(Error::SubsetTooLarge {
                part: self.name(*only),
                part_value: *v,
                total: self.name(total),
                total_value,
            }),
            _ => Err(Error::SubsetsTooLarge {
                parts: nonzero.iter().map(|&(s, _)| self.name(s)).collect(),
                sum,
                total: self.name(total),
                total_value,
            }),
        }
    }

    /// `a + count`, without wrapping.
    fn plus(&self, a: u64, s: Slot) -> Result<u64> {
        a.checked_add(self.get(s)).ok_or_else(|| Error::Overflow {
            field: self.name(s),
        })
    }
}

// ---------------------------------------------------------------------------
// Per-family rules

/// Chat Completions and its compatibles (DeepSeek, xAI, Mistral, OpenRouter).
fn chat(r: &Reader<'_>, shape: Shape) -> Result<Usage> {
    let cached = if r.has(Slot::PromptCached) {
        Slot::PromptCached
    } else if r.has(Slot::XaiCachedText) {
        // xAI's native SDK: `cached_prompt_text_tokens` ⊂ `prompt_tokens`.
        Slot::XaiCachedText
    } else if r.has(Slot::NumCached) {
        Slot::NumCached
    } else {
        Slot::PromptCached
    };
    let mut u = Usage::default();
    if shape == Shape::DeepSeek && (r.has(Slot::Hit) || r.has(Slot::Miss)) {
        // DeepSeek bills hit + miss; hit ⊂ prompt.
        let uncached = r.minus(Slot::PromptTokens, &[Slot::Hit])?;
        u.cache_read = r.get(Slot::Hit);
        u.input = if r.has(Slot::Miss) {
            r.get(Slot::Miss)
        } else {
            uncached
        };
    } else if shape == Shape::Xai {
        // xAI bills prompt text, audio and image tokens at one prompt price:
        // its `text_tokens` / `audio_tokens` / `image_tokens` stay in input.
        u.input = r.minus(Slot::PromptTokens, &[cached, Slot::PromptCacheWrite])?;
        u.cache_read = r.get(cached);
        u.cache_write = r.get(Slot::PromptCacheWrite);
    } else {
        // Audio and image tokens ⊂ prompt, billed at their own rates.
        u.input = r.minus(
            Slot::PromptTokens,
            &[
                cached,
                Slot::PromptCacheWrite,
                Slot::PromptAudio,
                Slot::PromptImage,
            ],
        )?;
        u.cache_read = r.get(cached);
        u.cache_write = r.get(Slot::PromptCacheWrite);
        u.input_audio = r.get(Slot::PromptAudio);
        u.input_image = r.get(Slot::PromptImage);
    }
    u.reasoning = r.get(Slot::CompletionReasoning);
    if shape == Shape::Xai {
        // The native SDK reports reasoning beside the completion, not in its details.
        u.reasoning = r.plus(u.reasoning, Slot::XaiReasoning)?;
    }
    u.output = if shape == Shape::Xai {
        // xAI counts reasoning apart from `completion_tokens`.
        r.get(Slot::CompletionTokens)
    } else {
        u.output_audio = r.get(Slot::CompletionAudio);
        r.minus(
            Slot::CompletionTokens,
            &[Slot::CompletionReasoning, Slot::CompletionAudio],
        )?
    };
    Ok(u)
}

/// OpenAI Realtime `response.done` usage: `input_token_details` splits the
/// input (cached included) by modality, `cached_tokens_details` the cached part.
fn realtime(r: &Reader<'_>) -> Result<Usage> {
    let cached = if r.has(Slot::RtCached) {
        Slot::RtCached
    } else {
        Slot::InputCached
    };
    let input_audio = r.minus(Slot::RtAudio, &[Slot::RtCachedAudio])?;
    let input_image = r.minus(Slot::RtImage, &[Slot::RtCachedImage])?;
    // No bucket of its own for cached image tokens: they bill as cache reads.
    let cache_read = r.minus(cached, &[Slot::RtCachedAudio])?;
    let output_audio = r.get(Slot::RtOutAudio);
    Ok(Usage {
        input: r.minus_vals(
            Slot::InputTokens,
            &[
                (cached, r.get(cached)),
                (Slot::InputCacheWrite, r.get(Slot::InputCacheWrite)),
                (Slot::RtAudio, input_audio),
                (Slot::RtImage, input_image),
            ],
        )?,
        cache_read,
        cache_read_audio: r.get(Slot::RtCachedAudio),
        cache_write: r.get(Slot::InputCacheWrite),
        input_audio,
        input_image,
        output: r.minus(
            Slot::OutputTokens,
            &[Slot::OutputReasoning, Slot::RtOutAudio],
        )?,
        output_audio,
        reasoning: r.get(Slot::OutputReasoning),
        ..Usage::default()
    })
}

/// Image models (Images API, image generation): image input and output tokens
/// are taken out of `input_tokens` / `output_tokens`. The Images API reports
/// `input_tokens_details.text_tokens` and no output details: its output tokens
/// are "the number of image tokens in the output image".
fn images(r: &Reader<'_>) -> Result<Usage> {
    let input_image = r.get(Slot::InputImage);
    let all_image_output =
        r.has(Slot::InputText) && !r.has(Slot::OutputImage) && !r.has(Slot::OutputReasoning);
    let output_image = if all_image_output {
        r.get(Slot::OutputTokens)
    } else {
        r.get(Slot::OutputImage)
    };
    Ok(Usage {
        input: r.minus(
            Slot::InputTokens,
            &[Slot::InputCached, Slot::InputCacheWrite, Slot::InputImage],
        )?,
        cache_read: r.get(Slot::InputCached),
        cache_write: r.get(Slot::InputCacheWrite),
        input_image,
        output: if all_image_output {
            0
        } else {
            r.minus(
                Slot::OutputTokens,
                &[Slot::OutputReasoning, Slot::OutputImage],
            )?
        },
        output_image,
        reasoning: r.get(Slot::OutputReasoning),
        ..Usage::default()
    })
}

/// The Realtime API's details are present.
fn is_realtime(r: &Reader<'_>) -> bool {
    [
        Slot::RtCached,
        Slot::RtAudio,
        Slot::RtImage,
        Slot::RtCachedAudio,
        Slot::RtCachedImage,
        Slot::RtOutAudio,
    ]
    .into_iter()
    .any(|s| r.has(s))
}

/// OpenAI Responses (and xAI / OpenRouter Responses).
fn responses(r: &Reader<'_>, shape: Shape) -> Result<Usage> {
    if shape == Shape::OpenAiResponses && is_realtime(r) {
        return realtime(r);
    }
    if shape == Shape::OpenAiResponses && (r.has(Slot::InputImage) || r.has(Slot::OutputImage)) {
        return images(r);
    }
    let mut u = Usage {
        input: r.minus(
            Slot::InputTokens,
            &[Slot::InputCached, Slot::InputCacheWrite],
        )?,
        cache_read: r.get(Slot::InputCached),
        cache_write: r.get(Slot::InputCacheWrite),
        reasoning: r.get(Slot::OutputReasoning),
        ..Usage::default()
    };
    // xAI's Responses API is read like OpenAI's (reasoning ⊂ output), unless
    // `total_tokens` shows reasoning was counted apart, as in xAI chat.
    let additive = shape == Shape::Xai
        && u.reasoning > 0
        && r.has(Slot::TotalTokens)
        && r.get(Slot::InputTokens)
            .checked_add(r.get(Slot::OutputTokens))
            .and_then(|s| s.checked_add(u.reasoning))
            == Some(r.get(Slot::TotalTokens));
    u.output = if additive {
        r.get(Slot::OutputTokens)
    } else {
        r.minus(Slot::OutputTokens, &[Slot::OutputReasoning])?
    };
    Ok(u)
}

/// Anthropic Messages: cache reads and writes are added to `input_tokens`.
fn anthropic(r: &Reader<'_>) -> Result<Usage> {
    let mut u = Usage {
        input: r.get(Slot::InputTokens),
        cache_read: r.get(Slot::CacheReadInput),
        output: r.get(Slot::OutputTokens),
        ..Usage::default()
    };
    if r.has(Slot::Ephemeral5m) || r.has(Slot::Ephemeral1h) {
        // Writes the TTL split does not attribute bill as 5-minute writes,
        // the default TTL.
        let unattributed = if r.has(Slot::CacheCreationInput) {
            r.minus(
                Slot::CacheCreationInput,
                &[Slot::Ephemeral5m, Slot::Ephemeral1h],
            )?
        } else {
            0
        };
        u.cache_write = r.plus(unattributed, Slot::Ephemeral5m)?;
        u.cache_write_1h = r.get(Slot::Ephemeral1h);
    } else {
        u.cache_write = r.get(Slot::CacheCreationInput);
    }
    Ok(u)
}

/// Gemini `usageMetadata`: cached ⊂ prompt, thoughts added to candidates.
/// Audio is split out (its own rate); text, image and video input are priced
/// alike and stay in input. Audio and image output have their own buckets.
fn gemini(r: &Reader<'_>) -> Result<Usage> {
    // Prompt audio counts cached audio too.
    let input_audio = r.minus(Slot::GPromptAudio, &[Slot::GCachedAudio])?;
    let uncached = r.minus_vals(
        Slot::GPrompt,
        &[
            (Slot::GCached, r.get(Slot::GCached)),
            (Slot::GPromptAudio, input_audio),
        ],
    )?;
    Ok(Usage {
        input: r.plus(uncached, Slot::GToolUse)?,
        input_audio,
        cache_read: r.minus(Slot::GCached, &[Slot::GCachedAudio])?,
        cache_read_audio: r.get(Slot::GCachedAudio),
        output: r.minus(Slot::GCandidates, &[Slot::GCandAudio, Slot::GCandImage])?,
        output_audio: r.get(Slot::GCandAudio),
        output_image: r.get(Slot::GCandImage),
        reasoning: r.get(Slot::GThoughts),
        ..Usage::default()
    })
}

// ---------------------------------------------------------------------------
// Time

const SECONDS_LIMIT: u64 = 100_000_000_000; // year 5138 in seconds
const MILLIS_LIMIT: u64 = 100_000_000_000_000;
const MICROS_LIMIT: u64 = 100_000_000_000_000_000;

/// Unix time in seconds; values too large to be seconds are read as
/// milliseconds, then microseconds, then nanoseconds.
fn from_unix(n: i64) -> Option<Timestamp> {
    let a = n.unsigned_abs();
    if a < SECONDS_LIMIT {
        Timestamp::from_second(n).ok()
    } else if a < MILLIS_LIMIT {
        Timestamp::from_millisecond(n).ok()
    } else if a < MICROS_LIMIT {
        Timestamp::from_microsecond(n).ok()
    } else {
        Timestamp::from_nanosecond(i128::from(n)).ok()
    }
}

fn from_unix_float(f: f64) -> Option<Timestamp> {
    if !f.is_finite() {
        return None;
    }
    #[expect(clippy::cast_precision_loss, reason = "a threshold, not an amount")]
    let secs = if f.abs() >= SECONDS_LIMIT as f64 {
        f / 1000.0
    } else {
        f
    };
    let d = SignedDuration::try_from_secs_f64(secs).ok()?;
    Timestamp::from_duration(d).ok()
}

/// 1970-01-01T00:00:00Z: earlier instants are not request times.
const EARLIEST_SECOND: i64 = 0;
/// 2200-01-01T00:00:00Z (exclusive): later instants are misread units or corrupt.
const LATEST_SECOND: i64 = 7_258_118_400;

fn raw_text(raw: &TimeRaw<'_>) -> String {
    match raw {
        TimeRaw::Int(n) => n.to_string(),
        TimeRaw::Float(f) => f.to_string(),
        TimeRaw::Text(s) => format!("{s:?}"),
        TimeRaw::Other(kind) => (*kind).to_owned(),
    }
}

fn parse_time(t: &TimeField<'_>) -> Result<Timestamp> {
    let at = parse_time_any(t)?;
    if (EARLIEST_SECOND..LATEST_SECOND).contains(&at.as_second()) {
        Ok(at)
    } else {
        Err(Error::TimestampOutOfRange {
            field: t.path.join(t.name),
            value: raw_text(&t.raw),
            read_as: at.to_string(),
        })
    }
}

fn parse_time_any(t: &TimeField<'_>) -> Result<Timestamp> {
    let parsed = match &t.raw {
        TimeRaw::Int(n) => from_unix(*n),
        TimeRaw::Float(f) => from_unix_float(*f),
        TimeRaw::Text(s) => {
            let s = s.trim();
            let digits = s.strip_prefix('-').unwrap_or(s);
            if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                s.parse::<i64>().ok().and_then(from_unix)
            } else if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            {
                s.parse::<f64>().ok().and_then(from_unix_float)
            } else {
                s.parse::<Timestamp>().ok()
            }
        }
        TimeRaw::Other(_) => None,
    };
    parsed.ok_or_else(|| Error::InvalidTimestamp {
        field: t.path.join(t.name),
        value: raw_text(&t.raw),
    })
}

// ---------------------------------------------------------------------------

/// Turns what the walker found into the public result.
pub(crate) fn finish(out: Walked<'_>, hint: Option<Shape>) -> Result<ExtractedRef<'_>> {
    let found = match out {
        Walked { found: Some(f), .. } => f,
        Walked {
            not_object: Some(found),
            ..
        } => return Err(Error::NotAnObject { found }),
        Walked {
            api_error: Some(message),
            ..
        } => {
            return Err(Error::ApiError {
                message: message.into_owned(),
            });
        }
        Walked { null_usage, .. } => {
            return Err(Error::NoUsage {
                null_usage: null_usage.map(|p| p.to_string()),
            });
        }
    };
    let Found {
        counts: c,
        path: p,
        meta,
        batch,
    } = found;

    validate(&c, p)?;
    let fam = Families::of(&c);
    let (shape, family) = match hint {
        Some(shape) => (shape, forced_family(shape, &fam)?),
        None => {
            let shape = detect(
                &c,
                &fam,
                meta.model.as_deref(),
                meta.kind,
                meta.id.as_deref(),
            );
            let family = fam.primary().unwrap_or(Family::Chat);
            (shape, family)
        }
    };
    let r = Reader { c: &c, p };
    let usage = match (family, shape) {
        (Family::Gemini, _) => gemini(&r)?,
        (Family::Responses, Shape::Anthropic) => anthropic(&r)?,
        (Family::Responses, _) => responses(&r, shape)?,
        (Family::Chat, _) => chat(&r, shape)?,
    };

    let reported_cost_usd_ticks = match c.cost_ticks {
        Tok::Absent => match c.cost {
            Some(cost) => Some(cost.to_ticks().map_err(|problem| Error::InvalidCost {
                field: p.join("cost"),
                problem,
            })?),
            None => None,
        },
        Tok::Val(v) => Some(i64::try_from(v).map_err(|_| Error::InvalidCost {
            field: p.join("cost_in_usd_ticks"),
            problem: format!("out of range ({v})"),
        })?),
        Tok::Neg(v) => Some(v),
        t @ (Tok::Frac(_) | Tok::NotNumber(_)) => {
            return Err(Error::InvalidCost {
                field: p.join("cost_in_usd_ticks"),
                problem: count_problem(t).unwrap_or_default(),
            });
        }
    };

    let at = meta.time.as_ref().map(parse_time).transpose()?;
    let service_tier = if batch {
        Some(ServiceTier::Batch)
    } else {
        meta.tier
    };

    Ok(ExtractedRef {
        shape,
        model: meta.model,
        at,
        usage,
        service_tier,
        reported_cost_usd_ticks,
        request_id: meta.id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendors_from_model_ids() {
        for (model, want) in [
            ("gpt-4o-2024-08-06", Vendor::OpenAi),
            ("o3-mini", Vendor::OpenAi),
            ("openai/gpt-5", Vendor::OpenAi),
            ("claude-sonnet-4-5", Vendor::Anthropic),
            (
                "us.anthropic.claude-3-5-sonnet-20241022-v2:0",
                Vendor::Anthropic,
            ),
            ("anthropic/claude-opus-4.1", Vendor::Anthropic),
            ("deepseek-reasoner", Vendor::DeepSeek),
            ("accounts/fireworks/models/deepseek-v3", Vendor::DeepSeek),
            ("grok-4-0709", Vendor::Xai),
            ("x-ai/grok-code-fast-1", Vendor::Xai),
            ("Mistral-Large-2411", Vendor::Mistral),
            ("open-mistral-nemo", Vendor::Mistral),
            ("voxtral-mini-latest", Vendor::Mistral),
            ("devstral-medium-2507", Vendor::Mistral),
            ("gemini-2.5-flash", Vendor::Google),
            ("llama-3.3-70b", Vendor::Unknown),
            ("", Vendor::Unknown),
        ] {
            assert_eq!(vendor(Some(model)), want, "{model}");
        }
        assert_eq!(vendor(None), Vendor::Unknown);
    }

    #[test]
    fn unix_time_scales() {
        let want = Timestamp::from_second(1_741_629_600).expect("valid");
        assert_eq!(from_unix(1_741_629_600), Some(want));
        assert_eq!(from_unix(1_741_629_600_000), Some(want));
        assert_eq!(from_unix(1_741_629_600_000_000), Some(want));
        assert_eq!(from_unix(1_741_629_600_000_000_000), Some(want));
    }
}
