//! Finding usage files and telling their format.

use std::io::Read;
use std::path::{Path, PathBuf};

use memchr::memmem;

use crate::{Error, SourceKind};

/// Extensions walked in directories.
const EXTENSIONS: [&str; 4] = ["jsonl", "ndjson", "json", "csv"];

/// The roots read when no path is given: `$CLAUDE_CONFIG_DIR/projects` for
/// each comma-separated entry (else `~/.claude/projects` and
/// `~/.config/claude/projects`), and `sessions/` and `archived_sessions/` of
/// each comma-separated `$CODEX_HOME` (else `~/.codex`). Roots that do not
/// exist are left out.
#[must_use]
pub fn default_roots() -> Vec<PathBuf> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let mut roots = Vec::new();
    match std::env::var("CLAUDE_CONFIG_DIR") {
        Ok(v) if !v.trim().is_empty() => {
            for d in v.split(',').map(str::trim).filter(|d| !d.is_empty()) {
                roots.push(Path::new(d).join("projects"));
            }
        }
        _ => {
            if let Some(h) = &home {
                roots.push(h.join(".claude/projects"));
                roots.push(h.join(".config/claude/projects"));
            }
        }
    }
    let codex: Vec<PathBuf> = match std::env::var("CODEX_HOME") {
        Ok(v) if !v.trim().is_empty() => v
            .split(',')
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .collect(),
        _ => home.iter().map(|h| h.join(".codex")).collect(),
    };
    for c in codex {
        roots.push(c.join("sessions"));
        roots.push(c.join("archived_sessions"));
    }
    roots.retain(|r| r.is_dir());
    roots
}

/// Walks `paths` like [`find`] and returns the files only: what could not
/// be read is left out (use [`find`] to report it).
///
/// # Errors
/// A named path that does not exist.
pub fn discover(
    paths: &[PathBuf],
    kind: Option<SourceKind>,
) -> Result<Vec<(PathBuf, SourceKind)>, Error> {
    find(paths, kind).map(|f| f.files)
}

/// What [`find`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Found {
    /// Usage files and their kinds, sorted, without duplicates.
    pub files: Vec<(PathBuf, SourceKind)>,
    /// Files and folders that could not be read (permissions, a symlink
    /// loop...), with why; everything else was walked.
    pub skipped: Vec<crate::Issue>,
}

/// Walks `paths` (files are taken as given, directories recursively for
/// `*.jsonl`, `*.ndjson`, `*.json` and `*.csv`) and tells each file's kind:
/// `kind` when given, else from the path and the first lines. With no
/// paths, walks [`default_roots`]. Files whose kind cannot be told are left
/// out of directory walks (and taken as JSON Lines when named). The list is
/// sorted and has no duplicates; a Codex file under `archived_sessions/` is
/// left out when `sessions/` has the same relative path. A file or folder
/// that cannot be read (or a symlink loop) is listed in [`Found::skipped`]
/// and the walk goes on.
///
/// # Errors
/// A named path that does not exist.
pub fn find(paths: &[PathBuf], kind: Option<SourceKind>) -> Result<Found, Error> {
    let roots = if paths.is_empty() {
        default_roots()
    } else {
        paths.to_vec()
    };
    let mut out: Vec<(PathBuf, SourceKind)> = Vec::new();
    let mut skipped = Vec::new();
    let mut skip = |path: &Path, why: String| {
        skipped.push(crate::Issue {
            path: path.to_path_buf(),
            line: 0,
            message: format!("{why}: skipped; fix its permissions or leave it out"),
        });
    };
    for root in &roots {
        let meta = match std::fs::metadata(root) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                // A dangling symlink is not a missing path the user mistyped.
                if std::fs::symlink_metadata(root).is_ok() {
                    skip(root, format!("cannot be read: {e}"));
                    continue;
                }
                return Err(Error::NotFound(root.clone()));
            }
            Err(e) => {
                skip(root, format!("cannot be read: {e}"));
                continue;
            }
        };
        if meta.is_file() {
            let k = match kind {
                Some(k) => k,
                None => match detect(root) {
                    Ok(k) => k.unwrap_or(SourceKind::Jsonl),
                    Err(e) => {
                        skip(root, error_text(&e));
                        continue;
                    }
                },
            };
            out.push((root.clone(), k));
            continue;
        }
        for ent in walkdir::WalkDir::new(root)
            .follow_links(true)
            .sort_by_file_name()
        {
            let ent = match ent {
                Ok(ent) => ent,
                Err(e) => {
                    let p = e.path().map_or_else(|| root.clone(), Path::to_path_buf);
                    let why = if e.loop_ancestor().is_some() {
                        "a symlink loop".to_string()
                    } else {
                        match e.io_error() {
                            Some(io) => format!("cannot be read: {io}"),
                            None => format!("cannot be read: {e}"),
                        }
                    };
                    skip(&p, why);
                    continue;
                }
            };
            if !ent.file_type().is_file() {
                continue;
            }
            let p = ent.path();
            let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
            if !EXTENSIONS.iter().any(|x| x.eq_ignore_ascii_case(ext)) {
                continue;
            }
            let k = match kind {
                Some(k) => Some(k),
                None => match detect(p) {
                    Ok(k) => k,
                    Err(e) => {
                        skip(p, error_text(&e));
                        continue;
                    }
                },
            };
            if let Some(k) = k {
                out.push((p.to_path_buf(), k));
            }
        }
    }
    out.sort();
    out.dedup_by(|a, b| a.0 == b.0);
    drop_archived_copies(&mut out);
    skipped.sort_by(|a, b| a.path.cmp(&b.path));
    skipped.dedup();
    Ok(Found {
        files: out,
        skipped,
    })
}

