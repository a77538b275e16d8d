//! Codex CLI session logs (`rollout-*.jsonl`) and saved `codex exec --json` output.
//!
//! * `turn_context` lines set the model of the events that follow.
//! * `event_msg` lines of type `token_count` carry `info.total_token_usage`
//!   (cumulative over the session) and `info.last_token_usage` (the last
//!   turn). Each event yields the increase of the cumulative total since the
//!   previous event of the file; an event whose total did not move is a
//!   repeated snapshot and adds nothing. The first event of a file, or one
//!   after the counter went down (a new counter), uses `last_token_usage`.
//! * An event is identified by its timestamp and cumulative counts, so the
//!   copy of a parent's history at the top of a forked session has the same
//!   keys as the original and is not counted twice.
//! * A sub-agent session (its `session_meta` names a `thread_spawn`) starts
//!   with the parent's history re-stamped to the second it was spawned: events
//!   in that second are skipped.
//! * `turn.completed` lines (`codex exec --json`) carry a per-turn `usage`.
//!
//! Buckets: `input_tokens` includes `cached_input_tokens` (cache reads);
//! `output_tokens` includes `reasoning_output_tokens`.

use std::sync::Arc;

use llmcost_core::{ServiceTier, Usage};
use serde::{Deserialize, Deserializer};

use crate::json::{Bad, Cur, R};
use crate::{Detail, Entry, Error, FileCtx, Models, Out, Tail, fast_hash, for_each_line, time};

fn zero_if_null<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    Option::<u64>::deserialize(d).map(Option::unwrap_or_default)
}

#[derive(Debug, Deserialize, Default, Clone, Copy, PartialEq, Eq)]
struct Tok {
    #[serde(default, deserialize_with = "zero_if_null")]
    input_tokens: u64,
    #[serde(default, deserialize_with = "zero_if_null")]
    cached_input_tokens: u64,
    #[serde(default, deserialize_with = "zero_if_null")]
    output_tokens: u64,
    #[serde(default, deserialize_with = "zero_if_null")]
    reasoning_output_tokens: u64,
    #[serde(default, deserialize_with = "zero_if_null")]
    total_tokens: u64,
}

impl Tok {
    fn ge(&self, o: &Tok) -> bool {
        self.input_tokens >= o.input_tokens
            && self.cached_input_tokens >= o.cached_input_tokens
            && self.output_tokens >= o.output_tokens
            && self.reasoning_output_tokens >= o.reasoning_output_tokens
            && self.total_tokens >= o.total_tokens
    }

    fn minus(&self, o: &Tok) -> Tok {
        Tok {
            input_tokens: self.input_tokens - o.input_tokens,
            cached_input_tokens: self.cached_input_tokens - o.cached_input_tokens,
            output_tokens: self.output_tokens - o.output_tokens,
            reasoning_output_tokens: self.reasoning_output_tokens - o.reasoning_output_tokens,
            total_tokens: self.total_tokens - o.total_tokens,
        }
    }

    fn usage(&self) -> Usage {
        let cached = self.cached_input_tokens.min(self.input_tokens);
        let (output, reasoning) = if self.reasoning_output_tokens <= self.output_tokens {
            (
                self.output_tokens - self.reasoning_output_tokens,
                self.reasoning_output_tokens,
            )
        } else {
            (self.output_tokens, self.reasoning_output_tokens)
        };
        Usage {
            input: self.input_tokens - cached,
            cache_read: cached,
            output,
            reasoning,
            ..Usage::default()
        }
    }

    fn key_text(&self) -> String {
        format!(
            "{}:{}:{}:{}:{}",
            self.input_tokens,
            self.cached_input_tokens,
            self.output_tokens,
            self.reasoning_output_tokens,
            self.total_tokens
        )
    }
}

#[derive(Deserialize, Default)]
struct Info<'a> {
    #[serde(default)]
    total_token_usage: Option<Tok>,
    #[serde(default)]
    last_token_usage: Option<Tok>,
    #[serde(default, borrow)]
    model: Option<std::borrow::Cow<'a, str>>,
}

#[derive(Deserialize, Default)]
struct Payload<'a> {
    #[serde(default, rename = "type", borrow)]
    kind: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, borrow)]
    model: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, borrow)]
    id: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, borrow)]
    info: Option<Info<'a>>,
}

struct Line<'a> {
    timestamp: Option<&'a [u8]>,
    kind: Option<std::borrow::Cow<'a, str>>,
    payload: Option<&'a [u8]>,
    usage: Option<&'a [u8]>,
    model: Option<std::borrow::Cow<'a, str>>,
}

fn parse_line(b: &[u8]) -> R<Line<'_>> {
    let mut l = Line {
        timestamp: None,
        kind: None,
        payload: None,
        usage: None,
        model: None,
    };
    let mut c = Cur::new(b);
    c.object(|c, k| {
        match k {
            b"timestamp" if !c.is_null() => l.timestamp = Some(c.raw_str()?),
            b"type" => l.kind = c.opt_str()?,
            b"payload" => l.payload = Some(c.span()?),
            b"usage" => l.usage = Some(c.span()?),
            b"model" => l.model = c.opt_str()?,
            _ => c.skip_value()?,
        }
        Ok(())
    })?;
    c.end()?;
    Ok(l)
}

#[derive(Default)]
struct State {
    model: Option<Arc<str>>,
    prev: Option<Tok>,
    session: Option<Arc<str>>,
    subagent_second: Option<i64>,
    warned_no_model: bool,
}

