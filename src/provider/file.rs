//! `file`: a local file with `path`, `content` and `file_permission`.
//! Reads the file back to detect drift, deletes it on destroy, and refuses
//! paths outside the project unless `allow_outside_project = true`.

use super::{
    AttrKind, AttrSchema, AttrType, BoxFuture, Context, Planned, Provider, ProviderError, Schema,
    project_path,
};
use crate::value::{Map, Path, Value};
use std::collections::HashSet;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

pub struct File {
    schema: Schema,
    data_schema: Schema,
    /// The directories whose orphaned temporary files this instance has
    /// removed already (see [`remove_orphans`]).
    tidied: Tidied,
}

/// Directories swept once per provider instance: shared with the blocking
/// tasks that write files.
type Tidied = Arc<Mutex<HashSet<PathBuf>>>;

impl File {
    pub fn new() -> File {
        File {
            schema: Schema {
                attributes: vec![
                    AttrSchema::new(
                        "allow_outside_project",
                        AttrKind::Optional,
                        AttrType::Bool,
                        "allow a path outside the project directory",
                    )
                    .default(Value::Bool(false)),
                    AttrSchema::new(
                        "content",
                        AttrKind::Optional,
                        AttrType::String,
                        "the file's text",
                    )
                    .default(Value::string("")),
                    AttrSchema::new(
                        "content_sha256",
                        AttrKind::Computed,
                        AttrType::String,
                        "sha256 of the content, hex",
                    ),
                    AttrSchema::new(
                        "file_permission",
                        AttrKind::Optional,
                        AttrType::String,
                        "octal permission bits, e.g. \"0644\"",
                    )
                    .default(Value::string("0644")),
                    AttrSchema::new(
                        "id",
                        AttrKind::Computed,
                        AttrType::String,
                        "the path, as configured",
                    ),
                    AttrSchema::new(
                        "path",
                        AttrKind::Required,
                        AttrType::String,
                        "where the file is, relative to the project root",
                    )
                    .force_new(),
                ],
            },
            data_schema: Schema {
                attributes: vec![
                    AttrSchema::new(
                        "content",
                        AttrKind::Computed,
                        AttrType::String,
                        "the file's text",
                    ),
                    AttrSchema::new(
                        "content_sha256",
                        AttrKind::Computed,
                        AttrType::String,
                        "sha256 of the content, hex",
                    ),
                    AttrSchema::new(
                        "id",
                        AttrKind::Computed,
                        AttrType::String,
                        "the path, as configured",
                    ),
                    AttrSchema::new(
                        "path",
                        AttrKind::Required,
                        AttrType::String,
                        "the file to read, relative to the project root",
                    ),
                ],
            },
            tidied: Tidied::default(),
        }
    }
}

/// The file's location and permission bits, from its attributes.
fn target(v: &Value, ctx: &Context) -> Result<(PathBuf, u32), ProviderError> {
    let path = v
        .get("path")
        .and_then(Value::as_str)
        .ok_or_else(|| ProviderError::new("path is not set"))?;
    let allow = v
        .get("allow_outside_project")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let full = project_path(&ctx.project_root, path, allow).map_err(ProviderError::new)?;
    protected(&ctx.project_root, &full).map_err(ProviderError::new)?;
    let mode = v
        .get("file_permission")
        .and_then(Value::as_str)
        .unwrap_or("0644");
    Ok((full, parse_mode(mode).map_err(ProviderError::new)?))
}

/// Refuses the project's own files: its records (`.terrace/`) and its
/// definitions (`*.hcl`, `project.hcl` included). A `file` resource that
/// wrote them could rewrite state, the audit trail or the definitions
/// being applied.
fn protected(root: &std::path::Path, full: &std::path::Path) -> Result<(), String> {
    let real = |p: &std::path::Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    let records = [root.join(".terrace"), real(&root.join(".terrace"))];
    let parent = full.parent().map(real);
    if records
        .iter()
        .any(|r| full.starts_with(r) || parent.as_deref().is_some_and(|p| p.starts_with(r)))
    {
        return Err(format!(
            "{} is in the project's records (.terrace/): a file resource may not write there",
            full.display()
        ));
    }
    if full.extension().is_some_and(|e| e == "hcl") {
        return Err(format!(
            "{} is a definitions file (*.hcl): a file resource may not write terrace definitions",
            full.display()
        ));
    }
    Ok(())
}

