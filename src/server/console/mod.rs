//! The web console of `terrace serve`: server-rendered HTML pages under
//! `/console` (and `/`, which leads there), with their style sheet built
//! into the binary. No script runs in them; every action is a form.
//!
//! What it owns: signing in and out (a *session*: a fresh token of the
//! user, stored hashed in the access records beside the API's tokens —
//! under a hash of its own, so that it is not one — carried in the
//! `terrace_session` cookie for [`SESSION_LIFETIME`] at most), the CSRF
//! check of every form, and the
//! pages ([`pages`]). What it does not: any workflow or access rule of its
//! own. Each page checks the signed-in user's role on its project with
//! [`role::allows`] and the [`Class`] of the equivalent API endpoint
//! ([`ROUTES`] names it), and calls the same [`crate::ops`] functions (or
//! the API's own code, for plans and jobs) as the API.
//!
//! Nothing is held in memory between requests: a session is a record in
//! the access store, so two servers on one database accept the same
//! cookie, and signing out on one signs out on both.
//!
//! Entry point: [`router`].

// A page and a refusal are both responses: handlers answer
// `Result<Response, Response>`, as axum's own examples do.
#![allow(clippy::result_large_err)]

mod access;
mod html;
mod pages;
mod svg;

use super::access::TokenRecord;
use super::handlers::{Problem, blocking};
use super::role::{self, Class, Role};
use super::{ClientAddr, Server, token};
use axum::Router;
use axum::extract::connect_info::ConnectInfo;
use axum::extract::{Extension, Form, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use html::Viewer;
use serde::Deserialize;
use std::sync::Arc;

/// The cookie that carries a session's token.
pub const COOKIE: &str = "terrace_session";

/// How long a session lasts: past it, the next page asks to sign in
/// again (and the session's record is removed).
pub const SESSION_LIFETIME: std::time::Duration = std::time::Duration::from_secs(12 * 3600);

/// A new session token: its time of issue (Unix seconds, hex), a dot, and
/// a random token. The time cannot be changed: the records know the
/// session by the hash of the whole.
fn new_session() -> Result<String, String> {
    let now = jiff::Timestamp::now().as_second().max(0);
    Ok(format!("{now:x}.{}", token::generate()?))
}

/// Whether session `session` was issued longer than [`SESSION_LIFETIME`]
/// before `now` (Unix seconds); a session without a readable time is.
fn expired(session: &str, now: i64) -> bool {
    let issued = session
        .split_once('.')
        .and_then(|(t, _)| i64::from_str_radix(t, 16).ok());
    issued.is_none_or(|t| now.saturating_sub(t) > SESSION_LIFETIME.as_secs() as i64 || t > now + 60)
}

/// The hash under which a session is stored: the token hash of
/// `session:` and the token, so that a session is not an API token (the
/// API's guard, which hashes what it is given, knows no such token).
fn session_hash(session: &str) -> String {
    token::hash(&format!("session:{session}"))
}

/// What the console's handlers share: the server, and whether it answers
/// over TLS (then the cookie is `Secure`).
pub struct Console {
    server: Arc<Server>,
    secure: bool,
}

type St = State<Arc<Console>>;
type Answer = Result<Response, Response>;

/// One page or form of the console: method, path, and the class of
/// access it needs on its project (as the API endpoint doing the same).
#[derive(Debug)]
pub struct ConsoleRoute {
    pub method: &'static str,
    pub path: &'static str,
    /// `None`: no project involved (signed in, or not even that).
    pub class: Option<Class>,
    page: Page,
}

/// What answers a route of [`ROUTES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Page {
    Root,
    Projects,
    Style,
    SignInForm,
    SignIn,
    SignOut,
    Dashboard,
    Audit,
    Graph,
    MakePlan,
    Plan,
    Approve,
    Apply,
    Job,
    State,
    Restore,
    Access,
    Grant,
    Revoke,
    Token,
}

