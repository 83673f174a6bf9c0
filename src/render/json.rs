//! The plan in Terraform's JSON plan representation (what `terraform show
//! -json PLANFILE` writes), so that tools written for Terraform plans
//! (OPA/conftest policies, cost estimators) read terrace plans unchanged.
//!
//! Mapping, documented for users in `docs/json-plan.md`:
//! - a configuration is a child module: `network/file.x` is addressed
//!   `module.network.file.x`, with `module_address` `module.network`;
//! - sensitive values never appear: they are left out of `before`/`after`
//!   (`null` inside lists) and marked `true` in `*_sensitive`;
//! - unknown values are left out of `after` and marked in `after_unknown`;
//! - terrace's own facts live under `terrace` keys, at the top and per
//!   change, so that no Terraform field changes meaning.

use crate::address::{InstanceAddr, InstanceKey, Mode, ResourceAddr};
use crate::plan::{Action, Change, Drift, OutputChange, Plan, Reason};
use crate::state::EnvState;
use crate::value::{Path, PathStep, Value};
use serde_json::{Map, Value as Json, json};

/// The version of Terraform's JSON plan format this follows.
pub const FORMAT_VERSION: &str = "1.2";

/// Renders a plan as one pretty-printed JSON document, ending in a newline.
pub fn plan(p: &Plan) -> String {
    let mut text = serde_json::to_string_pretty(&plan_value(p)).unwrap_or_default();
    text.push('\n');
    text
}

/// The plan as a JSON value.
pub fn plan_value(p: &Plan) -> Json {
    let resource_changes: Vec<Json> = p.changes.iter().map(|c| change(p, c)).collect();
    let resource_drift: Vec<Json> = p.drift.iter().map(|d| drift(&p.environment, d)).collect();
    let mut outputs = Map::new();
    for o in &p.outputs {
        outputs.insert(format!("{}.{}", o.configuration, o.name), output(o));
    }
    // Terraform's `variables`; a sensitive value is left out, as in
    // resource values.
    let variables: Map<String, Json> = p
        .variables
        .iter()
        .map(|(k, v)| {
            let entry = if v.contains_sensitive() {
                json!({ "sensitive": true })
            } else {
                json!({ "value": known(Some(v)) })
            };
            (k.clone(), entry)
        })
        .collect();
    let mut doc = json!({
        "format_version": FORMAT_VERSION,
        "applyable": p.has_changes(),
        "complete": p.targets.is_empty(),
        "errored": false,
        "timestamp": p.created_at,
        "planned_values": planned_values(p),
        "resource_drift": resource_drift,
        "resource_changes": resource_changes,
        "output_changes": outputs,
        "prior_state": prior_state(p),
        "terrace": {
            "version": p.terrace_version,
            "plan_format_version": p.format_version,
            "environment": p.environment,
            "destroy": p.destroy,
            "definitions_hash": p.definitions_hash,
            "prior": p.prior,
            "unchanged": p.unchanged,
            "warnings": p.warnings,
        },
    });
    if !p.targets.is_empty() {
        doc["terrace"]["targets"] = json!(p.targets);
    }
    // Terraform leaves `variables` out when the root module has none.
    if !variables.is_empty() {
        doc["variables"] = Json::Object(variables);
    }
    doc
}

