//! The command line: flags, help text, and one thin file per command.
//!
//! Commands load what they need through [`session`], call the core, and
//! print what the [`crate::render`] views produce. Exit codes are decided
//! here and nowhere else: 0 success, 1 error, 2 changes present (with
//! `--detailed-exitcode`).

#![allow(clippy::print_stdout, clippy::print_stderr)]

/// `print!`, except that a closed pipe (`terrace plan | head`) is not a
/// panic: what cannot be written is dropped. Any other failure (a full
/// disk) is noted, and the command exits 1 ([`written`]).
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        $crate::cli::written(write!(std::io::stdout(), $($arg)*));
    }};
}

/// `println!` that tolerates a closed pipe.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        $crate::cli::written(writeln!(std::io::stdout(), $($arg)*));
    }};
}

/// `eprint!` that tolerates a closed pipe.
macro_rules! err {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        $crate::cli::written(write!(std::io::stderr(), $($arg)*));
    }};
}

/// `eprintln!` that tolerates a closed pipe.
macro_rules! errln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        $crate::cli::written(writeln!(std::io::stderr(), $($arg)*));
    }};
}

mod apply;
mod approve;
mod args;
mod attention;
mod audit;
mod backend;
mod completions;
mod console;
mod drift;
mod export;
mod fmt;
mod front;
mod graph;
mod init;
mod live;
mod migrate;
mod output;
mod plan;
mod policy;
mod progress;
mod promote;
mod serve;
mod session;
mod show;
mod state;
mod status;
mod stream;
mod upgrade;
mod validate;
mod vars;
mod view;

use crate::apply::Cancel;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// terrace: plan and apply projects of versioned architectures across
/// environments (dev → test → prod).
#[derive(Debug, Parser)]
#[command(name = "terrace", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command takes.
#[derive(Debug, Args, Clone)]
pub struct Global {
    /// The project directory (the one holding the project's *.hcl files)
    #[arg(long, global = true, value_name = "DIR", default_value = ".")]
    pub project: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a working example project
    Init(init::InitArgs),
    /// Check the definitions; report every problem at once
    Validate(validate::ValidateArgs),
    /// Show what applying would change in an environment
    Plan(plan::PlanArgs),
    /// Apply a saved plan exactly, or plan, confirm and apply
    Apply(apply::ApplyArgs),
    /// Delete everything terrace manages in an environment
    Destroy(apply::DestroyArgs),
    /// Show a saved plan, or an environment's state
    Show(show::ShowArgs),
    /// Show configuration outputs
    Output(output::OutputArgs),
    /// Print the dependency graph as DOT
    Graph(graph::GraphArgs),
    /// Read every managed object and report what changed outside terrace
    Drift(drift::DriftArgs),
    /// Inspect and repair state
    #[command(subcommand)]
    State(state::StateCommand),
    /// Every environment × configuration with its lifecycle stage
    Status(status::StatusArgs),
    /// Record an approval of one exact saved plan
    Approve(approve::ApproveArgs),
    /// Rego policies: `policy test` runs their test_ rules
    #[command(subcommand)]
    Policy(policy::PolicyCommand),
    /// Plan (and apply) an environment with the release its source runs
    Promote(promote::PromoteArgs),
    /// What needs attention, with the command that resolves it
    Attention(attention::AttentionArgs),
    /// The audit trail; --verify checks its hash chain
    Audit(audit::AuditArgs),
    /// Write the whole project as project.json
    Export(export::ExportArgs),
    /// Restore a project's records from project.json
    Import(export::ImportArgs),
    /// Remove the project's records once nothing is deployed (--destroy undeploys first)
    DeleteProject(export::DeleteArgs),
    /// Move a configuration to another version of its catalog architecture
    Upgrade(upgrade::UpgradeArgs),
    /// Rewrite definition files in Terraform's canonical layout, comments kept
    Fmt(fmt::FmtArgs),
    /// Evaluate expressions against an environment's state (reads standard input when it is not a terminal)
    Console(console::ConsoleArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish)
    Completions(completions::CompletionsArgs),
    /// The record store: `backend init` creates or upgrades the database's schema, `backend migrate` copies every record to another backend
    #[command(subcommand)]
    Backend(backend::BackendCommand),
    /// Serve projects over HTTP: an API with tokens and roles, jobs for apply and promote, a web console at /console, and Terraform's HTTP state backend at /tf/state
    Serve(serve::ServeArgs),
}

/// How a command ended, when not plainly successful.
#[derive(Debug)]
pub enum Failure {
    /// Already reported to the user.
    Reported,
    /// A message to print.
    Message(String),
    /// Succeeded, with changes present (`--detailed-exitcode`).
    Changes,
    /// Already reported; exit with this code (`fmt --check`: 3).
    Code(u8),
    /// An operation failed: its diagnostics, or its message, are
    /// reported once, here or on the command's JSON stream.
    Op(Box<crate::ops::Error>),
}

impl From<crate::ops::Error> for Failure {
    fn from(e: crate::ops::Error) -> Failure {
        Failure::Op(Box::new(e))
    }
}

/// Errors of the layers below that commands report as their message.
macro_rules! message_from {
    ($($t:ty),*) => {$(
        impl From<$t> for Failure {
            fn from(e: $t) -> Failure {
                Failure::Message(e.to_string())
            }
        }
    )*};
}

message_from!(
    std::io::Error,
    crate::store::StateError,
    crate::state::JournalError,
    crate::project::RecordError,
    crate::catalog::CatalogError
);

pub type Result<T = ()> = std::result::Result<T, Failure>;

