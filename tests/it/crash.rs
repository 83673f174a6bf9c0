//! Crashes and interrupts during apply: nothing is lost, nothing created
//! twice, and the next runs converge; on local files and on PostgreSQL.

use crate::harness::{Project, Store, on_both_stores, single};
use std::collections::BTreeSet;
use std::time::Duration;

const FILES: usize = 400;

/// An apply slow enough to be caught in the middle: two operations at once.
const SLOW_APPLY: &[&str] = &[
    "apply",
    "--env",
    "dev",
    "--auto-approve",
    "--parallelism",
    "2",
];

fn many_files(store: Store) -> Project {
    store.project(single(&format!(
        "resource \"file\" \"f\" {{\n  count   = {FILES}\n  path    = \"out/f${{count.index}}\"\n  content = \"file ${{count.index}}\"\n}}\n"
    )))
}

/// Addresses in state, and addresses of unfinished operations.
fn recorded(p: &Project) -> (BTreeSet<String>, BTreeSet<String>) {
    let list = p.run(&["state", "list", "--env", "dev"]).success();
    let mut done = BTreeSet::new();
    let mut unfinished = BTreeSet::new();
    for line in list.stdout.lines() {
        match line.split_once("  (unfinished") {
            Some((addr, _)) => unfinished.insert(addr.to_string()),
            None => done.insert(line.to_string()),
        };
    }
    (done, unfinished)
}

fn existing_files(p: &Project) -> Vec<usize> {
    let Ok(dir) = std::fs::read_dir(p.path("out")) else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok())
        .filter_map(|e| {
            e.file_name()
                .to_string_lossy()
                .strip_prefix('f')
                .and_then(|n| n.parse().ok())
        })
        .collect()
}

fn check_and_converge(p: &Project, how: &str) {
    let (done, unfinished) = recorded(p);
    for n in existing_files(p) {
        let addr = format!("main/file.f[{n}]");
        assert!(
            done.contains(&addr) || unfinished.contains(&addr),
            "{how}: out/f{n} exists but {addr} is neither in state nor reported unfinished"
        );
    }
    let second = p
        .run(&["apply", "--env", "dev", "--auto-approve"])
        .success();
    let created = second.lines_with("Creation complete").len();
    assert_eq!(
        created,
        FILES - done.len(),
        "{how}: objects already in state were created again\n{}",
        second.stdout
    );
    assert_eq!(existing_files(p).len(), FILES);
    p.run(&["plan", "--env", "dev", "--detailed-exitcode"])
        .success()
        .stdout_has("No changes.");
}

on_both_stores!(
    apply_survives_sigkill_at_any_point,
    ctrl_c_lets_running_operations_finish_and_saves_state,
);

fn apply_survives_sigkill_at_any_point(store: Store) {
    for delay_ms in [5, 40, 90, 160, 260] {
        let p = many_files(store);
        let child = p.spawn(SLOW_APPLY);
        std::thread::sleep(Duration::from_millis(delay_ms));
        child.signal("-KILL");
        let out = child.wait();
        let how = format!("killed after {delay_ms}ms (exit {})", out.code);
        // Breaks the lock the killed apply left, if it had taken one.
        p.run(&["state", "unlock", "--env", "dev"]).success();
        check_and_converge(&p, &how);
    }
}

fn ctrl_c_lets_running_operations_finish_and_saves_state(store: Store) {
    let p = many_files(store);
    let child = p.spawn(SLOW_APPLY);
    // Interrupt once operations are under way (a file was written).
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while existing_files(&p).is_empty() {
        assert!(std::time::Instant::now() < deadline, "apply never started");
        std::thread::sleep(Duration::from_millis(2));
    }
    child.signal("-INT");
    let run = child.wait();
    let run = run.code(1).stderr_has("Apply interrupted");
    p.run(&["state", "unlock", "--env", "dev"])
        .success()
        .stdout_has("is not locked");
    if store == Store::Local {
        assert!(
            !p.exists(".terrace/envs/dev/journal.jsonl"),
            "the journal is compacted into state\n{}",
            run.stderr
        );
    }
    // No journal is left for the next command to find.
    let list = p.run(&["state", "list", "--env", "dev"]).success();
    assert!(
        !list.stderr.contains("journal") && !list.stdout.contains("journal"),
        "the journal is compacted into state\n{}{}",
        list.stdout,
        list.stderr
    );
    let (_, unfinished) = recorded(&p);
    assert!(
        unfinished.is_empty(),
        "operations in flight were allowed to finish: {unfinished:?}"
    );
    check_and_converge(&p, "interrupted");
}
