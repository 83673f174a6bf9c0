//! Computing a plan: refresh, then walk the project graph in dependency
//! order planning each resource's instances, then delete what the
//! definitions no longer produce.

use super::conditions::{Kind as ConditionKind, Phase, check as check_conditions};
use super::instance::{diff, prepare, read_data};
use super::model::{Action, Change, OutputChange, PLAN_FORMAT_VERSION, Plan, PriorState, Reason};
use super::moves::{self, Moves};
use super::refresh::{Refreshed, drift_of, refresh};
use super::triggers::triggered;
use crate::address::{InstanceAddr, InstanceKey, Mode, ResourceAddr};
use crate::config::Resource;
use crate::diag::{Diagnostic, Diagnostics, Span};
use crate::eval::{EnvValues, Node, ProjectGraph};
use crate::graph::NodeId;
use crate::provider::{self, Registry};
use crate::state::EnvState;
use crate::value::{Secret, Value};
use std::collections::{BTreeMap, HashSet};

/// How to plan.
#[derive(Debug, Clone)]
pub struct PlanOptions {
    /// Read every recorded object back first.
    pub refresh: bool,
    /// Plan to delete everything.
    pub destroy: bool,
    /// Provider reads at once during refresh.
    pub parallelism: usize,
    /// The environment's credential, for providers that read remote objects.
    pub authorization: Option<Secret>,
    /// Read no data source but local files: the others are left for
    /// apply, their attributes unknown (`validate`, which must not reach
    /// the network).
    pub defer_data: bool,
    /// `--replace`: objects to replace even when nothing forces it.
    pub replace: Vec<InstanceAddr>,
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
    let mut diags = Diagnostics::default();
    // `moved` blocks (and adding or removing `count`) re-address recorded
    // objects before anything is compared.
    let (moved_state, moves) = if moves::needed(graph, state) {
        let (s, m) = moves::resolve(graph, state, &mut diags);
        (Some(s), m)
    } else {
        (None, Moves::default())
    };
    let state: &EnvState = moved_state.as_ref().unwrap_or(state);
    check_removed(graph, &mut diags);
    check_imports(graph, &mut diags);
    let ctx = provider::Context {
        project_root: project.root.clone(),
        authorization: opts.authorization.clone(),
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
    let mut changes: Vec<Change> = Vec::new();
    let mut seen: HashSet<InstanceAddr> = HashSet::new();
    let mut unchanged = 0;
    let mut unchanged_objects: Vec<Change> = Vec::new();
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
                let mut change = delete(addr.clone(), before.clone(), Reason::Destroy);
                change.previous_address = moves.previous.get(&addr).cloned();
                changes.push(change);
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
                    let remote = graph.arch(c).resources[r].type_name != "file";
                    let defer = (opts.defer_data && remote)
                        || resource_deps
                            .get(&id)
                            .is_some_and(|deps| deps.iter().any(|d| pending.contains(d)));
                    let rc = ResourceCtx {
                        graph,
                        values: &values,
                        registry,
                        ctx: &ctx,
                        current: &current,
                        changes: &changes,
                        replace: &opts.replace,
                    };
                    let Some(planned) = plan_resource(&rc, c, r, defer, &mut diags).await else {
                        values.fail_resource(c, r);
                        continue;
                    };
                    let mut instances = Vec::with_capacity(planned.len());
                    for (mut change, key) in planned {
                        seen.insert(change.address.clone());
                        change.previous_address = moves.previous.get(&change.address).cloned();
                        if change.action == Action::NoOp
                            && change.previous_address.is_some()
                            && change.before.is_none()
                        {
                            change.before = current(&change.address).cloned();
                        }
                        if !change.is_change() {
                            instances.push((key, change.after.clone().unwrap_or(Value::Null)));
                            unchanged += 1;
                            if change.before.is_none() {
                                change.before = current(&change.address).cloned();
                            }
                            unchanged_objects.push(change);
                        } else {
                            instances.push((key, change.after.clone().unwrap_or(Value::Null)));
                            pending.insert(id);
                            changes.push(change);
                        }
                    }
                    values.set_resource(c, r, instances);
                }
                node => {
                    if let Err(d) = values.eval_node(id) {
                        diags.extend(d);
                    } else if let Node::Output(c, o) = node {
                        let out = &graph.arch(c).outputs[o];
                        let what =
                            format!("output {}.{}", project.configurations[c].name, out.name);
                        if let Err(d) = check_conditions(
                            &values,
                            c,
                            None,
                            None,
                            &out.preconditions,
                            ConditionKind::OutputPrecondition,
                            &what,
                            Phase::Plan,
                        ) {
                            diags.extend(d);
                        }
                    }
                }
            }
        }
        for (addr, span) in &moves.vacated {
            if seen.contains(addr) {
                diags.push(
                    Diagnostic::error(
                        "plan::moved_still_declared",
                        format!("this moves {addr}, but the definitions still declare it"),
                    )
                    .label(*span, "this move")
                    .help("change count or for_each so that the old instance is no longer produced, or remove the moved block"),
                );
            }
        }
        // Objects in state that the definitions no longer produce.
        for (addr, res, _) in state.instances() {
            if res.mode != Mode::Managed || seen.contains(&addr) {
                continue;
            }
            let forget = removed_block(graph, &addr.resource).is_some_and(|r| !r.destroy);
            let reason = match find_resource(graph, &addr.resource) {
                None if project.configuration(&addr.resource.config).is_none() => {
                    Reason::ConfigurationRemoved
                }
                None => Reason::NotInConfiguration,
                Some(r) => {
                    if r.lifecycle.prevent_destroy {
                        diags.push(prevent_destroy(&addr, r.span));
                    }
                    match (&addr.key, r.count.is_some(), r.for_each.is_some()) {
                        (Some(InstanceKey::Int(_)), true, _) => Reason::CountIndex,
                        (Some(InstanceKey::Str(_)), _, true) => Reason::EachKey,
                        _ => Reason::WrongRepetition,
                    }
                }
            };
            if let Some(before) = current(&addr) {
                let mut change = delete(addr, before.clone(), reason);
                if forget {
                    change.action = Action::Forget;
                }
                change.previous_address = moves.previous.get(&change.address).cloned();
                changes.push(change);
            }
        }
        outputs = output_changes(graph, &values, state);
        if !diags.has_errors() {
            diags.extend(super::conditions::run_checks(&values, Phase::Plan));
        }
    }
    outputs.sort_by(|a, b| (&a.configuration, &a.name).cmp(&(&b.configuration, &b.name)));
    if diags.has_errors() {
        return Err(diags);
    }
    if !opts.destroy {
        // `create_before_destroy` as Terraform spreads it: to dependencies.
        let cbd = super::order::create_before_destroy(graph);
        for c in &mut changes {
            match c.action {
                Action::Replace => {
                    c.create_before_destroy =
                        cbd.get(&c.address.resource).copied().unwrap_or(false);
                }
                // As it was when last applied (Terraform keeps it in state).
                Action::Delete => {
                    c.create_before_destroy = state
                        .resource(&c.address.resource)
                        .is_some_and(|r| r.create_before_destroy);
                }
                _ => {}
            }
        }
    }
    changes.sort_by(|a, b| a.address.cmp(&b.address));
    unchanged_objects.sort_by(|a, b| a.address.cmp(&b.address));
    for c in &changes {
        tracing::trace!(address = %c.address, action = ?c.action, "planned");
    }
    tracing::debug!(
        changes = changes.len(),
        unchanged,
        drift = refreshed.len(),
        "planned"
    );
    let drift = drift_of(refreshed, state);
    let warnings = state
        .unfinished()
        .map(|u| {
            let planned = changes
                .iter()
                .find(|c| c.address.to_string() == u.address)
                .map(|c| c.action);
            let does = match planned {
                Some(Action::Create) => {
                    "This plan creates it again: if the interrupted create did make it, check that it is not made twice."
                }
                Some(Action::Replace) => {
                    "This plan replaces it: if the interrupted operation did make a new object, check that it is not made twice."
                }
                Some(Action::Delete) => "This plan deletes it.",
                Some(Action::Update) => "This plan updates it as recorded.",
                _ => "This plan treats it as recorded; check it and re-apply to settle it.",
            };
            format!(
                "{} of {} started at {} and never finished (terrace stopped during apply): the object may exist. {does}",
                u.action, u.address, u.started_at
            )
        })
        .chain(forgotten_warning(&changes))
        .collect();
    let plan = Plan {
        format_version: PLAN_FORMAT_VERSION,
        terrace_version: env!("CARGO_PKG_VERSION").to_string(),
        environment: values.env.name.clone(),
        // The time plantimestamp() gives, so a saved plan can restore it.
        created_at: values.plan_time().to_string(),
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
        release: None,
        promoted_from: None,
        variables: BTreeMap::new(),
        targets: Vec::new(),
        unchanged_objects,
        configuration: crate::config::json::configuration(project),
        replace: opts.replace.iter().map(ToString::to_string).collect(),
        refresh: opts.refresh,
    };
    // A plan that apply could not order is never produced.
    if let Err(e) = super::order::build(graph, &plan, state) {
        diags.push(e.diagnostic("plan::order"));
        return Err(diags);
    }
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
        previous_address: None,
        importing: None,
    }
}

