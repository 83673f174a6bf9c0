//! The audit trail: one JSON line per command that reads or changes the
//! project, in `.terrace/audit.jsonl`, chained by hashes.
//!
//! Each line is an event's JSON with a last field `hash`: the sha256 of the
//! line as it reads without that field. The event's `prev` is the previous
//! line's hash, and `seq` counts from 1; `.terrace/audit.head` keeps the
//! count and the last hash. So an edited line fails its own hash, a removed
//! or reordered one breaks `prev` or `seq`, and removed last lines
//! disagree with the head. Action names follow IBM Cloud Activity Tracker:
//! `project.config.deploy`, `project.environment.promote`, …

use super::{RecordError, Records, sha256_hex};
use crate::store::{AuditAppend, Document};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// How an action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    Failure,
}

/// What an action was done to.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Target {
    pub project: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration: Option<String>,
}

/// One event, as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub seq: u64,
    pub time: String,
    pub action: String,
    pub initiator: String,
    pub target: Target,
    pub outcome: Outcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Action-specific facts: plan hash, release, serial, summary.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub details: serde_json::Value,
    /// The previous line's hash; 64 zeros for the first.
    pub prev: String,
}

/// The count and last hash, kept beside the trail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Head {
    count: u64,
    hash: String,
}

/// Where the trail stops being trustworthy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct Broken {
    /// 1-based line number in audit.jsonl.
    pub line: usize,
    pub reason: String,
}

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
const HASH_FIELD: &str = ",\"hash\":\"";

/// The project's audit trail.
pub struct Audit {
    /// Where the head is, for messages.
    head: PathBuf,
    records: Records,
    /// When the operation appending started (now, when not said).
    started: Option<std::time::SystemTime>,
}

impl Audit {
    pub fn new(records: &Records) -> Audit {
        Audit {
            head: records.backend().audit_locations().1,
            records: records.clone(),
            started: None,
        }
    }

    /// The trail, appended to by an operation that started at `started`:
    /// lifecycle records older than that were not written by it.
    pub fn started(mut self, started: std::time::SystemTime) -> Audit {
        self.started = Some(started);
        self
    }

    /// Whether lifecycle records older than this command exist: then a
    /// trail without a head was removed, not never started.
    fn records_predate_this_command(&self) -> bool {
        let started = self.started.unwrap_or_else(std::time::SystemTime::now);
        let backend = self.records.backend();
        backend.environments().iter().any(|env| {
            backend
                .document_time(env, Document::Lifecycle)
                .is_some_and(|t| t < started)
        })
    }

    /// Appends an event; `seq`, `time` and `prev` are filled in here.
    /// Appends from concurrent writers are serialised by the store.
    pub fn append(&self, mut event: Event) -> Result<Event, RecordError> {
        let mut failed = None;
        self.records
            .backend()
            .append_audit(&mut |tail| {
                let head = match self.parse_head(tail.head.as_deref()) {
                    Ok(h) => h,
                    Err(e) => {
                        failed = Some(e);
                        return None;
                    }
                };
                // The last line's hash chains the new one, even a damaged
                // line's (then verify names it); seq continues from
                // whichever is larger.
                let (last_seq, prev) = match tail.last_line {
                    Some(line) => match split(&line) {
                        Some((body, hash)) => (
                            serde_json::from_str::<Event>(&body).map_or(0, |e| e.seq),
                            hash.to_string(),
                        ),
                        None => (0, sha256_hex(line.as_bytes())),
                    },
                    None => (0, GENESIS.to_string()),
                };
                // A head that disagrees with the trail is evidence that
                // lines were removed at its end (or a write was cut short):
                // keep it, so that verify goes on reporting it. A trail that
                // starts now in a project that already has records was
                // removed: no head is written, so verify goes on saying so.
                let consistent = match &head {
                    Some(h) => h.count == last_seq && h.hash == prev,
                    None => {
                        last_seq == 0 && prev == GENESIS && !self.records_predate_this_command()
                    }
                };
                event.seq = last_seq.max(head.as_ref().map_or(0, |h| h.count)) + 1;
                event.prev = prev;
                event.time = super::now();
                let line = encode(&event);
                let head = if consistent {
                    let (_, hash) = split(line.trim_end()).expect("encode writes a hash");
                    match super::json_bytes(&Head {
                        count: event.seq,
                        hash: hash.to_string(),
                    }) {
                        Ok(b) => Some(b),
                        Err(e) => {
                            failed = Some(e);
                            return None;
                        }
                    }
                } else {
                    None
                };
                Some(AuditAppend { line, head })
            })
            .map_err(RecordError::from)?;
        // The closure sets `failed` only when it appends nothing.
        if let Some(e) = failed {
            return Err(e);
        }
        Ok(event)
    }

