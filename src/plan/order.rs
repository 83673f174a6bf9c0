//! The order in which a plan's changes are applied, by Terraform's rules.
//!
//! Steps are the project graph's nodes (evaluating a resource creates,
//! updates or replaces its objects) plus destroy steps: per resource, one
//! for the objects deleted *after* what replaces or uses them
//! (`create_before_destroy`) and one for the others. Edges, with "deps"
//! meaning every resource a resource depends on, directly or not, as the
//! definitions say now and as state recorded at its last apply:
//!
//! 1. the project graph's own edges (a reference is evaluated first);
//! 2. a replacement deletes the old objects before creating the new ones,
//!    or after with `create_before_destroy`;
//! 3. a resource that changes is applied after the deletion of its deps'
//!    objects, or before it when that deletion is create-before-destroy;
//! 4. an object is deleted after the objects that depend on it;
//! 5. a dep of a deleted object changes after that delete, or before it
//!    when the delete is create-before-destroy.
//!
//! `create_before_destroy` spreads to everything a resource with it depends
//! on ([`create_before_destroy`]), as in Terraform, so that rules 2–5 cannot
//! form a cycle between a create-before-destroy resource and its deps. Where
//! the rules still form one, there is no order: [`build`] says which steps
//! form it, and `plan` refuses the plan. Entry points: [`build`],
//! [`create_before_destroy`].

use crate::address::{InstanceAddr, Mode, ResourceAddr};
use crate::diag::Diagnostic;
use crate::eval::{Node, ProjectGraph};
use crate::graph::{Dag, NodeId};
use crate::plan::{Action, Plan};
use crate::state::EnvState;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// One step of an apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Evaluate a node of the project graph (and, for a resource, create,
    /// update or read its objects).
    Eval(NodeId),
    /// Delete a resource's objects that the plan deletes or replaces: those
    /// whose change is create-before-destroy, or the others.
    Destroy {
        resource: ResourceAddr,
        create_before_destroy: bool,
    },
}

/// The apply's graph.
pub struct Steps {
    pub dag: Dag<Step, ()>,
    /// A topological order of `dag`.
    pub order: Vec<NodeId>,
    /// Project graph node → its evaluation step.
    pub eval: HashMap<NodeId, NodeId>,
}

/// The changes cannot be ordered: the steps of one cycle, in order.
#[derive(Debug, Clone)]
pub struct OrderError {
    pub cycle: Vec<String>,
    /// Resources that are replaced and take part in the cycle.
    pub replaced: Vec<String>,
}

impl std::fmt::Display for OrderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the changes cannot be ordered: each step must come before the next, \
             and the last before the first: {}",
            self.cycle.join(" → ")
        )
    }
}

impl OrderError {
    /// The diagnostic `plan` reports (`code`), with the fix.
    pub fn diagnostic(&self, code: &'static str) -> Diagnostic {
        let fix = if self.replaced.is_empty() {
            "apply the change in two steps: first the part that removes the objects \
             (e.g. the resources or references that go away), then the rest"
                .to_string()
        } else {
            format!(
                "set `lifecycle {{ create_before_destroy = true }}` on {} (or on the resource that uses it), \
                 or apply the change in two steps: first the part that removes objects, then the rest",
                self.replaced.join(", ")
            )
        };
        Diagnostic::error(code, self.to_string()).help(fix)
    }
}

/// The resources of the definitions that are create-before-destroy:
/// their own `lifecycle` says so, or that of any resource depending on it,
/// directly or not (Terraform forces it onto dependencies, so that the old
/// object of a dependency is never deleted before its dependents' new
/// objects exist).
pub fn create_before_destroy(graph: &ProjectGraph<'_>) -> HashSet<ResourceAddr> {
    let mut stack: Vec<NodeId> = graph
        .order
        .iter()
        .copied()
        .filter(|&n| match graph.node(n) {
            Node::Resource(c, r) => {
                let res = &graph.arch(c).resources[r];
                res.mode == Mode::Managed && res.lifecycle.create_before_destroy
            }
            _ => false,
        })
        .collect();
    let mut out = HashSet::new();
    if stack.is_empty() {
        // Nothing to spread: no map of every resource's dependencies.
        return out;
    }
    // Spread from every create-before-destroy resource to all it depends on.
    let deps = graph.resource_dependencies();
    let mut seen: HashSet<NodeId> = stack.iter().copied().collect();
    while let Some(n) = stack.pop() {
        if let Node::Resource(c, r) = graph.node(n) {
            out.insert(graph.resource_addr(c, r));
        }
        for &d in deps.get(&n).into_iter().flatten() {
            if seen.insert(d) {
                stack.push(d);
            }
        }
    }
    out
}

