//! `terrace drift` as text (the plan's drift section) and as JSON
//! (Terraform's `resource_drift` entries, as in the JSON plan). Sensitive
//! values never appear.

use super::plan::drift_entry;
use super::style::Palette;
use crate::plan::Drift;
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
        "A plan of environment \"{env}\" shows what applying would do about it."
    );
    out
}

/// Drift as JSON: `{"format_version", "environment", "checked_at",
/// "resource_drift": [...]}`, the entries exactly as in the JSON plan's
/// `resource_drift` (Terraform's shape, sensitive values left out).
pub fn drift_json(env: &str, checked_at: &str, drift: &[Drift]) -> String {
    let entries: Vec<serde_json::Value> =
        drift.iter().map(|d| super::json::drift(env, d)).collect();
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
