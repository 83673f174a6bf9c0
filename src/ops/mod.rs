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
pub mod state;
pub mod status;
pub mod unlock;
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

/// Parses `--lock-timeout` values: `0`, `30s`, `5m`, `1h`, `500ms`.
pub fn parse_duration(s: &str) -> std::result::Result<std::time::Duration, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("\"{s}\" is not a duration such as 30s or 5m"))?;
    let secs = match unit {
        "" | "s" => n,
        "ms" => n / 1000.0,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => {
            return Err(format!(
                "unknown unit \"{unit}\" in \"{s}\": use ms, s, m or h"
            ));
        }
    };
    if !(0.0..=86_400.0 * 7.0).contains(&secs) {
        return Err(format!("\"{s}\" is out of range"));
    }
    Ok(std::time::Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests;
