//! Computing a plan: refresh, then walk the project graph in dependency
//! order planning each resource's instances, then delete what the
//! definitions no longer produce.

use super::instance::{diff, prepare, read_data};
use super::model::{Action, Change, OutputChange, PLAN_FORMAT_VERSION, Plan, PriorState, Reason};
use super::refresh::{Refreshed, drift_of, refresh};
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
                        replace: &opts.replace,
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
    let drift = drift_of(refreshed, state);
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
        release: None,
        promoted_from: None,
        variables: BTreeMap::new(),
        targets: Vec::new(),
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
        let prior = (rc.current)(&iaddr);
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
