//! The one place a ledger backend is chosen: [`open_ledger`] takes a path or
//! a URL and returns the backend behind `Box<dyn Ledger>`.
//!
//! * a bare path or `sqlite:PATH`: the SQLite ledger in that file;
//! * `postgres://…` or `postgresql://…`: the PostgreSQL ledger (the password
//!   never appears in an error).
//!
//! Front ends resolve *which* ledger (a flag, `$LLMCOST_LEDGER`, the default
//! path from [`default_ledger_path`]); this module opens it.

use std::ffi::OsStr;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use llmcost_ledger::{Ledger, LedgerError};
use llmcost_ledger_postgres::PgLedger;
use llmcost_ledger_sqlite::SqliteLedger;

use crate::error::{Error, Result};

pub use llmcost_ledger_sqlite::default_ledger_path;

/// The environment variable naming the ledger (a path or a URL).
pub const LEDGER_ENV: &str = "LLMCOST_LEDGER";

/// No ledger where one was expected (a configuration error: nothing was done).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingLedger {
    /// Where it was looked for.
    pub path: PathBuf,
}

impl fmt::Display for MissingLedger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "there is no ledger at {}\nhint: run `llmcost import` to create it from your logs, or give the right file with `--ledger PATH` or `{LEDGER_ENV}`",
            self.path.display()
        )
    }
}

impl std::error::Error for MissingLedger {}

/// How a ledger is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// Read only: nothing is created, migrated or written; a missing ledger
    /// is [`MissingLedger`] (`report`, `reconcile`).
    ReadOnly,
    /// An existing ledger, for writing (migrated if needed); a missing one is
    /// [`MissingLedger`] (`reprice`).
    Existing,
    /// Created if needed (`import`, `proxy`).
    Create,
}

/// Where a ledger is: a SQLite file or a PostgreSQL database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL URL (with its password, if given: print [`Location`]
    /// through `Display`, which redacts it).
    Postgres(String),
}

impl Location {
    /// Reads a path or URL: `postgres://` and `postgresql://` URLs name a
    /// PostgreSQL database, `sqlite:PATH` (or `sqlite://PATH`) and anything
    /// else a SQLite file.
    #[must_use]
    pub fn parse(target: &OsStr) -> Location {
        if let Some(s) = target.to_str() {
            if s.starts_with("postgres://") || s.starts_with("postgresql://") {
                return Location::Postgres(s.to_string());
            }
            if let Some(p) = s
                .strip_prefix("sqlite://")
                .or_else(|| s.strip_prefix("sqlite:"))
            {
                return Location::Sqlite(PathBuf::from(p));
            }
        }
        Location::Sqlite(PathBuf::from(target))
    }

    /// The SQLite file, if this is one.
    #[must_use]
    pub fn path(&self) -> Option<&Path> {
        match self {
            Location::Sqlite(p) => Some(p),
            Location::Postgres(_) => None,
        }
    }

    /// Whether the ledger exists already (a PostgreSQL database is taken to).
    #[must_use]
    pub fn exists(&self) -> bool {
        match self {
            Location::Sqlite(p) => p.exists(),
            Location::Postgres(_) => true,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Sqlite(p) => write!(f, "{}", p.display()),
            Location::Postgres(url) => f.write_str(&llmcost_ledger_postgres::redact(url)),
        }
    }
}

/// How long to wait for another writer's lock, and other backend options.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// Give up waiting for another connection's lock after this long
    /// (SQLite's busy timeout; the backend's default when `None`).
    pub lock_timeout: Option<Duration>,
}

/// Opens the ledger at `target` (a path or URL, see [`Location::parse`]).
///
/// # Errors
/// [`MissingLedger`] when the mode needs an existing SQLite file and there is
/// none; else the backend's error, under `cannot open the ledger X` (or
/// `cannot read the ledger X` when reading only).
pub fn open_ledger(target: &OsStr, mode: OpenMode) -> Result<Box<dyn Ledger>> {
    open_location(&Location::parse(target), mode)
}

/// [`open_ledger`] at a parsed location.
///
/// # Errors
/// As [`open_ledger`].
pub fn open_location(at: &Location, mode: OpenMode) -> Result<Box<dyn Ledger>> {
    open_location_with(at, mode, &OpenOptions::default())
}

