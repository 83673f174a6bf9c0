//! `lifecycle { replace_triggered_by = [...] }`, with Terraform's rules:
//! a reference to a resource or one of its instances triggers when that
//! object has any planned change; a reference to an attribute triggers
//! when the attribute's value changes or is not known until apply.

use super::model::{Action, Change};
use crate::address::{InstanceKey, Mode, ResourceAddr};
use crate::config::Resource;
use crate::config::expr::{ExprKind, TraverserKind};
use crate::diag::Diagnostic;
use crate::eval::{EnvValues, Instance};
use crate::ids::ConfigId;
use crate::value::{Path, PathStep, Value};

/// Whether any of `res`'s triggers fires for instance `inst` of
/// configuration `c`, given the changes planned so far (every referenced
/// resource is planned first: the references are graph edges).
pub fn triggered(
    values: &EnvValues<'_, '_>,
    c: ConfigId,
    inst: &Instance,
    res: &Resource,
    changes: &[Change],
) -> Result<bool, Diagnostic> {
    let config = &values.graph.project.configurations[c].name;
    for e in &res.lifecycle.replace_triggered_by {
        let ExprKind::Traversal(root, ops) = &e.kind else {
            continue;
        };
        let (ExprKind::Variable(type_name), Some(TraverserKind::Attr(name))) =
            (&root.kind, ops.first().map(|o| &o.kind))
        else {
            continue;
        };
        let target = ResourceAddr {
            config: config.clone(),
            mode: Mode::Managed,
            type_name: type_name.clone(),
            name: name.clone(),
        };
        let mut rest = &ops[1..];
        let mut key: Option<InstanceKey> = None;
        if let Some(TraverserKind::Index(ix)) = rest.first().map(|o| &o.kind) {
            let v = values
                .eval_in(c, Some(inst), ix)
                .map_err(|err| err.into_diagnostic())?;
            key = match v {
                Value::String(s) => Some(InstanceKey::Str(s)),
                Value::Number(n) if n.as_i64().is_some() => {
                    Some(InstanceKey::Int(n.as_i64().unwrap_or(0)))
                }
                other => {
                    return Err(Diagnostic::error(
                        "eval::error",
                        format!(
                            "an instance key must be a number or a string, not {}",
                            other.type_name()
                        ),
                    )
                    .label(ix.span, "this key"));
                }
            };
            rest = &rest[1..];
        }
        let mut path = Vec::new();
        for op in rest {
            match &op.kind {
                TraverserKind::Attr(a) => path.push(PathStep::Attr(a.clone())),
                TraverserKind::Index(ix) => match values.eval_in(c, Some(inst), ix) {
                    Ok(Value::String(s)) => path.push(PathStep::Attr(s)),
                    Ok(Value::Number(n)) if n.as_i64().is_some_and(|i| i >= 0) => {
                        path.push(PathStep::Index(n.as_i64().unwrap_or(0) as usize))
                    }
                    _ => break,
                },
                TraverserKind::Splat { .. } => break,
            }
        }
        let path = Path::from(path);
        let fires = changes
            .iter()
            .filter(|ch| ch.address.resource == target && (key.is_none() || ch.address.key == key))
            .any(|ch| fires(ch, &path));
        if fires {
            return Ok(true);
        }
    }
    Ok(false)
}

fn fires(ch: &Change, path: &Path) -> bool {
    if matches!(ch.action, Action::NoOp | Action::Read | Action::Forget) {
        return false;
    }
    if path.steps().is_empty() {
        return true;
    }
    let before = ch.before.as_ref().and_then(|v| v.at(path));
    let after = ch.after.as_ref().and_then(|v| v.at(path));
    match (before, after) {
        (Some(b), Some(a)) => !a.is_wholly_known() || !a.same_as(b),
        (None, None) => false,
        _ => true,
    }
}
