//! Apply progress on a terminal: a line per running operation with its
//! elapsed time, and a bar of how many are done of how many; finished
//! operations scroll above as the plain lines of [`Progress`].

use super::progress::Progress;
use crate::apply::{Event, Observer, shown};
use crate::plan::{Action, Plan};
use crate::render::Palette;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// A live display of an apply, drawn on standard output.
pub struct Live {
    lines: Progress,
    multi: MultiProgress,
    total: ProgressBar,
    running: Mutex<HashMap<String, ProgressBar>>,
}

impl Live {
    pub fn new(env: &str, plan: &Plan, pal: Palette) -> Live {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stdout());
        let steps = plan
            .changes
            .iter()
            .filter(|c| c.action != Action::NoOp)
            .count() as u64;
        let total = multi.add(ProgressBar::new(steps));
        if let Ok(style) =
            ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} done, {elapsed} elapsed")
        {
            total.set_style(style.progress_chars("=> "));
        }
        total.set_prefix(format!("Applying to {env}"));
        total.enable_steady_tick(Duration::from_millis(200));
        Live {
            lines: Progress::new(env, pal),
            multi,
            total,
            running: Mutex::new(HashMap::new()),
        }
    }

    fn running(&self) -> std::sync::MutexGuard<'_, HashMap<String, ProgressBar>> {
        self.running.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn done(&self, address: &str) {
        if let Some(bar) = self.running().remove(address) {
            bar.finish_and_clear();
            self.multi.remove(&bar);
        }
        self.total.inc(1);
        if self.total.position() > self.total.length().unwrap_or(0) {
            self.total.set_length(self.total.position());
        }
    }
}

impl Observer for Live {
    fn event(&self, e: &Event) {
        match e {
            Event::Started {
                address, deposed, ..
            } => {
                let bar = self
                    .multi
                    .insert_before(&self.total, ProgressBar::new_spinner());
                if let Ok(style) = ProgressStyle::with_template("  {spinner} {msg} ({elapsed})") {
                    bar.set_style(style);
                }
                bar.set_message(self.lines.line(e));
                bar.enable_steady_tick(Duration::from_millis(120));
                self.running()
                    .insert(shown(address, *deposed).into_owned(), bar);
                return;
            }
            Event::Finished {
                address, deposed, ..
            }
            | Event::Failed {
                address, deposed, ..
            } => self.done(&shown(address, *deposed)),
            Event::Skipped { address, .. } => self.done(address),
            Event::Interrupted { .. } => {}
        }
        let _ = self.multi.println(self.lines.line(e));
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        for (_, bar) in self.running().drain() {
            bar.finish_and_clear();
        }
        self.total.finish_and_clear();
    }
}
