//! The lifecycle of every configuration in an environment, named as in IBM
//! Cloud Projects: `draft` → `validated` → `approved` → `deploying` →
//! `deployed` | `deploy_failed`; `undeploying` → `undeployed` |
//! `undeploy_failed`. Kept in `.terrace/envs/ENV/lifecycle.json` with who
//! moved each configuration and when.

use super::release::Deployed;
use super::{RecordError, Records};
use crate::config::{Configuration, Environment, Project};
use crate::plan::Plan;
use crate::store::Document;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::collections::BTreeSet;
use std::fmt;

/// Where a configuration stands in an environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Draft,
    Validated,
    Approved,
    Deploying,
    Deployed,
    DeployFailed,
    Undeploying,
    Undeployed,
    UndeployFailed,
}

impl Stage {
    pub fn name(self) -> &'static str {
        match self {
            Stage::Draft => "draft",
            Stage::Validated => "validated",
            Stage::Approved => "approved",
            Stage::Deploying => "deploying",
            Stage::Deployed => "deployed",
            Stage::DeployFailed => "deploy_failed",
            Stage::Undeploying => "undeploying",
            Stage::Undeployed => "undeployed",
            Stage::UndeployFailed => "undeploy_failed",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One configuration's record in one environment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub stage: Stage,
    /// Who moved it there, and when (RFC 3339).
    pub by: String,
    pub at: String,
    /// [`definition_hash`] of the definitions it reached this stage with.
    pub definitions: String,
    /// [`definition_hash`] of what was last deployed, if anything was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployed: Option<String>,
    /// The hash of the plan file approved or applied, where there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Every configuration's record in one environment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Lifecycle {
    pub format_version: u32,
    pub configurations: BTreeMap<String, Entry>,
}

const FORMAT: u32 = 1;

impl Lifecycle {
    /// The environment's records; empty when there are none yet.
    pub fn load(records: &Records, env: &str) -> Result<Lifecycle, RecordError> {
        let path = records.document_location(env, Document::Lifecycle);
        let l: Lifecycle = records
            .read_document(env, Document::Lifecycle)
            .map_err(|e| match e {
                RecordError::Read { path, cause } => RecordError::Invalid(format!(
                    "cannot read {p}: {cause}.\n\
                     It records the stage of each configuration in environment \"{env}\" (nothing in it is needed to find the objects: state is kept apart). \
                     Put back a good copy (terrace export holds one), or move it aside (mv {p} {p}.damaged): the next apply in \"{env}\" records the stages again.",
                    p = path.display()
                )),
                other => other,
            })?
            .unwrap_or(Lifecycle {
            format_version: FORMAT,
            configurations: BTreeMap::new(),
        });
        super::check_format(&path, l.format_version, FORMAT)?;
        Ok(l)
    }

    pub fn save(&self, records: &Records, env: &str) -> Result<(), RecordError> {
        records.replace_document(env, Document::Lifecycle, self)
    }

    pub fn get(&self, config: &str) -> Option<&Entry> {
        self.configurations.get(config)
    }

    /// Moves `config` to `stage` with the definitions it has now, by user
    /// `by`.
    pub fn set(&mut self, config: &str, stage: Stage, definitions: &str, by: &str) -> &mut Entry {
        let deployed = self.get(config).and_then(|e| e.deployed.clone());
        let entry = Entry {
            stage,
            by: by.to_string(),
            at: super::now(),
            definitions: definitions.to_string(),
            deployed: if stage == Stage::Deployed {
                Some(definitions.to_string())
            } else if stage == Stage::Undeployed {
                None
            } else {
                deployed
            },
            plan: None,
            message: None,
        };
        self.configurations.insert(config.to_string(), entry);
        self.configurations.get_mut(config).expect("just inserted")
    }

