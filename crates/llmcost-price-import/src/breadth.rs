//! The breadth layer: price databases that keep history (pydantic/genai-prices)
//! and, for names they lack, LiteLLM's and OpenRouter's lists, turned into
//! catalog files that rank beneath the curated catalog.
//!
//! Every row keeps its origin (the file's `[import]` header: format, source,
//! snapshot date), its licence (the row's `note`) and a confidence grade:
//! `B` where genai-prices and LiteLLM agree on the input and output rates in
//! force at the snapshot, else `C`.

use std::collections::{HashMap, HashSet};

use llmcost_core::{Rates, Timestamp};

use crate::emit::{BreadthMeta, write};
use crate::{Entry, ImportError, ImportOptions, Rounded, Skipped, genai, litellm, openrouter};

/// The six providers of the curated catalog, first in the breadth data.
const FIRST: &[&str] = &[
    "anthropic",
    "deepseek",
    "google",
    "mistral",
    "openai",
    "xai",
];

/// LiteLLM providers whose entries are first-party prices of those six.
const LITELLM_FIRST_PARTY: &[&str] = &[
    "openai",
    "text-completion-openai",
    "anthropic",
    "gemini",
    "xai",
    "deepseek",
    "mistral",
    "codestral",
];

/// One source database.
#[derive(Debug, Clone)]
pub struct BreadthSource<'a> {
    /// The file's text.
    pub text: &'a str,
    /// Where it came from (URL or path), written as each row's `source`.
    pub source: String,
    /// Snapshot date, `YYYY-MM-DD`.
    pub snapshot: jiff::civil::Date,
}

/// What the generator reads.
#[derive(Debug, Clone)]
pub struct BreadthInputs<'a> {
    /// pydantic/genai-prices `prices/new_data/v2/data.json` (MIT).
    pub genai: BreadthSource<'a>,
    /// LiteLLM `model_prices_and_context_window.json` (MIT).
    pub litellm: Option<BreadthSource<'a>>,
    /// OpenRouter `GET /api/v1/models`.
    pub openrouter: Option<BreadthSource<'a>>,
}

/// One generated catalog file.
#[derive(Debug, Clone)]
pub struct BreadthFile {
    /// File name (`genai-prices.toml`, `litellm.toml`, `openrouter.toml`).
    pub name: String,
    /// Catalog TOML.
    pub toml: String,
    /// Models written.
    pub models: usize,
}

/// The generator's result.
#[derive(Debug, Clone)]
pub struct Breadth {
    /// The files, genai-prices first.
    pub files: Vec<BreadthFile>,
    /// genai-prices models graded B (LiteLLM agrees on input and output).
    pub agreed: usize,
    /// genai-prices models LiteLLM prices differently (name, ours, theirs).
    pub disagreed: Vec<String>,
    /// Entries that got no row, with why.
    pub skipped: Vec<Skipped>,
    /// Values rounded by the precision rule.
    pub rounded: Vec<Rounded>,
    /// LiteLLM's first-party entries of the six providers, all of them (not
    /// embedded: the catalog audit compares the curated rows with them).
    pub audit_litellm: Option<BreadthFile>,
    /// `provider id` of every model of the six curated providers that
    /// genai-prices lists as current (not deprecated): the coverage list.
    pub current: Vec<String>,
}

/// Lower-cased, without `models/` or a `provider/` prefix.
fn norm(name: &str, providers: &HashSet<String>) -> String {
    let mut n = name.trim().to_ascii_lowercase();
    if let Some(r) = n.strip_prefix("models/") {
        n = r.to_string();
    }
    if let Some((p, rest)) = n.split_once('/')
        && !rest.is_empty()
        && (providers.contains(p) || matches!(p, "x-ai" | "gemini" | "mistralai" | "google"))
    {
        n = rest.to_string();
    }
    n
}

