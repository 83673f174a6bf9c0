//! Whether a saved plan still applies: same definitions, same state.

use super::model::Plan;
use crate::state::EnvState;

/// Why a saved plan no longer applies.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Stale {
    #[error("the plan is for environment \"{plan}\", not \"{env}\"")]
    Environment { plan: String, env: String },
    #[error("the definitions changed since the plan was made (plan {planned}…, now {now}…)")]
    Definitions { planned: String, now: String },
    #[error(
        "the state of configuration \"{config}\" changed since the plan was made (serial {planned} then, {now} now)"
    )]
    Serial {
        config: String,
        planned: u64,
        now: u64,
    },
    #[error(
        "the state of configuration \"{config}\" was replaced since the plan was made (lineage {planned} then, {now} now)"
    )]
    Lineage {
        config: String,
        planned: String,
        now: String,
    },
    #[error("configuration \"{config}\" has state now that it did not have when the plan was made")]
    NewState { config: String },
    #[error("configuration \"{config}\" had state when the plan was made and has none now")]
    LostState { config: String },
}

/// Checks that `plan` was made from `definitions_hash` and `state`.
pub fn check_fresh(
    plan: &Plan,
    env: &str,
    definitions_hash: &str,
    state: &EnvState,
) -> Result<(), Stale> {
    if plan.environment != env {
        return Err(Stale::Environment {
            plan: plan.environment.clone(),
            env: env.to_string(),
        });
    }
    if plan.definitions_hash != definitions_hash {
        return Err(Stale::Definitions {
            planned: plan.definitions_hash.chars().take(12).collect(),
            now: definitions_hash.chars().take(12).collect(),
        });
    }
    for (name, prior) in &plan.prior {
        let Some(now) = state.configs.get(name) else {
            return Err(Stale::LostState {
                config: name.clone(),
            });
        };
        if now.lineage != prior.lineage {
            return Err(Stale::Lineage {
                config: name.clone(),
                planned: prior.lineage.clone(),
                now: now.lineage.clone(),
            });
        }
        if now.serial != prior.serial {
            return Err(Stale::Serial {
                config: name.clone(),
                planned: prior.serial,
                now: now.serial,
            });
        }
    }
    if let Some(name) = state.configs.keys().find(|k| !plan.prior.contains_key(*k)) {
        return Err(Stale::NewState {
            config: name.clone(),
        });
    }
    Ok(())
}
