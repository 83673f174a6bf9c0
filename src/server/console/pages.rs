//! The console's pages and forms. Each one has the session (a form: with
//! its CSRF value checked), checks the
//! user's role on the project with the class of the equivalent API
//! endpoint ([`super::require`]), calls the operation the API calls, and
//! renders the report; every value goes through [`esc`].

use super::html::{self, csrf_field, esc, seg};
use super::{
    Answer, CsrfForm, EnvPath, JobPath, Page, PlanPath, ProjectPath, Session, St, failed, require,
};
use crate::ops;
use crate::plan::{Action, Change};
use crate::project::attention::Severity;
use crate::server::access::KeptPlan;
use crate::server::handlers::{As, Problem, blocking, root};
use crate::server::jobs::{self, JobRecord, JobState};
use crate::server::{envs, plans};
use axum::extract::{Form, Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use serde::Deserialize;
use std::fmt::Write;

/// A page of the signed-in user.
pub(super) fn ok(title: &str, session: &Session, body: &str) -> Answer {
    Ok(html::answer(
        StatusCode::OK,
        html::page(title, Some(&session.viewer()), body),
    ))
}

/// The links between a project's pages.
pub(super) fn project_nav(project: &str) -> String {
    let p = seg(project);
    format!(
        r#"<nav class="project" aria-label="Project"><a href="/console/projects/{p}">Dashboard</a><a href="/console/projects/{p}/audit">Audit log</a><a href="/console/projects/{p}/graph">Dependency graph</a><a href="/console/projects/{p}/access">Access</a><a href="/console">All projects</a></nav>"#
    )
}

/// Runs `f` (an operation) on a blocking thread; its error as a page.
async fn run<T: Send + 'static>(
    session: &Session,
    f: impl FnOnce() -> Result<T, Problem> + Send + 'static,
) -> Result<T, Response> {
    blocking(f).await.map_err(|p| failed(p, session))
}

/// `GET /console`: the served projects the user has a role on.
pub async fn projects(State(c): St, session: Session) -> Answer {
    let (s, who) = (c.server.clone(), session.user.clone());
    let grants = run(&session, move || {
        s.access.grants_of(&who).map_err(Problem::from)
    })
    .await?;
    let mut rows = String::new();
    for g in grants
        .iter()
        .filter(|g| c.server.projects.contains_key(&g.project))
    {
        let Some(role) = g.role() else { continue };
        let _ = write!(
            rows,
            r#"<tr><td><a href="/console/projects/{}">{}</a></td><td>{}</td></tr>"#,
            seg(&g.project),
            esc(&g.project),
            esc(role.name())
        );
    }
    let body = if rows.is_empty() {
        r#"<p>You have no role on a project this server serves. An Administrator gives one with <code>terrace serve grant</code>.</p>"#.to_string()
    } else {
        format!(
            r#"<section class="card"><table><thead><tr><th scope="col">Project</th><th scope="col">Your role</th></tr></thead><tbody>{rows}</tbody></table></section>"#
        )
    };
    ok("Your projects", &session, &body)
}

/// The page that resolves an attention item of environment `env`, and
/// what the link says.
fn resolver(project: &str, code: &str, env: &str) -> (String, String) {
    let (p, e) = (seg(project), seg(env));
    match code {
        "env.lock.stale" | "env.records.unreadable" => (
            format!("/console/projects/{p}/environments/{e}/state"),
            format!("State of {env}"),
        ),
        _ => (
            format!("/console/projects/{p}#env-{e}"),
            format!("Plan {env}"),
        ),
    }
}

