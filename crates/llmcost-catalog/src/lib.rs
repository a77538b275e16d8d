//! The llmcost price catalog: curated, sourced price rows with their history.
//!
//! The data lives in the repository's `catalog/*.toml` files and is embedded at
//! build time; [`Catalog::builtin`] parses and validates it once. This crate reads
//! no files at run time, reads no clock, and never invents a price: a name that
//! cannot be resolved at an instant is an error that says why.
//!
//! [`Catalog::layered`] adds user and imported files (passed in as text) on
//! top of the built-in rows, by precedence; every row keeps its [`Origin`].
#![deny(missing_docs)]

mod layers;
mod load;
mod origin;
mod raw;

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use llmcost_core::{Currency, PriceRow, Schedule, Timestamp};

pub use layers::{CatalogFile, LayerRow, Prefer, RowOutcome};
pub use load::LoadError;
pub use origin::{ImportInfo, Layer, Origin, Pattern, glob_match};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

/// A model and its price history.
#[derive(Debug, Clone)]
pub struct Model {
    /// Canonical id, as the provider names it.
    pub id: String,
    /// Provider key (`deepseek`, `openai`, ...).
    pub provider: String,
    /// Display name, if any.
    pub name: Option<String>,
    /// Names that always mean this model.
    pub aliases: Vec<String>,
    /// From this instant the model is refused.
    pub retired: Option<Timestamp>,
    /// What replaced it.
    pub successor: Option<String>,
    /// Remark.
    pub note: Option<String>,
    /// Price rows, ordered by currency then start.
    pub rows: Vec<Arc<PriceRow>>,
    /// Which catalog file defined it (for messages and provenance).
    pub file: String,
    /// Confidence grade of each row, parallel to `rows`.
    pub confidence: Vec<Option<String>>,
    /// Layer and file of each row, parallel to `rows`.
    pub origins: Vec<Origin>,
}

impl Model {
    /// Rows in force at an instant (one per currency at most).
    pub fn rows_at(&self, at: Timestamp) -> impl Iterator<Item = &Arc<PriceRow>> {
        self.rows.iter().filter(move |r| r.covers(at))
    }

    /// Currencies the model has ever been listed in.
    #[must_use]
    pub fn currencies(&self) -> Vec<Currency> {
        let mut c: Vec<Currency> = self.rows.iter().map(|r| r.spec().currency).collect();
        c.sort();
        c.dedup();
        c
    }

    /// Layer and file of one of this model's rows.
    #[must_use]
    pub fn origin_of(&self, row: &Arc<PriceRow>) -> Option<&Origin> {
        self.rows
            .iter()
            .position(|r| Arc::ptr_eq(r, row))
            .and_then(|i| self.origins.get(i))
    }

    /// Earliest instant with a price.
    #[must_use]
    pub fn first_from(&self) -> Option<Timestamp> {
        self.rows.iter().map(|r| r.spec().from).min()
    }
}

/// An alias that pointed somewhere for a period.
#[derive(Debug, Clone)]
pub struct TimedAlias {
    /// The alias.
    pub name: String,
    /// The model it resolved to.
    pub target: String,
    /// Start (inclusive).
    pub from: Timestamp,
    /// End (exclusive).
    pub until: Option<Timestamp>,
    /// Where this is documented.
    pub source: String,
    /// Remark.
    pub note: Option<String>,
    /// Layer and file it was read from.
    pub origin: Origin,
}

impl TimedAlias {
    fn covers(&self, at: Timestamp) -> bool {
        at >= self.from && self.until.is_none_or(|u| at < u)
    }
}

/// The outcome of resolving a name at an instant.
#[derive(Debug, Clone)]
pub struct Resolved<'a> {
    /// The name as asked.
    pub requested: String,
    /// The model that prices it.
    pub model: &'a Model,
    /// The row in force.
    pub row: &'a Arc<PriceRow>,
    /// Timed aliases followed, in order.
    pub via: Vec<&'a TimedAlias>,
    /// Confidence grade of the row.
    pub confidence: Option<&'a str>,
}

impl Resolved<'_> {
    /// Layer and file of the row that prices it.
    #[must_use]
    pub fn origin(&self) -> Origin {
        self.model
            .origin_of(self.row)
            .cloned()
            .unwrap_or_else(|| Origin {
                layer: Layer::BuiltIn,
                file: self.model.file.clone(),
            })
    }
}

