//! The errors of the application layer.
//!
//! An [`Error`] is either a *usage* error (a bad setting, a missing ledger,
//! an unknown model or currency: nothing was done) or a failure with what was
//! being done as its message and the library error as its source. A front end
//! walks the source chain to tell them apart ([`Error::is_usage`]); the
//! messages are the same as the CLI prints (`context: cause`).

use std::fmt;

use crate::ledger::MissingLedger;

/// A usage or configuration error: a bad setting value, a missing option, an
/// invalid catalog or config file. Nothing was done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError(String);

impl UsageError {
    /// A usage error with this message (first line: what is wrong; then hints).
    pub fn new(msg: impl Into<String>) -> UsageError {
        UsageError(msg.into())
    }
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// `--currency` names a currency no model is priced in (a usage error:
/// nothing was done).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownCurrency {
    /// The currency asked for.
    pub currency: llmcost_core::Currency,
    /// The currencies there are price lists in, comma-separated.
    pub known: String,
}

impl fmt::Display for UnknownCurrency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "no model has a price list in {}; nothing was changed\nhint: price lists exist in {}; to report in another currency use `llmcost report --currency {} --fx FROM=RATE`",
            self.currency, self.known, self.currency
        )
    }
}

impl std::error::Error for UnknownCurrency {}

/// An error of the application layer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A bad setting: nothing was done.
    #[error(transparent)]
    Usage(#[from] UsageError),
    /// No ledger where one was expected: nothing was done.
    #[error(transparent)]
    MissingLedger(#[from] MissingLedger),
    /// A currency no model is priced in: nothing was done.
    #[error(transparent)]
    UnknownCurrency(#[from] UnknownCurrency),
    /// A quote's error (price settings, resolving a model).
    #[error(transparent)]
    Quote(#[from] crate::quote::Error),
    /// A model name or currency the catalog cannot resolve.
    #[error(transparent)]
    Lookup(#[from] llmcost_catalog::LookupError),
    /// A usage the catalog cannot price.
    #[error(transparent)]
    Price(#[from] llmcost_catalog::PriceError),
    /// A price row that cannot price a usage (or an overflow).
    #[error(transparent)]
    Engine(#[from] llmcost_core::Error),
    /// A currency code that is not one.
    #[error(transparent)]
    Currency(#[from] llmcost_core::CurrencyError),
    /// An application error, with what was being done.
    #[error("{context}")]
    Context {
        /// What was being done (`invalid --at`).
        context: String,
        /// Why it failed.
        #[source]
        source: Box<Error>,
    },
    /// The ledger failed.
    #[error("{context}")]
    Ledger {
        /// What was being done (`cannot read the ledger`).
        context: String,
        /// The backend's error.
        #[source]
        source: llmcost_ledger::LedgerError,
    },
    /// Log files could not be found or read.
    #[error("{context}")]
    Logs {
        /// What was being done.
        context: String,
        /// The reader's error.
        #[source]
        source: llmcost_logs::Error,
    },
    /// A file could not be read or written.
    #[error("{context}")]
    Io {
        /// What was being done (`cannot read the bill x.csv`).
        context: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A usage body could not be read.
    #[error("{context}")]
    Body {
        /// What was being read.
        context: String,
        /// The parser's error.
        #[source]
        source: llmcost_usage::Error,
    },
    /// A bill that cannot be read.
    #[error(transparent)]
    Bill(#[from] crate::reconcile::BillError),
    /// A time zone or date that cannot be used.
    #[error("{context}")]
    Time {
        /// What was being read.
        context: String,
        /// The time library's error.
        #[source]
        source: jiff::Error,
    },
    /// Input that cannot be used at all (an empty file, nothing readable).
    #[error("{0}")]
    Input(String),
    /// JSON that cannot be read.
    #[error("{context}")]
    Json {
        /// What was being read.
        context: String,
        /// The parser's error.
        #[source]
        source: serde_json::Error,
    },
    /// A worker thread stopped unexpectedly.
    #[error("{0}")]
    Stopped(String),
}

impl Error {
    /// Whether this error itself says what kind it is: `Some(true)` for a
    /// usage error (nothing was done), `Some(false)` for a failure, `None`
    /// when its source decides (errors with a context).
    #[must_use]
    pub fn is_usage(&self) -> Option<bool> {
        use llmcost_catalog::PriceError;
        match self {
            Error::Usage(_)
            | Error::MissingLedger(_)
            | Error::UnknownCurrency(_)
            | Error::Lookup(_)
            | Error::Currency(_) => Some(true),
            Error::Price(PriceError::Engine(e)) | Error::Engine(e) => {
                Some(!matches!(e, llmcost_core::Error::Overflow))
            }
            Error::Price(_) => Some(true),
            Error::Quote(q) => Some(q.is_invalid_input()),
            Error::Stopped(_) | Error::Bill(_) | Error::Input(_) => Some(false),
            Error::Context { source, .. } => source.is_usage(),
            Error::Ledger { .. }
            | Error::Logs { .. }
            | Error::Io { .. }
            | Error::Body { .. }
            | Error::Json { .. }
            | Error::Time { .. } => None,
        }
    }

    /// This error under a context (`invalid --at: ...`).
    #[must_use]
    pub fn context(self, context: impl Into<String>) -> Error {
        Error::Context {
            context: context.into(),
            source: Box::new(self),
        }
    }

    /// A ledger error with what was being done.
    pub fn ledger(context: impl Into<String>, source: llmcost_ledger::LedgerError) -> Error {
        Error::Ledger {
            context: context.into(),
            source,
        }
    }

    /// A log reader error with what was being done.
    pub fn logs(context: impl Into<String>, source: llmcost_logs::Error) -> Error {
        Error::Logs {
            context: context.into(),
            source,
        }
    }

    /// An I/O error with what was being done.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Error {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Returns a [`UsageError`] from the enclosing function (like `anyhow::bail!`).
macro_rules! usage_bail {
    ($($t:tt)*) => {
        return Err($crate::error::UsageError::new(format!($($t)*)).into())
    };
}
pub(crate) use usage_bail;

/// A [`UsageError`] as an [`Error`].
macro_rules! usage_err {
    ($($t:tt)*) => {
        $crate::error::Error::from($crate::error::UsageError::new(format!($($t)*)))
    };
}
pub(crate) use usage_err;

/// Adds a context to the error of a result (like `anyhow::Context`).
pub(crate) trait ResultExt<T> {
    /// The error under a context built only on failure.
    fn with_context<S: Into<String>>(self, f: impl FnOnce() -> S) -> Result<T>;
}

impl<T, E: Into<Error>> ResultExt<T> for std::result::Result<T, E> {
    fn with_context<S: Into<String>>(self, f: impl FnOnce() -> S) -> Result<T> {
        self.map_err(|e| e.into().context(f()))
    }
}
