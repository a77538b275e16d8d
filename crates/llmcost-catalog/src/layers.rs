//! Layered catalogs: the built-in rows, the user's own files and imported price
//! files, merged by precedence into one catalog in which every row names its
//! origin (layer and file).
//!
//! Precedence is decided per model, currency and instant. By default
//! ([`Prefer::Curated`]): user rows marked `override = true` (for their
//! period) > built-in curated rows > other user rows > imported rows. A row
//! that loses to a better one for part of its period keeps the rest; what it
//! lost is recorded ([`RowOutcome`]) so `llmcost prices which` can say why.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;

use llmcost_core::{Currency, PriceRow, Timestamp};

use crate::load::{Ctx, Part, parse_file};
use crate::origin::{ImportInfo, Layer, Origin, Pattern, sort_patterns};
use crate::{Catalog, LoadError, TimedAlias, normalize};

/// Which layer wins where several price the same model at the same instant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Prefer {
    /// User overrides (rows with `override = true`) > built-in > user > imported.
    #[default]
    Curated,
    /// Every user row > built-in > imported.
    User,
    /// Imported > user overrides > built-in > user.
    Imported,
}

impl Prefer {
    /// Stable key.
    #[must_use]
    pub fn key(self) -> &'static str {
        match self {
            Prefer::Curated => "curated",
            Prefer::User => "user",
            Prefer::Imported => "imported",
        }
    }

    /// Rank of a row (lower wins). Breadth rows rank last whatever the
    /// preference.
    #[must_use]
    pub fn rank(self, layer: Layer, overrides: bool) -> u8 {
        match (self, layer, overrides) {
            (_, Layer::Breadth, _) => 4,
            (Prefer::Curated, Layer::User, true)
            | (Prefer::User, Layer::User, _)
            | (Prefer::Imported, Layer::Imported, _) => 0,
            (Prefer::Curated, Layer::BuiltIn, _)
            | (Prefer::User, Layer::BuiltIn, _)
            | (Prefer::Imported, Layer::User, true) => 1,
            (Prefer::Curated, Layer::User, false)
            | (Prefer::User, Layer::Imported, _)
            | (Prefer::Imported, Layer::BuiltIn, _) => 2,
            (Prefer::Curated, Layer::Imported, _) | (Prefer::Imported, Layer::User, false) => 3,
        }
    }

    /// The order in words, best first.
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            Prefer::Curated => "user overrides (override = true) > built-in > user > imported",
            Prefer::User => "user > built-in > imported",
            Prefer::Imported => "imported > user overrides > built-in > user",
        }
    }
}

impl FromStr for Prefer {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "curated" | "built-in" | "builtin" => Ok(Prefer::Curated),
            "user" => Ok(Prefer::User),
            "imported" | "import" => Ok(Prefer::Imported),
            other => Err(format!(
                "unknown preference `{other}` (expected curated, user or imported)"
            )),
        }
    }
}

/// A user or imported catalog file: its name (as it should appear in
/// provenance) and text.
#[derive(Debug, Clone)]
pub struct CatalogFile {
    /// Path or name shown in messages and provenance.
    pub name: String,
    /// TOML text.
    pub text: String,
}

/// What became of a row when the layers were merged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowOutcome {
    /// In force for its whole period.
    Used,
    /// Beaten for part of its period by these origins.
    Partly {
        /// The winners.
        by: Vec<Origin>,
    },
    /// Beaten for its whole period.
    Shadowed {
        /// The winners.
        by: Vec<Origin>,
    },
}

/// A row as its file wrote it, before precedence, with what became of it.
#[derive(Debug, Clone)]
pub struct LayerRow {
    /// The row as written.
    pub row: Arc<PriceRow>,
    /// Its layer and file.
    pub origin: Origin,
    /// Confidence grade.
    pub confidence: Option<String>,
    /// Written with `override = true`.
    pub overrides: bool,
    /// Precedence rank (lower wins).
    pub rank: u8,
    /// What became of it.
    pub outcome: RowOutcome,
}

