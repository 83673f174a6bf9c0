//! `plan`: what applying would change in an environment; optionally saved
//! to a file that `apply` takes exactly.

use super::vars::VarInputs;
use super::workspace::{lock, recover_and_load_ahead};
use super::{Error, Front, Notice, Result, Workspace};
use crate::address::InstanceAddr;
use crate::eval::{EnvValues, Missing, ProjectGraph};
use crate::plan::{Plan, PlanOptions, Target};
use crate::state::EnvState;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How to plan: shared by `plan`, `apply`, `destroy`, `promote` and
/// `upgrade`.
#[derive(Debug, Clone)]
pub struct PlanSettings {
    /// Read every managed object back before planning.
    pub refresh: bool,
    /// How long to wait for the environment's lock.
    pub lock_timeout: Duration,
    /// Provider operations at once.
    pub parallelism: usize,
    /// Project variables given for this run.
    pub vars: VarInputs,
    /// Plan only these and what they depend on (`--target`).
    pub targets: Vec<Target>,
    /// Replace these objects even if nothing forces it (`--replace`).
    pub replace: Vec<InstanceAddr>,
    /// Create again the objects of an environment whose state files are
    /// gone while its records say it is deployed (`--allow-recreate`).
    pub allow_recreate: bool,
}

impl Default for PlanSettings {
    fn default() -> PlanSettings {
        PlanSettings {
            refresh: true,
            lock_timeout: Duration::ZERO,
            parallelism: 10,
            vars: VarInputs::default(),
            targets: Vec::new(),
            replace: Vec::new(),
            allow_recreate: false,
        }
    }
}

impl PlanSettings {
    /// These settings with the targets, replacements and refresh `plan`
    /// was made with, to make it again.
    pub fn again(&self, plan: &Plan) -> Result<PlanSettings> {
        let bad = |e: String| Error::Refused(format!("the saved plan is damaged: {e}"));
        let mut again = self.clone();
        again.refresh = plan.refresh;
        again.targets = plan
            .targets
            .iter()
            .map(|t| Target::parse(t).map_err(bad))
            .collect::<Result<_>>()?;
        again.replace = plan
            .replace
            .iter()
            .map(|r| parse_replace(r).map_err(bad))
            .collect::<Result<_>>()?;
        Ok(again)
    }
}

/// A `--replace` address: an instance inside the environment being
/// planned (CONFIG/TYPE.NAME[KEY]), for the command line and saved plans.
pub fn parse_replace(s: &str) -> std::result::Result<InstanceAddr, String> {
    match InstanceAddr::parse(s)? {
        (None, addr) => Ok(addr),
        (Some(_), _) => Err(format!(
            "\"{s}\": the address is inside the environment given by --env; write CONFIG/TYPE.NAME"
        )),
    }
}

/// A plan of one environment.
#[derive(Debug, Clone)]
pub struct PlanRequest {
    /// The project directory.
    pub root: PathBuf,
    pub env: String,
    /// Plan to destroy everything.
    pub destroy: bool,
    /// Save the plan here.
    pub out: Option<PathBuf>,
    pub settings: PlanSettings,
}

/// What `plan` made.
#[derive(Debug)]
pub struct PlanReport {
    pub plan: Plan,
    /// The sha256 of the saved plan file, when one was saved.
    pub saved: Option<String>,
    /// The state the plan was made against.
    pub prior: EnvState,
}

/// Terraform's warning for `-target`, word for word where it fits.
pub const TARGET_WARNING: &str = "Resource targeting is in effect\n\n\
You are creating a plan with --target, which means that the result of this plan may not represent all of the changes requested by the current definitions.\n\n\
The --target option is not for routine use, and is provided only for exceptional situations such as recovering from errors or mistakes, or when terrace specifically suggests to use it as part of an error message.";

/// Plans `req.env`, shows the plan through `front`, saves it if asked, and
/// records the configurations as validated.
pub async fn plan(req: &PlanRequest, front: &dyn Front) -> Result<PlanReport> {
    // The state is decoded while the definitions load.
    let ahead = crate::store::ReadAhead::start(&req.root, &req.env);
    let mut ws = Workspace::load(&req.root, front)?;
    let result = match super::vars::resolve(&mut ws, &req.settings.vars, Missing::Error, front) {
        Ok(()) => plan_env(&ws, req, front, ahead).await,
        Err(e) => Err(e),
    };
    ws.audit(
        "project.config.validate",
        Some(&req.env),
        serde_json::Value::Null,
        &result,
        front,
    );
    result
}

async fn plan_env(
    ws: &Workspace,
    req: &PlanRequest,
    front: &dyn Front,
    ahead: crate::store::ReadAhead,
) -> Result<PlanReport> {
    let graph = ws.graph(front)?;
    let env = ws.environment(&req.env)?;
    let store = ws.store(&env.name);
    let lock = lock(&*store, "terrace plan", req.settings.lock_timeout)?;
    let state = recover_and_load_ahead(&*store, &lock, front, ahead)?;
    if !req.settings.allow_recreate
        && !req.destroy
        && let Some(lost) = crate::project::release::lost_state(&ws.records(), &*store)
    {
        front.notice(Notice::Warning(&format!(
            "{lost}\nterrace apply refuses this plan without --allow-recreate."
        )));
    }
    // The objects that stay as they are matter only to a saved plan and
    // the JSON view (and policies, which compute_at sees to).
    let keep_unchanged = req.out.is_some() || front.shows_json();
    let mut plan = compute_at(
        ws,
        &graph,
        &req.env,
        &state,
        &req.settings,
        req.destroy,
        jiff::Timestamp::now(),
        front.reads(),
        front,
        keep_unchanged,
    )
    .await?;
    plan.created_by = front.user();
    super::policies::record(ws, &plan, front);
    if req.out.is_some() {
        describe(&mut plan, &graph);
    }
    front.planned(&plan)?;
    let saved = match &req.out {
        Some(path) => {
            let hash = save(&plan, path)?;
            front.notice(Notice::Saved {
                path,
                env: &req.env,
                // The plan shows what the working tree would change; the
                // environment takes only promotions.
                promote_from: env
                    .promote_from
                    .as_ref()
                    .filter(|_| !req.destroy)
                    .map(|(from, _)| from.as_str()),
                require_approval: env.require_approval,
                promotion: false,
            });
            Some(hash)
        }
        None => None,
    };
    // Environments that receive promotions validate what is promoted; a
    // targeted plan validates only part of the definitions.
    if env.promote_from.is_none() && !req.destroy && plan.targets.is_empty() {
        super::records::validated(ws, env, saved.as_deref(), front)?;
    }
    drop(lock);
    Ok(PlanReport {
        plan,
        saved,
        prior: state,
    })
}

