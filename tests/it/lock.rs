//! The environment lock, with two real terrace processes, on local files
//! and on PostgreSQL.
//!
//! The first process holds the lock while it blocks reading a named pipe
//! through `file()`; the test decides when it may go on. The tests see the
//! lock only through commands (`state unlock`), never its files.

use crate::harness::{Project, Store, on_both_stores, single};
use std::io::Write;
use std::time::Duration;

on_both_stores!(
    a_second_process_is_refused_then_waits_with_lock_timeout,
    a_killed_holder_leaves_a_stale_lock_that_unlock_breaks,
    unlock_refuses_a_live_lock,
    delete_project_is_refused_while_a_command_holds_a_lock_and_keeps_every_record,
    approve_is_refused_while_a_command_holds_the_lock_and_records_no_approval,
);

fn blocked_project(store: Store) -> Project {
    let p = store.project(single(
        "resource \"terrace_data\" \"a\" {\n  input = file(\"gate\")\n}\n",
    ));
    let status = std::process::Command::new("mkfifo")
        .arg(p.path("gate"))
        .status()
        .expect("mkfifo runs");
    assert!(status.success());
    p
}

fn open_gate(p: &Project) {
    let mut pipe = std::fs::OpenOptions::new()
        .write(true)
        .open(p.path("gate"))
        .expect("open the pipe");
    pipe.write_all(b"let through").expect("write the pipe");
}

fn a_second_process_is_refused_then_waits_with_lock_timeout(store: Store) {
    let p = blocked_project(store);
    let first = p.spawn(&["plan", "--env", "dev"]);
    let first_pid = first.id();
    p.wait_for_live_lock("dev");

    p.run(&["plan", "--env", "dev"])
        .code(1)
        .stderr_has("is locked by `terrace plan` by tester")
        .stderr_has(&format!("(pid {first_pid})"))
        .stderr_has("--lock-timeout");

    let second = p.spawn(&["plan", "--env", "dev", "--lock-timeout", "60s"]);
    std::thread::sleep(Duration::from_millis(300));
    open_gate(&p);
    first.wait().success().stdout_has("Plan: 1 to add");
    // The second one reads the gate too, once it has the lock.
    open_gate(&p);
    second.wait().success().stdout_has("Plan: 1 to add");
}

fn a_killed_holder_leaves_a_stale_lock_that_unlock_breaks(store: Store) {
    let p = blocked_project(store);
    let first = p.spawn(&["plan", "--env", "dev"]);
    let first_pid = first.id();
    p.wait_for_live_lock("dev");
    first.signal("-KILL");
    first.wait();
    // The holder is named, and so is the way out.
    p.run(&["plan", "--env", "dev", "--lock-timeout", "2s"])
        .code(1)
        .stderr_has("stale lock")
        .stderr_has("`terrace plan` by tester on ")
        .stderr_has(&format!("(pid {first_pid})"))
        .stderr_has("terrace state unlock --env dev");
    p.run(&["attention", "--fail-on", "error"])
        .code(1)
        .stdout_has("env.lock.stale");
    p.run(&["state", "unlock", "--env", "dev"])
        .success()
        .stdout_has("Broke the stale lock");
    p.run(&["state", "unlock", "--env", "dev"])
        .success()
        .stdout_has("is not locked");
    let again = p.spawn(&["plan", "--env", "dev"]);
    std::thread::sleep(Duration::from_millis(200));
    open_gate(&p);
    again.wait().success();
}

fn unlock_refuses_a_live_lock(store: Store) {
    let p = blocked_project(store);
    let first = p.spawn(&["plan", "--env", "dev"]);
    p.wait_for_live_lock("dev");
    p.run(&["state", "unlock", "--env", "dev"])
        .code(1)
        .stderr_has("that process is running");
    open_gate(&p);
    first.wait().success();
}

fn delete_project_is_refused_while_a_command_holds_a_lock_and_keeps_every_record(store: Store) {
    let p = blocked_project(store);
    let first = p.spawn(&["plan", "--env", "dev"]);
    p.wait_for_live_lock("dev");
    // The hint names a flag delete-project has.
    p.run(&["delete-project", "--auto-approve", "--lock-timeout", "0s"])
        .code(1)
        .stderr_has("is locked by `terrace plan` by tester")
        .stderr_has("--lock-timeout");
    open_gate(&p);
    first.wait().success();
    // Nothing went: the lock's holder finished, and the records are there.
    p.run(&["audit", "--verify"]).success();
}

fn approve_is_refused_while_a_command_holds_the_lock_and_records_no_approval(store: Store) {
    let p = blocked_project(store);
    let planning = p.spawn(&["plan", "--env", "dev", "--out", "dev.plan"]);
    open_gate(&p);
    planning.wait().success();
    let first = p.spawn(&["plan", "--env", "dev"]);
    p.wait_for_live_lock("dev");
    // The hint names a flag approve has.
    p.run(&[
        "approve",
        "--env",
        "dev",
        "dev.plan",
        "--comment",
        "looked at it",
        "--lock-timeout",
        "0s",
    ])
    .code(1)
    .stderr_has("is locked by `terrace plan` by tester")
    .stderr_has("--lock-timeout");
    open_gate(&p);
    first.wait().success();
    let audit = p.run(&["audit", "--json"]).success().stdout;
    let approvals: Vec<&str> = audit
        .lines()
        .filter(|l| l.contains("project.config.approve"))
        .collect();
    assert_eq!(approvals.len(), 1, "{audit}");
    assert!(approvals[0].contains("\"outcome\":\"failure\""), "{audit}");
}
