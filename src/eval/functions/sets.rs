//! Set functions: `distinct`, `setunion`, `setintersection`, `setsubtract`
//! and `setproduct`. Sets are lists here; a set result is deduplicated and
//! sorted as Terraform orders sets: numbers by value, strings lexically.

use super::Error;
use super::args::{Args, MAX_ELEMENTS};
use super::conversion::unify;
use crate::value::Value;
use std::cmp::Ordering;

/// `distinct(list)`: the list without repeated elements, keeping the first
/// occurrence of each.
pub fn distinct(args: Args) -> Result<Value, Error> {
    let mut items = args.list(0)?.to_vec();
    unify(&mut items)
        .map_err(|e| Error::arg(0, format!("all elements must have the same type: {e}")))?;
    let mut order: Vec<(usize, &Value)> = items.iter().enumerate().collect();
    order.sort_by(|(i, a), (j, b)| compare(a, b).then(i.cmp(j)));
    let mut keep: Vec<(usize, &Value)> = Vec::with_capacity(order.len());
    for (i, v) in order {
        if !keep.last().is_some_and(|(_, kept)| kept.same_as(v)) {
            keep.push((i, v));
        }
    }
    keep.sort_unstable_by_key(|&(i, _)| i);
    Ok(Value::List(
        keep.into_iter().map(|(_, v)| v.clone()).collect(),
    ))
}

/// `setunion(sets...)`: every element of any set.
pub fn setunion(args: Args) -> Result<Value, Error> {
    let sets = unified_sets(&args)?;
    Ok(Value::List(canonical(sets.into_iter().flatten().collect())))
}

/// `setintersection(sets...)`: the elements that are in every set.
pub fn setintersection(args: Args) -> Result<Value, Error> {
    let mut sets = unified_sets(&args)?.into_iter();
    let first = sets.next().unwrap_or_default();
    let others: Vec<Vec<Value>> = sets.collect();
    let common = first
        .into_iter()
        .filter(|v| others.iter().all(|set| set.iter().any(|o| o.same_as(v))))
        .collect();
    Ok(Value::List(canonical(common)))
}

/// `setsubtract(a, b)`: the elements of `a` that are not in `b`.
pub fn setsubtract(args: Args) -> Result<Value, Error> {
    let mut sets = unified_sets(&args)?.into_iter();
    let (a, b) = (
        sets.next().unwrap_or_default(),
        sets.next().unwrap_or_default(),
    );
    let rest = a
        .into_iter()
        .filter(|v| !b.iter().any(|o| o.same_as(v)))
        .collect();
    Ok(Value::List(canonical(rest)))
}

/// `setproduct(sets...)`: every combination of one element from each
/// argument, in order, the first argument varying slowest.
pub fn setproduct(args: Args) -> Result<Value, Error> {
    let mut lists = Vec::with_capacity(args.len());
    for i in 0..args.len() {
        let mut list = args.list(i)?.to_vec();
        unify(&mut list)
            .map_err(|e| Error::arg(i, format!("all elements must have the same type: {e}")))?;
        lists.push(list);
    }
    let total = lists
        .iter()
        .try_fold(1usize, |acc, l| acc.checked_mul(l.len()));
    if total.is_none_or(|n| n > MAX_ELEMENTS) {
        return Err(Error::new(format!(
            "the product would have more than {MAX_ELEMENTS} elements"
        )));
    }
    let mut product: Vec<Vec<Value>> = vec![vec![]];
    for list in lists {
        product = product
            .into_iter()
            .flat_map(|prefix| {
                list.iter().map(move |v| {
                    let mut row = prefix.clone();
                    row.push(v.clone());
                    row
                })
            })
            .collect();
    }
    Ok(Value::List(product.into_iter().map(Value::List).collect()))
}

/// Every argument as a list, with elements converted to one type across all
/// of them as Terraform does (`[1]` and `["a"]` become strings).
fn unified_sets(args: &Args) -> Result<Vec<Vec<Value>>, Error> {
    let mut all = Vec::new();
    let mut lengths = Vec::with_capacity(args.len());
    for i in 0..args.len() {
        let list = args.list(i)?;
        lengths.push(list.len());
        all.extend_from_slice(list);
    }
    unify(&mut all)
        .map_err(|e| Error::new(format!("all elements must have the same type: {e}")))?;
    let mut all = all.into_iter();
    Ok(lengths
        .into_iter()
        .map(|n| all.by_ref().take(n).collect())
        .collect())
}

