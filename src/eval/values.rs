//! The values of one environment: evaluated inputs, variables, locals,
//! resources and outputs of every configuration, filled in as a walk over
//! the [`ProjectGraph`] reaches each node.
//!
//! The plan walk fills resources with planned values (unknown where only
//! apply can tell); the apply walk fills them with what providers returned.

use super::convert::convert;
use super::expr::{EvalError, Evaluator, Resolver, describe};
use super::graph::{Node, ProjectGraph};
use super::ops;
use super::types::{Kind, kind_of};
use crate::address::InstanceKey;
use crate::config::Architecture;
use crate::config::{Environment, Expr};
use crate::diag::{Diagnostic, Diagnostics, Span, did_you_mean, display_name};
use crate::graph::NodeId;
use crate::ids::{ConfigId, IdVec, InputId, LocalId, OutputId, ResourceId, VariableId};
use crate::value::{Map, Value};

/// One instance of a resource before evaluation: its key, and `each.value`.
#[derive(Debug, Clone)]
pub struct Instance {
    pub key: Option<InstanceKey>,
    pub each_value: Option<Value>,
}

/// One value per block of kind `I` (variables, locals, …), per configuration.
type PerConfig<I> = IdVec<ConfigId, IdVec<I, Value>>;

/// A [`PerConfig`] table of unknowns: `len` rows for each configuration's
/// architecture.
fn unknowns<I>(graph: &ProjectGraph<'_>, len: impl Fn(&Architecture) -> usize) -> PerConfig<I> {
    graph
        .project
        .configurations
        .keys()
        .map(|c| IdVec::from(vec![Value::Unknown; len(graph.arch(c))]))
        .collect()
}

/// Values of one environment.
pub struct EnvValues<'g, 'p> {
    pub graph: &'g ProjectGraph<'p>,
    pub env: &'p Environment,
    /// The project's own variables, set for this run.
    project_vars: Map,
    env_inputs: Map,
    inputs: IdVec<ConfigId, Map>,
    variables: PerConfig<VariableId>,
    locals: PerConfig<LocalId>,
    resources: PerConfig<ResourceId>,
    outputs: PerConfig<OutputId>,
    planning: bool,
    /// The plan's time, for `plantimestamp()`: when a plan is made, now;
    /// when one is applied, the time it was made.
    plan_time: jiff::Timestamp,
}

impl<'g, 'p> EnvValues<'g, 'p> {
    /// Starts an environment's evaluation: its own inputs are evaluated
    /// now, with `project_vars` (see [`super::project_variables`]) as
    /// `var.NAME`.
    pub fn new(
        graph: &'g ProjectGraph<'p>,
        env: &'p Environment,
        project_vars: &Map,
        plan_time: jiff::Timestamp,
    ) -> Result<EnvValues<'g, 'p>, Diagnostics> {
        let project = graph.project;
        let mut diags = Diagnostics::default();
        let mut env_inputs = Map::new();
        let ev = Evaluator {
            resolver: &super::variables::ProjectVars { vars: project_vars },
            base_dir: &project.root,
            planning: true,
            plan_time,
        };
        for input in &env.inputs {
            match ev.eval(&input.expr) {
                Ok(v) => {
                    env_inputs.insert(input.name.clone(), v);
                }
                Err(e) => diags.push(e.into_diagnostic()),
            }
        }
        if diags.has_errors() {
            return Err(diags);
        }
        Ok(EnvValues {
            graph,
            env,
            project_vars: project_vars.clone(),
            env_inputs,
            inputs: project.configurations.keys().map(|_| Map::new()).collect(),
            variables: unknowns(graph, |a| a.variables.len()),
            locals: unknowns(graph, |a| a.locals.len()),
            resources: unknowns(graph, |a| a.resources.len()),
            outputs: unknowns(graph, |a| a.outputs.len()),
            planning: true,
            plan_time,
        })
    }

    /// The project's own variables (`var.NAME` in the project files), as
    /// set for this run.
    pub fn project_vars(&self) -> &Map {
        &self.project_vars
    }

