//! Attribute-level diffs in Terraform's notation: `+` added, `~` changed,
//! `-` removed, `old -> new`, nested objects and lists opened up,
//! multi-line strings as a line diff, sensitive values masked.

use super::style::{Palette, Sym};
use crate::value::{Path, PathStep, Value, is_identifier};
use std::fmt::Write;

/// Writes diff lines into a string.
pub struct Differ<'a> {
    pub out: &'a mut String,
    pub pal: Palette,
    /// Attributes whose change forces replacement: marked as such.
    pub force: &'a [Path],
    /// Show unchanged attributes too (for whole-object views).
    pub show_unchanged: bool,
}

const KNOWN_AFTER: &str = "(known after apply)";
const SENSITIVE: &str = "(sensitive value)";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Add,
    Change,
    Remove,
    Same,
}

fn kind_of(before: Option<&Value>, after: Option<&Value>) -> Kind {
    let b = before.filter(|v| !v.is_null());
    let a = after.filter(|v| !v.is_null());
    match (b, a) {
        (None, None) => Kind::Same,
        (None, Some(_)) => Kind::Add,
        (Some(_), None) => Kind::Remove,
        (Some(b), Some(a)) => {
            if a.is_wholly_known()
                && b.same_as(a)
                && b.contains_sensitive() == a.contains_sensitive()
            {
                Kind::Same
            } else {
                Kind::Change
            }
        }
    }
}

fn sym(k: Kind) -> Sym {
    match k {
        Kind::Add => Sym::Add,
        Kind::Change => Sym::Change,
        Kind::Remove => Sym::Remove,
        Kind::Same => Sym::Same,
    }
}

fn key_text(k: &str) -> String {
    if is_identifier(k) {
        k.to_string()
    } else {
        format!("{k:?}")
    }
}

