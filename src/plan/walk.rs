//! The plan's walk over the project graph: a [`Visitor`] of
//! [`crate::graph::walk`]. Non-resource nodes are evaluated as they are
//! reached; a resource's instances are evaluated on the walker's task and
//! their provider calls (import, plan, data reads) run as jobs, so that
//! independent resources are planned concurrently, at most `parallelism`
//! calls at once. Results are gathered per instance and diagnostics per
//! node, and both come out in the graph's order, whatever order the calls
//! finished in: the plan is the same as a walk one node at a time.

use super::conditions::{Kind as ConditionKind, Phase, check as check_conditions};
use super::instance::{arguments, diff, plan_arguments, provider_diagnostics, read_data};
use super::model::{Action, Change, Reason};
use super::moves::Moves;
use super::planner::{PlanOptions, prevent_destroy};
use super::refresh::Refreshed;
use super::triggers::triggered;
use crate::address::{InstanceAddr, Mode};
use crate::config::Resource;
use crate::diag::{Diagnostic, Diagnostics};
use crate::eval::{EnvValues, Instance, Node, ProjectGraph};
use crate::graph::walk::{Job, LocalJob};
use crate::graph::{Cancel, NodeId, Visit, Visitor, walk};
use crate::ids::{ConfigId, IdVec, InstanceId, ResourceId};
use crate::provider::{self, Planned, Provider, ProviderError, Registry};
use crate::state::{EnvState, ResourceState};
use crate::value::{Map, Value};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// What the walk planned.
pub(super) struct Walked {
    pub changes: Vec<Change>,
    pub seen: foldhash::HashSet<InstanceAddr>,
    pub unchanged: usize,
    /// The objects that stay as they are, as `no-op` changes with `before`
    /// and `after` (the JSON view lists them).
    pub unchanged_objects: Vec<Change>,
}

/// Everything the walk reads.
pub(super) struct Inputs<'a> {
    pub state: &'a EnvState,
    pub refreshed: &'a Refreshed,
    pub registry: &'a Registry,
    pub ctx: &'a provider::Context,
    pub opts: &'a PlanOptions,
    pub moves: &'a Moves,
}

/// Walks `graph`, planning every resource and evaluating everything
/// else into `values`; diagnostics go to `diags` in the graph's order.
pub(super) async fn plan_graph<'a, 'g, 'p>(
    graph: &'a ProjectGraph<'p>,
    values: &'a mut EnvValues<'g, 'p>,
    inputs: Inputs<'a>,
    diags: &mut Diagnostics,
) -> Walked {
    let mut v = Planner {
        graph,
        values,
        ctx: Arc::new(inputs.ctx.clone()),
        inputs,
        resource_deps: graph.resource_dependencies(),
        pending: HashSet::new(),
        running: HashMap::new(),
        node_diags: HashMap::new(),
        out: Walked {
            changes: Vec::new(),
            seen: Default::default(),
            unchanged: 0,
            unchanged_objects: Vec::new(),
        },
    };
    let parallelism = v.inputs.opts.parallelism;
    walk(&graph.dag, parallelism, &Cancel::default(), &mut v).await;
    let Planner {
        mut node_diags,
        out,
        ..
    } = v;
    if !node_diags.is_empty() {
        for id in &graph.order {
            let Some(nd) = node_diags.remove(id) else {
                continue;
            };
            // An unknown count after an earlier error is that error's echo.
            if let Some(echo) = nd.echo
                && !diags.has_errors()
            {
                diags.push(echo);
            }
            diags.extend(nd.diags);
        }
    }
    out
}

/// A node's diagnostics, kept until the walk ends.
#[derive(Default)]
struct NodeDiags {
    /// Reported only when no earlier node failed.
    echo: Option<Diagnostic>,
    diags: Diagnostics,
}

struct Planner<'a, 'g, 'p> {
    graph: &'a ProjectGraph<'p>,
    values: &'a mut EnvValues<'g, 'p>,
    inputs: Inputs<'a>,
    ctx: Arc<provider::Context>,
    resource_deps: HashMap<NodeId, Vec<NodeId>>,
    /// Resources with a planned change: data sources that depend on one
    /// wait for apply.
    pending: HashSet<NodeId>,
    running: HashMap<NodeId, ResourcePlan<'a>>,
    node_diags: HashMap<NodeId, NodeDiags>,
    out: Walked,
}