    /// The time `plantimestamp()` gives.
    pub fn plan_time(&self) -> jiff::Timestamp {
        self.plan_time
    }

    /// From now on, evaluate for apply: `timestamp()` and `uuid()` take
    /// their values.
    pub fn for_apply(mut self) -> Self {
        self.planning = false;
        self
    }

    fn evaluator<'a>(&'a self, resolver: &'a dyn Resolver) -> Evaluator<'a> {
        Evaluator {
            resolver,
            base_dir: &self.graph.project.root,
            planning: self.planning,
            plan_time: self.plan_time,
        }
    }

    /// Evaluates a node that is not a resource. On error the node's value
    /// becomes unknown, so that dependents do not report the same problem.
    pub fn eval_node(&mut self, id: NodeId) -> Result<(), Diagnostics> {
        let node = self.graph.node(id);
        let result = match node {
            Node::Input(c, i) => self.eval_input(c, i),
            Node::Variable(c, v) => self.eval_variable(c, v),
            Node::Local(c, l) => {
                let expr = &self.graph.arch(c).locals[l].expr;
                self.eval_in(c, None, expr)
                    .map(|v| self.locals[c][l] = v)
                    .map_err(|e| e.into_diagnostic().into())
            }
            Node::Output(c, o) => self.eval_output(c, o),
            Node::Resource(..) => Ok(()),
        };
        if result.is_err() {
            self.set_unknown(node);
        }
        result
    }

    fn set_unknown(&mut self, node: Node) {
        match node {
            Node::Input(c, i) => {
                let name = self.graph.project.configurations[c].inputs[i].name.clone();
                self.inputs[c].insert(name, Value::Unknown);
            }
            Node::Variable(c, i) => self.variables[c][i] = Value::Unknown,
            Node::Local(c, i) => self.locals[c][i] = Value::Unknown,
            Node::Resource(c, i) => self.resources[c][i] = Value::Unknown,
            Node::Output(c, i) => self.outputs[c][i] = Value::Unknown,
        }
    }

    fn eval_input(&mut self, c: ConfigId, i: InputId) -> Result<(), Diagnostics> {
        let input = &self.graph.project.configurations[c].inputs[i];
        let scope = ProjectScope { values: self };
        let v = self
            .evaluator(&scope)
            .eval(&input.expr)
            .map_err(|e| Diagnostics::from(e.into_diagnostic()))?;
        self.inputs[c].insert(input.name.clone(), v);
        Ok(())
    }

    fn eval_variable(&mut self, c: ConfigId, i: VariableId) -> Result<(), Diagnostics> {
        let project = self.graph.project;
        let conf = &project.configurations[c];
        let var = &self.graph.arch(c).variables[i];
        // A configuration's own inputs win over the environment's.
        let (raw, span): (Value, Span) = if let Some(v) = self.inputs[c].get(&var.name) {
            let span = conf
                .inputs
                .iter()
                .find(|x| x.name == var.name)
                .map_or(conf.span, |x| x.expr.span);
            (v.clone(), span)
        } else if let Some(v) = self.env_inputs.get(&var.name) {
            let span = self
                .env
                .inputs
                .iter()
                .find(|x| x.name == var.name)
                .map_or(self.env.span, |x| x.expr.span);
            (v.clone(), span)
        } else if let Some(d) = &var.default {
            let ev = self.evaluator(&Constant);
            (
                ev.eval(d)
                    .map_err(|e| Diagnostics::from(e.into_diagnostic()))?,
                d.span,
            )
        } else {
            return Err(Diagnostic::error(
                "config::missing_input",
                format!(
                    "configuration \"{}\" needs a value for variable \"{}\" in environment \"{}\"",
                    conf.name, var.name, self.env.name
                ),
            )
            .label(conf.span, "this configuration")
            .label(var.span, "declared here without a default")
            .help(format!(
                "add `{} = …` to the configuration's inputs, or to environment \"{}\"'s inputs",
                var.name, self.env.name
            ))
            .into());
        };
        let what = format!(
            "variable \"{}\" of configuration \"{}\" in environment \"{}\"",
            var.name, conf.name, self.env.name
        );
        let value = checked_variable(&self.evaluator(&Constant), var, raw, span, &what)?;
        self.variables[c][i] = value;
        Ok(())
    }

