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

/// A dotted path to a field (`response.usage`), built without allocating.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Path {
    segs: [&'static str; 8],
    len: u8,
}

impl Path {
    /// The path with one more segment (silently capped at eight segments).
    #[must_use]
    pub(crate) fn push(mut self, seg: &'static str) -> Path {
        if let Some(slot) = self.segs.get_mut(usize::from(self.len)) {
            *slot = seg;
            self.len += 1;
        }
        self
    }

    fn segs(&self) -> &[&'static str] {
        self.segs.get(..usize::from(self.len)).unwrap_or(&[])
    }

    /// The full dotted name of `leaf` under this path.
    pub(crate) fn join(&self, leaf: &str) -> String {
        let mut s = String::new();
        for seg in self.segs() {
            s.push_str(seg);
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
            f.write_str(seg)?;
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

impl Tok {
    /// Present in the document (even if invalid).
    pub(crate) fn is_present(self) -> bool {
        !matches!(self, Tok::Absent)
    }

    /// The value of a validated count (absent is zero).
    pub(crate) fn get(self) -> u64 {
        match self {
            Tok::Val(v) => v,
            _ => 0,
        }
    }
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
            .checked_add(i128::from(b.checked_sub(b'0')?))?;
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

/// A Gemini `usageMetadata` count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GKey {
    Prompt,
    Cached,
    Candidates,
    Thoughts,
    ToolUse,
    Total,
}

/// A key of a usage object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CountKey {
    PromptTokens,
    CompletionTokens,
    TotalTokens,
    PromptDetails,
    CompletionDetails,
    InputTokens,
    OutputTokens,
    InputDetails,
    OutputDetails,
    CacheCreationInput,
    CacheReadInput,
    CacheCreation,
    HitTokens,
    MissTokens,
    NumCachedTokens,
    CostTicks,
    XaiMarker,
    Cost,
    OpenRouterMarker,
    AnthropicMarker,
    Gemini(GKey, bool),
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
    /// A usage object, with its preference (lower wins).
    Usage(&'static str, u8),
    /// A wrapper that may hold the document.
    Child(&'static str),
    Count(CountKey),
    Other,
}

fn classify(k: &str) -> Key {
    use CountKey as C;
    match k {
        "id" => Key::Id,
        "responseId" | "response_id" => Key::ResponseId,
        "model" => Key::Model,
        "modelVersion" | "model_version" => Key::ModelVersion,
        "created" => Key::Time("created", 0),
        "created_at" => Key::Time("created_at", 1),
        "createTime" => Key::Time("createTime", 2),
        "create_time" => Key::Time("create_time", 2),
        "timestamp" => Key::Time("timestamp", 3),
        "service_tier" => Key::ServiceTier,
        "type" | "object" => Key::Kind,
        "custom_id" => Key::CustomId,
        "usage" => Key::Usage("usage", 0),
        "usageMetadata" => Key::Usage("usageMetadata", 1),
        "usage_metadata" => Key::Usage("usage_metadata", 1),
        "response" => Key::Child("response"),
        "body" => Key::Child("body"),
        "message" => Key::Child("message"),
        "result" => Key::Child("result"),
        "prompt_tokens" => Key::Count(C::PromptTokens),
        "completion_tokens" => Key::Count(C::CompletionTokens),
        "total_tokens" => Key::Count(C::TotalTokens),
        "prompt_tokens_details" => Key::Count(C::PromptDetails),
        "completion_tokens_details" => Key::Count(C::CompletionDetails),
        "input_tokens" => Key::Count(C::InputTokens),
        "output_tokens" => Key::Count(C::OutputTokens),
        "input_tokens_details" => Key::Count(C::InputDetails),
        "output_tokens_details" => Key::Count(C::OutputDetails),
        "cache_creation_input_tokens" => Key::Count(C::CacheCreationInput),
        "cache_read_input_tokens" => Key::Count(C::CacheReadInput),
        "cache_creation" => Key::Count(C::CacheCreation),
        "prompt_cache_hit_tokens" => Key::Count(C::HitTokens),
        "prompt_cache_miss_tokens" => Key::Count(C::MissTokens),
        "num_cached_tokens" => Key::Count(C::NumCachedTokens),
        "cost_in_usd_ticks" => Key::Count(C::CostTicks),
        "num_sources_used" | "num_server_side_tools_used" => Key::Count(C::XaiMarker),
        "cost" => Key::Count(C::Cost),
        "cost_details" | "is_byok" => Key::Count(C::OpenRouterMarker),
        "server_tool_use" | "inference_geo" => Key::Count(C::AnthropicMarker),
        "promptTokenCount" => Key::Count(C::Gemini(GKey::Prompt, false)),
        "prompt_token_count" => Key::Count(C::Gemini(GKey::Prompt, true)),
        "cachedContentTokenCount" => Key::Count(C::Gemini(GKey::Cached, false)),
        "cached_content_token_count" => Key::Count(C::Gemini(GKey::Cached, true)),
        "candidatesTokenCount" => Key::Count(C::Gemini(GKey::Candidates, false)),
        "candidates_token_count" => Key::Count(C::Gemini(GKey::Candidates, true)),
        "thoughtsTokenCount" => Key::Count(C::Gemini(GKey::Thoughts, false)),
        "thoughts_token_count" => Key::Count(C::Gemini(GKey::Thoughts, true)),
        "toolUsePromptTokenCount" => Key::Count(C::Gemini(GKey::ToolUse, false)),
        "tool_use_prompt_token_count" => Key::Count(C::Gemini(GKey::ToolUse, true)),
        "totalTokenCount" => Key::Count(C::Gemini(GKey::Total, false)),
        "total_token_count" => Key::Count(C::Gemini(GKey::Total, true)),
        "trafficType" | "traffic_type" => Key::Count(C::TrafficType),
        _ => Key::Other,
    }
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_identifier(KeyVisitor)
    }
}

struct KeyVisitor;

impl Visitor<'_> for KeyVisitor {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }
    fn visit_str<E>(self, v: &str) -> Result<Key, E> {
        Ok(classify(v))
    }
    fn visit_bytes<E>(self, v: &[u8]) -> Result<Key, E> {
        Ok(std::str::from_utf8(v).map_or(Key::Other, classify))
    }
}

// ---------------------------------------------------------------------------
// Usage objects

/// A nested details object (`prompt_tokens_details`, `cache_creation`, ...):
/// one type holds every count any provider puts in one.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Details {
    pub(crate) cached_tokens: Tok,
    pub(crate) cache_write_tokens: Tok,
    pub(crate) reasoning_tokens: Tok,
    pub(crate) ephemeral_5m_input_tokens: Tok,
    pub(crate) ephemeral_1h_input_tokens: Tok,
}

/// Gemini `usageMetadata` counts.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct GeminiCounts {
    pub(crate) prompt: Tok,
    pub(crate) cached: Tok,
    pub(crate) candidates: Tok,
    pub(crate) thoughts: Tok,
    pub(crate) tool_use: Tok,
    pub(crate) total: Tok,
    /// The python-genai snake_case spelling was used.
    pub(crate) snake: bool,
}

