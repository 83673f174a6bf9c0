//! Jobs: an apply or a promotion the server runs for a caller, which
//! outlives the request that started it.
//!
//! A job runs the same [`crate::ops`] operation as `terrace apply` or
//! `terrace promote --apply`, on a thread of its own. What `--json` would
//! print is kept as the job's event lines in the server's records
//! ([`super::access::AccessStore::append_job_events`], a few times a
//! second), so that any instance on the same records serves a job's
//! record (`GET /api/jobs/{job}`) and follows its events
//! (`GET /api/jobs/{job}/events`, server-sent events) — nothing of a job
//! is held only in the memory of the instance running it.
//!
//! The instance running a job writes a heartbeat into its record every
//! [`BEAT`]. A job still `running` whose heartbeat is older than
//! [`LOST_AFTER`] is reported `lost`: its instance stopped (its
//! environment's lock is then stale, which `attention` reports and the
//! next apply breaks, recovering the journal as after any crash).

use super::guard::Caller;
use super::handlers::{Problem, blocking, root};
use super::{Server, token};
use crate::apply::{Cancel, Event, Observer};
use crate::diag::{Diagnostics, Severity, SourceMap};
use crate::ops::{self, Applied, Front, Notice};
use crate::plan::Plan;
use crate::render::events::Events;
use axum::Json;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::sse::{self, Sse};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How often the instance running a job says so in its record.
pub const BEAT: Duration = Duration::from_secs(2);
/// How old a running job's heartbeat may be before the job is `lost`.
pub const LOST_AFTER: Duration = Duration::from_secs(10);
/// How often event lines are written to the records, and read back for
/// the followers of a job.
const FLUSH: Duration = Duration::from_millis(200);

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Running,
    Succeeded,
    Failed,
    /// Its instance stopped beating while it ran.
    Lost,
}

/// A job's record.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JobRecord {
    pub id: String,
    pub project: String,
    pub environment: String,
    /// `apply` or `promote`.
    pub kind: String,
    /// Who started it: the operation's user (audit initiator).
    pub user: String,
    /// The kept plan it applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
    /// The environment a promotion takes its release from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    pub state: JobState,
    /// RFC 3339.
    pub started: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished: Option<String>,
    /// The last heartbeat of the instance running it (RFC 3339).
    pub beat: String,
    /// The instance running it: host and process id.
    pub instance: String,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl JobRecord {
    /// The record as it is seen now: `lost` when it says running but its
    /// heartbeat is older than [`LOST_AFTER`].
    pub fn seen(mut self) -> JobRecord {
        let stale = self
            .beat
            .parse::<jiff::Timestamp>()
            .map(|beat| {
                jiff::Timestamp::now().duration_since(beat)
                    > jiff::SignedDuration::try_from(LOST_AFTER).unwrap_or_default()
            })
            .unwrap_or(true);
        if self.state == JobState::Running && stale {
            self.state = JobState::Lost;
        }
        self
    }
}

/// The jobs this instance runs: one cancel for all (the server stopping
/// interrupts them as Ctrl-C interrupts `terrace apply`), and their
/// threads, to wait for them.
#[derive(Default)]
pub struct Running {
    cancel: Cancel,
    threads: Mutex<Vec<std::thread::JoinHandle<()>>>,
}

impl Running {
    /// Interrupts every job this instance runs and waits until each has
    /// written its records.
    pub fn stop(&self) {
        self.cancel.cancel();
        let threads = std::mem::take(&mut *self.threads.lock().unwrap_or_else(|e| e.into_inner()));
        for t in threads {
            let _ = t.join();
        }
    }
}

/// What a job does.
pub enum Work {
    Apply(ops::apply::ApplyRequest),
    Promote(ops::promote::PromoteRequest),
}

/// The event lines of a running job, until they are written.
struct Sink {
    events: Events,
    lines: Mutex<Vec<String>>,
}

impl Sink {
    fn push(&self, line: String) {
        self.lines
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(line);
    }

    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.lines.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl crate::plan::Reads for Sink {
    fn reading(&self, addr: &crate::address::InstanceAddr, id: Option<&str>) {
        self.push(self.events.refresh(addr, id, false));
    }

    fn read(&self, addr: &crate::address::InstanceAddr, id: Option<&str>) {
        self.push(self.events.refresh(addr, id, true));
    }
}

impl Observer for &Sink {
    fn event(&self, e: &Event) {
        self.push(self.events.apply_event(e));
    }
}

/// The front end of a job: the lines `--json` prints, as the caller.
struct JobFront<'a> {
    user: String,
    sink: &'a Sink,
}

