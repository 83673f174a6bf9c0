//! `terrace serve`: projects as a service over HTTP (axum).
//!
//! What it owns: the routes ([`routes::ROUTES`], one table with each
//! endpoint's class), the one guard every route passes through
//! ([`guard`]: token → user → role on the project, refusals audited), the
//! access records ([`access`]), roles ([`role`]) and tokens ([`token`]);
//! and the web console ([`console`]), HTML pages under `/console` that
//! check the same roles and call the same operations.
//! What it does not: any workflow. Handlers call [`crate::ops`], as the
//! command line does, and render the report as JSON.
//!
//! Nothing is held between requests but the list of served projects (their
//! directories, named by their `project` block) and the connection to the
//! access records: each request loads its project and reads its records
//! afresh, so two servers on one database answer alike.
//!
//! Entry points: [`Server::load`], [`Server::bind`], [`Bound::run`].

pub mod access;
pub(crate) mod admin;
pub mod console;
mod envs;
mod guard;
mod handlers;
pub mod jobs;
pub mod limit;
mod plans;
pub mod role;
pub mod routes;
pub mod tfstate;
pub mod tls;
pub mod token;
mod trail;

use access::AccessStore;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Why the server cannot start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot serve the project in {dir}: {reason}")]
    Project { dir: PathBuf, reason: String },
    #[error(
        "two projects named \"{name}\" ({first} and {second}): a server serves one project of a name"
    )]
    Duplicate {
        name: String,
        first: PathBuf,
        second: PathBuf,
    },
    #[error("no project to serve: name one or more with --project DIR")]
    NoProject,
    #[error("cannot listen on {addr}: {cause}")]
    Bind { addr: String, cause: std::io::Error },
    #[error("cannot use {path} for TLS: {cause}")]
    Tls { path: PathBuf, cause: String },
    #[error("the server stopped: {0}")]
    Stopped(std::io::Error),
    #[error(transparent)]
    Access(#[from] access::AccessError),
    #[error(transparent)]
    TfState(#[from] tfstate::TfStateError),
}

/// The served projects and the access records.
pub struct Server {
    /// Project name → its directory (absolute).
    projects: BTreeMap<String, PathBuf>,
    access: Box<dyn AccessStore>,
    /// The states of Terraform's HTTP state backend ([`tfstate`]).
    tfstate: Box<dyn tfstate::TfStateStore>,
    /// Failed sign-ins by client address ([`limit`]).
    limiter: limit::Limiter,
    /// The jobs this instance runs ([`jobs`]).
    jobs: jobs::Running,
}

impl Server {
    /// Loads each project in `dirs` (as the command line would, its
    /// backend chosen the same way) to learn its name, and opens the access
    /// records (see [`access::open`]) and the Terraform states (see
    /// [`tfstate::open`]).
    pub fn load(dirs: &[PathBuf], data_dir: &Path) -> Result<Server, ServeError> {
        if dirs.is_empty() {
            return Err(ServeError::NoProject);
        }
        let mut projects: BTreeMap<String, PathBuf> = BTreeMap::new();
        for dir in dirs {
            let root = crate::ops::absolute(dir);
            let ws = crate::ops::Workspace::load(&root, &crate::ops::Quiet).map_err(|e| {
                ServeError::Project {
                    dir: dir.clone(),
                    reason: e.reason(),
                }
            })?;
            let name = ws.project.name.clone();
            if let Some(first) = projects.get(&name) {
                return Err(ServeError::Duplicate {
                    name,
                    first: first.clone(),
                    second: root,
                });
            }
            projects.insert(name, root);
        }
        Ok(Server {
            projects,
            access: access::open(data_dir)?,
            tfstate: tfstate::open(data_dir)?,
            limiter: limit::Limiter::default(),
            jobs: jobs::Running::default(),
        })
    }

    /// A server of no project on local records in `dir`, for unit tests.
    #[cfg(test)]
    pub(crate) fn empty(dir: &Path) -> Server {
        Server {
            projects: Default::default(),
            access: Box::new(access::LocalAccess::new(dir)),
            limiter: Default::default(),
            jobs: Default::default(),
            tfstate: Box::new(tfstate::local::LocalTfState::new(dir)),
        }
    }

    /// The names of the served projects.
    pub fn project_names(&self) -> impl Iterator<Item = &str> {
        self.projects.keys().map(String::as_str)
    }

    /// Listens on `addr` (`127.0.0.1:0` takes any free port), over TLS
    /// with `tls` ([`tls::config`]).
    pub async fn bind(
        self,
        addr: &str,
        tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
    ) -> Result<Bound, ServeError> {
        let bind_err = |cause| ServeError::Bind {
            addr: addr.to_string(),
            cause,
        };
        let tcp = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(bind_err)?;
        let local = tcp.local_addr().map_err(bind_err)?;
        let listener = match tls {
            None => Listening::Plain(tcp),
            Some(config) => Listening::Tls(tls::TlsListener::new(tcp, config).map_err(bind_err)?),
        };
        // The API and the web console ([`console`]), which sets its
        // cookie `Secure` over TLS.
        let secure = matches!(listener, Listening::Tls(_));
        let server = Arc::new(self);
        Ok(Bound {
            listener,
            local,
            router: console::router(server.clone(), secure).merge(routes::router(server.clone())),
            server,
        })
    }
}

/// A server listening, not yet answering.
pub struct Bound {
    listener: Listening,
    local: std::net::SocketAddr,
    router: axum::Router,
    server: Arc<Server>,
}

enum Listening {
    Plain(tokio::net::TcpListener),
    Tls(tls::TlsListener),
}

/// The address of a request's client, in its extensions (axum's
/// `ConnectInfo`), over plain HTTP and TLS alike.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub std::net::SocketAddr);

impl
    axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, tokio::net::TcpListener>>
    for ClientAddr
{
    fn connect_info(
        stream: axum::serve::IncomingStream<'_, tokio::net::TcpListener>,
    ) -> ClientAddr {
        ClientAddr(*stream.remote_addr())
    }
}

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, tls::TlsListener>>
    for ClientAddr
{
    fn connect_info(stream: axum::serve::IncomingStream<'_, tls::TlsListener>) -> ClientAddr {
        ClientAddr(*stream.remote_addr())
    }
}

impl Bound {
    /// The address it listens on.
    pub fn local_addr(&self) -> std::net::SocketAddr {
        self.local
    }

    /// Whether it answers over TLS.
    pub fn is_tls(&self) -> bool {
        matches!(self.listener, Listening::Tls(_))
    }

    /// Answers requests until `shutdown` completes, then interrupts the
    /// jobs under way (as Ctrl-C interrupts `terrace apply`), finishes the
    /// requests under way (their followers see the jobs end) and returns
    /// once every job has written its records.
    pub async fn run(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        // The client's address, for the rate limit on token guessing.
        let app = self
            .router
            .into_make_service_with_connect_info::<ClientAddr>();
        let server = self.server.clone();
        let shutdown = async move {
            shutdown.await;
            let server = server.clone();
            let _ = tokio::task::spawn_blocking(move || server.jobs.stop()).await;
        };
        let served = match self.listener {
            Listening::Plain(tcp) => axum::serve(tcp, app).with_graceful_shutdown(shutdown).await,
            Listening::Tls(tls) => axum::serve(tls, app).with_graceful_shutdown(shutdown).await,
        };
        served.map_err(ServeError::Stopped)
    }
}
