//! From raw provider counts to disjoint billable buckets.
//!
//! The rules are those of the pricing reference (`pricing-rules.md` §1–7):
//! cached ⊂ prompt for OpenAI-style, DeepSeek, xAI and Gemini usage; Anthropic's
//! cache fields are *added* to `input_tokens`; reasoning ⊂ completion for
//! OpenAI-style usage but *added* to it for xAI chat and Gemini.

use jiff::{SignedDuration, Timestamp};
use llmcost_core::{ServiceTier, Usage};

use crate::error::{Error, Result};
use crate::raw::{Counts, Details, DocKind, Found, NodeOut, Path, TimeField, TimeRaw, Tok};
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
        let g = &c.gemini;
        Families {
            chat: c.prompt_tokens.is_present()
                || c.completion_tokens.is_present()
                || c.hit.is_present()
                || c.miss.is_present(),
            responses: c.input_tokens.is_present()
                || c.output_tokens.is_present()
                || c.cache_creation_input_tokens.is_present()
                || c.cache_read_input_tokens.is_present(),
            gemini: [g.prompt, g.cached, g.candidates, g.thoughts, g.tool_use]
                .iter()
                .any(|t| t.is_present()),
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

fn contains_ci(s: &str, needle: &str) -> bool {
    s.as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
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
    if contains_ci(m, "claude") {
        Vendor::Anthropic
    } else if starts_with_ci(m, "deepseek") {
        Vendor::DeepSeek
    } else if starts_with_ci(m, "grok") {
        Vendor::Xai
    } else if MISTRAL_PREFIXES.iter().any(|p| starts_with_ci(m, p)) {
        Vendor::Mistral
    } else if starts_with_ci(m, "gemini") || starts_with_ci(m, "gemma") {
        Vendor::Google
    } else if OPENAI_PREFIXES.iter().any(|p| starts_with_ci(m, p)) {
        Vendor::OpenAi
    } else {
        Vendor::Unknown
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
    let v = vendor(model);
    match fam.primary() {
        Some(Family::Chat) | None => {
            if c.hit.is_present() || c.miss.is_present() {
                Shape::DeepSeek
            } else if c.xai_marker {
                Shape::Xai
            } else if c.openrouter_marker {
                Shape::OpenRouter
            } else {
                match v {
                    Vendor::DeepSeek => Shape::DeepSeek,
                    Vendor::Xai => Shape::Xai,
                    Vendor::Mistral => Shape::Mistral,
                    _ => Shape::OpenAiChat,
                }
            }
        }
        Some(Family::Responses) => {
            let id = id.unwrap_or("");
            let anthropic_fields = c.cache_creation_input_tokens.is_present()
                || c.cache_read_input_tokens.is_present()
                || c.cache_creation.is_some()
                || c.anthropic_marker;
            let responses_fields = c.input_details.is_some()
                || c.output_details
                    .is_some_and(|d| d.reasoning_tokens.is_present())
                || c.total_tokens.is_present();
            if anthropic_fields {
                Shape::Anthropic
            } else if c.xai_marker || v == Vendor::Xai {
                Shape::Xai
            } else if c.openrouter_marker {
                Shape::OpenRouter
            } else if responses_fields || kind == DocKind::Responses || id.starts_with("resp_") {
                Shape::OpenAiResponses
            } else if v == Vendor::Anthropic || kind == DocKind::Anthropic || id.starts_with("msg_")
            {
                Shape::Anthropic
            } else if v == Vendor::OpenAi {
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

fn check(t: Tok, p: Path, name: &str) -> Result<()> {
    let problem = match t {
        Tok::Absent | Tok::Val(_) => return Ok(()),
        Tok::Neg(v) => format!("negative ({v})"),
        Tok::Frac(v) => format!("not an integer ({v})"),
        Tok::NotNumber(kind) => format!("{kind}, expected a non-negative integer"),
    };
    Err(Error::InvalidCount {
        field: p.join(name),
        problem,
    })
}

fn check_details(d: Option<Details>, p: Path, name: &str) -> Result<()> {
    let Some(d) = d else { return Ok(()) };
    for (t, leaf) in [
        (d.cached_tokens, "cached_tokens"),
        (d.cache_write_tokens, "cache_write_tokens"),
        (d.reasoning_tokens, "reasoning_tokens"),
        (d.ephemeral_5m_input_tokens, "ephemeral_5m_input_tokens"),
        (d.ephemeral_1h_input_tokens, "ephemeral_1h_input_tokens"),
    ] {
        if !matches!(t, Tok::Absent | Tok::Val(_)) {
            return check(t, p, &format!("{name}.{leaf}"));
        }
    }
    Ok(())
}

/// Every count of the usage object must be a non-negative integer.
fn validate(c: &Counts, p: Path) -> Result<()> {
    for (t, name) in [
        (c.prompt_tokens, "prompt_tokens"),
        (c.completion_tokens, "completion_tokens"),
        (c.total_tokens, "total_tokens"),
        (c.input_tokens, "input_tokens"),
        (c.output_tokens, "output_tokens"),
        (c.cache_creation_input_tokens, "cache_creation_input_tokens"),
        (c.cache_read_input_tokens, "cache_read_input_tokens"),
        (c.hit, "prompt_cache_hit_tokens"),
        (c.miss, "prompt_cache_miss_tokens"),
        (c.num_cached_tokens, "num_cached_tokens"),
    ] {
        check(t, p, name)?;
    }
    check_details(c.prompt_details, p, "prompt_tokens_details")?;
    check_details(c.completion_details, p, "completion_tokens_details")?;
    check_details(c.input_details, p, "input_tokens_details")?;
    check_details(c.output_details, p, "output_tokens_details")?;
    check_details(c.cache_creation, p, "cache_creation")?;
    let g = &c.gemini;
    let n = GeminiNames::of(g.snake);
    for (t, name) in [
        (g.prompt, n.prompt),
        (g.cached, n.cached),
        (g.candidates, n.candidates),
        (g.thoughts, n.thoughts),
        (g.tool_use, n.tool_use),
        (g.total, n.total),
    ] {
        check(t, p, name)?;
    }
    Ok(())
}

struct GeminiNames {
    prompt: &'static str,
    cached: &'static str,
    candidates: &'static str,
    thoughts: &'static str,
    tool_use: &'static str,
    total: &'static str,
}

impl GeminiNames {
    fn of(snake: bool) -> GeminiNames {
        if snake {
            GeminiNames {
                prompt: "prompt_token_count",
                cached: "cached_content_token_count",
                candidates: "candidates_token_count",
                thoughts: "thoughts_token_count",
                tool_use: "tool_use_prompt_token_count",
                total: "total_token_count",
            }
        } else {
            GeminiNames {
                prompt: "promptTokenCount",
                cached: "cachedContentTokenCount",
                candidates: "candidatesTokenCount",
                thoughts: "thoughtsTokenCount",
                tool_use: "toolUsePromptTokenCount",
                total: "totalTokenCount",
            }
        }
    }
}

/// `total − Σ parts`, where every part is a subset of `total`.
fn minus(p: Path, total: (Tok, &str), parts: &[(Tok, &str)]) -> Result<u64> {
    let mut sum: u64 = 0;
    for &(t, name) in parts {
        sum = sum.checked_add(t.get()).ok_or_else(|| Error::Overflow {
            field: p.join(name),
        })?;
    }
    let (total_tok, total_name) = total;
    let total_value = total_tok.get();
    if let Some(rest) = total_value.checked_sub(sum) {
        return Ok(rest);
    }
    let mut nonzero = parts.iter().filter(|(t, _)| t.get() > 0);
    let first = nonzero.next();
    if !total_tok.is_present()
        && let Some(&(t, name)) = first
    {
        return Err(Error::MissingTotal {
            part: p.join(name),
            part_value: t.get(),
            total: p.join(total_name),
        });
    }
    let rest: Vec<&(Tok, &str)> = nonzero.collect();
    match (first, rest.is_empty()) {
        (Some(&(t, name)), true) => Err(Error::SubsetTooLarge {
            part: p.join(name),
            part_value: t.get(),
            total: p.join(total_name),
            total_value,
        }),
        _ => Err(Error::SubsetsTooLarge {
            parts: parts
                .iter()
                .filter(|(t, _)| t.get() > 0)
                .map(|(_, name)| p.join(name))
                .collect(),
            sum,
            total: p.join(total_name),
            total_value,
        }),
    }
}

fn plus(p: Path, a: u64, b: (Tok, &str)) -> Result<u64> {
    a.checked_add(b.0.get())
        .ok_or_else(|| Error::Overflow { field: p.join(b.1) })
}

// ---------------------------------------------------------------------------
// Per-family rules

/// Chat Completions and its compatibles (DeepSeek, xAI, Mistral, OpenRouter).
fn chat(c: &Counts, p: Path, shape: Shape) -> Result<Usage> {
    let pd = c.prompt_details.unwrap_or_default();
    let cd = c.completion_details.unwrap_or_default();
    let prompt = (c.prompt_tokens, "prompt_tokens");
    let completion = (c.completion_tokens, "completion_tokens");
    let cached = if pd.cached_tokens.is_present() || !c.num_cached_tokens.is_present() {
        (pd.cached_tokens, "prompt_tokens_details.cached_tokens")
    } else {
        (c.num_cached_tokens, "num_cached_tokens")
    };
    let write = (
        pd.cache_write_tokens,
        "prompt_tokens_details.cache_write_tokens",
    );
    let reasoning = (
        cd.reasoning_tokens,
        "completion_tokens_details.reasoning_tokens",
    );

    let mut u = Usage::default();
    if shape == Shape::DeepSeek && (c.hit.is_present() || c.miss.is_present()) {
        // DeepSeek bills hit + miss; hit ⊂ prompt.
        let hit = (c.hit, "prompt_cache_hit_tokens");
        let uncached = minus(p, prompt, &[hit])?;
        u.cache_read = c.hit.get();
        u.input = if c.miss.is_present() {
            c.miss.get()
        } else {
            uncached
        };
    } else {
        u.input = minus(p, prompt, &[cached, write])?;
        u.cache_read = cached.0.get();
        u.cache_write = write.0.get();
    }
    u.reasoning = reasoning.0.get();
    u.output = if shape == Shape::Xai {
        // xAI counts reasoning apart from `completion_tokens`.
        c.completion_tokens.get()
    } else {
        minus(p, completion, &[reasoning])?
    };
    Ok(u)
}

/// OpenAI Responses (and xAI / OpenRouter Responses).
fn responses(c: &Counts, p: Path, shape: Shape) -> Result<Usage> {
    let id = c.input_details.unwrap_or_default();
    let od = c.output_details.unwrap_or_default();
    let input = (c.input_tokens, "input_tokens");
    let output = (c.output_tokens, "output_tokens");
    let cached = (id.cached_tokens, "input_tokens_details.cached_tokens");
    let write = (
        id.cache_write_tokens,
        "input_tokens_details.cache_write_tokens",
    );
    let reasoning = (
        od.reasoning_tokens,
        "output_tokens_details.reasoning_tokens",
    );

    let mut u = Usage {
        input: minus(p, input, &[cached, write])?,
        cache_read: cached.0.get(),
        cache_write: write.0.get(),
        reasoning: reasoning.0.get(),
        ..Usage::default()
    };
    // xAI's Responses API is read like OpenAI's (reasoning ⊂ output), unless
    // `total_tokens` shows reasoning was counted apart, as in xAI chat.
    let additive = shape == Shape::Xai
        && u.reasoning > 0
        && c.total_tokens.is_present()
        && c.input_tokens
            .get()
            .checked_add(c.output_tokens.get())
            .and_then(|s| s.checked_add(u.reasoning))
            == Some(c.total_tokens.get());
    u.output = if additive {
        c.output_tokens.get()
    } else {
        minus(p, output, &[reasoning])?
    };
    Ok(u)
}

/// Anthropic Messages: cache reads and writes are added to `input_tokens`.
fn anthropic(c: &Counts, p: Path) -> Result<Usage> {
    let mut u = Usage {
        input: c.input_tokens.get(),
        cache_read: c.cache_read_input_tokens.get(),
        output: c.output_tokens.get(),
        ..Usage::default()
    };
    let creation = (c.cache_creation_input_tokens, "cache_creation_input_tokens");
    match c.cache_creation {
        Some(cc)
            if cc.ephemeral_5m_input_tokens.is_present()
                || cc.ephemeral_1h_input_tokens.is_present() =>
        {
            let m5 = (
                cc.ephemeral_5m_input_tokens,
                "cache_creation.ephemeral_5m_input_tokens",
            );
            let h1 = (
                cc.ephemeral_1h_input_tokens,
                "cache_creation.ephemeral_1h_input_tokens",
            );
            // Writes the split does not attribute to a TTL bill as 5-minute
            // writes, the default TTL.
            let unattributed = if creation.0.is_present() {
                minus(p, creation, &[m5, h1])?
            } else {
                0
            };
            u.cache_write = plus(p, unattributed, m5)?;
            u.cache_write_1h = h1.0.get();
        }
        _ => u.cache_write = creation.0.get(),
    }
    Ok(u)
}

/// Gemini `usageMetadata`: cached ⊂ prompt, thoughts added to candidates.
fn gemini(c: &Counts, p: Path) -> Result<Usage> {
    let g = &c.gemini;
    let n = GeminiNames::of(g.snake);
    let uncached = minus(p, (g.prompt, n.prompt), &[(g.cached, n.cached)])?;
    Ok(Usage {
        input: plus(p, uncached, (g.tool_use, n.tool_use))?,
        cache_read: g.cached.get(),
        output: g.candidates.get(),
        reasoning: g.thoughts.get(),
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

fn parse_time(t: &TimeField<'_>) -> Result<Timestamp> {
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
        value: match &t.raw {
            TimeRaw::Int(n) => n.to_string(),
            TimeRaw::Float(f) => f.to_string(),
            TimeRaw::Text(s) => format!("{s:?}"),
            TimeRaw::Other(kind) => (*kind).to_owned(),
        },
    })
}

// ---------------------------------------------------------------------------

/// Turns what the walker found into the public result.
pub(crate) fn finish(out: NodeOut<'_>, hint: Option<Shape>) -> Result<ExtractedRef<'_>> {
    let found = match out {
        NodeOut::Found(f) => f,
        NodeOut::Empty { null_usage } => {
            return Err(Error::NoUsage {
                null_usage: null_usage.map(|p| p.to_string()),
            });
        }
        NodeOut::NotObject(found) => return Err(Error::NotAnObject { found }),
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
    let usage = match (family, shape) {
        (Family::Gemini, _) => gemini(&c, p)?,
        (Family::Responses, Shape::Anthropic) => anthropic(&c, p)?,
        (Family::Responses, _) => responses(&c, p, shape)?,
        (Family::Chat, _) => chat(&c, p, shape)?,
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
        Tok::Frac(_) | Tok::NotNumber(_) => {
            return Err(match check(c.cost_ticks, p, "cost_in_usd_ticks") {
                Err(Error::InvalidCount { field, problem }) => {
                    Error::InvalidCost { field, problem }
                }
                _ => Error::InvalidCost {
                    field: p.join("cost_in_usd_ticks"),
                    problem: "not an integer".to_owned(),
                },
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
