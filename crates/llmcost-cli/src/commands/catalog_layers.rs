//! Which catalog the pricing commands use: the built-in catalog, the user's
//! catalog directory (`<config dir>/llmcost/catalog/*.toml`, or
//! `$LLMCOST_CATALOG_DIR`) and `--catalog FILE`, layered by precedence.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{Context, Result, anyhow};
use clap::Args;
use llmcost_catalog::{Catalog, CatalogFile, Prefer};

/// Options that choose the catalog (global: every command takes them).
#[derive(Debug, Clone, Default, Args)]
pub struct CatalogOpts {
    /// A user or imported catalog file layered on the built-in catalog (repeatable; earlier
    /// files win over later ones and over the catalog directory).
    #[arg(long = "catalog", value_name = "FILE", global = true)]
    pub catalog: Vec<PathBuf>,
    /// Which layer wins where several price a model at once: curated (default: user rows
    /// with `override = true` > built-in > user > imported), user, or imported.
    #[arg(long, value_name = "LAYER", global = true)]
    pub prefer: Option<String>,
    /// Do not read the user catalog directory (`<config dir>/llmcost/catalog/*.toml`, or
    /// `$LLMCOST_CATALOG_DIR`).
    #[arg(long, global = true)]
    pub no_user_catalog: bool,
}

static OPTS: OnceLock<CatalogOpts> = OnceLock::new();
static LAYERED: OnceLock<Result<Option<Catalog>, String>> = OnceLock::new();

/// Records the catalog options of this run (called once by `main`).
pub fn configure(o: &CatalogOpts) {
    let _ = OPTS.set(o.clone());
}

fn opts() -> CatalogOpts {
    OPTS.get().cloned().unwrap_or_default()
}

/// The user catalog directory: `$LLMCOST_CATALOG_DIR`, else
/// `<config dir>/llmcost/catalog`.
pub fn user_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("LLMCOST_CATALOG_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    dirs::config_dir().map(|d| d.join("llmcost").join("catalog"))
}

/// The precedence chosen with `--prefer`.
pub fn prefer() -> Result<Prefer> {
    opts()
        .prefer
        .as_deref()
        .map_or(Ok(Prefer::Curated), str::parse)
        .map_err(|e: String| anyhow!("invalid --prefer: {e}"))
}

/// Reads one catalog file; its name in provenance is the path as given.
pub fn read_file(path: &Path, name: Option<String>) -> Result<CatalogFile> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read catalog file {}", path.display()))?;
    Ok(CatalogFile {
        name: name.unwrap_or_else(|| path.display().to_string()),
        text,
    })
}

/// The layer files of this run: `--catalog` files first, then the catalog
/// directory's `*.toml` files by name (named by file name).
pub fn layer_files() -> Result<Vec<CatalogFile>> {
    let o = opts();
    let mut files = Vec::new();
    for p in &o.catalog {
        files.push(read_file(p, None)?);
    }
    if !o.no_user_catalog
        && let Some(dir) = user_dir()
        && dir.is_dir()
    {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
            .with_context(|| format!("cannot read the user catalog directory {}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        paths.sort();
        for p in paths {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
            files.push(read_file(&p, name)?);
        }
    }
    Ok(files)
}

fn builtin() -> Result<&'static Catalog> {
    Catalog::builtin().map_err(|e| anyhow!("the built-in price catalog is invalid: {e}"))
}

/// The catalog of this run: built-in alone when there are no layer files,
/// else built-in with the layers on it (built once).
pub fn current() -> Result<&'static Catalog> {
    let r = LAYERED.get_or_init(|| {
        let build = || -> Result<Option<Catalog>> {
            let files = layer_files()?;
            let prefer = prefer()?;
            if files.is_empty() && prefer == Prefer::Curated {
                return Ok(None);
            }
            builtin()?
                .clone()
                .with_layers(&files, prefer)
                .map(Some)
                .map_err(|e| anyhow!("invalid catalog file {e}"))
        };
        build().map_err(|e| format!("{e:#}"))
    });
    match r {
        Ok(Some(c)) => Ok(c),
        Ok(None) => builtin(),
        Err(e) => Err(anyhow!("{e}")),
    }
}

/// One catalog file (TOML) or price file (LiteLLM / OpenRouter JSON,
/// converted on the fly) on its own, with the built-in schedules; `built-in`
/// names the built-in catalog and `current` the catalog of this run.
pub fn standalone(spec: &str, at: llmcost_core::Timestamp) -> Result<Catalog> {
    match spec {
        "built-in" | "builtin" => return Ok(builtin()?.clone()),
        "current" => return Ok(current()?.clone()),
        _ => {}
    }
    let path = Path::new(spec);
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let file = if text.trim_start().starts_with('{') {
        let format = llmcost_price_import::Format::detect(&text).ok_or_else(|| {
            anyhow!(
                "{}: JSON, but neither a LiteLLM nor an OpenRouter price file",
                path.display()
            )
        })?;
        let imported = llmcost_price_import::import(
            &text,
            &llmcost_price_import::ImportOptions {
                format,
                source: spec.to_string(),
                imported: at,
                from: None,
            },
        )
        .with_context(|| format!("cannot read {}", path.display()))?;
        CatalogFile {
            name: spec.to_string(),
            text: imported.toml,
        }
    } else {
        CatalogFile {
            name: spec.to_string(),
            text,
        }
    };
    Catalog::files_only(&[file]).map_err(|e| anyhow!("invalid catalog file {e}"))
}
