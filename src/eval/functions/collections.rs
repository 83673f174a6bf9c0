//! Functions over lists: `length`, `concat`, `element`, `slice`,
//! `flatten`, `coalesce`, `sum` and friends. Functions over maps live in
//! `maps`, set operations in `sets`, and `range` in `sequence`.

use super::Error;
use super::args::{Args, to_string};
use super::conversion::unify;
use super::strings::clusters;
use crate::value::{Number, Value};

/// `length(value)`: characters of a string, elements of a list, attributes
/// of a map or object.
pub fn length(args: Args) -> Result<Value, Error> {
    let n = match args.non_null(0)? {
        Value::String(s) => clusters(s).len(),
        Value::List(items) => items.len(),
        Value::Object(map) => map.len(),
        v => {
            let message = format!("must be a string, list or map, not {}", v.type_name());
            return Err(args.error(0, message));
        }
    };
    Ok(Value::int(i64::try_from(n).unwrap_or(i64::MAX)))
}

/// `concat(lists...)`: the lists joined into one.
pub fn concat(args: Args) -> Result<Value, Error> {
    let mut out = Vec::new();
    for i in 0..args.len() {
        out.extend_from_slice(args.list(i)?);
    }
    Ok(Value::List(out))
}

/// `contains(list, value)`: whether an element equals `value`.
pub fn contains(args: Args) -> Result<Value, Error> {
    let needle = args.value(1)?;
    Ok(Value::Bool(args.list(0)?.iter().any(|v| v.same_as(needle))))
}

/// `index(list, value)`: the position of the first element equal to `value`.
pub fn index(args: Args) -> Result<Value, Error> {
    let needle = args.value(1)?;
    let at = args.list(0)?.iter().position(|v| v.same_as(needle));
    let at = at.ok_or_else(|| Error::arg(1, "item not found"))?;
    Ok(Value::int(i64::try_from(at).unwrap_or(i64::MAX)))
}

/// `element(list, index)`: the element at `index`, wrapping around past
/// the end; a negative index counts back from the end.
pub fn element(args: Args) -> Result<Value, Error> {
    let list = args.list(0)?;
    let index = args.int(1)?;
    if list.is_empty() {
        return Err(Error::arg(
            0,
            "cannot use element function with an empty list",
        ));
    }
    // A negative index counts back from the end, wrapping as well.
    let len = i64::try_from(list.len()).unwrap_or(i64::MAX);
    let at = usize::try_from(index.rem_euclid(len)).unwrap_or(0);
    Ok(list.get(at).cloned().unwrap_or_default())
}

/// `slice(list, start_index, end_index)`: the elements from `start_index`
/// up to but not including `end_index`.
pub fn slice(args: Args) -> Result<Value, Error> {
    let list = args.list(0)?;
    let (start, end) = (args.int(1)?, args.int(2)?);
    let len = i64::try_from(list.len()).unwrap_or(i64::MAX);
    if start < 0 {
        return Err(Error::arg(1, "start index must not be less than zero"));
    }
    if start > len {
        return Err(Error::arg(
            1,
            "start index must not be greater than the length of the list",
        ));
    }
    if end < 0 {
        return Err(Error::arg(2, "end index must not be less than zero"));
    }
    if end > len {
        return Err(Error::arg(
            2,
            "end index must not be greater than the length of the list",
        ));
    }
    if start > end {
        return Err(Error::arg(
            1,
            "start index must not be greater than end index",
        ));
    }
    let range = usize::try_from(start).unwrap_or(0)..usize::try_from(end).unwrap_or(0);
    Ok(Value::List(list.get(range).unwrap_or_default().to_vec()))
}

/// `reverse(list)`.
pub fn reverse(args: Args) -> Result<Value, Error> {
    Ok(Value::List(args.list(0)?.iter().rev().cloned().collect()))
}

/// `sort(list)`: the elements as strings, in lexical order.
pub fn sort(args: Args) -> Result<Value, Error> {
    let mut items = args.strings(0)?;
    items.sort();
    Ok(Value::List(items.into_iter().map(Value::String).collect()))
}

/// `flatten(list)`: nested lists replaced by their elements, at any depth.
pub fn flatten(args: Args) -> Result<Value, Error> {
    fn walk(items: &[Value], out: &mut Vec<Value>) {
        for item in items {
            match item {
                Value::List(inner) => walk(inner, out),
                v => out.push(v.clone()),
            }
        }
    }
    let mut out = Vec::new();
    walk(args.list(0)?, &mut out);
    Ok(Value::List(out))
}

