//! How values are written in state and plan files.
//!
//! Known values are plain JSON. The two marks use a reserved object key:
//! an unknown value is `{"$terrace": "unknown"}` and a sensitive one is
//! `{"$terrace": "sensitive", "value": …}`. Paths are arrays of attribute
//! names and list indices, as in Terraform's JSON output.

use super::{Map, Number, Path, PathStep, Value};
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

const MARK: &str = "$terrace";

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Number(Number::Int(i)) => s.serialize_i64(*i),
            Value::Number(Number::Float(f)) => s.serialize_f64(*f),
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
            Err(_) => Value::Number(Number::Float(u as f64)),
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
            Value::Number(Number::Int(i)) if i >= 0 => Ok(PathStep::Index(i as usize)),
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
        m.insert("n".into(), Value::Number(Number::Float(1.5)));
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
    fn paths_are_json_arrays() {
        let p = Path::attr("tags").child(PathStep::Index(3));
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(json, r#"["tags",3]"#);
        assert_eq!(serde_json::from_str::<Path>(&json).unwrap(), p);
    }
}