    /// The head's bytes, parsed; bytes that are not a head are damage,
    /// named with the head's location.
    fn parse_head(&self, bytes: Option<&[u8]>) -> Result<Option<Head>, RecordError> {
        bytes
            .map(|b| {
                serde_json::from_slice(b).map_err(|e| RecordError::Read {
                    path: self.head.clone(),
                    cause: format!("it is damaged: {e}"),
                })
            })
            .transpose()
    }

    /// Writes `lines` (an exported trail) as the whole trail, with its head.
    pub fn restore(&self, lines: &[String]) -> Result<(), RecordError> {
        let hash = lines
            .last()
            .and_then(|l| split(l))
            .map(|(_, h)| h.to_string());
        let head = super::json_bytes(&Head {
            count: lines.len() as u64,
            hash: hash.unwrap_or_else(|| GENESIS.to_string()),
        })?;
        Ok(self.records.backend().replace_audit(lines, &head)?)
    }

    /// Every event with its line as written, oldest first; damaged lines
    /// are skipped (`verify` names them).
    pub fn entries(&self) -> Result<Vec<(Event, String)>, RecordError> {
        Ok(self
            .lines()?
            .into_iter()
            .filter_map(|l| {
                let event = split(&l).and_then(|(b, _)| serde_json::from_str(&b).ok())?;
                Some((event, l))
            })
            .collect())
    }

    /// Checks the chain and the head; returns the number of events.
    /// `has_records`: the project has environment records, so an empty
    /// trail means a removed one.
    pub fn verify(&self, has_records: bool) -> Result<Result<usize, Broken>, RecordError> {
        let lines = self.lines()?;
        if let Err(b) = check_lines(&lines) {
            return Ok(Err(b));
        }
        let last = lines
            .last()
            .and_then(|l| split(l))
            .map(|(_, h)| h.to_string());
        let head = self.parse_head(self.records.backend().audit()?.1.as_deref())?;
        let disagree = |h: &Head| Broken {
            // Where the first missing line would stand.
            line: if h.count > lines.len() as u64 {
                lines.len() + 1
            } else {
                lines.len().max(1)
            },
            reason: format!(
                "{} (the head) records {} events, the last with hash {}…, but the trail has {}{}: lines were removed at its end, or a write was cut short",
                self.head.display(),
                h.count,
                h.hash.get(..12).unwrap_or(&h.hash),
                lines.len(),
                last.as_deref()
                    .map(|l| format!(", the last with hash {}…", l.get(..12).unwrap_or(l)))
                    .unwrap_or_default()
            ),
        };
        Ok(match head {
            Some(h) if h.count != lines.len() as u64 || Some(&h.hash) != last.as_ref() => {
                Err(disagree(&h))
            }
            None if !lines.is_empty() => Err(Broken {
                line: lines.len(),
                reason: format!("{} is missing", self.head.display()),
            }),
            None if has_records => Err(Broken {
                line: 1,
                reason: "the trail is missing although the project has records: it was removed"
                    .into(),
            }),
            _ => Ok(lines.len()),
        })
    }

    fn lines(&self) -> Result<Vec<String>, RecordError> {
        Ok(self.records.backend().audit()?.0)
    }
}

/// Checks that `lines` form an unbroken chain: each line matches its
/// hash, follows the one before, and has the next sequence number.
pub fn check_lines(lines: &[String]) -> Result<(), Broken> {
    let mut prev = GENESIS.to_string();
    for (i, line) in lines.iter().enumerate() {
        let n = i + 1;
        let broken = |reason: &str| {
            Err(Broken {
                line: n,
                reason: reason.to_string(),
            })
        };
        let Some((body, hash)) = split(line) else {
            return broken("not an audit event (no hash): the line was edited");
        };
        if sha256_hex(body.as_bytes()) != hash {
            return broken("its content does not match its hash: the line was edited");
        }
        let Ok(event) = serde_json::from_str::<Event>(&body) else {
            return broken("not an audit event");
        };
        if event.prev != prev {
            return broken(
                "it does not follow the line before it: a line was removed, inserted or moved here",
            );
        }
        if event.seq != n as u64 {
            return broken(&format!(
                "it is event {} but stands at position {n}: lines were removed or moved",
                event.seq
            ));
        }
        prev = hash.to_string();
    }
    Ok(())
}

/// The line for `event`: its JSON, then the hash of that JSON.
fn encode(event: &Event) -> String {
    let body = serde_json::to_string(event).expect("events serialize");
    let hash = sha256_hex(body.as_bytes());
    format!("{}{HASH_FIELD}{hash}\"}}\n", &body[..body.len() - 1])
}

