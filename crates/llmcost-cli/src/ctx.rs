//! What every command is given: the settings of the global flags, resolved once in
//! `main` and passed down (no global state for inputs to pricing).

use anyhow::Result;
use llmcost_catalog::Catalog;

use crate::args::CatalogOpts;
use crate::commands::catalog_layers::Layers;
use crate::printer::Printer;

/// The context of a run.
#[derive(Debug)]
pub struct Ctx {
    /// Where output goes (`--quiet`, `--color`).
    pub printer: Printer,
    /// The catalog options and, once asked for, the layered catalog.
    pub layers: Layers,
}

impl Ctx {
    /// The context of a run with these catalog options.
    pub fn new(catalog: CatalogOpts, printer: Printer) -> Ctx {
        Ctx {
            printer,
            layers: Layers::new(catalog, printer),
        }
    }

    /// The catalog of this run: the built-in catalog with the user catalog directory
    /// and `--catalog` files layered on it (built on first use).
    pub fn catalog(&self) -> Result<&Catalog> {
        self.layers.current()
    }
}

static RUN: std::sync::OnceLock<&'static Ctx> = std::sync::OnceLock::new();

/// Makes `ctx` reachable from the commands that do not take a `Ctx` yet (report,
/// reconcile, import, reprice, proxy and `cost --usage`; the first call wins).
pub fn install(ctx: &'static Ctx) {
    let _ = RUN.set(ctx);
}

/// The context of the run (see [`install`]); without one (unit tests), a context of
/// the default options.
pub fn current() -> &'static Ctx {
    RUN.get_or_init(|| {
        Box::leak(Box::new(Ctx::new(
            CatalogOpts::default(),
            Printer::current(),
        )))
    })
}

/// The catalog of the run, for the commands that take no `Ctx` yet.
pub fn run_catalog() -> Result<&'static Catalog> {
    current().catalog()
}
