//! Archives: sha256 verification, and safe extraction into the cache.
//!
//! An archive is a `.tar.gz` whose top level holds the version's files
//! (`main.hcl`, `templates/…`). Only plain files and directories with
//! relative paths that stay inside are accepted: no absolute paths, no
//! `..`, no links, no devices. It is extracted into a temporary
//! directory beside the cache and renamed into place, so the cache never
//! holds half a version.

use crate::config::catalog::Pin;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// The most bytes an archive may unpack to.
const UNPACKED_LIMIT: u64 = 512 << 20;
/// The most entries an archive may hold.
const ENTRY_LIMIT: usize = 10_000;

pub use crate::digest::sha256_hex;

/// Checks `bytes` against the `expected` hex digest.
pub fn verify(bytes: &[u8], expected: &str) -> Result<(), String> {
    let actual = sha256_hex(bytes);
    if actual.eq_ignore_ascii_case(expected.trim()) {
        Ok(())
    } else {
        Err(format!(
            "its sha256 is {actual} but the index says {}",
            expected.trim()
        ))
    }
}

/// Extracts `bytes` as `cache/NAME/VERSION`, atomically; returns the
/// directory. A version already there is kept as it is.
pub fn install(bytes: &[u8], cache: &Path, pin: &Pin) -> Result<PathBuf, String> {
    let result = install_into(bytes, cache, pin);
    if result.is_err() {
        // The NAME directory, if this left it empty.
        let _ = std::fs::remove_dir(cache.join(&pin.name));
    }
    result
}

fn install_into(bytes: &[u8], cache: &Path, pin: &Pin) -> Result<PathBuf, String> {
    let target = cache.join(&pin.name).join(&pin.version);
    std::fs::create_dir_all(cache.join(&pin.name))
        .map_err(|e| format!("cannot create {}: {e}", cache.display()))?;
    let tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempdir_in(cache)
        .map_err(|e| format!("cannot create a directory in {}: {e}", cache.display()))?;
    extract(bytes, tmp.path())?;
    let has_hcl = std::fs::read_dir(tmp.path())
        .map_err(|e| format!("cannot read {}: {e}", tmp.path().display()))?
        .filter_map(Result::ok)
        .any(|e| e.path().extension().is_some_and(|x| x == "hcl") && e.path().is_file());
    if !has_hcl {
        return Err("the archive has no *.hcl file at its top level".into());
    }
    if let Err(e) = std::fs::rename(tmp.path(), &target) {
        // Another terrace may have installed it meanwhile: the cache is
        // trusted, so theirs is as good as ours.
        if !target.is_dir() {
            return Err(format!(
                "cannot move the archive into {}: {e}",
                target.display()
            ));
        }
    }
    Ok(target)
}

/// Unpacks a `.tar.gz` into `dest` (an empty directory), refusing any
/// entry that is not a plain file or directory inside it.
pub fn extract(bytes: &[u8], dest: &Path) -> Result<(), String> {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
    let entries = archive
        .entries()
        .map_err(|e| format!("not a .tar.gz archive: {e}"))?;
    let mut unpacked: u64 = 0;
    for (count, entry) in entries.enumerate() {
        if count >= ENTRY_LIMIT {
            return Err(format!("more than {ENTRY_LIMIT} entries"));
        }
        let mut entry = entry.map_err(|e| format!("damaged archive: {e}"))?;
        let kind = entry.header().entry_type();
        let raw = entry
            .path()
            .map_err(|e| format!("damaged entry name: {e}"))?
            .into_owned();
        if kind == tar::EntryType::XGlobalHeader {
            continue;
        }
        let rel = inside(&raw)?;
        let path = dest.join(&rel);
        if kind.is_dir() {
            std::fs::create_dir_all(&path)
                .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
            continue;
        }
        if !(kind.is_file() || kind == tar::EntryType::Continuous) {
            return Err(format!(
                "entry {} is a {}, and only files and directories are allowed",
                raw.display(),
                kind_name(kind)
            ));
        }
        if rel.as_os_str().is_empty() {
            return Err(format!("entry {} has no file name", raw.display()));
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| {
                format!(
                    "cannot write {} from entry {}: {e}",
                    path.display(),
                    raw.display()
                )
            })?;
        let left = UNPACKED_LIMIT - unpacked;
        let copied = std::io::copy(&mut (&mut entry).take(left + 1), &mut file)
            .map_err(|e| format!("cannot unpack entry {}: {e}", raw.display()))?;
        unpacked += copied;
        if copied > left {
            return Err(format!("unpacks to more than {} MiB", UNPACKED_LIMIT >> 20));
        }
    }
    Ok(())
}