/// Splits a line into the JSON it hashes and the hash.
fn split(line: &str) -> Option<(String, &str)> {
    let at = line.rfind(HASH_FIELD)?;
    let hash = line[at + HASH_FIELD.len()..].strip_suffix("\"}")?;
    (hash.len() == 64).then(|| (format!("{}}}", &line[..at]), hash))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(action: &str) -> Event {
        Event {
            seq: 0,
            time: String::new(),
            action: action.into(),
            initiator: "alice".into(),
            target: Target {
                project: "p".into(),
                environment: Some("dev".into()),
                configuration: None,
            },
            outcome: Outcome::Success,
            reason: None,
            details: serde_json::Value::Null,
            prev: String::new(),
        }
    }

    fn trail(n: usize) -> (tempfile::TempDir, Audit) {
        let dir = tempfile::tempdir().unwrap();
        let audit = Audit::new(&Records::new(dir.path()));
        for i in 0..n {
            audit
                .append(event(&format!("project.config.a{i}")))
                .unwrap();
        }
        (dir, audit)
    }

    fn edit(audit: &Audit, f: impl FnOnce(&mut Vec<String>)) {
        let mut lines = audit.lines().unwrap();
        f(&mut lines);
        std::fs::write(audit.records.audit_location(), lines.join("\n") + "\n").unwrap();
    }

    #[test]
    fn an_intact_trail_verifies_and_chains() {
        let (_d, audit) = trail(5);
        assert_eq!(audit.verify(true).unwrap(), Ok(5));
        let events: Vec<Event> = audit
            .entries()
            .unwrap()
            .into_iter()
            .map(|(e, _)| e)
            .collect();
        assert_eq!(events.len(), 5);
        assert_eq!(events[0].prev, GENESIS);
        assert_eq!(events[4].seq, 5);
    }

    #[test]
    fn an_edited_line_is_named() {
        let (_d, audit) = trail(5);
        edit(&audit, |l| l[2] = l[2].replace("alice", "mallory"));
        assert_eq!(audit.verify(true).unwrap().unwrap_err().line, 3);
    }

    #[test]
    fn a_removed_line_is_found_where_the_chain_breaks() {
        let (_d, audit) = trail(5);
        edit(&audit, |l| {
            l.remove(1);
        });
        assert_eq!(audit.verify(true).unwrap().unwrap_err().line, 2);
    }

    #[test]
    fn swapped_lines_are_found() {
        let (_d, audit) = trail(5);
        edit(&audit, |l| l.swap(2, 3));
        assert_eq!(audit.verify(true).unwrap().unwrap_err().line, 3);
    }

    #[test]
    fn removed_last_lines_are_found() {
        let (_d, audit) = trail(5);
        edit(&audit, |l| {
            l.pop();
        });
        let e = audit.verify(true).unwrap().unwrap_err();
        assert_eq!(e.line, 5);
        assert!(e.reason.contains("records 5 events"), "{}", e.reason);
        // Appending afterwards does not hide it.
        audit.append(event("project.project.read")).unwrap();
        let e = audit.verify(true).unwrap().unwrap_err();
        assert_eq!(e.line, 5, "{}", e.reason);
    }

    #[test]
    fn a_removed_trail_is_found_when_the_project_has_records() {
        let (_d, audit) = trail(3);
        std::fs::remove_file(audit.records.audit_location()).unwrap();
        std::fs::remove_file(&audit.head).unwrap();
        assert_eq!(audit.verify(true).unwrap().unwrap_err().line, 1);
        assert_eq!(audit.verify(false).unwrap(), Ok(0));
    }

    #[test]
    fn a_damaged_last_line_is_chained_over_and_still_reported() {
        let (_d, audit) = trail(3);
        let mut text = std::fs::read_to_string(audit.records.audit_location()).unwrap();
        text.push_str("not json\n");
        std::fs::write(audit.records.audit_location(), text).unwrap();
        audit.append(event("project.project.read")).unwrap();
        assert_eq!(audit.verify(true).unwrap().unwrap_err().line, 4);
        assert_eq!(audit.entries().unwrap().len(), 4);
    }

    #[test]
    fn records_written_by_the_appending_operation_itself_do_not_make_a_new_trail_look_removed() {
        use std::time::{Duration, SystemTime};
        let first = |started: SystemTime| {
            let dir = tempfile::tempdir().unwrap();
            let records = Records::new(dir.path());
            std::fs::create_dir_all(records.env_dir("dev")).unwrap();
            std::fs::write(records.env_dir("dev").join("lifecycle.json"), "{}").unwrap();
            let audit = Audit::new(&records).started(started);
            audit.append(event("project.config.deploy")).unwrap();
            audit.verify(true).unwrap().map_err(|b| b.line)
        };
        // The operation started before it wrote the lifecycle: a trail
        // that starts now is whole.
        assert_eq!(first(SystemTime::now() - Duration::from_secs(60)), Ok(1));
        // The lifecycle is older than the operation: the trail was removed.
        assert_eq!(first(SystemTime::now() + Duration::from_secs(60)), Err(1));
    }
}
