//! `validate --json`: Terraform's `validate -json` document.

use crate::diag::{Diagnostics, SourceMap};
use serde_json::{Value as Json, json};

/// `{"format_version": "1.0", "valid", "error_count", "warning_count",
/// "diagnostics": [{severity, summary, detail, range, snippet, code}]}`.
pub fn validate_json(diags: Diagnostics, sources: &SourceMap) -> String {
    let list = diags.into_sorted();
    let errors = list.iter().filter(|d| d.is_error()).count();
    let warnings = list.len() - errors;
    let items: Vec<Json> = list
        .iter()
        .map(|d| Json::Object(super::events::diagnostic_body(d, Some(sources))))
        .collect();
    let doc = json!({
        "format_version": "1.0",
        "valid": errors == 0,
        "error_count": errors,
        "warning_count": warnings,
        "diagnostics": items,
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

/// Terraform's `snippet`: the enclosing top-level block's header as
/// `context` (null on a top-level header itself), the line the
/// span starts on, and where in it the span is highlighted (byte offsets
/// into `code`).
pub(super) fn snippet(sources: &SourceMap, span: crate::diag::Span) -> Option<Json> {
    let file = sources.files().nth(span.file.0 as usize)?;
    let text = &*file.text;
    let start = (span.start as usize).min(text.len());
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let end = (span.end as usize).clamp(start, line_end);
    let (line, _) = file.line_col(span.start);
    // A top-level block's header: unindented, opening a block.
    let header = |l: &str| !l.starts_with([' ', '\t', '}']) && l.trim_end().ends_with('{');
    // The nearest unindented line above, if it opens a block; none when
    // the highlight is on a top-level header itself (as in Terraform).
    let context = if header(&text[line_start..line_end]) {
        None
    } else {
        text[..line_start]
            .lines()
            .rev()
            .find(|l| !l.starts_with([' ', '\t']) && !l.trim().is_empty())
            .filter(|l| header(l))
            .map(|l| l.trim_end().trim_end_matches('{').trim_end().to_string())
    };
    Some(json!({
        "context": context,
        "code": text.get(line_start..line_end)?,
        "start_line": line,
        "highlight_start_offset": start - line_start,
        "highlight_end_offset": end - line_start,
        "values": [],
    }))
}
