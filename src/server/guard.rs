//! The guard in front of every route: who is calling (the bearer token's
//! user), and whether their role on the route's project is enough for
//! the route's class ([`super::role::allows`]).
//!
//! The token comes as `Authorization: Bearer TOKEN`, or as HTTP basic
//! auth with the user's name and the token as password (what Terraform's
//! http backend sends); then the token must be that user's.
//! No token, one the records do not know, or another user's: 401 with
//! `WWW-Authenticate: Bearer` (`Basic` on Terraform's state backend). No grant on the project, or too weak a role:
//! 403. Every refusal on a served project is appended to that project's
//! audit trail (`server.access.denied`: user, method, path; never the
//! token). A grant on a project this server does not serve: 404. An
//! address that failed to sign in too often is answered 429 first
//! ([`super::limit`]).

use super::handlers::{Problem, blocking};
use super::role::{self, Role};
use super::routes::{Route, TF_ROUTES};
use super::{Server, token};
use crate::project::audit::{Event, Outcome};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// What the guard of one route knows.
#[derive(Clone)]
pub struct Guard {
    pub server: Arc<Server>,
    pub route: &'static Route,
}

/// The authenticated caller, for the handlers.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: String,
}

/// Lets the request through to the route's handler, or refuses it.
pub async fn guard(State(g): State<Guard>, req: Request, next: Next) -> Response {
    admit(g.server, g.route, req, next).await
}

/// The guard of Terraform's state backend: the route of the request's
/// method in [`TF_ROUTES`] (405 for a method it does not have).
pub async fn tf_guard(State(server): State<Arc<Server>>, req: Request, next: Next) -> Response {
    let method = req.method().as_str();
    let Some(route) = TF_ROUTES.iter().find(|r| r.method == method) else {
        return Problem::new(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("{method} is not a method of Terraform's HTTP state backend"),
        )
        .into_response();
    };
    admit(server, route, req, next).await
}

/// Lets the request through to `route`'s handler, or refuses it.
async fn admit(
    server: Arc<Server>,
    route: &'static Route,
    mut req: Request,
    next: Next,
) -> Response {
    let g = Guard { server, route };
    // The client's address; none when the router is served without it
    // (then there is no limit to apply).
    let client = req
        .extensions()
        .get::<ConnectInfo<super::ClientAddr>>()
        .map(|c| c.0.0.ip());
    if let Some(wait) = client.and_then(|ip| g.server.limiter.wait(ip)) {
        let mut response = Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "too many requests without a valid token from this address: try again in {} s",
                wait.as_secs()
            ),
        )
        .into_response();
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(wait.as_secs()));
        return response;
    }
    let failed_sign_in = || {
        if let Some(ip) = client {
            g.server.limiter.failed(ip);
        }
    };
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let project = g.route.project_in(&path).map(str::to_string);
    let refused = |status, user: Option<String>, why: String, project: &Option<String>| Refusal {
        server: g.server.clone(),
        status,
        user,
        method: method.clone(),
        path: path.clone(),
        project: project.clone(),
        basic: g.route.path.starts_with("/tf/"),
        why,
    };
    let Some(presented) = credentials(&req) else {
        failed_sign_in();
        return refused(
            StatusCode::UNAUTHORIZED,
            None,
            "no token in the Authorization header (Bearer TOKEN, or Basic with the user's name and the token)".into(),
            &project,
        )
        .answer()
        .await;
    };
    let hash = token::hash(presented.token());
    let server = g.server.clone();
    let user = match blocking(move || server.access.user_of(&hash).map_err(Problem::from)).await {
        Ok(Some(user)) if presented.user().is_none_or(|claimed| claimed == user) => user,
        Ok(Some(_)) => {
            failed_sign_in();
            return refused(
                StatusCode::UNAUTHORIZED,
                None,
                "the token is not one of the user named with it".into(),
                &project,
            )
            .answer()
            .await;
        }
        Ok(None) => {
            failed_sign_in();
            return refused(
                StatusCode::UNAUTHORIZED,
                None,
                "the bearer token is not known to this server".into(),
                &project,
            )
            .answer()
            .await;
        }
        Err(p) => return p.into_response(),
    };
    // A job's routes name the job; its project is in its record.
    let project = match (project, g.route.param_in("job", &path)) {
        (None, Some(job)) => match super::jobs::find(&g.server, job).await {
            Ok(record) => Some(record.project),
            Err(p) => return p.into_response(),
        },
        (project, _) => project,
    };
    match &project {
        Some(name) => {
            let (method, path) = (method.as_str(), path.as_str());
            if let Err(p) = authorize(&g.server, &user, name, g.route.class, method, path).await {
                return p.into_response();
            }
        }
        // Only the signed class has no project.
        None if !role::allows(None, g.route.class) => {
            return refused(
                StatusCode::FORBIDDEN,
                Some(user),
                "this endpoint needs a role on a project".into(),
                &project,
            )
            .answer()
            .await;
        }
        None => {}
    }
    req.extensions_mut().insert(Caller { user });
    next.run(req).await
}

