//! `terrace export`, `terrace import` and `terrace delete-project`.

use super::session::Ui;
use super::{Failure, Global, Result};
use crate::apply::Cancel;
use crate::ops::delete::DeleteRequest;
use crate::ops::export::{ExportRequest, ImportRequest};
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
    /// How long to wait for each environment's lock (e.g. 30s, 5m)
    #[arg(long, default_value = "10s", value_parser = super::session::parse_duration, value_name = "DURATION")]
    pub lock_timeout: std::time::Duration,
}

pub fn run_export(g: &Global, a: ExportArgs) -> Result {
    let req = ExportRequest {
        root: g.project.clone(),
    };
    let (bytes, summary) = crate::ops::export::export(&req, &Ui::detect().console())?;
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
    let req = ImportRequest {
        root: g.project.clone(),
        file: a.file,
        env: a.env,
    };
    let report = crate::ops::export::import(&req, &Ui::detect().console())?;
    let summary = &report.summary;
    outln!(
        "Imported {} definition file(s), {} release(s), {} environment(s) ({} state file(s)) into {}, the records into {}.",
        summary.definitions,
        summary.releases,
        summary.environments.len(),
        summary.state_files,
        crate::ops::absolute(&req.root).display(),
        report.records.display()
    );
    Ok(())
}

pub async fn run_delete(g: &Global, a: DeleteArgs, cancel: &Cancel) -> Result {
    let req = DeleteRequest {
        root: g.project.clone(),
        destroy: a.destroy,
        auto_approve: a.auto_approve,
        output: a.output,
        lock_timeout: a.lock_timeout,
    };
    let report = crate::ops::delete::delete(&req, &Ui::detect().console(), cancel).await?;
    outln!(
        "Deleted project {}: its records are gone from {}; the final export is {}.",
        report.project,
        report.records.display(),
        report.export.display()
    );
    Ok(())
}