/// Every route of the console, for the documentation and the tests; the
/// router below answers exactly these.
pub const ROUTES: &[ConsoleRoute] = &[
    ConsoleRoute {
        method: "GET",
        path: "/",
        class: None,
        page: Page::Root,
    },
    ConsoleRoute {
        method: "GET",
        path: "/console",
        class: Some(Class::Signed),
        page: Page::Projects,
    },
    ConsoleRoute {
        method: "GET",
        path: html::STYLE_PATH,
        class: None,
        page: Page::Style,
    },
    ConsoleRoute {
        method: "GET",
        path: "/console/sign-in",
        class: None,
        page: Page::SignInForm,
    },
    ConsoleRoute {
        method: "POST",
        path: "/console/sign-in",
        class: None,
        page: Page::SignIn,
    },
    ConsoleRoute {
        method: "POST",
        path: "/console/sign-out",
        class: Some(Class::Signed),
        page: Page::SignOut,
    },
    ConsoleRoute {
        method: "GET",
        path: "/console/projects/{project}",
        class: Some(Class::Read),
        page: Page::Dashboard,
    },
    ConsoleRoute {
        method: "GET",
        path: "/console/projects/{project}/audit",
        class: Some(Class::Read),
        page: Page::Audit,
    },
    ConsoleRoute {
        method: "GET",
        path: "/console/projects/{project}/graph",
        class: Some(Class::Read),
        page: Page::Graph,
    },
    ConsoleRoute {
        method: "POST",
        path: "/console/projects/{project}/environments/{env}/plans",
        class: Some(Class::Operate),
        page: Page::MakePlan,
    },
    ConsoleRoute {
        method: "GET",
        path: "/console/projects/{project}/environments/{env}/plans/{id}",
        class: Some(Class::Read),
        page: Page::Plan,
    },
    ConsoleRoute {
        method: "POST",
        path: "/console/projects/{project}/environments/{env}/plans/{id}/approve",
        class: Some(Class::Edit),
        page: Page::Approve,
    },
    ConsoleRoute {
        method: "POST",
        path: "/console/projects/{project}/environments/{env}/plans/{id}/apply",
        class: Some(Class::Operate),
        page: Page::Apply,
    },
    // The job's project is in its record: the page checks the role there.
    ConsoleRoute {
        method: "GET",
        path: "/console/jobs/{job}",
        class: Some(Class::Read),
        page: Page::Job,
    },
    ConsoleRoute {
        method: "GET",
        path: "/console/projects/{project}/environments/{env}/state",
        class: Some(Class::Read),
        page: Page::State,
    },
    ConsoleRoute {
        method: "POST",
        path: "/console/projects/{project}/environments/{env}/state/restore",
        class: Some(Class::Administer),
        page: Page::Restore,
    },
    ConsoleRoute {
        method: "GET",
        path: "/console/projects/{project}/access",
        class: Some(Class::Administer),
        page: Page::Access,
    },
    ConsoleRoute {
        method: "POST",
        path: "/console/projects/{project}/access/grant",
        class: Some(Class::Administer),
        page: Page::Grant,
    },
    ConsoleRoute {
        method: "POST",
        path: "/console/projects/{project}/access/revoke",
        class: Some(Class::Administer),
        page: Page::Revoke,
    },
    ConsoleRoute {
        method: "POST",
        path: "/console/projects/{project}/access/token",
        class: Some(Class::Administer),
        page: Page::Token,
    },
];

/// The console's routes, to merge with the API's router. `secure`: the
/// server answers over TLS.
pub fn router(server: Arc<Server>, secure: bool) -> Router {
    let console = Arc::new(Console { server, secure });
    let mut router = Router::new();
    for route in ROUTES {
        router = router.route(route.path, route.page.handler());
    }
    router.with_state(console)
}

