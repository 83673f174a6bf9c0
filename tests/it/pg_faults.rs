//! Faults with the records in PostgreSQL, seen from two "machines": two
//! checkouts of the same definitions in different directories sharing one
//! database, as two ephemeral runners or two engineers would. Concurrent
//! applies, a runner killed mid-apply, the server stopped and started
//! mid-apply, eight concurrent writers of the audit trail, and a database
//! that cannot be reached.

use crate::harness::{Project, Run, repo};
use crate::pg::Database;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// A project with environments `dev` and `test` and one configuration of
/// `arch`.
fn definitions(arch: &str) -> Project {
    Project::new()
        .file(
            "project.hcl",
            "project \"t\" {}\nenvironment \"dev\" {}\nenvironment \"test\" {}\nconfiguration \"main\" {\n  architecture = \"./arch\"\n}\n",
        )
        .file("arch/main.hcl", arch)
}

/// A checkout of `arch` on a machine whose user is `user`, its records in
/// the database at `url`.
fn checkout(arch: &str, url: &str, user: &str) -> Project {
    definitions(arch)
        .var("TERRACE_BACKEND", "postgres")
        .var("TERRACE_DATABASE_URL", url)
        .var("TERRACE_USER", user)
}

/// `count` files in `dir` (an absolute path both checkouts share, as real
/// objects outside either machine are), named `f0`, `f1`, …
fn files_in(dir: &Path, count: usize) -> String {
    format!(
        "resource \"file\" \"f\" {{\n  count   = {count}\n  path    = \"{}/f${{count.index}}\"\n  content = \"file ${{count.index}}\"\n  allow_outside_project = true\n}}\n",
        dir.display()
    )
}

/// The files `f*` in `dir`, by number.
fn existing(dir: &Path) -> BTreeSet<usize> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return BTreeSet::new();
    };
    entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            e.file_name()
                .to_string_lossy()
                .strip_prefix('f')
                .and_then(|n| n.parse().ok())
        })
        .collect()
}

