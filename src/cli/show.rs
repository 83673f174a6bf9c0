//! `terrace show`: a saved plan, or an environment's state.

use super::session::{self, Loaded};
use super::view::{Format, ViewFlags};
use super::{Failure, Global, Result};
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A plan saved with `terrace plan --out`
    #[arg(value_name = "PLANFILE")]
    pub plan: Option<PathBuf>,
    /// Show this environment's state instead
    #[arg(long, value_name = "ENV", conflicts_with = "plan")]
    pub env: Option<String>,
    #[command(flatten)]
    pub view: ViewFlags,
}

pub fn run(g: &Global, a: ShowArgs) -> Result {
    let ui = session::Ui::detect();
    a.view.check()?;
    match (a.plan, a.env) {
        (Some(path), _) => {
            let plan = super::plan::read(&path)?;
            Ok(super::view::show(&plan, &a.view, ui.pal)?)
        }
        (None, Some(_)) if a.view.format == Format::Markdown => Err(Failure::Message(
            "an environment's state is shown as text or json; --format markdown is for saved plans"
                .into(),
        )),
        (None, Some(env)) => {
            let loaded = Loaded::load(g)?;
            let json = (a.view.format == Format::Json).then_some(a.view.pretty);
            let result = show_env(&loaded, &env, json);
            loaded.audit(
                "project.state.read",
                Some(&env),
                serde_json::Value::Null,
                result,
            )
        }
        (None, None) => Err(Failure::Message(
            "name a saved plan (terrace show PLANFILE) or an environment (terrace show --env ENV)"
                .into(),
        )),
    }
}

/// An environment's state, as text or as Terraform's JSON state (`json`:
/// whether indented).
fn show_env(loaded: &Loaded, env: &str, json: Option<bool>) -> Result {
    let env = loaded.environment(env)?;
    let state = session::load_state(&*loaded.store(&env.name))?;
    if let Some(pretty) = json {
        out!("{}", crate::render::json::state(&state, pretty));
        return Ok(());
    }
    if state.instance_count() == 0 && state.configs.values().all(|c| c.outputs.is_empty()) {
        outln!("Environment \"{}\" has no resources recorded.", env.name);
        return Ok(());
    }
    out!("{}", crate::render::environment(&state, loaded.ui.pal));
    Ok(())
}
