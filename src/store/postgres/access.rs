//! The records of `terrace serve` in PostgreSQL: API tokens (their sha256
//! only) and grants, in `terrace_tokens` and `terrace_grants` (schema
//! version 2), and the plans made through the API in `terrace_plans`
//! (version 3), and the jobs the server runs in `terrace_jobs` and
//! `terrace_job_events` (version 4). They are server-wide, not keyed by a
//! project's records.
//!
//! Nothing is cached: every call is a query, so that every instance of the
//! server on one database sees a token or a grant as soon as it is made.
//! The meaning of roles and hashes belongs to the server; here they are
//! text.

use super::OpenError;
use super::conn::{Conn, DbError};
use crate::value::Secret;

/// A token's record: the hash of the token, never the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    pub hash: String,
    pub user: String,
    /// RFC 3339.
    pub created: String,
}

/// A user's role on a project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantRow {
    pub user: String,
    pub project: String,
    pub role: String,
}

/// A plan kept under its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanRow {
    pub id: String,
    pub project: String,
    pub env: String,
    pub author: String,
    /// RFC 3339.
    pub created: String,
    pub bytes: Vec<u8>,
}

/// The server's access records in one database.
#[derive(Debug)]
pub struct PgAccess {
    conn: Conn,
}

impl PgAccess {
    /// Connects to the database at `url` (read from `variable`) and checks
    /// that its schema has the access tables.
    pub fn open(url: &Secret, variable: &str) -> Result<PgAccess, OpenError> {
        let (conn, _) = super::connect_current(url, variable)?;
        Ok(PgAccess { conn })
    }

    /// Records a token's hash.
    pub fn add_token(&self, row: &TokenRow) -> Result<(), DbError> {
        let row = row.clone();
        self.conn.call(move |c| {
            c.execute(
                r#"INSERT INTO terrace_tokens (hash, "user", created) VALUES ($1, $2, $3::text::timestamptz)"#,
                &[&row.hash, &row.user, &row.created],
            )?;
            Ok(())
        })
    }

    /// The user whose token hashes to `hash`.
    pub fn user_of(&self, hash: &str) -> Result<Option<String>, DbError> {
        let hash = hash.to_string();
        self.conn.call(move |c| {
            let row = c.query_opt(
                r#"SELECT "user" FROM terrace_tokens WHERE hash = $1"#,
                &[&hash],
            )?;
            Ok(row.map(|r| r.get(0)))
        })
    }

    /// Removes the token that hashes to `hash`; whether there was one.
    pub fn remove_token(&self, hash: &str) -> Result<bool, DbError> {
        let hash = hash.to_string();
        self.conn.call(move |c| {
            let n = c.execute("DELETE FROM terrace_tokens WHERE hash = $1", &[&hash])?;
            Ok(n > 0)
        })
    }

    /// Gives `row.user` the role `row.role` on `row.project`, replacing
    /// the role it had there.
    pub fn grant(&self, row: &GrantRow) -> Result<(), DbError> {
        let row = row.clone();
        self.conn.call(move |c| {
            c.execute(
                r#"INSERT INTO terrace_grants ("user", project, role) VALUES ($1, $2, $3)
                   ON CONFLICT ("user", project) DO UPDATE SET role = EXCLUDED.role"#,
                &[&row.user, &row.project, &row.role],
            )?;
            Ok(())
        })
    }

    /// Removes the user's role on the project; whether it had one.
    pub fn revoke(&self, user: &str, project: &str) -> Result<bool, DbError> {
        let (user, project) = (user.to_string(), project.to_string());
        self.conn.call(move |c| {
            let n = c.execute(
                r#"DELETE FROM terrace_grants WHERE "user" = $1 AND project = $2"#,
                &[&user, &project],
            )?;
            Ok(n > 0)
        })
    }

    /// The roles on the project, by user name.
    pub fn grants_on(&self, project: &str) -> Result<Vec<GrantRow>, DbError> {
        let project = project.to_string();
        self.conn.call(move |c| {
            let rows = c.query(
                r#"SELECT "user", role FROM terrace_grants WHERE project = $1 ORDER BY "user""#,
                &[&project],
            )?;
            Ok(rows
                .iter()
                .map(|r| GrantRow {
                    user: r.get(0),
                    project: project.clone(),
                    role: r.get(1),
                })
                .collect())
        })
    }

    /// The user's roles, by project name.
    pub fn grants_of(&self, user: &str) -> Result<Vec<GrantRow>, DbError> {
        let user = user.to_string();
        self.conn.call(move |c| {
            let rows = c.query(
                r#"SELECT project, role FROM terrace_grants WHERE "user" = $1 ORDER BY project"#,
                &[&user],
            )?;
            Ok(rows
                .iter()
                .map(|r| GrantRow {
                    user: user.clone(),
                    project: r.get(0),
                    role: r.get(1),
                })
                .collect())
        })
    }

