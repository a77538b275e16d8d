//! Reads LLM usage from where it already is, as a stream of
//! [`llmcost_ledger::UsageRecord`]s.
//!
//! Sources ([`SourceKind`]):
//!
//! * **Claude Code** session logs (`~/.claude/projects/<project>/<session>.jsonl`):
//!   one line per content block, each repeating the message's id and a growing
//!   usage snapshot. Lines are de-duplicated on (`message.id`, `requestId`)
//!   keeping the largest snapshot; `<synthetic>` lines are ignored; side-chain
//!   copies of a message seen outside the side chain are dropped.
//! * **Codex CLI** sessions (`~/.codex/sessions/**/rollout-*.jsonl`):
//!   `token_count` events carry cumulative totals; each event yields the
//!   increase since the previous one, so repeated snapshots add nothing, and a
//!   replayed event (a fork) has the same key as the original.
//! * **JSON Lines** of provider response bodies or usage objects (every shape
//!   `llmcost_usage::extract` reads), each line with its own time and model.
//! * **OpenAI** organization usage API pages and **Anthropic** usage report
//!   pages (JSON), and a **CSV** with named columns (see `docs/report.md`).
//!
//! Files are read in large buffered chunks and never held whole (except the
//! single-document export formats). Lines that carry no usage are skipped with
//! a byte search before any parsing, and log lines are walked with a small
//! borrowed JSON walker that decodes only the fields needed. Claude Code lines
//! first get a bit index of their strings and brackets (`index.rs`, 32–64
//! bytes per SIMD step), so the walk steps over strings and nested values by
//! bit operations; anything unusual goes to the plain walker.
//!
//! A malformed line becomes an [`Issue`] with its line number and everything
//! else is still read. An unterminated last line that is not yet complete JSON
//! (a log being written) is not consumed: [`ScanOutcome::end_offset`] stops
//! before it, so a growing log is read again from there.
//!
//! # What this crate must not do
//!
//! It never prices (that is the catalog's job), never writes (the ledger's)
//! and never reads anything but the files it is given or [`discover`] finds.
#![deny(missing_docs)]

use std::collections::HashMap;
use std::fmt;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use llmcost_core::{Currency, Decimal, ServiceTier, Timestamp, Usage};
use llmcost_ledger::UsageRecord;

mod claude;
mod codex;
mod csv;
mod discover;
mod export;
mod index;
mod json;
mod jsonl;
#[cfg_attr(
    target_arch = "x86_64",
    expect(
        unsafe_code,
        reason = "AVX2/AVX-512 loads and calls of #[target_feature] functions, each after CPU detection; see simd.rs"
    )
)]
mod simd;
mod time;

pub use claude::bench_lines as bench_claude_lines;
pub use csv::fields as csv_fields;
pub use discover::{Found, default_roots, detect, discover, find};

/// Issues kept in full per scan; the rest are only counted.
pub const MAX_ISSUES: usize = 100;

/// The format of a usage source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum SourceKind {
    /// Claude Code session logs (JSON Lines).
    ClaudeCode,
    /// Codex CLI session logs (JSON Lines), or saved `codex exec --json` output.
    Codex,
    /// JSON Lines of provider response bodies or usage objects.
    Jsonl,
    /// OpenAI organization usage API (`/v1/organization/usage/completions`) pages.
    OpenAiUsage,
    /// Anthropic Admin API usage report (`/v1/organizations/usage_report/messages`) pages.
    AnthropicUsage,
    /// CSV with a header row naming its columns.
    Csv,
}

impl SourceKind {
    /// Every kind.
    pub const ALL: [SourceKind; 6] = [
        SourceKind::ClaudeCode,
        SourceKind::Codex,
        SourceKind::Jsonl,
        SourceKind::OpenAiUsage,
        SourceKind::AnthropicUsage,
        SourceKind::Csv,
    ];

