//! `terrace export`, `terrace import` and `terrace delete-project`.

use super::apply::DestroyArgs;
use super::plan::PlanFlags;
use super::records::failure;
use super::session::{self, Loaded};
use super::{Failure, Global, Result};
use crate::apply::Cancel;
use crate::project::export;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Write project.json here instead of standard output
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// A project.json written by `terrace export`
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Import only this environment's records into an existing project
    #[arg(long, value_name = "ENV")]
    pub env: Option<String>,
}

#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// Undeploy every environment first, in reverse promotion order
    #[arg(long)]
    pub destroy: bool,
    /// Do not ask for confirmation
    #[arg(long)]
    pub auto_approve: bool,
    /// Where to write the final export (default: project-export-TIME.json in the project)
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run_export(g: &Global, a: ExportArgs) -> Result {
    let loaded = Loaded::load(g)?;
    // The export records its own event, so the trail it carries is whole.
    loaded.audit(
        "project.project.export",
        None,
        serde_json::Value::Null,
        Ok(()),
    )?;
    let (bytes, summary) = export::export(&loaded.project, &loaded.records()).map_err(failure)?;
    match &a.output {
        Some(path) => {
            crate::state::write_atomic(&std::path::absolute(path).unwrap_or(path.clone()), &bytes)
                .map_err(|e| Failure::Message(format!("cannot write {}: {e}", path.display())))?;
            errln!(
                "Exported {} definition file(s), {} release(s), {} environment(s) ({} state file(s)) to {}.",
                summary.definitions,
                summary.releases,
                summary.environments.len(),
                summary.state_files,
                path.display()
            );
        }
        None => out!("{}", String::from_utf8_lossy(&bytes)),
    }
    Ok(())
}

pub fn run_import(g: &Global, a: ImportArgs) -> Result {
    let root = std::path::absolute(&g.project).unwrap_or_else(|_| g.project.clone());
    let bytes = crate::bounded::read_record(&a.file)
        .map_err(|e| Failure::Message(format!("cannot read {}: {e}", a.file.display())))?;
    let summary = export::import(&root, &bytes, a.env.as_deref())
        .map_err(|e| Failure::Message(format!("cannot import {}: {e}", a.file.display())))?;
    let records = crate::project::Records::new(&root);
    let name = crate::config::load(&root).0.name;
    super::records::audit(
        &records,
        &name,
        "project.project.import",
        a.env.as_deref(),
        &Ok(()),
        serde_json::json!({ "environments": summary.environments }),
    );
    outln!(
        "Imported {} definition file(s), {} release(s), {} environment(s) ({} state file(s)) into {}.",
        summary.definitions,
        summary.releases,
        summary.environments.len(),
        summary.state_files,
        root.display()
    );
    Ok(())
}

pub async fn run_delete(g: &Global, a: DeleteArgs, cancel: &Cancel) -> Result {
    let loaded = Loaded::load(g)?;
    match delete(g, &loaded, &a, cancel).await {
        // A success was recorded before the records went.
        Ok(()) => Ok(()),
        failed => loaded.audit(
            "project.project.delete",
            None,
            serde_json::Value::Null,
            failed,
        ),
    }
}

/// Every managed object recorded in `envs`, as `  ENV/CONFIG/TYPE.NAME`.
fn deployed(loaded: &Loaded, envs: &[String]) -> Result<Vec<String>> {
    let mut list = Vec::new();
    for env in envs {
        let state = session::load_state(&loaded.store(env))?;
        for (config, c) in &state.configs {
            for r in c.resources.values() {
                if r.mode == crate::address::Mode::Managed && !r.instances.is_empty() {
                    list.push(format!("  {env}/{config}/{}.{}", r.type_name, r.name));
                }
            }
        }
    }
    Ok(list)
}

