//! `--target`: narrowing a plan to some resources and what they depend on,
//! as Terraform's `-target` does.
//!
//! The whole environment is evaluated as usual (values of untargeted
//! resources are needed to plan the targeted ones); afterwards only the
//! changes of the targeted resources and of their dependencies are kept,
//! and the plan records its targets so that every view and the records
//! know that it is partial. Entry point: [`Target::parse`]; the planner
//! ([`super::plan`], `PlanOptions::targets`) runs [`check`] before it
//! plans and [`narrow`] on the finished plan.

use super::model::Plan;
use crate::address::{InstanceAddr, ResourceAddr};
use crate::eval::{Node, ProjectGraph};
use crate::graph::NodeId;
use std::collections::HashSet;

/// One `--target`: a whole configuration, a resource, or one instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Config(String),
    Resource(ResourceAddr),
    Instance(InstanceAddr),
}

impl Target {
    /// Reads `CONFIG`, `CONFIG/TYPE.NAME`, `CONFIG/data.TYPE.NAME` or
    /// `CONFIG/TYPE.NAME[KEY]`.
    pub fn parse(s: &str) -> Result<Target, String> {
        // Terraform's spelling, as the JSON plan writes addresses.
        if let Some(rest) = s.strip_prefix("module.")
            && let Some((config, local)) = rest.split_once('.')
        {
            return Err(format!(
                "\"{s}\" is Terraform's spelling; terrace writes it {config}/{local}"
            ));
        }
        if !s.contains('/') {
            return if crate::config::is_name(s) {
                Ok(Target::Config(s.to_string()))
            } else {
                Err(format!(
                    "\"{s}\" is not a target; write CONFIG, CONFIG/TYPE.NAME or CONFIG/TYPE.NAME[KEY]"
                ))
            };
        }
        let (env, addr) = InstanceAddr::parse(s)?;
        if env.is_some() {
            return Err(format!(
                "\"{s}\": a target is inside the environment given by --env; write CONFIG/TYPE.NAME"
            ));
        }
        Ok(match addr.key {
            Some(_) => Target::Instance(addr),
            None => Target::Resource(addr.resource),
        })
    }

    fn config(&self) -> &str {
        match self {
            Target::Config(c) => c,
            Target::Resource(r) => &r.config,
            Target::Instance(i) => &i.resource.config,
        }
    }

    /// Whether the target names this object itself (not as a dependency).
    fn names(&self, a: &InstanceAddr) -> bool {
        match self {
            Target::Config(c) => a.resource.config == *c,
            Target::Resource(r) => a.resource == *r,
            Target::Instance(i) => i == a,
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Config(c) => f.write_str(c),
            Target::Resource(r) => write!(f, "{r}"),
            Target::Instance(i) => write!(f, "{i}"),
        }
    }
}

/// Checks that each target names a configuration of the project, and a
/// resource that the definitions or the state have.
pub fn check(
    targets: &[Target],
    graph: &ProjectGraph<'_>,
    in_state: &dyn Fn(&ResourceAddr) -> bool,
) -> Result<(), String> {
    let project = graph.project;
    for t in targets {
        if project.configuration(t.config()).is_none()
            && !matches!(t, Target::Resource(r) | Target::Instance(InstanceAddr { resource: r, .. }) if in_state(r))
        {
            let hint = crate::diag::did_you_mean(
                t.config(),
                project.configurations.iter().map(|c| c.name.as_str()),
            )
            .map(|s| format!(" (did you mean \"{s}\"?)"))
            .unwrap_or_default();
            return Err(format!(
                "--target {t}: there is no configuration \"{}\"{hint}",
                t.config()
            ));
        }
        let resource = match t {
            Target::Config(_) => continue,
            Target::Resource(r) => r,
            Target::Instance(i) => &i.resource,
        };
        if super::find_resource(graph, resource).is_none() && !in_state(resource) {
            let declared = graph.config_id(&resource.config).map(|c| {
                graph
                    .names_of(c)
                    .resources
                    .keys()
                    .map(|(mode, ty, name)| match mode {
                        crate::address::Mode::Managed => format!("{ty}.{name}"),
                        crate::address::Mode::Data => format!("data.{ty}.{name}"),
                    })
                    .collect::<Vec<_>>()
            });
            let hint = declared
                .and_then(|names| {
                    crate::diag::did_you_mean(&resource.local(), names.iter().map(String::as_str))
                        .map(str::to_string)
                })
                .map(|s| format!(" (did you mean \"{}/{s}\"?)", resource.config))
                .unwrap_or_default();
            return Err(format!(
                "--target {t}: configuration \"{}\" has no resource {} in its definitions or its state{hint}",
                resource.config,
                resource.local()
            ));
        }
    }
    Ok(())
}

