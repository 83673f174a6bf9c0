//! What most commands share: the terminal's colours, reporting
//! diagnostics, and short ways to the [`ops`] layer's workspace, locks and
//! state for the commands that are not operations.

use super::front::Console;
use super::{Failure, Global, Result};
use crate::config::Environment;
use crate::diag::{Diagnostics, SourceMap};
use crate::eval::ProjectGraph;
use crate::ops;
use crate::render::Palette;
use crate::state::EnvState;
use crate::store::{Lock, StateError, StateStore};
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

    /// The front end that shows operations with these colours.
    pub fn console(&self) -> Console<'static> {
        Console::new(*self)
    }
}

/// A loaded project (see [`ops::Workspace`]) and how to show things.
pub struct Loaded {
    pub ws: ops::Workspace,
    pub ui: Ui,
}

impl std::ops::Deref for Loaded {
    type Target = ops::Workspace;
    fn deref(&self) -> &ops::Workspace {
        &self.ws
    }
}

impl std::ops::DerefMut for Loaded {
    fn deref_mut(&mut self) -> &mut ops::Workspace {
        &mut self.ws
    }
}

impl Loaded {
    /// Loads the project. Fails at once only when files cannot be read or
    /// parsed; other problems wait for [`Loaded::graph`].
    pub fn load(g: &Global) -> Result<Loaded> {
        let ui = Ui::detect();
        let ws = ops::Workspace::load(&g.project, &ui.console())?;
        Ok(Loaded { ws, ui })
    }

    /// The graph, or every problem found so far.
    pub fn graph(&self) -> Result<ProjectGraph<'_>> {
        Ok(self.ws.graph(&self.ui.console())?)
    }

    /// Appends an audit event about `env`; a trail that cannot be written
    /// is a warning, not a reason to undo the command.
    pub fn audit(
        &self,
        action: &str,
        env: Option<&str>,
        details: serde_json::Value,
        result: Result,
    ) -> Result {
        let reason = match &result {
            Ok(()) | Err(Failure::Changes) => None,
            Err(Failure::Op(e)) => Some(e.reason()),
            Err(Failure::Message(m)) => Some(m.clone()),
            Err(Failure::Reported | Failure::Code(_)) => Some("see the command's output".into()),
        };
        let records = self.records();
        let trail = ops::records::Trail {
            records: &records,
            project: &self.project.name,
            started: self.started,
        };
        ops::records::audit(&trail, action, env, reason, details, &self.ui.console());
        result
    }

    /// The environment named `name`, or an error listing the others.
    pub fn environment(&self, name: &str) -> Result<&Environment> {
        Ok(self.ws.environment(name)?)
    }

    /// Reports diagnostics against this project's sources.
    pub fn report(&self, diags: Diagnostics) {
        self.ui.report(diags, &self.project.sources);
    }
}

/// Takes the environment's lock, explaining a refusal.
pub fn lock(store: &dyn StateStore, command: &str, timeout: Duration) -> Result<Lock> {
    Ok(ops::lock(store, command, timeout)?)
}

/// Replays a journal left by an interrupted apply, telling the user what
/// it found; then loads the state.
pub fn recover_and_load(loaded: &Loaded, store: &dyn StateStore, lock: &Lock) -> Result<EnvState> {
    Ok(ops::recover_and_load(store, lock, &loaded.ui.console())?)
}

/// Loads an environment's state, explaining a damaged file.
pub fn load_state(store: &dyn StateStore) -> Result<EnvState> {
    Ok(ops::load_state(store)?)
}

/// Explains a state error, naming the backups to restore from.
pub fn state_failure(store: &dyn StateStore, e: StateError) -> Failure {
    ops::Error::state(store.env(), e).into()
}

pub use crate::ops::parse_duration;
