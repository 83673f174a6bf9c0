//! `yamlencode` and `yamldecode`, as Terraform's (go-cty-yaml) behave.
//!
//! The encoder is written here, because the output must be byte-for-byte
//! what Terraform's go-yaml emitter writes: block style; every string
//! double-quoted, or as a literal block (`|`) when it has line breaks and
//! the emitter allows a block; long double-quoted strings folded past
//! column 80; `...` after a plain scalar document.
//!
//! The decoder reads events from `yaml-rust2`'s parser and resolves plain
//! scalars itself with go-cty-yaml's rules, which mix YAML 1.1 booleans
//! (`yes`, `on`) with YAML 1.2 core numbers (`012` is twelve).

use super::Error;
use super::args::{Args, to_string};
use crate::value::{Map, Number, Value};
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// The column past which the emitter folds a double-quoted string.
const BEST_WIDTH: usize = 80;
/// How far each level of a block collection is indented.
const INDENT: usize = 2;

/// `yamlencode(value)`: the value as a YAML 1.2 document in block style.
pub fn yamlencode(args: Args) -> Result<Value, Error> {
    let v = args.value(0)?;
    let mut w = Writer { out: String::new() };
    match v {
        Value::List(items) if !items.is_empty() => w.sequence(items, 0)?,
        Value::Object(map) if !map.is_empty() => w.mapping(map, 0)?,
        other => {
            w.scalar(other, INDENT)?;
            w.out.push('\n');
            if is_plain(other) {
                w.out.push_str("...\n");
            }
        }
    }
    Ok(Value::String(w.out))
}

/// Whether a value is written as a plain scalar (not quoted, not a block).
fn is_plain(v: &Value) -> bool {
    matches!(v, Value::Null | Value::Bool(_) | Value::Number(_))
}

struct Writer {
    out: String,
}

impl Writer {
    fn column(&self) -> usize {
        let line = self.out.rsplit('\n').next().unwrap_or_default();
        line.chars().count()
    }

    fn pad(&mut self, indent: usize) {
        self.out.extend(std::iter::repeat_n(' ', indent));
    }

