//! Needs attention: what in the project wants a person, with the command
//! that resolves it. Computed from the records on demand, never stored.

use super::lifecycle::{Lifecycle, Stage, definition_hash};
use super::release::{Deployed, short};
use super::{RecordError, Records};
use crate::config::Project;
use serde::{Deserialize, Serialize};

/// How urgent an item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

/// One item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Item {
    /// e.g. `config.deploy.failed`.
    pub code: &'static str,
    pub severity: Severity,
    /// `ENV` or `ENV/CONFIG`.
    pub target: String,
    /// When the condition arose (RFC 3339), as far as the records tell.
    pub time: String,
    pub message: String,
    /// The command that resolves it.
    pub command: String,
}

/// Extra checks that need more than the records.
pub struct Probes<'a> {
    /// Newer catalog versions, by configuration: `(current, newer)`.
    pub newer_version: &'a dyn Fn(&crate::config::Configuration) -> Option<(String, String)>,
}

/// A record of environment `env` that cannot be read: an item, so that
/// the rest of the list is still shown.
fn unreadable(env: &str, e: RecordError) -> Item {
    Item {
        code: "env.records.unreadable",
        severity: Severity::Error,
        target: env.to_string(),
        time: super::now(),
        message: e.to_string(),
        command: "repair or move aside the file named, then: terrace status".into(),
    }
}

/// `policy.failed`: a mandatory or overridable policy that failed on the
/// last plan of `env` (and is still declared for it).
fn policy_item(
    project: &Project,
    env: &crate::config::Environment,
    last: &super::evaluations::LastEvaluation,
    r: &crate::policy::PolicyResult,
) -> Option<Item> {
    use crate::config::Enforcement;
    let declared = project
        .policies
        .iter()
        .any(|p| p.name == r.name && p.applies_to(&env.name));
    if !declared || !r.blocks() {
        return None;
    }
    let name = &env.name;
    let plan = match (&env.promote_from, last.destroy) {
        (_, true) => format!("terrace plan --env {name} --destroy --out {name}.plan"),
        (Some((from, _)), false) => {
            format!("terrace promote --from {from} --to {name} --out {name}.plan")
        }
        (None, false) => format!("terrace plan --env {name} --out {name}.plan"),
    };
    let (severity, command) = match r.enforcement {
        Enforcement::Overridable => (
            Severity::Warning,
            format!(
                "fix the definitions and plan again, or override it for one plan: {plan} && terrace approve --env {name} {name}.plan --override-policy {} --comment \"…\"",
                r.name
            ),
        ),
        _ => (
            Severity::Error,
            format!(
                "fix the definitions (or the policy), then: {}",
                plan.split(" --out").next().unwrap_or(&plan)
            ),
        ),
    };
    Some(Item {
        code: "policy.failed",
        severity,
        target: name.clone(),
        time: last.at.clone(),
        message: format!(
            "policy \"{}\" ({}) {} on the last plan of {name}: {}",
            r.name,
            r.enforcement.as_str(),
            if r.result == crate::policy::Verdict::Error {
                "could not be evaluated"
            } else {
                "failed"
            },
            r.messages.join("; ")
        ),
        command,
    })
}

