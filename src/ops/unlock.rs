//! `state unlock`: breaks an environment's stale lock, one whose holder
//! is gone (its process stopped, or its session with the database
//! ended); a live lock is refused.

use super::{Error, Front, Result, Workspace};
use crate::state::LockInfo;
use std::path::PathBuf;

/// The environment whose lock to break.
#[derive(Debug, Clone)]
pub struct UnlockRequest {
    /// The project directory.
    pub root: PathBuf,
    pub env: String,
}

/// What unlock did.
#[derive(Debug)]
pub struct UnlockReport {
    /// The stale lock broken; `None` when the environment was not locked.
    pub broken: Option<LockInfo>,
    /// The interrupted apply's journal is still there (the next plan or
    /// apply recovers it).
    pub journal: bool,
}

/// Breaks `req.env`'s stale lock; audited as `project.environment.unlock`.
pub fn unlock(req: &UnlockRequest, front: &dyn Front) -> Result<UnlockReport> {
    let ws = Workspace::load(&req.root, front)?;
    let result = unlock_loaded(&ws, &req.env);
    ws.audit(
        "project.environment.unlock",
        Some(&req.env),
        serde_json::Value::Null,
        &result,
        front,
    );
    result
}

fn unlock_loaded(ws: &Workspace, env: &str) -> Result<UnlockReport> {
    let env = ws.environment(env)?;
    let store = ws.store(&env.name);
    let broken = match store.unlock_stale() {
        Ok(broken) => broken,
        Err(crate::store::StateError::Lock(crate::state::LockError::Held(info))) => {
            return Err(Error::Refused(format!(
                "environment \"{}\" is locked by {info}, and that process is running; terrace will not break a live lock. Stop it first.",
                env.name
            )));
        }
        Err(e) => return Err(Error::state(&env.name, e)),
    };
    let journal = broken.is_some()
        && store
            .pending_journal()
            .map_err(|e| Error::state(&env.name, e))?
            .is_some();
    Ok(UnlockReport { broken, journal })
}