    /// A non-empty block sequence whose first `- ` goes where the output
    /// stands; the others start at `indent`.
    fn sequence(&mut self, items: &[Value], indent: usize) -> Result<(), Error> {
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.pad(indent);
            }
            self.out.push_str("- ");
            self.node(item, indent + INDENT)?;
        }
        Ok(())
    }

    /// A non-empty block mapping whose first key goes where the output
    /// stands; the others start at `indent`.
    fn mapping(&mut self, map: &Map, indent: usize) -> Result<(), Error> {
        for (i, (key, value)) in map.iter().enumerate() {
            if i > 0 {
                self.pad(indent);
            }
            self.double_quoted(key, indent + INDENT, false);
            self.out.push(':');
            match value {
                Value::Object(m) if !m.is_empty() => {
                    self.out.push('\n');
                    self.pad(indent + INDENT);
                    self.mapping(m, indent + INDENT)?;
                }
                // A sequence in a mapping is not indented.
                Value::List(l) if !l.is_empty() => {
                    self.out.push('\n');
                    self.pad(indent);
                    self.sequence(l, indent)?;
                }
                other => {
                    self.out.push(' ');
                    self.scalar(other, indent + INDENT)?;
                    self.out.push('\n');
                }
            }
        }
        Ok(())
    }

    /// An item of a sequence, written after its `- `; `indent` is the
    /// column that `- ` ends at.
    fn node(&mut self, v: &Value, indent: usize) -> Result<(), Error> {
        match v {
            Value::Object(m) if !m.is_empty() => self.mapping(m, indent),
            Value::List(l) if !l.is_empty() => self.sequence(l, indent),
            other => {
                self.scalar(other, indent)?;
                self.out.push('\n');
                Ok(())
            }
        }
    }

    /// A scalar or an empty collection, without the line break after it.
    /// `indent` is where continuation lines start.
    fn scalar(&mut self, v: &Value, indent: usize) -> Result<(), Error> {
        match v {
            Value::Null => self.out.push_str("null"),
            Value::Bool(b) => self.out.push_str(if *b { "true" } else { "false" }),
            Value::Number(_) => self.out.push_str(&to_string(v).unwrap_or_default()),
            Value::String(s) => {
                if s.contains('\n') && block_allowed(s) {
                    self.literal(s, indent);
                } else {
                    self.double_quoted(s, indent, true);
                }
            }
            Value::List(_) => self.out.push_str("[]"),
            Value::Object(_) => self.out.push_str("{}"),
            Value::Unknown | Value::Sensitive(_) => {
                return Err(Error::arg(0, "must be wholly known"));
            }
        }
        Ok(())
    }

    /// A literal block scalar: `|`, an indentation digit when the text
    /// starts with a space or break, `-` or `+` for its trailing breaks.
    fn literal(&mut self, s: &str, indent: usize) {
        self.out.push('|');
        if s.starts_with([' ', '\n']) {
            self.out.push_str(&INDENT.to_string());
        }
        let mut tail = s.chars().rev();
        match (tail.next(), tail.next()) {
            (Some(last), _) if !is_break(last) => self.out.push('-'),
            (Some(_), None) => self.out.push('+'),
            (Some(_), Some(before)) if is_break(before) => self.out.push('+'),
            _ => {}
        }
        self.out.push('\n');
        let mut at_line_start = true;
        for c in s.chars() {
            if is_break(c) {
                self.out.push('\n');
                at_line_start = true;
            } else {
                if at_line_start {
                    self.pad(indent);
                }
                self.out.push(c);
                at_line_start = false;
            }
        }
        // The caller's line break ends the last line; a text that ended
        // with a break already did.
        if self.out.ends_with('\n') {
            self.out.pop();
        }
    }

    /// A double-quoted scalar, escaped as go-yaml escapes; when `fold`,
    /// a space past column 80 becomes a line break and an indent.
    fn double_quoted(&mut self, s: &str, indent: usize, fold: bool) {
        self.out.push('"');
        let mut column = self.column();
        let chars: Vec<char> = s.chars().collect();
        let mut spaces = false;
        let mut i = 0;
        while let Some(&c) = chars.get(i) {
            if !is_printable(c) || c == '\u{feff}' || is_break(c) || c == '"' || c == '\\' {
                let escaped = match c {
                    '\0' => "\\0".to_string(),
                    '\u{7}' => "\\a".to_string(),
                    '\u{8}' => "\\b".to_string(),
                    '\t' => "\\t".to_string(),
                    '\n' => "\\n".to_string(),
                    '\u{b}' => "\\v".to_string(),
                    '\u{c}' => "\\f".to_string(),
                    '\r' => "\\r".to_string(),
                    '\u{1b}' => "\\e".to_string(),
                    '"' => "\\\"".to_string(),
                    '\\' => "\\\\".to_string(),
                    '\u{85}' => "\\N".to_string(),
                    '\u{a0}' => "\\_".to_string(),
                    '\u{2028}' => "\\L".to_string(),
                    '\u{2029}' => "\\P".to_string(),
                    c if u32::from(c) <= 0xff => format!("\\x{:02X}", u32::from(c)),
                    c if u32::from(c) <= 0xffff => format!("\\u{:04X}", u32::from(c)),
                    c => format!("\\U{:08X}", u32::from(c)),
                };
                column += escaped.chars().count();
                self.out.push_str(&escaped);
                spaces = false;
            } else if c == ' ' {
                if fold && !spaces && column > BEST_WIDTH && i != 0 && i + 1 != chars.len() {
                    self.out.push('\n');
                    self.pad(indent);
                    column = indent;
                    if chars.get(i + 1) == Some(&' ') {
                        self.out.push('\\');
                        column += 1;
                    }
                } else {
                    self.out.push(' ');
                    column += 1;
                }
                spaces = true;
            } else {
                self.out.push(c);
                column += 1;
                spaces = false;
            }
            i += 1;
        }
        self.out.push('"');
    }
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// go-yaml's printable set; characters outside the Basic Multilingual
/// Plane are escaped.
fn is_printable(c: char) -> bool {
    let u = u32::from(c);
    u == 0x0a
        || (0x20..=0x7e).contains(&u)
        || (0xa0..=0xd7ff).contains(&u)
        || ((0xe000..=0xfffd).contains(&u) && u != 0xfeff)
}

