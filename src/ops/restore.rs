//! `state restore`: an environment's state as it was at an earlier
//! serial, written as a new version.

use super::{Error, Front, Result, Workspace};
use std::path::PathBuf;
use std::time::Duration;

/// A restore of one environment's state (or one configuration's).
#[derive(Debug, Clone)]
pub struct RestoreRequest {
    /// The project directory.
    pub root: PathBuf,
    pub env: String,
    /// The serial to go back to.
    pub serial: u64,
    /// Only this configuration.
    pub config: Option<String>,
    /// How long to wait for the environment's lock.
    pub lock_timeout: Duration,
}

/// What was restored.
#[derive(Debug)]
pub struct RestoreReport {
    /// Each configuration and the serial of the version it got back;
    /// 0 when it had no state then (and is now empty).
    pub restored: Vec<(String, u64)>,
    /// The environment's serial now.
    pub serial: u64,
}

/// Restores `req.env`'s state as it was at `req.serial`.
pub fn restore(req: &RestoreRequest, front: &dyn Front) -> Result<RestoreReport> {
    let ws = Workspace::load(&req.root, front)?;
    let result = restore_loaded(&ws, req, front);
    ws.audit(
        "project.state.restore",
        Some(&req.env),
        serde_json::json!({ "serial": req.serial }),
        &result,
        front,
    );
    result
}

fn restore_loaded(
    ws: &Workspace,
    req: &RestoreRequest,
    front: &dyn Front,
) -> Result<RestoreReport> {
    let env = ws.environment(&req.env)?;
    let store = ws.store(&env.name);
    let lock = super::lock(&*store, "terrace state restore", req.lock_timeout)?;
    let pending = store
        .pending_journal()
        .map_err(|e| Error::state(&env.name, e))?;
    if pending.is_some() {
        super::recover_and_load(&*store, &lock, front)?;
    }
    let restored = store
        .restore(&lock, req.serial, req.config.as_deref())
        .map_err(|e| Error::state(&env.name, e))?;
    let serial = super::load_state(&*store)?.serial();
    Ok(RestoreReport {
        restored: restored.into_iter().collect(),
        serial,
    })
}
