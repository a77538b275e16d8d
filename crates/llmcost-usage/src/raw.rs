//! The serde layer: one typed pass over a document that keeps only what pricing
//! needs and skips everything else.
//!
//! Nothing here allocates on the hot path: keys are classified without being
//! copied, strings are borrowed from the input (an escaped string is the only
//! exception), wrappers are walked recursively on the stack, and token counts
//! are kept raw ([`Tok`]) so that a bad value can later be reported with its
//! full field path instead of a bare serde message.

use std::borrow::Cow;
use std::fmt;

use llmcost_core::ServiceTier;
use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// Wrapper objects (`response`, `body`, `message`, `result`) are followed this
/// many levels deep, the document itself included.
pub(crate) const MAX_DEPTH: u8 = 5;

// ---------------------------------------------------------------------------
// Paths

/// A wrapper or usage key on the way to a field.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum Seg {
    #[default]
    Response,
    Body,
    Message,
    Result,
    Usage,
    UsageMetadata,
    UsageMetadataSnake,
}

impl Seg {
    fn name(self) -> &'static str {
        match self {
            Seg::Response => "response",
            Seg::Body => "body",
            Seg::Message => "message",
            Seg::Result => "result",
            Seg::Usage => "usage",
            Seg::UsageMetadata => "usageMetadata",
            Seg::UsageMetadataSnake => "usage_metadata",
        }
    }
}

/// A dotted path to a field (`response.usage`), built without allocating.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Path {
    segs: [Seg; 7],
    len: u8,
}

impl Path {
    /// The path with one more segment (silently capped at seven segments).
    #[must_use]
    pub(crate) fn push(mut self, seg: Seg) -> Path {
        if let Some(slot) = self.segs.get_mut(usize::from(self.len)) {
            *slot = seg;
            self.len += 1;
        }
        self
    }

    fn segs(&self) -> &[Seg] {
        self.segs.get(..usize::from(self.len)).unwrap_or(&[])
    }

    /// The full dotted name of `leaf` under this path.
    pub(crate) fn join(&self, leaf: &str) -> String {
        let mut s = String::new();
        for seg in self.segs() {
            s.push_str(seg.name());
            s.push('.');
        }
        s.push_str(leaf);
        s
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.segs().iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            f.write_str(seg.name())?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Scalars

/// A raw token count, validated later so errors can name the field.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) enum Tok {
    /// Not in the document, or `null`.
    #[default]
    Absent,
    /// A non-negative integer.
    Val(u64),
    /// A negative integer.
    Neg(i64),
    /// A number with a fractional part (or too large for `u64`).
    Frac(f64),
    /// Not a number at all: what it was instead.
    NotNumber(&'static str),
}

/// The largest integer an `f64` holds exactly (2^53).
const F64_EXACT_INT: f64 = 9_007_199_254_740_992.0;

impl<'de> Deserialize<'de> for Tok {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TokVisitor)
    }
}

struct TokVisitor;

impl<'de> Visitor<'de> for TokVisitor {
    type Value = Tok;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a token count")
    }
    fn visit_u64<E>(self, v: u64) -> Result<Tok, E> {
        Ok(Tok::Val(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Tok, E> {
        Ok(u64::try_from(v).map_or(Tok::Neg(v), Tok::Val))
    }
    fn visit_u128<E>(self, v: u128) -> Result<Tok, E> {
        Ok(u64::try_from(v).map_or(Tok::NotNumber("a number too large for 64 bits"), Tok::Val))
    }
    fn visit_i128<E>(self, v: i128) -> Result<Tok, E> {
        Ok(match u64::try_from(v) {
            Ok(v) => Tok::Val(v),
            Err(_) => match i64::try_from(v) {
                Ok(n) => Tok::Neg(n),
                Err(_) => Tok::NotNumber("a number too large for 64 bits"),
            },
        })
    }
    fn visit_f64<E>(self, v: f64) -> Result<Tok, E> {
        // `12.0` is an integer written as a float (some loggers do that).
        if (0.0..=F64_EXACT_INT).contains(&v) && v.fract() == 0.0 {
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "integral, non-negative and at most 2^53"
            )]
            return Ok(Tok::Val(v as u64));
        }
        Ok(Tok::Frac(v))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Tok, E> {
        Ok(Tok::NotNumber("a boolean"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Tok, E> {
        // Protobuf's JSON mapping writes 64-bit integers as digit strings.
        if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(v
                .parse::<u64>()
                .map_or(Tok::NotNumber("a number too large for 64 bits"), Tok::Val));
        }
        Ok(Tok::NotNumber("a string"))
    }
    fn visit_unit<E>(self) -> Result<Tok, E> {
        Ok(Tok::Absent)
    }
    fn visit_none<E>(self) -> Result<Tok, E> {
        Ok(Tok::Absent)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Tok, D::Error> {
        Tok::deserialize(d)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Tok, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Tok::NotNumber("an object"))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Tok, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Tok::NotNumber("an array"))
    }
}

/// A string borrowed from the input when it has no escapes; anything that is
/// not a string reads as `None`.
pub(crate) struct OptStr<'de>(pub(crate) Option<Cow<'de, str>>);

impl<'de> Deserialize<'de> for OptStr<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(OptStrVisitor)
    }
}

struct OptStrVisitor;

impl<'de> Visitor<'de> for OptStrVisitor {
    type Value = OptStr<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(OptStr(Some(Cow::Borrowed(v))))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(OptStr(Some(Cow::Owned(v.to_owned()))))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(OptStr(Some(Cow::Owned(v))))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(OptStr(None))
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(OptStr(None))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        OptStr::deserialize(d)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(OptStr(None))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(OptStr(None))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(OptStr(None))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(OptStr(None))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(OptStr(None))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(OptStr(None))
    }
}

/// A raw time value (`created`, `created_at`, `timestamp`, `createTime`).
#[derive(Debug, Clone)]
pub(crate) enum TimeRaw<'de> {
    Int(i64),
    Float(f64),
    Text(Cow<'de, str>),
    Other(&'static str),
}

impl TimeRaw<'_> {
    fn into_owned(self) -> TimeRaw<'static> {
        match self {
            TimeRaw::Int(v) => TimeRaw::Int(v),
            TimeRaw::Float(v) => TimeRaw::Float(v),
            TimeRaw::Text(s) => TimeRaw::Text(Cow::Owned(s.into_owned())),
            TimeRaw::Other(k) => TimeRaw::Other(k),
        }
    }
}

/// `null` or missing reads as `None`.
pub(crate) struct TimeVal<'de>(Option<TimeRaw<'de>>);

impl<'de> Deserialize<'de> for TimeVal<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TimeVisitor)
    }
}

