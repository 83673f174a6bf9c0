//! One environment's state in the database: versions, the current
//! pointer, lineage and the journal (see [`super::schema`]).

use super::Db;
use super::conn::DbError;
use crate::state::format::{self, FormatError};
use crate::state::{ConfigState, EnvState, Journal, JournalError, JournalLog, LockInfo, Record};
use crate::store::{BackupInfo, Lock, Recovery, StateError, StateStore, replay};
use postgres::types::Type;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Environment `env`'s state records.
#[derive(Debug)]
pub struct PgStore {
    db: Arc<Db>,
    env: String,
}

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{:x}", Sha256::digest(bytes))
}

/// A configuration's current version as stored.
struct Current {
    config: String,
    serial: i64,
    bytes: Vec<u8>,
    checksum: String,
    lineage: Option<String>,
}

impl PgStore {
    pub fn new(db: Arc<Db>, env: &str) -> PgStore {
        PgStore {
            db,
            env: env.to_string(),
        }
    }

    fn keys(&self) -> (String, String) {
        (self.db.project.clone(), self.env.clone())
    }

    fn err(&self, what: &str) -> impl Fn(DbError) -> StateError + use<> {
        let place = self.db.location(&format!("{}/{what}", self.env));
        move |e| StateError::Database {
            place: place.clone(),
            cause: e.0,
        }
    }

    fn call<T: Send + 'static>(
        &self,
        what: &str,
        f: impl FnOnce(&mut postgres::Client) -> Result<T, postgres::Error> + Send + 'static,
    ) -> Result<T, StateError> {
        self.db.conn.call(f).map_err(self.err(what))
    }

    fn version_location(&self, config: &str, serial: i64) -> String {
        self.db
            .location(&format!("{}/{config} version {serial}", self.env))
    }

    /// Every configuration's current version, unverified.
    fn currents(&self) -> Result<Vec<Current>, StateError> {
        let (p, e) = self.keys();
        self.call("state", move |c| {
            let rows = c.query_typed(
                "SELECT c.config, c.serial, v.bytes, v.checksum, l.lineage \
                 FROM terrace_state_current c \
                 JOIN terrace_state_versions v USING (project, env, config, serial) \
                 LEFT JOIN terrace_state_lineage l USING (project, env, config) \
                 WHERE c.project = $1 AND c.env = $2 ORDER BY c.config",
                &[(&p, Type::TEXT), (&e, Type::TEXT)],
            )?;
            Ok(rows
                .iter()
                .map(|r| Current {
                    config: r.get(0),
                    serial: r.get(1),
                    bytes: r.get(2),
                    checksum: r.get(3),
                    lineage: r.get(4),
                })
                .collect())
        })
    }

    /// A current version, verified: the row's checksum, then the state
    /// file's own checks.
    fn verify(&self, cur: &Current) -> Result<ConfigState, StateError> {
        let checked = if sha256(&cur.bytes) == cur.checksum {
            crate::store::verified(&cur.bytes, &self.env, &cur.config, || cur.lineage.clone())
        } else {
            Err(FormatError::Checksum {
                expected: cur.checksum.clone(),
                actual: sha256(&cur.bytes),
            })
        };
        checked.map_err(|cause| StateError::Damaged {
            path: PathBuf::from(self.version_location(&cur.config, cur.serial)),
            cause,
            backups: self
                .versions()
                .unwrap_or_default()
                .into_iter()
                .filter(|b| b.config == cur.config)
                .collect(),
        })
    }

    /// The highest serial of any kept version of the environment.
    fn top_serial(&self) -> Result<u64, StateError> {
        let (p, e) = self.keys();
        let top: i64 = self.call("state", move |c| {
            Ok(c.query_typed_one(
                "SELECT coalesce(max(serial), 0) FROM terrace_state_versions WHERE project = $1 AND env = $2",
                &[(&p, Type::TEXT), (&e, Type::TEXT)],
            )?
            .get(0))
        })?;
        Ok(top.max(0) as u64)
    }

    fn journal_place(&self) -> String {
        self.db.location(&format!("{}/journal", self.env))
    }
}

