//! Errors of usage extraction.

use crate::Shape;

/// Result with the usage [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a document's usage could not be extracted.
///
/// Messages are lowercase and name fields by their full dotted path inside the
/// document, in backticks (`response.usage.input_tokens`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is not one JSON document.
    #[error("invalid JSON: {0}")]
    Json(serde_json::Error),
    /// The input is empty or only whitespace.
    #[error("empty document: expected one JSON object")]
    Empty,
    /// The document is valid JSON but not an object.
    #[error("expected a JSON object, found {found}")]
    NotAnObject {
        /// What it is instead (`an array`, `a number`, ...).
        found: &'static str,
    },
    /// No usage object anywhere the accepted shapes put one.
    #[error("{}", no_usage_message(.null_usage.as_deref()))]
    NoUsage {
        /// Where a `"usage": null` was seen, if one was (a streaming chunk
        /// before the final one, or a request that failed).
        null_usage: Option<String>,
    },
    /// The document is an API error response (`"error": {...}`), which
    /// carries no usage.
    #[error("the document is an API error, not a response with usage: {message:?}")]
    ApiError {
        /// The error's `message` (empty when it has none).
        message: String,
    },
    /// A token count is negative, fractional or not a number.
    #[error("field `{field}` is not a valid token count: {problem}")]
    InvalidCount {
        /// Full path of the field.
        field: String,
        /// What is wrong with it.
        problem: String,
    },
    /// A count that is part of another is larger than it (e.g. more cached
    /// tokens than prompt tokens).
    #[error("field `{part}` ({part_value}) is larger than `{total}` ({total_value})")]
    SubsetTooLarge {
        /// Full path of the part.
        part: String,
        /// Its value.
        part_value: u64,
        /// Full path of the total.
        total: String,
        /// Its value.
        total_value: u64,
    },
    /// Several counts that are parts of another add up to more than it.
    #[error("fields {} add up to {sum}, more than `{total}` ({total_value})", backticked(.parts))]
    SubsetsTooLarge {
        /// Full paths of the parts.
        parts: Vec<String>,
        /// Their sum.
        sum: u64,
        /// Full path of the total.
        total: String,
        /// Its value.
        total_value: u64,
    },
    /// A part is reported but the total it belongs to is not.
    #[error("field `{part}` is {part_value} but `{total}` is missing")]
    MissingTotal {
        /// Full path of the part.
        part: String,
        /// Its value.
        part_value: u64,
        /// Full path of the missing total.
        total: String,
    },
    /// Token counts too large to add up in 64 bits.
    #[error("token counts overflow 64 bits at `{field}`")]
    Overflow {
        /// Full path of the field being added.
        field: String,
    },
    /// A time field that is neither RFC 3339 nor unix time.
    #[error(
        "field `{field}` is not a timestamp: {value} (expected RFC 3339 with an offset, or unix seconds)"
    )]
    InvalidTimestamp {
        /// Full path of the field.
        field: String,
        /// The value as found.
        value: String,
    },
    /// A time field that parses but lies outside 1970-01-01..2200-01-01
    /// (a misread unit or a corrupt value): never priced.
    #[error(
        "field `{field}` is out of range: {value} reads as {read_as}, outside 1970-01-01T00:00:00Z..2200-01-01T00:00:00Z (check the field's unit: unix seconds, or RFC 3339)"
    )]
    TimestampOutOfRange {
        /// Full path of the field.
        field: String,
        /// The value as found.
        value: String,
        /// The instant it was read as.
        read_as: String,
    },
    /// A reported cost (`cost_in_usd_ticks`, OpenRouter `cost`) that is not a number.
    #[error("field `{field}` is not a valid cost: {problem}")]
    InvalidCost {
        /// Full path of the field.
        field: String,
        /// What is wrong with it.
        problem: String,
    },
    /// A shape was forced but the document does not have its usage fields.
    #[error("the usage is not {shape} usage: expected {expected}")]
    ShapeMismatch {
        /// The forced shape.
        shape: Shape,
        /// The fields that shape reads.
        expected: &'static str,
    },
    /// An unknown shape name.
    #[error(
        "unknown usage shape `{name}` (expected openai_chat, openai_responses, deepseek, anthropic, gemini, mistral, xai or openrouter)"
    )]
    UnknownShape {
        /// The name given.
        name: String,
    },
}

/// What [`Error::NoUsage`] says the accepted shapes are.
pub(crate) const EXPECTED_SHAPES: &str = "expected an OpenAI Chat Completions or DeepSeek/Mistral/xAI/OpenRouter \
     response (`usage.prompt_tokens`), an OpenAI Responses object or `response.completed` event \
     (`usage.input_tokens`), an Anthropic message or `message_start`/`message_delta` event \
     (`usage.input_tokens`), a Gemini response (`usageMetadata.promptTokenCount`), or a bare \
     usage object, optionally inside a `response`, `body`, `message` or `result` wrapper";

fn no_usage_message(null_usage: Option<&str>) -> String {
    match null_usage {
        Some(path) => format!(
            "no token usage found: `{path}` is null (a streaming chunk before the last one, or a failed request); {EXPECTED_SHAPES}"
        ),
        None => format!("no token usage found: {EXPECTED_SHAPES}"),
    }
}

fn backticked(parts: &[String]) -> String {
    parts
        .iter()
        .map(|p| format!("`{p}`"))
        .collect::<Vec<_>>()
        .join(" + ")
}
