//! `terrace completions SHELL`: a completion script for the shell, made by
//! clap_complete from the same definitions as the parser, so that it never
//! drifts from the flags terrace really takes.

use super::{Cli, Result};
use clap::Args;
use clap_complete::Shell;

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh, fish, powershell or elvish
    #[arg(value_name = "SHELL")]
    pub shell: Shell,
}

/// Writes the script to standard output, e.g.
/// `terrace completions bash > /etc/bash_completion.d/terrace`.
pub fn run(a: CompletionsArgs) -> Result {
    let mut cmd = <Cli as clap::CommandFactory>::command();
    let mut out = Vec::new();
    clap_complete::generate(a.shell, &mut cmd, "terrace", &mut out);
    out!("{}", String::from_utf8_lossy(&out));
    Ok(())
}