/// The first failure to write the output, other than a closed pipe.
static WRITE_FAILED: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Notes the outcome of writing output: a closed pipe is the reader's
/// choice and ignored, any other error makes the command exit 1.
pub fn written(result: std::io::Result<()>) {
    if let Err(e) = result
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        let _ = WRITE_FAILED.set(e.to_string());
    }
}

/// Parses arguments, runs the command, returns the exit code.
pub fn main() -> u8 {
    // Usage errors exit 1 like every other error: 2 means "changes
    // present" to `--detailed-exitcode` users.
    let argv = match args::normalize(
        std::env::args_os().collect(),
        &args::long_flags(&<Cli as clap::CommandFactory>::command()),
    ) {
        Ok(argv) => argv,
        Err(message) => {
            errln!("error: {message}");
            return 1;
        }
    };
    let cli = match Cli::try_parse_from(argv) {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version are output: one that cannot be written
            // (but to a closed pipe) fails as any other output does.
            let printed = e
                .print()
                .and_then(|()| std::io::Write::flush(&mut std::io::stdout()));
            return match printed {
                _ if e.use_stderr() => 1,
                Err(w) if w.kind() != std::io::ErrorKind::BrokenPipe => {
                    errln!("Error: cannot write the output: {w}");
                    1
                }
                _ => 0,
            };
        }
    };
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            errln!("Error: cannot start the runtime: {e}");
            return 1;
        }
    };
    let result = runtime.block_on(run(cli));
    // Do not wait for a blocking read of the terminal that Ctrl-C cut short.
    runtime.shutdown_background();
    written(std::io::Write::flush(&mut std::io::stdout()));
    if let Some(e) = WRITE_FAILED.get()
        && matches!(result, Ok(()) | Err(Failure::Changes))
    {
        errln!("Error: cannot write the output: {e}");
        return 1;
    }
    match result {
        Ok(()) => 0,
        Err(Failure::Changes) => 2,
        Err(Failure::Reported) => 1,
        Err(Failure::Code(c)) => c,
        Err(Failure::Message(m)) => {
            let ui = session::Ui::detect();
            errln!("{} {m}", ui.pal_err.red("Error:"));
            1
        }
        Err(Failure::Op(e)) => {
            let ui = session::Ui::detect();
            match *e {
                crate::ops::Error::Diagnostics { diags, sources } => ui.report(diags, &sources),
                // Its outcome was shown as it ended.
                crate::ops::Error::Shown { .. } => {}
                e => errln!("{} {e}", ui.pal_err.red("Error:")),
            }
            1
        }
    }
}

async fn run(cli: Cli) -> Result {
    let g = cli.global;
    // From the start, Ctrl-C cancels instead of killing: locks are
    // released and state stays consistent.
    let cancel = Cancel::default();
    let signals = watch_interrupts(cancel.clone());
    let result = match cli.command {
        // Apply stops starting new work and saves what finished.
        Command::Apply(a) => apply::run(&g, a, &cancel).await,
        Command::Destroy(a) => apply::destroy(&g, a, &cancel).await,
        Command::Promote(a) => promote::run(&g, a, &cancel).await,
        Command::DeleteProject(a) => export::run_delete(&g, a, &cancel).await,
        // Ctrl-C or SIGTERM shuts the server down gracefully.
        Command::Serve(a) => serve::run(a, &cancel).await,
        other => crate::ops::interruptible(dispatch(&g, other), &cancel).await,
    };
    signals.abort();
    result
}

async fn dispatch(g: &Global, command: Command) -> Result {
    match command {
        Command::Init(a) => init::run(g, a),
        Command::Validate(a) => validate::run(g, a).await,
        Command::Plan(a) => plan::run(g, a).await,
        Command::Show(a) => show::run(g, a),
        Command::Output(a) => output::run(g, a),
        Command::Graph(a) => graph::run(g, a),
        Command::State(c) => state::run(g, c).await,
        Command::Status(a) => status::run(g, a),
        Command::Approve(a) => approve::run(g, a),
        Command::Attention(a) => attention::run(g, a),
        Command::Policy(c) => policy::run(g, c),
        Command::Audit(a) => audit::run(g, a),
        Command::Export(a) => export::run_export(g, a),
        Command::Import(a) => export::run_import(g, a),
        Command::Apply(_)
        | Command::Destroy(_)
        | Command::Promote(_)
        | Command::DeleteProject(_)
        | Command::Serve(_) => {
            unreachable!("run handles the commands that apply")
        }
        Command::Upgrade(a) => upgrade::run(g, a).await,
        Command::Drift(a) => drift::run(g, a).await,
        Command::Completions(a) => completions::run(a),
        Command::Console(a) => console::run(g, a),
        Command::Fmt(a) => fmt::run(g, a),
        Command::Backend(c) => backend::run(g, c),
    }
}

fn watch_interrupts(cancel: Cancel) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if tokio::signal::ctrl_c().await.is_err() {
                return;
            }
            let ui = session::Ui::detect();
            errln!("\n{} stopping…", ui.pal_err.yellow("Interrupt received:"));
            cancel.cancel();
        }
    })
}

/// `TERRACE_LOG=debug|trace` (or any level) logs to standard error.
fn init_logging() {
    let Ok(level) = std::env::var("TERRACE_LOG") else {
        return;
    };
    let level = match level.to_ascii_lowercase().as_str() {
        "trace" => tracing::Level::TRACE,
        "debug" => tracing::Level::DEBUG,
        "info" => tracing::Level::INFO,
        "warn" => tracing::Level::WARN,
        "error" => tracing::Level::ERROR,
        "" | "off" => return,
        other => {
            errln!(
                "Warning: TERRACE_LOG={other:?} is not a level; use error, warn, info, debug or trace"
            );
            return;
        }
    };
    let color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_ansi(color)
        .with_target(true)
        .try_init();
}
