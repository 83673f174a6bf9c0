//! `terrace output`: the outputs recorded by the last apply.

use super::session::{self, Loaded};
use super::{Failure, Global, Result};
use clap::Args;

#[derive(Debug, Args)]
pub struct OutputArgs {
    /// The environment
    #[arg(long, value_name = "ENV")]
    pub env: String,
    /// Only this configuration's outputs
    #[arg(value_name = "CONFIG")]
    pub config: Option<String>,
    /// Only this output (needs CONFIG)
    #[arg(value_name = "NAME", requires = "config")]
    pub name: Option<String>,
    /// Print JSON: {"CONFIG": {"NAME": {"value": …, "sensitive": bool}}}; with NAME, the value alone
    #[arg(long)]
    pub json: bool,
    /// With NAME: print a string, number or bool as it is, without quotes or a newline (for scripts)
    #[arg(long, requires = "name", conflicts_with = "json")]
    pub raw: bool,
}

pub fn run(g: &Global, a: OutputArgs) -> Result {
    let loaded = Loaded::load(g)?;
    let result = outputs(&loaded, &a);
    loaded.audit(
        "project.config.read",
        Some(&a.env),
        serde_json::Value::Null,
        result,
    )
}

fn outputs(loaded: &Loaded, a: &OutputArgs) -> Result {
    let env = loaded.environment(&a.env)?;
    let state = session::load_state(&*loaded.store(&env.name))?;
    if let Some(c) = &a.config
        && loaded.project.configuration(c).is_none()
        && !state.configs.contains_key(c)
    {
        return Err(Failure::Message(format!(
            "there is no configuration \"{c}\""
        )));
    }
    if let (Some(c), Some(name)) = (&a.config, &a.name) {
        return one(&state, &a.env, c, name, a);
    }
    if a.json {
        let out = crate::render::json::outputs(&state, a.config.as_deref(), true);
        outln!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
        return Ok(());
    }
    let text = crate::render::outputs(&state, a.config.as_deref(), loaded.ui.pal);
    if text.is_empty() {
        errln!(
            "No outputs recorded in environment \"{}\". Apply first: terrace apply --env {}",
            a.env,
            a.env
        );
    }
    out!("{text}");
    Ok(())
}

/// `terrace output --env ENV CONFIG NAME [--raw|--json]`: one output, as
/// `terraform output [-raw|-json] NAME` prints it. Asking for one output
/// by name shows it even when it is sensitive, as Terraform does.
fn one(state: &crate::state::EnvState, env: &str, c: &str, name: &str, a: &OutputArgs) -> Result {
    let Some(o) = state.configs.get(c).and_then(|cs| cs.outputs.get(name)) else {
        let known: Vec<&str> = state
            .configs
            .get(c)
            .map(|cs| cs.outputs.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let hint = crate::diag::did_you_mean(name, known.iter().copied())
            .map(|s| format!(" (did you mean \"{s}\"?)"))
            .unwrap_or_default();
        return Err(Failure::Message(format!(
            "configuration \"{c}\" has no output \"{name}\" recorded in environment \"{env}\"{hint}; apply first, or list them with: terrace output --env {env} {c}"
        )));
    };
    let (value, _) = o.value.clone().deep_unmark();
    if a.json {
        outln!(
            "{}",
            serde_json::to_string(&value.to_json()).unwrap_or_default()
        );
        return Ok(());
    }
    if a.raw {
        return match &value {
            crate::value::Value::String(s) => {
                out!("{s}");
                Ok(())
            }
            crate::value::Value::Number(_) | crate::value::Value::Bool(_) => {
                out!("{value}");
                Ok(())
            }
            crate::value::Value::Null => Err(Failure::Message(format!(
                "output \"{name}\" is null, and --raw prints only strings, numbers and bools"
            ))),
            other => Err(Failure::Message(format!(
                "output \"{name}\" is {}, and --raw prints only strings, numbers and bools; use --json for it",
                crate::eval::describe(other)
            ))),
        };
    }
    outln!("{value}");
    Ok(())
}
