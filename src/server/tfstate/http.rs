//! The HTTP side of Terraform's state backend: `/tf/state/{project}/{name}`
//! answers Terraform's http backend client (GET, POST, DELETE and the
//! methods LOCK and UNLOCK; every one behind the guard, each with its
//! class: see [`super::super::routes::TF_ROUTES`]), and the API's routes
//! list the states and their versions and restore one.
//!
//! What Terraform expects: GET 200 with the state or 404 for none; POST
//! (with `?ID=` when it holds the lock) 200; LOCK 200, or 423 with the
//! holder's `LockInfo` JSON, which Terraform shows; UNLOCK 200.

use super::{MAX_STATE_BYTES, Outcome, Restore, TfLock, Unlocked};
use crate::project::audit::Outcome as Audited;
use crate::server::Server;
use crate::server::guard::Caller;
use crate::server::handlers::{Problem, blocking};
use crate::server::trail;
use axum::Json;
use axum::extract::{Extension, Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

impl From<super::TfStateError> for Problem {
    fn from(e: super::TfStateError) -> Problem {
        tracing::error!("{e}");
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the server cannot read or write its Terraform states",
        )
    }
}

/// `?ID=LOCK_ID`, as Terraform sends it with a write under its lock.
#[derive(Debug, Deserialize)]
pub struct LockQuery {
    #[serde(rename = "ID")]
    id: Option<String>,
}

/// The holder's `LockInfo`, as Terraform reads it from a refusal: 423
/// Locked with the JSON it sent when it took the lock.
fn locked(holder: &TfLock) -> Response {
    let mut response = (StatusCode::LOCKED, holder.info.clone()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn bad_request(message: impl Into<String>) -> Problem {
    Problem::new(StatusCode::BAD_REQUEST, message)
}

/// The state's name from the path, checked.
fn checked_name(name: &str) -> Result<String, Problem> {
    super::valid_name(name)
        .map(str::to_string)
        .map_err(bad_request)
}

/// The request's body, at most [`MAX_STATE_BYTES`] (413 beyond).
async fn body(req: Request) -> Result<Vec<u8>, Problem> {
    let too_large = || {
        Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the body is larger than {MAX_STATE_BYTES} bytes"),
        )
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_STATE_BYTES as u64) {
        return Err(too_large());
    }
    axum::body::to_bytes(req.into_body(), MAX_STATE_BYTES)
        .await
        .map(|b| b.to_vec())
        .map_err(|_| too_large())
}

/// Terraform's `LockInfo` from a LOCK or UNLOCK body: its `ID`, and the
/// JSON as sent.
fn lock_info(bytes: &[u8]) -> Result<(String, String), Problem> {
    let info: Value = serde_json::from_slice(bytes)
        .map_err(|e| bad_request(format!("the body is not Terraform's LockInfo (JSON): {e}")))?;
    let id = info
        .get("ID")
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
        .ok_or_else(|| bad_request("the LockInfo has no \"ID\""))?;
    let text = String::from_utf8_lossy(bytes).into_owned();
    Ok((id.to_string(), text))
}

/// `GET|POST|DELETE|LOCK|UNLOCK /tf/state/{project}/{name}`.
pub async fn state(
    State(server): State<Arc<Server>>,
    Extension(caller): Extension<Caller>,
    Path((project, name)): Path<(String, String)>,
    Query(q): Query<LockQuery>,
    req: Request,
) -> Result<Response, Problem> {
    let name = checked_name(&name)?;
    let method = req.method().clone();
    let (s, p, n) = (server.clone(), project.clone(), name.clone());
    match method.as_str() {
        "GET" => {
            let bytes =
                blocking(move || super::current(&*s.tfstate, &p, &n).map_err(Problem::from))
                    .await?;
            let Some(bytes) = bytes else {
                return Err(Problem::new(
                    StatusCode::NOT_FOUND,
                    format!("project {project} has no Terraform state named {name}"),
                ));
            };
            use base64::Engine;
            use md5::Digest;
            let md5 = base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(&bytes));
            let mut response = bytes.into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            if let Ok(v) = HeaderValue::from_str(&md5) {
                headers.insert("content-md5", v);
            }
            Ok(response)
        }
        "POST" => {
            let bytes = body(req).await?;
            let described = super::describe(&bytes).map_err(bad_request)?;
            let user = caller.user.clone();
            let written = blocking(move || {
                super::write(
                    &*s.tfstate,
                    &p,
                    &n,
                    bytes,
                    described,
                    q.id.as_deref(),
                    &user,
                )
                .map_err(Problem::from)
            })
            .await?;
            match written {
                Outcome::Done(v) => Ok(Json(json!({ "version": v })).into_response()),
                Outcome::Locked(holder) => Ok(locked(&holder)),
            }
        }
        "DELETE" => {
            let deleted = blocking(move || {
                super::delete(&*s.tfstate, &p, &n, q.id.as_deref()).map_err(Problem::from)
            })
            .await?;
            match deleted {
                Outcome::Done(existed) => {
                    if existed {
                        let event = trail::event(
                            "tfstate.delete",
                            &caller.user,
                            Audited::Success,
                            None,
                            json!({ "name": name }),
                        );
                        trail::record(&server, &project, event).await;
                    }
                    Ok(Json(json!({ "name": name, "deleted": existed })).into_response())
                }
                Outcome::Locked(holder) => Ok(locked(&holder)),
            }
        }
        "LOCK" => {
            let (id, info) = lock_info(&body(req).await?)?;
            let lock = TfLock {
                id,
                user: caller.user.clone(),
                info: info.clone(),
            };
            let taken =
                blocking(move || super::lock(&*s.tfstate, &p, &n, &lock).map_err(Problem::from))
                    .await?;
            match taken {
                Outcome::Done(()) => {
                    let mut response = (StatusCode::OK, info).into_response();
                    response.headers_mut().insert(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("application/json"),
                    );
                    Ok(response)
                }
                Outcome::Locked(holder) => Ok(locked(&holder)),
            }
        }
        "UNLOCK" => {
            let (id, _) = lock_info(&body(req).await?)?;
            let released =
                blocking(move || super::unlock(&*s.tfstate, &p, &n, &id).map_err(Problem::from))
                    .await?;
            match released {
                Unlocked::Released(held) => {
                    if held.user != caller.user {
                        // Someone else's lock, released with its id: a
                        // lock broken, as `terraform force-unlock` does.
                        broken(&server, &project, &caller.user, &name, &held).await;
                    }
                    Ok(StatusCode::OK.into_response())
                }
                Unlocked::NotLocked => Ok(StatusCode::OK.into_response()),
                Unlocked::HeldBy(holder) => Ok(locked(&holder)),
            }
        }
        _ => Err(Problem::new(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("{method} is not a method of Terraform's HTTP state backend"),
        )),
    }
}