/// A resource being planned.
struct ResourcePlan<'a> {
    c: ConfigId,
    r: ResourceId,
    /// What the state records for it, looked up once: a lookup by address
    /// searches the state's map of resources by strings.
    recorded: Option<&'a ResourceState>,
    provider: Arc<dyn Provider>,
    /// Data sources: read at apply.
    defer: bool,
    instances: IdVec<InstanceId, InstancePlan>,
    /// Jobs not yet answered.
    waiting: usize,
    /// A job stopped without an answer.
    lost: bool,
}

struct InstancePlan {
    inst: Instance,
    addr: InstanceAddr,
    diags: Diagnostics,
    failed: bool,
    /// `import`: the id, and the object read.
    import_id: Option<String>,
    imported: Option<Value>,
    /// `--replace`: planned as a new object.
    forced: bool,
    change: Option<Change>,
}

/// One provider call for one instance.
struct Ask {
    instance: InstanceId,
    provider: Arc<dyn Provider>,
    what: What,
}

enum What {
    /// Plan the arguments as a new object, then import it by id.
    Import(Map, String),
    /// Plan the arguments against the instance's prior object.
    Plan(Map),
    /// Plan the arguments as a new object (a triggered replacement).
    Fresh(Map),
    /// Read a data source (or defer it).
    Read(Value, bool),
}

enum Answer {
    Imported(Result<Option<Value>, ImportFailure>),
    Planned(Result<Planned, ProviderError>),
    Fresh(Result<Planned, ProviderError>),
    Read(Result<(Action, Value), ProviderError>),
}

enum ImportFailure {
    Plan(ProviderError),
    Import(ProviderError),
}

/// Runs one provider call; `prior` is the instance's object, if any.
async fn ask(
    p: &dyn Provider,
    what: What,
    prior: Option<&Value>,
    ctx: &provider::Context,
) -> Answer {
    match what {
        What::Import(args, id) => {
            Answer::Imported(match plan_arguments(p, args, None, ctx).await {
                Ok(planned) => p
                    .import(planned.value, id, ctx)
                    .await
                    .map_err(ImportFailure::Import),
                Err(e) => Err(ImportFailure::Plan(e)),
            })
        }
        What::Plan(args) => Answer::Planned(plan_arguments(p, args, prior, ctx).await),
        What::Fresh(args) => Answer::Fresh(plan_arguments(p, args, None, ctx).await),
        What::Read(args, defer) => Answer::Read(read_data(p, args, defer, ctx).await),
    }
}