    /// Marks approved every validated configuration that the plan whose
    /// file hashes to `plan` changes (or that was validated with it), by
    /// user `by`.
    pub fn approve(&mut self, changed: &BTreeSet<String>, plan: &str, by: &str) {
        for (name, entry) in self.configurations.iter_mut() {
            if entry.stage == Stage::Validated
                && (changed.contains(name) || entry.plan.as_deref() == Some(plan))
            {
                entry.stage = Stage::Approved;
                entry.by = by.to_string();
                entry.at = super::now();
                entry.plan = Some(plan.to_string());
            }
        }
    }

    /// Configurations that an apply or destroy did not leave deployed, or
    /// that one is still running for: an environment in that state must
    /// not be promoted from.
    pub fn unsettled(&self) -> impl Iterator<Item = (&String, &Entry)> {
        self.configurations.iter().filter(|(_, e)| {
            matches!(
                e.stage,
                Stage::DeployFailed
                    | Stage::Deploying
                    | Stage::Undeploying
                    | Stage::Undeployed
                    | Stage::UndeployFailed
            )
        })
    }

    /// The stage to show for `config` whose definitions hash is now
    /// `current`: a validated or approved configuration whose definitions
    /// changed since is a draft again.
    pub fn shown(&self, config: &str, current: &str) -> Stage {
        match self.get(config) {
            None => Stage::Draft,
            Some(e)
                if matches!(e.stage, Stage::Validated | Stage::Approved)
                    && e.definitions != current =>
            {
                Stage::Draft
            }
            Some(e) => e.stage,
        }
    }
}

/// The hash of what decides a configuration in an environment: its block
/// (architecture source and inputs as written), the environment's inputs,
/// and every file of its architecture. A change to any of them makes the
/// configuration a draft again.
pub fn definition_hash(project: &Project, env: &Environment, c: &Configuration) -> String {
    let mut h = Sha256::new();
    let text = |span: crate::diag::Span| -> String {
        let file = project.sources.file(span.file);
        file.text
            .get(span.start as usize..span.end as usize)
            .unwrap_or("")
            .to_string()
    };
    h.update(c.name.as_bytes());
    h.update([0]);
    h.update(c.architecture_source.as_bytes());
    h.update([0]);
    for input in c.inputs.iter().chain(&env.inputs) {
        h.update(input.name.as_bytes());
        h.update([0]);
        h.update(text(input.expr.span).as_bytes());
        h.update([0]);
    }
    let arch = project.architecture_of(c);
    for path in crate::config::architecture_files(arch) {
        // Streamed with a bound (loading refuses a file past it, so
        // nothing is skipped silently here).
        h.update(crate::diag::display_name(&path, &arch.dir).as_bytes());
        h.update([0]);
        if crate::bounded::stream_file(&path, crate::bounded::DEFINITION_LIMIT, &mut h).is_err() {
            h.update(b"\xffunreadable");
        }
        h.update([0]);
    }
    format!("{:x}", h.finalize())
}

/// The configurations an apply of `plan` concerns: every one the project
/// declares (apply deploys them all), and those with state in the plan.
fn concerned(project: &Project, plan: &Plan) -> BTreeSet<String> {
    // A targeted plan concerns only the configurations it changes.
    if !plan.targets.is_empty() {
        return plan
            .changes
            .iter()
            .map(|c| c.address.resource.config.clone())
            .collect();
    }
    let mut names: BTreeSet<String> = plan.prior.keys().cloned().collect();
    if !plan.destroy {
        names.extend(project.configurations.iter().map(|c| c.name.clone()));
    }
    names.extend(
        plan.changes
            .iter()
            .map(|c| c.address.resource.config.clone()),
    );
    names
}

/// The configuration's definitions hash in `project` (the working tree or
/// a release), with that project's own block for `env`.
fn hash_of(project: &Project, env: &str, config: &str) -> String {
    match (project.environment(env), project.configuration(config)) {
        (Some(e), Some(c)) => definition_hash(project, e, c),
        _ => String::new(),
    }
}

/// Records `deploying` (or `undeploying`) for what an apply of `plan`
/// concerns, before it starts, by user `by`: a crash leaves them so.
pub fn starting(
    records: &Records,
    project: &Project,
    env: &str,
    plan: &Plan,
    plan_hash: Option<&str>,
    by: &str,
) -> Result<(), RecordError> {
    let mut lifecycle = Lifecycle::load(records, env)?;
    let stage = if plan.destroy {
        Stage::Undeploying
    } else {
        Stage::Deploying
    };
    for config in concerned(project, plan) {
        let hash = hash_of(project, env, &config);
        lifecycle.set(&config, stage, &hash, by).plan = plan_hash.map(str::to_string);
    }
    lifecycle.save(records, env)
}

/// How an apply ended, as the records need it.
pub struct Ended<'a> {
    pub succeeded: bool,
    /// The first error, or why it stopped.
    pub message: Option<String>,
    /// Configurations with a failed operation.
    pub failed: &'a BTreeSet<String>,
    /// The state serial written.
    pub serial: u64,
    /// Who applied.
    pub by: &'a str,
}

