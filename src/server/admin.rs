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

/// `PUT /api/projects/{project}/grants/{user}` with `{"role": …}`.
pub async fn put_grant(
    State(server): State<Arc<Server>>,
    Extension(caller): Extension<Caller>,
    Path((project, user)): Path<(String, String)>,
    Json(body): Json<RoleBody>,
) -> Answer {
    let role = Role::parse(&body.role).ok_or_else(|| {
        unprocessable(format!(
            "{:?} is not a role: use Viewer, Operator, Editor or Administrator",
            body.role
        ))
    })?;
    let grant = Grant {
        user: valid_name(&user).map_err(|e| unprocessable(format!("the user {e}")))?,
        project: project.clone(),
        role: role.name().to_string(),
    };
    let (s, g) = (server.clone(), grant.clone());
    blocking(move || s.access.grant(&g).map_err(Problem::from)).await?;
    let details = json!({ "user": grant.user, "role": grant.role });
    let event = trail::event(
        "server.access.grant",
        &caller.user,
        Outcome::Success,
        None,
        details,
    );
    trail::record(&server, &project, event).await;
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
    let (s, p, u) = (server.clone(), project.clone(), user.clone());
    let revoked = blocking(move || s.access.revoke(&u, &p).map_err(Problem::from)).await?;
    if revoked {
        let event = trail::event(
            "server.access.revoke",
            &caller.user,
            Outcome::Success,
            None,
            json!({ "user": user }),
        );
        trail::record(&server, &project, event).await;
    }
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
    let user = valid_name(&body.user).map_err(|e| unprocessable(format!("the user {e}")))?;
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
        &caller.user,
        Outcome::Success,
        None,
        json!({ "user": user }),
    );
    trail::record(&server, &project, event).await;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "user": user, "token": secret })),
    ))
}
