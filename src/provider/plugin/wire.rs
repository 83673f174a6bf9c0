//! Values and schemas on the wire: JSON, with a value not known until
//! apply written `{"$unknown": true}`; schemas as the handshake gives them;
//! answer lines. Public so that the fuzz targets (fuzz/) reach them.

use crate::provider::{AttrKind, AttrSchema, AttrType, ProviderError, Schema};
use crate::value::{Map, Value};
use serde_json::Value as Json;

/// The JSON object that stands for an unknown value.
pub const UNKNOWN_KEY: &str = "$unknown";

pub fn encode(v: &Value) -> Json {
    match v {
        Value::Unknown => serde_json::json!({ UNKNOWN_KEY: true }),
        Value::Sensitive(inner) => encode(inner),
        Value::List(items) => Json::Array(items.iter().map(encode).collect()),
        Value::Object(m) => Json::Object(m.iter().map(|(k, v)| (k.clone(), encode(v))).collect()),
        other => other.to_json(),
    }
}

/// A value from the wire; refused when it holds a number terrace cannot
/// hold (a decimal exponent beyond ±400000), rather than read as NaN.
pub fn decode(j: Json) -> Result<Value, String> {
    Ok(match j {
        Json::Object(m) if m.len() == 1 && m.get(UNKNOWN_KEY) == Some(&Json::Bool(true)) => {
            Value::Unknown
        }
        Json::Array(items) => Value::List(items.into_iter().map(decode).collect::<Result<_, _>>()?),
        Json::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| Ok((k, decode(v)?)))
                .collect::<Result<_, String>>()?,
        ),
        other => Value::from_json(other)?,
    })
}

/// An answer line from a plugin: `{"id": N, "result": …}` or
/// `{"id": N, "error": {"message", "attribute"}}`; `None` when the line is
/// not a protocol message.
pub fn reply(line: &str) -> Option<(u64, Result<Json, ProviderError>)> {
    let j = serde_json::from_str::<Json>(line).ok()?;
    let id = j.get("id")?.as_u64()?;
    if let Some(e) = j.get("error") {
        let message = e
            .get("message")
            .and_then(Json::as_str)
            .unwrap_or("failed without a message")
            .to_string();
        let attribute = e
            .get("attribute")
            .and_then(Json::as_str)
            .map(str::to_string);
        return Some((id, Err(ProviderError { message, attribute })));
    }
    Some((id, Ok(j.get("result").cloned().unwrap_or(Json::Null))))
}

/// Marks the attributes of `v` sensitive where the schema says so or the
/// value they came from (`like`) was: marks do not travel over the wire.
pub fn remark(v: Value, like: Option<&Value>, schema: &Schema) -> Value {
    let Value::Object(m) = v else {
        return v;
    };
    let out: Map = m
        .iter()
        .map(|(k, val)| {
            let sensitive = schema.attribute(k).is_some_and(|a| a.sensitive)
                || like
                    .and_then(|l| l.get(k))
                    .is_some_and(Value::contains_sensitive);
            (k.clone(), val.clone().mark_if(sensitive))
        })
        .collect();
    Value::Object(out)
}

/// A schema from the handshake: `{"attributes": [{"name", "kind",
/// "type", "force_new", "sensitive", "default", "description"}]}`.
/// Names live as long as the run: schemas hold `&'static str`.
pub fn schema(j: &Json, what: &str) -> Result<Schema, String> {
    let attrs = j
        .get("attributes")
        .and_then(Json::as_array)
        .ok_or_else(|| format!("{what} has no \"attributes\" list"))?;
    let mut attributes = Vec::with_capacity(attrs.len());
    for a in attrs {
        let name = a
            .get("name")
            .and_then(Json::as_str)
            .filter(|n| crate::config::is_name(n))
            .ok_or_else(|| format!("{what}: an attribute has no valid \"name\""))?;
        let kind = match a.get("kind").and_then(Json::as_str).unwrap_or("optional") {
            "required" => AttrKind::Required,
            "optional" => AttrKind::Optional,
            "computed" => AttrKind::Computed,
            other => return Err(format!("{what}.{name}: unknown kind \"{other}\"")),
        };
        let ty = match a.get("type").and_then(Json::as_str).unwrap_or("any") {
            "string" => AttrType::String,
            "number" => AttrType::Number,
            "bool" => AttrType::Bool,
            "any" => AttrType::Any,
            other => return Err(format!("{what}.{name}: unknown type \"{other}\"")),
        };
        let description = a.get("description").and_then(Json::as_str).unwrap_or("");
        let mut s = AttrSchema::new(leak(name), kind, ty, leak(description));
        s.force_new = a.get("force_new").and_then(Json::as_bool).unwrap_or(false);
        s.sensitive = a.get("sensitive").and_then(Json::as_bool).unwrap_or(false);
        if let Some(d) = a.get("default").filter(|d| !d.is_null()) {
            s.default = Some(
                Value::from_json(d.clone()).map_err(|e| format!("{what}.{name}: default: {e}"))?,
            );
        }
        attributes.push(s);
    }
    Ok(Schema { attributes })
}

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_string().into_boxed_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_values_cross_the_wire() {
        let v = Value::Object(
            [
                ("a".to_string(), Value::Unknown),
                (
                    "b".to_string(),
                    Value::List(vec![Value::int(1), Value::Unknown]),
                ),
            ]
            .into_iter()
            .collect(),
        );
        assert!(decode(encode(&v)).unwrap().same_as(&v));
    }

    #[test]
    fn a_number_beyond_the_exponent_range_is_refused_not_read_as_nan() {
        for text in [
            "1.5e808888888888888888888888888888888880",
            "2.5e509000",
            "-1e-400001",
        ] {
            let j: Json = serde_json::from_str(&format!("{{\"n\": {text}}}")).unwrap();
            let err = decode(j).unwrap_err();
            assert!(err.contains("out of the range"), "{text}: {err}");
        }
        let j: Json = serde_json::from_str("{\"n\": 2.5e509}").unwrap();
        let v = decode(j).unwrap();
        assert!(decode(encode(&v)).unwrap().same_as(&v));
    }
}