/// Whether go-yaml may write `s` as a block scalar: not with trailing
/// spaces, a space before a break, tabs or unprintable characters.
fn block_allowed(s: &str) -> bool {
    let mut previous_space = false;
    let count = s.chars().count();
    for (i, c) in s.chars().enumerate() {
        if c == '\t' || !is_printable(c) && !is_break(c) {
            return false;
        }
        if c == ' ' {
            if i + 1 == count {
                return false;
            }
            previous_space = true;
        } else if is_break(c) {
            if previous_space {
                return false;
            }
            if c != '\n' {
                return false;
            }
            previous_space = false;
        } else {
            previous_space = false;
        }
    }
    true
}

/// `yamldecode(str)`: one YAML document as a value.
pub fn yamldecode(args: Args) -> Result<Value, Error> {
    let text = args.string(0)?;
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(&text);
    parser
        .load(&mut builder, true)
        .map_err(|e| Error::arg(0, format!("invalid YAML: {e}")))?;
    if let Some(e) = builder.error {
        return Err(Error::arg(0, e));
    }
    match builder.documents.len() {
        0 => Err(Error::arg(0, "the YAML text holds no document")),
        1 => Ok(builder.documents.pop().unwrap_or_default()),
        _ => Err(Error::arg(
            0,
            "the YAML text holds more than one document; yamldecode reads only one",
        )),
    }
}

/// The key that stands for YAML's merge key `<<` while a mapping is built.
const MERGE: &str = "\u{0}<<";

/// A collection being built.
enum Open {
    Seq(usize, Vec<Value>),
    Map(usize, Map, Option<String>),
}

#[derive(Default)]
struct Builder {
    stack: Vec<Open>,
    anchors: std::collections::HashMap<usize, Value>,
    documents: Vec<Value>,
    error: Option<String>,
    /// Whether the current document has its root already.
    has_root: bool,
}

impl Builder {
    fn fail(&mut self, message: impl Into<String>) {
        if self.error.is_none() {
            self.error = Some(message.into());
        }
    }

    /// Puts a finished node into its parent (or makes it the document).
    fn add(&mut self, v: Value, anchor: usize, key_text: Option<Result<String, String>>) {
        if anchor > 0 {
            self.anchors.insert(anchor, v.clone());
        }
        match self.stack.last_mut() {
            None => {
                self.documents.push(v);
                self.has_root = true;
            }
            Some(Open::Seq(_, items)) => items.push(v),
            Some(Open::Map(_, map, key)) => match key.take() {
                Some(k) if k == MERGE => match v {
                    // The merged keys yield to the mapping's own.
                    Value::Object(merged) => {
                        for (k, v) in merged {
                            map.get_or_insert_with(k, || v);
                        }
                    }
                    other => self.fail(format!(
                        "cannot merge {} into mapping",
                        super::args::describe(&other)
                    )),
                },
                Some(k) => {
                    map.insert(k, v);
                }
                None => match key_text {
                    Some(Ok(k)) => *key = Some(k),
                    Some(Err(e)) => self.fail(e),
                    None => self.fail("only strings are allowed as mapping keys"),
                },
            },
        }
    }

