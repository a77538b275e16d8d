//! Opening a ledger: files, read-only and in-memory connections, pragmas,
//! WAL checkpoints.

use std::path::Path;
use std::time::Duration;

use llmcost_ledger::{LedgerError, Result};
use rusqlite::{Connection, OpenFlags};
use rustc_hash::FxHashMap;

use crate::schema::SCHEMA_VERSION;
use crate::{MIN_READ_VERSION, SqliteLedger, backend, sql};

/// Page size of new ledger files.
pub(crate) const PAGE_SIZE: u32 = 16_384;

/// Pages (16 KiB in new files) of write-ahead log after which a connection
/// checkpoints.
pub const AUTO_CHECKPOINT_PAGES: u32 = 8_192;

/// How long a writer waits for another connection's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// A `file:` URI opening `path` as immutable (percent-encoding what a URI
/// path cannot hold).
fn immutable_uri(path: &Path) -> String {
    let mut uri = String::from("file:");
    for b in path.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            uri.push(char::from(b));
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri.push_str("?immutable=1");
    uri
}

/// Whether `e` is another connection's lock (worth waiting for and retrying).
fn is_busy(e: &LedgerError) -> bool {
    match e {
        LedgerError::Backend(b) => b.downcast_ref::<rusqlite::Error>().is_some_and(|e| {
            matches!(
                e.sqlite_error_code(),
                Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
            )
        }),
        LedgerError::Conflict(m) => m.starts_with(WAL_REFUSED),
        _ => false,
    }
}

const WAL_REFUSED: &str = "the ledger could not switch to WAL mode";

fn io_error(path: &Path, e: std::io::Error) -> LedgerError {
    backend(std::io::Error::new(
        e.kind(),
        format!("cannot create the ledger directory {}: {e}", path.display()),
    ))
}

impl SqliteLedger {
    /// Opens (creating if needed) the ledger file at `path`, creating its
    /// parent directories, and brings its schema up to date.
    ///
    /// # Errors
    /// The directory or file cannot be created or opened, it is not an SQLite
    /// database, or its schema is newer than this build
    /// ([`LedgerError::SchemaTooNew`]).
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| io_error(parent, e))?;
        }
        // Switching a new file to WAL and creating its schema take locks that
        // SQLite's busy handler does not always wait for (a second process
        // opening the same fresh file gets SQLITE_BUSY at once), so the whole
        // open is retried with a short backoff up to the busy timeout.
        let started = std::time::Instant::now();
        let mut pause = Duration::from_millis(2);
        loop {
            match Self::open_once(path) {
                Ok(ledger) => return Ok(ledger),
                Err(e) if is_busy(&e) && started.elapsed() < BUSY_TIMEOUT => {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(100));
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn open_once(path: &Path) -> Result<Self> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(sql)?;
        let mut ledger = SqliteLedger {
            conn,
            path: Some(path.to_path_buf()),
            interned: FxHashMap::default(),
            yield_every: 0,
            read_only: false,
        };
        // Only takes effect on a new, empty file (an existing ledger keeps its
        // page size). 16 KiB pages: a quarter of the write-ahead-log frames of
        // 4 KiB ones for the same rows, and shallower B-trees (measured ~20%
        // faster imports, `examples/insert_speed.rs`).
        ledger
            .conn
            .execute_batch(&format!("PRAGMA page_size = {PAGE_SIZE}"))
            .map_err(sql)?;
        ledger.configure(true)?;
        ledger.migrate()?;
        Ok(ledger)
    }

    /// Opens an existing ledger file for reading only: nothing is created or
    /// written (no file, no folder, no migration, no journal mode change),
    /// so it works on a read-only folder or file. A ledger of an older schema
    /// that reads the same ([`MIN_READ_VERSION`]) is read as it is.
    ///
    /// # Errors
    /// The file does not exist or cannot be opened, is not an llmcost ledger,
    /// needs a migration first (`schema version N is older...`), or is newer
    /// than this build ([`LedgerError::SchemaTooNew`]).
    pub fn open_read_only(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        if !path.is_file() {
            return Err(LedgerError::NotFound);
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = match Connection::open_with_flags(path, flags).and_then(|c| {
            c.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))
                .map(|_| c)
        }) {
            Ok(c) => c,
            // A WAL file in a folder where the shared-memory file cannot be
            // created: no one can be writing it, so read it as immutable.
            Err(_) => {
                Connection::open_with_flags(immutable_uri(path), flags | OpenFlags::SQLITE_OPEN_URI)
                    .map_err(sql)?
            }
        };
        let ledger = SqliteLedger {
            conn,
            path: Some(path.to_path_buf()),
            interned: FxHashMap::default(),
            yield_every: 0,
            read_only: true,
        };
        ledger.conn.busy_timeout(BUSY_TIMEOUT).map_err(sql)?;
        ledger
            .conn
            .execute_batch(
                "PRAGMA cache_size = -131072; PRAGMA mmap_size = 4294967296; \
                 PRAGMA temp_store = MEMORY;",
            )
            .map_err(sql)?;
        let found = ledger.schema_version()?;
        if found > SCHEMA_VERSION {
            return Err(LedgerError::SchemaTooNew {
                found,
                supported: SCHEMA_VERSION,
            });
        }
        if found == 0 {
            return Err(LedgerError::Conflict(
                "this is not an llmcost ledger (no schema version)".into(),
            ));
        }
        if found < MIN_READ_VERSION {
            return Err(LedgerError::Conflict(format!(
                "the ledger has schema version {found}, older than this llmcost reads without upgrading it; run `llmcost import` once to upgrade it"
            )));
        }
        Ok(ledger)
    }

    /// Whether this connection was opened read-only.
    #[must_use]
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// A fresh ledger in memory (tests, `report` straight from paths).
    ///
    /// # Errors
    /// SQLite cannot allocate it.
    pub fn open_in_memory() -> Result<Self> {
        let conn = Connection::open_in_memory().map_err(sql)?;
        let mut ledger = SqliteLedger {
            conn,
            path: None,
            interned: FxHashMap::default(),
            yield_every: 0,
            read_only: false,
        };
        ledger.configure(false)?;
        ledger.migrate()?;
        Ok(ledger)
    }

    /// Another connection to the same file, for another thread. An in-memory
    /// ledger cannot be shared and gets [`LedgerError::Conflict`].
    ///
    /// # Errors
    /// As [`SqliteLedger::open`].
    pub fn reopen(&self) -> Result<Self> {
        match &self.path {
            Some(p) if self.read_only => SqliteLedger::open_read_only(p),
            Some(p) => SqliteLedger::open(p),
            None => Err(LedgerError::Conflict(
                "an in-memory ledger cannot be opened twice".into(),
            )),
        }
    }

    /// The file this ledger is stored in (`None` in memory).
    #[must_use]
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The underlying connection, for backend-specific queries (aggregates in
    /// reports, tests). Do not change the schema through it.
    #[must_use]
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Copies what it can of the write-ahead log into the database without
    /// waiting for anyone (`PRAGMA wal_checkpoint(PASSIVE)`). A bulk writer
    /// can turn its automatic checkpoints off ([`SqliteLedger::set_auto_checkpoint`])
    /// and let another connection call this from another thread, so the
    /// copying runs beside the inserts instead of between them.
    ///
    /// # Errors
    /// Backend failures.
    pub fn checkpoint(&self) -> Result<()> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
            .map_err(sql)
    }

    /// Sets after how many log pages this connection checkpoints by itself
    /// (0: never; the default is [`AUTO_CHECKPOINT_PAGES`]).
    ///
    /// # Errors
    /// Backend failures.
    pub fn set_auto_checkpoint(&self, pages: u32) -> Result<()> {
        self.conn
            .pragma_update(None, "wal_autocheckpoint", pages)
            .map_err(sql)
    }

    pub(crate) fn configure(&mut self, file: bool) -> Result<()> {
        self.conn.busy_timeout(BUSY_TIMEOUT).map_err(sql)?;
        if file {
            // WAL lets readers (reports, the dashboard) run while one writer
            // imports; NORMAL sync is durable across application crashes.
            let mode: String = self
                .conn
                .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
                .map_err(sql)?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(LedgerError::Conflict(format!(
                    "{WAL_REFUSED} (journal mode is `{mode}`)"
                )));
            }
        }
        self.conn
            .execute_batch(
                // 128 MiB page cache (used only as needed), reads through a
                // memory map, and a write-ahead log checkpointed every 128 MiB
                // (AUTO_CHECKPOINT_PAGES): fewer checkpoints copy each hot
                // index page fewer times.
                "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
                 PRAGMA cache_size = -131072; PRAGMA mmap_size = 4294967296; \
                 PRAGMA temp_store = MEMORY;",
            )
            .map_err(sql)?;
        self.set_auto_checkpoint(AUTO_CHECKPOINT_PAGES)
    }
}

