//! Releases: the definitions an environment last applied successfully,
//! kept so that they can be planned again without the working tree.
//!
//! A release is a copy of every definition file (the project's `*.hcl`
//! and every file of every architecture it uses, catalog copies included)
//! in `.terrace/releases/ID/files/`, where ID is the definitions hash:
//! loading that directory with [`crate::config::load_from`] gives the same
//! project and the same hash. Releases are immutable and shared between
//! environments; `.terrace/envs/ENV/release.json` says which one an
//! environment runs. Promotion plans the target with the source's release.

use super::{RecordError, Records};
use crate::config::Project;
use crate::store::Document;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// What a release holds, beside its files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Release {
    pub format_version: u32,
    /// The definitions hash.
    pub id: String,
    pub created_at: String,
    pub created_by: String,
    /// The environment whose apply created it.
    pub created_in: String,
    pub configurations: Vec<ReleasedConfig>,
    /// Every file, relative to the files directory, with its sha256.
    pub files: Vec<ReleasedFile>,
}

/// A configuration as released: its architecture and version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReleasedConfig {
    pub name: String,
    pub architecture: String,
    /// The architecture directory, relative to the files directory.
    pub directory: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReleasedFile {
    pub path: String,
    pub sha256: String,
}

/// Which release an environment runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deployed {
    pub release: String,
    pub applied_at: String,
    pub applied_by: String,
    /// The state serial the apply wrote.
    pub serial: u64,
    /// The environment it was promoted from, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promoted_from: Option<String>,
    /// The project variables the apply used, sensitive ones left out: a
    /// promotion from this environment uses the same values.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub variables: std::collections::BTreeMap<String, crate::value::Value>,
}

const FORMAT: u32 = 1;

impl Release {
    /// Where release `id` is kept (`.terrace/releases/ID/`).
    pub fn dir(records: &Records, id: &str) -> PathBuf {
        records.backend().release_location(id)
    }

    /// `.terrace/releases/ID/files/`, for export and import, which still
    /// work on the local files (see [`crate::store`]).
    pub fn files_dir(records: &Records, id: &str) -> PathBuf {
        Release::dir(records, id).join("files")
    }

    /// Reads release `id`; a clear error when it is missing or damaged.
    pub fn load(records: &Records, id: &str) -> Result<Release, RecordError> {
        if !valid_id(id) {
            return Err(RecordError::Invalid(format!("{id:?} is not a release id")));
        }
        let path = Release::dir(records, id).join("release.json");
        let bytes = records.backend().release_manifest(id)?;
        let parsed = bytes
            .map(|b| serde_json::from_slice::<Release>(&b))
            .transpose()
            .map_err(|e| RecordError::Read {
                path: path.clone(),
                cause: format!("it is damaged: {e}"),
            })?;
        let r: Release = parsed.ok_or_else(|| {
            RecordError::Invalid(format!(
                "release {} is missing: {} does not exist",
                short(id),
                path.display()
            ))
        })?;
        super::check_format(&path, r.format_version, FORMAT)?;
        Ok(r)
    }

    /// Checks that every file of the release is there with the content it
    /// was kept with; returns the directory to load it from.
    pub fn verified_files(records: &Records, id: &str) -> Result<PathBuf, RecordError> {
        let release = Release::load(records, id)?;
        let dir = records.backend().release_files(id)?;
        for f in &release.files {
            let path = dir.join(&f.path);
            let bytes = crate::bounded::read_record(&path).map_err(|e| RecordError::Read {
                path: path.clone(),
                cause: e.to_string(),
            })?;
            if super::sha256_hex(&bytes) != f.sha256 {
                return Err(RecordError::Invalid(format!(
                    "release {} is damaged: {} does not have the content it was kept with",
                    short(id),
                    path.display()
                )));
            }
        }
        Ok(dir)
    }

