//! The plan as a pull-request comment (GitHub or GitLab Markdown): a first
//! line that says what happens, destructive changes first as a warning
//! block with the reason for each, a table per configuration, then per
//! configuration a collapsed `<details>` holding the text plan's notation
//! in a `diff` block (symbols moved to the start of the line so that the
//! host colours them: `+` create, `-` delete, `-/+` replace, and `~`
//! written as `!`, as tfcmt does, so that in-place updates are coloured
//! too), output changes, and drift in its own section. Names and values
//! outside code are escaped so that they render as text. Sensitive values
//! are masked as in the text plan. Split into parts by [`super::parts`].

use super::parts::{Section, split};
use super::plan::{change, drift_entry, output, reason_text};
use super::style::Palette;
use crate::plan::{Action, Change, Drift, Plan};
use crate::value::Path;
use std::collections::BTreeMap;
use std::fmt::Write;

/// GitHub's limit on a comment, in bytes.
pub const DEFAULT_MAX_BYTES: usize = 65536;

/// Renders a plan as Markdown parts of at most `max_bytes` bytes each,
/// every one starting with `<!-- terrace part K/M -->`.
pub fn plan(p: &Plan, max_bytes: usize) -> Vec<String> {
    split(&sections(p), max_bytes)
}

/// Counts per configuration, for the table.
#[derive(Default)]
struct Counts {
    add: usize,
    change: usize,
    replace: usize,
    destroy: usize,
}

fn sections(p: &Plan) -> Vec<Section> {
    let pal = Palette::plain();
    let changes: Vec<&Change> = p.changes.iter().filter(|c| c.is_change()).collect();
    let mut by_config: BTreeMap<&str, (Counts, Vec<&Change>)> = BTreeMap::new();
    for c in &changes {
        let (n, list) = by_config.entry(&c.address.resource.config).or_default();
        match c.action {
            Action::Create => n.add += 1,
            Action::Update => n.change += 1,
            Action::Replace => n.replace += 1,
            Action::Delete => n.destroy += 1,
            Action::Read | Action::NoOp | Action::Forget => {}
        }
        list.push(c);
    }
    let mut out = vec![head(p, &changes, &by_config)];
    for (config, (n, list)) in &by_config {
        let items: Vec<String> = list
            .iter()
            .map(|c| {
                let mut text = String::new();
                change(&mut text, &p.environment, c, pal);
                diff_notation(&text)
            })
            .collect();
        let title = format!("<b>{}</b>: {}", text(config), counts_text(n));
        out.push(collapsed(&title, items));
    }
    let outputs: Vec<String> = p
        .outputs
        .iter()
        .filter(|o| o.action != Action::NoOp)
        .map(|o| {
            let mut text = String::new();
            output(&mut text, o, pal);
            diff_notation(&text)
        })
        .collect();
    if !outputs.is_empty() {
        out.push(collapsed("Changes to outputs", outputs));
    }
    if !p.drift.is_empty() {
        out.push(drift_section(&p.environment, &p.drift, true));
    }
    out
}

/// A drift report (`terrace drift --format markdown`), in parts like a
/// plan, its headline naming the project like a plan's.
pub fn drift(project: &str, env: &str, drift: &[Drift], max_bytes: usize) -> Vec<String> {
    let n = drift.len();
    let named = headline(project, env);
    let first = match n {
        0 => format!("**{named}**: no drift; every object matches the state\n\n"),
        n => format!(
            "**{named}**: {n} object{} changed outside terrace\n\n",
            plural(n)
        ),
    };
    let mut sections = vec![Section {
        items: vec![first],
        ..Section::default()
    }];
    if n > 0 {
        sections.push(drift_section(env, drift, false));
    }
    split(&sections, max_bytes)
}

/// Objects changed outside terrace, apart from the changes.
fn drift_section(env: &str, drift: &[Drift], with_changes: bool) -> Section {
    let pal = Palette::plain();
    let items: Vec<String> = drift
        .iter()
        .map(|d| {
            let mut text = String::new();
            drift_entry(&mut text, env, d, pal);
            diff_notation(&text)
        })
        .collect();
    let n = items.len();
    let mut s = collapsed(
        &format!(
            "{n} object{} changed outside terrace since the last apply",
            plural(n)
        ),
        items,
    );
    let note = if with_changes {
        "Applying records these in the state; the changes above undo or respond to them.\n\n"
    } else {
        ""
    };
    s.open = format!("### Changes outside terrace\n\n{note}{}", s.open);
    s
}

