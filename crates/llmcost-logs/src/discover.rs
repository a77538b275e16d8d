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

/// Walks `paths` (files are taken as given, directories recursively for
/// `*.jsonl`, `*.ndjson`, `*.json` and `*.csv`) and tells each file's kind:
/// `kind` when given, else from the path and the first lines. With no
/// paths, walks [`default_roots`]. Files whose kind cannot be told are left
/// out of directory walks (and taken as JSON Lines when named). The list is
/// sorted and has no duplicates; a Codex file under `archived_sessions/` is
/// left out when `sessions/` has the same relative path.
///
/// # Errors
/// A named path that does not exist or a directory that cannot be read.
pub fn discover(
    paths: &[PathBuf],
    kind: Option<SourceKind>,
) -> Result<Vec<(PathBuf, SourceKind)>, Error> {
    let roots = if paths.is_empty() {
        default_roots()
    } else {
        paths.to_vec()
    };
    let mut out: Vec<(PathBuf, SourceKind)> = Vec::new();
    for root in &roots {
        let meta = std::fs::metadata(root).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Error::NotFound(root.clone())
            } else {
                Error::io(root, e)
            }
        })?;
        if meta.is_file() {
            let k = match kind {
                Some(k) => k,
                None => detect(root)?.unwrap_or(SourceKind::Jsonl),
            };
            out.push((root.clone(), k));
            continue;
        }
        for ent in walkdir::WalkDir::new(root)
            .follow_links(true)
            .sort_by_file_name()
        {
            let ent = ent.map_err(|e| {
                let p = e.path().map_or_else(|| root.clone(), Path::to_path_buf);
                Error::io(&p, e.into())
            })?;
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
                None => detect(p)?,
            };
            if let Some(k) = k {
                out.push((p.to_path_buf(), k));
            }
        }
    }
    out.sort();
    out.dedup_by(|a, b| a.0 == b.0);
    drop_archived_copies(&mut out);
    Ok(out)
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
