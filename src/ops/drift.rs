//! `drift`: read every managed object back through its provider, report
//! what changed outside terrace, and record the result for `attention`
//! (`.terrace/envs/ENV/drift.json`).

use super::{Front, Result, Workspace};
use crate::plan::Drift;
use crate::state::{DriftKind, DriftRecord, DriftedObject};
use std::path::PathBuf;
use std::time::Duration;

/// A drift check of one environment.
#[derive(Debug, Clone)]
pub struct DriftRequest {
    /// The project directory.
    pub root: PathBuf,
    pub env: String,
    /// How long to wait for the environment's lock.
    pub lock_timeout: Duration,
    /// Provider reads at once.
    pub parallelism: usize,
}

/// What drifted.
#[derive(Debug)]
pub struct DriftReport {
    /// The project's name.
    pub project: String,
    /// The environment's name.
    pub env: String,
    /// When the objects were read (RFC 3339), as recorded.
    pub checked_at: String,
    /// Each object changed or deleted outside terrace.
    pub drift: Vec<Drift>,
}

/// Checks `req.env` for drift and records the result.
pub async fn drift(req: &DriftRequest, front: &dyn Front) -> Result<DriftReport> {
    let ws = Workspace::load(&req.root, front)?;
    let result = check(&ws, req, front).await;
    ws.audit(
        "project.config.drift",
        Some(&req.env),
        serde_json::Value::Null,
        &result,
        front,
    );
    result
}

async fn check(ws: &Workspace, req: &DriftRequest, front: &dyn Front) -> Result<DriftReport> {
    // Definitions that do not load (a plugin that does not start) are
    // reported as such, not as objects that cannot be read.
    let _graph = ws.graph(front)?;
    let env = ws.environment(&req.env)?;
    let authorization = ws.authorization(env)?;
    let store = ws.store(&env.name);
    let lock = super::lock(&*store, "terrace drift", req.lock_timeout)?;
    let state = super::recover_and_load(&*store, &lock, front)?;
    let ctx = crate::provider::Context {
        project_root: ws.project.root.clone(),
        authorization,
    };
    let refreshed =
        crate::plan::refresh(&state, ws.registry(), &ctx, req.parallelism, front.reads())
            .await
            .map_err(|diags| ws.error(diags))?;
    let drift = crate::plan::drift_of(refreshed, &state);
    let record = DriftRecord::now(
        drift
            .iter()
            .map(|d| DriftedObject {
                address: d.address.to_string(),
                configuration: d.address.resource.config.clone(),
                kind: if d.after.is_some() {
                    DriftKind::Changed
                } else {
                    DriftKind::Deleted
                },
            })
            .collect(),
    );
    ws.records().record_drift(&env.name, &record)?;
    drop(lock);
    Ok(DriftReport {
        project: ws.project.name.clone(),
        env: env.name.clone(),
        checked_at: record.checked_at,
        drift,
    })
}
