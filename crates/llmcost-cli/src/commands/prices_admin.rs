//! `llmcost prices import | which | update | diff`: user price files, imports
//! of LiteLLM and OpenRouter price files, and where each price comes from.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use llmcost_catalog::{Catalog, CatalogFile, LayerRow, RowOutcome};
use llmcost_core::{Currency, Decimal, Timestamp};
use llmcost_price_import::{Change, DiffRow, Format, ImportOptions, Imported};
use serde::Serialize;

use super::ExitStatus;
use super::catalog_layers::{self, user_dir};
use crate::args::Format as OutFormat;
use crate::args::prices::{
    DiffArgs, GenerateBreadthArgs, ImportPricesArgs, PricesCommand, StatusArgs, UpdateArgs,
    WhichArgs,
};
use crate::common::{PriceSettings, Provenance, parse_time};
use crate::ctx::Ctx;
use crate::output::{Align, Display, Table, when};

pub fn run(cmd: &PricesCommand, ctx: &Ctx, out: &mut dyn Write) -> Result<ExitStatus> {
    match cmd {
        PricesCommand::Import(a) => import(a, out),
        PricesCommand::Which(a) => which(a, ctx, out),
        PricesCommand::Update(a) => update(a, ctx, out),
        PricesCommand::Status(a) => status_cmd(a, ctx, out),
        PricesCommand::Diff(a) => diff(a, ctx, out),
        PricesCommand::GenerateBreadth(a) => generate_breadth(a, out),
    }
}

// ---------------------------------------------------------------- generate-breadth

fn generate_breadth(a: &GenerateBreadthArgs, out: &mut dyn Write) -> Result<ExitStatus> {
    let date = |s: &str, flag: &str| -> Result<jiff::civil::Date> {
        s.parse().map_err(|e| {
            crate::common::usage_err!("--{flag}: `{s}` is not a date (YYYY-MM-DD): {e}")
        })
    };
    let read = |p: &Path| {
        std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))
    };
    let genai = read(&a.genai_prices)?;
    let litellm = a.litellm.as_deref().map(read).transpose()?;
    let openrouter = a.openrouter.as_deref().map(read).transpose()?;
    let source =
        |given: &Option<String>, p: &Path| given.clone().unwrap_or_else(|| p.display().to_string());
    let inputs = llmcost_price_import::BreadthInputs {
        genai: llmcost_price_import::BreadthSource {
            text: &genai,
            source: source(&a.genai_prices_source, &a.genai_prices),
            snapshot: date(&a.genai_prices_date, "genai-prices-date")?,
        },
        litellm: match (&litellm, &a.litellm) {
            (Some(t), Some(p)) => Some(llmcost_price_import::BreadthSource {
                text: t,
                source: source(&a.litellm_source, p),
                snapshot: date(
                    a.litellm_date.as_deref().unwrap_or_default(),
                    "litellm-date",
                )?,
            }),
            _ => None,
        },
        openrouter: match (&openrouter, &a.openrouter) {
            (Some(t), Some(p)) => Some(llmcost_price_import::BreadthSource {
                text: t,
                source: source(&a.openrouter_source, p),
                snapshot: date(
                    a.openrouter_date.as_deref().unwrap_or_default(),
                    "openrouter-date",
                )?,
            }),
            _ => None,
        },
    };
    let b = llmcost_price_import::generate_breadth(&inputs)?;
    // Never write a file the loader would refuse.
    let files: Vec<CatalogFile> = b
        .files
        .iter()
        .map(|f| CatalogFile {
            name: f.name.clone(),
            text: f.toml.clone(),
        })
        .collect();
    Catalog::files_only(&files)
        .map_err(|e| anyhow!("the generated breadth data does not load (a bug): {e}"))?;
    std::fs::create_dir_all(&a.out)
        .with_context(|| format!("cannot create {}", a.out.display()))?;
    for f in &b.files {
        let path = a.out.join(&f.name);
        write_catalog(&path, &f.toml)?;
        writeln!(out, "wrote {} models to {}", f.models, path.display())?;
    }
    if let Some(f) = &b.audit_litellm {
        let path = a.out.join(&f.name);
        write_catalog(&path, &f.toml)?;
        writeln!(
            out,
            "wrote {} models to {} (for the catalog audit; not embedded)",
            f.models,
            path.display()
        )?;
    }
    let list = a.out.join("genai-prices-current.txt");
    let mut text = String::from(
        "# Current (not deprecated) models of the six curated providers in the genai-prices\n\
         # snapshot, `provider id` a line: the breadth coverage test resolves every one.\n",
    );
    for l in &b.current {
        text.push_str(l);
        text.push('\n');
    }
    write_catalog(&list, &text)?;
    writeln!(out, "wrote {} names to {}", b.current.len(), list.display())?;
    writeln!(
        out,
        "confidence B (genai-prices and LiteLLM agree on input and output): {}",
        b.agreed
    )?;
    writeln!(out, "LiteLLM prices differently: {}", b.disagreed.len())?;
    for d in &b.disagreed {
        writeln!(out, "  {d}")?;
    }
    writeln!(out, "skipped: {}", b.skipped.len())?;
    for s in &b.skipped {
        writeln!(out, "  {}: {}", s.model, s.reason)?;
    }
    Ok(ExitStatus::Success)
}

