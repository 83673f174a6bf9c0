//! One running plugin process: newline-delimited JSON requests on its
//! standard input, answers matched by id from its standard output, its
//! standard error forwarded to the log. A crash, a line that is not a
//! protocol message, or a request past the timeout stops the plugin and
//! fails every request in flight with the reason.

use crate::provider::ProviderError;
use serde_json::Value as Json;
use std::collections::{HashMap, VecDeque};
use std::io::{BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Lines of standard error kept to explain a crash.
const STDERR_KEPT: usize = 20;

type Reply = Result<Json, ProviderError>;
type Waiter = Box<dyn FnOnce(Reply) + Send>;

/// What the reader thread and the requests share.
#[derive(Default)]
struct Shared {
    pending: HashMap<u64, Waiter>,
    /// Why the plugin can no longer answer, once it cannot.
    dead: Option<String>,
}

pub struct Host {
    pub name: String,
    /// Lines for the writer thread, which owns the plugin's standard
    /// input: a plugin that stops reading blocks that thread, never the
    /// runtime, and the request's timeout then stops the plugin.
    stdin: Mutex<Option<std::sync::mpsc::Sender<Vec<u8>>>>,
    child: Mutex<Child>,
    shared: Arc<Mutex<Shared>>,
    stderr_tail: Arc<Mutex<VecDeque<String>>>,
    /// Every credential sent to the plugin: masked in what it writes to
    /// its standard error before that is logged or kept.
    secrets: Arc<Mutex<Vec<crate::value::Secret>>>,
    next_id: AtomicU64,
    /// Held across a request when the plugin takes one at a time.
    serial: tokio::sync::Mutex<()>,
    concurrent: AtomicBool,
    timeout: Duration,
}

impl Host {
    /// Starts the plugin and performs the handshake; returns the host and
    /// the handshake's result.
    pub fn start(
        name: &str,
        argv: &[String],
        root: &std::path::Path,
        timeout: Duration,
        withheld: &[String],
    ) -> Result<(Arc<Host>, Json), String> {
        let (program, args) = argv
            .split_first()
            .ok_or_else(|| "the command is empty".to_string())?;
        // `plugins/x.py` and `./bin/p` are the project's; `python3` is on PATH.
        let program = if program.contains('/') {
            root.join(program)
        } else {
            std::path::PathBuf::from(program)
        };
        let mut command = Command::new(&program);
        // No plugin inherits a variable holding a credential.
        for name in withheld {
            command.env_remove(name);
        }
        // Its own process group, so that stopping it stops its children.
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let mut child = command
            .args(args)
            .current_dir(root)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", program.display()))?;
        let (Some(stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            let _ = child.kill();
            return Err("cannot connect to its standard streams".into());
        };
        let shared = Arc::new(Mutex::new(Shared::default()));
        let stderr_tail = Arc::new(Mutex::new(VecDeque::new()));
        let secrets = Arc::new(Mutex::new(Vec::new()));
        spawn_stderr(
            name.to_string(),
            stderr,
            stderr_tail.clone(),
            secrets.clone(),
        );
        let host = Arc::new(Host {
            name: name.to_string(),
            stdin: Mutex::new(Some(spawn_writer(stdin))),
            child: Mutex::new(child),
            shared: shared.clone(),
            stderr_tail,
            secrets,
            next_id: AtomicU64::new(1),
            serial: tokio::sync::Mutex::new(()),
            concurrent: AtomicBool::new(false),
            timeout,
        });
        spawn_reader(Arc::downgrade(&host), stdout, shared);
        // The handshake is synchronous: schemas are needed before planning.
        let (tx, rx) = std::sync::mpsc::channel();
        let msg = serde_json::json!({"id": 0, "method": "handshake", "protocol_version": super::PROTOCOL_VERSION});
        host.send(
            0,
            &msg,
            Box::new(move |r| {
                let _ = tx.send(r);
            }),
        )
        .map_err(|e| e.message)?;
        let result = match rx.recv_timeout(timeout) {
            Ok(Ok(v)) => v,
            Ok(Err(e)) => {
                let own = format!("plugin \"{name}\" ");
                return Err(e
                    .message
                    .strip_prefix(&own)
                    .unwrap_or(&e.message)
                    .to_string());
            }
            Err(_) => {
                host.stop(&format!(
                    "did not answer the handshake within {}",
                    human(timeout)
                ));
                return Err(format!(
                    "did not answer the handshake within {}",
                    human(timeout)
                ));
            }
        };
        let concurrent = result
            .get("concurrent")
            .and_then(Json::as_bool)
            .unwrap_or(false);
        host.concurrent.store(concurrent, Ordering::Relaxed);
        Ok((host, result))
    }

    /// Sends one request and waits for its answer.
    pub async fn request(&self, method: &str, mut msg: serde_json::Map<String, Json>) -> Reply {
        let _turn = if self.concurrent.load(Ordering::Relaxed) {
            None
        } else {
            Some(self.serial.lock().await)
        };
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        msg.insert("id".into(), Json::from(id));
        msg.insert("method".into(), Json::from(method));
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.send(
            id,
            &Json::Object(msg),
            Box::new(move |r| {
                let _ = tx.send(r);
            }),
        )?;
        match tokio::time::timeout(self.timeout, rx).await {
            Ok(Ok(reply)) => reply,
            Ok(Err(_)) => Err(self.dead_error()),
            Err(_) => {
                let why = format!(
                    "did not answer {method} within {}; it was stopped",
                    human(self.timeout)
                );
                self.stop(&why);
                Err(self.dead_error())
            }
        }
    }

    fn send(&self, id: u64, msg: &Json, waiter: Waiter) -> Result<(), ProviderError> {
        {
            let mut g = self.shared.lock().map_err(|_| self.dead_error())?;
            if g.dead.is_some() {
                drop(g);
                return Err(self.dead_error());
            }
            g.pending.insert(id, waiter);
        }
        let mut line = msg.to_string();
        line.push('\n');
        let queued = match self.stdin.lock() {
            Ok(s) => s
                .as_ref()
                .is_some_and(|tx| tx.send(line.into_bytes()).is_ok()),
            Err(_) => false,
        };
        if !queued {
            // The writer stops when the plugin's input is closed: it is gone.
            if let Ok(mut g) = self.shared.lock() {
                g.pending.remove(&id);
            }
            let dead = self.shared.lock().ok().and_then(|g| g.dead.clone());
            return Err(ProviderError::new(format!(
                "plugin \"{}\" {}",
                self.name,
                dead.unwrap_or_else(|| "no longer reads its input".into())
            )));
        }
        Ok(())
    }

    fn dead_error(&self) -> ProviderError {
        let why = self
            .shared
            .lock()
            .ok()
            .and_then(|g| g.dead.clone())
            .unwrap_or_else(|| "stopped".into());
        ProviderError::new(format!("plugin \"{}\" {why}", self.name))
    }

    /// Stops the plugin: every request in flight fails with `why`.
    pub fn stop(&self, why: &str) {
        if let Ok(mut c) = self.child.lock() {
            kill_group(&mut c);
        }
        fail_all(&self.shared, &self.name, why.to_string());
    }

    /// Records a credential about to be sent, so that the plugin's
    /// standard error never carries it further.
    pub fn remember_secret(&self, secret: &crate::value::Secret) {
        if let Ok(mut known) = self.secrets.lock()
            && !known.contains(secret)
        {
            known.push(secret.clone());
        }
    }

    fn stderr_summary(&self) -> String {
        let tail = self
            .stderr_tail
            .lock()
            .map(|t| t.iter().cloned().collect::<Vec<_>>().join("\n"))
            .unwrap_or_default();
        if tail.is_empty() {
            String::new()
        } else {
            format!("; its standard error ended with:\n{tail}")
        }
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        // Closing standard input asks the plugin to exit; it gets no longer.
        if let Ok(mut s) = self.stdin.lock() {
            s.take();
        }
        if let Ok(mut c) = self.child.lock() {
            kill_group(&mut c);
        }
    }
}

/// Kills the plugin and every process it started (its process group).
fn kill_group(child: &mut Child) {
    #[cfg(unix)]
    if let Ok(pid) = i32::try_from(child.id()) {
        // SAFETY: kill(2) has no memory effects; a negative pid names the
        // group that `process_group(0)` made for the plugin.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Starts the thread that writes queued lines to the plugin's input.
fn spawn_writer(mut stdin: ChildStdin) -> std::sync::mpsc::Sender<Vec<u8>> {
    let (tx, rx) = std::sync::mpsc::channel::<Vec<u8>>();
    std::thread::spawn(move || {
        for line in rx {
            if stdin.write_all(&line).and_then(|()| stdin.flush()).is_err() {
                return;
            }
        }
    });
    tx
}

fn fail_all(shared: &Mutex<Shared>, name: &str, why: String) {
    let waiters: Vec<Waiter> = match shared.lock() {
        Ok(mut g) => {
            if g.dead.is_none() {
                g.dead = Some(why.clone());
            }
            g.pending.drain().map(|(_, w)| w).collect()
        }
        Err(_) => Vec::new(),
    };
    let why = shared
        .lock()
        .ok()
        .and_then(|g| g.dead.clone())
        .unwrap_or(why);
    for w in waiters {
        w(Err(ProviderError::new(format!("plugin \"{name}\" {why}"))));
    }
}

fn spawn_reader(
    host: std::sync::Weak<Host>,
    stdout: std::process::ChildStdout,
    shared: Arc<Mutex<Shared>>,
) {
    let name = host.upgrade().map(|h| h.name.clone()).unwrap_or_default();
    std::thread::spawn(move || {
        let current = || host.upgrade();
        let mut reader = BufReader::new(stdout);
        loop {
            let line = match crate::bounded::read_line(&mut reader, crate::bounded::MESSAGE_LIMIT) {
                Ok(Some(l)) => l,
                Err(e) => {
                    let why = format!("sent unreadable output: {e}");
                    match current() {
                        Some(h) => h.stop(&why),
                        None => fail_all(&shared, &name, why),
                    }
                    return;
                }
                Ok(None) => break,
            };
            if line.trim().is_empty() {
                continue;
            }
            let parsed = super::wire::reply(&line);
            match parsed {
                Some((id, reply)) => {
                    let waiter = shared.lock().ok().and_then(|mut g| g.pending.remove(&id));
                    match waiter {
                        Some(w) => w(reply),
                        None => tracing::warn!(plugin = %name, id, "answer to no request"),
                    }
                }
                None => {
                    let shown: String = line.chars().take(200).collect();
                    let why = format!(
                        "sent a line that is not a protocol message, and was stopped: {shown}"
                    );
                    match current() {
                        Some(h) => h.stop(&why),
                        None => fail_all(&shared, &name, why),
                    }
                    return;
                }
            }
        }
        // End of output: the plugin exited (or closed its stdout).
        let (status, tail) = match current() {
            Some(h) => {
                // It may have closed its output without exiting yet.
                let mut status = None;
                for _ in 0..20 {
                    status = h
                        .child
                        .lock()
                        .ok()
                        .and_then(|mut c| c.try_wait().ok().flatten());
                    if status.is_some() {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
                let status = match status.map(|s| s.code()) {
                    Some(Some(c)) => format!("exit status {c}"),
                    Some(None) => "a signal".to_string(),
                    None => "its output closed but still running".to_string(),
                };
                // Let the stderr thread catch up with the last lines.
                std::thread::sleep(Duration::from_millis(50));
                (status, h.stderr_summary())
            }
            None => ("an unknown status".into(), String::new()),
        };
        fail_all(&shared, &name, format!("exited with {status}{tail}"));
    });
}

fn spawn_stderr(
    name: String,
    stderr: std::process::ChildStderr,
    tail: Arc<Mutex<VecDeque<String>>>,
    secrets: Arc<Mutex<Vec<crate::value::Secret>>>,
) {
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stderr);
        loop {
            let line = match crate::bounded::read_line(&mut reader, crate::bounded::MESSAGE_LIMIT) {
                Ok(Some(line)) => line,
                Ok(None) => break,
                // Read on (a plugin that cannot write its stderr stalls),
                // keeping only lines of a sensible size.
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::FileTooLarge | std::io::ErrorKind::InvalidData
                    ) =>
                {
                    continue;
                }
                Err(_) => break,
            };
            let line = match secrets.lock() {
                Ok(known) => known.iter().fold(line, |l, s| s.redact(&l)),
                // A poisoned list: keep nothing rather than risk it.
                Err(_) => continue,
            };
            tracing::info!(target: "terrace::plugin", plugin = %name, "{line}");
            if let Ok(mut t) = tail.lock() {
                if t.len() == STDERR_KEPT {
                    t.pop_front();
                }
                t.push_back(line);
            }
        }
    });
}

fn human(d: Duration) -> String {
    crate::provider::process::human(d)
}
