//! The plan in Terraform's JSON plan representation (what `terraform show
//! -json PLANFILE` writes), so that tools written for Terraform plans
//! (OPA/conftest policies, cost estimators) read terrace plans unchanged,
//! and terrace's own policies ([`crate::policy`]) read it in-process.
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

/// `terraform_version`: the Terraform release whose JSON plan and state
/// formats these documents follow (and were compared with). Tools refuse
/// documents without one; terrace's own version is `terrace.version`.
pub const TERRAFORM_VERSION: &str = "1.15.5";

/// Renders a plan as one JSON document on one line, as `terraform show
/// -json` does (indented with `pretty`), ending in a newline.
pub fn plan(p: &Plan, pretty: bool) -> String {
    text(&plan_value(p), pretty)
}

fn text(doc: &Json, pretty: bool) -> String {
    let mut text = if pretty {
        serde_json::to_string_pretty(doc)
    } else {
        serde_json::to_string(doc)
    }
    .unwrap_or_default();
    text.push('\n');
    text
}

/// A timestamp as Terraform writes it: RFC 3339 in UTC, whole seconds
/// (`2026-11-28T04:01:40Z`); left as it is when it cannot be read.
fn timestamp(t: &str) -> String {
    t.parse::<jiff::Timestamp>()
        .map(|ts| ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|_| t.to_string())
}

/// Every object in the plan, changed or not, sorted by address.
fn all_changes(p: &Plan) -> Vec<&Change> {
    let mut all: Vec<&Change> = p.changes.iter().chain(&p.unchanged_objects).collect();
    all.sort_by(|a, b| a.address.cmp(&b.address));
    all
}

/// The plan as a JSON value.
pub fn plan_value(p: &Plan) -> Json {
    let all = all_changes(p);
    let resource_changes: Vec<Json> = all.iter().map(|c| change(p, c)).collect();
    let resource_drift: Vec<Json> = p.drift.iter().map(|d| drift(&p.environment, d)).collect();
    let mut outputs = Map::new();
    for o in &p.outputs {
        outputs.insert(output_key(o), output(o));
    }
    // Terraform's `variables`: every root variable's value; a sensitive
    // one keeps its key, its value hidden.
    let variables: Map<String, Json> = p
        .variables
        .iter()
        .map(|(k, v)| {
            let value = if v.contains_sensitive() || sensitive_variable(p, k) {
                Json::Null
            } else {
                known(Some(v))
            };
            (k.clone(), json!({ "value": value }))
        })
        .collect();
    let mut doc = json!({
        "format_version": FORMAT_VERSION,
        "terraform_version": TERRAFORM_VERSION,
        "applyable": p.has_changes(),
        "complete": p.targets.is_empty(),
        "errored": false,
        "timestamp": timestamp(&p.created_at),
        "planned_values": planned_values(p, &all),
        "resource_drift": resource_drift,
        "resource_changes": resource_changes,
        "output_changes": outputs,
        "prior_state": prior_state(p, &all),
        "terrace": {
            "version": p.terrace_version,
            "plan_format_version": p.format_version,
            "environment": p.environment,
            "destroy": p.destroy,
            "definitions_hash": p.definitions_hash,
            "prior": p.prior,
            "unchanged": p.unchanged,
            "warnings": p.warnings,
            "created_at": p.created_at,
        },
    });
    if !p.targets.is_empty() {
        doc["terrace"]["targets"] = json!(p.targets);
    }
    // What the environment's policies decided (docs/policies.md); the
    // document they read is this one without it.
    if !p.policies.is_empty() {
        doc["terrace"]["policies"] = json!(p.policies);
    }
    // Terraform leaves `variables` out when the root module has none.
    if !variables.is_empty() {
        doc["variables"] = Json::Object(variables);
    }
    if !p.configuration.is_null() {
        doc["configuration"] = p.configuration.clone();
        let relevant = relevant_attributes(&p.configuration);
        if !relevant.is_empty() {
            doc["relevant_attributes"] = Json::Array(relevant);
        }
    }
    doc
}