fn midnight(d: jiff::civil::Date) -> Result<Timestamp, ImportError> {
    d.to_zoned(jiff::tz::TimeZone::UTC)
        .map(|z| z.timestamp())
        .map_err(|e| ImportError::Shape {
            format: crate::Format::GenaiPrices,
            message: format!("snapshot date: {e}"),
        })
}

/// The rates in force at `at` (the last dated set that started by then).
fn rates_at(e: &Entry, at: Timestamp) -> &Rates {
    e.later
        .iter()
        .rev()
        .find(|d| d.from <= at)
        .map_or(&e.rates, |d| &d.rates)
}

/// Names a breadth entry answers to: id and aliases (normalised), and globs.
struct Index {
    names: HashMap<String, usize>,
    globs: Vec<(String, usize)>,
}

impl Index {
    fn find(&self, name: &str) -> Option<usize> {
        self.names.get(name).copied().or_else(|| {
            // Most literal characters first, as the catalog tries them.
            self.globs
                .iter()
                .filter(|(g, _)| llmcost_catalog::glob_match(g.as_bytes(), name.as_bytes()))
                .max_by_key(|(g, _)| g.bytes().filter(|&b| b != b'*').count())
                .map(|(_, i)| *i)
        })
    }
}

/// Turns the source databases into breadth catalog files.
///
/// # Errors
/// A source that is not its format's JSON shape.
pub fn generate_breadth(inputs: &BreadthInputs<'_>) -> Result<Breadth, ImportError> {
    let mut skipped = Vec::new();
    let mut rounded = Vec::new();
    let g = &inputs.genai;
    let mut entries = genai::read(g.text, &mut skipped, &mut rounded)?;
    // The six curated providers first; then the others in file order.
    entries.sort_by_key(|e| {
        e.provider
            .as_deref()
            .and_then(|p| FIRST.iter().position(|f| *f == p))
            .unwrap_or(FIRST.len())
    });
    let mut providers: HashSet<String> =
        entries.iter().filter_map(|e| e.provider.clone()).collect();
    providers.extend(FIRST.iter().map(|s| (*s).to_string()));
    let mut index = Index {
        names: HashMap::new(),
        globs: Vec::new(),
    };
    let mut kept: Vec<Entry> = Vec::with_capacity(entries.len());
    for mut e in entries {
        let key = norm(&e.id, &providers);
        if let Some(&i) = index.names.get(&key) {
            skipped.push(Skipped {
                model: format!("{}/{}", e.provider.as_deref().unwrap_or("?"), e.id),
                reason: format!(
                    "same name as {}'s `{}`, listed first",
                    kept[i].provider.as_deref().unwrap_or("?"),
                    kept[i].id
                ),
            });
            continue;
        }
        let i = kept.len();
        index.names.insert(key, i);
        e.aliases.retain(|a| {
            let k = norm(a, &providers);
            match index.names.get(&k) {
                Some(_) => false,
                None => {
                    index.names.insert(k, i);
                    true
                }
            }
        });
        e.patterns.retain(|p| {
            let k = p.to_ascii_lowercase();
            if index.globs.iter().any(|(x, _)| *x == k) {
                false
            } else {
                index.globs.push((k, i));
                true
            }
        });
        if e.deprecated {
            e.note = Some("marked deprecated by genai-prices".to_string());
        }
        kept.push(e);
    }
    let snap = midnight(g.snapshot)?;
    let mut agreed_flags = vec![false; kept.len()];
    let mut disagreed = Vec::new();
    let mut files = Vec::new();
    let extra = |src: &BreadthSource<'_>,
                 fmt: crate::Format,
                 kept: &[Entry],
                 agreed_flags: &mut Vec<bool>,
                 disagreed: &mut Vec<String>,
                 skipped: &mut Vec<Skipped>,
                 rounded: &mut Vec<Rounded>|
     -> Result<(Vec<Entry>, Vec<Entry>), ImportError> {
        let all = match fmt {
            crate::Format::OpenRouter => openrouter::read(src.text, skipped, rounded)?,
            _ => litellm::read(src.text, skipped, rounded)?,
        };
        let mut own: HashSet<String> = HashSet::new();
        let mut out = Vec::new();
        let mut first_party = Vec::new();
        for mut e in all {
            if fmt == crate::Format::LiteLlm
                && !e
                    .provider
                    .as_deref()
                    .is_some_and(|p| LITELLM_FIRST_PARTY.contains(&p))
            {
                continue;
            }
            if fmt == crate::Format::LiteLlm {
                let mut c = e.clone();
                c.confidence = Some("C");
                first_party.push(c);
            }
            let key = norm(&e.id, &providers);
            let hit = std::iter::once(key.clone())
                .chain(e.aliases.iter().map(|a| norm(a, &providers)))
                .find_map(|n| index.find(&n));
            if let Some(i) = hit {
                if fmt == crate::Format::LiteLlm && index.names.get(&key) == Some(&i) {
                    let ours = rates_at(&kept[i], snap);
                    if ours.input == e.rates.input && ours.output == e.rates.output {
                        agreed_flags[i] = true;
                    } else {
                        disagreed.push(format!(
                            "{}: genai-prices {}/{} litellm {}/{}",
                            kept[i].id,
                            show(ours.input),
                            show(ours.output),
                            show(e.rates.input),
                            show(e.rates.output)
                        ));
                    }
                }
                continue;
            }
            if !own.insert(key) {
                continue;
            }
            e.aliases.retain(|a| own.insert(norm(a, &providers)));
            e.confidence = Some("C");
            out.push(e);
        }
        Ok((out, first_party))
    };
    let mut later_files: Vec<(Vec<Entry>, &BreadthSource<'_>, crate::Format, &str)> = Vec::new();
    let mut audit_entries = None;
    if let Some(l) = &inputs.litellm {
        let (v, fp) = extra(
            l,
            crate::Format::LiteLlm,
            &kept,
            &mut agreed_flags,
            &mut disagreed,
            &mut skipped,
            &mut rounded,
        )?;
        later_files.push((v, l, crate::Format::LiteLlm, "MIT"));
        audit_entries = Some((fp, l));
    }
    if let Some(o) = &inputs.openrouter {
        let (v, _) = extra(
            o,
            crate::Format::OpenRouter,
            &kept,
            &mut agreed_flags,
            &mut disagreed,
            &mut skipped,
            &mut rounded,
        )?;
        later_files.push((v, o, crate::Format::OpenRouter, "OpenRouter terms"));
    }
    let mut agreed = 0;
    for (e, ok) in kept.iter_mut().zip(&agreed_flags) {
        e.confidence = Some(if *ok { "B" } else { "C" });
        agreed += usize::from(*ok);
    }
    let file = |entries: Vec<Entry>,
                src: &BreadthSource<'_>,
                fmt: crate::Format,
                licence: &str|
     -> Result<BreadthFile, ImportError> {
        let snapshot = src.snapshot.to_string();
        let i = write(
            entries,
            &ImportOptions {
                format: fmt,
                source: src.source.clone(),
                imported: midnight(src.snapshot)?,
                from: Some(Timestamp::UNIX_EPOCH),
            },
            Vec::new(),
            Vec::new(),
            Some(&BreadthMeta {
                origin: fmt.key(),
                licence,
                snapshot: &snapshot,
            }),
        );
        Ok(BreadthFile {
            name: format!("{}.toml", fmt.key()),
            toml: i.toml,
            models: i.models,
        })
    };
    let audit_litellm = match audit_entries {
        Some((fp, l)) => {
            let mut f = file(fp, l, crate::Format::LiteLlm, "MIT")?;
            f.name = "audit/litellm-first-party.toml".into();
            Some(f)
        }
        None => None,
    };
    files.push(file(kept, g, crate::Format::GenaiPrices, "MIT")?);
    for (v, src, fmt, licence) in later_files {
        files.push(file(v, src, fmt, licence)?);
    }
    let current = genai::current_ids(g.text)?
        .into_iter()
        .filter(|(p, _)| FIRST.contains(&p.as_str()))
        .map(|(p, id)| format!("{p} {id}"))
        .collect();
    Ok(Breadth {
        files,
        agreed,
        disagreed,
        skipped,
        rounded,
        audit_litellm,
        current,
    })
}

fn show(d: Option<rust_decimal::Decimal>) -> String {
    d.map_or_else(|| "-".to_string(), |d| d.normalize().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GENAI: &str = r#"[
      {"id": "openai", "models": [
        {"id": "gpt-9", "match": {"or": [{"equals": "gpt-9"}, {"starts_with": "gpt-9-2027"}]},
         "prices": [{"prices": {"input_mtok": 1.25, "output_mtok": 10}},
                    {"constraint": {"start_date": "2027-01-01"}, "prices": {"input_mtok": 2, "output_mtok": 12}}]},
        {"id": "gpt-8", "match": {"equals": "gpt-8"}, "prices": {"input_mtok": 1, "output_mtok": 4}}
      ]},
      {"id": "openrouter", "models": [
        {"id": "openai/gpt-9", "match": {"equals": "openai/gpt-9"}, "prices": {"input_mtok": 9, "output_mtok": 9}}
      ]}
    ]"#;

    const LITELLM: &str = r#"{
      "gpt-9": {"litellm_provider": "openai", "input_cost_per_token": 1.25e-06, "output_cost_per_token": 1e-05},
      "gpt-8": {"litellm_provider": "openai", "input_cost_per_token": 2e-06, "output_cost_per_token": 4e-06},
      "gpt-9-2027-01-01": {"litellm_provider": "openai", "input_cost_per_token": 1e-06, "output_cost_per_token": 1e-05},
      "o9": {"litellm_provider": "openai", "input_cost_per_token": 3e-06, "output_cost_per_token": 1.2e-05},
      "bedrock/foo": {"litellm_provider": "bedrock", "input_cost_per_token": 1e-06, "output_cost_per_token": 1e-06}
    }"#;

    #[test]
    fn grades_merges_and_keeps_history() {
        let d: jiff::civil::Date = "2026-08-21".parse().expect("date");
        let b = generate_breadth(&BreadthInputs {
            genai: BreadthSource {
                text: GENAI,
                source: "genai.json".into(),
                snapshot: d,
            },
            litellm: Some(BreadthSource {
                text: LITELLM,
                source: "litellm.json".into(),
                snapshot: d,
            }),
            openrouter: None,
        })
        .expect("generates");
        // gpt-9: both say 1.25 / 10 → B; gpt-8: LiteLLM says 2 / 4 → C, listed.
        assert_eq!(b.agreed, 1);
        assert_eq!(
            b.disagreed,
            vec!["gpt-8: genai-prices 1/4 litellm 2/4".to_string()]
        );
        let g = &b.files[0];
        assert_eq!(g.name, "genai-prices.toml");
        assert_eq!(
            g.models, 2,
            "openrouter's openai/gpt-9 is the same name: skipped"
        );
        assert!(g.toml.contains("until = \"2027-01-01T00:00:00Z\""));
        assert!(g.toml.contains("confidence = \"B\""));
        assert!(g.toml.contains("patterns = [\"gpt-9-2027*\"]"));
        // LiteLLM adds only names genai-prices does not answer to, first-party only.
        let l = &b.files[1];
        assert_eq!(l.models, 1);
        assert!(l.toml.contains("id = \"o9\""));
        assert!(
            !l.toml.contains("gpt-9-2027-01-01"),
            "matched by a genai pattern"
        );
        assert!(!l.toml.contains("bedrock"));
        for f in &b.files {
            llmcost_catalog::Catalog::files_only(&[llmcost_catalog::CatalogFile {
                name: f.name.clone(),
                text: f.toml.clone(),
            }])
            .expect("loads");
        }
    }
}