/// Every item, most severe first.
pub fn items(
    project: &Project,
    records: &Records,
    probes: &Probes,
) -> Result<Vec<Item>, RecordError> {
    let mut items = Vec::new();
    let now = super::now();
    for env in &project.environments {
        let name = &env.name;
        let store = records.state(name);
        if let Some(info) = store.stale_lock() {
            items.push(Item {
                code: "env.lock.stale",
                severity: Severity::Error,
                target: name.clone(),
                time: info.created_at.clone(),
                message: format!("a lock is left by {info}, and its holder is gone"),
                command: format!("terrace state unlock --env {name}"),
            });
        }
        // Every command in the environment refuses it until it is settled.
        if let Err(e) = store.pending_journal() {
            items.push(Item {
                code: "env.journal.unreadable",
                severity: Severity::Error,
                target: name.clone(),
                time: now.clone(),
                message: format!("the journal of an unfinished apply cannot be replayed: {e}"),
                command: "read it, settle the operations it names, then set it aside (docs/state.md, \"Recovery\")".into(),
            });
        }
        if let Err(d) = crate::eval::authorization(project, env) {
            items.push(Item {
                code: "env.authorization.missing",
                severity: Severity::Error,
                target: name.clone(),
                time: now.clone(),
                message: d.message,
                command: format!("set the credential, then: terrace plan --env {name}"),
            });
        }
        if let Some((from, _)) = &env.promote_from {
            let source = Deployed::load(records, from).unwrap_or_else(|e| {
                items.push(unreadable(name, e));
                None
            });
            let target = Deployed::load(records, name).unwrap_or_else(|e| {
                items.push(unreadable(name, e));
                None
            });
            if let Some(s) = source
                && target.as_ref().is_none_or(|t| t.release != s.release)
            {
                items.push(Item {
                    code: "env.promotion.pending",
                    severity: Severity::Info,
                    target: name.clone(),
                    time: s.applied_at.clone(),
                    message: format!(
                        "{from} runs release {} and {name} {}",
                        short(&s.release),
                        target.map_or("has none".to_string(), |t| format!(
                            "runs {}",
                            short(&t.release)
                        ))
                    ),
                    command: format!("terrace promote --from {from} --to {name}"),
                });
            }
        }
        let last = super::evaluations::LastEvaluation::load(records, name).unwrap_or_else(|e| {
            items.push(unreadable(name, e));
            None
        });
        for r in last
            .iter()
            .flat_map(|l| l.results.iter().map(move |r| (l, r)))
        {
            if let Some(item) = policy_item(project, env, r.0, r.1) {
                items.push(item);
            }
        }
        let lifecycle = Lifecycle::load(records, name).unwrap_or_else(|e| {
            items.push(unreadable(name, e));
            Lifecycle::default()
        });
        for c in &project.configurations {
            let target = format!("{name}/{}", c.name);
            if let Some((current, newer)) = (probes.newer_version)(c) {
                items.push(Item {
                    code: "config.version.available",
                    severity: Severity::Info,
                    target: target.clone(),
                    time: now.clone(),
                    message: format!("version {newer} is available (it uses {current})"),
                    command: format!("terrace upgrade {}", c.name),
                });
            }
            let Some(entry) = lifecycle.get(&c.name) else {
                continue;
            };
            let apply = match &env.promote_from {
                Some((from, _)) => format!("terrace promote --from {from} --to {name}"),
                None => format!("terrace apply --env {name}"),
            };
            match entry.stage {
                Stage::Deploying | Stage::Undeploying => items.push(Item {
                    code: if entry.stage == Stage::Deploying {
                        "config.deploy.failed"
                    } else {
                        "config.undeploy.failed"
                    },
                    severity: Severity::Error,
                    target: target.clone(),
                    time: entry.at.clone(),
                    message: format!(
                        "the {} that started at {} never finished (interrupted or crashed); its journal is recovered on the next command",
                        if entry.stage == Stage::Deploying { "deploy" } else { "undeploy" },
                        entry.at
                    ),
                    command: if entry.stage == Stage::Deploying {
                        apply.clone()
                    } else {
                        format!("terrace destroy --env {name}")
                    },
                }),
                Stage::DeployFailed => items.push(Item {
                    code: "config.deploy.failed",
                    severity: Severity::Error,
                    target: target.clone(),
                    time: entry.at.clone(),
                    message: format!(
                        "the last deploy failed{}",
                        entry
                            .message
                            .as_deref()
                            .map(|m| format!(": {m}"))
                            .unwrap_or_default()
                    ),
                    command: apply.clone(),
                }),
                Stage::UndeployFailed => items.push(Item {
                    code: "config.undeploy.failed",
                    severity: Severity::Error,
                    target: target.clone(),
                    time: entry.at.clone(),
                    message: format!(
                        "the last undeploy failed{}",
                        entry
                            .message
                            .as_deref()
                            .map(|m| format!(": {m}"))
                            .unwrap_or_default()
                    ),
                    command: format!("terrace destroy --env {name}"),
                }),
                Stage::Validated if env.require_approval => items.push(Item {
                    code: "config.approval.pending",
                    severity: Severity::Warning,
                    target: target.clone(),
                    time: entry.at.clone(),
                    message: format!(
                        "a plan is waiting for approval (environment {name} requires one)"
                    ),
                    command: format!("terrace approve --env {name} PLANFILE --comment TEXT"),
                }),
                _ => {}
            }
            if env.promote_from.is_none()
                && let Some(deployed) = &entry.deployed
                && *deployed != definition_hash(project, env, c)
            {
                items.push(Item {
                    code: "config.defn.updated",
                    severity: Severity::Info,
                    target: target.clone(),
                    time: entry.at.clone(),
                    message: "its definitions changed since it was deployed".into(),
                    command: format!("terrace apply --env {name}"),
                });
            }
        }
        let check = records.drift(name).unwrap_or_else(|e| {
            items.push(unreadable(name, e));
            None
        });
        let reconcile = match &env.promote_from {
            Some((from, _)) => format!("terrace promote --from {from} --to {name}"),
            None => format!("terrace plan --env {name}, then terrace apply --env {name}"),
        };
        if let Some(check) = check {
            for d in &check.drifted {
                items.push(Item {
                    code: "config.drift.detected",
                    severity: Severity::Warning,
                    target: format!("{name}/{}", d.configuration),
                    time: check.checked_at.clone(),
                    message: format!(
                        "{} {} (last drift check)",
                        d.address,
                        match d.kind {
                            crate::state::DriftKind::Changed => "differs from state",
                            crate::state::DriftKind::Deleted => "no longer exists",
                        }
                    ),
                    command: reconcile.clone(),
                });
            }
        }
    }
    let has_records = !records.environments().is_empty();
    let broken = match super::audit::Audit::new(records).verify(has_records) {
        Ok(Err(broken)) => Some(format!("the audit trail is not intact at {broken}")),
        Ok(Ok(_)) => None,
        Err(e) => Some(format!("the audit trail cannot be checked: {e}")),
    };
    if let Some(message) = broken {
        items.push(Item {
            code: "project.audit.broken",
            severity: Severity::Error,
            target: project.name.clone(),
            time: now.clone(),
            message,
            command: "terrace audit --verify".into(),
        });
    }
    items.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.target.cmp(&b.target)));
    Ok(items)
}
