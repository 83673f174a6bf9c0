//! Cutting a large file into pieces at top-level block boundaries, so that
//! each piece is parsed, converted and freed before the next: hcl-edit's
//! tree takes about 5 KB per resource block, which for a generated file of
//! 100 000 blocks would be half a gigabyte at once.
//!
//! The scanner follows just enough of HCL to know where a top-level
//! statement ends: brackets, quoted strings with their `${…}` and `%{…}`
//! parts, heredocs and comments. When it meets anything it does not follow,
//! it gives up and the file is parsed whole.

use std::ops::Range;

enum Mode {
    /// Code, with its count of open brackets; the first is the file itself,
    /// the others are interpolations inside strings.
    Code(usize),
    Str,
}

/// Ranges covering `text`, each ending after a newline at the top level
/// and at least `target` bytes long (but the last); `None` when the
/// scanner cannot follow the text.
pub fn chunks(text: &str, target: usize) -> Option<Vec<Range<usize>>> {
    let (out, open) = scan(text, target)?;
    open.is_empty().then_some(out)
}

/// Where the first bracket that is never closed opens, in a file that
/// ends inside a block: a syntax error at the end of the file is then
/// best shown where the block starts.
pub fn unclosed(text: &str) -> Option<usize> {
    scan(text, usize::MAX)?.1.first().copied()
}

/// The pieces of `text`, and the offsets of the top-level brackets still
/// open at its end.
fn scan(text: &str, target: usize) -> Option<(Vec<Range<usize>>, Vec<usize>)> {
    let mut open = Vec::new();
    let b = text.as_bytes();
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    let mut stack = vec![Mode::Code(0)];
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        let top_level = stack.len() == 1;
        match stack.last_mut()? {
            Mode::Str => match b[i] {
                b'\\' => i += 2,
                b'"' => {
                    stack.pop();
                    i += 1;
                }
                b'\n' => return None,
                c @ (b'$' | b'%') if at(i + 1) == c && at(i + 2) == b'{' => i += 3,
                b'$' | b'%' if at(i + 1) == b'{' => {
                    stack.push(Mode::Code(0));
                    i += 2;
                }
                _ => i += 1,
            },
            Mode::Code(depth) => match b[i] {
                b'#' => i = line_end(b, i),
                b'/' if at(i + 1) == b'/' => i = line_end(b, i),
                b'/' if at(i + 1) == b'*' => i = text[i + 2..].find("*/")? + i + 4,
                b'"' => {
                    stack.push(Mode::Str);
                    i += 1;
                }
                b'{' | b'[' | b'(' => {
                    *depth += 1;
                    if top_level {
                        open.push(i);
                    }
                    i += 1;
                }
                b'}' | b']' | b')' => {
                    if *depth > 0 {
                        *depth -= 1;
                        if top_level {
                            open.pop();
                        }
                    } else if top_level {
                        return None;
                    } else {
                        stack.pop();
                    }
                    i += 1;
                }
                b'<' if at(i + 1) == b'<' => i = heredoc_end(text, i)?,
                b'\n' => {
                    i += 1;
                    if top_level && *depth == 0 && i - start >= target {
                        out.push(start..i);
                        start = i;
                    }
                }
                _ => i += 1,
            },
        }
    }
    if !matches!(stack.as_slice(), [Mode::Code(_)]) {
        return None;
    }
    if start < b.len() {
        out.push(start..b.len());
    }
    Some((out, open))
}

fn line_end(b: &[u8], i: usize) -> usize {
    b[i..]
        .iter()
        .position(|c| *c == b'\n')
        .map_or(b.len(), |p| i + p)
}

/// Where the heredoc starting at `i` (`<<EOT` or `<<-EOT`) ends: just
/// after its closing marker.
fn heredoc_end(text: &str, i: usize) -> Option<usize> {
    let rest = &text[i + 2..];
    let rest = rest.strip_prefix('-').unwrap_or(rest);
    let marker_len = rest
        .bytes()
        .position(|c| !(c.is_ascii_alphanumeric() || c == b'_' || c == b'-'))
        .unwrap_or(rest.len());
    let marker = &rest[..marker_len];
    if marker.is_empty() || !marker.as_bytes()[0].is_ascii_alphabetic() {
        return None;
    }
    let after = &rest[marker_len..];
    let body = after
        .strip_prefix("\r\n")
        .or_else(|| after.strip_prefix('\n'))?;
    let body_start = text.len() - body.len();
    let mut pos = body_start;
    for line in body.split_inclusive('\n') {
        let end = pos + line.len();
        if line.trim() == marker {
            return Some(end - usize::from(line.ends_with('\n')));
        }
        pos = end;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(text: &str, target: usize) -> Vec<&str> {
        chunks(text, target)
            .expect("scannable")
            .into_iter()
            .map(|r| &text[r])
            .collect()
    }

    #[test]
    fn cuts_only_between_top_level_statements() {
        let text = "a = 1\nresource \"x\" \"y\" {\n  v = \"}\\\"{\"\n  w = [\n 1 ]\n}\nb = 2\n";
        let p = pieces(text, 1);
        assert_eq!(
            p,
            [
                "a = 1\n",
                "resource \"x\" \"y\" {\n  v = \"}\\\"{\"\n  w = [\n 1 ]\n}\n",
                "b = 2\n"
            ]
        );
        assert_eq!(pieces(text, 1000), [text]);
    }

    #[test]
    fn follows_interpolations_heredocs_and_comments() {
        let text = concat!(
            "x = \"${ {a = \"}\"}[\"a\"] } $${not} %{ if true }y%{ endif }\"\n",
            "# a comment with { and \"\n",
            "/* a block comment\n } */\n",
            "h = <<-EOT\n  }\n  {\n  EOT\n",
            "z = 3\n",
        );
        let p = pieces(text, 1);
        assert_eq!(p.len(), 5, "{p:?}");
        assert!(p[3].starts_with("h = <<-EOT"), "{p:?}");
        assert_eq!(p.concat(), text);
    }

    #[test]
    fn gives_up_on_what_it_cannot_follow() {
        assert!(chunks("a = \"unterminated\n", 1).is_none());
        assert!(chunks("}\n", 1).is_none());
        assert!(chunks("b { \n", 1).is_none());
        assert!(chunks("h = <<EOT\nnever closed\n", 1).is_none());
        assert!(chunks("c = /* open", 1).is_none());
    }

    #[test]
    fn finds_the_block_that_is_never_closed() {
        let text = "a { }
resource \"x\" \"y\" {
  v = \"}\"\nlocals {\n}\n";
        assert_eq!(unclosed(text), text.find("\"y\" {").map(|i| i + 4));
        assert_eq!(unclosed("a { }\n"), None);
    }
}
