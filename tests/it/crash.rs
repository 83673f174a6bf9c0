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

/// A project whose apply was killed once file.a was created and
/// command.slow had started: both only in the journal; the lock broken.
fn killed_with_a_journal() -> Project {
    let p = single(
        "resource \"file\" \"a\" {\n  path    = \"out/a.txt\"\n  content = \"a\"\n}\nresource \"command\" \"slow\" {\n  create     = \"sleep 30; echo '{}'\"\n  delete     = \"true\"\n  depends_on = [file.a]\n}\n",
    );
    let child = p.spawn(&["apply", "--env", "dev", "--auto-approve"]);
    // Killed once file.a is created and command.slow has started: both
    // are only in the journal.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !std::fs::read_to_string(p.path(".terrace/envs/dev/journal.jsonl"))
        .is_ok_and(|j| j.contains("command.slow"))
    {
        assert!(std::time::Instant::now() < deadline, "apply never started");
        std::thread::sleep(Duration::from_millis(5));
    }
    child.signal("-KILL");
    child.wait();
    assert!(p.exists("out/a.txt"));
    p.run(&["state", "unlock", "--env", "dev"]).success();
    p
}

#[test]
fn delete_project_after_a_killed_apply_counts_the_journals_objects_as_deployed() {
    let p = killed_with_a_journal();
    p.run(&["delete-project", "--auto-approve"])
        .code(1)
        .stderr_has("dev/main/file.a")
        .stderr_has("dev/main/command.slow  (an interrupted create: the object may exist)");
    // The records are still there, the journal recovered into state.
    assert!(!p.exists(".terrace/envs/dev/journal.jsonl"));
    let (done, unfinished) = recorded(&p);
    assert!(done.contains("main/file.a"), "{done:?}");
    assert!(unfinished.contains("main/command.slow"), "{unfinished:?}");
}

#[test]
fn export_refuses_a_pending_journal_until_a_plan_recovers_it() {
    let p = killed_with_a_journal();
    p.run(&["export", "--output", "project.json"])
        .code(1)
        .stderr_has("environment \"dev\" has the journal of an apply")
        .stderr_has("terrace plan --env dev");
    assert!(!p.exists("project.json"));
    p.run(&["plan", "--env", "dev"]).success();
    p.run(&["export", "--output", "project.json"]).success();
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(p.path("project.json")).unwrap()).unwrap();
    let state = doc["project"]["environments"]["dev"]["state"]["main"]
        .as_str()
        .unwrap_or_default();
    assert!(state.contains("out/a.txt"), "{state}");
}
