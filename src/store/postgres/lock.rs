//! Environment locks across machines: a row in `terrace_locks` naming the
//! holder, and a session-level advisory lock held by a connection that
//! the [`Lock`] guard owns (not the shared one).
//!
//! The server frees a session's advisory locks when the session ends, as
//! it does when its process dies (kill -9, a runner that vanishes). So a
//! row whose advisory lock someone else can take belonged to a holder
//! that is gone: it is *stale*, reported and never silently taken;
//! `unlock_stale` breaks it from any machine. Dropping the guard deletes
//! the row, then frees the advisory lock, then closes its connection, so
//! that a live lock never looks stale.

use super::conn::{Conn, DbError};
use super::{Db, advisory_key};
use crate::state::{LockError, LockInfo};
use crate::store::{Lock, StateError};
use postgres::types::Type;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often a waiting `lock` tries again.
const POLL: Duration = Duration::from_millis(100);

/// What the guard holds: the connection whose session owns the advisory
/// lock.
struct Held {
    conn: Option<Conn>,
    project: String,
    env: String,
    id: String,
    key: i64,
}

impl Drop for Held {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else {
            return;
        };
        let (p, e, id, key) = (
            self.project.clone(),
            self.env.clone(),
            self.id.clone(),
            self.key,
        );
        let released = conn.call(move |c| {
            c.execute_typed(
                "DELETE FROM terrace_locks WHERE project = $1 AND env = $2 AND holder->>'id' = $3",
                &[(&p, Type::TEXT), (&e, Type::TEXT), (&id, Type::TEXT)],
            )?;
            c.execute_typed("SELECT pg_advisory_unlock($1)", &[(&key, Type::INT8)])?;
            Ok(())
        });
        if let Err(e) = released {
            // The session ends with the connection anyway: the row left
            // behind reads as stale, for `terrace state unlock`.
            tracing::warn!(env = %self.env, "could not release the lock's row: {e}");
        }
    }
}

/// The advisory lock's key of environment `env`'s lock.
pub(super) fn key(project: &str, env: &str) -> i64 {
    advisory_key(&["terrace lock", project, env])
}

/// How a lock's holder is known to be gone: its session's advisory lock
/// is free. Its process may still run (a restarted server, a dropped
/// connection); it writes nothing more ([`LOST`]).
const SESSION_GONE: &str = "its session with the database has ended (its process stopped, or lost \
     its connection and writes nothing more)";

/// Why a write under a lock whose session has ended is refused.
pub(super) const LOST: &str = "the environment's lock was lost: its session in the database ended \
     (the server restarted, the connection dropped or was terminated), so another machine may \
     take the lock; nothing more is written under it";

/// A SQL condition, true while the lock of project `$P`, environment
/// `$E`, held by the holder whose id is `$I` is still held: its row is
/// there and its advisory lock `$K` is granted to a session. The four
/// are the parameter numbers (`$1`…) of the statement it goes into.
/// When the holder's session ends the advisory lock goes with it, so
/// a write guarded by this stops before a stale lock can be broken and
/// taken by another machine.
pub(super) fn still_held(p: u8, e: u8, i: u8, k: u8) -> String {
    format!(
        "EXISTS (SELECT 1 FROM terrace_locks WHERE project = ${p} AND env = ${e} AND holder->>'id' = ${i}) \
         AND EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 \
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
         AND classid = ((${k}::bigint >> 32) & 4294967295)::oid AND objid = (${k}::bigint & 4294967295)::oid)"
    )
}

/// One attempt to take the lock.
enum Attempt {
    Taken,
    /// Someone holds the advisory lock; their row, if written yet.
    Held(Option<serde_json::Value>),
    /// A row whose advisory lock was free.
    Stale(serde_json::Value),
}

fn holder(value: serde_json::Value) -> LockInfo {
    serde_json::from_value(value).unwrap_or_else(|_| LockInfo {
        id: String::new(),
        pid: 0,
        host: "unknown".into(),
        user: "unknown".into(),
        command: "a lock row whose holder cannot be read".into(),
        created_at: "unknown".into(),
    })
}

/// A holder that has taken the advisory lock and not yet written its row.
fn arriving() -> LockInfo {
    LockInfo {
        id: String::new(),
        pid: 0,
        host: "unknown".into(),
        user: "unknown".into(),
        command: "another terrace that is taking the lock right now".into(),
        created_at: "unknown".into(),
    }
}

fn db_err(db: &Db, env: &str) -> impl Fn(DbError) -> StateError + use<> {
    let place = db.location(&format!("{env}/lock"));
    move |e| StateError::Database {
        place: place.clone(),
        cause: e.0,
    }
}