struct TimeVisitor;

impl<'de> Visitor<'de> for TimeVisitor {
    type Value = TimeVal<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a timestamp")
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(TimeVal(Some(i64::try_from(v).map_or(
            TimeRaw::Other("a number out of range"),
            TimeRaw::Int,
        ))))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(TimeVal(Some(TimeRaw::Int(v))))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(TimeVal(Some(TimeRaw::Float(v))))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(TimeVal(Some(TimeRaw::Text(Cow::Borrowed(v)))))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(TimeVal(Some(TimeRaw::Text(Cow::Owned(v.to_owned())))))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(TimeVal(Some(TimeRaw::Text(Cow::Owned(v)))))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(TimeVal(None))
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(TimeVal(None))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        TimeVal::deserialize(d)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(TimeVal(Some(TimeRaw::Other("a boolean"))))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(TimeVal(Some(TimeRaw::Other("an object"))))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(TimeVal(Some(TimeRaw::Other("an array"))))
    }
}

/// A reported cost in USD (OpenRouter `cost`), kept as an exact integer or as
/// the float serde_json parsed; see [`CostNum::to_ticks`].
#[derive(Debug, Clone, Copy)]
pub(crate) enum CostNum {
    Int(i128),
    Float(f64),
    Other(&'static str),
}

/// `null` reads as `None`.
struct OptCost(Option<CostNum>);

impl<'de> Deserialize<'de> for OptCost {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(CostVisitor).map(OptCost)
    }
}

struct CostVisitor;

impl<'de> Visitor<'de> for CostVisitor {
    type Value = Option<CostNum>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a cost")
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(CostNum::Int(i128::from(v))))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(CostNum::Int(i128::from(v))))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(CostNum::Float(v)))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(CostVisitor)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Some(CostNum::Other("a boolean")))
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Some(CostNum::Other("a string")))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Some(CostNum::Other("an object")))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Some(CostNum::Other("an array")))
    }
}

/// 1 USD = 10^10 ticks.
pub(crate) const TICKS_PER_USD: i128 = 10_000_000_000;

impl CostNum {
    /// The cost in ticks, or what is wrong with it.
    ///
    /// A float is turned back into its decimal text with Rust's shortest
    /// round-trip formatting, which gives back the digits of the JSON text for
    /// any value written with up to 15 significant digits; the text is then
    /// scaled by 10^10 in integers, rounding half away from zero past the tenth
    /// decimal. No float arithmetic is done on the amount.
    pub(crate) fn to_ticks(self) -> Result<i64, String> {
        let ticks = match self {
            CostNum::Int(v) => v.checked_mul(TICKS_PER_USD),
            CostNum::Float(v) => {
                if !v.is_finite() {
                    return Err("not a finite number".to_owned());
                }
                let mut buf = StackBuf::default();
                fmt::write(&mut buf, format_args!("{v}")).map_err(|_| "too many digits")?;
                decimal_text_to_ticks(buf.as_str())
            }
            CostNum::Other(kind) => return Err(format!("{kind}, expected a number")),
        };
        ticks
            .and_then(|t| i64::try_from(t).ok())
            .ok_or_else(|| "out of range".to_owned())
    }
}

/// Parses `-?digits(.digits)?` into ticks (10^-10), rounding half away from zero.
fn decimal_text_to_ticks(s: &str) -> Option<i128> {
    let (neg, s) = s.strip_prefix('-').map_or((false, s), |r| (true, r));
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let mut ticks: i128 = 0;
    for b in int.bytes() {
        ticks = ticks
            .checked_mul(10)?
            .checked_add(i128::from(b.checked_sub(b'0').filter(|d| *d <= 9)?))?;
    }
    ticks = ticks.checked_mul(TICKS_PER_USD)?;
    let mut scale = TICKS_PER_USD;
    let mut round_up = false;
    for (i, b) in frac.bytes().enumerate() {
        let d = i128::from(b.checked_sub(b'0').filter(|d| *d <= 9)?);
        if i < 10 {
            scale /= 10;
            ticks = ticks.checked_add(d.checked_mul(scale)?)?;
        } else {
            round_up = d >= 5;
            break;
        }
    }
    if round_up {
        ticks = ticks.checked_add(1)?;
    }
    Some(if neg { -ticks } else { ticks })
}

/// A small stack buffer for formatting one number.
struct StackBuf {
    buf: [u8; 400],
    len: usize,
}

impl Default for StackBuf {
    fn default() -> Self {
        StackBuf {
            buf: [0; 400],
            len: 0,
        }
    }
}

impl StackBuf {
    fn as_str(&self) -> &str {
        self.buf
            .get(..self.len)
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or("")
    }
}

impl fmt::Write for StackBuf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(fmt::Error)?;
        let dst = self.buf.get_mut(self.len..end).ok_or(fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// A service tier named in a response, without allocating. Unknown names
/// (OpenAI `scale`, Vertex `PROVISIONED_THROUGHPUT`) read as `None`.
pub(crate) fn parse_tier(s: &str) -> Option<ServiceTier> {
    const TIERS: &[(&str, ServiceTier)] = &[
        ("default", ServiceTier::Standard),
        ("standard", ServiceTier::Standard),
        ("auto", ServiceTier::Standard),
        ("on_demand", ServiceTier::Standard),
        ("priority", ServiceTier::Priority),
        ("fast", ServiceTier::Priority),
        ("on_demand_priority", ServiceTier::Priority),
        ("flex", ServiceTier::Flex),
        ("on_demand_flex", ServiceTier::Flex),
        ("batch", ServiceTier::Batch),
    ];
    TIERS
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(s))
        .map(|&(_, t)| t)
}

// ---------------------------------------------------------------------------
// Keys

/// What a document says it is (`type` / `object`), used to tell Anthropic from
/// OpenAI Responses when the usage fields alone cannot.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum DocKind {
    #[default]
    Unknown,
    Chat,
    Responses,
    Anthropic,
}

fn doc_kind(s: &str) -> DocKind {
    match s {
        "message" | "message_start" | "message_delta" => DocKind::Anthropic,
        "response" => DocKind::Responses,
        "text_completion" => DocKind::Chat,
        _ if s.starts_with("response.") => DocKind::Responses,
        _ if s.starts_with("chat.completion") => DocKind::Chat,
        _ => DocKind::Unknown,
    }
}