/// What `user` may do on `project` through an endpoint (or a console
/// page) of `class`: their role there, or the refusal — 403 when their
/// role is not enough (recorded in the project's trail as
/// `server.access.denied`), 404 for a project this server does not
/// serve. The API's guard and the console's pages both ask it.
pub(super) async fn authorize(
    server: &Arc<Server>,
    user: &str,
    project: &str,
    class: role::Class,
    method: &str,
    path: &str,
) -> Result<Option<Role>, Problem> {
    let (s, who) = (server.clone(), user.to_string());
    let grants = blocking(move || s.access.grants_of(&who).map_err(Problem::from)).await?;
    let held = grants
        .iter()
        .find(|g| g.project == project)
        .and_then(|g| g.role());
    if !role::allows(held, class) {
        let needed = role::least_role(class).map_or("", Role::name);
        let why = match held {
            None => format!("{user} has no role on this project; {needed} is needed"),
            Some(r) => format!("{user} is {r} on this project; {needed} is needed"),
        };
        let event = denied(user, &why, method, path, StatusCode::FORBIDDEN);
        super::trail::record(server, project, event).await;
        return Err(Problem::new(StatusCode::FORBIDDEN, why));
    }
    if !server.projects.contains_key(project) {
        return Err(Problem::new(
            StatusCode::NOT_FOUND,
            format!("this server does not serve a project named \"{project}\""),
        ));
    }
    Ok(held)
}

/// The audit event of a refused request.
fn denied(user: &str, why: &str, method: &str, path: &str, status: StatusCode) -> Event {
    super::trail::event(
        "server.access.denied",
        user,
        Outcome::Failure,
        Some(why.to_string()),
        serde_json::json!({
            "user": user,
            "method": method,
            "path": path,
            "status": status.as_u16(),
        }),
    )
}

/// The credentials of a request's `Authorization` header.
enum Credentials {
    /// `Bearer TOKEN`.
    Bearer(String),
    /// `Basic base64(USER:TOKEN)`.
    Basic { user: String, token: String },
}

impl Credentials {
    fn token(&self) -> &str {
        match self {
            Credentials::Bearer(token) | Credentials::Basic { token, .. } => token,
        }
    }

    /// The user the caller says they are, with basic auth.
    fn user(&self) -> Option<&str> {
        match self {
            Credentials::Bearer(_) => None,
            Credentials::Basic { user, .. } => Some(user),
        }
    }
}

/// The token (and user) of an `Authorization: Bearer TOKEN` or
/// `Authorization: Basic …` header.
fn credentials(req: &Request) -> Option<Credentials> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = value.trim().split_once(' ')?;
    let rest = rest.trim();
    if rest.is_empty() {
        return None;
    }
    if scheme.eq_ignore_ascii_case("bearer") {
        return Some(Credentials::Bearer(rest.to_string()));
    }
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    use base64::Engine;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(rest)
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (user, token) = decoded.split_once(':')?;
    (!user.is_empty() && !token.is_empty()).then(|| Credentials::Basic {
        user: user.to_string(),
        token: token.to_string(),
    })
}

/// A refused request, answered and audited.
struct Refusal {
    server: Arc<Server>,
    status: StatusCode,
    /// The caller, when the token was valid.
    user: Option<String>,
    method: String,
    path: String,
    project: Option<String>,
    /// Whether the route is Terraform's state backend, whose client
    /// signs in with basic auth.
    basic: bool,
    why: String,
}

impl Refusal {
    /// Appends the refusal to the project's audit trail (when the path
    /// names a served project) and answers it.
    async fn answer(self) -> Response {
        if let Some(project) = &self.project {
            super::trail::record(&self.server, project, self.event()).await;
        }
        let mut response = Problem::new(self.status, self.why).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(if self.basic {
                    "Basic realm=\"terrace\""
                } else {
                    "Bearer realm=\"terrace\""
                }),
            );
        }
        response
    }

    fn event(&self) -> Event {
        let user = self.user.as_deref().unwrap_or("anonymous");
        denied(user, &self.why, &self.method, &self.path, self.status)
    }
}
