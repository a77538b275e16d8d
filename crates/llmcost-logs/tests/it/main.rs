//! Integration tests of the log readers, one module per source.
//!
//! Every expected figure is computed by hand from the fixtures in
//! `tests/fixtures` (see the comments next to each assertion).

mod claude;
mod codex;
mod exports;
mod identity;
mod jsonl;
mod misc;

use std::path::{Path, PathBuf};

use llmcost_core::Usage;
use llmcost_ledger::UsageRecord;
use llmcost_logs::{Entry, ScanOutcome, SourceKind};

pub fn fixture(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(p)
}

pub fn scan(p: &Path, kind: SourceKind, start: u64) -> (Vec<UsageRecord>, ScanOutcome) {
    let mut v = Vec::new();
    let o = llmcost_logs::scan_file(p, kind, start, &mut |r| v.push(r))
        .unwrap_or_else(|e| panic!("scan {}: {e}", p.display()));
    (v, o)
}

pub fn entries(p: &Path, kind: SourceKind) -> Vec<Entry> {
    let mut v = Vec::new();
    if let Err(e) = llmcost_logs::scan_entries(p, kind, 0, false, &mut |e| v.push(e)) {
        panic!("scan {}: {e}", p.display());
    }
    v
}

pub fn sum(records: &[UsageRecord]) -> Usage {
    records.iter().fold(Usage::default(), |a, r| a + r.usage)
}

pub fn u(
    input: u64,
    cache_read: u64,
    cache_write: u64,
    cache_write_1h: u64,
    output: u64,
    reasoning: u64,
) -> Usage {
    Usage {
        input,
        cache_read,
        cache_write,
        cache_write_1h,
        output,
        reasoning,
        ..Usage::default()
    }
}
