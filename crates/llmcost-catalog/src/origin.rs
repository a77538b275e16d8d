//! Where a price row comes from: its layer, origin file, import record and
//! name patterns. Shared by the loader and the layer merge.

use std::fmt;

use llmcost_core::Timestamp;

use crate::{Model, TimedAlias};

/// The start of a user row or alias written without `from`.
pub(crate) const BEGINNING: Timestamp = Timestamp::UNIX_EPOCH;

/// Where a row comes from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Layer {
    /// The curated catalog compiled into the binary.
    #[default]
    BuiltIn,
    /// A file the user wrote (config directory or `--catalog`).
    User,
    /// A file written by `llmcost prices import` (it has an `[import]` header).
    Imported,
    /// The breadth snapshot compiled into the binary (`catalog/breadth/`):
    /// generated from price databases, consulted only for names no other
    /// layer knows.
    Breadth,
}

impl Layer {
    /// Stable key: `built-in`, `user`, `imported` or `breadth`.
    #[must_use]
    pub fn key(self) -> &'static str {
        match self {
            Layer::BuiltIn => "built-in",
            Layer::User => "user",
            Layer::Imported => "imported",
            Layer::Breadth => "breadth",
        }
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// The layer and file a row or alias was read from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Origin {
    /// Layer.
    pub layer: Layer,
    /// File name (built-in) or path as given (user, imported).
    pub file: String,
}

impl Origin {
    /// `built-in`, `user:<file>`, `imported:<file>` or
    /// `breadth:<database>@<snapshot date>` (the JSON `price.catalog`).
    #[must_use]
    pub fn label(&self) -> String {
        match self.layer {
            Layer::BuiltIn => "built-in".to_string(),
            l => format!("{}:{}", l.key(), self.file),
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

/// The `[import]` header of an imported file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportInfo {
    /// `litellm` or `openrouter`.
    pub format: String,
    /// The URL or file the prices were read from.
    pub source: String,
    /// When the import ran.
    pub imported: Timestamp,
    /// Price fields that could not be mapped (`model: field = value (reason)`).
    pub unmapped: Vec<String>,
    /// Entries that got no row (`model: reason`).
    pub skipped: Vec<String>,
    /// `sha256:<hex>` of the text read, when recorded (`prices update`).
    pub digest: Option<String>,
}

/// A name pattern (`my-finetune-*`) that prices any matching name as a model.
#[derive(Debug, Clone)]
pub struct Pattern {
    /// Lower-cased glob: `*` any run of characters, `?` one character.
    pub glob: String,
    /// Followed like an alias (name = the glob, target = the model).
    pub alias: TimedAlias,
    /// Precedence rank.
    pub rank: u8,
}

impl Pattern {
    pub(crate) fn new(glob: &str, model: &Model, origin: Origin, rank: u8) -> Pattern {
        Pattern {
            glob: glob.to_ascii_lowercase(),
            alias: TimedAlias {
                name: glob.to_string(),
                target: model.id.clone(),
                from: BEGINNING,
                until: None,
                source: origin.label(),
                note: Some("pattern".to_string()),
                origin,
            },
            rank,
        }
    }

    /// Whether a (lower-cased) name matches.
    #[must_use]
    pub fn matches(&self, name: &str) -> bool {
        glob_match(self.glob.as_bytes(), name.as_bytes())
    }

    fn literal_len(&self) -> usize {
        self.glob
            .bytes()
            .filter(|&b| b != b'*' && b != b'?')
            .count()
    }
}

/// Most precise first within a rank: more literal characters win.
pub(crate) fn sort_patterns(p: &mut [Pattern]) {
    p.sort_by(|a, b| {
        a.rank
            .cmp(&b.rank)
            .then(b.literal_len().cmp(&a.literal_len()))
            .then(a.glob.cmp(&b.glob))
    });
}

/// Whether `s` matches the glob `p` (`*` any run of bytes, `?` one byte), as a
/// [`Pattern`] matches a name.
#[must_use]
pub fn glob_match(p: &[u8], s: &[u8]) -> bool {
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        match p.get(pi) {
            Some(b'*') => {
                star = Some((pi, si));
                pi += 1;
            }
            Some(&c) if c == b'?' || c == s[si] => {
                pi += 1;
                si += 1;
            }
            _ => match star {
                Some((sp, ss)) => {
                    pi = sp + 1;
                    si = ss + 1;
                    star = Some((sp, ss + 1));
                }
                None => return false,
            },
        }
    }
    p[pi.min(p.len())..].iter().all(|&c| c == b'*')
}
