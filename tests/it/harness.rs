//! A small fluent harness: a temporary project directory, and the real
//! `terrace` binary run in it.

use crate::pg::Database;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

/// The terrace binary cargo built for these tests.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_terrace")
}

/// A project in a temporary directory.
pub struct Project {
    dir: tempfile::TempDir,
    /// Set for every command run in the project (e.g. the backend).
    vars: Vec<(String, String)>,
    /// The database holding the project's records, when [`Store::Postgres`]
    /// made one for it: kept only to live (and be dropped) with the project.
    _database: Option<Database>,
}

impl Project {
    /// An empty project directory.
    pub fn new() -> Project {
        Project {
            dir: tempfile::Builder::new()
                .prefix("terrace-it-")
                .tempdir()
                .expect("temp dir"),
            vars: Vec::new(),
            _database: None,
        }
    }

    /// A copy of `src` (a directory of this repository, e.g.
    /// `examples/quickstart`): its definitions only, not the state or the
    /// files that running it there left.
    pub fn copy_of(src: impl AsRef<Path>) -> Project {
        let p = Project::new();
        copy_dir(&repo().join(src.as_ref()), p.root());
        for left in [".terrace", "out"] {
            let _ = std::fs::remove_dir_all(p.path(left));
        }
        p
    }

    /// Sets `name` to `value` for every command run in the project.
    pub fn var(mut self, name: &str, value: &str) -> Project {
        self.vars.push((name.to_string(), value.to_string()));
        self
    }

    /// Writes a file (creating directories).
    pub fn file(self, rel: &str, content: &str) -> Project {
        self.write(rel, content);
        self
    }

    /// Writes a file (creating directories), for use mid-test.
    pub fn write(&self, rel: &str, content: &str) {
        let path = self.root().join(rel);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        std::fs::write(path, content).expect("write");
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root().join(rel)
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("cannot read {rel}: {e}"))
    }

    pub fn exists(&self, rel: &str) -> bool {
        self.path(rel).exists()
    }

    /// A terrace command to run in this project.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(bin());
        c.args(args)
            .current_dir(self.root())
            .env("NO_COLOR", "1")
            .env("TERRACE_USER", "tester")
            .env_remove("TERRACE_LOG")
            .env_remove("TERRACE_BACKEND")
            .env_remove("TERRACE_DATABASE_URL")
            .envs(self.vars.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null());
        c
    }

    /// Runs terrace to completion.
    pub fn run(&self, args: &[&str]) -> Run {
        let out = self.cmd(args).output().expect("terrace runs");
        Run::from(args, out)
    }

    /// Runs terrace with extra environment variables.
    pub fn run_with(&self, args: &[&str], vars: &[(&str, &str)]) -> Run {
        let mut c = self.cmd(args);
        for (k, v) in vars {
            c.env(k, v);
        }
        Run::from(args, c.output().expect("terrace runs"))
    }

    /// Starts terrace without waiting; it is killed if the test ends first.
    /// Its output goes to files, so that a full pipe never stalls it.
    pub fn spawn(&self, args: &[&str]) -> Running {
        let out = tempfile::tempfile().expect("temp file");
        let err = tempfile::tempfile().expect("temp file");
        let child = self
            .cmd(args)
            .stdout(Stdio::from(out.try_clone().expect("clone")))
            .stderr(Stdio::from(err.try_clone().expect("clone")))
            .spawn()
            .expect("terrace starts");
        Running {
            child: Some(child),
            args: args.join(" "),
            out,
            err,
        }
    }

    /// Waits until a live process holds environment `env`'s lock, asking
    /// as any user would (`state unlock` refuses a live lock and changes
    /// nothing otherwise), so that it works on every store.
    pub fn wait_for_live_lock(&self, env: &str) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let r = self.run(&["state", "unlock", "--env", env]);
            if r.code == 1 && r.stderr.contains("that process is running") {
                return;
            }
            assert!(
                r.code == 0 && r.stdout.contains("is not locked"),
                "the lock was neither free nor live\n{}",
                r.describe()
            );
            assert!(
                std::time::Instant::now() < deadline,
                "environment {env} was never locked"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// `apply --env dev --auto-approve`, which must succeed.
    pub fn apply(&self) -> Run {
        self.run(&["apply", "--env", "dev", "--auto-approve"])
            .success()
    }
}

/// Where a test's project keeps its records: the tests of crashes, locks,
/// restore and promotion run on both, through [`on_both_stores`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    /// Files under `.terrace/` (the default).
    Local,
    /// A fresh database of its own on the test cluster ([`Database`]).
    Postgres,
}

impl Store {
    /// `p` with its records in this store. On PostgreSQL, a new database
    /// is made for it (dropped with the project) and `terrace backend
    /// init` creates the schema, as a team would before the first plan.
    pub fn project(self, p: Project) -> Project {
        match self {
            Store::Local => p,
            Store::Postgres => {
                let db = Database::new();
                let mut p = p.on_postgres(&db);
                p._database = Some(db);
                p.run(&["backend", "init"]).success();
                p
            }
        }
    }
}

