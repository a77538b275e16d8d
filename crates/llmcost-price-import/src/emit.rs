//! Entries → catalog TOML (an imported-layer file).

use std::collections::HashSet;
use std::fmt::Write as _;

use llmcost_core::{Rates, Timestamp};

use crate::{Entry, ImportOptions, Imported, Rounded, Skipped, Unmapped};

/// How a breadth file differs from an imported one.
pub(crate) struct BreadthMeta<'a> {
    /// `genai-prices` or `litellm`.
    pub origin: &'a str,
    /// Licence of the source data.
    pub licence: &'a str,
    /// Snapshot date (YYYY-MM-DD).
    pub snapshot: &'a str,
}

/// The rows of an entry: (from, until, rates, long context), clipped to
/// start no earlier than `from`.
type RowOut<'e> = (
    Timestamp,
    Option<Timestamp>,
    &'e Rates,
    Option<&'e (u64, Rates)>,
);

fn periods(e: &Entry, from: Timestamp) -> Vec<RowOut<'_>> {
    type Start<'e> = (Option<Timestamp>, &'e Rates, Option<&'e (u64, Rates)>);
    let mut starts: Vec<Start<'_>> = vec![(e.first_from, &e.rates, e.long_context.as_ref())];
    for d in &e.later {
        starts.push((Some(d.from), &d.rates, d.long_context.as_ref()));
    }
    let mut out = Vec::with_capacity(starts.len());
    for (i, (start, r, l)) in starts.iter().enumerate() {
        let until = starts.get(i + 1).and_then(|n| n.0);
        if until.is_some_and(|u| u <= from) {
            continue;
        }
        let f = start.map_or(from, |s| s.max(from));
        out.push((f, until, *r, *l));
    }
    out
}

/// A TOML basic string.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn rates(out: &mut String, r: &Rates) {
    for (k, v) in [
        ("input", r.input),
        ("cache_read", r.cache_read),
        ("cache_write", r.cache_write),
        ("cache_write_1h", r.cache_write_1h),
        ("output", r.output),
        ("reasoning", r.reasoning),
    ] {
        if let Some(v) = v {
            let _ = writeln!(out, "{k} = \"{}\"", v.normalize());
        }
    }
}

