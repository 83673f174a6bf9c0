//! A generic directed acyclic graph on petgraph: dependency edges, a
//! topological order, cycles reported step by step, and DOT output.
//!
//! Knows nothing of resources: nodes and edges carry whatever the caller
//! puts in them. An edge `a → b` means "b depends on a": a comes first.
//! [`walk`] is the one concurrent scheduler over such a graph.

use petgraph::Direction;
use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// How [`Dag::to_dot`] draws a node: the cluster it sits in, its id and
/// its label.
pub struct DotNode {
    pub cluster: String,
    pub id: String,
    pub label: String,
}

pub mod walk;

pub use walk::{Cancel, Status, Visit, Visitor, Walked, walk};

/// A node's handle.
pub type NodeId = NodeIndex<u32>;

/// A directed graph of `N` nodes whose edges carry an `E` (e.g. the span
/// of the reference that created the edge).
#[derive(Debug, Clone)]
pub struct Dag<N, E> {
    graph: DiGraph<N, E, u32>,
}

impl<N, E> Default for Dag<N, E> {
    fn default() -> Self {
        Dag {
            graph: DiGraph::default(),
        }
    }
}

/// A cycle: each node with the edge that leads from it to the next one,
/// the last leading back to the first.
#[derive(Debug)]
pub struct Cycle<'a, N, E> {
    pub steps: Vec<(&'a N, &'a E)>,
}

impl<N, E> Dag<N, E> {
    pub fn add_node(&mut self, n: N) -> NodeId {
        self.graph.add_node(n)
    }

    /// Records that `dependent` depends on `dependency`. Parallel edges
    /// are kept: each may carry its own span.
    pub fn add_edge(&mut self, dependency: NodeId, dependent: NodeId, e: E) {
        self.graph.add_edge(dependency, dependent, e);
    }

    pub fn node(&self, id: NodeId) -> &N {
        &self.graph[id]
    }

    pub fn len(&self) -> usize {
        self.graph.node_count()
    }

    pub fn is_empty(&self) -> bool {
        self.graph.node_count() == 0
    }

    pub fn ids(&self) -> impl Iterator<Item = NodeId> {
        self.graph.node_indices()
    }

    /// What `id` depends on, without repeats.
    pub fn dependencies(&self, id: NodeId) -> Vec<NodeId> {
        self.neighbors(id, Direction::Incoming)
    }

    /// What depends on `id`, without repeats.
    pub fn dependents(&self, id: NodeId) -> Vec<NodeId> {
        self.neighbors(id, Direction::Outgoing)
    }

    fn neighbors(&self, id: NodeId, dir: Direction) -> Vec<NodeId> {
        let mut out: Vec<NodeId> = self.graph.neighbors_directed(id, dir).collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Every node, dependencies before dependents, ties broken by
    /// insertion order; or a cycle.
    pub fn toposort(&self) -> Result<Vec<NodeId>, Cycle<'_, N, E>> {
        let n = self.graph.node_count();
        let mut indegree = vec![0usize; n];
        for e in self.graph.edge_references() {
            indegree[e.target().index()] += 1;
        }
        // Kahn's algorithm with a queue keeps the order stable and linear.
        let mut queue: std::collections::VecDeque<NodeId> = self
            .graph
            .node_indices()
            .filter(|i| indegree[i.index()] == 0)
            .collect();
        let mut order = Vec::with_capacity(n);
        while let Some(id) = queue.pop_front() {
            order.push(id);
            for e in self.graph.edges_directed(id, Direction::Outgoing) {
                let t = e.target().index();
                indegree[t] -= 1;
                if indegree[t] == 0 {
                    queue.push_back(e.target());
                }
            }
        }
        if order.len() == n {
            Ok(order)
        } else {
            Err(self.find_cycle())
        }
    }

