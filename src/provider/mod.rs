//! Providers: what a resource type is (its schema) and how its objects are
//! planned, created, read, updated and deleted.
//!
//! The [`Provider`] trait is asynchronous and takes owned values, so that
//! the same interface can front a built-in type, an external process or a
//! remote API. Built-in types: [`terrace_data`], [`file`], [`command`], [`http`]. Entry point:
//! [`Registry::builtin`].

mod command;
mod file;
mod http;
pub mod plugin;
mod process;

mod schema;
mod terrace_data;
#[cfg(test)]
pub mod testing;

pub use http::encode_segment;
pub use schema::{AttrKind, AttrSchema, AttrType, Schema, SchemaError};

use crate::value::{Path, Secret, Value};
use std::collections::BTreeMap;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

/// A boxed future, so that the trait stays object-safe.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A provider operation failed.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct ProviderError {
    pub message: String,
    /// The argument at fault, if one is: diagnostics point at it.
    pub attribute: Option<String>,
}

impl ProviderError {
    pub fn new(message: impl Into<String>) -> ProviderError {
        ProviderError {
            message: message.into(),
            attribute: None,
        }
    }

    /// An error about one argument.
    pub fn attr(attribute: &str, message: impl Into<String>) -> ProviderError {
        ProviderError {
            message: message.into(),
            attribute: Some(attribute.to_string()),
        }
    }

    /// This error with each of `secrets` (from
    /// [`crate::value::sensitive_texts`] of what the provider was given)
    /// shown as `(sensitive value)`: a provider's message may quote an
    /// argument (a path, a mode, what a command printed).
    pub fn hiding(mut self, secrets: &[String]) -> ProviderError {
        if !secrets.is_empty() {
            self.message = crate::value::hide_sensitive(&self.message, secrets);
        }
        self
    }
}

/// What every operation may need beyond the object's own attributes.
#[derive(Debug, Clone)]
pub struct Context {
    /// The project root: relative paths start here.
    pub project_root: PathBuf,
    /// The environment's credential (`authorization` block), resolved
    /// before any change is made; `None` when the environment has none.
    pub authorization: Option<Secret>,
}

/// The outcome of planning one object.
#[derive(Debug, Clone)]
pub struct Planned {
    /// The object as it will be after apply; unknown where only apply can tell.
    pub value: Value,
    /// Attributes whose change forces replacing the object.
    pub requires_replace: Vec<Path>,
}

/// A resource type.
pub trait Provider: Send + Sync {
    /// The type name, e.g. `file`.
    fn type_name(&self) -> &str;

    /// Arguments and computed attributes.
    fn schema(&self) -> &Schema;

    /// Whether operations touch anything outside terrace's state. Apply
    /// records the start of such operations durably before running them,
    /// so that a crash in the middle is reported, never forgotten; refresh
    /// reads back only objects that have such effects.
    fn has_side_effects(&self) -> bool {
        true
    }

    /// Plans the object's next value from its configuration (already checked
    /// against the schema, defaults filled) and its prior value, if any.
    fn plan<'a>(
        &'a self,
        config: Value,
        prior: Option<&'a Value>,
        ctx: &'a Context,
    ) -> BoxFuture<'a, Result<Planned, ProviderError>>;

    /// Creates the object; returns its value with computed attributes known.
    fn create<'a>(
        &'a self,
        planned: Value,
        ctx: &'a Context,
    ) -> BoxFuture<'a, Result<Value, ProviderError>>;

    /// Reads the object back; `None` when it no longer exists.
    fn read<'a>(
        &'a self,
        current: Value,
        ctx: &'a Context,
    ) -> BoxFuture<'a, Result<Option<Value>, ProviderError>>;

    /// Updates the object in place.
    fn update<'a>(
        &'a self,
        prior: Value,
        planned: Value,
        ctx: &'a Context,
    ) -> BoxFuture<'a, Result<Value, ProviderError>>;

    /// Deletes the object; deleting one that is already gone succeeds.
    fn delete<'a>(
        &'a self,
        prior: Value,
        ctx: &'a Context,
    ) -> BoxFuture<'a, Result<(), ProviderError>>;

    /// Adopts an existing object by `id` (an `import` block), given the
    /// resource's configuration: its value as read, `None` when no such
    /// object exists. By default the configuration with `id` set, read
    /// back.
    fn import<'a>(
        &'a self,
        config: Value,
        id: String,
        ctx: &'a Context,
    ) -> BoxFuture<'a, Result<Option<Value>, ProviderError>> {
        Box::pin(async move {
            let mut m = config.as_object().cloned().unwrap_or_default();
            m.insert("id".into(), Value::String(id));
            self.read(Value::Object(m), ctx).await
        })
    }

    /// The schema of the type's `data` source, if it has one.
    fn data_schema(&self) -> Option<&Schema> {
        None
    }

    /// Reads a `data` source from its arguments.
    fn read_data<'a>(
        &'a self,
        _config: Value,
        _ctx: &'a Context,
    ) -> BoxFuture<'a, Result<Value, ProviderError>> {
        Box::pin(async move {
            Err(ProviderError::new(format!(
                "{} has no data source",
                self.type_name()
            )))
        })
    }
}

