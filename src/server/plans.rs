//! Plans through the API: made by an Operator as the command line's
//! `terrace plan --out` makes them, kept in the server's records under an
//! id (so that any instance on the same records serves them), shown in
//! `terrace show`'s three formats, and approved by an Editor as `terrace
//! approve` does — each with the authenticated caller as the operation's
//! user: the plan's author, the approver, the audit events' initiator.

use super::access::KeptPlan;
use super::guard::Caller;
use super::handlers::{As, Problem, blocking, root};
use super::{Server, token};
use crate::ops;
use axum::Json;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

/// The kept plan `id` of `project` for environment `env`, or 404.
pub(super) async fn kept(
    server: &Arc<Server>,
    project: &str,
    env: &str,
    id: &str,
) -> Result<KeptPlan, Problem> {
    let (s, p, i) = (server.clone(), project.to_string(), id.to_string());
    let plan = blocking(move || s.access.kept_plan(&p, &i).map_err(Problem::from)).await?;
    plan.filter(|p| p.env == env).ok_or_else(|| {
        Problem::new(
            StatusCode::NOT_FOUND,
            format!("no plan {id} for environment \"{env}\" of project {project}"),
        )
    })
}

/// A plan made and kept by [`make`].
pub(super) struct Made {
    pub id: String,
    /// The plan file's sha256.
    pub sha256: String,
    pub summary: crate::plan::Summary,
    /// A promotion's release and source environment.
    pub release: Option<String>,
    pub promoted_from: Option<String>,
}

/// Plans environment `env` of served project `project` as `user` (refresh
/// on, as `terrace plan`), or with `promote_from` its promotion (as
/// `terrace promote --from FROM --to ENV --out`), and keeps the plan: the
/// API's and the console's "make a plan".
pub(super) async fn make(
    server: &Arc<Server>,
    project: &str,
    env: &str,
    user: &str,
    promote_from: Option<String>,
) -> Result<Made, Problem> {
    let root = root(server, project)?;
    // The plan file is written where the command line writes one, then
    // kept in the records: its bytes are what approvals bind to.
    let scratch = tempfile::tempdir()
        .map_err(|e| Problem::internal(format!("a temporary directory: {e}")))?;
    let out = scratch.path().join("plan");
    let settings = ops::plan::PlanSettings::default();
    // The operations' futures are not Send (they are the command line's):
    // they run on a blocking thread of their own, on the server's runtime.
    let runtime = tokio::runtime::Handle::current();
    let (author, to, file) = (user.to_string(), env.to_string(), out.clone());
    blocking(move || {
        let front = As(author);
        let done = match promote_from {
            None => {
                let req = ops::plan::PlanRequest {
                    root,
                    env: to,
                    destroy: false,
                    out: Some(file),
                    settings,
                };
                runtime.block_on(ops::plan::plan(&req, &front)).map(drop)
            }
            Some(from) => {
                let req = ops::promote::PromoteRequest {
                    root,
                    from,
                    to,
                    out: Some(file),
                    apply: false,
                    auto_approve: false,
                    settings,
                };
                let cancel = crate::apply::Cancel::default();
                runtime
                    .block_on(ops::promote::promote(&req, &front, &cancel))
                    .map(drop)
            }
        };
        done.map_err(Problem::from)
    })
    .await?;
    let bytes = std::fs::read(&out)
        .map_err(|e| Problem::internal(format!("the saved plan {}: {e}", out.display())))?;
    let (plan, sha256) = ops::plan::decode(&bytes, &out)?;
    let id: String = token::generate().map_err(Problem::internal)?[..32].to_string();
    let kept = KeptPlan {
        id: id.clone(),
        project: project.to_string(),
        env: env.to_string(),
        author: user.to_string(),
        created: crate::project::now(),
        bytes,
    };
    let s = server.clone();
    blocking(move || s.access.keep_plan(&kept).map_err(Problem::from)).await?;
    Ok(Made {
        id,
        sha256,
        summary: plan.summary(),
        release: plan.release,
        promoted_from: plan.promoted_from,
    })
}

/// The optional body of `POST …/plans`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanBody {
    /// Plan a promotion of this environment's release (`terrace promote
    /// --from FROM --to ENV --out`) rather than the definitions.
    promote_from: Option<String>,
}

