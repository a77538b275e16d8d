//! What makes two usage records the same record: the identity rule every
//! importer and backend shares (so a Postgres ledger would key records the
//! same way as SQLite).
//!
//! * A **provider id** (a response `id`) identifies a record only when it is
//!   [plausible](plausible_id), and even then together with the record's
//!   [content](Content): two responses that share an id but differ in time,
//!   model or usage are two records. Key: `<source>:id:<id>:<digest>`.
//! * A row **without a usable id** (CSV, id-less JSON Lines) is keyed by its
//!   normalised content and its *occurrence*: the number of identical rows
//!   (same content) before it in the same file. A re-export, a re-sort or an
//!   appended row adds only what is new; identical rows repeated in one file
//!   stay distinct. Key: `<source>:row:<digest>:<occurrence>`. The file's
//!   name and the row's position are not part of it: the same row in a copy
//!   of the file is the same record.
//!
//! The digest is the xxh3-128 of the normalised content, in hex. It is stable
//! across versions: changing it would make the next import store every
//! id-less record again (a schema migration would have to rewrite the keys).

use llmcost_core::{Bucket, ServiceTier, Timestamp, Usage};

/// The fields of a usage row that tell one call from another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Content<'a> {
    /// When the tokens were used.
    pub at: Timestamp,
    /// The model as the source names it (surrounding spaces ignored).
    pub model: &'a str,
    /// Tokens per bucket (the six text buckets always; a modality bucket
    /// when it is not 0).
    pub usage: Usage,
    /// Service tier.
    pub tier: ServiceTier,
    /// A session the row itself names (a CSV `session` column), not one
    /// derived from the file name.
    pub session: Option<&'a str>,
}

impl Content<'_> {
    /// The 128-bit digest of the normalised content.
    #[must_use]
    pub fn digest(&self) -> u128 {
        let mut b = Vec::with_capacity(128);
        b.extend_from_slice(&self.at.as_nanosecond().to_le_bytes());
        put(&mut b, self.model.trim().as_bytes());
        for v in [
            self.usage.input,
            self.usage.cache_read,
            self.usage.cache_write,
            self.usage.cache_write_1h,
            self.usage.output,
            self.usage.reasoning,
        ] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        // Modality buckets only when used, with their names: a digest does
        // not change when a bucket is added that the row does not use.
        for m in Bucket::MODAL {
            let v = self.usage.get(m);
            if v != 0 {
                put(&mut b, m.key().as_bytes());
                b.extend_from_slice(&v.to_le_bytes());
            }
        }
        put(&mut b, self.tier.key().as_bytes());
        match self.session.map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => {
                b.push(1);
                put(&mut b, s.as_bytes());
            }
            None => b.push(0),
        }
        xxhash_rust::xxh3::xxh3_128(&b)
    }
}

fn put(b: &mut Vec<u8>, s: &[u8]) {
    b.extend_from_slice(&(s.len() as u64).to_le_bytes());
    b.extend_from_slice(s);
}

/// Longest provider id taken as an identity.
pub const MAX_ID_LEN: usize = 256;

/// Whether a provider's response id can identify a call: present, not empty,
/// at most [`MAX_ID_LEN`] printable ASCII characters without spaces, and not
/// a placeholder (`null`, `none`, `undefined`, `0`, `-`...).
#[must_use]
pub fn plausible_id(id: &str) -> bool {
    let placeholder = matches!(
        id.to_ascii_lowercase().as_str(),
        "null" | "none" | "nil" | "undefined" | "unknown" | "n/a" | "na" | "id"
    ) || id.bytes().all(|b| matches!(b, b'0' | b'-' | b'_'));
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id.bytes().all(|b| b.is_ascii_graphic())
        && !placeholder
}

/// The key of a record with a plausible provider id: `<source>:id:<id>:<digest>`.
#[must_use]
pub fn id_key(source: &str, id: &str, digest: u128) -> String {
    format!("{source}:id:{id}:{digest:032x}")
}

