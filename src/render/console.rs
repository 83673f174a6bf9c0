//! Values as `terraform console` prints them.

use crate::value::Value;
use std::fmt::Write as _;

/// One value in Terraform's console format: quoted strings (a heredoc
/// when there are several lines), `[ … ]` with one item per line and a
/// trailing comma, `{ "key" = value }` with one attribute per line.
pub fn console_value(v: &Value) -> String {
    let mut out = String::new();
    write(&mut out, v, 0);
    out
}

fn write(out: &mut String, v: &Value, indent: usize) {
    let pad = |n: usize| " ".repeat(n);
    match v {
        Value::Sensitive(_) => out.push_str("(sensitive value)"),
        Value::Unknown => out.push_str("(known after apply)"),
        Value::Null => out.push_str("null"),
        Value::Bool(b) => {
            let _ = write!(out, "{b}");
        }
        Value::Number(_) => {
            let _ = write!(out, "{v}");
        }
        // Every line, then a line break: a trailing newline shows as an
        // empty last line. Nested heredocs are indented (`<<-EOT`).
        Value::String(s) if s.contains('\n') => {
            out.push_str(if indent == 0 { "<<EOT\n" } else { "<<-EOT\n" });
            for line in s.split('\n') {
                out.push_str(&pad(indent));
                out.push_str(line);
                out.push('\n');
            }
            out.push_str(&pad(indent));
            out.push_str("EOT");
        }
        Value::String(s) => {
            out.push('"');
            for ch in s.chars() {
                match ch {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '\t' => out.push_str("\\t"),
                    '\r' => out.push_str("\\r"),
                    c => out.push(c),
                }
            }
            out.push('"');
        }
        Value::List(items) if items.is_empty() => out.push_str("[]"),
        Value::List(items) => {
            out.push_str("[\n");
            for item in items {
                out.push_str(&pad(indent + 2));
                write(out, item, indent + 2);
                out.push_str(",\n");
            }
            out.push_str(&pad(indent));
            out.push(']');
        }
        Value::Object(m) if m.is_empty() => out.push_str("{}"),
        Value::Object(m) => {
            out.push_str("{\n");
            for (k, item) in m.iter() {
                out.push_str(&pad(indent + 2));
                write(out, &Value::String(k.clone()), 0);
                out.push_str(" = ");
                write(out, item, indent + 2);
                out.push('\n');
            }
            out.push_str(&pad(indent));
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_values_print_like_terraform_console() {
        let v = Value::Object(
            [
                ("a".to_string(), Value::int(1)),
                (
                    "b".to_string(),
                    Value::List(vec![Value::string("x"), Value::Object(Default::default())]),
                ),
            ]
            .into_iter()
            .collect(),
        );
        assert_eq!(
            console_value(&v),
            "{\n  \"a\" = 1\n  \"b\" = [\n    \"x\",\n    {},\n  ]\n}"
        );
        assert_eq!(console_value(&Value::string("q\"\\")), "\"q\\\"\\\\\"");
        // As terraform console 1.15.5 prints them.
        assert_eq!(console_value(&Value::string("a\nb")), "<<EOT\na\nb\nEOT");
        assert_eq!(
            console_value(&Value::string("a\nb\n")),
            "<<EOT\na\nb\n\nEOT"
        );
        assert_eq!(
            console_value(&Value::List(vec![Value::string("a\nb\n")])),
            "[\n  <<-EOT\n  a\n  b\n  \n  EOT,\n]"
        );
        assert_eq!(
            console_value(&Value::string("s").sensitive()),
            "(sensitive value)"
        );
    }
}
