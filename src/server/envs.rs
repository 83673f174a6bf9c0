//! What the command line does to an environment's records, through the
//! API: outputs (`terrace output --json`, sensitive values withheld),
//! drift (`terrace drift`), state versions (`terrace state backups`),
//! restore (`terrace state restore`), unlock (`terrace state unlock`), and
//! for the whole project: export (`terrace export`), upgrade (`terrace
//! upgrade`), delete (`terrace delete-project`). Each runs the same
//! [`crate::ops`] operation, audited with the caller as initiator.

use super::Server;
use super::guard::Caller;
use super::handlers::{As, Problem, blocking, root};
use crate::ops;
use axum::Json;
use axum::extract::{Extension, Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

type Answer = Result<Json<Value>, Problem>;

/// How long a request waits for an environment's lock (the command
/// line's default).
pub(super) const LOCK_TIMEOUT: Duration = Duration::from_secs(10);

/// `GET …/environments/{env}/outputs`: the outputs the last apply
/// recorded, by configuration; a sensitive output's value is withheld.
pub async fn outputs(
    State(server): State<Arc<Server>>,
    Extension(caller): Extension<Caller>,
    Path((project, env)): Path<(String, String)>,
) -> Answer {
    let root = root(&server, &project)?;
    let state = blocking(move || {
        let req = ops::state::EnvRequest { root, env };
        ops::state::recorded(&req, &As(caller.user)).map_err(Problem::from)
    })
    .await?;
    Ok(Json(crate::render::json::outputs(&state, None, false)))
}

/// `GET …/environments/{env}/versions`: the kept versions of the
/// environment's state, newest first, each restorable by its serial.
pub async fn versions(
    State(server): State<Arc<Server>>,
    Extension(caller): Extension<Caller>,
    Path((project, env)): Path<(String, String)>,
) -> Answer {
    let root = root(&server, &project)?;
    let list = blocking(move || {
        let req = ops::state::EnvRequest { root, env };
        ops::state::versions(&req, &As(caller.user)).map_err(Problem::from)
    })
    .await?;
    let versions: Vec<Value> = list
        .iter()
        .map(|v| json!({ "serial": v.serial, "configuration": v.config, "saved": v.saved() }))
        .collect();
    Ok(Json(json!({ "versions": versions })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestoreBody {
    serial: u64,
    /// Only this configuration.
    configuration: Option<String>,
}

/// Restores environment `env` of `project` to serial `serial` (only
/// `config` with one), as `user`: the API's and the console's restore.
pub(super) async fn restore_env(
    server: &Arc<Server>,
    user: &str,
    project: &str,
    env: String,
    serial: u64,
    config: Option<String>,
) -> Result<ops::restore::RestoreReport, Problem> {
    let root = root(server, project)?;
    let user = user.to_string();
    blocking(move || {
        let req = ops::restore::RestoreRequest {
            root,
            env,
            serial,
            config,
            lock_timeout: LOCK_TIMEOUT,
        };
        ops::restore::restore(&req, &As(user)).map_err(Problem::from)
    })
    .await
}

/// `POST …/environments/{env}/restore` with `{"serial": N}`: the state as
/// it was at serial N, written as a new version.
pub async fn restore(
    State(server): State<Arc<Server>>,
    Extension(caller): Extension<Caller>,
    Path((project, env)): Path<(String, String)>,
    Json(body): Json<RestoreBody>,
) -> Answer {
    let report = restore_env(
        &server,
        &caller.user,
        &project,
        env,
        body.serial,
        body.configuration,
    )
    .await?;
    let restored: serde_json::Map<String, Value> = report
        .restored
        .into_iter()
        .map(|(config, serial)| (config, json!(serial)))
        .collect();
    Ok(Json(
        json!({ "restored": restored, "serial": report.serial }),
    ))
}

/// `POST …/environments/{env}/unlock`: breaks the environment's stale
/// lock (a live one is refused, 422).
pub async fn unlock(
    State(server): State<Arc<Server>>,
    Extension(caller): Extension<Caller>,
    Path((project, env)): Path<(String, String)>,
) -> Answer {
    let root = root(&server, &project)?;
    let report = blocking(move || {
        let req = ops::unlock::UnlockRequest { root, env };
        ops::unlock::unlock(&req, &As(caller.user)).map_err(Problem::from)
    })
    .await?;
    Ok(Json(json!({
        "broken": report.broken.map(|info| info.to_string()),
        "journal": report.journal,
    })))
}

/// `POST …/environments/{env}/drift`: reads every managed object back
/// and records what changed outside terrace; answers as `terrace drift
/// --json`.
pub async fn drift(
    State(server): State<Arc<Server>>,
    Extension(caller): Extension<Caller>,
    Path((project, env)): Path<(String, String)>,
) -> Result<Response, Problem> {
    let root = root(&server, &project)?;
    // The operation's future is the command line's (not Send).
    let runtime = tokio::runtime::Handle::current();
    let report = blocking(move || {
        let req = ops::drift::DriftRequest {
            root,
            env,
            lock_timeout: LOCK_TIMEOUT,
            parallelism: ops::plan::PlanSettings::default().parallelism,
        };
        runtime
            .block_on(ops::drift::drift(&req, &As(caller.user)))
            .map_err(Problem::from)
    })
    .await?;
    let body = crate::render::drift_json(&report.env, &report.checked_at, &report.drift);
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// `GET /api/projects/{project}/export`: the whole project as
/// `project.json`, as `terrace export` writes it.
pub async fn export(
    State(server): State<Arc<Server>>,
    Extension(caller): Extension<Caller>,
    Path(project): Path<String>,
) -> Result<Response, Problem> {
    let root = root(&server, &project)?;
    let (bytes, _) = blocking(move || {
        let req = ops::export::ExportRequest { root };
        ops::export::export(&req, &As(caller.user)).map_err(Problem::from)
    })
    .await?;
    let file: String = project
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let disposition = format!("attachment; filename=\"{file}.project.json\"");
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpgradeBody {
    configuration: String,
    /// The version to move to (default: the newest).
    to: Option<String>,
    /// The environment to plan (default: the first that promotes from no
    /// other).
    environment: Option<String>,
}

/// `POST /api/projects/{project}/upgrade` with `{"configuration": …}`: as
/// `terrace upgrade`, rewrites the configuration's catalog pin in the
/// served checkout and plans it.
pub async fn upgrade(
    State(server): State<Arc<Server>>,
    Extension(caller): Extension<Caller>,
    Path(project): Path<String>,
    Json(body): Json<UpgradeBody>,
) -> Answer {
    let root = root(&server, &project)?;
    let runtime = tokio::runtime::Handle::current();
    let report = blocking(move || {
        let req = ops::upgrade::UpgradeRequest {
            root,
            configuration: body.configuration,
            to: body.to,
            env: body.environment,
            settings: ops::plan::PlanSettings::default(),
        };
        runtime
            .block_on(ops::upgrade::upgrade(&req, &As(caller.user)))
            .map_err(Problem::from)
    })
    .await?;
    use ops::upgrade::UpgradeReport;
    Ok(Json(match report {
        UpgradeReport::Newest { configuration, pin } => {
            json!({ "configuration": configuration, "pin": pin.to_string(), "upgraded": false, "newest": true })
        }
        UpgradeReport::AlreadyAt { configuration, pin } => {
            json!({ "configuration": configuration, "pin": pin.to_string(), "upgraded": false, "newest": false })
        }
        UpgradeReport::Upgraded { pin, plan } => {
            let summary = plan.summary();
            json!({
                "pin": pin.to_string(),
                "upgraded": true,
                "environment": plan.environment,
                "changes": {
                    "import": summary.import,
                    "add": summary.add,
                    "change": summary.change,
                    "destroy": summary.destroy,
                },
            })
        }
    }))
}

/// `DELETE /api/projects/{project}`: as `terrace delete-project
/// --auto-approve`, removes the project's records after writing a final
/// export into the served checkout (its file name in the answer). Its
/// objects are not undeployed: destroy each environment first.
pub async fn delete_project(
    State(server): State<Arc<Server>>,
    Extension(caller): Extension<Caller>,
    Path(project): Path<String>,
) -> Answer {
    let root = root(&server, &project)?;
    let runtime = tokio::runtime::Handle::current();
    let report = blocking(move || {
        let req = ops::delete::DeleteRequest {
            root,
            destroy: false,
            auto_approve: true,
            output: None,
            lock_timeout: LOCK_TIMEOUT,
        };
        let cancel = crate::apply::Cancel::default();
        runtime
            .block_on(ops::delete::delete(&req, &As(caller.user), &cancel))
            .map_err(Problem::from)
    })
    .await?;
    let export = report
        .export
        .file_name()
        .map(|f| f.to_string_lossy().into_owned());
    Ok(Json(json!({ "project": report.project, "export": export })))
}
