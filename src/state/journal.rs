//! The apply journal: an append-only file of JSON lines that makes every
//! resource operation durable as it completes, at a cost linear in the
//! number of operations.
//!
//! One writer thread owns the file. Records queue up while it syncs, and
//! each sync covers the whole batch (group commit), so concurrent
//! operations share fsyncs. Records are written in the order they are
//! sent: once a record is durable, so is everything sent before it.
//! Records that nobody waits for (the ends of operations without outside
//! effects) become durable within a few milliseconds, or with the next
//! record somebody waits for, whichever comes first.
//!
//! After a crash, [`read`] returns the records that reached the disk; the
//! store replays finished operations into state and reports the ones that
//! were started and never finished.

use super::model::OutputState;
use crate::value::Value;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use tokio::sync::oneshot;

/// The state an apply started from, per configuration.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Base {
    #[serde(deserialize_with = "crate::value::any_u64")]
    pub serial: u64,
    pub lineage: String,
}

/// One line of the journal.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record {
    /// First line: which apply, from which state.
    Begin {
        apply_id: String,
        time: String,
        base: BTreeMap<String, Base>,
    },
    /// An operation with effects outside terrace is about to run.
    Start {
        address: String,
        action: String,
        time: String,
    },
    /// An operation finished: the object's new attributes, or none if it
    /// was deleted.
    Done {
        address: String,
        action: String,
        attributes: Option<Value>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        dependencies: Option<Vec<String>>,
    },
    /// A configuration's outputs after apply.
    Outputs {
        configuration: String,
        outputs: BTreeMap<String, OutputState>,
    },
}

/// The journal could not be written or read.
#[derive(Debug, thiserror::Error)]
#[error("journal {path}: {message}")]
pub struct JournalError {
    pub path: PathBuf,
    pub message: String,
}

enum Msg {
    Line(Vec<u8>, Option<oneshot::Sender<Result<(), String>>>),
}

/// Where a journal's records go: made durable a batch at a time by the
/// journal's writer thread (the local store appends to a file and syncs
/// it; a database would insert the batch in one transaction).
pub trait JournalLog: Send {
    /// Appends `records` (one encoded line each, in order) and returns
    /// once all of them are durable.
    fn append_durably(&mut self, records: &[Vec<u8>]) -> Result<(), String>;
}

/// The local journal: a file appended to and synced.
struct FileLog(std::fs::File);

impl JournalLog for FileLog {
    fn append_durably(&mut self, records: &[Vec<u8>]) -> Result<(), String> {
        let buf = records.concat();
        self.0
            .write_all(&buf)
            .and_then(|()| self.0.sync_data())
            .map_err(|e| e.to_string())
    }
}

/// An open journal with its writer thread.
pub struct Journal {
    path: PathBuf,
    tx: Option<mpsc::Sender<Msg>>,
    thread: Option<std::thread::JoinHandle<Result<(), String>>>,
}