/// One token count of a usage object, wherever it is nested.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Slot {
    PromptTokens,
    CompletionTokens,
    TotalTokens,
    InputTokens,
    OutputTokens,
    CacheCreationInput,
    CacheReadInput,
    Hit,
    Miss,
    NumCached,
    PromptCached,
    PromptCacheWrite,
    CompletionReasoning,
    InputCached,
    InputCacheWrite,
    OutputReasoning,
    Ephemeral5m,
    Ephemeral1h,
    GPrompt,
    GCached,
    GCandidates,
    GThoughts,
    GToolUse,
    GTotal,
    /// `prompt_tokens_details.audio_tokens` (⊂ prompt).
    PromptAudio,
    /// `prompt_tokens_details.image_tokens` (⊂ prompt).
    PromptImage,
    /// `completion_tokens_details.audio_tokens` (⊂ completion).
    CompletionAudio,
    /// Realtime `input_token_details.cached_tokens` (⊂ input).
    RtCached,
    /// Realtime `input_token_details.audio_tokens` (⊂ input, cached audio included).
    RtAudio,
    /// Realtime `input_token_details.image_tokens` (⊂ input, cached images included).
    RtImage,
    /// Realtime `input_token_details.cached_tokens_details.audio_tokens` (⊂ cached).
    RtCachedAudio,
    /// Realtime `input_token_details.cached_tokens_details.image_tokens` (⊂ cached).
    RtCachedImage,
    /// Realtime `output_token_details.audio_tokens` (⊂ output).
    RtOutAudio,
    /// Gemini `promptTokensDetails` AUDIO (⊂ prompt, cached audio included).
    GPromptAudio,
    /// Gemini `cacheTokensDetails` AUDIO (⊂ cached).
    GCachedAudio,
    /// Gemini `candidatesTokensDetails` AUDIO (⊂ candidates).
    GCandAudio,
    /// Gemini `candidatesTokensDetails` IMAGE (⊂ candidates).
    GCandImage,
    /// `input_tokens_details.image_tokens` (Images API, ⊂ input).
    InputImage,
    /// `input_tokens_details.text_tokens` (only the Images API reports it).
    InputText,
    /// `output_tokens_details.image_tokens` (⊂ output).
    OutputImage,
    /// xAI native (gRPC SDK) `cached_prompt_text_tokens` (⊂ prompt).
    XaiCachedText,
    /// xAI native (gRPC SDK) `reasoning_tokens` beside `completion_tokens` (not in it).
    XaiReasoning,
}

impl Slot {
    const COUNT: usize = 42;

    /// Counts that decide a bucket: one of them makes an object a usage object.
    const PRIMARY: u64 = Slot::PromptTokens.bit()
        | Slot::CompletionTokens.bit()
        | Slot::InputTokens.bit()
        | Slot::OutputTokens.bit()
        | Slot::CacheCreationInput.bit()
        | Slot::CacheReadInput.bit()
        | Slot::Hit.bit()
        | Slot::Miss.bit()
        | Slot::GEMINI;

    /// Gemini's counts.
    pub(crate) const GEMINI: u64 = Slot::GPrompt.bit()
        | Slot::GCached.bit()
        | Slot::GCandidates.bit()
        | Slot::GThoughts.bit()
        | Slot::GToolUse.bit();

    const fn bit(self) -> u64 {
        1 << self as u64
    }

    /// The field's path inside the usage object (Gemini: camelCase, or the
    /// python-genai snake_case when that is what the document used).
    pub(crate) fn name(self, snake: bool) -> &'static str {
        match (self, snake) {
            (Slot::PromptTokens, _) => "prompt_tokens",
            (Slot::CompletionTokens, _) => "completion_tokens",
            (Slot::TotalTokens, _) => "total_tokens",
            (Slot::InputTokens, _) => "input_tokens",
            (Slot::OutputTokens, _) => "output_tokens",
            (Slot::CacheCreationInput, _) => "cache_creation_input_tokens",
            (Slot::CacheReadInput, _) => "cache_read_input_tokens",
            (Slot::Hit, _) => "prompt_cache_hit_tokens",
            (Slot::Miss, _) => "prompt_cache_miss_tokens",
            (Slot::NumCached, _) => "num_cached_tokens",
            (Slot::PromptCached, _) => "prompt_tokens_details.cached_tokens",
            (Slot::PromptCacheWrite, _) => "prompt_tokens_details.cache_write_tokens",
            (Slot::CompletionReasoning, _) => "completion_tokens_details.reasoning_tokens",
            (Slot::InputCached, _) => "input_tokens_details.cached_tokens",
            (Slot::InputCacheWrite, _) => "input_tokens_details.cache_write_tokens",
            (Slot::OutputReasoning, _) => "output_tokens_details.reasoning_tokens",
            (Slot::Ephemeral5m, _) => "cache_creation.ephemeral_5m_input_tokens",
            (Slot::Ephemeral1h, _) => "cache_creation.ephemeral_1h_input_tokens",
            (Slot::GPrompt, false) => "promptTokenCount",
            (Slot::GPrompt, true) => "prompt_token_count",
            (Slot::GCached, false) => "cachedContentTokenCount",
            (Slot::GCached, true) => "cached_content_token_count",
            (Slot::GCandidates, false) => "candidatesTokenCount",
            (Slot::GCandidates, true) => "candidates_token_count",
            (Slot::GThoughts, false) => "thoughtsTokenCount",
            (Slot::GThoughts, true) => "thoughts_token_count",
            (Slot::GToolUse, false) => "toolUsePromptTokenCount",
            (Slot::GToolUse, true) => "tool_use_prompt_token_count",
            (Slot::GTotal, false) => "totalTokenCount",
            (Slot::GTotal, true) => "total_token_count",
            (Slot::PromptAudio, _) => "prompt_tokens_details.audio_tokens",
            (Slot::PromptImage, _) => "prompt_tokens_details.image_tokens",
            (Slot::CompletionAudio, _) => "completion_tokens_details.audio_tokens",
            (Slot::RtCached, _) => "input_token_details.cached_tokens",
            (Slot::RtAudio, _) => "input_token_details.audio_tokens",
            (Slot::RtImage, _) => "input_token_details.image_tokens",
            (Slot::RtCachedAudio, _) => "input_token_details.cached_tokens_details.audio_tokens",
            (Slot::RtCachedImage, _) => "input_token_details.cached_tokens_details.image_tokens",
            (Slot::RtOutAudio, _) => "output_token_details.audio_tokens",
            (Slot::GPromptAudio, false) => "promptTokensDetails[AUDIO].tokenCount",
            (Slot::GPromptAudio, true) => "prompt_tokens_details[AUDIO].token_count",
            (Slot::GCachedAudio, false) => "cacheTokensDetails[AUDIO].tokenCount",
            (Slot::GCachedAudio, true) => "cache_tokens_details[AUDIO].token_count",
            (Slot::GCandAudio, false) => "candidatesTokensDetails[AUDIO].tokenCount",
            (Slot::GCandAudio, true) => "candidates_tokens_details[AUDIO].token_count",
            (Slot::GCandImage, false) => "candidatesTokensDetails[IMAGE].tokenCount",
            (Slot::GCandImage, true) => "candidates_tokens_details[IMAGE].token_count",
            (Slot::InputImage, _) => "input_tokens_details.image_tokens",
            (Slot::InputText, _) => "input_tokens_details.text_tokens",
            (Slot::OutputImage, _) => "output_tokens_details.image_tokens",
            (Slot::XaiCachedText, _) => "cached_prompt_text_tokens",
            (Slot::XaiReasoning, _) => "reasoning_tokens",
        }
    }
}

