//! The functions of Terraform's built-in provider, called as
//! `provider::terraform::NAME(…)`: `encode_tfvars` and `encode_expr` here
//! (`decode_tfvars` evaluates HCL, so the evaluator owns it).
//!
//! Values are written as HCL the way Terraform's `hclwrite` writes them:
//! objects one attribute a line with the `=` of consecutive lines aligned,
//! lists on one line, strings quoted with `${` and `%{` escaped.

use super::Error;
use super::args::{Args, to_string};
use crate::value::{Map, Value};

/// `provider::terraform::encode_tfvars(object)`: an object as the text of a
/// `.tfvars` file, one attribute a line, keys sorted.
pub fn encode_tfvars(args: Args) -> Result<Value, Error> {
    let Value::Object(map) = args.non_null(0)? else {
        return Err(args.error(
            0,
            "must be an object, whose attributes become the variables",
        ));
    };
    for key in map.keys() {
        if !is_identifier(key) {
            return Err(args.error(
                0,
                format!("has an attribute {key:?} that is not a valid variable name"),
            ));
        }
    }
    let mut lines = Vec::new();
    attributes(map, 0, &mut lines)?;
    let mut out = render(lines);
    out.push('\n');
    Ok(Value::String(out))
}

/// `provider::terraform::encode_expr(value)`: a value as an HCL expression.
pub fn encode_expr(args: Args) -> Result<Value, Error> {
    let mut lines = vec![Line::default()];
    expression(args.value(0)?, 0, &mut lines)?;
    Ok(Value::String(render(lines)))
}

/// One output line: its indentation level, the key of an attribute that
/// starts on it (aligned with its neighbours'), and the rest.
#[derive(Default)]
struct Line {
    depth: usize,
    key: Option<String>,
    text: String,
}

fn attributes(map: &Map, depth: usize, lines: &mut Vec<Line>) -> Result<(), Error> {
    for (key, value) in map {
        let key = if is_identifier(key) {
            key.clone()
        } else {
            quote(key)
        };
        lines.push(Line {
            depth,
            key: Some(key),
            text: String::new(),
        });
        expression(value, depth, lines)?;
    }
    Ok(())
}

/// Appends `v` to the last line, opening new lines for an object's body.
fn expression(v: &Value, depth: usize, lines: &mut Vec<Line>) -> Result<(), Error> {
    let push = |lines: &mut Vec<Line>, s: &str| match lines.last_mut() {
        Some(line) => line.text.push_str(s),
        None => lines.push(Line {
            text: s.to_string(),
            ..Line::default()
        }),
    };
    match v {
        Value::Null => push(lines, "null"),
        Value::Bool(b) => push(lines, if *b { "true" } else { "false" }),
        Value::Number(_) => push(lines, &to_string(v).unwrap_or_default()),
        Value::String(s) => push(lines, &quote(s)),
        Value::List(items) => {
            push(lines, "[");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    push(lines, ", ");
                }
                expression(item, depth, lines)?;
            }
            push(lines, "]");
        }
        Value::Object(map) if map.is_empty() => push(lines, "{}"),
        Value::Object(map) => {
            push(lines, "{");
            attributes(map, depth + 1, lines)?;
            lines.push(Line {
                depth,
                key: None,
                text: "}".into(),
            });
        }
        Value::Unknown | Value::Sensitive(_) => {
            return Err(Error::arg(0, "must be wholly known"));
        }
    }
    Ok(())
}

/// Joins the lines, aligning the `=` of each run of consecutive lines that
/// start an attribute at the same depth, as `hclwrite` formats them.
fn render(lines: Vec<Line>) -> String {
    let mut widths = vec![0; lines.len()];
    let mut start = 0;
    while start < lines.len() {
        let depth = lines[start].depth;
        let end = (start..lines.len())
            .find(|&i| lines[i].key.is_none() || lines[i].depth != depth)
            .unwrap_or(lines.len())
            .max(start + 1);
        let width = lines[start..end]
            .iter()
            .filter_map(|l| l.key.as_ref().map(|k| k.chars().count()))
            .max()
            .unwrap_or(0);
        for w in widths.iter_mut().take(end).skip(start) {
            *w = width;
        }
        start = end;
    }
    let mut out = Vec::with_capacity(lines.len());
    for (line, width) in lines.into_iter().zip(widths) {
        let indent = "  ".repeat(line.depth);
        out.push(match line.key {
            Some(key) => format!("{indent}{key:width$} = {}", line.text),
            None => format!("{indent}{}", line.text),
        });
    }
    out.join("\n")
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

/// A quoted HCL string: escapes, and `${` / `%{` doubled so that they stay
/// literal.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::super::call;
    use super::super::tests::ctx;
    use crate::value::{Map, Value};

    fn run(name: &str, v: Value) -> Result<Value, String> {
        call(&format!("provider::terraform::{name}"), vec![v], &ctx())
            .expect("exists")
            .map_err(|e| e.message)
    }

    #[test]
    fn encode_tfvars_writes_aligned_sorted_attributes() {
        let v = Value::Object(Map::from([
            ("example".into(), "Hello!".into()),
            ("n".into(), Value::int(1)),
        ]));
        assert_eq!(
            run("encode_tfvars", v),
            Ok("example = \"Hello!\"\nn       = 1\n".into())
        );
        assert!(run("encode_tfvars", "x".into()).is_err());
    }

    #[test]
    fn alignment_stops_at_nested_objects() {
        let inner = Map::from([("c".into(), Value::int(1)), ("dd".into(), Value::int(2))]);
        let v = Value::Object(Map::from([
            ("long_name".into(), Value::Object(inner)),
            ("z".into(), Value::int(1)),
        ]));
        assert_eq!(
            run("encode_tfvars", v),
            Ok("long_name = {\n  c  = 1\n  dd = 2\n}\nz = 1\n".into())
        );
    }

    #[test]
    fn encode_expr_quotes_keys_and_escapes_templates() {
        let v = Value::Object(Map::from([
            ("a".into(), Value::List(vec![Value::int(1), Value::int(2)])),
            ("c d".into(), Value::Bool(true)),
        ]));
        assert_eq!(
            run("encode_expr", v),
            Ok("{\n  a     = [1, 2]\n  \"c d\" = true\n}".into())
        );
        assert_eq!(
            run("encode_expr", "${x} %{y}\n".into()),
            Ok("\"$${x} %%{y}\\n\"".into())
        );
    }
}
