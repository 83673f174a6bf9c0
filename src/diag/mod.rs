//! Diagnostics: problems found in a user's definitions or while evaluating
//! them, each with a stable code, a message, labelled spans and a hint.
//!
//! Every stage collects diagnostics into a [`Diagnostics`] list rather than
//! stopping at the first one, so that a run reports all problems at once.
//! [`report`] turns them into miette reports for the terminal.

mod report;
mod source;
mod window;

pub use report::render;
pub use source::{FileId, SourceFile, SourceMap, Span, display_name, line_col};

use crate::address::InstanceAddr;
use std::fmt;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

/// A span with the text shown beside it.
#[derive(Debug, Clone)]
pub struct Label {
    pub span: Span,
    pub text: String,
}

/// One problem, with where it is and what to do about it.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable identifier, e.g. `config::unknown_block`.
    pub code: &'static str,
    pub message: String,
    pub labels: Vec<Label>,
    pub help: Option<String>,
    /// What the JSON views say beyond the message, when there is any
    /// (boxed: most diagnostics have none).
    pub json: Option<Box<JsonExtra>>,
}

/// What Terraform's machine-readable diagnostics carry beyond a message.
#[derive(Debug, Clone, Default)]
pub struct JsonExtra {
    /// The resource instance whose provider operation failed (Terraform's
    /// diagnostic `address`).
    pub address: Option<InstanceAddr>,
    /// Terraform's fixed summary and its detail, where `message` (what a
    /// person reads) joins them with more: a failed condition's "Resource
    /// postcondition failed" and its `error_message`.
    pub wording: Option<(&'static str, String)>,
    /// The values of the references in the expression the primary span
    /// highlights, when they help to explain it (Terraform's
    /// `snippet.values`).
    pub values: Vec<ExprValue>,
}

/// A reference in a highlighted expression and what its value was:
/// `self.id` `is "a"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprValue {
    /// The reference as written: `var.x`, `terrace_data.k["a"].id`.
    pub traversal: String,
    /// `is "a"`, `is 3`, `is null`, `is a tuple with 2 elements`, `has a
    /// sensitive value`.
    pub statement: String,
}

impl Diagnostic {
    /// An error.
    pub fn error(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            labels: Vec::new(),
            help: None,
            json: None,
        }
    }

    /// A warning.
    pub fn warning(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    /// Adds a labelled span.
    pub fn label(mut self, span: Span, text: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            text: text.into(),
        });
        self
    }

    /// Sets the hint.
    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Names the resource instance whose operation failed.
    pub fn at(mut self, address: &InstanceAddr) -> Diagnostic {
        self.json_mut().address = Some(address.clone());
        self
    }

    /// Terraform's `summary` and `detail` for the JSON views.
    pub fn terraform(mut self, summary: &'static str, detail: impl Into<String>) -> Diagnostic {
        self.json_mut().wording = Some((summary, detail.into()));
        self
    }

    /// The values of the references in the highlighted expression.
    pub fn values(mut self, values: Vec<ExprValue>) -> Diagnostic {
        if !values.is_empty() {
            self.json_mut().values = values;
        }
        self
    }

    fn json_mut(&mut self) -> &mut JsonExtra {
        self.json.get_or_insert_with(Box::default)
    }

    /// The primary span, if any.
    pub fn span(&self) -> Option<Span> {
        self.labels.first().map(|l| l.span)
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The diagnostics of one run.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }

    /// The diagnostics, to add help to some once more is known.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Diagnostic> {
        self.0.iter_mut()
    }

    /// Sorted by file and position, errors and warnings mixed, duplicates
    /// (same code at the same place) removed.
    pub fn into_sorted(mut self) -> Vec<Diagnostic> {
        self.0.sort_by_key(|d| {
            let s = d.span().unwrap_or_default();
            (s.file, s.start, d.code)
        });
        self.0
            .dedup_by(|a, b| a.code == b.code && a.span() == b.span() && a.message == b.message);
        self.0
    }
}

impl FromIterator<Diagnostic> for Diagnostics {
    fn from_iter<I: IntoIterator<Item = Diagnostic>>(iter: I) -> Diagnostics {
        Diagnostics(iter.into_iter().collect())
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Diagnostics {
        Diagnostics(vec![d])
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// Suggests the candidate closest to `name`, for "did you mean" hints.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, c)| *d <= (name.len().max(c.len()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Edits (insert, delete, replace, swap two neighbours) from `a` to `b`.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(
            did_you_mean("contnet", ["content", "path"]),
            Some("content")
        );
        assert_eq!(did_you_mean("zzz", ["content", "path"]), None);
        assert_eq!(did_you_mean("nmae", ["name", "size"]), Some("name"));
    }
}
