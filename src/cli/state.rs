//! `terrace state …`: inspect and repair an environment's state.

use super::session::{self, Loaded, parse_duration};
use super::{Failure, Global, Result};
use crate::address::InstanceAddr;
use crate::store::StateStore;
use clap::{Args, Subcommand};
use std::collections::BTreeSet;
use std::time::Duration;

#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// List every object recorded in the environment
    List(ListArgs),
    /// Show one recorded object's attributes
    Show(AddressArgs),
    /// List the numbered backups of the environment's state
    Backups(EnvArgs),
    /// Restore the environment's state as it was at SERIAL (written as a new version)
    Restore(RestoreArgs),
    /// Forget objects without deleting them (they stay where they are)
    Rm(RmArgs),
    /// Give recorded objects a new address, also in another configuration
    Mv(MvArgs),
    /// Break a stale lock left by a terrace process that is gone
    Unlock(EnvArgs),
}

#[derive(Debug, Args)]
pub struct EnvArgs {
    /// The environment
    #[arg(long, value_name = "ENV")]
    pub env: String,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// The environment
    #[arg(long, value_name = "ENV")]
    pub env: String,
    /// Only this configuration
    #[arg(long, value_name = "NAME")]
    pub config: Option<String>,
}

#[derive(Debug, Args)]
pub struct AddressArgs {
    /// The environment
    #[arg(long, value_name = "ENV")]
    pub env: String,
    /// CONFIG/TYPE.NAME[KEY], as `state list` prints it
    #[arg(value_name = "ADDRESS")]
    pub address: String,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The environment
    #[arg(long, value_name = "ENV")]
    pub env: String,
    /// The serial to go back to, as `state backups` lists it
    #[arg(value_name = "SERIAL")]
    pub serial: u64,
    /// Restore only this configuration
    #[arg(long, value_name = "NAME")]
    pub config: Option<String>,
    /// How long to wait for the environment's lock
    #[arg(long, default_value = "0s", value_parser = parse_duration, value_name = "DURATION")]
    pub lock_timeout: Duration,
}

#[derive(Debug, Args)]
pub struct RmArgs {
    /// The environment
    #[arg(long, value_name = "ENV")]
    pub env: String,
    /// Addresses to forget: CONFIG/TYPE.NAME (every instance) or CONFIG/TYPE.NAME[KEY]
    #[arg(value_name = "ADDRESS", required = true)]
    pub addresses: Vec<String>,
    /// How long to wait for the environment's lock
    #[arg(long, default_value = "0s", value_parser = parse_duration, value_name = "DURATION")]
    pub lock_timeout: Duration,
}

#[derive(Debug, Args)]
pub struct MvArgs {
    /// The environment
    #[arg(long, value_name = "ENV")]
    pub env: String,
    /// Where the object is recorded: CONFIG/TYPE.NAME (every instance) or CONFIG/TYPE.NAME[KEY]
    #[arg(value_name = "FROM")]
    pub from: String,
    /// Its new address: CONFIG/TYPE.NAME or CONFIG/TYPE.NAME[KEY], of the same type
    #[arg(value_name = "TO")]
    pub to: String,
    /// How long to wait for the environment's lock
    #[arg(long, default_value = "0s", value_parser = parse_duration, value_name = "DURATION")]
    pub lock_timeout: Duration,
}

