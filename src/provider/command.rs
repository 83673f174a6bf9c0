//! `command`: an object managed by commands the user writes. `create`,
//! `read`, `update` and `delete` are each a command line (run by `sh -c`)
//! or an argument list; a JSON object printed by `create`, `update` or
//! `read` becomes the computed `output` (and its `id`, when it has one).
//!
//! Every command gets the object on standard input as JSON
//! (`{"operation", "id", "prior", "planned"}`) and in the environment
//! `TERRACE_OPERATION`, `TERRACE_ID`, `TERRACE_OUTPUT` (the last output, as
//! JSON) and, when the environment has one, `TERRACE_AUTHORIZATION`: the
//! credential is never put in arguments or state. See docs/language.md.

use super::process::{self, Invocation};
use super::{
    AttrKind, AttrSchema, AttrType, BoxFuture, Context, Planned, Provider, ProviderError, Schema,
};
use crate::value::{Map, Path, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// Arguments whose change runs `update`, or replaces the object without one.
const UPDATED_BY: &[&str] = &["environment", "working_dir"];

pub struct Command {
    schema: Schema,
    /// Environment variables the commands do not inherit.
    withheld: Arc<[String]>,
}

impl Command {
    /// The type, running commands without the variables `withheld`
    /// (those holding credentials).
    pub fn new(withheld: Arc<[String]>) -> Command {
        use AttrKind::{Computed, Optional, Required};
        use AttrType::{Any, Number, String};
        Command {
            schema: Schema {
                attributes: vec![
                    AttrSchema::new("create", Required, Any, "command that creates the object")
                        .force_new(),
                    AttrSchema::new("delete", Optional, Any, "command that deletes the object"),
                    AttrSchema::new(
                        "environment",
                        Optional,
                        Any,
                        "environment variables for every command",
                    ),
                    AttrSchema::new("id", Computed, String, "output.id, or a generated id"),
                    AttrSchema::new(
                        "output",
                        Computed,
                        Any,
                        "the JSON object the last create, update or read printed",
                    ),
                    AttrSchema::new("read", Optional, Any, "command that prints the object now"),
                    AttrSchema::new(
                        "timeout",
                        Optional,
                        Number,
                        "seconds each command may run (default 300)",
                    ),
                    AttrSchema::new(
                        "update",
                        Optional,
                        Any,
                        "command that updates the object in place",
                    ),
                    AttrSchema::new(
                        "working_dir",
                        Optional,
                        String,
                        "where commands run, relative to the project root",
                    ),
                ],
            },
            withheld,
        }
    }

    /// Runs operation `op`'s command for an object.
    async fn run(
        &self,
        op: &str,
        prior: Option<&Value>,
        planned: Option<&Value>,
        ctx: &Context,
    ) -> Result<Option<String>, ProviderError> {
        let this = planned.or(prior).unwrap_or(&Value::Null);
        let Some(cmd) = this.get(op).filter(|v| !v.is_null()) else {
            return Ok(None);
        };
        let argv = process::argv_of(cmd, op)?;
        let mut env = BTreeMap::new();
        if let Some(vars) = this
            .get("environment")
            .and_then(|v| v.unmark().0.as_object())
        {
            for (k, v) in vars.iter() {
                let v = match v.unmark().0 {
                    Value::String(s) => s.clone(),
                    Value::Null => continue,
                    other => other.to_json().to_string(),
                };
                env.insert(k.clone(), v);
            }
        }
        env.insert("TERRACE_OPERATION".into(), op.into());
        if let Some(id) = prior.and_then(|p| p.get("id")).and_then(Value::as_str) {
            env.insert("TERRACE_ID".into(), id.into());
        }
        if let Some(out) = prior.and_then(|p| p.get("output")) {
            env.insert("TERRACE_OUTPUT".into(), out.to_json().to_string());
        }
        let stdin = serde_json::json!({
            "operation": op,
            "id": prior.and_then(|p| p.get("id")).map(Value::to_json),
            "prior": prior.map(Value::to_json),
            "planned": planned.map(Value::to_json),
        });
        let working_dir = match this.get("working_dir").and_then(Value::as_str) {
            Some(d) => ctx.project_root.join(d),
            None => ctx.project_root.clone(),
        };
        let inv = Invocation {
            argv,
            env,
            secret: ctx.authorization.clone(),
            withheld: self.withheld.clone(),
            working_dir,
            stdin: stdin.to_string().into_bytes(),
            timeout: process::timeout_of(this.get("timeout"), DEFAULT_TIMEOUT)?,
        };
        Ok(Some(process::run(op, inv).await?.stdout))
    }
}

/// The JSON object a command printed: empty output is an empty object.
fn parse_object(op: &str, stdout: &str) -> Result<Option<Map>, ProviderError> {
    let text = stdout.trim();
    if text.is_empty() {
        return Ok(Some(Map::new()));
    }
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Null) if op == "read" => Ok(None),
        Ok(json @ serde_json::Value::Object(_)) => Value::from_json(json)
            .map(|v| v.as_object().cloned())
            .map_err(|e| ProviderError::new(format!("the {op} command's output: {e}"))),
        _ => {
            let shown: String = text.chars().take(200).collect();
            Err(ProviderError::new(format!(
                "{op} must print a JSON object{} on standard output, not: {shown}",
                if op == "read" {
                    " (or null when the object is gone)"
                } else {
                    ""
                }
            )))
        }
    }
}