/// A nested details object of a usage object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DetailsKind {
    /// `prompt_tokens_details`
    Prompt,
    /// `completion_tokens_details`
    Completion,
    /// `input_tokens_details`
    Input,
    /// `output_tokens_details`
    Output,
    /// `cache_creation` (Anthropic's TTL split)
    CacheCreation,
    /// Realtime `input_token_details`
    RtInput,
    /// Realtime `input_token_details.cached_tokens_details`
    RtCached,
    /// Realtime `output_token_details`
    RtOutput,
    /// Gemini `cacheTokensDetails` (a modality list)
    GCache,
    /// Gemini `candidatesTokensDetails` (a modality list)
    GCandidates,
}

/// A key inside a details object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DKey {
    Cached,
    CacheWrite,
    Reasoning,
    Ephemeral5m,
    Ephemeral1h,
    Audio,
    Image,
    Text,
    CachedDetails,
    Other,
}

impl DetailsKind {
    fn slot(self, k: DKey) -> Option<Slot> {
        Some(match (self, k) {
            (DetailsKind::Prompt, DKey::Cached) => Slot::PromptCached,
            (DetailsKind::Prompt, DKey::CacheWrite) => Slot::PromptCacheWrite,
            (DetailsKind::Completion, DKey::Reasoning) => Slot::CompletionReasoning,
            (DetailsKind::Input, DKey::Cached) => Slot::InputCached,
            (DetailsKind::Input, DKey::CacheWrite) => Slot::InputCacheWrite,
            (DetailsKind::Output, DKey::Reasoning) => Slot::OutputReasoning,
            (DetailsKind::CacheCreation, DKey::Ephemeral5m) => Slot::Ephemeral5m,
            (DetailsKind::CacheCreation, DKey::Ephemeral1h) => Slot::Ephemeral1h,
            (DetailsKind::Prompt, DKey::Audio) => Slot::PromptAudio,
            (DetailsKind::Prompt, DKey::Image) => Slot::PromptImage,
            (DetailsKind::Completion, DKey::Audio) => Slot::CompletionAudio,
            (DetailsKind::RtInput, DKey::Cached) => Slot::RtCached,
            (DetailsKind::RtInput, DKey::Audio) => Slot::RtAudio,
            (DetailsKind::RtInput, DKey::Image) => Slot::RtImage,
            (DetailsKind::RtCached, DKey::Audio) => Slot::RtCachedAudio,
            (DetailsKind::RtCached, DKey::Image) => Slot::RtCachedImage,
            (DetailsKind::RtOutput, DKey::Audio) => Slot::RtOutAudio,
            (DetailsKind::Input, DKey::Image) => Slot::InputImage,
            (DetailsKind::Input, DKey::Text) => Slot::InputText,
            (DetailsKind::Output, DKey::Image) => Slot::OutputImage,
            _ => return None,
        })
    }
}

impl<'de> Deserialize<'de> for DKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_bytes(DKeyVisitor)
    }
}

struct DKeyVisitor;

impl DKeyVisitor {
    fn classify(k: &[u8]) -> DKey {
        match k {
            b"cached_tokens" => DKey::Cached,
            b"cache_write_tokens" => DKey::CacheWrite,
            b"reasoning_tokens" => DKey::Reasoning,
            b"ephemeral_5m_input_tokens" => DKey::Ephemeral5m,
            b"ephemeral_1h_input_tokens" => DKey::Ephemeral1h,
            b"audio_tokens" => DKey::Audio,
            b"image_tokens" => DKey::Image,
            b"text_tokens" => DKey::Text,
            b"cached_tokens_details" => DKey::CachedDetails,
            _ => DKey::Other,
        }
    }
}

impl Visitor<'_> for DKeyVisitor {
    type Value = DKey;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }
    fn visit_str<E>(self, v: &str) -> Result<DKey, E> {
        Ok(Self::classify(v.as_bytes()))
    }
    fn visit_bytes<E>(self, v: &[u8]) -> Result<DKey, E> {
        Ok(Self::classify(v))
    }
}

/// A key of a usage object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CountKey {
    /// A count directly in the usage object.
    Slot(Slot),
    /// A Gemini count, and whether it is spelt in snake_case.
    Gemini(Slot, bool),
    /// A nested details object.
    Details(DetailsKind),
    CostTicks,
    Cost,
    XaiMarker,
    OpenRouterMarker,
    AnthropicMarker,
    TrafficType,
}

/// A key of any object the walker looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Key {
    Id,
    ResponseId,
    Model,
    ModelVersion,
    /// A time field, with its preference (lower wins).
    Time(&'static str, u8),
    ServiceTier,
    Kind,
    CustomId,
    /// An API error object (`"error": {"message": ...}`).
    ApiError,
    /// A usage object, with its preference (lower wins).
    Usage(Seg, u8),
    /// A wrapper that may hold the document.
    Child(Seg),
    Count(CountKey),
    Other,
}

