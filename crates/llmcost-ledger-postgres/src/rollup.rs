//! Hourly rollups in PostgreSQL (`rollups`, schema version 2): one row per
//! UTC hour × model × project × source × provider × tag set × key
//! fingerprint × device × currency, with NUMERIC cost sums. Kept in the
//! insert's transaction (only the rows it stored, summed by [`crate::write`]), rebuilt hour by hour
//! when costs change, and read by [`query`].

use std::str::FromStr;

use llmcost_core::{Currency, Decimal};
use llmcost_ledger::rollup::{Dim, Dims, Grouper, RollupQuery, RollupRow, Sums};
use llmcost_ledger::{LedgerError, Result};
use postgres::types::ToSql;
use postgres::{Client, Transaction};

use crate::{BUCKET_COLS, backend};

/// The dimension columns of `rollups` (and of `records`), in key order.
pub(crate) const DIM_COLS: &str =
    "model, project, source, provider, tags, key_fingerprint, device, currency";

/// `rollups`' sum columns after the dimensions.
pub(crate) fn sum_cols() -> String {
    format!(
        "records, {}, cost, unpriced_records, unpriced_tokens",
        BUCKET_COLS.join(", ")
    )
}

/// The migration that brings rollups (schema version 2): the `device`
/// column, the table, and its rows for the records already stored.
pub(crate) fn migration() -> String {
    let buckets: String = BUCKET_COLS
        .iter()
        .map(|c| format!("{c} bigint NOT NULL,\n        "))
        .collect();
    format!(
        "ALTER TABLE records ADD COLUMN device text;
    CREATE TABLE rollups (
        hour timestamptz NOT NULL,
        model text NOT NULL,
        project text,
        source text NOT NULL,
        provider text,
        tags text[] NOT NULL,
        key_fingerprint text,
        device text,
        currency text,
        records bigint NOT NULL,
        {buckets}cost numeric NOT NULL,
        unpriced_records bigint NOT NULL,
        unpriced_tokens numeric NOT NULL,
        CONSTRAINT rollups_key UNIQUE NULLS NOT DISTINCT
            (hour, {DIM_COLS})
    );
    INSERT INTO rollups (hour, {DIM_COLS}, {sums}) {select};",
        sums = sum_cols(),
        select = aggregate("records", "")
    )
}

/// The dimension columns of `rollups_model` (schema version 4): hour × model
/// × currency, what most reports group by.
pub(crate) const MODEL_DIMS: &str = "model, currency";

/// Part of version 4: `rollups_model`, the rollups summed over every
/// dimension but model and currency, filled from `rollups`.
pub(crate) fn model_migration() -> String {
    let buckets: String = BUCKET_COLS
        .iter()
        .map(|c| format!("{c} bigint NOT NULL,\n        "))
        .collect();
    format!(
        "CREATE TABLE rollups_model (
        hour timestamptz NOT NULL,
        model text NOT NULL,
        currency text,
        records bigint NOT NULL,
        {buckets}cost numeric NOT NULL,
        unpriced_records bigint NOT NULL,
        unpriced_tokens numeric NOT NULL,
        CONSTRAINT rollups_model_key UNIQUE NULLS NOT DISTINCT (hour, {MODEL_DIMS})
    );
    {};",
        narrow_from_rollups("")
    )
}

