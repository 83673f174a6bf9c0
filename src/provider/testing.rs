//! A fake provider for in-process tests of the engine (terraform's
//! `internal/providers/testing/provider_mock.go`): type `fake`, whose
//! objects are keyed by their `name` argument. Per name, a script says how
//! long each call takes and which calls fail; every call is logged with
//! when it began and ended, so that tests can read the order of calls and
//! how many were in flight at once.
//!
//! Arguments: `name` (required string), `input` (any), `replace` (any; a
//! change replaces the object). Computed: `id`.

use super::{
    AttrKind, AttrSchema, AttrType, BoxFuture, Context, Planned, Provider, ProviderError, Schema,
};
use crate::value::{Map, Value};
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// One call the fake answered.
#[derive(Debug, Clone)]
pub struct Call {
    /// `plan`, `create`, `read`, `update` or `delete`.
    pub op: &'static str,
    /// The object's `name`.
    pub name: String,
    pub began: Instant,
    pub ended: Instant,
}

/// What the fake does for one name.
#[derive(Debug, Clone, Default)]
pub struct Script {
    /// How long every call takes (on top of the fake's default latency).
    pub latency: Option<Duration>,
    /// Calls that fail, e.g. `["create"]`.
    pub fail: Vec<&'static str>,
    /// What `read` returns instead of the object: `Some(None)` says it is gone.
    pub read: Option<Option<Value>>,
}

/// The fake provider.
pub struct Fake {
    schema: Schema,
    latency: Duration,
    side_effects: bool,
    scripts: Mutex<HashMap<String, Script>>,
    log: Mutex<Vec<Call>>,
    ids: AtomicU64,
}

impl Fake {
    /// A fake whose calls take `latency` each, with outside effects (its
    /// calls run as tasks of their own).
    pub fn new(latency: Duration) -> Fake {
        Fake {
            schema: Schema {
                attributes: vec![
                    AttrSchema::new("id", AttrKind::Computed, AttrType::String, "set on create"),
                    AttrSchema::new("name", AttrKind::Required, AttrType::String, "the key"),
                    AttrSchema::new("input", AttrKind::Optional, AttrType::Any, "any value"),
                    AttrSchema::new("replace", AttrKind::Optional, AttrType::Any, "any value")
                        .force_new(),
                ],
            },
            latency,
            side_effects: true,
            scripts: Mutex::new(HashMap::new()),
            log: Mutex::new(Vec::new()),
            ids: AtomicU64::new(0),
        }
    }

    /// Without outside effects: the engine runs its calls inline.
    pub fn local(mut self) -> Fake {
        self.side_effects = false;
        self
    }

    /// Scripts the calls for objects named `name`.
    pub fn script(&self, name: &str, script: Script) {
        self.scripts
            .lock()
            .expect("scripts")
            .insert(name.to_string(), script);
    }

    /// Every call answered so far, in the order they ended.
    pub fn calls(&self) -> Vec<Call> {
        self.log.lock().expect("log").clone()
    }

    /// The names of the `op` calls, in the order they began.
    pub fn began(&self, op: &str) -> Vec<String> {
        let mut calls: Vec<Call> = self.calls().into_iter().filter(|c| c.op == op).collect();
        calls.sort_by_key(|c| c.began);
        calls.into_iter().map(|c| c.name).collect()
    }

    /// The most calls in flight at once.
    pub fn max_in_flight(&self) -> usize {
        let mut edges: Vec<(Instant, i32)> = Vec::new();
        for c in self.calls() {
            edges.push((c.began, 1));
            edges.push((c.ended, -1));
        }
        // An end and a begin at the same instant do not overlap.
        edges.sort();
        let (mut now, mut max) = (0i32, 0i32);
        for (_, d) in edges {
            now += d;
            max = max.max(now);
        }
        max as usize
    }

    async fn call(&self, op: &'static str, value: &Value) -> Result<(), ProviderError> {
        let name = value
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let script = self
            .scripts
            .lock()
            .expect("scripts")
            .get(&name)
            .cloned()
            .unwrap_or_default();
        let began = Instant::now();
        let wait = self.latency + script.latency.unwrap_or_default();
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        self.log.lock().expect("log").push(Call {
            op,
            name: name.clone(),
            began,
            ended: Instant::now(),
        });
        if script.fail.contains(&op) {
            return Err(ProviderError::new(format!("{op} {name}: scripted failure")));
        }
        Ok(())
    }

    fn scripted_read(&self, value: &Value) -> Option<Option<Value>> {
        let name = value.get("name").and_then(Value::as_str)?;
        self.scripts
            .lock()
            .expect("scripts")
            .get(name)
            .and_then(|s| s.read.clone())
    }
}

impl Provider for Fake {
    fn type_name(&self) -> &str {
        "fake"
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
        _ctx: &'a Context,
    ) -> BoxFuture<'a, Result<Planned, ProviderError>> {
        Box::pin(async move {
            self.call("plan", &config).await?;
            let (planned, requires_replace) = self.schema.plan(config.into_object(), prior);
            Ok(Planned {
                value: Value::Object(planned),
                requires_replace,
            })
        })
    }

    fn create<'a>(
        &'a self,
        planned: Value,
        _ctx: &'a Context,
    ) -> BoxFuture<'a, Result<Value, ProviderError>> {
        Box::pin(async move {
            self.call("create", &planned).await?;
            let mut m: Map = planned.as_object().cloned().unwrap_or_default();
            let n = self.ids.fetch_add(1, Ordering::SeqCst) + 1;
            m.insert("id".into(), Value::String(format!("fake-{n}")));
            Ok(Value::Object(m))
        })
    }

    fn read<'a>(
        &'a self,
        current: Value,
        _ctx: &'a Context,
    ) -> BoxFuture<'a, Result<Option<Value>, ProviderError>> {
        Box::pin(async move {
            self.call("read", &current).await?;
            Ok(self.scripted_read(&current).unwrap_or(Some(current)))
        })
    }

    fn update<'a>(
        &'a self,
        prior: Value,
        planned: Value,
        _ctx: &'a Context,
    ) -> BoxFuture<'a, Result<Value, ProviderError>> {
        Box::pin(async move {
            self.call("update", &planned).await?;
            let mut m: Map = planned.as_object().cloned().unwrap_or_default();
            if let Some(id) = prior.get("id") {
                m.insert("id".into(), id.clone());
            }
            Ok(Value::Object(m))
        })
    }

    fn delete<'a>(
        &'a self,
        prior: Value,
        _ctx: &'a Context,
    ) -> BoxFuture<'a, Result<(), ProviderError>> {
        Box::pin(async move { self.call("delete", &prior).await })
    }
}