pub async fn run(g: &Global, c: StateCommand) -> Result {
    // Operations of their own, which record their audit events.
    let c = match c {
        StateCommand::Restore(a) => return restore(g, a),
        StateCommand::Unlock(a) => return unlock(g, a),
        other => other,
    };
    let loaded = Loaded::load(g)?;
    let null = serde_json::Value::Null;
    // What the audit trail records of each subcommand.
    let (action, env, details) = match &c {
        StateCommand::List(a) => ("project.state.read", a.env.clone(), null),
        StateCommand::Show(a) => ("project.state.read", a.env.clone(), null),
        StateCommand::Backups(a) => ("project.state.read", a.env.clone(), null),
        StateCommand::Rm(a) => (
            "project.state.remove",
            a.env.clone(),
            serde_json::json!({ "addresses": a.addresses }),
        ),
        StateCommand::Mv(a) => (
            "project.state.move",
            a.env.clone(),
            serde_json::json!({ "from": a.from, "to": a.to }),
        ),
        StateCommand::Restore(_) | StateCommand::Unlock(_) => {
            unreachable!("their operations returned above")
        }
    };
    let result = match c {
        StateCommand::List(a) => list(&loaded, a),
        StateCommand::Show(a) => show(&loaded, a),
        StateCommand::Backups(a) => backups(&loaded, a),
        StateCommand::Rm(a) => rm(&loaded, a),
        StateCommand::Mv(a) => mv(&loaded, a).await,
        StateCommand::Restore(_) | StateCommand::Unlock(_) => {
            unreachable!("their operations returned above")
        }
    };
    loaded.audit(action, Some(&env), details, result)
}

fn store(loaded: &Loaded, env: &str) -> Result<Box<dyn StateStore>> {
    Ok(loaded.store(&loaded.environment(env)?.name))
}

/// State as the files say, with a pending journal's operations on top.
fn current(store: &dyn StateStore) -> Result<crate::state::EnvState> {
    let mut state = session::load_state(store)?;
    if let Some(records) = store.pending_journal()? {
        let (_, recovery) = crate::store::replay(&mut state, &records);
        errln!(
            "Note: an apply in this environment is running or was interrupted; this view includes the {} operation(s) in its journal.",
            recovery.replayed
        );
    }
    Ok(state)
}

fn list(loaded: &Loaded, a: ListArgs) -> Result {
    let state = current(&*store(loaded, &a.env)?)?;
    for (addr, _, _) in state.instances() {
        if a.config.as_ref().is_none_or(|c| *c == addr.resource.config) {
            outln!("{addr}");
        }
    }
    for u in state.unfinished() {
        outln!(
            "{}  (unfinished {} started at {})",
            u.address,
            u.action,
            u.started_at
        );
    }
    Ok(())
}

fn show(loaded: &Loaded, a: AddressArgs) -> Result {
    let (env, addr) = InstanceAddr::parse(&a.address).map_err(Failure::Message)?;
    if env.as_ref().is_some_and(|e| *e != a.env) {
        return Err(Failure::Message(format!(
            "{} names another environment than --env {}",
            a.address, a.env
        )));
    }
    let state = current(&*store(loaded, &a.env)?)?;
    let found: Vec<_> = state
        .instances()
        .filter(|(x, _, _)| {
            x.resource == addr.resource && (addr.key.is_none() || x.key == addr.key)
        })
        .collect();
    if found.is_empty() {
        return Err(Failure::Message(format!(
            "{} is not in the state of environment \"{}\"; `terrace state list --env {}` lists what is",
            addr, a.env, a.env
        )));
    }
    for (x, res, inst) in found {
        outln!("{}", crate::render::instance(&x, res, inst, loaded.ui.pal));
    }
    Ok(())
}

fn backups(loaded: &Loaded, a: EnvArgs) -> Result {
    let store = store(loaded, &a.env)?;
    let list = store.versions()?;
    if list.is_empty() {
        outln!(
            "No backups in environment \"{}\" yet: each apply keeps the version it replaces.",
            a.env
        );
        return Ok(());
    }
    outln!(
        "{:>6}  {:<20}  {:<25}  FILE",
        "SERIAL",
        "CONFIGURATION",
        "SAVED"
    );
    for b in list {
        let when = b.saved().unwrap_or_default();
        outln!(
            "{:>6}  {:<20}  {:<25}  {}",
            b.serial,
            b.config,
            when,
            b.path.display()
        );
    }
    outln!(
        "\nRestore a version with: terrace state restore --env {} SERIAL",
        a.env
    );
    Ok(())
}