fn classify(k: &[u8]) -> Key {
    use CountKey as C;
    match k {
        b"id" => Key::Id,
        b"responseId" | b"response_id" => Key::ResponseId,
        b"model" => Key::Model,
        b"modelVersion" | b"model_version" => Key::ModelVersion,
        b"created" => Key::Time("created", 0),
        b"created_at" => Key::Time("created_at", 1),
        b"createTime" => Key::Time("createTime", 2),
        b"create_time" => Key::Time("create_time", 2),
        b"timestamp" => Key::Time("timestamp", 3),
        b"service_tier" => Key::ServiceTier,
        b"type" | b"object" => Key::Kind,
        b"custom_id" => Key::CustomId,
        b"error" => Key::ApiError,
        b"usage" => Key::Usage(Seg::Usage, 0),
        b"usageMetadata" => Key::Usage(Seg::UsageMetadata, 1),
        b"usage_metadata" => Key::Usage(Seg::UsageMetadataSnake, 1),
        b"response" => Key::Child(Seg::Response),
        b"body" => Key::Child(Seg::Body),
        b"message" => Key::Child(Seg::Message),
        b"result" => Key::Child(Seg::Result),
        b"prompt_tokens" => Key::Count(C::Slot(Slot::PromptTokens)),
        b"completion_tokens" => Key::Count(C::Slot(Slot::CompletionTokens)),
        b"total_tokens" => Key::Count(C::Slot(Slot::TotalTokens)),
        b"input_tokens" => Key::Count(C::Slot(Slot::InputTokens)),
        b"output_tokens" => Key::Count(C::Slot(Slot::OutputTokens)),
        b"cache_creation_input_tokens" => Key::Count(C::Slot(Slot::CacheCreationInput)),
        b"cache_read_input_tokens" => Key::Count(C::Slot(Slot::CacheReadInput)),
        b"prompt_cache_hit_tokens" => Key::Count(C::Slot(Slot::Hit)),
        b"prompt_cache_miss_tokens" => Key::Count(C::Slot(Slot::Miss)),
        b"num_cached_tokens" => Key::Count(C::Slot(Slot::NumCached)),
        b"cached_prompt_text_tokens" => Key::Count(C::Slot(Slot::XaiCachedText)),
        b"reasoning_tokens" => Key::Count(C::Slot(Slot::XaiReasoning)),
        b"prompt_tokens_details" => Key::Count(C::Details(DetailsKind::Prompt)),
        b"completion_tokens_details" => Key::Count(C::Details(DetailsKind::Completion)),
        b"input_tokens_details" => Key::Count(C::Details(DetailsKind::Input)),
        b"output_tokens_details" => Key::Count(C::Details(DetailsKind::Output)),
        b"cache_creation" => Key::Count(C::Details(DetailsKind::CacheCreation)),
        b"input_token_details" => Key::Count(C::Details(DetailsKind::RtInput)),
        b"output_token_details" => Key::Count(C::Details(DetailsKind::RtOutput)),
        // Gemini's modality lists (`prompt_tokens_details` is also the
        // snake_case spelling: an array there is Gemini's, an object OpenAI's).
        b"promptTokensDetails" => Key::Count(C::Details(DetailsKind::Prompt)),
        b"cacheTokensDetails" | b"cache_tokens_details" => {
            Key::Count(C::Details(DetailsKind::GCache))
        }
        b"candidatesTokensDetails" | b"candidates_tokens_details" => {
            Key::Count(C::Details(DetailsKind::GCandidates))
        }
        b"cost_in_usd_ticks" => Key::Count(C::CostTicks),
        b"num_sources_used" | b"num_server_side_tools_used" => Key::Count(C::XaiMarker),
        b"cost" => Key::Count(C::Cost),
        b"cost_details" | b"is_byok" => Key::Count(C::OpenRouterMarker),
        b"server_tool_use" | b"inference_geo" => Key::Count(C::AnthropicMarker),
        b"promptTokenCount" => Key::Count(C::Gemini(Slot::GPrompt, false)),
        b"prompt_token_count" => Key::Count(C::Gemini(Slot::GPrompt, true)),
        b"cachedContentTokenCount" => Key::Count(C::Gemini(Slot::GCached, false)),
        b"cached_content_token_count" => Key::Count(C::Gemini(Slot::GCached, true)),
        b"candidatesTokenCount" => Key::Count(C::Gemini(Slot::GCandidates, false)),
        b"candidates_token_count" => Key::Count(C::Gemini(Slot::GCandidates, true)),
        b"thoughtsTokenCount" => Key::Count(C::Gemini(Slot::GThoughts, false)),
        b"thoughts_token_count" => Key::Count(C::Gemini(Slot::GThoughts, true)),
        b"toolUsePromptTokenCount" => Key::Count(C::Gemini(Slot::GToolUse, false)),
        b"tool_use_prompt_token_count" => Key::Count(C::Gemini(Slot::GToolUse, true)),
        b"totalTokenCount" => Key::Count(C::Gemini(Slot::GTotal, false)),
        b"total_token_count" => Key::Count(C::Gemini(Slot::GTotal, true)),
        b"trafficType" | b"traffic_type" => Key::Count(C::TrafficType),
        _ => Key::Other,
    }
}

impl<'de> Deserialize<'de> for Key {
    /// Keys are read as bytes: serde_json then skips UTF-8 validation, and
    /// every key we look for is ASCII.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_bytes(KeyVisitor)
    }
}

struct KeyVisitor;

impl Visitor<'_> for KeyVisitor {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }
    fn visit_str<E>(self, v: &str) -> Result<Key, E> {
        Ok(classify(v.as_bytes()))
    }
    fn visit_bytes<E>(self, v: &[u8]) -> Result<Key, E> {
        Ok(classify(v))
    }
}

// ---------------------------------------------------------------------------
// Usage objects

/// Every usage count of every supported provider, raw, in a compact table.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Counts {
    vals: [u64; Slot::COUNT],
    /// Bit per [`Slot`]: present in the document (valid or not).
    present: u64,
    /// The first count that is not a non-negative integer.
    pub(crate) bad: Option<(Slot, Tok)>,
    pub(crate) cost_ticks: Tok,
    pub(crate) cost: Option<CostNum>,
    /// `usage.service_tier` (Anthropic).
    pub(crate) tier: Option<ServiceTier>,
    /// `usageMetadata.trafficType` (Vertex).
    pub(crate) traffic: Option<ServiceTier>,
    pub(crate) xai_marker: bool,
    pub(crate) openrouter_marker: bool,
    pub(crate) anthropic_marker: bool,
    /// An `input_tokens_details` object was present.
    pub(crate) input_details: bool,
    /// A `cache_creation` object was present.
    pub(crate) cache_creation: bool,
    /// Gemini counts were spelt in python-genai snake_case.
    pub(crate) gemini_snake: bool,
}

impl Default for Counts {
    fn default() -> Self {
        Counts {
            vals: [0; Slot::COUNT],
            present: 0,
            bad: None,
            cost_ticks: Tok::Absent,
            cost: None,
            tier: None,
            traffic: None,
            xai_marker: false,
            openrouter_marker: false,
            anthropic_marker: false,
            input_details: false,
            cache_creation: false,
            gemini_snake: false,
        }
    }
}

impl Counts {
    fn set(&mut self, s: Slot, t: Tok) {
        match t {
            Tok::Absent => {}
            Tok::Val(v) => {
                if let Some(slot) = self.vals.get_mut(s as usize) {
                    *slot = v;
                }
                self.present |= s.bit();
            }
            Tok::Neg(_) | Tok::Frac(_) | Tok::NotNumber(_) => {
                self.present |= s.bit();
                if self.bad.is_none() {
                    self.bad = Some((s, t));
                }
            }
        }
    }