/// `POST /api/projects/{project}/environments/{env}/plans`: plans the
/// environment (refresh on, as `terrace plan`), or with `{"promote_from":
/// FROM}` its promotion, and keeps the plan.
pub async fn create(
    State(server): State<Arc<Server>>,
    Extension(caller): Extension<Caller>,
    Path((project, env)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let body: PlanBody = if body.iter().all(u8::is_ascii_whitespace) {
        PlanBody::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| Problem::new(StatusCode::BAD_REQUEST, format!("the request body: {e}")))?
    };
    let made = make(&server, &project, &env, &caller.user, body.promote_from).await?;
    let summary = made.summary;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "id": made.id,
            "environment": env,
            "author": caller.user,
            "sha256": made.sha256,
            "release": made.release,
            "promoted_from": made.promoted_from,
            "changes": {
                "import": summary.import,
                "add": summary.add,
                "change": summary.change,
                "destroy": summary.destroy,
            },
        })),
    ))
}

#[derive(Debug, Deserialize)]
pub struct ShowQuery {
    format: Option<String>,
}

/// `GET …/plans/{id}?format=text|markdown|json|file`: as `terrace show
/// PLANFILE --format …` shows the plan file (text by default), or the
/// file itself.
pub async fn show(
    State(server): State<Arc<Server>>,
    Path((project, env, id)): Path<(String, String, String)>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, Problem> {
    let format = q.format.as_deref().unwrap_or("text");
    if !matches!(format, "text" | "markdown" | "json" | "file") {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            format!("format={format:?}: use text, markdown, json or file"),
        ));
    }
    let kept = kept(&server, &project, &env, &id).await?;
    if format == "file" {
        // Byte for byte: an approval binds to these bytes.
        return Ok((
            [(header::CONTENT_TYPE, "application/octet-stream")],
            kept.bytes,
        )
            .into_response());
    }
    let (plan, _) = ops::plan::decode(&kept.bytes, std::path::Path::new(&id))?;
    let (body, kind) = match format {
        "json" => (crate::render::json::plan(&plan, false), "application/json"),
        "markdown" => (
            crate::render::markdown::plan(&plan, usize::MAX).concat(),
            "text/markdown; charset=utf-8",
        ),
        _ => (
            crate::render::plan(&plan, crate::render::Palette::plain()),
            "text/plain; charset=utf-8",
        ),
    };
    Ok(([(header::CONTENT_TYPE, kind)], body).into_response())
}

#[derive(Debug, Deserialize)]
pub struct ApproveBody {
    comment: String,
    #[serde(default)]
    override_policy: Vec<String>,
}

/// Approves kept plan `id` of `project`'s environment `env` as `user`,
/// as `terrace approve` does: the API's and the console's approval.
pub(super) async fn approve_kept(
    server: &Arc<Server>,
    project: &str,
    env: &str,
    id: &str,
    user: &str,
    comment: String,
    override_policy: Vec<String>,
) -> Result<ops::approve::ApproveReport, Problem> {
    let root = root(server, project)?;
    let kept = kept(server, project, env, id).await?;
    let (env, id, user) = (env.to_string(), id.to_string(), user.to_string());
    blocking(move || {
        let req = ops::approve::ApproveRequest {
            root,
            env,
            plan: std::path::PathBuf::from(&id),
            kept: Some(kept.bytes),
            comment,
            lock_timeout: super::envs::LOCK_TIMEOUT,
            override_policy,
        };
        ops::approve::approve(&req, &As(user)).map_err(Problem::from)
    })
    .await
}

/// `POST …/plans/{id}/approve` with `{"comment": …}`: as `terrace
/// approve`, the caller the approver.
pub async fn approve(
    State(server): State<Arc<Server>>,
    Extension(caller): Extension<Caller>,
    Path((project, env, id)): Path<(String, String, String)>,
    Json(body): Json<ApproveBody>,
) -> Result<Json<Value>, Problem> {
    let report = approve_kept(
        &server,
        &project,
        &env,
        &id,
        &caller.user,
        body.comment,
        body.override_policy,
    )
    .await?;
    Ok(Json(
        json!({ "sha256": report.hash, "summary": report.summary }),
    ))
}
