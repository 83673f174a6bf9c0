//! What commands record beside state: audit events, lifecycle moves and
//! releases, kept in one place so that every command records alike.

use super::session::Loaded;
use super::{Failure, Result};
use crate::apply::{Event, Observer, Outcome};
use crate::config::Environment;
use crate::plan::Plan;
use crate::project::Records;
use crate::project::audit::{self, Audit};
use crate::project::lifecycle::{Lifecycle, Stage, definition_hash};
use crate::project::release::{Deployed, Release};
use std::collections::BTreeSet;
use std::sync::Mutex;

/// Appends an audit event; a trail that cannot be written is a warning.
pub fn audit(
    records: &Records,
    project: &str,
    action: &str,
    env: Option<&str>,
    outcome: &Result,
    details: serde_json::Value,
) {
    let (outcome, reason) = match outcome {
        Ok(()) | Err(Failure::Changes) => (audit::Outcome::Success, None),
        Err(Failure::Message(m)) => (audit::Outcome::Failure, Some(m.clone())),
        Err(Failure::Reported) => (
            audit::Outcome::Failure,
            Some("see the command's output".into()),
        ),
    };
    let event = audit::Event {
        seq: 0,
        time: String::new(),
        action: action.to_string(),
        initiator: crate::project::user(),
        target: audit::Target {
            project: project.to_string(),
            environment: env.map(str::to_string),
            configuration: None,
        },
        outcome,
        reason,
        details,
        prev: String::new(),
    };
    if let Err(e) = Audit::new(records).append(event) {
        errln!("Warning: the audit trail was not written: {e}");
    }
}

/// Turns a record error into a command failure.
pub fn failure(e: crate::project::RecordError) -> Failure {
    Failure::Message(e.to_string())
}

/// Passes events on, and notes which configurations had a failure.
pub struct Tally<'a> {
    pub inner: &'a dyn Observer,
    failed: Mutex<BTreeSet<String>>,
}

impl<'a> Tally<'a> {
    pub fn new(inner: &'a dyn Observer) -> Tally<'a> {
        Tally {
            inner,
            failed: Mutex::new(BTreeSet::new()),
        }
    }

    /// The configurations with a failed operation.
    pub fn failed(&self) -> BTreeSet<String> {
        self.failed.lock().map(|f| f.clone()).unwrap_or_default()
    }
}

impl Observer for Tally<'_> {
    fn event(&self, event: &Event) {
        if let Event::Failed { address, .. } = event
            && let Some((config, _)) = address.split_once('/')
            && let Ok(mut f) = self.failed.lock()
        {
            f.insert(config.to_string());
        }
        self.inner.event(event);
    }
}

/// The configurations an apply of `plan` concerns: every one the project
/// declares (apply deploys them all), and those with state in the plan.
fn concerned(loaded: &Loaded, plan: &Plan) -> BTreeSet<String> {
    let mut names: BTreeSet<String> = plan.prior.keys().cloned().collect();
    if !plan.destroy {
        names.extend(loaded.project.configurations.iter().map(|c| c.name.clone()));
    }
    names.extend(
        plan.changes
            .iter()
            .map(|c| c.address.resource.config.clone()),
    );
    names
}

/// The configuration's definitions hash, from the definitions `loaded`
/// holds (the working tree or a release) and their own environment block.
fn hash_of(loaded: &Loaded, env: &Environment, config: &str) -> String {
    let p = &loaded.project;
    match (p.environment(&env.name), p.configuration(config)) {
        (Some(e), Some(c)) => definition_hash(p, e, c),
        _ => String::new(),
    }
}

/// Records `deploying` (or `undeploying`) before an apply starts.
pub fn starting(
    loaded: &Loaded,
    env: &Environment,
    plan: &Plan,
    plan_hash: Option<&str>,
) -> Result {
    let records = loaded.records();
    let mut lifecycle = Lifecycle::load(&records, &env.name).map_err(failure)?;
    let stage = if plan.destroy {
        Stage::Undeploying
    } else {
        Stage::Deploying
    };
    for config in concerned(loaded, plan) {
        let hash = hash_of(loaded, env, &config);
        lifecycle.set(&config, stage, &hash).plan = plan_hash.map(str::to_string);
    }
    lifecycle.save(&records, &env.name).map_err(failure)
}

