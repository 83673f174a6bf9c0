//! What most commands share: loading the project and reporting its
//! diagnostics, finding the environment, taking its lock, recovering from
//! a crashed apply, and the terminal's colours.

use super::{Failure, Global, Result};
use crate::config::{Environment, Project};
use crate::diag::{Diagnostics, SourceMap};
use crate::eval::ProjectGraph;
use crate::project::Records;
use crate::project::release::Release;
use crate::provider::Registry;
use crate::render::Palette;
use crate::state::{EnvState, Lock, LockError, StateError, Store};
use std::io::IsTerminal;
use std::time::Duration;

/// Colours for standard output and standard error.
#[derive(Clone, Copy)]
pub struct Ui {
    pub pal: Palette,
    pub pal_err: Palette,
    pub width: usize,
    /// `--json`: diagnostics go to standard output as JSON lines.
    pub json: bool,
}

impl Ui {
    /// Colour only on a terminal, and never with `NO_COLOR` set.
    pub fn detect() -> Ui {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Ui {
            pal: Palette {
                color: !no_color && std::io::stdout().is_terminal(),
            },
            pal_err: Palette {
                color: !no_color && std::io::stderr().is_terminal(),
            },
            width: 100,
            json: false,
        }
    }

    /// Prints diagnostics to standard error, errors and warnings alike.
    pub fn report(&self, diags: Diagnostics, sources: &SourceMap) {
        if let Some(first) = diags.iter().find(|d| d.is_error())
            && let Ok(mut last) = LAST_ERROR.lock()
        {
            *last = Some(format!("{}: {}", first.code, first.message));
        }
        if self.json {
            super::stream::JsonStream::new("").diagnostics(diags, sources);
            return;
        }
        let list = diags.into_sorted();
        let errors = list.iter().filter(|d| d.is_error()).count();
        for d in &list {
            err!(
                "{}",
                crate::diag::render(d, sources, self.pal_err.color, self.width)
            );
            errln!();
        }
        if errors > 1 {
            errln!("{} {errors} errors", self.pal_err.red("Found"));
        }
    }
}

/// The first error of the last diagnostics reported, for the audit trail's
/// reason when a command fails after reporting them.
static LAST_ERROR: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

/// What the last reported diagnostics said, if they held an error.
pub fn last_error() -> Option<String> {
    LAST_ERROR.lock().ok().and_then(|l| l.clone())
}

/// A loaded project with its graph, ready for any environment.
pub struct Loaded {
    pub project: Project,
    pub ui: Ui,
    /// The resource types, plugins included: started the first time a
    /// command needs them, never for `status`, `audit` and the like.
    registry: std::sync::OnceLock<(Registry, Diagnostics)>,
    /// Problems found while loading, reported with the graph's so that a
    /// run shows them all at once.
    load_diags: Diagnostics,
    /// The project variables' values for this run (see [`super::vars`]).
    pub vars: crate::value::Map,
}

impl Loaded {
    /// Loads the project. Fails at once only when files cannot be read or
    /// parsed; other problems wait for [`Loaded::graph`].
    pub fn load(g: &Global) -> Result<Loaded> {
        let ui = Ui::detect();
        prepare_catalog(&g.project, &ui)?;
        let (project, diags) = crate::config::load(&g.project);
        Loaded::checked(project, diags)
    }

    /// Loads the project's definitions from release `id` (kept when an
    /// environment applied it) instead of the working tree.
    pub fn load_release(g: &Global, id: &str) -> Result<Loaded> {
        let root = std::path::absolute(&g.project).unwrap_or_else(|_| g.project.clone());
        let records = Records::new(&root);
        let short = crate::project::release::short(id);
        if crate::project::release::valid_id(id) && !Release::dir(&records, id).is_dir() {
            return Err(Failure::Message(format!(
                "release {short} is not in {}: it was never applied in this project, or its records were removed",
                records.dir().join("releases").display()
            )));
        }
        let dir = Release::verified_files(&records, id).map_err(super::records::failure)?;
        let (project, diags) = crate::config::load_from(&root, &dir);
        if project.definitions_hash != id && !diags.has_errors() {
            return Err(Failure::Message(format!(
                "release {short} is damaged: its files no longer hash to its id"
            )));
        }
        Loaded::checked(project, diags)
    }

