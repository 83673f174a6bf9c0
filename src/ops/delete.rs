//! `delete-project`: remove the project's records once nothing is
//! deployed (or after undeploying every environment), keeping a final
//! export.

use super::apply::ApplyRequest;
use super::plan::PlanSettings;
use super::{Error, Front, Notice, Result, Workspace};
use crate::apply::Cancel;
use crate::project::export;
use std::path::PathBuf;
use std::time::Duration;

/// The deletion of a project's records.
#[derive(Debug, Clone)]
pub struct DeleteRequest {
    /// The project directory.
    pub root: PathBuf,
    /// Undeploy every environment first, in reverse promotion order.
    pub destroy: bool,
    /// Do not ask the front end.
    pub auto_approve: bool,
    /// Where to write the final export (default: the project directory).
    pub output: Option<PathBuf>,
    /// How long to wait for each environment's lock.
    pub lock_timeout: Duration,
}

/// What was deleted.
#[derive(Debug)]
pub struct DeleteReport {
    pub project: String,
    /// Where the removed records were, as the backend shows it (local:
    /// the `.terrace/` directory).
    pub records: PathBuf,
    /// The final export.
    pub export: PathBuf,
}

/// Deletes the project's records. A success is recorded in the audit
/// trail (and so in the final export) before the records go.
pub async fn delete(
    req: &DeleteRequest,
    front: &dyn Front,
    cancel: &Cancel,
) -> Result<DeleteReport> {
    let ws = Workspace::load(&req.root, front)?;
    let result = delete_loaded(&ws, req, front, cancel).await;
    if result.is_err() {
        ws.audit(
            "project.project.delete",
            None,
            serde_json::Value::Null,
            &result,
            front,
        );
    }
    result
}

/// Every managed object recorded in `envs`, as `  ENV/CONFIG/TYPE.NAME`,
/// and every operation an interrupted apply started and never finished
/// (its object may exist).
fn deployed(ws: &Workspace, envs: &[String]) -> Result<Vec<String>> {
    let mut list = Vec::new();
    for env in envs {
        let state = super::load_state(&*ws.store(env))?;
        for u in state.unfinished() {
            list.push(format!(
                "  {env}/{}  (an interrupted {}: the object may exist)",
                u.address, u.action
            ));
        }
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

async fn delete_loaded(
    ws: &Workspace,
    req: &DeleteRequest,
    front: &dyn Front,
    cancel: &Cancel,
) -> Result<DeleteReport> {
    // Environments declared, then any that only have records left.
    let mut order = ws.project.promotion_order();
    order.reverse();
    for env in ws.records().environments() {
        if !order.contains(&env) {
            order.push(env);
        }
    }
    // An interrupted apply's journal holds objects that state does not
    // yet: recovered first, so that they count as deployed and are not
    // orphaned with their records.
    for env in &order {
        let store = ws.store(env);
        let lock = super::lock(&*store, "terrace delete-project", req.lock_timeout)?;
        super::recover_and_load(&*store, &lock, front)?;
    }
    let resources = deployed(ws, &order)?;
    if !resources.is_empty() && !req.destroy {
        return Err(Error::Refused(format!(
            "refusing to delete project {}: {} resource(s) are deployed:\n{}\nUndeploy them first (terrace destroy --env ENV), or pass --destroy to undeploy every environment in reverse promotion order ({}).",
            ws.project.name,
            resources.len(),
            resources.join("\n"),
            order.join(", ")
        )));
    }
    if req.destroy {
        // An environment that needs an approved plan to undeploy, or that
        // the definitions no longer declare, cannot be destroyed from here.
        let mut blocked = Vec::new();
        for env in &order {
            if deployed(ws, std::slice::from_ref(env))?.is_empty() {
                continue;
            }
            match ws.project.environment(env) {
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
            return Err(Error::Refused(format!(
                "refusing to delete project {}: these environments cannot be undeployed by --destroy:\n{}\nUndeploy them first; nothing was changed.",
                ws.project.name,
                blocked.join("\n")
            )));
        }
    }
    if !req.auto_approve {
        if !front.can_confirm() {
            return Err(Error::Refused(
                "refusing to delete the project without confirmation: standard input is not a terminal. Pass --auto-approve.".into(),
            ));
        }
        let what = format!(
            "delete project {} (every record it has{})",
            ws.project.name,
            if resources.is_empty() {
                ""
            } else {
                ", after destroying every environment"
            }
        );
        if !front.confirm(&what).await {
            return Err(Error::Cancelled("Cancelled."));
        }
    }
    for env in order.iter().filter(|_| !resources.is_empty()) {
        if deployed(ws, std::slice::from_ref(env))?.is_empty() {
            continue;
        }
        front.notice(Notice::Undeploying { env });
        let destroy = ApplyRequest {
            root: req.root.clone(),
            env: env.clone(),
            planfile: None,
            kept: None,
            auto_approve: true,
            destroy: true,
            settings: PlanSettings {
                lock_timeout: req.lock_timeout,
                ..PlanSettings::default()
            },
        };
        super::apply::apply(&destroy, front, cancel).await?;
    }
    // Nothing may run while the records go: hold every environment's lock.
    let mut locks = Vec::new();
    for env in &order {
        locks.push(super::lock(
            &*ws.store(env),
            "terrace delete-project",
            req.lock_timeout,
        )?);
    }
    let left = deployed(ws, &order)?;
    if !left.is_empty() {
        return Err(Error::Refused(format!(
            "resources remain:\n{}\nThe project was not deleted.",
            left.join("\n")
        )));
    }
    ws.audit(
        "project.project.delete",
        None,
        serde_json::Value::Null,
        &Ok(()),
        front,
    );
    let (bytes, _) = export::export(&ws.project, &ws.records(), &front.user())?;
    let path = req.output.clone().unwrap_or_else(|| {
        ws.project.root.join(format!(
            "project-export-{}.json",
            jiff::Timestamp::now().as_second()
        ))
    });
    crate::state::write_atomic(&super::absolute(&path), &bytes).map_err(|source| Error::Io {
        action: "write the final export",
        path: path.clone(),
        source,
    })?;
    // Where the records are, as the backend shows them (local: `.terrace/`).
    let records = ws.records();
    let dir = records.place();
    records
        .backend()
        .delete_project()
        .map_err(crate::project::RecordError::from)?;
    // The locks went with the records.
    drop(locks);
    Ok(DeleteReport {
        project: ws.project.name.clone(),
        records: dir,
        export: path,
    })
}