/// An error's cause without the path (the issue names it).
fn error_text(e: &Error) -> String {
    match e {
        Error::Io { source, .. } => format!("cannot be read: {source}"),
        other => other.to_string(),
    }
}

fn drop_archived_copies(files: &mut Vec<(PathBuf, SourceKind)>) {
    let live: std::collections::HashSet<PathBuf> = files
        .iter()
        .filter_map(|(p, _)| rel_after(p, "sessions"))
        .collect();
    if live.is_empty() {
        return;
    }
    files.retain(|(p, _)| rel_after(p, "archived_sessions").is_none_or(|r| !live.contains(&r)));
}

fn rel_after(p: &Path, dir: &str) -> Option<PathBuf> {
    let comps: Vec<_> = p.components().collect();
    let i = comps.iter().rposition(|c| c.as_os_str() == dir)?;
    Some(comps[i + 1..].iter().collect())
}

/// Tells a file's kind from its name and first 64 KiB, or `None`.
///
/// # Errors
/// The file cannot be read.
pub fn detect(path: &Path) -> Result<Option<SourceKind>, Error> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if ext == "csv" {
        return Ok(Some(SourceKind::Csv));
    }
    let mut head = Vec::with_capacity(64 * 1024);
    std::fs::File::open(path)
        .and_then(|f| f.take(64 * 1024).read_to_end(&mut head))
        .map_err(|e| Error::io(path, e))?;
    let has = |s: &[u8]| memmem::find(&head, s).is_some();
    if has(b"\"type\":\"session_meta\"")
        || has(b"\"type\":\"turn_context\"")
        || has(b"\"type\":\"token_count\"")
        || has(b"\"type\":\"turn.completed\"")
        || has(b"\"type\":\"thread.started\"")
    {
        return Ok(Some(SourceKind::Codex));
    }
    if has(b"\"parentUuid\"") || (has(b"\"sessionId\"") && has(b"\"requestId\"")) {
        return Ok(Some(SourceKind::ClaudeCode));
    }
    if has(b"organization.usage.")
        || (has(b"\"start_time\"") && has(b"\"results\"") && has(b"\"input_tokens\""))
    {
        return Ok(Some(SourceKind::OpenAiUsage));
    }
    if has(b"\"starting_at\"") && has(b"\"results\"") && has(b"\"uncached_input_tokens\"") {
        return Ok(Some(SourceKind::AnthropicUsage));
    }
    let in_claude_tree = path.components().any(|c| c.as_os_str() == "projects")
        && path.components().any(|c| {
            let s = c.as_os_str().to_string_lossy();
            s == ".claude" || s == "claude"
        });
    if in_claude_tree && ext == "jsonl" {
        return Ok(Some(SourceKind::ClaudeCode));
    }
    if has(b"usage") || has(b"Usage") {
        return Ok(Some(SourceKind::Jsonl));
    }
    Ok(None)
}
