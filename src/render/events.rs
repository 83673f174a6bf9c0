//! Machine-readable UI: one JSON object per line, modelled on the messages
//! of `terraform plan -json` / `terraform apply -json` (`version`,
//! `planned_change`, `resource_drift`, `refresh_start`, `refresh_complete`,
//! `apply_start`, `apply_complete`, `apply_errored`, `change_summary`,
//! `outputs`, `diagnostic`, and terrace's `policy`), each with
//! `@level`, `@message`, `@module` and `@timestamp`.
//!
//! Resource addresses follow [`super::json`]: `module.CONFIG.TYPE.NAME`,
//! with terrace's own address under `terrace`. Every function returns one
//! line without its newline; the CLI writes it.

use super::json::{address, module_address};
use crate::address::{InstanceAddr, InstanceKey};
use crate::apply::Event;
use crate::diag::{Diagnostic, Severity, SourceMap, Span};
use crate::plan::{Action, Change, Drift, Plan};
use crate::state::EnvState;
use serde_json::{Map, Value as Json, json};
use std::time::Duration;

/// The version of this message format.
pub const UI_VERSION: &str = "1.0";

/// Makes event lines; the clock is injectable for tests.
pub struct Events {
    pub env: String,
    pub now: fn() -> String,
}

fn now() -> String {
    stamp(jiff::Timestamp::now())
}

