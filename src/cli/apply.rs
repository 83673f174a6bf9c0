//! `terrace apply` and `terrace destroy`.

use super::plan::PlanFlags;
use super::session::Ui;
use super::stream::JsonStream;
use super::{Failure, Global, Result};
use crate::apply::Cancel;
use crate::ops::apply::ApplyRequest;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The environment to apply to
    #[arg(long, value_name = "ENV")]
    pub env: String,
    /// A plan saved with `terrace plan --out`: applied exactly, or refused if stale
    #[arg(value_name = "PLANFILE")]
    pub plan: Option<PathBuf>,
    /// Apply without asking for confirmation
    #[arg(long)]
    pub auto_approve: bool,
    /// Stream machine-readable events: one JSON object per line
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub common: PlanFlags,
}

#[derive(Debug, Args)]
pub struct DestroyArgs {
    /// The environment to destroy
    #[arg(long, value_name = "ENV")]
    pub env: String,
    /// Destroy without asking for confirmation
    #[arg(long)]
    pub auto_approve: bool,
    /// Stream machine-readable events: one JSON object per line
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub common: PlanFlags,
}

pub async fn run(g: &Global, a: ApplyArgs, cancel: &Cancel) -> Result {
    let req = ApplyRequest {
        root: g.project.clone(),
        env: a.env,
        planfile: a.plan,
        kept: None,
        auto_approve: a.auto_approve,
        destroy: false,
        settings: a.common.settings(),
    };
    with_stream(req, a.json, cancel).await
}

pub async fn destroy(g: &Global, a: DestroyArgs, cancel: &Cancel) -> Result {
    let req = ApplyRequest {
        root: g.project.clone(),
        env: a.env,
        planfile: None,
        kept: None,
        auto_approve: a.auto_approve,
        destroy: true,
        settings: a.common.settings(),
    };
    with_stream(req, a.json, cancel).await
}

/// Runs with `--json` streaming, or with text.
async fn with_stream(req: ApplyRequest, json: bool, cancel: &Cancel) -> Result {
    let console = Ui::detect().console();
    if !json {
        crate::ops::apply::apply(&req, &console, cancel).await?;
        return Ok(());
    }
    let stream = JsonStream::new(&req.env);
    stream.version();
    // Nobody can answer a prompt on a JSON stream.
    if req.planfile.is_none() && !req.auto_approve {
        let verb = if req.destroy { "destroy" } else { "apply" };
        return stream.result(Err(Failure::Message(format!(
            "--json needs --auto-approve or a saved plan: there is no prompt to {verb} on a JSON stream"
        ))));
    }
    let console = console.streaming(Some(&stream));
    let r = crate::ops::apply::apply(&req, &console, cancel).await;
    stream.result(r.map(|_| ()).map_err(Failure::from))
}
