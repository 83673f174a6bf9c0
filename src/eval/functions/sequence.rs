//! `range`: a list of numbers from a start, up to a limit, by a step.
//!
//! Values are summed in Terraform's arbitrary-precision numbers, so
//! `range(0, 1, 0.1)` gives `0.3` rather than `0.30000000000000004`.

use super::Error;
use super::args::Args;
use crate::value::{Number, Value};

/// Terraform's limit on the length of a `range`, to stop a mistaken limit
/// or step from exhausting memory.
pub const MAX_RANGE: usize = 1024;

/// `range(limit)`, `range(start, limit)` or `range(start, limit, step)`.
/// The step defaults to 1, or -1 when the limit is below the start. Each
/// value is the previous one plus the step, in exact arithmetic as in
/// Terraform, so decimal steps do not drift.
pub fn range(args: Args) -> Result<Value, Error> {
    let mut numbers = Vec::with_capacity(args.len());
    for i in 0..args.len() {
        numbers.push(args.number(i)?);
    }
    let (start, limit, step) = match numbers.as_slice() {
        [limit] => (Number::int(0), limit.clone(), None),
        [start, limit] => (start.clone(), limit.clone(), None),
        [start, limit, step] => (start.clone(), limit.clone(), Some(step.clone())),
        _ => return Err(Error::new("function \"range\" takes 1 to 3 arguments")),
    };
    let step = step.unwrap_or_else(|| Number::int(if limit < start { -1 } else { 1 }));
    let zero = Number::int(0);
    if step == zero {
        return Err(Error::arg(2, "step must not be zero"));
    }
    let down = step < zero;
    // A step away from the limit is refused rather than giving nothing.
    if down && start < limit {
        return Err(Error::arg(
            2,
            "step must be positive when start is less than limit",
        ));
    }
    if !down && start > limit {
        return Err(Error::arg(
            2,
            "step must be negative when start is greater than limit",
        ));
    }
    let mut values = Vec::new();
    let mut v = start;
    while (!down && v < limit) || (down && v > limit) {
        if values.len() >= MAX_RANGE {
            return Err(too_long());
        }
        let next = v.add(&step);
        values.push(Value::Number(v));
        v = next;
    }
    Ok(Value::List(values))
}

fn too_long() -> Error {
    Error::new(format!(
        "more than {MAX_RANGE} values would be generated; decrease the difference between start and limit or use a larger step"
    ))
}

#[cfg(test)]
mod tests {
    use super::super::tests::ctx;
    use super::super::{Error, call};
    use crate::value::{Number, Value};

    fn range(args: &[f64]) -> Result<Value, Error> {
        let args = args
            .iter()
            .map(|&f| Value::Number(Number::from_f64(f)))
            .collect();
        call("range", args, &ctx()).expect("exists")
    }

    fn nums(items: &[f64]) -> Value {
        Value::List(
            items
                .iter()
                .map(|&f| Value::Number(Number::from_f64(f)))
                .collect(),
        )
    }

    #[test]
    fn terraform_examples() {
        assert_eq!(range(&[3.0]), Ok(nums(&[0.0, 1.0, 2.0])));
        assert_eq!(range(&[1.0, 4.0]), Ok(nums(&[1.0, 2.0, 3.0])));
        assert_eq!(range(&[1.0, 8.0, 2.0]), Ok(nums(&[1.0, 3.0, 5.0, 7.0])));
        assert_eq!(
            range(&[1.0, 4.0, 0.5]),
            Ok(nums(&[1.0, 1.5, 2.0, 2.5, 3.0, 3.5]))
        );
        assert_eq!(range(&[4.0, 1.0]), Ok(nums(&[4.0, 3.0, 2.0])));
        assert_eq!(range(&[10.0, 5.0, -2.0]), Ok(nums(&[10.0, 8.0, 6.0])));
        assert_eq!(range(&[0.0]), Ok(nums(&[])));
    }

    fn literal_range(args: &[&str]) -> Vec<String> {
        let args = args
            .iter()
            .map(|t| Value::Number(Number::parse(t).unwrap()))
            .collect();
        let got = call("range", args, &ctx()).expect("exists").unwrap();
        got.as_list()
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    // Expected values are real Terraform 1.15.5 output.
    #[test]
    fn steps_are_summed_exactly_as_terraform_does() {
        let tenths = literal_range(&["0", "1", "0.1"]);
        assert_eq!(tenths.len(), 10);
        assert_eq!(tenths[3], "0.3");
        let tiny = literal_range(&["0", "1e-20", "1e-21"]);
        assert_eq!(tiny.len(), 10);
        assert_eq!(tiny[4], "0.000000000000000000004");
        assert_eq!(
            tiny[5],
            "0.0000000000000000000049999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999996"
        );
    }

    #[test]
    fn refuses_steps_away_from_the_limit() {
        let run = |a: &[i64]| call("range", a.iter().map(|&n| Value::int(n)).collect(), &ctx());
        assert!(run(&[1, 4, -1]).expect("exists").is_err());
        assert!(run(&[4, 1, 1]).expect("exists").is_err());
        assert!(run(&[1, 1, -1]).expect("exists").is_ok());
    }

    #[test]
    fn refuses_zero_steps_and_huge_ranges() {
        assert_eq!(
            range(&[0.0, 5.0, 0.0]).unwrap_err().message,
            "step must not be zero"
        );
        assert!(
            range(&[1e12])
                .unwrap_err()
                .message
                .starts_with("more than 1024 values")
        );
        assert!(range(&[1024.0]).is_ok());
        assert!(range(&[1025.0]).is_err());
        assert!(range(&[0.0, 1.0, 1e-300]).is_err());
        assert!(
            call("range", vec![Value::string("x")], &ctx())
                .unwrap()
                .is_err()
        );
        assert_eq!(
            call("range", vec![Value::string("2")], &ctx()).unwrap(),
            Ok(nums(&[0.0, 1.0]))
        );
    }
}
