//! The PostgreSQL backend: every record of a project in one database,
//! shared by every machine that runs terrace on the project.
//!
//! Chosen by `backend "postgres" { url = env("TERRACE_DATABASE_URL") }` or
//! `TERRACE_BACKEND=postgres`. Records are keyed by the project's name
//! (its `project` block), so one database holds many projects; the tables
//! are in [`schema`], created by `terrace backend init`.
//!
//! How each guarantee of [`crate::store`] is kept here:
//! - a commit is one transaction: every changed configuration's new
//!   version (the state file's exact bytes, with their sha256) and the
//!   move of its current pointer; every version is kept, none pruned;
//!   `load` reads only the current versions;
//! - the journal's batches are one `INSERT` (one transaction) each;
//! - the lock is a row naming its holder plus a session-level advisory
//!   lock held by a connection that the [`Lock`] guard owns: when the
//!   holder dies the server ends its session and frees the advisory lock,
//!   so a row whose advisory lock is free is provably stale;
//! - the audit trail is appended in a transaction holding
//!   `pg_advisory_xact_lock` on the project's trail, so that concurrent
//!   writers on any machine never fork the chain;
//! - releases are inserted with `ON CONFLICT DO NOTHING` (content
//!   addressed: a kept release never changes), and unpacked for loading
//!   into the user's cache directory (`$XDG_CACHE_HOME/terrace/releases/ID`,
//!   else `~/.cache/terrace/releases/ID`), where the caller verifies them
//!   against the manifest.
//!
//! The URL never appears in a message: errors name its variable.

pub mod access;
mod conn;
mod lock;
pub mod schema;
mod state;
pub mod tfstate;
mod tls;

pub use conn::DbError;
pub use schema::{Init, InitError};

use super::{AuditAppend, AuditTail, Backend, Document, KeptRelease, RecordIo, StateStore};
use crate::value::Secret;
use conn::{Conn, Target};
use postgres::types::Type;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Why the database cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    #[error("cannot reach the database named by {variable}: {cause}")]
    Connect { variable: String, cause: DbError },
    #[error(
        "the database named by {variable} has no terrace schema yet: run `terrace backend init` to create it"
    )]
    NoSchema { variable: String },
    #[error(
        "the database named by {variable} has terrace schema version {found}, newer than this terrace knows ({known}): use a newer terrace"
    )]
    Newer {
        variable: String,
        found: i32,
        known: i32,
    },
    #[error("cannot use the database named by {variable}: {cause}")]
    Init { variable: String, cause: InitError },
}

/// The project's records in PostgreSQL.
#[derive(Debug, Clone)]
pub struct PostgresBackend {
    db: Arc<Db>,
}

/// What every part of the backend shares: the connection, how to make
/// another (for locks), and which project's records it keeps.
#[derive(Debug)]
struct Db {
    conn: Conn,
    /// The audit trail's own connection, opened on first append: the
    /// appender's closure reads other records through `conn` while the
    /// trail's transaction is open.
    audit_conn: std::sync::OnceLock<Conn>,
    target: Target,
    project: String,
    /// The URL's variable, to name the database in messages.
    variable: String,
}

impl Db {
    /// `what` as shown to users: the database by its variable, then the
    /// record.
    fn location(&self, what: &str) -> String {
        format!("postgres ({}): {}: {what}", self.variable, self.project)
    }

    fn read_err(&self, what: &str) -> impl FnOnce(DbError) -> RecordIo + use<> {
        let path = PathBuf::from(self.location(what));
        move |e| RecordIo::Read { path, cause: e.0 }
    }

    fn write_err(&self, what: &str) -> impl FnOnce(DbError) -> RecordIo + use<> {
        let path = PathBuf::from(self.location(what));
        move |e| RecordIo::Write { path, cause: e.0 }
    }
}

/// Connects to the database `url` (from `variable`).
fn connect(url: &Secret, variable: &str) -> Result<(Conn, Target), OpenError> {
    let failed = |cause| OpenError::Connect {
        variable: variable.to_string(),
        cause,
    };
    let target = Target::parse(url).map_err(failed)?;
    let conn = Conn::open(&target).map_err(failed)?;
    Ok((conn, target))
}

/// Connects to the database `url` (from `variable`) and checks that its
/// schema is the one this terrace knows: none, or an older one, is for
/// `backend init` to create or upgrade; a newer one for a newer terrace.
fn connect_current(url: &Secret, variable: &str) -> Result<(Conn, Target), OpenError> {
    let (conn, target) = connect(url, variable)?;
    let version = schema::version(&conn).map_err(|cause| OpenError::Connect {
        variable: variable.to_string(),
        cause,
    })?;
    match version {
        v if v > schema::VERSION => Err(OpenError::Newer {
            variable: variable.to_string(),
            found: v,
            known: schema::VERSION,
        }),
        v if v < schema::VERSION => Err(OpenError::NoSchema {
            variable: variable.to_string(),
        }),
        _ => Ok((conn, target)),
    }
}

