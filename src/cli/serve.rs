//! `terrace serve`: the API server ([`crate::server`]); `serve token
//! create`, `serve grant` and `serve revoke` manage its access records on
//! the server's host; `serve tfstate list|restore` the versions of the
//! Terraform states it keeps.

use super::{Failure, Result};
use crate::apply::Cancel;
use crate::server::access::{self, Grant, TokenRecord};
use crate::server::role::Role;
use crate::server::{Server, tfstate, token};
use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ServeArgs {
    #[command(subcommand)]
    pub command: Option<ServeCommand>,
    /// The address to listen on (port 0: any free port; the address taken is printed)
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// A project directory to serve; repeat for more (each is named by its `project` block)
    #[arg(long = "project", id = "project", value_name = "DIR")]
    pub projects: Vec<PathBuf>,
    /// Answer over TLS with this certificate chain (PEM); needs --tls-key
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM)
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Where tokens, grants, sessions, kept plans, jobs and Terraform states are kept when the records are in local files
    #[arg(
        long,
        global = true,
        value_name = "DIR",
        default_value = ".terrace-serve"
    )]
    pub data_dir: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum ServeCommand {
    /// API tokens: `token create --user NAME` prints a new one, once
    #[command(subcommand)]
    Token(TokenCommand),
    /// Give a user a role on a project (replacing the role they had there)
    Grant(GrantArgs),
    /// Take a user's role on a project away
    Revoke(RevokeArgs),
    /// The Terraform states kept by the server's HTTP state backend
    #[command(subcommand)]
    Tfstate(TfstateCommand),
}

#[derive(Debug, Subcommand)]
pub enum TfstateCommand {
    /// Every version of a state, oldest first (`*` marks the current one)
    List(TfstateArgs),
    /// Write an old version's content again as the current version, with a serial above the current one
    #[command(disable_version_flag = true)]
    Restore {
        #[command(flatten)]
        state: TfstateArgs,
        /// The version to restore (its number in `tfstate list`)
        #[arg(long, value_name = "N")]
        version: i64,
    },
    /// Release the state's lock whoever holds it (a lock whose Terraform is gone)
    Unlock(TfstateArgs),
}

#[derive(Debug, Args)]
pub struct TfstateArgs {
    /// The project's name (its `project` block)
    #[arg(long, id = "project", value_name = "NAME")]
    pub project: ProjectName,
    /// The state's name (the last part of the backend's address)
    #[arg(long, value_name = "NAME")]
    pub name: String,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Make a token for a user and print it (only its hash is kept)
    Create {
        /// The user the token signs in as
        #[arg(long, value_name = "NAME")]
        user: String,
    },
}

#[derive(Debug, Args)]
pub struct GrantArgs {
    #[arg(long, value_name = "NAME")]
    pub user: String,
    /// Viewer, Operator, Editor or Administrator
    #[arg(long, value_name = "ROLE")]
    pub role: String,
    /// The project's name (its `project` block)
    #[arg(long, id = "project", value_name = "NAME")]
    pub project: ProjectName,
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    #[arg(long, value_name = "NAME")]
    pub user: String,
    /// The project's name (its `project` block)
    #[arg(long, id = "project", value_name = "NAME")]
    pub project: ProjectName,
}

/// A project's name given as `--project NAME`. It shares its id with the
/// global `--project DIR`, whose value clap hands up to the top level as a
/// path: so it is parsed as one, and read as the name it is.
pub type ProjectName = PathBuf;

fn project_name(p: &ProjectName) -> String {
    p.to_string_lossy().into_owned()
}

pub async fn run(a: ServeArgs, cancel: &Cancel) -> Result {
    match a.command {
        None => {
            let tls = match (&a.tls_cert, &a.tls_key) {
                (Some(cert), Some(key)) => {
                    Some(crate::server::tls::config(cert, key).map_err(message)?)
                }
                _ => None,
            };
            serve(&a.listen, &a.projects, &a.data_dir, tls, cancel).await
        }
        Some(ServeCommand::Token(TokenCommand::Create { user })) => {
            let user = name(&user, "--user")?;
            let store = access::open(&a.data_dir).map_err(message)?;
            let secret = token::generate().map_err(Failure::Message)?;
            store
                .add_token(&TokenRecord {
                    hash: token::hash(&secret),
                    user: user.clone(),
                    created: crate::project::now(),
                })
                .map_err(message)?;
            errln!("A token for {user} (shown this once; only its hash is kept):");
            outln!("{secret}");
            Ok(())
        }
        Some(ServeCommand::Grant(g)) => {
            let role = Role::parse(&g.role).ok_or_else(|| {
                Failure::Message(format!(
                    "--role {:?} is not a role: use Viewer, Operator, Editor or Administrator",
                    g.role
                ))
            })?;
            let grant = Grant {
                user: name(&g.user, "--user")?,
                project: name(&project_name(&g.project), "--project")?,
                role: role.name().to_string(),
            };
            access::open(&a.data_dir)
                .map_err(message)?
                .grant(&grant)
                .map_err(message)?;
            outln!("{} is {role} on project {}.", grant.user, grant.project);
            Ok(())
        }
        Some(ServeCommand::Revoke(r)) => {
            let store = access::open(&a.data_dir).map_err(message)?;
            let project = project_name(&r.project);
            if store.revoke(&r.user, &project).map_err(message)? {
                outln!("{} has no role on project {project} any more.", r.user);
            } else {
                outln!(
                    "{} had no role on project {project}: nothing changed.",
                    r.user
                );
            }
            Ok(())
        }
        Some(ServeCommand::Tfstate(command)) => tfstate(command, &a.data_dir),
    }
}