#[cfg(test)]
mod read_only_tests {
    use super::*;
    use llmcost_core::{Timestamp, Usage};
    use llmcost_ledger::{Ledger, UsageRecord};

    #[test]
    fn a_read_only_open_creates_and_writes_nothing() {
        let dir = tempfile::tempdir().expect("tmp");
        let missing = dir.path().join("sub").join("l.db");
        assert!(matches!(
            SqliteLedger::open_read_only(&missing),
            Err(LedgerError::NotFound)
        ));
        assert!(!dir.path().join("sub").exists(), "no folder created");
        let path = dir.path().join("l.db");
        {
            let mut l = SqliteLedger::open(&path).expect("create");
            l.insert(&[UsageRecord::new(
                "k",
                Timestamp::UNIX_EPOCH,
                "t",
                "m",
                Usage::default(),
            )])
            .expect("insert");
        }
        let mut l = SqliteLedger::open_read_only(&path).expect("open");
        assert!(l.is_read_only());
        assert_eq!(l.count().expect("count"), 1);
        assert_eq!(l.reopen().expect("again").count().expect("count"), 1);
        assert!(
            l.insert(&[UsageRecord::new(
                "k2",
                Timestamp::UNIX_EPOCH,
                "t",
                "m",
                Usage::default(),
            )])
            .is_err()
        );
        // Not a ledger.
        let other = dir.path().join("x.db");
        std::fs::write(&other, b"").expect("write");
        assert!(SqliteLedger::open_read_only(&other).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn a_ledger_in_a_read_only_folder_can_be_read() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tmp");
        let sub = dir.path().join("ro");
        let path = sub.join("l.db");
        {
            let mut l = SqliteLedger::open(&path).expect("create");
            l.insert(&[UsageRecord::new(
                "k",
                Timestamp::UNIX_EPOCH,
                "t",
                "m",
                Usage::default(),
            )])
            .expect("insert");
        }
        std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o555)).expect("chmod");
        let got = SqliteLedger::open_read_only(&path).and_then(|l| l.count());
        std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        assert_eq!(got.expect("read"), 1);
    }
}