    fn expecting_key(&self) -> bool {
        matches!(self.stack.last(), Some(Open::Map(_, _, None)))
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, _mark: Marker) {
        if self.error.is_some() {
            return;
        }
        match ev {
            Event::DocumentStart => self.has_root = false,
            Event::DocumentEnd if !self.has_root => self.documents.push(Value::Null),
            Event::SequenceStart(anchor, _) => self.stack.push(Open::Seq(anchor, Vec::new())),
            Event::MappingStart(anchor, _) => {
                if self.expecting_key() {
                    return self.fail("only strings are allowed as mapping keys");
                }
                self.stack.push(Open::Map(anchor, Map::new(), None));
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if self.expecting_key() && matches!(ev, Event::SequenceEnd) {
                    return self.fail("only strings are allowed as mapping keys");
                }
                let (anchor, v) = match self.stack.pop() {
                    Some(Open::Seq(a, items)) => (a, Value::List(items)),
                    Some(Open::Map(a, map, _)) => (a, Value::Object(map)),
                    None => return,
                };
                if self.expecting_key() {
                    return self.fail("only strings are allowed as mapping keys");
                }
                self.add(v, anchor, None);
            }
            Event::Alias(id) => match self.anchors.get(&id).cloned() {
                Some(v) => {
                    let key = match &v {
                        Value::String(s) => Some(Ok(s.clone())),
                        _ => None,
                    };
                    self.add(v, 0, key)
                }
                None => self.fail(format!("unknown anchor {id}")),
            },
            Event::Scalar(text, style, anchor, tag) => {
                if self.expecting_key()
                    && style == TScalarStyle::Plain
                    && tag.is_none()
                    && text == "<<"
                {
                    return self.add(Value::Null, 0, Some(Ok(MERGE.into())));
                }
                let v = match resolve(&text, style, tag.as_ref()) {
                    Ok(v) => v,
                    Err(e) => return self.fail(e),
                };
                // A scalar key becomes a string: `true: 1` is `{ "true" = 1 }`.
                let key = match &v {
                    Value::Null => Some(Err("mapping key cannot be null".to_string())),
                    other => to_string(other).map(Ok),
                };
                self.add(v, anchor, key);
            }
            _ => {}
        }
    }
}

/// A scalar's value: quoted and block scalars are strings; plain ones are
/// resolved as go-cty-yaml resolves them; a tag decides when given.
fn resolve(text: &str, style: TScalarStyle, tag: Option<&Tag>) -> Result<Value, String> {
    if let Some(tag) = tag {
        let core = tag.handle == "tag:yaml.org,2002:" || tag.handle == "!!";
        let resolved = resolve_plain(text);
        return Ok(match (core, tag.suffix.as_str()) {
            (true, "str") | (true, "binary") | (false, _) => Value::String(text.to_string()),
            (true, "null") => Value::Null,
            (true, "bool") if matches!(resolved, Value::Bool(_)) => resolved,
            (true, "int" | "float") if matches!(resolved, Value::Number(_)) => resolved,
            (true, "seq" | "map") => Value::String(text.to_string()),
            (true, other) => return Err(format!("cannot decode {text:?} as !!{other}")),
        });
    }
    if style != TScalarStyle::Plain {
        return Ok(Value::String(text.to_string()));
    }
    Ok(resolve_plain(text))
}

fn resolve_plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "true" | "True" | "TRUE" => {
            return Value::Bool(true);
        }
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "false" | "False" | "FALSE" => {
            return Value::Bool(false);
        }
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::Number(Number::from_f64(f64::INFINITY));
        }
        "-.inf" | "-.Inf" | "-.INF" => return Value::Number(Number::from_f64(f64::NEG_INFINITY)),
        _ => {}
    }
    let (sign, digits) = match text.as_bytes().first() {
        Some(b'-') => (-1, &text[1..]),
        Some(b'+') => (1, &text[1..]),
        _ => (1, text),
    };
    let radix = |prefix: &str, radix: u32| -> Option<Value> {
        let body = text.strip_prefix(prefix)?;
        if body.is_empty() || !body.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return None;
        }
        i64::from_str_radix(body, radix).ok().map(Value::int)
    };
    if let Some(v) = radix("0x", 16).or_else(|| radix("0o", 8)) {
        return v;
    }
    if is_decimal(digits) {
        let normalized = match (digits.strip_prefix('.'), digits.strip_suffix('.')) {
            (Some(rest), _) => format!("0.{rest}"),
            (_, Some(rest)) => rest.to_string(),
            _ => digits.to_string(),
        };
        if let Some(n) = Number::parse(&normalized) {
            return Value::Number(if sign < 0 { n.neg() } else { n });
        }
    }
    if is_date(text) {
        return Value::String(format!("{text}T00:00:00Z"));
    }
    Value::String(text.to_string())
}

