//! `terrace upgrade`: move a configuration to another version of its
//! catalog architecture, and show the plan that results.

use super::plan::PlanFlags;
use super::session::{self, Loaded, Ui};
use super::{Failure, Global, Result};
use crate::config::catalog::{Pin, PinUse};
use clap::Args;

#[derive(Debug, Args)]
pub struct UpgradeArgs {
    /// The configuration to upgrade
    #[arg(value_name = "CONFIG")]
    pub configuration: String,
    /// The version to move to (default: the newest)
    #[arg(long, value_name = "VERSION")]
    pub to: Option<String>,
    /// The environment to plan (default: the first that promotes from no other)
    #[arg(long, value_name = "ENV")]
    pub env: Option<String>,
    #[command(flatten)]
    pub common: PlanFlags,
}

pub async fn run(g: &Global, a: UpgradeArgs) -> Result {
    let loaded = Loaded::load(g)?;
    let details = serde_json::json!({ "configuration": a.configuration, "to": a.to });
    let a_env = a.env.clone();
    let result = upgrade(g, &loaded, a).await;
    loaded.audit("project.config.upgrade", a_env.as_deref(), details, result)
}

async fn upgrade(g: &Global, loaded: &Loaded, a: UpgradeArgs) -> Result {
    let ui = Ui::detect();
    // The environment is checked before anything is written.
    let env = environment(loaded, a.env.as_deref())?;
    let uses = crate::config::catalog_uses(&g.project);
    let current = find(&g.project, &uses.pins, &a.configuration)?;
    let name = &current.pin.name;
    let version = match &a.to {
        Some(to) => to.clone(),
        None => {
            let versions = crate::catalog::versions(&g.project)?;
            if let Some(why) = &versions.stale {
                errln!(
                    "{} using the catalog index read last time: {why}",
                    ui.pal_err.yellow("Warning:")
                );
            }
            match versions.newer(name, &current.pin.version) {
                Some(v) => v,
                None => {
                    outln!(
                        "{} is at {}, the newest version in the catalog.",
                        current.configuration,
                        current.pin
                    );
                    return Ok(());
                }
            }
        }
    };
    let target = Pin::parse(&format!(
        "{}{name}@{version}",
        crate::config::catalog::PREFIX
    ))
    .map_err(Failure::Message)?;
    if target == current.pin {
        outln!("{} is at {} already.", current.configuration, current.pin);
        return Ok(());
    }
    if let Some(f) = crate::catalog::ensure(&g.project, &target)? {
        errln!("{} {} from {}", ui.pal_err.green("Fetched"), f.pin, f.url);
    }
    rewrite(current, &target)?;
    outln!(
        "{}: {} → {} in {}:{}",
        current.configuration,
        current.pin,
        target.version,
        current.file_name,
        current.line
    );
    outln!();

    let mut loaded = Loaded::load(g)?;
    super::vars::resolve(&mut loaded, &a.common.vars, crate::eval::Missing::Error)?;
    let graph = loaded.graph()?;
    let store = loaded.store(&env);
    let lock = session::lock(&store, "terrace upgrade", a.common.lock_timeout)?;
    let state = session::recover_and_load(&loaded, &store, &lock)?;
    let plan = super::plan::compute(&loaded, &graph, &env, &state, &a.common, false).await?;
    drop(lock);
    out!("{}", crate::render::plan(&plan, loaded.ui.pal));
    Ok(())
}

/// The environment to plan: the one named, else the first that promotes
/// from no other.
fn environment(loaded: &Loaded, name: Option<&str>) -> Result<String> {
    match name {
        Some(n) => Ok(loaded.environment(n)?.name.clone()),
        None => loaded
            .project
            .environments
            .iter()
            .find(|e| e.promote_from.is_none())
            .map(|e| e.name.clone())
            .ok_or_else(|| Failure::Message("the project has no environment to plan".into())),
    }
}

/// The configuration's catalog pin, or why it has none.
fn find<'a>(root: &std::path::Path, pins: &'a [PinUse], name: &str) -> Result<&'a PinUse> {
    if let Some(u) = pins.iter().find(|u| u.configuration == name) {
        return Ok(u);
    }
    let (project, _) = crate::config::load(root);
    let declared = project
        .configurations
        .iter()
        .map(|c| (c.name.as_str(), c.architecture_source.as_str()))
        .find(|(n, _)| *n == name);
    Err(Failure::Message(match declared {
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
    let text = crate::bounded::read_text(path, crate::bounded::DEFINITION_LIMIT)
        .map_err(|e| Failure::Message(format!("cannot read {}: {e}", path.display())))?;
    let expected = format!("\"{}\"", current.pin.source());
    if text.get(current.range.clone()) != Some(expected.as_str()) {
        return Err(Failure::Message(format!(
            "{}:{} no longer reads {expected}; run the upgrade again",
            current.file_name, current.line
        )));
    }
    let mut new = String::with_capacity(text.len() + 8);
    new.push_str(&text[..current.range.start]);
    new.push_str(&format!("\"{}\"", target.source()));
    new.push_str(&text[current.range.end..]);
    crate::state::write_atomic(path, new.as_bytes())
        .map_err(|e| Failure::Message(format!("cannot write {}: {e}", path.display())))
}
