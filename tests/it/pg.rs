//! The PostgreSQL the postgres backend's tests run against: the throwaway
//! cluster that `.ci/postgres.sh start DIR` made, named by
//! `TERRACE_TEST_DATABASE_URL` (a superuser's URL) or, without it, by the
//! `env` file of the cluster the README starts in `target/pg`. Each test
//! gets a database of its own, dropped when the test ends, so tests run
//! in parallel without seeing each other's records. No cluster fails the
//! test: it is never skipped.

use crate::harness::Project;
use std::process::Command;

/// The variable naming the test cluster.
pub const CLUSTER_VARIABLE: &str = "TERRACE_TEST_DATABASE_URL";

/// A fresh, empty database on the test cluster.
pub struct Database {
    name: String,
    admin_url: String,
    url: String,
}

impl Database {
    /// Creates a database of its own for this test.
    pub fn new() -> Database {
        let admin_url = cluster_url();
        let name = format!("t_{}", uuid_like());
        psql(&admin_url, &format!("CREATE DATABASE {name}"));
        let (base, _) = admin_url
            .rsplit_once('/')
            .expect("the cluster URL ends with /DATABASE");
        Database {
            url: format!("{base}/{name}"),
            name,
            admin_url,
        }
    }

    /// Its URL, with the password.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The password in the URL, to check that it is never shown.
    pub fn password(&self) -> String {
        let after_scheme = self.url.split_once("://").map_or("", |(_, r)| r);
        let userinfo = after_scheme.split_once('@').map_or("", |(u, _)| u);
        userinfo.split_once(':').map_or("", |(_, p)| p).to_string()
    }

    /// Runs SQL in the database with psql and returns what it printed
    /// (unaligned, tuples only).
    pub fn sql(&self, sql: &str) -> String {
        psql(&self.url, sql)
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .args([
                self.admin_url.as_str(),
                "-qAtc",
                &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            ])
            .output();
    }
}

/// The test cluster's URL: `TERRACE_TEST_DATABASE_URL`, else the one
/// `.ci/postgres.sh start target/pg` wrote.
fn cluster_url() -> String {
    if let Ok(url) = std::env::var(CLUSTER_VARIABLE) {
        return url;
    }
    let file = crate::harness::repo().join("target/pg/env");
    std::fs::read_to_string(&file)
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("{CLUSTER_VARIABLE}=")).map(str::to_string))
        })
        .unwrap_or_else(|| {
            panic!(
                "no PostgreSQL test cluster: {CLUSTER_VARIABLE} is not set and {} does not name one; \
                 start one with `.ci/postgres.sh start target/pg` (as the README says)",
                file.display()
            )
        })
}

fn psql(url: &str, sql: &str) -> String {
    let out = Command::new("psql")
        .args([url, "-v", "ON_ERROR_STOP=1", "-qAtc", sql])
        .output()
        .expect("psql runs (Debian's postgresql-client, installed with the server)");
    assert!(
        out.status.success(),
        "psql failed on {sql:?} (is the test cluster running? `.ci/postgres.sh start target/pg` starts it again): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A name part unique to this process and call.
fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        nanos
    )
}

impl Project {
    /// Keeps the project's records in `db` (TERRACE_BACKEND=postgres) for
    /// every command run in it.
    pub fn on_postgres(self, db: &Database) -> Project {
        self.var("TERRACE_BACKEND", "postgres")
            .var("TERRACE_DATABASE_URL", db.url())
    }
}

#[test]
fn each_test_has_a_database_of_its_own_on_the_test_cluster() {
    let a = Database::new();
    let b = Database::new();
    assert_ne!(a.url(), b.url());
    assert!(!a.password().is_empty(), "the cluster's URL has a password");
    a.sql("CREATE TABLE only_in_a (x int)");
    assert_eq!(a.sql("SELECT count(*) FROM only_in_a").trim(), "0");
    assert_eq!(
        b.sql("SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'")
            .trim(),
        "0"
    );
    // Choosing it before `terrace backend init` is refused.
    crate::harness::single("resource \"terrace_data\" \"a\" {\n  input = 1\n}\n")
        .on_postgres(&a)
        .run(&["plan", "--env", "dev"])
        .code(1)
        .stderr_has("run `terrace backend init`");
}