// ---------------------------------------------------------------- import

fn parse_format(given: Option<&str>, text: &str, what: &str) -> Result<Format> {
    match given {
        Some(f) => f
            .parse()
            .map_err(|e: String| crate::common::usage_err!("--format: {e}")),
        None => Format::detect(text).ok_or_else(|| {
            crate::common::usage_err!(
                "{what}: cannot tell whether this is a LiteLLM, OpenRouter or genai-prices price file\n\
                 hint: pass --format litellm, --format openrouter or --format genai-prices"
            )
        }),
    }
}

fn default_output(given: Option<&Path>, format: Format) -> Result<PathBuf> {
    if let Some(p) = given {
        return Ok(p.to_path_buf());
    }
    user_dir()
        .map(|d| d.join(format!("{}.toml", format.key())))
        .ok_or_else(|| {
            crate::common::usage_err!("no user config directory here\nhint: pass --output FILE")
        })
}

/// The import instant (whole seconds) and the start of its UTC day.
fn today() -> Result<(Timestamp, Timestamp)> {
    let now = Timestamp::from_second(Timestamp::now().as_second())?;
    let day = now
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
        .to_zoned(jiff::tz::TimeZone::UTC)?
        .timestamp();
    Ok((now, day))
}

fn convert(
    text: &str,
    format: Format,
    source: String,
    from: Option<Timestamp>,
) -> Result<Imported> {
    let (now, day) = today()?;
    let imported = llmcost_price_import::import(
        text,
        &ImportOptions {
            format,
            source,
            imported: now,
            from: Some(from.unwrap_or(day)),
        },
    )?;
    // Never write a file the loader would refuse.
    Catalog::files_only(&[CatalogFile {
        name: "imported".into(),
        text: imported.toml.clone(),
    }])
    .map_err(|e| anyhow!("the converted catalog does not load (a bug): {e}"))?;
    Ok(imported)
}

fn write_catalog(path: &Path, toml: &str) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(path, toml).with_context(|| format!("cannot write {}", path.display()))
}

#[derive(Debug, Serialize)]
struct UnmappedJson<'a> {
    model: &'a str,
    field: &'a str,
    value: &'a str,
    reason: &'a str,
}

#[derive(Debug, Serialize)]
struct ImportJson<'a> {
    output: String,
    written: bool,
    format: &'static str,
    source: &'a str,
    from: Timestamp,
    models: usize,
    skipped: Vec<(&'a str, &'a str)>,
    unmapped: Vec<UnmappedJson<'a>>,
    rounded: Vec<(&'a str, &'a str, &'a str, &'a str)>,
}

fn import_json<'a>(
    i: &'a Imported,
    output: &Path,
    written: bool,
    format: Format,
    source: &'a str,
    from: Timestamp,
) -> ImportJson<'a> {
    ImportJson {
        output: output.display().to_string(),
        written,
        format: format.key(),
        source,
        from,
        models: i.models,
        skipped: i
            .skipped
            .iter()
            .map(|s| (s.model.as_str(), s.reason.as_str()))
            .collect(),
        unmapped: i
            .unmapped
            .iter()
            .map(|u| UnmappedJson {
                model: &u.model,
                field: &u.field,
                value: &u.value,
                reason: &u.reason,
            })
            .collect(),
        rounded: i
            .rounded
            .iter()
            .map(|r| {
                (
                    r.model.as_str(),
                    r.field.as_str(),
                    r.written.as_str(),
                    r.per_million.as_str(),
                )
            })
            .collect(),
    }
}

