//! The project's own variables: which assignment wins, and the value each
//! variable takes for a run (converted, checked, marked sensitive).
//!
//! Assignments arrive in precedence order, lowest first (environment
//! variables, automatic variable files, then `--var` and `--var-file` in
//! command-line order): a later assignment replaces an earlier one, as
//! in Terraform. Entry point: [`project_variables`].

use super::expr::{EvalError, Evaluator, Resolver};
use super::values::{Constant, checked_variable};
use crate::config::vars::{Assignment, Origin};
use crate::config::{Project, Variable};
use crate::diag::{Diagnostic, Diagnostics, Span};
use crate::value::{Map, Value};

/// What to do with a variable that has neither a value nor a default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// An error naming the variable and the ways to set it.
    Error,
    /// Unknown: `validate` checks definitions without values.
    Unknown,
}

/// The value of every project variable for one run, with warnings
/// (values in files for variables the project does not declare).
pub fn project_variables(
    project: &Project,
    assignments: &[Assignment],
    missing: Missing,
) -> Result<(Map, Diagnostics), Diagnostics> {
    let mut diags = Diagnostics::default();
    let mut chosen: std::collections::HashMap<&str, &Assignment> = Default::default();
    for a in assignments {
        if project.variable(&a.name).is_none() {
            // Terraform: an error on the command line, a warning in files,
            // silence for environment variables.
            let names = project.variables.iter().map(|v| v.name.as_str());
            let hint = match crate::diag::did_you_mean(&a.name, names) {
                Some(s) => format!("did you mean \"{s}\"? "),
                None => String::new(),
            };
            let help = format!(
                "{hint}declare it in a project file with `variable \"{}\" {{ type = string }}`",
                a.name
            );
            match &a.origin {
                Origin::Env | Origin::Release(_) => {}
                Origin::Flag => diags.push(
                    Diagnostic::error(
                        "config::undeclared_variable",
                        format!(
                            "--var sets \"{}\", and the project declares no such variable",
                            a.name
                        ),
                    )
                    .help(help),
                ),
                Origin::File(p) => diags.push(
                    Diagnostic::warning(
                        "config::undeclared_variable",
                        format!(
                            "{} sets \"{}\", and the project declares no such variable; the value is ignored",
                            p.display(),
                            a.name
                        ),
                    )
                    .label(a.span, "here")
                    .help(help),
                ),
            }
            continue;
        }
        chosen.insert(&a.name, a);
    }
    let ev = Evaluator {
        resolver: &Constant,
        base_dir: &project.root,
        planning: true,
        // Variable values are constants: no plan time applies.
        plan_time: jiff::Timestamp::now(),
    };
    let mut out = Map::new();
    for var in &project.variables {
        let (raw, span) = match chosen.get(var.name.as_str()) {
            Some(a) => match ev.eval(&a.value) {
                Ok(v) => (v, hide(var, a.span)),
                Err(e) => {
                    diags.push(redact(var, e).into_diagnostic());
                    continue;
                }
            },
            None => match &var.default {
                Some(d) => match ev.eval(d) {
                    Ok(v) => (v, d.span),
                    Err(e) => {
                        diags.push(e.into_diagnostic());
                        continue;
                    }
                },
                None if missing == Missing::Unknown => {
                    out.insert(var.name.clone(), Value::Unknown.mark_if(var.sensitive));
                    continue;
                }
                None => {
                    diags.push(
                        Diagnostic::error(
                            "config::missing_variable",
                            format!(
                                "project variable \"{}\" is not set, and has no default",
                                var.name
                            ),
                        )
                        .label(var.span, "declared here without a default")
                        .help(format!(
                            "set it with --var {0}=VALUE, with --var-file FILE, in terrace.tfvars, or with the environment variable TERRACE_VAR_{0}",
                            var.name
                        )),
                    );
                    continue;
                }
            },
        };
        let what = format!("project variable \"{}\"", var.name);
        match checked_variable(&ev, var, raw, span, &what) {
            Ok(v) => {
                out.insert(var.name.clone(), v);
            }
            Err(d) => diags.extend(d),
        }
    }
    if diags.has_errors() {
        Err(diags)
    } else {
        Ok((out, diags))
    }
}

/// A sensitive variable's value is never shown: its problems point at the
/// declaration instead of the text that holds the value.
fn hide(var: &Variable, span: Span) -> Span {
    if var.sensitive { var.span } else { span }
}

fn redact(var: &Variable, e: EvalError) -> EvalError {
    if var.sensitive {
        EvalError::new(
            var.span,
            format!(
                "the value of sensitive variable \"{}\" is not valid",
                var.name
            ),
        )
    } else {
        e
    }
}

/// `var.NAME` of the project's variables and nothing else: what an
/// environment's inputs may refer to.
pub(super) struct ProjectVars<'a> {
    pub vars: &'a Map,
}

impl Resolver for ProjectVars<'_> {
    fn resolve(&self, root: &str, attrs: &[&str], span: Span) -> Result<(Value, usize), EvalError> {
        match (root, attrs) {
            ("var", [name, ..]) => lookup(self.vars, name, span),
            _ => Constant.resolve(root, attrs, span),
        }
    }
}

/// The value of project variable `name`, or an error naming the others.
pub(super) fn lookup(vars: &Map, name: &str, span: Span) -> Result<(Value, usize), EvalError> {
    match vars.get(name) {
        Some(v) => Ok((v.clone(), 1)),
        None => Err(
            EvalError::new(span, format!("the project declares no variable \"{name}\"")).help(
                match crate::diag::did_you_mean(name, vars.keys().map(String::as_str)) {
                    Some(s) => format!("did you mean var.{s}?"),
                    None => format!(
                        "declare it in a project file: `variable \"{name}\" {{ type = string }}`"
                    ),
                },
            ),
        ),
    }
}