impl PostgresBackend {
    /// The records of project `project` in the database at `url` (read
    /// from `variable`): connects and checks the schema's version.
    pub fn open(url: &Secret, variable: &str, project: &str) -> Result<PostgresBackend, OpenError> {
        let (conn, target) = connect_current(url, variable)?;
        Ok(PostgresBackend {
            db: Arc::new(Db {
                conn,
                audit_conn: std::sync::OnceLock::new(),
                target,
                project: project.to_string(),
                variable: variable.to_string(),
            }),
        })
    }

    /// Creates or upgrades the schema in the database at `url`.
    pub fn init(url: &Secret, variable: &str) -> Result<Init, OpenError> {
        let (conn, _) = connect(url, variable)?;
        schema::init(&conn).map_err(|cause| OpenError::Init {
            variable: variable.to_string(),
            cause,
        })
    }
}

fn io_err(e: DbError) -> std::io::Error {
    std::io::Error::other(e.0)
}

/// The stable key of an advisory lock named `parts`.
fn advisory_key(parts: &[&str]) -> i64 {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    let d = h.finalize();
    let mut b = [0u8; 8];
    b.copy_from_slice(&d[..8]);
    i64::from_be_bytes(b)
}

impl Backend for PostgresBackend {
    fn state(&self, env: &str) -> Box<dyn StateStore> {
        Box::new(state::PgStore::new(self.db.clone(), env))
    }

    fn document_location(&self, env: &str, doc: Document) -> PathBuf {
        PathBuf::from(self.db.location(&format!("{env}/{}", doc.name())))
    }

    fn read_document(&self, env: &str, doc: Document) -> std::io::Result<Option<Vec<u8>>> {
        let (p, e, k) = (self.db.project.clone(), env.to_string(), doc.name());
        self.db
            .conn
            .call(move |c| {
                let row = c.query_typed_opt(
                    "SELECT bytes FROM terrace_documents WHERE project = $1 AND env = $2 AND kind = $3",
                    &[(&p, Type::TEXT), (&e, Type::TEXT), (&k, Type::TEXT)],
                )?;
                Ok(row.map(|r| r.get::<_, Vec<u8>>(0)))
            })
            .map_err(io_err)
    }

    fn replace_document(&self, env: &str, doc: Document, bytes: &[u8]) -> std::io::Result<()> {
        let (p, e, k, b) = (
            self.db.project.clone(),
            env.to_string(),
            doc.name(),
            bytes.to_vec(),
        );
        self.db
            .conn
            .call(move |c| {
                c.execute_typed(
                    "INSERT INTO terrace_documents (project, env, kind, bytes, updated_at) \
                     VALUES ($1, $2, $3, $4, clock_timestamp()) \
                     ON CONFLICT (project, env, kind) DO UPDATE SET bytes = $4, updated_at = clock_timestamp()",
                    &[
                        (&p, Type::TEXT),
                        (&e, Type::TEXT),
                        (&k, Type::TEXT),
                        (&b, Type::BYTEA),
                    ],
                )?;
                Ok(())
            })
            .map_err(io_err)
    }

    fn remove_document(&self, env: &str, doc: Document) -> std::io::Result<()> {
        let (p, e, k) = (self.db.project.clone(), env.to_string(), doc.name());
        self.db
            .conn
            .call(move |c| {
                c.execute(
                    "DELETE FROM terrace_documents WHERE project = $1 AND env = $2 AND kind = $3",
                    &[&p, &e, &k],
                )?;
                Ok(())
            })
            .map_err(io_err)
    }

    fn document_time(&self, env: &str, doc: Document) -> Option<std::time::SystemTime> {
        let (p, e, k) = (self.db.project.clone(), env.to_string(), doc.name());
        self.db
            .conn
            .call(move |c| {
                let row = c.query_opt(
                    "SELECT updated_at FROM terrace_documents WHERE project = $1 AND env = $2 AND kind = $3",
                    &[&p, &e, &k],
                )?;
                Ok(row.map(|r| r.get::<_, std::time::SystemTime>(0)))
            })
            .ok()
            .flatten()
    }

