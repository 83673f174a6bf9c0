//! Values: what expressions evaluate to, what providers receive and return,
//! and what state and plans record.
//!
//! A [`Value`] is JSON-shaped (null, bool, number, string, list, object) plus
//! two marks that Terraform users know: [`Value::Unknown`] ("known after
//! apply") and [`Value::Sensitive`] (shown as `(sensitive value)`). Marks
//! propagate: an expression that uses an unknown value is unknown, one that
//! uses a sensitive value is sensitive. This module knows nothing of HCL,
//! resources or files; every other stage builds on it.

mod bigfloat;
mod decimal;
mod map;
mod number;
mod path;
mod secret;
mod serde_impl;

pub use map::{Map, room_for_one};
pub use number::Number;
pub use path::{Path, PathStep, is_identifier};
pub use secret::{SENSITIVE_SHOWN, Secret, hide_sensitive, sensitive_texts};
pub use serde_impl::any_u64;

use std::fmt;

/// A value, possibly not yet known, possibly sensitive.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    List(Vec<Value>),
    Object(Map),
    /// A value that is only known once apply has run.
    Unknown,
    /// A value that must never be shown.
    Sensitive(Box<Value>),
}

impl Value {
    /// A string value.
    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    /// An integer value.
    pub fn int(i: i64) -> Value {
        Value::Number(Number::int(i))
    }

    /// Wraps `self` as sensitive unless it already is.
    pub fn sensitive(self) -> Value {
        match self {
            Value::Sensitive(_) => self,
            v => Value::Sensitive(Box::new(v)),
        }
    }

    /// Marks `self` sensitive when `yes`.
    pub fn mark_if(self, yes: bool) -> Value {
        if yes { self.sensitive() } else { self }
    }

    /// The value under a top-level sensitive mark, and whether there was one.
    pub fn unmark(&self) -> (&Value, bool) {
        match self {
            Value::Sensitive(inner) => (inner.unmark().0, true),
            v => (v, false),
        }
    }

    /// Removes the top-level sensitive mark.
    pub fn into_unmarked(self) -> (Value, bool) {
        match self {
            Value::Sensitive(inner) => (inner.into_unmarked().0, true),
            v => (v, false),
        }
    }

    /// Removes every sensitive mark, anywhere inside, and tells whether
    /// there was any.
    pub fn deep_unmark(self) -> (Value, bool) {
        match self {
            Value::Sensitive(inner) => (inner.deep_unmark().0, true),
            Value::List(items) => {
                let mut any = false;
                let items = items
                    .into_iter()
                    .map(|v| {
                        let (v, s) = v.deep_unmark();
                        any |= s;
                        v
                    })
                    .collect();
                (Value::List(items), any)
            }
            Value::Object(map) => {
                let mut any = false;
                let map = map
                    .into_iter()
                    .map(|(k, v)| {
                        let (v, s) = v.deep_unmark();
                        any |= s;
                        (k, v)
                    })
                    .collect();
                (Value::Object(map), any)
            }
            v => (v, false),
        }
    }

    /// Whether this value is sensitive at the top or anywhere inside.
    pub fn contains_sensitive(&self) -> bool {
        match self {
            Value::Sensitive(_) => true,
            Value::List(items) => items.iter().any(Value::contains_sensitive),
            Value::Object(map) => map.values().any(Value::contains_sensitive),
            _ => false,
        }
    }

    /// Whether this value is unknown at the top (under any mark).
    pub fn is_unknown(&self) -> bool {
        matches!(self.unmark().0, Value::Unknown)
    }

