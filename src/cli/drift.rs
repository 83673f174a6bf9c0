//! `terrace drift`: read every managed object back through its provider
//! and report what changed outside terrace; record the result for
//! `terrace attention` in `.terrace/envs/ENV/drift.json`.

use super::session::{self, Loaded, parse_duration};
use super::{Failure, Global, Result};
use crate::state::{DriftKind, DriftRecord, DriftedObject};
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
    let loaded = Loaded::load(g)?;
    let result = check(&loaded, &a).await;
    loaded.audit(
        "project.config.drift",
        Some(&a.env),
        serde_json::Value::Null,
        result,
    )
}

async fn check(loaded: &Loaded, a: &DriftArgs) -> Result {
    // Definitions that do not load (a plugin that does not start) are
    // reported as such, not as objects that cannot be read.
    let _graph = loaded.graph()?;
    let env = loaded.environment(&a.env)?;
    let authorization = loaded.authorization(env)?;
    let store = loaded.store(&env.name);
    let lock = session::lock(&store, "terrace drift", a.lock_timeout)?;
    let state = session::recover_and_load(loaded, &store, &lock)?;
    let ctx = crate::provider::Context {
        project_root: loaded.project.root.clone(),
        authorization,
    };
    let refreshed =
        match crate::plan::refresh(&state, loaded.registry(), &ctx, a.parallelism as usize).await {
            Ok(r) => r,
            Err(diags) => {
                loaded.report(diags);
                return Err(Failure::Reported);
            }
        };
    let drift = crate::plan::drift_of(refreshed, &state);
    let record = DriftRecord::now(
        drift
            .iter()
            .map(|d| DriftedObject {
                address: d.address.to_string(),
                configuration: d.address.resource.config.clone(),
                kind: if d.after.is_some() {
                    DriftKind::Changed
                } else {
                    DriftKind::Deleted
                },
            })
            .collect(),
    );
    record.write(&store)?;
    drop(lock);
    match a.format {
        DriftFormat::Text => out!(
            "{}",
            crate::render::drift_text(&env.name, &drift, loaded.ui.pal)
        ),
        DriftFormat::Markdown => {
            let max = usize::try_from(a.max_bytes).unwrap_or(usize::MAX);
            for part in crate::render::markdown::drift(&env.name, &drift, max) {
                out!("{part}");
            }
        }
        DriftFormat::Json => out!(
            "{}",
            crate::render::drift_json(&env.name, &record.checked_at, &drift)
        ),
    }
    if a.detailed_exitcode && !drift.is_empty() {
        return Err(Failure::Changes);
    }
    Ok(())
}
