//! `terrace graph`: the resources and their dependencies, as DOT laid out
//! as `terraform graph` draws it: one cluster per configuration (Terraform's
//! module), node ids equal to the JSON plan's addresses
//! (`module.CONFIG.TYPE.NAME`), edges from each dependent to its
//! dependency.

use super::session::{self, Loaded};
use super::{Global, Result};
use crate::eval::Node;
use crate::graph::DotNode;
use crate::render::json::module_address;
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
            Some(session::load_state(&*loaded.store(&env.name))?)
        }
        None => None,
    };
    let draw = |n: &Node| {
        let Node::Resource(c, r) = *n else {
            return None;
        };
        let addr = graph.resource_addr(c, r);
        let module = module_address(&addr.config);
        let local = addr.local();
        let label = match &state {
            Some(s) => {
                let count = s
                    .configs
                    .get(&addr.config)
                    .and_then(|cs| cs.resource(&addr))
                    .map_or(0, |rs| rs.instances.len());
                format!("{local} ({count})")
            }
            None => local.clone(),
        };
        let id = format!("{module}.{local}");
        Some(DotNode {
            cluster: module,
            id,
            label,
        })
    };
    out!("{}", graph.dag.to_dot(draw));
    Ok(())
}
