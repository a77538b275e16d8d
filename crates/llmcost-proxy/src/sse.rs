//! A sans-I/O usage reader for Server-Sent Events streams.
//!
//! Push the stream's bytes as they arrive, in chunks split anywhere; the reader
//! keeps O(1) state: the usage seen so far, the first model, and the one line
//! fragment split across chunks (bounded by [`MAX_LINE`]). It understands:
//!
//! * OpenAI-style chat and completions streams: the final chunk whose `usage`
//!   holds the totals (with `stream_options.include_usage`), `data: [DONE]`;
//! * OpenAI Responses: `response.completed` (also `response.incomplete` and
//!   `response.failed`) with `response.usage`;
//! * Anthropic Messages: `message_start` (input and cache counts) and
//!   `message_delta` (cumulative counts; the latest wins), `message_stop`;
//! * Gemini: cumulative `usageMetadata` in every chunk (the latest wins).
//!
//! Every provider reports running totals, never increments, so the reader keeps
//! the largest count seen per bucket: that is the latest total for cumulative
//! streams, and it merges Anthropic's `message_start` input counts with the
//! `message_delta` output counts.

use llmcost_core::{Bucket, ServiceTier, Usage};
use llmcost_usage::Shape;
use memchr::memmem;

/// The longest line kept across chunks; a longer one (a huge content delta) is
/// skipped, since usage lines are small.
pub const MAX_LINE: usize = 4 << 20;

/// The usage of a stream, read as it passes.
#[derive(Debug, Clone, Default)]
pub struct SseUsage {
    hint: Option<Shape>,
    partial: Vec<u8>,
    skipping: bool,
    usage: Option<Usage>,
    model: Option<String>,
    raw_usage: Option<String>,
    service_tier: Option<ServiceTier>,
    reported_cost_usd_ticks: Option<i64>,
    terminal_next_data: bool,
    done: bool,
    events: u64,
}

impl SseUsage {
    /// A reader; `hint` forces the usage convention (e.g. Anthropic).
    #[must_use]
    pub fn new(hint: Option<Shape>) -> SseUsage {
        SseUsage {
            hint,
            ..SseUsage::default()
        }
    }

    /// Feeds bytes. Returns true once the stream's final event (`[DONE]`,
    /// `message_stop`, `response.completed`) has been read.
    pub fn push(&mut self, mut chunk: &[u8]) -> bool {
        while let Some(nl) = memchr::memchr(b'\n', chunk) {
            let (line, rest) = chunk.split_at(nl);
            chunk = &rest[1..];
            if self.skipping {
                self.skipping = false;
                self.partial.clear();
                continue;
            }
            if self.partial.is_empty() {
                self.line(line);
            } else {
                let mut full = std::mem::take(&mut self.partial);
                full.extend_from_slice(line);
                self.line(&full);
                full.clear();
                self.partial = full;
            }
        }
        if !chunk.is_empty() && !self.skipping {
            if self.partial.len() + chunk.len() > MAX_LINE {
                self.partial = Vec::new();
                self.skipping = true;
            } else {
                self.partial.extend_from_slice(chunk);
            }
        }
        self.done
    }