    /// Adds a count to what the slot holds (a modality listed twice).
    fn add(&mut self, s: Slot, t: Tok) {
        match t {
            Tok::Val(v) if self.has(s) => match self.get(s).checked_add(v) {
                Some(sum) => self.set(s, Tok::Val(sum)),
                None => self.set(s, Tok::NotNumber("a sum too large for 64 bits")),
            },
            _ => self.set(s, t),
        }
    }

    /// Whether the count is in the document.
    pub(crate) fn has(&self, s: Slot) -> bool {
        self.present & s.bit() != 0
    }

    /// The count (zero when absent).
    pub(crate) fn get(&self, s: Slot) -> u64 {
        self.vals.get(s as usize).copied().unwrap_or(0)
    }

    /// Whether any of `mask`'s counts is in the document.
    pub(crate) fn has_mask(&self, mask: u64) -> bool {
        self.present & mask != 0
    }

    /// Whether any count that decides a bucket is present.
    pub(crate) fn has_any(&self) -> bool {
        self.has_mask(Slot::PRIMARY)
    }

    /// Reads the value of one usage key.
    fn accept<'de, A: MapAccess<'de>>(&mut self, k: CountKey, map: &mut A) -> Result<(), A::Error> {
        use CountKey as C;
        match k {
            C::Slot(s) => {
                let t = map.next_value()?;
                self.set(s, t);
            }
            C::Gemini(s, snake) => {
                let t = map.next_value()?;
                self.set(s, t);
                self.gemini_snake |= snake;
            }
            C::Details(kind) => map.next_value_seed(DetailsSeed { c: self, kind })?,
            C::CostTicks => {
                self.cost_ticks = map.next_value()?;
                self.xai_marker = true;
            }
            C::XaiMarker => {
                map.next_value::<IgnoredAny>()?;
                self.xai_marker = true;
            }
            C::Cost => {
                self.cost = map.next_value::<OptCost>()?.0;
                self.openrouter_marker = true;
            }
            C::OpenRouterMarker => {
                map.next_value::<IgnoredAny>()?;
                self.openrouter_marker = true;
            }
            C::AnthropicMarker => {
                map.next_value::<IgnoredAny>()?;
                self.anthropic_marker = true;
            }
            C::TrafficType => {
                self.traffic = map
                    .next_value::<OptStr<'de>>()?
                    .0
                    .and_then(|s| parse_tier(&s));
            }
        }
        Ok(())
    }
}

/// Reads a details object straight into the [`Counts`] table.
struct DetailsSeed<'a> {
    c: &'a mut Counts,
    kind: DetailsKind,
}

impl<'de> DeserializeSeed<'de> for DetailsSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for DetailsSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a token details object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        match self.kind {
            DetailsKind::Input | DetailsKind::RtInput => self.c.input_details = true,
            DetailsKind::CacheCreation => self.c.cache_creation = true,
            _ => {}
        }
        while let Some(k) = map.next_key::<DKey>()? {
            if k == DKey::CachedDetails && self.kind == DetailsKind::RtInput {
                map.next_value_seed(DetailsSeed {
                    c: &mut *self.c,
                    kind: DetailsKind::RtCached,
                })?;
                continue;
            }
            match self.kind.slot(k) {
                Some(s) => {
                    let t = map.next_value()?;
                    self.c.set(s, t);
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
    /// A Gemini modality list: `[{"modality": "AUDIO", "tokenCount": 10}, ...]`.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(e) = seq.next_element::<ModalityCount>()? {
            let slot = match (self.kind, e.modality) {
                (DetailsKind::Prompt, Modality::Audio) => Slot::GPromptAudio,
                (DetailsKind::GCache, Modality::Audio) => Slot::GCachedAudio,
                (DetailsKind::GCandidates, Modality::Audio) => Slot::GCandAudio,
                (DetailsKind::GCandidates, Modality::Image) => Slot::GCandImage,
                // Text, image and video input are priced alike.
                _ => continue,
            };
            self.c.add(slot, e.count);
            self.c.gemini_snake |= e.snake;
        }
        Ok(())
    }
}

/// The modalities Gemini reports that a bucket depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Modality {
    Audio,
    Image,
    Other,
}

/// One entry of a Gemini modality list.
struct ModalityCount {
    modality: Modality,
    count: Tok,
    /// Spelt `token_count` (python-genai) rather than `tokenCount`.
    snake: bool,
}

impl<'de> Deserialize<'de> for ModalityCount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ModalityVisitor)
    }
}

struct ModalityVisitor;

impl<'de> Visitor<'de> for ModalityVisitor {
    type Value = ModalityCount;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a modality token count")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ModalityCount, A::Error> {
        let mut out = ModalityCount {
            modality: Modality::Other,
            count: Tok::Absent,
            snake: false,
        };
        while let Some(k) = map.next_key::<OptStr<'de>>()? {
            match k.0.as_deref() {
                Some("modality") => {
                    out.modality = match map.next_value::<OptStr<'de>>()?.0.as_deref() {
                        Some(m) if m.eq_ignore_ascii_case("audio") => Modality::Audio,
                        Some(m) if m.eq_ignore_ascii_case("image") => Modality::Image,
                        _ => Modality::Other,
                    };
                }
                Some(n @ ("tokenCount" | "token_count")) => {
                    out.snake = n == "token_count";
                    out.count = map.next_value()?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(out)
    }
    fn visit_unit<E>(self) -> Result<ModalityCount, E> {
        Ok(ModalityCount {
            modality: Modality::Other,
            count: Tok::Absent,
            snake: false,
        })
    }
}

/// The message of an `error` object; `null`, strings and other values read
/// as `None` (only an object is an API error).
struct ApiErrorVal<'de>(Option<Cow<'de, str>>);

impl<'de> Deserialize<'de> for ApiErrorVal<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ApiErrorVisitor)
    }
}

struct ApiErrorVisitor;

impl<'de> Visitor<'de> for ApiErrorVisitor {
    type Value = ApiErrorVal<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an error object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut message = None;
        while let Some(k) = map.next_key::<OptStr<'de>>()? {
            if k.0.as_deref() == Some("message") {
                message = map.next_value::<OptStr<'de>>()?.0;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(ApiErrorVal(Some(message.unwrap_or(Cow::Borrowed("")))))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(ApiErrorVal(None))
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(ApiErrorVal(None))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(ApiErrorVal(None))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(ApiErrorVal(None))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(ApiErrorVal(None))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(ApiErrorVal(None))
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(ApiErrorVal(None))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(ApiErrorVal(None))
    }
}