/// `coalesce(values...)`: the first argument that is neither null nor an
/// empty string, converted as Terraform converts all the arguments to one
/// type (strings when strings are mixed with numbers or bools).
pub fn coalesce(args: Args) -> Result<Value, Error> {
    let mut values = Vec::with_capacity(args.len());
    for i in 0..args.len() {
        values.push(args.value(i)?.clone());
    }
    unify(&mut values)
        .map_err(|e| Error::new(format!("all arguments must have the same type: {e}")))?;
    values
        .into_iter()
        .find(|v| !v.is_null() && v.as_str() != Some(""))
        .ok_or_else(|| Error::new("no non-null, non-empty-string arguments"))
}

/// `coalescelist(lists...)`: the first list that is not empty.
pub fn coalescelist(args: Args) -> Result<Value, Error> {
    for i in 0..args.len() {
        match args.value(i)? {
            Value::Null => {}
            Value::List(items) if items.is_empty() => {}
            Value::List(items) => return Ok(Value::List(items.clone())),
            v => return Err(args.error(i, format!("must be a list, not {}", v.type_name()))),
        }
    }
    Err(Error::new("no non-null arguments"))
}

/// `compact(list)`: the strings that are neither null nor empty.
pub fn compact(args: Args) -> Result<Value, Error> {
    let mut out = Vec::new();
    for (n, v) in args.list(0)?.iter().enumerate() {
        if v.is_null() {
            continue;
        }
        let s = args.element_string(0, n, v)?;
        if !s.is_empty() {
            out.push(Value::String(s));
        }
    }
    Ok(Value::List(out))
}

/// `one(list)`: null for an empty list, the element of a one-element list,
/// an error otherwise.
pub fn one(args: Args) -> Result<Value, Error> {
    match args.list(0)? {
        [] => Ok(Value::Null),
        [only] => Ok(only.clone()),
        _ => Err(args.error(
            0,
            "must be a list, set, or tuple value with either zero or one elements",
        )),
    }
}

/// `sum(list)`: the total of the numbers.
pub fn sum(args: Args) -> Result<Value, Error> {
    let list = args.list(0)?;
    if list.is_empty() {
        return Err(Error::arg(0, "cannot sum an empty list"));
    }
    let mut total: Option<Number> = None;
    for (n, v) in list.iter().enumerate() {
        let x = args.element_number(0, n, v)?;
        total = Some(match total {
            Some(t) => t.add(&x),
            None => x,
        });
    }
    Ok(Value::Number(total.unwrap_or_else(|| Number::int(0))))
}

/// `chunklist(list, size)`: the list cut into lists of `size` elements;
/// a size of zero gives the whole list as one chunk.
pub fn chunklist(args: Args) -> Result<Value, Error> {
    let list = args.list(0)?;
    let size = args.int(1)?;
    let size =
        usize::try_from(size).map_err(|_| Error::arg(1, "the size argument must be positive"))?;
    if list.is_empty() {
        return Ok(Value::List(vec![]));
    }
    if size == 0 {
        return Ok(Value::List(vec![Value::List(list.to_vec())]));
    }
    Ok(Value::List(
        list.chunks(size).map(|c| Value::List(c.to_vec())).collect(),
    ))
}

/// `alltrue(list)`: whether every element is true (true when empty).
pub fn alltrue(args: Args) -> Result<Value, Error> {
    for (n, v) in args.list(0)?.iter().enumerate() {
        if args.element_bool(0, n, v)? != Some(true) {
            return Ok(Value::Bool(false));
        }
    }
    Ok(Value::Bool(true))
}

/// `anytrue(list)`: whether any element is true (false when empty).
pub fn anytrue(args: Args) -> Result<Value, Error> {
    for (n, v) in args.list(0)?.iter().enumerate() {
        if args.element_bool(0, n, v)? == Some(true) {
            return Ok(Value::Bool(true));
        }
    }
    Ok(Value::Bool(false))
}

/// `matchkeys(values, keys, searchset)`: the elements of `values` whose
/// counterpart in `keys` is in `searchset`.
pub fn matchkeys(args: Args) -> Result<Value, Error> {
    let (values, keys, search) = (args.list(0)?, args.list(1)?, args.list(2)?);
    if values.len() != keys.len() {
        return Err(Error::new("length of keys and values should be equal"));
    }
    let matched = values
        .iter()
        .zip(keys)
        .filter(|(_, key)| search.iter().any(|s| loosely_equal(key, s)))
        .map(|(v, _)| v.clone())
        .collect();
    Ok(Value::List(matched))
}

/// Equality after Terraform's conversion of mixed primitives to strings.
fn loosely_equal(a: &Value, b: &Value) -> bool {
    if a.same_as(b) {
        return true;
    }
    match (a, b) {
        (Value::String(_), Value::Number(_) | Value::Bool(_))
        | (Value::Number(_) | Value::Bool(_), Value::String(_)) => to_string(a) == to_string(b),
        _ => false,
    }
}

#[cfg(test)]
#[path = "collections_tests.rs"]
mod tests;
