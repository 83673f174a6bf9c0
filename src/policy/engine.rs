//! Compiling and evaluating one policy with regorus: one engine per
//! policy, so that two policies' packages never mix.

use super::{PolicyResult, Verdict};
use crate::config::{Policy, Project};
use crate::diag::{Diagnostic, Diagnostics, SourceFile, Span};
use serde_json::Value as Json;

/// A Rego error, with where regorus says it is.
pub(super) struct RegoError {
    pub message: String,
    /// One-based line and column.
    pub at: Option<(usize, usize)>,
}

impl RegoError {
    /// regorus's errors carry only text, written as `\n--> FILE:LINE:COL\n<excerpt>\nerror: MESSAGE`.
    pub(super) fn from(e: &dyn std::fmt::Display) -> RegoError {
        let text = e.to_string();
        let at = text.lines().find_map(|l| {
            let rest = l.trim_start().strip_prefix("--> ")?;
            let mut parts = rest.rsplitn(3, ':');
            let col = parts.next()?.trim().parse().ok()?;
            let line = parts.next()?.trim().parse().ok()?;
            Some((line, col))
        });
        let message = match at {
            Some(_) => text
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .map(|l| l.trim().trim_start_matches("error: ").to_string())
                .unwrap_or_else(|| text.trim().to_string()),
            None => text.trim().to_string(),
        };
        RegoError { message, at }
    }

    /// The error's place as a span in `file` (one character wide).
    pub(super) fn span(&self, id: crate::diag::FileId, file: &SourceFile) -> Option<Span> {
        let (line, col) = self.at?;
        let start = offset(&file.text, line, col)?;
        let end = file.text[start..]
            .chars()
            .next()
            .map_or(start, |c| start + c.len_utf8());
        Some(Span::new(id, start..end))
    }
}

/// The byte offset of one-based `line`, `col` (in characters) in `text`.
fn offset(text: &str, line: usize, col: usize) -> Option<usize> {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.checked_sub(1)?)
        .map(str::len)
        .sum();
    let rest = text.get(start..)?;
    let line_text = rest.split('\n').next().unwrap_or("");
    let within = line_text
        .char_indices()
        .nth(col.saturating_sub(1))
        .map_or(line_text.len(), |(i, _)| i);
    Some(start + within)
}

/// An engine with `policy`'s Rego loaded, or the Rego error.
fn load(policy: &Policy) -> Result<regorus::Engine, RegoError> {
    let Some(text) = &policy.text else {
        return Err(RegoError {
            message: format!("the source {} could not be read", policy.source),
            at: None,
        });
    };
    let mut engine = regorus::Engine::new();
    engine
        .add_policy(policy.source.clone(), text.to_string())
        .map_err(|e| RegoError::from(&e))?;
    Ok(engine)
}

/// The rules `module` declares, in order: each rule's name and whether
/// it is a function. Read from regorus's syntax tree (its `unstable` API,
/// hence the exact version pinned in Cargo.toml).
pub(super) fn rules(module: &regorus::unstable::Module) -> Vec<(String, bool)> {
    use regorus::unstable::{Expr, Rule, RuleHead};
    fn name(refr: &Expr) -> String {
        let text = refr.span().text();
        text.split(['.', '['])
            .next()
            .unwrap_or(text)
            .trim()
            .to_string()
    }
    module
        .policy
        .iter()
        .map(|rule| match &**rule {
            Rule::Spec { head, .. } => match head {
                RuleHead::Compr { refr, .. } | RuleHead::Set { refr, .. } => (name(refr), false),
                RuleHead::Func { refr, .. } => (name(refr), true),
            },
            Rule::Default { refr, args, .. } => (name(refr), !args.is_empty()),
        })
        .collect()
}

/// Why `policy`'s query names nothing its file declares, if it does not:
/// such a query is always undefined, and would pass every plan.
fn undeclared(policy: &Policy) -> Option<String> {
    let text = policy.text.as_ref()?;
    let mut engine = regorus::Engine::new();
    let package = engine
        .add_policy(policy.source.clone(), text.to_string())
        .ok()?;
    let Some(rule) = policy
        .query
        .strip_prefix(&package)
        .and_then(|r| r.strip_prefix('.'))
    else {
        return Some(format!(
            "the query {} is outside the package of {} ({package}), so it would pass every plan",
            policy.query, policy.source
        ));
    };
    let name = rule.split(['.', '[']).next().unwrap_or(rule);
    let declared = engine
        .get_modules()
        .iter()
        .flat_map(|m| rules(m))
        .any(|(rule, _)| rule == name);
    (!declared).then(|| {
        format!(
            "{} declares no rule {name} in {package}, so the query {} would pass every plan",
            policy.source, policy.query
        )
    })
}

/// The Rego of every policy, compiled: a diagnostic at the Rego error's
/// position for each one that does not compile.
pub fn check(project: &Project) -> Diagnostics {
    let mut diags = Diagnostics::default();
    for p in &project.policies {
        let Some(id) = p.file else {
            continue; // reported when it was read
        };
        let file = project.sources.file(id);
        let prepared = load(p).and_then(|mut engine| {
            // Semantic errors (unknown functions, unsafe variables) show
            // when rules are prepared: evaluate once on an empty plan.
            engine.set_input(regorus::Value::new_object());
            engine
                .eval_query(p.query.clone(), false)
                .map(|_| ())
                .map_err(|e| RegoError::from(&e))
        });
        if prepared.is_ok()
            && let Some(why) = undeclared(p)
        {
            diags.push(
                Diagnostic::error("config::policy_query", format!("policy \"{}\": {why}", p.name))
                    .label(p.query_span, "names no rule of the policy's file")
                    .help("name a rule the file declares, e.g. \"data.PACKAGE.deny\" for `package PACKAGE` and `deny contains msg if { … }`"),
            );
        }
        if let Err(e) = prepared {
            let mut d = Diagnostic::error(
                "config::policy_rego",
                format!("policy \"{}\": {}", p.name, e.message),
            );
            d = match e.span(id, file) {
                Some(span) => d.label(span, "here"),
                None => d.label(p.source_span, "in this file"),
            };
            diags.push(d.help(format!(
                "fix the Rego in {}; `terrace policy test` runs its test_ rules",
                file.name
            )));
        }
    }
    diags
}