/// Terraform's warning for objects a plan drops from state.
fn forgotten_warning(changes: &[Change]) -> Option<String> {
    let forgotten: Vec<String> = changes
        .iter()
        .filter(|c| c.action == Action::Forget)
        .map(|c| format!(" - {}", c.address))
        .collect();
    (!forgotten.is_empty()).then(|| {
        format!(
            "Some objects will no longer be managed by terrace. Applying this plan drops them from the state but does not destroy them:\n{}\nterrace will no longer track or change them.",
            forgotten.join("\n")
        )
    })
}

/// The `removed` block for resource `addr`, if its architecture has one.
fn removed_block<'p>(
    graph: &ProjectGraph<'p>,
    addr: &ResourceAddr,
) -> Option<&'p crate::config::Removed> {
    let c = graph
        .project
        .configurations
        .iter()
        .position(|c| c.name == addr.config)?;
    graph.arch(c).removed.iter().find(|r| {
        addr.mode == Mode::Managed && r.from.type_name == addr.type_name && r.from.name == addr.name
    })
}

/// An `import` block must name a declared managed resource.
fn check_imports(graph: &ProjectGraph<'_>, diags: &mut Diagnostics) {
    for arch in &graph.project.architectures {
        for imp in &arch.imports {
            let key = (Mode::Managed, imp.to.type_name.clone(), imp.to.name.clone());
            if !arch.names.resources.contains_key(&key) {
                diags.push(
                    Diagnostic::error(
                        "plan::import_target",
                        format!("this imports into {}, which is not declared", imp.to),
                    )
                    .label(imp.to.span, "not declared")
                    .help(format!(
                        "declare `resource \"{}\" \"{}\" {{ … }}` with the object's arguments",
                        imp.to.type_name, imp.to.name
                    )),
                );
            }
        }
    }
}

