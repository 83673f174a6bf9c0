//! `terrace import`: a `project.json` restored into an empty directory.
//! Any bytes are imported or refused with a reason, never a panic, and a
//! refusal writes nothing. The input is taken as it is, and also sealed
//! (when it is JSON, wrapped as an export's `project` content with the
//! right checksum) so that the checks behind the checksum are reached.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;
use terrace::project::Records;
use terrace::project::export::{checksum, import};

fuzz_target!(|data: &[u8]| {
    restore(data);
    if let Ok(content) = serde_json::from_slice::<serde_json::Value>(data) {
        let doc = serde_json::json!({
            "format_version": 1,
            "checksum": checksum(&content),
            "project": content,
        });
        restore(doc.to_string().as_bytes());
    }
});

fn restore(bytes: &[u8]) {
    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    let root = dir.path().join("p");
    if std::fs::create_dir(&root).is_err() {
        return;
    }
    if import(&root, &Records::new(&root), bytes, None).is_err() {
        assert!(is_empty(&root), "a refused import wrote into the project");
    }
    // Outside the project, nothing is ever written.
    let outside: Vec<_> = std::fs::read_dir(dir.path())
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert_eq!(
        outside,
        vec![std::ffi::OsString::from("p")],
        "import wrote outside the project"
    );
}

fn is_empty(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_none())
}
