//! [`Console`]: the command line's [`Front`] for operations — text on
//! standard output and error, or a `--json` event stream — chosen once per
//! command.

use super::live::Live;
use super::progress::Progress;
use super::session::Ui;
use super::stream::JsonStream;
use super::view::{Format, ViewFlags};
use crate::apply::{Event, Observer};
use crate::diag::{Diagnostics, SourceMap};
use crate::ops::{Applied, Front, Notice};
use crate::plan::Plan;
use crate::provider::BoxFuture;
use std::io::IsTerminal;

/// How a command shows an operation.
pub struct Console<'a> {
    pub ui: Ui,
    /// `--json`: events as JSON lines instead of text.
    pub stream: Option<&'a JsonStream>,
    /// How plans are shown (`--format`); text when `None`.
    pub view: Option<&'a ViewFlags>,
}

impl<'a> Console<'a> {
    pub fn new(ui: Ui) -> Console<'a> {
        Console {
            ui,
            stream: None,
            view: None,
        }
    }

    /// Events as JSON lines on `stream`.
    pub fn streaming(mut self, stream: Option<&'a JsonStream>) -> Console<'a> {
        self.ui.json = stream.is_some();
        self.stream = stream;
        self
    }

    /// Plans shown as `view` says.
    pub fn viewing(mut self, view: &'a ViewFlags) -> Console<'a> {
        self.view = Some(view);
        self
    }

    /// Whether standard output carries text (not JSON, not Markdown).
    fn text(&self) -> bool {
        self.stream.is_none() && self.view.is_none_or(|v| v.format == Format::Text)
    }

    fn warning(&self, text: &str) {
        if self.ui.json {
            return;
        }
        errln!("{} {text}\n", self.ui.pal_err.yellow("Warning:"));
    }
}

impl Front for Console<'_> {
    fn notice(&self, notice: Notice<'_>) {
        let pal = self.ui.pal_err;
        match notice {
            Notice::Fetched { pin, url } => errln!("{} {pin} from {url}", pal.green("Fetched")),
            Notice::StaleCatalog { why } => errln!(
                "{} using the catalog index read last time: {why}",
                pal.yellow("Warning:")
            ),
            Notice::Recovered { env, recovery } => {
                errln!(
                    "{} the last apply in environment \"{env}\" did not finish; {} completed operation(s) were recovered from its journal.",
                    pal.yellow("Recovered:"),
                    recovery.replayed
                );
                for u in &recovery.unfinished {
                    errln!(
                        "{} {} of {} started at {} and was never recorded as finished: the object may or may not exist.",
                        pal.yellow("Unfinished:"),
                        u.action,
                        u.address,
                        u.started_at
                    );
                }
                errln!();
            }
            Notice::Warning(text) => self.warning(text),
            Notice::AuditNotWritten(cause) => {
                errln!("Warning: the audit trail was not written: {cause}")
            }
            Notice::NoRelease { env, why } => errln!(
                "{} environment \"{env}\" will have no release to promote: {why}. Move shared architectures into the project (or a catalog inside it) to promote it.",
                pal.yellow("Warning:")
            ),
            Notice::NoChanges => {
                if self.stream.is_none() {
                    outln!("No changes to apply.");
                }
            }
            Notice::Promoting {
                release,
                from,
                to,
                applied_at,
                applied_by,
            } => {
                let heading = format!(
                    "Promoting release {} from {from} (applied {applied_at} by {applied_by}) to {to}.",
                    crate::project::release::short(release),
                );
                // Standard output carries only the document in other formats.
                if self.text() {
                    outln!("{heading}\n");
                } else {
                    errln!("{heading}");
                }
            }
            Notice::Saved {
                path,
                env,
                promote_from,
                require_approval,
                promotion,
            } => {
                let p = path.display();
                let saved = if promotion {
                    let next = if require_approval {
                        format!(
                            "Environment {env} requires approval:\n  terrace approve --env {env} {p} --comment \"…\"\n  terrace apply --env {env} {p}"
                        )
                    } else {
                        format!("Apply exactly this plan with:\n  terrace apply --env {env} {p}")
                    };
                    format!("Saved the plan to {p}. {next}")
                } else {
                    match promote_from {
                        Some(from) => format!(
                            "Saved the plan to {p}. Environment {env} receives releases only by promotion from {from}, so apply a promotion instead:\n  terrace promote --from {from} --to {env} --out {env}.plan"
                        ),
                        None => format!(
                            "Saved the plan to {p}. Apply exactly this plan with:\n  terrace apply --env {env} {p}{}",
                            if require_approval {
                                format!(
                                    "\nafter approving it (environment {env} requires it):\n  terrace approve --env {env} {p} --comment \"…\""
                                )
                            } else {
                                String::new()
                            }
                        ),
                    }
                };
                // Only the text view has room for this on standard output.
                if self.text() {
                    outln!("\n{saved}");
                } else {
                    errln!("{saved}");
                }
            }
            Notice::Upgraded {
                configuration,
                from,
                to,
                file,
                line,
            } => {
                outln!("{configuration}: {from} → {to} in {file}:{line}");
                outln!();
            }
            Notice::Undeploying { env } => outln!("Undeploying environment {env}…"),
        }
    }

    fn diagnostics(&self, diags: Diagnostics, sources: &SourceMap) {
        self.ui.report(diags, sources);
    }

    fn planned(&self, plan: &Plan) -> crate::ops::Result {
        match (self.stream, self.view) {
            (Some(stream), _) => stream.plan(plan),
            (None, Some(view)) => super::view::show(plan, view, self.ui.pal)?,
            (None, None) => out!("{}", crate::render::plan(plan, self.ui.pal)),
        }
        Ok(())
    }

    fn shows_json(&self) -> bool {
        self.stream.is_none() && self.view.is_some_and(|v| v.format == Format::Json)
    }

    fn can_confirm(&self) -> bool {
        std::io::stdin().is_terminal()
    }

    fn confirm<'b>(&'b self, what: &'b str) -> BoxFuture<'b, bool> {
        Box::pin(confirm(what))
    }

    fn reads(&self) -> &dyn crate::plan::Reads {
        match self.stream {
            Some(stream) => stream,
            None => &crate::plan::Unobserved,
        }
    }

    fn applying(&self, plan: &Plan) {
        if let Some(stream) = self.stream {
            stream.plan(plan);
        }
    }

    fn progress<'b>(&'b self, env: &str, plan: &Plan) -> Box<dyn Observer + 'b> {
        match self.stream {
            Some(stream) => Box::new(Forward(stream)),
            None if std::io::stdout().is_terminal() => Box::new(Live::new(env, plan, self.ui.pal)),
            None => Box::new(Progress::new(env, self.ui.pal)),
        }
    }

    fn applied(&self, applied: &Applied<'_>) {
        match self.stream {
            Some(stream) => stream.outcome(
                applied.outcome,
                applied.destroy,
                applied.sources,
                applied.state,
            ),
            None => finish(self, applied),
        }
    }
}