/// Every usage field of every supported provider, raw.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Counts {
    pub(crate) prompt_tokens: Tok,
    pub(crate) completion_tokens: Tok,
    pub(crate) total_tokens: Tok,
    pub(crate) prompt_details: Option<Details>,
    pub(crate) completion_details: Option<Details>,
    pub(crate) input_tokens: Tok,
    pub(crate) output_tokens: Tok,
    pub(crate) input_details: Option<Details>,
    pub(crate) output_details: Option<Details>,
    pub(crate) cache_creation_input_tokens: Tok,
    pub(crate) cache_read_input_tokens: Tok,
    pub(crate) cache_creation: Option<Details>,
    pub(crate) hit: Tok,
    pub(crate) miss: Tok,
    pub(crate) num_cached_tokens: Tok,
    pub(crate) cost_ticks: Tok,
    pub(crate) cost: Option<CostNum>,
    pub(crate) xai_marker: bool,
    pub(crate) openrouter_marker: bool,
    pub(crate) anthropic_marker: bool,
    /// `usage.service_tier` (Anthropic).
    pub(crate) tier: Option<ServiceTier>,
    /// `usageMetadata.trafficType` (Vertex).
    pub(crate) traffic: Option<ServiceTier>,
    pub(crate) gemini: GeminiCounts,
}

