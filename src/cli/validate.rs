//! `terrace validate`: every problem in the definitions, at once.

use super::session::Loaded;
use super::{Failure, Global, Result};
use crate::eval::EnvValues;
use crate::plan::PlanOptions;
use crate::state::EnvState;
use clap::Args;

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Check only this environment (default: every environment)
    #[arg(long, value_name = "ENV")]
    pub env: Option<String>,
    /// Print Terraform's `validate -json` document on standard output
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub vars: super::vars::VarFlags,
}

pub async fn run(g: &Global, a: ValidateArgs) -> Result {
    if a.json {
        // Files that cannot be parsed stop loading: report them as JSON too.
        let (project, diags) = crate::config::load(&g.project);
        if diags.has_errors()
            && diags.iter().any(|d| {
                matches!(
                    d.code,
                    "config::syntax" | "config::read" | "config::no_project"
                )
            })
        {
            out!("{}", crate::render::validate_json(diags, &project.sources));
            return Err(Failure::Reported);
        }
    }
    let mut loaded = Loaded::load(g)?;
    let result = match super::vars::resolve(&mut loaded, &a.vars, crate::eval::Missing::Unknown) {
        Ok(()) => validate(&loaded, &a).await,
        Err(e) => Err(e),
    };
    loaded.audit(
        "project.config.validate",
        a.env.as_deref(),
        serde_json::Value::Null,
        result,
    )
}

async fn validate(loaded: &Loaded, a: &ValidateArgs) -> Result {
    let (graph, mut diags) = loaded.graph_and_diagnostics();
    let envs: Vec<&crate::config::Environment> = match &a.env {
        Some(name) => vec![loaded.environment(name)?],
        None => loaded.project.environments.iter().collect(),
    };
    // Evaluate each environment as a first plan would, without state and
    // without touching anything.
    let opts = PlanOptions {
        refresh: false,
        destroy: false,
        parallelism: 1,
        authorization: None,
        // validate never reaches the network: data sources are read by plan.
        defer_data: true,
        replace: Vec::new(),
        targets: Vec::new(),
        keep_unchanged: true,
    };
    // Evaluation needs a sound graph; report what there is so far otherwise.
    let sound = !diags.iter().any(|d| {
        d.is_error() && (d.code.starts_with("graph::") || d.code == "config::invalid_reference")
    });
    for env in envs.iter().filter(|_| sound) {
        let values = match EnvValues::new(&graph, env, &loaded.vars, jiff::Timestamp::now()) {
            Ok(v) => v,
            Err(d) => {
                diags.extend(d);
                continue;
            }
        };
        match crate::plan::plan(
            &graph,
            values,
            &EnvState::new(&env.name),
            loaded.registry(),
            &opts,
            &crate::plan::Unobserved,
        )
        .await
        {
            Ok((_, warnings)) => diags.extend(warnings),
            Err(d) => diags.extend(d),
        }
    }
    let failed = diags.has_errors();
    if a.json {
        // The audit trail's reason, before the diagnostics are shown.
        let reason = failed.then(|| loaded.error(diags.clone()).reason());
        out!(
            "{}",
            crate::render::validate_json(diags, &loaded.project.sources)
        );
        return match reason {
            Some(reason) => Err(crate::ops::Error::Shown { reason }.into()),
            None => Ok(()),
        };
    }
    if failed {
        return Err(loaded.error(diags).into());
    }
    if !diags.is_empty() {
        loaded.report(diags);
    }
    let p = &loaded.project;
    let resources: usize = p
        .configurations
        .iter()
        .map(|c| p.architecture_of(c).resources.len())
        .sum();
    outln!(
        "{} The definitions are valid: {} environment(s), {} configuration(s), {} resource block(s).",
        loaded.ui.pal.green("Success!"),
        envs.len(),
        p.configurations.len(),
        resources
    );
    Ok(())
}