type Period = (Timestamp, Option<Timestamp>);

fn overlaps(a: Period, b: Period) -> bool {
    a.1.is_none_or(|au| b.0 < au) && b.1.is_none_or(|bu| a.0 < bu)
}

/// `period` minus the union of `blocks`, as ordered pieces.
fn subtract(period: Period, blocks: &mut [Period]) -> Vec<Period> {
    blocks.sort_by_key(|b| b.0);
    let (mut cur, end) = period;
    let mut out = Vec::new();
    for &(bf, bu) in blocks.iter() {
        if end.is_some_and(|e| bf >= e) {
            break;
        }
        if bu.is_some_and(|x| x <= cur) {
            continue;
        }
        if bf > cur {
            out.push((cur, Some(bf)));
        }
        match bu {
            None => return out,
            Some(x) => cur = cur.max(x),
        }
        if end.is_some_and(|e| cur >= e) {
            return out;
        }
    }
    out.push((cur, end));
    out
}

fn with_period(row: &Arc<PriceRow>, p: Period) -> Result<Arc<PriceRow>, llmcost_core::Error> {
    let s = row.spec();
    if s.from == p.0 && s.until == p.1 {
        return Ok(row.clone());
    }
    let mut spec = s.clone();
    spec.from = p.0;
    spec.until = p.1;
    PriceRow::new(spec).map(Arc::new)
}

static BREADTH: std::sync::OnceLock<Result<Catalog, LoadError>> = std::sync::OnceLock::new();

/// Marks a parsed breadth file's rows and aliases as the breadth layer, named
/// `<database>@<snapshot date>` after its `[import]` header.
fn retag_breadth(part: &mut Part) {
    let file = match &part.import {
        Some(i) => format!("{}@{}", i.format, i.imported.strftime("%Y-%m-%d")),
        None => part.origin.file.trim_end_matches(".toml").to_string(),
    };
    let origin = Origin {
        layer: Layer::Breadth,
        file,
    };
    // Rows written without `source` take the database's, from the header.
    let source = part.import.as_ref().map(|i| i.source.clone());
    let default = part.origin.label();
    for pm in &mut part.models {
        for o in &mut pm.model.origins {
            *o = origin.clone();
        }
        if let Some(src) = &source {
            for row in &mut pm.model.rows {
                if row.spec().source == default {
                    let mut spec = row.spec().clone();
                    spec.source.clone_from(src);
                    if let Ok(r) = PriceRow::new(spec) {
                        *row = Arc::new(r);
                    }
                }
            }
        }
    }
    for (a, _) in &mut part.aliases {
        a.origin = origin.clone();
    }
    part.origin = origin;
}

struct Pending {
    alias: TimedAlias,
    line: usize,
    rank: u8,
}

impl Catalog {
    /// The built-in catalog with user and imported files layered on it.
    /// A file with an `[import]` header is an imported file; any other is a
    /// user file. Among files of one layer, earlier files win.
    ///
    /// # Errors
    /// The first problem in a file, with its file, line and field.
    pub fn layered(files: &[CatalogFile], prefer: Prefer) -> Result<Catalog, LoadError> {
        let base = Catalog::builtin().map_err(Clone::clone)?;
        base.clone().with_layers(files, prefer)
    }

    /// User or imported files on their own, without the built-in rows (the
    /// built-in schedules and provider prefixes stay available): for
    /// comparing catalog files.
    ///
    /// # Errors
    /// The first problem in a file, with its file, line and field.
    pub fn files_only(files: &[CatalogFile]) -> Result<Catalog, LoadError> {
        let base = Catalog::builtin().map_err(Clone::clone)?;
        let empty = Catalog {
            schedules: base.schedules.clone(),
            providers: base.providers.clone(),
            ..Catalog::default()
        };
        empty.with_layers(files, Prefer::Curated)
    }