/// The import report: what was skipped, not priced, rounded.
fn report(out: &mut dyn Write, i: &Imported) -> Result<()> {
    if !i.skipped.is_empty() {
        // Grouped by reason; every entry is also in the file's [import] header.
        let mut by: Vec<(&str, Vec<&str>)> = Vec::new();
        for s in &i.skipped {
            let why = s.reason.split(" (").next().unwrap_or(&s.reason);
            match by.iter_mut().find(|(r, _)| *r == why) {
                Some((_, models)) => models.push(&s.model),
                None => by.push((why, vec![&s.model])),
            }
        }
        writeln!(
            out,
            "\nskipped {} entries, no row written (listed in the file's [import] header):",
            i.skipped.len()
        )?;
        for (why, models) in &by {
            let shown: Vec<&str> = models.iter().take(3).copied().collect();
            let more = models.len().saturating_sub(3);
            writeln!(
                out,
                "  {why} ×{}: {}{}",
                models.len(),
                shown.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            )?;
        }
    }
    if !i.unmapped.is_empty() {
        // Grouped by field; every entry is also in the file ([import] unmapped, row notes).
        let mut by: Vec<(&str, &str, Vec<&str>)> = Vec::new();
        for u in &i.unmapped {
            match by.iter_mut().find(|(f, _, _)| *f == u.field) {
                Some((_, _, models)) => models.push(&u.model),
                None => by.push((&u.field, &u.reason, vec![&u.model])),
            }
        }
        by.sort_by(|a, b| b.2.len().cmp(&a.2.len()).then(a.0.cmp(b.0)));
        writeln!(
            out,
            "\nnot priced: {} fields on {} models (listed in the file's [import] header and row notes):",
            i.unmapped.len(),
            {
                let mut m: Vec<&str> = i.unmapped.iter().map(|u| u.model.as_str()).collect();
                m.sort_unstable();
                m.dedup();
                m.len()
            }
        )?;
        for (field, reason, models) in &by {
            let shown: Vec<&str> = models.iter().take(3).copied().collect();
            let more = models.len().saturating_sub(3);
            writeln!(
                out,
                "  {field} ×{} — {reason}: {}{}",
                models.len(),
                shown.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            )?;
        }
    }
    if !i.rounded.is_empty() {
        writeln!(
            out,
            "\nrounded {} values (binary float noise, kept to 15 significant digits):",
            i.rounded.len()
        )?;
        for r in &i.rounded {
            writeln!(
                out,
                "  {} {}: {} → {} per 1M",
                r.model, r.field, r.written, r.per_million
            )?;
        }
    }
    Ok(())
}

fn import(a: &ImportPricesArgs, out: &mut dyn Write) -> Result<ExitStatus> {
    let text = std::fs::read_to_string(&a.file)
        .with_context(|| format!("cannot read {}", a.file.display()))?;
    let what = a.file.display().to_string();
    let format = parse_format(a.format.as_deref(), &text, &what)?;
    let from = a
        .from
        .as_deref()
        .map(parse_time)
        .transpose()
        .context("invalid --from")?;
    let source = a.source.clone().unwrap_or_else(|| what.clone());
    let i = convert(&text, format, source.clone(), from)?;
    let output = default_output(a.output.as_deref(), format)?;
    write_catalog(&output, &i.toml)?;
    let from = from.unwrap_or(today()?.1);
    if a.json {
        crate::output::write_json(out, &import_json(&i, &output, true, format, &source, from))?;
        return Ok(ExitStatus::Success);
    }
    writeln!(
        out,
        "imported {} models from {what} ({format}) into {}",
        i.models,
        output.display()
    )?;
    writeln!(
        out,
        "prices in force from {} (no history before; --from DATE for earlier)",
        when(from)
    )?;
    report(out, &i)?;
    writeln!(
        out,
        "\nimported rows rank below the built-in catalog and your own files; see `llmcost prices which MODEL`"
    )?;
    Ok(ExitStatus::Success)
}

// ---------------------------------------------------------------- which

#[derive(Debug, Serialize)]
struct StepJson {
    kind: &'static str,
    name: String,
    target: String,
    from: Timestamp,
    until: Option<Timestamp>,
    catalog: String,
}

