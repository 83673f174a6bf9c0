//! `terrace backend migrate`: every record copied to another backend and
//! verified; what it refuses before copying anything.

use crate::harness::{Project, single};
use crate::pg::Database;

const ARCH: &str = "resource \"terrace_data\" \"a\" {\n  input = 1\n}\n";
const ARCH2: &str = "resource \"terrace_data\" \"a\" {\n  input = 2\n}\n";

fn applied() -> Project {
    let p = single(ARCH);
    p.apply();
    p
}

#[test]
fn migrate_refuses_a_database_url_on_the_command_line_without_repeating_it() {
    let p = applied();
    let run = p
        .run(&[
            "backend",
            "migrate",
            "--to",
            "postgres://terrace:hunter2@db.example/records",
        ])
        .code(1)
        .stderr_has("shell history")
        .stderr_has("TERRACE_DATABASE_URL")
        .stderr_has("--to postgres");
    assert!(!run.stderr.contains("hunter2"), "{}", run.stderr);
    assert!(!run.stdout.contains("hunter2"), "{}", run.stdout);
    crate::harness::assert_not_under(p.root(), "hunter2");
}

#[test]
fn migrate_to_the_backend_in_use_is_refused() {
    let p = applied();
    p.run(&["backend", "migrate", "--to", "local"])
        .code(1)
        .stderr_has("already in local");
    // Nothing moved: the state is where it was.
    p.run(&["plan", "--env", "dev", "--detailed-exitcode"])
        .success()
        .stdout_has("No changes.");
}

#[test]
fn migrate_to_postgres_without_its_url_names_the_variable_and_copies_nothing() {
    let p = applied();
    p.run(&["backend", "migrate", "--to", "SHOP_RECORDS_URL"])
        .code(1)
        .stderr_has("SHOP_RECORDS_URL")
        .stderr_has("not set");
    p.run(&["audit", "--verify"]).success();
}

#[test]
fn migrate_help_says_the_url_is_read_from_a_variable() {
    let p = Project::new();
    p.run(&["backend", "migrate", "--help"])
        .success()
        .stdout_has("never from the command line")
        .stdout_has("TERRACE_DATABASE_URL");
}

#[test]
fn a_project_moves_to_postgres_and_back_with_every_version() {
    let db = Database::new();
    let pg = [("TERRACE_BACKEND", "postgres")];
    let p = single(ARCH).var("TERRACE_DATABASE_URL", db.url());
    p.apply();
    p.write("arch/main.hcl", ARCH2);
    p.apply();
    // The kept version was made long ago: its time goes along both ways.
    let kept = std::fs::File::options()
        .write(true)
        .open(p.path(".terrace/envs/dev/main.1.backup.json"))
        .expect("the kept version");
    kept.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_577_934_245))
        .unwrap();
    const MADE: &str = "2020-01-02T03:04:05Z";
    p.run(&["state", "backups", "--env", "dev"])
        .success()
        .stdout_has(MADE);
    p.run_with(&["backend", "init"], &pg).success();
    p.run(&["backend", "migrate", "--to", "postgres"])
        .success()
        .stdout_has("verified the copy")
        .stdout_has("state versions");
    assert_eq!(
        db.sql("SELECT count(*) FROM terrace_state_versions").trim(),
        "2",
        "the current version and the kept one"
    );
    p.run_with(&["plan", "--env", "dev", "--detailed-exitcode"], &pg)
        .success()
        .stdout_has("No changes.");
    p.run_with(&["audit", "--verify"], &pg)
        .success()
        .stdout_has("intact");
    p.run_with(&["state", "backups", "--env", "dev"], &pg)
        .success()
        .stdout_has(MADE);
    p.run_with(&["audit"], &pg)
        .success()
        .stdout_has("project.backend.migrate");
    // Back again, into another checkout without records.
    let q = single(ARCH2).var("TERRACE_DATABASE_URL", db.url());
    q.run_with(&["backend", "migrate", "--to", "local"], &pg)
        .success()
        .stdout_has("verified the copy");
    q.run(&["plan", "--env", "dev", "--detailed-exitcode"])
        .success()
        .stdout_has("No changes.");
    q.run(&["audit", "--verify"]).success().stdout_has("intact");
    q.run(&["state", "backups", "--env", "dev"])
        .success()
        .stdout_has(MADE);
    // The first version came along: restoring it makes the plan change.
    q.run(&["state", "restore", "--env", "dev", "1"]).success();
    q.run(&["plan", "--env", "dev", "--detailed-exitcode"])
        .code(2);
    crate::harness::assert_not_under(q.root(), &db.password());
    crate::harness::assert_not_under(p.root(), &db.password());
    // The database holds the project: a second copy there is refused.
    p.run(&["backend", "migrate", "--to", "postgres"])
        .code(1)
        .stderr_has("holds records");
}
