//! Provider response bodies and usage objects (`llmcost_usage::extract`):
//! never a panic; the borrowing and the copying reader agree, with and
//! without a forced shape.
#![no_main]

use libfuzzer_sys::fuzz_target;
use llmcost_usage::{Shape, extract, extract_ref, extract_with_hint};

fuzz_target!(|data: &[u8]| {
    let owned = extract(data);
    let borrowed = extract_ref(data).map(|r| r.into_owned());
    assert_eq!(owned.is_ok(), borrowed.is_ok());
    if let (Ok(a), Ok(b)) = (&owned, &borrowed) {
        assert_eq!(a, b);
    }
    // A forced shape picked by the input's length.
    let hint = Shape::ALL[data.len() % Shape::ALL.len()];
    let _ = extract_with_hint(data, Some(hint));
});