/// An environment's state in Terraform's JSON state representation (what
/// `terraform show -json` writes without a plan), sensitive values left
/// out as in plans.
pub fn state(st: &EnvState) -> String {
    let mut instances: Vec<(InstanceAddr, &Value)> = Vec::new();
    let mut outputs = Map::new();
    let mut configs = Map::new();
    for (config, cs) in &st.configs {
        for r in cs.resources.values() {
            for i in &r.instances {
                let resource = ResourceAddr {
                    config: config.clone(),
                    mode: r.mode,
                    type_name: r.type_name.clone(),
                    name: r.name.clone(),
                };
                instances.push((resource.instance(i.index_key.clone()), &i.attributes));
            }
        }
        for (name, o) in &cs.outputs {
            let sensitive = o.sensitive || o.value.contains_sensitive();
            let mut m = Map::new();
            m.insert("sensitive".into(), json!(sensitive));
            if !sensitive {
                m.insert("value".into(), known(Some(&o.value)));
            }
            outputs.insert(format!("{config}.{name}"), Json::Object(m));
        }
        configs.insert(
            config.clone(),
            json!({ "serial": cs.serial, "lineage": cs.lineage }),
        );
    }
    let doc = json!({
        "format_version": "1.0",
        "values": {
            "outputs": outputs,
            "root_module": { "child_modules": modules(instances.iter().map(|(a, v)| (a, *v))) },
        },
        "terrace": { "environment": st.environment, "configurations": configs },
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

/// `module.CONFIG`: the module a configuration stands for.
pub fn module_address(config: &str) -> String {
    format!("module.{config}")
}

/// `module.CONFIG.TYPE.NAME[KEY]`: a terrace address as Terraform writes it.
pub fn address(a: &InstanceAddr) -> String {
    let key = a.key.as_ref().map(key_text).unwrap_or_default();
    format!(
        "{}.{}{key}",
        module_address(&a.resource.config),
        a.resource.local()
    )
}

/// `[0]` or `["key"]`, with JSON string escapes as Terraform writes them.
fn key_text(k: &InstanceKey) -> String {
    match k {
        InstanceKey::Int(i) => format!("[{i}]"),
        InstanceKey::Str(s) => format!("[{}]", Json::String(s.clone())),
    }
}

/// What identifies a resource instance in both plan and event output.
fn identity(a: &InstanceAddr) -> Map<String, Json> {
    let mut m = Map::new();
    m.insert("address".into(), json!(address(a)));
    m.insert(
        "module_address".into(),
        json!(module_address(&a.resource.config)),
    );
    m.insert(
        "mode".into(),
        json!(match a.resource.mode {
            Mode::Managed => "managed",
            Mode::Data => "data",
        }),
    );
    m.insert("type".into(), json!(a.resource.type_name));
    m.insert("name".into(), json!(a.resource.name));
    match &a.key {
        Some(InstanceKey::Int(i)) => {
            m.insert("index".into(), json!(i));
        }
        Some(InstanceKey::Str(s)) => {
            m.insert("index".into(), json!(s));
        }
        None => {}
    }
    m.insert("provider_name".into(), json!(provider_name(a)));
    m
}

/// Terraform names a provider by source address; terrace's are built in.
fn provider_name(a: &InstanceAddr) -> String {
    format!("terrace/builtin/{}", a.resource.type_name)
}

fn terrace_fields(env: &str, a: &InstanceAddr) -> Json {
    json!({
        "environment": env,
        "configuration": a.resource.config,
        "address": a.to_string(),
    })
}

/// Terraform's `actions` for a terrace action.
pub fn actions(a: Action, create_before_destroy: bool) -> Vec<&'static str> {
    match a {
        Action::NoOp => vec!["no-op"],
        Action::Create => vec!["create"],
        Action::Update => vec!["update"],
        Action::Replace if create_before_destroy => vec!["create", "delete"],
        Action::Replace => vec!["delete", "create"],
        Action::Delete => vec!["delete"],
        Action::Read => vec!["read"],
        Action::Forget => vec!["forget"],
    }
}

/// Terraform's `action_reason`, where terrace knows one.
pub fn action_reason(c: &Change) -> Option<&'static str> {
    match (c.action, &c.reason) {
        (Action::Replace, Some(Reason::ReplaceByTriggers)) => Some("replace_by_triggers"),
        (Action::Replace, Some(Reason::ReplaceByRequest)) => Some("replace_by_request"),
        (Action::Replace, _) => Some("replace_because_cannot_update"),
        (_, Some(Reason::NotInConfiguration)) => Some("delete_because_no_resource_config"),
        (_, Some(Reason::ConfigurationRemoved)) => Some("delete_because_no_module"),
        (_, Some(Reason::CountIndex)) => Some("delete_because_count_index"),
        (_, Some(Reason::EachKey)) => Some("delete_because_each_key"),
        (_, Some(Reason::WrongRepetition)) => Some("delete_because_wrong_repetition"),
        (Action::Read, _) => Some("read_because_config_unknown"),
        _ => None,
    }
}

fn change(p: &Plan, c: &Change) -> Json {
    let (before, after) = match c.action {
        Action::Create | Action::Read => (None, c.after.as_ref()),
        Action::Delete | Action::Forget => (c.before.as_ref(), None),
        _ => (c.before.as_ref(), c.after.as_ref()),
    };
    let mut body = Map::new();
    body.insert(
        "actions".into(),
        json!(actions(c.action, c.create_before_destroy)),
    );
    body.insert("before".into(), known(before));
    body.insert("after".into(), known(after));
    body.insert(
        "after_unknown".into(),
        after.map_or(json!({}), |v| mask(v, Mark::Unknown)),
    );
    body.insert("before_sensitive".into(), sensitive_mask(before));
    body.insert("after_sensitive".into(), sensitive_mask(after));
    if let Some(id) = &c.importing {
        body.insert("importing".into(), json!({ "id": id }));
    }
    if !c.replace_paths.is_empty() {
        body.insert(
            "replace_paths".into(),
            Json::Array(c.replace_paths.iter().map(path).collect()),
        );
    }
    let mut m = identity(&c.address);
    if let Some(prev) = &c.previous_address {
        m.insert("previous_address".into(), json!(address(prev)));
    }
    m.insert("change".into(), Json::Object(body));
    if let Some(r) = action_reason(c) {
        m.insert("action_reason".into(), json!(r));
    }
    m.insert("terrace".into(), terrace_fields(&p.environment, &c.address));
    Json::Object(m)
}

/// One `resource_drift` entry.
pub fn drift(env: &str, d: &Drift) -> Json {
    let (actions, after) = match &d.after {
        Some(a) => (vec!["update"], Some(a)),
        None => (vec!["delete"], None),
    };
    let mut m = identity(&d.address);
    m.insert(
        "change".into(),
        json!({
            "actions": actions,
            "before": known(Some(&d.before)),
            "after": known(after),
            "after_unknown": {},
            "before_sensitive": sensitive_mask(Some(&d.before)),
            "after_sensitive": sensitive_mask(after),
        }),
    );
    m.insert("terrace".into(), terrace_fields(env, &d.address));
    Json::Object(m)
}

fn output(o: &OutputChange) -> Json {
    let masked = |v: Option<&Value>| -> Json {
        match v {
            Some(v) if !o.sensitive => known(Some(v)),
            _ => Json::Null,
        }
    };
    let after_unknown = o.after.as_ref().is_some_and(|v| !v.is_wholly_known());
    json!({
        "actions": actions(o.action, false),
        "before": masked(o.before.as_ref()),
        "after": masked(o.after.as_ref()),
        "after_unknown": after_unknown,
        "before_sensitive": o.sensitive || o.before.as_ref().is_some_and(Value::contains_sensitive),
        "after_sensitive": o.sensitive || o.after.as_ref().is_some_and(Value::contains_sensitive),
        "terrace": { "configuration": o.configuration, "name": o.name },
    })
}

/// The resources as they will be after apply, per configuration (module),
/// for the objects the plan changes.
fn planned_values(p: &Plan) -> Json {
    let values = p
        .changes
        .iter()
        .filter(|c| !matches!(c.action, Action::Delete | Action::Forget))
        .filter_map(|c| Some((&c.address, c.after.as_ref()?)));
    json!({ "root_module": { "child_modules": modules(values) } })
}

/// What the plan knows of the objects before it: every object it changes,
/// as recorded (after refresh).
fn prior_state(p: &Plan) -> Json {
    let values = p
        .changes
        .iter()
        .filter_map(|c| Some((&c.address, c.before.as_ref()?)));
    json!({
        "format_version": "1.0",
        "values": { "root_module": { "child_modules": modules(values) } },
    })
}

/// Resources grouped into one child module per configuration.
fn modules<'a>(values: impl Iterator<Item = (&'a InstanceAddr, &'a Value)>) -> Vec<Json> {
    let mut by_config: std::collections::BTreeMap<&str, Vec<Json>> = Default::default();
    for (a, v) in values {
        let mut m = identity(a);
        m.insert("schema_version".into(), json!(0));
        m.insert("values".into(), known(Some(v)));
        m.insert("sensitive_values".into(), mask(v, Mark::Sensitive));
        by_config
            .entry(a.resource.config.as_str())
            .or_default()
            .push(Json::Object(m));
    }
    by_config
        .into_iter()
        .map(|(config, resources)| {
            json!({ "address": module_address(config), "resources": resources })
        })
        .collect()
}