impl<'a, 'p> Planner<'a, '_, 'p> {
    fn res(&self, c: ConfigId, r: ResourceId) -> &'p Resource {
        &self.graph.arch(c).resources[r]
    }

    /// The object recorded at `addr`, an instance of the resource whose
    /// state is `recorded` ([`ResourcePlan::recorded`]), as refresh saw it.
    fn current(
        &self,
        recorded: Option<&'a ResourceState>,
        addr: &InstanceAddr,
    ) -> Option<&'a Value> {
        match self.inputs.refreshed.get(addr) {
            Some(v) => v.as_ref(),
            None => recorded?.instance(&addr.key).map(|i| &i.attributes),
        }
    }

    /// Instance `i`'s prior object: imported, or recorded.
    fn prior<'s>(&'s self, rp: &'s ResourcePlan<'a>, i: InstanceId) -> Option<&'s Value> {
        let ip = &rp.instances[i];
        ip.imported
            .as_ref()
            .or_else(|| self.current(rp.recorded, &ip.addr))
    }

    /// What instance `i` is planned against: nothing when `--replace`d.
    fn basis(&self, id: NodeId, i: InstanceId) -> Option<&Value> {
        let rp = &self.running[&id];
        if rp.instances[i].forced {
            None
        } else {
            self.prior(rp, i)
        }
    }

    fn diags(&mut self, id: NodeId) -> &mut NodeDiags {
        self.node_diags.entry(id).or_default()
    }

    fn eval(&mut self, id: NodeId, node: Node) {
        if let Err(d) = self.values.eval_node(id) {
            self.diags(id).diags.extend(d);
        } else if let Node::Output(c, o) = node {
            let out = &self.graph.arch(c).outputs[o];
            let what = format!(
                "output {}.{}",
                self.graph.project.configurations[c].name, out.name
            );
            if let Err(d) = check_conditions(
                self.values,
                c,
                None,
                None,
                &out.preconditions,
                ConditionKind::OutputPrecondition,
                &what,
                Phase::Plan,
            ) {
                self.diags(id).diags.extend(d);
            }
        }
    }

    fn start_resource(&mut self, id: NodeId, c: ConfigId, r: ResourceId) -> Visit<Ask> {
        let res = self.res(c, r);
        // An unknown type is reported by `check_schemas`.
        let Some(p) = self.inputs.registry.get(&res.type_name).cloned() else {
            self.values.fail_resource(c, r);
            return Visit::Done;
        };
        let remote = res.type_name != "file";
        let defer = (self.inputs.opts.defer_data && remote)
            || self
                .resource_deps
                .get(&id)
                .is_some_and(|deps| deps.iter().any(|d| self.pending.contains(d)));
        let instances = match self.values.expand(c, r) {
            Ok(i) => i,
            Err(d) => {
                let echo = matches!(d.code, "eval::unknown_count" | "eval::unknown_for_each");
                if echo {
                    self.diags(id).echo = Some(d);
                } else {
                    self.diags(id).diags.push(d);
                }
                self.values.fail_resource(c, r);
                return Visit::Done;
            }
        };
        let addr = self.graph.resource_addr(c, r);
        let mut rp = ResourcePlan {
            c,
            r,
            recorded: self.inputs.state.resource(&addr),
            provider: p,
            defer,
            instances: instances
                .into_iter()
                .map(|inst| InstancePlan {
                    addr: addr.instance(inst.key.clone()),
                    inst,
                    diags: Diagnostics::default(),
                    failed: false,
                    import_id: None,
                    imported: None,
                    forced: false,
                    change: None,
                })
                .collect(),
            waiting: 0,
            lost: false,
        };
        let mut asks = Vec::new();
        for i in rp.instances.keys() {
            let what = self.import_or_plan(&mut rp, i);
            if let Some(what) = what {
                asks.push(Ask {
                    instance: i,
                    provider: rp.provider.clone(),
                    what,
                });
            }
        }
        rp.waiting = asks.len();
        self.running.insert(id, rp);
        if asks.is_empty() {
            self.finish_resource(id)
        } else {
            Visit::Run(asks)
        }
    }

    /// Instance `i`'s first provider call: its import, if an `import`
    /// block targets it and nothing is recorded there, else its plan.
    fn import_or_plan(&mut self, rp: &mut ResourcePlan<'a>, i: InstanceId) -> Option<What> {
        let (c, r) = (rp.c, rp.r);
        let res = self.res(c, r);
        let ip = &rp.instances[i];
        let imp = self.graph.arch(c).imports.iter().find(|imp| {
            res.mode == Mode::Managed
                && imp.to.type_name == res.type_name
                && imp.to.name == res.name
                && imp.to.key == ip.inst.key
        });
        let Some(imp) = imp.filter(|_| self.current(rp.recorded, &ip.addr).is_none()) else {
            return self.plan_instance(rp, i);
        };
        let ip = &mut rp.instances[i];
        let id = match self.values.eval_in(c, Some(&ip.inst), &imp.id) {
            Ok(Value::String(s)) => s,
            Ok(Value::Unknown) => {
                return self.fail(
                    ip,
                    Diagnostic::error("plan::import", "the import id is not known when planning")
                        .label(imp.id.span, "this id")
                        .help(
                            "compute the id from variables and literals, not from other resources",
                        ),
                );
            }
            Ok(other) => {
                return self.fail(
                    ip,
                    Diagnostic::error(
                        "plan::import",
                        format!("an import id is a string, not {}", other.type_name()),
                    )
                    .label(imp.id.span, "this id"),
                );
            }
            Err(e) => return self.fail(ip, e.into_diagnostic()),
        };
        match arguments(self.values, c, r, &ip.inst, rp.provider.as_ref(), None) {
            Ok(args) => {
                ip.import_id = Some(id.clone());
                Some(What::Import(args, id))
            }
            Err(d) => {
                let first = d.iter().next().cloned().unwrap_or_else(|| {
                    Diagnostic::error("plan::import", "the resource's arguments are invalid")
                });
                self.fail(ip, first)
            }
        }
    }

    fn fail(&self, ip: &mut InstancePlan, d: impl Into<Diagnostics>) -> Option<What> {
        ip.diags.extend(d.into());
        ip.failed = true;
        None
    }

    /// Instance `i`'s plan call, once what it is planned against is known.
    fn plan_instance(&mut self, rp: &mut ResourcePlan<'a>, i: InstanceId) -> Option<What> {
        let (c, r) = (rp.c, rp.r);
        let res = self.res(c, r);
        let ip = &rp.instances[i];
        if let Err(d) = check_conditions(
            self.values,
            c,
            Some(&ip.inst),
            None,
            &res.lifecycle.preconditions,
            ConditionKind::ResourcePrecondition,
            &ip.addr,
            Phase::Plan,
        ) {
            return self.fail(&mut rp.instances[i], d);
        }
        let prior = self.prior(rp, i);
        let forced = prior.is_some()
            && res.mode == Mode::Managed
            && self.inputs.opts.replace.contains(&ip.addr);
        let basis = if forced { None } else { prior };
        let args = arguments(self.values, c, r, &ip.inst, rp.provider.as_ref(), basis);
        let ip = &mut rp.instances[i];
        ip.forced = forced;
        match args {
            Ok(args) if res.mode == Mode::Data => Some(What::Read(Value::Object(args), rp.defer)),
            Ok(args) => Some(What::Plan(args)),
            Err(d) => self.fail(ip, d),
        }
    }

    /// An answer for instance `i` of resource node `id`: its next call, if
    /// it needs one.
    fn answer(&mut self, id: NodeId, i: InstanceId, answer: Answer) -> Option<What> {
        let mut rp = self.running.remove(&id)?;
        let next = self.answer_instance(&mut rp, i, answer);
        self.running.insert(id, rp);
        next
    }

    fn answer_instance(
        &mut self,
        rp: &mut ResourcePlan<'a>,
        i: InstanceId,
        answer: Answer,
    ) -> Option<What> {
        let (c, r) = (rp.c, rp.r);
        let res = self.res(c, r);
        match answer {
            Answer::Imported(result) => {
                let ip = &mut rp.instances[i];
                let id = ip.import_id.clone().unwrap_or_default();
                let imp_span = self
                    .graph
                    .arch(c)
                    .imports
                    .iter()
                    .find(|imp| {
                        imp.to.type_name == res.type_name
                            && imp.to.name == res.name
                            && imp.to.key == ip.inst.key
                    })
                    .map_or(res.span, |imp| imp.span);
                let type_name = rp.provider.type_name();
                let d = match result {
                    Ok(Some(v)) => {
                        ip.imported = Some(v);
                        return self.plan_instance(rp, i);
                    }
                    Ok(None) => Diagnostic::error(
                        "plan::import",
                        format!("there is no {type_name} with id \"{id}\" to import"),
                    )
                    .label(imp_span, "this import")
                    .help("check the id: for a file it is the path, for http the object's id, for command what read expects"),
                    Err(ImportFailure::Plan(e)) => provider_diagnostics(res, &ip.addr, e)
                        .iter()
                        .next()
                        .cloned()
                        .unwrap_or_else(|| {
                            Diagnostic::error("plan::import", "the resource's arguments are invalid")
                        }),
                    Err(ImportFailure::Import(e)) => Diagnostic::error(
                        "plan::import",
                        format!("cannot import {type_name} \"{id}\": {e}"),
                    )
                    .label(imp_span, "this import"),
                };
                self.fail(ip, d)
            }
            Answer::Read(result) => {
                let ip = &mut rp.instances[i];
                match result {
                    Ok((action, value)) => {
                        ip.change = Some(Change {
                            address: ip.addr.clone(),
                            action,
                            before: None,
                            after: Some(value),
                            replace_paths: Vec::new(),
                            create_before_destroy: false,
                            reason: None,
                            previous_address: None,
                            importing: None,
                        });
                        None
                    }
                    Err(e) => self.fail(
                        ip,
                        Diagnostic::error("plan::data", format!("{}: {e}", ip.addr))
                            .label(res.span, "reading this")
                            .at(&ip.addr),
                    ),
                }
            }
            Answer::Planned(result) => {
                let planned = match result {
                    Ok(p) => p,
                    Err(e) => {
                        let d = provider_diagnostics(res, &rp.instances[i].addr, e);
                        return self.fail(&mut rp.instances[i], d);
                    }
                };
                // Borrowed from the state when it is recorded there: only
                // an imported object is copied.
                let prior: Option<Cow<'a, Value>> = match &rp.instances[i].imported {
                    Some(v) => Some(Cow::Owned(v.clone())),
                    None => self
                        .current(rp.recorded, &rp.instances[i].addr)
                        .map(Cow::Borrowed),
                };
                let ip = &mut rp.instances[i];
                let mut change = diff(ip.addr.clone(), prior.as_deref(), planned, res);
                if ip.forced {
                    change.action = Action::Replace;
                    change.before = prior.as_deref().cloned();
                    change.create_before_destroy = res.lifecycle.create_before_destroy;
                    change.reason = Some(Reason::ReplaceByRequest);
                }
                if let (Some(id), Some(value)) = (&ip.import_id, &ip.imported) {
                    change.importing = Some(id.clone());
                    change.before = Some(value.clone());
                }
                if prior.is_some()
                    && matches!(change.action, Action::NoOp | Action::Update)
                    && !res.lifecycle.replace_triggered_by.is_empty()
                {
                    match triggered(self.values, c, &ip.inst, res, &self.out.changes) {
                        Ok(false) => {}
                        Ok(true) => {
                            // A replacement is a new object: plan it as one.
                            let args =
                                arguments(self.values, c, r, &ip.inst, rp.provider.as_ref(), None);
                            return match args {
                                Ok(args) => {
                                    change.before = prior.map(Cow::into_owned);
                                    ip.change = Some(change);
                                    Some(What::Fresh(args))
                                }
                                Err(d) => self.fail(ip, d),
                            };
                        }
                        Err(d) => return self.fail(ip, d),
                    }
                }
                self.settle(rp, i, change);
                None
            }
            Answer::Fresh(result) => {
                let ip = &mut rp.instances[i];
                let mut change = ip.change.take()?;
                match result {
                    Ok(fresh) => {
                        change.action = Action::Replace;
                        change.after = Some(fresh.value);
                        change.create_before_destroy = res.lifecycle.create_before_destroy;
                        change.reason = Some(Reason::ReplaceByTriggers);
                        self.settle(rp, i, change);
                        None
                    }
                    Err(e) => {
                        let d = provider_diagnostics(res, &ip.addr, e);
                        self.fail(ip, d)
                    }
                }
            }
        }
    }

    /// A managed instance's change is known: its postconditions, and
    /// `prevent_destroy`.
    fn settle(&self, rp: &mut ResourcePlan<'a>, i: InstanceId, change: Change) {
        let res = self.res(rp.c, rp.r);
        let ip = &mut rp.instances[i];
        if let Some(after) = &change.after
            && let Err(d) = check_conditions(
                self.values,
                rp.c,
                Some(&ip.inst),
                Some(after),
                &res.lifecycle.postconditions,
                ConditionKind::ResourcePostcondition,
                &change.address,
                Phase::Plan,
            )
        {
            self.fail(ip, d);
            return;
        }
        if res.lifecycle.prevent_destroy
            && matches!(change.action, Action::Replace | Action::Delete)
        {
            ip.diags.push(prevent_destroy(&change.address, res.span));
        }
        ip.change = Some(change);
    }

    /// Every instance of resource node `id` is planned: its changes are
    /// recorded and its value set for what refers to it.
    fn finish_resource(&mut self, id: NodeId) -> Visit<Ask> {
        let Some(rp) = self.running.remove(&id) else {
            return Visit::Done;
        };
        let failed = rp.lost || rp.instances.iter().any(|ip| ip.failed);
        let mut diags = Diagnostics::default();
        let mut instances = Vec::with_capacity(rp.instances.len());
        let mut changes = Vec::new();
        for ip in rp.instances {
            diags.extend(ip.diags);
            if let Some(change) = ip.change {
                changes.push((change, ip.inst.key));
            }
        }
        if !diags.is_empty() {
            self.diags(id).diags.extend(diags);
        }
        if failed {
            self.values.fail_resource(rp.c, rp.r);
            return Visit::Done;
        }
        for (mut change, key) in changes {
            self.out.seen.insert(change.address.clone());
            change.previous_address = self.inputs.moves.previous.get(&change.address).cloned();
            if change.action == Action::NoOp
                && change.previous_address.is_some()
                && change.before.is_none()
            {
                change.before = self.current(rp.recorded, &change.address).cloned();
            }
            if !change.is_change() {
                self.out.unchanged += 1;
                if !self.inputs.opts.keep_unchanged {
                    instances.push((key, change.after.unwrap_or(Value::Null)));
                    continue;
                }
                instances.push((key, change.after.clone().unwrap_or(Value::Null)));
                if change.before.is_none() {
                    change.before = self.current(rp.recorded, &change.address).cloned();
                }
                self.out.unchanged_objects.push(change);
            } else {
                instances.push((key, change.after.clone().unwrap_or(Value::Null)));
                self.pending.insert(id);
                self.out.changes.push(change);
            }
        }
        self.values.set_resource(rp.c, rp.r, instances);
        Visit::Done
    }

    /// After a job of node `id`: its next job, or the resource's end.
    fn next(&mut self, id: NodeId, i: InstanceId, next: Option<What>) -> Visit<Ask> {
        let Some(rp) = self.running.get_mut(&id) else {
            return Visit::Done;
        };
        match next {
            Some(what) => Visit::Run(vec![Ask {
                instance: i,
                provider: rp.provider.clone(),
                what,
            }]),
            None => {
                rp.waiting -= 1;
                if rp.waiting == 0 {
                    self.finish_resource(id)
                } else {
                    Visit::Wait
                }
            }
        }
    }
}

