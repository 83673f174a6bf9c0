//! How values are written in state and plan files.
//!
//! Known values are plain JSON. The two marks use a reserved object key:
//! an unknown value is `{"$terrace": "unknown"}` and a sensitive one is
//! `{"$terrace": "sensitive", "value": …}`. Paths are arrays of attribute
//! names and list indices, as in Terraform's JSON output.
//!
//! Numbers are written as their exact decimal text (serde_json keeps number
//! text with its `arbitrary_precision` feature) and read back at 512 bits,
//! so a number read from a state file equals the one written. Older files,
//! written through 64-bit floats, read the same way.

use super::{Map, Number, Path, PathStep, Value};
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

const MARK: &str = "$terrace";

/// The key under which serde_json (with `arbitrary_precision`) hands a
/// number's text to `deserialize_any` visitors, as a one-entry map.
const JSON_NUMBER: &str = "$serde_json::private::Number";

/// Reads an unsigned integer also where serde buffers the input first
/// (internally tagged and untagged enums), which with exact number text
/// turns numbers into one-entry maps.
pub fn any_u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    match Value::deserialize(d)? {
        Value::Number(n) => n
            .as_i64()
            .and_then(|i| u64::try_from(i).ok())
            .ok_or_else(|| de::Error::custom(format!("expected an unsigned integer, got {n}"))),
        other => Err(de::Error::custom(format!(
            "expected an unsigned integer, got {}",
            other.type_name()
        ))),
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            // As Terraform records numbers (see `Number::stored`).
            Value::Number(n) => match n.machine_int() {
                Some(i) => s.serialize_i64(i),
                None => n.stored().to_json().serialize(s),
            },
            Value::String(v) => s.serialize_str(v),
            Value::List(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Value::Object(map) => {
                let mut m = s.serialize_map(Some(map.len()))?;
                for (k, v) in map {
                    m.serialize_entry(k, v)?;
                }
                m.end()
            }
            Value::Unknown => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry(MARK, "unknown")?;
                m.end()
            }
            Value::Sensitive(inner) => {
                let mut m = s.serialize_map(Some(2))?;
                m.serialize_entry(MARK, "sensitive")?;
                m.serialize_entry("value", inner)?;
                m.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }
    fn visit_i64<E>(self, i: i64) -> Result<Value, E> {
        Ok(Value::int(i))
    }
    fn visit_u64<E>(self, u: u64) -> Result<Value, E> {
        Ok(match i64::try_from(u) {
            Ok(i) => Value::int(i),
            Err(_) => {
                Value::Number(Number::parse(&u.to_string()).unwrap_or(Number::from_f64(u as f64)))
            }
        })
    }
    fn visit_f64<E>(self, f: f64) -> Result<Value, E> {
        Ok(Value::Number(Number::from_f64(f)))
    }
    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_string()))
    }
    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::List(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        let Some(first) = access.next_key::<String>()? else {
            return Ok(Value::Object(map));
        };
        if first == JSON_NUMBER {
            let text: String = access.next_value()?;
            return Number::parse(&text)
                .map(Value::Number)
                .ok_or_else(|| de::Error::custom(format!("invalid number {text}")));
        }
        map.insert(first, access.next_value()?);
        while let Some((k, v)) = access.next_entry::<String, Value>()? {
            map.insert(k, v);
        }
        match map.get(MARK).and_then(Value::as_str) {
            Some("unknown") if map.len() == 1 => Ok(Value::Unknown),
            Some("sensitive") if map.len() == 2 => match map.remove("value") {
                Some(inner) => Ok(inner.sensitive()),
                None => Err(de::Error::custom("a sensitive value without \"value\"")),
            },
            _ => Ok(Value::Object(map)),
        }
    }
}

impl Serialize for PathStep {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            PathStep::Attr(a) => s.serialize_str(a),
            PathStep::Index(i) => s.serialize_u64(*i as u64),
        }
    }
}

impl<'de> Deserialize<'de> for PathStep {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<PathStep, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) => Ok(PathStep::Attr(s)),
            Value::Number(n) if n.as_i64().is_some_and(|i| i >= 0) => {
                Ok(PathStep::Index(n.as_i64().unwrap_or(0) as usize))
            }
            other => Err(de::Error::custom(format!(
                "a path step must be a name or an index, not {}",
                other.type_name()
            ))),
        }
    }
}

impl Serialize for Path {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.steps().serialize(s)
    }
}

impl<'de> Deserialize<'de> for Path {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Path, D::Error> {
        Ok(Path::from(Vec::<PathStep>::deserialize(d)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_survive_a_round_trip() {
        let mut m = Map::new();
        m.insert("id".into(), Value::Unknown);
        m.insert("key".into(), Value::string("s3cr3t").sensitive());
        m.insert("n".into(), Value::Number(Number::from_f64(1.5)));
        m.insert(
            "list".into(),
            Value::List(vec![Value::Null, Value::Bool(true)]),
        );
        let v = Value::Object(m);
        let json = serde_json::to_string(&v).unwrap();
        assert_eq!(
            json,
            r#"{"id":{"$terrace":"unknown"},"key":{"$terrace":"sensitive","value":"s3cr3t"},"list":[null,true],"n":1.5}"#
        );
        let back: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn numbers_keep_their_exact_text() {
        let third = Number::parse("1")
            .unwrap()
            .div(&Number::parse("3").unwrap())
            .unwrap();
        let v = Value::List(vec![
            Value::Number(third.clone()),
            Value::Number(Number::from_f64(50f64.ln() / 10f64.ln())),
            Value::Number(Number::parse("123456789.12345679").unwrap()),
            Value::Number(Number::parse("12345678901234567890").unwrap()),
            Value::Number(Number::parse("-0").unwrap()),
            // A 64-bit float's exact value at 512 bits is recorded as the float.
            Value::Number(Number::from_f64(0.1).add(&Number::parse("0").unwrap())),
        ]);
        let json = serde_json::to_string(&v).unwrap();
        assert_eq!(
            json,
            format!("[{third},1.6989700043360185,123456789.12345679,12345678901234567890,0,0.1]")
        );
        let back: Value = serde_json::from_str(&json).unwrap();
        assert!(back.same_as(&v), "{back:?}");
        assert_eq!(serde_json::to_string(&back).unwrap(), json);
        // Through serde's buffering (as in an internally tagged enum).
        let buffered: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(serde_json::from_value::<Value>(buffered).unwrap(), back);
    }

    #[test]
    fn paths_are_json_arrays() {
        let p = Path::attr("tags").child(PathStep::Index(3));
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(json, r#"["tags",3]"#);
        assert_eq!(serde_json::from_str::<Path>(&json).unwrap(), p);
    }
}
