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
    /// Print JSON: {"CONFIG": {"NAME": {"value": …, "sensitive": bool}}}
    #[arg(long)]
    pub json: bool,
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
    let state = session::load_state(&loaded.store(&env.name))?;
    if let Some(c) = &a.config
        && loaded.project.configuration(c).is_none()
        && !state.configs.contains_key(c)
    {
        return Err(Failure::Message(format!(
            "there is no configuration \"{c}\""
        )));
    }
    if a.json {
        let mut out = serde_json::Map::new();
        for (name, cs) in &state.configs {
            if a.config.as_ref().is_some_and(|c| c != name) {
                continue;
            }
            let outputs: serde_json::Map<String, serde_json::Value> = cs
                .outputs
                .iter()
                // As in Terraform, an output whose value is null is left out.
                .filter(|(_, o)| !o.value.unmark().0.is_null())
                .map(|(k, o)| {
                    let v = serde_json::json!({ "value": o.value.to_json(), "sensitive": o.sensitive || o.value.contains_sensitive() });
                    (k.clone(), v)
                })
                .collect();
            out.insert(name.clone(), serde_json::Value::Object(outputs));
        }
        outln!(
            "{}",
            serde_json::to_string_pretty(&serde_json::Value::Object(out)).unwrap_or_default()
        );
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
