//! Server-Sent Events usage reader of the proxy (`crates/llmcost-proxy/src/sse.rs`,
//! compiled here as it is: it needs only core, usage and memchr). Never a
//! panic, and the result does not depend on where the stream is split into
//! chunks: the first two bytes choose a split point, the rest is the stream.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[allow(dead_code, reason = "the proxy's module, used in part")]
#[path = "../../crates/llmcost-proxy/src/sse.rs"]
mod sse;

fn read(chunks: &[&[u8]]) -> (Option<llmcost_core::Usage>, Option<String>, bool, u64) {
    let mut r = sse::SseUsage::new(None);
    for c in chunks {
        r.push(c);
    }
    r.finish();
    (r.usage(), r.model().map(str::to_string), r.is_done(), r.events())
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let at = usize::from(u16::from_le_bytes([data[0], data[1]]));
    let body = &data[2..];
    let at = at % (body.len() + 1);
    let whole = read(&[body]);
    let split = read(&[&body[..at], &body[at..]]);
    assert_eq!(whole, split, "split at {at}");
    // Byte by byte for short streams.
    if body.len() <= 256 {
        let bytes: Vec<&[u8]> = body.chunks(1).collect();
        assert_eq!(whole, read(&bytes), "byte by byte");
    }
});
