//! Operations: the workflows a front end runs (`plan`, `apply`, `promote`,
//! `approve`, `drift`, `export`/`import`, `restore`, `delete-project`,
//! `upgrade`, `status`, `attention`, `audit`), one file each.
//!
//! Each takes a typed request and returns a typed report, or an [`Error`]
//! that carries its diagnostics. An operation owns its whole workflow:
//! loading the definitions, the environment's rules, the lock and its
//! lifetime, the stale check, the records beside state and the audit
//! event. It never prints: what a user should see while it runs goes to
//! the caller's [`Front`] (apply progress through [`crate::apply::Observer`]),
//! so that the command line and any other front end (a server) run the same
//! code and only choose how to show it.
//!
//! Entry points: [`plan::plan`], [`apply::apply`], [`promote::promote`] and
//! the other modules' functions of the same name.

pub mod apply;
pub mod approve;
pub mod attention;
pub mod audit;
pub mod delete;
pub mod drift;
mod error;
pub mod export;
mod front;
pub mod plan;
pub mod policies;
pub mod promote;
pub mod records;
pub mod restore;
pub mod status;
pub mod upgrade;
pub mod vars;
mod workspace;

pub use error::{Error, Result};
pub use front::{Applied, Front, Notice, Quiet};
pub use workspace::{Workspace, absolute, load_state, lock, prepare_catalog, recover_and_load};

use crate::apply::Cancel;

/// Runs `f`, giving up (and dropping what it holds, locks included) when
/// `cancel` fires (Ctrl-C, for the command line). Any error type that an
/// [`Error`] converts into: the library's own and the front end's.
pub async fn interruptible<T, E: From<Error>>(
    f: impl std::future::Future<Output = std::result::Result<T, E>>,
    cancel: &Cancel,
) -> std::result::Result<T, E> {
    tokio::select! {
        r = f => r,
        _ = cancel.cancelled() => Err(Error::Interrupted.into()),
    }
}

/// Set by the command line, whose process ends when its one command
/// returns: see [`release`].
static EXITS_AFTER_COMMAND: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// Declares that the process ends as soon as the operation it runs
/// returns (the command line), so that [`release`] may leave memory to the
/// operating system.
pub fn exit_after_command() {
    EXITS_AFTER_COMMAND.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Done with `value`: dropped, or, when the process is about to end
/// ([`exit_after_command`]), left for the operating system to reclaim
/// with the rest of the process, which is faster than freeing a large plan
/// or state one allocation at a time. Only for plain data: never for
/// anything whose `Drop` does work (locks, journals, plugin hosts, files).
pub fn release<T>(value: T) {
    match EXITS_AFTER_COMMAND.load(std::sync::atomic::Ordering::Relaxed) {
        true => std::mem::forget(value),
        false => drop(value),
    }
}

#[cfg(test)]
mod tests;
