//! Encoding functions: `jsonencode`, `jsondecode`, `base64encode`,
//! `base64decode`, `urlencode` and `csvdecode`.
//!
//! JSON is written by hand rather than through serde so that the output is
//! byte-for-byte what Terraform writes: compact, keys sorted, and `<`, `>`,
//! `&`, U+2028 and U+2029 escaped as Go's encoder escapes them.

use super::Error;
use super::args::Args;
use super::csv;
use crate::value::{Map, Value};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::fmt::Write;

/// `jsonencode(value)`.
pub fn jsonencode(args: Args) -> Result<Value, Error> {
    encode_json(args.value(0)?)
        .map(Value::String)
        .map_err(|e| Error::arg(0, e))
}

/// `jsondecode(str)`: numbers that are whole stay exact integers.
pub fn jsondecode(args: Args) -> Result<Value, Error> {
    let text = args.string(0)?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| Error::arg(0, format!("invalid JSON: {e}")))?;
    Value::from_json(json).map_err(|e| Error::arg(0, e))
}

/// `base64encode(str)`: the UTF-8 bytes of the string, in standard Base64.
pub fn base64encode(args: Args) -> Result<Value, Error> {
    Ok(Value::String(STANDARD.encode(args.string(0)?)))
}

/// `base64decode(str)`: the decoded bytes, which must be UTF-8 text. Line
/// breaks inside the encoded text are ignored, as Go ignores them.
pub fn base64decode(args: Args) -> Result<Value, Error> {
    let text: String = args
        .string(0)?
        .chars()
        .filter(|&c| c != '\r' && c != '\n')
        .collect();
    let bytes = STANDARD
        .decode(text.as_bytes())
        .map_err(|e| Error::arg(0, format!("failed to decode base64 data: {e}")))?;
    String::from_utf8(bytes).map(Value::String).map_err(|_| {
        Error::arg(
            0,
            "the result of decoding the provided string is not valid UTF-8",
        )
    })
}

/// `urlencode(str)`: escaped for a URL query, as Go's `url.QueryEscape`
/// escapes: spaces become `+`, and every byte but letters, digits and
/// `-_.~` becomes `%XX`.
pub fn urlencode(args: Args) -> Result<Value, Error> {
    let mut out = String::new();
    for byte in args.string(0)?.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(byte))
            }
            b' ' => out.push('+'),
            b => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    Ok(Value::String(out))
}

/// `csvdecode(str)`: the rows after the header line, as maps from the
/// header's column names to the row's fields.
pub fn csvdecode(args: Args) -> Result<Value, Error> {
    let text = args.string(0)?;
    let records = csv::parse(&text).map_err(|e| Error::arg(0, e))?;
    let mut records = records.into_iter();
    let (_, header) = records
        .next()
        .ok_or_else(|| Error::arg(0, "missing header line"))?;
    for (i, name) in header.iter().enumerate() {
        if header.iter().take(i).any(|n| n == name) {
            return Err(Error::arg(0, format!("duplicate column name {name:?}")));
        }
    }
    let mut rows = Vec::new();
    for (line, fields) in records {
        if fields.len() != header.len() {
            return Err(Error::arg(
                0,
                format!("record on line {line}: wrong number of fields"),
            ));
        }
        let row: Map = header
            .iter()
            .cloned()
            .zip(fields.into_iter().map(Value::String))
            .collect();
        rows.push(Value::Object(row));
    }
    Ok(Value::List(rows))
}

/// A value as Terraform's `jsonencode` writes it.
pub fn encode_json(value: &Value) -> Result<String, String> {
    let mut out = String::new();
    write_json(value, &mut out)?;
    Ok(out)
}

fn write_json(value: &Value, out: &mut String) -> Result<(), String> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) if n.is_finite() => {
            let _ = write!(out, "{n}");
        }
        Value::Number(_) => return Err("cannot encode a number that is not finite".to_string()),
        Value::String(s) => write_json_string(s, out),
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out)?;
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_string(key, out);
                out.push(':');
                write_json(item, out)?;
            }
            out.push('}');
        }
        Value::Unknown => return Err("value is not known yet".to_string()),
        Value::Sensitive(_) => return Err("value is sensitive".to_string()),
    }
    Ok(())
}

/// A string quoted as JSON, escaped as Go's encoder escapes it.
pub fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    write_json_string(s, &mut out);
    out
}

