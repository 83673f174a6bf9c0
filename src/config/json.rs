//! The definitions in Terraform's JSON configuration representation (the
//! `configuration` object of `terraform show -json PLANFILE`): each
//! configuration a module call of the root, with its resources, outputs
//! and variables, every expression as its constant value or the
//! references it makes. Pure: it reads a loaded [`Project`] and nothing
//! else. The planner keeps the result in the plan, so that a saved plan
//! shows the definitions it was made from.

use super::{Architecture, Expr, ExprKind, Project, Reference, Resource, Variable};
use crate::address::Mode;
use crate::config::expr::{ObjectKey, RefStep, TemplatePart};
use crate::value::Value;
use serde_json::{Map, Value as Json, json};

/// Roots of references that are not resources.
const NOT_RESOURCES: &[&str] = &[
    "var",
    "local",
    "each",
    "count",
    "self",
    "path",
    "terraform",
    "configuration",
    "environment",
    "project",
    "module",
];

/// The `configuration` object for `project`.
pub fn configuration(project: &Project) -> Json {
    let mut providers = Map::new();
    let mut calls = Map::new();
    for c in &project.configurations {
        let arch = project.architecture_of(c);
        for r in &arch.resources {
            providers.insert(
                provider_key(&c.name, r),
                json!({
                    "name": r.type_name,
                    "full_name": format!("terrace/builtin/{}", r.type_name),
                    "module_address": format!("module.{}", c.name),
                }),
            );
        }
        // An input to a sensitive variable never shows a literal value.
        let inputs: Map<String, Json> = c
            .inputs
            .iter()
            .map(|i| {
                let sensitive = arch
                    .variables
                    .iter()
                    .any(|v| v.name == i.name && v.sensitive);
                (i.name.clone(), hidden_if(sensitive, expression(&i.expr)))
            })
            .collect();
        calls.insert(
            c.name.clone(),
            json!({
                "source": c.architecture_source,
                "expressions": inputs,
                "module": module(&c.name, arch),
            }),
        );
    }
    let mut root = Map::new();
    root.insert("module_calls".into(), Json::Object(calls));
    if !project.variables.is_empty() {
        root.insert("variables".into(), variables(&project.variables.raw));
    }
    json!({ "provider_config": providers, "root_module": root })
}

/// `module.CONFIG:TYPE`: each resource type is its own built-in provider.
fn provider_key(config: &str, r: &Resource) -> String {
    format!("module.{config}:{}", r.type_name)
}

fn module(config: &str, arch: &Architecture) -> Json {
    // Sorted by address, as Terraform lists them.
    let mut sorted: Vec<&Resource> = arch.resources.iter().collect();
    sorted.sort_by_key(|r| r.key());
    let resources: Vec<Json> = sorted.into_iter().map(|r| resource(config, r)).collect();
    let outputs: Map<String, Json> = arch
        .outputs
        .iter()
        .map(|o| {
            let mut m = Map::new();
            if o.sensitive {
                m.insert("sensitive".into(), json!(true));
            }
            m.insert(
                "expression".into(),
                hidden_if(o.sensitive, expression(&o.value)),
            );
            if let Some(d) = &o.description {
                m.insert("description".into(), json!(d));
            }
            if !o.depends_on.is_empty() {
                m.insert("depends_on".into(), depends_on(&o.depends_on));
            }
            (o.name.clone(), Json::Object(m))
        })
        .collect();
    let mut m = Map::new();
    if !outputs.is_empty() {
        m.insert("outputs".into(), Json::Object(outputs));
    }
    if !resources.is_empty() {
        m.insert("resources".into(), Json::Array(resources));
    }
    if !arch.variables.is_empty() {
        m.insert("variables".into(), variables(&arch.variables.raw));
    }
    Json::Object(m)
}

fn resource(config: &str, r: &Resource) -> Json {
    let expressions: Map<String, Json> = r
        .attrs
        .iter()
        .map(|a| (a.name.clone(), expression(&a.expr)))
        .collect();
    let mut m = Map::new();
    m.insert("address".into(), json!(r.key()));
    m.insert(
        "mode".into(),
        json!(match r.mode {
            Mode::Managed => "managed",
            Mode::Data => "data",
        }),
    );
    m.insert("type".into(), json!(r.type_name));
    m.insert("name".into(), json!(r.name));
    m.insert("provider_config_key".into(), json!(provider_key(config, r)));
    m.insert("expressions".into(), Json::Object(expressions));
    m.insert("schema_version".into(), json!(0));
    if let Some(e) = &r.count {
        m.insert("count_expression".into(), expression(e));
    }
    if let Some(e) = &r.for_each {
        m.insert("for_each_expression".into(), expression(e));
    }
    if !r.depends_on.is_empty() {
        m.insert("depends_on".into(), depends_on(&r.depends_on));
    }
    Json::Object(m)
}

/// Variables as Terraform lists them: `default`, `description`,
/// `sensitive`. A sensitive default keeps its key, its value hidden.
fn variables(vars: &[Variable]) -> Json {
    let m: Map<String, Json> = vars
        .iter()
        .map(|v| {
            let mut e = Map::new();
            if let Some(d) = &v.default {
                let value = if v.sensitive {
                    Json::Null
                } else {
                    constant(d).map_or(Json::Null, |c| json_of(&c))
                };
                e.insert("default".into(), value);
            }
            if let Some(d) = &v.description {
                e.insert("description".into(), json!(d));
            }
            if v.sensitive {
                e.insert("sensitive".into(), json!(true));
            }
            (v.name.clone(), Json::Object(e))
        })
        .collect();
    Json::Object(m)
}

