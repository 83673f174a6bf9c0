//! Planning one instance: evaluate its arguments, check them against the
//! schema, apply `ignore_changes`, ask the provider, decide the action.
//! Plan and apply both use it; apply plans again with the values known.

use super::check::{no_data_source, schema_diags, schema_of};
use super::model::{Action, Change};
use crate::address::{InstanceAddr, Mode};
use crate::config::{IgnoreChanges, Resource};
use crate::diag::{Diagnostic, Diagnostics};
use crate::eval::{EnvValues, Instance};
use crate::ids::{ConfigId, ResourceId};
use crate::provider::{self, Planned, Provider};
use crate::value::{Map, PathStep, Value};

/// Evaluates one instance's arguments, checks them against the schema,
/// applies `ignore_changes`, and asks the provider for the planned value.
/// Plan and apply both use it: apply plans again with known values.
pub async fn prepare(
    values: &EnvValues<'_, '_>,
    c: ConfigId,
    r: ResourceId,
    inst: &Instance,
    p: &dyn Provider,
    prior: Option<&Value>,
    ctx: &provider::Context,
) -> Result<Planned, Diagnostics> {
    let res = &values.graph.arch(c).resources[r];
    let args = arguments(values, c, r, inst, p, prior)?;
    if res.mode == Mode::Data {
        return Ok(Planned {
            value: Value::Object(args),
            requires_replace: Vec::new(),
        });
    }
    plan_arguments(p, args, prior, ctx).await.map_err(|e| {
        let addr = values.graph.resource_addr(c, r).instance(inst.key.clone());
        provider_diagnostics(res, &addr, e)
    })
}

/// The part of [`prepare`] that needs no provider: one instance's
/// arguments evaluated, checked against the schema, with `ignore_changes`
/// applied against `prior`.
pub fn arguments(
    values: &EnvValues<'_, '_>,
    c: ConfigId,
    r: ResourceId,
    inst: &Instance,
    p: &dyn Provider,
    prior: Option<&Value>,
) -> Result<Map, Diagnostics> {
    let res = &values.graph.arch(c).resources[r];
    let config = values.eval_instance(c, r, inst)?;
    let schema = schema_of(p, res.mode).ok_or_else(|| no_data_source(res, None))?;
    let mut args = schema
        .conform(config)
        .map_err(|errs| schema_diags(res, &errs))?;
    if let Some(prior) = prior {
        ignore_changes(&mut args, prior, &res.lifecycle.ignore_changes, p);
    }
    Ok(args)
}

/// The provider's part of [`prepare`] for a managed resource: the planned
/// value of `args`; a replacement is planned again as a new object, as
/// Terraform does.
pub async fn plan_arguments(
    p: &dyn Provider,
    args: Map,
    prior: Option<&Value>,
    ctx: &provider::Context,
) -> Result<Planned, provider::ProviderError> {
    // A provider's message never shows a sensitive argument (looked for
    // when there is a message: a walk over every argument and the prior
    // object was a twentieth of a plan).
    let hide = |e: provider::ProviderError, args: &Map| {
        e.hiding(&crate::value::sensitive_texts(args.values().chain(prior)))
    };
    let planned = match p.plan(Value::Object(args.clone()), prior, ctx).await {
        Ok(planned) => planned,
        Err(e) => return Err(hide(e, &args)),
    };
    if planned.requires_replace.is_empty() {
        return Ok(planned);
    }
    let fresh = match p.plan(Value::Object(args.clone()), None, ctx).await {
        Ok(fresh) => fresh,
        Err(e) => return Err(hide(e, &args)),
    };
    Ok(Planned {
        value: fresh.value,
        requires_replace: planned.requires_replace,
    })
}

/// A provider's refusal to plan instance `addr` of `res`, pointing at the
/// argument at fault when it names one.
pub fn provider_diagnostics(
    res: &Resource,
    addr: &InstanceAddr,
    e: provider::ProviderError,
) -> Diagnostics {
    let at = e
        .attribute
        .as_ref()
        .and_then(|name| res.attrs.iter().find(|a| &a.name == name));
    let d = Diagnostic::error("plan::provider", format!("{addr}: {e}")).at(addr);
    Diagnostics::from(match at {
        Some(a) => d.label(a.expr.span, format!("in \"{}\"", a.name)),
        None => d
            .label(res.span, "in this resource")
            .help("fix the resource's arguments"),
    })
}

