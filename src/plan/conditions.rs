//! Custom conditions: resource `precondition` and `postcondition` blocks
//! and output `precondition` blocks, with Terraform's timing. A condition
//! is checked when planning if its value is known then, else during
//! apply; a false condition is an error carrying the definitions'
//! `error_message`. Postconditions see the object as `self`.

use crate::config::Condition;
use crate::config::expr::{Expr, ExprKind, RefStep, Traverser, TraverserKind};
use crate::diag::{Diagnostic, Diagnostics, ExprValue};
use crate::eval::{EnvValues, Instance};
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
    what: &str,
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

/// The value of each reference in `e` (with at least one step after its
/// root: `var.x`, `self.id`), sorted and without repeats, as Terraform
/// lists them under a diagnostic's snippet. A sensitive value is only
/// said to be one; an unknown one is left out unless the problem is that
/// something is unknown (`unknown`); a collection is described by its
/// size, never its elements.
fn reference_values(
    e: &Expr,
    unknown: bool,
    eval: impl Fn(&Expr) -> Result<Value, crate::eval::EvalError>,
) -> Vec<ExprValue> {
    let mut out: Vec<ExprValue> = Vec::new();
    for r in e.references() {
        let mut steps = r.steps.as_slice();
        // The longest prefix that evaluates, as Terraform shortens a
        // traversal that fails.
        while !steps.is_empty() {
            let ops = steps
                .iter()
                .map(|s| Traverser {
                    kind: match s {
                        RefStep::Attr(a) => TraverserKind::Attr(a.clone()),
                        RefStep::Index(v) => TraverserKind::Index(Expr {
                            kind: ExprKind::Literal(v.clone()),
                            span: r.span,
                        }),
                    },
                    span: r.span,
                })
                .collect();
            let traversal = Expr {
                kind: ExprKind::Traversal(
                    Box::new(Expr {
                        kind: ExprKind::Variable(r.root.clone()),
                        span: r.span,
                    }),
                    ops,
                ),
                span: r.span,
            };
            let Ok(v) = eval(&traversal) else {
                steps = &steps[..steps.len() - 1];
                continue;
            };
            let name = traversal_text(&r.root, steps);
            if let Some(statement) = statement(&v, unknown)
                && !out.iter().any(|x| x.traversal == name)
            {
                out.push(ExprValue {
                    traversal: name,
                    statement,
                });
            }
            break;
        }
    }
    out.sort_by(|a, b| a.traversal.cmp(&b.traversal));
    out
}

/// `root.a["k"][0]`, as Terraform writes a traversal in diagnostics.
fn traversal_text(root: &str, steps: &[RefStep]) -> String {
    let mut s = root.to_string();
    for step in steps {
        match step {
            RefStep::Attr(a) => {
                s.push('.');
                s.push_str(a);
            }
            RefStep::Index(Value::String(k)) => s.push_str(&format!("[{}]", quoted(k))),
            RefStep::Index(Value::Number(n)) => s.push_str(&format!("[{n}]")),
            RefStep::Index(_) => s.push_str("[...]"),
        }
    }
    s
}

/// What Terraform says of a value in a diagnostic; `None` to leave it out.
fn statement(v: &Value, unknown: bool) -> Option<String> {
    let count = |n: usize, one: &str, many: &str| match n {
        0 => format!("empty {many}"),
        1 => format!("{one} with 1 element"),
        n => format!("{one} with {n} elements"),
    };
    Some(match v {
        Value::Sensitive(_) => "has a sensitive value".to_string(),
        Value::Unknown if unknown => "will be known only after apply".to_string(),
        Value::Unknown => return None,
        Value::Null => "is null".to_string(),
        Value::Bool(b) => format!("is {b}"),
        Value::Number(n) => format!("is {n}"),
        Value::String(s) => format!("is {}", quoted(s)),
        Value::List(items) => format!("is {}", count(items.len(), "tuple", "tuple")),
        Value::Object(m) => match m.len() {
            0 => "is object with no attributes".to_string(),
            1 => format!(
                "is object with 1 attribute {}",
                quoted(m.keys().next().map_or("", |k| k.as_str()))
            ),
            n => format!("is object with {n} attributes"),
        },
    })
}

/// A string in double quotes with JSON's escapes (Terraform uses Go's,
/// which agree on what a configuration's strings hold).
fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
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
    for (c, conf) in ConfigId::enumerate(&values.graph.project.configurations) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_say_what_terraform_says_of_a_value_and_never_a_secret() {
        let s = |v: Value| statement(&v, false);
        assert_eq!(s(Value::string("a\"b")).as_deref(), Some("is \"a\\\"b\""));
        assert_eq!(s(Value::int(-1)).as_deref(), Some("is -1"));
        assert_eq!(s(Value::Bool(true)).as_deref(), Some("is true"));
        assert_eq!(s(Value::Null).as_deref(), Some("is null"));
        assert_eq!(
            s(Value::List(vec![Value::int(1), Value::int(2)])).as_deref(),
            Some("is tuple with 2 elements")
        );
        assert_eq!(s(Value::List(vec![])).as_deref(), Some("is empty tuple"));
        let one: crate::value::Map = [("k".to_string(), Value::int(1))].into_iter().collect();
        assert_eq!(
            s(Value::Object(one)).as_deref(),
            Some("is object with 1 attribute \"k\"")
        );
        assert_eq!(
            s(Value::string("hunter2").sensitive()).as_deref(),
            Some("has a sensitive value")
        );
        assert_eq!(s(Value::Unknown), None);
        assert_eq!(
            statement(&Value::Unknown, true).as_deref(),
            Some("will be known only after apply")
        );
    }

    #[test]
    fn traversals_are_written_as_in_the_definitions() {
        let steps = [
            RefStep::Attr("k".into()),
            RefStep::Index(Value::string("a")),
            RefStep::Index(Value::int(0)),
            RefStep::Attr("id".into()),
        ];
        assert_eq!(
            traversal_text("terrace_data", &steps),
            "terrace_data.k[\"a\"][0].id"
        );
    }
}