/// Every entry in `dir`, to find strays, except the file provider's
/// temporary files a killed writer leaves (`.terrace-XXXXXX`, swept by a
/// later run once a minute old).
fn entries(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |d| {
        d.filter_map(|e| e.ok())
            .filter(|e| !e.file_name().to_string_lossy().starts_with(".terrace-"))
            .count()
    })
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "{what} never happened");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Addresses in state, and addresses of unfinished operations.
fn recorded(p: &Project, env: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let list = p.run(&["state", "list", "--env", env]).success();
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

/// After an apply that did not finish: every file that exists is in
/// state or named as unfinished by the journal; the next apply (from
/// `p`) creates exactly what state lacks, leaves `count` files and no
/// stray, and the plan after it is empty.
fn converges(p: &Project, out: &Path, count: usize, how: &str) {
    let (done, unfinished) = recorded(p, "dev");
    for n in existing(out) {
        let addr = format!("main/file.f[{n}]");
        assert!(
            done.contains(&addr) || unfinished.contains(&addr),
            "{how}: f{n} exists but {addr} is neither in state nor unfinished in the journal"
        );
    }
    let again = p
        .run(&["apply", "--env", "dev", "--auto-approve"])
        .success();
    assert_eq!(
        again.lines_with("Creation complete").len(),
        count - done.len(),
        "{how}: objects already in state were created again\n{}",
        again.stdout
    );
    assert_eq!(existing(out).len(), count, "{how}");
    assert_eq!(entries(out), count, "{how}: nothing else in {out:?}");
    let (done, unfinished) = recorded(p, "dev");
    assert_eq!(done.len(), count, "{how}: one object per file in state");
    assert!(unfinished.is_empty(), "{how}: {unfinished:?}");
    p.run(&["plan", "--env", "dev", "--detailed-exitcode"])
        .success()
        .stdout_has("No changes.");
}

fn no_panic(run: &Run) {
    assert!(
        !run.stderr.contains("panicked"),
        "terrace {} panicked:\n{}",
        run.args,
        run.stderr
    );
}

/// Lets the apply blocked on the named pipe `gate` through, and every
/// later read of `gate` too (an apply reads it to plan and again to
/// apply): a regular file replaces the pipe while the reader holds it.
fn open_gate_for_good(p: &Project) {
    p.write("gate.next", "let through");
    let mut pipe = std::fs::OpenOptions::new()
        .write(true)
        .open(p.path("gate"))
        .expect("open the pipe");
    pipe.write_all(b"let through").expect("write the pipe");
    std::fs::rename(p.path("gate.next"), p.path("gate")).expect("replace the pipe");
    drop(pipe);
}

const GATED: &str = "resource \"terrace_data\" \"a\" {\n  input = file(\"gate\")\n}\n";

#[test]
fn a_second_machine_is_refused_on_a_locked_environment_but_applies_another() {
    let db = Database::new();
    let alice = checkout(GATED, db.url(), "alice");
    let bob = checkout(GATED, db.url(), "bob");
    alice.run(&["backend", "init"]).success();
    // alice's apply holds dev's lock while it waits on the named pipe.
    let status = Command::new("mkfifo")
        .arg(alice.path("gate"))
        .status()
        .expect("mkfifo runs");
    assert!(status.success());
    bob.write("gate", "let through");
    let first = alice.spawn(&["apply", "--env", "dev", "--auto-approve"]);
    let pid = first.id();
    bob.wait_for_live_lock("dev");

    bob.run(&["apply", "--env", "dev", "--auto-approve"])
        .code(1)
        .stderr_has("is locked by `terrace apply` by alice on ")
        .stderr_has(&format!("(pid {pid})"))
        .stderr_has("--lock-timeout");
    bob.run(&["state", "unlock", "--env", "dev"])
        .code(1)
        .stderr_has("that process is running");
    // Another environment has a lock of its own.
    bob.run(&["apply", "--env", "test", "--auto-approve"])
        .success()
        .stdout_has("1 added");

    open_gate_for_good(&alice);
    first
        .wait_within(Duration::from_secs(60))
        .success()
        .stdout_has("1 added");
    // Each machine sees what the other applied.
    for (p, env) in [(&bob, "dev"), (&alice, "test")] {
        p.run(&["state", "list", "--env", env])
            .success()
            .stdout_has("main/terrace_data.a");
    }
    bob.run(&["plan", "--env", "dev", "--detailed-exitcode"])
        .success()
        .stdout_has("No changes.");
}

/// Files in the apply of [`racing_apply`].
const FILES: usize = 300;

/// Two machines (checkouts) on one database, the first applying
/// [`FILES`] files two at a time.
struct Racing {
    db: Database,
    out: tempfile::TempDir,
    runner: Project,
    other: Project,
    apply: crate::harness::Running,
}

fn racing_apply() -> Racing {
    let db = Database::new();
    let out = tempfile::tempdir().expect("temp dir");
    let arch = files_in(out.path(), FILES);
    let runner = checkout(&arch, db.url(), "ci");
    let other = checkout(&arch, db.url(), "ci");
    runner.run(&["backend", "init"]).success();
    let apply = runner.spawn(&[
        "apply",
        "--env",
        "dev",
        "--auto-approve",
        "--parallelism",
        "2",
    ]);
    Racing {
        db,
        out,
        runner,
        other,
        apply,
    }
}

#[test]
fn a_runner_killed_mid_apply_leaves_a_stale_lock_another_machine_breaks_and_converges() {
    let Racing {
        db: _db, // kept until the end: dropping it drops the database
        out,
        runner,
        other,
        apply,
    } = racing_apply();
    let pid = apply.id();
    wait_until("the 20th file", || existing(out.path()).len() >= 20);
    apply.signal("-KILL");
    apply.wait();
    assert!(existing(out.path()).len() < FILES, "killed before the end");

    // The database noticed its holder died: stale, and named.
    other
        .run(&["plan", "--env", "dev", "--lock-timeout", "2s"])
        .code(1)
        .stderr_has("stale lock")
        .stderr_has(&format!("(pid {pid})"))
        .stderr_has("its session with the database has ended")
        .stderr_has("terrace state unlock --env dev");
    other
        .run(&["attention", "--fail-on", "error"])
        .code(1)
        .stdout_has("env.lock.stale");
    other
        .run(&["state", "unlock", "--env", "dev"])
        .success()
        .stdout_has("Broke the stale lock");
    converges(&other, out.path(), FILES, "killed runner");
    runner
        .run(&["plan", "--env", "dev", "--detailed-exitcode"])
        .success()
        .stdout_has("No changes.");
}

/// A PostgreSQL cluster of this test's own, to stop and start; stopped
/// when the test ends, failed or not.
struct Cluster {
    dir: tempfile::TempDir,
    url: String,
}

impl Cluster {
    fn start() -> Cluster {
        let dir = tempfile::Builder::new()
            .prefix("terrace-pg-")
            .tempdir()
            .expect("temp dir");
        let status = Command::new(repo().join(".ci/postgres.sh"))
            .arg("start")
            .arg(dir.path())
            .status()
            .expect(".ci/postgres.sh runs");
        assert!(status.success(), ".ci/postgres.sh start failed");
        let env = std::fs::read_to_string(dir.path().join("env")).expect("the cluster's env");
        let url = env
            .trim()
            .strip_prefix("TERRACE_TEST_DATABASE_URL=")
            .expect("the URL")
            .to_string();
        Cluster { dir, url }
    }

    /// pg_ctl on the cluster, as the user who owns it (`.ci/postgres.sh`
    /// makes it `postgres` when the tests run as root).
    fn pg_ctl(&self, args: &[&str]) {
        let data = self.dir.path().join("data");
        let mut c = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--", PG_CTL]);
            c
        } else {
            Command::new(PG_CTL)
        };
        let status = c
            .arg("-D")
            .arg(&data)
            .args(args)
            .stdout(std::process::Stdio::null())
            .status()
            .expect("pg_ctl runs");
        assert!(status.success(), "pg_ctl {args:?} failed");
    }

    fn stop(&self) {
        self.pg_ctl(&["-m", "fast", "-w", "stop"]);
    }

    /// Starts it again as `.ci/postgres.sh` did: same address, port and
    /// socket directory.
    fn start_again(&self) {
        let port = self
            .url
            .rsplit_once(':')
            .and_then(|(_, rest)| rest.split_once('/'))
            .map(|(port, _)| port.to_string())
            .expect("a port in the URL");
        let log = self.dir.path().join("server.log");
        let opts = format!(
            "-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={} -c max_connections=200",
            self.dir.path().display()
        );
        self.pg_ctl(&[
            "-l",
            &log.display().to_string(),
            "-w",
            "-t",
            "60",
            "-o",
            &opts,
            "start",
        ]);
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new(repo().join(".ci/postgres.sh"))
            .arg("stop")
            .arg(self.dir.path())
            .status();
    }
}

