//! `terrace backend init`: create or upgrade the shared store's schema;
//! `terrace backend migrate` is in [`super::migrate`].

use super::{Failure, Global, Result};
use crate::store::BackendChoice;
use crate::store::postgres::Init;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum BackendCommand {
    /// Create the chosen database's terrace schema, or upgrade it (idempotent)
    Init,
    /// Copy every record, all versions, to another backend and verify the copy
    Migrate(super::migrate::MigrateArgs),
}

pub fn run(g: &Global, c: BackendCommand) -> Result {
    match c {
        BackendCommand::Init => init(g),
        BackendCommand::Migrate(a) => super::migrate::run(g, a),
    }
}

fn init(g: &Global) -> Result {
    let (project, _) = crate::config::load(&g.project);
    let choice =
        BackendChoice::for_project(&project).map_err(|e| Failure::Message(e.to_string()))?;
    let done = choice.init().map_err(|e| Failure::Message(e.to_string()))?;
    let database = choice
        .secret_variable()
        .map(|v| format!("the database named by {v}"))
        .unwrap_or_default();
    let version = crate::store::postgres::schema::VERSION;
    match done {
        None => outln!(
            "The records are in local files under .terrace/ (chosen by {}): there is no schema to create.\n\
             To keep them in PostgreSQL, add backend \"postgres\" {{ url = env(\"TERRACE_DATABASE_URL\") }} to project.hcl \
             (or set TERRACE_BACKEND=postgres) and run terrace backend init again; docs/backends.md says more.",
            choice.chosen_by
        ),
        Some(Init::Upgraded { from: 0 }) => {
            outln!("Created terrace's schema (version {version}) in {database}.")
        }
        Some(Init::Upgraded { from }) => {
            outln!("Upgraded terrace's schema in {database} from version {from} to {version}.")
        }
        Some(Init::Current) => outln!(
            "terrace's schema in {database} is at version {version} already: nothing changed."
        ),
    }
    Ok(())
}
