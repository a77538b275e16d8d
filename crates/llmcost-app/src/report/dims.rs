//! Report dimensions besides time: what rows and breakdowns group by
//! (model, project, provider, source, tag, key, device), and the filters on
//! them. A record's values are read from a ledger record, or from a log entry
//! (paths: the project of its folder, the source of its format, the provider
//! and tags of the entry, no key, this machine as the device).

use std::str::FromStr;

use llmcost_ledger::Dim;
use llmcost_logs::SourceKind;
use serde::Serialize;

/// A dimension rows or breakdowns group by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// The model, as recorded.
    Model,
    /// The project.
    Project,
    /// The provider.
    Provider,
    /// The source (`claude-code`, `codex`, `proxy`...).
    Source,
    /// Each tag of a record (a record with two tags is in two groups).
    Tag,
    /// The API key fingerprint.
    Key,
    /// The device (machine or proxy instance).
    Device,
}

impl Dimension {
    /// Every dimension.
    pub const ALL: [Dimension; 7] = [
        Dimension::Model,
        Dimension::Project,
        Dimension::Provider,
        Dimension::Source,
        Dimension::Tag,
        Dimension::Key,
        Dimension::Device,
    ];

    /// Its name (`project`), the key of its value in JSON rows.
    #[must_use]
    pub fn key(self) -> &'static str {
        match self {
            Dimension::Model => "model",
            Dimension::Project => "project",
            Dimension::Provider => "provider",
            Dimension::Source => "source",
            Dimension::Tag => "tag",
            Dimension::Key => "key",
            Dimension::Device => "device",
        }
    }

    /// The name of a breakdown list in JSON rows (`projects`).
    #[must_use]
    pub fn plural(self) -> &'static str {
        match self {
            Dimension::Model => "models",
            Dimension::Project => "projects",
            Dimension::Provider => "providers",
            Dimension::Source => "sources",
            Dimension::Tag => "tags",
            Dimension::Key => "keys",
            Dimension::Device => "devices",
        }
    }

    /// The ledger's rollup dimension.
    #[must_use]
    pub fn dim(self) -> Dim {
        match self {
            Dimension::Model => Dim::Model,
            Dimension::Project => Dim::Project,
            Dimension::Provider => Dim::Provider,
            Dimension::Source => Dim::Source,
            Dimension::Tag => Dim::Tag,
            Dimension::Key => Dim::Key,
            Dimension::Device => Dim::Device,
        }
    }

    /// Whether the lean read of a ledger (time, model, project, session,
    /// source, tokens, cost) holds it.
    pub(crate) fn in_lean_read(self) -> bool {
        matches!(
            self,
            Dimension::Model | Dimension::Project | Dimension::Source
        )
    }
}

impl FromStr for Dimension {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        Dimension::ALL
            .into_iter()
            .find(|d| d.key() == t || d.plural() == t)
            .ok_or_else(|| {
                format!(
                    "unknown dimension `{s}`; use one of model, project, provider, source, tag, key, device"
                )
            })
    }
}

/// Filters on dimensions: a record is kept when each non-empty list holds
/// its value (tags: one of its tags). Models are in the settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DimFilters {
    /// Only these projects.
    pub projects: Vec<String>,
    /// Only these providers.
    pub providers: Vec<String>,
    /// Only these sources (a format name such as `claude` means its records' source, `claude-code`).
    pub sources: Vec<String>,
    /// Only records carrying one of these tags.
    pub tags: Vec<String>,
    /// Only these key fingerprints.
    pub keys: Vec<String>,
    /// Only these devices.
    pub devices: Vec<String>,
}

/// The source records of a `--source` value carry: a format name's record
/// source (`claude` → `claude-code`), else the value itself (`proxy`).
#[must_use]
pub fn record_source(s: &str) -> String {
    SourceKind::from_str(s).map_or_else(|_| s.trim().to_string(), |k| k.record_source().into())
}

impl DimFilters {
    /// No filter at all.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.projects.is_empty()
            && self.providers.is_empty()
            && self.sources.is_empty()
            && self.tags.is_empty()
            && self.keys.is_empty()
            && self.devices.is_empty()
    }

    /// The filters as records name their sources.
    #[must_use]
    pub fn normalised(&self) -> DimFilters {
        DimFilters {
            sources: self.sources.iter().map(|s| record_source(s)).collect(),
            ..self.clone()
        }
    }

    /// The dimensions the filters look at.
    pub(crate) fn dims(&self) -> Vec<Dimension> {
        [
            (Dimension::Project, &self.projects),
            (Dimension::Provider, &self.providers),
            (Dimension::Source, &self.sources),
            (Dimension::Tag, &self.tags),
            (Dimension::Key, &self.keys),
            (Dimension::Device, &self.devices),
        ]
        .into_iter()
        .filter(|(_, l)| !l.is_empty())
        .map(|(d, _)| d)
        .collect()
    }

    /// Whether a record with these values is kept (sources already normalised).
    pub(crate) fn keeps(&self, v: &Values<'_>) -> bool {
        fn one(list: &[String], v: Option<&str>) -> bool {
            list.is_empty() || v.is_some_and(|v| list.iter().any(|x| x == v))
        }
        one(&self.projects, v.project)
            && one(&self.providers, v.provider)
            && one(&self.sources, Some(v.source))
            && (self.tags.is_empty() || v.tags.iter().any(|t| self.tags.contains(t)))
            && one(&self.keys, v.key)
            && one(&self.devices, v.device)
    }
}

/// A record's values of the dimensions (the model apart).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Values<'a> {
    pub project: Option<&'a str>,
    pub provider: Option<&'a str>,
    pub source: &'a str,
    pub tags: &'a [String],
    pub key: Option<&'a str>,
    pub device: Option<&'a str>,
    /// The session (session reports).
    pub session: Option<&'a str>,
}

impl<'a> Values<'a> {
    /// The groups a record is in for `d` (`None`: it has no value; tags: each
    /// distinct tag, or one `None` without tags). The model is `model`.
    pub(crate) fn of(&self, d: Dimension, model: &'a str) -> Vec<Option<&'a str>> {
        match d {
            Dimension::Model => vec![Some(model)],
            Dimension::Project => vec![self.project],
            Dimension::Provider => vec![self.provider],
            Dimension::Source => vec![Some(self.source)],
            Dimension::Key => vec![self.key],
            Dimension::Device => vec![self.device],
            Dimension::Tag => {
                let mut v: Vec<Option<&str>> = Vec::with_capacity(self.tags.len().max(1));
                for t in self.tags {
                    if !v.contains(&Some(t.as_str())) {
                        v.push(Some(t));
                    }
                }
                if v.is_empty() {
                    v.push(None);
                }
                v
            }
        }
    }
}

/// The label of a group with no value (a record without a project, tag...).
pub const NONE_LABEL: &str = "-";