/// Whether the definitions declare project variable `name` sensitive.
fn sensitive_variable(p: &Plan, name: &str) -> bool {
    p.configuration["root_module"]["variables"][name]["sensitive"] == json!(true)
}

/// `CONFIG.NAME`: terrace's outputs belong to configurations.
fn output_key(o: &OutputChange) -> String {
    format!("{}.{}", o.configuration, o.name)
}

/// Terraform's `relevant_attributes`: every resource attribute that an
/// expression of the definitions reads, as `{resource, attribute}`.
fn relevant_attributes(configuration: &Json) -> Vec<Json> {
    let mut found: std::collections::BTreeSet<(String, Vec<String>)> = Default::default();
    let Some(calls) = configuration["root_module"]["module_calls"].as_object() else {
        return Vec::new();
    };
    for (config, call) in calls {
        let module = &call["module"];
        let mut lists: Vec<&Json> = Vec::new();
        for r in module["resources"].as_array().into_iter().flatten() {
            for key in ["count_expression", "for_each_expression"] {
                lists.push(&r[key]["references"]);
            }
            for e in r["expressions"]
                .as_object()
                .into_iter()
                .flat_map(|m| m.values())
            {
                lists.push(&e["references"]);
            }
        }
        for o in module["outputs"]
            .as_object()
            .into_iter()
            .flat_map(|m| m.values())
        {
            lists.push(&o["expression"]["references"]);
        }
        for refs in lists {
            let refs: Vec<&str> = refs
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Json::as_str)
                .collect();
            // A reference to an attribute is followed by its object's.
            for r in &refs {
                for object in &refs {
                    if let Some(attr) = r
                        .strip_prefix(object)
                        .and_then(|rest| rest.strip_prefix('.'))
                        && !object.starts_with("module.")
                    {
                        let first = attr.split(['.', '[']).next().unwrap_or(attr);
                        found
                            .insert((format!("module.{config}.{object}"), vec![first.to_string()]));
                    }
                }
            }
        }
    }
    found
        .into_iter()
        .map(|(resource, attribute)| json!({ "resource": resource, "attribute": attribute }))
        .collect()
}

/// An environment's state in Terraform's JSON state representation (what
/// `terraform show -json` writes without a plan): one line (indented with
/// `pretty`), sensitive values hidden as in plans, `{"format_version":
/// "1.0"}` alone for an environment with nothing recorded.
pub fn state(st: &EnvState, pretty: bool) -> String {
    let mut instances: Vec<(InstanceAddr, &Value, Vec<String>)> = Vec::new();
    let mut outputs = Map::new();
    let mut configs = Map::new();
    for (config, cs) in &st.configs {
        for r in cs.resources.values() {
            let depends_on: Vec<String> = r
                .dependencies
                .iter()
                .map(|d| match InstanceAddr::parse(d) {
                    Ok((_, a)) => address(&a),
                    Err(_) => d.clone(),
                })
                .collect();
            for i in &r.instances {
                let resource = ResourceAddr {
                    config: config.clone(),
                    mode: r.mode,
                    type_name: r.type_name.clone(),
                    name: r.name.clone(),
                };
                instances.push((
                    resource.instance(i.index_key.clone()),
                    &i.attributes,
                    depends_on.clone(),
                ));
            }
        }
        for (name, o) in &cs.outputs {
            outputs.insert(
                format!("{config}.{name}"),
                output_value(Some(&o.value), o.sensitive),
            );
        }
        configs.insert(
            config.clone(),
            json!({ "serial": cs.serial, "lineage": cs.lineage }),
        );
    }
    if instances.is_empty() && outputs.is_empty() {
        return text(&json!({ "format_version": "1.0" }), pretty);
    }
    let mut values = Map::new();
    if !outputs.is_empty() {
        values.insert("outputs".into(), Json::Object(outputs));
    }
    values.insert(
        "root_module".into(),
        json!({ "child_modules": modules(instances.iter().map(|(a, v, d)| (a, *v, d.as_slice(), None))) }),
    );
    let doc = json!({
        "format_version": "1.0",
        "terraform_version": TERRAFORM_VERSION,
        "values": values,
        "terrace": { "environment": st.environment, "configurations": configs },
    });
    text(&doc, pretty)
}