    /// Keeps the definitions of `project` (loaded from the working tree or
    /// from a release) as release `project.definitions_hash`, unless it
    /// exists. `*.hcl` files are written from the text that was loaded, so
    /// the release holds what was planned even if the files change now.
    pub fn capture(
        records: &Records,
        project: &Project,
        env: &str,
        by: &str,
    ) -> Result<String, RecordError> {
        let id = project.definitions_hash.clone();
        if records.backend().release_manifest(&id)?.is_some() {
            return Ok(id);
        }
        let loaded: std::collections::HashMap<&Path, &str> = project
            .sources
            .files()
            .map(|f| (f.path.as_path(), &*f.text))
            .collect();
        let mut kept = Vec::new();
        let mut files = Vec::new();
        for rel in crate::config::definition_files(project) {
            if rel.is_absolute()
                || rel
                    .components()
                    .any(|c| c == std::path::Component::ParentDir)
            {
                return Err(RecordError::NotReleasable(format!(
                    "{} is outside the project directory, and a release holds only definitions inside it",
                    rel.display()
                )));
            }
            let from = project.definitions_dir.join(&rel);
            let bytes = match loaded.get(from.as_path()) {
                Some(text) => text.as_bytes().to_vec(),
                None => crate::bounded::read_limited(&from, crate::bounded::DEFINITION_LIMIT)
                    .map_err(|e| RecordError::Read {
                        path: from.clone(),
                        cause: e.to_string(),
                    })?,
            };
            let rel = rel.to_string_lossy().into_owned();
            files.push(ReleasedFile {
                path: rel.clone(),
                sha256: super::sha256_hex(&bytes),
            });
            kept.push((rel, bytes));
        }
        let configurations = project
            .configurations
            .iter()
            .map(|c| {
                let arch = project.architecture_of(c);
                ReleasedConfig {
                    name: c.name.clone(),
                    architecture: c.architecture_source.clone(),
                    directory: arch
                        .dir
                        .strip_prefix(&project.definitions_dir)
                        .unwrap_or(&arch.dir)
                        .to_string_lossy()
                        .into_owned(),
                }
            })
            .collect();
        let release = Release {
            format_version: FORMAT,
            id: id.clone(),
            created_at: super::now(),
            created_by: by.to_string(),
            created_in: env.to_string(),
            configurations,
            files,
        };
        let manifest = super::json_bytes(&release)?;
        records.backend().keep_release(&id, &kept, &manifest)?;
        Ok(id)
    }
}

impl Deployed {
    fn path(records: &Records, env: &str) -> PathBuf {
        records.document_location(env, Document::Deployed)
    }

    /// The release `env` runs, if it ever applied.
    pub fn load(records: &Records, env: &str) -> Result<Option<Deployed>, RecordError> {
        records.read_document(env, Document::Deployed)
    }

    pub fn save(&self, records: &Records, env: &str) -> Result<(), RecordError> {
        records.replace_document(env, Document::Deployed, self)
    }

    /// Forgets the release (the environment was destroyed).
    pub fn clear(records: &Records, env: &str) -> Result<(), RecordError> {
        records.remove_document(env, Document::Deployed)
    }
}

/// Whether `id` can name a release: a sha256 in hex, so that it is
/// never a path.
pub fn valid_id(id: &str) -> bool {
    id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The first 12 characters of an id, as shown to users.
pub fn short(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

/// Why planning the environment now would create again objects that
/// exist: state files are gone while the records say the environment is
/// deployed (backups of a configuration remain without its state file, or
/// `release.json` names a state serial and no state file is left). `None`
/// when the records agree with the state files.
pub fn lost_state(records: &Records, store: &dyn crate::store::StateStore) -> Option<String> {
    let env = store.env();
    let missing = store.missing_state().unwrap_or_default();
    if !missing.is_empty() {
        let newest = store
            .versions()
            .unwrap_or_default()
            .first()
            .map(|b| b.serial)
            .unwrap_or(0);
        let files: Vec<String> = missing.iter().map(|c| store.current_location(c)).collect();
        return Some(format!(
            "the state of configuration(s) {} in environment \"{env}\" is missing ({} not found) while backups of it remain: \
             planning now would create again every object it recorded, beside the ones that exist.\n\
             Restore it with: terrace state restore --env {env} {newest}\n\
             or, if those objects are really gone, apply with --allow-recreate.",
            missing.join(", "),
            files.join(", ")
        ));
    }
    let deployed = Deployed::load(records, env).ok().flatten()?;
    let has_state = !store.configurations().unwrap_or_default().is_empty();
    (deployed.serial > 0 && !has_state).then(|| {
        format!(
            "environment \"{env}\" has no state file in {}, but {} says an apply by {} wrote its state (serial {}) at {}: \
             planning now would create again every object, beside the ones that exist.\n\
             Put the state files back from a copy, or, if those objects are really gone, apply with --allow-recreate.",
            store.location(),
            Deployed::path(records, env).display(),
            deployed.applied_by,
            deployed.serial,
            deployed.applied_at
        )
    })
}