    /// This catalog (taken as the built-in layer) with user and imported
    /// files layered on it; see [`Catalog::layered`].
    ///
    /// # Errors
    /// The first problem in a file, with its file, line and field.
    pub fn with_layers(
        mut self,
        files: &[CatalogFile],
        prefer: Prefer,
    ) -> Result<Catalog, LoadError> {
        let mut parts: Vec<Part> = Vec::with_capacity(files.len());
        for f in files {
            let part = parse_file(&self.schedules, &Ctx::user(&f.name, &f.text))?;
            if part.origin.layer == crate::Layer::User
                && let Some(p) = &part.provider
                && !self.providers.contains(p)
            {
                self.providers.push(p.clone());
            }
            parts.push(part);
        }
        self.with_parts(parts, prefer)
    }

    /// The breadth layer (`catalog/breadth/*.toml`) on its own, parsed and
    /// merged once, with the built-in schedules and provider prefixes.
    ///
    /// # Errors
    /// Only if the embedded data is invalid, which the crate's tests rule out.
    pub fn breadth() -> Result<&'static Catalog, &'static LoadError> {
        BREADTH
            .get_or_init(|| {
                let base = Catalog::builtin().map_err(Clone::clone)?;
                let mut c = Catalog {
                    schedules: base.schedules.clone(),
                    providers: base.providers.clone(),
                    ..Catalog::default()
                };
                let mut parts = Vec::with_capacity(crate::embedded::BREADTH.len());
                for (name, text) in crate::embedded::BREADTH {
                    let mut part = parse_file(&c.schedules, &Ctx::user(name, text))?;
                    retag_breadth(&mut part);
                    for pm in &part.models {
                        if !c.providers.contains(&pm.model.provider) {
                            c.providers.push(pm.model.provider.clone());
                        }
                    }
                    parts.push(part);
                }
                c.with_parts(parts, Prefer::Curated)
            })
            .as_ref()
    }

