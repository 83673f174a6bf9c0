//! [`Secret`]: a credential held in memory only.

use super::Value;
use std::fmt;
use std::sync::Arc;

/// A credential (an environment's API key or the content of its secret
/// file). It has no `Display` and no serialisation, and its `Debug` hides
/// it, so that it cannot reach a plan, state, log or terminal by accident;
/// the one way out is [`Secret::expose`], for the provider that sends it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Arc<str>);

impl Secret {
    pub fn new(value: impl Into<Arc<str>>) -> Secret {
        Secret(value.into())
    }

    /// The credential itself: only for handing it to the system it is for.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `text` with every occurrence of the credential masked: for what a
    /// command or a server sends back, which may echo it. Masking works on
    /// decoded text: every double-quoted stretch of `text` is read as a JSON
    /// string, so the credential is found however it was escaped (`\/`,
    /// `\uXXXX`, ...), and a masked literal is written back as valid JSON.
    pub fn redact(&self, text: &str) -> String {
        if self.0.is_empty() {
            return text.to_string();
        }
        masked(text, &self.0, MASK)
    }

    /// `value` with every string (and object key) that holds the credential
    /// masked: for what was decoded from a command's or a server's answer.
    pub fn redact_value(&self, value: Value) -> Value {
        if self.0.is_empty() {
            return value;
        }
        match value {
            Value::String(s) if s.contains(&*self.0) => Value::String(s.replace(&*self.0, MASK)),
            Value::List(items) => {
                Value::List(items.into_iter().map(|v| self.redact_value(v)).collect())
            }
            Value::Object(map) => Value::Object(
                map.into_iter()
                    .map(|(k, v)| (k.replace(&*self.0, MASK), self.redact_value(v)))
                    .collect(),
            ),
            Value::Sensitive(inner) => Value::Sensitive(Box::new(self.redact_value(*inner))),
            other => other,
        }
    }
}

/// What stands in for the credential.
const MASK: &str = "***";

/// What stands in for a sensitive value in a message, as in Terraform.
pub const SENSITIVE_SHOWN: &str = "(sensitive value)";