impl Journal {
    /// Creates the journal (it must not exist) and durably writes `begin`.
    pub fn create(path: &Path, begin: &Record) -> Result<Journal, JournalError> {
        let err = |e: std::io::Error| JournalError {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        let mut file = std::fs::OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(path)
            .map_err(err)?;
        file.write_all(&line(begin)).map_err(err)?;
        file.sync_all().map_err(err)?;
        if let Some(dir) = path.parent() {
            super::atomic::sync_dir(dir).map_err(err)?;
        }
        Journal::start(path, Box::new(FileLog(file)))
    }

    /// Starts the writer thread of a journal whose `begin` record is
    /// already durable in `log`; `place` names it in errors.
    pub fn start(place: &Path, log: Box<dyn JournalLog>) -> Result<Journal, JournalError> {
        let (tx, rx) = mpsc::channel::<Msg>();
        let thread = std::thread::Builder::new()
            .name("terrace-journal".into())
            .spawn(move || writer(log, rx))
            .map_err(|e| JournalError {
                path: place.to_path_buf(),
                message: e.to_string(),
            })?;
        Ok(Journal {
            path: place.to_path_buf(),
            tx: Some(tx),
            thread: Some(thread),
        })
    }

    /// Appends a record and waits until it is on disk.
    pub async fn append_durable(&self, rec: &Record) -> Result<(), JournalError> {
        let (ack, wait) = oneshot::channel();
        self.send(Msg::Line(line(rec), Some(ack)))?;
        match wait.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(message)) => Err(self.error(message)),
            Err(_) => Err(self.error("the journal writer stopped".into())),
        }
    }

    /// Appends a record without waiting; it becomes durable with the next
    /// sync, and before any record sent after it.
    pub fn append(&self, rec: &Record) -> Result<(), JournalError> {
        self.send(Msg::Line(line(rec), None))
    }

    fn send(&self, msg: Msg) -> Result<(), JournalError> {
        self.tx
            .as_ref()
            .and_then(|tx| tx.send(msg).ok())
            .ok_or_else(|| self.error("the journal writer stopped".into()))
    }

    fn error(&self, message: String) -> JournalError {
        JournalError {
            path: self.path.clone(),
            message,
        }
    }

    /// Syncs everything written and stops the writer.
    pub fn close(mut self) -> Result<(), JournalError> {
        self.tx.take();
        match self.thread.take().map(|t| t.join()) {
            Some(Ok(Ok(()))) | None => Ok(()),
            Some(Ok(Err(m))) => Err(self.error(m)),
            Some(Err(_)) => Err(self.error("the journal writer panicked".into())),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        self.tx.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn line(rec: &Record) -> Vec<u8> {
    let mut v = serde_json::to_vec(rec).expect("journal records serialize");
    v.push(b'\n');
    v
}

/// The writer thread: write whatever is queued, sync once, acknowledge.
/// How long records that nobody waits for may gather before a sync.
const LINGER: std::time::Duration = std::time::Duration::from_millis(5);

/// The writer thread: write whatever is queued, sync once, acknowledge.
/// When no record in the batch is waited for (operations without outside
/// effects), it lingers a few milliseconds for more, so that a long chain
/// of such operations costs a few syncs rather than one each.
fn writer(mut log: Box<dyn JournalLog>, rx: mpsc::Receiver<Msg>) -> Result<(), String> {
    let mut failed: Option<String> = None;
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        let mut waited_for = batch.iter().any(|Msg::Line(_, ack)| ack.is_some());
        let deadline = std::time::Instant::now() + LINGER;
        loop {
            match rx.try_recv() {
                Ok(m) => {
                    waited_for |= matches!(&m, Msg::Line(_, Some(_)));
                    batch.push(m);
                    continue;
                }
                Err(mpsc::TryRecvError::Disconnected) => break,
                Err(mpsc::TryRecvError::Empty) => {}
            }
            let now = std::time::Instant::now();
            if waited_for || now >= deadline {
                break;
            }
            match rx.recv_timeout(deadline - now) {
                Ok(m) => {
                    waited_for |= matches!(&m, Msg::Line(_, Some(_)));
                    batch.push(m);
                }
                Err(_) => break,
            }
        }
        tracing::trace!(records = batch.len(), waited_for, "journal sync");
        let mut lines = Vec::with_capacity(batch.len());
        let mut acks = Vec::new();
        for Msg::Line(bytes, ack) in batch {
            lines.push(bytes);
            acks.extend(ack);
        }
        if failed.is_none()
            && let Err(e) = log.append_durably(&lines)
        {
            failed = Some(e);
        }
        for ack in acks {
            let _ = ack.send(match &failed {
                None => Ok(()),
                Some(m) => Err(m.clone()),
            });
        }
    }
    match failed {
        None => Ok(()),
        Some(m) => Err(m),
    }
}

/// Reads a journal left on disk. A torn last line (a crash mid-write) is
/// ignored: it was never acknowledged. Any other unreadable line is an error.
pub fn read(path: &Path) -> Result<Option<Vec<Record>>, JournalError> {
    let bytes = match crate::bounded::read_record(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(JournalError {
                path: path.to_path_buf(),
                message: e.to_string(),
            });
        }
    };
    let mut records = Vec::new();
    let lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
    let last = lines.len().saturating_sub(1);
    for (i, l) in lines.iter().enumerate() {
        if l.is_empty() {
            continue;
        }
        match serde_json::from_slice::<Record>(l) {
            Ok(r) => records.push(r),
            // The last line without its newline: torn by a crash.
            Err(_) if i == last => break,
            Err(e) => {
                return Err(JournalError {
                    path: path.to_path_buf(),
                    message: format!("line {} is damaged: {e}", i + 1),
                });
            }
        }
    }
    Ok(Some(records))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn done(n: usize) -> Record {
        Record::Done {
            address: format!("c/terrace_data.r{n}"),
            action: "create".into(),
            attributes: Some(Value::int(n as i64)),
            dependencies: None,
        }
    }

    #[tokio::test]
    async fn records_arrive_in_order_and_survive_a_torn_tail() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let begin = Record::Begin {
            apply_id: "a".into(),
            time: "t".into(),
            base: BTreeMap::new(),
        };
        let j = Journal::create(&path, &begin).unwrap();
        for n in 0..50 {
            j.append(&done(n)).unwrap();
        }
        j.append_durable(&done(50)).await.unwrap();
        j.close().unwrap();
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.extend_from_slice(b"{\"kind\":\"do");
        std::fs::write(&path, bytes).unwrap();
        let records = read(&path).unwrap().unwrap();
        assert_eq!(records.len(), 52);
        assert_eq!(records[0], begin);
        assert_eq!(records[51], done(50));
        assert!(
            Journal::create(&path, &begin).is_err(),
            "an existing journal is never overwritten"
        );
    }

    #[test]
    fn a_damaged_middle_line_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        std::fs::write(
            &path,
            "{\"kind\":\"begin\",\"apply_id\":\"a\",\"time\":\"t\",\"base\":{}}\ngarbage\n{}\n",
        )
        .unwrap();
        assert!(read(&path).is_err());
    }
}