    /// Keeps a plan under its id.
    pub fn keep_plan(&self, row: &PlanRow) -> Result<(), DbError> {
        let row = row.clone();
        self.conn.call(move |c| {
            c.execute(
                "INSERT INTO terrace_plans (id, project, env, author, created, bytes) \
                 VALUES ($1, $2, $3, $4, $5::text::timestamptz, $6)",
                &[
                    &row.id,
                    &row.project,
                    &row.env,
                    &row.author,
                    &row.created,
                    &row.bytes,
                ],
            )?;
            Ok(())
        })
    }

    /// The plan kept under `id` for project `project`, if any.
    pub fn plan(&self, project: &str, id: &str) -> Result<Option<PlanRow>, DbError> {
        let (project, id) = (project.to_string(), id.to_string());
        self.conn.call(move |c| {
            let row = c.query_opt(
                "SELECT env, author, to_char(created AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), bytes \
                 FROM terrace_plans WHERE project = $1 AND id = $2",
                &[&project, &id],
            )?;
            Ok(row.map(|r| PlanRow {
                id,
                project,
                env: r.get(0),
                author: r.get(1),
                created: r.get(2),
                bytes: r.get(3),
            }))
        })
    }

    /// The plans kept for project `project`, without their bytes (left
    /// empty: a list does not read them).
    pub fn plans_of(&self, project: &str) -> Result<Vec<PlanRow>, DbError> {
        let project = project.to_string();
        self.conn.call(move |c| {
            let rows = c.query(
                "SELECT id, env, author, to_char(created AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') \
                 FROM terrace_plans WHERE project = $1",
                &[&project],
            )?;
            Ok(rows
                .iter()
                .map(|r| PlanRow {
                    id: r.get(0),
                    project: project.clone(),
                    env: r.get(1),
                    author: r.get(2),
                    created: r.get(3),
                    bytes: Vec::new(),
                })
                .collect())
        })
    }

    /// Records a job (its record as JSON), or replaces its record.
    pub fn put_job(&self, id: &str, project: &str, record: &str) -> Result<(), DbError> {
        let (id, project, record) = (id.to_string(), project.to_string(), record.to_string());
        self.conn.call(move |c| {
            c.execute(
                "INSERT INTO terrace_jobs (id, project, record) VALUES ($1, $2, $3) \
                 ON CONFLICT (id) DO UPDATE SET record = EXCLUDED.record",
                &[&id, &project, &record],
            )?;
            Ok(())
        })
    }

    /// The record of job `id`, if any.
    pub fn job(&self, id: &str) -> Result<Option<String>, DbError> {
        let id = id.to_string();
        self.conn.call(move |c| {
            let row = c.query_opt("SELECT record FROM terrace_jobs WHERE id = $1", &[&id])?;
            Ok(row.map(|r| r.get(0)))
        })
    }

    /// The records of the jobs of `project`.
    pub fn jobs_of(&self, project: &str) -> Result<Vec<String>, DbError> {
        let project = project.to_string();
        self.conn.call(move |c| {
            let rows = c.query(
                "SELECT record FROM terrace_jobs WHERE project = $1",
                &[&project],
            )?;
            Ok(rows.iter().map(|r| r.get(0)).collect())
        })
    }

    /// Appends event lines to job `id`, numbered from `first`, in one
    /// statement.
    pub fn append_job_events(&self, id: &str, first: i64, lines: &[String]) -> Result<(), DbError> {
        let id = id.to_string();
        let seqs: Vec<i64> = (first..).take(lines.len()).collect();
        let lines = lines.to_vec();
        self.conn.call(move |c| {
            c.execute(
                "INSERT INTO terrace_job_events (job, seq, line) \
                 SELECT $1, s, l FROM unnest($2::bigint[], $3::text[]) AS t(s, l)",
                &[&id, &seqs, &lines],
            )?;
            Ok(())
        })
    }

    /// The event lines of job `id` from number `from` on, in order.
    pub fn job_events(&self, id: &str, from: i64) -> Result<Vec<String>, DbError> {
        let id = id.to_string();
        self.conn.call(move |c| {
            let rows = c.query(
                "SELECT line FROM terrace_job_events WHERE job = $1 AND seq >= $2 ORDER BY seq",
                &[&id, &from],
            )?;
            Ok(rows.iter().map(|r| r.get(0)).collect())
        })
    }
}