impl Front for JobFront<'_> {
    fn user(&self) -> String {
        self.user.clone()
    }

    fn notice(&self, notice: Notice<'_>) {
        let warning = match notice {
            Notice::Warning(text) => text.to_string(),
            Notice::AuditNotWritten(cause) => format!("the audit trail was not written: {cause}"),
            Notice::Recovered { env, recovery } => format!(
                "the last apply in environment \"{env}\" did not finish; {} completed operation(s) were recovered from its journal, {} never recorded as finished",
                recovery.replayed,
                recovery.unfinished.len()
            ),
            Notice::NoRelease { env, why } => {
                format!("environment \"{env}\" will have no release to promote: {why}")
            }
            _ => return,
        };
        self.sink
            .push(self.sink.events.message(Severity::Warning, &warning, ""));
    }

    fn diagnostics(&self, diags: Diagnostics, sources: &SourceMap) {
        for d in diags.into_sorted() {
            self.sink
                .push(self.sink.events.diagnostic(&d, Some(sources)));
        }
    }

    fn planned(&self, plan: &Plan) -> ops::Result {
        self.applying(plan);
        Ok(())
    }

    fn reads(&self) -> &dyn crate::plan::Reads {
        self.sink
    }

    fn applying(&self, plan: &Plan) {
        for line in self.sink.events.plan(plan) {
            self.sink.push(line);
        }
    }

    fn progress<'b>(&'b self, _env: &str, _plan: &Plan) -> Box<dyn Observer + 'b> {
        Box::new(self.sink)
    }

    fn applied(&self, applied: &Applied<'_>) {
        let lines = self.sink.events.outcome(
            applied.outcome,
            applied.destroy,
            applied.sources,
            applied.state,
        );
        for line in lines {
            self.sink.push(line);
        }
    }
}

/// The host and process id of this instance.
fn instance() -> String {
    format!("{}:{}", crate::state::host_name(), std::process::id())
}

/// Starts `work` as a new job of `user` in `project`'s environment
/// `env`; answers its record once that is in the records.
async fn start(
    server: &Arc<Server>,
    user: &str,
    project: &str,
    env: &str,
    work: Work,
) -> Result<JobRecord, Problem> {
    let now = crate::project::now();
    let (kind, plan, from) = match &work {
        Work::Apply(req) => (
            "apply",
            req.planfile.as_ref().map(|p| p.display().to_string()),
            None,
        ),
        Work::Promote(req) => ("promote", None, Some(req.from.clone())),
    };
    let record = JobRecord {
        id: token::generate().map_err(Problem::internal)?[..32].to_string(),
        project: project.to_string(),
        environment: env.to_string(),
        kind: kind.into(),
        user: user.to_string(),
        plan,
        from,
        state: JobState::Running,
        started: now.clone(),
        finished: None,
        beat: now,
        instance: instance(),
        error: None,
    };
    let (s, r) = (server.clone(), record.clone());
    blocking(move || s.access.put_job(&r).map_err(Problem::from)).await?;
    let runtime = tokio::runtime::Handle::current();
    let (s, r) = (server.clone(), record.clone());
    let thread = std::thread::Builder::new()
        .name(format!("job-{}", &record.id[..8]))
        .spawn(move || run(&s, r, work, &runtime))
        .map_err(|e| Problem::internal(format!("cannot start a job: {e}")))?;
    let mut threads = server
        .jobs
        .threads
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    threads.retain(|t| !t.is_finished());
    threads.push(thread);
    Ok(record)
}