fn restore(g: &Global, a: RestoreArgs) -> Result {
    let req = crate::ops::restore::RestoreRequest {
        root: g.project.clone(),
        env: a.env,
        serial: a.serial,
        config: a.config,
        lock_timeout: a.lock_timeout,
    };
    let report = crate::ops::restore::restore(&req, &session::Ui::detect().console())?;
    for (config, serial) in report.restored {
        if serial == 0 {
            outln!("{config}: had no state at serial {}; now empty", req.serial);
        } else {
            outln!("{config}: restored the version of serial {serial}");
        }
    }
    outln!(
        "State of environment \"{}\" is now serial {}. Run `terrace plan --env {}` to see how it compares.",
        req.env,
        report.serial,
        req.env
    );
    Ok(())
}

fn rm(loaded: &Loaded, a: RmArgs) -> Result {
    let store = store(loaded, &a.env)?;
    let lock = session::lock(&*store, "terrace state rm", a.lock_timeout)?;
    let mut state = session::recover_and_load(loaded, &*store, &lock)?;
    let mut targets = Vec::new();
    for text in &a.addresses {
        let (_, addr) = InstanceAddr::parse(text).map_err(Failure::Message)?;
        let matched: Vec<InstanceAddr> = state
            .instances()
            .map(|(x, _, _)| x)
            .filter(|x| x.resource == addr.resource && (addr.key.is_none() || x.key == addr.key))
            .collect();
        let unfinished = state.unfinished().any(|u| u.address == addr.to_string());
        if matched.is_empty() && !unfinished {
            return Err(Failure::Message(format!(
                "{addr} is not in the state of environment \"{}\"",
                a.env
            )));
        }
        targets.extend(matched);
        if unfinished {
            targets.push(addr);
        }
    }
    let mut changed = BTreeSet::new();
    for t in &targets {
        state.remove_instance(t);
        let text = t.to_string();
        if let Some(c) = state.configs.get_mut(&t.resource.config) {
            c.unfinished.retain(|u| u.address != text);
        }
        changed.insert(t.resource.config.clone());
        outln!("Removed {t} (the object itself is untouched)");
    }
    let serial = store.commit(&lock, &mut state, &changed)?;
    outln!("State of environment \"{}\" is now serial {serial}.", a.env);
    Ok(())
}

/// Parses an address given on the command line for environment `env`.
fn address_in(text: &str, env: &str) -> Result<InstanceAddr> {
    let (named, addr) = InstanceAddr::parse(text).map_err(Failure::Message)?;
    if named.as_ref().is_some_and(|e| e != env) {
        return Err(Failure::Message(format!(
            "{text} names another environment than --env {env}"
        )));
    }
    if addr.resource.mode != crate::address::Mode::Managed {
        return Err(Failure::Message(format!(
            "{text} is a data source: only managed objects are recorded"
        )));
    }
    Ok(addr)
}