impl Visitor for Planner<'_, '_, '_> {
    type Job = Ask;
    type Output = (InstanceId, Answer);

    fn start(&mut self, id: NodeId) -> Visit<Ask> {
        match self.graph.node(id) {
            Node::Resource(c, r) => self.start_resource(id, c, r),
            node => {
                self.eval(id, node);
                Visit::Done
            }
        }
    }

    fn inline(&self, ask: &Ask) -> bool {
        !ask.provider.has_side_effects()
    }

    fn launch(&mut self, id: NodeId, a: Ask) -> Job<(InstanceId, Answer)> {
        let prior = match a.what {
            What::Plan(_) => self.basis(id, a.instance).cloned(),
            _ => None,
        };
        let ctx = self.ctx.clone();
        Box::pin(async move {
            let answer = ask(a.provider.as_ref(), a.what, prior.as_ref(), &ctx).await;
            (a.instance, answer)
        })
    }

    fn run_inline(&mut self, id: NodeId, a: Ask) -> LocalJob<'_, (InstanceId, Answer)> {
        let this: &Self = self;
        Box::pin(async move {
            let prior = match a.what {
                What::Plan(_) => this.basis(id, a.instance),
                _ => None,
            };
            let answer = ask(a.provider.as_ref(), a.what, prior, &this.ctx).await;
            (a.instance, answer)
        })
    }

    fn finished(&mut self, id: NodeId, (i, answer): (InstanceId, Answer)) -> Visit<Ask> {
        let next = self.answer(id, i, answer);
        self.next(id, i, next)
    }

    fn lost(&mut self, id: NodeId, message: String) -> Visit<Ask> {
        self.diags(id).diags.push(Diagnostic::error(
            "plan::provider",
            format!("a provider call stopped unexpectedly: {message}"),
        ));
        let Some(rp) = self.running.get_mut(&id) else {
            return Visit::Done;
        };
        rp.lost = true;
        rp.waiting -= 1;
        if rp.waiting == 0 {
            self.finish_resource(id)
        } else {
            Visit::Wait
        }
    }
}