/// Runs a job to its end on this thread, its lines and heartbeats
/// written by a second one.
fn run(server: &Arc<Server>, mut record: JobRecord, work: Work, runtime: &tokio::runtime::Handle) {
    let sink = Sink {
        events: Events::new(&record.environment),
        lines: Mutex::new(Vec::new()),
    };
    sink.push(sink.events.version());
    let done = std::sync::atomic::AtomicBool::new(false);
    let front = JobFront {
        user: record.user.clone(),
        sink: &sink,
    };
    let cancel = &server.jobs.cancel;
    let result = std::thread::scope(|scope| {
        let writer = scope.spawn(|| write_until(server, &record, &sink, &done));
        // The operations' futures are the command line's (not Send): they
        // run here, on the server's runtime.
        let result = runtime.block_on(async {
            match &work {
                Work::Apply(req) => ops::apply::apply(req, &front, cancel).await.map(|_| ()),
                Work::Promote(req) => ops::promote::promote(req, &front, cancel).await.map(|_| ()),
            }
        });
        if let Err(e) = &result {
            for line in error_lines(&sink.events, e) {
                sink.push(line);
            }
        }
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        // The last lines are written before the record says it ended.
        let _ = writer.join();
        result
    });
    record.finished = Some(crate::project::now());
    record.beat = record.finished.clone().unwrap_or_default();
    match result {
        Ok(()) => record.state = JobState::Succeeded,
        Err(e) => {
            record.state = JobState::Failed;
            record.error = Some(e.reason());
        }
    }
    if let Err(e) = server.access.put_job(&record) {
        tracing::error!("job {}: its end was not recorded: {e}", record.id);
    }
}

/// The lines that say why an operation failed (an apply that ran and
/// failed has said so in its outcome).
fn error_lines(events: &Events, e: &ops::Error) -> Vec<String> {
    match e {
        ops::Error::Shown { .. } => Vec::new(),
        ops::Error::Diagnostics { diags, sources } => diags
            .clone()
            .into_sorted()
            .iter()
            .map(|d| events.diagnostic(d, Some(sources)))
            .collect(),
        e => vec![events.message(Severity::Error, &e.reason(), "")],
    }
}

/// Writes the job's lines as they come, and its heartbeat every
/// [`BEAT`], until `done`; then the last lines.
fn write_until(
    server: &Server,
    record: &JobRecord,
    sink: &Sink,
    done: &std::sync::atomic::AtomicBool,
) {
    let mut written = 0;
    let mut pending: Vec<String> = Vec::new();
    let mut beaten = std::time::Instant::now();
    loop {
        let last = done.load(std::sync::atomic::Ordering::SeqCst);
        pending.extend(sink.take());
        if !pending.is_empty() {
            // Kept and written again next time when the records fail.
            match server
                .access
                .append_job_events(&record.id, written, &pending)
            {
                Ok(()) => {
                    written += pending.len();
                    pending.clear();
                }
                Err(e) => tracing::warn!("job {}: event lines not written yet: {e}", record.id),
            }
        }
        if last {
            return;
        }
        if beaten.elapsed() >= BEAT {
            let beat = JobRecord {
                beat: crate::project::now(),
                ..record.clone()
            };
            if let Err(e) = server.access.put_job(&beat) {
                tracing::warn!("job {}: heartbeat not written: {e}", record.id);
            }
            beaten = std::time::Instant::now();
        }
        std::thread::sleep(FLUSH);
    }
}

/// The answer to a request that started a job: 202 and where to follow it.
fn started(record: &JobRecord) -> (StatusCode, Json<Value>) {
    (
        StatusCode::ACCEPTED,
        Json(json!({
            "id": record.id,
            "state": record.state,
            "job": format!("/api/jobs/{}", record.id),
            "events": format!("/api/jobs/{}/events", record.id),
        })),
    )
}

/// Starts applying kept plan `id` of `project`'s environment `env` as a
/// job of `user`, exactly as `terrace apply --env ENV PLANFILE` (refused
/// as it is: stale, not approved where the environment requires it, not
/// a promotion where it takes only those): the API's and the console's
/// apply. Answers the job's record once it is in the records.
pub(super) async fn apply_kept(
    server: &Arc<Server>,
    user: &str,
    project: &str,
    env: &str,
    id: &str,
) -> Result<JobRecord, Problem> {
    let root = root(server, project)?;
    let kept = super::plans::kept(server, project, env, id).await?;
    let req = ops::apply::ApplyRequest {
        root,
        env: env.to_string(),
        planfile: Some(std::path::PathBuf::from(id)),
        kept: Some(kept.bytes),
        auto_approve: false,
        destroy: false,
        settings: ops::plan::PlanSettings::default(),
    };
    start(server, user, project, env, Work::Apply(req)).await
}