async fn delete(g: &Global, loaded: &Loaded, a: &DeleteArgs, cancel: &Cancel) -> Result {
    // Environments declared, then any that only have records left.
    let mut order = loaded.project.promotion_order();
    order.reverse();
    for env in loaded.records().environments() {
        if !order.contains(&env) {
            order.push(env);
        }
    }
    let resources = deployed(loaded, &order)?;
    if !resources.is_empty() && !a.destroy {
        return Err(Failure::Message(format!(
            "refusing to delete project {}: {} resource(s) are deployed:\n{}\nUndeploy them first (terrace destroy --env ENV), or pass --destroy to undeploy every environment in reverse promotion order ({}).",
            loaded.project.name,
            resources.len(),
            resources.join("\n"),
            order.join(", ")
        )));
    }
    if a.destroy {
        // An environment that needs an approved plan to undeploy, or that
        // the definitions no longer declare, cannot be destroyed from here.
        let mut blocked = Vec::new();
        for env in &order {
            if deployed(loaded, std::slice::from_ref(env))?.is_empty() {
                continue;
            }
            match loaded.project.environment(env) {
                Some(e) if e.require_approval => blocked.push(format!(
                    "  {env}: requires an approved plan: terrace plan --env {env} --destroy --out {env}.plan; terrace approve --env {env} {env}.plan --comment …; terrace apply --env {env} {env}.plan"
                )),
                Some(_) => {}
                None => blocked.push(format!(
                    "  {env}: no longer declared in the project; declare it again to destroy it"
                )),
            }
        }
        if !blocked.is_empty() {
            return Err(Failure::Message(format!(
                "refusing to delete project {}: these environments cannot be undeployed by --destroy:\n{}\nUndeploy them first; nothing was changed.",
                loaded.project.name,
                blocked.join("\n")
            )));
        }
    }
    if !a.auto_approve {
        if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
            return Err(Failure::Message(
                "refusing to delete the project without confirmation: standard input is not a terminal. Pass --auto-approve.".into(),
            ));
        }
        super::apply::confirm_text(&format!(
            "delete project {} (its records under .terrace/{})",
            loaded.project.name,
            if resources.is_empty() {
                ""
            } else {
                ", after destroying every environment"
            }
        ))
        .await?;
    }
    for env in order.iter().filter(|_| !resources.is_empty()) {
        if deployed(loaded, std::slice::from_ref(env))?.is_empty() {
            continue;
        }
        outln!("Undeploying environment {env}…");
        let args = DestroyArgs {
            env: env.clone(),
            auto_approve: true,
            json: false,
            common: PlanFlags {
                refresh: true,
                lock_timeout: std::time::Duration::from_secs(10),
                parallelism: 10,
                vars: Default::default(),
                target: Vec::new(),
                replace: Vec::new(),
            },
        };
        super::apply::destroy(g, args, cancel).await?;
    }
    // Nothing may run while the records go: hold every environment's lock.
    let mut locks = Vec::new();
    for env in &order {
        locks.push(session::lock(
            &loaded.store(env),
            "terrace delete-project",
            std::time::Duration::from_secs(10),
        )?);
    }
    let left = deployed(loaded, &order)?;
    if !left.is_empty() {
        return Err(Failure::Message(format!(
            "resources remain:\n{}\nThe project was not deleted.",
            left.join("\n")
        )));
    }
    loaded.audit(
        "project.project.delete",
        None,
        serde_json::Value::Null,
        Ok(()),
    )?;
    let (bytes, _) = export::export(&loaded.project, &loaded.records()).map_err(failure)?;
    let path = a.output.clone().unwrap_or_else(|| {
        loaded.project.root.join(format!(
            "project-export-{}.json",
            jiff::Timestamp::now().as_second()
        ))
    });
    crate::state::write_atomic(&std::path::absolute(&path).unwrap_or(path.clone()), &bytes)
        .map_err(|e| {
            Failure::Message(format!(
                "cannot write the final export {}: {e}",
                path.display()
            ))
        })?;
    let dir = loaded.records().dir().to_path_buf();
    std::fs::remove_dir_all(&dir)
        .map_err(|e| Failure::Message(format!("cannot remove {}: {e}", dir.display())))?;
    // The lock files went with the directory.
    drop(locks);
    outln!(
        "Deleted project {}: its records are gone from {}; the final export is {}.",
        loaded.project.name,
        dir.display(),
        path.display()
    );
    Ok(())
}