/// The key of a row without an id: `<source>:row:<digest>:<occurrence>`.
#[must_use]
pub fn row_key(source: &str, digest: u128, occurrence: u32) -> String {
    format!("{source}:row:{digest:032x}:{occurrence}")
}

/// Counts identical rows of one file, for [`row_key`]'s occurrence.
#[derive(Debug, Default, Clone)]
pub struct Occurrences(std::collections::HashMap<u128, u32>);

impl Occurrences {
    /// The occurrence of a row with this digest (0 for the first), counting it.
    pub fn next(&mut self, digest: u128) -> u32 {
        let n = self.0.entry(digest).or_insert(0);
        let this = *n;
        *n = n.saturating_add(1);
        this
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(at: &str, output: u64) -> (Timestamp, Usage) {
        (
            at.parse().unwrap_or(Timestamp::UNIX_EPOCH),
            Usage {
                input: 100,
                output,
                ..Usage::default()
            },
        )
    }

    #[test]
    fn ids_that_identify_nothing_are_not_used() {
        for bad in ["", " ", "null", "None", "0", "000", "-", "a b", "x\u{7f}"] {
            assert!(!plausible_id(bad), "{bad:?}");
        }
        assert!(!plausible_id(&"a".repeat(MAX_ID_LEN + 1)));
        for good in [
            "chatcmpl-123",
            "msg_01XFDUDYJgAACzvnptvVoYEL",
            "resp_abc",
            "7",
        ] {
            assert!(plausible_id(good), "{good:?}");
        }
    }

    #[test]
    fn the_digest_covers_time_model_usage_tier_and_session() {
        let (at, u) = content("2025-01-01T00:00:00Z", 50);
        let base = Content {
            at,
            model: "deepseek-chat",
            usage: u,
            tier: ServiceTier::Standard,
            session: None,
        };
        let d = base.digest();
        assert_eq!(
            Content {
                model: " deepseek-chat ",
                ..base
            }
            .digest(),
            d,
            "spaces around the model are not content"
        );
        let (later, more) = content("2025-01-01T00:00:01Z", 51);
        for other in [
            Content { at: later, ..base },
            Content {
                usage: more,
                ..base
            },
            Content {
                model: "deepseek-reasoner",
                ..base
            },
            Content {
                tier: ServiceTier::Batch,
                ..base
            },
            Content {
                usage: Usage {
                    output_audio: 1,
                    ..u
                },
                ..base
            },
            Content {
                session: Some("s1"),
                ..base
            },
        ] {
            assert_ne!(other.digest(), d, "{other:?}");
        }
        // An empty session is no session.
        assert_eq!(
            Content {
                session: Some(""),
                ..base
            }
            .digest(),
            d
        );
    }

    #[test]
    fn occurrences_count_identical_rows() {
        let mut o = Occurrences::default();
        assert_eq!((o.next(1), o.next(2), o.next(1), o.next(1)), (0, 0, 1, 2));
        assert_eq!(row_key("csv", 1, 2), format!("csv:row:{:032x}:2", 1));
        assert_eq!(
            id_key("jsonl", "r1", 255),
            format!("jsonl:id:r1:{:032x}", 255)
        );
    }
}

#[cfg(test)]
mod stable {
    use super::*;

    /// Keys are stored: a digest that changed would store every id-less
    /// record again on the next import. This pins one.
    #[test]
    fn the_digest_does_not_change_between_versions() {
        let c = Content {
            at: Timestamp::from_second(1_736_503_200).unwrap_or(Timestamp::UNIX_EPOCH),
            model: "deepseek-chat",
            usage: Usage {
                input: 6000,
                cache_read: 4000,
                output: 2000,
                ..Usage::default()
            },
            tier: ServiceTier::Standard,
            session: None,
        };
        assert_eq!(
            format!("{:032x}", c.digest()),
            "c99085fd6a9daba18a31bae7c434e7ba"
        );
    }
}
