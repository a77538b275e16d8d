//! `completions` and `man` come from the parser's own definitions.

use crate::llmcost;

const SUBCOMMANDS: [&str; 11] = [
    "cost",
    "estimate",
    "blend",
    "compare",
    "forecast",
    "prices",
    "import",
    "reprice",
    "report",
    "reconcile",
    "proxy",
];

#[test]
fn completions_for_every_shell_name_every_subcommand() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let r = llmcost(&["completions", shell]);
        assert_eq!(r.code, 0, "{shell}: {}", r.stderr);
        for sub in SUBCOMMANDS {
            assert!(r.stdout.contains(sub), "{shell} completion lacks `{sub}`");
        }
        assert!(
            r.stdout.contains("--currency"),
            "{shell}: flags are completed too"
        );
    }
}

#[test]
fn completions_refuse_an_unknown_shell_as_a_usage_error() {
    let r = llmcost(&["completions", "tcsh"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("possible values"), "{}", r.stderr);
}

#[test]
fn man_page_is_roff_with_a_section_per_subcommand() {
    let r = llmcost(&["man"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains(".TH llmcost 1"),
        "{}",
        &r.stdout[..200.min(r.stdout.len())]
    );
    for sub in SUBCOMMANDS {
        assert!(
            r.stdout.contains(&format!(".TH llmcost-{sub} 1")),
            "man page lacks a section for `{sub}`"
        );
    }
}

#[test]
fn short_and_long_help_tell_the_same_commands() {
    let short = llmcost(&["-h"]);
    let long = llmcost(&["--help"]);
    assert_eq!(short.code, 0);
    assert_eq!(long.code, 0);
    for sub in SUBCOMMANDS {
        assert!(
            short.stdout.contains(sub) && long.stdout.contains(sub),
            "{sub}"
        );
    }
}
