//! `terrace drift` as text (the plan's drift section) and as JSON
//! (Terraform's `resource_drift` entries). Sensitive values never appear:
//! in JSON they are null, with `before_sensitive`/`after_sensitive` masks.

use super::plan::drift_entry;
use super::style::Palette;
use crate::address::InstanceKey;
use crate::plan::Drift;
use crate::value::Value;
use std::fmt::Write;

/// Drift as text.
pub fn drift_text(env: &str, drift: &[Drift], pal: Palette) -> String {
    let mut out = String::new();
    if drift.is_empty() {
        let _ = writeln!(
            out,
            "{} the objects of environment \"{env}\" match the recorded state.",
            pal.green("No drift:")
        );
        return out;
    }
    let _ = writeln!(
        out,
        "{}\n",
        pal.bold(&format!(
            "{} object(s) in environment \"{env}\" changed outside terrace since the last apply:",
            drift.len()
        ))
    );
    for d in drift {
        drift_entry(&mut out, env, d, pal);
    }
    let _ = writeln!(
        out,
        "Run `terrace plan --env {env}` to see what applying the definitions would do about it."
    );
    out
}

/// Drift as JSON: `{"format_version", "environment", "checked_at",
/// "resource_drift": [{address, type, name, index, change: {actions,
/// before, after, before_sensitive, after_sensitive}}]}`.
pub fn drift_json(env: &str, checked_at: &str, drift: &[Drift]) -> String {
    let entries: Vec<serde_json::Value> = drift
        .iter()
        .map(|d| {
            let r = &d.address.resource;
            let actions = if d.after.is_some() {
                "update"
            } else {
                "delete"
            };
            let mut entry = serde_json::json!({
                "address": d.address.to_string(),
                "configuration": r.config,
                "type": r.type_name,
                "name": r.name,
                "change": {
                    "actions": [actions],
                    "before": redacted(&d.before),
                    "after": d.after.as_ref().map(redacted),
                    "before_sensitive": mask(&d.before),
                    "after_sensitive": d.after.as_ref().map_or(serde_json::Value::Bool(false), mask),
                },
            });
            if let Some(k) = &d.address.key {
                entry["index"] = match k {
                    InstanceKey::Int(i) => serde_json::json!(i),
                    InstanceKey::Str(s) => serde_json::json!(s),
                };
            }
            entry
        })
        .collect();
    let doc = serde_json::json!({
        "format_version": "1.0",
        "environment": env,
        "checked_at": checked_at,
        "resource_drift": entries,
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

/// The value as JSON with sensitive parts replaced by null.
fn redacted(v: &Value) -> serde_json::Value {
    match v {
        Value::Sensitive(_) => serde_json::Value::Null,
        Value::List(items) => serde_json::Value::Array(items.iter().map(redacted).collect()),
        Value::Object(m) => {
            serde_json::Value::Object(m.iter().map(|(k, v)| (k.clone(), redacted(v))).collect())
        }
        other => other.to_json(),
    }
}

/// Terraform's sensitivity mask: true where the value is sensitive.
fn mask(v: &Value) -> serde_json::Value {
    match v {
        Value::Sensitive(_) => serde_json::Value::Bool(true),
        Value::List(items) => serde_json::Value::Array(items.iter().map(mask).collect()),
        Value::Object(m) => serde_json::Value::Object(
            m.iter()
                .filter(|(_, v)| v.contains_sensitive())
                .map(|(k, v)| (k.clone(), mask(v)))
                .collect(),
        ),
        _ => serde_json::Value::Bool(false),
    }
}