/// Keeps only the changes, drift and outputs of the targeted resources and
/// of everything they depend on (for a destroy plan: everything that
/// depends on them, which must go first); records the targets in the plan.
pub fn narrow(plan: &mut Plan, graph: &ProjectGraph<'_>, targets: &[Target]) {
    if targets.is_empty() {
        return;
    }
    // Resources in the definitions that a target names, and every
    // resource they depend on (whole), through any kind of node.
    let mut named: Vec<NodeId> = Vec::new();
    for &id in &graph.order {
        if let Node::Resource(c, r) = graph.node(id) {
            let addr = graph.resource_addr(c, r);
            let hit = targets.iter().any(|t| match t {
                Target::Config(name) => addr.config == *name,
                Target::Resource(ra) => *ra == addr,
                Target::Instance(i) => i.resource == addr,
            });
            if hit {
                named.push(id);
            }
        }
    }
    let deps = closure(graph, &named, plan.destroy);
    let whole: HashSet<ResourceAddr> = deps
        .iter()
        .filter_map(|&id| match graph.node(id) {
            Node::Resource(c, r) if !named.contains(&id) => Some(graph.resource_addr(c, r)),
            _ => None,
        })
        .collect();
    let selected =
        |a: &InstanceAddr| whole.contains(&a.resource) || targets.iter().any(|t| t.names(a));
    let before = plan.changes.len();
    plan.changes.retain(|c| selected(&c.address));
    plan.drift.retain(|d| selected(&d.address));
    // An output is updated only when every resource it depends on is in
    // the plan's selection.
    let kept_resources: HashSet<ResourceAddr> = deps
        .iter()
        .filter_map(|&id| match graph.node(id) {
            Node::Resource(c, r) => Some(graph.resource_addr(c, r)),
            _ => None,
        })
        .collect();
    plan.outputs.retain(|o| {
        let Some(c) = graph.config_id(&o.configuration) else {
            return false;
        };
        let Some(&i) = graph.names_of(c).outputs.get(&o.name) else {
            return false;
        };
        let id = graph.id(Node::Output(c, i));
        closure(graph, &[id], false)
            .iter()
            .all(|&d| match graph.node(d) {
                Node::Resource(c, r) => kept_resources.contains(&graph.resource_addr(c, r)),
                _ => true,
            })
    });
    tracing::debug!(
        kept = plan.changes.len(),
        dropped = before - plan.changes.len(),
        "narrowed the plan to its targets"
    );
    plan.targets = targets.iter().map(ToString::to_string).collect();
}

/// `from` and every node they depend on, transitively; or every node that
/// depends on them, with `dependents`.
fn closure(graph: &ProjectGraph<'_>, from: &[NodeId], dependents: bool) -> HashSet<NodeId> {
    let mut seen: HashSet<NodeId> = HashSet::new();
    let mut stack: Vec<NodeId> = from.to_vec();
    while let Some(id) = stack.pop() {
        if seen.insert(id) {
            stack.extend(if dependents {
                graph.dag.dependents(id)
            } else {
                graph.dag.dependencies(id)
            });
        }
    }
    seen
}