/// Records how the apply ended: lifecycle per configuration, and on
/// success the release the environment now runs.
pub fn finished(
    loaded: &Loaded,
    env: &Environment,
    plan: &Plan,
    plan_hash: Option<&str>,
    outcome: &Outcome,
    failed: &BTreeSet<String>,
    release: Option<&str>,
) -> Result {
    let records = loaded.records();
    let mut lifecycle = Lifecycle::load(&records, &env.name).map_err(failure)?;
    let message = outcome
        .errors
        .first()
        .map(|d| d.message.clone())
        .or_else(|| outcome.cancelled.then(|| "interrupted".to_string()));
    for config in concerned(loaded, plan) {
        let hash = hash_of(loaded, env, &config);
        let ok = !failed.contains(&config) && outcome.succeeded();
        let gone = plan.destroy || loaded.project.configuration(&config).is_none();
        let stage = match (gone, ok) {
            (false, true) => Stage::Deployed,
            (false, false) => Stage::DeployFailed,
            (true, true) => Stage::Undeployed,
            (true, false) => Stage::UndeployFailed,
        };
        let entry = lifecycle.set(&config, stage, &hash);
        entry.plan = plan_hash.map(str::to_string);
        if !ok {
            entry.message = message.clone();
        }
    }
    lifecycle.save(&records, &env.name).map_err(failure)?;
    if outcome.succeeded() {
        // The apply refreshed and reconciled what the last drift check
        // found: that check no longer says anything.
        let drift = crate::state::DriftRecord::path(&loaded.store(&env.name));
        if let Err(e) = std::fs::remove_file(&drift)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            return Err(Failure::Message(format!(
                "cannot remove {}: {e}",
                drift.display()
            )));
        }
        if plan.destroy {
            Deployed::clear(&records, &env.name).map_err(failure)?;
        } else if release.is_none() {
            // What runs now cannot be promoted: forget the older release.
            Deployed::clear(&records, &env.name).map_err(failure)?;
        } else if let Some(id) = release {
            Deployed {
                release: id.to_string(),
                applied_at: crate::project::now(),
                applied_by: crate::project::user(),
                serial: outcome.serial,
                promoted_from: plan.promoted_from.clone(),
            }
            .save(&records, &env.name)
            .map_err(failure)?;
        }
    }
    Ok(())
}

/// Keeps the definitions about to be applied as a release; `None`, with
/// a warning, when they cannot be (the environment then has no release to
/// promote, but applies all the same).
pub fn capture(loaded: &Loaded, env: &str) -> Result<Option<String>> {
    match Release::capture(&loaded.records(), &loaded.project, env) {
        Ok(id) => Ok(Some(id)),
        Err(crate::project::RecordError::NotReleasable(why)) => {
            errln!(
                "{} environment \"{env}\" will have no release to promote: {why}. Move shared architectures into the project (or a catalog inside it) to promote it.",
                loaded.ui.pal_err.yellow("Warning:")
            );
            Ok(None)
        }
        Err(e) => Err(failure(e)),
    }
}

/// Records `validated` for every configuration of a successful plan.
pub fn validated(loaded: &Loaded, env: &Environment, plan_hash: Option<&str>) -> Result {
    let records = loaded.records();
    let mut lifecycle = Lifecycle::load(&records, &env.name).map_err(failure)?;
    for c in &loaded.project.configurations {
        let hash = hash_of(loaded, env, &c.name);
        let current = lifecycle.get(&c.name).cloned();
        // A deployed configuration whose definitions did not change stays
        // deployed; validating is about what would be deployed next.
        if let Some(e) = &current
            && e.deployed.as_deref() == Some(hash.as_str())
            && matches!(e.stage, Stage::Deployed)
        {
            continue;
        }
        lifecycle.set(&c.name, Stage::Validated, &hash).plan = plan_hash.map(str::to_string);
    }
    lifecycle.save(&records, &env.name).map_err(failure)
}
