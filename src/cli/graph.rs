//! `terrace graph`: the resources and their dependencies, as DOT.

use super::session::{self, Loaded};
use super::{Global, Result};
use crate::eval::Node;
use clap::Args;

#[derive(Debug, Args)]
pub struct GraphArgs {
    /// Label each resource with how many objects it has in this environment
    #[arg(long, value_name = "ENV")]
    pub env: Option<String>,
}

pub fn run(g: &Global, a: GraphArgs) -> Result {
    let loaded = Loaded::load(g)?;
    let graph = loaded.graph()?;
    let state = match &a.env {
        Some(env) => {
            let env = loaded.environment(env)?;
            Some(session::load_state(&loaded.store(&env.name))?)
        }
        None => None,
    };
    let label = |n: &Node| {
        let name = graph.describe(*n);
        match (&state, n) {
            (Some(s), Node::Resource(c, r)) => {
                let addr = graph.resource_addr(*c, *r);
                let count = s
                    .configs
                    .get(&addr.config)
                    .and_then(|cs| cs.resource(&addr))
                    .map_or(0, |rs| rs.instances.len());
                format!("{name} ({count})")
            }
            _ => name,
        }
    };
    let dot = graph.dag.to_dot(&loaded.project.name, label, |n| {
        matches!(n, Node::Resource(..))
    });
    out!("{dot}");
    Ok(())
}
