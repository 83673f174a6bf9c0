//! [`Workspace`]: a loaded project (from the working tree or from a
//! release) with what every operation needs from it: the graph, the
//! resource types, environments, stores, locks and the audit trail.

use super::{Error, Front, Notice, Result};
use crate::config::{Environment, Project};
use crate::diag::Diagnostics;
use crate::eval::ProjectGraph;
use crate::project::Records;
use crate::project::release::Release;
use crate::provider::Registry;
use crate::state::EnvState;
use crate::store::{BackendChoice, ChoiceError, Lock, ReadAhead, StateStore};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// A loaded project with its graph, ready for any environment.
pub struct Workspace {
    pub project: Project,
    /// The resource types, plugins included: started the first time an
    /// operation needs them, never for `status`, `audit` and the like.
    registry: OnceLock<(Registry, Diagnostics)>,
    /// Problems found while loading, reported with the graph's so that a
    /// run shows them all at once.
    load_diags: Diagnostics,
    /// The project variables' values for this run (see [`super::vars`]).
    pub vars: crate::value::Map,
    /// Environment variables no command or plugin inherits: those holding
    /// a credential (see [`Workspace::withhold`]).
    withheld: Vec<String>,
    /// When the operation started: it loads its workspace first.
    pub started: std::time::SystemTime,
    /// Where the project's records live, chosen once for the run.
    records: Records,
}

/// The loaded project and its diagnostics, or an error when the files
/// could not be read or parsed (nothing can be run on them then).
pub(super) fn usable(project: Project, diags: Diagnostics) -> Result<(Project, Diagnostics)> {
    let unusable = diags.iter().any(|d| {
        d.is_error()
            && matches!(
                d.code,
                "config::syntax" | "config::read" | "config::no_project"
            )
    });
    if unusable {
        return Err(Error::Diagnostics {
            diags,
            sources: Arc::new(project.sources),
        });
    }
    Ok((project, diags))
}

impl Workspace {
    /// Loads the project in `root`, fetching the catalog versions it pins
    /// first. Fails at once only when files cannot be read or parsed;
    /// other problems wait for [`Workspace::graph`].
    pub fn load(root: &Path, front: &dyn Front) -> Result<Workspace> {
        let started = std::time::SystemTime::now();
        prepare_catalog(root, front)?;
        let (project, diags) = crate::config::load(root);
        let mut diags = diags;
        diags.extend(crate::policy::check(&project));
        Workspace::checked(project, diags, started, None)
    }

    /// Loads the project's definitions from release `id` (kept when an
    /// environment applied it) instead of the working tree; the records
    /// stay the working tree's (same backend), and so do the policies: a
    /// release is planned under the environments' rules of now, checked
    /// when the working tree was loaded.
    pub fn load_release(&self, id: &str) -> Result<Workspace> {
        let started = std::time::SystemTime::now();
        let root = &self.project.root;
        let records = self.records();
        let short = crate::project::release::short(id);
        let kept = records.backend().release_manifest(id).map(|m| m.is_some());
        if crate::project::release::valid_id(id) && matches!(kept, Ok(false)) {
            return Err(Error::Refused(format!(
                "release {short} is not kept in {}: it was never applied in this project, or its records were removed",
                records.backend().release_location(id).display()
            )));
        }
        let dir = Release::verified_files(&records, id)?;
        let (mut project, diags) = crate::config::load_from(root, &dir);
        project.policies = self
            .project
            .policies
            .iter()
            .map(|p| crate::config::Policy {
                file: None, // a file id of the working tree's sources
                ..p.clone()
            })
            .collect();
        if project.definitions_hash != id && !diags.has_errors() {
            return Err(Error::Refused(format!(
                "release {short} is damaged: its files no longer hash to its id"
            )));
        }
        Workspace::checked(project, diags, started, Some(records))
    }

    /// The workspace of a loaded project, its records in `records` or, when
    /// `None`, in the backend the project and `TERRACE_BACKEND` choose.
    fn checked(
        project: Project,
        diags: Diagnostics,
        started: std::time::SystemTime,
        records: Option<Records>,
    ) -> Result<Workspace> {
        let (project, diags) = usable(project, diags)?;
        // No command or plugin inherits a variable holding a credential.
        let mut withheld = credential_variables(&project);
        let records = match records {
            Some(r) => r,
            None => {
                let choice = BackendChoice::for_project(&project).map_err(refused)?;
                withheld.extend(
                    choice
                        .secret_variable()
                        .filter(|v| !withheld.iter().any(|w| w == v))
                        .map(str::to_string),
                );
                let backend = choice.open(&project.root).map_err(refused)?;
                Records::with_backend(&project.root, backend)
            }
        };
        Ok(Workspace {
            project,
            registry: OnceLock::new(),
            load_diags: diags,
            vars: crate::value::Map::new(),
            withheld,
            started,
            records,
        })
    }

    /// Withholds the credential variables of `other` too (a promotion runs
    /// a release's definitions beside the working tree's): call before the
    /// resource types are first used.
    pub fn withhold(&mut self, other: &Workspace) {
        for name in &other.withheld {
            if !self.withheld.contains(name) {
                self.withheld.push(name.clone());
            }
        }
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

    /// The graph, or every problem found so far; warnings go to `front`.
    pub fn graph(&self, front: &dyn Front) -> Result<ProjectGraph<'_>> {
        let (graph, diags) = self.graph_and_diagnostics();
        self.check(diags, front)?;
        Ok(graph)
    }

    /// The resource types, and the problems starting plugins had.
    fn types(&self) -> &(Registry, Diagnostics) {
        self.registry
            .get_or_init(|| Registry::for_project(&self.project, &self.withheld))
    }

