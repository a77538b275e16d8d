//! Which catalog the pricing commands use: the built-in catalog, the user's
//! catalog directory (`<config dir>/llmcost/catalog/*.toml`, or
//! `$LLMCOST_CATALOG_DIR`) and `--catalog FILE`, layered by precedence.
//!
//! [`Layers`] holds the catalog options of a run and builds the layered catalog
//! once, on first use; it lives in the run's [`crate::ctx::Ctx`].

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result, anyhow};
use llmcost_catalog::{Catalog, CatalogFile, Prefer};

use crate::args::CatalogOpts;
use crate::common::UsageError;
use crate::printer::Printer;

/// The catalog of a run: its options, and the layered catalog once built.
#[derive(Debug)]
pub struct Layers {
    opts: CatalogOpts,
    printer: Printer,
    built: OnceLock<Result<Option<Catalog>, (String, bool)>>,
    skipped: AtomicUsize,
}

/// The user catalog directory: `$LLMCOST_CATALOG_DIR`, else
/// `<config dir>/llmcost/catalog`.
pub fn user_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("LLMCOST_CATALOG_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    dirs::config_dir().map(|d| d.join("llmcost").join("catalog"))
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

/// A file of the user catalog directory, with its path.
pub type DirFile = (CatalogFile, PathBuf);

fn builtin() -> Result<&'static Catalog> {
    Catalog::builtin().map_err(|e| anyhow!("the built-in price catalog is invalid: {e}"))
}

fn exit_usage(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.is::<UsageError>())
}

impl Layers {
    /// The catalog of a run with these options; warnings go through `printer`.
    pub fn new(opts: CatalogOpts, printer: Printer) -> Layers {
        Layers {
            opts,
            printer,
            built: OnceLock::new(),
            skipped: AtomicUsize::new(0),
        }
    }

    /// The precedence chosen with `--prefer`.
    pub fn prefer(&self) -> Result<Prefer> {
        self.opts
            .prefer
            .as_deref()
            .map_or(Ok(Prefer::Curated), str::parse)
            .map_err(|e: String| UsageError::new(format!("invalid --prefer: {e}")).into())
    }

    /// The layer files of this run: `--catalog` files first, then the catalog
    /// directory's `*.toml` files by name (named by file name). The second list
    /// holds the directory's files (with their paths), which may be skipped.
    ///
    /// A `--catalog` file that cannot be read is a configuration error; a
    /// directory file that cannot be read is skipped with a warning.
    pub fn layer_files_split(&self) -> Result<(Vec<CatalogFile>, Vec<DirFile>)> {
        let o = &self.opts;
        let mut given = Vec::new();
        for p in &o.catalog {
            given.push(read_file(p, None).map_err(|e| UsageError::new(format!("{e:#}")))?);
        }
        let mut dir_files = Vec::new();
        if !o.no_user_catalog
            && let Some(dir) = user_dir()
            && dir.is_dir()
        {
            let entries = match std::fs::read_dir(&dir) {
                Ok(e) => e,
                Err(e) => {
                    self.skip(&format!(
                    "cannot read the user catalog directory {}: {e}\n  hint: fix its permissions, or pass --no-user-catalog",
                    dir.display()
                ));
                    return Ok((given, dir_files));
                }
            };
            let mut paths: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect();
            paths.sort();
            for p in paths {
                let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
                match read_file(&p, name) {
                    Ok(f) => dir_files.push((f, p)),
                    Err(e) => self.skip(&format!(
                        "{e:#}\n  hint: fix the file or move it out of {}",
                        dir.display()
                    )),
                }
            }
        }
        Ok((given, dir_files))
    }

    /// The layer files of this run in order: `--catalog` files, then the
    /// directory's (unreadable directory files skipped with a warning).
    pub fn layer_files(&self) -> Result<Vec<CatalogFile>> {
        let (mut files, dir) = self.layer_files_split()?;
        files.extend(dir.into_iter().map(|(f, _)| f));
        Ok(files)
    }

    /// User catalog files skipped in this run (a broken file in the directory).
    pub fn skipped(&self) -> usize {
        self.skipped.load(Ordering::Relaxed)
    }

    fn skip(&self, msg: &str) {
        self.skipped.fetch_add(1, Ordering::Relaxed);
        self.printer
            .warn(&format!("user catalog file skipped: {msg}"));
    }

    /// Layers the files on the built-in catalog. A directory file that does not
    /// load is skipped with a warning naming its path, line and field, and the
    /// rest is layered again; a `--catalog` file that does not load is a
    /// configuration error.
    fn build_layered(&self) -> Result<Option<Catalog>> {
        let (given, mut dir_files) = self.layer_files_split()?;
        let prefer = self.prefer()?;
        loop {
            if given.is_empty() && dir_files.is_empty() && prefer == Prefer::Curated {
                return Ok(None);
            }
            let files: Vec<CatalogFile> = given
                .iter()
                .cloned()
                .chain(dir_files.iter().map(|(f, _)| f.clone()))
                .collect();
            let e = match builtin()?.clone().with_layers(&files, prefer) {
                Ok(c) => return Ok(Some(c)),
                Err(e) => e,
            };
            let in_dir = dir_files.iter().position(|(f, _)| f.name == e.file);
            match in_dir {
                Some(i) if !given.iter().any(|f| f.name == e.file) => {
                    let (_, path) = dir_files.remove(i);
                    let at = if e.line > 0 {
                        format!("{}:{}", path.display(), e.line)
                    } else {
                        path.display().to_string()
                    };
                    self.skip(&format!(
                    "{at}: {}\n  hint: fix the file or move it out of {}; the other catalog files are used",
                    e.message,
                    path.parent()
                        .map_or_else(String::new, |d| d.display().to_string())
                ));
                }
                _ => {
                    return Err(UsageError::new(format!(
                        "invalid catalog file {e}\nhint: fix the file, or leave out --catalog"
                    ))
                    .into());
                }
            }
        }
    }

    /// The catalog of this run: built-in alone when there are no layer files,
    /// else built-in with the layers on it (built once).
    pub fn current(&self) -> Result<&Catalog> {
        let r = self.built.get_or_init(|| {
            self.build_layered()
                .map_err(|e| (format!("{e:#}"), exit_usage(&e)))
        });
        match r {
            Ok(Some(c)) => Ok(c),
            Ok(None) => builtin(),
            Err((e, true)) => Err(UsageError::new(e.clone()).into()),
            Err((e, false)) => Err(anyhow!("{e}")),
        }
    }

    /// One catalog file (TOML) or price file (LiteLLM / OpenRouter JSON,
    /// converted on the fly) on its own, with the built-in schedules; `built-in`
    /// names the built-in catalog and `current` the catalog of this run.
    pub fn standalone(&self, spec: &str, at: llmcost_core::Timestamp) -> Result<Catalog> {
        match spec {
            "built-in" | "builtin" => return Ok(builtin()?.clone()),
            "current" => return Ok(self.current()?.clone()),
            _ => {}
        }
        let path = Path::new(spec);
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
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
        Catalog::files_only(&[file])
            .map_err(|e| UsageError::new(format!("invalid catalog file {e}")).into())
    }
}
