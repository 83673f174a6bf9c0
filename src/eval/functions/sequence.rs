//! `range`: a list of numbers from a start, up to a limit, by a step.
//!
//! Fractional steps are counted in decimal, not binary, so that
//! `range(0, 1, 0.1)` gives `0.3` rather than `0.30000000000000004`, much as
//! Terraform's high-precision numbers do.

use super::Error;
use super::args::Args;
use crate::value::{Number, Value};

/// Terraform's limit on the length of a `range`, to stop a mistaken limit
/// or step from exhausting memory.
pub const MAX_RANGE: usize = 1024;

/// The most decimal places counted exactly; beyond this, floats are used.
const MAX_PLACES: u32 = 15;

/// `range(limit)`, `range(start, limit)` or `range(start, limit, step)`.
/// The step defaults to 1, or -1 when the limit is below the start.
pub fn range(args: Args) -> Result<Value, Error> {
    let mut numbers = Vec::with_capacity(args.len());
    for i in 0..args.len() {
        numbers.push(args.number(i)?);
    }
    let (start, limit, step) = match numbers[..] {
        [limit] => (Number::Int(0), limit, None),
        [start, limit] => (start, limit, None),
        [start, limit, step] => (start, limit, Some(step)),
        _ => return Err(Error::new("function \"range\" takes 1 to 3 arguments")),
    };
    let step = step.unwrap_or(Number::Int(if limit < start { -1 } else { 1 }));
    if step.as_f64() == 0.0 {
        return Err(Error::arg(2, "step must not be zero"));
    }
    // A step away from the limit is refused rather than giving nothing.
    if step.as_f64() < 0.0 && start < limit {
        return Err(Error::arg(
            2,
            "step must be positive when start is less than limit",
        ));
    }
    if step.as_f64() > 0.0 && start > limit {
        return Err(Error::arg(
            2,
            "step must be negative when start is greater than limit",
        ));
    }
    let values = match decimal_range(start, limit, step) {
        Some(values) => values?,
        None => float_range(start.as_f64(), limit.as_f64(), step.as_f64())?,
    };
    Ok(Value::List(values.into_iter().map(Value::Number).collect()))
}

fn too_long() -> Error {
    Error::new(format!(
        "more than {MAX_RANGE} values would be generated; decrease the difference between start and limit or use a larger step"
    ))
}

/// The range counted in integers scaled by a power of ten; `None` when a
/// number has too many decimal places to count that way.
fn decimal_range(start: Number, limit: Number, step: Number) -> Option<Result<Vec<Number>, Error>> {
    let parts = [decimal(start)?, decimal(limit)?, decimal(step)?];
    let places = parts.iter().map(|&(_, p)| p).max().unwrap_or(0);
    if places > MAX_PLACES {
        return None;
    }
    let scale = |(m, p): (i128, u32)| m.checked_mul(10i128.checked_pow(places - p)?);
    let [start, limit, step] = parts.map(scale);
    let (start, limit, step) = (start?, limit?, step?);
    let mut out = Vec::new();
    let mut v = start;
    while (step > 0 && v < limit) || (step < 0 && v > limit) {
        if out.len() >= MAX_RANGE {
            return Some(Err(too_long()));
        }
        out.push(unscale(v, places)?);
        v = v.checked_add(step)?;
    }
    Some(Ok(out))
}

/// A number as a whole mantissa and a count of decimal places.
fn decimal(n: Number) -> Option<(i128, u32)> {
    let text = n.to_string();
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let places = u32::try_from(fraction.len()).ok()?;
    let mantissa = format!("{whole}{fraction}").parse::<i128>().ok()?;
    Some((mantissa, places))
}

fn unscale(v: i128, places: u32) -> Option<Number> {
    if places == 0 {
        return i64::try_from(v).ok().map(Number::Int);
    }
    let divisor = 10i128.checked_pow(places)?;
    let sign = if v < 0 { "-" } else { "" };
    let (whole, fraction) = (
        v.unsigned_abs() / divisor.unsigned_abs(),
        v.unsigned_abs() % divisor.unsigned_abs(),
    );
    let width = places as usize;
    let text = format!("{sign}{whole}.{fraction:0width$}");
    text.parse::<f64>().ok().map(Number::from_f64)
}

fn float_range(start: f64, limit: f64, step: f64) -> Result<Vec<Number>, Error> {
    let mut out = Vec::new();
    let mut k = 0.0;
    loop {
        let v = start + k * step;
        if !((step > 0.0 && v < limit) || (step < 0.0 && v > limit)) {
            return Ok(out);
        }
        if out.len() >= MAX_RANGE {
            return Err(too_long());
        }
        out.push(Number::from_f64(v));
        k += 1.0;
    }
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

    #[test]
    fn decimal_steps_do_not_drift() {
        let got = range(&[0.0, 1.0, 0.1]).unwrap();
        assert_eq!(got.as_list().map(<[Value]>::len), Some(10));
        assert_eq!(
            got.as_list().and_then(|l| l.get(3)).cloned(),
            Some(Value::Number(Number::Float(0.3)))
        );
        assert_eq!(
            range(&[0.0, 1e-20, 1e-21])
                .unwrap()
                .as_list()
                .map(<[Value]>::len),
            Some(10)
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
