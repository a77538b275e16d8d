//! The one place that writes to the terminal (uv's `printer.rs`).
//!
//! - **Data** (tables, JSON, scripts) goes to stdout through [`Printer::stdout`]; `--quiet`
//!   never silences it.
//! - **Messages** (warnings, notes, hints) go to stderr through [`Printer::warn`],
//!   [`Printer::note`] and [`Printer::stderr`]; `--quiet` silences them.
//! - **Errors** go to stderr through [`Printer::error`], always.
//! - **Progress** bars draw on stderr only when [`Printer::shows_progress`]: on a terminal,
//!   never with `--quiet`.
//!
//! `print!`, `eprint!` and their `ln` forms are denied in the workspace (clippy
//! `print_stdout`, `print_stderr`): everything else writes through a `Printer`.
//!
//! The printer of a run is chosen once, from the global flags, and is also kept for the
//! few messages written far from a command (a user catalog file skipped): output toggles
//! set once, as ripgrep's `messages.rs` does.

use std::io::{self, IsTerminal, Write};
use std::sync::OnceLock;

/// Where a run's output goes, and what `--quiet` and `--color` allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Printer {
    /// `--quiet`: no progress, notes or warnings.
    quiet: bool,
    /// Whether stderr messages may be coloured (`--color`, `NO_COLOR`, a terminal).
    color: bool,
}

static RUN: OnceLock<Printer> = OnceLock::new();

/// SGR sequences for the few coloured words.
const YELLOW_BOLD: &str = "\x1b[1;33m";
const RED_BOLD: &str = "\x1b[1;31m";
const CYAN_BOLD: &str = "\x1b[1;36m";
const RESET: &str = "\x1b[0m";

impl Printer {
    /// A printer; `color` says whether stderr may carry colour.
    pub fn new(quiet: bool, color: bool) -> Printer {
        Printer { quiet, color }
    }

    /// Makes this the printer of the run (the first call wins) and returns it.
    pub fn install(self) -> Printer {
        *RUN.get_or_init(|| self)
    }

    /// The printer of the run (quiet off, no colour, before [`Printer::install`]).
    pub fn current() -> Printer {
        RUN.get().copied().unwrap_or_default()
    }

    /// The data channel: stdout, locked for the run. Never silenced.
    pub fn stdout(self) -> io::StdoutLock<'static> {
        io::stdout().lock()
    }

    /// `warning: MSG` on stderr (silenced by `--quiet`).
    pub fn warn(self, msg: &str) {
        self.labelled(YELLOW_BOLD, "warning", msg, false);
    }

    /// A question on stderr, before reading the answer (never silenced: it waits for one).
    pub fn prompt(self, question: &str) {
        let mut e = io::stderr().lock();
        let _ = write!(e, "{question}");
        let _ = e.flush();
    }

    /// `error: MSG` on stderr, then each further line as it is (hints). Never silenced.
    pub fn error(self, msg: &str) {
        self.labelled(RED_BOLD, "error", msg, true);
    }

    fn labelled(self, sgr: &str, label: &str, msg: &str, always: bool) {
        if self.quiet && !always {
            return;
        }
        let mut e = io::stderr().lock();
        let _ = if self.color {
            writeln!(e, "{sgr}{label}:{RESET} {msg}")
        } else {
            writeln!(e, "{label}: {msg}")
        };
    }
}

impl Printer {
    /// The message channel: stderr, or nothing with `--quiet`.
    pub fn stderr(self) -> Stderr {
        Stderr {
            inner: (!self.quiet).then(io::stderr),
        }
    }

    /// `note: MSG` on stderr (silenced by `--quiet`).
    pub fn note(self, msg: &str) {
        self.labelled(CYAN_BOLD, "note", msg, false);
    }

    /// Lines on stderr as they are (a list under a warning). Silenced by `--quiet`.
    pub fn lines(self, text: &str) {
        let _ = writeln!(self.stderr(), "{text}");
    }

    /// Whether a progress bar would be shown.
    pub fn shows_progress(self) -> bool {
        !self.quiet && io::stderr().is_terminal()
    }
}

/// Stderr, or a sink under `--quiet`.
#[derive(Debug)]
pub struct Stderr {
    inner: Option<io::Stderr>,
}

impl Write for Stderr {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.inner {
            Some(e) => e.write(buf),
            None => Ok(buf.len()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.inner {
            Some(e) => e.flush(),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::Printer;

    #[test]
    fn quiet_silences_messages_not_errors() {
        let p = Printer::new(true, false);
        assert!(!p.shows_progress());
        // The quiet message channel swallows whatever is written to it.
        assert!(writeln!(p.stderr(), "nothing").is_ok());
        p.note("not shown");
        p.lines("not shown");
    }
}
