//! `terrace attention`: the needs-attention list, with the command that
//! resolves each item.

use super::session::Ui;
use super::{Failure, Global, Result};
use crate::ops::attention::AttentionRequest;
use crate::project::attention::Severity;
use clap::{Args, ValueEnum};

#[derive(Debug, Args)]
pub struct AttentionArgs {
    /// Print JSON instead of a list
    #[arg(long)]
    pub json: bool,
    /// Exit 1 when an item of this severity or worse is present (for pipelines)
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<FailOn>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FailOn {
    Info,
    Warning,
    Error,
}

pub fn run(g: &Global, a: AttentionArgs) -> Result {
    let ui = Ui::detect();
    let req = AttentionRequest {
        root: g.project.clone(),
        fail_on: a.fail_on.map(|f| match f {
            FailOn::Info => Severity::Info,
            FailOn::Warning => Severity::Warning,
            FailOn::Error => Severity::Error,
        }),
    };
    let report = crate::ops::attention::attention(&req, &ui.console())?;
    let items = &report.items;
    if a.json {
        let doc = serde_json::json!({ "items": items });
        outln!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else if items.is_empty() {
        outln!("Nothing needs attention.");
    } else {
        let pal = ui.pal;
        for i in items {
            let sev = match i.severity {
                Severity::Error => pal.red("error  "),
                Severity::Warning => pal.yellow("warning"),
                Severity::Info => pal.comment("info   "),
            };
            outln!("{sev} {}  {}  ({})", pal.bold(&i.target), i.code, i.time);
            outln!("        {}", i.message);
            outln!("        {} {}", pal.comment("→"), i.command);
        }
        outln!("\n{} item(s) need attention.", items.len());
    }
    match report.failed {
        Some(why) => Err(Failure::Message(why)),
        None => Ok(()),
    }
}
