//! One connection to the database, owned by a thread of its own.
//!
//! The client ([`postgres::Client`], tokio-postgres' blocking wrapper)
//! owns a current-thread tokio runtime and blocks on it for every query.
//! Blocking like that inside one of tokio's workers panics, and terrace's
//! operations call the store from async code, so the client lives on a
//! dedicated thread and is handed jobs over a std channel: the caller
//! blocks on a std channel (safe inside and outside a runtime) until the
//! job's answer comes back. The client is created, used and dropped on
//! that thread only.
//!
//! A connection no longer used is kept for the next [`Conn::open`] of the
//! same database in this process (at most [`MAX_IDLE`]), once `DISCARD
//! ALL` has reset its session as a new one would be: advisory locks
//! released, settings reset. `terrace serve` opens the project's records
//! for every request; connecting each time (a thread, a handshake, the
//! password exchange) cost more than the request.

use crate::value::Secret;
use postgres::{Client, Config};
use std::str::FromStr;
use std::sync::{Mutex, MutexGuard, mpsc};
use std::time::Duration;

type Job = Box<dyn FnOnce(&mut Client) + Send>;

/// Connections kept for reuse, in all.
const MAX_IDLE: usize = 16;

/// Idle connections: the sha256 of their URL, and their thread's queue.
static IDLE: Mutex<Vec<(String, mpsc::Sender<Job>)>> = Mutex::new(Vec::new());

/// How long connecting may take when the URL does not say.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A failure talking to the database, its text checked for the password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DbError(pub String);

/// How to reach the database: the parsed URL, kept away from messages.
#[derive(Clone)]
pub struct Target {
    config: Config,
    /// The URL, only to mask it (and its password) in messages.
    url: Secret,
    password: Option<Secret>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Target(…)")
    }
}

impl Target {
    /// Parses `url` (a `postgres://` URL or `key=value` string). The error
    /// never quotes it.
    pub fn parse(url: &Secret) -> Result<Target, DbError> {
        let mut config = Config::from_str(url.expose()).map_err(|e| {
            DbError(format!(
                "it is not a PostgreSQL connection URL ({})",
                url.redact(&e.to_string())
            ))
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        let password = config
            .get_password()
            .map(|p| Secret::new(String::from_utf8_lossy(p).into_owned()));
        Ok(Target {
            config,
            url: url.clone(),
            password,
        })
    }

    /// What names the database among the idle connections: the sha256 of
    /// its URL (never the URL).
    fn key(&self) -> String {
        crate::digest::sha256_hex(self.url.expose().as_bytes())
    }

    /// The text of `e` and its causes, with the URL and the password
    /// masked should the driver ever quote them.
    pub fn describe(&self, e: &dyn std::error::Error) -> DbError {
        let mut text = e.to_string();
        let mut source = e.source();
        while let Some(s) = source {
            let more = s.to_string();
            if !text.contains(&more) {
                text.push_str(": ");
                text.push_str(&more);
            }
            source = s.source();
        }
        let text = self.url.redact(&text);
        DbError(match &self.password {
            Some(p) => p.redact(&text),
            None => text,
        })
    }
}

/// A connection on its own thread; jobs run one at a time, in order.
/// Dropped, it is kept for reuse (see the module's documentation).
#[derive(Debug)]
pub struct Conn {
    jobs: Mutex<mpsc::Sender<Job>>,
    target: Target,
    /// Kept for reuse when dropped.
    reusable: bool,
}

impl Conn {
    /// An idle connection to the database, or a new one.
    pub fn open(target: &Target) -> Result<Conn, DbError> {
        let key = target.key();
        loop {
            let idle = {
                let mut idle = IDLE.lock().unwrap_or_else(|p| p.into_inner());
                let at = idle.iter().position(|(k, _)| *k == key);
                at.map(|at| idle.swap_remove(at).1)
            };
            let Some(jobs) = idle else {
                return Conn::connect(target);
            };
            let conn = Conn {
                jobs: Mutex::new(jobs),
                target: target.clone(),
                reusable: true,
            };
            // One whose server went away is dropped, not handed out.
            if conn.call(|c| Ok(c.is_closed())) == Ok(false) {
                return Ok(conn);
            }
            conn.close();
        }
    }

    /// Drops the connection without keeping it.
    fn close(mut self) {
        self.reusable = false;
    }

    /// Connects, on a new thread that owns the client from then on.
    fn connect(target: &Target) -> Result<Conn, DbError> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let (ready, connected) = mpsc::channel();
        let t = target.clone();
        std::thread::Builder::new()
            .name("terrace-postgres".into())
            .spawn(move || {
                let tls = super::tls::connector().map_err(|e| DbError(e.to_string()));
                let client = tls.and_then(|tls| t.config.connect(tls).map_err(|e| t.describe(&e)));
                let mut client = match client {
                    Ok(c) => {
                        let _ = ready.send(Ok(()));
                        c
                    }
                    Err(e) => {
                        let _ = ready.send(Err(e));
                        return;
                    }
                };
                // Until every sender is gone; the client closes with the thread.
                while let Ok(job) = queue.recv() {
                    job(&mut client);
                }
            })
            .map_err(|e| DbError(format!("cannot start its thread: {e}")))?;
        match connected.recv() {
            Ok(Ok(())) => Ok(Conn {
                jobs: Mutex::new(jobs),
                target: target.clone(),
                reusable: true,
            }),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(DbError("its thread stopped while connecting".into())),
        }
    }

    /// Runs `f` with the client and returns what it returned.
    pub fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Client) -> Result<T, postgres::Error> + Send + 'static,
    ) -> Result<T, DbError> {
        self.session().call(f)
    }

    /// Holds the connection for several calls in a row: no other caller's
    /// job runs in between (a transaction spread over calls).
    pub fn session(&self) -> Session<'_> {
        Session {
            jobs: self.jobs.lock().unwrap_or_else(|p| p.into_inner()),
            target: &self.target,
        }
    }
}

impl Drop for Conn {
    /// Keeps the connection for reuse once its session is reset; one that
    /// cannot be (a transaction left open, a broken connection) closes
    /// with its thread.
    fn drop(&mut self) {
        if !self.reusable {
            return;
        }
        let reset = self.call(|c| {
            c.batch_execute("DISCARD ALL")?;
            Ok(!c.is_closed())
        });
        if reset != Ok(true) {
            return;
        }
        let jobs = self
            .jobs
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let mut idle = IDLE.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < MAX_IDLE {
            idle.push((self.target.key(), jobs));
        }
    }
}

/// The connection held by one caller: see [`Conn::session`].
pub struct Session<'a> {
    jobs: MutexGuard<'a, mpsc::Sender<Job>>,
    target: &'a Target,
}

impl Session<'_> {
    /// Runs `f` with the client and returns what it returned.
    pub fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Client) -> Result<T, postgres::Error> + Send + 'static,
    ) -> Result<T, DbError> {
        let (answer, wait) = mpsc::sync_channel(1);
        let target = self.target.clone();
        let job: Job = Box::new(move |client| {
            let _ = answer.send(f(client).map_err(|e| target.describe(&e)));
        });
        self.jobs
            .send(job)
            .map_err(|_| DbError("the connection's thread stopped".into()))?;
        wait.recv()
            .unwrap_or_else(|_| Err(DbError("the connection's thread stopped".into())))
    }
}
