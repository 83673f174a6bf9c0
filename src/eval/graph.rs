//! The dependency graph of a project: one node per configuration's inputs,
//! variable, local value, resource and output, for every configuration;
//! an edge per reference or `depends_on`.
//!
//! Building it checks every reference (an undeclared variable, resource or
//! output is a diagnostic with a hint) and reports cycles step by step.
//! The same graph serves every environment: environments change values,
//! not structure.

use crate::address::{Mode, ResourceAddr};
use crate::config::{Architecture, Expr, Names, Project, Reference};
use crate::diag::{Diagnostic, Diagnostics, Span, did_you_mean};
use crate::graph::{Dag, NodeId};
use crate::ids::{ConfigId, InputId, LocalId, OutputId, ResourceId, VariableId};
use std::collections::HashMap;

/// A node: indices into the project's configurations and their
/// architecture's blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Node {
    /// Input `i` of configuration `c` (`inputs = { name = … }`), evaluated
    /// in the project's scope. One node per input, so that configurations
    /// can pass values back and forth without a false cycle.
    Input(ConfigId, InputId),
    Variable(ConfigId, VariableId),
    Local(ConfigId, LocalId),
    Resource(ConfigId, ResourceId),
    Output(ConfigId, OutputId),
}

impl Node {
    /// The configuration the node belongs to.
    pub fn config(self) -> ConfigId {
        match self {
            Node::Input(c, _)
            | Node::Variable(c, _)
            | Node::Local(c, _)
            | Node::Resource(c, _)
            | Node::Output(c, _) => c,
        }
    }
}

/// The project's dependency graph.
pub struct ProjectGraph<'p> {
    pub project: &'p Project,
    pub dag: Dag<Node, Span>,
    /// Dependencies before dependents.
    pub order: Vec<NodeId>,
    ids: foldhash::HashMap<Node, NodeId>,
}

/// Where a reference was made: which configuration, and whether inside a
/// resource with `count` or `for_each`.
#[derive(Clone, Copy)]
struct Site {
    config: ConfigId,
    count: bool,
    for_each: bool,
    /// Inside `count` or `for_each` themselves.
    expansion: bool,
    /// In a postcondition, where `self` is the resource's own object.
    this: bool,
}