pub(crate) fn scan(ctx: &FileCtx, start: u64, out: &mut Out<'_>) -> Result<(), Error> {
    // Resuming needs the state (model, last total) of the lines before
    // `start`: read them again without emitting anything.
    let prefix_lines = if start > 0 {
        crate::prefix_lines(&ctx.path, start)?
    } else {
        0
    };
    let mut st = State::default();
    let mut models = Models::default();
    let detail = out.detail;
    let end_lines_before = out.outcome.lines;
    for_each_line(out, 0, Tail::Json, &mut |out, no, line| {
        let live = no > prefix_lines;
        if line.trim_ascii().is_empty() {
            return;
        }
        let l = match parse_line(line) {
            Ok(l) => l,
            Err(Bad(m)) => {
                if live {
                    out.issue(no, format!("malformed JSON: {m}"));
                }
                return;
            }
        };
        let kind = l.kind.as_deref().unwrap_or("");
        let tok: Option<(Tok, Option<Tok>)> = match kind {
            "session_meta" | "turn_context" | "event_msg" => {
                let Some(p) = l.payload else { return };
                let p: Payload<'_> = match serde_json::from_slice(p) {
                    Ok(p) => p,
                    Err(e) => {
                        if live {
                            out.issue(no, format!("invalid `payload`: {e}"));
                        }
                        return;
                    }
                };
                match kind {
                    "session_meta" => {
                        st.session = p.id.as_deref().map(Arc::from);
                        if l.payload
                            .is_some_and(|p| memchr::memmem::find(p, b"thread_spawn").is_some())
                        {
                            st.subagent_second =
                                l.timestamp.and_then(time::parse).map(|t| t.as_second());
                        }
                        None
                    }
                    "turn_context" => {
                        if let Some(m) = p.model.as_deref() {
                            st.model = Some(models.get(m));
                        }
                        None
                    }
                    _ if p.kind.as_deref() == Some("token_count") => {
                        let Some(info) = p.info else { return };
                        if let Some(m) = info.model.as_deref() {
                            st.model = Some(models.get(m));
                        }
                        let prev = st.prev;
                        let delta = match (info.total_token_usage, prev) {
                            (Some(t), Some(p)) if t == p => {
                                return; // a repeated snapshot
                            }
                            (Some(t), Some(p)) if t.ge(&p) => t.minus(&p),
                            (Some(t), _) => info.last_token_usage.unwrap_or(t),
                            (None, _) => match info.last_token_usage {
                                Some(x) => x,
                                None => return,
                            },
                        };
                        if info.total_token_usage.is_some() {
                            st.prev = info.total_token_usage;
                        }
                        Some((delta, info.total_token_usage.or(info.last_token_usage)))
                    }
                    _ => None,
                }
            }
            "turn.completed" => {
                if let Some(m) = l.model.as_deref() {
                    st.model = Some(models.get(m));
                }
                let Some(u) = l.usage else { return };
                match serde_json::from_slice::<Tok>(u) {
                    Ok(t) => Some((t, Some(t))),
                    Err(e) => {
                        if live {
                            out.issue(no, format!("invalid `usage`: {e}"));
                        }
                        return;
                    }
                }
            }
            "thread.started" | "turn.started" | "response_item" | "compacted" => None,
            _ => None,
        };
        let Some((delta, ident)) = tok else { return };
        if !live {
            return;
        }
        let u = delta.usage();
        if u.is_zero() {
            return;
        }
        let ts = l.timestamp.unwrap_or(b"");
        let Some(at) = time::parse(ts) else {
            out.issue(no, "missing or invalid `timestamp`");
            return;
        };
        if st.subagent_second == Some(at.as_second()) {
            return; // the parent's history replayed into a sub-agent
        }
        let model = match &st.model {
            Some(m) => m.clone(),
            None => {
                if !st.warned_no_model {
                    st.warned_no_model = true;
                    out.issue(
                        no,
                        "token counts before any `turn_context` names the model: listed under model `unknown`",
                    );
                }
                models.get("unknown")
            }
        };
        let ident = ident.unwrap_or(delta);
        let key = fast_hash(&[
            b"codex",
            ts,
            &ident.input_tokens.to_le_bytes(),
            &ident.cached_input_tokens.to_le_bytes(),
            &ident.output_tokens.to_le_bytes(),
            &ident.reasoning_output_tokens.to_le_bytes(),
            &ident.total_tokens.to_le_bytes(),
        ]);
        let detail = detail.then(|| {
            Box::new(Detail {
                dedup_key: format!("codex:{}:{}", String::from_utf8_lossy(ts), ident.key_text()),
                raw_usage: serde_json::to_string(&serde_json::json!({
                    "input_tokens": delta.input_tokens,
                    "cached_input_tokens": delta.cached_input_tokens,
                    "output_tokens": delta.output_tokens,
                    "reasoning_output_tokens": delta.reasoning_output_tokens,
                    "total_tokens": delta.total_tokens,
                }))
                .ok(),
                provider: Some("openai".into()),
                tags: Vec::new(),
            })
        });
        out.emit(Entry {
            key,
            parent: 0,
            sidechain: false,
            at,
            model,
            usage: u,
            tier: ServiceTier::Standard,
            line: no,
            billed: None,
            session: st.session.clone(),
            detail,
        });
    })?;
    out.outcome.lines =
        end_lines_before + (out.outcome.lines - end_lines_before).saturating_sub(prefix_lines);
    Ok(())
}