#[derive(Debug, Serialize)]
struct CandidateJson {
    catalog: String,
    layer: &'static str,
    file: String,
    currency: Currency,
    from: Timestamp,
    until: Option<Timestamp>,
    #[serde(with = "rust_decimal::serde::str_option")]
    input: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str_option")]
    cache_read: Option<Decimal>,
    #[serde(with = "rust_decimal::serde::str_option")]
    output: Option<Decimal>,
    source: String,
    #[serde(rename = "override")]
    overrides: bool,
    rank: u8,
    /// At the instant: applies, outranked, other_currency, not_in_force.
    status: &'static str,
    /// Over its whole period: used, partly, shadowed.
    outcome: &'static str,
    /// Origins that beat it (partly or shadowed).
    beaten_by: Vec<String>,
}

#[derive(Debug, Serialize)]
struct WhichJson {
    model: String,
    at: Timestamp,
    resolved_model: String,
    provider: String,
    steps: Vec<StepJson>,
    price: Provenance,
    precedence: &'static str,
    prefer: &'static str,
    candidates: Vec<CandidateJson>,
}

fn status(c: &LayerRow, at: Timestamp, chosen: &llmcost_catalog::Resolved<'_>) -> &'static str {
    let s = c.row.spec();
    let ch = chosen.row.spec();
    if !c.row.covers(at) {
        "not_in_force"
    } else if s.currency != ch.currency {
        "other_currency"
    } else if !matches!(c.outcome, RowOutcome::Shadowed { .. })
        && c.origin == chosen.origin()
        && s.rates == ch.rates
        && s.source == ch.source
    {
        "applies"
    } else {
        "outranked"
    }
}

fn which(a: &WhichArgs, ctx: &Ctx, out: &mut dyn Write) -> Result<ExitStatus> {
    let s = PriceSettings::resolve(&a.price)?;
    let cat = ctx.catalog()?;
    let (r, _) = crate::common::resolve(cat, &a.model, s.at, &s)?;
    let prov = Provenance::of(&r);
    let steps: Vec<StepJson> = r
        .via
        .iter()
        .map(|v| StepJson {
            kind: if v.note.as_deref() == Some("pattern") && v.name.contains('*') {
                "pattern"
            } else {
                "alias"
            },
            name: v.name.clone(),
            target: v.target.clone(),
            from: v.from,
            until: v.until,
            catalog: v.origin.label(),
        })
        .collect();
    let rows = cat.layer_rows(&r.model.id);
    let candidates: Vec<CandidateJson> = rows
        .iter()
        .map(|c| {
            let sp = c.row.spec();
            let (outcome, by) = match &c.outcome {
                RowOutcome::Used => ("used", Vec::new()),
                RowOutcome::Partly { by } => ("partly", by.iter().map(|o| o.label()).collect()),
                RowOutcome::Shadowed { by } => ("shadowed", by.iter().map(|o| o.label()).collect()),
            };
            CandidateJson {
                catalog: c.origin.label(),
                layer: c.origin.layer.key(),
                file: c.origin.file.clone(),
                currency: sp.currency,
                from: sp.from,
                until: sp.until,
                input: sp.rates.input.map(|d| d.normalize()),
                cache_read: sp.rates.cache_read.map(|d| d.normalize()),
                output: sp.rates.output.map(|d| d.normalize()),
                source: sp.source.clone(),
                overrides: c.overrides,
                rank: c.rank,
                status: status(c, s.at, &r),
                outcome,
                beaten_by: by,
            }
        })
        .collect();
    let prefer = cat.prefer();
    let j = WhichJson {
        model: a.model.clone(),
        at: s.at,
        resolved_model: r.model.id.clone(),
        provider: r.model.provider.clone(),
        steps,
        price: prov,
        precedence: prefer.describe(),
        prefer: prefer.key(),
        candidates,
    };
    match a.price.format {
        OutFormat::Json => crate::output::write_json(out, &j)?,
        OutFormat::Table => which_table(out, &j)?,
    }
    Ok(ExitStatus::Success)
}

fn which_table(out: &mut dyn Write, j: &WhichJson) -> Result<()> {
    let mut d = Display::default();
    writeln!(out, "{} at {}\n", j.model, when(j.at))?;
    for st in &j.steps {
        if st.kind == "pattern" {
            writeln!(
                out,
                "pattern matched: `{}` → {} ({})",
                st.name, st.target, st.catalog
            )?;
        } else {
            writeln!(
                out,
                "alias followed: `{}` → {} ({}, {} → {})",
                st.name,
                st.target,
                st.catalog,
                when(st.from),
                st.until.map_or("now".into(), when)
            )?;
        }
    }
    let p = &j.price;
    writeln!(out, "model:      {} ({})", j.resolved_model, j.provider)?;
    writeln!(out, "catalog:    {}", p.catalog)?;
    writeln!(
        out,
        "row:        {} list, in force {} → {}{}",
        p.currency,
        crate::output::since(p.from),
        p.until.map_or("now".into(), when),
        p.confidence
            .as_ref()
            .map(|c| format!(", confidence {c}"))
            .unwrap_or_default()
    )?;
    writeln!(out, "source:     {}", p.source)?;
    if let Some(n) = &p.note {
        writeln!(out, "note:       {n}")?;
    }
    writeln!(out, "precedence: {} (--prefer {})", j.precedence, j.prefer)?;
    writeln!(
        out,
        "\nevery row for {}, best rank first:\n",
        j.resolved_model
    )?;
    let mut t = Table::new(&[
        ("catalog", Align::Left),
        ("cur", Align::Left),
        ("from", Align::Left),
        ("until", Align::Left),
        ("input", Align::Right),
        ("output", Align::Right),
        ("at the instant", Align::Left),
        ("over its period", Align::Left),
    ]);
    let show = |d: &mut Display, x: Option<Decimal>| x.map_or("—".to_string(), |v| d.amount(v));
    for c in &j.candidates {
        let day = |t: Timestamp| t.strftime("%Y-%m-%d").to_string();
        t.row(vec![
            format!(
                "{}{}",
                c.catalog,
                if c.overrides { " (override)" } else { "" }
            ),
            c.currency.to_string(),
            day(c.from),
            c.until.map_or("now".into(), day),
            show(&mut d, c.input),
            show(&mut d, c.output),
            match c.status {
                "applies" => "applies".to_string(),
                "outranked" => format!("outranked by {}", p.catalog),
                "other_currency" => "other currency".to_string(),
                _ => "not in force".to_string(),
            },
            match c.outcome {
                "used" => "used".to_string(),
                o => format!("{o} by {}", c.beaten_by.join(", ")),
            },
        ]);
    }
    write!(out, "{}", t.render())?;
    if let Some(f) = d.footnote() {
        writeln!(out, "{f}")?;
    }
    Ok(())
}

// ---------------------------------------------------------------- diff

use llmcost_app::wire::RatesJson;

#[derive(Debug, Serialize)]
struct DiffRowJson {
    model: String,
    currency: Currency,
    change: &'static str,
    before: Option<RatesJson>,
    after: Option<RatesJson>,
}

#[derive(Debug, Default, Serialize)]
struct Summary {
    cheaper: usize,
    dearer: usize,
    changed: usize,
    new: usize,
    gone: usize,
    same: usize,
}

#[derive(Debug, Serialize)]
struct DiffJson {
    at: Timestamp,
    a: String,
    b: String,
    summary: Summary,
    rows: Vec<DiffRowJson>,
}

fn diff_json(rows: &[DiffRow], at: Timestamp, a: &str, b: &str, all: bool) -> DiffJson {
    let mut summary = Summary::default();
    for r in rows {
        *match r.change {
            Change::Cheaper => &mut summary.cheaper,
            Change::Dearer => &mut summary.dearer,
            Change::Changed => &mut summary.changed,
            Change::New => &mut summary.new,
            Change::Gone => &mut summary.gone,
            Change::Same => &mut summary.same,
        } += 1;
    }
    let mut shown: Vec<&DiffRow> = rows
        .iter()
        .filter(|r| all || r.change != Change::Same)
        .collect();
    shown.sort_by(|x, y| x.change.cmp(&y.change).then(x.model.cmp(&y.model)));
    DiffJson {
        at,
        a: a.to_string(),
        b: b.to_string(),
        summary,
        rows: shown
            .into_iter()
            .map(|r| DiffRowJson {
                model: r.model.clone(),
                currency: r.currency,
                change: r.change.key(),
                before: r.before.as_ref().map(RatesJson::from),
                after: r.after.as_ref().map(RatesJson::from),
            })
            .collect(),
    }
}

fn diff_table(out: &mut dyn Write, j: &DiffJson) -> Result<()> {
    let mut d = Display::default();
    let s = &j.summary;
    writeln!(
        out,
        "{} → {} at {}: {} cheaper, {} dearer, {} changed, {} new, {} gone, {} unchanged",
        j.a,
        j.b,
        when(j.at),
        s.cheaper,
        s.dearer,
        s.changed,
        s.new,
        s.gone,
        s.same
    )?;
    if j.rows.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    let mut t = Table::new(&[
        ("change", Align::Left),
        ("model", Align::Left),
        ("cur", Align::Left),
        ("input", Align::Right),
        ("cache read", Align::Right),
        ("output", Align::Right),
    ]);
    let show = |d: &mut Display, x: Option<Decimal>| x.map_or("—".to_string(), |v| d.amount(v));
    for r in &j.rows {
        let pair = |d: &mut Display, f: fn(&RatesJson) -> Option<Decimal>| {
            let a = r.before.as_ref().and_then(f);
            let b = r.after.as_ref().and_then(f);
            if a == b {
                show(d, b)
            } else {
                format!("{} → {}", show(d, a), show(d, b))
            }
        };
        t.row(vec![
            r.change.to_string(),
            r.model.clone(),
            r.currency.to_string(),
            pair(&mut d, |x| x.input),
            pair(&mut d, |x| x.cache_read),
            pair(&mut d, |x| x.output),
        ]);
    }
    write!(out, "{}", t.render())?;
    writeln!(out, "\nrates per 1M tokens (standard tier)")?;
    if let Some(f) = d.footnote() {
        writeln!(out, "{f}")?;
    }
    Ok(())
}

fn diff(a: &DiffArgs, ctx: &Ctx, out: &mut dyn Write) -> Result<ExitStatus> {
    let at = match &a.at {
        Some(t) => parse_time(t).context("invalid --at")?,
        None => Timestamp::now(),
    };
    let ca = ctx.layers.standalone(&a.a, at)?;
    let cb = ctx.layers.standalone(&a.b, at)?;
    let rows = llmcost_price_import::diff(&ca, &cb, at);
    let j = diff_json(&rows, at, &a.a, &a.b, a.all);
    match a.format {
        OutFormat::Json => crate::output::write_json(out, &j)?,
        OutFormat::Table => diff_table(out, &j)?,
    }
    Ok(ExitStatus::Success)
}

// ---------------------------------------------------------------- update

fn fetch(source: &str) -> Result<String> {
    if source.starts_with("http://") || source.starts_with("https://") {
        let mut resp = ureq::get(source)
            .call()
            .with_context(|| format!("cannot fetch {source}"))?;
        resp.body_mut()
            .with_config()
            .limit(256 * 1024 * 1024)
            .read_to_string()
            .with_context(|| format!("cannot read the response from {source}"))
    } else {
        std::fs::read_to_string(source).with_context(|| format!("cannot read {source}"))
    }
}

#[derive(Debug, Serialize)]
struct UpdateJson<'a> {
    #[serde(flatten)]
    import: ImportJson<'a>,
    diff: DiffJson,
}

