//! Operators, indexing and string conversion on values, with Terraform's
//! automatic conversions ("5" + 1 is 6) and errors instead of panics
//! (division by zero, overflow).

use crate::config::expr::{BinaryOperator, UnaryOperator};
use crate::value::{Number, Value};

/// A number from a value, converting numeric strings as Terraform does.
pub fn to_number(v: &Value) -> Result<Number, String> {
    match v {
        Value::Number(n) => Ok(n.clone()),
        Value::String(s) => {
            Number::parse(s).ok_or_else(|| format!("cannot convert \"{s}\" to a number"))
        }
        Value::Null => Err("a number is required, got null".into()),
        other => Err(format!(
            "a number is required, got {}",
            super::expr::describe(other)
        )),
    }
}

/// A bool from a value, converting "true" and "false".
pub fn to_bool(v: &Value) -> Result<bool, String> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s == "true" => Ok(true),
        Value::String(s) if s == "false" => Ok(false),
        Value::Null => Err("a bool is required, got null".into()),
        other => Err(format!(
            "a bool is required, got {}",
            super::expr::describe(other)
        )),
    }
}

/// The string form of a primitive, for templates and string arguments.
pub fn to_string(v: &Value) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Null => Err("a string is required, got null".into()),
        other => Err(format!(
            "a string is required, got {}",
            super::expr::describe(other)
        )),
    }
}

/// Applies a unary operator to a known, unmarked operand.
pub fn unary(op: UnaryOperator, v: &Value) -> Result<Value, String> {
    match op {
        UnaryOperator::Not => Ok(Value::Bool(!to_bool(v)?)),
        UnaryOperator::Neg => Ok(Value::Number(to_number(v)?.neg())),
    }
}

/// Applies a binary operator to known, unmarked operands. `&&` and `||`
/// are handled by the evaluator, which short-circuits them.
pub fn binary(op: BinaryOperator, l: &Value, r: &Value) -> Result<Value, String> {
    use BinaryOperator as B;
    match op {
        B::Eq => Ok(Value::Bool(l.equals(r))),
        B::NotEq => Ok(Value::Bool(!l.equals(r))),
        B::And => Ok(Value::Bool(to_bool(l)? && to_bool(r)?)),
        B::Or => Ok(Value::Bool(to_bool(l)? || to_bool(r)?)),
        B::Less | B::LessEq | B::Greater | B::GreaterEq => {
            let (a, b) = (to_number(l)?, to_number(r)?);
            let ord = a.partial_cmp(&b).ok_or("numbers cannot be compared")?;
            Ok(Value::Bool(match op {
                B::Less => ord.is_lt(),
                B::LessEq => ord.is_le(),
                B::Greater => ord.is_gt(),
                _ => ord.is_ge(),
            }))
        }
        B::Plus | B::Minus | B::Mul | B::Div | B::Mod => {
            arithmetic(op, to_number(l)?, to_number(r)?).map(Value::Number)
        }
    }
}

fn arithmetic(op: BinaryOperator, a: Number, b: Number) -> Result<Number, String> {
    use BinaryOperator as B;
    Ok(match op {
        B::Plus => a.add(&b),
        B::Minus => a.sub(&b),
        B::Mul => a.mul(&b),
        B::Div => a.div(&b).ok_or("division by zero")?,
        _ => a.rem(&b),
    })
}

/// `collection[key]` on a known, unmarked collection.
pub fn index(collection: &Value, key: &Value) -> Result<Value, String> {
    match collection {
        Value::List(items) => {
            let n =
                to_number(key).map_err(|_| format!("a list index must be a number, got {key}"))?;
            let i = n
                .as_i64()
                .filter(|i| *i >= 0)
                .ok_or_else(|| format!("a list index must be a whole number ≥ 0, got {n}"))?;
            items.get(i as usize).cloned().ok_or_else(|| {
                format!(
                    "index {i} is out of range for a list of {} element(s)",
                    items.len()
                )
            })
        }
        Value::Object(map) => {
            let k = to_string(key).map_err(|_| format!("a map key must be a string, got {key}"))?;
            map.get(&k).cloned().ok_or_else(|| {
                let mut msg = format!("the map has no element \"{k}\"");
                if let Some(s) = crate::diag::did_you_mean(&k, map.keys().map(String::as_str)) {
                    msg.push_str(&format!(" (did you mean \"{s}\"?)"));
                }
                msg
            })
        }
        Value::Null => Err("cannot index a null value".into()),
        other => Err(format!("cannot index a {}", other.type_name())),
    }
}

/// `value.name` on a known, unmarked value.
pub fn get_attr(v: &Value, name: &str) -> Result<Value, String> {
    match v {
        Value::Object(map) => map.get(name).cloned().ok_or_else(|| {
            let mut msg = format!("this object has no attribute \"{name}\"");
            if let Some(s) = crate::diag::did_you_mean(name, map.keys().map(String::as_str)) {
                msg.push_str(&format!(" (did you mean \"{s}\"?)"));
            }
            msg
        }),
        Value::Null => Err(format!("cannot read attribute \"{name}\" of a null value")),
        Value::List(_) => Err(format!(
            "cannot read attribute \"{name}\" of a list; use an index (`[0].{name}`) or a splat (`[*].{name}`)"
        )),
        other => Err(format!(
            "cannot read attribute \"{name}\" of a {}",
            other.type_name()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use BinaryOperator as B;

    #[test]
    fn arithmetic_converts_and_never_panics() {
        assert_eq!(
            binary(B::Plus, &"5".into(), &Value::int(1)),
            Ok(Value::int(6))
        );
        assert_eq!(
            binary(B::Div, &Value::int(5), &Value::int(2))
                .unwrap()
                .to_string(),
            "2.5"
        );
        assert_eq!(
            binary(B::Div, &Value::int(4), &Value::int(2)),
            Ok(Value::int(2))
        );
        assert!(binary(B::Div, &Value::int(1), &Value::int(0)).is_err());
        assert_eq!(
            binary(B::Mod, &Value::int(5), &Value::int(0)),
            Ok(Value::int(5))
        );
        assert_eq!(
            binary(B::Mod, &Value::int(i64::MIN), &Value::int(-1)),
            Ok(Value::int(0))
        );
        assert_eq!(
            binary(B::Mul, &Value::int(i64::MAX), &Value::int(2))
                .unwrap()
                .to_string(),
            "18446744073709551614"
        );
        assert!(binary(B::Plus, &"x".into(), &Value::int(1)).is_err());
    }

    #[test]
    fn equality_is_strict_about_types() {
        assert_eq!(
            binary(B::Eq, &"5".into(), &Value::int(5)),
            Ok(Value::Bool(false))
        );
        assert_eq!(
            binary(B::Eq, &Value::int(5), &Value::int(5)),
            Ok(Value::Bool(true))
        );
    }

    #[test]
    fn index_reports_range_and_missing_keys() {
        let l = Value::List(vec![Value::int(1)]);
        assert!(
            index(&l, &Value::int(3))
                .unwrap_err()
                .contains("out of range")
        );
        assert_eq!(index(&l, &"0".into()), Ok(Value::int(1)));
        assert!(index(&l, &Value::int(-1)).is_err());
    }
}