    fn checked(project: Project, diags: Diagnostics) -> Result<Loaded> {
        let ui = Ui::detect();
        // No command or plugin inherits a variable holding a credential.
        crate::provider::withhold_env(
            project
                .environments
                .iter()
                .filter_map(|e| e.authorization.as_ref()?.variable())
                .map(str::to_string)
                .collect(),
        );
        let unusable = diags.iter().any(|d| {
            d.is_error()
                && matches!(
                    d.code,
                    "config::syntax" | "config::read" | "config::no_project"
                )
        });
        if unusable {
            ui.report(diags, &project.sources);
            return Err(Failure::Reported);
        }
        Ok(Loaded {
            project,
            ui,
            registry: std::sync::OnceLock::new(),
            load_diags: diags,
            vars: crate::value::Map::new(),
        })
    }

    /// Builds the graph and checks every resource against its type; with
    /// the loading problems, every diagnostic found so far.
    pub fn graph_and_diagnostics(&self) -> (ProjectGraph<'_>, Diagnostics) {
        let (graph, diags) = ProjectGraph::build(&self.project);
        let mut all = self.load_diags.clone();
        all.extend(diags);
        let (registry, plugin_diags) = self.types();
        all.extend(plugin_diags.clone());
        all.extend(crate::plan::check_schemas(&graph, registry));
        (graph, all)
    }

    /// The graph, or every problem found so far, reported.
    pub fn graph(&self) -> Result<ProjectGraph<'_>> {
        let (graph, diags) = self.graph_and_diagnostics();
        check(self, diags)?;
        Ok(graph)
    }

    /// The resource types, and the problems starting plugins had.
    fn types(&self) -> &(Registry, Diagnostics) {
        self.registry
            .get_or_init(|| Registry::for_project(&self.project))
    }

    /// The resource types available to the project.
    pub fn registry(&self) -> &Registry {
        &self.types().0
    }

    /// The project's records (`.terrace/`).
    pub fn records(&self) -> Records {
        Records::new(&self.project.root)
    }

    /// Appends an audit event about `env` (and `config`); a trail that
    /// cannot be written is a warning, not a reason to undo the command.
    pub fn audit(
        &self,
        action: &str,
        env: Option<&str>,
        details: serde_json::Value,
        result: Result,
    ) -> Result {
        super::records::audit(
            &self.records(),
            &self.project.name,
            action,
            env,
            &result,
            details,
        );
        result
    }

    /// The environment's credential, resolved now: a missing one is an
    /// error before anything is planned or changed.
    pub fn authorization(&self, env: &Environment) -> Result<Option<crate::value::Secret>> {
        crate::eval::authorization(&self.project, env).map_err(|d| {
            self.report(d.into());
            Failure::Reported
        })
    }

    /// The environment named `name`, or an error listing the others.
    pub fn environment(&self, name: &str) -> Result<&Environment> {
        self.project.environment(name).ok_or_else(|| {
            let names: Vec<&str> = self
                .project
                .environments
                .iter()
                .map(|e| e.name.as_str())
                .collect();
            let hint = crate::diag::did_you_mean(name, names.iter().copied())
                .map(|s| format!(" (did you mean \"{s}\"?)"))
                .unwrap_or_default();
            Failure::Message(format!(
                "there is no environment \"{name}\"{hint}; the project has: {}",
                names.join(", ")
            ))
        })
    }

    /// The environment's store; `TERRACE_BACKUPS=N` keeps N backups per
    /// configuration instead of 20.
    pub fn store(&self, env: &str) -> Store {
        let mut store = Store::new(&self.project.root, env);
        if let Some(n) = std::env::var("TERRACE_BACKUPS")
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
        {
            store.keep_backups = n.max(1);
        }
        store
    }

    /// Reports diagnostics against this project's sources.
    pub fn report(&self, diags: Diagnostics) {
        self.ui.report(diags, &self.project.sources);
    }
}

