//! CSV usage files (`llmcost_logs::scan_file` with `SourceKind::Csv`):
//! never a panic; the end offset stays in the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use llmcost_logs::{SourceKind, scan_file};

#[path = "common_file.rs"]
mod common_file;

fuzz_target!(|data: &[u8]| {
    let path = common_file::write(data, "usage.csv");
    let mut n = 0u64;
    if let Ok(out) = scan_file(&path, SourceKind::Csv, 0, &mut |_r| n += 1) {
        assert_eq!(out.records, n);
        assert!(out.end_offset <= data.len() as u64);
    }
});
