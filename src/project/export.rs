//! `project.json`: the whole project in one file, and back.
//!
//! An export holds the definitions, every release, and per environment its
//! state files (as written, checksums included), lifecycle, approvals and
//! deployed release, plus the audit trail. It never holds a credential:
//! those are only ever in memory. The document is
//! `{"format_version", "checksum", "project"}`, where `checksum` is the
//! sha256 of `project` written as compact JSON with sorted keys, so that a
//! damaged or edited export is refused on import.

use super::approval::Approvals;
use super::lifecycle::Lifecycle;
use super::release::{Deployed, Release};
use super::{RecordError, Records, sha256_hex};
use crate::config::Project;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

/// The export format this terrace writes and reads.
pub const FORMAT: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
struct Document {
    format_version: u32,
    checksum: String,
    project: serde_json::Value,
}

#[derive(Debug, Serialize, Deserialize)]
struct Body {
    name: String,
    terrace_version: String,
    exported_at: String,
    exported_by: String,
    definitions: Vec<File>,
    releases: BTreeMap<String, ReleaseDump>,
    environments: BTreeMap<String, EnvDump>,
    audit: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct ReleaseDump {
    release: Release,
    files: Vec<File>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct EnvDump {
    /// State files by configuration, as written (their checksums cover
    /// the exact text).
    state: BTreeMap<String, String>,
    /// The lineage of each configuration's history (`CONFIG.lineage`, or
    /// its newest backup's): the export holds no backups, and without it
    /// an imported state file of another project would be accepted. Older
    /// exports have none; their state files' own lineages are recorded.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    lineage: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lifecycle: Option<Lifecycle>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    approvals: Option<Approvals>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    deployed: Option<Deployed>,
}

/// A file: UTF-8 text as it is, anything else in base64.
#[derive(Debug, Serialize, Deserialize)]
struct File {
    path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    base64: Option<String>,
}

impl File {
    fn read(path: &Path, name: String) -> Result<File, RecordError> {
        let bytes = crate::bounded::read_record(path).map_err(|e| RecordError::Read {
            path: path.to_path_buf(),
            cause: e.to_string(),
        })?;
        Ok(File::of(name, bytes))
    }

    /// A file of `bytes`: text when they are UTF-8, else base64.
    fn of(name: String, bytes: Vec<u8>) -> File {
        match String::from_utf8(bytes) {
            Ok(text) => File {
                path: name,
                text: Some(text),
                base64: None,
            },
            Err(e) => File {
                path: name,
                text: None,
                base64: Some(base64::engine::general_purpose::STANDARD.encode(e.as_bytes())),
            },
        }
    }

    fn bytes(&self) -> Result<Vec<u8>, RecordError> {
        match (&self.text, &self.base64) {
            (Some(t), None) => Ok(t.as_bytes().to_vec()),
            (None, Some(b)) => base64::engine::general_purpose::STANDARD
                .decode(b)
                .map_err(|e| RecordError::Invalid(format!("{}: bad base64: {e}", self.path))),
            _ => Err(RecordError::Invalid(format!(
                "{}: a file needs exactly one of text and base64",
                self.path
            ))),
        }
    }

    /// Where the file goes under `dir`; refuses paths that leave it, and
    /// paths into the project's records (`.terrace/`).
    fn target(&self, dir: &Path) -> Result<PathBuf, RecordError> {
        let rel = Path::new(&self.path);
        if self.path.is_empty() || rel.components().any(|c| !matches!(c, Component::Normal(_))) {
            return Err(RecordError::Invalid(format!(
                "{:?} is not a relative path inside the project",
                self.path
            )));
        }
        if rel
            .components()
            .next()
            .is_some_and(|c| c.as_os_str() == ".terrace")
        {
            return Err(RecordError::Invalid(format!(
                "{:?} is in the project's records (.terrace/), not a definition file",
                self.path
            )));
        }
        Ok(dir.join(rel))
    }
}

/// What an export or import covered.
#[derive(Debug, Default)]
pub struct Summary {
    pub definitions: usize,
    pub releases: usize,
    pub environments: Vec<String>,
    pub state_files: usize,
}

/// The Rego files of the project's policies, and every other `.rego` file
/// in their folders (the tests `terrace policy test` runs), relative to
/// the project root: without them an imported project could not plan. A
/// source outside the project is not the project's to carry.
fn policy_files(project: &Project) -> Vec<PathBuf> {
    let root = &project.definitions_dir;
    let sources = project.policies.iter().map(|p| root.join(&p.source));
    let folders = crate::config::policy_folders(project, root);
    sources
        .chain(crate::config::rego_files(&folders))
        .filter_map(|path| {
            let rel: PathBuf = path
                .strip_prefix(root)
                .ok()?
                .components()
                .filter(|c| !matches!(c, Component::CurDir))
                .collect();
            rel.components()
                .all(|c| matches!(c, Component::Normal(_)))
                .then_some(rel)
        })
        .collect()
}

/// Writes the project (definitions from the working tree, records from
/// `.terrace/`) as a `project.json` document.
pub fn export(
    project: &Project,
    records: &Records,
    by: &str,
) -> Result<(Vec<u8>, Summary), RecordError> {
    let mut summary = Summary::default();
    let mut files = crate::config::definition_files(project);
    files.extend(policy_files(project));
    files.sort();
    files.dedup();
    let definitions = files
        .into_iter()
        .filter(|rel| rel.is_relative())
        .map(|rel| {
            File::read(
                &project.definitions_dir.join(&rel),
                rel.to_string_lossy().into_owned(),
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    summary.definitions = definitions.len();
    let backend = records.backend();
    let mut releases = BTreeMap::new();
    for id in backend.releases()? {
        let release = Release::load(records, &id)?;
        let Some(kept) = backend.read_release(&id)? else {
            continue;
        };
        let mut by_path: BTreeMap<String, Vec<u8>> = kept.files.into_iter().collect();
        // The files the manifest lists, each once: the release as kept.
        let files = release
            .files
            .iter()
            .map(|f| {
                by_path
                    .remove(&f.path)
                    .map(|bytes| File::of(f.path.clone(), bytes))
                    .ok_or_else(|| RecordError::Read {
                        path: Release::files_dir(records, &id).join(&f.path),
                        cause: "the release lists it, but it is not kept".into(),
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        releases.insert(id, ReleaseDump { release, files });
    }
    summary.releases = releases.len();
    let mut environments = BTreeMap::new();
    for env in records.environments() {
        let store = records.state(&env);
        let state_err = |e: crate::store::StateError| RecordError::Read {
            path: PathBuf::from(store.location()),
            cause: e.to_string(),
        };
        // A journal's operations are not in state yet: an export without
        // them would lose objects that exist.
        if store.pending_journal().map_err(state_err)?.is_some() {
            return Err(RecordError::Invalid(format!(
                "environment \"{env}\" has the journal of an apply that is running or did not finish ({}): \
                 its objects are not in state yet and the export would lose them; \
                 run `terrace plan --env {env}` once no apply runs (it recovers the journal), then export again",
                store.location()
            )));
        }
        let mut dump = EnvDump::default();
        for config in store.configurations().map_err(state_err)? {
            let Some(bytes) = store.read_version(&config, None).map_err(state_err)? else {
                continue;
            };
            let text = String::from_utf8(bytes).map_err(|_| RecordError::Read {
                path: PathBuf::from(store.current_location(&config)),
                cause: "it is not UTF-8 text".into(),
            })?;
            if let Some(lineage) = store.history_lineage(&config) {
                dump.lineage.insert(config.clone(), lineage);
            }
            dump.state.insert(config, text);
            summary.state_files += 1;
        }
        dump.lifecycle = records.read_document(&env, crate::store::Document::Lifecycle)?;
        dump.approvals = records.read_document(&env, crate::store::Document::Approvals)?;
        dump.deployed = Deployed::load(records, &env)?;
        summary.environments.push(env.clone());
        environments.insert(env, dump);
    }
    // A trail that cannot be read fails the export: an empty one would
    // lose the history without a word.
    let (audit, _head) = backend.audit()?;
    let body = Body {
        name: project.name.clone(),
        terrace_version: env!("CARGO_PKG_VERSION").to_string(),
        exported_at: super::now(),
        exported_by: by.to_string(),
        definitions,
        releases,
        environments,
        audit,
    };
    let value = serde_json::to_value(&body).map_err(|e| RecordError::Invalid(e.to_string()))?;
    let doc = Document {
        format_version: FORMAT,
        checksum: checksum(&value),
        project: value,
    };
    let mut bytes =
        serde_json::to_vec_pretty(&doc).map_err(|e| RecordError::Invalid(e.to_string()))?;
    bytes.push(b'\n');
    Ok((bytes, summary))
}

/// The definition files at the project root (`*.hcl` directly in it)
/// that an export holds: where an import writes the definitions, they
/// choose the imported project's backend. Empty when `bytes` is not an
/// export this terrace reads (the import itself then says why).
pub fn root_definitions(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    #[derive(Deserialize)]
    struct Definitions {
        definitions: Vec<File>,
    }
    #[derive(Deserialize)]
    struct Export {
        project: Definitions,
    }
    let Ok(export) = serde_json::from_slice::<Export>(bytes) else {
        return Vec::new();
    };
    export
        .project
        .definitions
        .into_iter()
        .filter(|f| !f.path.contains('/') && f.path.ends_with(".hcl"))
        .filter_map(|f| Some((f.path.clone(), f.bytes().ok()?)))
        .collect()
}

/// Whether `root` holds definitions (`*.hcl` directly in it): an import
/// writes the export's only where it does not.
pub fn has_definitions(root: &Path) -> bool {
    std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .any(|e| e.path().extension().is_some_and(|x| x == "hcl"))
}

/// Restores a `project.json` into the project at `root`: the definitions
/// when the directory has none, and the records of every environment (or
/// of `only`) into `records`' backend, each environment under its lock.
/// Refuses a damaged or newer export, and records that exist already,
/// before writing anything.
pub fn import(
    root: &Path,
    records: &Records,
    bytes: &[u8],
    only: Option<&str>,
) -> Result<Summary, RecordError> {
    // One import at a time into a directory: the second is refused.
    let _lock = lock_dir(root)?;
    #[derive(Deserialize)]
    struct Header {
        format_version: u32,
    }
    let header: Header = serde_json::from_slice(bytes)
        .map_err(|e| RecordError::Invalid(format!("it is not a terrace export: {e}")))?;
    if header.format_version > FORMAT {
        return Err(RecordError::Invalid(format!(
            "it has export format {}, newer than this terrace reads ({FORMAT}); use a newer terrace",
            header.format_version
        )));
    }
    let doc: Document = serde_json::from_slice(bytes)
        .map_err(|e| RecordError::Invalid(format!("it is damaged: {e}")))?;
    if checksum(&doc.project) != doc.checksum {
        return Err(RecordError::Invalid(
            "it is damaged: its checksum does not match its content (was it edited?)".into(),
        ));
    }
    let body: Body = serde_json::from_value(doc.project)
        .map_err(|e| RecordError::Invalid(format!("it is damaged: {e}")))?;
    let backend = records.backend();
    let mut summary = Summary::default();
    // Check everything first, so that a refusal changes nothing.
    let envs: Vec<(&String, &EnvDump)> = match only {
        Some(env) => vec![body.environments.get_key_value(env).ok_or_else(|| {
            RecordError::Invalid(format!(
                "the export has no environment \"{env}\"; it has: {}",
                body.environments
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?],
        None => body.environments.iter().collect(),
    };
    let refused = |e: crate::store::dump::DumpError| RecordError::Invalid(e.to_string());
    if only.is_none() && crate::store::dump::holds_records(backend).map_err(refused)? {
        return Err(RecordError::Invalid(format!(
            "a record of the project exists already in {}: import restores a project that has no records yet (or one environment with --env)",
            records.place().display()
        )));
    }
    for (env, _) in &envs {
        let store = records.state(env);
        let has_state = |e: crate::store::StateError| RecordError::Invalid(e.to_string());
        let has_documents = crate::store::Document::ALL
            .iter()
            .any(|d| !matches!(backend.read_document(env, *d), Ok(None)));
        if !store.configurations().map_err(has_state)?.is_empty()
            || !store.versions().map_err(has_state)?.is_empty()
            || has_documents
        {
            return Err(RecordError::Invalid(format!(
                "environment \"{env}\" already has records in {}; import it into a project without them",
                store.location()
            )));
        }
    }
    let has_definitions = has_definitions(root);
    for f in &body.definitions {
        f.target(root)?;
    }
    for (id, dump) in &body.releases {
        if !super::release::valid_id(id) || dump.release.id != *id {
            return Err(RecordError::Invalid(format!(
                "it is damaged: {id:?} is not a valid release id"
            )));
        }
        let kept: BTreeMap<&str, &str> = dump
            .release
            .files
            .iter()
            .map(|f| (f.path.as_str(), f.sha256.as_str()))
            .collect();
        for f in &dump.files {
            f.target(root)?;
            if kept.get(f.path.as_str()) != Some(&sha256_hex(&f.bytes()?).as_str()) {
                return Err(RecordError::Invalid(format!(
                    "it is damaged: file {} of release {} does not match the release",
                    f.path,
                    super::release::short(id)
                )));
            }
        }
    }
    if only.is_none() {
        let trail = body.audit.clone();
        super::audit::check_lines(&trail)
            .map_err(|b| RecordError::Invalid(format!("its audit trail is not intact at {b}")))?;
    }
    // Each state file's lineage, recorded as its history's once written.
    let mut lineages: BTreeMap<(String, String), String> = BTreeMap::new();
    for (env, dump) in &envs {
        if let Some(d) = &dump.deployed
            && !body.releases.contains_key(&d.release)
            && !(only.is_some() && backend.release_manifest(&d.release)?.is_some())
        {
            return Err(RecordError::Invalid(format!(
                "it is damaged: environment \"{env}\" runs release {}, which the export does not hold",
                super::release::short(&d.release)
            )));
        }
        for name in std::iter::once(*env).chain(dump.state.keys()) {
            if !crate::config::is_name(name) {
                return Err(RecordError::Invalid(format!(
                    "{name:?} is not a valid name"
                )));
            }
        }
        for (config, state) in &dump.state {
            let history = dump.lineage.get(config).map(String::as_str);
            let state = crate::state::format::decode(state.as_bytes())
                .and_then(|s| {
                    crate::state::format::check_owner(&s, env, config, history).map(|()| s)
                })
                .map_err(|e| {
                    RecordError::Invalid(format!("the state of {env}/{config} is refused: {e}"))
                })?;
            lineages.insert((env.to_string(), config.clone()), state.lineage);
        }
    }
    // Nothing is written through a symbolic link already in the project.
    let mut targets = Vec::new();
    if !has_definitions && only.is_none() {
        for f in &body.definitions {
            targets.push(f.target(root)?);
        }
    }
    // Where the backend keeps records, when that is in the project.
    for (id, dump) in &body.releases {
        let dir = Release::files_dir(records, id);
        for f in &dump.files {
            targets.push(f.target(&dir)?);
        }
    }
    for (env, _) in &envs {
        targets.push(PathBuf::from(records.state(env).location()).join("x"));
    }
    targets.push(records.audit_location());
    for t in &targets {
        refuse_links(root, t)?;
    }
    // Then write. A whole-project import that fails part-way removes
    // what it wrote (the store held no records of the project before,
    // and the directory no definitions where it writes them), so that it
    // can simply run again rather than be refused for its own leftovers.
    let mut written: Vec<PathBuf> = Vec::new();
    let result = (|| -> Result<(), RecordError> {
        if !has_definitions && only.is_none() {
            for f in &body.definitions {
                let target = f.target(root)?;
                write_file(&target, &f.bytes()?)?;
                written.push(target);
                summary.definitions += 1;
            }
        }
        for (id, dump) in &body.releases {
            if only.is_some() && backend.release_manifest(id)?.is_some() {
                continue;
            }
            let files = dump
                .files
                .iter()
                .map(|f| Ok((f.path.clone(), f.bytes()?)))
                .collect::<Result<Vec<_>, RecordError>>()?;
            let manifest = super::json_bytes(&dump.release)?;
            // Kept whole or not at all, as a release captured by an apply.
            backend.keep_release(id, &files, &manifest)?;
            summary.releases += 1;
        }
        for (env, dump) in envs {
            let store = records.state(env);
            let write_err = |e: crate::store::StateError| match e {
                crate::store::StateError::Io { path, source } => RecordError::Write {
                    path,
                    cause: source.to_string(),
                },
                e => RecordError::Write {
                    path: PathBuf::from(store.location()),
                    cause: e.to_string(),
                },
            };
            // The lock is the capability to write state: an apply started
            // meanwhile is refused, and this import waits for none.
            let lock = store
                .lock("terrace import", std::time::Duration::ZERO)
                .map_err(write_err)?;
            for (config, state) in &dump.state {
                // Lineage first, as a first commit records it.
                if let Some(lineage) = lineages.get(&(env.to_string(), config.clone())) {
                    store.record_lineage(config, lineage).map_err(write_err)?;
                }
                store
                    .write_version(&lock, config, state.as_bytes(), true, None)
                    .map_err(write_err)?;
                summary.state_files += 1;
            }
            if let Some(l) = &dump.lifecycle {
                l.save(records, env)?;
            }
            if let Some(a) = &dump.approvals {
                a.save(records, env)?;
            }
            if let Some(d) = &dump.deployed {
                d.save(records, env)?;
            }
            drop(lock);
            summary.environments.push(env.clone());
        }
        if only.is_none() && !body.audit.is_empty() {
            super::audit::Audit::new(records).restore(&body.audit)?;
        }
        Ok(())
    })();
    if let Err(e) = result {
        if only.is_some() {
            return Err(e);
        }
        let mut left = Vec::new();
        if let Err(cleanup) = backend.delete_project() {
            left.push(cleanup.to_string());
        }
        for path in &written {
            if let Err(cleanup) = std::fs::remove_file(path) {
                left.push(format!("{}: {cleanup}", path.display()));
            }
        }
        return Err(RecordError::Invalid(if left.is_empty() {
            format!("{e}; what the import wrote was removed")
        } else {
            format!(
                "{e}; what the import wrote could not all be removed ({}): remove it before trying again",
                left.join("; ")
            )
        }));
    }
    Ok(summary)
}

/// Refuses `path` when it, or a directory on the way to it from `root`,
/// is a symbolic link: import writes only into the project itself.
fn refuse_links(root: &Path, path: &Path) -> Result<(), RecordError> {
    let Ok(rel) = path.strip_prefix(root) else {
        return Ok(());
    };
    let mut at = root.to_path_buf();
    for c in rel.components() {
        at.push(c);
        match std::fs::symlink_metadata(&at) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(RecordError::Invalid(format!(
                    "{} is a symbolic link: import does not write through one; remove it first",
                    at.display()
                )));
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    Ok(())
}

/// Takes an exclusive OS lock on directory `root` for the life of the
/// returned handle; refuses at once when another process holds it.
fn lock_dir(root: &Path) -> Result<std::fs::File, RecordError> {
    std::fs::create_dir_all(root).map_err(|e| RecordError::Write {
        path: root.to_path_buf(),
        cause: e.to_string(),
    })?;
    let dir = std::fs::File::open(root).map_err(|e| RecordError::Read {
        path: root.to_path_buf(),
        cause: e.to_string(),
    })?;
    match dir.try_lock() {
        Ok(()) => Ok(dir),
        Err(std::fs::TryLockError::WouldBlock) => Err(RecordError::Invalid(format!(
            "another terrace import is writing into {}; wait for it to finish",
            root.display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => Err(RecordError::Write {
            path: root.to_path_buf(),
            cause: format!("cannot lock it: {e}"),
        }),
    }
}

/// The checksum of an export's `project` content (public so that the fuzz
/// target can seal the documents it makes up).
pub fn checksum(value: &serde_json::Value) -> String {
    sha256_hex(serde_json::to_string(value).unwrap_or_default().as_bytes())
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), RecordError> {
    let fail = |e: std::io::Error| RecordError::Write {
        path: path.to_path_buf(),
        cause: e.to_string(),
    };
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).map_err(fail)?;
    }
    crate::state::write_atomic(path, bytes).map_err(fail)
}
