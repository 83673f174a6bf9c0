//! Tests of the list functions, from Terraform's documented examples
//! and the edge cases around them.

use super::super::tests::ctx;
use super::super::{Error, call};
use crate::value::{Map, Number, Value};

fn run(name: &str, args: Vec<Value>) -> Result<Value, Error> {
    call(name, args, &ctx()).expect("function exists")
}

fn s(v: &str) -> Value {
    Value::string(v)
}

fn i(n: i64) -> Value {
    Value::int(n)
}

fn list(items: &[&str]) -> Value {
    Value::List(items.iter().map(|&v| s(v)).collect())
}

fn ints(items: &[i64]) -> Value {
    Value::List(items.iter().map(|&n| i(n)).collect())
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
fn length_counts_characters_elements_and_attributes() {
    assert_eq!(run("length", vec![list(&[])]), Ok(i(0)));
    assert_eq!(run("length", vec![list(&["a", "b"])]), Ok(i(2)));
    assert_eq!(run("length", vec![obj(&[("a", s("b"))])]), Ok(i(1)));
    assert_eq!(run("length", vec![s("hello")]), Ok(i(5)));
    assert_eq!(run("length", vec![s("👾🕹️")]), Ok(i(2)));
    assert_eq!(run("length", vec![s("")]), Ok(i(0)));
    assert!(run("length", vec![i(5)]).is_err());
    assert_eq!(
        run("length", vec![Value::Null]).unwrap_err().message,
        "argument \"value\" must not be null"
    );
}

#[test]
fn concat_joins_lists() {
    let got = run("concat", vec![list(&["a", ""]), list(&["b", "c"])]);
    assert_eq!(got, Ok(list(&["a", "", "b", "c"])));
    assert!(run("concat", vec![s("a")]).is_err());
}

#[test]
fn contains_and_index_compare_by_value() {
    assert_eq!(
        run("contains", vec![list(&["a", "b", "c"]), s("a")]),
        Ok(Value::Bool(true))
    );
    assert_eq!(
        run("contains", vec![list(&["a", "b", "c"]), s("d")]),
        Ok(Value::Bool(false))
    );
    let float_two = Value::Number(Number::from_f64(2.0));
    assert_eq!(
        run("contains", vec![ints(&[1, 2]), float_two]),
        Ok(Value::Bool(true))
    );
    assert_eq!(run("index", vec![list(&["a", "b", "c"]), s("b")]), Ok(i(1)));
    assert_eq!(
        run("index", vec![list(&["a"]), s("z")])
            .unwrap_err()
            .message,
        "item not found"
    );
}

#[test]
fn element_wraps_both_ways_and_slice_checks_bounds() {
    assert_eq!(
        run("element", vec![list(&["a", "b", "c"]), i(1)]),
        Ok(s("b"))
    );
    assert_eq!(
        run("element", vec![list(&["a", "b", "c"]), i(3)]),
        Ok(s("a"))
    );
    assert_eq!(
        run("element", vec![list(&["a", "b", "c"]), i(i64::MAX)]),
        Ok(s("b"))
    );
    assert_eq!(
        run("element", vec![list(&["a", "b", "c"]), i(-1)]),
        Ok(s("c"))
    );
    assert_eq!(
        run("element", vec![list(&["a", "b", "c"]), i(-4)]),
        Ok(s("c"))
    );
    assert!(
        run("element", vec![list(&[]), i(0)])
            .unwrap_err()
            .message
            .contains("empty list")
    );
    assert_eq!(
        run("slice", vec![list(&["a", "b", "c", "d"]), i(1), i(3)]),
        Ok(list(&["b", "c"]))
    );
    assert_eq!(run("slice", vec![list(&["a"]), i(1), i(1)]), Ok(list(&[])));
    assert!(run("slice", vec![list(&["a"]), i(0), i(2)]).is_err());
    assert!(run("slice", vec![list(&["a"]), i(-1), i(1)]).is_err());
    assert!(run("slice", vec![list(&["a", "b"]), i(2), i(1)]).is_err());
}

#[test]
fn reverse_sort_and_flatten() {
    assert_eq!(run("reverse", vec![ints(&[1, 2, 3])]), Ok(ints(&[3, 2, 1])));
    assert_eq!(
        run("sort", vec![list(&["e", "d", "a", "x"])]),
        Ok(list(&["a", "d", "e", "x"]))
    );
    assert_eq!(
        run("sort", vec![ints(&[10, 9, 1])]),
        Ok(list(&["1", "10", "9"]))
    );
    assert!(run("sort", vec![Value::List(vec![Value::Null])]).is_err());
    let nested = Value::List(vec![
        list(&["a", "b"]),
        list(&[]),
        Value::List(vec![list(&["c"])]),
        s("d"),
    ]);
    assert_eq!(
        run("flatten", vec![nested]),
        Ok(list(&["a", "b", "c", "d"]))
    );
}

#[test]
fn coalesce_skips_nulls_and_empty_strings() {
    assert_eq!(run("coalesce", vec![s("a"), s("b")]), Ok(s("a")));
    assert_eq!(run("coalesce", vec![s(""), s("b")]), Ok(s("b")));
    assert_eq!(run("coalesce", vec![i(1), i(2)]), Ok(i(1)));
    assert_eq!(run("coalesce", vec![Value::Null, i(2)]), Ok(i(2)));
    assert_eq!(run("coalesce", vec![i(1), s("a")]), Ok(s("1")));
    assert!(run("coalesce", vec![Value::Null, s("")]).is_err());
    let lists = vec![list(&["a", "b"]), list(&["c", "d"])];
    assert_eq!(run("coalescelist", lists), Ok(list(&["a", "b"])));
    assert_eq!(
        run("coalescelist", vec![list(&[]), list(&["c"])]),
        Ok(list(&["c"]))
    );
    assert!(run("coalescelist", vec![list(&[]), Value::Null]).is_err());
}

#[test]
fn compact_one_and_sum() {
    let mixed = Value::List(vec![s("a"), s(""), Value::Null, s("b")]);
    assert_eq!(run("compact", vec![mixed]), Ok(list(&["a", "b"])));
    assert_eq!(run("one", vec![list(&[])]), Ok(Value::Null));
    assert_eq!(run("one", vec![list(&["hello"])]), Ok(s("hello")));
    assert!(run("one", vec![list(&["a", "b"])]).is_err());
    assert_eq!(run("sum", vec![ints(&[10, 13, 6, 4])]), Ok(i(33)));
    let floats = Value::List(vec![Value::Number(Number::from_f64(10.5)), i(2)]);
    assert_eq!(
        run("sum", vec![floats]),
        Ok(Value::Number(Number::from_f64(12.5)))
    );
    assert_eq!(run("sum", vec![Value::List(vec![s("1"), i(2)])]), Ok(i(3)));
    assert_eq!(
        run("sum", vec![ints(&[i64::MAX, 1])]),
        Ok(Value::Number(Number::from_f64(2f64.powi(63))))
    );
    assert_eq!(
        run("sum", vec![list(&[])]).unwrap_err().message,
        "cannot sum an empty list"
    );
    assert!(run("sum", vec![list(&["x"])]).is_err());
}

#[test]
fn chunklist_cuts_into_sizes() {
    let got = run("chunklist", vec![list(&["a", "b", "c", "d", "e"]), i(2)]);
    let want = Value::List(vec![list(&["a", "b"]), list(&["c", "d"]), list(&["e"])]);
    assert_eq!(got, Ok(want));
    assert_eq!(
        run("chunklist", vec![list(&["a", "b"]), i(0)]),
        Ok(Value::List(vec![list(&["a", "b"])]))
    );
    assert_eq!(
        run("chunklist", vec![list(&[]), i(3)]),
        Ok(Value::List(vec![]))
    );
    assert!(run("chunklist", vec![list(&["a"]), i(-1)]).is_err());
}

#[test]
fn alltrue_and_anytrue() {
    let bools = |items: &[bool]| Value::List(items.iter().map(|&b| Value::Bool(b)).collect());
    assert_eq!(
        run("alltrue", vec![list(&["true", "true"])]),
        Ok(Value::Bool(true))
    );
    assert_eq!(
        run("alltrue", vec![bools(&[true, false])]),
        Ok(Value::Bool(false))
    );
    assert_eq!(run("alltrue", vec![bools(&[])]), Ok(Value::Bool(true)));
    assert_eq!(run("anytrue", vec![list(&["true"])]), Ok(Value::Bool(true)));
    assert_eq!(
        run("anytrue", vec![bools(&[false, true])]),
        Ok(Value::Bool(true))
    );
    assert_eq!(run("anytrue", vec![bools(&[])]), Ok(Value::Bool(false)));
    assert!(run("anytrue", vec![list(&["maybe"])]).is_err());
}

#[test]
fn matchkeys_filters_by_parallel_keys() {
    let got = run(
        "matchkeys",
        vec![
            list(&["i-123", "i-abc", "i-def"]),
            list(&["us-west", "us-east", "us-east"]),
            list(&["us-east"]),
        ],
    );
    assert_eq!(got, Ok(list(&["i-abc", "i-def"])));
    let got = run(
        "matchkeys",
        vec![list(&["a", "b"]), ints(&[1, 2]), list(&["2"])],
    );
    assert_eq!(got, Ok(list(&["b"])));
    let err = run("matchkeys", vec![list(&["a"]), list(&[]), list(&[])]).unwrap_err();
    assert_eq!(err.message, "length of keys and values should be equal");
}