/// The elements deduplicated and sorted: a set's stable order.
pub fn canonical(mut items: Vec<Value>) -> Vec<Value> {
    items.sort_by(compare);
    items.dedup_by(|a, b| a.same_as(b));
    items
}

/// A total order over values: by kind, then by content.
pub fn compare(a: &Value, b: &Value) -> Ordering {
    fn rank(v: &Value) -> u8 {
        match v {
            Value::Null => 0,
            Value::Bool(_) => 1,
            Value::Number(_) => 2,
            Value::String(_) => 3,
            Value::List(_) => 4,
            Value::Object(_) => 5,
            Value::Unknown => 6,
            Value::Sensitive(_) => 7,
        }
    }
    match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Number(x), Value::Number(y)) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::List(x), Value::List(y)) => x
            .iter()
            .zip(y)
            .map(|(p, q)| compare(p, q))
            .find(|o| o.is_ne())
            .unwrap_or(x.len().cmp(&y.len())),
        (Value::Object(x), Value::Object(y)) => x
            .iter()
            .zip(y)
            .map(|((ka, va), (kb, vb))| ka.cmp(kb).then_with(|| compare(va, vb)))
            .find(|o| o.is_ne())
            .unwrap_or(x.len().cmp(&y.len())),
        (Value::Sensitive(x), Value::Sensitive(y)) => compare(x, y),
        _ => rank(a).cmp(&rank(b)),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::ctx;
    use super::super::{Error, call};
    use crate::value::Value;

    fn run(name: &str, args: Vec<Value>) -> Result<Value, Error> {
        call(name, args, &ctx()).expect("exists")
    }

    fn list(items: &[&str]) -> Value {
        Value::List(items.iter().map(|&s| Value::from(s)).collect())
    }

    fn ints(items: &[i64]) -> Value {
        Value::List(items.iter().map(|&i| Value::int(i)).collect())
    }

    #[test]
    fn distinct_keeps_first_occurrences_in_order() {
        assert_eq!(
            run("distinct", vec![list(&["a", "b", "a", "c", "d", "b"])]),
            Ok(list(&["a", "b", "c", "d"]))
        );
        assert_eq!(
            run("distinct", vec![ints(&[3, 1, 3, 2, 1])]),
            Ok(ints(&[3, 1, 2]))
        );
        assert_eq!(run("distinct", vec![list(&[])]), Ok(list(&[])));
    }

    #[test]
    fn set_operations_follow_terraform_examples() {
        assert_eq!(
            run(
                "setunion",
                vec![list(&["a", "b"]), list(&["b", "c"]), list(&["d"])]
            ),
            Ok(list(&["a", "b", "c", "d"]))
        );
        assert_eq!(
            run(
                "setintersection",
                vec![list(&["a", "b"]), list(&["b", "c"]), list(&["b", "d"])]
            ),
            Ok(list(&["b"]))
        );
        assert_eq!(
            run(
                "setsubtract",
                vec![list(&["a", "b", "c"]), list(&["a", "c"])]
            ),
            Ok(list(&["b"]))
        );
        assert_eq!(
            run("setunion", vec![ints(&[10, 2]), ints(&[1])]),
            Ok(ints(&[1, 2, 10]))
        );
        assert_eq!(
            run("setunion", vec![ints(&[1]), list(&["a"])]),
            Ok(list(&["1", "a"]))
        );
        assert_eq!(
            run("setintersection", vec![list(&["a"]), list(&[])]),
            Ok(list(&[]))
        );
        assert!(run("setunion", vec![Value::string("a")]).is_err());
    }

    #[test]
    fn setproduct_combines_in_order() {
        let got = run(
            "setproduct",
            vec![list(&["development", "staging"]), list(&["app1", "app2"])],
        );
        let want = Value::List(vec![
            list(&["development", "app1"]),
            list(&["development", "app2"]),
            list(&["staging", "app1"]),
            list(&["staging", "app2"]),
        ]);
        assert_eq!(got, Ok(want));
        assert_eq!(
            run("setproduct", vec![list(&["a"]), list(&[])]),
            Ok(Value::List(vec![]))
        );
        let big = ints(&(0..1100).collect::<Vec<_>>());
        assert!(run("setproduct", vec![big.clone(), big]).is_err());
    }
}