impl<'p> ProjectGraph<'p> {
    /// Builds the graph; the diagnostics say what references are wrong
    /// and which cycles exist.
    pub fn build(project: &'p Project) -> (ProjectGraph<'p>, Diagnostics) {
        let mut g = ProjectGraph {
            project,
            dag: Dag::default(),
            order: Vec::new(),
            ids: Default::default(),
        };
        let mut diags = Diagnostics::default();
        for (c, conf) in project.configurations.iter_enumerated() {
            let arch = project.architecture_of(conf);
            conf.inputs.keys().for_each(|i| g.add(Node::Input(c, i)));
            arch.variables
                .keys()
                .for_each(|v| g.add(Node::Variable(c, v)));
            arch.locals.keys().for_each(|l| g.add(Node::Local(c, l)));
            arch.resources
                .keys()
                .for_each(|r| g.add(Node::Resource(c, r)));
            arch.outputs.keys().for_each(|o| g.add(Node::Output(c, o)));
        }
        for (c, conf) in project.configurations.iter_enumerated() {
            g.link_configuration(c, &mut diags);
            let arch = project.architecture_of(conf);
            let plain = Site {
                config: c,
                count: false,
                for_each: false,
                expansion: false,
                this: false,
            };
            let expansion = Site {
                expansion: true,
                ..plain
            };
            for (i, v) in arch.variables.iter_enumerated() {
                if let Some(input) = conf.inputs.position(|x| x.name == v.name) {
                    g.dag.add_edge(
                        g.ids[&Node::Input(c, input)],
                        g.ids[&Node::Variable(c, i)],
                        v.span,
                    );
                }
                if let Some(d) = &v.default
                    && let Some(r) = d.references().first()
                {
                    diags.push(
                        Diagnostic::error(
                            "config::default_not_constant",
                            "a variable's default cannot refer to other values",
                        )
                        .label(r.span, "reference")
                        .help("pass computed values through the configuration's inputs instead"),
                    );
                }
            }
            for (i, l) in arch.locals.iter_enumerated() {
                g.link_expr(Node::Local(c, i), &l.expr, plain, &mut diags);
            }
            for (i, r) in arch.resources.iter_enumerated() {
                let node = Node::Resource(c, i);
                for e in r.count.iter().chain(&r.for_each) {
                    g.link_expr(node, e, expansion, &mut diags);
                }
                let site = Site {
                    count: r.count.is_some(),
                    for_each: r.for_each.is_some(),
                    ..plain
                };
                for a in &r.attrs {
                    g.link_expr(node, &a.expr, site, &mut diags);
                }
                for d in &r.depends_on {
                    g.link_depends_on(node, d, c, &mut diags);
                }
                for t in &r.lifecycle.replace_triggered_by {
                    g.link_expr(node, t, site, &mut diags);
                }
                for cond in &r.lifecycle.preconditions {
                    g.link_expr(node, &cond.condition, site, &mut diags);
                    g.link_expr(node, &cond.error_message, site, &mut diags);
                }
                let post = Site { this: true, ..site };
                for cond in &r.lifecycle.postconditions {
                    g.link_expr(node, &cond.condition, post, &mut diags);
                    g.link_expr(node, &cond.error_message, post, &mut diags);
                }
            }
            // Checks run once everything else is planned or applied: their
            // references are checked, and add no edges.
            for check in &arch.checks {
                for a in &check.asserts {
                    for e in [&a.condition, &a.error_message] {
                        for r in e.references() {
                            g.arch_ref(&r, plain, &mut diags);
                        }
                    }
                }
            }
            for (i, o) in arch.outputs.iter_enumerated() {
                g.link_expr(Node::Output(c, i), &o.value, plain, &mut diags);
                for cond in &o.preconditions {
                    g.link_expr(Node::Output(c, i), &cond.condition, plain, &mut diags);
                    g.link_expr(Node::Output(c, i), &cond.error_message, plain, &mut diags);
                }
                for d in &o.depends_on {
                    g.link_depends_on(Node::Output(c, i), d, c, &mut diags);
                }
            }
        }
        tracing::debug!(
            nodes = g.dag.len(),
            problems = diags.len(),
            "built the project graph"
        );
        match g.dag.toposort() {
            Ok(order) => g.order = order,
            Err(cycle) => {
                let mut d = Diagnostic::error(
                    "graph::cycle",
                    format!(
                        "dependency cycle: {}",
                        cycle
                            .steps
                            .iter()
                            .map(|(n, _)| g.describe(**n))
                            .chain(cycle.steps.first().map(|(n, _)| g.describe(**n)))
                            .collect::<Vec<_>>()
                            .join(" → ")
                    ),
                );
                for (n, span) in &cycle.steps {
                    d = d.label(**span, format!("{} is used here", g.describe(**n)));
                }
                diags.push(d.help("break the cycle by removing one of these references"));
            }
        }
        (g, diags)
    }

    fn add(&mut self, n: Node) {
        let id = self.dag.add_node(n);
        self.ids.insert(n, id);
    }

    /// The node id of `n`.
    pub fn id(&self, n: Node) -> NodeId {
        self.ids[&n]
    }

    pub fn node(&self, id: NodeId) -> Node {
        *self.dag.node(id)
    }

    /// The configuration named `name`.
    pub fn config_id(&self, name: &str) -> Option<ConfigId> {
        self.project.configurations.position(|c| c.name == name)
    }

