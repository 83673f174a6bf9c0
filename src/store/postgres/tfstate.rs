//! Terraform's states kept by `terrace serve` (its HTTP state backend) in
//! PostgreSQL (schema version 5): `terrace_tfstate` holds each state's
//! head (current version, lock), `terrace_tfstate_versions` every version
//! with its bytes. An update is one transaction that holds the head's row
//! (`SELECT … FOR UPDATE`), so that two servers on one database never
//! both take a state's lock. The rules are the server's
//! ([`crate::server::tfstate`]); here they are rows.

use super::OpenError;
use super::conn::{Conn, DbError};
use crate::store::tfstate::{Change, Head, TfLock, TfStateError, TfStateStore, TfVersion};
use crate::value::Secret;

/// The states in one database.
#[derive(Debug)]
pub struct PgTfState {
    conn: Conn,
    variable: String,
}

const VERSION_COLUMNS: &str = "version, serial, lineage, author, \
     to_char(created AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), sha256, size";

fn version_of(r: &postgres::Row) -> TfVersion {
    TfVersion {
        version: r.get(0),
        serial: r.get(1),
        lineage: r.get(2),
        author: r.get(3),
        created: r.get(4),
        sha256: r.get(5),
        size: r.get(6),
    }
}

impl PgTfState {
    /// Connects to the database at `url` (read from `variable`) and checks
    /// that its schema is current.
    pub fn open(url: &Secret, variable: &str) -> Result<PgTfState, OpenError> {
        let (conn, _) = super::connect_current(url, variable)?;
        Ok(PgTfState {
            conn,
            variable: variable.to_string(),
        })
    }

    fn err(&self, e: DbError) -> TfStateError {
        TfStateError {
            location: self.location(),
            cause: e.0,
        }
    }

    fn bad_lock(&self, e: serde_json::Error) -> TfStateError {
        TfStateError {
            location: self.location(),
            cause: format!("a lock record is not readable: {e}"),
        }
    }
}

/// A state's row as read: its current version, its lock (JSON), its
/// versions.
type HeadRow = (Option<i64>, Option<String>, Vec<TfVersion>);

/// The head of state `n` of project `p`, if it has a row; `lock` is
/// appended to the row's query (`" FOR UPDATE"` in an update).
fn read_head(
    c: &mut postgres::Client,
    p: &str,
    n: &str,
    lock: &str,
) -> Result<Option<HeadRow>, postgres::Error> {
    let Some(row) = c.query_opt(
        &format!(
            "SELECT current, lock FROM terrace_tfstate WHERE project = $1 AND name = $2{lock}"
        ),
        &[&p, &n],
    )?
    else {
        return Ok(None);
    };
    let versions = c.query(
        &format!(
            "SELECT {VERSION_COLUMNS} FROM terrace_tfstate_versions \
             WHERE project = $1 AND name = $2 ORDER BY version"
        ),
        &[&p, &n],
    )?;
    Ok(Some((
        row.get(0),
        row.get(1),
        versions.iter().map(version_of).collect(),
    )))
}

impl PgTfState {
    /// The head a row says, its lock record read.
    fn head_of(&self, (current, lock, versions): HeadRow) -> Result<Head, TfStateError> {
        let lock = lock
            .map(|l| serde_json::from_str::<TfLock>(&l))
            .transpose()
            .map_err(|e| self.bad_lock(e))?;
        Ok(Head {
            current,
            lock,
            versions,
        })
    }
}

impl TfStateStore for PgTfState {
    fn head(&self, project: &str, name: &str) -> Result<Option<Head>, TfStateError> {
        let (p, n) = (project.to_string(), name.to_string());
        let found = self
            .conn
            .call(move |c| read_head(c, &p, &n, ""))
            .map_err(|e| self.err(e))?;
        found.map(|row| self.head_of(row)).transpose()
    }

    fn bytes(
        &self,
        project: &str,
        name: &str,
        version: i64,
    ) -> Result<Option<Vec<u8>>, TfStateError> {
        let (p, n) = (project.to_string(), name.to_string());
        self.conn
            .call(move |c| {
                let row = c.query_opt(
                    "SELECT bytes FROM terrace_tfstate_versions \
                     WHERE project = $1 AND name = $2 AND version = $3",
                    &[&p, &n, &version],
                )?;
                Ok(row.map(|r| r.get(0)))
            })
            .map_err(|e| self.err(e))
    }

    fn update(&self, project: &str, name: &str, change: Change<'_>) -> Result<(), TfStateError> {
        // One transaction over several calls: the change runs here,
        // between the read of the head (its row locked) and the writes.
        let session = self.conn.session();
        let (p, n) = (project.to_string(), name.to_string());
        session
            .call(|c| c.batch_execute("BEGIN"))
            .map_err(|e| self.err(e))?;
        let rollback = |e: TfStateError| {
            let _ = session.call(|c| c.batch_execute("ROLLBACK"));
            e
        };
        let (pp, nn) = (p.clone(), n.clone());
        let read = session.call(move |c| {
            c.execute(
                "INSERT INTO terrace_tfstate (project, name) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&pp, &nn],
            )?;
            // The row exists (made above): its head, the row locked.
            read_head(c, &pp, &nn, " FOR UPDATE")
        });
        let row = read.map_err(|e| rollback(self.err(e)))?.unwrap_or_default();
        let mut head = self.head_of(row).map_err(rollback)?;
        let before = head.clone();
        let added = change(&mut head);
        // Nothing to write: the row made for a state never written goes
        // too (as on local files, where no file is made).
        if added.is_none() && head == before {
            let _ = session.call(|c| c.batch_execute("ROLLBACK"));
            return Ok(());
        }
        let lock = head
            .lock
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| rollback(self.bad_lock(e)))?;
        let mut current = head.current;
        if let Some(new) = &added {
            current = Some(new.meta.version);
        }
        let written = session.call(move |c| {
            if let Some(new) = added {
                let m = &new.meta;
                c.execute(
                    "INSERT INTO terrace_tfstate_versions \
                     (project, name, version, serial, lineage, author, created, sha256, size, bytes) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7::text::timestamptz, $8, $9, $10)",
                    &[
                        &p,
                        &n,
                        &m.version,
                        &m.serial,
                        &m.lineage,
                        &m.author,
                        &m.created,
                        &m.sha256,
                        &m.size,
                        &new.bytes,
                    ],
                )?;
            }
            c.execute(
                "UPDATE terrace_tfstate SET current = $3, lock = $4 WHERE project = $1 AND name = $2",
                &[&p, &n, &current, &lock],
            )?;
            c.batch_execute("COMMIT")
        });
        written.map_err(|e| rollback(self.err(e)))
    }

    fn names(&self, project: &str) -> Result<Vec<String>, TfStateError> {
        let p = project.to_string();
        self.conn
            .call(move |c| {
                let rows = c.query(
                    "SELECT name FROM terrace_tfstate WHERE project = $1 ORDER BY name",
                    &[&p],
                )?;
                Ok(rows.iter().map(|r| r.get(0)).collect())
            })
            .map_err(|e| self.err(e))
    }

    fn location(&self) -> String {
        format!("postgres ({})", self.variable)
    }
}