fn depends_on(list: &[Expr]) -> Json {
    Json::Array(
        list.iter()
            .filter_map(|e| e.as_static_path().map(|p| json!(p.join("."))))
            .collect(),
    )
}

/// `{"constant_value": V}` for an expression without references,
/// `{"references": [...]}` otherwise (`{}` when neither can be told
/// without evaluating it).
pub fn expression(e: &Expr) -> Json {
    let refs = e.references();
    if refs.is_empty() {
        return match constant(e) {
            Some(v) => json!({ "constant_value": json_of(&v) }),
            None => json!({}),
        };
    }
    let mut out: Vec<String> = Vec::new();
    for r in &refs {
        for text in reference_texts(r) {
            if !out.contains(&text) {
                out.push(text);
            }
        }
    }
    json!({ "references": out })
}

/// A sensitive expression's constant value is hidden (`null`); its
/// references stay.
fn hidden_if(sensitive: bool, mut e: Json) -> Json {
    if sensitive && let Some(v) = e.get_mut("constant_value") {
        *v = Json::Null;
    }
    e
}

/// A reference and the objects it goes through, longest first, as
/// Terraform lists them: `terraform_data.build.output`,
/// `terraform_data.build`. `configuration.C.outputs.O` is the module
/// output `module.C.O`.
fn reference_texts(r: &Reference) -> Vec<String> {
    let step = |s: &RefStep| match s {
        RefStep::Attr(a) => format!(".{a}"),
        RefStep::Index(Value::String(k)) => format!("[{}]", Json::String(k.clone())),
        RefStep::Index(v) => format!("[{}]", json_of(v)),
    };
    let text = |root: &str, steps: &[RefStep]| -> String {
        let mut t = root.to_string();
        t.extend(steps.iter().map(step));
        t
    };
    if r.root == "configuration"
        && let (Some(c), Some("outputs")) = (r.attr(0), r.attr(1))
    {
        let module = format!("module.{c}");
        return match r.attr(2) {
            Some(o) => vec![format!("{module}.{o}"), module],
            None => vec![module],
        };
    }
    let full = text(&r.root, &r.steps);
    if NOT_RESOURCES.contains(&r.root.as_str()) {
        return vec![full];
    }
    // `TYPE.NAME` or `data.TYPE.NAME`, then its instance key if any.
    let name_len = if r.root == "data" { 2 } else { 1 };
    if r.steps.len() < name_len
        || !r.steps[..name_len]
            .iter()
            .all(|s| matches!(s, RefStep::Attr(_)))
    {
        return vec![full];
    }
    let object = text(&r.root, &r.steps[..name_len]);
    let mut out = vec![full];
    if let Some(RefStep::Index(_)) = r.steps.get(name_len) {
        out.push(text(&r.root, &r.steps[..=name_len]));
    }
    out.push(object);
    out.dedup();
    out
}

/// The value of an expression made only of literals.
fn constant(e: &Expr) -> Option<Value> {
    match &e.kind {
        ExprKind::Literal(v) => Some(v.clone()),
        ExprKind::Array(items) => items
            .iter()
            .map(constant)
            .collect::<Option<_>>()
            .map(Value::List),
        ExprKind::Object(items) => items
            .iter()
            .map(|(k, v)| {
                let key = match k {
                    ObjectKey::Name(n, _) => n.clone(),
                    ObjectKey::Expr(k) => match constant(k)? {
                        Value::String(s) => s,
                        _ => return None,
                    },
                };
                Some((key, constant(v)?))
            })
            .collect::<Option<_>>()
            .map(Value::Object),
        ExprKind::Template(parts) => {
            let mut s = String::new();
            for p in parts {
                match p {
                    TemplatePart::Literal(t) => s.push_str(t),
                    _ => return None,
                }
            }
            Some(Value::string(s))
        }
        _ => None,
    }
}

fn json_of(v: &Value) -> Json {
    serde_json::to_value(v).unwrap_or(Json::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Span;

    fn reference(root: &str, steps: &[&str]) -> Reference {
        Reference {
            root: root.into(),
            steps: steps.iter().map(|s| RefStep::Attr(s.to_string())).collect(),
            span: Span::default(),
        }
    }

    #[test]
    fn a_resource_reference_lists_the_resource_after_the_attribute() {
        assert_eq!(
            reference_texts(&reference("terrace_data", &["build", "output"])),
            ["terrace_data.build.output", "terrace_data.build"]
        );
        assert_eq!(
            reference_texts(&reference("var", &["password"])),
            ["var.password"]
        );
    }

    #[test]
    fn literal_expressions_are_constant_values() {
        let e = |kind| Expr {
            kind,
            span: Span::default(),
        };
        let list = e(ExprKind::Array(vec![
            e(ExprKind::Literal(Value::string("a"))),
            e(ExprKind::Template(vec![TemplatePart::Literal("b".into())])),
        ]));
        assert_eq!(expression(&list), json!({ "constant_value": ["a", "b"] }));
        let call = e(ExprKind::Call {
            name: "timestamp".into(),
            args: Vec::new(),
            expand_final: false,
        });
        assert_eq!(expression(&call), json!({}));
    }

    #[test]
    fn a_configuration_output_reference_is_a_module_output() {
        assert_eq!(
            reference_texts(&reference("configuration", &["net", "outputs", "id"])),
            ["module.net.id", "module.net"]
        );
    }
}