/// Records how an apply ended: each configuration's stage; on success the
/// release the environment now runs (none after a destroy, or when the
/// definitions could not be kept), and the last drift check is dropped,
/// since the apply reconciled what it found.
pub fn finished(
    records: &Records,
    project: &Project,
    store: &dyn crate::store::StateStore,
    plan: &Plan,
    plan_hash: Option<&str>,
    ended: &Ended,
    release: Option<&str>,
) -> Result<(), RecordError> {
    let env = store.env();
    let mut lifecycle = Lifecycle::load(records, env)?;
    for config in concerned(project, plan) {
        let hash = hash_of(project, env, &config);
        let ok = ended.succeeded && !ended.failed.contains(&config);
        let gone = plan.destroy || project.configuration(&config).is_none();
        let stage = match (gone, ok) {
            // Part of it was applied (`--target`): not deployed as defined.
            (_, true) if !plan.targets.is_empty() => Stage::Draft,
            (false, true) => Stage::Deployed,
            (false, false) => Stage::DeployFailed,
            (true, true) => Stage::Undeployed,
            (true, false) => Stage::UndeployFailed,
        };
        let entry = lifecycle.set(&config, stage, &hash, ended.by);
        entry.plan = plan_hash.map(str::to_string);
        if !ok {
            entry.message = ended.message.clone();
        }
    }
    lifecycle.save(records, env)?;
    if !ended.succeeded {
        return Ok(());
    }
    records.clear_drift(env)?;
    // A targeted apply leaves the environment's release as it was.
    if !plan.targets.is_empty() {
        return Ok(());
    }
    match release.filter(|_| !plan.destroy) {
        Some(id) => Deployed {
            release: id.to_string(),
            applied_at: super::now(),
            applied_by: ended.by.to_string(),
            serial: ended.serial,
            promoted_from: plan.promoted_from.clone(),
            variables: plan
                .variables
                .iter()
                .filter(|(_, v)| !v.contains_sensitive())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
        .save(records, env),
        None => Deployed::clear(records, env),
    }
}

/// Records `validated` for every configuration of a successful plan; a
/// deployed configuration whose definitions did not change stays deployed,
/// since validating is about what would be deployed next. `by` made the
/// plan.
pub fn validated(
    records: &Records,
    project: &Project,
    env: &str,
    plan_hash: Option<&str>,
    by: &str,
) -> Result<(), RecordError> {
    let mut lifecycle = Lifecycle::load(records, env)?;
    let mut changed = false;
    for c in &project.configurations {
        let hash = hash_of(project, env, &c.name);
        let same = lifecycle.get(&c.name).is_some_and(|e| {
            (e.stage == Stage::Deployed && e.deployed.as_deref() == Some(hash.as_str()))
                || (e.stage == Stage::Validated
                    && e.definitions == hash
                    && e.plan.as_deref() == plan_hash)
        });
        if same {
            continue;
        }
        lifecycle.set(&c.name, Stage::Validated, &hash, by).plan = plan_hash.map(str::to_string);
        changed = true;
    }
    // Plans run often: a record that would say the same is not rewritten.
    if changed {
        lifecycle.save(records, env)?;
    }
    Ok(())
}