    fn environments(&self) -> Vec<String> {
        let p = self.db.project.clone();
        self.db
            .conn
            .call(move |c| {
                let rows = c.query(
                    "SELECT env FROM terrace_state_versions WHERE project = $1 \
                     UNION SELECT env FROM terrace_documents WHERE project = $1 \
                     UNION SELECT env FROM terrace_journal WHERE project = $1 \
                     UNION SELECT env FROM terrace_locks WHERE project = $1 \
                     ORDER BY 1",
                    &[&p],
                )?;
                Ok(rows.iter().map(|r| r.get::<_, String>(0)).collect())
            })
            .unwrap_or_default()
    }

    fn location(&self) -> PathBuf {
        PathBuf::from(format!(
            "postgres ({}): project {}",
            self.db.variable, self.db.project
        ))
    }

    fn audit_locations(&self) -> (PathBuf, PathBuf) {
        (
            PathBuf::from(self.db.location("audit trail")),
            PathBuf::from(self.db.location("audit head")),
        )
    }

    fn append_audit(
        &self,
        next: &mut dyn FnMut(AuditTail) -> Option<AuditAppend>,
    ) -> Result<bool, RecordIo> {
        let failed = self.db.write_err("audit trail");
        let p = self.db.project.clone();
        let key = advisory_key(&["terrace audit", &p]);
        // One transaction over several calls: the session keeps every
        // other job of this process off the connection meanwhile, and the
        // advisory lock keeps every other process off the trail.
        let conn = match self.db.audit_conn.get() {
            Some(c) => c,
            None => {
                let opened =
                    Conn::open(&self.db.target).map_err(self.db.write_err("audit trail"))?;
                // Another thread may have opened one meanwhile: either serves.
                let _ = self.db.audit_conn.set(opened);
                self.db
                    .audit_conn
                    .get()
                    .ok_or_else(|| failed(DbError("no connection".into())))?
            }
        };
        let failed = self.db.write_err("audit trail");
        let session = conn.session();
        let read = {
            let p = p.clone();
            session.call(move |c| {
                // One round trip for both (the key is a number); typed
                // queries need no separate prepare.
                c.batch_execute(&format!("BEGIN; SELECT pg_advisory_xact_lock({key})"))?;
                let last = c
                    .query_typed_opt(
                        "SELECT seq, line FROM terrace_audit WHERE project = $1 ORDER BY seq DESC LIMIT 1",
                        &[(&p, Type::TEXT)],
                    )?
                    .map(|r| (r.get::<_, i64>(0), r.get::<_, String>(1)));
                let head = c
                    .query_typed_opt(
                        "SELECT head FROM terrace_audit_head WHERE project = $1",
                        &[(&p, Type::TEXT)],
                    )?
                    .map(|r| r.get::<_, Vec<u8>>(0));
                Ok((last, head))
            })
        };
        let rollback = |session: &conn::Session<'_>| {
            let _ = session.call(|c| c.batch_execute("ROLLBACK"));
        };
        let (last, head) = match read {
            Ok(r) => r,
            Err(e) => {
                rollback(&session);
                return Err(failed(e));
            }
        };
        let seq = last.as_ref().map_or(0, |(s, _)| *s) + 1;
        let tail = AuditTail {
            last_line: last.map(|(_, l)| l),
            head,
        };
        let Some(append) = next(tail) else {
            rollback(&session);
            return Ok(false);
        };
        let line = append.line.trim_end_matches('\n').to_string();
        let written = session.call(move |c| {
            c.execute_typed(
                "INSERT INTO terrace_audit (project, seq, line) VALUES ($1, $2, $3)",
                &[(&p, Type::TEXT), (&seq, Type::INT8), (&line, Type::TEXT)],
            )?;
            if let Some(head) = &append.head {
                c.execute_typed(
                    "INSERT INTO terrace_audit_head (project, head) VALUES ($1, $2) \
                     ON CONFLICT (project) DO UPDATE SET head = $2",
                    &[(&p, Type::TEXT), (head, Type::BYTEA)],
                )?;
            }
            c.batch_execute("COMMIT")
        });
        if let Err(e) = written {
            rollback(&session);
            return Err(failed(e));
        }
        Ok(true)
    }

    fn audit(&self) -> Result<(Vec<String>, Option<Vec<u8>>), RecordIo> {
        let p = self.db.project.clone();
        self.db
            .conn
            .call(move |c| {
                let mut tx = c.build_transaction().read_only(true).start()?;
                let lines = tx
                    .query(
                        "SELECT line FROM terrace_audit WHERE project = $1 ORDER BY seq",
                        &[&p],
                    )?
                    .iter()
                    .map(|r| r.get::<_, String>(0))
                    .collect();
                let head = tx
                    .query_opt(
                        "SELECT head FROM terrace_audit_head WHERE project = $1",
                        &[&p],
                    )?
                    .map(|r| r.get::<_, Vec<u8>>(0));
                tx.commit()?;
                Ok((lines, head))
            })
            .map_err(self.db.read_err("audit trail"))
    }

    fn replace_audit(&self, lines: &[String], head: &[u8]) -> Result<(), RecordIo> {
        let p = self.db.project.clone();
        let key = advisory_key(&["terrace audit", &p]);
        let lines: Vec<String> = lines
            .iter()
            .map(|l| l.trim_end_matches('\n').to_string())
            .collect();
        let seqs: Vec<i64> = (1..=lines.len() as i64).collect();
        let head = head.to_vec();
        self.db
            .conn
            .call(move |c| {
                let mut tx = c.transaction()?;
                tx.execute("SELECT pg_advisory_xact_lock($1)", &[&key])?;
                tx.execute("DELETE FROM terrace_audit WHERE project = $1", &[&p])?;
                tx.execute(
                    "INSERT INTO terrace_audit (project, seq, line) \
                     SELECT $1, s, l FROM unnest($2::bigint[], $3::text[]) AS t(s, l)",
                    &[&p, &seqs, &lines],
                )?;
                tx.execute(
                    "INSERT INTO terrace_audit_head (project, head) VALUES ($1, $2) \
                     ON CONFLICT (project) DO UPDATE SET head = $2",
                    &[&p, &head],
                )?;
                tx.commit()
            })
            .map_err(self.db.write_err("audit trail"))
    }

    fn release_location(&self, id: &str) -> PathBuf {
        PathBuf::from(self.db.location(&format!("release {id}")))
    }

    fn release_manifest(&self, id: &str) -> Result<Option<Vec<u8>>, RecordIo> {
        let (p, i) = (self.db.project.clone(), id.to_string());
        self.db
            .conn
            .call(move |c| {
                let row = c.query_typed_opt(
                    "SELECT manifest FROM terrace_releases WHERE project = $1 AND id = $2",
                    &[(&p, Type::TEXT), (&i, Type::TEXT)],
                )?;
                Ok(row.map(|r| r.get::<_, Vec<u8>>(0)))
            })
            .map_err(self.db.read_err(&format!("release {id}")))
    }

    fn release_files(&self, id: &str) -> Result<PathBuf, RecordIo> {
        let (p, i) = (self.db.project.clone(), id.to_string());
        let files = self
            .db
            .conn
            .call(move |c| {
                let rows = c.query(
                    "SELECT path, bytes FROM terrace_release_files WHERE project = $1 AND id = $2 ORDER BY path",
                    &[&p, &i],
                )?;
                Ok(rows
                    .iter()
                    .map(|r| (r.get::<_, String>(0), r.get::<_, Vec<u8>>(1)))
                    .collect::<Vec<_>>())
            })
            .map_err(self.db.read_err(&format!("release {id}")))?;
        unpack(&release_cache().join(id), &files)
    }

    fn keep_release(
        &self,
        id: &str,
        files: &[(String, Vec<u8>)],
        manifest: &[u8],
    ) -> Result<(), RecordIo> {
        let (p, i, m) = (self.db.project.clone(), id.to_string(), manifest.to_vec());
        let (paths, bytes): (Vec<String>, Vec<Vec<u8>>) = files.iter().cloned().unzip();
        self.db
            .conn
            .call(move |c| {
                let mut tx = c.transaction()?;
                let new = tx.execute(
                    "INSERT INTO terrace_releases (project, id, manifest) VALUES ($1, $2, $3) \
                     ON CONFLICT DO NOTHING",
                    &[&p, &i, &m],
                )?;
                // Kept already (by anyone): the same content, left as it is.
                if new == 1 {
                    tx.execute(
                        "INSERT INTO terrace_release_files (project, id, path, bytes) \
                         SELECT $1, $2, f, b FROM unnest($3::text[], $4::bytea[]) AS t(f, b)",
                        &[&p, &i, &paths, &bytes],
                    )?;
                }
                tx.commit()
            })
            .map_err(self.db.write_err(&format!("release {id}")))
    }

    fn releases(&self) -> Result<Vec<String>, RecordIo> {
        let p = self.db.project.clone();
        self.db
            .conn
            .call(move |c| {
                let rows = c.query(
                    "SELECT id FROM terrace_releases WHERE project = $1 ORDER BY id",
                    &[&p],
                )?;
                Ok(rows.iter().map(|r| r.get::<_, String>(0)).collect())
            })
            .map_err(self.db.read_err("releases"))
    }

    /// The manifest and the files in one read-only transaction.
    fn read_release(&self, id: &str) -> Result<Option<KeptRelease>, RecordIo> {
        let (p, i) = (self.db.project.clone(), id.to_string());
        self.db
            .conn
            .call(move |c| {
                let mut tx = c.build_transaction().read_only(true).start()?;
                let Some(row) = tx.query_opt(
                    "SELECT manifest FROM terrace_releases WHERE project = $1 AND id = $2",
                    &[&p, &i],
                )?
                else {
                    return Ok(None);
                };
                let files = tx
                    .query(
                        "SELECT path, bytes FROM terrace_release_files WHERE project = $1 AND id = $2 ORDER BY path",
                        &[&p, &i],
                    )?
                    .iter()
                    .map(|r| (r.get::<_, String>(0), r.get::<_, Vec<u8>>(1)))
                    .collect();
                tx.commit()?;
                Ok(Some(KeptRelease {
                    manifest: row.get(0),
                    files,
                }))
            })
            .map_err(self.db.read_err(&format!("release {id}")))
    }

    /// Every row of the project, in one transaction.
    fn delete_project(&self) -> Result<(), RecordIo> {
        let p = self.db.project.clone();
        self.db
            .conn
            .call(move |c| {
                let mut tx = c.transaction()?;
                // Children before the rows they reference.
                for table in [
                    "terrace_state_current",
                    "terrace_state_versions",
                    "terrace_state_lineage",
                    "terrace_journal",
                    "terrace_documents",
                    "terrace_audit",
                    "terrace_audit_head",
                    "terrace_release_files",
                    "terrace_releases",
                    "terrace_locks",
                ] {
                    tx.execute(&format!("DELETE FROM {table} WHERE project = $1"), &[&p])?;
                }
                tx.commit()
            })
            .map_err(self.db.write_err("every record"))
    }
}