/// The journal's records in `terrace_journal`, a batch per `INSERT`.
struct PgJournal {
    db: Arc<Db>,
    env: String,
    next: i64,
    /// The id of the lock's holder: a batch is written only while that
    /// lock is held.
    holder: String,
}

impl JournalLog for PgJournal {
    fn append_durably(&mut self, records: &[Vec<u8>]) -> Result<(), String> {
        let n = records.len() as i64;
        let seqs: Vec<i64> = (self.next..self.next + n).collect();
        let lines: Vec<Vec<u8>> = records
            .iter()
            .map(|r| r.strip_suffix(b"\n").unwrap_or(r).to_vec())
            .collect();
        let (p, e) = (self.db.project.clone(), self.env.clone());
        let (holder, key) = (self.holder.clone(), super::lock::key(&p, &e));
        let sql = format!(
            "INSERT INTO terrace_journal (project, env, seq, record) \
             SELECT $1, $2, s, r FROM unnest($3::bigint[], $4::bytea[]) AS t(s, r) WHERE {}",
            super::lock::still_held(1, 2, 5, 6)
        );
        let written = self
            .db
            .conn
            .call(move |c| {
                c.execute_typed(
                    &sql,
                    &[
                        (&p, Type::TEXT),
                        (&e, Type::TEXT),
                        (&seqs, Type::INT8_ARRAY),
                        (&lines, Type::BYTEA_ARRAY),
                        (&holder, Type::TEXT),
                        (&key, Type::INT8),
                    ],
                )
            })
            .map_err(|e| e.0)?;
        if written != n as u64 {
            return Err(super::lock::LOST.to_string());
        }
        self.next += n;
        Ok(())
    }
}

impl StateStore for PgStore {
    fn env(&self) -> &str {
        &self.env
    }

    fn location(&self) -> String {
        self.db.location(&self.env)
    }

    fn current_location(&self, config: &str) -> String {
        self.db.location(&format!("{}/{config}", self.env))
    }

    fn lock(&self, command: &str, timeout: Duration) -> Result<Lock, StateError> {
        super::lock::acquire(&self.db, &self.env, command, timeout)
    }

    fn stale_lock(&self) -> Option<LockInfo> {
        super::lock::stale(&self.db, &self.env)
    }

    fn unlock_stale(&self) -> Result<Option<LockInfo>, StateError> {
        super::lock::break_stale(&self.db, &self.env)
    }

    fn configurations(&self) -> Result<Vec<String>, StateError> {
        let (p, e) = self.keys();
        self.call("state", move |c| {
            let rows = c.query_typed(
                "SELECT config FROM terrace_state_current WHERE project = $1 AND env = $2 ORDER BY config",
                &[(&p, Type::TEXT), (&e, Type::TEXT)],
            )?;
            Ok(rows.iter().map(|r| r.get(0)).collect())
        })
    }

    /// Reads only the current versions: a long history costs nothing.
    fn load(&self) -> Result<EnvState, StateError> {
        let mut env = EnvState::new(&self.env);
        for cur in self.currents()? {
            let state = self.verify(&cur)?;
            env.configs.insert(cur.config, state);
        }
        Ok(env)
    }

    fn history_lineage(&self, config: &str) -> Option<String> {
        let (p, e, k) = (
            self.db.project.clone(),
            self.env.clone(),
            config.to_string(),
        );
        self.call("lineage", move |c| {
            Ok(c.query_typed_opt(
                "SELECT lineage FROM terrace_state_lineage WHERE project = $1 AND env = $2 AND config = $3",
                &[(&p, Type::TEXT), (&e, Type::TEXT), (&k, Type::TEXT)],
            )?
            .map(|r| r.get::<_, String>(0)))
        })
        .ok()
        .flatten()
    }