    /// The architecture of configuration `c`.
    pub fn arch(&self, c: ConfigId) -> &'p Architecture {
        self.project
            .architecture_of(&self.project.configurations[c])
    }

    /// Name maps of configuration `c`'s architecture.
    pub fn names_of(&self, c: ConfigId) -> &'p Names {
        &self.arch(c).names
    }

    /// The address of resource `r` of configuration `c`.
    pub fn resource_addr(&self, c: ConfigId, r: ResourceId) -> ResourceAddr {
        let res = &self.arch(c).resources[r];
        ResourceAddr {
            config: self.project.configurations[c].name.clone(),
            mode: res.mode,
            type_name: res.type_name.clone(),
            name: res.name.clone(),
        }
    }

    /// How a node is named in messages: `network/var.cidr`.
    pub fn describe(&self, n: Node) -> String {
        let conf = &self.project.configurations[n.config()].name;
        let arch = self.arch(n.config());
        match n {
            Node::Input(c, i) => format!(
                "configuration.{conf}.inputs.{}",
                self.project.configurations[c].inputs[i].name
            ),
            Node::Variable(_, i) => format!("{conf}/var.{}", arch.variables[i].name),
            Node::Local(_, i) => format!("{conf}/local.{}", arch.locals[i].name),
            Node::Resource(_, i) => format!("{conf}/{}", arch.resources[i].key()),
            Node::Output(_, i) => format!("{conf}/output.{}", arch.outputs[i].name),
        }
    }

    /// For every resource node, the resources it depends on directly or
    /// through variables, locals, inputs and outputs.
    pub fn resource_dependencies(&self) -> HashMap<NodeId, Vec<NodeId>> {
        let mut through: HashMap<NodeId, Vec<NodeId>> = HashMap::new();
        let mut out = HashMap::new();
        for &id in &self.order {
            let mut deps: Vec<NodeId> = Vec::new();
            for d in self.dag.dependencies(id) {
                match self.node(d) {
                    Node::Resource(..) => deps.push(d),
                    _ => deps.extend(through.get(&d).into_iter().flatten().copied()),
                }
            }
            deps.sort_unstable();
            deps.dedup();
            match self.node(id) {
                Node::Resource(..) => {
                    out.insert(id, deps);
                }
                _ => {
                    through.insert(id, deps);
                }
            }
        }
        out
    }

    fn link_configuration(&mut self, c: ConfigId, diags: &mut Diagnostics) {
        let conf = &self.project.configurations[c];
        let names = &self.project.architectures[conf.architecture].names;
        for (i, input) in conf.inputs.iter_enumerated() {
            if !names.variables.contains_key(&input.name) {
                let arch = self.arch(c);
                let mut d = Diagnostic::error(
                    "config::unknown_input",
                    format!(
                        "architecture {} has no variable \"{}\"",
                        arch.source, input.name
                    ),
                )
                .label(input.span, "no such variable");
                d = d.help(
                    match did_you_mean(&input.name, arch.variables.iter().map(|v| v.name.as_str()))
                    {
                        Some(s) => format!("did you mean \"{s}\"?"),
                        None => format!(
                            "its variables are: {}",
                            arch.variables
                                .iter()
                                .map(|v| v.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    },
                );
                diags.push(d);
            }
            warn_differing_calls(&input.expr, diags);
            for r in input.expr.references() {
                for target in self.project_ref(&r, c, diags) {
                    self.dag
                        .add_edge(self.ids[&target], self.ids[&Node::Input(c, i)], r.span);
                }
            }
        }
    }

    /// Resolves a reference made in the project file (configuration inputs)
    /// to the nodes it depends on.
    fn project_ref(&self, r: &Reference, from: ConfigId, diags: &mut Diagnostics) -> Vec<Node> {
        self.project_ref_inner(r, from, diags).unwrap_or_default()
    }

    fn project_ref_inner(
        &self,
        r: &Reference,
        from: ConfigId,
        diags: &mut Diagnostics,
    ) -> Option<Vec<Node>> {
        let project = self.project;
        match r.root.as_str() {
            "var" => {
                match r.attr(0) {
                    Some(name) if project.variable(name).is_some() => {}
                    name => {
                        let help = match name.and_then(|n| {
                            did_you_mean(n, project.variables.iter().map(|v| v.name.as_str()))
                        }) {
                            Some(s) => format!("did you mean var.{s}?"),
                            None => format!(
                                "declare it in a project file: `variable \"{}\" {{ type = string }}`",
                                name.unwrap_or("NAME")
                            ),
                        };
                        diags.push(bad_ref(
                            r,
                            &format!(
                                "the project declares no variable \"{}\"",
                                name.unwrap_or_default()
                            ),
                            &help,
                        ));
                    }
                }
                None
            }
            "environment" => match r.attr(0) {
                Some("inputs") | Some("name") => None,
                _ => {
                    diags.push(bad_ref(
                        r,
                        "environment has `inputs` and `name`",
                        "write environment.inputs.NAME or environment.name",
                    ));
                    None
                }
            },
            "path" => {
                if r.attr(0) != Some("root") {
                    diags.push(bad_ref(
                        r,
                        "only path.root is available in the project file",
                        "use path.root",
                    ));
                }
                None
            }
            "configuration" => {
                let Some(name) = r.attr(0) else {
                    diags.push(bad_ref(
                        r,
                        "name a configuration",
                        "write configuration.NAME.outputs.OUTPUT",
                    ));
                    return None;
                };
                let Some(target) = self.config_id(name) else {
                    if project.unusable.iter().any(|u| u == name) {
                        return None;
                    }
                    let help = match did_you_mean(
                        name,
                        project.configurations.iter().map(|c| c.name.as_str()),
                    ) {
                        Some(s) => format!("did you mean \"{s}\"?"),
                        None => "declare it with a configuration block".to_string(),
                    };
                    diags.push(bad_ref(
                        r,
                        &format!("there is no configuration \"{name}\""),
                        &help,
                    ));
                    return None;
                };
                if target == from {
                    diags.push(bad_ref(
                        r,
                        "a configuration cannot use its own outputs as inputs",
                        "compute the value inside the architecture",
                    ));
                    return None;
                }
                if r.attr(1) != Some("outputs") {
                    diags.push(bad_ref(
                        r,
                        "a configuration exposes only its outputs",
                        &format!("write configuration.{name}.outputs.OUTPUT"),
                    ));
                    return None;
                }
                let arch = self.arch(target);
                let Some(out) = r.attr(2) else {
                    // The whole outputs object: depend on every output.
                    return Some(
                        arch.outputs
                            .keys()
                            .map(|o| Node::Output(target, o))
                            .collect(),
                    );
                };
                match self.names_of(target).outputs.get(out) {
                    Some(&o) => Some(vec![Node::Output(target, o)]),
                    None => {
                        let help =
                            match did_you_mean(out, arch.outputs.iter().map(|o| o.name.as_str())) {
                                Some(s) => format!("did you mean \"{s}\"?"),
                                None => format!(
                                    "add `output \"{out}\" {{ value = … }}` to {}",
                                    arch.source
                                ),
                            };
                        diags.push(bad_ref(
                            r,
                            &format!("configuration \"{name}\" has no output \"{out}\""),
                            &help,
                        ));
                        None
                    }
                }
            }
            other => {
                let help = match did_you_mean(other, ["environment", "configuration", "path", "var"]) {
                    Some(s) => format!("did you mean \"{s}\"?"),
                    None => "the project file can refer to var.NAME, environment.inputs, configuration.NAME.outputs and path.root".into(),
                };
                diags.push(bad_ref(r, &format!("unknown reference \"{other}\""), &help));
                None
            }
        }
    }

    fn link_expr(&mut self, node: Node, e: &Expr, site: Site, diags: &mut Diagnostics) {
        warn_differing_calls(e, diags);
        for r in e.references() {
            for target in self.arch_ref(&r, site, diags) {
                let from = self.ids[&target];
                let to = self.ids[&node];
                if from == to && matches!(node, Node::Resource(..)) {
                    diags.push(bad_ref(
                        &r,
                        "a resource cannot refer to itself",
                        "use another resource or a local value",
                    ));
                    continue;
                }
                self.dag.add_edge(from, to, r.span);
            }
        }
    }

    fn link_depends_on(&mut self, node: Node, e: &Expr, c: ConfigId, diags: &mut Diagnostics) {
        let site = Site {
            config: c,
            count: false,
            for_each: false,
            expansion: false,
            this: false,
        };
        for r in e.references() {
            for target in self.arch_ref(&r, site, diags) {
                self.dag
                    .add_edge(self.ids[&target], self.ids[&node], r.span);
            }
        }
    }

    /// Resolves a reference made inside an architecture. Returns the nodes
    /// it depends on (none for `count.index`, `path.module`…).
    fn arch_ref(&self, r: &Reference, site: Site, diags: &mut Diagnostics) -> Vec<Node> {
        let c = site.config;
        let arch = self.arch(c);
        let names = self.names_of(c);
        let lookup = |kind: &str,
                      found: &dyn Fn(&str) -> Option<Node>,
                      candidates: Vec<&str>,
                      diags: &mut Diagnostics|
         -> Option<Node> {
            let Some(name) = r.attr(0) else {
                diags.push(bad_ref(
                    r,
                    &format!("`{}` needs a name", r.root),
                    &format!("write {}.NAME", r.root),
                ));
                return None;
            };
            match found(name) {
                Some(n) => Some(n),
                None => {
                    let help = match did_you_mean(name, candidates) {
                        Some(s) => format!("did you mean {}.{s}?", r.root),
                        None => format!("declare it in {}", arch.source),
                    };
                    diags.push(bad_ref(r, &format!("there is no {kind} \"{name}\""), &help));
                    None
                }
            }
        };
        match r.root.as_str() {
            "var" => lookup(
                "variable",
                &|n| names.variables.get(n).map(|&v| Node::Variable(c, v)),
                arch.variables.iter().map(|v| v.name.as_str()).collect(),
                diags,
            )
            .into_iter()
            .collect(),
            "local" => lookup(
                "local value",
                &|n| names.locals.get(n).map(|&l| Node::Local(c, l)),
                arch.locals.iter().map(|v| v.name.as_str()).collect(),
                diags,
            )
            .into_iter()
            .collect(),
            "count" | "each" if site.expansion => {
                diags.push(bad_ref(
                    r,
                    "count and for_each cannot use count.index or each",
                    "compute the value from variables or locals",
                ));
                Vec::new()
            }
            "count" => {
                if !site.count {
                    diags.push(bad_ref(
                        r,
                        "count.index is only available in a resource with count",
                        "add `count = N` to the resource",
                    ));
                } else if r.attr(0) != Some("index") {
                    diags.push(bad_ref(r, "count has only `index`", "write count.index"));
                }
                Vec::new()
            }
            "each" => {
                if !site.for_each {
                    diags.push(bad_ref(
                        r,
                        "each is only available in a resource with for_each",
                        "add `for_each = …` to the resource",
                    ));
                } else if !matches!(r.attr(0), Some("key") | Some("value")) {
                    diags.push(bad_ref(
                        r,
                        "each has `key` and `value`",
                        "write each.key or each.value",
                    ));
                }
                Vec::new()
            }
            "path" => {
                if !matches!(r.attr(0), Some("module") | Some("root")) {
                    diags.push(bad_ref(
                        r,
                        "path has `module` and `root`",
                        "write path.module or path.root",
                    ));
                }
                Vec::new()
            }
            "data" => {
                let (Some(t), Some(n)) = (r.attr(0), r.attr(1)) else {
                    diags.push(bad_ref(
                        r,
                        "a data reference names a type and a name",
                        "write data.TYPE.NAME",
                    ));
                    return Vec::new();
                };
                match names
                    .resources
                    .get(&(Mode::Data, t.to_string(), n.to_string()))
                {
                    Some(&i) => vec![Node::Resource(c, i)],
                    None => {
                        diags.push(bad_ref(
                            r,
                            &format!("there is no data block data.{t}.{n}"),
                            &format!("declare `data \"{t}\" \"{n}\" {{ … }}`"),
                        ));
                        Vec::new()
                    }
                }
            }
            "self" if site.this => Vec::new(),
            "self" => {
                diags.push(bad_ref(
                    r,
                    "`self` is only available in a postcondition",
                    "in a postcondition, self is the resource's own object; elsewhere name the resource, e.g. terrace_data.a.output",
                ));
                Vec::new()
            }
            "terraform" | "module" => {
                diags.push(bad_ref(
                    r,
                    &format!("`{}` is not available in terrace", r.root),
                    "see docs/language.md for the references an architecture can use",
                ));
                Vec::new()
            }
            "environment" | "configuration" => {
                diags.push(bad_ref(
                    r,
                    &format!("`{}` is only available in the project file", r.root),
                    "pass the value to the architecture through the configuration's inputs and read it as var.NAME",
                ));
                Vec::new()
            }
            type_name => {
                let Some(name) = r.attr(0) else {
                    diags.push(bad_ref(r, &format!("unknown reference \"{type_name}\""), "references are var.NAME, local.NAME, TYPE.NAME, data.TYPE.NAME, count.index, each.key, each.value and path.module"));
                    return Vec::new();
                };
                match names
                    .resources
                    .get(&(Mode::Managed, type_name.to_string(), name.to_string()))
                {
                    Some(&i) => vec![Node::Resource(c, i)],
                    None => {
                        let candidates: Vec<String> = arch
                            .resources
                            .iter()
                            .filter(|x| x.mode == Mode::Managed)
                            .map(|x| x.key())
                            .collect();
                        let wanted = format!("{type_name}.{name}");
                        // `resource "terraform_data" "x"` referred to as
                        // terrace_data.x: the block's type is the typo, so do
                        // not suggest the misspelt address.
                        let same_name = arch.resources.iter().find(|x| {
                            x.mode == Mode::Managed && x.name == name && x.type_name != type_name
                        });
                        let help = if let Some(x) = same_name {
                            format!(
                                "resource \"{name}\" is declared with type \"{}\"; if \"{type_name}\" is the type you meant, write `resource \"{type_name}\" \"{name}\"` there",
                                x.type_name
                            )
                        } else {
                            match did_you_mean(&wanted, candidates.iter().map(String::as_str)) {
                                Some(s) => format!("did you mean {s}?"),
                                None if ["var", "local"]
                                    .iter()
                                    .any(|k| did_you_mean(type_name, [*k]).is_some()) =>
                                {
                                    format!(
                                        "did you mean {}.{name}?",
                                        did_you_mean(type_name, ["var", "local"]).unwrap_or("var")
                                    )
                                }
                                None => format!(
                                    "declare `resource \"{type_name}\" \"{name}\" {{ … }}` in {}",
                                    arch.source
                                ),
                            }
                        };
                        diags.push(bad_ref(r, &format!("there is no resource {wanted}"), &help));
                        Vec::new()
                    }
                }
            }
        }
    }
}

fn bad_ref(r: &Reference, message: &str, help: &str) -> Diagnostic {
    Diagnostic::error("config::invalid_reference", message.to_string())
        .label(r.span, "this reference")
        .help(help.to_string())
}

/// A warning for each call of a function whose value is not Terraform's.
fn warn_differing_calls(e: &Expr, diags: &mut Diagnostics) {
    for (name, span) in e.calls() {
        if let Some((_, how)) = super::functions::DIFFERS_FROM_TERRAFORM
            .iter()
            .find(|(n, _)| *n == name)
        {
            diags.push(
                Diagnostic::warning(
                    "eval::differs_from_terraform",
                    format!("{name}: {how}"),
                )
                .label(span, "here")
                .help("see docs/language.md §11; compare decompressed values when moving state from Terraform"),
            );
        }
    }
}
