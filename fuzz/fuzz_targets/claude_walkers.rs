//! Claude Code log lines: the indexed walker and the plain walker must read
//! the same lines and the same tokens (the hook the crate's benchmark checks:
//! `bench_claude_lines(text, plain, _)`), and neither may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use llmcost_logs::bench_claude_lines;

fuzz_target!(|data: &[u8]| {
    let plain = bench_claude_lines(data, true, false);
    let fast = bench_claude_lines(data, false, false);
    assert_eq!(plain, fast, "the indexed and the plain walk disagree");
    let _ = bench_claude_lines(data, false, true);
});
