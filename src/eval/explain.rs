//! What a diagnostic says of the values its highlighted expression
//! refers to (Terraform's `snippet.values`): `var.n` `is -1`, `self.id`
//! `is "…"`; a sensitive value is left out, as Terraform leaves it out of
//! a diagnostic that the sensitive value did not cause.

use super::EvalError;
use crate::config::expr::{
    Expr, ExprKind, ObjectKey, RefStep, TemplatePart, Traverser, TraverserKind,
};
use crate::diag::{ExprValue, Span};
use crate::value::Value;

/// The value of each reference in `e` (with at least one step after its
/// root: `var.x`, `self.id`), sorted and without repeats, as Terraform
/// lists them under a diagnostic's snippet. A sensitive value is left out
/// (Terraform names one only under a diagnostic marked as caused by it,
/// which terrace has none of); an unknown one is left out unless the
/// problem is that something is unknown (`unknown`); a collection is
/// described by its size, never its elements.
pub fn reference_values(
    e: &Expr,
    unknown: bool,
    eval: impl Fn(&Expr) -> Result<Value, EvalError>,
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
                        RefStep::Index(v) => TraverserKind::Index(Box::new(Expr {
                            kind: ExprKind::Literal(v.clone()),
                            span: r.span,
                        })),
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
        Value::Sensitive(_) => return None,
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

/// The sub-expression of `e` that `span` is exactly, if any: where an
/// evaluation error points.
pub(super) fn at_span(e: &Expr, span: Span) -> Option<&Expr> {
    if e.span == span {
        return Some(e);
    }
    let mut found = None;
    children(e, &mut |c| {
        if found.is_none()
            && c.span.file == span.file
            && c.span.start <= span.start
            && span.end <= c.span.end
        {
            found = at_span(c, span);
        }
    });
    found
}

/// Calls `f` on each direct sub-expression of `e`.
fn children<'a>(e: &'a Expr, f: &mut impl FnMut(&'a Expr)) {
    match &e.kind {
        ExprKind::Literal(_) | ExprKind::Variable(_) => {}
        ExprKind::Array(items) => items.iter().for_each(f),
        ExprKind::Object(items) => {
            for (k, v) in items {
                if let ObjectKey::Expr(k) = k {
                    f(k);
                }
                f(v);
            }
        }
        ExprKind::Template(parts) => template_children(parts, f),
        ExprKind::Traversal(root, ops) => {
            f(root);
            for op in ops {
                if let TraverserKind::Index(ix) = &op.kind {
                    f(ix);
                }
            }
        }
        ExprKind::Call { args, .. } => args.iter().for_each(f),
        ExprKind::Conditional(c, t, x) => {
            f(c);
            f(t);
            f(x);
        }
        ExprKind::Unary(_, x) => f(x),
        ExprKind::Binary(_, l, r) => {
            f(l);
            f(r);
        }
        ExprKind::For(x) => {
            f(&x.collection);
            if let Some(k) = &x.key {
                f(k);
            }
            f(&x.value);
            if let Some(c) = &x.cond {
                f(c);
            }
        }
    }
}

fn template_children<'a>(parts: &'a [TemplatePart], f: &mut impl FnMut(&'a Expr)) {
    for p in parts {
        match p {
            TemplatePart::Literal(_) => {}
            TemplatePart::Interp(x) => f(x),
            TemplatePart::If {
                cond,
                then,
                otherwise,
            } => {
                f(cond);
                template_children(then, f);
                template_children(otherwise, f);
            }
            TemplatePart::For {
                collection, body, ..
            } => {
                f(collection);
                template_children(body, f);
            }
        }
    }
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
        assert_eq!(s(Value::string("hunter2").sensitive()), None);
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