/// The `import` block that targets instance `inst` of `res`, if any.
fn import_block<'p>(
    rc: &ResourceCtx<'_, '_, 'p, '_>,
    c: usize,
    res: &Resource,
    inst: &crate::eval::Instance,
) -> Option<&'p crate::config::Import> {
    rc.graph.arch(c).imports.iter().find(|i| {
        res.mode == Mode::Managed
            && i.to.type_name == res.type_name
            && i.to.name == res.name
            && i.to.key == inst.key
    })
}

/// Reads the object an `import` block names: its id and its value.
async fn import(
    rc: &ResourceCtx<'_, '_, '_, '_>,
    c: usize,
    r: usize,
    inst: &crate::eval::Instance,
    p: &dyn provider::Provider,
    imp: &crate::config::Import,
) -> Result<(String, Value), Diagnostic> {
    let id = match rc.values.eval_in(c, Some(inst), &imp.id) {
        Ok(Value::String(s)) => s,
        Ok(Value::Unknown) => {
            return Err(Diagnostic::error(
                "plan::import",
                "the import id is not known when planning",
            )
            .label(imp.id.span, "this id")
            .help("compute the id from variables and literals, not from other resources"));
        }
        Ok(other) => {
            return Err(Diagnostic::error(
                "plan::import",
                format!("an import id is a string, not {}", other.type_name()),
            )
            .label(imp.id.span, "this id"));
        }
        Err(e) => return Err(e.into_diagnostic()),
    };
    let config = prepare(rc.values, c, r, inst, p, None, rc.ctx)
        .await
        .map_err(|d| {
            d.iter().next().cloned().unwrap_or_else(|| {
                Diagnostic::error("plan::import", "the resource's arguments are invalid")
            })
        })?;
    match p.import(config.value, id.clone(), rc.ctx).await {
        Ok(Some(v)) => Ok((id, v)),
        Ok(None) => Err(Diagnostic::error(
            "plan::import",
            format!("there is no {} with id \"{id}\" to import", p.type_name()),
        )
        .label(imp.span, "this import")
        .help("check the id: for a file it is the path, for http the object's id, for command what read expects")),
        Err(e) => Err(Diagnostic::error(
            "plan::import",
            format!("cannot import {} \"{id}\": {e}", p.type_name()),
        )
        .label(imp.span, "this import")),
    }
}