/// A path as Terraform writes it: attribute names and indices.
fn path(p: &Path) -> Json {
    Json::Array(
        p.steps()
            .iter()
            .map(|s| match s {
                PathStep::Attr(a) => json!(a),
                PathStep::Index(i) => json!(i),
            })
            .collect(),
    )
}

/// The known, non-sensitive part of a value: unknown and sensitive values
/// are left out of objects and are `null` in lists.
pub fn known(v: Option<&Value>) -> Json {
    v.and_then(known_part).unwrap_or(Json::Null)
}

fn known_part(v: &Value) -> Option<Json> {
    match v {
        Value::Unknown | Value::Sensitive(_) => None,
        Value::Null => Some(Json::Null),
        Value::Bool(b) => Some(json!(b)),
        Value::Number(_) | Value::String(_) => serde_json::to_value(v).ok(),
        Value::List(items) => Some(Json::Array(
            items
                .iter()
                .map(|x| known_part(x).unwrap_or(Json::Null))
                .collect(),
        )),
        Value::Object(map) => Some(Json::Object(
            map.iter()
                .filter_map(|(k, x)| Some((k.clone(), known_part(x)?)))
                .collect(),
        )),
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Mark {
    Unknown,
    Sensitive,
}

/// `*_sensitive` for a value that may be absent: `false` when it is.
fn sensitive_mask(v: Option<&Value>) -> Json {
    v.map_or(json!(false), |v| mask(v, Mark::Sensitive))
}

/// Terraform's shape of marks: `true` where the mark is, objects and
/// arrays mirroring the value around it (objects keep only marked keys),
/// `false` for an unmarked leaf.
fn mask(v: &Value, mark: Mark) -> Json {
    match (v, mark) {
        (Value::Unknown, Mark::Unknown) | (Value::Sensitive(_), Mark::Sensitive) => json!(true),
        (Value::Sensitive(inner), Mark::Unknown) => mask(inner, mark),
        (Value::List(items), _) => Json::Array(items.iter().map(|x| mask(x, mark)).collect()),
        (Value::Object(map), _) => Json::Object(
            map.iter()
                .map(|(k, x)| (k.clone(), mask(x, mark)))
                .filter(|(_, m)| *m != json!(false))
                .collect(),
        ),
        _ => json!(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Map as VMap;

    fn obj(pairs: &[(&str, Value)]) -> Value {
        Value::Object(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect::<VMap>(),
        )
    }

    #[test]
    fn sensitive_values_are_left_out_and_marked() {
        let v = obj(&[
            ("user", "admin".into()),
            ("password", Value::string("hunter2").sensitive()),
            ("tags", Value::List(vec![Value::string("x").sensitive()])),
        ]);
        let text = known(Some(&v)).to_string();
        assert!(!text.contains("hunter2"), "{text}");
        assert_eq!(text, r#"{"tags":[null],"user":"admin"}"#);
        assert_eq!(
            mask(&v, Mark::Sensitive),
            json!({"password": true, "tags": [true]})
        );
    }

    #[test]
    fn unknown_values_are_marked_in_after_unknown() {
        let v = obj(&[("id", Value::Unknown), ("input", "v1".into())]);
        assert_eq!(known(Some(&v)), json!({"input": "v1"}));
        assert_eq!(mask(&v, Mark::Unknown), json!({"id": true}));
    }

    #[test]
    fn addresses_name_the_configuration_as_a_module() {
        let (_, a) = InstanceAddr::parse("net/file.page[\"a b\"]").expect("address");
        assert_eq!(address(&a), "module.net.file.page[\"a b\"]");
    }
}