    /// The resource types available to the project.
    pub fn registry(&self) -> &Registry {
        &self.types().0
    }

    /// The project's records, in the backend chosen for the run.
    pub fn records(&self) -> Records {
        self.records.clone()
    }

    /// Diagnostics as an error, with this project's sources.
    pub fn error(&self, diags: Diagnostics) -> Error {
        Error::Diagnostics {
            diags,
            sources: Arc::new(self.project.sources.clone()),
        }
    }

    /// Passes warnings to `front`, or fails with every diagnostic when
    /// one is an error.
    pub fn check(&self, diags: Diagnostics, front: &dyn Front) -> Result {
        if diags.has_errors() {
            return Err(self.error(diags));
        }
        if !diags.is_empty() {
            front.diagnostics(diags, &self.project.sources);
        }
        Ok(())
    }

    /// Appends an audit event about `env`; its outcome and reason come from
    /// `result`. A trail that cannot be written is a warning to `front`,
    /// not a reason to undo the operation.
    pub fn audit<T>(
        &self,
        action: &str,
        env: Option<&str>,
        details: serde_json::Value,
        result: &Result<T>,
        front: &dyn Front,
    ) {
        let records = self.records();
        let trail = super::records::Trail {
            records: &records,
            project: &self.project.name,
            started: self.started,
        };
        super::records::audit(
            &trail,
            action,
            env,
            result.as_ref().err().map(Error::reason),
            details,
            front,
        );
    }

    /// The environment's credential, resolved now: a missing one is an
    /// error before anything is planned or changed.
    pub fn authorization(&self, env: &Environment) -> Result<Option<crate::value::Secret>> {
        crate::eval::authorization(&self.project, env).map_err(|d| self.error(d.into()))
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
            Error::Refused(format!(
                "there is no environment \"{name}\"{hint}; the project has: {}",
                names.join(", ")
            ))
        })
    }

    /// The environment's state records, in the project's backend.
    pub fn store(&self, env: &str) -> Box<dyn StateStore> {
        self.records.state(env)
    }
}

/// A backend that cannot be used, as a refusal.
fn refused(e: ChoiceError) -> Error {
    Error::Refused(e.to_string())
}

/// The variables the project's `authorization` blocks read, and the one
/// its `backend` block reads a database URL from (even when
/// `TERRACE_BACKEND` chooses another backend for the run).
fn credential_variables(project: &Project) -> Vec<String> {
    let backend = match project.backend.as_ref().map(|b| &b.kind) {
        Some(crate::config::BackendKind::Postgres { url_variable }) => Some(url_variable.as_str()),
        _ => None,
    };
    project
        .environments
        .iter()
        .filter_map(|e| e.authorization.as_ref()?.variable())
        .chain(backend)
        .map(str::to_string)
        .collect()
}

/// `path` made absolute (left as it is when it cannot be).
pub fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Fetches the catalog versions the project files pin and the cache lacks,
/// telling `front` which.
pub fn prepare_catalog(root: &Path, front: &dyn Front) -> Result {
    let prepared = crate::catalog::prepare(root)?;
    for f in &prepared.fetched {
        front.notice(Notice::Fetched {
            pin: f.pin.to_string(),
            url: &f.url,
        });
    }
    Ok(())
}

/// Takes the environment's lock.
pub fn lock(store: &dyn StateStore, command: &str, timeout: Duration) -> Result<Lock> {
    store
        .lock(command, timeout)
        .map_err(|e| Error::state(store.env(), e))
}

/// Replays a journal left by an interrupted apply, telling `front` what it
/// found; then loads the state.
pub fn recover_and_load(
    store: &dyn StateStore,
    lock: &Lock,
    front: &dyn Front,
) -> Result<EnvState> {
    recover_and_load_ahead(store, lock, front, ReadAhead::default())
}

/// [`recover_and_load`], taking what `ahead` read meanwhile where it is
/// still current.
pub fn recover_and_load_ahead(
    store: &dyn StateStore,
    lock: &Lock,
    front: &dyn Front,
    ahead: ReadAhead,
) -> Result<EnvState> {
    let recovery = store
        .recover(lock)
        .map_err(|e| Error::state(store.env(), e))?;
    if recovery.replayed > 0 || !recovery.unfinished.is_empty() {
        front.notice(Notice::Recovered {
            env: store.env(),
            recovery: &recovery,
        });
    }
    store
        .load_ahead(ahead)
        .map_err(|e| Error::state(store.env(), e))
}

/// Loads an environment's state, explaining a damaged file.
pub fn load_state(store: &dyn StateStore) -> Result<EnvState> {
    store.load().map_err(|e| Error::state(store.env(), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(dir: &Path, variable: &str) {
        std::fs::write(
            dir.join("project.hcl"),
            format!(
                "project \"p\" {{}}\nenvironment \"dev\" {{\n  authorization {{\n    api_key = env(\"{variable}\")\n  }}\n}}\n"
            ),
        )
        .unwrap();
    }

    #[test]
    fn a_promotion_withholds_the_credential_variables_of_both_definition_sets() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        project(a.path(), "RELEASE_KEY");
        project(b.path(), "WORKING_KEY");
        let mut release = Workspace::load(a.path(), &super::super::Quiet).unwrap();
        let working = Workspace::load(b.path(), &super::super::Quiet).unwrap();
        assert_eq!(release.withheld, ["RELEASE_KEY"]);
        assert_eq!(working.withheld, ["WORKING_KEY"]);
        release.withhold(&working);
        assert_eq!(release.withheld, ["RELEASE_KEY", "WORKING_KEY"]);
    }
}