/// `serve tfstate list|restore`, on the records the server would open.
fn tfstate(command: TfstateCommand, data_dir: &std::path::Path) -> Result {
    let store = tfstate::open(data_dir).map_err(message)?;
    let checked = |s: &TfstateArgs| -> Result<(String, String)> {
        let name = tfstate::valid_name(&s.name)
            .map_err(|e| Failure::Message(format!("--name {e}")))?
            .to_string();
        Ok((name_of(&s.project, "--project")?, name))
    };
    match command {
        TfstateCommand::List(s) => {
            let (project, name) = checked(&s)?;
            let Some(head) = store.head(&project, &name).map_err(message)? else {
                return Err(Failure::Message(format!(
                    "project {project} has no Terraform state named {name}"
                )));
            };
            outln!("VERSION  SERIAL  LINEAGE  AUTHOR  CREATED  SHA256");
            for v in &head.versions {
                let mark = if head.current == Some(v.version) {
                    "*"
                } else {
                    " "
                };
                let serial = v.serial.map_or("-".to_string(), |s| s.to_string());
                outln!(
                    "{mark}{}  {serial}  {}  {}  {}  {}",
                    v.version,
                    v.lineage.as_deref().unwrap_or("-"),
                    v.author,
                    v.created,
                    v.sha256
                );
            }
            if let Some(lock) = &head.lock {
                outln!("Locked by {} (lock {}).", lock.user, lock.id);
            }
            Ok(())
        }
        TfstateCommand::Restore { state, version } => {
            let (project, name) = checked(&state)?;
            let user = crate::project::user();
            match tfstate::restore(&*store, &project, &name, version, &user).map_err(message)? {
                tfstate::Restore::Restored(v) => {
                    outln!(
                        "Restored version {version} of {name} as version {} (serial {}).",
                        v.version,
                        v.serial.map_or("-".to_string(), |s| s.to_string())
                    );
                    Ok(())
                }
                tfstate::Restore::NoSuchVersion => Err(Failure::Message(format!(
                    "the Terraform state {name} of project {project} has no version {version}"
                ))),
                tfstate::Restore::Locked(lock) => Err(Failure::Message(format!(
                    "the Terraform state {name} is locked by {} (lock {}): restore it once the lock is released",
                    lock.user, lock.id
                ))),
                tfstate::Restore::NotAState(why) => Err(Failure::Message(format!(
                    "version {version} of {name} is not a Terraform state: {why}"
                ))),
            }
        }
        TfstateCommand::Unlock(s) => {
            let (project, name) = checked(&s)?;
            match tfstate::break_lock(&*store, &project, &name).map_err(message)? {
                Some(lock) => outln!(
                    "Released the lock of {name} held by {} (lock {}).",
                    lock.user,
                    lock.id
                ),
                None => outln!("The Terraform state {name} of project {project} is not locked."),
            }
            Ok(())
        }
    }
}

/// A project's name given as `--project NAME`, checked.
fn name_of(p: &ProjectName, flag: &str) -> Result<String> {
    name(&project_name(p), flag)
}

async fn serve(
    listen: &str,
    projects: &[PathBuf],
    data_dir: &std::path::Path,
    tls: Option<std::sync::Arc<tokio_rustls::rustls::ServerConfig>>,
    cancel: &Cancel,
) -> Result {
    let server = Server::load(projects, data_dir).map_err(message)?;
    let names: Vec<String> = server.project_names().map(str::to_string).collect();
    let bound = server.bind(listen, tls).await.map_err(message)?;
    let scheme = if bound.is_tls() { "https" } else { "http" };
    outln!("Listening on {scheme}://{}", bound.local_addr());
    outln!("Serving {}", names.join(", "));
    super::written(std::io::Write::flush(&mut std::io::stdout()));
    let cancel = cancel.clone();
    let shutdown = async move {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        let terminated = async {
            match term.as_mut() {
                Some(t) => {
                    t.recv().await;
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = cancel.cancelled() => {}
            _ = terminated => {}
        }
    };
    bound.run(shutdown).await.map_err(message)?;
    errln!("Stopped: every request under way was answered.");
    Ok(())
}

/// A user or project name: not empty, no control characters.
fn name(value: &str, flag: &str) -> Result<String> {
    access::valid_name(value).map_err(|e| Failure::Message(format!("{flag} {e}")))
}

fn message(e: impl std::fmt::Display) -> Failure {
    Failure::Message(e.to_string())
}