/// [`open_location`] with options.
///
/// # Errors
/// As [`open_ledger`].
pub fn open_location_with(
    at: &Location,
    mode: OpenMode,
    options: &OpenOptions,
) -> Result<Box<dyn Ledger>> {
    match at {
        Location::Sqlite(path) => {
            let l = open_sqlite(path, mode)?;
            if let Some(t) = options.lock_timeout {
                l.connection().busy_timeout(t).map_err(|e| {
                    Error::ledger(
                        "setting the ledger's busy timeout",
                        LedgerError::Backend(Box::new(e)),
                    )
                })?;
            }
            Ok(Box::new(l))
        }
        Location::Postgres(url) => {
            // The database exists on the server; its schema is created or
            // brought up to date on connecting.
            let l = PgLedger::open(url)
                .map_err(|e| Error::ledger(format!("cannot open the ledger {at}"), e))?;
            Ok(Box::new(l))
        }
    }
}

fn open_sqlite(path: &Path, mode: OpenMode) -> Result<SqliteLedger> {
    let open = || {
        SqliteLedger::open(path)
            .map_err(|e| Error::ledger(format!("cannot open the ledger {}", path.display()), e))
    };
    match mode {
        OpenMode::Create => open(),
        OpenMode::Existing => {
            if !path.is_file() {
                return Err(MissingLedger {
                    path: path.to_path_buf(),
                }
                .into());
            }
            open()
        }
        OpenMode::ReadOnly => match SqliteLedger::open_read_only(path) {
            Ok(l) => Ok(l),
            Err(LedgerError::NotFound) => Err(MissingLedger {
                path: path.to_path_buf(),
            }
            .into()),
            Err(e) => Err(Error::ledger(
                format!("cannot read the ledger {}", path.display()),
                e,
            )),
        },
    }
}

/// Removes a SQLite ledger file (and its journal files) that holds no
/// record: what an import that failed before storing anything leaves.
/// Nothing is done for other backends.
pub fn remove_if_empty(at: &Location) {
    let Location::Sqlite(path) = at else {
        return;
    };
    let empty = SqliteLedger::open_read_only(path)
        .and_then(|l| l.count())
        .is_ok_and(|n| n == 0)
        || std::fs::metadata(path).is_ok_and(|m| m.len() == 0);
    if empty {
        for suffix in ["", "-wal", "-shm"] {
            let mut p = path.as_os_str().to_owned();
            p.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(p));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_read_from_paths_and_urls() {
        let p = |s: &str| Location::parse(OsStr::new(s));
        assert_eq!(p("/tmp/l.db"), Location::Sqlite("/tmp/l.db".into()));
        assert_eq!(p("sqlite:l.db"), Location::Sqlite("l.db".into()));
        assert_eq!(
            p("sqlite:///abs/l.db"),
            Location::Sqlite("/abs/l.db".into())
        );
        assert_eq!(
            p("postgres://u:pw@h/db"),
            Location::Postgres("postgres://u:pw@h/db".into())
        );
        assert_eq!(
            p("postgresql://h/db"),
            Location::Postgres("postgresql://h/db".into())
        );
        assert_eq!(
            p("postgres://u:pw@h/db").to_string(),
            "postgres://u:***@h/db"
        );
    }

    #[test]
    fn a_missing_file_is_missing_unless_created() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("none.db");
        for mode in [OpenMode::ReadOnly, OpenMode::Existing] {
            let e = open_ledger(path.as_os_str(), mode).err().expect("missing");
            assert!(matches!(e, Error::MissingLedger(_)), "{e:?}");
            assert!(e.to_string().starts_with("there is no ledger at "));
            assert_eq!(e.is_usage(), Some(true));
        }
        let l = open_ledger(path.as_os_str(), OpenMode::Create).expect("created");
        assert_eq!(l.count().expect("count"), 0);
    }

    #[test]
    fn a_postgres_error_never_shows_the_password() {
        // Nothing listens on port 1: the connection is refused.
        let e = open_ledger(
            OsStr::new("postgres://app:s3cret@127.0.0.1:1/ledger?connect_timeout=2"),
            OpenMode::ReadOnly,
        )
        .err()
        .expect("refused");
        let all = format!("{e} {:?}", std::error::Error::source(&e));
        assert!(!all.contains("s3cret"), "{all}");
        assert!(all.contains("cannot open the ledger postgres://app:***@127.0.0.1:1/ledger"));
    }
}