impl Differ<'_> {
    /// Writes the attributes of an object, one per line at `indent`.
    pub fn attributes(
        &mut self,
        indent: usize,
        before: Option<&Value>,
        after: Option<&Value>,
        path: &Path,
    ) {
        let empty = crate::value::Map::new();
        let b = before.and_then(Value::as_object).unwrap_or(&empty);
        let a = after.and_then(Value::as_object).unwrap_or(&empty);
        let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
        keys.sort();
        keys.dedup();
        let rows: Vec<(&String, Kind)> = keys
            .iter()
            .map(|k| (*k, kind_of(b.get(k), a.get(k))))
            .collect();
        let show_unchanged = self.show_unchanged;
        let shown = |k: Kind| k != Kind::Same || show_unchanged;
        let width = rows
            .iter()
            .filter(|(key, k)| {
                shown(*k) && !(*k == Kind::Same && b.get(key).is_none_or(Value::is_null))
            })
            .map(|(key, _)| key_text(key).chars().count())
            .max()
            .unwrap_or(0);
        let mut hidden = 0;
        for (key, k) in rows {
            let bv = b.get(key);
            let av = a.get(key);
            if !shown(k) || (k == Kind::Same && bv.is_none_or(Value::is_null)) {
                if k == Kind::Same && bv.is_some_and(|v| !v.is_null()) {
                    hidden += 1;
                }
                continue;
            }
            let child = path.child(PathStep::Attr(key.clone()));
            let name = format!("{:width$}", key_text(key));
            self.line_start(indent, sym(k));
            let _ = write!(self.out, "{name} = ");
            self.value(indent, k, bv, av, &child);
            if self.force.contains(&child) {
                let _ = write!(self.out, " {}", self.pal.comment("# forces replacement"));
            }
            self.out.push('\n');
        }
        if hidden > 0 {
            let _ = writeln!(
                self.out,
                "{}{}",
                " ".repeat(indent + 2),
                self.pal.comment(&format!(
                    "# ({hidden} unchanged attribute{} hidden)",
                    if hidden == 1 { "" } else { "s" }
                ))
            );
        }
    }

    fn line_start(&mut self, indent: usize, s: Sym) {
        let _ = write!(self.out, "{}{} ", " ".repeat(indent), self.pal.sym(s));
    }

    /// Writes a value (or `old -> new`) after `name = `; may span lines.
    fn value(
        &mut self,
        indent: usize,
        k: Kind,
        before: Option<&Value>,
        after: Option<&Value>,
        path: &Path,
    ) {
        let sensitive = before.is_some_and(|v| matches!(v, Value::Sensitive(_)))
            || after.is_some_and(|v| matches!(v, Value::Sensitive(_)));
        match k {
            Kind::Add => self.whole(indent, Sym::Add, after.unwrap_or(&Value::Null)),
            Kind::Remove => {
                self.whole(indent, Sym::Remove, before.unwrap_or(&Value::Null));
                let _ = write!(self.out, " -> null");
            }
            Kind::Same => self.whole(indent, Sym::Same, after.or(before).unwrap_or(&Value::Null)),
            Kind::Change => {
                let (b, a) = (
                    before.unwrap_or(&Value::Null),
                    after.unwrap_or(&Value::Null),
                );
                if sensitive {
                    let _ = write!(self.out, "{SENSITIVE}");
                    return;
                }
                match (b, a) {
                    (Value::Object(_), Value::Object(_)) => {
                        self.out.push_str("{\n");
                        self.attributes(indent + 4, Some(b), Some(a), path);
                        let _ = write!(self.out, "{}}}", " ".repeat(indent + 2));
                    }
                    (Value::List(bl), Value::List(al)) if bl.len() == al.len() => {
                        self.out.push_str("[\n");
                        for (i, (x, y)) in bl.iter().zip(al).enumerate() {
                            let ek = kind_of(Some(x), Some(y));
                            if ek == Kind::Same && !self.show_unchanged {
                                continue;
                            }
                            self.line_start(indent + 4, sym(ek));
                            self.value(
                                indent + 4,
                                ek,
                                Some(x),
                                Some(y),
                                &path.child(PathStep::Index(i)),
                            );
                            self.out.push_str(",\n");
                        }
                        let _ = write!(self.out, "{}]", " ".repeat(indent + 2));
                    }
                    (Value::String(x), Value::String(y))
                        if x.contains('\n') || y.contains('\n') =>
                    {
                        self.text_diff(indent, x, y)
                    }
                    _ => {
                        self.inline(b);
                        self.out.push_str(" -> ");
                        self.inline(a);
                    }
                }
            }
        }
    }

    /// A whole value: primitives inline, collections opened up with every
    /// element marked `s`.
    fn whole(&mut self, indent: usize, s: Sym, v: &Value) {
        match v {
            Value::Object(m) if !m.is_empty() => {
                self.out.push_str("{\n");
                let width = m
                    .keys()
                    .map(|k| key_text(k).chars().count())
                    .max()
                    .unwrap_or(0);
                for (k, x) in m {
                    if x.is_null() && s != Sym::Same {
                        continue;
                    }
                    self.line_start(indent + 4, s);
                    let _ = write!(self.out, "{:width$} = ", key_text(k));
                    self.whole(indent + 4, s, x);
                    self.out.push('\n');
                }
                let _ = write!(self.out, "{}}}", " ".repeat(indent + 2));
            }
            Value::List(l) if !l.is_empty() => {
                self.out.push_str("[\n");
                for x in l {
                    self.line_start(indent + 4, s);
                    self.whole(indent + 4, s, x);
                    self.out.push_str(",\n");
                }
                let _ = write!(self.out, "{}]", " ".repeat(indent + 2));
            }
            Value::String(text) if text.contains('\n') => {
                let _ = writeln!(self.out, "<<-EOT");
                for line in text.strip_suffix('\n').unwrap_or(text).split('\n') {
                    let _ = writeln!(self.out, "{}{line}", " ".repeat(indent + 4));
                }
                let _ = write!(self.out, "{}EOT", " ".repeat(indent + 2));
            }
            other => self.inline(other),
        }
    }

    fn inline(&mut self, v: &Value) {
        match v {
            Value::Unknown => self.out.push_str(KNOWN_AFTER),
            Value::Sensitive(_) => self.out.push_str(SENSITIVE),
            Value::String(s) => {
                self.out.push_str(&super::value::quoted(s));
            }
            Value::Object(m) if m.is_empty() => self.out.push_str("{}"),
            Value::List(l) if l.is_empty() => self.out.push_str("[]"),
            other => {
                let _ = write!(self.out, "{other}");
            }
        }
    }

    /// A multi-line string change as a line diff inside a heredoc.
    fn text_diff(&mut self, indent: usize, before: &str, after: &str) {
        let _ = writeln!(self.out, "<<-EOT");
        let diff = similar::TextDiff::from_lines(before, after);
        let pad = " ".repeat(indent + 4);
        for change in diff.iter_all_changes() {
            let s = match change.tag() {
                similar::ChangeTag::Delete => Sym::Remove,
                similar::ChangeTag::Insert => Sym::Add,
                similar::ChangeTag::Equal => Sym::Same,
            };
            let text = change.value();
            let _ = writeln!(
                self.out,
                "{pad}{} {}",
                self.pal.sym(s),
                text.strip_suffix('\n').unwrap_or(text)
            );
        }
        let _ = write!(self.out, "{}EOT", " ".repeat(indent + 2));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Map;

    fn obj(pairs: &[(&str, Value)]) -> Value {
        Value::Object(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect::<Map>(),
        )
    }

    fn render(before: Option<&Value>, after: Option<&Value>, force: &[Path]) -> String {
        let mut out = String::new();
        Differ {
            out: &mut out,
            pal: Palette::plain(),
            force,
            show_unchanged: false,
        }
        .attributes(4, before, after, &Path::root());
        out
    }

    #[test]
    fn shows_changes_and_hides_the_rest() {
        let b = obj(&[
            ("a", Value::int(1)),
            ("b", "same".into()),
            ("secret", Value::string("x").sensitive()),
        ]);
        let a = obj(&[
            ("a", Value::int(2)),
            ("b", "same".into()),
            ("secret", Value::string("y").sensitive()),
            ("id", Value::Unknown),
        ]);
        let text = render(Some(&b), Some(&a), &[Path::attr("a")]);
        assert_eq!(
            text,
            "    ~ a      = 1 -> 2 # forces replacement\n    + id     = (known after apply)\n    ~ secret = (sensitive value)\n      # (1 unchanged attribute hidden)\n"
        );
    }

    #[test]
    fn multi_line_strings_show_a_line_diff() {
        let b = obj(&[("content", "one\ntwo\n".into())]);
        let a = obj(&[("content", "one\nthree\n".into())]);
        let text = render(Some(&b), Some(&a), &[]);
        assert!(text.contains("- two\n"), "{text}");
        assert!(text.contains("+ three\n"), "{text}");
        assert!(text.contains("  one\n"), "{text}");
    }
}