/// `output.id` as a string, if it is a string or a number.
fn id_of(output: &Map) -> Option<String> {
    match output.get("id")?.unmark().0 {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn differs(a: Option<&Value>, b: Option<&Value>) -> bool {
    let (a, b) = (a.unwrap_or(&Value::Null), b.unwrap_or(&Value::Null));
    !b.is_wholly_known() || !a.same_as(b)
}

impl Provider for Command {
    fn type_name(&self) -> &str {
        "command"
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn plan<'a>(
        &'a self,
        config: Value,
        prior: Option<&'a Value>,
        _ctx: &'a Context,
    ) -> BoxFuture<'a, Result<Planned, ProviderError>> {
        Box::pin(async move {
            let (mut planned, mut requires_replace) = self.schema.plan(config.into_object(), prior);
            for op in ["create", "read", "update", "delete"] {
                if let Some(v) = planned
                    .get(op)
                    .filter(|v| v.is_wholly_known() && !v.is_null())
                {
                    process::argv_of(v, op)?;
                }
            }
            process::timeout_of(planned.get("timeout"), DEFAULT_TIMEOUT)?;
            match prior {
                None => {
                    planned.insert("id".into(), Value::Unknown);
                    planned.insert("output".into(), Value::Unknown);
                }
                Some(p) => {
                    let changed: Vec<&str> = UPDATED_BY
                        .iter()
                        .copied()
                        .filter(|a| differs(p.get(a), planned.get(a)))
                        .collect();
                    let has_update = planned.get("update").is_some_and(|v| !v.is_null());
                    if !changed.is_empty() && requires_replace.is_empty() && !has_update {
                        requires_replace.extend(changed.iter().map(|a| Path::attr(*a)));
                    }
                    if !requires_replace.is_empty() {
                        planned.insert("id".into(), Value::Unknown);
                        planned.insert("output".into(), Value::Unknown);
                    } else if !changed.is_empty() {
                        planned.insert("output".into(), Value::Unknown);
                    }
                }
            }
            Ok(Planned {
                value: Value::Object(planned),
                requires_replace,
            })
        })
    }

    fn create<'a>(
        &'a self,
        planned: Value,
        ctx: &'a Context,
    ) -> BoxFuture<'a, Result<Value, ProviderError>> {
        Box::pin(async move {
            let stdout = self
                .run("create", None, Some(&planned), ctx)
                .await?
                .unwrap_or_default();
            let output = parse_object("create", &stdout)?.unwrap_or_default();
            let mut m = planned.into_object();
            let id = id_of(&output).unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
            m.insert("id".into(), Value::String(id));
            m.insert("output".into(), Value::Object(output));
            Ok(Value::Object(m))
        })
    }

    fn read<'a>(
        &'a self,
        current: Value,
        ctx: &'a Context,
    ) -> BoxFuture<'a, Result<Option<Value>, ProviderError>> {
        Box::pin(async move {
            let Some(stdout) = self.run("read", Some(&current), None, ctx).await? else {
                return Ok(Some(current));
            };
            let Some(output) = parse_object("read", &stdout)? else {
                return Ok(None);
            };
            let mut m = current.into_object();
            m.insert("output".into(), Value::Object(output));
            Ok(Some(Value::Object(m)))
        })
    }

    /// Only a command with `read` can tell whether the object exists.
    fn import<'a>(
        &'a self,
        config: Value,
        id: String,
        ctx: &'a Context,
    ) -> BoxFuture<'a, Result<Option<Value>, ProviderError>> {
        Box::pin(async move {
            if config.get("read").is_none_or(|r| matches!(r, Value::Null)) {
                return Err(ProviderError::attr(
                    "read",
                    "a command without read cannot be imported: terrace could not tell whether the object exists",
                ));
            }
            let mut m = config.as_object().cloned().unwrap_or_default();
            m.insert("id".into(), Value::String(id));
            self.read(Value::Object(m), ctx).await
        })
    }

    fn update<'a>(
        &'a self,
        prior: Value,
        planned: Value,
        ctx: &'a Context,
    ) -> BoxFuture<'a, Result<Value, ProviderError>> {
        Box::pin(async move {
            let mut m = planned.clone().into_object();
            let changed = UPDATED_BY
                .iter()
                .any(|a| differs(prior.get(a), planned.get(a)));
            let ran = if changed {
                self.run("update", Some(&prior), Some(&planned), ctx)
                    .await?
            } else {
                None
            };
            let output = match ran {
                Some(stdout) => parse_object("update", &stdout)?.unwrap_or_default(),
                None => prior
                    .get("output")
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default(),
            };
            let id = prior
                .get("id")
                .and_then(Value::as_str)
                .map(str::to_string)
                .or_else(|| id_of(&output))
                .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
            m.insert("id".into(), Value::String(id));
            m.insert("output".into(), Value::Object(output));
            Ok(Value::Object(m))
        })
    }

    fn delete<'a>(
        &'a self,
        prior: Value,
        ctx: &'a Context,
    ) -> BoxFuture<'a, Result<(), ProviderError>> {
        Box::pin(async move {
            self.run("delete", Some(&prior), None, ctx).await?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Secret;

    fn ctx(dir: &std::path::Path) -> Context {
        Context {
            project_root: dir.to_path_buf(),
            authorization: Some(Secret::new("s3cret")),
        }
    }

    fn config(pairs: &[(&str, Value)]) -> Value {
        let p = Command::new(Arc::from([]));
        let given: Map = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        Value::Object(p.schema.conform(Value::Object(given)).unwrap())
    }

    #[tokio::test]
    async fn create_output_becomes_attributes_and_the_credential_is_in_the_environment_only() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = ctx(dir.path());
        let p = Command::new(Arc::from([]));
        let cfg = config(&[(
            "create",
            Value::string(
                r#"printf '{"id":"x1","auth":"%s","stdin_op":"%s"}' "$TERRACE_AUTHORIZATION" "$(sed 's/.*"operation":"\([a-z]*\)".*/\1/')""#,
            ),
        )]);
        let planned = p.plan(cfg, None, &ctx).await.unwrap();
        let created = p.create(planned.value, &ctx).await.unwrap();
        assert_eq!(created.get("id"), Some(&Value::string("x1")));
        let out = created.get("output").unwrap();
        // The command saw it; what it printed back is masked before it
        // can reach state.
        assert_eq!(out.get("auth"), Some(&Value::string("***")));
        assert_eq!(out.get("stdin_op"), Some(&Value::string("create")));

        let cfg = config(&[(
            "create",
            Value::string(r#"echo "key is $TERRACE_AUTHORIZATION" >&2; exit 3"#),
        )]);
        let err = p.create(cfg, &ctx).await.unwrap_err();
        assert!(err.message.contains("key is ***"), "{}", err.message);
        assert!(!err.message.contains("s3cret"), "{}", err.message);
    }

    #[tokio::test]
    async fn failures_show_stderr_and_timeouts_stop_the_command() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = ctx(dir.path());
        let p = Command::new(Arc::from([]));
        let cfg = config(&[("create", Value::string("echo broken >&2; exit 3"))]);
        let err = p.create(cfg, &ctx).await.unwrap_err();
        assert!(err.message.contains("exit status 3"), "{}", err.message);
        assert!(err.message.contains("broken"), "{}", err.message);

        let cfg = config(&[
            ("create", Value::string("sleep 30")),
            (
                "timeout",
                Value::Number(crate::value::Number::from_f64(0.5)),
            ),
        ]);
        let err = p.create(cfg, &ctx).await.unwrap_err();
        assert!(err.message.contains("did not finish"), "{}", err.message);
    }
}
