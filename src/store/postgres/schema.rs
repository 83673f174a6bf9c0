//! The schema, versioned in `terrace_schema`: `terrace backend init`
//! creates it or upgrades it; every other command checks its version
//! first and refuses a database without it, or with a newer one.
//!
//! Every table is keyed by the project's name, so one database holds many
//! projects. Version 1:
//!
//! | table | one row per |
//! | --- | --- |
//! | `terrace_state_versions` | kept version of a configuration's state (env, config, serial, lineage, the state file's bytes, their sha256) |
//! | `terrace_state_current` | configuration: the serial of its current version |
//! | `terrace_state_lineage` | configuration: the lineage of its history |
//! | `terrace_journal` | record of a running (or crashed) apply (env, seq, the record's JSON) |
//! | `terrace_locks` | held environment lock: its holder (JSON: id, user, host, pid, command, since) |
//! | `terrace_documents` | environment document (lifecycle, approvals, release, policies, drift) with its time |
//! | `terrace_audit`, `terrace_audit_head` | audit trail line (seq, line); the trail's head |
//! | `terrace_releases`, `terrace_release_files` | release (id, manifest); its definition files (id, path, bytes) |
//!
//! Version 2 adds the records of `terrace serve` (server-wide, not keyed
//! by project; see [`super::access`]):
//!
//! | table | one row per |
//! | --- | --- |
//! | `terrace_tokens` | API token: the sha256 of the token (never the token), its user, when it was made |
//! | `terrace_grants` | role of a user on a project (one per user and project) |
//!
//! Version 3 adds the plans `terrace serve` keeps (server-wide, keyed by
//! their id):
//!
//! | table | one row per |
//! | --- | --- |
//! | `terrace_plans` | saved plan made through the API: id, project, environment, author, when, the plan file's bytes |
//!
//! Version 4 adds the jobs of `terrace serve` (apply and promote run by
//! the server; keyed by their id):
//!
//! | table | one row per |
//! | --- | --- |
//! | `terrace_jobs` | job: id, project, its record (JSON: environment, kind, user, state, times, the instance running it, its last heartbeat) |
//! | `terrace_job_events` | event line of a job (`--json`'s lines), numbered from 0 |
//!
//! Version 5 adds the states of Terraform's HTTP state backend in
//! `terrace serve` (keyed by project and state name; see [`super::tfstate`]):
//!
//! | table | one row per |
//! | --- | --- |
//! | `terrace_tfstate` | state: its current version (none once deleted), its lock (holder's id, user and Terraform's LockInfo) |
//! | `terrace_tfstate_versions` | kept version of a state: number, serial, lineage, author, when, sha256, size, bytes |

use super::conn::{Conn, DbError};

/// The schema version this terrace reads and writes.
pub const VERSION: i32 = 5;

/// Each version's statements, in order: `STEPS[n]` upgrades from n to n+1.
const STEPS: &[&str] = &[
    r#"
CREATE TABLE terrace_state_versions (
    project text NOT NULL,
    env text NOT NULL,
    config text NOT NULL,
    serial bigint NOT NULL,
    lineage text NOT NULL,
    bytes bytea NOT NULL,
    checksum text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project, env, config, serial)
);
CREATE TABLE terrace_state_current (
    project text NOT NULL,
    env text NOT NULL,
    config text NOT NULL,
    serial bigint NOT NULL,
    PRIMARY KEY (project, env, config),
    FOREIGN KEY (project, env, config, serial)
        REFERENCES terrace_state_versions (project, env, config, serial)
);
CREATE TABLE terrace_state_lineage (
    project text NOT NULL,
    env text NOT NULL,
    config text NOT NULL,
    lineage text NOT NULL,
    PRIMARY KEY (project, env, config)
);
CREATE TABLE terrace_journal (
    project text NOT NULL,
    env text NOT NULL,
    seq bigint NOT NULL,
    record bytea NOT NULL,
    PRIMARY KEY (project, env, seq)
);
CREATE TABLE terrace_locks (
    project text NOT NULL,
    env text NOT NULL,
    holder jsonb NOT NULL,
    PRIMARY KEY (project, env)
);
CREATE TABLE terrace_documents (
    project text NOT NULL,
    env text NOT NULL,
    kind text NOT NULL,
    bytes bytea NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (project, env, kind)
);
CREATE TABLE terrace_audit (
    project text NOT NULL,
    seq bigint NOT NULL,
    line text NOT NULL,
    PRIMARY KEY (project, seq)
);
CREATE TABLE terrace_audit_head (
    project text PRIMARY KEY,
    head bytea NOT NULL
);
CREATE TABLE terrace_releases (
    project text NOT NULL,
    id text NOT NULL,
    manifest bytea NOT NULL,
    PRIMARY KEY (project, id)
);
CREATE TABLE terrace_release_files (
    project text NOT NULL,
    id text NOT NULL,
    path text NOT NULL,
    bytes bytea NOT NULL,
    PRIMARY KEY (project, id, path),
    FOREIGN KEY (project, id) REFERENCES terrace_releases (project, id)
);
"#,
    r#"