/// `GET /console/projects/{project}`: the environment × configuration
/// grid of lifecycle stages, and what needs attention.
pub async fn dashboard(
    State(c): St,
    session: Session,
    uri: Uri,
    Path(ProjectPath { project }): Path<ProjectPath>,
) -> Answer {
    let role = require(&c, &session, &project, Page::Dashboard, uri.path(), None).await?;
    let root = root(&c.server, &project).map_err(|p| failed(p, &session))?;
    let (user, s, p) = (session.user.clone(), c.server.clone(), project.clone());
    let (status, attention, plans, jobs) = run(&session, move || {
        let front = As(user);
        let status =
            ops::status::status(&ops::status::StatusRequest { root: root.clone() }, &front)?;
        let attention = ops::attention::attention(
            &ops::attention::AttentionRequest {
                root,
                fail_on: None,
            },
            &front,
        )?;
        let plans = s.access.plans_of(&p).map_err(Problem::from)?;
        let jobs = s.access.jobs_of(&p).map_err(Problem::from)?;
        Ok((status, attention, plans, jobs))
    })
    .await?;
    let may_plan = Page::MakePlan.allows(role);

    // Needs attention: counts by severity, then each item.
    let count = |s: Severity| attention.items.iter().filter(|i| i.severity == s).count();
    let mut body = project_nav(&project);
    let _ = write!(
        body,
        r#"<section class="card" id="attention" aria-labelledby="attention-title"><h2 id="attention-title">Needs attention</h2><ul class="counts"><li><span class="sev error">Errors</span> <strong data-count="error">{}</strong></li><li><span class="sev warning">Warnings</span> <strong data-count="warning">{}</strong></li><li><span class="sev info">Info</span> <strong data-count="info">{}</strong></li></ul>"#,
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info)
    );
    if attention.items.is_empty() {
        body.push_str("<p>Nothing needs attention.</p>");
    } else {
        body.push_str(r#"<table><thead><tr><th scope="col">Severity</th><th scope="col">Item</th><th scope="col">Target</th><th scope="col">What</th><th scope="col">To resolve</th></tr></thead><tbody>"#);
        for item in &attention.items {
            let sev = match item.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "info",
            };
            let env = item.target.split('/').next().unwrap_or_default();
            let (href, label) = resolver(&project, item.code, env);
            let _ = write!(
                body,
                r#"<tr class="item"><td><span class="sev {sev}">{sev}</span></td><td><code>{}</code></td><td>{}</td><td>{}</td><td><code>{}</code><br><a href="{}">{}</a></td></tr>"#,
                esc(item.code),
                esc(&item.target),
                esc(&item.message),
                esc(&item.command),
                esc(&href),
                esc(&label)
            );
        }
        body.push_str("</tbody></table>");
    }
    body.push_str("</section>");

    // The grid: one row per environment, one column per configuration.
    let configs: Vec<String> = status
        .environments
        .first()
        .map(|e| e.configurations.iter().map(|c| c.name.clone()).collect())
        .unwrap_or_default();
    body.push_str(r#"<section class="card" aria-labelledby="grid-title"><h2 id="grid-title">Environments</h2><table><thead><tr><th scope="col">Environment</th>"#);
    for name in &configs {
        let _ = write!(body, r#"<th scope="col">{}</th>"#, esc(name));
    }
    body.push_str(r#"<th scope="col">Actions</th></tr></thead><tbody>"#);
    for env in &status.environments {
        let e = seg(&env.name);
        let p = seg(&project);
        let mut notes = Vec::new();
        if let Some(from) = &env.promote_from {
            notes.push(format!("promoted from {}", esc(from)));
        }
        if env.require_approval {
            notes.push("requires approval".to_string());
        }
        let _ = write!(
            body,
            r#"<tr id="env-{}"><th scope="row">{}<br><span class="muted">{}</span></th>"#,
            esc(&e),
            esc(&env.name),
            notes.join(", ")
        );
        for cfg in &env.configurations {
            let stage = cfg.stage.name();
            let by = match (&cfg.by, &cfg.at) {
                (Some(by), Some(at)) => format!(
                    r#"<br><span class="muted">{} · {}</span>"#,
                    esc(by),
                    esc(at)
                ),
                _ => String::new(),
            };
            let _ = write!(
                body,
                r#"<td><span class="stage {stage}">{stage}</span>{by}</td>"#
            );
        }
        body.push_str("<td>");
        if may_plan {
            let _ = write!(
                body,
                r#"<form class="inline" method="post" action="/console/projects/{p}/environments/{e}/plans">{}<button type="submit" aria-label="Make a plan for {}">Make a plan</button></form> "#,
                csrf_field(&session.csrf),
                esc(&env.name)
            );
        }
        let _ = write!(
            body,
            r#"<a href="/console/projects/{p}/environments/{e}/state">State versions</a></td></tr>"#
        );
    }
    body.push_str("</tbody></table></section>");
    let envs: Vec<&str> = status
        .environments
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    body.push_str(&plan_lists(&project, &envs, plans));
    body.push_str(&job_list(jobs));
    ok(&format!("Project {project}"), &session, &body)
}

/// How many kept plans (of each environment) and jobs a dashboard lists.
const LISTED: usize = 20;

/// The kept plans of each environment in `envs`, newest first, at most
/// [`LISTED`] each: a link to the plan, its author and its time.
fn plan_lists(project: &str, envs: &[&str], mut plans: Vec<KeptPlan>) -> String {
    // Times are RFC 3339 in UTC to the second: their text sorts as they do.
    plans.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| a.id.cmp(&b.id)));
    let mut out = String::from(
        r#"<section class="card" id="plans" aria-labelledby="plans-title"><h2 id="plans-title">Kept plans</h2>"#,
    );
    for env in envs {
        let of_env: Vec<&KeptPlan> = plans
            .iter()
            .filter(|p| p.env == *env)
            .take(LISTED)
            .collect();
        let _ = write!(
            out,
            r#"<h3 id="plans-{}">{}</h3>"#,
            esc(&seg(env)),
            esc(env)
        );
        if of_env.is_empty() {
            out.push_str(r#"<p class="muted">No kept plan.</p>"#);
            continue;
        }
        out.push_str(r#"<table><thead><tr><th scope="col">Plan</th><th scope="col">Made by</th><th scope="col">When</th></tr></thead><tbody>"#);
        for plan in of_env {
            let _ = write!(
                out,
                r#"<tr><td><a href="/console/projects/{}/environments/{}/plans/{}"><code>{}</code></a></td><td>{}</td><td>{}</td></tr>"#,
                seg(project),
                seg(env),
                seg(&plan.id),
                esc(&plan.id),
                esc(&plan.author),
                esc(&plan.created)
            );
        }
        out.push_str("</tbody></table>");
    }
    out.push_str("</section>");
    out
}

/// A job's state as its record names it.
fn state_name(state: JobState) -> &'static str {
    match state {
        JobState::Running => "running",
        JobState::Succeeded => "succeeded",
        JobState::Failed => "failed",
        JobState::Lost => "lost",
    }
}

/// The project's jobs, as seen now, newest first, at most [`LISTED`].
fn job_list(jobs: Vec<JobRecord>) -> String {
    let mut jobs: Vec<JobRecord> = jobs.into_iter().map(JobRecord::seen).collect();
    jobs.sort_by(|a, b| b.started.cmp(&a.started).then_with(|| a.id.cmp(&b.id)));
    let mut out = String::from(
        r#"<section class="card" id="jobs" aria-labelledby="jobs-title"><h2 id="jobs-title">Jobs</h2>"#,
    );
    if jobs.is_empty() {
        out.push_str(
            r#"<p class="muted">No job yet: an apply of a kept plan runs as one.</p></section>"#,
        );
        return out;
    }
    out.push_str(r#"<table><thead><tr><th scope="col">Job</th><th scope="col">Environment</th><th scope="col">Kind</th><th scope="col">State</th><th scope="col">User</th><th scope="col">Started</th></tr></thead><tbody>"#);
    for job in jobs.iter().take(LISTED) {
        let state = state_name(job.state);
        let _ = write!(
            out,
            r#"<tr class="job"><td><a href="/console/jobs/{}"><code>{}</code></a></td><td>{}</td><td>{}</td><td><span class="job-state {state}">{state}</span></td><td>{}</td><td>{}</td></tr>"#,
            seg(&job.id),
            esc(&job.id),
            esc(&job.environment),
            esc(&job.kind),
            esc(&job.user),
            esc(&job.started)
        );
    }
    out.push_str("</tbody></table></section>");
    out
}

/// `POST …/environments/{env}/plans`: plans the environment as the API
/// does ([`plans::make`]) and shows the plan.
pub async fn make_plan(
    State(c): St,
    session: Session,
    uri: Uri,
    Path(EnvPath { project, env }): Path<EnvPath>,
    Form(form): Form<CsrfForm>,
) -> Answer {
    require(
        &c,
        &session,
        &project,
        Page::MakePlan,
        uri.path(),
        Some(&form.csrf),
    )
    .await?;
    let made = plans::make(&c.server, &project, &env, &session.user, None)
        .await
        .map_err(|p| failed(p, &session))?;
    Ok(html::see_other(&format!(
        "/console/projects/{}/environments/{}/plans/{}",
        seg(&project),
        seg(&env),
        seg(&made.id)
    )))
}

#[derive(Deserialize)]
pub struct PlanQuery {
    approved: Option<String>,
}

/// The change as `terrace plan` shows it (sensitive values masked,
/// unknown ones "(known after apply)"), its lines marked by their sign.
fn diff(env: &str, change: &Change) -> String {
    let mut text = String::new();
    crate::render::plan_change(&mut text, env, change, crate::render::Palette::plain());
    let mut out = String::from(r#"<pre class="diff">"#);
    // The first line names the change, as the heading above does.
    for line in text.lines().skip_while(|l| l.trim_start().starts_with('#')) {
        let class = match line.trim_start().chars().next() {
            Some('+') => "add",
            Some('-') => "del",
            Some('~') => "chg",
            _ => "",
        };
        let _ = writeln!(out, r#"<span class="{class}">{}</span>"#, esc(line));
    }
    out.push_str("</pre>");
    out
}

/// Destroys first, then replacements, then the rest (by address).
fn order(a: &Change) -> u8 {
    match a.action {
        Action::Delete => 0,
        Action::Replace => 1,
        _ => 2,
    }
}

/// `GET …/plans/{id}`: a kept plan's changes as a diff, its policy
/// results, and (for an Editor) the form that approves it.
pub async fn plan(
    State(c): St,
    session: Session,
    uri: Uri,
    Path(PlanPath { project, env, id }): Path<PlanPath>,
    Query(q): Query<PlanQuery>,
) -> Answer {
    let role = require(&c, &session, &project, Page::Plan, uri.path(), None).await?;
    let kept = plans::kept(&c.server, &project, &env, &id)
        .await
        .map_err(|p| failed(p, &session))?;
    let (plan, sha256) = ops::plan::decode(&kept.bytes, std::path::Path::new(&id))
        .map_err(|e| failed(Problem::from(e), &session))?;
    let summary = plan.summary();
    let mut body = project_nav(&project);
    if q.approved.is_some() {
        body.push_str(r#"<p class="notice" role="status">The plan is approved.</p>"#);
    }
    let _ = write!(
        body,
        r#"<section class="card"><table><tbody><tr><th scope="row">Environment</th><td>{}</td></tr><tr><th scope="row">Made by</th><td>{} at {}</td></tr><tr><th scope="row">Changes</th><td>{} to import, {} to add, {} to change, {} to destroy; {} unchanged</td></tr><tr><th scope="row">sha256</th><td><code>{}</code></td></tr></tbody></table></section>"#,
        esc(&kept.env),
        esc(&kept.author),
        esc(&kept.created),
        summary.import,
        summary.add,
        summary.change,
        summary.destroy,
        plan.unchanged,
        esc(&sha256)
    );
    let mut changes: Vec<&Change> = plan.changes.iter().collect();
    changes.sort_by_key(|c| order(c));
    let destroys = changes
        .iter()
        .filter(|c| c.action == Action::Delete)
        .count();
    let replaces = changes
        .iter()
        .filter(|c| c.action == Action::Replace)
        .count();
    if destroys + replaces > 0 {
        let _ = write!(
            body,
            r#"<p class="warning" role="alert">This plan destroys {destroys} object(s) and replaces {replaces}: they are listed first. Read them before approving.</p>"#
        );
    }
    for w in &plan.warnings {
        let _ = write!(body, r#"<p class="warning">{}</p>"#, esc(w));
    }
    body.push_str(r#"<section class="card" aria-labelledby="changes-title"><h2 id="changes-title">Changes</h2>"#);
    if changes.is_empty() {
        body.push_str("<p>No changes: the environment is as its definitions say.</p>");
    }
    for change in changes {
        let reason = change
            .reason
            .as_ref()
            .and_then(|r| serde_json::to_value(r).ok())
            .and_then(|v| v.as_str().map(|s| s.replace('_', " ")))
            .map_or(String::new(), |r| {
                format!(r#" <span class="muted">({})</span>"#, esc(&r))
            });
        let _ = write!(
            body,
            r#"<article class="change"><h3><code>{}</code> {}{reason}</h3>{}</article>"#,
            esc(&change.address.to_string()),
            crate::render::plan_verb(change),
            diff(&plan.environment, change)
        );
    }
    body.push_str("</section>");
    if !plan.policies.is_empty() {
        body.push_str(r#"<section class="card" aria-labelledby="policies-title"><h2 id="policies-title">Policies</h2><table><thead><tr><th scope="col">Policy</th><th scope="col">Enforcement</th><th scope="col">Result</th><th scope="col">Messages</th></tr></thead><tbody>"#);
        let name = |v: serde_json::Result<serde_json::Value>| {
            v.ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default()
        };
        for p in &plan.policies {
            let messages: Vec<String> = p.messages.iter().map(|m| esc(m)).collect();
            let _ = write!(
                body,
                "<tr><td>{}</td><td>{}</td><td>{}{}</td><td>{}</td></tr>",
                esc(&p.name),
                esc(&name(serde_json::to_value(p.enforcement))),
                esc(&name(serde_json::to_value(p.result))),
                if p.blocks() { " (blocks)" } else { "" },
                messages.join("<br>")
            );
        }
        body.push_str("</tbody></table></section>");
    }
    if Page::Approve.allows(role) {
        let _ = write!(
            body,
            r#"<section class="card" aria-labelledby="approve-title"><h2 id="approve-title">Approve</h2><form class="stack" method="post" action="/console/projects/{}/environments/{}/plans/{}/approve">{}<label for="comment">Comment (recorded with the approval)</label><textarea id="comment" name="comment" rows="3" required></textarea><button type="submit">Approve this plan</button></form></section>"#,
            seg(&project),
            seg(&env),
            seg(&id),
            csrf_field(&session.csrf)
        );
    }
    if Page::Apply.allows(role) {
        let _ = write!(
            body,
            r#"<section class="card" aria-labelledby="apply-title"><h2 id="apply-title">Apply</h2><p class="muted">Applies exactly this plan, as <code>terrace apply</code> does with its file: refused if it is stale, or not approved where the environment requires it.</p><form class="inline" method="post" action="/console/projects/{}/environments/{}/plans/{}/apply">{}<button type="submit">Apply this plan</button></form></section>"#,
            seg(&project),
            seg(&env),
            seg(&id),
            csrf_field(&session.csrf)
        );
    }
    ok(&format!("Plan for {env}"), &session, &body)
}

#[derive(Deserialize)]
pub struct ApproveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    comment: String,
}

/// `POST …/plans/{id}/approve`: as the API's approval
/// ([`plans::approve_kept`]), the user the approver.
pub async fn approve(
    State(c): St,
    session: Session,
    uri: Uri,
    Path(PlanPath { project, env, id }): Path<PlanPath>,
    Form(form): Form<ApproveForm>,
) -> Answer {
    require(
        &c,
        &session,
        &project,
        Page::Approve,
        uri.path(),
        Some(&form.csrf),
    )
    .await?;
    plans::approve_kept(
        &c.server,
        &project,
        &env,
        &id,
        &session.user,
        form.comment,
        Vec::new(),
    )
    .await
    .map_err(|p| failed(p, &session))?;
    Ok(html::see_other(&format!(
        "/console/projects/{}/environments/{}/plans/{}?approved=1",
        seg(&project),
        seg(&env),
        seg(&id)
    )))
}

/// `POST …/plans/{id}/apply`: starts applying the plan as a job, as the
/// API does ([`jobs::apply_kept`]), the user its user; then the job's page.
pub async fn apply(
    State(c): St,
    session: Session,
    uri: Uri,
    Path(PlanPath { project, env, id }): Path<PlanPath>,
    Form(form): Form<CsrfForm>,
) -> Answer {
    require(
        &c,
        &session,
        &project,
        Page::Apply,
        uri.path(),
        Some(&form.csrf),
    )
    .await?;
    let job = jobs::apply_kept(&c.server, &session.user, &project, &env, &id)
        .await
        .map_err(|p| failed(p, &session))?;
    Ok(html::see_other(&format!("/console/jobs/{}", seg(&job.id))))
}

/// One event line of a job, as a list item: its `type` and `@message`
/// (and a diagnostic's detail), errors marked; a line that is not JSON
/// shown as it is.
fn event_item(line: &str) -> String {
    let Ok(event) = serde_json::from_str::<serde_json::Value>(line) else {
        return format!(r#"<li class="event"><code>{}</code></li>"#, esc(line));
    };
    let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
    let level = match event["@level"].as_str() {
        Some("error") => "error",
        Some("warn" | "warning") => "warning",
        _ => "info",
    };
    let detail = event["diagnostic"]["detail"]
        .as_str()
        .filter(|d| !d.is_empty())
        .map_or(String::new(), |d| {
            format!(r#"<br><span class="muted">{}</span>"#, esc(d))
        });
    format!(
        r#"<li class="event {level}"><code class="type">{}</code> {}{detail}</li>"#,
        esc(&text(&event["type"])),
        esc(&text(&event["@message"]))
    )
}

/// `GET /console/jobs/{job}`: a job's record and its event lines, for a
/// Viewer of its project; while it runs, the page loads itself again
/// every two seconds.
pub async fn job(
    State(c): St,
    session: Session,
    uri: Uri,
    Path(JobPath { job }): Path<JobPath>,
) -> Answer {
    let record = jobs::find(&c.server, &job)
        .await
        .map_err(|p| failed(p, &session))?;
    require(&c, &session, &record.project, Page::Job, uri.path(), None).await?;
    let (s, id) = (c.server.clone(), record.id.clone());
    let lines = run(&session, move || {
        s.access.job_events(&id, 0).map_err(Problem::from)
    })
    .await?;
    let (p, e) = (seg(&record.project), seg(&record.environment));
    let state = state_name(record.state);
    let mut body = project_nav(&record.project);
    let mut rows = vec![
        ("Environment", esc(&record.environment)),
        ("Kind", esc(&record.kind)),
        ("User", esc(&record.user)),
        (
            "State",
            format!(r#"<span class="job-state {state}" id="job-state">{state}</span>"#),
        ),
        ("Started", esc(&record.started)),
        (
            "Finished",
            esc(record.finished.as_deref().unwrap_or("not yet")),
        ),
    ];
    if let Some(plan) = &record.plan {
        rows.push((
            "Plan",
            format!(
                r#"<a href="/console/projects/{p}/environments/{e}/plans/{}"><code>{}</code></a>"#,
                seg(plan),
                esc(plan)
            ),
        ));
    }
    if let Some(from) = &record.from {
        rows.push(("Promoted from", esc(from)));
    }
    if let Some(error) = &record.error {
        rows.push((
            "Error",
            format!(r#"<span class="problem">{}</span>"#, esc(error)),
        ));
    }
    body.push_str(r#"<section class="card"><table><tbody>"#);
    for (name, value) in rows {
        let _ = write!(
            body,
            r#"<tr><th scope="row">{name}</th><td>{value}</td></tr>"#
        );
    }
    body.push_str("</tbody></table></section>");
    if record.state == JobState::Running {
        body.push_str(r#"<p class="notice" role="status">Running: this page loads itself again every 2 seconds.</p>"#);
    }
    body.push_str(r#"<section class="card" aria-labelledby="events-title"><h2 id="events-title">Events</h2><ol class="events">"#);
    for line in &lines {
        body.push_str(&event_item(line));
    }
    let _ = write!(
        body,
        r#"</ol></section><p><a href="/console/projects/{p}">Back to the dashboard</a></p>"#
    );
    let refresh = (record.state == JobState::Running).then_some(2);
    let title = format!("Job {}", record.id);
    Ok(html::answer(
        StatusCode::OK,
        html::page_refreshed(&title, Some(&session.viewer()), &body, refresh),
    ))
}

/// The filters of the audit page, as `terrace audit`'s (and `action`).
#[derive(Deserialize)]
pub struct AuditFilter {
    env: Option<String>,
    action: Option<String>,
    since: Option<String>,
}

/// `Some` of a filter that is not blank.
fn given(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

/// `GET /console/projects/{project}/audit?env=&action=&since=`.
pub async fn audit(
    State(c): St,
    session: Session,
    uri: Uri,
    Path(ProjectPath { project }): Path<ProjectPath>,
    Query(f): Query<AuditFilter>,
) -> Answer {
    require(&c, &session, &project, Page::Audit, uri.path(), None).await?;
    let root = root(&c.server, &project).map_err(|p| failed(p, &session))?;
    let (env, action, since_text) = (given(&f.env), given(&f.action), given(&f.since));
    let since = match &since_text {
        None => None,
        Some(s) => Some(ops::audit::parse_since(s).map_err(|e| {
            html::problem(
                StatusCode::BAD_REQUEST,
                &format!("since: {e}"),
                Some(&session.viewer()),
            )
        })?),
    };
    let (user, e, a) = (session.user.clone(), env.clone(), action.clone());
    let events = run(&session, move || {
        let req = ops::audit::AuditRequest {
            root,
            env: e,
            since,
            action: a,
        };
        ops::audit::events(&req, &As(user)).map_err(Problem::from)
    })
    .await?;
    let value = |v: &Option<String>| esc(v.as_deref().unwrap_or_default());
    let mut body = project_nav(&project);
    let _ = write!(
        body,
        r#"<section class="card"><form class="filters" method="get"><div><label for="env">Environment</label><input id="env" name="env" value="{}"></div><div><label for="action">Action contains</label><input id="action" name="action" value="{}"></div><div><label for="since">Since (RFC 3339, a date or an age like 24h)</label><input id="since" name="since" value="{}"></div><button type="submit">Filter</button></form></section>"#,
        value(&env),
        value(&action),
        value(&since_text)
    );
    let _ = write!(
        body,
        r#"<section class="card"><p class="muted">{} event(s), newest first.</p><table><thead><tr><th scope="col">#</th><th scope="col">Time</th><th scope="col">Action</th><th scope="col">Initiator</th><th scope="col">Target</th><th scope="col">Outcome</th><th scope="col">Reason</th><th scope="col">Details</th></tr></thead><tbody>"#,
        events.len()
    );
    for (e, _) in events.iter().rev() {
        let target = [
            e.target.environment.as_deref(),
            e.target.configuration.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("/");
        // The details as recorded (an approval's comment among them);
        // the trail never holds a secret.
        let details = if e.details.is_null() {
            String::new()
        } else {
            e.details.to_string()
        };
        let outcome = match e.outcome {
            crate::project::audit::Outcome::Success => "success",
            crate::project::audit::Outcome::Failure => "failure",
        };
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{outcome}</td><td>{}</td><td><code>{}</code></td></tr>",
            e.seq,
            esc(&e.time),
            esc(&e.action),
            esc(&e.initiator),
            esc(&target),
            esc(e.reason.as_deref().unwrap_or_default()),
            esc(&details)
        );
    }
    body.push_str("</tbody></table></section>");
    ok(&format!("Audit log of {project}"), &session, &body)
}

/// `GET /console/projects/{project}/graph`: the resources and their
/// dependencies, as `terrace graph` has them, drawn as SVG.
pub async fn graph(
    State(c): St,
    session: Session,
    uri: Uri,
    Path(ProjectPath { project }): Path<ProjectPath>,
) -> Answer {
    require(&c, &session, &project, Page::Graph, uri.path(), None).await?;
    let root = root(&c.server, &project).map_err(|p| failed(p, &session))?;
    let nodes = run(&session, move || {
        use crate::eval::Node;
        let ws = ops::Workspace::load(&root, &ops::Quiet)?;
        let graph = ws.graph(&ops::Quiet)?;
        let is_resource = |n: &Node| matches!(n, Node::Resource(..));
        let ids: Vec<_> = graph
            .dag
            .ids()
            .filter(|id| is_resource(graph.dag.node(*id)))
            .collect();
        let index: std::collections::HashMap<_, _> =
            ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        let nodes: Vec<super::svg::Node> = ids
            .iter()
            .filter_map(|id| {
                let Node::Resource(c, r) = *graph.dag.node(*id) else {
                    return None;
                };
                let addr = graph.resource_addr(c, r);
                Some(super::svg::Node {
                    label: format!("{}/{}", addr.config, addr.local()),
                    deps: graph
                        .dag
                        .nearest_kept(*id, is_resource)
                        .iter()
                        .filter_map(|d| index.get(d).copied())
                        .collect(),
                })
            })
            .collect();
        Ok(nodes)
    })
    .await?;
    let mut body = project_nav(&project);
    let _ = write!(
        body,
        r#"<section class="card"><p class="muted">{} resource(s); each is drawn right of what it depends on.</p>{}</section>"#,
        nodes.len(),
        super::svg::graph(&nodes)
    );
    let mut list = String::from("<h2>As a list</h2><ul>");
    for n in &nodes {
        let deps: Vec<String> = n.deps.iter().map(|d| esc(&nodes[*d].label)).collect();
        let _ = write!(
            list,
            "<li><code>{}</code>{}</li>",
            esc(&n.label),
            if deps.is_empty() {
                String::new()
            } else {
                format!(" depends on <code>{}</code>", deps.join("</code>, <code>"))
            }
        );
    }
    list.push_str("</ul>");
    body.push_str(&format!(r#"<section class="card">{list}</section>"#));
    ok(&format!("Dependency graph of {project}"), &session, &body)
}

/// `GET …/environments/{env}/state`: the kept versions of the
/// environment's state (`terrace state backups`), with a Restore form for
/// Administrators.
pub async fn state(
    State(c): St,
    session: Session,
    uri: Uri,
    Path(EnvPath { project, env }): Path<EnvPath>,
) -> Answer {
    let role = require(&c, &session, &project, Page::State, uri.path(), None).await?;
    let root = root(&c.server, &project).map_err(|p| failed(p, &session))?;
    let (user, e) = (session.user.clone(), env.clone());
    let versions = run(&session, move || {
        let req = ops::state::EnvRequest { root, env: e };
        ops::state::versions(&req, &As(user)).map_err(Problem::from)
    })
    .await?;
    let admin = Page::Restore.allows(role);
    let mut body = project_nav(&project);
    if versions.is_empty() {
        let _ = write!(
            body,
            r#"<p>No kept versions in environment "{}" yet: each apply keeps the version it replaces.</p>"#,
            esc(&env)
        );
        return ok(&format!("State versions of {env}"), &session, &body);
    }
    body.push_str(r#"<section class="card"><table><thead><tr><th scope="col">Serial</th><th scope="col">Configuration</th><th scope="col">Saved</th>"#);
    if admin {
        body.push_str(r#"<th scope="col">Restore</th>"#);
    }
    body.push_str("</tr></thead><tbody>");
    for v in &versions {
        let when = v.saved().unwrap_or_default();
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}</td><td>{}</td>",
            v.serial,
            esc(&v.config),
            esc(&when)
        );
        if admin {
            let _ = write!(
                body,
                r#"<td><form class="inline" method="post" action="/console/projects/{}/environments/{}/state/restore">{}<input type="hidden" name="serial" value="{}"><input type="hidden" name="config" value="{}"><button class="danger" type="submit">Restore {} to serial {}</button></form></td>"#,
                seg(&project),
                seg(&env),
                csrf_field(&session.csrf),
                v.serial,
                esc(&v.config),
                esc(&v.config),
                v.serial
            );
        }
        body.push_str("</tr>");
    }
    body.push_str("</tbody></table></section>");
    ok(&format!("State versions of {env}"), &session, &body)
}

#[derive(Deserialize)]
pub struct RestoreForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    serial: String,
    #[serde(default)]
    config: String,
}

/// `POST …/state/restore`: as `terrace state restore --env ENV SERIAL
/// --config CONFIG`, for an Administrator.
pub async fn restore(
    State(c): St,
    session: Session,
    uri: Uri,
    Path(EnvPath { project, env }): Path<EnvPath>,
    Form(form): Form<RestoreForm>,
) -> Answer {
    require(
        &c,
        &session,
        &project,
        Page::Restore,
        uri.path(),
        Some(&form.csrf),
    )
    .await?;
    let serial: u64 = form.serial.trim().parse().map_err(|_| {
        html::problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("serial {:?} is not a number", form.serial),
            Some(&session.viewer()),
        )
    })?;
    let config = given(&Some(form.config));
    let report = envs::restore_env(
        &c.server,
        &session.user,
        &project,
        env.clone(),
        serial,
        config,
    )
    .await
    .map_err(|p| failed(p, &session))?;
    let mut body = project_nav(&project);
    body.push_str(r#"<p class="notice" role="status">Restored.</p><ul>"#);
    for (config, at) in &report.restored {
        let _ = write!(body, "<li>{}: serial {at}</li>", esc(config));
    }
    let _ = write!(
        body,
        r#"</ul><p>The environment's state is now serial {}. <a href="/console/projects/{}/environments/{}/state">Back to the state versions</a></p>"#,
        report.serial,
        seg(&project),
        seg(&env)
    );
    ok(&format!("State of {env} restored"), &session, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_line_is_shown_as_text_and_an_error_is_marked() {
        let line = serde_json::json!({
            "@level": "error",
            "@message": "Error: <script>x</script>",
            "type": "diagnostic",
            "diagnostic": { "detail": "a \"<b>\"" },
        })
        .to_string();
        let item = event_item(&line);
        assert!(item.starts_with(r#"<li class="event error">"#), "{item}");
        assert!(
            item.contains("Error: &lt;script&gt;x&lt;/script&gt;"),
            "{item}"
        );
        assert!(item.contains("a &quot;&lt;b&gt;&quot;"), "{item}");
        assert!(!item.contains("<script>") && !item.contains("<b>"));
        let raw = event_item("not json <i>");
        assert_eq!(
            raw,
            r#"<li class="event"><code>not json &lt;i&gt;</code></li>"#
        );
    }

    #[test]
    fn a_dashboard_lists_the_newest_plans_of_each_environment_first() {
        let plan = |id: &str, env: &str, created: &str| KeptPlan {
            id: id.into(),
            project: "shop".into(),
            env: env.into(),
            author: "<olga>".into(),
            created: created.into(),
            bytes: Vec::new(),
        };
        let html = plan_lists(
            "shop",
            &["dev", "prod"],
            vec![
                plan("aa", "dev", "2026-12-05T00:00:00Z"),
                plan("bb", "dev", "2026-12-06T00:00:00Z"),
                plan("cc", "gone", "2026-12-06T00:00:00Z"),
            ],
        );
        let (older, newer) = (html.find(">aa<"), html.find(">bb<"));
        assert!(newer.is_some() && newer < older, "{html}");
        assert!(
            !html.contains("cc") && html.contains("&lt;olga&gt;"),
            "{html}"
        );
        assert!(html.contains("No kept plan."), "prod has none: {html}");
    }
}