/// Adds to `rollups_model` the sums of `rollups` rows `where_sql`.
fn narrow_from_rollups(where_sql: &str) -> String {
    let sums: String = sum_cols()
        .split(", ")
        .map(|c| format!("sum({c})"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "INSERT INTO rollups_model (hour, {MODEL_DIMS}, {cols}) \
         SELECT hour, {MODEL_DIMS}, {sums} FROM rollups{where_sql} \
         GROUP BY hour, {MODEL_DIMS} ORDER BY hour, {MODEL_DIMS}",
        cols = sum_cols()
    )
}

/// `SELECT` of rollup rows (`hour`, dimensions, sums) over the records of
/// `from` (a table or CTE with the records' columns) `where_sql`, grouped and
/// in key order (upserts lock rows in one order: writers do not deadlock).
/// Records store a zero token count and no tags as NULL (schema 5).
fn aggregate(from: &str, where_sql: &str) -> String {
    let sums: String = BUCKET_COLS
        .iter()
        .map(|c| format!("coalesce(sum({c}), 0), "))
        .collect();
    let tokens = BUCKET_COLS
        .iter()
        .map(|c| format!("coalesce({c}, 0)::numeric"))
        .collect::<Vec<_>>()
        .join(" + ");
    let dims = DIM_COLS.replace("tags", "coalesce(tags, '{}')");
    format!(
        "SELECT date_trunc('hour', at, 'UTC'), {dims}, count(*), {sums}\
         coalesce(sum(cost), 0), count(*) FILTER (WHERE cost IS NULL), \
         coalesce(sum({tokens}) FILTER (WHERE cost IS NULL), 0) \
         FROM {from}{where_sql} GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9 ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9"
    )
}

/// Sets new costs (`UPDATE … RETURNING` the `at` of each row changed, as
/// `update_sql` does) and rebuilds the rollups of the hours those records are
/// in, in `tx`. Writers wait for the rebuild (the table lock), so none adds to
/// an hour between its delete and its new rows. Returns the rows updated.
pub(crate) fn update_and_rebuild(
    tx: &mut Transaction<'_>,
    update_sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<u64> {
    tx.batch_execute("LOCK TABLE rollups, rollups_model IN EXCLUSIVE MODE")
        .map_err(backend)?;
    let sql = format!(
        "WITH changed AS ({update_sql} RETURNING r.at) \
         SELECT count(*), coalesce(array_agg(DISTINCT \
         extract(epoch FROM date_trunc('hour', at, 'UTC'))::bigint), '{{}}') FROM changed"
    );
    let row = tx.query_one(&sql, params).map_err(backend)?;
    let n: i64 = row.try_get(0).map_err(backend)?;
    let hours: Vec<i64> = row.try_get(1).map_err(backend)?;
    if !hours.is_empty() {
        for table in ["rollups", "rollups_model"] {
            tx.execute(
                &format!(
                    "DELETE FROM {table} WHERE hour = ANY(ARRAY(SELECT to_timestamp(h) FROM unnest($1::bigint[]) AS h))"
                ),
                &[&hours],
            )
            .map_err(backend)?;
        }
        let from = "records JOIN unnest($1::bigint[]) AS h(h) \
                    ON at >= to_timestamp(h.h) AND at < to_timestamp(h.h + 3600)";
        tx.execute(
            &format!(
                "INSERT INTO rollups (hour, {DIM_COLS}, {sums}) {select}",
                sums = sum_cols(),
                select = aggregate(from, "")
            ),
            &[&hours],
        )
        .map_err(backend)?;
        tx.execute(
            &narrow_from_rollups(
                " WHERE hour = ANY(ARRAY(SELECT to_timestamp(h) FROM unnest($1::bigint[]) AS h))",
            ),
            &[&hours],
        )
        .map_err(backend)?;
    }
    Ok(u64::try_from(n).unwrap_or(0))
}

/// After a prune before `cut` (UTC text): drops the hours before it and
/// rebuilds the hour it falls in, under the table lock reprice takes.
pub(crate) fn prune(client: &mut Client, cut: &str) -> Result<()> {
    let mut tx = client.transaction().map_err(backend)?;
    tx.batch_execute("LOCK TABLE rollups, rollups_model IN EXCLUSIVE MODE")
        .map_err(backend)?;
    for table in ["rollups", "rollups_model"] {
        tx.execute(
            &format!(
                "DELETE FROM {table} WHERE hour < date_trunc('hour', $1::text::timestamptz, 'UTC')"
            ),
            &[&cut],
        )
        .map_err(backend)?;
    }
    let aligned: bool = tx
        .query_one(
            "SELECT date_trunc('hour', $1::text::timestamptz, 'UTC') = $1::text::timestamptz",
            &[&cut],
        )
        .map_err(backend)?
        .try_get(0)
        .map_err(backend)?;
    if !aligned {
        for table in ["rollups", "rollups_model"] {
            tx.execute(
                &format!(
                    "DELETE FROM {table} WHERE hour = date_trunc('hour', $1::text::timestamptz, 'UTC')"
                ),
                &[&cut],
            )
            .map_err(backend)?;
        }
        let from = "records";
        let where_sql = " WHERE at >= date_trunc('hour', $1::text::timestamptz, 'UTC') \
                         AND at < date_trunc('hour', $1::text::timestamptz, 'UTC') + interval '1 hour'";
        tx.execute(
            &format!(
                "INSERT INTO rollups (hour, {DIM_COLS}, {sums}) {select}",
                sums = sum_cols(),
                select = aggregate(from, where_sql)
            ),
            &[&cut],
        )
        .map_err(backend)?;
        tx.execute(
            &narrow_from_rollups(" WHERE hour = date_trunc('hour', $1::text::timestamptz, 'UTC')"),
            &[&cut],
        )
        .map_err(backend)?;
    }
    tx.commit().map_err(backend)
}

type Param = Box<dyn ToSql + Sync>;

/// Answers `q` from `rollups`: SQL sums the stored rows of each group (by tag
/// set when grouping by tag), [`Grouper`] spreads tag sets over their tags.
pub(crate) fn query(client: &mut Client, q: &RollupQuery) -> Result<Option<Vec<RollupRow>>> {
    if !q.on_hours() {
        return Ok(None);
    }
    let mut conds: Vec<String> = Vec::new();
    let mut params: Vec<Param> = Vec::new();
    let (from, to) = q.hours();
    if let Some(h) = from {
        params.push(Box::new(h));
        conds.push(format!(
            "hour >= to_timestamp(${}::bigint * 3600)",
            params.len()
        ));
    }
    if let Some(h) = to {
        params.push(Box::new(h));
        conds.push(format!(
            "hour < to_timestamp(${}::bigint * 3600)",
            params.len()
        ));
    }
    for (col, list) in [
        ("model", &q.models),
        ("project", &q.projects),
        ("source", &q.sources),
        ("provider", &q.providers),
        ("key_fingerprint", &q.keys),
        ("device", &q.devices),
    ] {
        if !list.is_empty() {
            params.push(Box::new(list.clone()));
            conds.push(format!("{col} = ANY(${}::text[])", params.len()));
        }
    }
    if !q.tags.is_empty() {
        params.push(Box::new(q.tags.clone()));
        conds.push(format!("tags && ${}::text[]", params.len()));
    }
    // Only hours and models asked for or filtered on: `rollups_model` answers,
    // and when both are kept its rows are the groups (no SQL grouping).
    let narrow = [
        Dim::Project,
        Dim::Source,
        Dim::Provider,
        Dim::Tag,
        Dim::Key,
        Dim::Device,
    ]
    .iter()
    .all(|d| !q.groups(*d))
        && [
            &q.projects,
            &q.sources,
            &q.providers,
            &q.keys,
            &q.devices,
            &q.tags,
        ]
        .iter()
        .all(|l| l.is_empty());
    let whole = narrow && q.groups(Dim::Hour) && q.groups(Dim::Model);
    let pick = |d: Dim, col: &str| {
        if q.groups(d) && (!narrow || col == "model") {
            col.to_string()
        } else {
            format!("NULL::{}", if col == "tags" { "text[]" } else { "text" })
        }
    };
    let hour = if q.groups(Dim::Hour) {
        "extract(epoch FROM hour)::bigint".to_string()
    } else {
        "NULL::bigint".to_string()
    };
    let sum = |c: &str| {
        if whole {
            format!("{c}::text")
        } else {
            format!("sum({c})::text")
        }
    };
    let sums: String = ["records"]
        .iter()
        .chain(BUCKET_COLS.iter())
        .chain(["cost", "unpriced_records", "unpriced_tokens"].iter())
        .map(|c| sum(c))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT {hour}, {}, {}, {}, {}, {}, {}, {}, currency, {sums} FROM {}{}{}",
        pick(Dim::Model, "model"),
        pick(Dim::Project, "project"),
        pick(Dim::Source, "source"),
        pick(Dim::Provider, "provider"),
        pick(Dim::Tag, "tags"),
        pick(Dim::Key, "key_fingerprint"),
        pick(Dim::Device, "device"),
        if narrow { "rollups_model" } else { "rollups" },
        if conds.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", conds.join(" AND "))
        },
        if whole {
            ""
        } else {
            " GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9"
        }
    );
    let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| &**p as _).collect();
    // Sums group in memory (the default 4 MB spills them to disk).
    let mut tx = client.transaction().map_err(backend)?;
    tx.batch_execute("SET LOCAL work_mem = '64MB'")
        .map_err(backend)?;
    let rows = tx.query(&sql, &refs).map_err(backend)?;
    tx.commit().map_err(backend)?;
    let mut g = Grouper::new(q);
    let bad = |what: &str, v: &str| LedgerError::Corrupt {
        row: 0,
        message: format!("rollup `{what}` is not a whole number: `{v}`"),
    };
    for row in &rows {
        let text = |i: usize| -> Result<Option<&str>> { row.try_get(i).map_err(backend) };
        let tags: Option<Vec<String>> = row.try_get(5).map_err(backend)?;
        let tags = tags.unwrap_or_default();
        let currency = text(8)?
            .map(|c| {
                Currency::new(c).map_err(|_| LedgerError::Corrupt {
                    row: 0,
                    message: format!("rollup currency `{c}` is not a currency"),
                })
            })
            .transpose()?;
        let num = |i: usize, what: &str| -> Result<u128> {
            let v = text(i)?.unwrap_or("0");
            u128::from_str(v).map_err(|_| bad(what, v))
        };
        let small = |i: usize, what: &str| -> Result<u64> {
            let v = text(i)?.unwrap_or("0");
            u64::from_str(v).map_err(|_| bad(what, v))
        };
        let mut sums = Sums {
            records: small(9, "records")?,
            ..Sums::default()
        };
        for (i, b) in llmcost_core::Bucket::ALL.into_iter().enumerate() {
            sums.usage.set(b, small(10 + i, b.key())?);
        }
        let c = 10 + BUCKET_COLS.len();
        let cost = text(c)?.unwrap_or("0");
        sums.cost = Decimal::from_str(cost).map_err(|_| LedgerError::Corrupt {
            row: 0,
            message: format!("rollup cost `{cost}` does not fit an exact decimal"),
        })?;
        sums.unpriced_records = small(c + 1, "unpriced_records")?;
        sums.unpriced_tokens = num(c + 2, "unpriced_tokens")?;
        let hour: Option<i64> = row.try_get(0).map_err(backend)?;
        let d = Dims {
            hour: hour.map_or(0, |h| h.div_euclid(3600)),
            model: text(1)?.unwrap_or(""),
            project: text(2)?,
            source: text(3)?.unwrap_or(""),
            provider: text(4)?,
            tags: &tags,
            key_fingerprint: text(6)?,
            device: text(7)?,
            currency,
        };
        g.add(&d, &sums);
    }
    Ok(Some(g.finish()))
}