fn parse_mode(s: &str) -> Result<u32, String> {
    u32::from_str_radix(s, 8)
        .ok()
        .filter(|m| *m <= 0o7777 && !s.is_empty())
        .ok_or_else(|| format!("file_permission \"{s}\" is not an octal mode such as \"0644\""))
}

/// Writes `content` to `path` atomically with `mode`.
fn write_file(
    path: &std::path::Path,
    content: &str,
    mode: u32,
    tidied: &Tidied,
) -> Result<(), ProviderError> {
    let err = |what: &str, e: std::io::Error| {
        ProviderError::new(format!("cannot {what} {}: {e}", path.display()))
    };
    let dir = path
        .parent()
        .ok_or_else(|| ProviderError::new(format!("{} has no parent directory", path.display())))?;
    std::fs::create_dir_all(dir).map_err(|e| err("create the directory of", e))?;
    remove_orphans(dir, tidied);
    let mut tmp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .rand_bytes(TEMP_RANDOM)
        .tempfile_in(dir)
        .map_err(|e| err("write", e))?;
    // Held until the rename: a locked temporary file is being written.
    let _ = tmp.as_file().try_lock();
    tmp.write_all(content.as_bytes())
        .map_err(|e| err("write", e))?;
    set_mode(tmp.path(), mode).map_err(|e| err("set the permissions of", e))?;
    tmp.as_file().sync_all().map_err(|e| err("write", e))?;
    tmp.persist(path).map_err(|e| err("write", e.error))?;
    Ok(())
}

/// The temporary files `write_file` makes: `.terrace-` and six letters or
/// digits.
const TEMP_PREFIX: &str = ".terrace-";
const TEMP_RANDOM: usize = 6;

/// Removes the temporary files a killed run left in `dir` (once per
/// directory and provider instance, as recorded in `tidied`): names of
/// [`TEMP_PREFIX`]'s pattern only, older than a minute, and not locked by
/// a writer.
fn remove_orphans(dir: &std::path::Path, tidied: &Tidied) {
    if let Ok(mut done) = tidied.lock()
        && !done.insert(dir.to_path_buf())
    {
        return;
    }
    crate::state::remove_orphans(dir, |name| {
        name.strip_prefix(TEMP_PREFIX).is_some_and(|rest| {
            rest.len() == TEMP_RANDOM && rest.bytes().all(|b| b.is_ascii_alphanumeric())
        })
    });
}

#[cfg(unix)]
fn set_mode(path: &std::path::Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_path: &std::path::Path, _mode: u32) -> std::io::Result<()> {
    Ok(())
}

#[cfg(unix)]
fn mode_of(meta: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o7777
}

#[cfg(not(unix))]
fn mode_of(_meta: &std::fs::Metadata) -> u32 {
    0o644
}

impl Provider for File {
    fn type_name(&self) -> &str {
        "file"
    }

    fn schema(&self) -> &Schema {
        &self.schema
    }