    fn eval_output(&mut self, c: ConfigId, o: OutputId) -> Result<(), Diagnostics> {
        let out = &self.graph.arch(c).outputs[o];
        let v = self
            .eval_in(c, None, &out.value)
            .map_err(|e| Diagnostics::from(e.into_diagnostic()))?;
        if v.contains_sensitive() && !out.sensitive {
            return Err(Diagnostic::error("config::sensitive_output", format!("output \"{}\" contains a sensitive value", out.name))
                .label(out.value.span, "this value is sensitive")
                .help("add `sensitive = true` to the output block, or wrap the value in nonsensitive() if it is safe to show")
                .into());
        }
        self.outputs[c][o] = v.mark_if(out.sensitive);
        Ok(())
    }

    /// Evaluates an expression of configuration `c`, optionally inside one
    /// instance of a resource (for `count.index` and `each`).
    pub fn eval_in(
        &self,
        c: ConfigId,
        instance: Option<&Instance>,
        e: &Expr,
    ) -> Result<Value, EvalError> {
        let scope = ArchScope {
            values: self,
            config: c,
            instance,
            this: None,
        };
        self.evaluator(&scope).eval(e)
    }

    /// Like [`EnvValues::eval_in`], with `self` bound to `this` (an
    /// instance's own object, in a postcondition).
    pub fn eval_with_self(
        &self,
        c: ConfigId,
        instance: Option<&Instance>,
        this: &Value,
        e: &Expr,
    ) -> Result<Value, EvalError> {
        let scope = ArchScope {
            values: self,
            config: c,
            instance,
            this: Some(this),
        };
        self.evaluator(&scope).eval(e)
    }

    /// Evaluates an expression in the project file's scope (`var.NAME`,
    /// `environment.…`, `configuration.NAME.outputs.…`, `path.root`).
    pub fn eval_project(&self, e: &Expr) -> Result<Value, EvalError> {
        let scope = ProjectScope { values: self };
        self.evaluator(&scope).eval(e)
    }

