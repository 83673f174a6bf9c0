//! `terrace backend migrate --to local|postgres|VARIABLE`: copy every
//! record to another backend and verify the copy (see
//! [`crate::ops::migrate`]).

use super::session::{Ui, parse_duration};
use super::{Global, Result};
use crate::ops::migrate::MigrateRequest;
use clap::Args;
use std::time::Duration;

#[derive(Debug, Args)]
#[command(
    after_help = "The source is the backend the project uses now (its backend block, or TERRACE_BACKEND). \
The database URL is read from TERRACE_DATABASE_URL, or from the variable the project's backend block \
names, or from the variable given to --to; never from the command line, where its password would land \
in the shell history and the process list. The source is left as it was: switch the backend block or \
TERRACE_BACKEND once the copy is verified."
)]
pub struct MigrateArgs {
    /// Where the records go: `local` (the project's .terrace/), `postgres`, or the name of a variable holding the database URL
    #[arg(long, value_name = "local|postgres|VARIABLE")]
    pub to: String,
    /// How long to wait for each environment's lock (e.g. 30s, 5m)
    #[arg(long, default_value = "0s", value_parser = parse_duration, value_name = "DURATION")]
    pub lock_timeout: Duration,
}

pub fn run(g: &Global, a: MigrateArgs) -> Result {
    let req = MigrateRequest {
        root: g.project.clone(),
        to: a.to,
        lock_timeout: a.lock_timeout,
    };
    let report = crate::ops::migrate::migrate(&req, &Ui::detect().console())?;
    if report.cleared_unfinished {
        outln!(
            "The {} store held an unfinished copy of these records (an interrupted migrate's): it was removed and the copy made again.",
            report.to
        );
    }
    outln!(
        "Copied every record from {} to {} and verified the copy:",
        report.from,
        report.to
    );
    for (kind, count, sha) in &report.counts {
        outln!("  {kind:<17} {count:>7}  sha256 {sha}");
    }
    outln!(
        "The {} records are unchanged. To use the copy, switch the project's backend block (or TERRACE_BACKEND) to {}.",
        report.from,
        report.to
    );
    Ok(())
}