/// The bold start of a headline: `project** · **env` (the caller adds
/// the outer `**`), or the environment alone when the project is unnamed.
fn headline(project: &str, env: &str) -> String {
    if project.is_empty() {
        text(env)
    } else {
        format!("{}** · **{}", text(project), text(env))
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The first line, warnings, destructive changes and the table.
fn head(
    p: &Plan,
    changes: &[&Change],
    by_config: &BTreeMap<&str, (Counts, Vec<&Change>)>,
) -> Section {
    let mut items = Vec::new();
    let env = headline(&p.project, &p.environment);
    let s = p.summary();
    let first = if changes.is_empty() {
        let outputs = p.outputs.iter().any(|o| o.action != Action::NoOp);
        match (outputs, p.drift.len()) {
            (false, 0) => format!("**{env}**: no changes"),
            (true, _) => format!("**{env}**: no changes to resources; outputs change"),
            (false, n) => format!(
                "**{env}**: no changes; {n} object{} changed outside terrace",
                plural(n)
            ),
        }
    } else {
        let imports = if s.import > 0 {
            format!("{} to import, ", s.import)
        } else {
            String::new()
        };
        format!(
            "**{env}**: {imports}{} to add, {} to change, {} to destroy",
            s.add, s.change, s.destroy
        )
    };
    items.push(format!("{first}\n\n"));
    if !p.policies.is_empty() {
        items.push(super::policies::markdown(&p.policies, text));
    }
    if let Some(release) = &p.release {
        let from = p.promoted_from.as_deref().unwrap_or("another environment");
        items.push(format!(
            "**Promotion** from **{}**: release {} (the definitions {} runs, not the branch's)\n\n",
            text(from),
            code(release),
            text(from)
        ));
    }
    for w in &p.warnings {
        items.push(format!(
            "> [!CAUTION]\n> {}\n\n",
            text(w).replace('\n', "\n> ")
        ));
    }
    let destructive: Vec<&&Change> = changes
        .iter()
        .filter(|c| matches!(c.action, Action::Delete | Action::Replace))
        .collect();
    if !destructive.is_empty() {
        let n = destructive.len();
        items.push(format!(
            "> [!WARNING]\n> **{n} resource{} will be destroyed or replaced:**\n",
            plural(n)
        ));
        for c in &destructive {
            items.push(format!("> - {}\n", destructive_line(&p.environment, c)));
        }
        items.push("\n".into());
    }
    if !by_config.is_empty() {
        let mut table = String::from(
            "| configuration | add | change | replace | destroy |\n| --- | ---: | ---: | ---: | ---: |\n",
        );
        for (config, (n, _)) in by_config {
            let _ = writeln!(
                table,
                "| {} | {} | {} | {} | {} |",
                cell_code(config),
                n.add,
                n.change,
                n.replace,
                n.destroy
            );
        }
        table.push('\n');
        items.push(table);
    }
    Section {
        items,
        ..Section::default()
    }
}

/// `` `dev/main/file.x` `` **replaced**: `path` changes and forces it.
fn destructive_line(env: &str, c: &Change) -> String {
    let addr = code(&format!("{env}/{}", c.address));
    match c.action {
        Action::Replace => {
            let why = if c.reason == Some(crate::plan::Reason::ReplaceByTriggers) {
                "a reference in replace_triggered_by changed".to_string()
            } else if c.reason == Some(crate::plan::Reason::ReplaceByRequest) {
                "requested with `--replace`".to_string()
            } else if c.replace_paths.is_empty() {
                "its arguments cannot be updated in place".to_string()
            } else {
                let paths: Vec<String> = c
                    .replace_paths
                    .iter()
                    .map(|p| code(&Path::to_string(p)))
                    .collect();
                format!("{} changed and forces replacement", paths.join(", "))
            };
            let order = if c.create_before_destroy {
                " (create before destroy)"
            } else {
                ""
            };
            format!("{addr} **replaced**{order}: {why}")
        }
        _ => match reason_text(c) {
            Some(r) => format!("{addr} **destroyed** {}", text(&r)),
            None => format!("{addr} **destroyed**"),
        },
    }
}

fn counts_text(n: &Counts) -> String {
    let mut parts = Vec::new();
    for (k, word) in [
        (n.add, "to add"),
        (n.change, "to change"),
        (n.replace, "to replace"),
        (n.destroy, "to destroy"),
    ] {
        if k > 0 {
            parts.push(format!("{k} {word}"));
        }
    }
    if parts.is_empty() {
        "data to read".into()
    } else {
        parts.join(", ")
    }
}

/// A collapsed `<details>` holding `items` in a `diff` code block.
fn collapsed(title: &str, items: Vec<String>) -> Section {
    let fence = fence_for(&items);
    Section {
        open: format!("<details><summary>{title}</summary>\n\n{fence}diff\n"),
        reopen: format!("<details><summary>{title} (continued)</summary>\n\n{fence}diff\n"),
        items,
        close: format!("{fence}\n\n</details>\n\n"),
    }
}

/// A code fence longer than any run of backticks inside the items.
fn fence_for(items: &[String]) -> String {
    let longest = items
        .iter()
        .flat_map(|i| i.split(|c| c != '`'))
        .map(str::len)
        .max()
        .unwrap_or(0);
    "`".repeat((longest + 1).max(3))
}

/// The text plan's lines with each change symbol moved to the start of
/// its line (keeping the indentation after it), as diff highlighting needs;
/// `~` (update in place) becomes `!`, which GitHub's diff highlighting
/// colours as a change, as in tfcmt's comments.
pub fn diff_notation(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start_matches(' ');
        let indent = line.len() - trimmed.len();
        let sym = ["-/+", "+/-", "<=", "+", "-", "~"]
            .into_iter()
            .find(|s| trimmed.starts_with(&format!("{s} ")));
        match sym {
            Some(s) if indent > 0 => {
                out.push_str(if s == "~" { "!" } else { s });
                out.push_str(&" ".repeat(indent));
                out.push_str(&trimmed[s.len()..]);
            }
            _ => out.push_str(line),
        }
    }
    out
}

/// Text for HTML and Markdown context (headings, lists, table cells,
/// `<summary>`): `&`, `<`, `>` and every character that Markdown could
/// read as markup (emphasis, code, links, table cells, strikethrough,
/// mentions, headings, escapes, line breaks) written as a character
/// reference, which renders as the character itself in every context.
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '@' | '#' | '!' | '$' => {
                let _ = write!(out, "&#{};", u32::from(c));
            }
            _ => out.push(c),
        }
    }
    out
}

