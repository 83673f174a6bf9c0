//! Functions over maps and objects: `merge`, `lookup`, `keys`, `values`,
//! `zipmap` and `transpose`.

use super::Error;
use super::args::{Args, describe, to_string};
use crate::value::{Map, Value};

/// `merge(maps...)`: one map with every attribute; later arguments win and
/// null arguments are skipped.
pub fn merge(args: Args) -> Result<Value, Error> {
    let mut out = Map::new();
    for i in 0..args.len() {
        match args.value(i)? {
            Value::Null => {}
            Value::Object(map) => out.extend(map.iter().map(|(k, v)| (k.clone(), v.clone()))),
            v => {
                return Err(
                    args.error(i, format!("must be a map or object, not {}", v.type_name()))
                );
            }
        }
    }
    Ok(Value::Object(out))
}

/// `lookup(map, key, default)`: the value at `key`, or `default` when there
/// is none; without a default, a missing key is an error.
pub fn lookup(mut args: Args) -> Result<Value, Error> {
    let key = args.string(1)?;
    if let Some(v) = args.object(0)?.get(&key) {
        return Ok(v.clone());
    }
    if args.len() == 3 {
        args.value(2)?;
        return Ok(args.take(2));
    }
    Err(Error::arg(1, format!("lookup failed to find key {key:?}")))
}

/// `keys(map)`: the keys, sorted.
pub fn keys(args: Args) -> Result<Value, Error> {
    Ok(Value::List(
        args.object(0)?
            .keys()
            .map(|k| Value::String(k.clone()))
            .collect(),
    ))
}

/// `values(map)`: the values, in the order of their sorted keys.
pub fn values(args: Args) -> Result<Value, Error> {
    Ok(Value::List(args.object(0)?.values().cloned().collect()))
}

/// `zipmap(keys, values)`: a map from each key to the value at its position.
pub fn zipmap(args: Args) -> Result<Value, Error> {
    let keys = args.strings(0)?;
    let values = args.list(1)?;
    if keys.len() != values.len() {
        let message = format!(
            "number of keys ({}) does not match number of values ({})",
            keys.len(),
            values.len()
        );
        return Err(Error::new(message));
    }
    Ok(Value::Object(
        keys.into_iter().zip(values.iter().cloned()).collect(),
    ))
}

/// `transpose(map)`: swaps the keys and the values of a map of lists of
/// strings: `{a = ["1", "2"], b = ["2"]}` → `{"1" = ["a"], "2" = ["a", "b"]}`.
pub fn transpose(args: Args) -> Result<Value, Error> {
    let mut out: std::collections::BTreeMap<String, Vec<Value>> = Default::default();
    for (key, list) in args.object(0)? {
        let Value::List(items) = list else {
            let message = format!(
                "must be a map of lists of strings, but {key:?} is {}",
                describe(list)
            );
            return Err(args.error(0, message));
        };
        for (n, item) in items.iter().enumerate() {
            let value = to_string(item).ok_or_else(|| {
                args.error(
                    0,
                    format!(
                        "must hold only strings, but element {n} of {key:?} is {}",
                        describe(item)
                    ),
                )
            })?;
            out.entry(value)
                .or_default()
                .push(Value::String(key.clone()));
        }
    }
    Ok(Value::Object(
        out.into_iter().map(|(k, v)| (k, Value::List(v))).collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::super::tests::ctx;
    use super::super::{Error, call};
    use crate::value::{Map, Value};

    fn run(name: &str, args: Vec<Value>) -> Result<Value, Error> {
        call(name, args, &ctx()).expect("function exists")
    }

    fn s(v: &str) -> Value {
        Value::string(v)
    }

    fn list(items: &[&str]) -> Value {
        Value::List(items.iter().map(|&v| s(v)).collect())
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
    fn merge_lets_later_maps_win_and_skips_nulls() {
        let first = obj(&[("a", s("b")), ("c", s("d"))]);
        let second = obj(&[("e", s("f")), ("c", s("z"))]);
        let merged = run("merge", vec![first, Value::Null, second]);
        assert_eq!(
            merged,
            Ok(obj(&[("a", s("b")), ("c", s("z")), ("e", s("f"))]))
        );
        assert_eq!(run("merge", vec![]), Ok(obj(&[])));
        assert!(run("merge", vec![list(&[])]).is_err());
    }

    #[test]
    fn lookup_falls_back_to_the_default() {
        let map = obj(&[("a", s("ay")), ("b", s("bee"))]);
        assert_eq!(
            run("lookup", vec![map.clone(), s("a"), s("what?")]),
            Ok(s("ay"))
        );
        assert_eq!(
            run("lookup", vec![map.clone(), s("c"), s("what?")]),
            Ok(s("what?"))
        );
        assert_eq!(
            run("lookup", vec![map.clone(), s("c"), Value::Null]),
            Ok(Value::Null)
        );
        let err = run("lookup", vec![map, s("c")]).unwrap_err();
        assert_eq!(err.message, "lookup failed to find key \"c\"");
        assert!(run("lookup", vec![list(&[]), s("a"), s("x")]).is_err());
    }

    #[test]
    fn keys_and_values_follow_key_order() {
        let map = obj(&[
            ("d", Value::int(3)),
            ("a", Value::int(1)),
            ("c", Value::int(2)),
        ]);
        assert_eq!(run("keys", vec![map.clone()]), Ok(list(&["a", "c", "d"])));
        let values = Value::List(vec![Value::int(1), Value::int(2), Value::int(3)]);
        assert_eq!(run("values", vec![map]), Ok(values));
        assert!(run("keys", vec![list(&[])]).is_err());
    }

    #[test]
    fn zipmap_pairs_keys_with_values() {
        let numbers = Value::List(vec![Value::int(1), Value::int(2)]);
        let got = run("zipmap", vec![list(&["a", "b"]), numbers.clone()]);
        assert_eq!(got, Ok(obj(&[("a", Value::int(1)), ("b", Value::int(2))])));
        let err = run("zipmap", vec![list(&["a"]), numbers]).unwrap_err();
        assert_eq!(
            err.message,
            "number of keys (1) does not match number of values (2)"
        );
        assert!(run("zipmap", vec![Value::List(vec![Value::Null]), list(&["x"])]).is_err());
    }

    #[test]
    fn transpose_swaps_keys_and_values() {
        let input = obj(&[("a", list(&["1", "2"])), ("b", list(&["2", "3"]))]);
        let want = obj(&[
            ("1", list(&["a"])),
            ("2", list(&["a", "b"])),
            ("3", list(&["b"])),
        ]);
        assert_eq!(run("transpose", vec![input]), Ok(want));
        assert!(run("transpose", vec![obj(&[("a", s("x"))])]).is_err());
    }
}