    /// One cycle of the graph; only called when there is one.
    fn find_cycle(&self) -> Cycle<'_, N, E> {
        for scc in tarjan_scc(&self.graph) {
            let self_loop = scc.len() == 1 && self.graph.find_edge(scc[0], scc[0]).is_some();
            if scc.len() < 2 && !self_loop {
                continue;
            }
            let members: std::collections::HashSet<NodeId> = scc.iter().copied().collect();
            // Walk inside the component until a node repeats.
            let start = *scc.iter().min().expect("components are not empty");
            let mut path: Vec<(NodeId, petgraph::graph::EdgeIndex<u32>)> = Vec::new();
            let mut seen = std::collections::HashMap::new();
            let mut at = start;
            loop {
                if let Some(&pos) = seen.get(&at) {
                    let steps = path[pos..]
                        .iter()
                        .map(|(node, edge)| (&self.graph[*node], &self.graph[*edge]))
                        .collect();
                    return Cycle { steps };
                }
                seen.insert(at, path.len());
                let edge = self
                    .graph
                    .edges_directed(at, Direction::Outgoing)
                    .filter(|e| members.contains(&e.target()))
                    .min_by_key(|e| e.target())
                    .expect("every node of a cycle has an edge inside it");
                path.push((at, edge.id()));
                at = edge.target();
            }
        }
        Cycle { steps: Vec::new() }
    }

    /// DOT as `terraform graph` draws it: `rankdir = "RL"`, one
    /// `cluster_NAME` subgraph per cluster with its nodes sorted by id,
    /// then the edges from each dependent to its nearest drawn
    /// dependencies. Nodes `draw` gives no [`DotNode`] are looked through.
    pub fn to_dot(&self, draw: impl Fn(&N) -> Option<DotNode>) -> String {
        let mut clusters: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        let mut edges = BTreeSet::new();
        for id in self.graph.node_indices() {
            let Some(node) = draw(&self.graph[id]) else {
                continue;
            };
            for dep in self.nearest_kept(id, |n| draw(n).is_some()) {
                if let Some(d) = draw(&self.graph[dep]) {
                    edges.insert((node.id.clone(), d.id));
                }
            }
            clusters
                .entry(node.cluster)
                .or_default()
                .insert(node.id, node.label);
        }
        let mut out = String::new();
        out.push_str("digraph G {\n  rankdir = \"RL\";\n");
        out.push_str("  node [shape = rect, fontname = \"sans-serif\"];\n");
        for (cluster, nodes) in &clusters {
            let _ = writeln!(out, "  subgraph {:?} {{", format!("cluster_{cluster}"));
            let _ = writeln!(out, "    label = {cluster:?}");
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

    /// The nearest dependencies of `id` that `keep` selects, looking
    /// through the ones it does not.
    pub fn nearest_kept(&self, id: NodeId, keep: impl Fn(&N) -> bool) -> Vec<NodeId> {
        let mut out = Vec::new();
        let mut stack = self.dependencies(id);
        let mut seen = std::collections::HashSet::new();
        while let Some(d) = stack.pop() {
            if !seen.insert(d) {
                continue;
            }
            if keep(&self.graph[d]) {
                out.push(d);
            } else {
                stack.extend(self.dependencies(d));
            }
        }
        out.sort_unstable();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_dependencies_first() {
        let mut g: Dag<&str, ()> = Dag::default();
        let a = g.add_node("a");
        let b = g.add_node("b");
        let c = g.add_node("c");
        g.add_edge(c, a, ());
        g.add_edge(b, a, ());
        let order: Vec<&str> = g
            .toposort()
            .unwrap()
            .into_iter()
            .map(|i| *g.node(i))
            .collect();
        assert_eq!(order, ["b", "c", "a"]);
    }

    #[test]
    fn reports_every_step_of_a_cycle() {
        let mut g: Dag<&str, &str> = Dag::default();
        let a = g.add_node("a");
        let b = g.add_node("b");
        let c = g.add_node("c");
        let d = g.add_node("d");
        g.add_edge(d, a, "d→a");
        g.add_edge(a, b, "a→b");
        g.add_edge(b, c, "b→c");
        g.add_edge(c, a, "c→a");
        let cycle = g.toposort().unwrap_err();
        let steps: Vec<String> = cycle
            .steps
            .iter()
            .map(|(n, e)| format!("{n}:{e}"))
            .collect();
        assert_eq!(steps, ["a:a→b", "b:b→c", "c:c→a"]);
    }

    #[test]
    fn dot_looks_through_hidden_nodes() {
        let mut g: Dag<&str, ()> = Dag::default();
        let a = g.add_node("a");
        let hidden = g.add_node("_h");
        let b = g.add_node("b");
        g.add_edge(a, hidden, ());
        g.add_edge(hidden, b, ());
        let dot = g.to_dot(|n| {
            (!n.starts_with('_')).then(|| DotNode {
                cluster: "c".into(),
                id: n.to_string(),
                label: n.to_string(),
            })
        });
        // b depends on a (through _h): drawn from dependent to dependency.
        assert!(dot.contains("\"b\" -> \"a\";"), "{dot}");
        assert!(!dot.contains("_h"));
    }
}