/// Evaluates every policy that gates `env` on `input` (the plan's JSON
/// document), in declaration order.
pub fn evaluate(project: &Project, env: &str, input: &Json) -> Vec<PolicyResult> {
    let input = serde_json::to_string(input)
        .map_err(|e| e.to_string())
        .and_then(|text| regorus::Value::from_json_str(&text).map_err(|e| e.to_string()));
    project
        .policies
        .iter()
        .filter(|p| p.applies_to(env))
        .map(|p| {
            let outcome = match &input {
                Ok(input) => run(p, input.clone()),
                Err(e) => Err(format!("the plan could not be given to Rego: {e}")),
            };
            let warn = p
                .query
                .rsplit('.')
                .next()
                .is_some_and(|rule| rule.starts_with("warn"));
            let (result, messages) = match outcome {
                Ok(messages) if messages.is_empty() => (Verdict::Pass, messages),
                Ok(messages) if warn => (Verdict::Warn, messages),
                Ok(messages) => (Verdict::Fail, messages),
                Err(e) => (Verdict::Error, vec![e]),
            };
            PolicyResult {
                name: p.name.clone(),
                enforcement: p.enforcement,
                result,
                messages,
            }
        })
        .collect()
}

/// The messages `policy`'s query gives on `input`.
fn run(policy: &Policy, input: regorus::Value) -> Result<Vec<String>, String> {
    let mut engine = load(policy).map_err(|e| e.message)?;
    engine.set_input(input);
    let results = engine
        .eval_query(policy.query.clone(), false)
        .map_err(|e| RegoError::from(&e).message)?;
    let Some(value) = results
        .result
        .first()
        .and_then(|r| r.expressions.first())
        .map(|e| &e.value)
    else {
        return Ok(Vec::new()); // undefined: nothing to report
    };
    let json = value
        .to_json_str()
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str::<Json>(&t).map_err(|e| e.to_string()))
        .map_err(|e| format!("{} gave a value that is not JSON: {e}", policy.query))?;
    messages(&policy.query, json)
}

/// The messages of a query's value: a set or array of strings, or of
/// objects with a `msg` string (conftest's convention).
fn messages(query: &str, value: Json) -> Result<Vec<String>, String> {
    let items = match value {
        Json::Null => return Ok(Vec::new()),
        Json::Array(items) => items,
        other => {
            return Err(format!(
                "{query} is {}, not a set or array of messages",
                kind(&other)
            ));
        }
    };
    items
        .into_iter()
        .map(|item| match item {
            Json::String(s) => Ok(s),
            Json::Object(ref o) => match o.get("msg") {
                Some(Json::String(s)) => Ok(s.clone()),
                _ => Err(format!(
                    "{query} holds an object without a msg string: {item}"
                )),
            },
            other => Err(format!(
                "{query} holds {}; a message is a string, or an object with msg",
                kind(&other)
            )),
        })
        .collect()
}

fn kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn messages_are_strings_or_objects_with_msg() {
        let got = messages("data.t.deny", json!(["a", {"msg": "b", "x": 1}])).unwrap();
        assert_eq!(got, vec!["a", "b"]);
    }

    #[test]
    fn a_query_value_that_is_not_a_collection_is_an_error() {
        let e = messages("data.t.deny", json!(true)).unwrap_err();
        assert!(e.contains("is a boolean, not a set or array"), "{e}");
        let e = messages("data.t.deny", json!([1])).unwrap_err();
        assert!(e.contains("holds a number"), "{e}");
    }

    fn policy(query: &str, text: &str) -> Policy {
        Policy {
            name: "p".into(),
            span: Span::default(),
            source: "p.rego".into(),
            source_span: Span::default(),
            file: None,
            text: Some(text.into()),
            query: query.into(),
            query_span: Span::default(),
            enforcement: crate::config::Enforcement::Mandatory,
            environments: Vec::new(),
        }
    }

    #[test]
    fn rules_are_found_wherever_their_heads_are_written() {
        let indented = "package t\nimport rego.v1\n  deny contains \"x\" if {\n    false\n  }\n";
        assert_eq!(undeclared(&policy("data.t.deny", indented)), None);
        let default = "package t\nimport rego.v1\ndefault deny := []\n";
        assert_eq!(undeclared(&policy("data.t.deny", default)), None);
        let other = "package t\nimport rego.v1\ndenial := []\n";
        let why = undeclared(&policy("data.t.deny", other)).expect("no rule deny");
        assert!(why.contains("declares no rule deny"), "{why}");
    }

    #[test]
    fn error_positions_become_byte_offsets() {
        assert_eq!(offset("ab\ncdé\nf", 2, 3), Some(5));
        assert_eq!(offset("ab\ncdé\nf", 3, 1), Some(8));
    }
}
