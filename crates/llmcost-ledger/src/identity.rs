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

/// The stable 128-bit hash of a dedup key (xxh3-128) as two signed integers
/// (low 64 bits, high 64 bits), how the ledgers store a record's identity.
/// In SQLite the low half is the unique `key_hash`; the pair identifies the key (a collision of both halves over
/// any real ledger is beyond practical chance: about 10^-27 per million keys).
///
/// A *sequenced* key, `seq:<stem>:<n>` (a stem that is never reused, such as a
/// process's start id, and a counter), gets a `key_hash` made of the stem's
/// hash (high 32 bits) and `n` (low 32 bits): consecutive keys are neighbours
/// in the unique index, so a batch of them rewrites a page or two of it
/// instead of one page per key, however large the ledger (what the proxy's
/// small, frequent writes need). The high half stays the key's own hash, and
/// two keys that share a `key_hash` are handled as any collision.
#[must_use]
pub fn key_hashes(key: &str) -> (i64, i64) {
    let h = xxhash_rust::xxh3::xxh3_128(key.as_bytes());
    let low = match sequenced(key) {
        Some((stem, n)) => {
            (xxhash_rust::xxh3::xxh3_64(stem.as_bytes()) & 0xFFFF_FFFF_0000_0000)
                | (n & 0xFFFF_FFFF)
        }
        None => h as u64,
    };
    let low = i64::from_ne_bytes(low.to_ne_bytes());
    let high = i64::from_ne_bytes(((h >> 64) as u64).to_ne_bytes());
    (low, high)
}

/// The stem and counter of a sequenced key (`seq:<stem>:<n>`, `n` decimal).
fn sequenced(key: &str) -> Option<(&str, u64)> {
    let (stem, n) = key.strip_prefix("seq:")?.rsplit_once(':')?;
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((stem, n.parse().ok()?))
}

/// [`key_hashes`] as 16 bytes: the low half then the high half, each
/// big-endian, so that byte order (PostgreSQL's `uuid`) sorts by the low half
/// first and sequenced keys of one stem stay neighbours.
#[must_use]
pub fn key_hash_bytes(key: &str) -> [u8; 16] {
    let (low, high) = key_hashes(key);
    let mut out = [0; 16];
    out[..8].copy_from_slice(&low.to_be_bytes());
    out[8..].copy_from_slice(&high.to_be_bytes());
    out
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

    #[test]
    fn key_hashes_are_stable() {
        // xxh3-128 of the empty string is 0x99aa06d3014798d86001c324468d497f.
        assert_eq!(
            key_hashes(""),
            (
                0x6001_c324_468d_497f_u64 as i64,
                0x99aa_06d3_0147_98d8_u64 as i64
            )
        );
    }

    #[test]
    fn sequenced_keys_are_neighbours_in_the_index() {
        let (a, ca) = key_hashes("seq:proxy-1f-2a:41");
        let (b, cb) = key_hashes("seq:proxy-1f-2a:42");
        assert_eq!(b, a + 1);
        assert_eq!(a & 0xFFFF_FFFF, 41);
        assert_ne!(ca, cb, "the high half is each key's own hash");
        // Another stem lands elsewhere; a key that is not sequenced is hashed whole.
        assert_ne!(key_hashes("seq:proxy-other:41").0 >> 32, a >> 32);
        for plain in ["seq:x:", "seq:x:1a", "seq:nocounter", "proxy:x:41"] {
            let h = xxhash_rust::xxh3::xxh3_128(plain.as_bytes());
            assert_eq!(key_hashes(plain).0, h as u64 as i64, "{plain}");
        }
    }

    #[test]
    fn key_hash_bytes_sort_sequenced_keys_by_their_counter() {
        let a = key_hash_bytes("seq:proxy-1f-2a:41");
        let b = key_hash_bytes("seq:proxy-1f-2a:42");
        assert!(a < b);
        assert_eq!(a[4..8], 41u32.to_be_bytes());
        let (low, high) = key_hashes("x:1");
        let bytes = key_hash_bytes("x:1");
        assert_eq!(bytes[..8], low.to_be_bytes());
        assert_eq!(bytes[8..], high.to_be_bytes());
    }

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