/// An output in `planned_values`, `prior_state` or state: `sensitive`,
/// `value` (null when sensitive; absent when unknown) and `type`.
pub fn output_value(v: Option<&Value>, sensitive: bool) -> Json {
    let sensitive = sensitive || v.is_some_and(Value::contains_sensitive);
    let mut m = Map::new();
    m.insert("sensitive".into(), json!(sensitive));
    match v {
        Some(v) if v.is_wholly_known() => {
            let value = if sensitive {
                Json::Null
            } else {
                known(Some(v))
            };
            m.insert("value".into(), value);
            m.insert("type".into(), type_of(v));
        }
        _ => {}
    }
    Json::Object(m)
}

/// A value's type as Terraform writes it in JSON (`"string"`,
/// `["object", {...}]`); terrace does not tell lists from tuples, nor
/// maps from objects, so collections are tuples and objects.
fn type_of(v: &Value) -> Json {
    match v {
        Value::Null | Value::Unknown => json!("dynamic"),
        Value::Bool(_) => json!("bool"),
        Value::Number(_) => json!("number"),
        Value::String(_) => json!("string"),
        Value::Sensitive(inner) => type_of(inner),
        Value::List(items) => json!(["tuple", items.iter().map(type_of).collect::<Vec<_>>()]),
        Value::Object(m) => json!([
            "object",
            m.iter()
                .map(|(k, x)| (k.clone(), type_of(x)))
                .collect::<Map<String, Json>>()
        ]),
    }
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
    body.insert(
        "after_sensitive".into(),
        after.map_or(json!(false), |a| sensitive_after(before, a)),
    );
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
    // A sensitive output keeps its keys, its values hidden; an unknown
    // one has no `after`, as in Terraform.
    let masked = |v: Option<&Value>| -> Json {
        match v {
            Some(v) if !o.sensitive => known(Some(v)),
            _ => Json::Null,
        }
    };
    let after_unknown = o.after.as_ref().is_some_and(|v| !v.is_wholly_known());
    let mut m = Map::new();
    m.insert("actions".into(), json!(actions(o.action, false)));
    m.insert("before".into(), masked(o.before.as_ref()));
    if !o
        .after
        .as_ref()
        .is_some_and(|v| matches!(v.unmark().0, Value::Unknown))
    {
        m.insert("after".into(), masked(o.after.as_ref()));
    }
    m.insert("after_unknown".into(), json!(after_unknown));
    m.insert(
        "before_sensitive".into(),
        json!(o.sensitive || o.before.as_ref().is_some_and(Value::contains_sensitive)),
    );
    m.insert(
        "after_sensitive".into(),
        json!(o.sensitive || o.after.as_ref().is_some_and(Value::contains_sensitive)),
    );
    m.insert(
        "terrace".into(),
        json!({ "configuration": o.configuration, "name": o.name }),
    );
    Json::Object(m)
}

/// The resources and outputs as they will be after apply.
fn planned_values(p: &Plan, all: &[&Change]) -> Json {
    let values = all
        .iter()
        .filter(|c| !matches!(c.action, Action::Delete | Action::Forget))
        .filter_map(|c| Some((&c.address, c.after.as_ref()?, &[][..], c.before.as_ref())));
    let outputs: Map<String, Json> = p
        .outputs
        .iter()
        .filter(|o| o.action != Action::Delete)
        .map(|o| (output_key(o), output_value(o.after.as_ref(), o.sensitive)))
        .collect();
    json!({ "outputs": outputs, "root_module": { "child_modules": modules(values) } })
}

/// What the plan knows of the objects before it: every recorded object,
/// as read back (refreshed), and the recorded outputs.
fn prior_state(p: &Plan, all: &[&Change]) -> Json {
    let values = all
        .iter()
        .filter_map(|c| Some((&c.address, c.before.as_ref()?, &[][..], None)));
    let outputs: Map<String, Json> = p
        .outputs
        .iter()
        .filter(|o| o.before.is_some())
        .map(|o| (output_key(o), output_value(o.before.as_ref(), o.sensitive)))
        .collect();
    json!({
        "format_version": "1.0",
        "terraform_version": TERRAFORM_VERSION,
        "values": { "outputs": outputs, "root_module": { "child_modules": modules(values) } },
    })
}