fn write_json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c < ' ' || matches!(c, '<' | '>' | '&' | '\u{2028}' | '\u{2029}') => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::super::tests::ctx;
    use super::super::{Error, call};
    use crate::value::{Map, Number, Value};

    fn run(name: &str, v: Value) -> Result<Value, Error> {
        call(name, vec![v], &ctx()).expect("exists")
    }

    fn s(v: &str) -> Value {
        Value::string(v)
    }

    fn obj(pairs: &[(&str, Value)]) -> Value {
        Value::Object(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect::<Map>(),
        )
    }

    #[test]
    fn jsonencode_is_compact_sorted_and_html_safe() {
        assert_eq!(
            run("jsonencode", obj(&[("hello", s("world"))])),
            Ok(s("{\"hello\":\"world\"}"))
        );
        let v = obj(&[
            (
                "b",
                Value::List(vec![Value::int(1), Value::Number(Number::from_f64(2.5))]),
            ),
            ("a", Value::Null),
        ]);
        assert_eq!(run("jsonencode", v), Ok(s("{\"a\":null,\"b\":[1,2.5]}")));
        assert_eq!(
            run("jsonencode", s("<a & b>")),
            Ok(s("\"\\u003ca \\u0026 b\\u003e\""))
        );
        assert_eq!(
            run("jsonencode", s("tab\t\u{1}\u{2028}é")),
            Ok(s("\"tab\\t\\u0001\\u2028é\""))
        );
        assert_eq!(run("jsonencode", Value::Bool(true)), Ok(s("true")));
        assert_eq!(
            run("jsonencode", Value::Number(Number::from_f64(1e21))),
            Ok(s("1000000000000000000000"))
        );
    }

    #[test]
    fn jsondecode_keeps_integers_exact() {
        let got = run(
            "jsondecode",
            s("{\"hello\": \"world\", \"n\": [1, 2.5, 9007199254740993]}"),
        );
        let want = obj(&[
            ("hello", s("world")),
            (
                "n",
                Value::List(vec![
                    Value::int(1),
                    Value::Number(Number::from_f64(2.5)),
                    Value::int(9007199254740993),
                ]),
            ),
        ]);
        assert_eq!(got, Ok(want));
        assert_eq!(run("jsondecode", s("true")), Ok(Value::Bool(true)));
        assert_eq!(run("jsondecode", s("null")), Ok(Value::Null));
        assert!(
            run("jsondecode", s("{"))
                .unwrap_err()
                .message
                .starts_with("invalid JSON")
        );
        assert!(run("jsondecode", s("")).is_err());
    }

    #[test]
    fn base64_round_trips_text_only() {
        assert_eq!(
            run("base64encode", s("Hello World")),
            Ok(s("SGVsbG8gV29ybGQ="))
        );
        assert_eq!(
            run("base64decode", s("SGVsbG8gV29ybGQ=")),
            Ok(s("Hello World"))
        );
        assert_eq!(
            run("base64decode", s("SGVsbG8g\nV29ybGQ=")),
            Ok(s("Hello World"))
        );
        assert_eq!(run("base64decode", s("")), Ok(s("")));
        assert!(run("base64decode", s("not base64!")).is_err());
        let err = run("base64decode", s("/w==")).unwrap_err();
        assert_eq!(
            err.message,
            "the result of decoding the provided string is not valid UTF-8"
        );
    }

    #[test]
    fn urlencode_escapes_like_go() {
        assert_eq!(run("urlencode", s("Hello World!")), Ok(s("Hello+World%21")));
        assert_eq!(run("urlencode", s("☃")), Ok(s("%E2%98%83")));
        assert_eq!(run("urlencode", s("foo=bar&baz")), Ok(s("foo%3Dbar%26baz")));
        assert_eq!(run("urlencode", s("a-b_c.d~e")), Ok(s("a-b_c.d~e")));
    }

    #[test]
    fn csvdecode_reads_rows_under_the_header() {
        let got = run("csvdecode", s("a,b,c\n1,2,3\n4,5,6"));
        let want = Value::List(vec![
            obj(&[("a", s("1")), ("b", s("2")), ("c", s("3"))]),
            obj(&[("a", s("4")), ("b", s("5")), ("c", s("6"))]),
        ]);
        assert_eq!(got, Ok(want));
        let quoted = run(
            "csvdecode",
            s("name,note\r\n\"Smith, J\",\"said \"\"hi\"\"\nthen left\"\r\n"),
        );
        let want = Value::List(vec![obj(&[
            ("name", s("Smith, J")),
            ("note", s("said \"hi\"\nthen left")),
        ])]);
        assert_eq!(quoted, Ok(want));
        assert_eq!(run("csvdecode", s("a,b\n")), Ok(Value::List(vec![])));
        assert_eq!(
            run("csvdecode", s("")).unwrap_err().message,
            "missing header line"
        );
        assert_eq!(
            run("csvdecode", s("a,b\n1\n")).unwrap_err().message,
            "record on line 2: wrong number of fields"
        );
        assert!(run("csvdecode", s("a,a\n1,2")).is_err());
        assert!(
            run("csvdecode", s("a\nx\"y"))
                .unwrap_err()
                .message
                .contains("bare \"")
        );
        assert!(
            run("csvdecode", s("a\n\"open"))
                .unwrap_err()
                .message
                .contains("extraneous or missing \"")
        );
    }
}
