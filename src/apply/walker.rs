//! The apply's walk: a [`Visitor`] of [`crate::graph::walk`] over the
//! steps [`plan::order`] builds. The walker's task owns the values and the
//! state and decides what runs next; provider calls (plans again with the
//! values now known, then the operations) run as jobs within the limit and
//! report back. Evaluation is quick and stays on the walker's task.

use super::op::{Op, OpDone, OpKind, run_op, verb};
use super::{ApplyError, ApplyOptions, Cancel, Event, Observer, Outcome};
use crate::address::{InstanceAddr, InstanceKey, Mode, ResourceAddr};
use crate::diag::{Diagnostic, Diagnostics};
use crate::eval::{EnvValues, Node, ProjectGraph};
use crate::graph::walk::Job;
use crate::graph::{Dag, NodeId, Status, Visit, Visitor, Walked, walk};
use crate::ids::{ConfigId, IdVec, InstanceId, ResourceId};
use crate::plan::{self, Action, Plan, Step};
use crate::provider::{self, Planned, Provider, ProviderError, Registry};
use crate::state::{EnvState, Journal, OutputState, Record};
use crate::store::{Lock, StateStore};
use crate::value::{Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// Per running resource step: the values collected so far.
struct Running {
    pending: usize,
    keys: IdVec<InstanceId, Option<InstanceKey>>,
    values: IdVec<InstanceId, Option<Value>>,
    failed: bool,
    /// Before any operation: the instances planned again, in order.
    preps: IdVec<InstanceId, Prep>,
    /// Plans not yet answered.
    planning: usize,
    /// What the step's objects are recorded to depend on.
    deps: Option<Vec<String>>,
}

/// One instance of a resource step before its operation is queued.
enum Prep {
    /// Nothing to run, or a data source to read.
    Ready(Option<Op>),
    /// Planned again: the operation waits for the provider's answer.
    Planning {
        address: InstanceAddr,
        action: Action,
        current: Option<Value>,
        answer: Option<Result<Planned, ProviderError>>,
    },
    /// Cannot be applied: the step fails with this, unless an earlier
    /// instance fails first.
    Failed(Diagnostics),
}

/// A job: a plan call or an operation.
pub(super) enum Work {
    Plan {
        index: InstanceId,
        provider: Arc<dyn Provider>,
        args: Map,
        prior: Option<Value>,
    },
    Op(Op),
}

pub(super) enum Answer {
    Planned(InstanceId, Result<Planned, ProviderError>),
    Op(OpDone),
}

/// Applies `plan` to `state`, which must be the state the plan was made
/// from (see [`plan::check_fresh`]). Returns how it went and the new state.
#[allow(clippy::too_many_arguments)]
pub async fn apply(
    graph: &ProjectGraph<'_>,
    values: EnvValues<'_, '_>,
    plan: &Plan,
    state: EnvState,
    store: &dyn StateStore,
    lock: &Lock,
    registry: &Registry,
    opts: &ApplyOptions,
    observer: &dyn Observer,
    cancel: &Cancel,
) -> Result<(Outcome, EnvState), ApplyError> {
    let steps = match plan::order(graph, plan, &state) {
        Ok(s) => s,
        Err(e) => {
            let outcome = Outcome {
                errors: vec![e.diagnostic("apply::order")],
                serial: state.serial(),
                ..Outcome::default()
            };
            return Ok((outcome, state));
        }
    };
    let journal = Arc::new(store.begin_journal(lock, &state)?);
    // What state records: the resources each one depends on directly
    // (through locals, variables and outputs), with those that hold no
    // object looked through (see `record_ordering`). Not every indirect
    // one, as Terraform records them: that is N² for a chain, and plan
    // takes the closure itself (`plan::order`).
    let direct = graph.resource_dependencies();
    let resource_deps: HashMap<NodeId, Vec<NodeId>> = direct
        .iter()
        .map(|(&n, deps)| (n, deps.iter().copied().filter(|&d| d != n).collect()))
        .collect();
    let mut w = Walker {
        graph,
        values,
        plan,
        state,
        registry,
        ctx: Arc::new(provider::Context {
            project_root: graph.project.root.clone(),
            authorization: opts.authorization.clone(),
        }),
        journal: journal.clone(),
        observer,
        dag: &steps.dag,
        walked: None,
        running: HashMap::new(),
        resource_deps,
        eval_steps: &steps.eval,
        changed: BTreeSet::new(),
        outcome: Outcome::default(),
        fatal: None,
    };
    w.apply_moves()?;
    w.apply_drift()?;
    let walked = walk(&steps.dag, opts.parallelism, cancel, &mut w).await;
    w.walked = Some(walked);
    w.record_outputs()?;
    if w.outcome.succeeded() && !plan.destroy {
        w.outcome.warnings = plan::run_checks(&w.values, plan::Phase::Apply)
            .iter()
            .cloned()
            .collect();
    }
    w.record_ordering();
    let Walker {
        mut state,
        mut outcome,
        changed,
        fatal,
        journal: walker_journal,
        ..
    } = w;
    drop(walker_journal);
    if let Some(f) = fatal {
        outcome.errors.push(Diagnostic::error("apply::journal", f));
    }
    outcome.serial = store.commit(lock, &mut state, &changed)?;
    // Every task has ended, so this is the last handle.
    if let Ok(journal) = Arc::try_unwrap(journal) {
        store.end_journal(journal)?;
    }
    Ok((outcome, state))
}

struct Walker<'w, 'g, 'p> {
    graph: &'w ProjectGraph<'p>,
    values: EnvValues<'g, 'p>,
    plan: &'w Plan,
    state: EnvState,
    registry: &'w Registry,
    ctx: Arc<provider::Context>,
    journal: Arc<Journal>,
    observer: &'w dyn Observer,
    dag: &'w Dag<Step, ()>,
    /// Each step's status, once the walk is over.
    walked: Option<Walked>,
    running: HashMap<NodeId, Running>,
    resource_deps: HashMap<NodeId, Vec<NodeId>>,
    /// Graph node → its evaluation step.
    eval_steps: &'w HashMap<NodeId, NodeId>,
    changed: BTreeSet<String>,
    outcome: Outcome,
    fatal: Option<String>,
}