    fn record_lineage(&self, config: &str, lineage: &str) -> Result<(), StateError> {
        let (p, e, k, l) = (
            self.db.project.clone(),
            self.env.clone(),
            config.to_string(),
            lineage.to_string(),
        );
        self.call("lineage", move |c| {
            c.execute(
                "INSERT INTO terrace_state_lineage (project, env, config, lineage) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (project, env, config) DO UPDATE SET lineage = $4",
                &[&p, &e, &k, &l],
            )?;
            Ok(())
        })
    }

    fn missing_state(&self) -> Result<Vec<String>, StateError> {
        let (p, e) = self.keys();
        self.call("state", move |c| {
            let rows = c.query_typed(
                "SELECT DISTINCT v.config FROM terrace_state_versions v \
                 LEFT JOIN terrace_state_current c USING (project, env, config) \
                 WHERE v.project = $1 AND v.env = $2 AND c.serial IS NULL ORDER BY 1",
                &[(&p, Type::TEXT), (&e, Type::TEXT)],
            )?;
            Ok(rows.iter().map(|r| r.get(0)).collect())
        })
    }

    /// One transaction: every changed configuration's new version under
    /// one serial above every serial kept, and the current pointers.
    fn commit(
        &self,
        lock: &Lock,
        state: &mut EnvState,
        changed: &BTreeSet<String>,
    ) -> Result<u64, StateError> {
        lock.check(&self.env)?;
        if changed.is_empty() {
            return Ok(state.serial());
        }
        let (p, e) = self.keys();
        let known: BTreeMap<String, (bool, Option<String>)> = self.call("state", move |c| {
            let rows = c.query_typed(
                "SELECT l.config, c.serial IS NOT NULL, l.lineage FROM terrace_state_lineage l \
                 LEFT JOIN terrace_state_current c USING (project, env, config) \
                 WHERE l.project = $1 AND l.env = $2",
                &[(&p, Type::TEXT), (&e, Type::TEXT)],
            )?;
            Ok(rows
                .iter()
                .map(|r| (r.get(0), (r.get(1), r.get(2))))
                .collect())
        })?;
        let serial = state.serial().max(self.top_serial()?) + 1;
        let mut rows = Vec::new();
        for name in changed {
            // A configuration written for the first time since its current
            // version went continues the history it had.
            let (has_current, recorded) = known.get(name).cloned().unwrap_or((false, None));
            let adopted = (state.configs.get(name).is_none_or(|c| c.serial == 0) && !has_current)
                .then_some(recorded.clone())
                .flatten();
            let config = state.config_mut(name);
            if let Some(lineage) = adopted {
                config.lineage = lineage;
            }
            config.serial = serial;
            config.terrace_version = env!("CARGO_PKG_VERSION").to_string();
            let mut bytes = std::io::Cursor::new(Vec::new());
            format::write(&mut bytes, config).map_err(|e| StateError::Database {
                place: self.current_location(name),
                cause: e.to_string(),
            })?;
            let bytes = bytes.into_inner();
            tracing::debug!(env = %self.env, config = %name, serial, objects = config.instance_count(), "committing state");
            rows.push((name.clone(), config.lineage.clone(), sha256(&bytes), bytes));
        }
        let (p, e) = self.keys();
        let serial_i = serial as i64;
        let (holder, key) = (lock.info().id.clone(), super::lock::key(&p, &e));
        // The lock's row is share-locked: it cannot be broken until this
        // transaction ends, and a lost lock commits nothing.
        let held = format!(
            "SELECT 1 FROM terrace_locks WHERE project = $1 AND env = $2 AND {} FOR SHARE",
            super::lock::still_held(1, 2, 3, 4)
        );
        let committed = self.call("state", move |c| {
            let mut tx = c.transaction()?;
            if tx
                .query_typed(
                    &held,
                    &[(&p, Type::TEXT), (&e, Type::TEXT), (&holder, Type::TEXT), (&key, Type::INT8)],
                )?
                .is_empty()
            {
                return Ok(false);
            }
            for (config, lineage, checksum, bytes) in &rows {
                tx.execute_typed(
                    "INSERT INTO terrace_state_versions (project, env, config, serial, lineage, bytes, checksum) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    &[
                        (&p, Type::TEXT),
                        (&e, Type::TEXT),
                        (config, Type::TEXT),
                        (&serial_i, Type::INT8),
                        (lineage, Type::TEXT),
                        (bytes, Type::BYTEA),
                        (checksum, Type::TEXT),
                    ],
                )?;
                tx.execute_typed(
                    "INSERT INTO terrace_state_current (project, env, config, serial) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (project, env, config) DO UPDATE SET serial = $4",
                    &[
                        (&p, Type::TEXT),
                        (&e, Type::TEXT),
                        (config, Type::TEXT),
                        (&serial_i, Type::INT8),
                    ],
                )?;
                tx.execute_typed(
                    "INSERT INTO terrace_state_lineage (project, env, config, lineage) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (project, env, config) DO UPDATE SET lineage = $4",
                    &[
                        (&p, Type::TEXT),
                        (&e, Type::TEXT),
                        (config, Type::TEXT),
                        (lineage, Type::TEXT),
                    ],
                )?;
            }
            tx.commit()?;
            Ok(true)
        })?;
        if !committed {
            return Err(StateError::Database {
                place: self.db.location(&format!("{}/lock", self.env)),
                cause: super::lock::LOST.to_string(),
            });
        }
        Ok(serial)
    }

    /// Every kept version that is not current, newest first.
    fn versions(&self) -> Result<Vec<BackupInfo>, StateError> {
        let (p, e) = self.keys();
        let rows: Vec<(String, i64, std::time::SystemTime)> = self.call("state", move |c| {
            let rows = c.query(
                "SELECT v.config, v.serial, v.created_at FROM terrace_state_versions v \
                 LEFT JOIN terrace_state_current c USING (project, env, config) \
                 WHERE v.project = $1 AND v.env = $2 AND (c.serial IS NULL OR c.serial <> v.serial) \
                 ORDER BY v.serial DESC, v.config",
                &[&p, &e],
            )?;
            Ok(rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect())
        })?;
        Ok(rows
            .into_iter()
            .map(|(config, serial, time)| BackupInfo {
                path: PathBuf::from(self.version_location(&config, serial)),
                config,
                serial: serial.max(0) as u64,
                modified: Some(time),
            })
            .collect())
    }

    /// Restores as a new version; every version to restore is verified
    /// before anything moves. A damaged current version stays kept.
    fn restore(
        &self,
        lock: &Lock,
        serial: u64,
        only: Option<&str>,
    ) -> Result<BTreeMap<String, u64>, StateError> {
        lock.check(&self.env)?;
        let backups = self.versions()?;
        crate::store::check_restorable(&backups, &self.env, serial, only)?;
        let mut current = EnvState::new(&self.env);
        let mut configs: BTreeSet<String> = backups.iter().map(|b| b.config.clone()).collect();
        let mut lineages = BTreeMap::new();
        for cur in self.currents()? {
            configs.insert(cur.config.clone());
            lineages.insert(cur.config.clone(), cur.lineage.clone());
            if let Ok(state) = self.verify(&cur) {
                current.configs.insert(cur.config.clone(), state);
            }
        }
        let (p, e) = self.keys();
        let at = serial as i64;
        let chosen_rows: BTreeMap<String, (i64, Vec<u8>)> = self.call("state", move |c| {
            let rows = c.query(
                "SELECT DISTINCT ON (config) config, serial, bytes FROM terrace_state_versions \
                 WHERE project = $1 AND env = $2 AND serial <= $3 ORDER BY config, serial DESC",
                &[&p, &e, &at],
            )?;
            Ok(rows
                .iter()
                .map(|r| (r.get(0), (r.get(1), r.get(2))))
                .collect())
        })?;
        let mut restored = BTreeMap::new();
        let mut chosen = Vec::new();
        for name in configs.into_iter().filter(|c| only.is_none_or(|o| o == c)) {
            let lineage = current
                .configs
                .get(&name)
                .map(|c| c.lineage.clone())
                .or_else(|| lineages.get(&name).cloned().flatten());
            let old = match chosen_rows.get(&name) {
                Some((s, bytes)) => {
                    let s = (*s).max(0) as u64;
                    restored.insert(name.clone(), s);
                    if current.configs.get(&name).is_some_and(|c| c.serial == s) {
                        continue;
                    }
                    crate::store::verified(bytes, &self.env, &name, || lineage.clone()).map_err(
                        |cause| StateError::BadBackup {
                            path: PathBuf::from(self.version_location(&name, s as i64)),
                            cause,
                        },
                    )?
                }
                None => {
                    restored.insert(name.clone(), 0);
                    ConfigState::new(&self.env, &name)
                }
            };
            chosen.push((name, lineage, old));
        }
        let mut changed = BTreeSet::new();
        for (name, lineage, old) in chosen {
            let entry = current.config_mut(&name);
            *entry = ConfigState {
                lineage: lineage.unwrap_or(old.lineage.clone()),
                ..old
            };
            changed.insert(name);
        }
        self.commit(lock, &mut current, &changed)?;
        Ok(restored)
    }

    fn pending_journal(&self) -> Result<Option<Vec<Record>>, StateError> {
        let (p, e) = self.keys();
        let rows: Vec<(i64, Vec<u8>)> = self.call("journal", move |c| {
            let rows = c.query_typed(
                "SELECT seq, record FROM terrace_journal WHERE project = $1 AND env = $2 ORDER BY seq",
                &[(&p, Type::TEXT), (&e, Type::TEXT)],
            )?;
            Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
        })?;
        if rows.is_empty() {
            return Ok(None);
        }
        let mut records = Vec::with_capacity(rows.len());
        for (seq, bytes) in rows {
            let record = serde_json::from_slice::<Record>(&bytes).map_err(|e| JournalError {
                path: PathBuf::from(self.journal_place()),
                message: format!("record {seq} is damaged: {e}"),
            })?;
            records.push(record);
        }
        Ok(Some(records))
    }

    fn recover(&self, lock: &Lock) -> Result<Recovery, StateError> {
        lock.check(&self.env)?;
        let Some(records) = self.pending_journal()? else {
            return Ok(Recovery::default());
        };
        if !matches!(records.first(), None | Some(Record::Begin { .. })) {
            return Err(StateError::Journal(JournalError {
                path: PathBuf::from(self.journal_place()),
                message: format!(
                    "it has no `begin` record, so nothing says which state its {} record(s) continue; terrace will not replay or drop them",
                    records.len()
                ),
            }));
        }
        let mut state = self.load()?;
        let (changed, recovery) = replay(&mut state, &records);
        self.commit(lock, &mut state, &changed)?;
        self.clear_journal()?;
        Ok(recovery)
    }

    fn begin_journal(&self, lock: &Lock, state: &EnvState) -> Result<Journal, StateError> {
        lock.check(&self.env)?;
        let begin = crate::store::journal_begin(state);
        let mut line = serde_json::to_vec(&begin).map_err(|e| JournalError {
            path: PathBuf::from(self.journal_place()),
            message: e.to_string(),
        })?;
        let (p, e) = self.keys();
        let place = self.journal_place();
        let exists = self.call("journal", {
            let line = std::mem::take(&mut line);
            move |c| {
                let mut tx = c.transaction()?;
                let exists = tx
                    .query_typed_opt(
                        "SELECT 1 FROM terrace_journal WHERE project = $1 AND env = $2 LIMIT 1",
                        &[(&p, Type::TEXT), (&e, Type::TEXT)],
                    )?
                    .is_some();
                if !exists {
                    tx.execute_typed(
                        "INSERT INTO terrace_journal (project, env, seq, record) VALUES ($1, $2, 0, $3)",
                        &[(&p, Type::TEXT), (&e, Type::TEXT), (&line, Type::BYTEA)],
                    )?;
                }
                tx.commit()?;
                Ok(exists)
            }
        })?;
        if exists {
            return Err(StateError::Journal(JournalError {
                path: PathBuf::from(place),
                message: "the journal of an apply that did not finish is there: it is replayed before another apply begins".into(),
            }));
        }
        let log = PgJournal {
            db: self.db.clone(),
            env: self.env.clone(),
            next: 1,
            holder: lock.info().id.clone(),
        };
        Ok(Journal::start(Path::new(&place), Box::new(log))?)
    }

    fn end_journal(&self, journal: Journal) -> Result<(), StateError> {
        journal.close()?;
        self.clear_journal()
    }

    /// The current version (`serial` `None`) or the kept one with that
    /// serial, other than the current one, as the local store has it.
    fn read_version(
        &self,
        config: &str,
        serial: Option<u64>,
    ) -> Result<Option<Vec<u8>>, StateError> {
        let (p, e, k) = (
            self.db.project.clone(),
            self.env.clone(),
            config.to_string(),
        );
        self.call("state", move |c| {
            let row = match serial {
                None => c.query_opt(
                    "SELECT v.bytes FROM terrace_state_current c \
                     JOIN terrace_state_versions v USING (project, env, config, serial) \
                     WHERE c.project = $1 AND c.env = $2 AND c.config = $3",
                    &[&p, &e, &k],
                )?,
                Some(s) => c.query_opt(
                    "SELECT v.bytes FROM terrace_state_versions v \
                     LEFT JOIN terrace_state_current c USING (project, env, config) \
                     WHERE v.project = $1 AND v.env = $2 AND v.config = $3 AND v.serial = $4 \
                     AND (c.serial IS NULL OR c.serial <> v.serial)",
                    &[&p, &e, &k, &(s as i64)],
                )?,
            };
            Ok(row.map(|r| r.get::<_, Vec<u8>>(0)))
        })
    }

    /// Inserts the version row with the bytes as they are and, for the
    /// current one, points the configuration at it: one transaction.
    fn write_version(
        &self,
        lock: &Lock,
        config: &str,
        bytes: &[u8],
        current: bool,
        written: Option<std::time::SystemTime>,
    ) -> Result<u64, StateError> {
        lock.check(&self.env)?;
        let state = crate::store::sound_version(
            bytes,
            &self.env,
            config,
            PathBuf::from(self.current_location(config)),
        )?;
        let serial = state.serial;
        let location = if current {
            self.current_location(config)
        } else {
            self.version_location(config, serial as i64)
        };
        let (p, e, k) = (
            self.db.project.clone(),
            self.env.clone(),
            config.to_string(),
        );
        let (lineage, checksum, bytes) = (state.lineage, sha256(bytes), bytes.to_vec());
        let written = self.call("state", move |c| {
            let mut tx = c.transaction()?;
            let taken = if current {
                tx.query_opt(
                    "SELECT 1 FROM terrace_state_current WHERE project = $1 AND env = $2 AND config = $3",
                    &[&p, &e, &k],
                )?
                .is_some()
            } else {
                false
            };
            let new = !taken
                && tx.execute(
                    "INSERT INTO terrace_state_versions (project, env, config, serial, lineage, bytes, checksum, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, COALESCE($8, now())) ON CONFLICT DO NOTHING",
                    &[&p, &e, &k, &(serial as i64), &lineage, &bytes, &checksum, &written],
                )? == 1;
            if new && current {
                tx.execute(
                    "INSERT INTO terrace_state_current (project, env, config, serial) VALUES ($1, $2, $3, $4)",
                    &[&p, &e, &k, &(serial as i64)],
                )?;
            }
            tx.commit()?;
            Ok(new)
        })?;
        if !written {
            return Err(StateError::Exists { location });
        }
        Ok(serial)
    }
}

impl PgStore {
    fn clear_journal(&self) -> Result<(), StateError> {
        let (p, e) = self.keys();
        self.call("journal", move |c| {
            c.execute_typed(
                "DELETE FROM terrace_journal WHERE project = $1 AND env = $2",
                &[(&p, Type::TEXT), (&e, Type::TEXT)],
            )?;
            Ok(())
        })
    }
}