    /// The name used on the command line (`claude`, `codex`, ...).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            SourceKind::ClaudeCode => "claude",
            SourceKind::Codex => "codex",
            SourceKind::Jsonl => "jsonl",
            SourceKind::OpenAiUsage => "openai-usage",
            SourceKind::AnthropicUsage => "anthropic-usage",
            SourceKind::Csv => "csv",
        }
    }

    /// A name for messages (`Codex CLI`, `CSV`...).
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            SourceKind::ClaudeCode => "Claude Code",
            SourceKind::Codex => "Codex CLI",
            SourceKind::Jsonl => "JSON Lines usage",
            SourceKind::OpenAiUsage => "OpenAI usage export",
            SourceKind::AnthropicUsage => "Anthropic usage export",
            SourceKind::Csv => "CSV usage",
        }
    }

    /// The `source` written into records (`claude-code`, `codex`, ...).
    #[must_use]
    pub fn record_source(self) -> &'static str {
        match self {
            SourceKind::ClaudeCode => "claude-code",
            other => other.name(),
        }
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for SourceKind {
    type Err = Error;

    fn from_str(s: &str) -> Result<SourceKind, Error> {
        let t = s.trim().to_ascii_lowercase().replace('_', "-");
        Ok(match t.as_str() {
            "claude" | "claude-code" | "claudecode" => SourceKind::ClaudeCode,
            "codex" | "codex-cli" => SourceKind::Codex,
            "jsonl" | "json" | "ndjson" | "responses" => SourceKind::Jsonl,
            "openai-usage" | "openai" => SourceKind::OpenAiUsage,
            "anthropic-usage" | "anthropic" => SourceKind::AnthropicUsage,
            "csv" => SourceKind::Csv,
            _ => return Err(Error::UnknownKind(s.to_string())),
        })
    }
}

/// A line that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// The file.
    pub path: PathBuf,
    /// 1-based line (0 when the problem is the whole file).
    pub line: u64,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.path.display(), self.message)
        } else {
            write!(f, "{}:{}: {}", self.path.display(), self.line, self.message)
        }
    }
}

/// What a scan of one file did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanOutcome {
    /// Records passed to the sink.
    pub records: u64,
    /// Complete lines read in this scan (from the start offset).
    pub lines: u64,
    /// Byte offset just after the last complete line consumed.
    pub end_offset: u64,
    /// The first [`MAX_ISSUES`] issues.
    pub issues: Vec<Issue>,
    /// Every issue, counted.
    pub issue_count: u64,
    /// What is not wrong but worth saying: a last line still being written
    /// (no newline yet), left to be read when complete.
    pub notes: Vec<Issue>,
}

/// Errors that stop a whole file (a bad line never does).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file or directory could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A path that does not exist.
    #[error("{} does not exist", .0.display())]
    NotFound(PathBuf),
    /// A source kind name that is not known.
    #[error(
        "unknown source format `{0}` (expected claude, codex, jsonl, openai-usage, anthropic-usage or csv)"
    )]
    UnknownKind(String),
    /// A whole-document source that is not what its kind expects.
    #[error("{}: {message}", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