CREATE TABLE terrace_tokens (
    hash text PRIMARY KEY,
    "user" text NOT NULL,
    created timestamptz NOT NULL
);
CREATE TABLE terrace_grants (
    "user" text NOT NULL,
    project text NOT NULL,
    role text NOT NULL,
    PRIMARY KEY ("user", project)
);
"#,
    r#"
CREATE TABLE terrace_plans (
    id text PRIMARY KEY,
    project text NOT NULL,
    env text NOT NULL,
    author text NOT NULL,
    created timestamptz NOT NULL DEFAULT now(),
    bytes bytea NOT NULL
);
"#,
    r#"
CREATE TABLE terrace_jobs (
    id text PRIMARY KEY,
    project text NOT NULL,
    record text NOT NULL
);
CREATE TABLE terrace_job_events (
    job text NOT NULL REFERENCES terrace_jobs (id),
    seq bigint NOT NULL,
    line text NOT NULL,
    PRIMARY KEY (job, seq)
);
"#,
    r#"
CREATE TABLE terrace_tfstate (
    project text NOT NULL,
    name text NOT NULL,
    current bigint,
    lock text,
    PRIMARY KEY (project, name)
);
CREATE TABLE terrace_tfstate_versions (
    project text NOT NULL,
    name text NOT NULL,
    version bigint NOT NULL,
    serial bigint,
    lineage text,
    author text NOT NULL,
    created timestamptz NOT NULL DEFAULT now(),
    sha256 text NOT NULL,
    size bigint NOT NULL,
    bytes bytea NOT NULL,
    PRIMARY KEY (project, name, version),
    FOREIGN KEY (project, name) REFERENCES terrace_tfstate (project, name)
);
"#,
];

/// Serialises concurrent `backend init`s (a transaction-level advisory lock).
const INIT_LOCK: i64 = 0x7465_7272_6163_6501;

/// The schema's version in the database; 0 when it has none.
pub fn version(conn: &Conn) -> Result<i32, DbError> {
    conn.call(|c| {
        // Typed queries: one round trip each (no separate prepare).
        let exists: bool = c
            .query_typed_one("SELECT to_regclass('terrace_schema') IS NOT NULL", &[])?
            .get(0);
        if !exists {
            return Ok(0);
        }
        let v: Option<i32> = c
            .query_typed_one("SELECT max(version) FROM terrace_schema", &[])?
            .get(0);
        Ok(v.unwrap_or(0))
    })
}

/// What `backend init` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Init {
    /// The schema was at `from` (0: none) and is now at [`VERSION`].
    Upgraded { from: i32 },
    /// It was at [`VERSION`] already.
    Current,
}

/// Why `backend init` did not bring the schema to [`VERSION`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InitError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(
        "the database's terrace schema is version {0}, newer than this terrace knows ({VERSION}): use a newer terrace"
    )]
    Newer(i32),
}

/// Creates or upgrades the schema, in one transaction; idempotent.
pub fn init(conn: &Conn) -> Result<Init, InitError> {
    let from = conn.call(|c| {
        let mut tx = c.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&INIT_LOCK])?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS terrace_schema (version integer NOT NULL)")?;
        let from: Option<i32> = tx
            .query_one("SELECT max(version) FROM terrace_schema", &[])?
            .get(0);
        let from = from.unwrap_or(0);
        if from >= VERSION {
            tx.commit()?;
            return Ok(from);
        }
        for step in &STEPS[from.max(0) as usize..] {
            tx.batch_execute(step)?;
        }
        tx.execute("DELETE FROM terrace_schema", &[])?;
        tx.execute(
            "INSERT INTO terrace_schema (version) VALUES ($1)",
            &[&VERSION],
        )?;
        tx.commit()?;
        Ok(from)
    })?;
    match from {
        v if v > VERSION => Err(InitError::Newer(v)),
        VERSION => Ok(Init::Current),
        from => Ok(Init::Upgraded { from }),
    }
}
