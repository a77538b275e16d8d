//! Aggregation straight from log files: files in parallel, each streamed;
//! across files only fixed-size hashes are kept, to de-duplicate.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use llmcost_catalog::Catalog;
use llmcost_logs::{Entry, Issue, SourceKind};
use rayon::prelude::*;

use super::agg::{Agg, HashSet64, Shape};
use super::dims::{DimFilters, Dimension, Values};
use super::seen::Seen;
use super::{Period, Pricer, ReportQuery, ReportSettings};
use crate::error::{Error, Result};

/// Files fetched ahead of the one being read, per thread.
const READ_AHEAD: usize = 4;

thread_local! {
    /// The end of the files already asked for by this thread's run.
    static AHEAD_UNTIL: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// A side-chain entry held back until every file is read, with its session and project.
type Deferred = (Entry, Arc<str>, Option<Arc<str>>);

/// Reads the usage files under `paths` (of kind `source`, else told from
/// path and content) straight into an aggregate, in parallel. Lines that
/// cannot be read are counted as issues; a file that cannot be read is one.
///
/// # Errors
/// The paths cannot be listed (one does not exist, a bad kind).
pub fn aggregate_paths(
    cat: &Catalog,
    period: Period,
    s: &ReportSettings,
    paths: &[PathBuf],
    source: Option<SourceKind>,
) -> Result<Agg> {
    aggregate_paths_with(cat, period, s, paths, source, None)
}

/// How a report with dimensions reads log entries.
struct DimRead<'q> {
    shape: Shape,
    filters: &'q DimFilters,
    /// Provider and tags are wanted: entries are read with their text.
    detail: bool,
    /// The device log files read here belong to: this machine.
    device: String,
}

/// [`aggregate_paths`] for a report `q` with rows, breakdown or filters by
/// any dimension. A log entry's project is its folder's, its source its
/// format's, its provider and tags its own; it has no key; its device is
/// this machine (as `import` would record it).
///
/// # Errors
/// As [`aggregate_paths`].
pub(crate) fn aggregate_paths_by(
    cat: &Catalog,
    q: &ReportQuery,
    paths: &[PathBuf],
    source: Option<SourceKind>,
) -> Result<Agg> {
    let dims = q.dims();
    if dims.is_empty() && (!q.breakdown || q.breakdown_by == Dimension::Model) {
        return aggregate_paths(cat, q.period, &q.settings, paths, source);
    }
    let d = DimRead {
        shape: q.shape(),
        filters: &q.filters,
        detail: dims.contains(&Dimension::Provider) || dims.contains(&Dimension::Tag),
        device: crate::device::import_device(None),
    };
    aggregate_paths_with(cat, q.period, &q.settings, paths, source, Some(&d))
}