    /// Reads a last line not ended by a newline (end of stream).
    pub fn finish(&mut self) -> bool {
        if !self.skipping && !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            self.line(&line);
        }
        self.done
    }

    /// The usage seen so far (`None`: the stream carried none).
    #[must_use]
    pub fn usage(&self) -> Option<Usage> {
        self.usage
    }

    /// The first model named in the stream.
    #[must_use]
    pub fn model(&self) -> Option<&str> {
        self.model.as_deref()
    }

    /// The raw JSON of the last event that carried usage.
    #[must_use]
    pub fn raw_usage(&self) -> Option<&str> {
        self.raw_usage.as_deref()
    }

    /// The service tier the stream reported.
    #[must_use]
    pub fn service_tier(&self) -> Option<ServiceTier> {
        self.service_tier
    }

    /// xAI / OpenRouter reported cost, in 1e-10 USD ticks.
    #[must_use]
    pub fn reported_cost_usd_ticks(&self) -> Option<i64> {
        self.reported_cost_usd_ticks
    }

    /// True once the final event was read.
    #[must_use]
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Number of `data:` events read.
    #[must_use]
    pub fn events(&self) -> u64 {
        self.events
    }

    fn line(&mut self, line: &[u8]) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if let Some(ev) = line.strip_prefix(b"event:") {
            match ev.trim_ascii() {
                b"message_stop" => self.done = true,
                b"response.completed" | b"response.incomplete" | b"response.failed" => {
                    self.terminal_next_data = true;
                }
                _ => {}
            }
            return;
        }
        let Some(data) = line.strip_prefix(b"data:") else {
            return;
        };
        let data = data.trim_ascii();
        self.events += 1;
        if data == b"[DONE]" {
            self.done = true;
            return;
        }
        self.data(data);
        if std::mem::take(&mut self.terminal_next_data) {
            self.done = true;
        }
    }

    fn data(&mut self, data: &[u8]) {
        if self.model.is_none()
            && let Some(m) = find_model(data)
        {
            self.model = Some(m);
        }
        if !has_usage(data) {
            return;
        }
        let Ok(e) = llmcost_usage::extract_ref_with_hint(data, self.hint) else {
            return;
        };
        let merged = match self.usage {
            None => e.usage,
            Some(prev) => merge(prev, e.usage),
        };
        self.usage = Some(merged);
        if self.model.is_none() {
            self.model = e.model.map(|m| m.into_owned());
        }
        if e.service_tier.is_some() {
            self.service_tier = e.service_tier;
        }
        if e.reported_cost_usd_ticks.is_some() {
            self.reported_cost_usd_ticks = e.reported_cost_usd_ticks;
        }
        if e.shape == Shape::Anthropic || e.shape == Shape::Gemini || data.len() <= 64 << 10 {
            self.raw_usage = raw_usage_of(data);
        }
    }
}

/// Merges two running totals: the larger count per bucket, except that cache
/// writes are compared as a whole, because a later event may report the total
/// written (`cache_creation_input_tokens`) without the 5-minute / 1-hour split
/// that an earlier one gave: the split seen is kept, never counted twice.
fn merge(prev: Usage, new: Usage) -> Usage {
    let mut u = prev;
    for b in Bucket::ALL {
        u.set(b, prev.get(b).max(new.get(b)));
    }
    let prev_w = prev.cache_write.saturating_add(prev.cache_write_1h);
    let new_w = new.cache_write.saturating_add(new.cache_write_1h);
    let (w5, w1h) = if new_w > prev_w {
        if new.cache_write_1h == 0 && prev.cache_write_1h > 0 {
            (new_w - prev.cache_write_1h, prev.cache_write_1h)
        } else {
            (new.cache_write, new.cache_write_1h)
        }
    } else if new_w == prev_w && new.cache_write_1h > 0 && prev.cache_write_1h == 0 {
        (new.cache_write, new.cache_write_1h)
    } else {
        (prev.cache_write, prev.cache_write_1h)
    };
    u.cache_write = w5;
    u.cache_write_1h = w1h;
    u
}

/// True when `data` has a `"usage…"` key whose value is not `null`.
pub(crate) fn has_usage(data: &[u8]) -> bool {
    let finder = memmem::Finder::new(b"\"usage");
    let mut at = 0;
    while let Some(i) = finder.find(&data[at..]) {
        let after = &data[at + i + 6..];
        // Skip to the value: past the rest of the key, the quote and the colon.
        if let Some(q) = memchr::memchr(b'"', after) {
            let v = after[q + 1..].trim_ascii_start();
            if let Some(v) = v.strip_prefix(b":")
                && !v.trim_ascii_start().starts_with(b"null")
            {
                return true;
            }
        }
        at += i + 6;
    }
    false
}

/// The `model` of a JSON event, without parsing it whole: the first `"model":"…"`.
fn find_model(data: &[u8]) -> Option<String> {
    let i = memmem::find(data, b"\"model\"")?;
    let v = data[i + 7..].trim_ascii_start().strip_prefix(b":")?;
    let v = v.trim_ascii_start().strip_prefix(b"\"")?;
    let end = memchr::memchr2(b'"', b'\\', v)?;
    if v[end] != b'"' || end == 0 {
        return None;
    }
    std::str::from_utf8(&v[..end]).ok().map(str::to_string)
}

