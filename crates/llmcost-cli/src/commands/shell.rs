//! `completions` and `man`: generated from the same clap definitions as the parser,
//! so they cannot drift from the flags.

use std::io::Write;

use anyhow::Result;
use clap::CommandFactory;

use super::ExitStatus;
use crate::args::Cli;

/// Writes the completion script for `shell`.
pub fn completions(shell: clap_complete::Shell, out: &mut dyn Write) -> Result<ExitStatus> {
    let mut cmd = Cli::command();
    clap_complete::generate(shell, &mut cmd, "llmcost", out);
    Ok(ExitStatus::Success)
}

/// Writes the manual page in roff: the top page followed by one section per subcommand.
pub fn man(out: &mut dyn Write) -> Result<ExitStatus> {
    let cmd = Cli::command();
    clap_mangen::Man::new(cmd.clone()).render(out)?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("llmcost-{}", sub.get_name());
        let page = clap_mangen::Man::new(sub.clone()).title(name.clone());
        writeln!(out, ".\\\" {name}")?;
        page.render_title(out)?;
        page.render_name_section(out)?;
        page.render_synopsis_section(out)?;
        page.render_description_section(out)?;
        page.render_options_section(out)?;
    }
    Ok(ExitStatus::Success)
}
