//! Loading definitions: a project directory made of the input's files
//! (split at NUL bytes: `project.hcl`, `arch/main.hcl`,
//! `arch/variables.hcl`), loaded, its diagnostics rendered, and when it
//! loads cleanly its dependency graph built. No panic, no hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

const FILES: [&str; 3] = ["project.hcl", "arch/main.hcl", "arch/variables.hcl"];

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    let root = dir.path();
    if std::fs::create_dir(root.join("arch")).is_err() {
        return;
    }
    for (name, bytes) in FILES.iter().zip(data.split(|b| *b == 0)) {
        if std::fs::write(root.join(name), bytes).is_err() {
            return;
        }
    }
    load(root);
});

fn load(root: &Path) {
    let (project, diags) = terrace::config::load(root);
    for d in diags.iter() {
        let _ = terrace::diag::render(d, &project.sources, false, 100);
    }
    if diags.has_errors() {
        return;
    }
    let (_graph, diags) = terrace::eval::ProjectGraph::build(&project);
    for d in diags.iter() {
        let _ = terrace::diag::render(d, &project.sources, false, 100);
    }
}
