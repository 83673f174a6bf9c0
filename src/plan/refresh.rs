//! Refresh: reading every recorded object back through its provider, to
//! see what changed outside terrace. The reads are independent nodes of
//! one [`walk`]; a [`Reads`] observer is told of each as it starts and
//! ends (the plan layer prints nothing).

use super::model::Drift;
use crate::address::{InstanceAddr, Mode};
use crate::diag::{Diagnostic, Diagnostics};
use crate::graph::walk::Job;
use crate::graph::{Cancel, Dag, NodeId, Visit, Visitor, walk};
use crate::provider::{self, Provider, ProviderError, Registry};
use crate::state::EnvState;
use crate::value::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// What refreshing found: objects that changed or vanished.
pub type Refreshed = HashMap<InstanceAddr, Option<Value>>;

/// Told of each object [`refresh`] reads back: when its read starts (with
/// the recorded object's `id`) and when it ends (with the `id` read back;
/// `None` for an object that is gone). Objects whose provider has no
/// effects outside terrace are not read, so not reported.
pub trait Reads: Sync {
    fn reading(&self, addr: &InstanceAddr, id: Option<&str>);
    fn read(&self, addr: &InstanceAddr, id: Option<&str>);
}

/// A [`Reads`] that is told nothing.
pub struct Unobserved;

impl Reads for Unobserved {
    fn reading(&self, _: &InstanceAddr, _: Option<&str>) {}
    fn read(&self, _: &InstanceAddr, _: Option<&str>) {}
}

/// An object's `id` attribute, when it has a plain string one.
fn id_of(v: &Value) -> Option<&str> {
    v.get("id").and_then(Value::as_str)
}

/// Reads every recorded object back, at most `parallelism` at once (a
/// walk over a graph of independent reads), telling `reads` of each;
/// returns those that differ.
pub async fn refresh(
    state: &EnvState,
    registry: &Registry,
    ctx: &provider::Context,
    parallelism: usize,
    reads: &dyn Reads,
) -> Result<Refreshed, Diagnostics> {
    let mut dag: Dag<Read, ()> = Dag::default();
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
        dag.add_node(Read {
            addr,
            current: inst.attributes.clone(),
            provider: p,
        });
    }
    tracing::debug!(objects = dag.len(), "refreshing");
    let mut v = Refresher {
        reads: &dag,
        observer: reads,
        ctx,
        out: Refreshed::new(),
        diags,
    };
    walk(&dag, parallelism, &Cancel::default(), &mut v).await;
    let Refresher { out, diags, .. } = v;
    if diags.has_errors() {
        Err(diags)
    } else {
        Ok(out)
    }
}

/// One object to read back.
struct Read {
    addr: InstanceAddr,
    current: Value,
    provider: Arc<dyn Provider>,
}

struct Refresher<'a> {
    reads: &'a Dag<Read, ()>,
    observer: &'a dyn Reads,
    ctx: &'a provider::Context,
    out: Refreshed,
    diags: Diagnostics,
}

impl Visitor for Refresher<'_> {
    type Job = ();
    type Output = Result<Option<Value>, ProviderError>;

    fn start(&mut self, _: NodeId) -> Visit<()> {
        Visit::Run(vec![()])
    }

    fn launch(&mut self, id: NodeId, (): ()) -> Job<Self::Output> {
        let read = self.reads.node(id);
        self.observer.reading(&read.addr, id_of(&read.current));
        let (p, current, ctx) = (
            read.provider.clone(),
            read.current.clone(),
            self.ctx.clone(),
        );
        Box::pin(async move { p.read(current, &ctx).await })
    }

    fn finished(&mut self, id: NodeId, result: Self::Output) -> Visit<()> {
        let Read { addr, current, .. } = self.reads.node(id);
        if let Ok(v) = &result {
            self.observer.read(addr, v.as_ref().and_then(id_of));
        }
        match result {
            Ok(Some(v)) if v.same_as(current) => {}
            Ok(v) => {
                tracing::debug!(address = %addr, gone = v.is_none(), "changed outside terrace");
                self.out.insert(addr.clone(), v);
            }
            Err(e) => self.diags.push(
                Diagnostic::error("plan::refresh", format!("cannot read {addr}: {e}"))
                    .at(addr)
                    .help("fix the cause, or plan with --refresh=false to use the recorded state as it is"),
            ),
        }
        Visit::Done
    }

    fn lost(&mut self, _: NodeId, _: String) -> Visit<()> {
        self.diags.push(Diagnostic::error(
            "plan::refresh",
            "a refresh task stopped unexpectedly",
        ));
        Visit::Done
    }
}

/// What refreshing found, as drift against `state`, sorted by address.
pub fn drift_of(refreshed: Refreshed, state: &EnvState) -> Vec<Drift> {
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
    drift
}
