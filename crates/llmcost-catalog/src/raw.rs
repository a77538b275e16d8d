//! The on-disk TOML form of catalog files (see `catalog/README.md`).

use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProviderFile {
    /// Required in the built-in catalog; optional in user files.
    #[serde(default)]
    pub provider: Option<String>,
    /// Present in files written by `llmcost prices import` (the imported layer).
    #[serde(default)]
    pub import: Option<RawImport>,
    #[serde(default)]
    pub model: Vec<RawModel>,
    #[serde(default)]
    pub alias: Vec<RawAlias>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawModel {
    pub id: Spanned<String>,
    /// Provider of this model when it differs from the file's (imported files).
    #[serde(default)]
    pub provider: Option<String>,
    /// Name patterns (`my-finetune-*`) priced as this model (user files only).
    #[serde(default)]
    pub patterns: Vec<Spanned<String>>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub retired: Option<String>,
    #[serde(default)]
    pub successor: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub price: Vec<RawPrice>,
}

#[derive(Debug, Default)]
pub(crate) struct RawRates {
    pub input: Option<Spanned<String>>,
    pub cache_read: Option<Spanned<String>>,
    pub cache_write: Option<Spanned<String>>,
    pub cache_write_1h: Option<Spanned<String>>,
    pub output: Option<Spanned<String>>,
    pub reasoning: Option<Spanned<String>>,
    pub input_audio: Option<Spanned<String>>,
    pub cache_read_audio: Option<Spanned<String>>,
    pub output_audio: Option<Spanned<String>>,
    pub input_image: Option<Spanned<String>>,
    pub output_image: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPrice {
    /// Required in the built-in catalog; a user row without it has no start.
    #[serde(default)]
    pub from: Option<Spanned<String>>,
    #[serde(default)]
    pub until: Option<Spanned<String>>,
    /// Required in the built-in catalog; USD by default in user files.
    #[serde(default)]
    pub currency: Option<Spanned<String>>,
    pub input: Option<Spanned<String>>,
    pub cache_read: Option<Spanned<String>>,
    pub cache_write: Option<Spanned<String>>,
    pub cache_write_1h: Option<Spanned<String>>,
    pub output: Option<Spanned<String>>,
    pub reasoning: Option<Spanned<String>>,
    pub input_audio: Option<Spanned<String>>,
    pub cache_read_audio: Option<Spanned<String>>,
    pub output_audio: Option<Spanned<String>>,
    pub input_image: Option<Spanned<String>>,
    pub output_image: Option<Spanned<String>>,
    /// Required in the built-in catalog (a URL); any text in user files.
    #[serde(default)]
    pub source: Option<Spanned<String>>,
    #[serde(default)]
    pub confidence: Option<String>,
    /// A user row that takes precedence over the built-in rows for its period.
    #[serde(default, rename = "override")]
    pub overrides: bool,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub thinking_output: bool,
    #[serde(default)]
    pub off_peak: Option<RawOffPeak>,
    #[serde(default)]
    pub long_context: Option<RawLongContext>,
    #[serde(default)]
    pub batch: Option<RawTier>,
    #[serde(default)]
    pub flex: Option<RawTier>,
    #[serde(default)]
    pub priority: Option<RawTier>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawOffPeak {
    pub schedule: Spanned<String>,
    pub input: Option<Spanned<String>>,
    pub cache_read: Option<Spanned<String>>,
    pub cache_write: Option<Spanned<String>>,
    pub cache_write_1h: Option<Spanned<String>>,
    pub output: Option<Spanned<String>>,
    pub reasoning: Option<Spanned<String>>,
    pub input_audio: Option<Spanned<String>>,
    pub cache_read_audio: Option<Spanned<String>>,
    pub output_audio: Option<Spanned<String>>,
    pub input_image: Option<Spanned<String>>,
    pub output_image: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLongContext {
    pub threshold: u64,
    pub basis: Spanned<String>,
    pub input: Option<Spanned<String>>,
    pub cache_read: Option<Spanned<String>>,
    pub cache_write: Option<Spanned<String>>,
    pub cache_write_1h: Option<Spanned<String>>,
    pub output: Option<Spanned<String>>,
    pub reasoning: Option<Spanned<String>>,
    pub input_audio: Option<Spanned<String>>,
    pub cache_read_audio: Option<Spanned<String>>,
    pub output_audio: Option<Spanned<String>>,
    pub input_image: Option<Spanned<String>>,
    pub output_image: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTier {
    pub multiplier: Option<Spanned<String>>,
    pub input: Option<Spanned<String>>,
    pub cache_read: Option<Spanned<String>>,
    pub cache_write: Option<Spanned<String>>,
    pub cache_write_1h: Option<Spanned<String>>,
    pub output: Option<Spanned<String>>,
    pub reasoning: Option<Spanned<String>>,
    pub input_audio: Option<Spanned<String>>,
    pub cache_read_audio: Option<Spanned<String>>,
    pub output_audio: Option<Spanned<String>>,
    pub input_image: Option<Spanned<String>>,
    pub output_image: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAlias {
    pub name: Spanned<String>,
    pub target: String,
    /// Required in the built-in catalog; a user alias without it has no start.
    #[serde(default)]
    pub from: Option<Spanned<String>>,
    #[serde(default)]
    pub until: Option<Spanned<String>>,
    /// Required in the built-in catalog.
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// The `[import]` header of a file written by `llmcost prices import`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawImport {
    /// `litellm` or `openrouter`.
    pub format: String,
    /// The URL or file the prices were read from.
    pub source: String,
    /// When the import ran (RFC 3339).
    pub imported: String,
    /// `sha256:<hex>` of the text read (written by `llmcost prices update`).
    #[serde(default)]
    pub digest: Option<String>,
    /// Price fields that could not be mapped, as `model: field` lines.
    #[serde(default)]
    pub unmapped: Vec<String>,
    /// Entries that got no row, as `model: reason` lines.
    #[serde(default)]
    pub skipped: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SchedulesFile {
    #[serde(default)]
    pub schedule: Vec<RawSchedule>,
    #[serde(default)]
    pub calendar: Vec<RawCalendar>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSchedule {
    pub name: Spanned<String>,
    pub kind: Spanned<String>,
    pub windows_utc: Vec<Spanned<String>>,
    #[serde(default)]
    pub calendar_utc_offset: Option<Spanned<String>>,
    #[serde(default)]
    pub weekends_off_peak_from: Option<Spanned<String>>,
    #[serde(default)]
    pub holidays: Option<Spanned<String>>,
    pub source: String,
    #[serde(default)]
    #[expect(dead_code, reason = "a remark for readers of the data file")]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCalendar {
    pub name: Spanned<String>,
    pub source: String,
    /// The last date the calendar covers (required: later dates are unknown).
    pub covers_until: Option<Spanned<String>>,
    pub dates: Vec<Spanned<String>>,
    #[serde(default)]
    #[expect(dead_code, reason = "a remark for readers of the data file")]
    pub note: Option<String>,
}

macro_rules! rates_of {
    ($t:ty) => {
        impl $t {
            pub(crate) fn rates(&self) -> RawRates {
                RawRates {
                    input: self.input.clone(),
                    cache_read: self.cache_read.clone(),
                    cache_write: self.cache_write.clone(),
                    cache_write_1h: self.cache_write_1h.clone(),
                    output: self.output.clone(),
                    reasoning: self.reasoning.clone(),
                    input_audio: self.input_audio.clone(),
                    cache_read_audio: self.cache_read_audio.clone(),
                    output_audio: self.output_audio.clone(),
                    input_image: self.input_image.clone(),
                    output_image: self.output_image.clone(),
                }
            }
        }
    };
}
rates_of!(RawPrice);
rates_of!(RawOffPeak);
rates_of!(RawLongContext);
rates_of!(RawTier);
