//! The postgres backend on the real test cluster: `backend init`, an
//! apply's records in the database only, and locks between two checkouts
//! ("machines": two directories with the same definitions, one database).

use crate::harness::{Project, assert_not_under};
use crate::pg::Database;
use std::io::Write;
use std::time::{Duration, Instant};

const PROJECT: &str = "project \"shop\" {}\nenvironment \"dev\" {}\nenvironment \"prod\" {}\nconfiguration \"main\" {\n  architecture = \"./arch\"\n}\n";

/// A checkout whose `terrace_data.a` reads `gate`: a named pipe when
/// `blocked`, so that the run holds the lock until the test opens it.
fn checkout(db: &Database, blocked: bool) -> Project {
    let p = Project::new()
        .file("project.hcl", PROJECT)
        .file(
            "arch/main.hcl",
            "resource \"terrace_data\" \"a\" {\n  input = file(\"gate\")\n}\nresource \"file\" \"f\" {\n  path    = \"out/f.txt\"\n  content = \"v1\"\n}\n",
        )
        .on_postgres(db);
    if blocked {
        let status = std::process::Command::new("mkfifo")
            .arg(p.path("gate"))
            .status()
            .expect("mkfifo runs");
        assert!(status.success());
    } else {
        p.write("gate", "let through");
    }
    p
}

fn init(p: &Project) {
    p.run(&["backend", "init"])
        .success()
        .stdout_has("Created terrace's schema (version 1)");
}

/// Lets the blocked run through for good: the pipe is replaced by a
/// regular file while the run reads it, since an apply reads `file()` to
/// plan and again to apply.
fn open_gate(p: &Project) {
    p.write("gate.next", "let through");
    let mut pipe = std::fs::OpenOptions::new()
        .write(true)
        .open(p.path("gate"))
        .expect("open the pipe");
    pipe.write_all(b"let through").expect("write the pipe");
    std::fs::rename(p.path("gate.next"), p.path("gate")).expect("replace the pipe");
}

/// Waits until `env`'s lock row is there.
fn wait_for_lock(db: &Database, env: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let sql = format!("SELECT count(*) FROM terrace_locks WHERE env = '{env}'");
    while db.sql(&sql).trim() != "1" {
        assert!(
            Instant::now() < deadline,
            "the lock of {env} was never taken"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn backend_init_is_idempotent_and_commands_before_it_are_refused() {
    let db = Database::new();
    let p = checkout(&db, false);
    p.run(&["plan", "--env", "dev"])
        .code(1)
        .stderr_has("has no terrace schema yet: run `terrace backend init`");
    init(&p);
    p.run(&["backend", "init"])
        .success()
        .stdout_has("at version 1 already: nothing changed");
    assert_eq!(db.sql("SELECT version FROM terrace_schema").trim(), "1");
    db.sql("UPDATE terrace_schema SET version = 99");
    p.run(&["plan", "--env", "dev"])
        .code(1)
        .stderr_has("schema version 99, newer than this terrace knows (1)");
    p.run(&["backend", "init"]).code(1).stderr_has("version 99");
    assert!(!p.exists(".terrace"), "nothing was written locally");
}

#[test]
fn apply_plan_and_destroy_keep_every_record_in_the_database_and_none_on_disk() {
    let db = Database::new();
    let p = checkout(&db, false);
    init(&p);
    p.apply().stdout_has("2 added");
    p.run(&["plan", "--env", "dev", "--detailed-exitcode"])
        .success();
    p.run(&["state", "list", "--env", "dev"])
        .success()
        .stdout_has("main/file.f")
        .stdout_has("main/terrace_data.a");
    p.run(&["state", "show", "--env", "dev", "main/file.f"])
        .success()
        .stdout_has("out/f.txt");
    // A second version, then back to the first: restore is a new version.
    p.write(
        "arch/main.hcl",
        &p.read("arch/main.hcl").replace("\"v1\"", "\"v2\""),
    );
    p.apply().stdout_has("1 changed");
    p.run(&["state", "backups", "--env", "dev"])
        .success()
        .stdout_has("     1  main");
    p.run(&["state", "restore", "--env", "dev", "1"]).success();
    assert_eq!(
        db.sql("SELECT serial FROM terrace_state_current WHERE env = 'dev'")
            .trim(),
        "3"
    );
    assert_eq!(
        db.sql("SELECT count(*) FROM terrace_state_versions").trim(),
        "3",
        "every version is kept"
    );
    // The restored version says v1; the file says v2, as the definitions
    // do: refresh finds the difference and nothing is left to change.
    p.run(&["plan", "--env", "dev"])
        .success()
        .stdout_has("dev/main/file.f has changed")
        .stdout_has("No changes.");
    p.run(&["audit", "--verify"]).success().stdout_has("intact");
    p.run(&["destroy", "--env", "dev", "--auto-approve"])
        .success()
        .stdout_has("2 destroyed");
    assert!(!p.exists(".terrace"), "no record was written to disk");
    assert_eq!(db.sql("SELECT count(*) FROM terrace_journal").trim(), "0");
    assert_eq!(db.sql("SELECT count(*) FROM terrace_locks").trim(), "0");
}

#[test]
fn a_second_checkout_is_refused_naming_the_holder_while_another_environment_proceeds() {
    let db = Database::new();
    let first = checkout(&db, true);
    let second = checkout(&db, false);
    init(&second);
    let running = first.spawn(&["apply", "--env", "dev", "--auto-approve"]);
    let pid = running.id();
    wait_for_lock(&db, "dev");
    second
        .run(&["apply", "--env", "dev", "--auto-approve"])
        .code(1)
        .stderr_has("is locked by `terrace apply")
        .stderr_has(&format!("(pid {pid})"));
    second
        .run(&["apply", "--env", "prod", "--auto-approve"])
        .success()
        .stdout_has("2 added");
    open_gate(&first);
    running.wait().success().stdout_has("2 added");
    second
        .run(&["plan", "--env", "dev", "--detailed-exitcode"])
        .success();
}

#[test]
fn a_killed_holder_leaves_a_stale_lock_that_the_other_checkout_breaks() {
    let db = Database::new();
    let first = checkout(&db, true);
    let second = checkout(&db, false);
    init(&second);
    let running = first.spawn(&["apply", "--env", "dev", "--auto-approve"]);
    wait_for_lock(&db, "dev");
    running.signal("-KILL");
    running.wait();
    second
        .run(&["apply", "--env", "dev", "--auto-approve"])
        .code(1)
        .stderr_has("stale lock");
    second
        .run(&["attention"])
        .success()
        .stdout_has("env.lock.stale");
    second.run(&["state", "unlock", "--env", "dev"]).success();
    second.apply().stdout_has("2 added");
    second
        .run(&["plan", "--env", "dev", "--detailed-exitcode"])
        .success();
}

#[test]
fn the_database_password_reaches_no_output_log_or_file() {
    let db = Database::new();
    let p = checkout(&db, false);
    init(&p);
    let run = p
        .run_with(
            &["apply", "--env", "dev", "--auto-approve"],
            &[("TERRACE_LOG", "trace")],
        )
        .success();
    let password = db.password();
    for text in [&run.stdout, &run.stderr] {
        assert!(!text.contains(&password), "the password was shown:\n{text}");
    }
    assert_not_under(p.root(), &password);
    let dump =
        db.sql("SELECT string_agg(convert_from(bytes, 'UTF8'), '') FROM terrace_state_versions");
    assert!(
        !dump.contains(&password),
        "the password is in a state record"
    );
}