/// The resource types available to a project.
#[derive(Clone)]
pub struct Registry {
    providers: BTreeMap<String, Arc<dyn Provider>>,
}

impl Registry {
    /// The built-in types.
    pub fn builtin() -> Registry {
        Registry::builtin_withholding(Arc::from([]))
    }

    /// The built-in types; no process they start inherits the
    /// environment variables `withheld`.
    fn builtin_withholding(withheld: Arc<[String]>) -> Registry {
        let mut providers: BTreeMap<String, Arc<dyn Provider>> = BTreeMap::new();
        for p in [
            Arc::new(terrace_data::TerraceData::new()) as Arc<dyn Provider>,
            Arc::new(file::File::new()),
            Arc::new(command::Command::new(withheld)),
            Arc::new(http::Http::new()),
        ] {
            providers.insert(p.type_name().to_string(), p);
        }
        Registry { providers }
    }

    /// The built-in types and the types of the project's plugins. A plugin
    /// is started (once, for the whole run) only when the definitions use
    /// a type that is not built in; problems are diagnostics on its block.
    /// No command or plugin started inherits the environment variables
    /// `withheld` (those holding credentials).
    pub fn for_project(
        project: &crate::config::Project,
        withheld: &[String],
    ) -> (Registry, crate::diag::Diagnostics) {
        let withheld: Arc<[String]> = Arc::from(withheld);
        let mut registry = Registry::builtin_withholding(withheld.clone());
        let mut diags = crate::diag::Diagnostics::default();
        let needed = project.architectures.iter().any(|a| {
            a.resources
                .iter()
                .any(|r| !registry.providers.contains_key(&r.type_name))
        });
        if !needed {
            return (registry, diags);
        }
        let mut owner: BTreeMap<String, String> = BTreeMap::new();
        for p in &project.plugins {
            let types = match plugin::start(p, &project.root, &project.definitions_dir, &withheld) {
                Ok(t) => t,
                Err(d) => {
                    diags.push(d);
                    continue;
                }
            };
            for t in types {
                let name = t.type_name().to_string();
                if registry.providers.contains_key(&name) {
                    diags.push(plugin::clash(
                        p,
                        &name,
                        owner.get(&name).map(String::as_str),
                    ));
                    continue;
                }
                owner.insert(name.clone(), p.name.clone());
                registry.providers.insert(name, Arc::new(t));
            }
        }
        (registry, diags)
    }

    /// These types and `p` (tests: the fake provider).
    #[cfg(test)]
    pub fn with(mut self, p: Arc<dyn Provider>) -> Registry {
        self.providers.insert(p.type_name().to_string(), p);
        self
    }

    pub fn get(&self, type_name: &str) -> Option<&Arc<dyn Provider>> {
        self.providers.get(type_name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.providers.keys().map(String::as_str)
    }
}

/// Resolves `path` against the project root and refuses paths that leave
/// it, unless `allow_outside`. Returns the absolute path.
pub fn project_path(
    root: &std::path::Path,
    path: &str,
    allow_outside: bool,
) -> Result<PathBuf, String> {
    use std::path::Component;
    if path.is_empty() {
        return Err("the path is empty".into());
    }
    let joined = root.join(path);
    let mut normal = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::ParentDir => {
                normal.pop();
            }
            Component::CurDir => {}
            other => normal.push(other),
        }
    }
    if allow_outside {
        return Ok(normal);
    }
    let inside = |p: &std::path::Path| p.starts_with(root) && p != root;
    if !inside(&normal) {
        return Err(format!(
            "{path} is outside the project directory; set allow_outside_project = true to manage it anyway"
        ));
    }
    // A symbolic link inside the project may still lead out of it.
    let mut existing = normal.as_path();
    while !existing.exists() {
        match existing.parent() {
            Some(p) => existing = p,
            None => break,
        }
    }
    if let (Ok(real), Ok(real_root)) = (existing.canonicalize(), root.canonicalize())
        && !real.starts_with(&real_root)
    {
        return Err(format!(
            "{path} leads outside the project directory through a symbolic link; set allow_outside_project = true to manage it anyway"
        ));
    }
    Ok(normal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_may_not_escape_the_project() {
        let root = std::path::Path::new("/p");
        assert_eq!(
            project_path(root, "out/a.txt", false).unwrap(),
            PathBuf::from("/p/out/a.txt")
        );
        assert_eq!(
            project_path(root, "./x/../b", false).unwrap(),
            PathBuf::from("/p/b")
        );
        assert!(project_path(root, "../etc/passwd", false).is_err());
        assert!(project_path(root, "/etc/passwd", false).is_err());
        assert!(project_path(root, ".", false).is_err());
        assert_eq!(
            project_path(root, "../x", true).unwrap(),
            PathBuf::from("/x")
        );
    }
}
