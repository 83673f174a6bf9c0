//! `terrace drift`: read every managed object back through its provider
//! and report what changed outside terrace; record the result for
//! `terrace attention` in `.terrace/envs/ENV/drift.json`.

use super::session::{Ui, parse_duration};
use super::{Failure, Global, Result};
use crate::ops::drift::DriftRequest;
use clap::{Args, ValueEnum};
use std::time::Duration;

#[derive(Debug, Args)]
pub struct DriftArgs {
    /// The environment to check
    #[arg(long, value_name = "ENV")]
    pub env: String,
    /// How to show the result
    #[arg(long, value_enum, default_value_t = DriftFormat::Text)]
    pub format: DriftFormat,
    /// Exit 0 when nothing drifted, 2 when something did, 1 on error
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// How long to wait for the environment's lock (e.g. 30s, 5m)
    #[arg(long, default_value = "0s", value_parser = parse_duration, value_name = "DURATION")]
    pub lock_timeout: Duration,
    /// Markdown: the largest part in bytes
    #[arg(long, default_value_t = crate::render::markdown::DEFAULT_MAX_BYTES as u64, value_name = "N",
          value_parser = clap::value_parser!(u64).range(1024..))]
    pub max_bytes: u64,
    /// Provider reads to run at once
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000), value_name = "N")]
    pub parallelism: u32,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DriftFormat {
    /// Terraform's notation, for a terminal
    Text,
    /// A pull-request comment, in parts of at most --max-bytes
    Markdown,
    /// Terraform's `resource_drift` entries
    Json,
}

pub async fn run(g: &Global, a: DriftArgs) -> Result {
    let req = DriftRequest {
        root: g.project.clone(),
        env: a.env.clone(),
        lock_timeout: a.lock_timeout,
        parallelism: a.parallelism as usize,
    };
    let ui = Ui::detect();
    let report = crate::ops::drift::drift(&req, &ui.console()).await?;
    let (env, drift) = (&report.env, &report.drift);
    match a.format {
        DriftFormat::Text => out!("{}", crate::render::drift_text(env, drift, ui.pal)),
        DriftFormat::Markdown => {
            let max = usize::try_from(a.max_bytes).unwrap_or(usize::MAX);
            for part in crate::render::markdown::drift(&report.project, env, drift, max) {
                out!("{part}");
            }
        }
        DriftFormat::Json => out!(
            "{}",
            crate::render::drift_json(env, &report.checked_at, drift)
        ),
    }
    if a.detailed_exitcode && !drift.is_empty() {
        return Err(Failure::Changes);
    }
    Ok(())
}