impl Error {
    fn io(path: &Path, source: std::io::Error) -> Error {
        Error::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// One usage entry read from a source: fixed-size, cheap to aggregate. The
/// text needed to build a [`UsageRecord`] is filled only when asked for.
#[derive(Debug, Clone)]
pub struct Entry {
    /// A 64-bit hash of the entry's identity (what `dedup_key` names).
    pub key: u64,
    /// Claude Code: hash of `message.id`, to drop side-chain copies of a
    /// message counted outside the side chain. 0 otherwise.
    pub parent: u64,
    /// Claude Code: the line is marked `isSidechain`.
    pub sidechain: bool,
    /// When the tokens were used.
    pub at: Timestamp,
    /// Model as the source names it.
    pub model: Arc<str>,
    /// Tokens, disjoint buckets.
    pub usage: Usage,
    /// Service tier reported.
    pub tier: ServiceTier,
    /// 1-based line in the file.
    pub line: u64,
    /// An amount the source reports as billed or computed by the provider.
    pub billed: Option<(Decimal, Currency)>,
    /// Session id, when the line names one (else the record uses the file stem).
    pub session: Option<Arc<str>>,
    /// Text for records, present only when scanning for records.
    pub detail: Option<Box<Detail>>,
}

/// The text parts of an entry.
#[derive(Debug, Clone, Default)]
pub struct Detail {
    /// The ledger de-duplication key.
    pub dedup_key: String,
    /// The raw usage JSON.
    pub raw_usage: Option<String>,
    /// Provider key, when known.
    pub provider: Option<String>,
    /// Extra tags (`sidechain`).
    pub tags: Vec<String>,
}

/// Stable 64-bit FNV-1a (for keys and file heads, stable across versions).
pub(crate) fn fnv(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for &b in *p {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Fast (non-stable) 64-bit hash for in-memory identities.
pub(crate) fn fast_hash(parts: &[&[u8]]) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = foldhash::quality::FixedState::with_seed(0x006c_6c6d_636f_7374).build_hasher();
    for p in parts {
        h.write(p);
        h.write_u8(0xff);
    }
    h.finish()
}

/// A hex hash of the first 4 KiB of a file, to notice a file that was
/// replaced or truncated since it was last read.
///
/// # Errors
/// The file cannot be read.
pub fn head_hash(path: &Path) -> Result<String, Error> {
    let mut f = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut buf = Vec::with_capacity(4096);
    f.by_ref()
        .take(4096)
        .read_to_end(&mut buf)
        .map_err(|e| Error::io(path, e))?;
    Ok(format!("{:016x}", fnv(&[&buf])))
}

/// Reads `path` as `kind` from `start_offset` (a line boundary from an
/// earlier [`ScanOutcome::end_offset`], or 0) and passes every usage record
/// to `sink`, de-duplicated within the file.
///
/// # Errors
/// The file cannot be read, or a whole-document format is not valid at all.
/// Bad lines are [`Issue`]s, not errors.
pub fn scan_file(
    path: &Path,
    kind: SourceKind,
    start_offset: u64,
    sink: &mut dyn FnMut(UsageRecord),
) -> Result<ScanOutcome, Error> {
    let ctx = FileCtx::new(path, kind);
    let origin = path.display().to_string();
    let session = ctx.session.clone();
    let project = ctx.project.clone();
    let source = kind.record_source();
    scan_entries(path, kind, start_offset, true, &mut |e: Entry| {
        let detail = e.detail.map(|d| *d).unwrap_or_default();
        let mut r = UsageRecord::new(detail.dedup_key, e.at, source, &*e.model, e.usage);
        r.origin = Some(origin.clone());
        r.line = Some(e.line);
        r.provider = detail.provider;
        r.project.clone_from(&project);
        r.session = e
            .session
            .as_deref()
            .map(str::to_string)
            .or_else(|| session.clone());
        r.service_tier = e.tier;
        if let Some((amount, cur)) = e.billed {
            r.billed = Some(amount);
            r.billed_currency = Some(cur);
        }
        r.raw_usage = detail.raw_usage;
        r.tags = detail.tags;
        sink(r);
    })
}

/// [`scan_file`] at the level of [`Entry`]s: what the streaming reports use.
/// With `detail` false, no text is built (no dedup key string, no raw usage).
///
/// # Errors
/// As [`scan_file`].
pub fn scan_entries(
    path: &Path,
    kind: SourceKind,
    start_offset: u64,
    detail: bool,
    sink: &mut dyn FnMut(Entry),
) -> Result<ScanOutcome, Error> {
    let ctx = FileCtx::new(path, kind);
    let mut out = Out {
        outcome: ScanOutcome::default(),
        path: path.to_path_buf(),
        detail,
        sink,
    };
    match kind {
        SourceKind::ClaudeCode => claude::scan(&ctx, start_offset, &mut out)?,
        SourceKind::Codex => codex::scan(&ctx, start_offset, &mut out)?,
        SourceKind::Jsonl => jsonl::scan(&ctx, start_offset, &mut out)?,
        SourceKind::OpenAiUsage | SourceKind::AnthropicUsage => {
            export::scan(&ctx, start_offset, &mut out)?;
        }
        SourceKind::Csv => csv::scan(&ctx, start_offset, &mut out)?,
    }
    let o = &out.outcome;
    if start_offset == 0 && o.records == 0 && o.issue_count == 0 && o.lines > 0 {
        // Nothing of this kind in a file with lines: the kind may be wrong.
        if let Ok(Some(found)) = detect(path)
            && found != kind
        {
            out.issue(
                0,
                format!(
                    "no {} record in {} lines: this looks like a `{}` file; check `--source` (or leave it out to detect the format)",
                    kind.describe(),
                    o.lines,
                    found.name()
                ),
            );
        }
    }
    Ok(out.outcome)
}

/// What a scanner knows about its file.
pub(crate) struct FileCtx {
    pub(crate) path: PathBuf,
    pub(crate) kind: SourceKind,
    /// The project: for Claude Code the directory under `projects/`, else the parent directory.
    pub(crate) project: Option<String>,
    /// The file stem.
    pub(crate) session: Option<String>,
}

impl FileCtx {
    fn new(path: &Path, kind: SourceKind) -> FileCtx {
        let session = path.file_stem().map(|s| s.to_string_lossy().into_owned());
        let comps: Vec<_> = path.components().collect();
        let mut project = None;
        if kind == SourceKind::ClaudeCode {
            for w in comps.windows(2) {
                if w[0].as_os_str() == "projects" {
                    project = Some(w[1].as_os_str().to_string_lossy().into_owned());
                }
            }
        }
        if project.is_none() && kind != SourceKind::Codex {
            project = path
                .parent()
                .and_then(Path::file_name)
                .map(|s| s.to_string_lossy().into_owned());
        }
        FileCtx {
            path: path.to_path_buf(),
            kind,
            project,
            session,
        }
    }
}

/// The sink and counters of one scan.
pub(crate) struct Out<'s> {
    pub(crate) outcome: ScanOutcome,
    pub(crate) path: PathBuf,
    pub(crate) detail: bool,
    sink: &'s mut dyn FnMut(Entry),
}

/// Earliest time a record may have: 1970-01-01T00:00:00Z.
pub const EARLIEST_SECOND: i64 = 0;
/// Times from this one on are refused: 2200-01-01T00:00:00Z (230 years of
/// 365 days and 56 leap days: 84,006 days of 86,400 s).
pub const END_SECOND: i64 = 7_258_118_400;

/// Whether `at` is a time a record may have (1970 to the end of 2199):
/// anything else is a bad line, never priced or stored.
#[must_use]
#[inline]
pub fn time_in_range(at: Timestamp) -> bool {
    (EARLIEST_SECOND..END_SECOND).contains(&at.as_second())
}

impl Out<'_> {
    #[inline]
    pub(crate) fn emit(&mut self, e: Entry) {
        if !time_in_range(e.at) {
            self.out_of_range(e.line, e.at);
            return;
        }
        self.outcome.records += 1;
        (self.sink)(e);
    }

    #[cold]
    #[inline(never)]
    fn out_of_range(&mut self, line: u64, at: Timestamp) {
        self.issue(
            line,
            format!(
                "the time {at} is outside 1970–2199: skipped; fix the time in the source (seconds, not milliseconds?)"
            ),
        );
    }

    pub(crate) fn note(&mut self, line: u64, message: impl Into<String>) {
        self.outcome.notes.push(Issue {
            path: self.path.clone(),
            line,
            message: message.into(),
        });
    }

    pub(crate) fn issue(&mut self, line: u64, message: impl Into<String>) {
        self.outcome.issue_count += 1;
        if self.outcome.issues.len() < MAX_ISSUES {
            self.outcome.issues.push(Issue {
                path: self.path.clone(),
                line,
                message: message.into(),
            });
        }
    }
}

/// Interns model names per file, so entries share one allocation per model.
#[derive(Default)]
pub(crate) struct Models(Vec<Arc<str>>);

impl Models {
    pub(crate) fn get(&mut self, name: &str) -> Arc<str> {
        if let Some(m) = self.0.iter().find(|m| &***m == name) {
            return m.clone();
        }
        let m: Arc<str> = Arc::from(name);
        self.0.push(m.clone());
        m
    }

