//! `backend migrate`: copy every record of the project, all versions,
//! from the backend it uses now to another one, and prove the copy whole.
//!
//! The source is the backend chosen for the project (its `backend` block
//! or `TERRACE_BACKEND`); the destination is the local files or
//! PostgreSQL, whose URL comes from a variable (never from the command
//! line: it may hold a password). Every environment of the source is
//! locked for the copy, the destination must hold no records of the
//! project, and the copy is read back and compared record by record
//! (count and sha256 per kind). The source is left as it was: switching
//! the project to the destination is the user's step.

use super::{Error, Front, Result};
use crate::config::{BackendKind, DATABASE_URL_VARIABLE};
use crate::store::dump::{self, DumpError};
use crate::store::{Backend, BackendChoice};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// A migration of the project in `root`.
#[derive(Debug, Clone)]
pub struct MigrateRequest {
    pub root: PathBuf,
    /// `--to` as given: `local`, `postgres` or a variable's name
    /// ([`destination`]).
    pub to: String,
    /// How long to wait for each environment's lock in the source.
    pub lock_timeout: Duration,
}

/// What was copied: per kind of record, how many and the sha256 over
/// them, equal on both sides.
#[derive(Debug)]
pub struct MigrateReport {
    /// The backends, as `local` or `postgres`.
    pub from: &'static str,
    pub to: &'static str,
    pub counts: Vec<(&'static str, usize, String)>,
    /// An interrupted migrate's partial copy was found in the destination
    /// and removed before this copy.
    pub cleared_unfinished: bool,
}

/// What [`copy_verified`] did.
#[derive(Debug)]
struct Copied {
    counts: Vec<(&'static str, usize, String)>,
    cleared: bool,
}

const COMMAND: &str = "terrace backend migrate";

/// The backend `--to` names: `local`, `postgres` (the URL in the
/// variable the project's backend block names, else
/// `TERRACE_DATABASE_URL`), or the name of a variable holding the URL.
/// A URL itself is refused without being repeated: it may hold a password.
pub fn destination(to: &str, declared: Option<&crate::config::Backend>) -> Result<BackendKind> {
    let to = to.trim();
    if to.contains("://") || to.contains('@') {
        return Err(Error::Refused(format!(
            "--to takes `local`, `postgres` or the name of an environment variable holding the database URL, not a URL: \
             a URL on the command line would put its password in the shell history and the process list. \
             Put the URL in {DATABASE_URL_VARIABLE} and run `terrace backend migrate --to postgres` \
             (or `--to NAME` for another variable)"
        )));
    }
    match to {
        "local" => Ok(BackendKind::Local),
        "postgres" => Ok(BackendKind::Postgres {
            url_variable: match declared.map(|b| &b.kind) {
                Some(BackendKind::Postgres { url_variable }) => url_variable.clone(),
                _ => DATABASE_URL_VARIABLE.to_string(),
            },
        }),
        name if is_variable(name) => Ok(BackendKind::Postgres {
            url_variable: name.to_string(),
        }),
        _ => Err(Error::Refused(
            "--to takes `local`, `postgres`, or the name of an environment variable holding the database URL (letters, digits and _)"
                .into(),
        )),
    }
}

fn is_variable(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn kind_name(kind: &BackendKind) -> &'static str {
    match kind {
        BackendKind::Local => "local",
        BackendKind::Postgres { .. } => "postgres",
    }
}

fn refused(e: DumpError) -> Error {
    match e {
        DumpError::Io(e) => Error::Record(e.into()),
        // Held or stale locks explained as everywhere, with the command
        // that breaks a stale one.
        DumpError::Env { env, error } => Error::state(&env, error),
        e => Error::Refused(e.to_string()),
    }
}

/// Copies every record of the project to `req.to` and verifies the copy.
pub fn migrate(req: &MigrateRequest, front: &dyn Front) -> Result<MigrateReport> {
    let root = super::absolute(&req.root);
    let project = crate::config::load(&root).0;
    let open = |choice: &BackendChoice| -> Result<Arc<dyn Backend>> {
        choice
            .open(&root)
            .map_err(|e| Error::Refused(e.to_string()))
    };
    let source_choice =
        BackendChoice::for_project(&project).map_err(|e| Error::Refused(e.to_string()))?;
    let dest_kind = destination(&req.to, project.backend.as_ref())?;
    let (from, to) = (kind_name(&source_choice.kind), kind_name(&dest_kind));
    if source_choice.kind == dest_kind {
        return Err(Error::Refused(format!(
            "the project's records are already in {from} (chosen by {}): migrate copies them to the other backend",
            source_choice.chosen_by
        )));
    }
    let source = open(&source_choice)?;
    let dest = open(&BackendChoice {
        kind: dest_kind,
        chosen_by: "--to",
        project: project.name.clone(),
    })?;
    let Copied { counts, cleared } = copy_verified(
        &*source,
        &*dest,
        (from, to),
        &project.name,
        req.lock_timeout,
    )?;
    // The new home records how the records arrived; the source's trail
    // stays as it was.
    let dest_records = crate::project::Records::with_backend(&root, dest);
    let trail = super::records::Trail {
        records: &dest_records,
        project: &project.name,
        started: std::time::SystemTime::now(),
    };
    super::records::audit(
        &trail,
        "project.backend.migrate",
        None,
        None,
        serde_json::json!({
            "from": from,
            "to": to,
            "records": counts.iter().map(|(k, n, _)| (k.to_string(), *n)).collect::<std::collections::BTreeMap<_, _>>(),
        }),
        front,
    );
    Ok(MigrateReport {
        from,
        to,
        counts,
        cleared_unfinished: cleared,
    })
}

/// Copies every record of project `name` from `source` to `dest` (named
/// `from` and `to` in messages) under the source's locks, and
/// compares the copy with the source record by record. Returns the
/// counts and hashes per kind. On a failure or a difference the partial
/// copy is removed; the source is never changed.
fn copy_verified(
    source: &dyn Backend,
    dest: &dyn Backend,
    (from, to): (&str, &str),
    name: &str,
    lock_timeout: Duration,
) -> Result<Copied> {
    // Nothing changes the source while it is read and compared.
    let locks = dump::lock_all(source, COMMAND, lock_timeout).map_err(refused)?;
    // The destination is locked before it is found empty and until its
    // copy is verified or removed: of two migrates into one store, one
    // copies and the other is refused without writing or removing
    // anything. A lock an interrupted migrate left is stale: broken.
    for env in dest.environments() {
        let store = dest.state(&env);
        if store.stale_lock().is_some_and(|l| l.command == COMMAND) {
            store
                .unlock_stale()
                .map_err(|error| refused(DumpError::Env { env, error }))?;
        }
    }
    let mut envs = source.environments();
    envs.extend(dest.environments());
    envs.sort();
    envs.dedup();
    let lock_dest = || {
        dump::lock_envs(dest, &envs, COMMAND, lock_timeout).map_err(|e| {
            Error::Refused(format!(
                "the destination ({to}) cannot be locked: {e}\n(a command given above acts on the destination with TERRACE_BACKEND={to}); nothing was copied and nothing removed"
            ))
        })
    };
    let mut dest_locks = lock_dest()?;
    // The copy starts only into a destination without records, so what
    // it holds after a failure is this copy's: it is removed, and the
    // command can simply run again.
    let mut first = dump::copy(source, &locks, dest, &dest_locks);
    let mut cleared = false;
    if matches!(first, Err(DumpError::DestinationHolds)) {
        match clear_unfinished_copy(source, &locks, dest, &dest_locks) {
            Ok(true) => {
                cleared = true;
                // The locks' records went with the rest: taken again.
                drop(dest_locks);
                dest_locks = lock_dest()?;
                first = dump::copy(source, &locks, dest, &dest_locks);
            }
            Ok(false) => {}
            // Nothing was written: what the destination holds stays.
            Err(e) => {
                return Err(Error::Refused(format!(
                    "the destination ({to}) holds records of project {name}, and whether they are what an interrupted migrate left cannot be told: {e}; nothing was copied and nothing removed"
                )));
            }
        }
    }
    let checked = first.and_then(|inventory| {
        let copied = dump::inventory(dest, &dest_locks)?;
        Ok((inventory.differences(&copied), inventory))
    });
    let inventory = match checked {
        Ok((differences, inventory)) if differences.is_empty() => inventory,
        Err(DumpError::DestinationHolds) => {
            return Err(Error::Refused(format!(
                "the destination ({to}) already holds records of project {name}: migrate copies only into a store without them; nothing was copied"
            )));
        }
        // Nothing was written, and what the destination holds is not
        // known: it is not this copy's to remove.
        Err(DumpError::DestinationUnknown(e)) => {
            return Err(Error::Refused(format!(
                "cannot tell whether the destination ({to}) holds records of project {name}: {e}; nothing was copied and nothing removed"
            )));
        }
        failed => {
            let cleanup = match dest.delete_project() {
                Ok(()) => "the partial copy was removed".to_string(),
                Err(e) => format!(
                    "the partial copy could not be removed ({e}): remove it before trying again"
                ),
            };
            return Err(Error::Refused(match failed {
                Err(e) => format!(
                    "the copy to {to} failed: {e}; {cleanup}; the source ({from}) is unchanged"
                ),
                Ok((differences, _)) => format!(
                    "the copy to {to} differs from the source:\n  {}\n{cleanup}; the source ({from}) is unchanged",
                    differences.join("\n  ")
                ),
            }));
        }
    };
    drop(locks);
    Ok(Copied {
        counts: inventory.summary(),
        cleared,
    })
}

/// Removes what an interrupted `backend migrate` left in `dest` (killed,
/// or stopped with Ctrl-C, before it could remove its partial copy) and
/// says whether it did: only when every record there is one of the
/// source's, byte for byte, so that nothing is lost. A finished copy
/// holds one audit event more (`project.backend.migrate`) and is kept.
/// `dest_locks` hold every environment of `dest`.
fn clear_unfinished_copy(
    source: &dyn Backend,
    locks: &[crate::store::Lock],
    dest: &dyn Backend,
    dest_locks: &[crate::store::Lock],
) -> std::result::Result<bool, DumpError> {
    let held = dump::inventory(dest, dest_locks)?;
    if !held.is_part_of(&dump::inventory(source, locks)?) {
        return Ok(false);
    }
    dest.delete_project()?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_is_refused_without_being_repeated() {
        let err = destination("postgres://u:secret@h/db", None).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("shell history"), "{text}");
        assert!(text.contains("--to postgres"), "{text}");
        assert!(!text.contains("secret"), "{text}");
        assert_eq!(destination("local", None).unwrap(), BackendKind::Local);
        assert_eq!(
            destination("postgres", None).unwrap(),
            BackendKind::Postgres {
                url_variable: DATABASE_URL_VARIABLE.into()
            }
        );
        assert_eq!(
            destination("SHOP_DB", None).unwrap(),
            BackendKind::Postgres {
                url_variable: "SHOP_DB".into()
            }
        );
        assert!(destination("no such thing", None).is_err());
    }

