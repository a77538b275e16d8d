//! A throwaway PostgreSQL cluster on 127.0.0.1 for the tests: `initdb` in a
//! temporary directory, `pg_ctl start` on a free port, `pg_ctl stop` on drop.
//! Tests running at the same time share one cluster (each uses its own
//! databases). Missing PostgreSQL fails the tests with the install command.
#![expect(
    clippy::expect_used,
    reason = "a test helper: a failed expectation is a failed test"
)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, Weak};

use llmcost_ledger_postgres::PgLedger;

/// The superuser's password (password authentication over TCP, as in production).
pub const PASSWORD: &str = "test-pw-7f3a9c";

pub struct Cluster {
    bin: PathBuf,
    data: PathBuf,
    pub port: u16,
    as_postgres: bool,
    opts: std::sync::OnceLock<String>,
    _dir: tempfile::TempDir,
}

static SHARED: Mutex<Weak<Cluster>> = Mutex::new(Weak::new());
static DB_SEQ: AtomicU32 = AtomicU32::new(0);

/// The running cluster, started if no test holds one.
pub fn cluster() -> Arc<Cluster> {
    let mut shared = SHARED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(c) = shared.upgrade() {
        return c;
    }
    let c = Arc::new(Cluster::start());
    *shared = Arc::downgrade(&c);
    c
}

fn find_bin() -> PathBuf {
    find_bin_in(Path::new("/usr/lib/postgresql"))
}

/// The newest `ROOT/<version>/bin` holding `initdb`; panics with the install command when none does.
pub fn find_bin_in(root: &Path) -> PathBuf {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    found.sort();
    match found.pop() {
        Some((_, bin)) => bin,
        None => panic!(
            "PostgreSQL is not installed: no {}/*/bin/initdb. These tests start a throwaway \
             cluster and never skip; install it with `apt-get install postgresql` \
             (or run .ci/postgres.sh)",
            root.display()
        ),
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// A port nothing listens on (just released).
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    l.local_addr().expect("local addr").port()
}

impl Cluster {
    fn start() -> Cluster {
        Cluster::start_with("", |_| {})
    }

    /// A cluster of its own: `prepare` writes files into the data directory
    /// after `initdb`, and `extra` adds server options (`-c ssl=on ...`).
    pub fn start_with(extra: &str, prepare: impl FnOnce(&Path)) -> Cluster {
        let bin = find_bin();
        let dir = tempfile::Builder::new()
            .prefix("llmcost-pg-")
            .tempdir()
            .expect("temp dir");
        let as_postgres = is_root();
        let data = dir.path().join("data");
        let pwfile = dir.path().join("pw");
        std::fs::write(&pwfile, format!("{PASSWORD}\n")).expect("password file");
        if as_postgres {
            // initdb refuses root: the cluster belongs to the `postgres` user.
            let ok = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .expect("chown")
                .success();
            assert!(ok, "chown of {} to postgres failed", dir.path().display());
        }
        let c = Cluster {
            bin,
            data,
            port: free_port(),
            as_postgres,
            opts: std::sync::OnceLock::new(),
            _dir: dir,
        };
        c.run(
            "initdb",
            &[
                "-D".as_ref(),
                c.data.as_os_str(),
                "-U".as_ref(),
                "postgres".as_ref(),
                "--auth-local=trust".as_ref(),
                "--auth-host=scram-sha-256".as_ref(),
                "--pwfile".as_ref(),
                pwfile.as_os_str(),
                "-E".as_ref(),
                "UTF8".as_ref(),
                "--no-locale".as_ref(),
                "--no-sync".as_ref(),
            ],
        );
        prepare(&c.data);
        if c.as_postgres {
            let ok = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&c.data)
                .status()
                .expect("chown")
                .success();
            assert!(ok, "chown of {} to postgres failed", c.data.display());
        }
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
             -c full_page_writes=off -c max_connections=60 -c shared_buffers=32MB {extra}",
            c.port,
            c.socket_dir().display()
        );
        let _ = c.opts.set(opts);
        c.start_server();
        c
    }

    /// Starts the server (again, after [`Cluster::stop_server`]), on the same port.
    pub fn start_server(&self) {
        let log = self.data.join("server.log");
        let opts = self.opts.get().expect("options");
        self.run(
            "pg_ctl",
            &[
                "-D".as_ref(),
                self.data.as_os_str(),
                "-l".as_ref(),
                log.as_os_str(),
                "-w".as_ref(),
                "-o".as_ref(),
                opts.as_ref(),
                "start".as_ref(),
            ],
        );
    }

    /// Stops the server (`-m fast`: clients are cut off), as an outage.
    pub fn stop_server(&self) {
        self.run(
            "pg_ctl",
            &[
                "-D".as_ref(),
                self.data.as_os_str(),
                "-m".as_ref(),
                "fast".as_ref(),
                "-w".as_ref(),
                "stop".as_ref(),
            ],
        );
    }

    fn socket_dir(&self) -> &Path {
        self.data.parent().unwrap_or(&self.data)
    }

    fn command(&self, tool: &str) -> Command {
        let exe = self.bin.join(tool);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        }
    }

    fn run(&self, tool: &str, args: &[&std::ffi::OsStr]) {
        let out = self.command(tool).args(args).output().expect(tool);
        assert!(
            out.status.success(),
            "{tool} failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The URL of `db` for the superuser, with the password.
    pub fn url(&self, db: &str) -> String {
        format!(
            "postgres://postgres:{PASSWORD}@127.0.0.1:{}/{db}",
            self.port
        )
    }

    /// A new, empty database; its name.
    pub fn create_db(&self) -> String {
        let name = format!(
            "t{}_{}",
            std::process::id(),
            DB_SEQ.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin =
            postgres::Client::connect(&self.url("postgres"), postgres::NoTls).expect("admin");
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create database");
        name
    }

    /// A ledger in a new, empty database.
    pub fn ledger(&self) -> PgLedger {
        PgLedger::open(&self.url(&self.create_db())).expect("open ledger")
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "immediate", "-w", "stop"])
            .output();
    }
}
