//! Type conversion functions: `tostring`, `tonumber`, `tobool`, `tolist`,
//! `toset` and `tomap`, and [`unify`], the conversion of mixed elements to
//! one type that Terraform applies when it builds a collection.

use super::Error;
use super::args::{Args, to_string};
use super::sets::canonical;
use crate::value::{Number, Value};

/// `tostring(v)`: numbers and bools become strings; null stays null.
pub fn tostring(args: Args) -> Result<Value, Error> {
    match args.value(0)? {
        Value::Null => Ok(Value::Null),
        v => to_string(v)
            .map(Value::String)
            .ok_or_else(|| Error::arg(0, format!("cannot convert {} to string", v.type_name()))),
    }
}

/// `tonumber(v)`: numeric strings become numbers; null stays null.
pub fn tonumber(args: Args) -> Result<Value, Error> {
    match args.value(0)? {
        Value::Null => Ok(Value::Null),
        Value::Number(n) => Ok(Value::Number(n.clone())),
        Value::String(s) => Number::parse(s).map(Value::Number).ok_or_else(|| {
            Error::arg(
                0,
                format!("cannot convert {s:?} to number; given string must be a decimal representation of a number"),
            )
        }),
        v => Err(Error::arg(0, format!("cannot convert {} to number", v.type_name()))),
    }
}

/// `tobool(v)`: the strings "true" and "false" become bools; null stays null.
pub fn tobool(args: Args) -> Result<Value, Error> {
    match args.value(0)? {
        Value::Null => Ok(Value::Null),
        Value::Bool(b) => Ok(Value::Bool(*b)),
        Value::String(s) if s == "true" || s == "false" => Ok(Value::Bool(s == "true")),
        Value::String(s) => Err(Error::arg(
            0,
            format!(
                "cannot convert {s:?} to bool; only the strings \"true\" or \"false\" are allowed"
            ),
        )),
        v => Err(Error::arg(
            0,
            format!("cannot convert {} to bool", v.type_name()),
        )),
    }
}

/// `tolist(v)`: a list whose elements all have one type.
pub fn tolist(args: Args) -> Result<Value, Error> {
    Ok(unified_list(args, "list")?.map_or(Value::Null, Value::List))
}

/// `toset(v)`: like `tolist`, then deduplicated and sorted.
pub fn toset(args: Args) -> Result<Value, Error> {
    Ok(unified_list(args, "set")?.map_or(Value::Null, |items| Value::List(canonical(items))))
}

/// The list argument with its elements unified; `None` for null.
fn unified_list(mut args: Args, target: &str) -> Result<Option<Vec<Value>>, Error> {
    match args.take(0) {
        Value::Null => Ok(None),
        Value::List(mut items) => {
            unify(&mut items)
                .map_err(|e| Error::arg(0, format!("cannot convert to {target}: {e}")))?;
            Ok(Some(items))
        }
        v => Err(Error::arg(
            0,
            format!("cannot convert {} to {target}", v.type_name()),
        )),
    }
}

/// `tomap(v)`: a map whose values all have one type.
pub fn tomap(mut args: Args) -> Result<Value, Error> {
    match args.take(0) {
        Value::Null => Ok(Value::Null),
        Value::Object(map) => {
            let (keys, mut values): (Vec<String>, Vec<Value>) = map.into_iter().unzip();
            unify(&mut values).map_err(|e| Error::arg(0, format!("cannot convert to map: {e}")))?;
            Ok(Value::Object(keys.into_iter().zip(values).collect()))
        }
        v => Err(Error::arg(
            0,
            format!("cannot convert {} to map", v.type_name()),
        )),
    }
}