    /// Whether this value is wholly known: no unknown anywhere inside.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown => false,
            Value::Sensitive(inner) => inner.is_wholly_known(),
            Value::List(items) => items.iter().all(Value::is_wholly_known),
            Value::Object(map) => map.values().all(Value::is_wholly_known),
            _ => true,
        }
    }

    /// Whether this value is null (under any mark).
    pub fn is_null(&self) -> bool {
        matches!(self.unmark().0, Value::Null)
    }

    /// The attributes of an object value, taken; anything else gives none.
    pub fn into_object(self) -> Map {
        match self.into_unmarked().0 {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    /// The string inside, if this is a known string.
    pub fn as_str(&self) -> Option<&str> {
        match self.unmark().0 {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The bool inside, if this is a known bool.
    pub fn as_bool(&self) -> Option<bool> {
        match self.unmark().0 {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The object inside, if this is a known object.
    pub fn as_object(&self) -> Option<&Map> {
        match self.unmark().0 {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }

    /// The list inside, if this is a known list.
    pub fn as_list(&self) -> Option<&[Value]> {
        match self.unmark().0 {
            Value::List(l) => Some(l),
            _ => None,
        }
    }

    /// An attribute of an object value.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_object().and_then(|m| m.get(key))
    }

    /// The value at `path`, if every step exists.
    pub fn at(&self, path: &Path) -> Option<&Value> {
        let mut current = self;
        for step in path.steps() {
            current = match (current.unmark().0, step) {
                (Value::Object(m), PathStep::Attr(k)) => m.get(k)?,
                (Value::List(l), PathStep::Index(i)) => l.get(*i)?,
                _ => return None,
            };
        }
        Some(current)
    }

    /// The name of this value's type, as Terraform spells it in messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::List(_) => "list",
            Value::Object(_) => "object",
            Value::Unknown => "unknown",
            Value::Sensitive(inner) => inner.type_name(),
        }
    }

    /// Whether two values are equal, ignoring sensitive marks, with numbers
    /// compared as state records them (see [`Number::stored`]): what plans
    /// and providers use to decide whether something changed.
    pub fn same_as(&self, other: &Value) -> bool {
        self.equal_with(other, &|a, b| a.stored() == b.stored())
    }

    /// Whether two values are equal as the language's `==` sees it: numbers
    /// equal when their text is (see [`Number`]), sensitive marks ignored.
    pub fn equals(&self, other: &Value) -> bool {
        self.equal_with(other, &|a, b| a == b)
    }

    fn equal_with(&self, other: &Value, num: &dyn Fn(&Number, &Number) -> bool) -> bool {
        match (self.unmark().0, other.unmark().0) {
            (Value::List(a), Value::List(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.equal_with(y, num))
            }
            (Value::Object(a), Value::Object(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .zip(b)
                        .all(|((ka, va), (kb, vb))| ka == kb && va.equal_with(vb, num))
            }
            (Value::Number(a), Value::Number(b)) => num(a, b),
            (a, b) => a == b,
        }
    }

    /// Converts to plain JSON; unknown values become null and marks are
    /// dropped. For functions such as `jsonencode`, after the caller has
    /// checked that the value is known.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null | Value::Unknown => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(n) => n.to_json(),
            Value::String(s) => serde_json::Value::String(s.clone()),
            Value::List(items) => {
                serde_json::Value::Array(items.iter().map(Value::to_json).collect())
            }
            Value::Object(map) => serde_json::Value::Object(
                map.iter().map(|(k, v)| (k.clone(), v.to_json())).collect(),
            ),
            Value::Sensitive(inner) => inner.to_json(),
        }
    }

    /// Converts plain JSON into a value; refuses a number beyond the
    /// range terrace holds (a decimal exponent past ±400000) rather than
    /// read it as NaN or 0.
    pub fn from_json(json: serde_json::Value) -> Result<Value, String> {
        Ok(match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(b),
            serde_json::Value::Number(n) => Value::Number(Number::from_json(&n)?),
            serde_json::Value::String(s) => Value::String(s),
            serde_json::Value::Array(items) => Value::List(
                items
                    .into_iter()
                    .map(Value::from_json)
                    .collect::<Result<_, _>>()?,
            ),
            serde_json::Value::Object(map) => Value::Object(
                map.into_iter()
                    .map(|(k, v)| Ok((k, Value::from_json(v)?)))
                    .collect::<Result<_, String>>()?,
            ),
        })
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::int(i)
    }
}

impl From<Map> for Value {
    fn from(m: Map) -> Value {
        Value::Object(m)
    }
}

impl From<Vec<Value>> for Value {
    fn from(v: Vec<Value>) -> Value {
        Value::List(v)
    }
}

/// HCL-like rendering, used in messages: strings quoted, unknowns and
/// sensitive values spelled as in a plan.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Number(n) => write!(f, "{n}"),
            Value::String(s) => write!(f, "{s:?}"),
            Value::List(items) => {
                f.write_str("[")?;
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
            Value::Object(map) => {
                f.write_str("{")?;
                for (i, (k, v)) in map.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    if is_identifier(k) {
                        write!(f, " {k} = {v}")?;
                    } else {
                        write!(f, " {k:?} = {v}")?;
                    }
                }
                f.write_str(if map.is_empty() { "}" } else { " }" })
            }
            Value::Unknown => f.write_str("(known after apply)"),
            Value::Sensitive(_) => f.write_str("(sensitive value)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_numbers_beyond_the_range_are_refused_not_read_as_nan_or_zero() {
        for text in ["1e999999", "2e-999999", "[1, {\"a\": -3e500001}]"] {
            let j: serde_json::Value = serde_json::from_str(text).expect("json");
            let err = Value::from_json(j).unwrap_err();
            assert!(
                err.contains("out of the range terrace reads"),
                "{text}: {err}"
            );
        }
        let j: serde_json::Value = serde_json::from_str("2.5e509").expect("json");
        let v = Value::from_json(j).expect("in range");
        assert!(Value::from_json(v.to_json()).expect("in range").same_as(&v));
    }

    #[test]
    fn marks_are_found_anywhere_inside() {
        let v = Value::List(vec![Value::int(1), Value::string("x").sensitive()]);
        assert!(v.contains_sensitive());
        assert!(v.is_wholly_known());
        let (plain, any) = v.deep_unmark();
        assert!(any);
        assert!(!plain.contains_sensitive());
        let u = Value::Object(Map::from([("a".to_string(), Value::Unknown)]));
        assert!(!u.is_wholly_known());
    }

    #[test]
    fn display_masks_sensitive_and_unknown() {
        let mut m = Map::new();
        m.insert("k".into(), Value::string("secret").sensitive());
        m.insert("u".into(), Value::Unknown);
        assert_eq!(
            Value::Object(m).to_string(),
            "{ k = (sensitive value), u = (known after apply) }"
        );
    }
}