/// `state mv`: every record moves in one step. The moves are journaled
/// (durably) before any state file is written, so that a crash between
/// two configurations' files is finished by the next command, as an
/// interrupted apply is.
async fn mv(loaded: &Loaded, a: MvArgs) -> Result {
    let from = address_in(&a.from, &a.env)?;
    let to = address_in(&a.to, &a.env)?;
    if from.resource.type_name != to.resource.type_name {
        return Err(Failure::Message(format!(
            "cannot move {from} to {to}: an object keeps its type ({})",
            from.resource.type_name
        )));
    }
    if loaded.project.configuration(&to.resource.config).is_none() {
        return Err(Failure::Message(format!(
            "configuration \"{}\" is not in the project: the next plan would destroy what moves there",
            to.resource.config
        )));
    }
    let store = store(loaded, &a.env)?;
    let lock = session::lock(&*store, "terrace state mv", a.lock_timeout)?;
    let mut state = session::recover_and_load(loaded, &*store, &lock)?;
    let sources: Vec<InstanceAddr> = state
        .instances()
        .map(|(x, _, _)| x)
        .filter(|x| x.resource == from.resource && (from.key.is_none() || x.key == from.key))
        .collect();
    if sources.is_empty() {
        return Err(Failure::Message(format!(
            "{from} is not in the state of environment \"{}\"; `terrace state list --env {}` lists what is",
            a.env, a.env
        )));
    }
    if state
        .unfinished()
        .any(|u| sources.iter().any(|s| u.address == s.to_string()))
    {
        return Err(Failure::Message(format!(
            "{from} has an unfinished operation: settle it with a plan and apply first"
        )));
    }
    let moves: Vec<(InstanceAddr, InstanceAddr)> = match (&from.key, &to.key) {
        (None, None) => sources
            .iter()
            .map(|s| (s.clone(), to.resource.instance(s.key.clone())))
            .collect(),
        _ if sources.len() == 1 => vec![(sources[0].clone(), to.clone())],
        _ => {
            return Err(Failure::Message(format!(
                "{from} has {} instances and {to} names one: move them one by one, or name the whole resource on both sides",
                sources.len()
            )));
        }
    };
    if moves.iter().all(|(f, t)| f == t) {
        return Err(Failure::Message(format!("{from} is already at {to}")));
    }
    for (_, t) in &moves {
        if state.instance(t).is_some() && !moves.iter().any(|(f, _)| f == t) {
            return Err(Failure::Message(format!(
                "{t} already holds an object: remove it first (terrace state rm) or choose another address"
            )));
        }
    }
    let journal = store
        .begin_journal(&lock, &state)
        .map_err(|e| session::state_failure(&*store, e))?;
    let mut records = Vec::new();
    let mut changed = BTreeSet::new();
    // Sources and destinations never overlap (checked above), so each
    // object moves on its own.
    for (f, t) in &moves {
        let Some((attributes, deps)) = state.move_instance(f, t) else {
            continue;
        };
        changed.insert(f.resource.config.clone());
        changed.insert(t.resource.config.clone());
        records.push(crate::state::Record::Done {
            address: f.to_string(),
            action: "move".into(),
            attributes: None,
            dependencies: None,
        });
        records.push(crate::state::Record::Done {
            address: t.to_string(),
            action: "move".into(),
            attributes: Some(attributes),
            dependencies: deps,
        });
        outln!("Moved {f} to {t}");
    }
    let journal_err = |e: crate::state::JournalError| session::state_failure(&*store, e.into());
    if let Some((last, rest)) = records.split_last() {
        for r in rest {
            journal.append(r).map_err(journal_err)?;
        }
        journal.append_durable(last).await.map_err(journal_err)?;
    }
    let serial = store.commit(&lock, &mut state, &changed)?;
    store
        .end_journal(journal)
        .map_err(|e| session::state_failure(&*store, e))?;
    let hint = if from.resource.config == to.resource.config {
        "Rename the resource in the definitions to match (or use a moved block instead, which every environment applies)."
    } else {
        "Move the resource block to the other configuration's architecture to match."
    };
    outln!(
        "State of environment \"{}\" is now serial {serial}. {hint}",
        a.env
    );
    Ok(())
}

fn unlock(g: &Global, a: EnvArgs) -> Result {
    let req = crate::ops::unlock::UnlockRequest {
        root: g.project.clone(),
        env: a.env,
    };
    let report = crate::ops::unlock::unlock(&req, &session::Ui::detect().console())?;
    match report.broken {
        Some(info) => {
            outln!(
                "Broke the stale lock of environment \"{}\": {info}.",
                req.env
            );
            if report.journal {
                outln!("Its apply journal is still there; the next plan or apply recovers it.");
            }
        }
        None => outln!("Environment \"{}\" is not locked.", req.env),
    }
    Ok(())
}