/// `GET /api/projects/{project}/tfstate`: the project's states.
pub async fn names(
    State(server): State<Arc<Server>>,
    Path(project): Path<String>,
) -> Result<Json<Value>, Problem> {
    let states = blocking(move || {
        let store = &*server.tfstate;
        let mut states = Vec::new();
        for name in store.names(&project)? {
            let head = store.head(&project, &name)?.unwrap_or_default();
            states.push(json!({
                "name": name,
                "current": head.current,
                "locked": head.lock.as_ref().map(|l| json!({ "id": l.id, "user": l.user })),
            }));
        }
        Ok(states)
    })
    .await?;
    Ok(Json(json!({ "states": states })))
}

/// `GET /api/projects/{project}/tfstate/{name}/versions`: every version
/// of the state, oldest first, its current one and its lock.
pub async fn versions(
    State(server): State<Arc<Server>>,
    Path((project, name)): Path<(String, String)>,
) -> Result<Json<Value>, Problem> {
    let name = checked_name(&name)?;
    let (p, n) = (project.clone(), name.clone());
    let head = blocking(move || server.tfstate.head(&p, &n).map_err(Problem::from)).await?;
    let Some(head) = head else {
        return Err(Problem::new(
            StatusCode::NOT_FOUND,
            format!("project {project} has no Terraform state named {name}"),
        ));
    };
    Ok(Json(json!({
        "name": name,
        "current": head.current,
        "locked": head.lock.as_ref().map(|l| json!({ "id": l.id, "user": l.user })),
        "versions": head.versions,
    })))
}

/// `POST /api/projects/{project}/tfstate/{name}/versions/{n}/restore`:
/// version `n`'s content written again as the current version (with a
/// serial above the current one); refused while the state is locked.
pub async fn restore(
    State(server): State<Arc<Server>>,
    Extension(caller): Extension<Caller>,
    Path((project, name, version)): Path<(String, String, String)>,
) -> Result<Json<Value>, Problem> {
    let name = checked_name(&name)?;
    let version: i64 = version
        .parse()
        .map_err(|_| bad_request(format!("{version:?} is not a version number")))?;
    let (s, p, n, user) = (
        server.clone(),
        project.clone(),
        name.clone(),
        caller.user.clone(),
    );
    let restored = blocking(move || {
        super::restore(&*s.tfstate, &p, &n, version, &user).map_err(Problem::from)
    })
    .await?;
    match restored {
        Restore::Restored(v) => {
            let event = trail::event(
                "tfstate.restore",
                &caller.user,
                Audited::Success,
                None,
                json!({ "name": name, "from": version, "version": v.version, "serial": v.serial }),
            );
            trail::record(&server, &project, event).await;
            Ok(Json(
                json!({ "name": name, "restored": version, "version": v }),
            ))
        }
        Restore::NoSuchVersion => Err(Problem::new(
            StatusCode::NOT_FOUND,
            format!("the Terraform state {name} of project {project} has no version {version}"),
        )),
        Restore::Locked(holder) => Err(Problem::new(
            StatusCode::LOCKED,
            format!(
                "the Terraform state {name} is locked by {} (lock {}): restore it once the lock is released",
                holder.user, holder.id
            ),
        )),
        Restore::NotAState(why) => Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("version {version} of {name} is not a Terraform state: {why}"),
        )),
    }
}

/// `POST /api/projects/{project}/tfstate/{name}/unlock`: releases the
/// state's lock whoever holds it (audited as `tfstate.lock.break`);
/// `{"name", "released": {"id", "user"} | null}`.
pub async fn break_lock(
    State(server): State<Arc<Server>>,
    Extension(caller): Extension<Caller>,
    Path((project, name)): Path<(String, String)>,
) -> Result<Json<Value>, Problem> {
    let name = checked_name(&name)?;
    let (s, p, n) = (server.clone(), project.clone(), name.clone());
    let released =
        blocking(move || super::break_lock(&*s.tfstate, &p, &n).map_err(Problem::from)).await?;
    if let Some(held) = &released {
        broken(&server, &project, &caller.user, &name, held).await;
    }
    Ok(Json(json!({
        "name": name,
        "released": released.map(|l| json!({ "id": l.id, "user": l.user })),
    })))
}

/// Audits `user`'s release of `held`, someone else's lock on state `name`.
async fn broken(server: &Arc<Server>, project: &str, user: &str, name: &str, held: &TfLock) {
    let event = trail::event(
        "tfstate.lock.break",
        user,
        Audited::Success,
        None,
        json!({ "name": name, "id": held.id, "holder": held.user }),
    );
    trail::record(server, project, event).await;
}
