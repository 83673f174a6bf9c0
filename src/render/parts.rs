//! Splitting a document into parts no larger than a byte limit (a pull
//! request comment's), at section boundaries where possible, else between
//! items (resources), else between lines; a section split across parts is
//! closed at the end of one and reopened at the start of the next, so that
//! every part renders on its own. Each part starts with
//! `<!-- terrace part K/M -->`.

/// A piece of a document that is kept whole where it fits.
#[derive(Debug, Clone, Default)]
pub struct Section {
    /// Written before the first item (e.g. a heading and `<details>`).
    pub open: String,
    /// Written before the items that continue in a later part.
    pub reopen: String,
    /// Units that are never split unless one alone is too large; each is
    /// whole lines.
    pub items: Vec<String>,
    /// Written after the last item of each part (e.g. closing the fence).
    pub close: String,
}

impl Section {
    fn len(&self) -> usize {
        self.open.len() + self.items.iter().map(String::len).sum::<usize>() + self.close.len()
    }
}

/// The longest a part marker can be: `<!-- terrace part 999999/999999 -->\n`.
const MARKER_RESERVE: usize = 36;

/// The smallest limit that leaves room for a marker and a section frame.
pub const MIN_BYTES: usize = 1024;

/// The marker that starts part `k` of `m`.
pub fn marker(k: usize, m: usize) -> String {
    format!("<!-- terrace part {k}/{m} -->\n")
}

/// Lays the sections out into parts of at most `max_bytes` bytes each
/// (`max_bytes` is raised to [`MIN_BYTES`]), each starting with its marker.
pub fn split(sections: &[Section], max_bytes: usize) -> Vec<String> {
    let budget = max_bytes.max(MIN_BYTES) - MARKER_RESERVE;
    let mut parts: Vec<String> = vec![String::new()];
    for s in sections {
        let whole = s.len();
        let cur_len = parts.last().map_or(0, String::len);
        if cur_len + whole <= budget {
            push_whole(parts.last_mut(), s);
            continue;
        }
        if whole <= budget {
            parts.push(String::new());
            push_whole(parts.last_mut(), s);
            continue;
        }
        split_section(&mut parts, s, budget);
    }
    parts.retain(|p| !p.is_empty());
    if parts.is_empty() {
        parts.push(String::new());
    }
    let m = parts.len();
    parts
        .into_iter()
        .enumerate()
        .map(|(i, p)| format!("{}{p}", marker(i + 1, m)))
        .collect()
}

fn push_whole(part: Option<&mut String>, s: &Section) {
    if let Some(part) = part {
        part.push_str(&s.open);
        for item in &s.items {
            part.push_str(item);
        }
        part.push_str(&s.close);
    }
}

/// Lays out a section too large for one part, item by item.
fn split_section(parts: &mut Vec<String>, s: &Section, budget: usize) {
    let frame = s.open.len().max(s.reopen.len()) + s.close.len();
    let room = budget.saturating_sub(frame).max(1);
    let mut first = true;
    let mut opened = false;
    for unit in s.items.iter().flat_map(|item| units(item, room)) {
        let head = if first { &s.open } else { &s.reopen };
        let need = unit.len() + s.close.len() + if opened { 0 } else { head.len() };
        let cur = parts.last().map_or(0, String::len);
        if cur + need > budget && (opened || cur > 0) {
            if let (true, Some(p)) = (opened, parts.last_mut()) {
                p.push_str(&s.close);
            }
            parts.push(String::new());
            opened = false;
        }
        let Some(part) = parts.last_mut() else {
            return;
        };
        if !opened {
            part.push_str(if first { &s.open } else { &s.reopen });
            opened = true;
            first = false;
        }
        part.push_str(&unit);
    }
    if let (true, Some(p)) = (opened, parts.last_mut()) {
        p.push_str(&s.close);
    }
}

/// An item as it can be laid out: whole if it fits in `room`, else its
/// lines grouped up to `room`, a single longer line cut with a note.
fn units(item: &str, room: usize) -> Vec<String> {
    if item.len() <= room {
        return vec![item.to_string()];
    }
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    for line in item.split_inclusive('\n') {
        let line = if line.len() > room {
            cut(line, room)
        } else {
            line.to_string()
        };
        if cur.len() + line.len() > room && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        cur.push_str(&line);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// A line longer than a part can hold, shortened at a character boundary.
fn cut(line: &str, room: usize) -> String {
    let note = format!(" … (line cut: {} bytes)\n", line.len());
    let keep = room.saturating_sub(note.len());
    let mut end = keep.min(line.len());
    while end > 0 && !line.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{note}", &line[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(n: usize, size: usize) -> Section {
        Section {
            open: "<details>\n\n```diff\n".into(),
            reopen: "<details>(continued)\n\n```diff\n".into(),
            items: (0..n)
                .map(|i| format!("+ {i} {}\n", "x".repeat(size)))
                .collect(),
            close: "```\n\n</details>\n".into(),
        }
    }

    #[test]
    fn a_small_document_is_one_part() {
        let parts = split(&[section(3, 10)], 65536);
        assert_eq!(parts.len(), 1);
        assert!(parts[0].starts_with("<!-- terrace part 1/1 -->\n"));
    }

    #[test]
    fn a_large_section_is_closed_and_reopened_in_every_part() {
        let parts = split(&[section(100, 100)], 2048);
        assert!(parts.len() > 3, "{}", parts.len());
        for (i, p) in parts.iter().enumerate() {
            assert!(p.len() <= 2048, "part {i} has {} bytes", p.len());
            assert_eq!(p.matches("<details>").count(), 1, "{p}");
            assert!(p.ends_with("```\n\n</details>\n"), "{p}");
            assert!(p.starts_with(&marker(i + 1, parts.len())));
        }
        let all: String = parts.concat();
        for i in 0..100 {
            assert!(all.contains(&format!("+ {i} ")), "item {i} lost");
        }
    }

    #[test]
    fn sections_that_fit_a_part_are_not_split() {
        let sections = vec![section(5, 100), section(5, 100), section(5, 100)];
        let parts = split(&sections, 1024);
        assert_eq!(parts.len(), 3);
        for p in &parts {
            assert!(!p.contains("(continued)"), "{p}");
            assert_eq!(p.matches("+ 4 ").count(), 1, "{p}");
        }
    }

    #[test]
    fn a_line_longer_than_a_part_is_cut_not_overflowed() {
        let parts = split(&[section(1, 5000)], 1024);
        for p in &parts {
            assert!(p.len() <= 1024, "{}", p.len());
        }
        assert!(parts.concat().contains("line cut"));
    }
}