    use crate::state::EnvState;
    use crate::store::{
        AuditAppend, AuditTail, Document, KeptRelease, LocalBackend, RecordIo, StateStore,
    };
    use std::collections::BTreeSet;
    use std::path::Path;

    /// Two versions of dev's state, a document and an audit line.
    fn populated(root: &Path) -> LocalBackend {
        let backend = LocalBackend::new(root);
        let store = backend.state("dev");
        let lock = store.lock("test", Duration::ZERO).unwrap();
        let mut state = EnvState::new("dev");
        let (_, addr) = crate::address::InstanceAddr::parse("net/terrace_data.x").unwrap();
        for v in 1..=2 {
            state.set_instance(&addr, crate::value::Value::int(v), None);
            store
                .commit(&lock, &mut state, &BTreeSet::from(["net".to_string()]))
                .unwrap();
        }
        backend
            .replace_document("dev", Document::Lifecycle, b"{}")
            .unwrap();
        backend
            .append_audit(&mut |_| {
                Some(AuditAppend {
                    line: "event\n".into(),
                    head: Some(b"head".to_vec()),
                })
            })
            .unwrap();
        backend
    }

    fn inventory(backend: &dyn Backend) -> dump::Inventory {
        let locks = dump::lock_all(backend, "test", Duration::ZERO).unwrap();
        dump::inventory(backend, &locks).unwrap()
    }

