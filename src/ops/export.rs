//! `export` and `import`: the whole project (definitions, releases,
//! records and state) as one `project.json`, and back.

use super::{Error, Front, Result, Workspace};
use crate::project::export::{self, Summary};
use std::path::PathBuf;

/// An export of the project in `root`.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    /// The project directory.
    pub root: PathBuf,
}

/// Exports the project: the `project.json` bytes and what they hold. The
/// export records its own audit event first, so that the trail it carries
/// is whole.
pub fn export(req: &ExportRequest, front: &dyn Front) -> Result<(Vec<u8>, Summary)> {
    let ws = Workspace::load(&req.root, front)?;
    ws.audit(
        "project.project.export",
        None,
        serde_json::Value::Null,
        &Ok(()),
        front,
    );
    Ok(export::export(&ws.project, &ws.records(), &front.user())?)
}

/// An import of a `project.json` into a directory.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    /// The directory the project is restored into.
    pub root: PathBuf,
    /// A `project.json` written by `export`.
    pub file: PathBuf,
    /// Import only this environment's records into an existing project.
    pub env: Option<String>,
}

/// What an import wrote, and where the records went.
#[derive(Debug)]
pub struct ImportReport {
    pub summary: Summary,
    /// As the backend shows it: locally `.terrace/`, a database by name.
    pub records: std::path::PathBuf,
}

/// Restores a project's records (and definitions) from `req.file`.
pub fn import(req: &ImportRequest, front: &dyn Front) -> Result<ImportReport> {
    let started = std::time::SystemTime::now();
    let root = super::absolute(&req.root);
    let bytes = crate::bounded::read_record(&req.file).map_err(|source| Error::Io {
        action: "read",
        path: req.file.clone(),
        source,
    })?;
    // Into the backend chosen for the project, as every other command:
    // where the import writes the definitions, the imported ones choose
    // it (their backend block), else records would land where the
    // project does not look for them.
    let declared = if req.env.is_none() && !export::has_definitions(&root) {
        imported_definitions(&root, &bytes)?
    } else {
        crate::config::load(&root).0
    };
    let backend = crate::store::BackendChoice::for_project(&declared)
        .and_then(|c| c.open(&root))
        .map_err(|e| {
            Error::Refused(format!(
                "cannot import {}: {e}; nothing was written",
                req.file.display()
            ))
        })?;
    let records = crate::project::Records::with_backend(&root, backend);
    let summary = export::import(&root, &records, &bytes, req.env.as_deref())
        .map_err(|e| Error::Refused(format!("cannot import {}: {e}", req.file.display())))?;
    let name = crate::config::load(&root).0.name;
    let trail = super::records::Trail {
        records: &records,
        project: &name,
        started,
    };
    super::records::audit(
        &trail,
        "project.project.import",
        req.env.as_deref(),
        None,
        serde_json::json!({ "environments": summary.environments }),
        front,
    );
    Ok(ImportReport {
        summary,
        records: records.place(),
    })
}

/// The project as the definitions of the export in `bytes` declare it,
/// read from a temporary copy of its root files (only its `backend`
/// block is used).
fn imported_definitions(root: &std::path::Path, bytes: &[u8]) -> Result<crate::config::Project> {
    let dir = tempfile::tempdir().map_err(|source| Error::Io {
        action: "create a temporary directory for",
        path: std::env::temp_dir(),
        source,
    })?;
    for (name, content) in export::root_definitions(bytes) {
        let path = dir.path().join(name);
        std::fs::write(&path, content).map_err(|source| Error::Io {
            action: "write",
            path,
            source,
        })?;
    }
    Ok(crate::config::load_from(root, dir.path()).0)
}