/// Why a name could not be priced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LookupError {
    /// No model or alias of that name.
    #[error("unknown model `{name}`{}", suggest(.suggestions))]
    UnknownModel {
        /// The name.
        name: String,
        /// Close known names.
        suggestions: Vec<String>,
    },
    /// The model was retired before the instant.
    #[error("`{name}` was retired at {retired}{}", successor.as_ref().map(|s| format!("; its successor is `{s}`")).unwrap_or_default())]
    Retired {
        /// The name.
        name: String,
        /// When.
        retired: Timestamp,
        /// Its successor, if named.
        successor: Option<String>,
    },
    /// The instant is before the model's first price.
    #[error("`{name}` has no price before {first} (asked for {at})")]
    BeforeFirstPrice {
        /// The name.
        name: String,
        /// The instant asked for.
        at: Timestamp,
        /// Its first priced instant.
        first: Timestamp,
    },
    /// The instant falls outside every row (a gap, or after the last known price).
    #[error("`{name}` has no known price at {at}{}", last.map(|l| format!(" (its last known price ended at {l})")).unwrap_or_default())]
    NoPriceAt {
        /// The name.
        name: String,
        /// The instant.
        at: Timestamp,
        /// End of the latest row before the instant.
        last: Option<Timestamp>,
    },
    /// The model has a price then, but not in this currency.
    #[error("`{name}` has no {currency} price list at {at} (it is listed in {})", join_currencies(.available))]
    Currency {
        /// The name.
        name: String,
        /// Requested currency.
        currency: Currency,
        /// The instant.
        at: Timestamp,
        /// Currencies listed at that instant.
        available: Vec<Currency>,
    },
    /// Aliases point at each other in a loop (a catalog bug).
    #[error("alias `{0}` does not resolve to a model (loop or too deep)")]
    AliasLoop(String),
}

