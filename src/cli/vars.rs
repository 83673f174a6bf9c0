//! `--var NAME=VALUE` and `--var-file FILE`: the project variables given
//! on the command line (resolved by [`crate::ops::vars`]).

use super::Result;
use super::session::Loaded;
use crate::eval::Missing;
use crate::ops::vars::{VarInput, VarInputs};
use std::path::PathBuf;

/// Flags that set project variables: `--var` and `--var-file` in the order
/// they were written, since Terraform lets a later one win, whichever kind
/// it is. (Parsed by hand from clap's matches: derive cannot interleave two
/// flags, and their indices give the order.)
pub type VarFlags = VarInputs;

impl clap::FromArgMatches for VarFlags {
    fn from_arg_matches(m: &clap::ArgMatches) -> std::result::Result<Self, clap::Error> {
        let mut given: Vec<(usize, VarInput)> = Vec::new();
        if let (Some(values), Some(at)) = (m.get_many::<String>("var"), m.indices_of("var")) {
            given.extend(at.zip(values.map(|v| VarInput::Var(v.clone()))));
        }
        if let (Some(values), Some(at)) =
            (m.get_many::<PathBuf>("var_file"), m.indices_of("var_file"))
        {
            given.extend(at.zip(values.map(|v| VarInput::File(v.clone()))));
        }
        given.sort_by_key(|(at, _)| *at);
        Ok(VarFlags {
            given: given.into_iter().map(|(_, g)| g).collect(),
        })
    }

    fn update_from_arg_matches(
        &mut self,
        m: &clap::ArgMatches,
    ) -> std::result::Result<(), clap::Error> {
        *self = Self::from_arg_matches(m)?;
        Ok(())
    }
}

impl clap::Args for VarFlags {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        cmd.arg(
            clap::Arg::new("var")
                .long("var")
                .value_name("NAME=VALUE")
                .action(clap::ArgAction::Append)
                .help("Set a project variable (repeatable; later wins)"),
        )
        .arg(
            clap::Arg::new("var_file")
                .long("var-file")
                .value_name("FILE")
                .value_parser(clap::value_parser!(PathBuf))
                .action(clap::ArgAction::Append)
                .help("Read project variables from an HCL or JSON (.json) file (repeatable)"),
        )
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
}

/// Resolves the project variables of `loaded` from the environment, the
/// automatic variable files and `flags`, and keeps them in `loaded.vars`.
pub fn resolve(loaded: &mut Loaded, flags: &VarFlags, missing: Missing) -> Result {
    let console = loaded.ui.console();
    Ok(crate::ops::vars::resolve(
        &mut loaded.ws,
        flags,
        missing,
        &console,
    )?)
}