    fn plan<'a>(
        &'a self,
        config: Value,
        prior: Option<&'a Value>,
        ctx: &'a Context,
    ) -> BoxFuture<'a, Result<Planned, ProviderError>> {
        Box::pin(async move {
            let config = config.into_object();
            let (mut planned, mut requires_replace) = self.schema.plan(config, prior);
            let as_value = Value::Object(planned.clone());
            if planned.get("path").is_some_and(Value::is_wholly_known) {
                let path = planned
                    .get("path")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                let allow = as_value
                    .get("allow_outside_project")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                project_path(&ctx.project_root, &path, allow)
                    .and_then(|full| protected(&ctx.project_root, &full))
                    .map_err(|m| ProviderError::attr("path", m))?;
                // The id is the path, and as secret as it.
                let secret = planned.get("path").is_some_and(Value::contains_sensitive);
                planned.insert("id".into(), Value::String(path).mark_if(secret));
            } else {
                planned.insert("id".into(), Value::Unknown);
            }
            if let Some(mode) = planned.get("file_permission").and_then(Value::as_str) {
                parse_mode(mode).map_err(|m| ProviderError::attr("file_permission", m))?;
            }
            // The hash of a secret is kept as secret as the secret.
            let sha = match planned.get("content").map(Value::unmark) {
                Some((Value::String(s), marked)) => {
                    Value::String(crate::digest::sha256_hex(s.as_bytes())).mark_if(marked)
                }
                _ => Value::Unknown,
            };
            planned.insert("content_sha256".into(), sha);
            // Moving the file outside the project is a new file, not an edit.
            if let Some(p) = prior
                && p.get("allow_outside_project") != planned.get("allow_outside_project")
                && !requires_replace
                    .iter()
                    .any(|r| r.first_attr() == Some("path"))
                && p.get("path")
                    .is_some_and(|x| !x.same_as(planned.get("path").unwrap_or(&Value::Null)))
            {
                requires_replace.push(Path::attr("path"));
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
            let (path, mode) = target(&planned, ctx)?;
            let content = planned
                .get("content")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let p = path.clone();
            let tidied = self.tidied.clone();
            tokio::task::spawn_blocking(move || write_file(&p, &content, mode, &tidied))
                .await
                .map_err(|e| {
                    ProviderError::new(format!("writing {} was interrupted: {e}", path.display()))
                })??;
            Ok(planned)
        })
    }

    fn read<'a>(
        &'a self,
        current: Value,
        ctx: &'a Context,
    ) -> BoxFuture<'a, Result<Option<Value>, ProviderError>> {
        Box::pin(async move {
            let (path, _) = target(&current, ctx)?;
            // Refresh runs first in every plan and apply: the place to tidy
            // up after a run that was killed mid-write.
            if let Some(dir) = path.parent() {
                remove_orphans(dir, &self.tidied);
            }
            let meta = match tokio::fs::metadata(&path).await {
                Ok(m) => m,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(e) => {
                    return Err(ProviderError::new(format!(
                        "cannot read {}: {e}",
                        path.display()
                    )));
                }
            };
            if !meta.is_file() {
                return Ok(None);
            }
            let bytes = crate::bounded::read_limited(&path, crate::bounded::DEFINITION_LIMIT)
                .map_err(|e| ProviderError::new(format!("cannot read {}: {e}", path.display())))?;
            let content = String::from_utf8_lossy(&bytes).into_owned();
            let mut m: Map = current.as_object().cloned().unwrap_or_default();
            let was_sensitive = m.get("content").is_some_and(Value::contains_sensitive);
            m.insert(
                "content_sha256".into(),
                Value::String(crate::digest::sha256_hex(content.as_bytes())).mark_if(was_sensitive),
            );
            m.insert(
                "content".into(),
                Value::String(content).mark_if(was_sensitive),
            );
            m.insert(
                "file_permission".into(),
                Value::String(format!("{:04o}", mode_of(&meta))),
            );
            Ok(Some(Value::Object(m)))
        })
    }

    /// The id of a file is its path.
    fn import<'a>(
        &'a self,
        config: Value,
        id: String,
        ctx: &'a Context,
    ) -> BoxFuture<'a, Result<Option<Value>, ProviderError>> {
        Box::pin(async move {
            let mut m = config.as_object().cloned().unwrap_or_default();
            m.insert("path".into(), Value::String(id.clone()));
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
            let (path, mode) = target(&planned, ctx)?;
            let content = planned
                .get("content")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let content_changed =
                prior.get("content_sha256") != planned.get("content_sha256") || !path.exists();
            let p = path.clone();
            let tidied = self.tidied.clone();
            tokio::task::spawn_blocking(move || {
                if content_changed {
                    write_file(&p, &content, mode, &tidied)
                } else {
                    set_mode(&p, mode).map_err(|e| {
                        ProviderError::new(format!(
                            "cannot set the permissions of {}: {e}",
                            p.display()
                        ))
                    })
                }
            })
            .await
            .map_err(|e| {
                ProviderError::new(format!("writing {} was interrupted: {e}", path.display()))
            })??;
            Ok(planned)
        })
    }

    fn delete<'a>(
        &'a self,
        prior: Value,
        ctx: &'a Context,
    ) -> BoxFuture<'a, Result<(), ProviderError>> {
        Box::pin(async move {
            let (path, _) = target(&prior, ctx)?;
            match tokio::fs::remove_file(&path).await {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(ProviderError::new(format!(
                    "cannot delete {}: {e}",
                    path.display()
                ))),
            }
        })
    }

    fn data_schema(&self) -> Option<&Schema> {
        Some(&self.data_schema)
    }

    fn read_data<'a>(
        &'a self,
        config: Value,
        ctx: &'a Context,
    ) -> BoxFuture<'a, Result<Value, ProviderError>> {
        Box::pin(async move {
            let path = config
                .get("path")
                .and_then(Value::as_str)
                .ok_or_else(|| ProviderError::new("path is not set"))?;
            let full = project_path(&ctx.project_root, path, true).map_err(ProviderError::new)?;
            let content = crate::bounded::read_text(&full, crate::bounded::DEFINITION_LIMIT)
                .map_err(|e| ProviderError::new(format!("cannot read {}: {e}", full.display())))?;
            let mut m = Map::new();
            m.insert(
                "content_sha256".into(),
                Value::String(crate::digest::sha256_hex(content.as_bytes())),
            );
            m.insert("content".into(), Value::String(content));
            m.insert("id".into(), Value::string(path));
            m.insert("path".into(), Value::string(path));
            Ok(Value::Object(m))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A project directory, and the context of a run in it.
    fn project() -> (tempfile::TempDir, Context) {
        let dir = tempfile::tempdir().unwrap();
        let ctx = Context {
            project_root: dir.path().to_path_buf(),
            authorization: None,
        };
        (dir, ctx)
    }

    #[tokio::test]
    async fn writes_reads_back_and_deletes() {
        let (dir, ctx) = project();
        let p = File::new();
        let mut cfg = p
            .schema
            .conform(Value::Object(Map::from([(
                "path".to_string(),
                Value::string("out/a.txt"),
            )])))
            .unwrap();
        cfg.insert("content".into(), Value::string("hello\n"));
        let planned = p.plan(Value::Object(cfg), None, &ctx).await.unwrap();
        assert_eq!(planned.value.get("id"), Some(&Value::string("out/a.txt")));
        let created = p.create(planned.value, &ctx).await.unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("out/a.txt")).unwrap(),
            "hello\n"
        );
        let read = p.read(created.clone(), &ctx).await.unwrap().unwrap();
        assert!(read.same_as(&created));

        std::fs::write(dir.path().join("out/a.txt"), "edited").unwrap();
        let drifted = p.read(created.clone(), &ctx).await.unwrap().unwrap();
        assert_eq!(drifted.get("content"), Some(&Value::string("edited")));

        p.delete(created.clone(), &ctx).await.unwrap();
        assert!(p.read(created, &ctx).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn each_provider_instance_removes_a_directorys_orphans_once() {
        let (dir, ctx) = project();
        std::fs::create_dir(dir.path().join("out")).unwrap();
        let orphan = dir.path().join("out/.terrace-Ab12Cd");
        let plant = || {
            let f = std::fs::File::create(&orphan).unwrap();
            let old = std::time::SystemTime::now() - std::time::Duration::from_secs(300);
            f.set_modified(old).unwrap();
        };
        let current = Value::Object(Map::from([(
            "path".to_string(),
            Value::string("out/a.txt"),
        )]));

        let first = File::new();
        plant();
        first.read(current.clone(), &ctx).await.unwrap();
        assert!(!orphan.exists(), "the first read of a directory sweeps it");
        plant();
        first.read(current.clone(), &ctx).await.unwrap();
        assert!(orphan.exists(), "an instance sweeps a directory once");

        // Another instance (another run in the same process) sweeps again.
        File::new().read(current, &ctx).await.unwrap();
        assert!(!orphan.exists(), "a new instance sweeps it again");
    }

    #[tokio::test]
    async fn refuses_paths_outside_the_project() {
        let (_dir, ctx) = project();
        let p = File::new();
        let cfg = p
            .schema
            .conform(Value::Object(Map::from([(
                "path".to_string(),
                Value::string("../escape.txt"),
            )])))
            .unwrap();
        let err = p.plan(Value::Object(cfg), None, &ctx).await.unwrap_err();
        assert!(
            err.message.contains("outside the project"),
            "{}",
            err.message
        );
    }
}
