//! [`Error`]: how an operation fails, with what the user needs to act on
//! it — the diagnostics and their sources, the file and the cause, or the
//! rule that refused and the command that resolves it.

use crate::diag::{Diagnostics, SourceMap};
use crate::state::LockError;
use crate::store::StateError;
use std::path::PathBuf;
use std::sync::Arc;

/// The error of every operation.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Problems in the definitions or found evaluating them (errors, and
    /// the warnings found with them), with the files they point into.
    #[error("{}", first_error(.diags))]
    Diagnostics {
        diags: Diagnostics,
        sources: Arc<SourceMap>,
    },
    /// A rule of the project, the environment or the operation refused;
    /// the text says why and what resolves it.
    #[error("{0}")]
    Refused(String),
    /// A file or directory that cannot be read or written.
    #[error("cannot {action} {}: {source}", .path.display())]
    Io {
        /// What was being done, e.g. "read the plan".
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// An environment's state, lock or journal.
    #[error("{}", state_message(.env, .error))]
    State { env: String, error: StateError },
    /// The records beside state (`.terrace/`).
    #[error(transparent)]
    Record(#[from] crate::project::RecordError),
    /// The architecture catalog.
    #[error(transparent)]
    Catalog(#[from] crate::catalog::CatalogError),
    /// The apply walk itself failed (not an operation of it).
    #[error("{error}\nThe journal in {} keeps every completed operation; the next terrace command in this environment recovers it.", .journal)]
    Apply {
        error: crate::apply::ApplyError,
        /// Where the environment's records are, the journal among them.
        journal: String,
    },
    /// The failure was shown through the front end as it happened (an
    /// apply that ran and had errors, or was interrupted: its outcome).
    /// `reason` is the first error, for the audit trail.
    #[error("{reason}")]
    Shown { reason: String },
    /// Ctrl-C before anything changed.
    #[error("interrupted; nothing was changed")]
    Interrupted,
    /// The user did not confirm; the text says what was cancelled.
    #[error("{0}")]
    Cancelled(&'static str),
}

/// The result of an operation.
pub type Result<T = ()> = std::result::Result<T, Error>;

impl Error {
    /// `code: message` of the first error among diagnostics, else the
    /// message: the reason the audit trail records.
    pub fn reason(&self) -> String {
        match self {
            Error::Shown { reason } => reason.clone(),
            Error::Diagnostics { diags, .. } => diags
                .iter()
                .find(|d| d.is_error())
                .map(|d| format!("{}: {}", d.code, d.message))
                .unwrap_or_else(|| "see the command's output".into()),
            other => other.to_string(),
        }
    }

    /// A state error of environment `env`.
    pub fn state(env: &str, error: StateError) -> Error {
        Error::State {
            env: env.to_string(),
            error,
        }
    }
}

fn first_error(diags: &Diagnostics) -> String {
    diags
        .iter()
        .find(|d| d.is_error())
        .map(|d| d.message.clone())
        .unwrap_or_else(|| "the definitions have problems".into())
}

/// Explains a state error: a lock held or stale, or a damaged file with
/// the backups to restore from.
fn state_message(env: &str, e: &StateError) -> String {
    match e {
        StateError::Lock(LockError::Held(info)) => format!(
            "environment \"{env}\" is locked by {info}.\n\
             Wait for it to finish, or retry with --lock-timeout 5m to wait up to five minutes."
        ),
        StateError::Lock(LockError::Stale { info, gone }) => format!(
            "environment \"{env}\" has a stale lock: {info}, and {gone}.\n\
             It probably stopped during an operation; terrace will recover its journal on the next run.\n\
             Break the lock with: terrace state unlock --env {env}"
        ),
        StateError::Damaged {
            path,
            cause,
            backups,
        } => {
            let mut msg = format!(
                "state file {} cannot be used: {cause}.\nterrace will not overwrite it.",
                path.display()
            );
            if backups.is_empty() {
                msg.push_str(
                    "\nThere is no backup of it; `terrace state backups` lists what there is.",
                );
            } else {
                msg.push_str("\nBackups of it, newest first:");
                for b in backups.iter().take(5) {
                    msg.push_str(&format!("\n  serial {:>4}  {}", b.serial, b.path.display()));
                }
                msg.push_str(&format!(
                    "\nRestore the newest with: terrace state restore --env {env} {}",
                    backups[0].serial
                ));
            }
            msg
        }
        other => other.to_string(),
    }
}
