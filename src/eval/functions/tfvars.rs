//! The functions of Terraform's built-in provider, called as
//! `provider::terraform::NAME(…)`: `encode_tfvars` and `encode_expr` here
//! (`decode_tfvars` evaluates HCL, so the evaluator owns it).
//!
//! Values are written as HCL the way Terraform's `hclwrite` writes them:
//! objects one attribute a line with the `=` of consecutive lines aligned,
//! lists on one line, strings quoted with `${` and `%{` escaped.

use super::Error;
use super::args::{Args, to_string};
use crate::value::{Map, Value, is_identifier};

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
    attributes(map, &mut lines)?;
    let mut out = render(lines);
    out.push('\n');
    Ok(Value::String(out))
}

/// `provider::terraform::encode_expr(value)`: a value as an HCL expression.
pub fn encode_expr(args: Args) -> Result<Value, Error> {
    let mut lines = vec![Line::default()];
    expression(args.value(0)?, &mut lines)?;
    Ok(Value::String(render(lines)))
}

/// One output line, before indentation: the key of an attribute that
/// starts on it (aligned with its neighbours'), and the rest.
#[derive(Default)]
struct Line {
    key: Option<String>,
    text: String,
}

fn attributes(map: &Map, lines: &mut Vec<Line>) -> Result<(), Error> {
    for (key, value) in map {
        let key = if is_identifier(key) {
            key.clone()
        } else {
            quote(key)
        };
        lines.push(Line {
            key: Some(key),
            text: String::new(),
        });
        expression(value, lines)?;
    }
    Ok(())
}

/// Appends `v` to the last line, opening new lines for an object's body.
fn expression(v: &Value, lines: &mut Vec<Line>) -> Result<(), Error> {
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
                expression(item, lines)?;
            }
            push(lines, "]");
        }
        Value::Object(map) if map.is_empty() => push(lines, "{}"),
        Value::Object(map) => {
            push(lines, "{");
            attributes(map, lines)?;
            lines.push(Line {
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

/// Joins the lines as `hclwrite` formats them: each line indented by the
/// brackets left open before it (a line that opens several counts once),
/// and the `=` of consecutive one-line attributes at one indentation
/// aligned.
fn render(lines: Vec<Line>) -> String {
    let indents = bracket_indents(&lines);
    // A line that opens brackets it does not close takes no part in
    // alignment, nor does one without an attribute.
    let aligned: Vec<bool> = lines
        .iter()
        .map(|l| l.key.is_some() && bracket_change(&l.text) <= 0)
        .collect();
    let mut widths = vec![0; lines.len()];
    let mut start = 0;
    while start < lines.len() {
        if !aligned[start] {
            widths[start] = lines[start].key.as_ref().map_or(0, |k| k.chars().count());
            start += 1;
            continue;
        }
        let indent = indents[start];
        let end = (start..lines.len())
            .find(|&i| !aligned[i] || indents[i] != indent)
            .unwrap_or(lines.len());
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
    for ((line, width), indent) in lines.into_iter().zip(widths).zip(indents) {
        let pad = "  ".repeat(indent);
        out.push(match line.key {
            Some(key) => format!("{pad}{key:width$} = {}", line.text),
            None => format!("{pad}{}", line.text),
        });
    }
    out.join("\n")
}

/// `hclwrite`'s indentation: a line with more openers than closers is
/// indented at the current level and pushes one level remembering how many
/// it opened; closers pop those levels.
fn bracket_indents(lines: &[Line]) -> Vec<usize> {
    let mut stack: Vec<i64> = Vec::new();
    lines
        .iter()
        .map(|line| {
            let net = bracket_change(&line.text);
            if net > 0 {
                let indent = stack.len();
                stack.push(net);
                return indent;
            }
            let mut closed = -net;
            while closed > 0 {
                let Some(top) = stack.last_mut() else { break };
                if closed >= *top {
                    closed -= *top;
                    stack.pop();
                } else {
                    *top -= closed;
                    closed = 0;
                }
            }
            stack.len()
        })
        .collect()
}

/// Openers minus closers outside quoted strings.
fn bracket_change(text: &str) -> i64 {
    let mut net = 0;
    let mut in_string = false;
    let mut escaped = false;
    for c in text.chars() {
        match (in_string, c) {
            (true, _) if escaped => escaped = false,
            (true, '\\') => escaped = true,
            (true, '"') => in_string = false,
            (true, _) => {}
            (false, '"') => in_string = true,
            (false, '{' | '[' | '(') => net += 1,
            (false, '}' | ']' | ')') => net -= 1,
            _ => {}
        }
    }
    net
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
    fn objects_in_lists_are_indented_as_hclwrite_does() {
        let v = Value::List(vec![
            Value::Object(Map::from([("a".into(), Value::int(1))])),
            Value::Object(Map::from([("b".into(), Value::int(2))])),
        ]);
        assert_eq!(
            run("encode_expr", v),
            Ok("[{\n  a = 1\n  }, {\n  b = 2\n}]".into())
        );
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
