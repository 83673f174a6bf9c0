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
    let ui = Ui::detect();
    let uses = crate::config::catalog_uses(&g.project);
    let current = find(&g.project, &uses.pins, &a.configuration)?;
    let name = &current.pin.name;
    let target = match &a.to {
        Some(to) => {
            let pin = Pin::parse(&format!("catalog:{name}@{to}")).map_err(Failure::Message)?;
            crate::catalog::ensure(&g.project, &pin)?;
            pin
        }
        None => {
            let versions = crate::catalog::available_versions(&g.project, name)?;
            let Some(newest) = crate::catalog::newest(&versions, &current.pin.version) else {
                outln!(
                    "{} is at {}, the newest version in the catalog.",
                    current.configuration,
                    current.pin
                );
                return Ok(());
            };
            let pin = Pin {
                name: name.clone(),
                version: newest,
            };
            crate::catalog::ensure(&g.project, &pin)?;
            pin
        }
    };
    if target == current.pin {
        outln!("{} is at {} already.", current.configuration, current.pin);
        return Ok(());
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

    let loaded = Loaded::load(g)?;
    let graph = loaded.graph()?;
    let env = match &a.env {
        Some(e) => loaded.environment(e)?,
        None => loaded
            .project
            .environments
            .iter()
            .find(|e| e.promote_from.is_none())
            .ok_or_else(|| Failure::Message("the project has no environment to plan".into()))?,
    };
    let store = loaded.store(&env.name);
    let lock = session::lock(&store, "terrace upgrade", a.common.lock_timeout)?;
    let state = session::recover_and_load(&loaded, &store, &lock)?;
    let plan = super::plan::compute(&loaded, &graph, &env.name, &state, &a.common, false).await?;
    drop(lock);
    out!("{}", crate::render::plan(&plan, ui.pal));
    Ok(())
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
    let text = std::fs::read_to_string(path)
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
