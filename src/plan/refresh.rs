//! Refresh: reading every recorded object back through its provider, to
//! see what changed outside terrace.

use super::model::Drift;
use crate::address::{InstanceAddr, Mode};
use crate::diag::{Diagnostic, Diagnostics};
use crate::provider::{self, Registry};
use crate::state::EnvState;
use crate::value::Value;
use std::collections::HashMap;
use std::sync::Arc;

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
