//! The spill file: where records go while the ledger cannot be written (disk
//! full, locked, a database outage), until they are replayed into it.
//!
//! Format (documented in `docs/proxy.md`): JSON Lines, one
//! [`UsageRecord`] (its serde form) per line, from the start of the file,
//! followed by zero bytes up to the file's reserved size. The file is reserved
//! at start-up by writing zeros up to its bound (so a disk that fills up later
//! cannot take the space away), records are written over the zeros in order and
//! each batch is `fsync`ed before the writer moves on. Once every record in it
//! is in the ledger, the used part is zeroed again. Replaying is idempotent:
//! the ledger skips keys it already has, so a crash between the replay and the
//! zeroing only replays the same records again.
//!
//! A line that does not parse (a write torn by a crash, never synced) is
//! skipped and counted when the file is read.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use llmcost_ledger::UsageRecord;

/// Zeros written per call while reserving or clearing.
const CHUNK: usize = 64 << 10;

/// Why records could not be spilled.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SpillError {
    /// The batch would pass the bound.
    #[error("the spill file {path} is full ({max} bytes)")]
    Full {
        /// The file.
        path: String,
        /// Its bound.
        max: u64,
    },
    /// Writing or syncing failed.
    #[error("writing the spill file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// What failed.
        source: std::io::Error,
    },
}

/// An open spill file.
#[derive(Debug)]
pub(crate) struct Spill {
    file: File,
    path: PathBuf,
    max: u64,
    /// Where the data ends (the first zero byte).
    end: u64,
    /// Records in the data part (lines that parsed).
    records: u64,
    /// The data ends with a torn line: the next write starts a new one.
    torn_tail: bool,
}

/// What an existing spill file held.
#[derive(Debug, Default)]
pub(crate) struct Backlog {
    /// Records that parsed.
    pub records: Vec<UsageRecord>,
    /// Lines that did not (torn by a crash).
    pub skipped: u64,
}

impl Spill {
    /// The spill file of a ledger at `ledger`: `<ledger>.spill.jsonl`.
    #[must_use]
    pub(crate) fn path_for(ledger: &Path) -> PathBuf {
        let mut p = ledger.as_os_str().to_owned();
        p.push(".spill.jsonl");
        PathBuf::from(p)
    }

    /// Opens (creating) the spill file at `path` bounded to `max` bytes, reads
    /// what it holds, and reserves its space. A reservation that fails (the
    /// disk is already full) is logged; the file then holds what it can.
    ///
    /// # Errors
    /// The file cannot be created, opened or read.
    pub(crate) fn open(path: &Path, max: u64) -> std::io::Result<(Spill, Backlog)> {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        let end = memchr::memchr(0, &bytes).unwrap_or(bytes.len());
        let data = &bytes[..end];
        let mut backlog = Backlog::default();
        for line in data.split(|&b| b == b'\n') {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match serde_json::from_slice::<UsageRecord>(line) {
                Ok(r) => backlog.records.push(r),
                Err(_) => backlog.skipped += 1,
            }
        }
        let len = bytes.len() as u64;
        let torn_tail = !data.is_empty() && !data.ends_with(b"\n");
        drop(bytes);
        let mut spill = Spill {
            file,
            path: path.to_path_buf(),
            max,
            end: end as u64,
            records: backlog.records.len() as u64,
            torn_tail,
        };
        if len < max
            && let Err(e) = spill.reserve(len)
        {
            tracing::warn!(error = %e, spill = %path.display(), "cannot reserve the spill file's space");
        }
        Ok((spill, backlog))
    }

    fn reserve(&mut self, from: u64) -> std::io::Result<()> {
        let zeros = vec![0u8; CHUNK];
        self.file.seek(SeekFrom::Start(from))?;
        let mut at = from;
        while at < self.max {
            let n = usize::try_from(self.max - at).map_or(CHUNK, |n| n.min(CHUNK));
            self.file.write_all(&zeros[..n])?;
            at += n as u64;
        }
        self.file.sync_all()
    }

    /// Records in the file.
    pub(crate) fn records(&self) -> u64 {
        self.records
    }

    /// Bytes of data in the file.
    pub(crate) fn bytes(&self) -> u64 {
        self.end
    }

