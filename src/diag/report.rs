//! Rendering diagnostics with miette: a labelled snippet of the source,
//! the stable code and the hint.

use super::window::Window;
use super::{Diagnostic, Severity, SourceMap};
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, SourceSpan};
use std::fmt;

/// One diagnostic in miette's terms, with its source attached.
struct Report {
    message: String,
    code: &'static str,
    severity: Severity,
    help: Option<String>,
    source: Option<Window>,
    labels: Vec<LabeledSpan>,
    related: Vec<Report>,
}

impl fmt::Debug for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        (!self.code.is_empty()).then(|| Box::new(self.code) as Box<dyn fmt::Display>)
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            _ if self.code.is_empty() => miette::Severity::Advice,
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(
                self.related.iter().map(|r| r as &dyn miette::Diagnostic),
            ))
        }
    }
}

/// How many lines apart two labels of one file may be and still be shown
/// in one piece of source.
const NEAR: usize = 8;
/// How many bytes apart they may be (one minified line holds thousands).
const NEAR_BYTES: usize = 2000;

/// Builds a report whose labels all lie near the first label, in its file;
/// the other labels become related reports, one per file and stretch of
/// lines.
fn to_report(d: &Diagnostic, sources: &SourceMap) -> Report {
    let mut report = Report {
        message: d.message.clone(),
        code: d.code,
        severity: d.severity,
        help: d.help.clone(),
        source: None,
        labels: Vec::new(),
        related: Vec::new(),
    };
    let Some(first) = d.labels.first() else {
        return report;
    };
    // Labels are shown together when they are in one file and a few lines
    // apart; miette would otherwise print every line between them (a cycle
    // through a long file became a hundred lines of source).
    let line_of = |l: &super::Label| {
        let text = &sources.file(l.span.file).text;
        let at = (l.span.start as usize).min(text.len());
        text.as_bytes()[..at]
            .iter()
            .filter(|c| **c == b'\n')
            .count()
    };
    let mut by_file: Vec<(super::FileId, Vec<&super::Label>)> = Vec::new();
    for label in &d.labels {
        let line = line_of(label);
        let near = by_file.iter_mut().find(|(f, labels)| {
            *f == label.span.file
                && labels.iter().any(|l| {
                    line_of(l).abs_diff(line) <= NEAR
                        && (l.span.start as usize).abs_diff(label.span.start as usize) <= NEAR_BYTES
                })
        });
        match near {
            Some((_, labels)) => labels.push(label),
            None => by_file.push((label.span.file, vec![label])),
        }
    }
    let mut first_done = false;
    for (file_id, labels) in by_file {
        let file = sources.file(file_id);
        let ranges: Vec<(usize, usize)> = labels
            .iter()
            .map(|l| (l.span.start as usize, l.span.end as usize))
            .collect();
        // Only the lines around the labels go to miette (see `window`).
        let (source, ranges) = Window::around(&file.name, &file.text, &ranges);
        let len = source.len();
        let spans = labels
            .iter()
            .zip(ranges)
            .enumerate()
            .map(|(i, (l, (start, end)))| {
                // miette hides a label at the very end and panics past it.
                let start = start.min(len.saturating_sub(1));
                let end = end.min(len).max((start + 1).min(len));
                let text = (!l.text.is_empty()).then(|| l.text.clone());
                // The first label is where the problem is: miette names its line.
                if i == 0 {
                    LabeledSpan::new_primary_with_span(text, SourceSpan::from(start..end))
                } else {
                    LabeledSpan::new_with_span(text, SourceSpan::from(start..end))
                }
            })
            .collect();
        if file_id == first.span.file && !first_done {
            first_done = true;
            report.source = Some(source);
            report.labels = spans;
        } else {
            report.related.push(Report {
                message: format!("in {}", file.name),
                code: "",
                severity: Severity::Warning,
                help: None,
                source: Some(source),
                labels: spans,
                related: Vec::new(),
            });
        }
    }
    report
}

/// Renders one diagnostic as text, with colour when `color`.
pub fn render(d: &Diagnostic, sources: &SourceMap, color: bool, width: usize) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(width)
        .with_context_lines(1);
    let mut out = String::new();
    let report = to_report(d, sources);
    if handler.render_report(&mut out, &report).is_err() {
        out = format!("{}: {}\n", d.code, d.message);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Span;
    use std::path::Path;

    #[test]
    fn any_span_of_a_multibyte_file_renders_without_a_panic() {
        let mut map = SourceMap::default();
        let text = "a = \"é\"\n日本語 = x\n\nb = [1,2]";
        let id = map.add(Path::new("/p/m.hcl"), Path::new("/p"), text.into());
        for s in 0..text.len() as u32 + 2 {
            for e in s..text.len() as u32 + 2 {
                let d = Diagnostic::error("test::span", "here")
                    .label(
                        Span {
                            file: id,
                            start: s,
                            end: e,
                        },
                        "this",
                    )
                    .label(
                        Span {
                            file: id,
                            start: e,
                            end: e,
                        },
                        "and this",
                    );
                assert!(render(&d, &map, false, 80).contains("here"));
            }
        }
    }
}
