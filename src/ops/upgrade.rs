//! `upgrade`: move a configuration to another version of its catalog
//! architecture (rewriting the pin in its file, and nothing else), then
//! plan an environment with it.

use super::plan::{PlanSettings, compute};
use super::{Error, Front, Notice, Result, Workspace};
use crate::config::catalog::{Pin, PinUse};
use crate::eval::Missing;
use crate::plan::Plan;
use std::path::{Path, PathBuf};

/// An upgrade of one configuration.
#[derive(Debug, Clone)]
pub struct UpgradeRequest {
    /// The project directory.
    pub root: PathBuf,
    pub configuration: String,
    /// The version to move to (default: the newest).
    pub to: Option<String>,
    /// The environment to plan (default: the first that promotes from no
    /// other).
    pub env: Option<String>,
    pub settings: PlanSettings,
}

/// What an upgrade did.
#[derive(Debug)]
pub enum UpgradeReport {
    /// The configuration is at `pin`, the newest version in the catalog.
    Newest { configuration: String, pin: Pin },
    /// The configuration is at `pin`, the version asked for, already.
    AlreadyAt { configuration: String, pin: Pin },
    /// The pin was rewritten, and `plan` is what applying it would change.
    Upgraded { pin: Pin, plan: Box<Plan> },
}

/// Upgrades `req.configuration`.
pub async fn upgrade(req: &UpgradeRequest, front: &dyn Front) -> Result<UpgradeReport> {
    let ws = Workspace::load(&req.root, front)?;
    let details = serde_json::json!({ "configuration": req.configuration, "to": req.to });
    let result = upgrade_loaded(&ws, req, front).await;
    ws.audit(
        "project.config.upgrade",
        req.env.as_deref(),
        details,
        &result,
        front,
    );
    result
}

async fn upgrade_loaded(
    ws: &Workspace,
    req: &UpgradeRequest,
    front: &dyn Front,
) -> Result<UpgradeReport> {
    let root = req.root.as_path();
    // The environment is checked before anything is written.
    let env = environment(ws, req.env.as_deref())?;
    let uses = crate::config::catalog_uses(root);
    let current = find(root, &uses.pins, &req.configuration)?;
    let name = &current.pin.name;
    let version = match &req.to {
        Some(to) => to.clone(),
        None => {
            let versions = crate::catalog::versions(root)?;
            if let Some(why) = &versions.stale {
                front.notice(Notice::StaleCatalog { why });
            }
            match versions.newer(name, &current.pin.version) {
                Some(v) => v,
                None => {
                    return Ok(UpgradeReport::Newest {
                        configuration: current.configuration.clone(),
                        pin: current.pin.clone(),
                    });
                }
            }
        }
    };
    let target = Pin::parse(&format!(
        "{}{name}@{version}",
        crate::config::catalog::PREFIX
    ))
    .map_err(Error::Refused)?;
    if target == current.pin {
        return Ok(UpgradeReport::AlreadyAt {
            configuration: current.configuration.clone(),
            pin: current.pin.clone(),
        });
    }
    if let Some(f) = crate::catalog::ensure(root, &target)? {
        front.notice(Notice::Fetched {
            pin: f.pin.to_string(),
            url: &f.url,
        });
    }
    rewrite(current, &target)?;
    front.notice(Notice::Upgraded {
        configuration: &current.configuration,
        from: &current.pin,
        to: &target.version,
        file: &current.file_name,
        line: current.line,
    });

    let mut upgraded = Workspace::load(root, front)?;
    super::vars::resolve(&mut upgraded, &req.settings.vars, Missing::Error, front)?;
    let graph = upgraded.graph(front)?;
    let store = upgraded.store(&env);
    let lock = super::lock(&*store, "terrace upgrade", req.settings.lock_timeout)?;
    let state = super::recover_and_load(&*store, &lock, front)?;
    let plan = compute(&upgraded, &graph, &env, &state, &req.settings, false, front).await?;
    drop(lock);
    front.planned(&plan)?;
    Ok(UpgradeReport::Upgraded {
        pin: target,
        plan: Box::new(plan),
    })
}

/// The environment to plan: the one named, else the first that promotes
/// from no other.
fn environment(ws: &Workspace, name: Option<&str>) -> Result<String> {
    match name {
        Some(n) => Ok(ws.environment(n)?.name.clone()),
        None => ws
            .project
            .environments
            .iter()
            .find(|e| e.promote_from.is_none())
            .map(|e| e.name.clone())
            .ok_or_else(|| Error::Refused("the project has no environment to plan".into())),
    }
}

/// The configuration's catalog pin, or why it has none.
fn find<'a>(root: &Path, pins: &'a [PinUse], name: &str) -> Result<&'a PinUse> {
    if let Some(u) = pins.iter().find(|u| u.configuration == name) {
        return Ok(u);
    }
    let (project, _) = crate::config::load(root);
    let declared = project
        .configurations
        .iter()
        .map(|c| (c.name.as_str(), c.architecture_source.as_str()))
        .find(|(n, _)| *n == name);
    Err(Error::Refused(match declared {
        Some((_, source)) => format!(
            "configuration \"{name}\" uses the architecture \"{source}\", not a catalog one; only catalog:NAME@VERSION architectures can be upgraded"
        ),
        None => {
            let names = project.configurations.iter().map(|c| c.name.as_str());
            let hint = crate::diag::did_you_mean(name, names)
                .map(|s| format!(" (did you mean \"{s}\"?)"))
                .unwrap_or_default();
            format!("there is no configuration \"{name}\" with a catalog architecture{hint}")
        }
    }))
}

/// Replaces the pin's string literal, and nothing else, in its file.
fn rewrite(current: &PinUse, target: &Pin) -> Result {
    let path = &current.path;
    let text =
        crate::bounded::read_text(path, crate::bounded::DEFINITION_LIMIT).map_err(|source| {
            Error::Io {
                action: "read",
                path: path.clone(),
                source,
            }
        })?;
    let expected = format!("\"{}\"", current.pin.source());
    if text.get(current.range.clone()) != Some(expected.as_str()) {
        return Err(Error::Refused(format!(
            "{}:{} no longer reads {expected}; run the upgrade again",
            current.file_name, current.line
        )));
    }
    let mut new = String::with_capacity(text.len() + 8);
    new.push_str(&text[..current.range.start]);
    new.push_str(&format!("\"{}\"", target.source()));
    new.push_str(&text[current.range.end..]);
    crate::state::write_atomic(path, new.as_bytes()).map_err(|source| Error::Io {
        action: "write",
        path: path.clone(),
        source,
    })
}
