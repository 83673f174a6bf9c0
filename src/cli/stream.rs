//! `--json`: the machine-readable event stream of `plan`, `apply` and
//! `destroy`, one JSON object per line on standard output. An
//! [`Observer`] of the apply walker; the lines come from
//! [`crate::render::events`].

use super::{Failure, Result};
use crate::address::InstanceAddr;
use crate::apply::{Event, Observer, Outcome};
use crate::diag::{Diagnostics, Severity, SourceMap};
use crate::ops::Error;
use crate::plan::Plan;
use crate::render::events::Events;
use crate::state::EnvState;
use std::io::Write;

/// Writes event lines to standard output.
pub struct JsonStream {
    events: Events,
}

impl JsonStream {
    pub fn new(env: &str) -> JsonStream {
        JsonStream {
            events: Events::new(env),
        }
    }

    fn write(&self, line: &str) {
        let mut out = std::io::stdout().lock();
        super::written(writeln!(out, "{line}"));
    }

    pub fn version(&self) {
        self.write(&self.events.version());
    }

    /// The plan's drift, changes, warnings, summary and outputs.
    pub fn plan(&self, p: &Plan) {
        for line in self.events.plan(p) {
            self.write(&line);
        }
    }

    /// The lines that end an apply ([`Events::outcome`]).
    pub fn outcome(&self, o: &Outcome, destroy: bool, sources: &SourceMap, state: &EnvState) {
        for line in self.events.outcome(o, destroy, sources, state) {
            self.write(&line);
        }
    }

    /// Diagnostics as `diagnostic` lines.
    pub fn diagnostics(&self, diags: Diagnostics, sources: &SourceMap) {
        for d in diags.into_sorted() {
            self.write(&self.events.diagnostic(&d, Some(sources)));
        }
    }

    /// A failure becomes `diagnostic` lines (standard output stays pure
    /// JSON); the exit code is kept.
    pub fn result<T>(&self, r: Result<T>) -> Result<T> {
        match r {
            Err(Failure::Message(m)) => {
                self.write(&self.events.message(Severity::Error, &m, ""));
                Err(Failure::Reported)
            }
            Err(Failure::Op(e)) => {
                match *e {
                    Error::Diagnostics { diags, sources } => self.diagnostics(diags, &sources),
                    Error::Shown { .. } => {}
                    e => self.write(&self.events.message(Severity::Error, &e.to_string(), "")),
                }
                Err(Failure::Reported)
            }
            other => other,
        }
    }
}

impl crate::plan::Reads for JsonStream {
    fn reading(&self, addr: &InstanceAddr, id: Option<&str>) {
        self.write(&self.events.refresh(addr, id, false));
    }

    fn read(&self, addr: &InstanceAddr, id: Option<&str>) {
        self.write(&self.events.refresh(addr, id, true));
    }
}

impl Observer for JsonStream {
    fn event(&self, e: &Event) {
        self.write(&self.events.apply_event(e));
    }
}