impl Page {
    /// Its entry in [`ROUTES`] (each page has one: a test checks it).
    fn route(self) -> Option<&'static ConsoleRoute> {
        ROUTES.iter().find(|r| r.page == self)
    }

    /// The class of access it needs (a page missing from [`ROUTES`]
    /// would need the most).
    fn class(self) -> Class {
        self.route()
            .map_or(Class::Administer, |r| r.class.unwrap_or(Class::Signed))
    }

    /// Whether a user holding `held` on the project may use it: whether
    /// a page shows the form that posts to it.
    fn allows(self, held: Option<Role>) -> bool {
        role::allows(held, self.class())
    }

    fn handler(self) -> MethodRouter<Arc<Console>> {
        match self {
            Page::Root => get(|| async { html::see_other("/console") }),
            Page::Projects => get(pages::projects),
            Page::Style => get(style),
            Page::SignInForm => get(sign_in_form),
            Page::SignIn => post(sign_in),
            Page::SignOut => post(sign_out),
            Page::Dashboard => get(pages::dashboard),
            Page::Audit => get(pages::audit),
            Page::Graph => get(pages::graph),
            Page::MakePlan => post(pages::make_plan),
            Page::Plan => get(pages::plan),
            Page::Approve => post(pages::approve),
            Page::Apply => post(pages::apply),
            Page::Job => get(pages::job),
            Page::State => get(pages::state),
            Page::Restore => post(pages::restore),
            Page::Access => get(access::page),
            Page::Grant => post(access::grant),
            Page::Revoke => post(access::revoke),
            Page::Token => post(access::token),
        }
    }
}

/// `GET /console/style.css`.
async fn style() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        html::STYLE,
    )
        .into_response()
}

/// A signed-in user: their name and their session's token (which the
/// CSRF value is derived from, and sign-out removes).
pub struct Session {
    pub user: String,
    token: String,
    csrf: String,
}

impl Session {
    /// The page's view of the user.
    fn viewer(&self) -> Viewer<'_> {
        Viewer {
            user: &self.user,
            csrf: &self.csrf,
        }
    }
}

/// The CSRF value of a session: the hex sha256 of `csrf:` and its token.
/// A page of another site can neither read it nor compute it.
fn csrf_of(session_token: &str) -> String {
    crate::digest::sha256_hex(format!("csrf:{session_token}").as_bytes())
}

/// The session token in the request's `Cookie` headers, if any.
fn cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// A `429 Too Many Requests` page: the client's address failed to sign
/// in too often ([`super::limit`]).
fn held_back(wait: std::time::Duration) -> Response {
    let mut refused = html::answer(
        StatusCode::TOO_MANY_REQUESTS,
        sign_in_page(Some(&format!(
            "too many failed sign-ins from this address: try again in {} s",
            wait.as_secs()
        ))),
    );
    refused
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(wait.as_secs()));
    refused
}

/// The signed-in user of a request, from its cookie. Without one, or
/// with one the records do not know (signed out, or of another server):
/// a page is sent to the sign-in page, a form is refused 401. An unknown
/// cookie counts as a failed sign-in of the client's address, as an
/// unknown token does on the API.
impl FromRequestParts<Arc<Console>> for Session {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, c: &Arc<Console>) -> Result<Session, Response> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<ClientAddr>>()
            .map(|ConnectInfo(ClientAddr(a))| a.ip());
        let not_signed_in = || {
            if parts.method == Method::GET {
                html::see_other("/console/sign-in")
            } else {
                html::problem(
                    StatusCode::UNAUTHORIZED,
                    "you are not signed in (or your session ended): sign in again",
                    None,
                )
            }
        };
        if let Some(wait) = ip.and_then(|ip| c.server.limiter.wait(ip)) {
            return Err(held_back(wait));
        }
        let Some(session_token) = cookie(&parts.headers) else {
            return Err(not_signed_in());
        };
        let (s, hash) = (c.server.clone(), session_hash(&session_token));
        let over = expired(&session_token, jiff::Timestamp::now().as_second());
        let user = blocking(move || {
            if over {
                // Its record goes; the user signs in again.
                s.access.remove_token(&hash).map_err(Problem::from)?;
                return Ok(None);
            }
            s.access.user_of(&hash).map_err(Problem::from)
        })
        .await
        .map_err(|p| html::problem(p.status, &p.message, None))?;
        match user {
            Some(user) => Ok(Session {
                user,
                csrf: csrf_of(&session_token),
                token: session_token,
            }),
            None => {
                if let Some(ip) = ip {
                    c.server.limiter.failed(ip);
                }
                Err(not_signed_in())
            }
        }
    }
}