fn suggest(s: &[String]) -> String {
    if s.is_empty() {
        String::new()
    } else {
        format!(
            "; closest known: {}",
            s.iter()
                .map(|x| format!("`{x}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

fn join_currencies(c: &[Currency]) -> String {
    c.iter()
        .map(Currency::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Why a usage could not be priced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PriceError {
    /// No row for the name at the instant in the currency.
    #[error(transparent)]
    Lookup(#[from] LookupError),
    /// The row cannot price this usage.
    #[error(transparent)]
    Engine(#[from] llmcost_core::Error),
}

/// A short, stable reference to the row that priced a usage:
/// `<model> <currency> <from> <source>`.
#[must_use]
pub fn price_ref(r: &Resolved<'_>) -> String {
    row_ref(r.model, r.row)
}

/// [`price_ref`] of a model and one of its rows.
fn row_ref(model: &Model, row: &PriceRow) -> String {
    let s = row.spec();
    format!("{} {} {} {}", model.id, s.currency, s.from, s.source)
}

/// A loaded, validated catalog.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    models: Vec<Model>,
    /// Lower-cased id or permanent alias → model index.
    by_name: rustc_hash::FxHashMap<String, usize>,
    /// Lower-cased alias → its periods.
    timed: rustc_hash::FxHashMap<String, Vec<TimedAlias>>,
    schedules: HashMap<String, Arc<Schedule>>,
    providers: Vec<String>,
    /// Name patterns, in the order they are tried.
    patterns: Vec<Pattern>,
    /// Layered catalogs: every candidate row of a model (by index), as written.
    layer_rows: HashMap<usize, Vec<LayerRow>>,
    prefer: Prefer,
    imports: Vec<(Origin, ImportInfo)>,
    /// Names unknown here are looked up in the breadth layer.
    breadth: bool,
}

static BUILTIN: OnceLock<Result<Catalog, LoadError>> = OnceLock::new();

/// Provenance texts of price rows, made once per row by
/// [`Catalog::price_usage_with`] (keyed by the row's address in one catalog).
#[derive(Debug, Default)]
pub struct PriceRefs(
    rustc_hash::FxHashMap<(usize, usize), String>,
    Vec<Arc<Schedule>>,
);

impl PriceRefs {
    /// Schedules whose holiday calendar had ended at an instant priced with
    /// these refs (each once): those records were priced by the weekday rule.
    #[must_use]
    pub fn calendars_ended(&self) -> &[Arc<Schedule>] {
        &self.1
    }
}

impl Catalog {
    /// The catalog embedded in the binary, parsed and validated once.
    ///
    /// # Errors
    /// Only if the embedded data is invalid, which the crate's tests rule out.
    pub fn builtin() -> Result<&'static Catalog, &'static LoadError> {
        BUILTIN
            .get_or_init(|| Catalog::from_files(embedded::FILES).map(|c| c.set_breadth(true)))
            .as_ref()
    }

    /// The embedded catalog files as (file name, text).
    #[must_use]
    pub fn builtin_files() -> &'static [(&'static str, &'static str)] {
        embedded::FILES
    }

    /// Parses and validates catalog files given as (file name, text).
    ///
    /// # Errors
    /// The first problem found, with its file, line and field.
    pub fn from_files(files: &[(&str, &str)]) -> Result<Catalog, LoadError> {
        load::load(files)
    }

    /// Every model, in file order.
    #[must_use]
    pub fn models(&self) -> &[Model] {
        &self.models
    }

    /// Every timed alias.
    pub fn timed_aliases(&self) -> impl Iterator<Item = &TimedAlias> {
        self.timed.values().flatten()
    }

    /// Timed aliases of one name.
    #[must_use]
    pub fn timed_alias(&self, name: &str) -> &[TimedAlias] {
        self.timed
            .get(normalize(self, name).as_ref())
            .map_or(&[], Vec::as_slice)
    }

    /// Provider keys.
    #[must_use]
    pub fn providers(&self) -> &[String] {
        &self.providers
    }

    /// A named schedule.
    #[must_use]
    pub fn schedule(&self, name: &str) -> Option<&Arc<Schedule>> {
        self.schedules.get(name)
    }

    /// The model a name means regardless of time (id or permanent alias).
    #[must_use]
    pub fn model(&self, name: &str) -> Option<&Model> {
        let n = normalize(self, name);
        self.by_name
            .get(n.as_ref())
            .or_else(|| {
                self.snapshot_base(&n)
                    .and_then(|(base, _)| self.by_name.get(base))
            })
            .map(|&i| &self.models[i])
            .or_else(|| self.breadth_layer().and_then(|b| b.model(name)))
    }

    /// The dated-snapshot rule. A name that is not itself a model, alias or
    /// pattern, and ends in a snapshot date (`-YYYY-MM-DD`, `-YYYYMMDD`, or
    /// `-MM-YYYY` after `-preview`), means the model its undated base names,
    /// when that base is a model id or permanent alias (never a timed alias,
    /// which could point at another snapshot). Returns the base (lower case)
    /// and the date's first instant (00:00 UTC; the first of the month for
    /// `-MM-YYYY`): the snapshot is not priced before it.
    fn snapshot_base<'n>(&self, n: &'n str) -> Option<(&'n str, Timestamp)> {
        let (base, dated) = split_snapshot_date(n)?;
        if self.by_name.contains_key(n) || self.timed.contains_key(n) {
            return None;
        }
        if self.patterns.iter().any(|p| p.matches(n)) {
            return None;
        }
        self.by_name.contains_key(base).then_some((base, dated))
    }

    /// Whether the name is known at all (model, alias or timed alias).
    #[must_use]
    pub fn knows(&self, name: &str) -> bool {
        let n = normalize(self, name);
        self.by_name.contains_key(n.as_ref())
            || self.timed.contains_key(n.as_ref())
            || self.patterns.iter().any(|p| p.matches(&n))
            || self.snapshot_base(&n).is_some()
            || self.breadth_layer().is_some_and(|b| b.knows(name))
    }

    /// Resolves a name at an instant to the model and row that price it.
    /// With `currency` `None`, USD is preferred, then the first listed currency.
    ///
    /// # Errors
    /// Unknown, retired, not yet priced, no price in that currency.
    pub fn resolve(
        &self,
        name: &str,
        at: Timestamp,
        currency: Option<Currency>,
    ) -> Result<Resolved<'_>, LookupError> {
        let mut via = Vec::new();
        let model = self.resolve_model(name, at, currency, &mut via)?;
        let mut rows = model.rows.iter().enumerate().filter(|(_, r)| r.covers(at));
        let pick = match currency {
            Some(c) => rows.find(|(_, r)| r.spec().currency == c),
            None => {
                let all: Vec<_> = rows.collect();
                all.iter()
                    .find(|(_, r)| r.spec().currency == Currency::USD)
                    .or_else(|| all.first())
                    .copied()
            }
        };
        match pick {
            Some((i, row)) => Ok(Resolved {
                requested: name.to_string(),
                model,
                row,
                via,
                confidence: model.confidence.get(i).and_then(|c| c.as_deref()),
            }),
            None => {
                let available: Vec<Currency> =
                    model.rows_at(at).map(|r| r.spec().currency).collect();
                match currency {
                    Some(c) if !available.is_empty() => Err(LookupError::Currency {
                        name: name.to_string(),
                        currency: c,
                        at,
                        available,
                    }),
                    _ => Err(self.why_not(name, model, at)),
                }
            }
        }
    }

    /// Prices a usage of `name` at `at` in `currency` (the provider's own list in
    /// that currency; no conversion). Returns the exact total and a short
    /// reference to the row that priced it (`model currency from source`).
    ///
    /// # Errors
    /// [`PriceError::Lookup`] when the name has no price then (unknown,
    /// retired, no list in that currency); [`PriceError::Engine`] when the row
    /// cannot price the usage (a bucket without a rate, an unpublished tier).
    pub fn price_usage(
        &self,
        name: &str,
        at: Timestamp,
        currency: Currency,
        usage: &llmcost_core::Usage,
        tier: llmcost_core::ServiceTier,
    ) -> Result<(llmcost_core::Decimal, String), PriceError> {
        let (total, model, row) = self.price_lean(name, at, currency, usage, tier)?;
        Ok((total, row_ref(model, row)))
    }

    /// As [`Catalog::price_usage`], with each row's provenance text made once
    /// and kept in `refs` (bulk pricing: formatting it costs more than the
    /// pricing itself).
    ///
    /// # Errors
    /// As [`Catalog::price_usage`].
    pub fn price_usage_with(
        &self,
        name: &str,
        at: Timestamp,
        currency: Currency,
        usage: &llmcost_core::Usage,
        tier: llmcost_core::ServiceTier,
        refs: &mut PriceRefs,
    ) -> Result<(llmcost_core::Decimal, String), PriceError> {
        let (total, model, row) = self.price_lean(name, at, currency, usage, tier)?;
        let key = (
            std::ptr::from_ref(model) as usize,
            Arc::as_ptr(row) as usize,
        );
        if let Some(o) = &row.spec().off_peak
            && o.schedule.beyond_calendar(at)
            && !refs.1.iter().any(|s| Arc::ptr_eq(s, &o.schedule))
        {
            refs.1.push(o.schedule.clone());
        }
        let text = refs.0.entry(key).or_insert_with(|| row_ref(model, row));
        Ok((total, text.clone()))
    }

    /// The exact total of a usage of `name` at `at` in `currency`, without
    /// provenance: the hot path of bulk pricing.
    ///
    /// # Errors
    /// As [`Catalog::price_usage`].
    pub fn price_total(
        &self,
        name: &str,
        at: Timestamp,
        currency: Currency,
        usage: &llmcost_core::Usage,
        tier: llmcost_core::ServiceTier,
    ) -> Result<llmcost_core::Decimal, PriceError> {
        self.price_lean(name, at, currency, usage, tier)
            .map(|x| x.0)
    }

    fn price_lean(
        &self,
        name: &str,
        at: Timestamp,
        currency: Currency,
        usage: &llmcost_core::Usage,
        tier: llmcost_core::ServiceTier,
    ) -> Result<(llmcost_core::Decimal, &Model, &Arc<PriceRow>), PriceError> {
        // No allocation when the name needs no normalising and no alias is
        // followed; errors are explained by `resolve`. First the common case
        // of `resolve_model`'s first rule: the named model has a row in force.
        if let Some(&i) = self.by_name.get(normalize(self, name).as_ref()) {
            let m = &self.models[i];
            if let Some(row) = m
                .rows
                .iter()
                .find(|r| r.spec().currency == currency && r.covers(at))
            {
                return Ok((row.total(usage, at, tier)?, m, row));
            }
        }
        let mut via = Vec::new();
        let model = self.resolve_model(name, at, Some(currency), &mut via)?;
        let Some(row) = model
            .rows
            .iter()
            .find(|r| r.spec().currency == currency && r.covers(at))
        else {
            return Err(self
                .resolve(name, at, Some(currency))
                .err()
                .unwrap_or_else(|| self.why_not(name, model, at))
                .into());
        };
        Ok((row.total(usage, at, tier)?, model, row))
    }

    /// The model that prices `name` at `at`, following timed aliases.
    ///
    /// # Errors
    /// As [`Catalog::resolve`].
    pub fn resolve_model<'a>(
        &'a self,
        name: &str,
        at: Timestamp,
        currency: Option<Currency>,
        via: &mut Vec<&'a TimedAlias>,
    ) -> Result<&'a Model, LookupError> {
        let mut current = normalize(self, name);
        for _ in 0..8 {
            let model = self.by_name.get(current.as_ref()).map(|&i| &self.models[i]);
            let in_force = |m: &Model, any_currency: bool| {
                m.rows_at(at)
                    .any(|r| any_currency || currency.is_none_or(|c| r.spec().currency == c))
            };
            if let Some(m) = model
                && in_force(m, false)
            {
                return Ok(m);
            }
            if let Some(a) = self
                .timed
                .get(current.as_ref())
                .and_then(|v| v.iter().find(|a| a.covers(at)))
            {
                via.push(a);
                current = normalize(self, &a.target);
                continue;
            }
            if model.is_none()
                && !self.timed.contains_key(current.as_ref())
                && let Some(p) = self.patterns.iter().find(|p| p.matches(&current))
            {
                via.push(&p.alias);
                current = normalize(self, &p.alias.target);
                continue;
            }
            if model.is_none()
                && !self.timed.contains_key(current.as_ref())
                && let Some((base, dated)) = self.snapshot_base(&current)
            {
                if at < dated {
                    // A snapshot cannot be called before the date it is named after.
                    return Err(LookupError::BeforeFirstPrice {
                        name: name.to_string(),
                        at,
                        first: dated,
                    });
                }
                current = std::borrow::Cow::Owned(base.to_string());
                continue;
            }
            if let Some(m) = model
                && in_force(m, true)
            {
                // Priced then, only in another currency: `resolve` says which.
                return Ok(m);
            }
            return match model {
                Some(m) => Err(self.why_not(name, m, at)),
                None if self.timed.contains_key(current.as_ref()) => {
                    let periods = &self.timed[current.as_ref()];
                    let first = periods.iter().map(|a| a.from).min();
                    match first {
                        Some(first) if at < first => Err(LookupError::BeforeFirstPrice {
                            name: name.to_string(),
                            at,
                            first,
                        }),
                        _ => Err(LookupError::NoPriceAt {
                            name: name.to_string(),
                            at,
                            last: periods.iter().filter_map(|a| a.until).max(),
                        }),
                    }
                }
                None => {
                    // Beneath every other layer: the breadth snapshot, for
                    // names no other layer knows at all.
                    if let Some(b) = self.breadth_layer() {
                        match b.resolve_model(name, at, currency, via) {
                            Err(LookupError::UnknownModel { .. }) => {}
                            found => return found,
                        }
                    }
                    Err(LookupError::UnknownModel {
                        name: name.to_string(),
                        suggestions: self.suggestions(name, 3),
                    })
                }
            };
        }
        Err(LookupError::AliasLoop(name.to_string()))
    }

    fn why_not(&self, name: &str, m: &Model, at: Timestamp) -> LookupError {
        if let Some(r) = m.retired
            && at >= r
        {
            return LookupError::Retired {
                name: name.to_string(),
                retired: r,
                successor: m.successor.clone(),
            };
        }
        match m.first_from() {
            Some(first) if at < first => LookupError::BeforeFirstPrice {
                name: name.to_string(),
                at,
                first,
            },
            _ => LookupError::NoPriceAt {
                name: name.to_string(),
                at,
                last: m
                    .rows
                    .iter()
                    .filter_map(|r| r.spec().until)
                    .filter(|u| *u <= at)
                    .max(),
            },
        }
    }

    /// Known names closest to `name` (ids, aliases), best first.
    #[must_use]
    pub fn suggestions(&self, name: &str, n: usize) -> Vec<String> {
        let q = normalize(self, name);
        let breadth = self.breadth_layer();
        let mut scored: Vec<(f64, &str)> = self
            .by_name
            .keys()
            .chain(self.timed.keys())
            .chain(breadth.into_iter().flat_map(|b| b.by_name.keys()))
            .map(|k| (strsim::jaro_winkler(&q, k), k.as_str()))
            .filter(|(s, _)| *s > 0.75)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
        scored.dedup_by(|a, b| a.1 == b.1);
        scored
            .into_iter()
            .take(n)
            .map(|(_, k)| k.to_string())
            .collect()
    }

    /// Models whose id, alias, name or provider contains `query` (case-insensitive).
    #[must_use]
    pub fn search(&self, query: &str) -> Vec<&Model> {
        let q = query.to_ascii_lowercase();
        let timed_targets: Vec<&str> = self
            .timed
            .iter()
            .filter(|(k, _)| k.contains(&q))
            .flat_map(|(_, v)| v.iter().map(|a| a.target.as_str()))
            .collect();
        self.models
            .iter()
            // A model only a lower layer named, whose rows all lost to
            // another layer, has nothing to show.
            .filter(|m| !m.rows.is_empty() || !self.has_layers())
            .filter(|m| {
                q.is_empty()
                    || m.id.to_ascii_lowercase().contains(&q)
                    || m.provider.contains(&q)
                    || m.aliases
                        .iter()
                        .any(|a| a.to_ascii_lowercase().contains(&q))
                    || m.name
                        .as_ref()
                        .is_some_and(|n| n.to_ascii_lowercase().contains(&q))
                    || timed_targets.iter().any(|t| t.eq_ignore_ascii_case(&m.id))
            })
            .collect()
    }
}

/// Provider prefixes accepted before a model id (`deepseek/deepseek-chat`).
const PREFIX_ALIASES: &[(&str, &str)] = &[
    ("x-ai", "xai"),
    ("grok", "xai"),
    ("gemini", "google"),
    ("google-ai-studio", "google"),
    ("mistralai", "mistral"),
    ("claude", "anthropic"),
];

/// Lower-cases a name and strips a known provider prefix or `models/`.
/// Borrows when the name is already in canonical form (the common case).
fn normalize<'n>(cat: &Catalog, name: &'n str) -> std::borrow::Cow<'n, str> {
    let t = name.trim();
    if !t.bytes().any(|b| b.is_ascii_uppercase() || b == b'/') {
        return std::borrow::Cow::Borrowed(t);
    }
    let mut n = t.to_ascii_lowercase();
    if let Some(rest) = n.strip_prefix("models/") {
        n = rest.to_string();
    }
    if let Some((prefix, rest)) = n.split_once('/') {
        let known = cat.providers.iter().any(|p| p == prefix)
            || PREFIX_ALIASES.iter().any(|(a, _)| *a == prefix);
        if known && !rest.is_empty() {
            n = rest.to_string();
        }
    }
    std::borrow::Cow::Owned(n)
}

/// Splits a trailing snapshot date off a (lower-case) name: `-YYYY-MM-DD`
/// (OpenAI), `-YYYYMMDD` (Anthropic) or `-preview-MM-YYYY` (Gemini, whose
/// base keeps `-preview`). The date must exist; years 2020–2099 only.
fn split_snapshot_date(n: &str) -> Option<(&str, Timestamp)> {
    fn num(s: &str) -> Option<i16> {
        if s.bytes().all(|b| b.is_ascii_digit()) {
            s.parse().ok()
        } else {
            None
        }
    }
    fn day(y: i16, m: i16, d: i16) -> Option<Timestamp> {
        if !(2020..=2099).contains(&y) {
            return None;
        }
        let m = i8::try_from(m).ok()?;
        let d = i8::try_from(d).ok()?;
        jiff::civil::Date::new(y, m, d)
            .ok()?
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp())
    }
    if !n.is_ascii() {
        return None;
    }
    let b = n.as_bytes();
    let len = b.len();
    // -YYYY-MM-DD
    if len > 11 && b[len - 11] == b'-' && b[len - 6] == b'-' && b[len - 3] == b'-' {
        let (y, m, d) = (
            num(&n[len - 10..len - 6])?,
            num(&n[len - 5..len - 3])?,
            num(&n[len - 2..])?,
        );
        return day(y, m, d).map(|t| (&n[..len - 11], t));
    }
    // -YYYYMMDD
    if len > 9
        && b[len - 9] == b'-'
        && let (Some(y), Some(m), Some(d)) = (
            num(&n[len - 8..len - 4]),
            num(&n[len - 4..len - 2]),
            num(&n[len - 2..]),
        )
    {
        return day(y, m, d).map(|t| (&n[..len - 9], t));
    }
    // -preview-MM-YYYY
    if len > 8 && b[len - 8] == b'-' && b[len - 5] == b'-' && n[..len - 8].ends_with("-preview") {
        let (m, y) = (num(&n[len - 7..len - 5])?, num(&n[len - 4..])?);
        return day(y, m, 1).map(|t| (&n[..len - 8], t));
    }
    None
}

#[cfg(test)]
mod tests;