impl Walker<'_, '_, '_> {
    /// `moved` and `removed` blocks: objects take their new addresses, and
    /// forgotten ones leave the state, before anything else happens.
    fn apply_moves(&mut self) -> Result<(), ApplyError> {
        for c in &self.plan.changes {
            // `import`: the object read when planning becomes recorded.
            if c.importing.is_some()
                && let Some(before) = &c.before
            {
                self.state.set_instance(&c.address, before.clone(), None);
                self.journal.append(&Record::Done {
                    address: c.address.to_string(),
                    action: "import".into(),
                    attributes: Some(before.clone()),
                    dependencies: None,
                })?;
                self.settled(&c.address);
                self.outcome.imported += 1;
                continue;
            }
            let (from, to) = match (&c.previous_address, c.action) {
                (Some(prev), _) => (prev, Some(&c.address)),
                (None, plan::Action::Forget) => (&c.address, None),
                _ => continue,
            };
            let moved = match to {
                Some(to) => match self.state.move_instance(from, to) {
                    Some(m) => Some((to, m)),
                    None => continue,
                },
                None if self.state.remove_instance(from) => None,
                None => continue,
            };
            self.journal.append(&Record::Done {
                address: from.to_string(),
                action: if to.is_some() { "move" } else { "forget" }.into(),
                attributes: None,
                dependencies: None,
            })?;
            self.settled(from);
            if let Some((to, (attributes, deps))) = moved {
                self.journal.append(&Record::Done {
                    address: to.to_string(),
                    action: "move".into(),
                    attributes: Some(attributes),
                    dependencies: deps,
                })?;
                self.settled(to);
            }
        }
        Ok(())
    }

    /// Objects that changed outside terrace: record what refresh saw.
    fn apply_drift(&mut self) -> Result<(), ApplyError> {
        for d in &self.plan.drift {
            match &d.after {
                Some(v) => self.state.set_instance(&d.address, v.clone(), None),
                None => {
                    self.state.remove_instance(&d.address);
                }
            }
            self.journal.append(&Record::Done {
                address: d.address.to_string(),
                action: "refresh".into(),
                attributes: d.after.clone(),
                dependencies: None,
            })?;
            self.settled(&d.address);
        }
        Ok(())
    }

    /// `addr` is settled: forget any unfinished operation recorded for it.
    fn settled(&mut self, addr: &InstanceAddr) {
        let config = &addr.resource.config;
        self.changed.insert(config.clone());
        let text = addr.to_string();
        if let Some(c) = self.state.configs.get_mut(config) {
            c.unfinished.retain(|u| u.address != text);
        }
    }

    fn start_step(&mut self, id: NodeId) -> Visit<Work> {
        match self.dag.node(id).clone() {
            Step::Eval(n) => match self.graph.node(n) {
                Node::Resource(c, r) => self.start_resource(id, n, c, r),
                node => {
                    match self
                        .values
                        .eval_node(n)
                        .and_then(|()| self.output_conditions(node))
                    {
                        Ok(()) => Visit::Done,
                        Err(d) => {
                            self.outcome.errors.extend(d);
                            Visit::Failed
                        }
                    }
                }
            },
            Step::Destroy {
                resource,
                create_before_destroy,
            } => self.start_destroy(id, &resource, create_before_destroy),
        }
    }

    fn fail_now(&mut self, id: NodeId, d: impl Into<Diagnostics>) -> Visit<Work> {
        self.outcome.errors.extend(d.into());
        self.running.remove(&id);
        Visit::Failed
    }

    /// Starts a resource step: each instance is evaluated again with the
    /// values now known and, where it creates or updates, planned again
    /// (jobs); its operations wait for every plan ([`Walker::operations`]).
    fn start_resource(
        &mut self,
        id: NodeId,
        node: NodeId,
        c: ConfigId,
        r: ResourceId,
    ) -> Visit<Work> {
        let res = &self.graph.arch(c).resources[r];
        let addr = self.graph.resource_addr(c, r);
        let Some(p) = self.registry.get(&res.type_name).cloned() else {
            return self.fail_now(
                id,
                Diagnostic::error(
                    "apply::unknown_type",
                    format!("{addr}: unknown resource type"),
                ),
            );
        };
        let instances: IdVec<InstanceId, _> = match self.values.expand(c, r) {
            Ok(i) => i.into(),
            Err(d) => return self.fail_now(id, d),
        };
        let deps = Some(self.recorded_deps(node));
        let mut run = Running {
            pending: 0,
            keys: instances.iter().map(|i| i.key.clone()).collect(),
            values: vec![None; instances.len()].into(),
            failed: false,
            preps: IdVec::with_capacity(instances.len()),
            planning: 0,
            deps: None,
        };
        let mut plans = Vec::new();
        for (index, inst) in instances.iter_enumerated() {
            let iaddr = addr.instance(inst.key.clone());
            let current = self.state.instance(&iaddr).map(|i| i.attributes.clone());
            if res.mode == Mode::Data {
                let prep = match plan::arguments(&self.values, c, r, inst, p.as_ref(), None) {
                    Ok(args) if Value::Object(args.clone()).is_wholly_known() => {
                        Prep::Ready(Some(self.op(
                            id,
                            index,
                            iaddr,
                            Action::Read,
                            OpKind::ReadData(Value::Object(args)),
                            &p,
                            None,
                        )))
                    }
                    Ok(_) => Prep::Failed(
                        Diagnostic::error(
                            "apply::data",
                            format!("{iaddr}: its arguments are still unknown"),
                        )
                        .label(res.span, "here")
                        .into(),
                    ),
                    Err(d) => Prep::Failed(d),
                };
                let stop = matches!(prep, Prep::Failed(_));
                run.preps.push(prep);
                if stop {
                    break;
                }
                continue;
            }
            if let Err(d) = plan::check_conditions(
                &self.values,
                c,
                Some(inst),
                None,
                &res.lifecycle.preconditions,
                plan::ConditionKind::ResourcePrecondition,
                &iaddr,
                plan::Phase::Apply,
            ) {
                run.preps.push(Prep::Failed(d));
                break;
            }
            let change = self.plan.change(&iaddr);
            let action = change.map_or(Action::NoOp, |c| c.action);
            match action {
                Action::NoOp | Action::Read | Action::Delete | Action::Forget => match current {
                    Some(v) if action != Action::Delete => {
                        run.values[index] = Some(v);
                        run.preps.push(Prep::Ready(None));
                    }
                    // `--target` left it out: it stays as it is, unknown
                    // to whatever depends on it.
                    None if action == Action::NoOp && !self.plan.targets.is_empty() => {
                        run.values[index] = Some(Value::Unknown);
                        run.preps.push(Prep::Ready(None));
                    }
                    _ => {
                        run.preps.push(Prep::Failed(
                            Diagnostic::error("apply::not_planned", format!("{iaddr} is not in the plan and has no recorded state"))
                                .label(res.span, "this resource")
                                .help("the definitions or the state changed since the plan was made: run terrace plan again")
                                .into(),
                        ));
                        break;
                    }
                },
                Action::Create | Action::Update | Action::Replace => {
                    let Some(change) = change else {
                        run.preps.push(Prep::Ready(None));
                        continue;
                    };
                    // As the planner did: a requested or triggered
                    // replacement is a new object from the start.
                    let prior = if change.plans_fresh() {
                        None
                    } else {
                        current.as_ref()
                    };
                    match plan::arguments(&self.values, c, r, inst, p.as_ref(), prior) {
                        Ok(args) => {
                            plans.push(Work::Plan {
                                index,
                                provider: p.clone(),
                                args,
                                prior: prior.cloned(),
                            });
                            run.preps.push(Prep::Planning {
                                address: iaddr,
                                action,
                                current,
                                answer: None,
                            });
                        }
                        Err(d) => {
                            run.preps.push(Prep::Failed(d));
                            break;
                        }
                    }
                }
            }
        }
        run.deps = deps;
        run.planning = plans.len();
        self.running.insert(id, run);
        if plans.is_empty() {
            self.operations(id)
        } else {
            Visit::Run(plans)
        }
    }

    /// Every instance of resource step `id` is planned again: unless one
    /// cannot be applied, its operations are queued.
    fn operations(&mut self, id: NodeId) -> Visit<Work> {
        let Some(mut run) = self.running.remove(&id) else {
            return Visit::Failed;
        };
        let Step::Eval(n) = *self.dag.node(id) else {
            return Visit::Failed;
        };
        let Node::Resource(c, r) = self.graph.node(n) else {
            return Visit::Failed;
        };
        let res = &self.graph.arch(c).resources[r];
        let Some(p) = self.registry.get(&res.type_name).cloned() else {
            return Visit::Failed;
        };
        let deps = run.deps.take();
        let mut ops = Vec::new();
        for (index, prep) in std::mem::take(&mut run.preps).into_iter_enumerated() {
            match prep {
                Prep::Ready(op) => ops.extend(op),
                Prep::Failed(d) => return self.fail_now(id, d),
                Prep::Planning {
                    address,
                    action,
                    current,
                    answer,
                } => {
                    let planned = match answer {
                        Some(Ok(p)) => p,
                        Some(Err(e)) => {
                            let d = plan::provider_diagnostics(res, &address, e);
                            return self.fail_now(id, d);
                        }
                        None => {
                            return self.fail_now(
                                id,
                                Diagnostic::error(
                                    "apply::failed",
                                    format!("{address}: planning it again stopped unexpectedly"),
                                ),
                            );
                        }
                    };
                    let Some(change) = self.plan.change(&address) else {
                        continue;
                    };
                    let expected = change.after.as_ref().unwrap_or(&Value::Null);
                    let replaces = !planned.requires_replace.is_empty();
                    let consistent = plan::conforms(&planned.value, expected)
                        && (action != Action::Update || !replaces);
                    if !consistent {
                        let at = plan::first_difference(
                            &planned.value,
                            expected,
                            crate::value::Path::root(),
                        )
                        .map(|p| format!(" (at {p})"))
                        .unwrap_or_default();
                        return self.fail_now(
                            id,
                            Diagnostic::error("apply::inconsistent", format!("{address}: its value now differs from the saved plan{at}"))
                                .label(res.span, "this resource")
                                .help("something it reads (a file, an environment variable) changed since the plan was made: run terrace plan again"),
                        );
                    }
                    let guard = action == Action::Replace && change.create_before_destroy;
                    let kind = match (action, current) {
                        (Action::Update, Some(prior)) => OpKind::Update(prior, planned.value),
                        _ => OpKind::Create(planned.value),
                    };
                    let mut op = self.op(id, index, address, action, kind, &p, deps.clone());
                    op.guard_deposed = guard;
                    ops.push(op);
                }
            }
        }
        run.pending = ops.len();
        self.running.insert(id, run);
        if ops.is_empty() {
            self.finish_resource(id)
        } else {
            Visit::Run(ops.into_iter().map(Work::Op).collect())
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn op(
        &self,
        step: NodeId,
        index: InstanceId,
        address: InstanceAddr,
        action: Action,
        kind: OpKind,
        p: &Arc<dyn Provider>,
        dependencies: Option<Vec<String>>,
    ) -> Op {
        Op {
            step,
            index,
            address,
            action,
            kind,
            provider: p.clone(),
            dependencies,
            guard_deposed: false,
        }
    }

    fn start_destroy(&mut self, id: NodeId, r: &ResourceAddr, cbd: bool) -> Visit<Work> {
        let Some(p) = self.registry.get(&r.type_name).cloned() else {
            return self.fail_now(
                id,
                Diagnostic::error(
                    "apply::unknown_type",
                    format!("{r}: unknown resource type \"{}\"", r.type_name),
                ),
            );
        };
        // Changes are sorted by address: a resource's are side by side.
        let all = &self.plan.changes;
        let first = all.partition_point(|c| c.address.resource < *r);
        let count = all[first..].partition_point(|c| c.address.resource == *r);
        let changes = &all[first..first + count];
        let mut ops = Vec::new();
        for (index, change) in changes.iter().enumerate() {
            if change.create_before_destroy != cbd {
                continue;
            }
            let current = self
                .state
                .instance(&change.address)
                .map(|i| i.attributes.clone());
            let before = current.or_else(|| change.before.clone());
            let kind = match (change.action, before) {
                (Action::Replace, Some(b)) if change.create_before_destroy => {
                    OpKind::DeleteDeposed(change.before.clone().unwrap_or(b))
                }
                (Action::Delete | Action::Replace, Some(b)) => OpKind::Delete(b),
                _ => continue,
            };
            ops.push(self.op(
                id,
                InstanceId::new(index),
                change.address.clone(),
                Action::Delete,
                kind,
                &p,
                None,
            ));
        }
        self.running.insert(
            id,
            Running {
                pending: ops.len(),
                keys: IdVec::new(),
                values: IdVec::new(),
                failed: false,
                preps: IdVec::new(),
                planning: 0,
                deps: None,
            },
        );
        if ops.is_empty() {
            self.running.remove(&id);
            Visit::Done
        } else {
            Visit::Run(ops.into_iter().map(Work::Op).collect())
        }
    }

    fn finished_op(&mut self, d: OpDone) -> Visit<Work> {
        let name = d.address.to_string();
        if let Some(e) = d.journal_error {
            self.fatal = Some(format!("cannot write the journal: {e}; stopping"));
        }
        let ok = match d.result {
            Ok(value) => {
                let id = value
                    .as_ref()
                    .and_then(|v| v.get("id"))
                    .and_then(Value::as_str)
                    .map(str::to_string);
                self.observer.event(&Event::Finished {
                    address: name,
                    deposed: d.deposed,
                    action: d.action,
                    elapsed: d.elapsed,
                    id,
                });
                if d.action != Action::Read && !d.deposed {
                    match &value {
                        Some(v) => {
                            self.state
                                .set_instance(&d.address, v.clone(), d.dependencies.clone())
                        }
                        None => {
                            self.state.remove_instance(&d.address);
                        }
                    }
                    self.settled(&d.address);
                }
                match (d.action, value.is_some()) {
                    (Action::Create, true) => self.outcome.created += 1,
                    (Action::Update, _) => self.outcome.updated += 1,
                    (Action::Replace, true) => self.outcome.replaced += 1,
                    (Action::Delete, _) if !self.replaced(&d.address) => self.outcome.deleted += 1,
                    _ => {}
                }
                if let Some(run) = self.running.get_mut(&d.step)
                    && let Some(slot) = run.values.get_mut(d.index)
                {
                    *slot = value;
                }
                true
            }
            Err(message) => {
                self.observer.event(&Event::Failed {
                    address: name.clone(),
                    deposed: d.deposed,
                    action: d.action,
                    elapsed: d.elapsed,
                    message: message.clone(),
                });
                let mut diag = Diagnostic::error(
                    "apply::failed",
                    format!(
                        "{}: {} failed: {message}",
                        super::shown(&name, d.deposed),
                        verb(d.action)
                    ),
                )
                .at(&d.address);
                if let Some(res) = plan::find_resource(self.graph, &d.address.resource) {
                    diag = diag.label(res.span, "this resource");
                }
                self.outcome.errors.push(diag);
                false
            }
        };
        let Some(run) = self.running.get_mut(&d.step) else {
            return Visit::Wait;
        };
        run.failed |= !ok;
        run.pending -= 1;
        if run.pending > 0 {
            return Visit::Wait;
        }
        match self.dag.node(d.step) {
            Step::Eval(_) => self.finish_resource(d.step),
            Step::Destroy { .. } => {
                let failed = run.failed;
                self.running.remove(&d.step);
                if failed { Visit::Failed } else { Visit::Done }
            }
        }
    }

    /// Output preconditions, checked again with the values now known.
    fn output_conditions(&self, node: Node) -> Result<(), Diagnostics> {
        let Node::Output(c, o) = node else {
            return Ok(());
        };
        let out = &self.graph.arch(c).outputs[o];
        plan::check_conditions(
            &self.values,
            c,
            None,
            None,
            &out.preconditions,
            plan::ConditionKind::OutputPrecondition,
            &format!(
                "output {}.{}",
                self.graph.project.configurations[c].name, out.name
            ),
            plan::Phase::Apply,
        )
    }

    /// A resource's postconditions on the objects as applied (`self`).
    /// The objects stay recorded: they exist, as in Terraform.
    fn postconditions(&self, c: ConfigId, r: ResourceId, run: &Running) -> Result<(), Diagnostics> {
        let res = &self.graph.arch(c).resources[r];
        if res.lifecycle.postconditions.is_empty() {
            return Ok(());
        }
        let addr = self.graph.resource_addr(c, r);
        let instances = self.values.expand(c, r).map_err(Diagnostics::from)?;
        let mut diags = Diagnostics::default();
        for (inst, value) in instances.iter().zip(&run.values) {
            let Some(value) = value else {
                continue;
            };
            if let Err(d) = plan::check_conditions(
                &self.values,
                c,
                Some(inst),
                Some(value),
                &res.lifecycle.postconditions,
                plan::ConditionKind::ResourcePostcondition,
                &addr.instance(inst.key.clone()),
                plan::Phase::Apply,
            ) {
                diags.extend(d);
            }
        }
        if diags.is_empty() { Ok(()) } else { Err(diags) }
    }

    /// Whether `addr`'s delete is the first half of a replacement.
    fn replaced(&self, addr: &InstanceAddr) -> bool {
        self.plan
            .change(addr)
            .is_some_and(|c| c.action == Action::Replace)
    }

    fn finish_resource(&mut self, id: NodeId) -> Visit<Work> {
        let Some(run) = self.running.remove(&id) else {
            return Visit::Failed;
        };
        let Step::Eval(n) = *self.dag.node(id) else {
            return Visit::Failed;
        };
        let Node::Resource(c, r) = self.graph.node(n) else {
            return Visit::Failed;
        };
        if run.failed {
            self.values.fail_resource(c, r);
            return Visit::Failed;
        }
        if let Err(d) = self.postconditions(c, r, &run) {
            self.outcome.errors.extend(d);
            self.values.fail_resource(c, r);
            return Visit::Failed;
        }
        let instances = run
            .keys
            .into_iter()
            .zip(run.values)
            .map(|(k, v)| (k, v.unwrap_or(Value::Null)))
            .collect();
        self.values.set_resource(c, r, instances);
        Visit::Done
    }

    /// Step `id` is skipped because `cause` failed.
    fn skip(&mut self, id: NodeId, cause: NodeId) {
        let is_work = match self.dag.node(id) {
            Step::Eval(n) => matches!(self.graph.node(*n), Node::Resource(..)),
            Step::Destroy { .. } => true,
        };
        if is_work {
            self.observer.event(&Event::Skipped {
                address: self.step_name(id),
                because: self.step_name(cause),
            });
        }
        if let Step::Eval(n) = self.dag.node(id)
            && let Node::Resource(c, r) = self.graph.node(*n)
        {
            self.values.fail_resource(c, r);
        }
    }

    /// The status the walk left step `id` in.
    fn status(&self, id: NodeId) -> Status {
        self.walked
            .as_ref()
            .map_or(Status::Pending, |w| w.status(id))
    }

    fn step_name(&self, id: NodeId) -> String {
        match self.dag.node(id) {
            Step::Eval(n) => self.graph.describe(self.graph.node(*n)),
            Step::Destroy { resource, .. } => format!("{resource} (destroy)"),
        }
    }

    /// `node`'s direct resource dependencies, and through a dependency that
    /// holds no object (`count = 0`, an empty `for_each`) its own too, so
    /// that the order of deletes survives it leaving the definitions.
    fn recorded_deps(&self, node: NodeId) -> Vec<String> {
        let mut out = BTreeSet::new();
        let mut seen = BTreeSet::new();
        let mut stack: Vec<NodeId> = self.resource_deps.get(&node).cloned().unwrap_or_default();
        while let Some(d) = stack.pop() {
            if d == node || !seen.insert(d) {
                continue;
            }
            let Node::Resource(c, r) = self.graph.node(d) else {
                continue;
            };
            let addr = self.graph.resource_addr(c, r);
            let holds = self
                .state
                .configs
                .get(&addr.config)
                .and_then(|cs| cs.resource(&addr))
                .is_some_and(|res| !res.instances.is_empty());
            out.insert(addr.to_string());
            if !holds {
                stack.extend(self.resource_deps.get(&d).into_iter().flatten().copied());
            }
        }
        out.into_iter().collect()
    }

    /// Records, for every resource applied, what it depends on now and
    /// whether it is create-before-destroy: what orders its deletes later
    /// (Terraform rewrites both in state even when nothing else changes).
    fn record_ordering(&mut self) {
        let cbd = plan::create_before_destroy(self.graph);
        for (&node, &step) in self.eval_steps {
            let Node::Resource(c, r) = self.graph.node(node) else {
                continue;
            };
            if self.status(step) != Status::Done
                || self.graph.arch(c).resources[r].mode != Mode::Managed
            {
                continue;
            }
            let addr = self.graph.resource_addr(c, r);
            let deps = self.recorded_deps(node);
            let flag = cbd.contains(&addr);
            if self.state.set_ordering(&addr, deps, flag) {
                self.changed.insert(addr.config.clone());
            }
        }
    }

    /// Records the outputs of every configuration whose outputs were all
    /// evaluated; with a destroy plan, clears them.
    fn record_outputs(&mut self) -> Result<(), ApplyError> {
        let mut updates: Vec<(String, BTreeMap<String, OutputState>)> = Vec::new();
        if self.plan.destroy && !self.plan.targets.is_empty() {
            // A targeted destroy leaves the recorded outputs alone.
        } else if self.plan.destroy {
            for (name, c) in &self.state.configs {
                if !c.outputs.is_empty() {
                    updates.push((name.clone(), BTreeMap::new()));
                }
            }
        } else {
            for (c, conf) in self.graph.project.configurations.iter_enumerated() {
                let arch = self.graph.arch(c);
                // State never records an unknown value.
                let all_done = arch.outputs.keys().all(|o| {
                    let step = self.eval_steps.get(&self.graph.id(Node::Output(c, o)));
                    step.is_some_and(|&s| self.status(s) == Status::Done)
                        && self.values.output(c, o).is_wholly_known()
                });
                if !all_done {
                    continue;
                }
                let outputs: BTreeMap<String, OutputState> = arch
                    .outputs
                    .iter_enumerated()
                    .map(|(o, def)| {
                        (
                            def.name.clone(),
                            OutputState {
                                value: self.values.output(c, o).clone(),
                                sensitive: def.sensitive,
                            },
                        )
                    })
                    .collect();
                let prior = self.state.configs.get(&conf.name).map(|s| &s.outputs);
                if prior != Some(&outputs) && !(prior.is_none() && outputs.is_empty()) {
                    updates.push((conf.name.clone(), outputs));
                }
            }
        }
        for (name, outputs) in updates {
            self.journal.append(&Record::Outputs {
                configuration: name.clone(),
                outputs: outputs.clone(),
            })?;
            self.state.config_mut(&name).outputs = outputs;
            self.changed.insert(name);
        }
        Ok(())
    }
}

impl Visitor for Walker<'_, '_, '_> {
    type Job = Work;
    type Output = Answer;

    fn start(&mut self, id: NodeId) -> Visit<Work> {
        self.start_step(id)
    }

    /// Operations without outside effects finish at once: they run right
    /// here, which spares a long chain of them a task and two thread hops
    /// each. So do their plans.
    fn inline(&self, work: &Work) -> bool {
        match work {
            Work::Plan { provider, .. } => !provider.has_side_effects(),
            Work::Op(op) => !op.provider.has_side_effects(),
        }
    }

    fn launch(&mut self, _: NodeId, work: Work) -> Job<Answer> {
        match work {
            Work::Plan {
                index,
                provider,
                args,
                prior,
            } => {
                let ctx = self.ctx.clone();
                Box::pin(async move {
                    let planned =
                        plan::plan_arguments(provider.as_ref(), args, prior.as_ref(), &ctx).await;
                    Answer::Planned(index, planned)
                })
            }
            Work::Op(op) => {
                self.observer.event(&Event::Started {
                    address: op.address.to_string(),
                    deposed: matches!(op.kind, OpKind::DeleteDeposed(_)),
                    action: op.action,
                    id: op.kind.prior_id(),
                });
                let journal = self.journal.clone();
                let ctx = (*self.ctx).clone();
                Box::pin(async move { Answer::Op(run_op(op, journal, ctx).await) })
            }
        }
    }

    fn finished(&mut self, id: NodeId, answer: Answer) -> Visit<Work> {
        match answer {
            Answer::Op(done) => self.finished_op(done),
            Answer::Planned(index, planned) => {
                let Some(run) = self.running.get_mut(&id) else {
                    return Visit::Wait;
                };
                if let Some(Prep::Planning { answer, .. }) = run.preps.get_mut(index) {
                    *answer = Some(planned);
                }
                run.planning -= 1;
                if run.planning > 0 {
                    return Visit::Wait;
                }
                self.operations(id)
            }
        }
    }

    fn lost(&mut self, _: NodeId, message: String) -> Visit<Work> {
        self.fatal = Some(format!("an operation stopped unexpectedly: {message}"));
        Visit::Failed
    }

    fn skipped(&mut self, id: NodeId, cause: NodeId) {
        self.skip(id, cause);
    }

    fn interrupted(&mut self, in_flight: usize) {
        self.outcome.cancelled = true;
        self.observer.event(&Event::Interrupted { in_flight });
    }

    fn halted(&self) -> bool {
        self.fatal.is_some()
    }
}