impl Session {
    /// Checks a form's `csrf` field against the session's value: 403
    /// otherwise (a form posted from another site).
    fn check(&self, csrf: &str) -> Result<(), Response> {
        if same(csrf.trim(), &self.csrf) {
            return Ok(());
        }
        Err(html::problem(
            StatusCode::FORBIDDEN,
            "this form did not come from a page of this console (its CSRF value is missing or wrong): reload the page and send it again",
            Some(&self.viewer()),
        ))
    }
}

/// `a == b` in a time that does not depend on where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A form's CSRF value (`csrf`, for a page that is not a GET), then the
/// user's role on `project`, checked against the class of `page`
/// ([`ROUTES`]) as the API's guard checks an endpoint's: a refusal is
/// audited in the project's trail and answered 403; a project this
/// server does not serve, 404.
async fn require(
    c: &Console,
    session: &Session,
    project: &str,
    page: Page,
    path: &str,
    csrf: Option<&str>,
) -> Result<Option<Role>, Response> {
    let method = page.route().map_or("GET", |r| r.method);
    // A form is checked here, so that none can go without it.
    if method != "GET" {
        session.check(csrf.unwrap_or_default())?;
    }
    super::guard::authorize(
        &c.server,
        &session.user,
        project,
        page.class(),
        method,
        path,
    )
    .await
    .map_err(|p| failed(p, session))
}

/// An error of an operation as a page.
fn failed(p: Problem, session: &Session) -> Response {
    html::problem(p.status, &p.message, Some(&session.viewer()))
}

/// `GET /console/sign-in`.
async fn sign_in_form() -> Response {
    html::answer(StatusCode::OK, sign_in_page(None))
}