    /// The instances of resource `r`: one, or as many as `count` or
    /// `for_each` say. Those must be known when planning.
    pub fn expand(&self, c: ConfigId, r: ResourceId) -> Result<Vec<Instance>, Diagnostic> {
        let res = &self.graph.arch(c).resources[r];
        let unknown_help = "count and for_each must be known when planning: compute them from variables and locals, not from resource attributes";
        if let Some(e) = &res.count {
            let (v, marked) = self
                .eval_in(c, None, e)
                .map_err(EvalError::into_diagnostic)?
                .into_unmarked();
            if marked {
                return Err(Diagnostic::error(
                    "eval::sensitive_count",
                    "count cannot be sensitive",
                )
                .label(e.span, "sensitive"));
            }
            if v.is_unknown() {
                return Err(Diagnostic::error(
                    "eval::unknown_count",
                    "count is not known until apply",
                )
                .label(e.span, "here")
                .help(unknown_help));
            }
            let n = ops::to_number(&v)
                .ok()
                .and_then(|n| n.as_i64())
                .filter(|n| (0..=1_000_000).contains(n))
                .ok_or_else(|| {
                    Diagnostic::error(
                        "eval::invalid_count",
                        format!(
                            "count must be a whole number from 0 to 1000000, got {}",
                            describe(&v)
                        ),
                    )
                    .label(e.span, "here")
                })?;
            return Ok((0..n)
                .map(|i| Instance {
                    key: Some(InstanceKey::Int(i)),
                    each_value: None,
                })
                .collect());
        }
        if let Some(e) = &res.for_each {
            let (v, marked) = self
                .eval_in(c, None, e)
                .map_err(EvalError::into_diagnostic)?
                .into_unmarked();
            if marked {
                return Err(Diagnostic::error(
                    "eval::sensitive_for_each",
                    "for_each cannot be sensitive: its keys would appear in addresses",
                )
                .label(e.span, "sensitive")
                .help("use nonsensitive() on the keys if they are safe to show"));
            }
            if !v.is_wholly_known() && !matches!(&v, Value::Object(_)) {
                return Err(Diagnostic::error(
                    "eval::unknown_for_each",
                    "for_each is not known until apply",
                )
                .label(e.span, "here")
                .help(unknown_help));
            }
            return match v {
                Value::Object(map) => Ok(map
                    .into_iter()
                    .map(|(k, v)| Instance {
                        key: Some(InstanceKey::Str(k)),
                        each_value: Some(v),
                    })
                    .collect()),
                Value::List(_)
                    if kind_of(
                        e,
                        &ArchScope {
                            values: self,
                            config: c,
                            instance: None,
                            this: None,
                        },
                    ) != Kind::Set =>
                {
                    Err(Diagnostic::error(
                        "eval::invalid_for_each",
                        "for_each needs a map or a set of strings, and this is a list",
                    )
                    .label(e.span, "a list")
                    .help("convert it with toset(…); as in Terraform, a list is not accepted because its order would decide the instances"))
                }
                Value::List(items) => {
                    let mut out: Vec<Instance> = Vec::with_capacity(items.len());
                    for item in items {
                        let Value::String(s) = item.unmark().0 else {
                            return Err(Diagnostic::error(
                                "eval::invalid_for_each",
                                format!(
                                    "for_each over a list needs strings, got {}",
                                    describe(&item)
                                ),
                            )
                            .label(e.span, "here")
                            .help("use a map, or toset([...]) of strings"));
                        };
                        if out
                            .iter()
                            .all(|i| i.key != Some(InstanceKey::Str(s.clone())))
                        {
                            out.push(Instance {
                                key: Some(InstanceKey::Str(s.clone())),
                                each_value: Some(Value::String(s.clone())),
                            });
                        }
                    }
                    out.sort_by(|a, b| a.key.cmp(&b.key));
                    Ok(out)
                }
                other => Err(Diagnostic::error(
                    "eval::invalid_for_each",
                    format!(
                        "for_each needs a map or a set of strings, got {}",
                        describe(&other)
                    ),
                )
                .label(e.span, "here")),
            };
        }
        Ok(vec![Instance {
            key: None,
            each_value: None,
        }])
    }

    /// Evaluates the arguments of one instance into an object.
    pub fn eval_instance(
        &self,
        c: ConfigId,
        r: ResourceId,
        inst: &Instance,
    ) -> Result<Value, Diagnostics> {
        let res = &self.graph.arch(c).resources[r];
        let mut diags = Diagnostics::default();
        let mut map = Map::new();
        for a in &res.attrs {
            match self.eval_in(c, Some(inst), &a.expr) {
                Ok(v) => {
                    map.insert(a.name.clone(), v);
                }
                Err(e) => diags.push(e.into_diagnostic()),
            }
        }
        if diags.is_empty() {
            Ok(Value::Object(map))
        } else {
            Err(diags)
        }
    }

    /// Records resource `r`'s instances, as references will see them: the
    /// object itself, a list (`count`) or a map (`for_each`).
    pub fn set_resource(
        &mut self,
        c: ConfigId,
        r: ResourceId,
        instances: Vec<(Option<InstanceKey>, Value)>,
    ) {
        let res = &self.graph.arch(c).resources[r];
        let value = if res.count.is_some() {
            Value::List(instances.into_iter().map(|(_, v)| v).collect())
        } else if res.for_each.is_some() {
            Value::Object(
                instances
                    .into_iter()
                    .filter_map(|(k, v)| match k {
                        Some(InstanceKey::Str(k)) => Some((k, v)),
                        _ => None,
                    })
                    .collect(),
            )
        } else {
            instances
                .into_iter()
                .next()
                .map(|(_, v)| v)
                .unwrap_or(Value::Null)
        };
        self.resources[c][r] = value;
    }

