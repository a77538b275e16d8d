//! Entries → catalog TOML (an imported-layer file).

use std::collections::HashSet;
use std::fmt::Write as _;

use llmcost_core::Rates;

use crate::{Entry, ImportOptions, Imported, Rounded, Skipped, Unmapped};

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
) -> Imported {
    let from = opts.from.unwrap_or(opts.imported);
    let date = opts.imported.strftime("%Y-%m-%d").to_string();
    let mut seen: HashSet<String> = HashSet::with_capacity(entries.len());
    let mut kept: Vec<Entry> = Vec::with_capacity(entries.len());
    for e in entries {
        if seen.insert(e.id.to_ascii_lowercase()) {
            kept.push(e);
        } else {
            skipped.push(Skipped {
                model: e.id,
                reason: "duplicate id (differs only in case)".into(),
            });
        }
    }
    // An alias never takes a name that is an id in the file, nor one already taken.
    for e in &mut kept {
        e.aliases.retain(|a| seen.insert(a.to_ascii_lowercase()));
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
    let note = format!("imported from {} on {date}", opts.format);
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
        out.push_str("[[model.price]]\n");
        let _ = writeln!(out, "from = \"{from}\"");
        out.push_str("currency = \"USD\"\n");
        rates(&mut out, &e.rates);
        let _ = writeln!(out, "source = {}", quote(&opts.source));
        if e.unmapped.is_empty() {
            let _ = writeln!(out, "note = {}", quote(&note));
        } else {
            let fields: Vec<&str> = e.unmapped.iter().map(|(f, _, _)| f.as_str()).collect();
            let _ = writeln!(
                out,
                "note = {}",
                quote(&format!("{note}; not priced: {}", fields.join(", ")))
            );
        }
        if let Some((threshold, r)) = &e.long_context {
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
    Imported {
        toml: out,
        models: kept.len(),
        skipped,
        unmapped,
        rounded,
    }
}