/// What a `usage` / `usageMetadata` value was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UsageKind {
    Object,
    Null,
    Other,
}

/// Reads a `usage` / `usageMetadata` value straight into a [`Counts`].
struct UsageSeed<'a> {
    c: &'a mut Counts,
}

impl<'de> DeserializeSeed<'de> for UsageSeed<'_> {
    type Value = UsageKind;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<UsageKind, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for UsageSeed<'_> {
    type Value = UsageKind;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a usage object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<UsageKind, A::Error> {
        let c = self.c;
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Count(k) => c.accept(k, &mut map)?,
                Key::ServiceTier => {
                    c.tier = map
                        .next_value::<OptStr<'de>>()?
                        .0
                        .and_then(|s| parse_tier(&s));
                    c.anthropic_marker = true;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(UsageKind::Object)
    }
    fn visit_unit<E>(self) -> Result<UsageKind, E> {
        Ok(UsageKind::Null)
    }
    fn visit_none<E>(self) -> Result<UsageKind, E> {
        Ok(UsageKind::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<UsageKind, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_bool<E>(self, _: bool) -> Result<UsageKind, E> {
        Ok(UsageKind::Other)
    }
    fn visit_u64<E>(self, _: u64) -> Result<UsageKind, E> {
        Ok(UsageKind::Other)
    }
    fn visit_i64<E>(self, _: i64) -> Result<UsageKind, E> {
        Ok(UsageKind::Other)
    }
    fn visit_f64<E>(self, _: f64) -> Result<UsageKind, E> {
        Ok(UsageKind::Other)
    }
    fn visit_str<E>(self, _: &str) -> Result<UsageKind, E> {
        Ok(UsageKind::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<UsageKind, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(UsageKind::Other)
    }
}

// ---------------------------------------------------------------------------
// Documents and wrappers

/// A time field and where it was found.
#[derive(Debug, Clone)]
pub(crate) struct TimeField<'de> {
    pub(crate) raw: TimeRaw<'de>,
    pub(crate) rank: u8,
    pub(crate) name: &'static str,
    pub(crate) path: Path,
}

/// What a document says about itself besides usage.
#[derive(Debug, Clone, Default)]
pub(crate) struct Meta<'de> {
    pub(crate) id: Option<Cow<'de, str>>,
    pub(crate) model: Option<Cow<'de, str>>,
    pub(crate) time: Option<TimeField<'de>>,
    pub(crate) tier: Option<ServiceTier>,
    pub(crate) kind: DocKind,
}

impl<'de> Meta<'de> {
    /// Fills what the inner document did not say from its wrapper.
    fn fill_from(&mut self, outer: Meta<'de>) {
        if self.id.is_none() {
            self.id = outer.id;
        }
        if self.model.is_none() {
            self.model = outer.model;
        }
        if self.time.is_none() {
            self.time = outer.time;
        }
        if self.tier.is_none() {
            self.tier = outer.tier;
        }
        if self.kind == DocKind::Unknown {
            self.kind = outer.kind;
        }
    }

    fn into_owned(self) -> Meta<'static> {
        Meta {
            id: self.id.map(|s| Cow::Owned(s.into_owned())),
            model: self.model.map(|s| Cow::Owned(s.into_owned())),
            time: self.time.map(|t| TimeField {
                raw: t.raw.into_owned(),
                rank: t.rank,
                name: t.name,
                path: t.path,
            }),
            tier: self.tier,
            kind: self.kind,
        }
    }
}

/// The usage found in a document, with everything known about it.
#[derive(Debug, Clone)]
pub(crate) struct Found<'de> {
    pub(crate) counts: Counts,
    /// Where the usage object is (empty for a bare usage document).
    pub(crate) path: Path,
    pub(crate) meta: Meta<'de>,
    /// Found inside a batch-result line (`custom_id` wrapper).
    pub(crate) batch: bool,
}

impl Found<'_> {
    fn into_owned(self) -> Found<'static> {
        Found {
            counts: self.counts,
            path: self.path,
            meta: self.meta.into_owned(),
            batch: self.batch,
        }
    }
}

/// What walking a document gave.
#[derive(Debug, Default)]
pub(crate) struct Walked<'de> {
    /// The usage, if any.
    pub(crate) found: Option<Found<'de>>,
    /// Where a `"usage": null` was seen, if anywhere.
    pub(crate) null_usage: Option<Path>,
    /// What the document was, when it was not an object.
    pub(crate) not_object: Option<&'static str>,
    /// The message of an API error object, if the document is one.
    pub(crate) api_error: Option<Cow<'de, str>>,
}

impl Walked<'_> {
    fn into_owned(self) -> Walked<'static> {
        Walked {
            found: self.found.map(Found::into_owned),
            null_usage: self.null_usage,
            not_object: self.not_object,
            api_error: self.api_error.map(|m| Cow::Owned(m.into_owned())),
        }
    }
}

/// Walks one value as a document that may hold usage, directly or in a
/// wrapper, writing what it finds into `out`.
pub(crate) struct NodeSeed<'a, 'de> {
    depth: u8,
    path: Path,
    out: &'a mut Walked<'de>,
}

impl<'de> DeserializeSeed<'de> for NodeSeed<'_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> NodeSeed<'_, 'de> {
    fn not_object(self, kind: &'static str) {
        self.out.not_object = Some(kind);
    }

    /// A wrapper value that is a string holding JSON (`"body": "{\"id\": ...}"`).
    fn nested(self, s: &str) {
        if !s.trim_start().starts_with('{') {
            return self.not_object("a string");
        }
        let mut inner = Walked::default();
        let mut de = serde_json::Deserializer::from_str(s);
        let seed = NodeSeed {
            depth: self.depth,
            path: self.path,
            out: &mut inner,
        };
        match seed.deserialize(&mut de).and_then(|()| de.end()) {
            Ok(()) => {
                let inner = inner.into_owned();
                self.out.found = inner.found;
                self.out.not_object = inner.not_object;
                if let Some(p) = inner.null_usage {
                    self.out.null_usage.get_or_insert(p);
                }
                if self.out.api_error.is_none() {
                    self.out.api_error = inner.api_error;
                }
            }
            Err(_) => self.not_object("a string"),
        }
    }
}