/// `raw` as a path inside the destination: only normal components (and
/// `.`), never absolute, never `..`.
fn inside(raw: &Path) -> Result<PathBuf, String> {
    let mut rel = PathBuf::new();
    for c in raw.components() {
        match c {
            Component::Normal(part) => rel.push(part),
            Component::CurDir => {}
            Component::ParentDir => {
                return Err(format!(
                    "entry {} leaves the archive with ..",
                    raw.display()
                ));
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(format!("entry {} is an absolute path", raw.display()));
            }
        }
    }
    Ok(rel)
}

fn kind_name(kind: tar::EntryType) -> &'static str {
    match kind {
        tar::EntryType::Symlink => "symbolic link",
        tar::EntryType::Link => "hard link",
        tar::EntryType::Char => "character device",
        tar::EntryType::Block => "block device",
        tar::EntryType::Fifo => "FIFO",
        _ => "special entry",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A .tar.gz of `(path, kind, content)` entries, paths written raw so
    /// that unsafe ones can be made.
    fn archive(entries: &[(&str, tar::EntryType, &str)]) -> Vec<u8> {
        let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let mut b = tar::Builder::new(gz);
        for (path, kind, content) in entries {
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(*kind);
            h.set_size(content.len() as u64);
            h.set_mode(0o644);
            let name = &mut h.as_gnu_mut().expect("gnu header").name;
            name[..path.len()].copy_from_slice(path.as_bytes());
            if *kind == tar::EntryType::Symlink {
                h.set_link_name("/etc/passwd").expect("link");
            }
            h.set_cksum();
            b.append(&h, content.as_bytes()).expect("append");
        }
        b.into_inner().expect("tar").finish().expect("gz")
    }

    fn pin() -> Pin {
        Pin::parse("catalog:web@1.0.0").expect("pin")
    }

    #[test]
    fn installs_files_and_directories() {
        let cache = tempfile::tempdir().expect("tmp");
        let bytes = archive(&[
            ("./", tar::EntryType::Directory, ""),
            (
                "main.hcl",
                tar::EntryType::Regular,
                "output \"x\" { value = 1 }\n",
            ),
            ("templates/a.tpl", tar::EntryType::Regular, "hi"),
        ]);
        let dir = install(&bytes, cache.path(), &pin()).expect("installs");
        assert_eq!(dir, cache.path().join("web/1.0.0"));
        assert_eq!(
            std::fs::read_to_string(dir.join("templates/a.tpl")).expect("read"),
            "hi"
        );
        // Nothing but the version is left behind.
        let left: Vec<_> = std::fs::read_dir(cache.path())
            .expect("read")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(left, ["web"]);
    }

    #[test]
    fn refuses_unsafe_entries_and_caches_nothing() {
        for (path, kind) in [
            ("../evil.hcl", tar::EntryType::Regular),
            ("a/../../evil.hcl", tar::EntryType::Regular),
            ("/tmp/evil.hcl", tar::EntryType::Regular),
            ("link.hcl", tar::EntryType::Symlink),
            ("hard.hcl", tar::EntryType::Link),
            ("dev", tar::EntryType::Char),
            ("fifo", tar::EntryType::Fifo),
        ] {
            let cache = tempfile::tempdir().expect("tmp");
            let bytes = archive(&[("main.hcl", tar::EntryType::Regular, "x"), (path, kind, "")]);
            let err = install(&bytes, cache.path(), &pin()).expect_err(path);
            assert!(err.contains(path.trim_start_matches('/')), "{err}");
            let left = std::fs::read_dir(cache.path()).expect("read").count();
            assert_eq!(left, 0, "{path}");
        }
    }

    #[test]
    fn refuses_an_archive_without_definitions() {
        let cache = tempfile::tempdir().expect("tmp");
        let bytes = archive(&[("sub/main.hcl", tar::EntryType::Regular, "x")]);
        let err = install(&bytes, cache.path(), &pin()).expect_err("no top-level hcl");
        assert!(err.contains("no *.hcl"), "{err}");
        assert!(install(b"not gzip", cache.path(), &pin()).is_err());
    }

    #[test]
    fn verifies_sha256() {
        let digest = sha256_hex(b"abc");
        assert!(verify(b"abc", &digest.to_uppercase()).is_ok());
        assert!(verify(b"abd", &digest).is_err());
    }
}
