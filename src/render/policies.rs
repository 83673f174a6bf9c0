//! Policy results (docs/policies.md) in the text and Markdown plan views,
//! and `terrace policy test`'s report.

use super::Palette;
use crate::config::Enforcement;
use crate::policy::{PolicyResult, TestOutcome, TestResult, Verdict};
use std::fmt::Write;

/// What a result means for the plan, in a word or three.
fn effect(r: &PolicyResult) -> &'static str {
    match (r.result, r.enforcement) {
        (Verdict::Pass, _) => "passed",
        (Verdict::Warn, _) => "warns",
        (_, Enforcement::Advisory) => "failed (advisory: not blocking)",
        (_, Enforcement::Mandatory) => "failed: blocks apply",
        (_, Enforcement::Overridable) => "failed: blocks apply unless an approval overrides it",
    }
}

/// The "Policies:" section of the text view, after the summary line.
pub fn text(out: &mut String, results: &[PolicyResult], pal: Palette) {
    if results.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n{}", pal.bold("Policies:"));
    for r in results {
        let verdict = match (r.result, r.blocks()) {
            (Verdict::Pass, _) => pal.green("pass"),
            (Verdict::Error, true) => pal.red("error"),
            (_, true) => pal.red("FAIL"),
            (Verdict::Error, false) => pal.yellow("error"),
            (Verdict::Warn, false) => pal.yellow("warn"),
            (_, false) => pal.yellow("fail"),
        };
        let _ = writeln!(
            out,
            "  {verdict}  {} ({}): {}",
            r.name,
            r.enforcement.as_str(),
            effect(r)
        );
        for m in &r.messages {
            let _ = writeln!(out, "        - {m}");
        }
    }
}

/// The Markdown "Policies" block of a plan's head; `text` escapes.
pub fn markdown(results: &[PolicyResult], text: impl Fn(&str) -> String) -> String {
    let mut out =
        String::from("**Policies**\n\n| policy | enforcement | result |\n| --- | --- | --- |\n");
    for r in results {
        let mark = match (r.result, r.blocks()) {
            (Verdict::Pass, _) => "✅",
            (_, true) => "❌",
            _ => "⚠️",
        };
        let mut cell = format!("{mark} {}", text(effect(r)));
        for m in &r.messages {
            let _ = write!(cell, "<br>• {}", text(m));
        }
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            text(&r.name),
            r.enforcement.as_str(),
            cell
        );
    }
    out.push('\n');
    out
}

/// `terrace policy test`: one line per test, then the counts, as `opa
/// test --verbose` writes them (without timings). No tests: nothing.
pub fn tests(results: &[TestResult], pal: Palette) -> String {
    let mut out = String::new();
    if results.is_empty() {
        return out;
    }
    let mut file = "";
    for r in results {
        if r.file != file {
            file = &r.file;
            let _ = writeln!(out, "{file}:");
        }
        let outcome = match r.outcome {
            TestOutcome::Pass => pal.green("PASS"),
            TestOutcome::Fail => pal.red("FAIL"),
            TestOutcome::Error => pal.red("ERROR"),
        };
        let _ = writeln!(out, "{}: {outcome}", r.rule);
        if let Some(m) = &r.message {
            let _ = writeln!(out, "  {m}");
        }
    }
    let _ = writeln!(out, "{}", "-".repeat(80));
    let n = results.len();
    for (word, outcome) in [
        ("PASS", TestOutcome::Pass),
        ("FAIL", TestOutcome::Fail),
        ("ERROR", TestOutcome::Error),
    ] {
        let k = results.iter().filter(|r| r.outcome == outcome).count();
        if k > 0 {
            let _ = writeln!(out, "{word}: {k}/{n}");
        }
    }
    out
}