/// Runs each test body `fn NAME(store: Store)` on both stores, as two
/// tests: `NAME::on_local_files` and `NAME::on_postgres`.
macro_rules! on_both_stores {
    ($($body:ident),+ $(,)?) => {$(
        mod $body {
            #[test]
            fn on_local_files() {
                super::$body($crate::harness::Store::Local)
            }

            #[test]
            fn on_postgres() {
                super::$body($crate::harness::Store::Postgres)
            }
        }
    )+};
}
pub(crate) use on_both_stores;

/// A terrace process started with [`Project::spawn`].
pub struct Running {
    child: Option<Child>,
    args: String,
    out: std::fs::File,
    err: std::fs::File,
}

impl Running {
    pub fn id(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// Sends a signal (e.g. `-KILL`, `-INT`) through `kill`.
    pub fn signal(&self, sig: &str) {
        let status = Command::new("kill")
            .args([sig, &self.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill {sig} failed");
    }

    /// Waits up to `limit` for the process to end; a process still running
    /// then is killed and the test fails, rather than hanging.
    pub fn wait_within(mut self, limit: std::time::Duration) -> Run {
        let deadline = std::time::Instant::now() + limit;
        let child = self.child.as_mut().expect("not yet waited for");
        while child.try_wait().expect("try_wait").is_none() {
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                panic!("terrace {} did not end within {limit:?}", self.args);
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        self.wait()
    }

    /// Waits for the process to end.
    pub fn wait(mut self) -> Run {
        use std::io::{Read, Seek};
        let mut child = self.child.take().expect("not yet waited for");
        let status = child.wait().expect("terrace ends");
        let read = |f: &mut std::fs::File| {
            let mut s = String::new();
            f.rewind().expect("rewind");
            f.read_to_string(&mut s).expect("read output");
            s
        };
        Run {
            args: std::mem::take(&mut self.args),
            code: status.code().unwrap_or(-1),
            stdout: read(&mut self.out),
            stderr: read(&mut self.err),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The outcome of one run.
pub struct Run {
    pub args: String,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn from(args: &[&str], out: Output) -> Run {
        Run {
            args: args.join(" "),
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    fn describe(&self) -> String {
        format!(
            "terrace {} exited {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.args, self.code, self.stdout, self.stderr
        )
    }

    /// Asserts exit code 0.
    pub fn success(self) -> Run {
        self.code(0)
    }

    /// Asserts an exit code.
    pub fn code(self, code: i32) -> Run {
        assert_eq!(self.code, code, "{}", self.describe());
        self
    }

    /// Asserts that standard output contains `text`.
    pub fn stdout_has(self, text: &str) -> Run {
        assert!(
            self.stdout.contains(text),
            "stdout lacks {text:?}\n{}",
            self.describe()
        );
        self
    }

    /// Asserts that standard error contains `text`.
    pub fn stderr_has(self, text: &str) -> Run {
        assert!(
            self.stderr.contains(text),
            "stderr lacks {text:?}\n{}",
            self.describe()
        );
        self
    }

    /// Lines of standard output containing `text`.
    pub fn lines_with(&self, text: &str) -> Vec<&str> {
        self.stdout.lines().filter(|l| l.contains(text)).collect()
    }

    /// The index of the first stdout line containing `text`.
    pub fn line_of(&self, text: &str) -> usize {
        self.stdout
            .lines()
            .position(|l| l.contains(text))
            .unwrap_or_else(|| panic!("no line with {text:?}\n{}", self.describe()))
    }
}

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Copies a directory tree (files and directories only).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("read {}: {e}", from.display()))
    {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Replaces what varies between runs (ids, hashes, times, temp paths)
/// with stable placeholders.
pub fn stable(text: &str, root: &Path) -> String {
    let uuid =
        regex_lite::Regex::new(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
            .expect("regex");
    let time = regex_lite::Regex::new(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z").expect("regex");
    let text = text.replace(&root.display().to_string(), "<project>");
    let text = uuid.replace_all(&text, "<uuid>");
    time.replace_all(&text, "<time>").into_owned()
}

/// A minimal project: one environment `dev`, one configuration `main`
/// of the architecture in `arch/main.hcl`.
pub fn single(arch: &str) -> Project {
    Project::new()
        .file(
            "project.hcl",
            "project \"t\" {}\nenvironment \"dev\" {}\nconfiguration \"main\" {\n  architecture = \"./arch\"\n}\n",
        )
        .file("arch/main.hcl", arch)
}

/// Asserts that no file under `dir` contains `needle`.
pub fn assert_not_under(dir: &Path, needle: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            assert_not_under(&path, needle);
        } else {
            let bytes = std::fs::read(&path).expect("read");
            assert!(
                !String::from_utf8_lossy(&bytes).contains(needle),
                "{} contains {needle:?}",
                path.display()
            );
        }
    }
}

/// A saved plan's text with its `checksum` made to match its content
/// again, as a deliberate editor would: for tests of the checks behind it.
pub fn reseal_plan(text: &str) -> String {
    use sha2::Digest;
    let start = text.find("\"checksum\": \"").expect("a checksum");
    let end = start + text[start..].find(",\n").expect("a field") + ",\n  ".len();
    let body = format!("{}{}", &text[..start], &text[end..]);
    assert!(body.starts_with("{\n  "), "a plan opens with {{");
    let sum = format!("{:x}", sha2::Sha256::digest(body.as_bytes()));
    format!("{{\n  \"checksum\": \"sha256:{sum}\",\n  {}", &body[4..])
}