/// Plans `env` against `state`; warnings go to `front`.
pub async fn compute(
    ws: &Workspace,
    graph: &ProjectGraph<'_>,
    env: &str,
    state: &EnvState,
    settings: &PlanSettings,
    destroy: bool,
    front: &dyn Front,
) -> Result<Plan> {
    let now = jiff::Timestamp::now();
    compute_at(
        ws,
        graph,
        env,
        state,
        settings,
        destroy,
        now,
        front.reads(),
        front,
        true,
    )
    .await
}

/// [`compute`] as if at `time` (what plantimestamp() gives): a saved plan
/// is made again as it was made. `reads` is told of the objects read back
/// (the plan made again to check a saved one tells nobody: Terraform does
/// not refresh when it applies a saved plan, so its stream has no
/// refresh events there). `keep_unchanged` keeps the objects that stay as
/// they are in the plan (see [`PlanOptions::keep_unchanged`]); they are
/// kept whatever it says when a policy reads the plan.
#[allow(clippy::too_many_arguments)]
pub async fn compute_at(
    ws: &Workspace,
    graph: &ProjectGraph<'_>,
    env: &str,
    state: &EnvState,
    settings: &PlanSettings,
    destroy: bool,
    time: jiff::Timestamp,
    reads: &dyn crate::plan::Reads,
    front: &dyn Front,
    keep_unchanged: bool,
) -> Result<Plan> {
    let environment = ws.environment(env)?;
    let values = EnvValues::new(graph, environment, &ws.vars, time).map_err(|d| ws.error(d))?;
    for r in &settings.replace {
        if state.instance(r).is_none() {
            front.notice(Notice::Warning(&format!(
                "--replace {r}: there is no such object in environment \"{env}\", so there is nothing to replace"
            )));
        }
    }
    let opts = PlanOptions {
        refresh: settings.refresh,
        destroy,
        parallelism: settings.parallelism,
        authorization: ws.authorization(environment)?,
        defer_data: false,
        replace: settings.replace.clone(),
        targets: settings.targets.clone(),
        keep_unchanged: keep_unchanged || ws.project.policies.iter().any(|p| p.applies_to(env)),
    };
    match crate::plan::plan(graph, values, state, ws.registry(), &opts, reads).await {
        Ok((mut plan, warnings)) => {
            ws.check(warnings, front)?;
            if !plan.targets.is_empty() {
                front.notice(Notice::Warning(TARGET_WARNING));
            }
            if front.shows_json() {
                describe(&mut plan, graph);
            }
            super::policies::evaluate(ws, graph, &mut plan);
            Ok(plan)
        }
        Err(diags) => Err(ws.error(diags)),
    }
}

/// Adds the definitions (Terraform's JSON configuration representation)
/// to `plan`, for a saved plan or the JSON view; a plan only shown as text
/// or applied at once does without them.
pub fn describe(plan: &mut Plan, graph: &ProjectGraph<'_>) {
    if plan.configuration.is_null() {
        plan.configuration = crate::config::json::configuration(graph.project);
    }
}

/// Writes a plan file atomically; returns the file's sha256, which
/// approvals bind to.
pub fn save(plan: &Plan, path: &Path) -> Result<String> {
    let full = super::workspace::absolute(path);
    let bytes = plan.to_bytes();
    crate::state::write_atomic(&full, &bytes).map_err(|source| Error::Io {
        action: "write the plan to",
        path: path.to_path_buf(),
        source,
    })?;
    Ok(crate::project::sha256_hex(&bytes))
}

/// Reads a saved plan and the sha256 of its file, which approvals bind to.
pub fn read(path: &Path) -> Result<(Plan, String)> {
    let bytes = crate::bounded::read_record(path).map_err(|source| Error::Io {
        action: "read the plan",
        path: path.to_path_buf(),
        source,
    })?;
    decode(&bytes, path)
}

/// A saved plan: the file at `path`, or its bytes kept elsewhere
/// (`terrace serve` keeps them in its records), `path` then naming it in
/// messages.
pub fn read_saved(path: &Path, kept: Option<&[u8]>) -> Result<(Plan, String)> {
    match kept {
        Some(bytes) => decode(bytes, path),
        None => read(path),
    }
}

/// Decodes a saved plan's bytes (named `path` in messages).
pub fn decode(bytes: &[u8], path: &Path) -> Result<(Plan, String)> {
    let plan = Plan::from_bytes(bytes)
        .map_err(|e| Error::Refused(format!("cannot use the plan {}: {e}", path.display())))?;
    Ok((plan, crate::digest::sha256_hex(bytes)))
}