/// Fetches the catalog versions the project files pin and the cache lacks,
/// saying which.
pub fn prepare_catalog(root: &std::path::Path, ui: &Ui) -> Result {
    let prepared = crate::catalog::prepare(root)?;
    for f in &prepared.fetched {
        errln!("{} {} from {}", ui.pal_err.green("Fetched"), f.pin, f.url);
    }
    Ok(())
}

/// Takes the environment's lock, explaining a refusal.
pub fn lock(store: &Store, command: &str, timeout: Duration) -> Result<Lock> {
    store
        .lock(command, timeout)
        .map_err(|e| lock_failure(store, e))
}

fn lock_failure(store: &Store, e: StateError) -> Failure {
    let env = store.env();
    Failure::Message(match e {
        StateError::Lock(LockError::Held(info)) => format!(
            "environment \"{env}\" is locked by {info}.\n\
             Wait for it to finish, or retry with --lock-timeout 5m to wait up to five minutes."
        ),
        StateError::Lock(LockError::Stale(info)) => format!(
            "environment \"{env}\" has a stale lock: {info}, and that process is no longer running.\n\
             It probably stopped during an operation; terrace will recover its journal on the next run.\n\
             Break the lock with: terrace state unlock --env {env}"
        ),
        other => other.to_string(),
    })
}

/// Parses `--lock-timeout` values: `0`, `30s`, `5m`, `1h`, `500ms`.
pub fn parse_duration(s: &str) -> std::result::Result<Duration, String> {
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
    Ok(Duration::from_secs_f64(secs))
}

/// Replays a journal left by an interrupted apply, telling the user what
/// it found; then loads the state.
pub fn recover_and_load(loaded: &Loaded, store: &Store, lock: &Lock) -> Result<EnvState> {
    let recovery = store.recover(lock).map_err(|e| state_failure(store, e))?;
    if recovery.replayed > 0 || !recovery.unfinished.is_empty() {
        let pal = loaded.ui.pal_err;
        errln!(
            "{} the last apply in environment \"{}\" did not finish; {} completed operation(s) were recovered from its journal.",
            pal.yellow("Recovered:"),
            store.env(),
            recovery.replayed
        );
        for u in &recovery.unfinished {
            errln!(
                "{} {} of {} started at {} and was never recorded as finished: the object may or may not exist.",
                pal.yellow("Unfinished:"),
                u.action,
                u.address,
                u.started_at
            );
        }
        errln!();
    }
    load_state(store)
}

/// Why planning would create again objects that exist (state files gone
/// while the records say the environment is deployed), unless the user
/// said `--allow-recreate` or is destroying.
pub fn lost_state(
    loaded: &Loaded,
    store: &Store,
    flags: &super::plan::PlanFlags,
    destroy: bool,
) -> Option<String> {
    if flags.allow_recreate || destroy {
        return None;
    }
    crate::project::release::lost_state(&loaded.records(), store)
}

/// Loads an environment's state, explaining a damaged file.
pub fn load_state(store: &Store) -> Result<EnvState> {
    store.load().map_err(|e| state_failure(store, e))
}

/// Explains a state error, naming the backups to restore from.
pub fn state_failure(store: &Store, e: StateError) -> Failure {
    match e {
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
                    "\nRestore the newest with: terrace state restore --env {} {}",
                    store.env(),
                    backups[0].serial
                ));
            }
            Failure::Message(msg)
        }
        other => Failure::Message(other.to_string()),
    }
}

/// Reports diagnostics that are only warnings, or fails on errors.
pub fn check(loaded: &Loaded, diags: Diagnostics) -> Result {
    let failed = diags.has_errors();
    if !diags.is_empty() {
        loaded.report(diags);
    }
    if failed {
        Err(Failure::Reported)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_durations() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("-1s").is_err());
    }
}
