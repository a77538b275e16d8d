//! String interning: text fields are stored once in the `strings` table
//! and referenced by id ([`Interner`] writes them, [`Dict`] reads them back).

use std::str::FromStr;

use llmcost_core::{Currency, ServiceTier};
use llmcost_ledger::Result;
use rusqlite::Connection;
use rustc_hash::FxHashMap;

use crate::{corrupt, sql};

/// Interned strings kept per connection before the cache is emptied.
pub(crate) const INTERN_CACHE_MAX: usize = 100_000;

/// Interns strings in the `strings` table for one write transaction.
pub(crate) struct Interner<'a> {
    ids: &'a mut FxHashMap<String, i64>,
    /// The last string of each record field and its id.
    last: [Option<(String, i64)>; 10],
}

impl<'a> Interner<'a> {
    pub(crate) fn new(ids: &'a mut FxHashMap<String, i64>) -> Self {
        Interner {
            ids,
            last: Default::default(),
        }
    }

    /// The id of `s`, the value of record field `slot`.
    pub(crate) fn field(
        &mut self,
        tx: &rusqlite::Transaction<'_>,
        slot: usize,
        s: &str,
    ) -> Result<i64> {
        if let Some((l, id)) = &self.last[slot]
            && l == s
        {
            return Ok(*id);
        }
        let id = self.id(tx, s)?;
        match &mut self.last[slot] {
            Some((l, i)) => {
                l.clear();
                l.push_str(s);
                *i = id;
            }
            none => *none = Some((s.to_owned(), id)),
        }
        Ok(id)
    }

    pub(crate) fn opt_field(
        &mut self,
        tx: &rusqlite::Transaction<'_>,
        slot: usize,
        s: Option<&str>,
    ) -> Result<Option<i64>> {
        s.map(|s| self.field(tx, slot, s)).transpose()
    }

    pub(crate) fn id(&mut self, tx: &rusqlite::Transaction<'_>, s: &str) -> Result<i64> {
        if let Some(&id) = self.ids.get(s) {
            return Ok(id);
        }
        tx.prepare_cached("INSERT OR IGNORE INTO strings (s) VALUES (?1)")
            .and_then(|mut st| st.execute([s]))
            .map_err(sql)?;
        let id: i64 = tx
            .prepare_cached("SELECT id FROM strings WHERE s = ?1")
            .and_then(|mut st| st.query_row([s], |r| r.get(0)))
            .map_err(sql)?;
        self.ids.insert(s.to_owned(), id);
        Ok(id)
    }

    pub(crate) fn opt(
        &mut self,
        tx: &rusqlite::Transaction<'_>,
        s: Option<&str>,
    ) -> Result<Option<i64>> {
        s.map(|s| self.id(tx, s)).transpose()
    }
}

/// The `strings` table read into memory for one query (ids are dense rowids),
/// with the currency and service tier each string names, if any.
pub(crate) struct Dict {
    strings: Vec<Option<Box<str>>>,
    currencies: Vec<Option<Currency>>,
    tiers: Vec<Option<ServiceTier>>,
}

/// Largest string id a query accepts (far above any real ledger's count).
const MAX_STRING_ID: usize = 1 << 28;

impl Dict {
    pub(crate) fn load(conn: &Connection) -> Result<Dict> {
        let mut stmt = conn
            .prepare_cached("SELECT id, s FROM strings")
            .map_err(sql)?;
        let mut rows = stmt.query([]).map_err(sql)?;
        let mut strings: Vec<Option<Box<str>>> = Vec::new();
        while let Some(r) = rows.next().map_err(sql)? {
            let id: i64 = r.get(0).map_err(sql)?;
            let s: String = r.get(1).map_err(sql)?;
            let i = usize::try_from(id)
                .ok()
                .filter(|&i| i < MAX_STRING_ID)
                .ok_or_else(|| corrupt(0, format!("string id {id} is out of range")))?;
            if i >= strings.len() {
                strings.resize(i + 1, None);
            }
            strings[i] = Some(s.into_boxed_str());
        }
        let currencies = strings
            .iter()
            .map(|s| s.as_deref().and_then(|s| Currency::new(s).ok()))
            .collect();
        let tiers = strings
            .iter()
            .map(|s| s.as_deref().and_then(|s| ServiceTier::from_str(s).ok()))
            .collect();
        Ok(Dict {
            strings,
            currencies,
            tiers,
        })
    }

    fn index(row: i64, id: i64, name: &str) -> Result<usize> {
        usize::try_from(id).map_err(|_| corrupt(row, format!("`{name}`: bad string id {id}")))
    }

    pub(crate) fn str(&self, row: i64, id: i64, name: &str) -> Result<&str> {
        self.strings
            .get(Self::index(row, id, name)?)
            .and_then(Option::as_deref)
            .ok_or_else(|| corrupt(row, format!("`{name}`: no string with id {id}")))
    }

    pub(crate) fn opt_str(&self, row: i64, id: Option<i64>, name: &str) -> Result<Option<&str>> {
        id.map(|id| self.str(row, id, name)).transpose()
    }

    pub(crate) fn currency(
        &self,
        row: i64,
        id: Option<i64>,
        name: &str,
    ) -> Result<Option<Currency>> {
        let Some(id) = id else { return Ok(None) };
        match self.currencies.get(Self::index(row, id, name)?) {
            Some(Some(c)) => Ok(Some(*c)),
            _ => Err(corrupt(
                row,
                format!("`{name}`: `{}` is not a currency", self.str(row, id, name)?),
            )),
        }
    }

    pub(crate) fn tier(&self, row: i64, id: i64) -> Result<ServiceTier> {
        match self.tiers.get(Self::index(row, id, "service_tier")?) {
            Some(Some(t)) => Ok(*t),
            _ => Err(corrupt(
                row,
                format!(
                    "unknown service tier `{}`",
                    self.str(row, id, "service_tier")?
                ),
            )),
        }
    }
}