/// Reads a data source now if its arguments are known and nothing it
/// depends on changes; else defers the read to apply, with its computed
/// attributes unknown until then.
pub async fn read_data(
    p: &dyn Provider,
    args: Value,
    defer: bool,
    ctx: &provider::Context,
) -> Result<(Action, Value), provider::ProviderError> {
    if defer || !args.is_wholly_known() {
        let mut m = args.as_object().cloned().unwrap_or_default();
        for a in p
            .data_schema()
            .map(|s| s.attributes.as_slice())
            .unwrap_or_default()
        {
            if a.kind == provider::AttrKind::Computed {
                m.insert(a.name.to_string(), Value::Unknown);
            }
        }
        return Ok((Action::Read, Value::Object(m)));
    }
    let secrets = crate::value::sensitive_texts([&args]);
    let (plain, marked) = args.deep_unmark();
    let read = p.read_data(plain, ctx).await;
    Ok((
        Action::NoOp,
        read.map_err(|e| e.hiding(&secrets))?.mark_if(marked),
    ))
}

/// Keeps the prior values of ignored arguments.
fn ignore_changes(args: &mut Map, prior: &Value, ignore: &IgnoreChanges, p: &dyn Provider) {
    match ignore {
        IgnoreChanges::None => {}
        IgnoreChanges::All => {
            for name in p.schema().arguments() {
                if let Some(v) = prior.get(name) {
                    args.insert(name.to_string(), v.clone());
                }
            }
        }
        IgnoreChanges::Paths(paths) => {
            for (path, _) in paths {
                let mut whole = Value::Object(std::mem::take(args));
                match prior.at(path) {
                    Some(old) => set_at(&mut whole, path.steps(), old.clone()),
                    // A map key the object did not have stays absent, as in
                    // Terraform: `input["k"]` ignores a key added later too.
                    None => remove_at(&mut whole, path.steps()),
                }
                if let Value::Object(m) = whole {
                    *args = m;
                }
            }
        }
    }
}

/// Removes the map key at the end of `steps` (a nested one only: the
/// arguments themselves are the schema's, and always present).
fn remove_at(target: &mut Value, steps: &[PathStep]) {
    match (target, steps) {
        (Value::Object(m), [PathStep::Attr(k), rest @ ..]) => match rest {
            [] => {}
            [PathStep::Attr(last)] => {
                if let Some(child) = m.get_mut(k) {
                    remove_key(child, last);
                }
            }
            _ => {
                if let Some(child) = m.get_mut(k) {
                    remove_at(child, rest);
                }
            }
        },
        (Value::List(l), [PathStep::Index(i), rest @ ..]) if !rest.is_empty() => {
            if let Some(child) = l.get_mut(*i) {
                remove_at(child, rest);
            }
        }
        (Value::Sensitive(inner), _) => remove_at(inner, steps),
        _ => {}
    }
}

fn remove_key(target: &mut Value, key: &str) {
    match target {
        Value::Object(m) => {
            m.remove(key);
        }
        Value::Sensitive(inner) => remove_key(inner, key),
        _ => {}
    }
}

fn set_at(target: &mut Value, steps: &[PathStep], v: Value) {
    let Some((first, rest)) = steps.split_first() else {
        *target = v;
        return;
    };
    match (target, first) {
        (Value::Object(m), PathStep::Attr(k)) => {
            if rest.is_empty() {
                m.insert(k.clone(), v);
            } else if let Some(child) = m.get_mut(k) {
                set_at(child, rest, v);
            }
        }
        (Value::List(l), PathStep::Index(i)) => {
            if let Some(child) = l.get_mut(*i) {
                set_at(child, rest, v);
            }
        }
        (Value::Sensitive(inner), _) => set_at(inner, steps, v),
        _ => {}
    }
}

/// Decides the action from the prior and planned values.
pub fn diff(
    address: InstanceAddr,
    prior: Option<&Value>,
    planned: Planned,
    res: &Resource,
) -> Change {
    let (action, replace_paths) = match prior {
        None => (Action::Create, Vec::new()),
        Some(_) if !planned.requires_replace.is_empty() => {
            (Action::Replace, planned.requires_replace.clone())
        }
        Some(p)
            if planned.value.is_wholly_known()
                && planned.value.same_as(p)
                && marks_equal(p, &planned.value) =>
        {
            (Action::NoOp, Vec::new())
        }
        Some(_) => (Action::Update, Vec::new()),
    };
    Change {
        address,
        action,
        // A change that changes nothing is not kept: no need to copy.
        before: if action == Action::NoOp {
            None
        } else {
            prior.cloned()
        },
        after: Some(planned.value),
        replace_paths,
        create_before_destroy: action == Action::Replace && res.lifecycle.create_before_destroy,
        reason: None,
        previous_address: None,
        importing: None,
    }
}

/// Whether two values carry sensitive marks in the same places (a value
/// becoming sensitive is a change to record).
fn marks_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Sensitive(x), Value::Sensitive(y)) => marks_equal(x, y),
        (Value::Sensitive(_), _) | (_, Value::Sensitive(_)) => false,
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| marks_equal(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.values().zip(y.values()).all(|(p, q)| marks_equal(p, q))
        }
        _ => true,
    }
}
