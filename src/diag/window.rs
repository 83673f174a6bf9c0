//! The piece of a source file a diagnostic shows: the lines of its labels,
//! cut around the labels when a line is long.
//!
//! miette lays a whole line out and pads the underline to the label's
//! column, and padding past 65 535 columns panics; one minified line is
//! enough. So a report is given only a window of the file, and the window
//! reports its true line and column numbers to miette.

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

/// How much of a long line is kept before the first label.
const BEFORE: usize = 120;
/// How much of a long line is kept after the start of the last label.
const AFTER: usize = 240;
/// A neighbouring line is shown as context only when it is shorter.
const CONTEXT_LINE: usize = 240;

/// A window on one file's text, standing for the whole file.
#[derive(Debug)]
pub struct Window {
    name: String,
    text: String,
    /// Zero-based line of the window's first byte in the file.
    line: usize,
    /// Zero-based column of the window's first byte in its line.
    column: usize,
}

impl Window {
    /// The window of `text` that shows `spans` (byte ranges, in order of
    /// importance), and the spans moved into the window.
    pub fn around(
        name: &str,
        text: &str,
        spans: &[(usize, usize)],
    ) -> (Window, Vec<(usize, usize)>) {
        let len = text.len();
        let first = spans.iter().map(|s| s.0).min().unwrap_or(0).min(len);
        let last = spans.iter().map(|s| s.0).max().unwrap_or(0).min(len);
        let last_end = spans.iter().map(|s| s.1).max().unwrap_or(0).min(len);
        let line_start = text[..floor(text, first)].rfind('\n').map_or(0, |i| i + 1);
        let mut lo = if first - line_start > BEFORE {
            floor(text, first - BEFORE)
        } else {
            line_start
        };
        // The line before, as context, when it is short.
        if lo == line_start && lo > 0 {
            let prev = text[..lo - 1].rfind('\n').map_or(0, |i| i + 1);
            if lo - 1 - prev <= CONTEXT_LINE {
                lo = prev;
            }
        }
        let end = ceil(text, last_end.max(last));
        let line_end = text[end..].find('\n').map_or(len, |i| end + i);
        let mut hi = line_end.min(ceil(text, last.saturating_add(AFTER).min(len)));
        hi = hi.max(ceil(text, last.min(len)));
        // The line after, as context, when it is short.
        if hi == line_end && hi < len {
            let next = text[hi + 1..].find('\n').map_or(len, |i| hi + 1 + i);
            if next - hi - 1 <= CONTEXT_LINE {
                hi = next;
            }
        }
        let line = text.as_bytes()[..lo]
            .iter()
            .filter(|c| **c == b'\n')
            .count();
        let column = text[text[..lo].rfind('\n').map_or(0, |i| i + 1)..lo]
            .chars()
            .count();
        let moved = spans
            .iter()
            .map(|&(s, e)| {
                // On character boundaries: miette slices the text there.
                let s = floor(text, s.clamp(lo, hi)) - lo;
                let e = ceil(text, e.clamp(lo, hi)) - lo;
                (s, e.max(s))
            })
            .collect();
        let window = Window {
            name: name.to_string(),
            text: text[lo..hi].to_string(),
            line,
            column,
        };
        (window, moved)
    }

    /// The window's length in bytes.
    pub fn len(&self) -> usize {
        self.text.len()
    }
}

impl SourceCode for Window {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner = self.text.read_span(span, before, after)?;
        let column = if inner.line() == 0 {
            inner.column() + self.column
        } else {
            inner.column()
        };
        let contents = MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line() + self.line,
            column,
            // miette counts the lines up to the end of the context, from
            // the start of the file, and merges contexts by it.
            inner.line_count() + self.line,
        )
        .with_language("hcl");
        Ok(Box::new(contents))
    }
}

fn floor(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while i < s.len() && !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_on_a_long_line_keeps_the_label_and_its_true_line() {
        let text = format!("a = 1\nx = [{}oops]\nb = 2\n", "1,".repeat(100_000));
        let at = text.find("oops").unwrap();
        let (w, spans) = Window::around("m.hcl", &text, &[(at, at + 4)]);
        assert!(w.len() < 1000, "window of {} bytes", w.len());
        assert_eq!(&w.text[spans[0].0..spans[0].1], "oops");
        assert_eq!(w.line, 1);
        assert!(w.column > 100_000);
    }

    #[test]
    fn every_span_of_a_multibyte_text_gets_a_window_on_character_boundaries() {
        let text = "é\n日本語 = x\n\nab";
        for s in 0..text.len() + 2 {
            for e in s..text.len() + 2 {
                let (w, spans) = Window::around("m.hcl", text, &[(s, e), (e, s)]);
                for (s, e) in spans {
                    assert!(w.text.is_char_boundary(s) && w.text.is_char_boundary(e));
                }
            }
        }
    }

    #[test]
    fn a_window_on_short_lines_shows_them_whole_with_context() {
        let text = "a = 1\nb = oops\nc = 3\nd = 4\n";
        let at = text.find("oops").unwrap();
        let (w, spans) = Window::around("m.hcl", text, &[(at, at + 4)]);
        assert_eq!(w.text, "a = 1\nb = oops\nc = 3");
        assert_eq!(&w.text[spans[0].0..spans[0].1], "oops");
        assert_eq!((w.line, w.column), (0, 0));
    }
}
