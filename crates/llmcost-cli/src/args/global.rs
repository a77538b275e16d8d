//! Flags every command takes: what reaches the terminal, and which catalog prices.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

/// Options of every command: what reaches the terminal.
#[derive(Debug, Clone, Default, Args)]
pub struct GlobalOpts {
    /// Print help (`-h` and `--help` print the same).
    #[arg(short = 'h', long = "help", action = clap::ArgAction::HelpLong, global = true)]
    pub help: Option<bool>,
    /// No progress, notes or warnings on stderr (data and errors are still shown).
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Colour: auto (on a terminal, unless `NO_COLOR` is set), always or never.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,
    /// Tables in plain ASCII (rules, arrows and marks).
    #[arg(long, global = true)]
    pub ascii: bool,
    /// Tables at full width: no text shortened to fit the terminal.
    #[arg(long, global = true)]
    pub wide: bool,
}

/// When to colour output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set or `TERM=dumb`.
    #[default]
    Auto,
    /// Always, even into a pipe.
    Always,
    /// Never.
    Never,
}

impl ColorChoice {
    /// Whether to colour a stream that is (or is not) a terminal.
    pub fn colors(self, terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
                let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
                terminal && !no_color && !dumb
            }
        }
    }
}

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