    /// The file.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `records` and syncs them to disk.
    ///
    /// # Errors
    /// [`SpillError::Full`] when they would pass the bound (nothing is
    /// written then), [`SpillError::Io`] when writing or syncing fails.
    pub(crate) fn append(&mut self, records: &[UsageRecord]) -> Result<(), SpillError> {
        let mut buf = Vec::with_capacity(records.len() * 700 + 1);
        if self.torn_tail {
            buf.push(b'\n');
        }
        for r in records {
            // A record always serialises (plain data); a failure would be a bug.
            if serde_json::to_writer(&mut buf, r).is_ok() {
                buf.push(b'\n');
            }
        }
        if self.end + buf.len() as u64 > self.max {
            return Err(SpillError::Full {
                path: self.path.display().to_string(),
                max: self.max,
            });
        }
        let io = |source| SpillError::Io {
            path: self.path.display().to_string(),
            source,
        };
        self.file.seek(SeekFrom::Start(self.end)).map_err(io)?;
        self.file.write_all(&buf).map_err(io)?;
        self.file.sync_data().map_err(io)?;
        self.end += buf.len() as u64;
        self.records += records.len() as u64;
        self.torn_tail = false;
        Ok(())
    }

    /// Every record in the file, in order.
    ///
    /// # Errors
    /// Reading fails.
    pub(crate) fn read(&mut self) -> std::io::Result<Vec<UsageRecord>> {
        let mut bytes = vec![0u8; usize::try_from(self.end).unwrap_or(usize::MAX)];
        self.file.seek(SeekFrom::Start(0))?;
        self.file.read_exact(&mut bytes)?;
        Ok(bytes
            .split(|&b| b == b'\n')
            .filter_map(|l| serde_json::from_slice(l).ok())
            .collect())
    }

    /// Zeroes the data part: every record in it is in the ledger.
    ///
    /// # Errors
    /// Writing or syncing fails (the records stay, to be replayed again).
    pub(crate) fn clear(&mut self) -> std::io::Result<()> {
        let zeros = vec![0u8; CHUNK];
        self.file.seek(SeekFrom::Start(0))?;
        let mut left = self.end;
        while left > 0 {
            let n = usize::try_from(left).map_or(CHUNK, |n| n.min(CHUNK));
            self.file.write_all(&zeros[..n])?;
            left -= n as u64;
        }
        self.file.sync_data()?;
        self.end = 0;
        self.records = 0;
        self.torn_tail = false;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use llmcost_core::{Timestamp, Usage};

    fn rec(i: u32) -> UsageRecord {
        let mut r = UsageRecord::new(
            format!("seq:proxy-t:{i}"),
            Timestamp::from_second(1_790_000_000).expect("ts"),
            "proxy",
            "gpt-4o-mini",
            Usage::default(),
        );
        r.cost = Some("0.0000399".parse().expect("dec"));
        r.tags = vec!["ci".into()];
        r
    }

    #[test]
    fn records_survive_a_reopen_and_clear_empties() {
        let dir = std::env::temp_dir().join(format!("llmcost-spill-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("l.db.spill.jsonl");
        let _ = std::fs::remove_file(&path);
        let (mut s, b) = Spill::open(&path, 64 << 10).expect("open");
        assert!(b.records.is_empty());
        // Reserved: the file is as long as its bound.
        assert_eq!(std::fs::metadata(&path).expect("meta").len(), 64 << 10);
        s.append(&[rec(1), rec(2)]).expect("append");
        s.append(&[rec(3)]).expect("append");
        drop(s);
        let (mut s, b) = Spill::open(&path, 64 << 10).expect("reopen");
        assert_eq!(b.records, vec![rec(1), rec(2), rec(3)]);
        assert_eq!(s.records(), 3);
        assert_eq!(s.read().expect("read").len(), 3);
        s.clear().expect("clear");
        drop(s);
        let (s, b) = Spill::open(&path, 64 << 10).expect("reopen");
        assert!(b.records.is_empty());
        assert_eq!(s.bytes(), 0);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_torn_line_is_skipped_and_the_bound_holds() {
        let dir = std::env::temp_dir().join(format!("llmcost-spill2-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("l.db.spill.jsonl");
        let mut line = serde_json::to_vec(&rec(1)).expect("json");
        line.push(b'\n');
        line.extend_from_slice(b"{\"dedup_key\":\"seq:pro");
        std::fs::write(&path, &line).expect("write");
        let (mut s, b) = Spill::open(&path, 4096).expect("open");
        assert_eq!((b.records.len(), b.skipped), (1, 1));
        s.append(&[rec(2)]).expect("append after a torn line");
        assert_eq!(s.read().expect("read"), vec![rec(1), rec(2)]);
        let many: Vec<_> = (0..100).map(rec).collect();
        assert!(matches!(s.append(&many), Err(SpillError::Full { .. })));
        assert_eq!(s.records(), 2);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
