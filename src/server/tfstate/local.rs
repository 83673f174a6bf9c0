//! The states in the server's data directory: `tfstate/PROJECT/NAME/`
//! holds `head.json` (the [`Head`]) and `versions/N.tfstate` (each
//! version's bytes, written once). The directories are readable by their
//! owner only, every file is written atomically, and every update runs
//! under the file lock `tfstate/.lock`, so that two processes on one
//! directory never both take a Terraform lock.

use super::{Change, Head, TfStateError, TfStateStore};
use std::path::{Path, PathBuf};

/// States under `DIR/tfstate`.
pub struct LocalTfState {
    dir: PathBuf,
}

const HEAD: &str = "head.json";
const VERSIONS: &str = "versions";

impl LocalTfState {
    /// The states of the server whose data directory is `data_dir`.
    pub fn new(data_dir: &Path) -> LocalTfState {
        LocalTfState {
            dir: crate::ops::absolute(data_dir).join("tfstate"),
        }
    }

    fn err(&self, path: &Path, cause: impl std::fmt::Display) -> TfStateError {
        TfStateError {
            location: path.display().to_string(),
            cause: cause.to_string(),
        }
    }

    /// The directory of a state. The name was checked by
    /// [`super::valid_name`]; the project's name is encoded, so that no
    /// name reaches outside the directory.
    fn state_dir(&self, project: &str, name: &str) -> PathBuf {
        self.dir.join(encode(project)).join(encode(name))
    }

    fn read_head(&self, dir: &Path) -> Result<Option<Head>, TfStateError> {
        let path = dir.join(HEAD);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| self.err(&path, e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.err(&path, e)),
        }
    }
}

/// A name as a single path component: letters, digits, `_` and `-` as
/// they are, every other byte as `%XX` (so `.` and `/` never appear).
fn encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The name [`encode`] encoded, if it is one.
fn decode(encoded: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(encoded.len());
    let mut rest = encoded.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        if b == b'%' {
            let hex = std::str::from_utf8(tail.get(..2)?).ok()?;
            bytes.push(u8::from_str_radix(hex, 16).ok()?);
            rest = &tail[2..];
        } else {
            bytes.push(b);
            rest = tail;
        }
    }
    String::from_utf8(bytes).ok()
}

impl TfStateStore for LocalTfState {
    fn head(&self, project: &str, name: &str) -> Result<Option<Head>, TfStateError> {
        self.read_head(&self.state_dir(project, name))
    }

    fn bytes(
        &self,
        project: &str,
        name: &str,
        version: i64,
    ) -> Result<Option<Vec<u8>>, TfStateError> {
        let path = self
            .state_dir(project, name)
            .join(VERSIONS)
            .join(format!("{version}.tfstate"));
        match std::fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.err(&path, e)),
        }
    }

    fn update(&self, project: &str, name: &str, change: Change<'_>) -> Result<(), TfStateError> {
        let _lock = crate::server::access::lock_dir(&self.dir)
            .map_err(|e| self.err(&self.dir.join(".lock"), e))?;
        let dir = self.state_dir(project, name);
        let before = self.read_head(&dir)?.unwrap_or_default();
        let mut head = before.clone();
        let added = change(&mut head);
        if let Some(new) = added {
            // The version's bytes first, then the head that names it: a
            // version is current only once whole.
            let versions = dir.join(VERSIONS);
            crate::server::access::create_private_dir(&versions)
                .map_err(|e| self.err(&versions, e))?;
            let path = versions.join(format!("{}.tfstate", new.meta.version));
            crate::state::write_atomic(&path, &new.bytes).map_err(|e| self.err(&path, e))?;
            head.current = Some(new.meta.version);
            head.versions.push(new.meta);
        } else if head == before {
            return Ok(());
        }
        crate::server::access::create_private_dir(&dir).map_err(|e| self.err(&dir, e))?;
        let path = dir.join(HEAD);
        let json = serde_json::to_vec_pretty(&head).map_err(|e| self.err(&path, e))?;
        crate::state::write_atomic(&path, &json).map_err(|e| self.err(&path, e))
    }

    fn names(&self, project: &str) -> Result<Vec<String>, TfStateError> {
        let dir = self.dir.join(encode(project));
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(self.err(&dir, e)),
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| self.err(&dir, e))?;
            if !entry.path().join(HEAD).is_file() {
                continue;
            }
            if let Some(name) = entry.file_name().to_str().and_then(decode) {
                names.push(name);
            }
        }
        names.sort();
        Ok(names)
    }

    fn location(&self) -> String {
        self.dir.display().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_encoded_into_one_path_component_and_back() {
        for name in ["shop", "a/b", "..", "é x", "net.prod"] {
            let e = encode(name);
            assert!(!e.contains('/') && !e.contains('.'), "{e}");
            assert_eq!(decode(&e).as_deref(), Some(name));
        }
    }

    #[test]
    fn the_records_are_readable_by_their_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let store = LocalTfState::new(&dir.path().join("data"));
        let bytes = br#"{"serial":1}"#.to_vec();
        let d = super::super::describe(&bytes).unwrap();
        super::super::write(&store, "shop", "net", bytes, d, None, "ann").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let state = dir.path().join("data/tfstate/shop/net");
        assert_eq!(mode(&dir.path().join("data/tfstate")), 0o700);
        assert_eq!(mode(&state.join("versions")), 0o700);
        assert_eq!(mode(&state.join("versions/1.tfstate")) & 0o077, 0);
    }
}