    /// The breadth files compiled into the binary as (file name, text).
    #[must_use]
    pub fn breadth_files() -> &'static [(&'static str, &'static str)] {
        crate::embedded::BREADTH
    }

    /// Whether names this catalog does not know are looked up in the
    /// breadth layer (the built-in catalog and catalogs layered on it).
    #[must_use]
    pub fn uses_breadth(&self) -> bool {
        self.breadth
    }

    /// The same catalog without the breadth fallback (or with it).
    #[must_use]
    pub fn set_breadth(mut self, on: bool) -> Catalog {
        self.breadth = on;
        self
    }

    /// The breadth layer when this catalog falls back on it.
    pub(crate) fn breadth_layer(&self) -> Option<&'static Catalog> {
        if self.breadth {
            Catalog::breadth().ok()
        } else {
            None
        }
    }

    fn with_parts(mut self, parts: Vec<Part>, prefer: Prefer) -> Result<Catalog, LoadError> {
        self.prefer = prefer;
        // Candidate rows per model index, seeded with the model's own rows.
        let mut cands: HashMap<usize, Vec<LayerRow>> = HashMap::new();
        let seed = |cat: &Catalog, idx: usize| -> Vec<LayerRow> {
            let m = &cat.models[idx];
            m.rows
                .iter()
                .zip(&m.origins)
                .zip(&m.confidence)
                .map(|((row, origin), conf)| LayerRow {
                    row: row.clone(),
                    origin: origin.clone(),
                    confidence: conf.clone(),
                    overrides: false,
                    rank: prefer.rank(origin.layer, false),
                    outcome: RowOutcome::Used,
                })
                .collect()
        };
        let mut pending: Vec<Pending> = Vec::new();
        // The layer that defined each model (its id, retirement, successor).
        let mut defined_by: HashMap<usize, Origin> = HashMap::new();
        for part in parts {
            let err = |line: usize, message: String| LoadError {
                file: part.origin.file.clone(),
                line,
                message,
            };
            if let Some(info) = part.import
                && part.origin.layer != Layer::Breadth
            {
                self.imports.push((part.origin.clone(), info));
            }
            // Ids first, so an alias never takes a name a model of the same file has.
            let mut idxs = Vec::with_capacity(part.models.len());
            for pm in &part.models {
                let key = normalize(&self, &pm.model.id).into_owned();
                let idx = match self.by_name.get(&key) {
                    Some(&i) => i,
                    None => {
                        let i = self.models.len();
                        defined_by.insert(i, part.origin.clone());
                        let mut m = pm.model.clone();
                        m.rows.clear();
                        m.origins.clear();
                        m.confidence.clear();
                        m.aliases.clear();
                        self.models.push(m);
                        self.by_name.insert(key.clone(), i);
                        i
                    }
                };
                idxs.push(idx);
            }
            for (pm, idx) in part.models.into_iter().zip(idxs) {
                for a in &pm.model.aliases {
                    let k = normalize(&self, a).into_owned();
                    match self.by_name.get(&k) {
                        Some(&j) if j == idx => {}
                        Some(&j) => {
                            if part.origin.layer == crate::Layer::User {
                                return Err(err(
                                    pm.line,
                                    format!(
                                        "field `aliases`: `{a}` already names `{}` ({})",
                                        self.models[j].id,
                                        self.models[j]
                                            .origins
                                            .first()
                                            .map_or_else(|| "catalog".to_string(), Origin::label)
                                    ),
                                ));
                            }
                        }
                        None if self.timed.contains_key(&k) => {
                            if part.origin.layer == crate::Layer::User {
                                return Err(err(
                                    pm.line,
                                    format!(
                                        "field `aliases`: `{a}` is already an alias with a period; name another"
                                    ),
                                ));
                            }
                        }
                        None => {
                            self.by_name.insert(k, idx);
                            self.models[idx].aliases.push(a.clone());
                        }
                    }
                }
                let list = cands.entry(idx).or_insert_with(|| seed(&self, idx));
                for ((row, conf), ov) in pm
                    .model
                    .rows
                    .iter()
                    .zip(&pm.model.confidence)
                    .zip(&pm.overrides)
                {
                    list.push(LayerRow {
                        row: row.clone(),
                        origin: part.origin.clone(),
                        confidence: conf.clone(),
                        overrides: *ov,
                        rank: prefer.rank(part.origin.layer, *ov),
                        outcome: RowOutcome::Used,
                    });
                }
                for (glob, _) in &pm.patterns {
                    self.patterns.push(Pattern::new(
                        glob,
                        &self.models[idx],
                        part.origin.clone(),
                        prefer.rank(part.origin.layer, false),
                    ));
                }
            }
            for (alias, line) in part.aliases {
                pending.push(Pending {
                    rank: prefer.rank(part.origin.layer, false),
                    alias,
                    line,
                });
            }
        }
        self.merge_aliases(pending, prefer)?;
        for (idx, mut list) in cands {
            let key = self.models[idx].id.to_ascii_lowercase();
            let mut alias_blocks: Vec<(Period, u8, Origin)> = self
                .timed
                .get(&key)
                .map(|v| {
                    v.iter()
                        .map(|a| {
                            (
                                (a.from, a.until),
                                prefer.rank(a.origin.layer, false),
                                a.origin.clone(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            // A retirement binds the layers below the one that declared it: an
            // imported price never revives a model the curated catalog retired.
            if let Some(r) = self.models[idx].retired {
                let origin = defined_by.get(&idx).cloned().unwrap_or_else(|| Origin {
                    layer: Layer::BuiltIn,
                    file: self.models[idx].file.clone(),
                });
                let rank = prefer.rank(origin.layer, false);
                alias_blocks.push(((r, None), rank, origin));
            }
            let effective = carve(&mut list, &alias_blocks).map_err(|(o, e)| LoadError {
                file: o.file,
                line: 0,
                message: format!("model `{}`: {e}", self.models[idx].id),
            })?;
            let m = &mut self.models[idx];
            m.rows.clear();
            m.origins.clear();
            m.confidence.clear();
            for (row, origin, conf) in effective {
                m.rows.push(row);
                m.origins.push(origin);
                m.confidence.push(conf);
            }
            self.layer_rows.insert(idx, list);
        }
        sort_patterns(&mut self.patterns);
        Ok(self)
    }

    fn merge_aliases(
        &mut self,
        mut pending: Vec<Pending>,
        prefer: Prefer,
    ) -> Result<(), LoadError> {
        pending.sort_by_key(|p| p.rank);
        for p in pending {
            let target = normalize(self, &p.alias.target).into_owned();
            let known = self.by_name.contains_key(&target)
                || self.timed.contains_key(&target)
                || self.patterns.iter().any(|x| x.matches(&target));
            if !known {
                return Err(LoadError {
                    file: p.alias.origin.file.clone(),
                    line: p.line,
                    message: format!(
                        "field `target`: alias `{}` points at unknown model `{}`",
                        p.alias.name, p.alias.target
                    ),
                });
            }
            let key = normalize(self, &p.alias.name).into_owned();
            let periods = self.timed.entry(key).or_default();
            // Carve against periods already there that outrank it; carve
            // those it outranks.
            let mut better: Vec<Period> = periods
                .iter()
                .filter(|a| prefer.rank(a.origin.layer, false) <= p.rank)
                .map(|a| (a.from, a.until))
                .collect();
            let worse_overlap = |a: &TimedAlias| {
                prefer.rank(a.origin.layer, false) > p.rank
                    && overlaps((a.from, a.until), (p.alias.from, p.alias.until))
            };
            let mut kept: Vec<TimedAlias> = Vec::new();
            for a in periods.drain(..) {
                if worse_overlap(&a) {
                    for (f, u) in subtract((a.from, a.until), &mut [(p.alias.from, p.alias.until)])
                    {
                        kept.push(TimedAlias {
                            from: f,
                            until: u,
                            ..a.clone()
                        });
                    }
                } else {
                    kept.push(a);
                }
            }
            for (f, u) in subtract((p.alias.from, p.alias.until), &mut better) {
                kept.push(TimedAlias {
                    from: f,
                    until: u,
                    ..p.alias.clone()
                });
            }
            kept.sort_by_key(|a| a.from);
            *periods = kept;
        }
        Ok(())
    }

    /// Every row that priced `model_id` in any layer, as written, with what
    /// became of it (best rank first). For a catalog without layers: the
    /// model's own rows.
    #[must_use]
    pub fn layer_rows(&self, model_id: &str) -> Vec<LayerRow> {
        let Some(&idx) = self.by_name.get(&model_id.to_ascii_lowercase()) else {
            return self
                .breadth_layer()
                .map(|b| b.layer_rows(model_id))
                .unwrap_or_default();
        };
        if let Some(v) = self.layer_rows.get(&idx) {
            let mut v = v.clone();
            v.sort_by_key(|r| (r.rank, r.row.spec().currency, r.row.spec().from));
            return v;
        }
        let m = &self.models[idx];
        m.rows
            .iter()
            .zip(&m.origins)
            .zip(&m.confidence)
            .map(|((row, origin), conf)| LayerRow {
                row: row.clone(),
                origin: origin.clone(),
                confidence: conf.clone(),
                overrides: false,
                rank: self.prefer.rank(origin.layer, false),
                outcome: RowOutcome::Used,
            })
            .collect()
    }

    /// Whether user or imported files are layered on this catalog (when not,
    /// every row is built-in and provenance needs no lookup).
    #[must_use]
    pub fn has_layers(&self) -> bool {
        !self.layer_rows.is_empty() || !self.imports.is_empty()
    }

    /// The precedence order in force.
    #[must_use]
    pub fn prefer(&self) -> Prefer {
        self.prefer
    }

    /// Imported files layered on this catalog, with their headers.
    #[must_use]
    pub fn imports(&self) -> &[(Origin, ImportInfo)] {
        &self.imports
    }

    /// Every schedule, by name.
    #[must_use]
    pub fn schedules(&self) -> Vec<&Arc<llmcost_core::Schedule>> {
        let mut v: Vec<&Arc<llmcost_core::Schedule>> = self.schedules.values().collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v
    }

    /// Name patterns, in the order they are tried.
    #[must_use]
    pub fn patterns(&self) -> &[Pattern] {
        &self.patterns
    }
}

type Effective = Vec<(Arc<PriceRow>, Origin, Option<String>)>;

/// Resolves overlapping candidate rows into one non-overlapping set per
/// currency, best rank first; records each candidate's outcome.
fn carve(
    list: &mut [LayerRow],
    alias_blocks: &[(Period, u8, Origin)],
) -> Result<Effective, (Origin, llmcost_core::Error)> {
    let mut order: Vec<usize> = (0..list.len()).collect();
    // Stable: equal ranks keep file order.
    order.sort_by_key(|&i| list[i].rank);
    let mut placed: Vec<(Period, Currency, Origin)> = Vec::new();
    let mut out: Effective = Vec::new();
    for i in order {
        let c = &list[i];
        let s = c.row.spec();
        let period = (s.from, s.until);
        let mut by: Vec<Origin> = Vec::new();
        let mut blocks: Vec<Period> = Vec::new();
        for (p, cur, o) in &placed {
            if *cur == s.currency && overlaps(*p, period) {
                blocks.push(*p);
                if !by.contains(o) {
                    by.push(o.clone());
                }
            }
        }
        for (p, rank, o) in alias_blocks {
            if *rank < c.rank && overlaps(*p, period) {
                blocks.push(*p);
                if !by.contains(o) {
                    by.push(o.clone());
                }
            }
        }
        let pieces = subtract(period, &mut blocks);
        let outcome = if pieces.is_empty() {
            RowOutcome::Shadowed { by }
        } else if by.is_empty() {
            RowOutcome::Used
        } else {
            RowOutcome::Partly { by }
        };
        for piece in pieces {
            let row = with_period(&c.row, piece).map_err(|e| (c.origin.clone(), e))?;
            placed.push((piece, s.currency, c.origin.clone()));
            out.push((row, c.origin.clone(), c.confidence.clone()));
        }
        list[i].outcome = outcome;
    }
    out.sort_by_key(|(r, _, _)| (r.spec().currency, r.spec().from));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("instant")
    }

    #[test]
    fn subtract_cuts_holes() {
        let p = (ts("2025-01-01T00:00:00Z"), None);
        let mut b = [(ts("2025-03-01T00:00:00Z"), Some(ts("2025-04-01T00:00:00Z")))];
        assert_eq!(
            subtract(p, &mut b),
            vec![
                (ts("2025-01-01T00:00:00Z"), Some(ts("2025-03-01T00:00:00Z"))),
                (ts("2025-04-01T00:00:00Z"), None)
            ]
        );
        let mut all = [(ts("2024-01-01T00:00:00Z"), None)];
        assert!(subtract(p, &mut all).is_empty());
        let mut none: [Period; 0] = [];
        assert_eq!(subtract(p, &mut none), vec![p]);
    }

    #[test]
    fn globs() {
        let m = |p: &str, s: &str| crate::origin::glob_match(p.as_bytes(), s.as_bytes());
        assert!(m("my-finetune-*", "my-finetune-v3"));
        assert!(m("my-finetune-*", "my-finetune-"));
        assert!(!m("my-finetune-*", "my-finetun"));
        assert!(m("ft:*:acme:*", "ft:gpt-4o-mini:acme:abc123"));
        assert!(m("a?c", "abc"));
        assert!(!m("a?c", "abbc"));
    }

    #[test]
    fn ranks() {
        assert!(
            Prefer::Curated.rank(Layer::User, true) < Prefer::Curated.rank(Layer::BuiltIn, false)
        );
        assert!(
            Prefer::Curated.rank(Layer::BuiltIn, false) < Prefer::Curated.rank(Layer::User, false)
        );
        assert!(
            Prefer::Curated.rank(Layer::User, false) < Prefer::Curated.rank(Layer::Imported, false)
        );
        assert!(Prefer::User.rank(Layer::User, false) < Prefer::User.rank(Layer::BuiltIn, false));
    }
}
