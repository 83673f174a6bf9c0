//! The environment lock, with two real terrace processes.
//!
//! The first process holds the lock while it blocks reading a named pipe
//! through `file()`; the test decides when it may go on.

use crate::harness::{Project, single};
use std::io::Write;
use std::time::{Duration, Instant};

fn blocked_project() -> Project {
    let p = single("resource \"terrace_data\" \"a\" {\n  input = file(\"gate\")\n}\n");
    let status = std::process::Command::new("mkfifo")
        .arg(p.path("gate"))
        .status()
        .expect("mkfifo runs");
    assert!(status.success());
    p
}

fn wait_for(p: &Project, rel: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !p.exists(rel) {
        assert!(Instant::now() < deadline, "{rel} never appeared");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn open_gate(p: &Project) {
    let mut pipe = std::fs::OpenOptions::new()
        .write(true)
        .open(p.path("gate"))
        .expect("open the pipe");
    pipe.write_all(b"let through").expect("write the pipe");
}

#[test]
fn a_second_process_is_refused_then_waits_with_lock_timeout() {
    let p = blocked_project();
    let first = p.spawn(&["plan", "--env", "dev"]);
    let first_pid = first.id();
    wait_for(&p, ".terrace/envs/dev/lock");

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

#[test]
fn a_killed_holder_leaves_a_stale_lock_that_unlock_breaks() {
    let p = blocked_project();
    let first = p.spawn(&["plan", "--env", "dev"]);
    wait_for(&p, ".terrace/envs/dev/lock");
    first.signal("-KILL");
    first.wait();
    p.run(&["plan", "--env", "dev", "--lock-timeout", "2s"])
        .code(1)
        .stderr_has("stale lock");
    p.run(&["state", "unlock", "--env", "dev"])
        .success()
        .stdout_has("Broke the stale lock");
    let again = p.spawn(&["plan", "--env", "dev"]);
    std::thread::sleep(Duration::from_millis(200));
    open_gate(&p);
    again.wait().success();
}

#[test]
fn unlock_refuses_a_live_lock() {
    let p = blocked_project();
    let first = p.spawn(&["plan", "--env", "dev"]);
    wait_for(&p, ".terrace/envs/dev/lock");
    p.run(&["state", "unlock", "--env", "dev"])
        .code(1)
        .stderr_has("that process is running");
    open_gate(&p);
    first.wait().success();
}
