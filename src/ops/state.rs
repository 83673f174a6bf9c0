//! Reading an environment's records: the outputs recorded by the last
//! apply (`terrace output`) and the kept state versions (`terrace state
//! backups`). Each read is audited.

use super::{Error, Front, Result, Workspace};
use crate::state::EnvState;
use crate::store::local::BackupInfo;
use std::path::PathBuf;

/// One environment of the project in `root`.
#[derive(Debug, Clone)]
pub struct EnvRequest {
    /// The project directory.
    pub root: PathBuf,
    pub env: String,
}

/// The environment's state as recorded (its outputs are the last
/// apply's); audited as `project.config.read`.
pub fn recorded(req: &EnvRequest, front: &dyn Front) -> Result<EnvState> {
    let ws = Workspace::load(&req.root, front)?;
    let result = ws
        .environment(&req.env)
        .and_then(|env| super::load_state(&*ws.store(&env.name)));
    ws.audit(
        "project.config.read",
        Some(&req.env),
        serde_json::Value::Null,
        &result,
        front,
    );
    result
}

/// The kept versions of the environment's state, each restorable by its
/// serial; audited as `project.state.read`.
pub fn versions(req: &EnvRequest, front: &dyn Front) -> Result<Vec<BackupInfo>> {
    let ws = Workspace::load(&req.root, front)?;
    let result = ws.environment(&req.env).and_then(|env| {
        ws.store(&env.name)
            .versions()
            .map_err(|e| Error::state(&env.name, e))
    });
    ws.audit(
        "project.state.read",
        Some(&req.env),
        serde_json::Value::Null,
        &result,
        front,
    );
    result
}