/// The JSON text of the usage object in a body or event: `usage`,
/// `usageMetadata`, or inside `response` / `message`.
pub(crate) fn raw_usage_of(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Doc<'a> {
        #[serde(borrow, default)]
        usage: Option<&'a serde_json::value::RawValue>,
        #[serde(borrow, default, rename = "usageMetadata")]
        usage_metadata: Option<&'a serde_json::value::RawValue>,
        #[serde(borrow, default)]
        response: Option<&'a serde_json::value::RawValue>,
        #[serde(borrow, default)]
        message: Option<&'a serde_json::value::RawValue>,
    }
    fn walk(body: &[u8], depth: u8) -> Option<String> {
        // From bytes: no UTF-8 pass over the whole body (the usage text borrowed
        // is checked by itself).
        let d: Doc<'_> = serde_json::from_slice(body).ok()?;
        if let Some(u) = d.usage.or(d.usage_metadata)
            && u.get() != "null"
        {
            return Some(u.get().to_string());
        }
        if depth == 0 {
            return None;
        }
        [d.response, d.message]
            .into_iter()
            .flatten()
            .find_map(|r| walk(r.get().as_bytes(), depth - 1))
    }
    walk(body, 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const OPENAI: &str = concat!(
        "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}],\"usage\":null}\n\n",
        "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[],",
        "\"usage\":{\"prompt_tokens\":2006,\"completion_tokens\":300,\"total_tokens\":2306,\"prompt_tokens_details\":{\"cached_tokens\":1920}}}\n\n",
        "data: [DONE]\n\n"
    );

    const ANTHROPIC: &str = concat!(
        "event: message_start\n",
        "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"model\":\"claude-sonnet-4-20250514\",\"usage\":{\"input_tokens\":9,\"cache_creation_input_tokens\":100,\"cache_read_input_tokens\":200,\"output_tokens\":1}}}\n\n",
        "event: content_block_delta\n",
        "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello\"}}\n\n",
        "event: message_delta\n",
        "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":null},\"usage\":{\"output_tokens\":20}}\n\n",
        "event: message_delta\n",
        "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":57}}\n\n",
        "event: message_stop\n",
        "data: {\"type\":\"message_stop\"}\n\n"
    );

    const RESPONSES: &str = concat!(
        "event: response.created\n",
        "data: {\"type\":\"response.created\",\"response\":{\"id\":\"resp_1\",\"model\":\"gpt-4.1-mini\",\"usage\":null}}\n\n",
        "event: response.output_text.delta\n",
        "data: {\"type\":\"response.output_text.delta\",\"delta\":\"Hi\"}\n\n",
        "event: response.completed\n",
        "data: {\"type\":\"response.completed\",\"response\":{\"id\":\"resp_1\",\"model\":\"gpt-4.1-mini\",\"usage\":{\"input_tokens\":36,\"input_tokens_details\":{\"cached_tokens\":6},\"output_tokens\":87,\"output_tokens_details\":{\"reasoning_tokens\":12},\"total_tokens\":123}}}\n\n"
    );

    const GEMINI: &str = concat!(
        "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]}}],\"usageMetadata\":{\"promptTokenCount\":100,\"cachedContentTokenCount\":40,\"candidatesTokenCount\":5,\"totalTokenCount\":105},\"modelVersion\":\"gemini-2.5-flash\"}\r\n\r\n",
        "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"b\"}]}}],\"usageMetadata\":{\"promptTokenCount\":100,\"cachedContentTokenCount\":40,\"candidatesTokenCount\":17,\"thoughtsTokenCount\":3,\"totalTokenCount\":120},\"modelVersion\":\"gemini-2.5-flash\"}\r\n\r\n"
    );

    fn read(s: &str, hint: Option<Shape>) -> SseUsage {
        let mut p = SseUsage::new(hint);
        p.push(s.as_bytes());
        p.finish();
        p
    }

    #[test]
    fn openai_final_usage_chunk() {
        let p = read(OPENAI, None);
        assert!(p.is_done());
        assert_eq!(
            p.usage(),
            Some(Usage {
                input: 86,
                cache_read: 1920,
                output: 300,
                ..Usage::default()
            })
        );
        assert_eq!(p.model(), Some("gpt-4o-mini-2024-07-18"));
        assert!(
            p.raw_usage()
                .is_some_and(|r| r.starts_with("{\"prompt_tokens\":2006"))
        );
    }

    #[test]
    fn anthropic_start_and_latest_delta() {
        let p = read(ANTHROPIC, Some(Shape::Anthropic));
        assert!(p.is_done());
        assert_eq!(
            p.usage(),
            Some(Usage {
                input: 9,
                cache_write: 100,
                cache_read: 200,
                output: 57,
                ..Usage::default()
            })
        );
        assert_eq!(p.model(), Some("claude-sonnet-4-20250514"));
        assert_eq!(p.raw_usage(), Some("{\"output_tokens\":57}"));
    }

    #[test]
    fn responses_completed_event() {
        let p = read(RESPONSES, None);
        assert!(p.is_done());
        assert_eq!(
            p.usage(),
            Some(Usage {
                input: 30,
                cache_read: 6,
                output: 75,
                reasoning: 12,
                ..Usage::default()
            })
        );
        assert_eq!(p.model(), Some("gpt-4.1-mini"));
    }

    #[test]
    fn gemini_cumulative_latest_wins() {
        let p = read(GEMINI, None);
        assert!(!p.is_done());
        assert_eq!(
            p.usage(),
            Some(Usage {
                input: 60,
                cache_read: 40,
                output: 17,
                reasoning: 3,
                ..Usage::default()
            })
        );
    }

    #[test]
    fn a_stream_without_usage_has_none() {
        let p = read(
            "data: {\"choices\":[],\"usage\":null}\n\ndata: [DONE]\n\n",
            None,
        );
        assert!(p.is_done());
        assert_eq!(p.usage(), None);
        assert_eq!(p.events(), 2);
    }

    #[test]
    fn overlong_lines_are_skipped_not_kept() {
        let mut p = SseUsage::new(None);
        let big = vec![b'x'; MAX_LINE / 2 + 1];
        p.push(b"data: ");
        p.push(&big);
        p.push(&big);
        assert!(p.partial.is_empty());
        p.push(b"tail\ndata: [DONE]\n");
        assert!(p.is_done());
    }

    #[test]
    fn a_total_cache_write_does_not_double_an_earlier_split() {
        let start = Usage {
            input: 5,
            cache_write_1h: 100,
            output: 1,
            ..Usage::default()
        };
        // A later delta reports 100 written in all, without the split.
        let delta = Usage {
            input: 5,
            cache_write: 100,
            output: 40,
            ..Usage::default()
        };
        assert_eq!(
            merge(start, delta),
            Usage {
                input: 5,
                cache_write_1h: 100,
                output: 40,
                ..Usage::default()
            }
        );
        // More written later: the growth goes to the 5-minute bucket.
        let more = Usage {
            cache_write: 130,
            ..Usage::default()
        };
        assert_eq!(merge(start, more).cache_write, 30);
        assert_eq!(merge(start, more).cache_write_1h, 100);
        // A split after a bare total replaces it.
        let bare = Usage {
            cache_write: 100,
            ..Usage::default()
        };
        let split = Usage {
            cache_write: 40,
            cache_write_1h: 60,
            ..Usage::default()
        };
        assert_eq!(merge(bare, split).cache_write, 40);
        assert_eq!(merge(bare, split).cache_write_1h, 60);
    }

    #[test]
    fn usage_null_is_not_usage() {
        assert!(!has_usage(br#"{"usage":null}"#));
        assert!(!has_usage(br#"{"usage" : null,"x":1}"#));
        assert!(has_usage(br#"{"usage":{"a":1}}"#));
        assert!(has_usage(br#"{"usageMetadata":{"promptTokenCount":1}}"#));
    }

    proptest! {
        #[test]
        fn any_split_gives_the_same_usage(a in 0usize..2000, b in 0usize..2000, which in 0usize..4) {
            let (text, hint) = [(OPENAI, None), (ANTHROPIC, Some(Shape::Anthropic)), (RESPONSES, None), (GEMINI, None)][which];
            let whole = read(text, hint);
            let bytes = text.as_bytes();
            let (a, b) = (a % (bytes.len() + 1), b % (bytes.len() + 1));
            let (a, b) = (a.min(b), a.max(b));
            let mut p = SseUsage::new(hint);
            p.push(&bytes[..a]);
            p.push(&bytes[a..b]);
            p.push(&bytes[b..]);
            p.finish();
            prop_assert_eq!(p.usage(), whole.usage());
            prop_assert_eq!(p.model(), whole.model());
            prop_assert_eq!(p.is_done(), whole.is_done());
        }
    }
}
