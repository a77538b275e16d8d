//! What keeps a stored record small (schema version 5): a record's identity
//! is the 16-byte hash of its key ([`KeyHash`], a `uuid` in `record_keys`),
//! and the long, much-repeated text of records (the file a record came from,
//! the price it was priced by) is stored once in `strings` and referenced by
//! id ([`Strings`]). Every byte a record does not take is a byte the server
//! neither parses, nor logs to its WAL, nor writes to its table.

use std::error::Error;

use bytes::BytesMut;
use llmcost_ledger::identity::key_hash_bytes;
use llmcost_ledger::{LedgerError, Result};
use postgres::Client;
use postgres::types::{FromSql, IsNull, ToSql, Type, accepts, to_sql_checked};
use rustc_hash::FxHashMap;

use crate::backend;

/// A record's identity in `record_keys`: [`key_hash_bytes`] of its key, sent
/// and read as a `uuid`. Sequenced keys of one stem are neighbours in its
/// unique index (the proxy's small batches touch a page or two of it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct KeyHash(pub [u8; 16]);

impl KeyHash {
    pub(crate) fn of(key: &str) -> Self {
        KeyHash(key_hash_bytes(key))
    }
}

impl ToSql for KeyHash {
    fn to_sql(
        &self,
        _: &Type,
        out: &mut BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn Error + Sync + Send>> {
        out.extend_from_slice(&self.0);
        Ok(IsNull::No)
    }

    accepts!(UUID);
    to_sql_checked!();
}

impl<'a> FromSql<'a> for KeyHash {
    fn from_sql(
        _: &Type,
        raw: &'a [u8],
    ) -> std::result::Result<Self, Box<dyn Error + Sync + Send>> {
        Ok(KeyHash(raw.try_into()?))
    }

    accepts!(UUID);
}

/// Ids of interned strings (`strings.string_id`), kept per ledger handle.
///
/// A string is interned by a statement of its own, committed before the
/// records that use it are written, so an id once known is valid for good:
/// strings are never deleted (a pruned record's strings stay, a few bytes each).
#[derive(Default)]
pub(crate) struct Strings {
    ids: FxHashMap<Box<str>, i32>,
}

/// Interned strings kept per handle before the cache is emptied.
const CACHE_MAX: usize = 100_000;

impl Strings {
    /// Makes every string of `wanted` known, interning those the ledger lacks:
    /// one round trip when any is new to this handle, none otherwise.
    pub(crate) fn intern<'s>(
        &mut self,
        client: &mut Client,
        wanted: impl IntoIterator<Item = &'s str>,
    ) -> Result<()> {
        let mut missing: Vec<&str> = wanted
            .into_iter()
            .filter(|s| !self.ids.contains_key(*s))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        missing.sort_unstable();
        missing.dedup();
        if self.ids.len() + missing.len() > CACHE_MAX {
            self.ids.clear();
        }
        // The statement sees the strings stored before it began and those it
        // inserts. One another writer inserts meanwhile is skipped by `ON
        // CONFLICT` and seen by the next statement, hence the second round.
        for _ in 0..2 {
            let rows = client
                .query_typed(
                    "WITH i AS (INSERT INTO strings (value) SELECT unnest($1) ORDER BY 1 \
                            ON CONFLICT (value) DO NOTHING RETURNING string_id, value) \
                     SELECT string_id, value FROM i \
                     UNION ALL SELECT string_id, value FROM strings WHERE value = ANY($1)",
                    &[(&missing, Type::TEXT_ARRAY)],
                )
                .map_err(backend)?;
            for row in rows {
                let id: i32 = row.try_get(0).map_err(backend)?;
                let value: &str = row.try_get(1).map_err(backend)?;
                self.ids.insert(value.into(), id);
            }
            missing.retain(|s| !self.ids.contains_key(*s));
            if missing.is_empty() {
                return Ok(());
            }
        }
        Err(LedgerError::Conflict(format!(
            "{} strings could not be interned (first: `{}`)",
            missing.len(),
            missing[0]
        )))
    }

    /// The id of `s` (`None` for `None`); `s` must have been interned.
    pub(crate) fn id(&self, s: Option<&str>) -> Result<Option<i32>> {
        s.map(|s| {
            self.ids.get(s).copied().ok_or_else(|| {
                LedgerError::Conflict(format!(
                    "the string `{s}` was not interned before its write"
                ))
            })
        })
        .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_hash_is_sent_as_its_sixteen_bytes() {
        let k = KeyHash::of("claude:msg_1:req_1");
        let mut out = BytesMut::new();
        k.to_sql(&Type::UUID, &mut out).expect("to_sql");
        assert_eq!(&out[..], &key_hash_bytes("claude:msg_1:req_1"));
        assert_eq!(KeyHash::from_sql(&Type::UUID, &out).expect("from_sql"), k);
        assert!(KeyHash::from_sql(&Type::UUID, &out[..15]).is_err());
        assert!(<KeyHash as ToSql>::accepts(&Type::UUID));
        assert!(!<KeyHash as ToSql>::accepts(&Type::TEXT));
    }

    #[test]
    fn an_unknown_string_is_an_error_not_a_null() {
        let s = Strings::default();
        assert_eq!(s.id(None).expect("none"), None);
        assert!(s.id(Some("/never/interned")).is_err());
    }
}
