//! Computing a plan: refresh every recorded object through its provider,
//! evaluate the definitions in dependency order, and diff each object's
//! planned value against what exists.

use super::model::{
    Action, Change, Drift, OutputChange, PLAN_FORMAT_VERSION, Plan, PriorState, Reason,
};
use crate::address::{InstanceAddr, InstanceKey, Mode, ResourceAddr};
use crate::config::{IgnoreChanges, Resource};
use crate::diag::{Diagnostic, Diagnostics, Span};
use crate::eval::{EnvValues, Instance, Node, ProjectGraph};
use crate::graph::NodeId;
use crate::provider::{self, Planned, Provider, Registry, SchemaError};
use crate::state::EnvState;
use crate::value::{Map, Path, PathStep, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// How to plan.
#[derive(Debug, Clone)]
pub struct PlanOptions {
    /// Read every recorded object back first.
    pub refresh: bool,
    /// Plan to delete everything.
    pub destroy: bool,
    /// Provider reads at once during refresh.
    pub parallelism: usize,
}

/// What refreshing found: objects that changed or vanished.
pub type Refreshed = HashMap<InstanceAddr, Option<Value>>;

/// Reads every recorded object back; returns those that differ.
pub async fn refresh(
    state: &EnvState,
    registry: &Registry,
    ctx: &provider::Context,
    parallelism: usize,
) -> Result<Refreshed, Diagnostics> {
    let semaphore = Arc::new(tokio::sync::Semaphore::new(parallelism.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    let mut diags = Diagnostics::default();
    for (addr, res, inst) in state.instances() {
        if res.mode != Mode::Managed {
            continue;
        }
        let Some(p) = registry.get(&res.type_name).cloned() else {
            diags.push(Diagnostic::error(
                "plan::unknown_type",
                format!(
                    "{addr} in state has type \"{}\", which this terrace does not provide",
                    res.type_name
                ),
            ));
            continue;
        };
        // An object with no effect outside terrace cannot change behind its back.
        if !p.has_side_effects() {
            continue;
        }
        let current = inst.attributes.clone();
        let ctx = ctx.clone();
        let sem = semaphore.clone();
        tasks.spawn(async move {
            let _permit = sem.acquire_owned().await;
            let result = p.read(current.clone(), &ctx).await;
            (addr, current, result)
        });
    }
    let mut out = Refreshed::new();
    tracing::debug!(objects = tasks.len(), "refreshing");
    while let Some(joined) = tasks.join_next().await {
        let Ok((addr, current, result)) = joined else {
            diags.push(Diagnostic::error(
                "plan::refresh",
                "a refresh task stopped unexpectedly",
            ));
            continue;
        };
        match result {
            Ok(Some(v)) if v.same_as(&current) => {}
            Ok(v) => {
                tracing::debug!(address = %addr, gone = v.is_none(), "changed outside terrace");
                out.insert(addr, v);
            }
            Err(e) => diags.push(
                Diagnostic::error("plan::refresh", format!("cannot read {addr}: {e}"))
                    .help("fix the cause, or plan with --refresh=false to use the recorded state as it is"),
            ),
        }
    }
    if diags.has_errors() {
        Err(diags)
    } else {
        Ok(out)
    }
}

/// Plans environment `values.env` against `state`.
pub async fn plan(
    graph: &ProjectGraph<'_>,
    mut values: EnvValues<'_, '_>,
    state: &EnvState,
    registry: &Registry,
    opts: &PlanOptions,
) -> Result<(Plan, Diagnostics), Diagnostics> {
    let project = graph.project;
    let ctx = provider::Context {
        project_root: project.root.clone(),
    };
    let refreshed = if opts.refresh {
        refresh(state, registry, &ctx, opts.parallelism).await?
    } else {
        Refreshed::new()
    };
    let current = |addr: &InstanceAddr| -> Option<&Value> {
        match refreshed.get(addr) {
            Some(v) => v.as_ref(),
            None => state.instance(addr).map(|i| &i.attributes),
        }
    };
    let mut diags = Diagnostics::default();
    let mut changes: Vec<Change> = Vec::new();
    let mut seen: HashSet<InstanceAddr> = HashSet::new();
    let mut unchanged = 0;
    let mut outputs = Vec::new();

    if opts.destroy {
        for (addr, res, _) in state.instances() {
            if res.mode != Mode::Managed {
                continue;
            }
            if let Some(r) = find_resource(graph, &addr.resource)
                && r.lifecycle.prevent_destroy
            {
                diags.push(prevent_destroy(&addr, r.span));
            }
            if let Some(before) = current(&addr) {
                changes.push(delete(addr.clone(), before.clone(), Reason::Destroy));
            }
        }
        for c in state.configs.values() {
            for (name, o) in &c.outputs {
                outputs.push(OutputChange {
                    configuration: c.configuration.clone(),
                    name: name.clone(),
                    action: Action::Delete,
                    before: Some(o.value.clone()),
                    after: None,
                    sensitive: o.sensitive,
                });
            }
        }
    } else {
        // Data sources wait for apply when a resource they depend on changes.
        let resource_deps = graph.resource_dependencies();
        let mut pending: HashSet<NodeId> = HashSet::new();
        for &id in &graph.order {
            match graph.node(id) {
                Node::Resource(c, r) => {
                    let defer = resource_deps
                        .get(&id)
                        .is_some_and(|deps| deps.iter().any(|d| pending.contains(d)));
                    let rc = ResourceCtx {
                        graph,
                        values: &values,
                        registry,
                        ctx: &ctx,
                        current: &current,
                    };
                    let Some(planned) = plan_resource(&rc, c, r, defer, &mut diags).await else {
                        values.fail_resource(c, r);
                        continue;
                    };
                    let mut instances = Vec::with_capacity(planned.len());
                    for (mut change, key) in planned {
                        seen.insert(change.address.clone());
                        if change.action == Action::NoOp {
                            instances.push((key, change.after.take().unwrap_or(Value::Null)));
                            unchanged += 1;
                        } else {
                            instances.push((key, change.after.clone().unwrap_or(Value::Null)));
                            pending.insert(id);
                            changes.push(change);
                        }
                    }
                    values.set_resource(c, r, instances);
                }
                _ => {
                    if let Err(d) = values.eval_node(id) {
                        diags.extend(d);
                    }
                }
            }
        }
        // Objects in state that the definitions no longer produce.
        for (addr, res, _) in state.instances() {
            if res.mode != Mode::Managed || seen.contains(&addr) {
                continue;
            }
            let reason = match find_resource(graph, &addr.resource) {
                None if project.configuration(&addr.resource.config).is_none() => {
                    Reason::ConfigurationRemoved
                }
                None => Reason::NotInConfiguration,
                Some(r) => {
                    if r.lifecycle.prevent_destroy {
                        diags.push(prevent_destroy(&addr, r.span));
                    }
                    if r.count.is_some() {
                        Reason::CountIndex
                    } else {
                        Reason::EachKey
                    }
                }
            };
            if let Some(before) = current(&addr) {
                changes.push(delete(addr, before.clone(), reason));
            }
        }
        outputs = output_changes(graph, &values, state);
    }
    outputs.sort_by(|a, b| (&a.configuration, &a.name).cmp(&(&b.configuration, &b.name)));
    if diags.has_errors() {
        return Err(diags);
    }
    changes.sort_by(|a, b| a.address.cmp(&b.address));
    for c in &changes {
        tracing::trace!(address = %c.address, action = ?c.action, "planned");
    }
    tracing::debug!(
        changes = changes.len(),
        unchanged,
        drift = refreshed.len(),
        "planned"
    );
    let mut drift: Vec<Drift> = refreshed
        .into_iter()
        .filter_map(|(address, after)| {
            let before = state.instance(&address)?.attributes.clone();
            Some(Drift {
                address,
                before,
                after,
            })
        })
        .collect();
    drift.sort_by(|a, b| a.address.cmp(&b.address));
    let warnings = state
        .unfinished()
        .map(|u| {
            format!(
                "{} of {} started at {} and never finished (terrace stopped during apply): the object may exist. \
                 This plan treats it as recorded; check it and re-apply to settle it.",
                u.action, u.address, u.started_at
            )
        })
        .collect();
    let plan = Plan {
        format_version: PLAN_FORMAT_VERSION,
        terrace_version: env!("CARGO_PKG_VERSION").to_string(),
        environment: values.env.name.clone(),
        created_at: jiff::Timestamp::now().to_string(),
        destroy: opts.destroy,
        definitions_hash: project.definitions_hash.clone(),
        prior: state
            .configs
            .iter()
            .map(|(k, c)| {
                (
                    k.clone(),
                    PriorState {
                        serial: c.serial,
                        lineage: c.lineage.clone(),
                    },
                )
            })
            .collect(),
        changes,
        unchanged,
        drift,
        outputs,
        warnings,
    };
    Ok((plan, diags))
}

fn delete(address: InstanceAddr, before: Value, reason: Reason) -> Change {
    Change {
        address,
        action: Action::Delete,
        before: Some(before),
        after: None,
        replace_paths: Vec::new(),
        create_before_destroy: false,
        reason: Some(reason),
    }
}

fn prevent_destroy(addr: &InstanceAddr, span: Span) -> Diagnostic {
    Diagnostic::error(
        "plan::prevent_destroy",
        format!("{addr} cannot be destroyed: its lifecycle has prevent_destroy = true"),
    )
    .label(span, "protected here")
    .help("remove prevent_destroy (or set it to false) if destroying it is really intended")
}

/// The resource block at `addr`, if the definitions still have it.
pub fn find_resource<'p>(graph: &ProjectGraph<'p>, addr: &ResourceAddr) -> Option<&'p Resource> {
    let c = graph
        .project
        .configurations
        .iter()
        .position(|c| c.name == addr.config)?;
    let i =
        graph
            .names_of(c)
            .resources
            .get(&(addr.mode, addr.type_name.clone(), addr.name.clone()))?;
    Some(&graph.arch(c).resources[*i])
}

/// What planning one resource needs.
struct ResourceCtx<'a, 'g, 'p, 's> {
    graph: &'a ProjectGraph<'p>,
    values: &'a EnvValues<'g, 'p>,
    registry: &'a Registry,
    ctx: &'a provider::Context,
    current: &'a dyn Fn(&InstanceAddr) -> Option<&'s Value>,
}

/// Plans every instance of resource `r` of configuration `c`; `None` when
/// it cannot be planned (the diagnostics say why). A data source is read
/// now unless `defer_reads`.
async fn plan_resource(
    rc: &ResourceCtx<'_, '_, '_, '_>,
    c: usize,
    r: usize,
    defer_reads: bool,
    diags: &mut Diagnostics,
) -> Option<Vec<(Change, Option<InstanceKey>)>> {
    let res = &rc.graph.arch(c).resources[r];
    let addr = rc.graph.resource_addr(c, r);
    // An unknown type is reported by `check_schemas`.
    let p = rc.registry.get(&res.type_name)?;
    let instances = match rc.values.expand(c, r) {
        Ok(i) => i,
        Err(d) => {
            diags.push(d);
            return None;
        }
    };
    let mut out = Vec::with_capacity(instances.len());
    let mut failed = false;
    for inst in instances {
        let iaddr = addr.instance(inst.key.clone());
        let prior = (rc.current)(&iaddr);
        let planned = match prepare(rc.values, c, r, &inst, p.as_ref(), prior, rc.ctx).await {
            Ok(planned) => planned,
            Err(d) => {
                diags.extend(d);
                failed = true;
                continue;
            }
        };
        let change = if res.mode == Mode::Data {
            match read_data(p.as_ref(), planned.value, defer_reads, rc.ctx).await {
                Ok((action, value)) => Change {
                    address: iaddr,
                    action,
                    before: None,
                    after: Some(value),
                    replace_paths: Vec::new(),
                    create_before_destroy: false,
                    reason: None,
                },
                Err(e) => {
                    diags.push(
                        Diagnostic::error("plan::data", format!("{iaddr}: {e}"))
                            .label(res.span, "reading this"),
                    );
                    failed = true;
                    continue;
                }
            }
        } else {
            let change = diff(iaddr, prior, planned, res);
            if res.lifecycle.prevent_destroy
                && matches!(change.action, Action::Replace | Action::Delete)
            {
                diags.push(prevent_destroy(&change.address, res.span));
            }
            change
        };
        out.push((change, inst.key));
    }
    (!failed).then_some(out)
}

/// Evaluates one instance's arguments, checks them against the schema,
/// applies `ignore_changes`, and asks the provider for the planned value.
/// Plan and apply both use it: apply plans again with known values.
pub async fn prepare(
    values: &EnvValues<'_, '_>,
    c: usize,
    r: usize,
    inst: &Instance,
    p: &dyn Provider,
    prior: Option<&Value>,
    ctx: &provider::Context,
) -> Result<Planned, Diagnostics> {
    let res = &values.graph.arch(c).resources[r];
    let addr = values.graph.resource_addr(c, r).instance(inst.key.clone());
    let config = values.eval_instance(c, r, inst)?;
    let schema = schema_of(p, res.mode).ok_or_else(|| no_data_source(res))?;
    let mut args = schema
        .conform(config)
        .map_err(|errs| schema_diags(res, &errs))?;
    if let Some(prior) = prior {
        ignore_changes(&mut args, prior, &res.lifecycle.ignore_changes, p);
    }
    if res.mode == Mode::Data {
        return Ok(Planned {
            value: Value::Object(args),
            requires_replace: Vec::new(),
        });
    }
    let fail = |e: provider::ProviderError| {
        Diagnostics::from(
            Diagnostic::error("plan::provider", format!("{addr}: {e}"))
                .label(res.span, "in this resource")
                .help("fix the resource's arguments"),
        )
    };
    let planned = p
        .plan(Value::Object(args.clone()), prior, ctx)
        .await
        .map_err(fail)?;
    if planned.requires_replace.is_empty() {
        return Ok(planned);
    }
    // A replacement is a new object: plan it as one, as Terraform does.
    let fresh = p.plan(Value::Object(args), None, ctx).await.map_err(fail)?;
    Ok(Planned {
        value: fresh.value,
        requires_replace: planned.requires_replace,
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
    let (plain, marked) = args.deep_unmark();
    Ok((Action::NoOp, p.read_data(plain, ctx).await?.mark_if(marked)))
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
                if let Some(old) = prior.at(path) {
                    let mut whole = Value::Object(std::mem::take(args));
                    set_at(&mut whole, path.steps(), old.clone());
                    if let Value::Object(m) = whole {
                        *args = m;
                    }
                }
            }
        }
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

fn output_changes(
    graph: &ProjectGraph<'_>,
    values: &EnvValues<'_, '_>,
    state: &EnvState,
) -> Vec<OutputChange> {
    let mut out = Vec::new();
    let mut defined: BTreeMap<(&str, &str), ()> = BTreeMap::new();
    for (c, conf) in graph.project.configurations.iter().enumerate() {
        let prior = state.configs.get(&conf.name);
        for (o, def) in graph.arch(c).outputs.iter().enumerate() {
            defined.insert((conf.name.as_str(), def.name.as_str()), ());
            let after = values.output(c, o).clone();
            let before = prior
                .and_then(|p| p.outputs.get(&def.name))
                .map(|x| x.value.clone());
            let action = match &before {
                None => Action::Create,
                Some(b) if after.is_wholly_known() && b.same_as(&after) => Action::NoOp,
                Some(_) => Action::Update,
            };
            out.push(OutputChange {
                configuration: conf.name.clone(),
                name: def.name.clone(),
                action,
                before,
                after: Some(after),
                sensitive: def.sensitive,
            });
        }
    }
    for c in state.configs.values() {
        for (name, o) in &c.outputs {
            if !defined.contains_key(&(c.configuration.as_str(), name.as_str())) {
                out.push(OutputChange {
                    configuration: c.configuration.clone(),
                    name: name.clone(),
                    action: Action::Delete,
                    before: Some(o.value.clone()),
                    after: None,
                    sensitive: o.sensitive,
                });
            }
        }
    }
    out
}

/// Checks every resource block against its provider's schema, before any
/// evaluation: unknown type, unknown or computed arguments, missing
/// required ones.
pub fn check_schemas(graph: &ProjectGraph<'_>, registry: &Registry) -> Diagnostics {
    let mut diags = Diagnostics::default();
    for c in 0..graph.project.configurations.len() {
        for r in 0..graph.arch(c).resources.len() {
            diags.extend(check_resource(graph, c, r, registry));
        }
    }
    diags
}

fn check_resource(
    graph: &ProjectGraph<'_>,
    c: usize,
    r: usize,
    registry: &Registry,
) -> Diagnostics {
    let res = &graph.arch(c).resources[r];
    let mut diags = Diagnostics::default();
    let Some(p) = registry.get(&res.type_name) else {
        let mut d = Diagnostic::error(
            "config::unknown_type",
            format!("unknown resource type \"{}\"", res.type_name),
        )
        .label(res.span, "no provider for this type");
        d = d.help(
            match crate::diag::did_you_mean(&res.type_name, registry.names()) {
                Some(s) => format!("did you mean \"{s}\"?"),
                None => format!(
                    "available types: {}",
                    registry.names().collect::<Vec<_>>().join(", ")
                ),
            },
        );
        diags.push(d);
        return diags;
    };
    let Some(schema) = schema_of(p.as_ref(), res.mode) else {
        diags.push(no_data_source(res));
        return diags;
    };
    let errors = schema.check_names(res.attrs.iter().map(|a| a.name.as_str()));
    diags.extend(schema_diags(res, &errors));
    if let IgnoreChanges::Paths(paths) = &res.lifecycle.ignore_changes {
        for (path, span) in paths {
            let name = path.first_attr().unwrap_or_default();
            if !schema.arguments().any(|a| a == name) {
                let mut d = Diagnostic::error(
                    "config::invalid_ignore_changes",
                    format!(
                        "ignore_changes names \"{name}\", which is not an argument of {}",
                        res.type_name
                    ),
                )
                .label(*span, "not an argument");
                if let Some(s) = crate::diag::did_you_mean(name, schema.arguments()) {
                    d = d.help(format!("did you mean \"{s}\"?"));
                }
                diags.push(d);
            }
        }
    }
    diags
}

/// The schema that checks a block: the type's, or its data source's.
fn schema_of(p: &dyn Provider, mode: Mode) -> Option<&provider::Schema> {
    match mode {
        Mode::Managed => Some(p.schema()),
        Mode::Data => p.data_schema(),
    }
}

fn no_data_source(res: &Resource) -> Diagnostic {
    Diagnostic::error(
        "config::no_data_source",
        format!("type \"{}\" has no data source", res.type_name),
    )
    .label(res.span, "here")
    .help("the data sources are: file")
}

fn schema_diags(res: &Resource, errors: &[SchemaError]) -> Diagnostics {
    let mut diags = Diagnostics::default();
    let span_of = |name: &str| {
        res.attrs
            .iter()
            .find(|a| a.name == name)
            .map_or(res.span, |a| a.name_span)
    };
    let value_span = |name: &str| {
        res.attrs
            .iter()
            .find(|a| a.name == name)
            .map_or(res.span, |a| a.expr.span)
    };
    for e in errors {
        diags.push(match e {
            SchemaError::Unknown { name, suggestion } => Diagnostic::error(
                "config::unknown_argument",
                format!("{} has no argument \"{name}\"", res.type_name),
            )
            .label(span_of(name), "unknown argument")
            .help(match suggestion {
                Some(s) => format!("did you mean \"{s}\"?"),
                None => "see docs/language.md for the arguments of each type".into(),
            }),
            SchemaError::Computed { name } => Diagnostic::error(
                "config::computed_argument",
                format!(
                    "\"{name}\" of {} is set by terrace and cannot be configured",
                    res.type_name
                ),
            )
            .label(span_of(name), "remove this")
            .help(format!(
                "read it as {}.{}.{name} instead",
                res.type_name, res.name
            )),
            SchemaError::Missing { name } => Diagnostic::error(
                "config::missing_argument",
                format!("{} needs the argument \"{name}\"", res.type_name),
            )
            .label(res.span, "in this resource")
            .help(format!("add `{name} = …`")),
            SchemaError::WrongType {
                name,
                expected,
                got,
            } => Diagnostic::error(
                "config::wrong_type",
                format!(
                    "argument \"{name}\" of {} must be a {expected}: {got}",
                    res.type_name
                ),
            )
            .label(value_span(name), format!("expected {expected}")),
        });
    }
    diags
}

/// Whether `value` agrees with `planned` wherever `planned` is known.
pub fn conforms(value: &Value, planned: &Value) -> bool {
    match (value.unmark().0, planned.unmark().0) {
        (_, Value::Unknown) => true,
        (Value::List(a), Value::List(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| conforms(x, y))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|((ka, va), (kb, vb))| ka == kb && conforms(va, vb))
        }
        (a, b) => a.same_as(b),
    }
}

/// The first path where `value` and `planned` disagree, for messages.
pub fn first_difference(value: &Value, planned: &Value, at: Path) -> Option<Path> {
    match (value.unmark().0, planned.unmark().0) {
        (_, Value::Unknown) => None,
        (Value::Object(a), Value::Object(b)) => {
            for (k, vb) in b {
                let child = at.child(PathStep::Attr(k.clone()));
                match a.get(k) {
                    Some(va) => {
                        if let Some(p) = first_difference(va, vb, child) {
                            return Some(p);
                        }
                    }
                    None => return Some(child),
                }
            }
            a.keys()
                .find(|k| !b.contains_key(*k))
                .map(|k| at.child(PathStep::Attr(k.clone())))
        }
        (a, b) if conforms(a, b) => None,
        _ => Some(at),
    }
}