/// YAML 1.2 core numbers: `[0-9]+`, `(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`.
fn is_decimal(s: &str) -> bool {
    let b = s.as_bytes();
    let int = b.iter().take_while(|c| c.is_ascii_digit()).count();
    let mut i = int;
    let mut frac = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        frac = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        i += frac;
    }
    if int == 0 && frac == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if exp == 0 {
            return false;
        }
        i += exp;
    }
    i == b.len()
}

/// `YYYY-MM-DD`, a date YAML resolves to a timestamp.
fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        })
}

#[cfg(test)]
mod tests {
    use super::super::call;
    use super::super::tests::ctx;
    use crate::value::{Map, Value};

    fn encode(v: Value) -> String {
        match call("yamlencode", vec![v], &ctx()).expect("exists") {
            Ok(Value::String(s)) => s,
            other => panic!("{other:?}"),
        }
    }

    fn decode(s: &str) -> Result<Value, String> {
        call("yamldecode", vec![s.into()], &ctx())
            .expect("exists")
            .map_err(|e| e.message)
    }

    #[test]
    fn yamlencode_writes_go_yaml_block_style() {
        let map = Map::from([
            ("bar".into(), "baz".into()),
            (
                "foo".into(),
                Value::List(vec![
                    Value::int(1),
                    Value::Object(Map::from([
                        ("a".into(), "b".into()),
                        ("c".into(), "d".into()),
                    ])),
                ]),
            ),
        ]);
        assert_eq!(
            encode(Value::Object(map)),
            "\"bar\": \"baz\"\n\"foo\":\n- 1\n- \"a\": \"b\"\n  \"c\": \"d\"\n"
        );
        assert_eq!(encode(Value::int(12)), "12\n...\n");
        assert_eq!(encode("x\ny".into()), "|-\n  x\n  y\n");
        assert_eq!(encode("\nx".into()), "|2-\n\n  x\n");
        assert_eq!(encode("x\n\n".into()), "|+\n  x\n\n");
        assert_eq!(encode("a\nb ".into()), "\"a\\nb \"\n");
        assert_eq!(encode("😀\u{85}".into()), "\"\\U0001F600\\N\"\n");
        let long = ["aaaaaaaaaa"; 9].join(" ");
        assert_eq!(
            encode(long.clone().into()),
            format!("\"{}\n  aaaaaaaaaa\"\n", ["aaaaaaaaaa"; 8].join(" "))
        );
    }

    #[test]
    fn yamldecode_resolves_scalars_as_terraform() {
        assert_eq!(
            decode("[yes, off, ~, 012, 0x1F, 0o17, .5, 1_000, '1', 2001-12-14]"),
            Ok(Value::List(vec![
                Value::Bool(true),
                Value::Bool(false),
                Value::Null,
                Value::int(12),
                Value::int(31),
                Value::int(15),
                Value::Number(crate::value::Number::from_f64(0.5)),
                "1_000".into(),
                "1".into(),
                "2001-12-14T00:00:00Z".into(),
            ]))
        );
        assert_eq!(
            decode("a: &x [1]\nb: *x\n"),
            Ok(Value::Object(Map::from([
                ("a".into(), Value::List(vec![Value::int(1)])),
                ("b".into(), Value::List(vec![Value::int(1)])),
            ])))
        );
        assert!(decode("").is_err());
        assert!(decode("a\n---\nb").is_err());
        assert!(decode("? [a]\n: 1").unwrap_err().contains("only strings"));
        assert_eq!(
            decode("{1: 2, y: 3}"),
            Ok(Value::Object(Map::from([
                ("1".into(), Value::int(2)),
                ("true".into(), Value::int(3)),
            ])))
        );
        assert_eq!(
            decode("b: &b {x: 1, z: 0}\nd:\n  <<: *b\n  z: 2\n").map(|v| v.get("d").cloned()),
            Ok(Some(Value::Object(Map::from([
                ("x".into(), Value::int(1)),
                ("z".into(), Value::int(2)),
            ]))))
        );
        assert!(
            decode("d:\n  <<: [1]\n")
                .unwrap_err()
                .contains("cannot merge")
        );
        assert!(decode("{null: 2}").unwrap_err().contains("cannot be null"));
        assert!(decode("a: [").is_err());
    }
}