impl Counts {
    /// Reads the value of one usage key.
    fn accept<'de, A: MapAccess<'de>>(&mut self, k: CountKey, map: &mut A) -> Result<(), A::Error> {
        use CountKey as C;
        match k {
            C::PromptTokens => self.prompt_tokens = map.next_value()?,
            C::CompletionTokens => self.completion_tokens = map.next_value()?,
            C::TotalTokens => self.total_tokens = map.next_value()?,
            C::PromptDetails => self.prompt_details = map.next_value()?,
            C::CompletionDetails => self.completion_details = map.next_value()?,
            C::InputTokens => self.input_tokens = map.next_value()?,
            C::OutputTokens => self.output_tokens = map.next_value()?,
            C::InputDetails => self.input_details = map.next_value()?,
            C::OutputDetails => self.output_details = map.next_value()?,
            C::CacheCreationInput => self.cache_creation_input_tokens = map.next_value()?,
            C::CacheReadInput => self.cache_read_input_tokens = map.next_value()?,
            C::CacheCreation => self.cache_creation = map.next_value()?,
            C::HitTokens => self.hit = map.next_value()?,
            C::MissTokens => self.miss = map.next_value()?,
            C::NumCachedTokens => self.num_cached_tokens = map.next_value()?,
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
            C::Gemini(g, snake) => {
                let t: Tok = map.next_value()?;
                let gc = &mut self.gemini;
                match g {
                    GKey::Prompt => gc.prompt = t,
                    GKey::Cached => gc.cached = t,
                    GKey::Candidates => gc.candidates = t,
                    GKey::Thoughts => gc.thoughts = t,
                    GKey::ToolUse => gc.tool_use = t,
                    GKey::Total => gc.total = t,
                }
                gc.snake |= snake;
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

    /// Whether any count that decides a bucket is present.
    pub(crate) fn has_any(&self) -> bool {
        let g = &self.gemini;
        [
            self.prompt_tokens,
            self.completion_tokens,
            self.input_tokens,
            self.output_tokens,
            self.cache_creation_input_tokens,
            self.cache_read_input_tokens,
            self.hit,
            self.miss,
            g.prompt,
            g.cached,
            g.candidates,
            g.thoughts,
            g.tool_use,
        ]
        .iter()
        .any(|t| t.is_present())
    }
}

/// The value of a `usage` / `usageMetadata` key.
enum UsageVal {
    Obj(Counts),
    Null,
    Other,
}

impl<'de> Deserialize<'de> for UsageVal {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(UsageVisitor)
    }
}

struct UsageVisitor;

impl<'de> Visitor<'de> for UsageVisitor {
    type Value = UsageVal;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a usage object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<UsageVal, A::Error> {
        let mut c = Counts::default();
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
        Ok(UsageVal::Obj(c))
    }
    fn visit_unit<E>(self) -> Result<UsageVal, E> {
        Ok(UsageVal::Null)
    }
    fn visit_none<E>(self) -> Result<UsageVal, E> {
        Ok(UsageVal::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<UsageVal, D::Error> {
        UsageVal::deserialize(d)
    }
    fn visit_bool<E>(self, _: bool) -> Result<UsageVal, E> {
        Ok(UsageVal::Other)
    }
    fn visit_u64<E>(self, _: u64) -> Result<UsageVal, E> {
        Ok(UsageVal::Other)
    }
    fn visit_i64<E>(self, _: i64) -> Result<UsageVal, E> {
        Ok(UsageVal::Other)
    }
    fn visit_f64<E>(self, _: f64) -> Result<UsageVal, E> {
        Ok(UsageVal::Other)
    }
    fn visit_str<E>(self, _: &str) -> Result<UsageVal, E> {
        Ok(UsageVal::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<UsageVal, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(UsageVal::Other)
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

/// What walking one value gave.
#[derive(Debug)]
pub(crate) enum NodeOut<'de> {
    Found(Found<'de>),
    /// An object without usage; `null_usage` is where a `"usage": null` was seen.
    Empty {
        null_usage: Option<Path>,
    },
    /// Not an object: what it was.
    NotObject(&'static str),
}

/// Walks one value as a document that may hold usage, directly or in a wrapper.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct NodeSeed {
    pub(crate) depth: u8,
    pub(crate) path: Path,
}

impl<'de> DeserializeSeed<'de> for NodeSeed {
    type Value = NodeOut<'de>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl NodeSeed {
    /// A wrapper value that is a string holding JSON (`"body": "{\"id\": ...}"`).
    fn nested(self, s: &str) -> NodeOut<'static> {
        if !s.trim_start().starts_with('{') {
            return NodeOut::NotObject("a string");
        }
        let mut de = serde_json::Deserializer::from_str(s);
        match self
            .deserialize(&mut de)
            .and_then(|out| de.end().map(|()| out))
        {
            Ok(NodeOut::Found(f)) => NodeOut::Found(f.into_owned()),
            Ok(NodeOut::Empty { null_usage }) => NodeOut::Empty { null_usage },
            Ok(NodeOut::NotObject(k)) => NodeOut::NotObject(k),
            Err(_) => NodeOut::NotObject("a string"),
        }
    }
}

impl<'de> Visitor<'de> for NodeSeed {
    type Value = NodeOut<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut meta = Meta::default();
        let mut model_version: Option<Cow<'de, str>> = None;
        let mut response_id: Option<Cow<'de, str>> = None;
        let mut batch_line = false;
        // The best usage object of this node, its path and its preference.
        let mut own: Option<(Counts, Path, u8)> = None;
        let mut inline = Counts::default();
        let mut child: Option<Found<'de>> = None;
        let mut null_usage: Option<Path> = None;

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
                Key::Usage(name, rank) => {
                    let path = self.path.push(name);
                    match map.next_value::<UsageVal>()? {
                        UsageVal::Obj(c) if c.has_any() => {
                            if own.as_ref().is_none_or(|o| rank < o.2) {
                                own = Some((c, path, rank));
                            }
                        }
                        UsageVal::Null => {
                            null_usage.get_or_insert(path);
                        }
                        UsageVal::Obj(_) | UsageVal::Other => {}
                    }
                }
                Key::Child(name) if self.depth + 1 < MAX_DEPTH => {
                    let seed = NodeSeed {
                        depth: self.depth + 1,
                        path: self.path.push(name),
                    };
                    match map.next_value_seed(seed)? {
                        NodeOut::Found(f) => {
                            if child.is_none() {
                                child = Some(f);
                            }
                        }
                        NodeOut::Empty {
                            null_usage: Some(p),
                        } => {
                            null_usage.get_or_insert(p);
                        }
                        NodeOut::Empty { null_usage: None } | NodeOut::NotObject(_) => {}
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

        let own = own.or_else(|| inline.has_any().then_some((inline, self.path, u8::MAX)));
        if let Some((counts, path, _)) = own {
            meta.tier = meta.tier.or(counts.tier).or(counts.traffic);
            return Ok(NodeOut::Found(Found {
                counts,
                path,
                meta,
                batch: false,
            }));
        }
        if let Some(mut f) = child {
            f.meta.fill_from(meta);
            f.batch |= batch_line;
            return Ok(NodeOut::Found(f));
        }
        Ok(NodeOut::Empty { null_usage })
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(self.nested(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(self.nested(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(NodeOut::NotObject("an array"))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(NodeOut::NotObject("null"))
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(NodeOut::NotObject("null"))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(NodeOut::NotObject("a boolean"))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(NodeOut::NotObject("a number"))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(NodeOut::NotObject("a number"))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(NodeOut::NotObject("a number"))
    }
}

/// Walks a whole JSON text.
pub(crate) fn walk_slice(body: &[u8]) -> Result<NodeOut<'_>, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let out = NodeSeed::default().deserialize(&mut de)?;
    de.end()?;
    Ok(out)
}

/// Walks an already parsed JSON value.
pub(crate) fn walk_value(v: &serde_json::Value) -> Result<NodeOut<'_>, serde_json::Error> {
    NodeSeed::default().deserialize(v)
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
        let p = Path::default().push("response").push("usage");
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