const PG_CTL: &str = "/usr/lib/postgresql/15/bin/pg_ctl";

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

#[test]
fn the_server_stopped_mid_apply_stops_it_cleanly_and_the_next_apply_converges() {
    const FILES: usize = 300;
    let cluster = Cluster::start();
    let out = tempfile::tempdir().expect("temp dir");
    let p = checkout(&files_in(out.path(), FILES), &cluster.url, "ci");
    p.run(&["backend", "init"]).success();

    let apply = p.spawn(&[
        "apply",
        "--env",
        "dev",
        "--auto-approve",
        "--parallelism",
        "2",
    ]);
    wait_until("the 10th file", || existing(out.path()).len() >= 10);
    cluster.stop();
    // No endless retry: the apply gives up on a server that is gone.
    let run = apply.wait_within(Duration::from_secs(30));
    no_panic(&run);
    let run = run.code(1);
    assert!(
        existing(out.path()).len() < FILES,
        "stopped before the end\n{}",
        run.stdout
    );
    assert!(
        run.stderr.to_lowercase().contains("database")
            || run.stderr.to_lowercase().contains("postgres"),
        "the error names the database\n{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains(&cluster.url),
        "the URL is never shown\n{}",
        run.stderr
    );

    cluster.start_again();
    // The lock's holder is gone with its connection: breaking it, if the
    // apply could not release it, is a user's decision.
    p.run(&["state", "unlock", "--env", "dev"]).success();
    converges(&p, out.path(), FILES, "server stopped");
}

#[test]
fn eight_concurrent_writers_leave_one_unforked_audit_chain_with_every_event_once() {
    const ENVS: usize = 8;
    let db = Database::new();
    let project: String = std::iter::once("project \"t\" {}\n".to_string())
        .chain((0..ENVS).map(|i| format!("environment \"e{i}\" {{}}\n")))
        .chain(std::iter::once(
            "configuration \"main\" {\n  architecture = \"./arch\"\n}\n".to_string(),
        ))
        .collect();
    let arch = "resource \"terrace_data\" \"a\" {\n  input = \"x\"\n}\n";
    let machine = |user: &str| {
        Project::new()
            .file("project.hcl", &project)
            .file("arch/main.hcl", arch)
            .var("TERRACE_BACKEND", "postgres")
            .var("TERRACE_DATABASE_URL", db.url())
            .var("TERRACE_USER", user)
    };
    let (a, b) = (machine("a"), machine("b"));
    a.run(&["backend", "init"]).success();
    let envs: Vec<String> = (0..ENVS).map(|i| format!("e{i}")).collect();
    let running: Vec<_> = envs
        .iter()
        .enumerate()
        .map(|(i, env)| {
            let p = if i % 2 == 0 { &a } else { &b };
            p.spawn(&["apply", "--env", env, "--auto-approve"])
        })
        .collect();
    for r in running {
        r.wait_within(Duration::from_secs(60)).success();
    }

    let verified = b.run(&["audit", "--verify"]).success();
    let trail = a.run(&["audit", "--json"]).success().stdout;
    let events: Vec<serde_json::Value> = trail
        .lines()
        .map(|l| serde_json::from_str(l).expect("an audit line is JSON"))
        .collect();
    verified.stdout_has(&format!("{} event(s)", events.len()));
    let seqs: Vec<u64> = events
        .iter()
        .map(|e| e["seq"].as_u64().expect("seq"))
        .collect();
    assert_eq!(
        seqs,
        (1..=events.len() as u64).collect::<Vec<_>>(),
        "one event per seq, in order"
    );
    for pair in events.windows(2) {
        assert_eq!(pair[1]["prev"], pair[0]["hash"], "the chain does not fork");
    }
    let mut deploys: BTreeMap<String, usize> = BTreeMap::new();
    for e in &events {
        if e["action"] == "project.config.deploy" {
            let env = e["target"]["environment"].as_str().expect("environment");
            *deploys.entry(env.to_string()).or_default() += 1;
        }
    }
    let once: BTreeMap<String, usize> = envs.iter().map(|e| (e.clone(), 1)).collect();
    assert_eq!(deploys, once, "every apply's event exactly once\n{trail}");
}