/// Passes events to a borrowed observer.
struct Forward<'a>(&'a dyn Observer);

impl Observer for Forward<'_> {
    fn event(&self, event: &Event) {
        self.0.event(event);
    }
}

/// Asks whether to `what` on the terminal; only `yes` goes on.
pub async fn confirm(what: &str) -> bool {
    out!(
        "\nDo you want to {what}?\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: "
    );
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let answer = tokio::task::spawn_blocking(|| {
        let mut s = String::new();
        std::io::stdin().read_line(&mut s).map(|_| s)
    })
    .await
    .ok()
    .and_then(|r| r.ok())
    .unwrap_or_default();
    outln!();
    answer.trim() == "yes"
}

/// The summary of an apply in text.
fn finish(console: &Console<'_>, a: &Applied<'_>) {
    let Applied {
        plan,
        outcome,
        state,
        sources,
        destroy,
    } = *a;
    let ui = console.ui;
    let word = if destroy { "Destroy" } else { "Apply" };
    let done = if destroy {
        format!("{} destroyed", outcome.deleted + outcome.replaced)
    } else {
        let imported = if outcome.imported > 0 {
            format!("{} imported, ", outcome.imported)
        } else {
            String::new()
        };
        format!(
            "{imported}{} added, {} changed, {} destroyed",
            outcome.created + outcome.replaced,
            outcome.updated,
            outcome.deleted + outcome.replaced
        )
    };
    if !outcome.warnings.is_empty() {
        ui.report(outcome.warnings.iter().cloned().collect(), sources);
    }
    if !outcome.errors.is_empty() {
        let n = outcome.errors.len();
        ui.report(outcome.errors.iter().cloned().collect(), sources);
        errln!(
            "{} {n} error(s); {done} before stopping. State is saved (serial {}).",
            ui.pal_err.red(&format!("{word} failed:")),
            outcome.serial
        );
        return;
    }
    if outcome.cancelled {
        errln!(
            "{} {done} before stopping. State is saved (serial {}); run the same command again to finish.",
            ui.pal_err.yellow(&format!("{word} interrupted:")),
            outcome.serial
        );
        return;
    }
    outln!(
        "\n{} Resources: {done}.",
        ui.pal.green(&format!("{word} complete!"))
    );
    if !plan.targets.is_empty() {
        console.warning(&format!(
            "Applied changes may be incomplete\n\n\
             The plan was created with --target in effect, so some changes requested in the definitions may have been ignored and the output values may not be fully updated. Run the following command to verify that no other changes are pending:\n    terrace plan --env {}\n\n\
             Note that --target is not suitable for routine use, and is provided only for exceptional situations such as recovering from errors or mistakes.",
            plan.environment
        ));
    }
    if !destroy && !plan.outputs.is_empty() {
        let text = crate::render::outputs(state, None, ui.pal);
        if !text.is_empty() {
            outln!("\nOutputs:\n\n{text}");
        }
    }
}