/// Terraform's `@timestamp`: UTC with six fraction digits
/// (`2026-12-05T06:29:41.287740Z`).
fn stamp(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// An apply's or plan's operation, as `change_summary` reports it.
#[derive(Debug, Clone, Copy)]
pub enum Operation {
    Plan,
    Apply,
    Destroy,
}

impl Events {
    pub fn new(env: &str) -> Events {
        Events {
            env: env.to_string(),
            now,
        }
    }

    fn line(&self, level: &str, message: &str, kind: &str, body: Map<String, Json>) -> String {
        let mut m = Map::new();
        m.insert("@level".into(), json!(level));
        m.insert("@message".into(), json!(message));
        m.insert("@module".into(), json!("terrace.ui"));
        m.insert("@timestamp".into(), json!((self.now)()));
        m.extend(body);
        m.insert("type".into(), json!(kind));
        Json::Object(m).to_string()
    }

    /// The first line: which terrace, which message format.
    pub fn version(&self) -> String {
        let v = env!("CARGO_PKG_VERSION");
        let mut body = Map::new();
        body.insert("terrace".into(), json!(v));
        body.insert("ui".into(), json!(UI_VERSION));
        self.line("info", &format!("terrace {v}"), "version", body)
    }

    fn resource(&self, a: &InstanceAddr) -> Json {
        let key = match &a.key {
            Some(InstanceKey::Int(i)) => json!(i),
            Some(InstanceKey::Str(s)) => json!(s),
            None => Json::Null,
        };
        json!({
            "addr": address(a),
            "module": module_address(&a.resource.config),
            "resource": local_with_key(a),
            "implied_provider": "terrace",
            "resource_type": a.resource.type_name,
            "resource_name": a.resource.name,
            "resource_key": key,
            "terrace_address": format!("{}/{a}", self.env),
        })
    }

    /// A resource object for an address string from the apply walker;
    /// one that does not parse is passed through as `addr`. A deposed
    /// object keeps its resource's address, as in Terraform; terrace says
    /// it is deposed in `terrace_deposed`.
    fn resource_of(&self, addr: &str, deposed: bool) -> (Json, String) {
        match InstanceAddr::parse(addr) {
            Ok((_, a)) => {
                let mut r = self.resource(&a);
                if deposed {
                    r["terrace_deposed"] = json!(true);
                }
                (r, address(&a))
            }
            Err(_) => (
                json!({ "addr": addr, "terrace_address": format!("{}/{addr}", self.env) }),
                addr.to_string(),
            ),
        }
    }

    /// Every line a plan makes: drift, planned changes, summary, outputs.
    pub fn plan(&self, p: &Plan) -> Vec<String> {
        let mut lines: Vec<String> = p.drift.iter().map(|d| self.drift(d)).collect();
        lines.extend(
            p.changes
                .iter()
                .filter(|c| c.is_change())
                .map(|c| self.planned_change(c)),
        );
        for w in &p.warnings {
            lines.push(self.message(Severity::Warning, w, ""));
        }
        let s = p.summary();
        lines.push(self.summary(Operation::Plan, s.add, s.change, s.destroy));
        lines.extend(p.policies.iter().map(|r| self.policy(r)));
        if let Some(o) = self.outputs(p) {
            lines.push(o);
        }
        lines
    }

    /// `policy` (terrace's own type): one policy's result on the plan
    /// (docs/policies.md); `warn` level when it blocks the plan.
    fn policy(&self, r: &crate::policy::PolicyResult) -> String {
        let level = if r.blocks() { "warn" } else { "info" };
        let message = format!(
            "Policy {} ({}): {}",
            r.name,
            r.enforcement.as_str(),
            r.result.as_str()
        );
        let mut body = Map::new();
        body.insert("policy".into(), json!(r));
        self.line(level, &message, "policy", body)
    }

    fn planned_change(&self, c: &Change) -> String {
        let action = match c.action {
            Action::Create => "create",
            Action::Update => "update",
            Action::Replace => "replace",
            Action::Delete => "delete",
            Action::Read => "read",
            Action::NoOp if c.previous_address.is_some() => "move",
            Action::NoOp => "noop",
            Action::Forget => "remove",
        };
        let mut change = Map::new();
        change.insert("resource".into(), self.resource(&c.address));
        if let Some(prev) = &c.previous_address {
            change.insert("previous_resource".into(), self.resource(prev));
        }
        if let Some(id) = &c.importing {
            change.insert("importing".into(), json!({ "id": id }));
        }
        change.insert("action".into(), json!(action));
        if let Some(r) = super::json::action_reason(c) {
            let r = r.strip_prefix("replace_because_").unwrap_or(r);
            change.insert("reason".into(), json!(r));
        }
        let mut body = Map::new();
        body.insert("change".into(), Json::Object(change));
        self.line(
            "info",
            &format!("{}: Plan to {action}", address(&c.address)),
            "planned_change",
            body,
        )
    }

    fn drift(&self, d: &Drift) -> String {
        let action = if d.after.is_some() {
            "update"
        } else {
            "delete"
        };
        let mut body = Map::new();
        body.insert(
            "change".into(),
            json!({ "resource": self.resource(&d.address), "action": action }),
        );
        self.line(
            "info",
            &format!("{}: Drift detected ({action})", address(&d.address)),
            "resource_drift",
            body,
        )
    }

    fn outputs(&self, p: &Plan) -> Option<String> {
        let mut outputs = Map::new();
        for o in &p.outputs {
            let action = match o.action {
                Action::Create => "create",
                Action::Update => "update",
                Action::Delete => "delete",
                _ => "noop",
            };
            outputs.insert(
                format!("{}.{}", o.configuration, o.name),
                json!({ "sensitive": o.sensitive, "action": action }),
            );
        }
        self.outputs_line(outputs)
    }

    /// The `outputs` line for `outputs` (keyed `CONFIG.NAME`); `None`
    /// when there are none.
    fn outputs_line(&self, outputs: Map<String, Json>) -> Option<String> {
        if outputs.is_empty() {
            return None;
        }
        let n = outputs.len();
        let mut body = Map::new();
        body.insert("outputs".into(), Json::Object(outputs));
        Some(self.line("info", &format!("Outputs: {n}"), "outputs", body))
    }

    /// The `outputs` line after an apply: each output's `sensitive`,
    /// `type` and (unless sensitive) `value`; `None` without outputs.
    pub fn applied_outputs(&self, state: &EnvState) -> Option<String> {
        let mut outputs = Map::new();
        for (config, c) in &state.configs {
            for (name, o) in &c.outputs {
                let mut v = super::json::output_value(Some(&o.value), o.sensitive);
                if v["sensitive"] == json!(true)
                    && let Some(m) = v.as_object_mut()
                {
                    m.remove("value");
                }
                outputs.insert(format!("{config}.{name}"), v);
            }
        }
        self.outputs_line(outputs)
    }

    /// The lines that end an apply: its errors and warnings as
    /// diagnostics; then, only when it succeeded (as Terraform: a failed
    /// apply ends with its diagnostics), its summary and the outputs.
    pub fn outcome(
        &self,
        o: &crate::apply::Outcome,
        destroy: bool,
        sources: &SourceMap,
        state: &EnvState,
    ) -> Vec<String> {
        let mut lines: Vec<String> = o
            .warnings
            .iter()
            .chain(&o.errors)
            .map(|d| self.diagnostic(d, Some(sources)))
            .collect();
        if !o.succeeded() {
            return lines;
        }
        let op = if destroy {
            Operation::Destroy
        } else {
            Operation::Apply
        };
        lines.push(self.summary(
            op,
            o.created + o.replaced,
            o.updated,
            o.deleted + o.replaced,
        ));
        if !destroy && let Some(line) = self.applied_outputs(state) {
            lines.push(line);
        }
        lines
    }

    /// `change_summary`: `Plan: …` or `Apply complete! …`.
    pub fn summary(&self, op: Operation, add: usize, change: usize, remove: usize) -> String {
        let (message, operation) = match op {
            Operation::Plan => (
                format!("Plan: {add} to add, {change} to change, {remove} to destroy."),
                "plan",
            ),
            Operation::Apply => (
                format!(
                    "Apply complete! Resources: {add} added, {change} changed, {remove} destroyed."
                ),
                "apply",
            ),
            Operation::Destroy => (
                format!("Destroy complete! Resources: {remove} destroyed."),
                "destroy",
            ),
        };
        let mut body = Map::new();
        body.insert(
            "changes".into(),
            json!({ "add": add, "change": change, "import": 0, "remove": remove, "action_invocation": 0, "operation": operation }),
        );
        self.line("info", &message, "change_summary", body)
    }

    /// A `diagnostic` line from terrace's diagnostics (see
    /// [`diagnostic_body`]).
    pub fn diagnostic(&self, d: &Diagnostic, sources: Option<&SourceMap>) -> String {
        let (level, word) = match d.severity {
            Severity::Error => ("error", "Error"),
            Severity::Warning => ("warn", "Warning"),
        };
        let diag = diagnostic_body(d, sources);
        let summary = diag["summary"].as_str().unwrap_or_default().to_string();
        let mut body = Map::new();
        body.insert("diagnostic".into(), Json::Object(diag));
        self.line(level, &format!("{word}: {summary}"), "diagnostic", body)
    }

    /// A `diagnostic` line from a plain message.
    pub fn message(&self, severity: Severity, summary: &str, detail: &str) -> String {
        let d = match severity {
            Severity::Error => Diagnostic::error("", summary),
            Severity::Warning => Diagnostic::warning("", summary),
        };
        self.diagnostic(&d.help(detail), None)
    }

    /// `refresh_start` (`done` false) or `refresh_complete` for an object
    /// read back while planning, with its `id` as Terraform reports it.
    pub fn refresh(&self, a: &InstanceAddr, id: Option<&str>, done: bool) -> String {
        let (message, kind) = if done {
            ("Refresh complete", "refresh_complete")
        } else {
            ("Refreshing state...", "refresh_start")
        };
        let mut h = Map::new();
        h.insert("resource".into(), self.resource(a));
        if let Some(id) = id {
            h.insert("id_key".into(), json!("id"));
            h.insert("id_value".into(), json!(id));
        }
        let mut body = Map::new();
        body.insert("hook".into(), Json::Object(h));
        self.line(
            "info",
            &format!("{}: {message}{}", address(a), id_text(id)),
            kind,
            body,
        )
    }

    /// The line for one apply event.
    pub fn apply_event(&self, e: &Event) -> String {
        let verb = |a: Action| match a {
            Action::Create | Action::Replace => ("create", "Creating...", "Creation"),
            Action::Update => ("update", "Modifying...", "Modifications"),
            Action::Delete => ("delete", "Destroying...", "Destruction"),
            Action::Read => ("read", "Reading...", "Read"),
            Action::NoOp => ("noop", "", ""),
            Action::Forget => ("remove", "", ""),
        };
        match e {
            Event::Started {
                address,
                deposed,
                action,
                id,
            } => {
                let (resource, addr) = self.resource_of(address, *deposed);
                let (name, start, _) = verb(*action);
                let hook = hook(resource, name, id.as_deref());
                let id_text = id_text(id.as_deref());
                let mut body = Map::new();
                body.insert("hook".into(), Json::Object(hook));
                self.line(
                    "info",
                    &format!("{addr}: {start}{id_text}"),
                    "apply_start",
                    body,
                )
            }
            Event::Finished {
                address,
                deposed,
                action,
                elapsed,
                id,
            } => {
                let (resource, addr) = self.resource_of(address, *deposed);
                let (name, _, done) = verb(*action);
                let secs = seconds(*elapsed);
                let mut hook = hook(resource, name, id.as_deref());
                hook.insert("elapsed_seconds".into(), json!(secs));
                let id_text = id_text(id.as_deref());
                let mut body = Map::new();
                body.insert("hook".into(), Json::Object(hook));
                self.line(
                    "info",
                    &format!("{addr}: {done} complete after {secs}s{id_text}"),
                    "apply_complete",
                    body,
                )
            }
            Event::Failed {
                address,
                deposed,
                action,
                elapsed,
                message,
            } => {
                // Terraform's line: `info`, no message (the diagnostic
                // that follows carries it); terrace adds it as its own.
                let (resource, addr) = self.resource_of(address, *deposed);
                let (name, _, done) = verb(*action);
                let secs = seconds(*elapsed);
                let mut hook = hook(resource, name, None);
                hook.insert("elapsed_seconds".into(), json!(secs));
                hook.insert("terrace_message".into(), json!(message));
                let mut body = Map::new();
                body.insert("hook".into(), Json::Object(hook));
                self.line(
                    "info",
                    &format!("{addr}: {done} errored after {secs}s"),
                    "apply_errored",
                    body,
                )
            }
            Event::Skipped { address, because } => {
                let (_, addr) = self.resource_of(address, false);
                self.message(
                    Severity::Warning,
                    &format!("{addr} was not attempted"),
                    &format!("it depends on {because}, which failed"),
                )
            }
            Event::Interrupted { in_flight } => self.message(
                Severity::Warning,
                "Interrupted",
                &format!("no new operations start; waiting for {in_flight} running operation(s)"),
            ),
        }
    }
}

/// An apply hook's `resource` and `action`, with `id_key`/`id_value`
/// when the object has an id.
fn hook(resource: Json, action: &str, id: Option<&str>) -> Map<String, Json> {
    let mut hook = Map::new();
    hook.insert("resource".into(), resource);
    hook.insert("action".into(), json!(action));
    if let Some(id) = id {
        hook.insert("id_key".into(), json!("id"));
        hook.insert("id_value".into(), json!(id));
    }
    hook
}

/// ` [id=ID]` after an apply message, as Terraform writes it.
fn id_text(id: Option<&str>) -> String {
    id.map(|i| format!(" [id={i}]")).unwrap_or_default()
}

/// `TYPE.NAME` with its instance key, as Terraform's `resource` field
/// has it: `terrace_data.many[1]`, `terrace_data.k["a"]`.
fn local_with_key(a: &InstanceAddr) -> String {
    let full = address(a);
    let module = format!("{}.", module_address(&a.resource.config));
    full.strip_prefix(&module).unwrap_or(&full).to_string()
}

/// Terraform's diagnostic `range`: file, start and end as line, column
/// (one-based) and byte offset.
pub(super) fn range(map: &SourceMap, span: Span) -> Option<Json> {
    let file = map.files().nth(span.file.0 as usize)?;
    let pos = |offset: u32| {
        let (line, column) = file.line_col(offset);
        json!({ "line": line, "column": column, "byte": offset })
    };
    Some(json!({ "filename": file.name, "start": pos(span.start), "end": pos(span.end) }))
}

/// Whole seconds, as Terraform reports `elapsed_seconds`.
fn seconds(d: Duration) -> u64 {
    d.as_secs()
}

/// Terraform's diagnostic object, for the stream and `validate --json`:
/// terrace's diagnostic in Terraform's words where they differ
/// (`Diagnostic::terraform`), with the `address` of the resource instance
/// it belongs to; with the sources, its primary span becomes Terraform's
/// `range` and `snippet` (with the values of the references in it).
pub(super) fn diagnostic_body(d: &Diagnostic, sources: Option<&SourceMap>) -> Map<String, Json> {
    let extra = d.json.as_deref();
    let (summary, detail) = match extra.and_then(|x| x.wording.as_ref()) {
        Some((summary, detail)) => (*summary, detail.as_str()),
        None => (d.message.as_str(), d.help.as_deref().unwrap_or_default()),
    };
    let severity = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut diag = Map::new();
    diag.insert("severity".into(), json!(severity));
    diag.insert("summary".into(), json!(summary));
    diag.insert("detail".into(), json!(detail));
    if let Some(a) = extra.and_then(|x| x.address.as_ref()) {
        diag.insert("address".into(), json!(address(a)));
    }
    if let Some(map) = sources {
        if let Some(span) = d.span()
            && let Some(range) = range(map, span)
        {
            diag.insert("range".into(), range);
            if let Some(mut snippet) = super::validate::snippet(map, span) {
                let values: Vec<Json> = extra
                    .map_or(&[][..], |x| &x.values)
                    .iter()
                    .map(|v| json!({ "traversal": v.traversal, "statement": v.statement }))
                    .collect();
                snippet["values"] = Json::Array(values);
                diag.insert("snippet".into(), snippet);
            }
        }
        diag.insert("code".into(), json!(d.code));
    }
    diag
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed() -> String {
        "2026-01-01T00:00:00Z".into()
    }

    #[test]
    fn apply_events_carry_terraform_fields() {
        let ev = Events {
            env: "dev".into(),
            now: fixed,
        };
        let line = ev.apply_event(&Event::Finished {
            address: "net/file.page[0]".into(),
            deposed: false,
            action: Action::Create,
            elapsed: Duration::from_millis(1500),
            id: Some("x".into()),
        });
        let v: Json = serde_json::from_str(&line).expect("json");
        assert_eq!(v["type"], "apply_complete");
        assert_eq!(v["@level"], "info");
        assert_eq!(v["hook"]["resource"]["addr"], "module.net.file.page[0]");
        assert_eq!(v["hook"]["resource"]["resource_key"], 0);
        assert_eq!(v["hook"]["elapsed_seconds"], 1);
        assert_eq!(v["@timestamp"], "2026-01-01T00:00:00Z");
    }

    #[test]
    fn timestamps_have_six_fraction_digits_as_terraform_writes_them() {
        let t: jiff::Timestamp = "2026-12-05T06:29:41.28774012Z".parse().expect("time");
        assert_eq!(stamp(t), "2026-12-05T06:29:41.287740Z");
        let whole: jiff::Timestamp = "2026-12-05T06:29:41Z".parse().expect("time");
        assert_eq!(stamp(whole), "2026-12-05T06:29:41.000000Z");
    }
}
