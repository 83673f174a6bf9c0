//! The Markdown splitter (render/parts): sections made up from the input,
//! framed as the plan's Markdown frames them (`<details>` and a `diff`
//! fence), laid out into parts. Every part is within the limit, starts
//! with its `<!-- terrace part K/M -->` marker, closes every fence and
//! `<details>` it opens, and the parts together hold every line of every
//! item, in order (lines longer than a part are cut, with a note).
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use terrace::render::parts::{MIN_BYTES, Section, marker, split};

#[derive(Arbitrary, Debug)]
struct Input {
    max_bytes: u16,
    sections: Vec<(String, bool, Vec<Vec<(u8, String)>>)>,
}

fuzz_target!(|input: Input| {
    let mut sections = Vec::new();
    let mut lines = Vec::new();
    for (title, framed, items) in &input.sections {
        let title: String = title
            .chars()
            .filter(|c| !c.is_control() && *c != '`')
            .take(200)
            .collect();
        let items: Vec<String> = items
            .iter()
            .map(|item| {
                let mut text = String::new();
                for (sym, line) in item {
                    let sym = ["+ ", "- ", "  ", "~ "][usize::from(*sym) % 4];
                    let line: String = line.chars().filter(|c| *c != '\n' && *c != '\r').collect();
                    let line = format!("{sym}{line}");
                    text.push_str(&line);
                    text.push('\n');
                    lines.push(line);
                }
                text
            })
            .collect();
        sections.push(if *framed {
            Section {
                open: format!("<details><summary>{title}</summary>\n\n```diff\n"),
                reopen: format!("<details><summary>{title} (continued)</summary>\n\n```diff\n"),
                items,
                close: "```\n\n</details>\n".into(),
            }
        } else {
            Section {
                items,
                ..Section::default()
            }
        });
    }
    let max = usize::from(input.max_bytes);
    let parts = split(&sections, max);
    let limit = max.max(MIN_BYTES);
    let m = parts.len();
    let mut got = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        assert!(
            p.len() <= limit,
            "part {} has {} bytes, over {limit}",
            i + 1,
            p.len()
        );
        let Some(body) = p.strip_prefix(&marker(i + 1, m)) else {
            panic!("part {} does not start with its marker", i + 1);
        };
        let fences = body.lines().filter(|l| l.starts_with("```")).count();
        assert!(fences % 2 == 0, "part {} ends inside a code fence", i + 1);
        assert_eq!(
            body.lines().filter(|l| l.starts_with("<details>")).count(),
            body.lines().filter(|l| *l == "</details>").count(),
            "part {} leaves a <details> open",
            i + 1
        );
        got.extend(
            body.lines()
                .filter(|l| ["+ ", "- ", "  ", "~ "].iter().any(|s| l.starts_with(s))),
        );
    }
    let cut = |l: &str| l.ends_with(" bytes)") && l.contains(" … (line cut: ");
    assert_eq!(got.len(), lines.len(), "lines were lost or added");
    for (g, want) in got.iter().zip(&lines) {
        assert!(
            *g == want || cut(g),
            "a line changed: {g:?} is not {want:?}"
        );
    }
});