impl<'de> Visitor<'de> for NodeSeed<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut meta = Meta::default();
        let mut model_version: Option<Cow<'de, str>> = None;
        let mut response_id: Option<Cow<'de, str>> = None;
        let mut batch_line = false;
        // The usage object of this node, its path and its preference.
        let mut own = Counts::default();
        let mut own_at: Option<(Path, u8)> = None;
        let mut inline = Counts::default();
        // Whether `self.out.found` holds a child's usage.
        let mut child_found = false;

        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Id => meta.id = map.next_value::<OptStr<'de>>()?.0,
                Key::ResponseId => response_id = map.next_value::<OptStr<'de>>()?.0,
                Key::Model => meta.model = map.next_value::<OptStr<'de>>()?.0,
                Key::ModelVersion => model_version = map.next_value::<OptStr<'de>>()?.0,
                Key::Time(name, rank) => {
                    let TimeVal(raw) = map.next_value()?;
                    if let Some(raw) = raw
                        && meta.time.as_ref().is_none_or(|t| rank < t.rank)
                    {
                        meta.time = Some(TimeField {
                            raw,
                            rank,
                            name,
                            path: self.path,
                        });
                    }
                }
                Key::ServiceTier => {
                    meta.tier = map
                        .next_value::<OptStr<'de>>()?
                        .0
                        .and_then(|s| parse_tier(&s));
                }
                Key::Kind => {
                    if let Some(s) = map.next_value::<OptStr<'de>>()?.0 {
                        let k = doc_kind(&s);
                        if k != DocKind::Unknown {
                            meta.kind = k;
                        }
                    }
                }
                Key::CustomId => {
                    map.next_value::<IgnoredAny>()?;
                    batch_line = true;
                }
                Key::ApiError => {
                    if let Some(m) = map.next_value::<ApiErrorVal<'de>>()?.0 {
                        self.out.api_error.get_or_insert(m);
                    }
                }
                Key::Usage(seg, rank) => {
                    let path = self.path.push(seg);
                    if own_at.is_none() {
                        match map.next_value_seed(UsageSeed { c: &mut own })? {
                            UsageKind::Object if own.has_any() => own_at = Some((path, rank)),
                            UsageKind::Object => own = Counts::default(),
                            UsageKind::Null => {
                                self.out.null_usage.get_or_insert(path);
                            }
                            UsageKind::Other => {}
                        }
                    } else if own_at.is_some_and(|(_, r)| rank < r) {
                        let mut other = Counts::default();
                        let kind = map.next_value_seed(UsageSeed { c: &mut other })?;
                        if kind == UsageKind::Object && other.has_any() {
                            own = other;
                            own_at = Some((path, rank));
                        }
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Key::Child(seg) if self.depth + 1 < MAX_DEPTH => {
                    let path = self.path.push(seg);
                    if child_found {
                        // The first wrapper with usage wins; walk the others
                        // only to keep the parse single-pass.
                        let mut scratch = Walked::default();
                        map.next_value_seed(NodeSeed {
                            depth: self.depth + 1,
                            path,
                            out: &mut scratch,
                        })?;
                    } else {
                        map.next_value_seed(NodeSeed {
                            depth: self.depth + 1,
                            path,
                            out: &mut *self.out,
                        })?;
                        self.out.not_object = None;
                        child_found = self.out.found.is_some();
                    }
                }
                Key::Count(k) => inline.accept(k, &mut map)?,
                Key::Child(_) | Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }

        if meta.model.is_none() {
            meta.model = model_version;
        }
        if meta.id.is_none() {
            meta.id = response_id;
        }

        let own = match own_at {
            Some((path, _)) => Some((own, path)),
            None if inline.has_any() => Some((inline, self.path)),
            None => None,
        };
        if let Some((counts, path)) = own {
            meta.tier = meta.tier.or(counts.tier).or(counts.traffic);
            self.out.found = Some(Found {
                counts,
                path,
                meta,
                batch: false,
            });
        } else if let Some(f) = self.out.found.as_mut().filter(|_| child_found) {
            f.meta.fill_from(meta);
            f.batch |= batch_line;
        }
        Ok(())
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<(), E> {
        self.nested(v);
        Ok(())
    }
    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.nested(v);
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        self.not_object("an array");
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        self.not_object("null");
        Ok(())
    }
    fn visit_none<E>(self) -> Result<(), E> {
        self.not_object("null");
        Ok(())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        self.not_object("a boolean");
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        self.not_object("a number");
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        self.not_object("a number");
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        self.not_object("a number");
        Ok(())
    }
}

/// Walks a whole JSON text.
pub(crate) fn walk_slice(body: &[u8]) -> Result<Walked<'_>, serde_json::Error> {
    let mut out = Walked::default();
    let mut de = serde_json::Deserializer::from_slice(body);
    NodeSeed {
        depth: 0,
        path: Path::default(),
        out: &mut out,
    }
    .deserialize(&mut de)?;
    de.end()?;
    Ok(out)
}

/// Walks an already parsed JSON value.
pub(crate) fn walk_value(v: &serde_json::Value) -> Result<Walked<'_>, serde_json::Error> {
    let mut out = Walked::default();
    NodeSeed {
        depth: 0,
        path: Path::default(),
        out: &mut out,
    }
    .deserialize(v)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_text_to_ticks_is_exact() {
        assert_eq!(decimal_text_to_ticks("0.95"), Some(9_500_000_000));
        assert_eq!(decimal_text_to_ticks("19"), Some(190_000_000_000));
        assert_eq!(decimal_text_to_ticks("0.0000000001"), Some(1));
        assert_eq!(decimal_text_to_ticks("0.00000000005"), Some(1));
        assert_eq!(decimal_text_to_ticks("0.00000000004"), Some(0));
        assert_eq!(decimal_text_to_ticks("-0.5"), Some(-5_000_000_000));
        assert_eq!(decimal_text_to_ticks("1x"), None);
    }

    #[test]
    fn float_costs_keep_their_json_digits() {
        assert_eq!(CostNum::Float(0.000_140_7).to_ticks(), Ok(1_407_000));
        assert_eq!(CostNum::Float(1e-7).to_ticks(), Ok(1_000));
        assert_eq!(CostNum::Int(2).to_ticks(), Ok(20_000_000_000));
        assert!(CostNum::Float(f64::NAN).to_ticks().is_err());
    }

    #[test]
    fn paths_join() {
        let p = Path::default().push(Seg::Response).push(Seg::Usage);
        assert_eq!(p.join("input_tokens"), "response.usage.input_tokens");
        assert_eq!(Path::default().join("prompt_tokens"), "prompt_tokens");
        assert_eq!(p.to_string(), "response.usage");
    }

    #[test]
    fn tiers_parse_without_allocating() {
        assert_eq!(parse_tier("default"), Some(ServiceTier::Standard));
        assert_eq!(parse_tier("ON_DEMAND_FLEX"), Some(ServiceTier::Flex));
        assert_eq!(parse_tier("scale"), None);
    }
}
