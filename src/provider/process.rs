//! Running one external command for a provider: argv or `sh -c`, an
//! environment, standard input, a timeout that kills the whole process
//! group, and standard error kept short enough to show.

use super::ProviderError;
use crate::value::Secret;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

/// How much of a failing command's standard error an error message shows.
const STDERR_SHOWN: usize = 2000;

/// One command to run.
#[derive(Debug)]
pub struct Invocation {
    /// `argv[0]` and its arguments.
    pub argv: Vec<String>,
    pub env: BTreeMap<String, String>,
    /// Passed as `TERRACE_AUTHORIZATION`, and masked in what the command
    /// prints.
    pub secret: Option<Secret>,
    /// Environment variables the command does not inherit: those the
    /// project's `authorization` blocks read (`api_key = env("NAME")`). A
    /// command gets its own environment's credential as
    /// `TERRACE_AUTHORIZATION`, never another environment's.
    pub withheld: std::sync::Arc<[String]>,
    pub working_dir: PathBuf,
    pub stdin: Vec<u8>,
    pub timeout: Duration,
}

/// What a command that exited 0 printed.
#[derive(Debug)]
pub struct Finished {
    pub stdout: String,
}

/// A command line (`sh -c`) or an argv list.
pub fn argv_of(v: &crate::value::Value, what: &str) -> Result<Vec<String>, ProviderError> {
    use crate::value::Value;
    match v.unmark().0 {
        Value::String(s) if !s.trim().is_empty() => {
            Ok(vec!["sh".into(), "-c".into(), s.to_string()])
        }
        Value::List(items) if !items.is_empty() => items
            .iter()
            .map(|i| match i.unmark().0 {
                Value::String(s) => Ok(s.clone()),
                Value::Number(n) => Ok(n.to_string()),
                other => Err(ProviderError::attr(
                    what,
                    format!(
                        "{what}: every element must be a string, not {}",
                        other.type_name()
                    ),
                )),
            })
            .collect(),
        other => Err(ProviderError::attr(
            what,
            format!(
                "{what} must be a command line or a non-empty list of arguments, not {}",
                other.type_name()
            ),
        )),
    }
}