    /// [`Models::get`] of a raw JSON string (escapes kept): a name seen
    /// before is found without decoding it again.
    pub(crate) fn get_raw(&mut self, raw: &[u8]) -> Result<Arc<str>, json::Bad> {
        if json::is_plain(raw)
            && let Some(m) = self.0.iter().find(|m| m.as_bytes() == raw)
        {
            return Ok(m.clone());
        }
        Ok(self.get(&json::decode(raw)?))
    }
}

/// How a line reader treats the file's last line when it has no newline.
#[derive(Clone, Copy)]
pub(crate) enum Tail {
    /// Consume it when it is one complete JSON value.
    Json,
    /// Consume it when `complete` says so.
    Custom(fn(&[u8]) -> bool),
}

const CHUNK: usize = 256 << 10;

/// Calls `f(line_no, line)` for every complete line from `start` (line ends
/// stripped of `\n` and `\r`), in large buffered reads. Returns the number of
/// lines read and the offset after the last one consumed. An unterminated
/// last line is consumed only when `tail` says it is complete; otherwise it
/// is reported as an issue and left for the next scan.
pub(crate) fn for_each_line(
    out: &mut Out<'_>,
    start: u64,
    tail: Tail,
    f: &mut dyn FnMut(&mut Out<'_>, u64, &[u8]),
) -> Result<(), Error> {
    let path = out.path.clone();
    let mut file = File::open(&path).map_err(|e| Error::io(&path, e))?;
    let len = file.metadata().map_err(|e| Error::io(&path, e))?.len();
    let start = start.min(len);
    let line_no = 1 + if start > 0 {
        count_lines(&mut file, start).map_err(|e| Error::io(&path, e))?
    } else {
        0
    };
    file.seek(SeekFrom::Start(start))
        .map_err(|e| Error::io(&path, e))?;
    let want = CHUNK.min(usize::try_from(len - start).unwrap_or(CHUNK).max(64 * 1024));
    let mut buf: Vec<u8> = BUFFERS.with(|b| std::mem::take(&mut *b.borrow_mut()));
    if buf.len() < want {
        buf.resize(want, 0);
    }
    let result = read_lines(out, &mut file, &mut buf, start, line_no, tail, f);
    if buf.len() <= 4 * CHUNK {
        BUFFERS.with(|b| *b.borrow_mut() = buf);
    }
    result
}

thread_local! {
    /// A read buffer kept per thread, so scanning many files does not
    /// allocate and zero a new one each time.
    static BUFFERS: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn read_lines(
    out: &mut Out<'_>,
    file: &mut File,
    buf: &mut Vec<u8>,
    start: u64,
    mut line_no: u64,
    tail: Tail,
    f: &mut dyn FnMut(&mut Out<'_>, u64, &[u8]),
) -> Result<(), Error> {
    let path = out.path.clone();
    let mut have = 0usize; // bytes of buf filled
    let mut offset = start; // file offset of buf[0]
    let mut lines = 0u64;
    loop {
        if have == buf.len() {
            buf.resize(buf.len() * 2, 0);
        }
        let n = file
            .read(&mut buf[have..])
            .map_err(|e| Error::io(&path, e))?;
        let eof = n == 0;
        have += n;
        let mut pos = 0usize;
        while let Some(p) = memchr::memchr(b'\n', &buf[pos..have]) {
            let mut line = &buf[pos..pos + p];
            if let Some(l) = line.strip_suffix(b"\r") {
                line = l;
            }
            f(out, line_no, line);
            line_no += 1;
            lines += 1;
            pos += p + 1;
        }
        if eof {
            let rest = &buf[pos..have];
            let mut consumed = pos;
            if !rest.trim_ascii().is_empty() {
                let complete = match tail {
                    Tail::Json => is_complete_json(rest),
                    Tail::Custom(c) => c(rest),
                };
                if complete {
                    f(out, line_no, rest);
                    lines += 1;
                    consumed = have;
                } else {
                    out.note(
                        line_no,
                        "the last line is not complete yet (no newline at the end of the file; a log still being written?): it is left to be read when complete",
                    );
                }
            } else {
                consumed = have;
            }
            offset += consumed as u64;
            out.outcome.lines += lines;
            out.outcome.end_offset = offset;
            return Ok(());
        }
        buf.copy_within(pos..have, 0);
        have -= pos;
        offset += pos as u64;
    }
}

fn count_lines(file: &mut File, upto: u64) -> std::io::Result<u64> {
    let mut buf = vec![0u8; 1 << 20];
    let mut left = upto;
    let mut n = 0u64;
    file.seek(SeekFrom::Start(0))?;
    while left > 0 {
        let want = usize::try_from(left.min(buf.len() as u64)).unwrap_or(buf.len());
        let got = file.read(&mut buf[..want])?;
        if got == 0 {
            break;
        }
        n += memchr::memchr_iter(b'\n', &buf[..got]).count() as u64;
        left -= got as u64;
    }
    Ok(n)
}

/// One complete JSON value and nothing else.
pub(crate) fn is_complete_json(b: &[u8]) -> bool {
    let mut c = json::Cur::new(b);
    c.skip_value().is_ok() && c.end().is_ok()
}

/// A hasher for keys that are already good 64-bit hashes.
#[derive(Default)]
pub(crate) struct PassHasher(u64);

impl std::hash::Hasher for PassHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// A map keyed by hashes.
pub(crate) type HashMap64<V> = HashMap<u64, V, std::hash::BuildHasherDefault<PassHasher>>;

/// A set of hashes.
pub(crate) type HashSet64 =
    std::collections::HashSet<u64, std::hash::BuildHasherDefault<PassHasher>>;

/// Keeps, per identity, the entry with the most tokens, in first-seen order.
#[derive(Default)]
pub(crate) struct KeepMax {
    index: HashMap64<usize>,
    entries: Vec<(Entry, bool)>,
}

impl KeepMax {
    /// Adds an entry; `preferred` wins ties (Claude Code: the copy with `speed`).
    pub(crate) fn add(&mut self, e: Entry, preferred: bool) {
        match self.index.get(&e.key) {
            Some(&i) => {
                let (old, old_pref) = &self.entries[i];
                let (t_new, t_old) = (e.usage.total(), old.usage.total());
                if t_new > t_old || (t_new == t_old && preferred && !*old_pref) {
                    self.entries[i] = (e, preferred);
                }
            }
            None => {
                self.index.insert(e.key, self.entries.len());
                self.entries.push((e, preferred));
            }
        }
    }

    /// Takes the kept entries out in first-seen order; the table keeps its
    /// room for the next file.
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = Entry> + '_ {
        self.index.clear();
        self.entries.drain(..).map(|(e, _)| e)
    }

    /// Room for at least `n` entries without growing.
    pub(crate) fn reserve(&mut self, n: usize) {
        self.index.reserve(n.saturating_sub(self.index.len()));
        self.entries.reserve(n.saturating_sub(self.entries.len()));
    }

    /// Entries it has room for.
    pub(crate) fn capacity(&self) -> usize {
        self.entries.capacity()
    }
}

/// Asks the kernel to start reading `path` into the page cache in the
/// background, so that a reader working through a list of files finds the
/// next one cached instead of waiting for the disk (a hint: any error is
/// ignored; nothing happens on systems without `posix_fadvise`).
pub fn read_ahead(path: &Path) {
    #[cfg(target_os = "linux")]
    if let Ok(f) = File::open(path) {
        let _ = rustix::fs::fadvise(&f, 0, None, rustix::fs::Advice::WillNeed);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = path;
}

/// Number of lines (newlines) in the first `upto` bytes of a file.
///
/// A last line that ends at `upto` without a newline was read whole (complete
/// JSON), so it counts as a line before `upto` too: resuming there must not
/// read it again.
pub(crate) fn prefix_lines(path: &Path, upto: u64) -> Result<u64, Error> {
    let mut f = File::open(path).map_err(|e| Error::io(path, e))?;
    let n = count_lines(&mut f, upto).map_err(|e| Error::io(path, e))?;
    if upto == 0 {
        return Ok(n);
    }
    let mut last = [0u8; 1];
    f.seek(SeekFrom::Start(upto - 1))
        .and_then(|_| f.read_exact(&mut last))
        .map_err(|e| Error::io(path, e))?;
    Ok(if last[0] == b'\n' { n } else { n + 1 })
}
