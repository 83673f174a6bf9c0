//! Values written out as HCL, for state and output views; sensitive
//! values masked.

use crate::value::{Value, is_identifier};
use std::fmt::Write;

/// A string as HCL writes it: in quotes, with JSON's escapes.
pub(super) fn quoted(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// `v` as HCL, objects and lists spread over lines indented from `indent`.
pub fn hcl(v: &Value, indent: usize) -> String {
    let mut out = String::new();
    write_hcl(&mut out, v, indent);
    out
}

fn write_hcl(out: &mut String, v: &Value, indent: usize) {
    match v {
        Value::Sensitive(_) => out.push_str("(sensitive value)"),
        Value::Unknown => out.push_str("(known after apply)"),
        Value::String(s) if s.contains('\n') => {
            out.push_str("<<-EOT\n");
            for line in s.strip_suffix('\n').unwrap_or(s).split('\n') {
                let _ = writeln!(out, "{}{line}", " ".repeat(indent + 4));
            }
            let _ = write!(out, "{}EOT", " ".repeat(indent + 2));
        }
        Value::String(s) => {
            out.push_str(&quoted(s));
        }
        Value::Object(m) if !m.is_empty() => {
            out.push_str("{\n");
            let keys: Vec<String> = m
                .keys()
                .map(|k| {
                    if is_identifier(k) {
                        k.clone()
                    } else {
                        format!("{k:?}")
                    }
                })
                .collect();
            let width = keys.iter().map(|k| k.chars().count()).max().unwrap_or(0);
            for (k, x) in keys.iter().zip(m.values()) {
                let _ = write!(out, "{}{k:width$} = ", " ".repeat(indent + 4));
                write_hcl(out, x, indent + 4);
                out.push('\n');
            }
            let _ = write!(out, "{}}}", " ".repeat(indent));
        }
        Value::List(l) if !l.is_empty() => {
            out.push_str("[\n");
            for x in l {
                out.push_str(&" ".repeat(indent + 4));
                write_hcl(out, x, indent + 4);
                out.push_str(",\n");
            }
            let _ = write!(out, "{}]", " ".repeat(indent));
        }
        Value::Object(_) => out.push_str("{}"),
        Value::List(_) => out.push_str("[]"),
        other => {
            let _ = write!(out, "{other}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Map;

    #[test]
    fn writes_nested_values_and_masks_secrets() {
        let mut m = Map::new();
        m.insert("b".into(), Value::List(vec![Value::int(1)]));
        m.insert("key".into(), Value::string("s").sensitive());
        m.insert("a b".into(), Value::Bool(true));
        assert_eq!(
            hcl(&Value::Object(m), 0),
            "{\n    \"a b\" = true\n    b     = [\n        1,\n    ]\n    key   = (sensitive value)\n}"
        );
    }
}
