//! The CLI basics a new user expects: `--quiet` on every command, colour only where
//! the terminal allows it, `--ascii`, tables that fit (`--wide` for all), a config
//! file for defaults that flags and the environment beat, and `-h` = `--help`.

use std::path::Path;

use crate::{Run, llmcost, llmcost_env};

/// The run with `dir` written as `[TMP]`.
fn scrub(r: Run, dir: &Path) -> Run {
    let d = dir.display().to_string();
    Run {
        code: r.code,
        stdout: r.stdout.replace(&d, "[TMP]"),
        stderr: r.stderr.replace(&d, "[TMP]"),
    }
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

// An estimate no split can explain: 1M DeepSeek-V3 tokens cost between 0.27 USD (all
// input) and 1.1 USD (all output) on 2025-03-01 at noon, so a 5 USD bill is unexplained
// (exit 1, with a warning). Half and half: 0.5 × 0.27 + 0.5 × 1.1 = 0.685 USD.
const UNEXPLAINED: [&str; 12] = [
    "estimate",
    "-m",
    "deepseek-chat",
    "--total-tokens",
    "1000000",
    "--input-share",
    "0.5",
    "--billed",
    "5",
    "--at",
    "2025-03-01T12:00:00Z",
    "--format=json",
];

#[test]
fn quiet_drops_the_warning_but_keeps_the_data_and_the_exit_code() {
    let loud = llmcost(&UNEXPLAINED);
    let mut args = UNEXPLAINED.to_vec();
    args.push("--quiet");
    let quiet = llmcost(&args);
    assert_eq!(loud.code, 1);
    assert!(
        loud.stderr
            .starts_with("warning: no split explains the bill")
    );
    assert_eq!(quiet.stdout, loud.stdout);
    llmcost_snapshot!(Run { stdout: String::new(), ..quiet }, @r#"
exit_code: 1
----- stdout -----

----- stderr -----
"#);
}

#[test]
fn quiet_never_hides_an_error() {
    llmcost_snapshot!(llmcost(&["cost", "-q", "-m", "no-such-model", "--input", "1"]), @r#"
exit_code: 2
----- stdout -----

----- stderr -----
error: unknown model `no-such-model`
"#);
}

#[test]
fn quiet_is_accepted_by_every_command() {
    // A flag every subcommand takes (it is global): clap accepts it before and after the verb.
    for args in [
        &[
            "-q",
            "prices",
            "gpt-4o",
            "--at",
            "2025-06-01",
            "--format",
            "json",
        ][..],
        &[
            "prices",
            "gpt-4o",
            "-q",
            "--at",
            "2025-06-01",
            "--format",
            "json",
        ],
        &["completions", "bash", "--quiet"],
    ] {
        let r = llmcost(args);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        assert!(r.stderr.is_empty(), "{args:?}: {}", r.stderr);
    }
}

// Compare at noon on 2025-06-01: 1,000 input + 500 output tokens cost
// gpt-4o 1000 × 2.5/1M + 500 × 10/1M = 0.0075 USD and deepseek-chat (standard hours)
// 1000 × 0.27/1M + 500 × 1.1/1M = 0.00082 USD; 0.0075 / 0.00082 = 9.146… ≈ 9.15×.
const COMPARE: [&str; 11] = [
    "compare",
    "-m",
    "gpt-4o",
    "-m",
    "deepseek-chat",
    "--input",
    "1000",
    "--output",
    "500",
    "--at",
    "2025-06-01T12:00:00Z",
];

#[test]
fn ascii_draws_tables_in_plain_ascii() {
    let mut args = COMPARE.to_vec();
    args.push("--ascii");
    let r = llmcost(&args);
    assert!(
        r.stdout.lines().skip(2).all(|l| l.is_ascii()),
        "{}",
        r.stdout
    );
    llmcost_snapshot!(r, @r#"
exit_code: 0
----- stdout -----
workload: 1,000 input, 0 cache read, 500 output tokens; prices at 2025-06-01 12:00 UTC

model          cost USD  x deepseek-chat
----------------------------------------
deepseek-chat   0.00082               1x
gpt-4o           0.0075           ~9.15x
~ rounded for display (half away from zero); --format json gives exact values

----- stderr -----
"#);
}

#[test]
fn colour_only_where_allowed() {
    const BOLD: &str = "\x1b[1m";
    // Into a pipe: no colour unless asked for.
    assert!(!llmcost(&COMPARE).stdout.contains('\x1b'));
    let mut always = COMPARE.to_vec();
    always.extend(["--color", "always"]);
    let r = llmcost(&always);
    assert!(r.stdout.contains(&format!("{BOLD}model")), "{}", r.stdout);
    // The flag beats NO_COLOR; `auto` yields to it (and to a pipe).
    let r = llmcost_env(&always, &[("NO_COLOR", "1")]);
    assert!(r.stdout.contains(BOLD));
    let mut never = COMPARE.to_vec();
    never.extend(["--color", "never"]);
    assert!(!llmcost(&never).stdout.contains('\x1b'));
    let mut auto = COMPARE.to_vec();
    auto.extend(["--color", "auto"]);
    assert!(
        !llmcost_env(&auto, &[("NO_COLOR", "1")])
            .stdout
            .contains('\x1b')
    );
    // Warnings on stderr are coloured the same way; JSON never is.
    let mut warn = UNEXPLAINED.to_vec();
    warn.extend(["--color", "always"]);
    let r = llmcost(&warn);
    assert!(
        r.stderr.starts_with("\x1b[1;33mwarning:\x1b[0m "),
        "{}",
        r.stderr
    );
    assert!(!r.stdout.contains('\x1b'));
    let r = llmcost(&["--color", "sometimes", "prices"]);
    assert_eq!(r.code, 2);
}

#[test]
fn tables_fit_the_width_and_wide_shows_all() {
    // `prices` lists model, provider and since as text: those are shortened, never a rate.
    let args = ["prices", "claude-3-5-sonnet", "--at", "2025-06-01"];
    let full = llmcost(&args);
    let widest = full
        .stdout
        .lines()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0);
    assert!(widest > 60, "{}", full.stdout);
    let narrow = llmcost_env(&args, &[("COLUMNS", "60")]);
    llmcost_snapshot!(narrow, @r#"
exit_code: 0
----- stdout -----
prices per 1M tokens in force at 2025-06-01 00:00 UTC

model       provider   cur  input  cache read  cache write  output  since
──────────────────────────────────────────────────────────────────────────────
claude-3-   anthropic  USD      3         0.3         3.75      15  1970-01-01
5-sonnet                                                            (breadth:g
                                                                    enai-price
                                                                    s@2026-08-
                                                                    21)
claude-3-   anthropic  USD      3         0.3         3.75      15  2024-06-20
5-sonnet-
20240620
claude-3-   anthropic  USD      3         0.3         3.75      15  2024-10-22
5-sonnet-
20241022

----- stderr -----
"#);
    let mut wide = args.to_vec();
    wide.push("--wide");
    let r = llmcost_env(&wide, &[("COLUMNS", "60")]);
    assert_eq!(r.stdout, full.stdout);
}

#[test]
fn the_config_file_gives_defaults_that_flags_and_the_environment_beat() {
    let d = tmp();
    let cfg = d.path().join("config.toml");
    std::fs::write(
        &cfg,
        format!(
            "currency = \"CNY\"\nledger = \"{}\"\n",
            d.path().join("from-config.db").display()
        ),
    )
    .expect("write");
    let env = [("LLMCOST_CONFIG", cfg.to_str().expect("utf-8"))];
    // deepseek-chat has a CNY list: 1M input tokens at 2 CNY/1M (standard hours, 2025-03-01).
    let cost = [
        "cost",
        "-m",
        "deepseek-chat",
        "--input",
        "1000000",
        "--at",
        "2025-03-01T12:00:00Z",
        "--format",
        "json",
    ];
    let r = llmcost_env(&cost, &env);
    let j = r.json();
    assert_eq!(j["currency"], "CNY");
    assert_eq!(j["total"], "2");
    // A flag wins over the file.
    let mut usd = cost.to_vec();
    usd.extend(["--currency", "USD"]);
    assert_eq!(llmcost_env(&usd, &env).json()["currency"], "USD");
    // The ledger of the file, unless LLMCOST_LEDGER names another.
    let r = llmcost_env(&["report", "daily"], &env);
    llmcost_snapshot!(scrub(r, d.path()), @r#"
exit_code: 2
----- stdout -----

----- stderr -----
error: there is no ledger at [TMP]/from-config.db
hint: run `llmcost import` to create it from your logs, or give the right file with `--ledger PATH` or `LLMCOST_LEDGER`
"#);
    let env_ledger = d.path().join("from-env.db");
    let r = llmcost_env(
        &["report", "daily"],
        &[
            env[0],
            ("LLMCOST_LEDGER", env_ledger.to_str().expect("utf-8")),
        ],
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("from-env.db"), "{}", r.stderr);
}

#[test]
fn a_bad_config_file_is_a_usage_error_naming_file_and_line() {
    let d = tmp();
    let cfg = d.path().join("config.toml");
    std::fs::write(&cfg, "currency = \"EUR\"\ncolour = \"never\"\n").expect("write");
    let r = llmcost_env(
        &["prices", "gpt-4o"],
        &[("LLMCOST_CONFIG", cfg.to_str().expect("utf-8"))],
    );
    llmcost_snapshot!(scrub(r, d.path()), @r#"
exit_code: 2
----- stdout -----

----- stderr -----
error: invalid config file [TMP]/config.toml:2: unknown field `colour`, expected one of `currency`, `tz`, `ledger`, `prefer`
hint: the keys are currency, tz, ledger and prefer (see docs/config.md)
"#);
    let missing = d.path().join("missing.toml");
    let r = llmcost_env(
        &["prices", "gpt-4o"],
        &[("LLMCOST_CONFIG", missing.to_str().expect("utf-8"))],
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("cannot read the config file"),
        "{}",
        r.stderr
    );
}

#[test]
fn short_and_long_help_are_the_same() {
    for sub in [
        &[][..],
        &["cost"],
        &["estimate"],
        &["compare"],
        &["prices"],
        &["prices", "diff"],
        &["report"],
        &["import"],
        &["proxy"],
    ] {
        let mut h = sub.to_vec();
        h.push("-h");
        let mut help = sub.to_vec();
        help.push("--help");
        let (a, b) = (llmcost(&h), llmcost(&help));
        assert_eq!(a.code, 0, "{sub:?}: {}", a.stderr);
        assert_eq!(a.stdout, b.stdout, "{sub:?}");
    }
    assert!(llmcost(&["--help"]).stdout.contains("config.toml"));
}

#[test]
fn quiet_silences_report_and_import_warnings_not_their_exit_code() {
    let d = tmp();
    let g = d.path().join("g.jsonl");
    std::fs::write(&g, b"\x00\x01\x02\xff\xfe\"usage\":\n").expect("write");
    let g = g.to_str().expect("utf-8");
    let loud = llmcost(&["report", "daily", g, "--source", "jsonl"]);
    assert_eq!(loud.code, 1);
    assert!(loud.stderr.contains("could not be read"), "{}", loud.stderr);
    let quiet = llmcost(&["report", "daily", g, "--source", "jsonl", "-q"]);
    assert_eq!((quiet.code, quiet.stderr.as_str()), (1, ""));
    assert_eq!(quiet.stdout, loud.stdout);
    // A fresh ledger each time: a file read once is not read again.
    for (i, q) in ["-q", "--quiet", ""].into_iter().enumerate() {
        let ledger = d.path().join(format!("l{i}.db"));
        let ledger = ledger.to_str().expect("utf-8");
        let mut args = vec!["import", g, "--source", "jsonl", "--ledger", ledger];
        if !q.is_empty() {
            args.insert(0, q);
        }
        let r = llmcost(&args);
        assert_eq!(r.code, 1, "{q}: {}", r.stderr);
        assert_eq!(r.stderr.is_empty(), !q.is_empty(), "{q}: {}", r.stderr);
    }
}
