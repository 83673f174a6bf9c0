//! The handlers: each parses its request, calls one [`crate::ops`]
//! function on a blocking thread (operations read files and databases),
//! and answers JSON. Errors are `{"error": "…"}` with a status.

use super::Server;
use super::guard::Caller;
use super::routes::OPENAPI;
use crate::ops;
use axum::Json;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;

/// An error answer.
#[derive(Debug)]
pub struct Problem {
    pub status: StatusCode,
    pub message: String,
}

impl Problem {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Problem {
        Problem {
            status,
            message: message.into(),
        }
    }

    pub fn internal(message: impl Into<String>) -> Problem {
        Problem::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }
}

impl From<super::access::AccessError> for Problem {
    fn from(e: super::access::AccessError) -> Problem {
        tracing::error!("{e}");
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the server cannot read its access records",
        )
    }
}

impl From<ops::Error> for Problem {
    fn from(e: ops::Error) -> Problem {
        let status = match e {
            ops::Error::Diagnostics { .. } | ops::Error::Refused(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Problem::new(status, e.reason())
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        (self.status, Json(json!({ "error": self.message }))).into_response()
    }
}

/// The front end of an operation the server runs for a caller: shows
/// nothing, asks nothing, and names the caller as the one who runs it.
pub struct As(pub String);

impl ops::Front for As {
    fn user(&self) -> String {
        self.0.clone()
    }
}

/// How many operations this server runs at once; more requests wait
/// their turn. An operation holds up to three connections to a project's
/// PostgreSQL database (records, lock, audit trail): bounded so, 200
/// clients at once stay far within PostgreSQL's `max_connections` (100
/// by default), where unbounded they were refused ("too many clients").
/// Two cores are busy with fewer than this.
const OPERATIONS: usize = 16;

static RUNNING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(OPERATIONS);

/// Runs `f` on a blocking thread, one of at most [`OPERATIONS`].
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Problem> + Send + 'static,
) -> Result<T, Problem> {
    let _turn = RUNNING
        .acquire()
        .await
        .map_err(|e| Problem::internal(format!("the request's turn: {e}")))?;
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|e| Err(Problem::internal(format!("the request's task failed: {e}"))))
}

type Answer = Result<Json<Value>, Problem>;

/// The served project's directory (the guard checked that it is served).
pub(super) fn root(server: &Server, project: &str) -> Result<PathBuf, Problem> {
    server.projects.get(project).cloned().ok_or_else(|| {
        Problem::new(
            StatusCode::NOT_FOUND,
            format!("this server does not serve a project named \"{project}\""),
        )
    })
}

/// `GET /api/openapi.json`.
pub async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

/// `GET /api/projects`: the served projects the caller has a role on.
pub async fn projects(
    State(server): State<Arc<Server>>,
    Extension(caller): Extension<Caller>,
) -> Answer {
    let s = server.clone();
    let grants = blocking(move || s.access.grants_of(&caller.user).map_err(Problem::from)).await?;
    let projects: Vec<Value> = grants
        .iter()
        .filter(|g| server.projects.contains_key(&g.project))
        .filter_map(|g| Some(json!({ "name": g.project, "role": g.role()? })))
        .collect();
    Ok(Json(json!({ "projects": projects })))
}

/// `GET /api/projects/{project}/status`: as `terrace status --json`.
pub async fn status(
    State(server): State<Arc<Server>>,
    Extension(caller): Extension<Caller>,
    Path(project): Path<String>,
) -> Answer {
    let root = root(&server, &project)?;
    let report = blocking(move || {
        ops::status::status(&ops::status::StatusRequest { root }, &As(caller.user))
            .map_err(Problem::from)
    })
    .await?;
    Ok(Json(
        json!({ "project": report.project, "environments": report.environments }),
    ))
}

/// `GET /api/projects/{project}/attention`: as `terrace attention --json`.
pub async fn attention(
    State(server): State<Arc<Server>>,
    Extension(caller): Extension<Caller>,
    Path(project): Path<String>,
) -> Answer {
    let root = root(&server, &project)?;
    let report = blocking(move || {
        let req = ops::attention::AttentionRequest {
            root,
            fail_on: None,
        };
        ops::attention::attention(&req, &As(caller.user)).map_err(Problem::from)
    })
    .await?;
    Ok(Json(json!({ "items": report.items })))
}

/// The filters of `terrace audit`.
#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    env: Option<String>,
    /// RFC 3339, a date (UTC) or an age.
    since: Option<String>,
    /// Only events whose action contains this.
    action: Option<String>,
}

/// `GET /api/projects/{project}/audit?env=ENV&since=WHEN&action=TEXT`: the events as
/// recorded (each with its hash), oldest first.
pub async fn audit(
    State(server): State<Arc<Server>>,
    Extension(caller): Extension<Caller>,
    Path(project): Path<String>,
    Query(q): Query<AuditQuery>,
) -> Answer {
    let root = root(&server, &project)?;
    let since = q.since.as_deref().map(parse_since).transpose()?;
    let events = blocking(move || {
        let req = ops::audit::AuditRequest {
            root,
            env: q.env,
            since,
            action: q.action,
        };
        ops::audit::events(&req, &As(caller.user)).map_err(Problem::from)
    })
    .await?;
    let events: Vec<Value> = events
        .into_iter()
        .map(|(event, line)| serde_json::from_str(&line).unwrap_or_else(|_| json!(event)))
        .collect();
    Ok(Json(json!({ "events": events })))
}

/// `since`: RFC 3339, a date (UTC midnight) or an age (`24h`).
fn parse_since(s: &str) -> Result<jiff::Timestamp, Problem> {
    ops::audit::parse_since(s)
        .map_err(|e| Problem::new(StatusCode::BAD_REQUEST, format!("since={e}")))
}

/// Any path the API does not have.
pub async fn not_found() -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "no such endpoint; see /api/openapi.json",
    )
}