/// Everything reachable from `start` in `edges` (not `start` itself).
fn closure<'a>(
    start: &'a ResourceAddr,
    edges: &'a HashMap<ResourceAddr, Vec<ResourceAddr>>,
) -> BTreeSet<&'a ResourceAddr> {
    let mut seen = BTreeSet::new();
    let mut stack = vec![start];
    while let Some(r) = stack.pop() {
        for d in edges.get(r).into_iter().flatten() {
            if d != start && seen.insert(d) {
                stack.push(d);
            }
        }
    }
    seen
}

/// Builds the steps for `plan`; an error names a cycle among them.
pub fn build(graph: &ProjectGraph<'_>, plan: &Plan, state: &EnvState) -> Result<Steps, OrderError> {
    // The order is that of the state as the plan saw it: after its moves
    // and forgets, which apply makes before anything else.
    let moved;
    let state = if plan
        .changes
        .iter()
        .any(|c| c.previous_address.is_some() || c.action == Action::Forget)
    {
        let mut s = state.clone();
        for c in &plan.changes {
            match (&c.previous_address, c.action) {
                (Some(prev), _) => {
                    s.move_instance(prev, &c.address);
                }
                (None, Action::Forget) => {
                    s.remove_instance(&c.address);
                }
                _ => {}
            }
        }
        moved = s;
        &moved
    } else {
        state
    };
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

    // The destroy steps, and which resources create or update objects.
    let mut destroy: BTreeMap<(ResourceAddr, bool), NodeId> = BTreeMap::new();
    // Per resource: whether a non-create-before-destroy replacement needs
    // the old objects gone before its create.
    let mut replace_first: BTreeSet<ResourceAddr> = BTreeSet::new();
    let mut replace_after: BTreeSet<ResourceAddr> = BTreeSet::new();
    let mut creators: BTreeSet<ResourceAddr> = BTreeSet::new();
    for c in &plan.changes {
        let r = &c.address.resource;
        match c.action {
            Action::Create | Action::Update => {
                creators.insert(r.clone());
            }
            Action::Replace => {
                creators.insert(r.clone());
                if c.create_before_destroy {
                    replace_after.insert(r.clone());
                } else {
                    replace_first.insert(r.clone());
                }
            }
            Action::Delete => {}
            // Moves and forgets are done before the walk, on records only.
            Action::NoOp | Action::Read | Action::Forget => continue,
        }
        if matches!(c.action, Action::Replace | Action::Delete) {
            let key = (r.clone(), c.create_before_destroy);
            destroy.entry(key).or_insert_with(|| {
                dag.add_node(Step::Destroy {
                    resource: r.clone(),
                    create_before_destroy: c.create_before_destroy,
                })
            });
        }
    }

    // Deps: what the definitions say now, and what state recorded. Only
    // the rules about deletes read them, so a plan that deletes nothing
    // (a large first apply) does not build them.
    let deleting = !destroy.is_empty();
    let mut recorded: HashMap<ResourceAddr, Vec<ResourceAddr>> = HashMap::new();
    if deleting {
        for (addr, res, _) in state.instances() {
            recorded.entry(addr.resource).or_insert_with(|| {
                res.dependencies
                    .iter()
                    .filter_map(|d| InstanceAddr::parse(d).ok().map(|(_, a)| a.resource))
                    .collect()
            });
        }
    }
    let mut configured: HashMap<ResourceAddr, Vec<ResourceAddr>> = HashMap::new();
    if deleting && !plan.destroy {
        for (node, deps) in graph.resource_dependencies() {
            let Node::Resource(c, r) = graph.node(node) else {
                continue;
            };
            let list = deps
                .into_iter()
                .filter_map(|d| match graph.node(d) {
                    Node::Resource(dc, dr) => Some(graph.resource_addr(dc, dr)),
                    _ => None,
                })
                .collect();
            configured.insert(graph.resource_addr(c, r), list);
        }
    }
    let reverse = |edges: &HashMap<ResourceAddr, Vec<ResourceAddr>>| {
        let mut rev: HashMap<ResourceAddr, Vec<ResourceAddr>> = HashMap::new();
        for (r, deps) in edges {
            for d in deps {
                rev.entry(d.clone()).or_default().push(r.clone());
            }
        }
        rev
    };
    let (recorded_rev, configured_rev) = (reverse(&recorded), reverse(&configured));
    let deps_of = |r: &ResourceAddr| -> BTreeSet<ResourceAddr> {
        let mut all: BTreeSet<ResourceAddr> = closure(r, &recorded).into_iter().cloned().collect();
        all.extend(closure(r, &configured).into_iter().cloned());
        all
    };
    let dependents_of = |r: &ResourceAddr| -> BTreeSet<ResourceAddr> {
        let mut all: BTreeSet<ResourceAddr> =
            closure(r, &recorded_rev).into_iter().cloned().collect();
        all.extend(closure(r, &configured_rev).into_iter().cloned());
        all
    };
    let destroyers_of = |r: &ResourceAddr| {
        [false, true]
            .into_iter()
            .filter_map(|cbd| destroy.get(&(r.clone(), cbd)).map(|&id| (id, cbd)))
            .collect::<Vec<_>>()
    };

    // Rule 2: a replacement's delete and create.
    for r in &replace_first {
        if let (Some(&d), Some(&e)) = (destroy.get(&(r.clone(), false)), resource_eval.get(r)) {
            dag.add_edge(d, e, ());
        }
    }
    for r in &replace_after {
        if let (Some(&d), Some(&e)) = (destroy.get(&(r.clone(), true)), resource_eval.get(r)) {
            dag.add_edge(e, d, ());
        }
    }
    // Rule 3: a changing resource against the deletes of its deps. Walked
    // from the deletes (usually few), so that a large first apply, which
    // deletes nothing, costs nothing here.
    for (x, cbd) in destroy.keys() {
        let dx = destroy[&(x.clone(), *cbd)];
        for y in dependents_of(x) {
            if !creators.contains(&y) {
                continue;
            }
            let Some(&ey) = resource_eval.get(&y) else {
                continue;
            };
            if *cbd {
                dag.add_edge(ey, dx, ());
            } else {
                dag.add_edge(dx, ey, ());
            }
        }
    }
    // Rules 4 and 5: a delete against its deps' deletes and changes.
    for ((y, cbd), &dy) in &destroy {
        for x in deps_of(y) {
            for (dx, _) in destroyers_of(&x) {
                dag.add_edge(dy, dx, ());
            }
            if creators.contains(&x)
                && let Some(&ex) = resource_eval.get(&x)
            {
                if *cbd {
                    dag.add_edge(ex, dy, ());
                } else {
                    dag.add_edge(dy, ex, ());
                }
            }
        }
    }

    let order = dag.toposort().map_err(|cycle| {
        let mut replaced = Vec::new();
        let names = cycle
            .steps
            .iter()
            .map(|(s, _)| match s {
                Step::Eval(n) => match graph.node(*n) {
                    node @ Node::Resource(..) => format!("apply {}", graph.describe(node)),
                    node => graph.describe(node),
                },
                Step::Destroy {
                    resource,
                    create_before_destroy,
                } => {
                    if replace_first.contains(resource) && !create_before_destroy {
                        replaced.push(resource.to_string());
                    }
                    format!("delete {resource}")
                }
            })
            .collect();
        OrderError {
            cycle: names,
            replaced,
        }
    })?;
    Ok(Steps {
        dag,
        order,
        eval: eval_ids,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Change, PLAN_FORMAT_VERSION};
    use crate::value::Value;

    const ISSUE: &str = r#"
resource "terrace_data" "vpc" {
  triggers_replace = "eu-es"
}
resource "terrace_data" "subnet" {
  for_each = toset(["a"])
  input    = { vpc = terrace_data.vpc.id }
}
resource "terrace_data" "server" {
  input = [for s in terrace_data.subnet : s.id]
}
resource "terrace_data" "web" {
  input = terrace_data.server.id
}
resource "terrace_data" "cdn" {
  input = terrace_data.web.id
  lifecycle {
    create_before_destroy = true
  }
}
resource "terrace_data" "edge" {
  input = terrace_data.cdn.id
}
"#;

    fn load(arch: &str) -> (tempfile::TempDir, crate::config::Project) {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            dir.path().join("project.hcl"),
            "project \"p\" {}\nenvironment \"dev\" {}\nconfiguration \"net\" {\n  architecture = \"./arch\"\n}\n",
        )
        .expect("write");
        std::fs::create_dir(dir.path().join("arch")).expect("mkdir");
        std::fs::write(dir.path().join("arch/main.hcl"), arch).expect("write");
        let (project, diags) = crate::config::load(dir.path());
        assert!(!diags.has_errors(), "{diags:?}");
        (dir, project)
    }

    fn addr(s: &str) -> InstanceAddr {
        InstanceAddr::parse(s).expect("address").1
    }

    fn change(a: &str, action: Action, cbd: bool) -> Change {
        Change {
            address: addr(a),
            action,
            before: None,
            after: None,
            replace_paths: Vec::new(),
            create_before_destroy: cbd,
            reason: None,
            previous_address: None,
            importing: None,
        }
    }

    fn plan(mut changes: Vec<Change>) -> Plan {
        changes.sort_by(|a, b| a.address.cmp(&b.address));
        Plan {
            format_version: PLAN_FORMAT_VERSION,
            terrace_version: String::new(),
            environment: "dev".into(),
            created_at: String::new(),
            created_by: String::new(),
            project: String::new(),
            destroy: false,
            definitions_hash: String::new(),
            prior: BTreeMap::new(),
            changes,
            unchanged: 0,
            drift: Vec::new(),
            outputs: Vec::new(),
            warnings: Vec::new(),
            release: None,
            promoted_from: None,
            variables: BTreeMap::new(),
            targets: Vec::new(),
            unchanged_objects: Vec::new(),
            configuration: serde_json::Value::Null,
            replace: Vec::new(),
            refresh: true,
            policies: Vec::new(),
        }
    }

    #[test]
    fn create_before_destroy_spreads_to_dependencies_only() {
        let (_dir, project) = load(ISSUE);
        let (graph, _) = ProjectGraph::build(&project);
        let cbd = create_before_destroy(&graph);
        for name in ["vpc", "subnet", "server", "web", "cdn"] {
            let r = addr(&format!("net/terrace_data.{name}")).resource;
            assert!(cbd.contains(&r), "{name} should be create-before-destroy");
        }
        // What depends on a create-before-destroy resource is not.
        assert!(!cbd.contains(&addr("net/terrace_data.edge").resource));
        let (_dir, project) = load(&ISSUE.replace("create_before_destroy = true", ""));
        let (graph, _) = ProjectGraph::build(&project);
        assert!(create_before_destroy(&graph).is_empty());
    }

    #[test]
    fn a_removed_subnet_goes_before_the_replaced_vpc_it_used() {
        let (_dir, project) =
            load(&ISSUE.replace("create_before_destroy = true", "prevent_destroy = false"));
        let (graph, _) = ProjectGraph::build(&project);
        let mut state = EnvState::new("dev");
        let deps = |d: &[&str]| Some(d.iter().map(|s| format!("net/terrace_data.{s}")).collect());
        state.set_instance(&addr("net/terrace_data.vpc"), Value::Null, deps(&[]));
        for k in ["a", "b"] {
            let a = addr(&format!("net/terrace_data.subnet[\"{k}\"]"));
            state.set_instance(&a, Value::Null, deps(&["vpc"]));
        }
        state.set_instance(
            &addr("net/terrace_data.server"),
            Value::Null,
            deps(&["subnet"]),
        );
        let plan = plan(vec![
            change("net/terrace_data.vpc", Action::Replace, false),
            change("net/terrace_data.subnet[\"a\"]", Action::Update, false),
            change("net/terrace_data.subnet[\"b\"]", Action::Delete, false),
            change("net/terrace_data.server", Action::Update, false),
        ]);
        let steps = build(&graph, &plan, &state).expect("an order");
        let name = |id: NodeId| match steps.dag.node(id) {
            Step::Eval(n) => graph.describe(graph.node(*n)),
            Step::Destroy { resource, .. } => format!("delete {resource}"),
        };
        let order: Vec<String> = steps.order.iter().map(|&id| name(id)).collect();
        let at = |s: &str| order.iter().position(|o| o == s).expect(s);
        assert!(at("delete net/terrace_data.subnet") < at("delete net/terrace_data.vpc"));
        assert!(at("delete net/terrace_data.vpc") < at("net/terrace_data.vpc"));
        assert!(at("net/terrace_data.vpc") < at("net/terrace_data.subnet"));
        assert!(at("delete net/terrace_data.subnet") < at("net/terrace_data.server"));
    }

    #[test]
    fn a_cycle_names_its_steps_and_the_replaced_resource() {
        let (_dir, project) = load(ISSUE);
        let (graph, _) = ProjectGraph::build(&project);
        let mut state = EnvState::new("dev");
        // `old` (gone from the definitions) used the vpc and was
        // create-before-destroy; the vpc is replaced delete-first.
        let old = addr("net/terrace_data.old");
        state.set_instance(&old, Value::Null, Some(vec!["net/terrace_data.vpc".into()]));
        let plan = plan(vec![
            change("net/terrace_data.vpc", Action::Replace, false),
            change("net/terrace_data.subnet[\"a\"]", Action::Update, false),
            change("net/terrace_data.old", Action::Delete, true),
        ]);
        let err = build(&graph, &plan, &state).err().expect("a cycle");
        assert_eq!(err.replaced, vec!["net/terrace_data.vpc".to_string()]);
        let text = err.to_string();
        assert!(text.contains("delete net/terrace_data.old"), "{text}");
        assert!(text.contains("apply net/terrace_data.vpc"), "{text}");
    }
}
