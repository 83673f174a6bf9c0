//! `--var NAME=VALUE`, `--var-file FILE` and `TERRACE_VAR_NAME`: the
//! values of the project's own variables for one run.

use super::session::Loaded;
use super::{Failure, Result};
use crate::config::vars::{self, Assignment, Origin};
use crate::diag::Diagnostics;
use crate::eval::Missing;
use crate::value::Map;
use std::path::PathBuf;

/// Flags that set project variables: `--var` and `--var-file` in the order
/// they were written, since Terraform lets a later one win, whichever kind
/// it is. (Parsed by hand from clap's matches: derive cannot interleave two
/// flags, and their indices give the order.)
#[derive(Debug, Clone, Default)]
pub struct VarFlags {
    given: Vec<Given>,
}

#[derive(Debug, Clone)]
enum Given {
    Var(String),
    File(PathBuf),
}

impl VarFlags {
    /// Whether any flag was given.
    pub fn is_empty(&self) -> bool {
        self.given.is_empty()
    }
}

impl clap::FromArgMatches for VarFlags {
    fn from_arg_matches(m: &clap::ArgMatches) -> std::result::Result<Self, clap::Error> {
        let mut given: Vec<(usize, Given)> = Vec::new();
        if let (Some(values), Some(at)) = (m.get_many::<String>("var"), m.indices_of("var")) {
            given.extend(at.zip(values.map(|v| Given::Var(v.clone()))));
        }
        if let (Some(values), Some(at)) =
            (m.get_many::<PathBuf>("var_file"), m.indices_of("var_file"))
        {
            given.extend(at.zip(values.map(|v| Given::File(v.clone()))));
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
    let (assignments, mut diags) = collect(loaded, flags, true)?;
    if diags.has_errors() {
        loaded.report(diags);
        return Err(Failure::Reported);
    }
    match crate::eval::project_variables(&loaded.project, &assignments, missing) {
        Ok((values, warnings)) => {
            diags.extend(warnings);
            if !diags.is_empty() {
                loaded.report(diags);
            }
            loaded.vars = values;
            Ok(())
        }
        Err(errors) => {
            diags.extend(errors);
            loaded.report(diags);
            Err(Failure::Reported)
        }
    }
}

/// Every assignment, lowest precedence first: `TERRACE_VAR_NAME` and the
/// automatic files (with `all`), then the command line in order.
fn collect(
    loaded: &mut Loaded,
    flags: &VarFlags,
    all: bool,
) -> Result<(Vec<Assignment>, Diagnostics)> {
    let mut diags = Diagnostics::default();
    let project = &mut loaded.project;
    let mut assignments: Vec<Assignment> = Vec::new();
    let mut env_vars: Vec<(String, String)> = std::env::vars_os()
        .filter(|_| all)
        .filter_map(|(k, v)| {
            let k = k.into_string().ok()?;
            let name = k.strip_prefix("TERRACE_VAR_")?.to_string();
            Some((name, v.into_string().ok()?))
        })
        .collect();
    env_vars.sort();
    for (name, text) in env_vars {
        let ty = project.variable(&name).map(|v| v.ty.clone());
        match vars::from_text(&name, &text, ty.as_ref(), Origin::Env, &mut project.sources) {
            Ok(a) => assignments.push(a),
            Err(d) => diags.push(d),
        }
    }
    let root = project.root.clone();
    for file in vars::automatic_files(&root).into_iter().filter(|_| all) {
        assignments.extend(vars::read_file(
            &file,
            &root,
            &mut project.sources,
            &mut diags,
        ));
    }
    let cwd = std::env::current_dir().unwrap_or_default();
    for given in &flags.given {
        match given {
            Given::File(path) => assignments.extend(vars::read_file(
                path,
                &cwd,
                &mut project.sources,
                &mut diags,
            )),
            Given::Var(text) => {
                let Some((name, value)) = text.split_once('=') else {
                    return Err(Failure::Message(format!(
                        "--var \"{text}\" has no value: write --var NAME=VALUE"
                    )));
                };
                let name = name.trim();
                let ty = project.variable(name).map(|v| v.ty.clone());
                match vars::from_text(name, value, ty.as_ref(), Origin::Flag, &mut project.sources)
                {
                    Ok(a) => assignments.push(a),
                    Err(d) => diags.push(d),
                }
            }
        }
    }
    Ok((assignments, diags))
}

/// Applying a saved plan uses the values it recorded: `flags` may repeat
/// them, and a different value is an error (as in Terraform).
pub fn use_saved(loaded: &mut Loaded, flags: &VarFlags, saved: &Map) -> Result {
    if !flags.is_empty() {
        let (assignments, diags) = collect(loaded, flags, false)?;
        let given =
            match crate::eval::project_variables(&loaded.project, &assignments, Missing::Unknown) {
                Ok((values, _)) if !diags.has_errors() => values,
                Ok(_) => {
                    loaded.report(diags);
                    return Err(Failure::Reported);
                }
                Err(errors) => {
                    loaded.report(errors);
                    return Err(Failure::Reported);
                }
            };
        for a in &assignments {
            let Some(value) = given.get(&a.name) else {
                continue;
            };
            if !saved.get(&a.name).is_some_and(|s| s.same_as(value)) {
                return Err(Failure::Message(format!(
                    "variable \"{}\" cannot be set by {} when applying a saved plan: the plan holds the values it was made with, and this one differs. Make a new plan with the new value instead",
                    a.name, a.origin
                )));
            }
        }
    }
    loaded.vars = saved.clone();
    Ok(())
}

/// The variables of a promotion: those the source environment applied
/// with (recorded beside its release), over what this run gives for the
/// others (sensitive ones, which are never recorded).
pub fn resolve_promotion(
    release: &mut Loaded,
    flags: &VarFlags,
    from: &str,
    recorded: &std::collections::BTreeMap<String, crate::value::Value>,
) -> Result {
    let (mut assignments, diags) = collect(release, flags, true)?;
    if diags.has_errors() {
        release.report(diags);
        return Err(Failure::Reported);
    }
    for (name, value) in recorded {
        let Some(var) = release.project.variable(name) else {
            continue;
        };
        if let Some(a) = assignments
            .iter()
            .rev()
            .find(|a| a.name == *name && a.origin == Origin::Flag)
            && crate::eval::project_variables(
                &release.project,
                std::slice::from_ref(a),
                Missing::Unknown,
            )
            .ok()
            .and_then(|(v, _)| v.get(name).cloned())
            .is_some_and(|v| !v.same_as(value))
        {
            return Err(Failure::Message(format!(
                "--var sets \"{name}\", and a promotion uses the value environment \"{from}\" applied with: promote without it, or apply {from} with the new value first"
            )));
        }
        assignments.push(Assignment {
            name: name.clone(),
            origin: Origin::Release(from.to_string()),
            value: crate::config::Expr {
                kind: crate::config::ExprKind::Literal(value.clone()),
                span: var.span,
            },
            span: var.span,
        });
    }
    match crate::eval::project_variables(&release.project, &assignments, Missing::Error) {
        Ok((values, warnings)) => {
            if !warnings.is_empty() {
                release.report(warnings);
            }
            release.vars = values;
            Ok(())
        }
        Err(errors) => {
            release.report(errors);
            Err(Failure::Reported)
        }
    }
}