/// `POST …/plans/{id}/apply`: applies the kept plan as a job
/// ([`apply_kept`]), the caller its user.
pub async fn apply(
    State(server): State<Arc<Server>>,
    Extension(caller): Extension<Caller>,
    Path((project, env, id)): Path<(String, String, String)>,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let record = apply_kept(&server, &caller.user, &project, &env, &id).await?;
    Ok(started(&record))
}

#[derive(Debug, Deserialize)]
pub struct PromoteBody {
    from: String,
}

/// `POST /api/projects/{p}/environments/{env}/promote` with
/// `{"from": ENV}`: as `terrace promote --from FROM --to ENV --apply
/// --auto-approve`, as a job. An environment that requires approval is
/// refused (as the command line refuses it): make the promotion's plan
/// with `…/plans` and `{"promote_from": FROM}`, approve it, apply it.
pub async fn promote(
    State(server): State<Arc<Server>>,
    Extension(caller): Extension<Caller>,
    Path((project, env)): Path<(String, String)>,
    Json(body): Json<PromoteBody>,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let root = root(&server, &project)?;
    let req = ops::promote::PromoteRequest {
        root,
        from: body.from,
        to: env.clone(),
        out: None,
        apply: true,
        auto_approve: true,
        settings: ops::plan::PlanSettings::default(),
    };
    let record = start(&server, &caller.user, &project, &env, Work::Promote(req)).await?;
    Ok(started(&record))
}

/// The job `id` (as seen now), or 404.
pub(super) async fn find(server: &Arc<Server>, id: &str) -> Result<JobRecord, Problem> {
    let (s, i) = (server.clone(), id.to_string());
    let job = blocking(move || s.access.job(&i).map_err(Problem::from)).await?;
    job.map(JobRecord::seen)
        .ok_or_else(|| Problem::new(StatusCode::NOT_FOUND, format!("no job {id}")))
}

/// `GET /api/jobs/{job}`: the job's record, as seen now.
pub async fn show(
    State(server): State<Arc<Server>>,
    Path(id): Path<String>,
) -> Result<Json<JobRecord>, Problem> {
    Ok(Json(find(&server, &id).await?))
}

/// `GET /api/jobs/{job}/events`: the job's event lines as server-sent
/// events (`id` its number, `data` the line), from the first or from
/// after `Last-Event-ID`, followed until the job ends.
pub async fn events(
    State(server): State<Arc<Server>>,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
) -> Result<
    Sse<impl futures_util::Stream<Item = Result<sse::Event, std::convert::Infallible>>>,
    Problem,
> {
    find(&server, &id).await?;
    let from = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<usize>().ok())
        .map_or(0, |last| last + 1);
    let follow = Follow {
        server,
        id,
        next: from,
        queued: std::collections::VecDeque::new(),
        ended: None,
        over: false,
    };
    let stream = futures_util::stream::unfold(follow, |mut f| async move {
        let event = f.next().await?;
        Some((Ok(event), f))
    });
    Ok(Sse::new(stream).keep_alive(sse::KeepAlive::default()))
}

/// One follower of a job's events.
struct Follow {
    server: Arc<Server>,
    id: String,
    /// The number of the next line to send.
    next: usize,
    queued: std::collections::VecDeque<String>,
    /// The job's record once it is seen ended, until `end` is sent.
    ended: Option<JobRecord>,
    /// `end` is sent.
    over: bool,
}

impl Follow {
    /// The next event: each line, then `end` with the job's record once
    /// it has ended; `None` after that.
    async fn next(&mut self) -> Option<sse::Event> {
        loop {
            if let Some(line) = self.queued.pop_front() {
                let event = sse::Event::default().id(self.next.to_string()).data(line);
                self.next += 1;
                return Some(event);
            }
            if let Some(job) = self.ended.take() {
                self.over = true;
                let record = serde_json::to_string(&job).unwrap_or_default();
                return Some(sse::Event::default().event("end").data(record));
            }
            if self.over {
                return None;
            }
            // The record first: every line written before it said the job
            // ended is read below.
            let job = find(&self.server, &self.id).await.ok()?;
            let (s, id, from) = (self.server.clone(), self.id.clone(), self.next);
            let lines = blocking(move || s.access.job_events(&id, from).map_err(Problem::from))
                .await
                .ok()?;
            let none = lines.is_empty();
            self.queued.extend(lines);
            if job.state != JobState::Running {
                self.ended = Some(job);
            } else if none {
                tokio::time::sleep(FLUSH).await;
            }
        }
    }
}