/// Every user table's row count, to show that nothing was written.
fn row_counts(db: &Database) -> String {
    db.sql(
        "SELECT table_schema || '.' || table_name || '=' || \
         (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I', \
         table_schema, table_name), false, true, '')))[1]::text \
         FROM information_schema.tables \
         WHERE table_schema NOT IN ('pg_catalog', 'information_schema') \
         ORDER BY 1",
    )
}

#[test]
fn an_unreachable_database_is_a_clear_error_and_nothing_is_half_written() {
    let db = Database::new();
    definitions(GATED)
        .on_postgres(&db)
        .run(&["backend", "init"])
        .success();
    let before = row_counts(&db);
    assert!(!before.trim().is_empty(), "backend init made tables");

    // The same database, on a port where nothing listens.
    let free = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = free.local_addr().expect("its address").port();
    drop(free);
    let (head, tail) = db.url().rsplit_once('@').expect("user@host");
    let (_, path) = tail.split_once('/').expect("/database");
    let wrong = format!("{head}@127.0.0.1:{port}/{path}");
    let p = checkout(GATED, &wrong, "ci");
    p.write("gate", "x");
    for args in [
        &["backend", "init"][..],
        &["plan", "--env", "dev"],
        &["apply", "--env", "dev", "--auto-approve"],
        &["state", "list", "--env", "dev"],
        &["state", "unlock", "--env", "dev"],
        &["audit", "--verify"],
    ] {
        let run = p.run_with(args, &[("TERRACE_LOG", "debug")]);
        no_panic(&run);
        let run = run.code(1);
        let said = run.stderr.to_lowercase();
        assert!(
            said.contains("database") || said.contains("postgres"),
            "{args:?}: the error names the database\n{}",
            run.stderr
        );
        for text in [&run.stdout, &run.stderr] {
            assert!(
                !text.contains(&db.password()),
                "{args:?}: the password is never shown\n{text}"
            );
        }
    }
    assert!(!p.exists(".terrace"), "no local records instead");
    assert_eq!(row_counts(&db), before, "no row was written");
}

/// Ends the sessions that hold an environment lock's advisory lock (an
/// idle session holding a granted advisory lock: the audit trail's locks
/// last only a transaction), as a database failover or an administrator
/// would; returns how many it ended.
fn terminate_lock_sessions(db: &Database) -> usize {
    db.sql(
        "SELECT pg_terminate_backend(a.pid) FROM pg_locks l JOIN pg_stat_activity a USING (pid) \
         WHERE l.locktype = 'advisory' AND l.granted AND a.state = 'idle' \
         AND a.datname = current_database() AND a.pid <> pg_backend_pid()",
    )
    .lines()
    .filter(|l| l.trim() == "t")
    .count()
}

#[test]
fn an_apply_whose_lock_session_is_ended_stops_before_another_machine_can_take_over() {
    let Racing {
        db,
        out,
        runner: _runner, // its checkout stays while it runs
        other,
        apply,
    } = racing_apply();
    wait_until("the 20th file", || existing(out.path()).len() >= 20);
    assert_eq!(terminate_lock_sessions(&db), 1, "one lock session ended");
    // The lock is stale now: another machine may break it and apply, so
    // the holder must not go on writing objects or records.
    let stopped = apply.wait_within(Duration::from_secs(60));
    no_panic(&stopped);
    let stopped = stopped.code(1).stderr_has("lock");
    let left = existing(out.path()).len();
    assert!(
        left < FILES,
        "the apply went on after losing its lock: {left} files\n{}",
        stopped.stderr
    );
    other
        .run(&["state", "unlock", "--env", "dev"])
        .success()
        .stdout_has("Broke the stale lock");
    converges(&other, out.path(), FILES, "lock session ended");
}
