//! `terrace audit`: the audit trail, and `--verify` of its hash chain.

use super::session::Ui;
use super::{Failure, Global, Result};
use crate::ops::audit::AuditRequest;
use crate::project::audit::Outcome;
use clap::Args;

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Only events about this environment
    #[arg(long, value_name = "ENV")]
    pub env: Option<String>,
    /// Only events since this time: RFC 3339 (2026-01-31T00:00:00Z), a date, or an age (24h, 30m)
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
    /// Only events whose action contains this (e.g. deploy, server.access)
    #[arg(long, value_name = "TEXT")]
    pub action: Option<String>,
    /// Print JSON lines as recorded
    #[arg(long)]
    pub json: bool,
    /// Check that no event was edited, removed or reordered
    #[arg(long)]
    pub verify: bool,
}

pub fn run(g: &Global, a: AuditArgs) -> Result {
    let ui = Ui::detect();
    if a.verify {
        let n = crate::ops::audit::verify(&g.project, &ui.console())?;
        outln!("The audit trail is intact: {n} event(s), each chained to the one before.");
        return Ok(());
    }
    let req = AuditRequest {
        root: g.project.clone(),
        env: a.env,
        since: a.since.as_deref().map(parse_since).transpose()?,
        action: a.action,
    };
    let pal = ui.pal;
    for (e, line) in crate::ops::audit::events(&req, &ui.console())? {
        if a.json {
            // The line as recorded, its hash included.
            outln!("{line}");
            continue;
        }
        let outcome = match e.outcome {
            Outcome::Success => pal.green("success"),
            Outcome::Failure => pal.red("failure"),
        };
        let target = e.target.environment.as_deref().unwrap_or("-");
        outln!(
            "{:>5}  {}  {:30} {:8} {outcome}  {}{}",
            e.seq,
            e.time,
            e.action,
            target,
            e.initiator,
            e.reason
                .map(|r| format!("  ({})", first_line(&r)))
                .unwrap_or_default()
        );
    }
    Ok(())
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

/// RFC 3339, a plain date, or an age such as `24h`.
fn parse_since(s: &str) -> Result<jiff::Timestamp> {
    crate::ops::audit::parse_since(s).map_err(|e| Failure::Message(format!("--since {e}")))
}
