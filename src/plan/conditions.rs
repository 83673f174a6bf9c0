//! Custom conditions: resource `precondition` and `postcondition` blocks
//! and output `precondition` blocks, with Terraform's timing. A condition
//! is checked when planning if its value is known then, else during
//! apply; a false condition is an error carrying the definitions'
//! `error_message`. Postconditions see the object as `self`.

use crate::config::Condition;
use crate::config::expr::Expr;
use crate::diag::{Diagnostic, Diagnostics};
use crate::eval::{EnvValues, Instance, reference_values};
use crate::ids::ConfigId;
use crate::value::Value;

/// Which condition blocks, for the messages.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    ResourcePrecondition,
    ResourcePostcondition,
    OutputPrecondition,
    CheckAssertion,
}

impl Kind {
    /// Terraform's summary of a failure.
    pub fn title(self) -> &'static str {
        match self {
            Kind::ResourcePrecondition => "Resource precondition failed",
            Kind::ResourcePostcondition => "Resource postcondition failed",
            Kind::OutputPrecondition => "Output precondition failed",
            Kind::CheckAssertion => "Check block assertion failed",
        }
    }
}

/// When a check runs: while planning an unknown condition waits for
/// apply; during apply it is an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Plan,
    Apply,
}

/// Checks `conds` for `what` (an address or `output "x"`) in configuration
/// `c`, inside `instance` if any, with `self` bound to `this` if given.
#[allow(clippy::too_many_arguments)]
pub fn check(
    values: &EnvValues<'_, '_>,
    c: ConfigId,
    instance: Option<&Instance>,
    this: Option<&Value>,
    conds: &[Condition],
    kind: Kind,
    what: &dyn std::fmt::Display,
    phase: Phase,
) -> Result<(), Diagnostics> {
    let code = match phase {
        Phase::Plan => "plan::condition",
        Phase::Apply => "apply::condition",
    };
    let mut diags = Diagnostics::default();
    let eval = |e: &Expr| match this {
        Some(v) => values.eval_with_self(c, instance, v, e),
        None => values.eval_in(c, instance, e),
    };
    for cond in conds {
        let v = match eval(&cond.condition) {
            Ok(v) => v,
            Err(e) => {
                diags.push(e.into_diagnostic());
                continue;
            }
        };
        let (plain, _) = v.deep_unmark();
        let ok = match plain {
            Value::Bool(b) => b,
            Value::Unknown if phase == Phase::Plan => continue,
            Value::Unknown => {
                diags.push(
                    Diagnostic::error(code, format!("{what}: the condition is still unknown"))
                        .label(cond.condition.span, "this condition")
                        .help("a condition must be known once the objects it reads exist")
                        .values(reference_values(&cond.condition, true, eval)),
                );
                continue;
            }
            other => {
                diags.push(
                    Diagnostic::error(
                        code,
                        format!(
                            "{what}: a condition must be true or false, not {}",
                            other.type_name()
                        ),
                    )
                    .label(cond.condition.span, "this condition"),
                );
                continue;
            }
        };
        if ok {
            continue;
        }
        let message = match eval(&cond.error_message) {
            Ok(Value::String(s)) => s,
            Ok(Value::Sensitive(_)) => "(the error message is sensitive)".to_string(),
            Ok(Value::Unknown) => "(the error message is known only after apply)".to_string(),
            Ok(other) => other.to_string(),
            Err(e) => {
                diags.push(e.into_diagnostic());
                continue;
            }
        };
        let values = reference_values(&cond.condition, false, eval);
        diags.push(
            Diagnostic::error(code, format!("{}: {what}: {message}", kind.title()))
                .label(cond.condition.span, "this condition is false")
                .label(cond.span, "checked here")
                .terraform(kind.title(), message)
                .values(values),
        );
    }
    if diags.is_empty() { Ok(()) } else { Err(diags) }
}

/// Every `check` block's assertions, once the values are planned (or
/// applied): each failure, or error, is a warning. An assertion not known
/// yet when planning is checked during apply.
pub fn run_checks(values: &EnvValues<'_, '_>, phase: Phase) -> Diagnostics {
    let mut out = Diagnostics::default();
    let code = match phase {
        Phase::Plan => "plan::check",
        Phase::Apply => "apply::check",
    };
    for (c, conf) in values.graph.project.configurations.iter_enumerated() {
        for check in &values.graph.arch(c).checks {
            let what = format!("check \"{}\" of {}", check.name, conf.name);
            let Err(diags) = self::check(
                values,
                c,
                None,
                None,
                &check.asserts,
                Kind::CheckAssertion,
                &what,
                phase,
            ) else {
                continue;
            };
            for d in diags.iter() {
                let mut w = d.clone();
                w.severity = crate::diag::Severity::Warning;
                w.code = code;
                w.help = Some("a check reports; it never stops a plan or an apply".into());
                out.push(w);
            }
        }
    }
    out
}