fn aggregate_paths_with(
    cat: &Catalog,
    period: Period,
    s: &ReportSettings,
    paths: &[PathBuf],
    source: Option<SourceKind>,
    dims: Option<&DimRead<'_>>,
) -> Result<Agg> {
    let found = llmcost_logs::find(paths, source)
        .map_err(|e| Error::logs("cannot list the usage files", e))?;
    let files = found.files;
    // Claude Code lines average about 1 KB: size the set of identities for
    // one per KB of input (at most 16 M, 128 MiB) so it never rehashes.
    let bytes: u64 = files
        .iter()
        .filter_map(|(p, _)| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    let seen = Seen::with_capacity(usize::try_from(bytes / 2048).unwrap_or(0).min(16 << 20));
    let per_file = |(path, kind): &(PathBuf, SourceKind)| -> (Agg, Vec<Deferred>) {
        let mut agg = Agg {
            files: 1,
            ..Agg::default()
        };
        let mut deferred = Vec::new();
        let mut pricer = Pricer::new(cat, &s.price);
        let stem: Arc<str> = Arc::from(
            path.file_stem()
                .map(|x| x.to_string_lossy())
                .unwrap_or_default()
                .as_ref(),
        );
        let project: Option<Arc<str>> = project_of(path, *kind).map(|p| Arc::from(p.as_str()));
        let record_source = kind.record_source();
        // Counts an entry unless another file had it already.
        let count = |e: Entry, agg: &mut Agg, pricer: &mut Pricer| {
            if !seen.insert(e.key) {
                return;
            }
            if let Some(d) = dims {
                let sess = e.session.as_ref().unwrap_or(&stem);
                add_entry(
                    d,
                    agg,
                    s,
                    pricer,
                    &e,
                    sess,
                    project.as_deref(),
                    record_source,
                );
                return;
            }
            // sessions matter to the session report only
            let sess =
                (period == Period::Session).then(|| e.session.as_ref().unwrap_or(&stem).clone());
            agg.add(
                period,
                s,
                pricer,
                e.at,
                &e.model,
                &e.usage,
                e.tier,
                None,
                sess.as_ref().map(|sess| (sess, project.as_ref())),
            );
        };
        // Each entry's slot in `seen` is fetched into the cache while the
        // next line is parsed: the entry is counted one entry later.
        let mut held: Option<Entry> = None;
        let detail = dims.is_some_and(|d| d.detail);
        let res = llmcost_logs::scan_entries(path, *kind, 0, detail, &mut |e: Entry| {
            if !s.keeps(e.at, &e.model) {
                return;
            }
            if let Some(d) = dims
                && !d
                    .filters
                    .keeps(&values(d, &e, None, project.as_deref(), record_source))
            {
                return;
            }
            if e.sidechain {
                deferred.push((e, stem.clone(), project.clone()));
                return;
            }
            if e.parent != 0 {
                agg.parents.push(e.parent);
            }
            seen.prefetch(e.key);
            if let Some(prev) = held.replace(e) {
                count(prev, &mut agg, &mut pricer);
            }
        });
        if let Some(prev) = held.take() {
            count(prev, &mut agg, &mut pricer);
        }
        match res {
            Ok(o) => {
                agg.issue_count += o.issue_count.saturating_sub(o.issues.len() as u64);
                for i in o.issues {
                    agg.issue(i);
                }
                agg.notes.extend(o.notes);
            }
            Err(e) => agg.issue(Issue {
                path: path.clone(),
                line: 0,
                message: e.to_string(),
            }),
        }
        agg.fx.extend(std::mem::take(&mut pricer.fx));
        agg.calendars.extend(std::mem::take(&mut pricer.calendars));
        (agg, deferred)
    };
    // While a file is read, the next few in its thread's run are fetched
    // from the disk in the background (rayon hands out runs of neighbours):
    // a page cache that has dropped part of the logs then costs little more
    // than the disk's throughput. Each file is asked for once per run.
    let per_file = |(i, f): (usize, &(PathBuf, SourceKind))| {
        AHEAD_UNTIL.with(|until| {
            let from = if until.get() > i && until.get() <= i + READ_AHEAD {
                until.get() // the same run: only the one newly in reach
            } else {
                i + 1 // a new run
            };
            for (next, _) in files.iter().take(i + READ_AHEAD + 1).skip(from) {
                llmcost_logs::read_ahead(next);
            }
            until.set(i + READ_AHEAD + 1);
        });
        per_file(f)
    };
    let (mut agg, deferred) = files.par_iter().enumerate().map(per_file).reduce(
        || (Agg::default(), Vec::new()),
        |(a, mut da), (b, db)| {
            da.extend(db);
            (a.merge(b), da)
        },
    );
    // Side-chain entries: a copy of a message already counted is a replay.
    let parents: HashSet64 = if deferred.is_empty() {
        HashSet64::default()
    } else {
        agg.parents.iter().copied().collect()
    };
    agg.parents = Vec::new();
    for i in found.skipped {
        agg.issue(i);
    }
    let mut pricer = Pricer::new(cat, &s.price);
    for (e, stem, project) in deferred {
        if e.parent != 0 && parents.contains(&e.parent) {
            continue;
        }
        if !seen.insert(e.key) {
            continue;
        }
        let sess = e.session.clone().unwrap_or(stem);
        if let Some(d) = dims {
            let record_source = found_kind(&e, source);
            add_entry(
                d,
                &mut agg,
                s,
                &mut pricer,
                &e,
                &sess,
                project.as_deref(),
                record_source,
            );
            continue;
        }
        agg.add(
            period,
            s,
            &mut pricer,
            e.at,
            &e.model,
            &e.usage,
            e.tier,
            None,
            Some((&sess, project.as_ref())),
        );
    }
    agg.fx.extend(pricer.fx);
    agg.calendars.extend(pricer.calendars);
    Ok(agg)
}

/// The values of an entry's dimensions.
fn values<'e>(
    d: &'e DimRead<'_>,
    e: &'e Entry,
    session: Option<&'e str>,
    project: Option<&'e str>,
    source: &'e str,
) -> Values<'e> {
    let detail = e.detail.as_deref();
    Values {
        project,
        provider: detail.and_then(|x| x.provider.as_deref()),
        source,
        tags: detail.map_or(&[], |x| x.tags.as_slice()),
        key: None,
        device: Some(d.device.as_str()),
        session,
    }
}

/// The source of a held-back side-chain entry: side chains are Claude Code's.
fn found_kind(_e: &Entry, source: Option<SourceKind>) -> &'static str {
    source.unwrap_or(SourceKind::ClaudeCode).record_source()
}

/// Counts one entry of a report with dimensions.
#[expect(
    clippy::too_many_arguments,
    reason = "an entry and the context of its file"
)]
fn add_entry(
    d: &DimRead<'_>,
    agg: &mut Agg,
    s: &ReportSettings,
    pricer: &mut Pricer<'_>,
    e: &Entry,
    session: &str,
    project: Option<&str>,
    source: &str,
) {
    let v = values(d, e, Some(session), project, source);
    agg.add_dims(
        d.shape, s, pricer, e.at, &e.model, &e.usage, e.tier, None, &v,
    );
}

fn project_of(path: &Path, kind: SourceKind) -> Option<String> {
    let comps: Vec<_> = path.components().collect();
    if kind == SourceKind::ClaudeCode {
        for w in comps.windows(2) {
            if w[0].as_os_str() == "projects" {
                return Some(w[1].as_os_str().to_string_lossy().into_owned());
            }
        }
    }
    if kind == SourceKind::Codex {
        return None;
    }
    path.parent()
        .and_then(Path::file_name)
        .map(|s| s.to_string_lossy().into_owned())
}
