//! Bill files of `reconcile --billed FILE` (`crates/llmcost-app/src/reconcile/bill.rs`,
//! compiled here as it is). Never a panic; every day read is in range.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[allow(dead_code, reason = "the binary's module, used in part")]
#[path = "../../crates/llmcost-app/src/reconcile/bill.rs"]
mod bill;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(lines) = bill::parse("bill", text) {
        assert!(!lines.is_empty());
        for l in lines {
            assert!((bill::FIRST_DAY..bill::END_DAY).contains(&l.day));
        }
    }
});