    #[test]
    fn a_verified_copy_reports_its_counts_and_leaves_the_source_as_it_was() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let source = populated(a.path());
        let dest = LocalBackend::new(b.path());
        let before = inventory(&source);
        let copied =
            copy_verified(&source, &dest, ("local", "local"), "t", Duration::ZERO).unwrap();
        let n: Vec<usize> = copied.counts.iter().map(|(_, n, _)| *n).collect();
        assert_eq!(n, [2, 1, 1, 1, 0, 0, 1, 1]);
        assert!(!copied.cleared);
        assert_eq!(inventory(&source), before);
        assert!(before.differences(&inventory(&dest)).is_empty());
        // A finished copy's trail holds the migrate event (as `migrate`
        // appends it): a second copy into it is refused, the records
        // there not touched.
        append_line(&dest, "migrated\n");
        let finished = inventory(&dest);
        let err =
            copy_verified(&source, &dest, ("local", "local"), "t", Duration::ZERO).unwrap_err();
        assert!(
            err.to_string()
                .contains("already holds records of project t"),
            "{err}"
        );
        assert_eq!(inventory(&dest), finished);
    }

    #[test]
    fn a_stale_lock_in_the_source_is_refused_naming_the_environment_and_the_unlock() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let source = populated(a.path());
        leave_stale_lock(a.path(), COMMAND);
        let dest = LocalBackend::new(b.path());
        let err =
            copy_verified(&source, &dest, ("local", "local"), "t", Duration::ZERO).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("environment \"dev\" has a stale lock"),
            "{text}"
        );
        assert!(text.contains("terrace state unlock --env dev"), "{text}");
        assert!(!dump::holds_records(&dest).unwrap());
    }

    /// dev's lock file as a process that is gone (pid 999 999) running
    /// `command` left it.
    fn leave_stale_lock(root: &Path, command: &str) {
        let stale = crate::state::LockInfo {
            id: "x".into(),
            pid: 999_999,
            host: "h".into(),
            user: "u".into(),
            command: command.into(),
            created_at: "then".into(),
        };
        std::fs::write(
            root.join(".terrace/envs/dev/lock"),
            serde_json::to_vec(&stale).unwrap(),
        )
        .unwrap();
    }

    fn append_line(backend: &dyn Backend, line: &str) {
        backend
            .append_audit(&mut |_| {
                Some(AuditAppend {
                    line: line.into(),
                    head: Some(line.as_bytes().to_vec()),
                })
            })
            .unwrap();
    }

    #[test]
    fn an_interrupted_copy_is_removed_and_copied_again_but_other_records_are_kept() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let source = populated(a.path());
        let dest = LocalBackend::new(b.path());
        let before = inventory(&source);
        // What a migrate killed before the audit trail left: the versions
        // and documents, and its lock, stale since the process is gone.
        copy_verified(&source, &dest, ("local", "local"), "t", Duration::ZERO).unwrap();
        let terrace = b.path().join(".terrace");
        std::fs::remove_file(terrace.join("audit.jsonl")).unwrap();
        std::fs::remove_file(terrace.join("audit.head")).unwrap();
        leave_stale_lock(b.path(), COMMAND);
        let copied =
            copy_verified(&source, &dest, ("local", "local"), "t", Duration::ZERO).unwrap();
        assert!(copied.cleared);
        assert!(before.differences(&inventory(&dest)).is_empty());
        // A record the source does not hold is not an unfinished copy:
        // refused, and kept.
        std::fs::remove_file(terrace.join("audit.jsonl")).unwrap();
        std::fs::remove_file(terrace.join("audit.head")).unwrap();
        dest.replace_document("dev", Document::Drift, b"{}")
            .unwrap();
        let theirs = inventory(&dest);
        let err =
            copy_verified(&source, &dest, ("local", "local"), "t", Duration::ZERO).unwrap_err();
        assert!(err.to_string().contains("already holds records"), "{err}");
        assert_eq!(inventory(&dest), theirs);
        // Another command's stale lock is left for `state unlock`.
        leave_stale_lock(b.path(), "terrace apply");
        let err =
            copy_verified(&source, &dest, ("local", "local"), "t", Duration::ZERO).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("stale lock"), "{text}");
        assert!(text.contains("nothing removed"), "{text}");
    }

    #[test]
    fn a_destination_that_cannot_be_read_is_refused_and_keeps_its_records() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let source = populated(a.path());
        let dest = LocalBackend::new(b.path());
        dest.keep_release("r1", &[("project.hcl".into(), b"p".to_vec())], b"{}")
            .unwrap();
        // The audit trail cannot be read: whether the store holds records
        // cannot be told from it.
        std::fs::create_dir_all(b.path().join(".terrace/audit.jsonl")).unwrap();
        let err =
            copy_verified(&source, &dest, ("local", "local"), "t", Duration::ZERO).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("cannot tell whether the destination"),
            "{text}"
        );
        assert!(text.contains("audit.jsonl"), "{text}");
        assert!(text.contains("nothing removed"), "{text}");
        assert!(dest.read_release("r1").unwrap().is_some());
    }

    /// A destination that keeps documents wrong: the copy must notice.
    #[derive(Debug)]
    struct Garbling(LocalBackend);

    impl Backend for Garbling {
        fn state(&self, env: &str) -> Box<dyn StateStore> {
            self.0.state(env)
        }
        fn document_location(&self, env: &str, doc: Document) -> std::path::PathBuf {
            self.0.document_location(env, doc)
        }
        fn read_document(&self, env: &str, doc: Document) -> std::io::Result<Option<Vec<u8>>> {
            self.0.read_document(env, doc)
        }
        fn replace_document(&self, env: &str, doc: Document, bytes: &[u8]) -> std::io::Result<()> {
            let mut garbled = bytes.to_vec();
            garbled.push(b' ');
            self.0.replace_document(env, doc, &garbled)
        }
        fn remove_document(&self, env: &str, doc: Document) -> std::io::Result<()> {
            self.0.remove_document(env, doc)
        }
        fn document_time(&self, env: &str, doc: Document) -> Option<std::time::SystemTime> {
            self.0.document_time(env, doc)
        }
        fn environments(&self) -> Vec<String> {
            self.0.environments()
        }
        fn audit_locations(&self) -> (std::path::PathBuf, std::path::PathBuf) {
            self.0.audit_locations()
        }
        fn location(&self) -> std::path::PathBuf {
            self.0.location()
        }
        fn append_audit(
            &self,
            next: &mut dyn FnMut(AuditTail) -> Option<AuditAppend>,
        ) -> std::result::Result<bool, RecordIo> {
            self.0.append_audit(next)
        }
        fn audit(&self) -> std::result::Result<(Vec<String>, Option<Vec<u8>>), RecordIo> {
            self.0.audit()
        }
        fn replace_audit(
            &self,
            lines: &[String],
            head: &[u8],
        ) -> std::result::Result<(), RecordIo> {
            self.0.replace_audit(lines, head)
        }
        fn release_location(&self, id: &str) -> std::path::PathBuf {
            self.0.release_location(id)
        }
        fn release_manifest(&self, id: &str) -> std::result::Result<Option<Vec<u8>>, RecordIo> {
            self.0.release_manifest(id)
        }
        fn release_files(&self, id: &str) -> std::result::Result<std::path::PathBuf, RecordIo> {
            self.0.release_files(id)
        }
        fn keep_release(
            &self,
            id: &str,
            files: &[(String, Vec<u8>)],
            manifest: &[u8],
        ) -> std::result::Result<(), RecordIo> {
            self.0.keep_release(id, files, manifest)
        }
        fn releases(&self) -> std::result::Result<Vec<String>, RecordIo> {
            self.0.releases()
        }
        fn read_release(&self, id: &str) -> std::result::Result<Option<KeptRelease>, RecordIo> {
            self.0.read_release(id)
        }
        fn delete_project(&self) -> std::result::Result<(), RecordIo> {
            self.0.delete_project()
        }
    }

    #[test]
    fn a_copy_that_differs_names_the_record_and_is_removed() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let source = populated(a.path());
        let dest = Garbling(LocalBackend::new(b.path()));
        let before = inventory(&source);
        let err =
            copy_verified(&source, &dest, ("local", "postgres"), "t", Duration::ZERO).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("documents: dev/lifecycle differs"), "{text}");
        assert!(text.contains("the partial copy was removed"), "{text}");
        assert!(text.contains("the source (local) is unchanged"), "{text}");
        assert!(!dump::holds_records(&dest).unwrap());
        assert_eq!(inventory(&source), before);
        // Nothing left behind: the next attempt into a sound store works.
        let sound = LocalBackend::new(b.path());
        copy_verified(&source, &sound, ("local", "postgres"), "t", Duration::ZERO).unwrap();
    }
}
