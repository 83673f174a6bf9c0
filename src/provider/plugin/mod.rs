//! Plugins: resource types provided by an executable that speaks
//! newline-delimited JSON over its standard input and output
//! (docs/plugin-protocol.md). [`start`] runs each plugin of a project
//! once, when its definitions use a type that is not built in, and turns
//! the handshake's schemas into [`PluginType`] providers; [`host`] owns
//! the process.

mod host;
pub mod wire;

use super::{BoxFuture, Context, Planned, Provider, ProviderError, Schema};
use crate::config::Plugin;
use crate::diag::Diagnostic;
use crate::value::{Path, Value};
use host::Host;
use serde_json::Value as Json;
use std::sync::Arc;
use std::time::Duration;

/// The protocol version this terrace speaks.
pub const PROTOCOL_VERSION: u64 = 1;

/// How long a request (and the handshake) may take unless the plugin block
/// sets `timeout`.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// One resource type of a plugin.
pub struct PluginType {
    host: Arc<Host>,
    type_name: String,
    schema: Schema,
    data_schema: Option<Schema>,
    side_effects: bool,
}

/// Starts `plugin` and returns its types, or a diagnostic on the block.
pub fn start(
    plugin: &Plugin,
    root: &std::path::Path,
    definitions: &std::path::Path,
    withheld: &[String],
) -> Result<Vec<PluginType>, Diagnostic> {
    let fail = |msg: String| {
        Diagnostic::error(
            "config::plugin",
            format!("plugin \"{}\" cannot be used: {msg}", plugin.name),
        )
        .label(plugin.span, "declared here")
        .help("see docs/plugin-protocol.md; run with TERRACE_LOG=info to see what the plugin wrote on standard error")
    };
    let timeout = plugin
        .timeout
        .filter(|t| t.is_finite() && *t > 0.0 && *t <= 86_400.0)
        .map_or(DEFAULT_TIMEOUT, Duration::from_secs_f64);
    // Files of the project run from the definitions (a release's own copy).
    let argv: Vec<String> = plugin
        .command
        .iter()
        .map(|arg| match crate::config::plugin_file(definitions, arg) {
            Some(rel) => definitions.join(rel).to_string_lossy().into_owned(),
            None => arg.clone(),
        })
        .collect();
    let (host, hello) = Host::start(&plugin.name, &argv, root, timeout, withheld).map_err(fail)?;
    let version = hello.get("protocol_version").and_then(Json::as_u64);
    if version != Some(PROTOCOL_VERSION) {
        host.stop("speaks another protocol version");
        return Err(fail(format!(
            "it speaks protocol version {}, this terrace speaks {PROTOCOL_VERSION}",
            version.map_or("(none)".to_string(), |v| v.to_string())
        )));
    }
    let empty = serde_json::Map::new();
    let resources = hello
        .get("resource_types")
        .and_then(Json::as_object)
        .unwrap_or(&empty);
    let data = hello
        .get("data_types")
        .and_then(Json::as_object)
        .unwrap_or(&empty);
    let mut names: Vec<&String> = resources.keys().chain(data.keys()).collect();
    names.sort();
    names.dedup();
    let mut types = Vec::new();
    for name in names {
        if !crate::config::is_name(name) {
            return Err(fail(format!("\"{name}\" is not a valid type name")));
        }
        let schema = match resources.get(name) {
            Some(s) => wire::schema(s, name).map_err(fail)?,
            None => Schema::default(),
        };
        let data_schema = match data.get(name) {
            Some(s) => Some(wire::schema(s, &format!("data {name}")).map_err(fail)?),
            None => None,
        };
        let side_effects = resources
            .get(name)
            .and_then(|s| s.get("side_effects"))
            .and_then(Json::as_bool)
            .unwrap_or(true);
        types.push(PluginType {
            host: host.clone(),
            type_name: name.clone(),
            schema,
            data_schema,
            side_effects,
        });
    }
    tracing::debug!(plugin = %plugin.name, types = types.len(), "plugin started");
    Ok(types)
}

/// Checks a plugin's types against the built-in ones and each other.
pub fn clash(plugin: &Plugin, type_name: &str, taken_by: Option<&str>) -> Diagnostic {
    let by = match taken_by {
        Some(other) => format!("plugin \"{other}\" already provides it"),
        None => "it is a built-in type".to_string(),
    };
    Diagnostic::error(
        "config::plugin_type_clash",
        format!(
            "plugin \"{}\" provides type \"{type_name}\", but {by}",
            plugin.name
        ),
    )
    .label(plugin.span, "declared here")
    .help("rename the type in the plugin; a type has one provider")
}