/// One object in `planned_values`, `prior_state` or state: its address,
/// value, dependencies, and (for a planned value) the object before it.
type Object<'a> = (&'a InstanceAddr, &'a Value, &'a [String], Option<&'a Value>);

/// Resources grouped into one child module per configuration.
fn modules<'a>(values: impl Iterator<Item = Object<'a>>) -> Vec<Json> {
    let mut by_config: std::collections::BTreeMap<&str, Vec<Json>> = Default::default();
    for (a, v, depends_on, before) in values {
        let mut m = identity(a);
        m.insert("schema_version".into(), json!(0));
        m.insert("values".into(), known(Some(v)));
        m.insert("sensitive_values".into(), sensitive_after(before, v));
        if !depends_on.is_empty() {
            m.insert("depends_on".into(), json!(depends_on));
        }
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

/// The known, non-sensitive part of a value: unknown values are left out
/// of objects and are `null` in lists (Terraform marks them in
/// `after_unknown`); a sensitive value keeps its place, as `null` (marked
/// in `*_sensitive`).
pub fn known(v: Option<&Value>) -> Json {
    v.and_then(known_part).unwrap_or(Json::Null)
}

fn known_part(v: &Value) -> Option<Json> {
    match v {
        Value::Unknown => None,
        Value::Sensitive(inner) if inner.is_wholly_known() => Some(Json::Null),
        Value::Sensitive(_) => None,
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

/// `after_sensitive` (and planned `sensitive_values`): as [`mask`], and an
/// attribute known only after apply that holds an object (or a list)
/// before is marked `{}` (`[]`), as Terraform marks an unknown value of
/// an object type (terrace's unknown values carry no type: the value
/// before stands for it).
fn sensitive_after(before: Option<&Value>, after: &Value) -> Json {
    let mut m = mask(after, Mark::Sensitive);
    if let (Some(Value::Object(b)), Value::Object(a), Json::Object(marks)) =
        (before.map(|b| b.unmark().0), after, &mut m)
    {
        for (k, v) in a.iter() {
            if matches!(v, Value::Unknown) && !marks.contains_key(k) {
                match b.get(k).map(|x| x.unmark().0) {
                    Some(Value::Object(_)) => {
                        marks.insert(k.clone(), json!({}));
                    }
                    Some(Value::List(_)) => {
                        marks.insert(k.clone(), json!([]));
                    }
                    _ => {}
                }
            }
        }
    }
    m
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

/// The outputs the last apply recorded, as `terrace output --json`
/// prints them: `{"CONFIG": {"NAME": {"value": …, "sensitive": bool}}}`,
/// only `config`'s with one. As in Terraform, an output whose value is
/// null is left out. A sensitive value is there only with `reveal`.
pub fn outputs(state: &EnvState, config: Option<&str>, reveal: bool) -> Json {
    let mut out = Map::new();
    for (name, cs) in &state.configs {
        if config.is_some_and(|c| c != name) {
            continue;
        }
        let outputs: Map<String, Json> = cs
            .outputs
            .iter()
            .filter(|(_, o)| !o.value.unmark().0.is_null())
            .map(|(k, o)| {
                let sensitive = o.sensitive || o.value.contains_sensitive();
                let mut v = json!({ "sensitive": sensitive });
                if reveal || !sensitive {
                    v["value"] = o.value.to_json();
                }
                (k.clone(), v)
            })
            .collect();
        out.insert(name.clone(), Json::Object(outputs));
    }
    Json::Object(out)
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
    fn sensitive_values_keep_their_keys_hidden_and_marked() {
        let v = obj(&[
            ("user", "admin".into()),
            ("password", Value::string("hunter2").sensitive()),
            ("tags", Value::List(vec![Value::string("x").sensitive()])),
        ]);
        let text = known(Some(&v)).to_string();
        assert!(!text.contains("hunter2"), "{text}");
        assert_eq!(text, r#"{"password":null,"tags":[null],"user":"admin"}"#);
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