/// The texts of the sensitive parts of `values`: every string (and object
/// key) and number under a sensitive mark, longest first; what a message
/// about them must not quote.
pub fn sensitive_texts<'v>(values: impl IntoIterator<Item = &'v Value>) -> Vec<String> {
    fn walk(v: &Value, under: bool, out: &mut Vec<String>) {
        match v {
            Value::Sensitive(inner) => walk(inner, true, out),
            Value::String(s) if under && !s.is_empty() => out.push(s.clone()),
            Value::Number(n) if under => out.push(n.to_string()),
            Value::List(items) => items.iter().for_each(|i| walk(i, under, out)),
            Value::Object(map) => {
                for (k, x) in map.iter() {
                    if under && !k.is_empty() {
                        out.push(k.clone());
                    }
                    walk(x, under, out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for v in values {
        walk(v, false, &mut out);
    }
    out.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    out.dedup();
    out
}

/// `text` with each of `secrets` (from [`sensitive_texts`]) shown as
/// `(sensitive value)`, quoted or escaped as it may be.
pub fn hide_sensitive(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for s in secrets {
        if !out.contains(s.as_str()) && !out.contains('\\') {
            continue;
        }
        out = out.replace(&format!("{s:?}"), SENSITIVE_SHOWN);
        out = out.replace(&format!("\"{s}\""), SENSITIVE_SHOWN);
        out = masked(&out, s, SENSITIVE_SHOWN);
    }
    out
}

/// `text` with every occurrence of `secret`, raw or inside a JSON string
/// literal however escaped, replaced by `mask`.
fn masked(text: &str, secret: &str, mask: &str) -> String {
    let text = text.replace(secret, mask);
    if !text.contains('\\') {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    let mut done = 0;
    let quotes: Vec<usize> = text.match_indices('"').map(|(i, _)| i).collect();
    for (n, &start) in quotes.iter().enumerate() {
        if start < done {
            continue;
        }
        // Every quote may open a literal: text around JSON can hold
        // stray quotes, and skipping a misread literal could skip the
        // one that carries the credential.
        let Some(end) = literal_end(&text, start, &quotes[n + 1..]) else {
            continue;
        };
        let literal = &text[start..=end];
        let Some(decoded) = decode_literal(literal) else {
            continue;
        };
        if decoded.contains(secret) {
            out.push_str(&text[done..start]);
            let masked = decoded.replace(secret, mask);
            out.push_str(&serde_json::to_string(&masked).unwrap_or_default());
            done = end + 1;
        }
    }
    out.push_str(&text[done..]);
    out
}

/// The index of the quote that closes a JSON string literal opened at
/// `start`: the first of `later` quotes not escaped by a backslash.
fn literal_end(text: &str, start: usize, later: &[usize]) -> Option<usize> {
    let bytes = text.as_bytes();
    later.iter().copied().find(|&q| {
        let slashes = bytes[start + 1..q]
            .iter()
            .rev()
            .take_while(|&&b| b == b'\\')
            .count();
        slashes % 2 == 0
    })
}

/// The string a JSON literal (quotes included) stands for; raw control
/// characters, which strict JSON refuses, are read as themselves.
fn decode_literal(literal: &str) -> Option<String> {
    if !literal.contains('\\') {
        return None;
    }
    let mut strict = String::with_capacity(literal.len());
    for c in literal.chars() {
        if c < ' ' {
            strict.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            strict.push(c);
        }
    }
    serde_json::from_str(&strict).ok()
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_credential() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "Secret(***)");
        assert_eq!(format!("{:?}", Some(s.clone())), "Some(Secret(***))");
        assert_eq!(s.expose(), "hunter2");
        assert_eq!(s.redact("key=hunter2; again hunter2"), "key=***; again ***");
        let quoted = Secret::new("a\"b\\c");
        assert_eq!(quoted.redact(r#"{"k":"a\"b\\c"}"#), r#"{"k":"***"}"#);
    }

    #[test]
    fn credential_escaped_as_json_is_masked_after_decoding() {
        let s = Secret::new("ab/cd-KEY");
        let cases = [
            r#"{"a":"ab\/cd-KEY"}"#,
            r#"{"a":"\u0061b/cd-KEY"}"#,
            r#"{"a":"x \u0061\u0062\/\u0063d-\u004bEY y"}"#,
            "{\"a\":\"ab\\/cd-KEY\"}",
        ];
        for text in cases {
            let masked = s.redact(text);
            let decoded: serde_json::Value = serde_json::from_str(&masked).unwrap();
            let a = decoded["a"].as_str().unwrap();
            assert!(
                a.contains("***") && !a.contains("cd-KEY"),
                "{text} -> {masked}"
            );
        }
        // A key, a stray quote before the literal, a raw newline inside it.
        let masked = s.redact("oops \" {\"ab\\/cd-KEY\": 1, \"b\": \"line\n\\u0061b/cd-KEY\"}");
        assert!(
            !masked.contains("\\/cd-KEY") && !masked.contains("u0061b"),
            "{masked}"
        );
        // Nothing else changes.
        let plain = r#"{"a":"x\/y","b":"\u00e9"}"#;
        assert_eq!(s.redact(plain), plain);
    }

    #[test]
    fn decoded_values_holding_the_credential_are_masked() {
        let s = Secret::new("KEY1");
        let v = Value::from_json(serde_json::json!({"a": ["xKEY1y", 1], "KEY1": {"b": "KEY1"}}))
            .expect("json");
        let masked = s.redact_value(v);
        assert_eq!(
            masked.to_json(),
            serde_json::json!({"a": ["x***y", 1], "***": {"b": "***"}})
        );
    }
}