fn sign_in_page(problem: Option<&str>) -> String {
    let problem = problem.map_or(String::new(), |p| {
        format!(r#"<p class="problem" role="alert">{}</p>"#, html::esc(p))
    });
    let body = format!(
        r#"{problem}<section class="card"><form class="stack" method="post" action="/console/sign-in">
<label for="token">API token</label>
<input id="token" name="token" type="password" autocomplete="off" required>
<p class="muted">The token that <code>terrace serve token create</code> printed for you, or that an Administrator made for you. It is not kept in your browser: signing in opens a session of its own.</p>
<button type="submit">Sign in</button>
</form></section>"#
    );
    html::page("Sign in", None, &body)
}

#[derive(Deserialize)]
struct SignInForm {
    #[serde(default)]
    token: String,
}

/// `POST /console/sign-in`: the token names the user; a new session
/// token is made for them, stored hashed, and set as the cookie. A
/// wrong token counts against the address as on the API ([`super::limit`]).
async fn sign_in(
    State(c): St,
    client: Option<Extension<ConnectInfo<ClientAddr>>>,
    Form(form): Form<SignInForm>,
) -> Answer {
    let ip = client.map(|Extension(ConnectInfo(ClientAddr(a)))| a.ip());
    if let Some(wait) = ip.and_then(|ip| c.server.limiter.wait(ip)) {
        return Err(held_back(wait));
    }
    let presented = form.token.trim().to_string();
    let user = if presented.is_empty() {
        None
    } else {
        let (s, hash) = (c.server.clone(), token::hash(&presented));
        blocking(move || s.access.user_of(&hash).map_err(Problem::from))
            .await
            .map_err(|p| html::problem(p.status, &p.message, None))?
    };
    let Some(user) = user else {
        if let Some(ip) = ip {
            c.server.limiter.failed(ip);
        }
        return Err(html::answer(
            StatusCode::UNAUTHORIZED,
            sign_in_page(Some("this token is not known to this server")),
        ));
    };
    let session_token =
        new_session().map_err(|e| html::problem(StatusCode::INTERNAL_SERVER_ERROR, &e, None))?;
    let record = TokenRecord {
        hash: session_hash(&session_token),
        user,
        created: crate::project::now(),
    };
    let s = c.server.clone();
    blocking(move || s.access.add_token(&record).map_err(Problem::from))
        .await
        .map_err(|p| html::problem(p.status, &p.message, None))?;
    Ok(with_cookie(
        html::see_other("/console"),
        &session_token,
        SESSION_LIFETIME.as_secs(),
        c.secure,
    ))
}

/// `response` setting the session cookie to `value` for `max_age`
/// seconds (0: cleared), `Secure` over TLS.
fn with_cookie(mut response: Response, value: &str, max_age: u64, secure: bool) -> Response {
    let cookie = format!(
        "{COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}{}",
        if secure { "; Secure" } else { "" }
    );
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
}

/// The form of a signed-in user with nothing but its CSRF value.
#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /console/sign-out`: the session's token is removed from the
/// records (on every server sharing them) and the cookie cleared.
async fn sign_out(State(c): St, session: Session, Form(form): Form<CsrfForm>) -> Answer {
    session.check(&form.csrf)?;
    let (s, hash) = (c.server.clone(), session_hash(&session.token));
    blocking(move || s.access.remove_token(&hash).map_err(Problem::from))
        .await
        .map_err(|p| failed(p, &session))?;
    Ok(with_cookie(
        html::see_other("/console/sign-in"),
        "",
        0,
        c.secure,
    ))
}

/// The `{project}` of a page's path.
#[derive(Deserialize)]
struct ProjectPath {
    project: String,
}

/// The `{project}` and `{env}` of a page's path.
#[derive(Deserialize)]
struct EnvPath {
    project: String,
    env: String,
}

/// The `{project}`, `{env}` and `{id}` of a plan's path.
#[derive(Deserialize)]
struct PlanPath {
    project: String,
    env: String,
    id: String,
}

/// The `{job}` of a job's path.
#[derive(Deserialize)]
struct JobPath {
    job: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_is_read_from_its_cookie_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; terrace_session=abc ; b=2"),
        );
        assert_eq!(cookie(&h).as_deref(), Some("abc"));
        assert_eq!(cookie(&HeaderMap::new()), None);
    }

    #[test]
    fn a_session_expires_after_its_lifetime_and_is_not_an_api_token() {
        let s = new_session().unwrap();
        let now = jiff::Timestamp::now().as_second();
        assert!(!expired(&s, now));
        let later = now + SESSION_LIFETIME.as_secs() as i64 + 1;
        assert!(expired(&s, later));
        assert!(expired("nonsense", now) && expired(&format!("{:x}.x", now + 3600), now));
        assert_ne!(session_hash(&s), token::hash(&s));
        assert_ne!(new_session().unwrap(), s);
    }

    #[test]
    fn the_csrf_value_is_derived_from_the_session_and_compared_whole() {
        let v = csrf_of("t");
        assert_eq!(v, crate::digest::sha256_hex(b"csrf:t"));
        assert_ne!(v, csrf_of("u"));
        assert!(same(&v, &v.clone()));
        assert!(!same(&v, &v[1..]));
        assert!(!same("", &v));
    }

    #[test]
    fn the_router_accepts_every_route_of_the_table() {
        let dir = tempfile::tempdir().unwrap();
        let server = Server::empty(dir.path());
        let _ = router(Arc::new(server), false);
    }

    #[test]
    fn every_page_has_one_route_and_project_pages_a_class() {
        for route in ROUTES {
            assert_eq!(ROUTES.iter().filter(|r| r.page == route.page).count(), 1);
            if route.path.contains("{project}") {
                assert!(
                    route.class.is_some_and(|c| c != Class::Signed),
                    "{}",
                    route.path
                );
            }
        }
    }
}
