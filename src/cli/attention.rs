//! `terrace attention`: the needs-attention list, with the command that
//! resolves each item.

use super::records::failure;
use super::session::Loaded;
use super::{Failure, Global, Result};
use crate::project::attention::{self, Probes, Severity};
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
    let loaded = Loaded::load(g)?;
    let result = list(&loaded, &a);
    loaded.audit(
        "project.project.read",
        None,
        serde_json::Value::Null,
        result,
    )
}

fn list(loaded: &Loaded, a: &AttentionArgs) -> Result {
    let project = &loaded.project;
    // The catalog is read only when some configuration uses it.
    let versions = project
        .configurations
        .iter()
        .any(|c| project.architecture_of(c).catalog.is_some())
        .then(|| crate::catalog::versions(&project.root).ok())
        .flatten();
    let newer = |c: &crate::config::Configuration| {
        let pin = project.architecture_of(c).catalog.as_ref()?;
        let newer = versions.as_ref()?.newer(&pin.name, &pin.version)?;
        Some((pin.version.clone(), newer))
    };
    let probes = Probes {
        newer_version: &newer,
    };
    let items = attention::items(&loaded.project, &loaded.records(), &probes).map_err(failure)?;
    if a.json {
        let doc = serde_json::json!({ "items": items });
        outln!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else if items.is_empty() {
        outln!("Nothing needs attention.");
    } else {
        let pal = loaded.ui.pal;
        for i in &items {
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
    let threshold = a.fail_on.map(|f| match f {
        FailOn::Info => Severity::Info,
        FailOn::Warning => Severity::Warning,
        FailOn::Error => Severity::Error,
    });
    if let Some(t) = threshold
        && items.iter().any(|i| i.severity >= t)
    {
        return Err(Failure::Message(format!(
            "items of severity {} or worse need attention",
            match t {
                Severity::Info => "info",
                Severity::Warning => "warning",
                Severity::Error => "error",
            }
        )));
    }
    Ok(())
}