fn confirm(p: crate::printer::Printer, question: &str) -> bool {
    if !std::io::stdin().is_terminal() {
        return false;
    }
    p.prompt(&format!("{question} [y/N] "));
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).is_ok()
        && matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

/// The databases `prices update` reads when no `--from` is given.
pub const DEFAULT_SOURCES: &[&str] = &[
    "https://raw.githubusercontent.com/pydantic/genai-prices/main/prices/new_data/v2/data.json",
    "https://raw.githubusercontent.com/BerriAI/litellm/main/model_prices_and_context_window.json",
];

fn default_sources() -> Vec<String> {
    match std::env::var("LLMCOST_PRICE_SOURCES") {
        Ok(v) if !v.trim().is_empty() => v
            .split([',', ' ', '\n'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
        _ => DEFAULT_SOURCES.iter().map(|s| (*s).to_string()).collect(),
    }
}

/// `sha256:<hex>` of a text.
fn digest(text: &str) -> String {
    use sha2::Digest as _;
    let h = sha2::Sha256::digest(text.as_bytes());
    let mut s = String::with_capacity(7 + 64);
    s.push_str("sha256:");
    for b in h {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

fn update(a: &UpdateArgs, ctx: &Ctx, out: &mut dyn Write) -> Result<ExitStatus> {
    let Some(source) = &a.source else {
        if a.output.is_some() || a.format.is_some() {
            return Err(crate::common::usage_err!(
                "--output and --format need --from (the default sources write one file each)"
            ));
        }
        let mut failed = 0;
        let mut reports = Vec::new();
        for src in default_sources() {
            if !a.json {
                writeln!(out, "== {src}")?;
            }
            match update_one(a, ctx, &src, out) {
                Ok(j) => reports.extend(j),
                Err(e) => {
                    failed += 1;
                    if a.json {
                        reports
                            .push(serde_json::json!({ "source": src, "error": format!("{e:#}") }));
                    } else {
                        writeln!(
                            out,
                            "error: {e:#}\nthe layers already in place stay as they are"
                        )?;
                    }
                }
            }
            if !a.json {
                writeln!(out)?;
            }
        }
        if a.json {
            crate::output::write_json(out, &reports)?;
        }
        return Ok(if failed == 0 {
            ExitStatus::Success
        } else {
            ExitStatus::Partial
        });
    };
    let j = update_one(a, ctx, source, out)?;
    if let Some(j) = j {
        crate::output::write_json(out, &j)?;
    }
    Ok(ExitStatus::Success)
}

/// Fetches one source, shows the diff against its catalog file, writes it
/// when confirmed. With `--json`, returns the report instead of printing.
fn update_one(
    a: &UpdateArgs,
    ctx: &Ctx,
    source: &str,
    out: &mut dyn Write,
) -> Result<Option<serde_json::Value>> {
    let text = fetch(source)?;
    let sum = digest(&text);
    let format = parse_format(a.format.as_deref(), &text, source)?;
    let mut i = convert(&text, format, source.to_string(), None)?;
    // The digest of what was read goes into the `[import]` header.
    i.toml = i
        .toml
        .replacen("[import]\n", &format!("[import]\ndigest = \"{sum}\"\n"), 1);
    let output = default_output(a.output.as_deref(), format)?;
    let current = if output.exists() {
        Catalog::files_only(&[catalog_layers::read_file(&output, None)?])
            .map_err(|e| anyhow!("the current catalog file is invalid: {e}"))?
    } else {
        Catalog::files_only(&[]).map_err(|e| anyhow!("{e}"))?
    };
    let next = Catalog::files_only(&[CatalogFile {
        name: source.to_string(),
        text: i.toml.clone(),
    }])
    .map_err(|e| anyhow!("{e}"))?;
    let (now, day) = today()?;
    let rows = llmcost_price_import::diff(&current, &next, now);
    let current_name = if output.exists() {
        output.display().to_string()
    } else {
        format!("{} (none yet)", output.display())
    };
    let dj = diff_json(&rows, now, &current_name, source, false);
    let unchanged = dj.rows.is_empty();
    let mut written = false;
    if !a.json {
        diff_table(out, &dj)?;
        report(out, &i)?;
        writeln!(out, "read {} bytes, {sum}", text.len())?;
        out.flush()?;
    }
    if unchanged && output.exists() {
        if !a.json {
            writeln!(
                out,
                "\nno price changed: {} left as it is",
                output.display()
            )?;
        }
    } else if a.yes
        || confirm(
            ctx.printer,
            &format!("write {} models to {}?", i.models, output.display()),
        )
    {
        write_catalog(&output, &i.toml)?;
        written = true;
        if !a.json {
            writeln!(out, "\nwrote {} models to {}", i.models, output.display())?;
        }
    } else if !a.json {
        writeln!(
            out,
            "\nnot written: pass --yes to write {}",
            output.display()
        )?;
    }
    if a.json {
        let mut v = serde_json::to_value(UpdateJson {
            import: import_json(&i, &output, written, format, source, day),
            diff: dj,
        })?;
        if let Some(o) = v.as_object_mut() {
            o.insert("digest".into(), serde_json::Value::String(sum));
        }
        return Ok(Some(v));
    }
    Ok(None)
}

// ---------------------------------------------------------------- status

#[derive(Debug, Serialize)]
struct LayerStatus {
    layer: String,
    name: String,
    date: Option<String>,
    age_days: Option<i64>,
    models: Option<usize>,
    digest: Option<String>,
}

#[derive(Debug, Serialize)]
struct StatusJson {
    at: String,
    layers: Vec<LayerStatus>,
    warnings: Vec<String>,
}

fn age_days(at: Timestamp, then: Timestamp) -> i64 {
    (at.as_second() - then.as_second()).div_euclid(86_400)
}

fn status_cmd(a: &StatusArgs, ctx: &Ctx, out: &mut dyn Write) -> Result<ExitStatus> {
    let at = match &a.at {
        Some(t) => parse_time(t)?,
        None => Timestamp::now(),
    };
    let builtin =
        Catalog::builtin().map_err(|e| anyhow!("the built-in price catalog is invalid: {e}"))?;
    let mut layers = Vec::new();
    let mut warnings = Vec::new();
    // Built-in curated: dated by its newest price change, alias or retirement that has begun.
    let newest = builtin
        .models()
        .iter()
        .flat_map(|m| m.rows.iter().map(|r| r.spec().from).chain(m.retired))
        .chain(builtin.timed_aliases().map(|x| x.from))
        .filter(|t| *t <= at)
        .max();
    layers.push(LayerStatus {
        layer: "built-in".into(),
        name: "curated catalog (newest change in force)".into(),
        date: newest.map(|t| t.strftime("%Y-%m-%d").to_string()),
        age_days: newest.map(|t| age_days(at, t)),
        models: Some(builtin.models().len()),
        digest: None,
    });
    // Breadth snapshots: dated by their `[import]` header.
    for (name, text) in Catalog::breadth_files() {
        let Ok(c) = Catalog::files_only(&[CatalogFile {
            name: (*name).to_string(),
            text: (*text).to_string(),
        }]) else {
            continue;
        };
        for (_, info) in c.imports() {
            let days = age_days(at, info.imported);
            let label = format!("{}@{}", info.format, info.imported.strftime("%Y-%m-%d"));
            if days > 60 {
                warnings.push(format!(
                    "the built-in breadth snapshot {label} is {days} days old (over 60): run `llmcost prices update` for fresh prices"
                ));
            }
            layers.push(LayerStatus {
                layer: "breadth".into(),
                name: label,
                date: Some(info.imported.strftime("%Y-%m-%d").to_string()),
                age_days: Some(days),
                models: Some(c.models().len()),
                digest: None,
            });
        }
    }
    // The user's files: imported ones by their header, others by modification time.
    for f in ctx.layers.layer_files()? {
        let parsed = Catalog::files_only(std::slice::from_ref(&f));
        let (layer, date, digest, models) = match &parsed {
            Ok(c) => match c.imports().first() {
                Some((_, info)) => (
                    "imported",
                    Some(info.imported),
                    info.digest.clone(),
                    Some(c.models().len()),
                ),
                None => ("user", None, None, Some(c.models().len())),
            },
            Err(_) => ("user", None, None, None),
        };
        let date = date.or_else(|| {
            let p = Path::new(&f.name);
            let p = if p.is_absolute() || p.exists() {
                p.to_path_buf()
            } else {
                user_dir().map(|d| d.join(&f.name)).unwrap_or_default()
            };
            std::fs::metadata(&p)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| Timestamp::try_from(t).ok())
        });
        layers.push(LayerStatus {
            layer: layer.into(),
            name: f.name.clone(),
            date: date.map(|t| t.strftime("%Y-%m-%d").to_string()),
            age_days: date.map(|t| age_days(at, t)),
            models,
            digest,
        });
    }
    // Holiday calendars: a schedule whose calendar ends within 60 days (its declared end).
    for s in builtin.schedules() {
        if let (Some(until), Some(end_ts)) = (s.calendar_until(), s.calendar_end()) {
            let left = -age_days(at, end_ts);
            if left <= 60 {
                warnings.push(format!(
                    "schedule `{}`: its holiday calendar ends {until} ({}); after it, holidays are priced as working days",
                    s.name,
                    if left < 0 {
                        format!("{} days ago", -left)
                    } else {
                        format!("in {left} days")
                    }
                ));
            }
        }
    }
    let j = StatusJson {
        at: at.to_string(),
        layers,
        warnings,
    };
    if a.format == OutFormat::Json {
        crate::output::write_json(out, &j)?;
        return Ok(ExitStatus::Success);
    }
    let mut t = Table::new(&[
        ("layer", Align::Left),
        ("name", Align::Left),
        ("date", Align::Left),
        ("age (days)", Align::Right),
        ("models", Align::Right),
        ("digest", Align::Left),
    ]);
    for l in &j.layers {
        t.row(vec![
            l.layer.clone(),
            l.name.clone(),
            l.date.clone().unwrap_or_else(|| "-".into()),
            l.age_days.map_or_else(|| "-".into(), |d| d.to_string()),
            l.models.map_or_else(|| "-".into(), |m| m.to_string()),
            l.digest.clone().unwrap_or_default(),
        ]);
    }
    write!(out, "{}", t.render())?;
    writeln!(out)?;
    if j.warnings.is_empty() {
        writeln!(out, "no warnings")?;
    }
    for w in &j.warnings {
        writeln!(out, "warning: {w}")?;
    }
    Ok(ExitStatus::Success)
}
