//! The values of the project's own variables for one run: from
//! `TERRACE_VAR_NAME`, the automatic variable files, and what the caller
//! gives ([`VarInputs`]: `--var NAME=VALUE` and `--var-file FILE` on the
//! command line), or the values a saved plan or a release recorded.

use super::{Error, Front, Result, Workspace};
use crate::config::vars::{self, Assignment, Origin};
use crate::diag::Diagnostics;
use crate::eval::Missing;
use crate::value::Map;
use std::path::PathBuf;

/// Variables given for one run, in the order given: a later one wins,
/// whichever kind it is (as in Terraform).
#[derive(Debug, Clone, Default)]
pub struct VarInputs {
    pub given: Vec<VarInput>,
}

/// One given variable, or a file of them.
#[derive(Debug, Clone)]
pub enum VarInput {
    /// `NAME=VALUE`.
    Var(String),
    /// An HCL or JSON (`.json`) file, relative to the working directory.
    File(PathBuf),
}

impl VarInputs {
    /// Whether anything was given.
    pub fn is_empty(&self) -> bool {
        self.given.is_empty()
    }
}

/// Resolves the project variables of `ws` from the environment, the
/// automatic variable files and `inputs`, and keeps them in `ws.vars`.
pub fn resolve(
    ws: &mut Workspace,
    inputs: &VarInputs,
    missing: Missing,
    front: &dyn Front,
) -> Result {
    let (assignments, mut diags) = collect(ws, inputs, true)?;
    if diags.has_errors() {
        return Err(ws.error(diags));
    }
    match crate::eval::project_variables(&ws.project, &assignments, missing) {
        Ok((values, warnings)) => {
            diags.extend(warnings);
            ws.check(diags, front)?;
            ws.vars = values;
            Ok(())
        }
        Err(errors) => {
            diags.extend(errors);
            Err(ws.error(diags))
        }
    }
}

/// Every assignment, lowest precedence first: `TERRACE_VAR_NAME` and the
/// automatic files (with `all`), then the inputs in order.
fn collect(
    ws: &mut Workspace,
    inputs: &VarInputs,
    all: bool,
) -> Result<(Vec<Assignment>, Diagnostics)> {
    let mut diags = Diagnostics::default();
    let project = &mut ws.project;
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
    for given in &inputs.given {
        match given {
            VarInput::File(path) => assignments.extend(vars::read_file(
                path,
                &cwd,
                &mut project.sources,
                &mut diags,
            )),
            VarInput::Var(text) => {
                let Some((name, value)) = text.split_once('=') else {
                    return Err(Error::Refused(format!(
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

/// Applying a saved plan uses the values it recorded: `inputs` may repeat
/// them, and a different value is an error (as in Terraform).
pub fn use_saved(ws: &mut Workspace, inputs: &VarInputs, saved: &Map) -> Result {
    if !inputs.is_empty() {
        let (assignments, diags) = collect(ws, inputs, false)?;
        let given =
            match crate::eval::project_variables(&ws.project, &assignments, Missing::Unknown) {
                Ok((values, _)) if !diags.has_errors() => values,
                Ok(_) => return Err(ws.error(diags)),
                Err(errors) => return Err(ws.error(errors)),
            };
        for a in &assignments {
            let Some(value) = given.get(&a.name) else {
                continue;
            };
            if !saved.get(&a.name).is_some_and(|s| s.same_as(value)) {
                return Err(Error::Refused(format!(
                    "variable \"{}\" cannot be set by {} when applying a saved plan: the plan holds the values it was made with, and this one differs. Make a new plan with the new value instead",
                    a.name, a.origin
                )));
            }
        }
    }
    ws.vars = saved.clone();
    Ok(())
}

/// The variables of a promotion: those the source environment applied
/// with (recorded beside its release), over what this run gives for the
/// others (sensitive ones, which are never recorded).
pub fn resolve_promotion(
    release: &mut Workspace,
    inputs: &VarInputs,
    from: &str,
    recorded: &std::collections::BTreeMap<String, crate::value::Value>,
    front: &dyn Front,
) -> Result {
    let (mut assignments, diags) = collect(release, inputs, true)?;
    if diags.has_errors() {
        return Err(release.error(diags));
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
            return Err(Error::Refused(format!(
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
                front.diagnostics(warnings, &release.project.sources);
            }
            release.vars = values;
            Ok(())
        }
        Err(errors) => Err(release.error(errors)),
    }
}

/// The variables a saved plan recorded, as a map.
pub fn recorded(plan: &crate::plan::Plan) -> Map {
    plan.variables
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}