    /// Marks resource `r` as failed: references to it see an unknown value.
    pub fn fail_resource(&mut self, c: ConfigId, r: ResourceId) {
        self.resources[c][r] = Value::Unknown;
    }

    /// The value of output `o` of configuration `c`.
    pub fn output(&self, c: ConfigId, o: OutputId) -> &Value {
        &self.outputs[c][o]
    }
}

/// References in architectures.
struct ArchScope<'a, 'g, 'p> {
    values: &'a EnvValues<'g, 'p>,
    config: ConfigId,
    instance: Option<&'a Instance>,
    /// `self`, in a postcondition.
    this: Option<&'a Value>,
}

impl Resolver for ArchScope<'_, '_, '_> {
    fn kind_of_reference(&self, root: &str, attrs: &[&str]) -> Kind {
        let v = self.values;
        let c = self.config;
        let names = v.graph.names_of(c);
        let arch = v.graph.arch(c);
        match (root, attrs) {
            ("var", [name]) => names.variables.get(*name).map_or(Kind::Unknown, |&i| {
                Kind::of_type(&arch.variables[i].ty, &v.variables[c][i])
            }),
            ("local", [name]) => names
                .locals
                .get(*name)
                .map_or(Kind::Unknown, |&i| kind_of(&arch.locals[i].expr, self)),
            _ => Kind::Unknown,
        }
    }

    fn resolve(&self, root: &str, attrs: &[&str], span: Span) -> Result<(Value, usize), EvalError> {
        let v = self.values;
        let c = self.config;
        let names = v.graph.names_of(c);
        let missing = || {
            let what = match (root, attrs.first()) {
                ("var", Some(n)) => format!("there is no variable \"{n}\""),
                ("local", Some(n)) => format!("there is no local value \"{n}\""),
                _ => format!("unknown reference \"{root}\""),
            };
            EvalError::new(span, what)
        };
        match (root, attrs) {
            ("self", rest) if self.this.is_some() => {
                Ok(descend(self.this.unwrap_or(&Value::Null), rest, 0))
            }
            ("var", [name, rest @ ..]) => names
                .variables
                .get(*name)
                .map(|&i| descend(&v.variables[c][i], rest, 1))
                .ok_or_else(missing),
            ("local", [name, rest @ ..]) => names
                .locals
                .get(*name)
                .map(|&i| descend(&v.locals[c][i], rest, 1))
                .ok_or_else(missing),
            ("count", ["index", ..]) => match self.instance.and_then(|i| i.key.as_ref()) {
                Some(InstanceKey::Int(i)) => Ok((Value::int(*i), 1)),
                _ => Err(EvalError::new(
                    span,
                    "count.index is only available in a resource with count",
                )),
            },
            ("each", [which @ ("key" | "value"), ..]) => match self.instance {
                Some(Instance {
                    key: Some(InstanceKey::Str(k)),
                    each_value: Some(ev),
                }) => Ok((
                    if *which == "key" {
                        Value::String(k.clone())
                    } else {
                        ev.clone()
                    },
                    1,
                )),
                _ => Err(EvalError::new(
                    span,
                    "each is only available in a resource with for_each",
                )),
            },
            ("path", ["module", ..]) => {
                let project = v.graph.project;
                let dir = display_name(&v.graph.arch(c).dir, &project.root);
                Ok((Value::String(dir), 1))
            }
            ("path", ["root", ..]) => Ok((Value::string("."), 1)),
            ("data", [t, n, rest @ ..]) => names
                .resources
                .get(&(crate::address::Mode::Data, t.to_string(), n.to_string()))
                .map(|&i| descend(&v.resources[c][i], rest, 2))
                .ok_or_else(missing),
            (t, [n, rest @ ..]) => names
                .resources
                .get(&(crate::address::Mode::Managed, t.to_string(), n.to_string()))
                .map(|&i| descend(&v.resources[c][i], rest, 1))
                .ok_or_else(missing),
            _ => Err(missing()),
        }
    }
}

