//! The steps of an apply and their order: the project graph's nodes, plus
//! one destroy step per resource that has objects to delete.
//!
//! Deletes run in reverse dependency order, using the dependencies each
//! object had when it was applied (recorded in state): a dependent goes
//! before what it depends on. A replacement deletes the old object before
//! creating the new one, or after with `create_before_destroy`, once
//! everything that used the old one has moved to the new one.

use crate::address::{InstanceAddr, ResourceAddr};
use crate::eval::{Node, ProjectGraph};
use crate::graph::{Dag, NodeId};
use crate::plan::{Action, Plan};
use crate::state::EnvState;
use std::collections::{BTreeMap, HashMap, HashSet};

/// One step of an apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Evaluate a node of the project graph (and, for a resource, create,
    /// update or read its objects).
    Eval(NodeId),
    /// Delete a resource's objects that the plan deletes or replaces.
    Destroy(ResourceAddr),
}

/// The apply's graph.
pub struct Steps {
    pub dag: Dag<Step, ()>,
    pub order: Vec<NodeId>,
    /// Project graph node → its evaluation step.
    pub eval: HashMap<NodeId, NodeId>,
}

/// Builds the steps for `plan`; an error names a cycle among them.
pub fn build(graph: &ProjectGraph<'_>, plan: &Plan, state: &EnvState) -> Result<Steps, String> {
    let mut dag: Dag<Step, ()> = Dag::default();
    let mut eval_ids: HashMap<NodeId, NodeId> = HashMap::new();
    let mut resource_eval: HashMap<ResourceAddr, NodeId> = HashMap::new();
    if !plan.destroy {
        for &n in &graph.order {
            let id = dag.add_node(Step::Eval(n));
            eval_ids.insert(n, id);
            if let Node::Resource(c, r) = graph.node(n) {
                resource_eval.insert(graph.resource_addr(c, r), id);
            }
        }
        for &n in &graph.order {
            for d in graph.dag.dependencies(n) {
                dag.add_edge(eval_ids[&d], eval_ids[&n], ());
            }
        }
    }

    // What each destroyed resource's objects need.
    #[derive(Default)]
    struct Need {
        plain_delete: bool,
        replace: bool,
        replace_cbd: bool,
    }
    let mut destroy: BTreeMap<ResourceAddr, Need> = BTreeMap::new();
    for c in &plan.changes {
        let need = match c.action {
            Action::Delete => Need {
                plain_delete: true,
                ..Need::default()
            },
            Action::Replace if c.create_before_destroy => Need {
                replace_cbd: true,
                ..Need::default()
            },
            Action::Replace => Need {
                replace: true,
                ..Need::default()
            },
            _ => continue,
        };
        let e = destroy.entry(c.address.resource.clone()).or_default();
        e.plain_delete |= need.plain_delete;
        e.replace |= need.replace;
        e.replace_cbd |= need.replace_cbd;
    }
    let destroy_ids: BTreeMap<ResourceAddr, NodeId> = destroy
        .keys()
        .map(|r| (r.clone(), dag.add_node(Step::Destroy(r.clone()))))
        .collect();

    // Recorded dependencies: resource → what it depended on when applied.
    let mut recorded: HashMap<ResourceAddr, Vec<ResourceAddr>> = HashMap::new();
    for (addr, res, _) in state.instances() {
        if recorded.contains_key(&addr.resource) {
            continue;
        }
        let deps = res
            .dependencies
            .iter()
            .filter_map(|d| InstanceAddr::parse(d).ok().map(|(_, a)| a.resource))
            .collect();
        recorded.insert(addr.resource, deps);
    }
    // Current dependencies, from the definitions: resource → its dependents.
    let mut dependents: HashMap<ResourceAddr, Vec<ResourceAddr>> = HashMap::new();
    if !plan.destroy {
        for (node, deps) in graph.resource_dependencies() {
            let Node::Resource(c, r) = graph.node(node) else {
                continue;
            };
            let me = graph.resource_addr(c, r);
            for d in deps {
                if let Node::Resource(dc, dr) = graph.node(d) {
                    dependents
                        .entry(graph.resource_addr(dc, dr))
                        .or_default()
                        .push(me.clone());
                }
            }
        }
    }

    for (x, need) in &destroy {
        let dx = destroy_ids[x];
        // Whatever depended on x and is destroyed too goes first.
        let mut users: HashSet<&ResourceAddr> = HashSet::new();
        for (y, deps) in &recorded {
            if deps.contains(x) {
                users.insert(y);
                if let Some(&dy) = destroy_ids.get(y)
                    && dy != dx
                {
                    dag.add_edge(dy, dx, ());
                }
            }
        }
        let Some(&ex) = resource_eval.get(x) else {
            continue;
        };
        if need.replace {
            dag.add_edge(dx, ex, ());
        } else {
            if need.replace_cbd {
                dag.add_edge(ex, dx, ());
            }
            // Dependents move off the old objects before they go.
            for y in users
                .into_iter()
                .chain(dependents.get(x).into_iter().flatten())
            {
                if let Some(&ey) = resource_eval.get(y)
                    && ey != ex
                {
                    dag.add_edge(ey, dx, ());
                }
            }
        }
    }
    let order = dag.toposort().map_err(|cycle| {
        let names: Vec<String> = cycle
            .steps
            .iter()
            .map(|(s, _)| match s {
                Step::Eval(n) => graph.describe(graph.node(*n)),
                Step::Destroy(r) => format!("destroy {r}"),
            })
            .collect();
        format!("the changes cannot be ordered: {}", names.join(" → "))
    })?;
    Ok(Steps {
        dag,
        order,
        eval: eval_ids,
    })
}