pub(crate) fn write(
    entries: Vec<Entry>,
    opts: &ImportOptions,
    mut skipped: Vec<Skipped>,
    rounded: Vec<Rounded>,
    breadth: Option<&BreadthMeta<'_>>,
) -> Imported {
    let from = opts.from.unwrap_or(opts.imported);
    let date = opts.imported.strftime("%Y-%m-%d").to_string();
    let mut seen: HashSet<String> = HashSet::with_capacity(entries.len());
    let mut kept: Vec<Entry> = Vec::with_capacity(entries.len());
    for e in entries {
        // Found by fuzzing: an empty key made a file the catalog refuses.
        if e.id.trim().is_empty() {
            skipped.push(Skipped {
                model: e.id,
                reason: "empty model id".into(),
            });
            continue;
        }
        if seen.insert(e.id.to_ascii_lowercase()) {
            kept.push(e);
        } else {
            skipped.push(Skipped {
                model: e.id,
                reason: "duplicate id (differs only in case)".into(),
            });
        }
    }
    kept.retain(|e| {
        let live = !periods(e, from).is_empty();
        if !live {
            skipped.push(Skipped {
                model: e.id.clone(),
                reason: "every price set ended before the import".into(),
            });
        }
        live
    });
    // An alias never takes a name that is an id in the file, nor one already
    // taken; a pattern is kept once (the first model's).
    let mut globs: HashSet<String> = HashSet::new();
    for e in &mut kept {
        e.aliases.retain(|a| seen.insert(a.to_ascii_lowercase()));
        e.patterns.retain(|p| globs.insert(p.to_ascii_lowercase()));
    }
    let unmapped: Vec<Unmapped> = kept
        .iter()
        .flat_map(|e| {
            e.unmapped.iter().map(|(f, v, r)| Unmapped {
                model: e.id.clone(),
                field: f.clone(),
                value: v.clone(),
                reason: r.clone(),
            })
        })
        .collect();
    let mut out = String::with_capacity(kept.len() * 320 + 1024);
    match breadth {
        None => {
            let _ = writeln!(
                out,
                "# Imported by `llmcost prices import` from {} ({}) on {date}.",
                opts.source.replace('\n', " "),
                opts.format
            );
            out.push_str(
                "# Rates per 1M tokens: exact decimals read from the source's number text\n\
                 # (16-17 significant digits, binary float noise, rounded to 15).\n\
                 # Imported rows rank below the built-in catalog and your own files.\n",
            );
        }
        Some(b) => {
            let _ = writeln!(
                out,
                "# Breadth layer: generated by `llmcost prices generate-breadth` from\n\
                 # {} ({}, licence {}), snapshot {}. Data, not code: regenerate, do not edit.\n\
                 # Rates per 1M tokens, exact decimals read from the source's number text.\n\
                 # These rows price only names the curated catalog (and your own files) do not know.",
                opts.source.replace('\n', " "),
                b.origin,
                b.licence,
                b.snapshot
            );
        }
    }
    let _ = writeln!(out, "provider = {}\n", quote(opts.format.key()));
    out.push_str("[import]\n");
    let _ = writeln!(out, "format = {}", quote(opts.format.key()));
    let _ = writeln!(out, "source = {}", quote(&opts.source));
    let _ = writeln!(out, "imported = \"{}\"", opts.imported);
    out.push_str("unmapped = [");
    for (i, u) in unmapped.iter().enumerate() {
        if i == 0 {
            out.push('\n');
        }
        let _ = writeln!(
            out,
            "  {},",
            quote(&format!(
                "{}: {} = {} ({})",
                u.model, u.field, u.value, u.reason
            ))
        );
    }
    out.push_str("]\n");
    out.push_str("skipped = [");
    for (i, sk) in skipped.iter().enumerate() {
        if i == 0 {
            out.push('\n');
        }
        let _ = writeln!(out, "  {},", quote(&format!("{}: {}", sk.model, sk.reason)));
    }
    out.push_str("]\n");
    let note = match breadth {
        None => format!("imported from {} on {date}", opts.format),
        Some(b) => format!("{} {}, {}", b.origin, b.snapshot, b.licence),
    };
    for e in &kept {
        out.push_str("\n[[model]]\n");
        let _ = writeln!(out, "id = {}", quote(&e.id));
        if let Some(p) = &e.provider {
            let _ = writeln!(out, "provider = {}", quote(&p.to_ascii_lowercase()));
        }
        if !e.aliases.is_empty() {
            let list: Vec<String> = e.aliases.iter().map(|a| quote(a)).collect();
            let _ = writeln!(out, "aliases = [{}]", list.join(", "));
        }
        if let Some(n) = &e.name {
            let _ = writeln!(out, "name = {}", quote(n));
        }
        if let Some(n) = &e.note {
            let _ = writeln!(out, "note = {}", quote(n));
        }
        if !e.patterns.is_empty() {
            let list: Vec<String> = e.patterns.iter().map(|a| quote(a)).collect();
            let _ = writeln!(out, "patterns = [{}]", list.join(", "));
        }
        let row_note = if e.unmapped.is_empty() {
            note.clone()
        } else {
            let mut fields: Vec<&str> = e.unmapped.iter().map(|(f, _, _)| f.as_str()).collect();
            fields.dedup();
            format!("{note}; not priced: {}", fields.join(", "))
        };
        let rows = periods(e, from);
        for (i, (f, until, r, long)) in rows.iter().enumerate() {
            out.push_str("[[model.price]]\n");
            let _ = writeln!(out, "from = \"{f}\"");
            if let Some(u) = until {
                let _ = writeln!(out, "until = \"{u}\"");
            }
            out.push_str("currency = \"USD\"\n");
            rates(&mut out, r);
            // Breadth rows take their source from the `[import]` header (the
            // loader fills it in): the file stays small and parses fast.
            if breadth.is_none() {
                let _ = writeln!(out, "source = {}", quote(&opts.source));
            }
            // A grade above C holds for the row in force at the snapshot only.
            let at_snapshot = *f <= opts.imported && until.is_none_or(|u| opts.imported < u);
            if let Some(c) = e.confidence {
                let c = if at_snapshot { c } else { "C" };
                let _ = writeln!(out, "confidence = \"{c}\"");
            }
            let start_unknown = breadth.is_some() && i == 0 && e.first_from.is_none();
            let n = if start_unknown {
                format!("{row_note}; start not recorded")
            } else {
                row_note.clone()
            };
            let _ = writeln!(out, "note = {}", quote(&n));
            if let Some((threshold, r)) = long {
                out.push_str("[model.price.long_context]\n");
                let _ = writeln!(out, "threshold = {threshold}");
                out.push_str("basis = \"prompt\"\n");
                rates(&mut out, r);
            }
            for (name, t) in [
                ("batch", &e.batch),
                ("flex", &e.flex),
                ("priority", &e.priority),
            ] {
                if let Some(r) = t {
                    let _ = writeln!(out, "[model.price.{name}]");
                    rates(&mut out, r);
                }
            }
        }
    }
    Imported {
        toml: out,
        models: kept.len(),
        skipped,
        unmapped,
        rounded,
    }
}