/// Runs `inv`; a non-zero exit, a timeout or a failure to start is an error
/// naming `what` (e.g. `create`).
pub async fn run(what: &str, inv: Invocation) -> Result<Finished, ProviderError> {
    let Some((program, args)) = inv.argv.split_first() else {
        return Err(ProviderError::attr(what, format!("{what} is empty")));
    };
    let mut cmd = tokio::process::Command::new(program);
    for name in inv.withheld.iter() {
        cmd.env_remove(name);
    }
    if let Some(secret) = &inv.secret {
        cmd.env("TERRACE_AUTHORIZATION", secret.expose());
    }
    cmd.args(args)
        .envs(&inv.env)
        .current_dir(&inv.working_dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    // Its own process group, so that a timeout stops its children too.
    #[cfg(unix)]
    cmd.process_group(0);
    let mut child = cmd.spawn().map_err(|e| {
        ProviderError::attr(
            what,
            format!(
                "{what}: cannot start {program:?} in {}: {e}",
                inv.working_dir.display()
            ),
        )
    })?;
    let pid = child.id();
    // Whatever ends this future early (Ctrl-C, a dropped task) stops the
    // command's children too, not only `sh`.
    let mut guard = GroupGuard(pid);
    if let Some(mut stdin) = child.stdin.take() {
        let input = inv.stdin;
        // A command that does not read its input must not stall us.
        tokio::spawn(async move {
            let _ = stdin.write_all(&input).await;
            let _ = stdin.shutdown().await;
        });
    }
    let output = match tokio::time::timeout(inv.timeout, output_limited(&mut child)).await {
        Ok(Ok(out)) => out,
        Ok(Err(e)) => {
            return Err(ProviderError::new(format!(
                "{what}: waiting for {program:?} failed: {e}"
            )));
        }
        Err(_) => {
            // The guard stops the group as this returns.
            return Err(ProviderError::new(format!(
                "{what}: {program:?} did not finish within {}; it was stopped",
                human(inv.timeout)
            )));
        }
    };
    guard.0 = None;
    let redact = |bytes: &[u8]| {
        let text = String::from_utf8_lossy(bytes);
        match &inv.secret {
            Some(s) => s.redact(&text),
            None => text.into_owned(),
        }
    };
    let stdout = redact(&output.stdout);
    if !output.status.success() {
        let stderr = redact(&output.stderr);
        let status = match output.status.code() {
            Some(c) => format!("exit status {c}"),
            None => "a signal".to_string(),
        };
        return Err(ProviderError::new(format!(
            "{what}: {program:?} failed with {status}{}",
            shown_stderr(&stderr)
        )));
    }
    Ok(Finished { stdout })
}

/// What `wait_with_output` gives, with each stream refused past
/// [`crate::bounded::MESSAGE_LIMIT`] (the caller's guard then stops the
/// command).
async fn output_limited(
    child: &mut tokio::process::Child,
) -> std::io::Result<std::process::Output> {
    async fn all(
        pipe: Option<impl tokio::io::AsyncRead + Unpin>,
        name: &str,
    ) -> std::io::Result<Vec<u8>> {
        use tokio::io::AsyncReadExt;
        let limit = crate::bounded::MESSAGE_LIMIT;
        let mut bytes = Vec::new();
        if let Some(pipe) = pipe {
            pipe.take(limit + 1).read_to_end(&mut bytes).await?;
        }
        if bytes.len() as u64 > limit {
            return Err(std::io::Error::new(
                std::io::ErrorKind::FileTooLarge,
                format!(
                    "its {name} is larger than the limit of {}",
                    crate::bounded::size(limit)
                ),
            ));
        }
        Ok(bytes)
    }
    let (stdout, stderr) = tokio::try_join!(
        all(child.stdout.take(), "standard output"),
        all(child.stderr.take(), "standard error")
    )?;
    let status = child.wait().await?;
    Ok(std::process::Output {
        status,
        stdout,
        stderr,
    })
}

/// Kills a command's process group when dropped, unless it finished.
struct GroupGuard(Option<u32>);

impl Drop for GroupGuard {
    fn drop(&mut self) {
        kill_group(self.0);
    }
}

/// Kills the process group led by `pid`.
fn kill_group(pid: Option<u32>) {
    #[cfg(unix)]
    if let Some(pid) = pid.and_then(|p| i32::try_from(p).ok())
        && pid > 0
    {
        // SAFETY: kill(2) has no memory effects; a negative pid names the
        // group that `process_group(0)` made for the child.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
    #[cfg(not(unix))]
    let _ = pid;
}

/// Standard error for an error message: the last lines, at most
/// [`STDERR_SHOWN`] bytes, with a note when cut.
pub fn shown_stderr(stderr: &str) -> String {
    let trimmed = stderr.trim_end();
    if trimmed.is_empty() {
        return " (nothing on standard error)".into();
    }
    if trimmed.len() <= STDERR_SHOWN {
        return format!(":\n{trimmed}");
    }
    let mut start = trimmed.len() - STDERR_SHOWN;
    while !trimmed.is_char_boundary(start) {
        start += 1;
    }
    format!(
        ":\n[… {} earlier bytes left out]\n{}",
        start,
        &trimmed[start..]
    )
}

/// `1.5s`, `30s`, `2m`.
pub fn human(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 120.0 && s.fract() == 0.0 && (s as u64).is_multiple_of(60) {
        format!("{}m", s as u64 / 60)
    } else if s.fract() == 0.0 {
        format!("{}s", s as u64)
    } else {
        format!("{s:.1}s")
    }
}

/// Seconds from a `timeout` attribute; `default` when unset.
pub fn timeout_of(
    v: Option<&crate::value::Value>,
    default: Duration,
) -> Result<Duration, ProviderError> {
    use crate::value::Value;
    match v.map(|v| v.unmark().0) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Number(n)) => {
            let s = n.as_f64();
            if s > 0.0 && s <= 86_400.0 {
                Ok(Duration::from_secs_f64(s))
            } else {
                Err(ProviderError::attr(
                    "timeout",
                    format!("timeout must be between 0 and 86400 seconds, not {s}"),
                ))
            }
        }
        Some(other) => Err(ProviderError::attr(
            "timeout",
            format!(
                "timeout must be a number of seconds, not {}",
                other.type_name()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_stderr_keeps_its_end() {
        let long = format!("{}END", "x".repeat(5000));
        let shown = shown_stderr(&long);
        assert!(shown.ends_with("END"));
        assert!(shown.contains("earlier bytes left out"));
        assert!(shown.len() < 2100);
    }
}