/// Where releases are unpacked to be loaded: the user's cache directory.
fn release_cache() -> PathBuf {
    let home_cache = || std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache"));
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(home_cache)
        .unwrap_or_else(std::env::temp_dir)
        .join("terrace")
        .join("releases")
}

/// Writes `files` into `dir`, replacing what was there: built beside it
/// and renamed into place. A path that would leave `dir` is refused.
fn unpack(dir: &Path, files: &[(String, Vec<u8>)]) -> Result<PathBuf, RecordIo> {
    let fail = |path: &Path, cause: String| RecordIo::Write {
        path: path.to_path_buf(),
        cause,
    };
    let parent = dir.parent().unwrap_or(dir);
    std::fs::create_dir_all(parent).map_err(|e| fail(parent, e.to_string()))?;
    let tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempdir_in(parent)
        .map_err(|e| fail(parent, e.to_string()))?;
    for (rel, bytes) in files {
        let inside = Path::new(rel)
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
        if !inside || rel.is_empty() {
            return Err(fail(
                dir,
                format!("the release names a file outside its directory ({rel:?})"),
            ));
        }
        let to = tmp.path().join(rel);
        if let Some(d) = to.parent() {
            std::fs::create_dir_all(d).map_err(|e| fail(d, e.to_string()))?;
        }
        std::fs::write(&to, bytes).map_err(|e| fail(&to, e.to_string()))?;
    }
    let _ = std::fs::remove_dir_all(dir);
    let kept = tmp.keep();
    if let Err(e) = std::fs::rename(&kept, dir) {
        let _ = std::fs::remove_dir_all(&kept);
        // Another process unpacked the same release meanwhile: the
        // caller verifies whatever is there.
        if !dir.is_dir() {
            return Err(fail(dir, e.to_string()));
        }
    }
    Ok(dir.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advisory_keys_differ_by_every_part() {
        let a = advisory_key(&["lock", "p", "dev"]);
        assert_eq!(a, advisory_key(&["lock", "p", "dev"]));
        assert_ne!(a, advisory_key(&["lock", "p", "prod"]));
        assert_ne!(a, advisory_key(&["lock", "pd", "ev"]));
    }

    #[test]
    fn an_unpacked_release_never_writes_outside_its_directory() {
        let dir = tempfile::tempdir().unwrap();
        let to = dir.path().join("rel");
        let bad = [("../escape.hcl".to_string(), b"x".to_vec())];
        assert!(unpack(&to, &bad).is_err());
        assert!(!dir.path().join("escape.hcl").exists());
        let good = [("arch/main.hcl".to_string(), b"y".to_vec())];
        let out = unpack(&to, &good).unwrap();
        assert_eq!(std::fs::read(out.join("arch/main.hcl")).unwrap(), b"y");
    }
}