/// A `removed` block must name a resource the definitions no longer declare.
fn check_removed(graph: &ProjectGraph<'_>, diags: &mut Diagnostics) {
    for arch in &graph.project.architectures {
        for r in &arch.removed {
            let key = (Mode::Managed, r.from.type_name.clone(), r.from.name.clone());
            if let Some(&i) = arch.names.resources.get(&key) {
                diags.push(
                    Diagnostic::error(
                        "plan::removed_still_declared",
                        format!("this says {} was removed, but it is still declared", r.from),
                    )
                    .label(r.span, "this removed block")
                    .label(arch.resources[i].span, "still declared here")
                    .help("remove the resource block, or remove the removed block"),
                );
            }
        }
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
    /// The changes planned so far (for `replace_triggered_by`).
    changes: &'a [Change],
    replace: &'a [InstanceAddr],
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
            // An unknown count after an earlier error is that error's echo.
            let echo = matches!(d.code, "eval::unknown_count" | "eval::unknown_for_each");
            if !(echo && diags.has_errors()) {
                diags.push(d);
            }
            return None;
        }
    };
    let mut out = Vec::with_capacity(instances.len());
    let mut failed = false;
    for inst in instances {
        let iaddr = addr.instance(inst.key.clone());
        let recorded = (rc.current)(&iaddr);
        let imported = match import_block(rc, c, res, &inst) {
            Some(imp) if recorded.is_none() => {
                match import(rc, c, r, &inst, p.as_ref(), imp).await {
                    Ok(found) => Some(found),
                    Err(d) => {
                        diags.push(d);
                        failed = true;
                        continue;
                    }
                }
            }
            _ => None,
        };
        let prior = match &imported {
            Some((_, v)) => Some(v),
            None => recorded,
        };
        if let Err(d) = check_conditions(
            rc.values,
            c,
            Some(&inst),
            None,
            &res.lifecycle.preconditions,
            ConditionKind::ResourcePrecondition,
            &iaddr.to_string(),
            Phase::Plan,
        ) {
            diags.extend(d);
            failed = true;
            continue;
        }
        // `--replace`: planned as a new object, whatever changed.
        let forced = prior.is_some() && res.mode == Mode::Managed && rc.replace.contains(&iaddr);
        let basis = if forced { None } else { prior };
        let planned = match prepare(rc.values, c, r, &inst, p.as_ref(), basis, rc.ctx).await {
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
                    previous_address: None,
                    importing: None,
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
            let mut change = diff(iaddr, prior, planned, res);
            if forced {
                change.action = Action::Replace;
                change.before = prior.cloned();
                change.create_before_destroy = res.lifecycle.create_before_destroy;
                change.reason = Some(Reason::ReplaceByRequest);
            }
            if let Some((id, value)) = &imported {
                change.importing = Some(id.clone());
                change.before = Some(value.clone());
            }
            if prior.is_some()
                && matches!(change.action, Action::NoOp | Action::Update)
                && !res.lifecycle.replace_triggered_by.is_empty()
            {
                match triggered(rc.values, c, &inst, res, rc.changes) {
                    Ok(false) => {}
                    Ok(true) => {
                        // A replacement is a new object: plan it as one.
                        match prepare(rc.values, c, r, &inst, p.as_ref(), None, rc.ctx).await {
                            Ok(fresh) => {
                                change.action = Action::Replace;
                                change.before = prior.cloned();
                                change.after = Some(fresh.value);
                                change.create_before_destroy = res.lifecycle.create_before_destroy;
                                change.reason = Some(Reason::ReplaceByTriggers);
                            }
                            Err(d) => {
                                diags.extend(d);
                                failed = true;
                                continue;
                            }
                        }
                    }
                    Err(d) => {
                        diags.push(d);
                        failed = true;
                        continue;
                    }
                }
            }
            if let Some(after) = &change.after
                && let Err(d) = check_conditions(
                    rc.values,
                    c,
                    Some(&inst),
                    Some(after),
                    &res.lifecycle.postconditions,
                    ConditionKind::ResourcePostcondition,
                    &change.address.to_string(),
                    Phase::Plan,
                )
            {
                diags.extend(d);
                failed = true;
                continue;
            }
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
                // A null output is not a value to record (Terraform lists
                // no change for it).
                None if after.is_null() => Action::NoOp,
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
