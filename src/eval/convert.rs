//! Converting a value to a variable's type constraint, as Terraform does:
//! `5` becomes `"5"` for a string, `"true"` becomes `true` for a bool,
//! missing optional object attributes take their defaults.

use super::ops;
use super::types::{Ty, conform, unify_all};
use crate::config::Type;
use crate::value::{Map, Value};

/// Converts `v` to `ty`, or says why it cannot be.
pub fn convert(v: Value, ty: &Type) -> Result<Value, String> {
    let (v, marked) = v.into_unmarked();
    if matches!(v, Value::Unknown) || matches!(ty, Type::Any) {
        return Ok(v.mark_if(marked));
    }
    if v.is_null() {
        return Ok(Value::Null.mark_if(marked));
    }
    let out = match ty {
        Type::Any => v,
        Type::String => match &v {
            Value::String(_) | Value::Number(_) | Value::Bool(_) => {
                Value::String(ops::to_string(&v)?)
            }
            other => return Err(format!("a string is required, got {}", kind(other))),
        },
        Type::Number => Value::Number(
            ops::to_number(&v).map_err(|_| format!("a number is required, got {}", kind(&v)))?,
        ),
        Type::Bool => Value::Bool(
            ops::to_bool(&v).map_err(|_| format!("a bool is required, got {}", kind(&v)))?,
        ),
        Type::List(elem) | Type::Set(elem) => {
            let Value::List(items) = v else {
                return Err(format!("a list is required, got {}", kind(&v)));
            };
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                out.push(convert(item, elem).map_err(|m| format!("element {i}: {m}"))?);
            }
            if has_any(elem) {
                out = one_type(out)?;
            }
            if matches!(ty, Type::Set(_)) {
                // Sets have no order: keep one of each, sorted, as toset() does.
                let mut seen = std::collections::HashSet::new();
                out.retain(|x| seen.insert(x.to_string()));
                out.sort_by(compare);
            }
            Value::List(out)
        }
        Type::Map(elem) => {
            let Value::Object(map) = v else {
                return Err(format!("a map is required, got {}", kind(&v)));
            };
            let mut out = Map::new();
            for (k, item) in map {
                let c = convert(item, elem).map_err(|m| format!("element \"{k}\": {m}"))?;
                out.insert(k, c);
            }
            if has_any(elem) {
                let keys: Vec<String> = out.keys().cloned().collect();
                let values = one_type(out.into_iter().map(|(_, v)| v).collect())?;
                out = keys.into_iter().zip(values).collect();
            }
            Value::Object(out)
        }
        Type::Tuple(types) => {
            let Value::List(items) = v else {
                return Err(format!("a tuple is required, got {}", kind(&v)));
            };
            if items.len() != types.len() {
                return Err(format!(
                    "a tuple of {} elements is required, got {}",
                    types.len(),
                    items.len()
                ));
            }
            let mut out = Vec::with_capacity(items.len());
            for (i, (item, t)) in items.into_iter().zip(types).enumerate() {
                out.push(convert(item, t).map_err(|m| format!("element {i}: {m}"))?);
            }
            Value::List(out)
        }
        Type::Object(attrs) => {
            let Value::Object(mut map) = v else {
                return Err(format!("an object is required, got {}", kind(&v)));
            };
            let mut out = Map::new();
            for (name, attr) in attrs {
                match map.remove(name) {
                    Some(item) if !(item.is_null() && attr.optional) => {
                        out.insert(
                            name.clone(),
                            convert(item, &attr.ty)
                                .map_err(|m| format!("attribute \"{name}\": {m}"))?,
                        );
                    }
                    _ if attr.optional => {
                        let default = attr.default.clone().unwrap_or(Value::Null);
                        out.insert(name.clone(), convert(default, &attr.ty)?);
                    }
                    _ => return Err(format!("attribute \"{name}\" is required")),
                }
            }
            Value::Object(out)
        }
    };
    Ok(out.mark_if(marked))
}

/// Whether `any` appears in `ty`: the elements of a collection of it must
/// then be given one type, the one they all convert to.
fn has_any(ty: &Type) -> bool {
    match ty {
        Type::Any => true,
        Type::List(t) | Type::Set(t) | Type::Map(t) => has_any(t),
        Type::Tuple(ts) => ts.iter().any(has_any),
        Type::Object(attrs) => attrs.values().any(|a| has_any(&a.ty)),
        _ => false,
    }
}

/// The elements of a `list(any)`, `set(any)` or `map(any)` converted to
/// the one type they all convert to (`[1, "a"]` becomes `["1", "a"]`), as
/// Terraform does; an error when there is none (`["a", []]`).
fn one_type(items: Vec<Value>) -> Result<Vec<Value>, String> {
    let tys: Vec<Ty> = items.iter().map(Ty::of).collect();
    let ty = unify_all(&tys)
        .ok_or("all elements must have the same type, and these have none in common")?;
    items.into_iter().map(|v| conform(v, &ty)).collect()
}

/// Numbers by value, strings alphabetically, anything else by its text.
fn compare(a: &Value, b: &Value) -> std::cmp::Ordering {
    match (a.unmark().0, b.unmark().0) {
        (Value::Number(x), Value::Number(y)) => {
            x.partial_cmp(y).unwrap_or(std::cmp::Ordering::Equal)
        }
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (x, y) => x.to_string().cmp(&y.to_string()),
    }
}

fn kind(v: &Value) -> String {
    super::expr::describe(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::TypeAttribute;
    use std::collections::BTreeMap;

    #[test]
    fn converts_like_terraform() {
        assert_eq!(
            convert(Value::int(5), &Type::String),
            Ok(Value::string("5"))
        );
        assert_eq!(convert("true".into(), &Type::Bool), Ok(Value::Bool(true)));
        assert!(convert("x".into(), &Type::Number).is_err());
        assert!(convert(Value::List(vec![]), &Type::String).is_err());
        let set = convert(
            Value::List(vec!["b".into(), "a".into(), "b".into()]),
            &Type::Set(Box::new(Type::String)),
        );
        assert_eq!(set, Ok(Value::List(vec!["a".into(), "b".into()])));
    }

    #[test]
    fn object_attributes_take_defaults_and_drop_extras() {
        let ty = Type::Object(BTreeMap::from([
            (
                "name".to_string(),
                TypeAttribute {
                    ty: Type::String,
                    optional: false,
                    default: None,
                },
            ),
            (
                "size".to_string(),
                TypeAttribute {
                    ty: Type::Number,
                    optional: true,
                    default: Some(Value::int(1)),
                },
            ),
        ]));
        let mut m = Map::new();
        m.insert("name".into(), "web".into());
        m.insert("extra".into(), Value::Bool(true));
        let out = convert(Value::Object(m), &ty).unwrap();
        assert_eq!(out.to_string(), "{ name = \"web\", size = 1 }");
        assert_eq!(
            convert(Value::Object(Map::new()), &ty),
            Err("attribute \"name\" is required".into())
        );
    }
}