/// Takes environment `env`'s lock for `command`, waiting up to `timeout`
/// while a live holder has it.
pub fn acquire(
    db: &Arc<Db>,
    env: &str,
    command: &str,
    timeout: Duration,
) -> Result<Lock, StateError> {
    let failed = db_err(db, env);
    let conn = Conn::open(&db.target).map_err(&failed)?;
    let key = key(&db.project, env);
    let deadline = Instant::now() + timeout;
    loop {
        let info = LockInfo::for_this_process(command);
        let row = serde_json::to_value(&info).map_err(|e| StateError::Database {
            place: db.location(&format!("{env}/lock")),
            cause: e.to_string(),
        })?;
        let (p, e) = (db.project.clone(), env.to_string());
        let attempt = conn
            .call(move |c| {
                // Typed queries: one round trip each (no separate prepare).
                let got: bool = c
                    .query_typed_one("SELECT pg_try_advisory_lock($1)", &[(&key, Type::INT8)])?
                    .get(0);
                let existing = c
                    .query_typed_opt(
                        "SELECT holder FROM terrace_locks WHERE project = $1 AND env = $2",
                        &[(&p, Type::TEXT), (&e, Type::TEXT)],
                    )?
                    .map(|r| r.get::<_, serde_json::Value>(0));
                if !got {
                    return Ok(Attempt::Held(existing));
                }
                if let Some(old) = existing {
                    c.execute_typed("SELECT pg_advisory_unlock($1)", &[(&key, Type::INT8)])?;
                    return Ok(Attempt::Stale(old));
                }
                c.execute_typed(
                    "INSERT INTO terrace_locks (project, env, holder) VALUES ($1, $2, $3)",
                    &[(&p, Type::TEXT), (&e, Type::TEXT), (&row, Type::JSONB)],
                )?;
                Ok(Attempt::Taken)
            })
            .map_err(&failed)?;
        match attempt {
            Attempt::Taken => {
                tracing::debug!(env, command, "took the lock");
                let held = Held {
                    conn: Some(conn),
                    project: db.project.clone(),
                    env: env.to_string(),
                    id: info.id.clone(),
                    key,
                };
                return Ok(Lock::new(env, info, Box::new(held)));
            }
            Attempt::Stale(old) => {
                return Err(LockError::Stale {
                    info: Box::new(holder(old)),
                    gone: SESSION_GONE,
                }
                .into());
            }
            Attempt::Held(row) => {
                let now = Instant::now();
                if now >= deadline {
                    let info = row.map_or_else(arriving, holder);
                    return Err(LockError::Held(Box::new(info)).into());
                }
                std::thread::sleep(POLL.min(deadline - now));
            }
        }
    }
}

/// Whether a lock row is stale: tried from the shared session, whose
/// advisory lock is released at once.
enum Found {
    None,
    Live(LockInfo),
    Stale(LockInfo),
}

fn inspect(db: &Db, env: &str, breaking: bool) -> Result<Found, StateError> {
    let key = key(&db.project, env);
    let (p, e) = (db.project.clone(), env.to_string());
    let found = db
        .conn
        .call(move |c| {
            let Some(row) = c.query_opt(
                "SELECT holder FROM terrace_locks WHERE project = $1 AND env = $2",
                &[&p, &e],
            )?
            else {
                return Ok(Found::None);
            };
            let info = holder(row.get(0));
            let free: bool = c
                .query_one("SELECT pg_try_advisory_lock($1)", &[&key])?
                .get(0);
            if !free {
                return Ok(Found::Live(info));
            }
            if breaking {
                c.execute(
                    "DELETE FROM terrace_locks WHERE project = $1 AND env = $2",
                    &[&p, &e],
                )?;
            }
            c.execute("SELECT pg_advisory_unlock($1)", &[&key])?;
            Ok(Found::Stale(info))
        })
        .map_err(db_err(db, env))?;
    Ok(found)
}

/// Who held a lock whose holder is gone; changes nothing.
pub fn stale(db: &Db, env: &str) -> Option<LockInfo> {
    match inspect(db, env, false) {
        Ok(Found::Stale(info)) => Some(info),
        _ => None,
    }
}

/// Breaks a stale lock; a live one is refused.
pub fn break_stale(db: &Db, env: &str) -> Result<Option<LockInfo>, StateError> {
    match inspect(db, env, true)? {
        Found::None => Ok(None),
        Found::Live(info) => Err(LockError::Held(Box::new(info)).into()),
        Found::Stale(info) => Ok(Some(info)),
    }
}
