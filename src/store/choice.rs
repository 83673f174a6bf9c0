//! Which backend keeps a project's records, chosen once per run:
//! `TERRACE_BACKEND` (`local` or `postgres`, for a pipeline) wins over the
//! project's `backend` block; without either, local files.
//!
//! Opening the PostgreSQL backend connects and checks the schema; a
//! database that cannot be reached, or has no terrace schema, stops the
//! run before anything is written anywhere (no fallback to local files).
//! Its URL may hold a password, so it is read into a [`Secret`] and never
//! named in an error or a log: errors name the variable, not its value.

use super::postgres::{Init, OpenError, PostgresBackend};
use super::{Backend, LocalBackend};
use crate::config::{self, BackendKind, DATABASE_URL_VARIABLE};
use crate::value::Secret;
use std::path::Path;
use std::sync::Arc;

/// The environment variable that chooses the backend for a run.
pub const BACKEND_VARIABLE: &str = "TERRACE_BACKEND";

/// The backend chosen for a run, and what chose it.
#[derive(Debug, Clone, PartialEq)]
pub struct BackendChoice {
    pub kind: BackendKind,
    /// `TERRACE_BACKEND`, the project's `backend` block, or the default.
    pub chosen_by: &'static str,
    /// The project whose records these are: a database keys them by it.
    pub project: String,
}

/// Why the chosen backend cannot be used.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ChoiceError {
    #[error(
        "{BACKEND_VARIABLE} is set to something other than `local` or `postgres` (its value is not shown: it may hold a credential)"
    )]
    UnknownSetting,
    #[error(
        "the postgres backend (chosen by {chosen_by}) needs the database URL in the environment variable {variable}, which is not set"
    )]
    MissingUrl {
        chosen_by: &'static str,
        variable: String,
    },
    #[error("the postgres backend (chosen by {chosen_by}): {cause}")]
    Database {
        chosen_by: &'static str,
        cause: OpenError,
    },
}

impl BackendChoice {
    /// The choice for project `project` declaring `declared`, with
    /// `TERRACE_BACKEND` set to `setting`.
    pub fn new(
        project: &str,
        declared: Option<&config::Backend>,
        setting: Option<&str>,
    ) -> Result<BackendChoice, ChoiceError> {
        let from_project = || declared.map(|b| b.kind.clone());
        let (kind, chosen_by) = match setting.map(str::trim).filter(|s| !s.is_empty()) {
            Some("local") => (BackendKind::Local, BACKEND_VARIABLE),
            Some("postgres") => {
                // The project's block may name the URL's variable.
                let kind = match from_project() {
                    Some(k @ BackendKind::Postgres { .. }) => k,
                    _ => BackendKind::Postgres {
                        url_variable: DATABASE_URL_VARIABLE.to_string(),
                    },
                };
                (kind, BACKEND_VARIABLE)
            }
            Some(_) => return Err(ChoiceError::UnknownSetting),
            None => match from_project() {
                Some(k) => (k, "the project's backend block"),
                None => (BackendKind::Local, "default"),
            },
        };
        Ok(BackendChoice {
            kind,
            chosen_by,
            project: project.to_string(),
        })
    }

    /// The choice for `project` in this process's environment.
    pub fn for_project(project: &config::Project) -> Result<BackendChoice, ChoiceError> {
        let setting = std::env::var(BACKEND_VARIABLE).ok();
        BackendChoice::new(&project.name, project.backend.as_ref(), setting.as_deref())
    }

    /// The variable holding the database URL, if the choice reads one:
    /// commands and plugins never inherit it.
    pub fn secret_variable(&self) -> Option<&str> {
        match &self.kind {
            BackendKind::Postgres { url_variable } => Some(url_variable),
            BackendKind::Local => None,
        }
    }

    /// Opens the chosen backend for the project at `root`: a database is
    /// connected to and its schema checked.
    pub fn open(&self, root: &Path) -> Result<Arc<dyn Backend>, ChoiceError> {
        match &self.kind {
            BackendKind::Local => Ok(Arc::new(LocalBackend::new(root))),
            BackendKind::Postgres { url_variable } => {
                let url = self.url(url_variable)?;
                let backend =
                    PostgresBackend::open(&url, url_variable, &self.project).map_err(|cause| {
                        ChoiceError::Database {
                            chosen_by: self.chosen_by,
                            cause,
                        }
                    })?;
                Ok(Arc::new(backend))
            }
        }
    }

    /// Creates or upgrades the chosen database's schema (`terrace backend
    /// init`); `None` for local files, which need nothing.
    pub fn init(&self) -> Result<Option<Init>, ChoiceError> {
        match &self.kind {
            BackendKind::Local => Ok(None),
            BackendKind::Postgres { url_variable } => {
                let url = self.url(url_variable)?;
                PostgresBackend::init(&url, url_variable)
                    .map(Some)
                    .map_err(|cause| ChoiceError::Database {
                        chosen_by: self.chosen_by,
                        cause,
                    })
            }
        }
    }

    /// The database URL from `variable`.
    fn url(&self, variable: &str) -> Result<Secret, ChoiceError> {
        std::env::var(variable)
            .ok()
            .filter(|u| !u.trim().is_empty())
            .map(Secret::new)
            .ok_or_else(|| ChoiceError::MissingUrl {
                chosen_by: self.chosen_by,
                variable: variable.to_string(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn postgres(var: &str) -> config::Backend {
        config::Backend {
            kind: BackendKind::Postgres {
                url_variable: var.into(),
            },
            span: crate::diag::Span::default(),
        }
    }

    #[test]
    fn the_variable_wins_over_the_project_block_and_local_is_the_default() {
        let block = postgres("DB_URL");
        let chosen = |setting| BackendChoice::new("p", Some(&block), setting).unwrap().kind;
        assert_eq!(chosen(Some("local")), BackendKind::Local);
        assert_eq!(chosen(None), block.kind);
        assert_eq!(chosen(Some("postgres")), block.kind);
        assert_eq!(
            BackendChoice::new("p", None, Some("postgres"))
                .unwrap()
                .kind,
            BackendKind::Postgres {
                url_variable: DATABASE_URL_VARIABLE.into()
            }
        );
        assert_eq!(
            BackendChoice::new("p", None, None).unwrap().kind,
            BackendKind::Local
        );
        assert_eq!(
            BackendChoice::new("p", None, Some("postgres://u:pw@h/db")),
            Err(ChoiceError::UnknownSetting)
        );
    }
}
