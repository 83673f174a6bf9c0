//! One provider operation: what it does, and running it with its journal
//! records (for operations with outside effects, the start durably before
//! it runs; the end once it is done).

use crate::address::InstanceAddr;
use crate::graph::NodeId;
use crate::ids::InstanceId;
use crate::plan::Action;
use crate::provider::{self, Provider};
use crate::state::{Journal, Record};
use crate::value::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What a provider operation does.
pub(super) enum OpKind {
    Create(Value),
    Update(Value, Value),
    Delete(Value),
    /// The old object of a create-before-destroy replacement: state
    /// already holds the new one.
    DeleteDeposed(Value),
    ReadData(Value),
}

impl OpKind {
    /// The `id` of the object an update or delete acts on.
    pub(super) fn prior_id(&self) -> Option<String> {
        match self {
            OpKind::Update(prior, _) | OpKind::Delete(prior) | OpKind::DeleteDeposed(prior) => {
                prior.get("id").and_then(Value::as_str).map(str::to_string)
            }
            OpKind::Create(_) | OpKind::ReadData(_) => None,
        }
    }

    /// The values the provider is given.
    fn values(&self) -> Vec<&Value> {
        match self {
            OpKind::Update(prior, planned) => vec![prior, planned],
            OpKind::Create(v)
            | OpKind::Delete(v)
            | OpKind::DeleteDeposed(v)
            | OpKind::ReadData(v) => {
                vec![v]
            }
        }
    }
}

pub(super) struct Op {
    pub(super) step: NodeId,
    pub(super) index: InstanceId,
    pub(super) address: InstanceAddr,
    pub(super) action: Action,
    pub(super) kind: OpKind,
    pub(super) provider: Arc<dyn Provider>,
    pub(super) dependencies: Option<Vec<String>>,
    /// For a create-before-destroy replacement: record the old object's
    /// pending delete before creating the new one.
    pub(super) guard_deposed: bool,
}

pub(super) struct OpDone {
    pub(super) step: NodeId,
    pub(super) index: InstanceId,
    pub(super) address: InstanceAddr,
    pub(super) dependencies: Option<Vec<String>>,
    pub(super) action: Action,
    pub(super) deposed: bool,
    pub(super) result: Result<Option<Value>, String>,
    pub(super) journal_error: Option<String>,
    pub(super) elapsed: Duration,
}

pub(super) fn verb(a: Action) -> &'static str {
    match a {
        Action::Create | Action::Replace => "create",
        Action::Update => "update",
        Action::Delete => "delete",
        Action::Read => "read",
        Action::NoOp => "nothing",
        Action::Forget => "forget",
    }
}

/// Runs one provider operation, journaling its start (for operations with
/// outside effects, durably, before it runs) and its end.
pub(super) async fn run_op(op: Op, journal: Arc<Journal>, ctx: provider::Context) -> OpDone {
    let t0 = Instant::now();
    let side_effects = op.provider.has_side_effects();
    tracing::debug!(address = %op.address, action = ?op.action, side_effects, "operation starts");
    let deposed = matches!(op.kind, OpKind::DeleteDeposed(_));
    let name = super::shown(&op.address.to_string(), deposed).into_owned();
    let mut done = OpDone {
        step: op.step,
        index: op.index,
        address: op.address.clone(),
        dependencies: op.dependencies.clone(),
        action: op.action,
        deposed,
        result: Ok(None),
        journal_error: None,
        elapsed: Duration::ZERO,
    };
    let journaled = !matches!(op.kind, OpKind::ReadData(_));
    if journaled && side_effects {
        let mut starts = vec![Record::Start {
            address: name.clone(),
            action: verb(op.action).to_string(),
            time: jiff::Timestamp::now().to_string(),
        }];
        if op.guard_deposed {
            starts.insert(
                0,
                Record::Start {
                    address: super::shown(&op.address.to_string(), true).into_owned(),
                    action: "delete".into(),
                    time: jiff::Timestamp::now().to_string(),
                },
            );
        }
        for s in &starts {
            if let Err(e) = journal.append_durable(s).await {
                done.result = Err(format!("not started: cannot write the journal: {e}"));
                done.journal_error = Some(e.to_string());
                return done;
            }
        }
    }
    let p = op.provider.as_ref();
    let secrets = crate::value::sensitive_texts(op.kind.values());
    done.result = match op.kind {
        OpKind::Create(planned) => p.create(planned, &ctx).await.map(Some),
        OpKind::Update(prior, planned) => p.update(prior, planned, &ctx).await.map(Some),
        OpKind::Delete(prior) | OpKind::DeleteDeposed(prior) => {
            p.delete(prior, &ctx).await.map(|()| None)
        }
        OpKind::ReadData(args) => p.read_data(args, &ctx).await.map(Some),
    }
    .map_err(|e| e.hiding(&secrets).message);
    if journaled && let Ok(v) = &done.result {
        let rec = Record::Done {
            address: name,
            action: verb(op.action).to_string(),
            attributes: if deposed { None } else { v.clone() },
            dependencies: op.dependencies,
        };
        let written = if side_effects {
            journal.append_durable(&rec).await
        } else {
            journal.append(&rec)
        };
        if let Err(e) = written {
            done.journal_error = Some(e.to_string());
        }
    }
    done.elapsed = t0.elapsed();
    tracing::debug!(address = %done.address, ok = done.result.is_ok(), elapsed = ?done.elapsed, "operation ends");
    done
}
