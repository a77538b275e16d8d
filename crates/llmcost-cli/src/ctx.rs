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