/// Converts `items` to one type in place, as Terraform does when it makes
/// a list or map of them: when strings are mixed with numbers or bools, all
/// become strings. Nulls fit any type. Numbers mixed with bools, or
/// primitives mixed with lists or maps, have no common type.
pub fn unify(items: &mut [Value]) -> Result<(), String> {
    let kind = |v: &Value| match v {
        Value::Bool(_) => 1u8,
        Value::Number(_) => 2,
        Value::String(_) => 4,
        Value::List(_) => 8,
        Value::Object(_) => 16,
        _ => 0,
    };
    let kinds = items.iter().fold(0u8, |acc, v| acc | kind(v));
    if kinds.count_ones() <= 1 {
        return Ok(());
    }
    if kinds > 7 || kinds == 3 {
        return Err(format!("mixed {} have no common type", kind_names(kinds)));
    }
    for item in items.iter_mut() {
        if let Some(s) = to_string(item) {
            *item = Value::String(s);
        }
    }
    Ok(())
}

fn kind_names(kinds: u8) -> String {
    let names = ["bools", "numbers", "strings", "lists", "maps"];
    let present: Vec<&str> = names
        .iter()
        .enumerate()
        .filter(|(i, _)| kinds & (1 << i) != 0)
        .map(|(_, n)| *n)
        .collect();
    present.join(" and ")
}

#[cfg(test)]
mod tests {
    use super::super::tests::ctx;
    use super::super::{Error, call};
    use crate::value::{Map, Number, Value};

    fn run(name: &str, v: Value) -> Result<Value, Error> {
        call(name, vec![v], &ctx()).expect("exists")
    }

    #[test]
    fn primitives_convert_as_terraform_documents() {
        assert_eq!(
            run("tostring", Value::string("hello")),
            Ok(Value::string("hello"))
        );
        assert_eq!(run("tostring", Value::int(1)), Ok(Value::string("1")));
        assert_eq!(
            run("tostring", Value::Bool(true)),
            Ok(Value::string("true"))
        );
        assert_eq!(run("tostring", Value::Null), Ok(Value::Null));
        assert_eq!(
            run("tostring", Value::List(vec![])).unwrap_err().message,
            "cannot convert list to string"
        );
        assert_eq!(run("tonumber", Value::string("1")), Ok(Value::int(1)));
        assert_eq!(
            run("tonumber", Value::string("2.5")),
            Ok(Value::Number(Number::from_f64(2.5)))
        );
        assert_eq!(run("tonumber", Value::Null), Ok(Value::Null));
        assert!(
            run("tonumber", Value::string("no"))
                .unwrap_err()
                .message
                .starts_with("cannot convert \"no\" to number")
        );
        assert!(run("tonumber", Value::Bool(true)).is_err());
        assert_eq!(run("tobool", Value::string("true")), Ok(Value::Bool(true)));
        assert_eq!(
            run("tobool", Value::string("false")),
            Ok(Value::Bool(false))
        );
        assert_eq!(run("tobool", Value::Null), Ok(Value::Null));
        assert!(run("tobool", Value::string("no")).is_err());
        assert!(run("tobool", Value::int(1)).is_err());
    }

    #[test]
    fn collections_unify_their_elements() {
        let mixed = Value::List(vec![Value::string("a"), Value::string("b"), Value::int(3)]);
        let strings = Value::List(vec!["a".into(), "b".into(), "3".into()]);
        assert_eq!(run("tolist", mixed), Ok(strings));
        let set = Value::List(vec!["c".into(), "b".into(), "b".into()]);
        assert_eq!(
            run("toset", set),
            Ok(Value::List(vec!["b".into(), "c".into()]))
        );
        let clash = Value::List(vec![Value::Bool(true), Value::int(1)]);
        assert!(
            run("tolist", clash)
                .unwrap_err()
                .message
                .contains("bools and numbers")
        );
        assert!(run("tolist", Value::Object(Map::new())).is_err());
        let object = Value::Object(Map::from([
            ("a".into(), "foo".into()),
            ("b".into(), Value::Bool(true)),
        ]));
        let map = Value::Object(Map::from([
            ("a".into(), "foo".into()),
            ("b".into(), "true".into()),
        ]));
        assert_eq!(run("tomap", object), Ok(map));
        assert!(run("tomap", Value::List(vec![])).is_err());
        assert_eq!(run("toset", Value::Null), Ok(Value::Null));
    }
}
