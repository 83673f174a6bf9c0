//! Atomic file writes: a temporary file in the same directory, fsync,
//! rename over the target, fsync the directory. A crash leaves either the
//! old file or the new one, never a mix.
//!
//! As cargo's `write_atomic` does for the user's files, a symbolic link is
//! kept (the file it points to is replaced) and so is the file's mode.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` atomically and durably.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomic_with(path, |file| file.write_all(bytes))
}

/// Writes `path` atomically and durably with what `fill` writes into the
/// temporary file (which it may seek in).
pub fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let path = &through_links(path);
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new().prefix(".tmp-").tempfile_in(dir)?;
    fill(tmp.as_file_mut())?;
    // The replaced file's permissions, not the temporary file's 0600.
    if let Ok(meta) = std::fs::metadata(path) {
        tmp.as_file().set_permissions(meta.permissions())?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    sync_dir(dir)
}

/// The file a chain of symbolic links ends at (which may not exist yet),
/// or `path` itself when it is not a link.
fn through_links(path: &Path) -> PathBuf {
    let mut at = path.to_path_buf();
    // As many hops as the kernel follows before ELOOP.
    for _ in 0..40 {
        match std::fs::read_link(&at) {
            Ok(to) => {
                at = match at.parent() {
                    Some(dir) if to.is_relative() => dir.join(to),
                    _ => to,
                }
            }
            Err(_) => break,
        }
    }
    at
}

/// Makes a directory's entries (new, renamed, removed files) durable.
/// Removes the temporary files in `dir` that a killed process left: those
/// whose name `ours` recognises, older than a minute and whose OS lock is
/// free (a live writer holds its temporary file's lock from the moment it
/// makes it; the minute leaves room for the instant before).
pub fn remove_orphans(dir: &Path, ours: impl Fn(&str) -> bool) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if !ours(&entry.file_name().to_string_lossy()) {
            continue;
        }
        let Ok(meta) = entry.metadata() else { continue };
        let old = meta
            .modified()
            .ok()
            .and_then(|m| m.elapsed().ok())
            .is_some_and(|age| age.as_secs() > 60);
        if !meta.is_file() || !old {
            continue;
        }
        let path = entry.path();
        if let Ok(file) = std::fs::File::open(&path)
            && file.try_lock().is_ok()
        {
            tracing::debug!(path = %path.display(), "removing a temporary file a killed process left");
            let _ = std::fs::remove_file(&path);
        }
    }
}

pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn writing_through_a_symlink_replaces_its_target_and_keeps_the_link_and_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("real.hcl");
        std::fs::write(&target, "old").unwrap();
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o640)).unwrap();
        let link = dir.path().join("link.hcl");
        std::os::unix::fs::symlink("real.hcl", &link).unwrap();
        write_atomic(&link, b"new").unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        let mode = std::fs::metadata(&target).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o640);
    }
}
