//! Computing a plan: refresh, then walk the project graph in dependency
//! order planning each resource's instances, then delete what the
//! definitions no longer produce.

use super::conditions::Phase;
use super::model::{Action, Change, OutputChange, PLAN_FORMAT_VERSION, Plan, PriorState, Reason};
use super::moves::{self, Moves};
use super::refresh::{Reads, Refreshed, drift_of, refresh};
use super::target::Target;
use crate::address::{InstanceAddr, InstanceKey, Mode, ResourceAddr};
use crate::config::Resource;
use crate::diag::{Diagnostic, Diagnostics, Span};
use crate::eval::{EnvValues, ProjectGraph};
use crate::provider::{self, Registry};
use crate::state::EnvState;
use crate::value::{Secret, Value};
use std::collections::BTreeMap;

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
    /// `--target`: keep only the changes of these resources and of what
    /// they depend on (see [`super::target`]); empty plans everything.
    pub targets: Vec<Target>,
    /// Keep the objects that stay as they are in
    /// [`Plan::unchanged_objects`] (the JSON view, saved plans and
    /// policies read them); without it only their number is kept, which
    /// spares a no-op plan two copies of every object.
    pub keep_unchanged: bool,
}

/// Plans environment `values.env` against `state`; `reads` is told of
/// each object refresh reads back.
pub async fn plan(
    graph: &ProjectGraph<'_>,
    mut values: EnvValues<'_, '_>,
    state: &EnvState,
    registry: &Registry,
    opts: &PlanOptions,
    reads: &dyn Reads,
) -> Result<(Plan, Diagnostics), Diagnostics> {
    let project = graph.project;
    let mut diags = Diagnostics::default();
    let recorded = |r: &ResourceAddr| state.resource(r).is_some();
    if let Err(message) = super::target::check(&opts.targets, graph, &recorded) {
        diags.push(Diagnostic::error("plan::target", message));
        return Err(diags);
    }
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
        refresh(state, registry, &ctx, opts.parallelism, reads).await?
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
    let seen: foldhash::HashSet<InstanceAddr>;
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
        let walked = super::walk::plan_graph(
            graph,
            &mut values,
            super::walk::Inputs {
                state,
                refreshed: &refreshed,
                registry,
                ctx: &ctx,
                opts,
                moves: &moves,
            },
            &mut diags,
        )
        .await;
        changes = walked.changes;
        seen = walked.seen;
        unchanged = walked.unchanged;
        unchanged_objects = walked.unchanged_objects;
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
                    c.create_before_destroy = cbd.contains(&c.address.resource);
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
    let mut plan = Plan {
        format_version: PLAN_FORMAT_VERSION,
        terrace_version: env!("CARGO_PKG_VERSION").to_string(),
        environment: values.env.name.clone(),
        project: project.name.clone(),
        // The time plantimestamp() gives, so a saved plan can restore it.
        created_at: values.plan_time().to_string(),
        created_by: String::new(),
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
        // What `var.NAME` was: applying the saved plan uses exactly these.
        variables: values
            .project_vars()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        targets: Vec::new(),
        unchanged_objects,
        // Filled in only for a saved plan or the JSON view
        // (`ops::plan::describe`): a large project's tree costs time.
        configuration: serde_json::Value::Null,
        replace: opts.replace.iter().map(ToString::to_string).collect(),
        refresh: opts.refresh,
        policies: Vec::new(),
    };
    // A plan that apply could not order is never produced. Only deletes
    // (and the deletes of replacements) add steps or edges to the
    // definitions' own order, which has no cycle: without them there is
    // nothing to check.
    let deletes = plan
        .changes
        .iter()
        .any(|c| matches!(c.action, Action::Replace | Action::Delete));
    if deletes && let Err(e) = super::order::build(graph, &plan, state) {
        diags.push(e.diagnostic("plan::order"));
        return Err(diags);
    }
    super::target::narrow(&mut plan, graph, &opts.targets);
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
    let c = graph.config_id(&addr.config)?;
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

pub(super) fn prevent_destroy(addr: &InstanceAddr, span: Span) -> Diagnostic {
    Diagnostic::error(
        "plan::prevent_destroy",
        format!("{addr} cannot be destroyed: its lifecycle has prevent_destroy = true"),
    )
    .label(span, "protected here")
    .help("remove prevent_destroy (or set it to false) if destroying it is really intended")
}

/// The resource block at `addr`, if the definitions still have it.
pub fn find_resource<'p>(graph: &ProjectGraph<'p>, addr: &ResourceAddr) -> Option<&'p Resource> {
    let c = graph.config_id(&addr.config)?;
    let i =
        graph
            .names_of(c)
            .resources
            .get(&(addr.mode, addr.type_name.clone(), addr.name.clone()))?;
    Some(&graph.arch(c).resources[*i])
}

fn output_changes(
    graph: &ProjectGraph<'_>,
    values: &EnvValues<'_, '_>,
    state: &EnvState,
) -> Vec<OutputChange> {
    let mut out = Vec::new();
    let mut defined: BTreeMap<(&str, &str), ()> = BTreeMap::new();
    for (c, conf) in graph.project.configurations.iter_enumerated() {
        let prior = state.configs.get(&conf.name);
        for (o, def) in graph.arch(c).outputs.iter_enumerated() {
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