/// Follows `attrs` into `v` as far as plain objects go, and copies only
/// what is reached: `terrace_data.vpc.id` copies the id, not the resource.
/// Marks and anything else are left to the evaluator. `used` counts the
/// attributes consumed before these.
fn descend(mut v: &Value, attrs: &[&str], mut used: usize) -> (Value, usize) {
    for a in attrs {
        match v {
            Value::Object(m) => match m.get(a) {
                Some(next) => {
                    v = next;
                    used += 1;
                }
                None => break,
            },
            _ => break,
        }
    }
    (v.clone(), used)
}

/// References in the project file: `environment.inputs.X`,
/// `configuration.NAME.outputs.X`, `path.root`.
struct ProjectScope<'a, 'g, 'p> {
    values: &'a EnvValues<'g, 'p>,
}

impl Resolver for ProjectScope<'_, '_, '_> {
    fn resolve(&self, root: &str, attrs: &[&str], span: Span) -> Result<(Value, usize), EvalError> {
        let v = self.values;
        match (root, attrs) {
            ("var", [name, ..]) => super::variables::lookup(&v.project_vars, name, span),
            ("environment", ["name", ..]) => Ok((Value::String(v.env.name.clone()), 1)),
            ("environment", ["inputs", name, ..]) => match v.env_inputs.get(name) {
                Some(x) => Ok((x.clone(), 2)),
                None => Err(EvalError::new(
                    span,
                    format!("environment \"{}\" has no input \"{name}\"", v.env.name),
                )
                .help(
                    match did_you_mean(name, v.env_inputs.keys().map(String::as_str)) {
                        Some(s) => format!("did you mean environment.inputs.{s}?"),
                        None => format!(
                            "add `{name} = …` to the inputs of environment \"{}\"",
                            v.env.name
                        ),
                    },
                )),
            },
            ("environment", ["inputs"]) => Ok((Value::Object(v.env_inputs.clone()), 1)),
            ("configuration", [name, "outputs", rest @ ..]) => {
                let c = v.graph.config_id(name).ok_or_else(|| {
                    EvalError::new(span, format!("there is no configuration \"{name}\""))
                })?;
                let arch = v.graph.arch(c);
                match rest.first() {
                    Some(out) => {
                        let o = v.graph.names_of(c).outputs.get(*out).ok_or_else(|| {
                            EvalError::new(
                                span,
                                format!("configuration \"{name}\" has no output \"{out}\""),
                            )
                        })?;
                        Ok((v.outputs[c][*o].clone(), 3))
                    }
                    None => Ok((
                        Value::Object(
                            arch.outputs
                                .iter_enumerated()
                                .map(|(i, o)| (o.name.clone(), v.outputs[c][i].clone()))
                                .collect(),
                        ),
                        2,
                    )),
                }
            }
            ("path", ["root", ..]) => Ok((Value::string("."), 1)),
            _ => Err(EvalError::new(
                span,
                format!("unknown reference \"{root}\""),
            )),
        }
    }
}

/// No references at all: defaults and environment inputs.
pub(super) struct Constant;

impl Resolver for Constant {
    fn resolve(&self, root: &str, _: &[&str], span: Span) -> Result<(Value, usize), EvalError> {
        Err(EvalError::new(
            span,
            format!("\"{root}\" cannot be used here: this value must not refer to other values"),
        )
        .help("use literal values and functions only"))
    }
}