impl PluginType {
    async fn call(
        &self,
        method: &str,
        fields: Vec<(&str, Json)>,
        ctx: &Context,
    ) -> Result<Json, ProviderError> {
        let mut msg = serde_json::Map::new();
        msg.insert("type".into(), Json::from(self.type_name.as_str()));
        for (k, v) in fields {
            msg.insert(k.into(), v);
        }
        // The credential travels only in memory, in the request itself.
        if let Some(secret) = &ctx.authorization {
            self.host.remember_secret(secret);
            msg.insert("authorization".into(), Json::from(secret.expose()));
        }
        let answer = self.host.request(method, msg).await;
        let Some(secret) = &ctx.authorization else {
            return answer;
        };
        // What the plugin echoes of the credential goes no further, however
        // it was escaped.
        match answer {
            Ok(json) => Ok(serde_json::from_str(&secret.redact(&json.to_string())).unwrap_or(json)),
            Err(mut e) => {
                e.message = secret.redact(&e.message);
                Err(e)
            }
        }
    }

    /// `result.state` of an answer, as a value.
    fn state(
        &self,
        method: &str,
        result: Json,
        like: Option<&Value>,
    ) -> Result<Value, ProviderError> {
        match result.get("state") {
            Some(Json::Object(_)) => {
                let v = wire::decode(result.get("state").cloned().unwrap_or(Json::Null)).map_err(
                    |e| {
                        ProviderError::new(format!(
                            "plugin \"{}\" answered {method} with a bad \"state\": {e}",
                            self.host.name
                        ))
                    },
                )?;
                Ok(wire::remark(v, like, &self.schema))
            }
            _ => Err(ProviderError::new(format!(
                "plugin \"{}\" answered {method} without a \"state\" object",
                self.host.name
            ))),
        }
    }
}

impl Provider for PluginType {
    fn type_name(&self) -> &str {
        &self.type_name
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn has_side_effects(&self) -> bool {
        self.side_effects
    }

    fn plan<'a>(
        &'a self,
        config: Value,
        prior: Option<&'a Value>,
        ctx: &'a Context,
    ) -> BoxFuture<'a, Result<Planned, ProviderError>> {
        Box::pin(async move {
            let result = self
                .call(
                    "plan",
                    vec![
                        ("config", wire::encode(&config)),
                        ("prior", prior.map_or(Json::Null, wire::encode)),
                    ],
                    ctx,
                )
                .await?;
            let Some(planned) = result.get("planned").filter(|p| p.is_object()) else {
                return Err(ProviderError::new(format!(
                    "plugin \"{}\" answered plan without a \"planned\" object",
                    self.host.name
                )));
            };
            let planned = wire::decode(planned.clone()).map_err(|e| {
                ProviderError::new(format!(
                    "plugin \"{}\" answered plan with a bad \"planned\": {e}",
                    self.host.name
                ))
            })?;
            let value = wire::remark(planned, Some(&config), &self.schema);
            let requires_replace = result
                .get("requires_replace")
                .and_then(Json::as_array)
                .map(|l| l.iter().filter_map(Json::as_str).map(Path::attr).collect())
                .unwrap_or_default();
            Ok(Planned {
                value,
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
            let result = self
                .call("create", vec![("planned", wire::encode(&planned))], ctx)
                .await?;
            self.state("create", result, Some(&planned))
        })
    }

    fn read<'a>(
        &'a self,
        current: Value,
        ctx: &'a Context,
    ) -> BoxFuture<'a, Result<Option<Value>, ProviderError>> {
        Box::pin(async move {
            let result = self
                .call("read", vec![("state", wire::encode(&current))], ctx)
                .await?;
            if result.get("state").is_some_and(Json::is_null) {
                return Ok(None);
            }
            self.state("read", result, Some(&current)).map(Some)
        })
    }

    fn update<'a>(
        &'a self,
        prior: Value,
        planned: Value,
        ctx: &'a Context,
    ) -> BoxFuture<'a, Result<Value, ProviderError>> {
        Box::pin(async move {
            let result = self
                .call(
                    "update",
                    vec![
                        ("prior", wire::encode(&prior)),
                        ("planned", wire::encode(&planned)),
                    ],
                    ctx,
                )
                .await?;
            self.state("update", result, Some(&planned))
        })
    }

    fn delete<'a>(
        &'a self,
        prior: Value,
        ctx: &'a Context,
    ) -> BoxFuture<'a, Result<(), ProviderError>> {
        Box::pin(async move {
            self.call("delete", vec![("state", wire::encode(&prior))], ctx)
                .await?;
            Ok(())
        })
    }

    fn data_schema(&self) -> Option<&Schema> {
        self.data_schema.as_ref()
    }

    fn read_data<'a>(
        &'a self,
        config: Value,
        ctx: &'a Context,
    ) -> BoxFuture<'a, Result<Value, ProviderError>> {
        Box::pin(async move {
            let result = self
                .call("read_data", vec![("config", wire::encode(&config))], ctx)
                .await?;
            self.state("read_data", result, Some(&config))
        })
    }
}
