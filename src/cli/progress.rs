//! Apply progress as plain lines, one per start and end of an operation.

use crate::apply::{Event, Observer, shown};
use crate::plan::Action;
use crate::render::Palette;
use std::io::Write;
use std::time::Duration;

/// Prints apply events to standard output.
pub struct Progress {
    env: String,
    pal: Palette,
}

impl Progress {
    pub fn new(env: &str, pal: Palette) -> Progress {
        Progress {
            env: env.to_string(),
            pal,
        }
    }
}

fn verbs(a: Action) -> (&'static str, &'static str) {
    match a {
        Action::Create | Action::Replace => ("Creating...", "Creation complete"),
        Action::Update => ("Modifying...", "Modifications complete"),
        Action::Delete => ("Destroying...", "Destruction complete"),
        Action::Read => ("Reading...", "Read complete"),
        Action::NoOp | Action::Forget => ("", ""),
    }
}

fn elapsed(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{}ms", d.as_millis())
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

impl Progress {
    /// The plain line for an event.
    pub fn line(&self, e: &Event) -> String {
        match e {
            Event::Started {
                address,
                deposed,
                action,
                ..
            } => {
                let address = shown(address, *deposed);
                format!("{}/{address}: {}", self.env, verbs(*action).0)
            }
            Event::Finished {
                address,
                deposed,
                action,
                elapsed: d,
                id,
            } => {
                let address = shown(address, *deposed);
                let id = id
                    .as_ref()
                    .map(|i| format!(" [id={i}]"))
                    .unwrap_or_default();
                format!(
                    "{}/{address}: {} after {}{id}",
                    self.env,
                    verbs(*action).1,
                    elapsed(*d)
                )
            }
            Event::Failed {
                address,
                deposed,
                message,
                ..
            } => {
                let address = shown(address, *deposed);
                format!(
                    "{}/{address}: {} {message}",
                    self.env,
                    self.pal.red("failed:")
                )
            }
            Event::Skipped { address, because } => {
                format!(
                    "{}/{address}: {} (depends on {because}, which failed)",
                    self.env,
                    self.pal.yellow("not attempted")
                )
            }
            Event::Interrupted { in_flight } => {
                format!(
                    "{} waiting for {in_flight} running operation(s)…",
                    self.pal.yellow("Stopping:")
                )
            }
        }
    }
}

impl Observer for Progress {
    fn event(&self, e: &Event) {
        let line = self.line(e);
        let mut out = std::io::stdout().lock();
        super::written(writeln!(out, "{line}"));
    }
}
