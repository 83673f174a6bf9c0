//! Access through the API, for a project's Administrators: its grants
//! (list, give, take away) and tokens for users, as `terrace serve grant`,
//! `revoke` and `token create` do on the host. Every change is recorded
//! in the project's audit trail with the Administrator who made it.

use super::access::{Grant, TokenRecord, valid_name};
use super::guard::Caller;
use super::handlers::{Problem, blocking};
use super::role::Role;
use super::{Server, token, trail};
use crate::project::audit::Outcome;
use axum::Json;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

type Answer = Result<Json<Value>, Problem>;

fn unprocessable(message: String) -> Problem {
    Problem::new(StatusCode::UNPROCESSABLE_ENTITY, message)
}

/// `GET /api/projects/{project}/grants`.
pub async fn grants(State(server): State<Arc<Server>>, Path(project): Path<String>) -> Answer {
    let s = server.clone();
    let grants = blocking(move || s.access.grants_on(&project).map_err(Problem::from)).await?;
    let grants: Vec<Value> = grants
        .iter()
        .map(|g| json!({ "user": g.user, "role": g.role }))
        .collect();
    Ok(Json(json!({ "grants": grants })))
}

#[derive(Debug, Deserialize)]
pub struct RoleBody {
    role: String,
}

/// Gives `user` the role named `role` on `project`, as `admin` (audited
/// as `server.access.grant`): the API's and the console's.
pub(super) async fn set_role(
    server: &Arc<Server>,
    admin: &str,
    project: &str,
    user: &str,
    role: &str,
) -> Result<Grant, Problem> {
    let role = Role::parse(role).ok_or_else(|| {
        unprocessable(format!(
            "{role:?} is not a role: use Viewer, Operator, Editor or Administrator"
        ))
    })?;
    let grant = Grant {
        user: valid_name(user).map_err(|e| unprocessable(format!("the user {e}")))?,
        project: project.to_string(),
        role: role.name().to_string(),
    };
    let (s, g) = (server.clone(), grant.clone());
    blocking(move || s.access.grant(&g).map_err(Problem::from)).await?;
    let details = json!({ "user": grant.user, "role": grant.role });
    let event = trail::event(
        "server.access.grant",
        admin,
        Outcome::Success,
        None,
        details,
    );
    trail::record(server, project, event).await;
    Ok(grant)
}

/// Takes `user`'s role on `project` away, as `admin` (audited as
/// `server.access.revoke`); whether they had one.
pub(super) async fn take_role(
    server: &Arc<Server>,
    admin: &str,
    project: &str,
    user: &str,
) -> Result<bool, Problem> {
    let (s, p, u) = (server.clone(), project.to_string(), user.to_string());
    let revoked = blocking(move || s.access.revoke(&u, &p).map_err(Problem::from)).await?;
    if revoked {
        let event = trail::event(
            "server.access.revoke",
            admin,
            Outcome::Success,
            None,
            json!({ "user": user }),
        );
        trail::record(server, project, event).await;
    }
    Ok(revoked)
}

/// A new token for `user`, made by `admin` through `project` (audited
/// as `server.token.create`, never the token): the secret, to be shown
/// once (its hash is kept).
pub(super) async fn new_token(
    server: &Arc<Server>,
    admin: &str,
    project: &str,
    user: &str,
) -> Result<(String, String), Problem> {
    let user = valid_name(user).map_err(|e| unprocessable(format!("the user {e}")))?;
    let secret = token::generate().map_err(Problem::internal)?;
    let record = TokenRecord {
        hash: token::hash(&secret),
        user: user.clone(),
        created: crate::project::now(),
    };
    let s = server.clone();
    blocking(move || s.access.add_token(&record).map_err(Problem::from)).await?;
    let event = trail::event(
        "server.token.create",
        admin,
        Outcome::Success,
        None,
        json!({ "user": user }),
    );
    trail::record(server, project, event).await;
    Ok((user, secret))
}

/// `PUT /api/projects/{project}/grants/{user}` with `{"role": …}`.
pub async fn put_grant(
    State(server): State<Arc<Server>>,
    Extension(caller): Extension<Caller>,
    Path((project, user)): Path<(String, String)>,
    Json(body): Json<RoleBody>,
) -> Answer {
    let grant = set_role(&server, &caller.user, &project, &user, &body.role).await?;
    Ok(Json(
        json!({ "user": grant.user, "project": project, "role": grant.role }),
    ))
}

/// `DELETE /api/projects/{project}/grants/{user}`.
pub async fn delete_grant(
    State(server): State<Arc<Server>>,
    Extension(caller): Extension<Caller>,
    Path((project, user)): Path<(String, String)>,
) -> Answer {
    let revoked = take_role(&server, &caller.user, &project, &user).await?;
    Ok(Json(json!({ "user": user, "revoked": revoked })))
}

#[derive(Debug, Deserialize)]
pub struct UserBody {
    user: String,
}

/// `POST /api/projects/{project}/tokens` with `{"user": …}`: a new token
/// for the user, in the answer only (its hash is kept). It gives nothing
/// until the user has a grant.
pub async fn create_token(
    State(server): State<Arc<Server>>,
    Extension(caller): Extension<Caller>,
    Path(project): Path<String>,
    Json(body): Json<UserBody>,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let (user, secret) = new_token(&server, &caller.user, &project, &body.user).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "user": user, "token": secret })),
    ))
}
