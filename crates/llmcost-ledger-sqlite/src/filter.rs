//! The SQL `WHERE` clause of a [`Filter`].

use llmcost_ledger::{Filter, Result};
use rusqlite::types::Value;

use crate::write::nanos;

/// The WHERE clause and parameters of a filter, over `entries AS e`.
pub(crate) fn where_clause(filter: &Filter) -> Result<(String, Vec<Value>)> {
    let mut conds: Vec<String> = Vec::new();
    let mut params: Vec<Value> = Vec::new();
    if let Some(s) = filter.since {
        conds.push("e.at >= ?".into());
        params.push(Value::Integer(nanos(s)?));
    }
    if let Some(u) = filter.until {
        conds.push("e.at < ?".into());
        params.push(Value::Integer(nanos(u)?));
    }
    for (column, values) in [("e.model", &filter.models), ("e.source", &filter.sources)] {
        if !values.is_empty() {
            let marks = vec!["?"; values.len()].join(", ");
            conds.push(format!(
                "{column} IN (SELECT id FROM strings WHERE s IN ({marks}))"
            ));
            params.extend(values.iter().map(|v| Value::Text(v.clone())));
        }
    }
    if let Some(p) = &filter.project {
        conds.push("e.project IN (SELECT id FROM strings WHERE s = ?)".into());
        params.push(Value::Text(p.clone()));
    }
    if let Some(t) = &filter.tag {
        // `tags` references the interned JSON array of a record's tags.
        conds.push(
            "e.tags IN (SELECT t.id FROM strings AS t WHERE t.s LIKE '[%' AND EXISTS \
             (SELECT 1 FROM json_each(CASE WHEN json_valid(t.s) THEN t.s ELSE '[]' END) AS j \
             WHERE j.value = ?))"
                .into(),
        );
        params.push(Value::Text(t.clone()));
    }
    if let Some(k) = &filter.key_fingerprint {
        conds.push("e.key_fingerprint IN (SELECT id FROM strings WHERE s = ?)".into());
        params.push(Value::Text(k.clone()));
    }
    let clause = if conds.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conds.join(" AND "))
    };
    Ok((clause, params))
}
