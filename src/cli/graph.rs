//! `terrace graph`: the resources and their dependencies, as DOT laid out
//! as `terraform graph` draws it: one cluster per configuration (Terraform's
//! module), node ids equal to the JSON plan's addresses
//! (`module.CONFIG.TYPE.NAME`), edges from each dependent to its
//! dependency.

use super::session::{self, Loaded};
use super::{Global, Result};
use crate::eval::Node;
use crate::render::json::module_address;
use clap::Args;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

#[derive(Debug, Args)]
pub struct GraphArgs {
    /// Label each resource with how many objects it has in this environment
    #[arg(long, value_name = "ENV")]
    pub env: Option<String>,
}

/// One resource as drawn: its id (the JSON plan's address) and label.
struct Drawn {
    id: String,
    label: String,
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
    let is_resource = |n: &Node| matches!(n, Node::Resource(..));
    let drawn = |n: &Node| -> Option<(String, Drawn)> {
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
        Some((module, Drawn { id, label }))
    };
    let mut clusters: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut edges = BTreeSet::new();
    for id in graph.dag.ids() {
        let Some((module, node)) = drawn(graph.dag.node(id)) else {
            continue;
        };
        for dep in graph.dag.nearest_kept(id, is_resource) {
            if let Some((_, d)) = drawn(graph.dag.node(dep)) {
                edges.insert((node.id.clone(), d.id));
            }
        }
        clusters
            .entry(module)
            .or_default()
            .insert(node.id, node.label);
    }
    out!("{}", dot(&clusters, &edges));
    Ok(())
}

/// `terraform graph`'s layout: `rankdir = "RL"`, a `cluster_MODULE`
/// subgraph per module with its nodes sorted by id, then the edges.
fn dot(
    clusters: &BTreeMap<String, BTreeMap<String, String>>,
    edges: &BTreeSet<(String, String)>,
) -> String {
    let mut out = String::new();
    out.push_str("digraph G {\n  rankdir = \"RL\";\n");
    out.push_str("  node [shape = rect, fontname = \"sans-serif\"];\n");
    for (module, nodes) in clusters {
        let _ = writeln!(out, "  subgraph {:?} {{", format!("cluster_{module}"));
        let _ = writeln!(out, "    label = {module:?}");
        out.push_str("    fontname = \"sans-serif\"\n");
        for (id, label) in nodes {
            let _ = writeln!(out, "    {id:?} [label={label:?}];");
        }
        out.push_str("  }\n");
    }
    for (from, to) in edges {
        let _ = writeln!(out, "  {from:?} -> {to:?};");
    }
    out.push_str("}\n");
    out
}