/// Inline code in a table cell: `|` escaped as `\|`, which GitHub
/// requires even inside code in a table.
fn cell_code(s: &str) -> String {
    code(s).replace('|', "\\|")
}

/// Inline code that survives backticks inside.
fn code(s: &str) -> String {
    let longest = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let ticks = "`".repeat(longest + 1);
    if longest > 0 {
        format!("{ticks} {s} {ticks}")
    } else {
        format!("{ticks}{s}{ticks}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_move_to_the_start_of_the_line() {
        let text = "  # dev/x will be created\n  + resource \"a\" \"b\" {\n      + id = 1\n    }\n";
        assert_eq!(
            diff_notation(text),
            "  # dev/x will be created\n+   resource \"a\" \"b\" {\n+       id = 1\n    }\n"
        );
    }

    #[test]
    fn updates_in_place_are_bang_lines() {
        let text = "  ~ resource \"a\" \"b\" {\n      ~ x = 1 -> 2\n    }\n";
        assert_eq!(
            diff_notation(text),
            "!   resource \"a\" \"b\" {\n!       x = 1 -> 2\n    }\n"
        );
    }

    #[test]
    fn markup_in_names_renders_as_text() {
        assert_eq!(
            text("*b* <i> a`b c|d @x [l](u) _e_ ~s~ # ! $m$ \\ &"),
            "&#42;b&#42; &lt;i&gt; a&#96;b c&#124;d &#64;x &#91;l&#93;(u) &#95;e&#95; &#126;s&#126; &#35; &#33; &#36;m&#36; &#92; &amp;"
        );
        assert_eq!(cell_code("a|b"), "`a\\|b`");
    }

    #[test]
    fn fences_outgrow_backticks_in_values() {
        assert_eq!(fence_for(&["a ```` b".into()]), "`````");
        assert_eq!(fence_for(&["plain".into()]), "```");
        assert_eq!(code("a`b"), "`` a`b ``");
    }
}
