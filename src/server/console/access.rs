//! A project's access page, for its Administrators: the grants on the
//! project (give a role, take it away) and a new token for a user, as
//! `terrace serve grant`, `revoke` and `token create` do on the host.
//! The changes are the API's ([`crate::server::admin`]), audited with the
//! Administrator as initiator.

use super::html::{csrf_field, esc, seg};
use super::pages::{ok, project_nav};
use super::{Answer, Page, ProjectPath, Session, St, failed, require};
use crate::server::access::Grant;
use crate::server::admin;
use crate::server::handlers::{Problem, blocking};
use crate::server::role::Role;
use axum::extract::{Form, Path, State};
use axum::http::Uri;
use serde::Deserialize;
use std::fmt::Write;

/// `GET /console/projects/{project}/access`.
pub async fn page(
    State(c): St,
    session: Session,
    uri: Uri,
    Path(ProjectPath { project }): Path<ProjectPath>,
) -> Answer {
    require(&c, &session, &project, Page::Access, uri.path(), None).await?;
    shown(&c.server, &session, &project, String::new()).await
}

/// The page, with `notice` (HTML) above the grants.
async fn shown(
    server: &std::sync::Arc<crate::server::Server>,
    session: &Session,
    project: &str,
    notice: String,
) -> Answer {
    let (s, p) = (server.clone(), project.to_string());
    let grants: Vec<Grant> = blocking(move || s.access.grants_on(&p).map_err(Problem::from))
        .await
        .map_err(|p| failed(p, session))?;
    let mut body = project_nav(project);
    body.push_str(&notice);
    let csrf = csrf_field(&session.csrf);
    let base = format!("/console/projects/{}/access", seg(project));
    body.push_str(r#"<section class="card"><h2>Roles on this project</h2><table><thead><tr><th scope="col">User</th><th scope="col">Role</th><th scope="col">Take it away</th></tr></thead><tbody>"#);
    for g in &grants {
        let _ = write!(
            body,
            r#"<tr><td>{user}</td><td>{role}</td><td><form class="inline" method="post" action="{base}/revoke">{csrf}<input type="hidden" name="user" value="{user}"><button class="danger" type="submit">Revoke {user}'s role</button></form></td></tr>"#,
            user = esc(&g.user),
            role = esc(&g.role),
        );
    }
    body.push_str("</tbody></table></section>");
    let options: String = Role::ALL
        .iter()
        .map(|r| format!(r#"<option value="{0}">{0}</option>"#, r.name()))
        .collect();
    let _ = write!(
        body,
        r#"<section class="card"><h2>Give a role</h2><form class="stack" method="post" action="{base}/grant">{csrf}<label for="grant-user">User</label><input id="grant-user" name="user" required><label for="grant-role">Role</label><select id="grant-role" name="role">{options}</select><button type="submit">Give the role</button></form><p class="muted">It replaces the role the user had on this project.</p></section>"#
    );
    let _ = write!(
        body,
        r#"<section class="card"><h2>A token for a user</h2><form class="stack" method="post" action="{base}/token">{csrf}<label for="token-user">User</label><input id="token-user" name="user" required><button type="submit">Make a token</button></form><p class="muted">Shown once, on the next page; only its hash is kept. It gives nothing until the user has a role.</p></section>"#
    );
    ok(&format!("Access to {project}"), session, &body)
}

#[derive(Deserialize)]
pub struct GrantForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    user: String,
    #[serde(default)]
    role: String,
}

/// `POST …/access/grant`: as `terrace serve grant`.
pub async fn grant(
    State(c): St,
    session: Session,
    uri: Uri,
    Path(ProjectPath { project }): Path<ProjectPath>,
    Form(form): Form<GrantForm>,
) -> Answer {
    require(
        &c,
        &session,
        &project,
        Page::Grant,
        uri.path(),
        Some(&form.csrf),
    )
    .await?;
    let grant = admin::set_role(&c.server, &session.user, &project, &form.user, &form.role)
        .await
        .map_err(|p| failed(p, &session))?;
    let notice = format!(
        r#"<p class="notice" role="status">{} is {} on project {}.</p>"#,
        esc(&grant.user),
        esc(&grant.role),
        esc(&project)
    );
    shown(&c.server, &session, &project, notice).await
}

#[derive(Deserialize)]
pub struct UserForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    user: String,
}

/// `POST …/access/revoke`: as `terrace serve revoke`.
pub async fn revoke(
    State(c): St,
    session: Session,
    uri: Uri,
    Path(ProjectPath { project }): Path<ProjectPath>,
    Form(form): Form<UserForm>,
) -> Answer {
    require(
        &c,
        &session,
        &project,
        Page::Revoke,
        uri.path(),
        Some(&form.csrf),
    )
    .await?;
    let revoked = admin::take_role(&c.server, &session.user, &project, &form.user)
        .await
        .map_err(|p| failed(p, &session))?;
    let what = if revoked {
        "no longer has a role"
    } else {
        "had no role"
    };
    let notice = format!(
        r#"<p class="notice" role="status">{} {what} on project {}.</p>"#,
        esc(&form.user),
        esc(&project)
    );
    shown(&c.server, &session, &project, notice).await
}

/// `POST …/access/token`: as `terrace serve token create`, the token
/// shown on this page only.
pub async fn token(
    State(c): St,
    session: Session,
    uri: Uri,
    Path(ProjectPath { project }): Path<ProjectPath>,
    Form(form): Form<UserForm>,
) -> Answer {
    require(
        &c,
        &session,
        &project,
        Page::Token,
        uri.path(),
        Some(&form.csrf),
    )
    .await?;
    let (user, secret) = admin::new_token(&c.server, &session.user, &project, &form.user)
        .await
        .map_err(|p| failed(p, &session))?;
    let notice = format!(
        r#"<section class="card" role="status"><h2>A token for {}</h2><p>Give it to them now: it is shown this once, and only its hash is kept.</p><p><code class="token">{}</code></p></section>"#,
        esc(&user),
        esc(&secret)
    );
    shown(&c.server, &session, &project, notice).await
}
