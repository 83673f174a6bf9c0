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
pub mod migrate;
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

#[cfg(test)]
mod tests;