/// What every variable's value goes through, as in Terraform: null with
/// `nullable = false` takes the default, then conversion to the declared
/// type, the sensitive mark, and the `validation` blocks. `what` names the
/// variable in messages; `span` is where the value comes from. A
/// sensitive variable's value never appears in a message.
pub(super) fn checked_variable(
    ev: &Evaluator<'_>,
    var: &crate::config::Variable,
    raw: Value,
    span: Span,
    what: &str,
) -> Result<Value, Diagnostics> {
    let (raw, span) = match &var.default {
        Some(d) if raw.is_null() && !var.nullable => (
            ev.eval(d)
                .map_err(|e| Diagnostics::from(e.into_diagnostic()))?,
            d.span,
        ),
        _ => (raw, span),
    };
    if raw.is_null() && !var.nullable {
        return Err(Diagnostic::error(
            "config::null_input",
            format!("variable \"{}\" must not be null", var.name),
        )
        .label(span, "null here")
        .help("the variable is declared with `nullable = false`")
        .into());
    }
    let value = convert(raw, &var.ty).map_err(|m| {
        let m = if var.sensitive {
            format!("a value of the wrong type (expected {})", var.ty)
        } else {
            m
        };
        Diagnostics::from(
            Diagnostic::error(
                "config::wrong_type",
                format!("invalid value for {what}: {m}"),
            )
            .label(span, format!("expected {}", var.ty))
            .label(var.span, "declared here"),
        )
    })?;
    let value = value.mark_if(var.sensitive);
    let mut diags = Diagnostics::default();
    for failed in failed_validations(var, &value, ev, &mut diags) {
        diags.push(
            Diagnostic::error(
                "config::validation",
                format!("invalid value for {what}: {}", failed.message),
            )
            .label(span, format!("this value ({})", failed.shown))
            .label(failed.condition, "fails this check"),
        );
    }
    if diags.is_empty() {
        Ok(value)
    } else {
        Err(diags)
    }
}

/// A `validation` block whose condition is false.
struct FailedValidation {
    /// The condition's span.
    pub condition: Span,
    /// Its `error_message`.
    pub message: String,
    /// The value as it may be shown: `(sensitive value)` when it is one.
    pub shown: String,
}

/// Checks `value` against a variable's `validation` blocks, evaluated with
/// `ev`'s settings and only `var.NAME` in scope. A condition that cannot
/// be evaluated goes to `diags`; a false one is returned.
fn failed_validations(
    var: &crate::config::Variable,
    value: &Value,
    ev: &Evaluator<'_>,
    diags: &mut Diagnostics,
) -> Vec<FailedValidation> {
    let scope = SelfScope {
        name: &var.name,
        value,
    };
    let ev = Evaluator {
        resolver: &scope,
        ..*ev
    };
    let mut failed = Vec::new();
    for v in &var.validations {
        let ok = match ev.eval(&v.condition) {
            Ok(b) => {
                let (b, _) = b.into_unmarked();
                if b.is_unknown() {
                    continue;
                }
                match ops::to_bool(&b) {
                    Ok(b) => b,
                    Err(m) => {
                        diags.push(
                            EvalError::new(
                                v.condition.span,
                                format!("the condition must be a bool: {m}"),
                            )
                            .into_diagnostic(),
                        );
                        continue;
                    }
                }
            }
            Err(e) => {
                diags.push(e.into_diagnostic());
                continue;
            }
        };
        if !ok {
            let message = match ev.eval(&v.error_message) {
                // As Terraform: a message built from a sensitive value is
                // not shown.
                Ok(m) if m.contains_sensitive() => {
                    "the error message refers to sensitive values, so it is not displayed".into()
                }
                Ok(m) => m
                    .as_str()
                    .map_or_else(|| "the value is not valid".into(), str::to_string),
                Err(_) => "the value is not valid".into(),
            };
            let shown = if value.contains_sensitive() {
                "(sensitive value)".to_string()
            } else {
                value.to_string()
            };
            failed.push(FailedValidation {
                condition: v.condition.span,
                message,
                shown,
            });
        }
    }
    failed
}

/// Only the variable itself, for `validation` conditions.
struct SelfScope<'a> {
    name: &'a str,
    value: &'a Value,
}

impl Resolver for SelfScope<'_> {
    fn resolve(&self, root: &str, attrs: &[&str], span: Span) -> Result<(Value, usize), EvalError> {
        match (root, attrs) {
            ("var", [n, ..]) if *n == self.name => Ok((self.value.clone(), 1)),
            _ => Err(EvalError::new(
                span,
                format!("a validation can only refer to var.{}", self.name),
            )),
        }
    }
}
