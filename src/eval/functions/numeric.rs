//! Numeric functions: `abs`, `ceil`, `floor`, `log`, `max`, `min`,
//! `parseint`, `pow` and `signum`. As in Terraform, `abs`, `ceil`, `floor`,
//! `max`, `min` and `parseint` are exact on numbers of any size, while
//! `log` and `pow` compute in 64-bit floats.

use super::Error;
use super::args::Args;
use crate::value::{Number, Value};

fn finite(f: f64) -> Result<Value, Error> {
    if f.is_finite() {
        Ok(Value::Number(Number::from_f64(f)))
    } else {
        Err(Error::new("the result is not a finite number"))
    }
}

/// `abs(num)`.
pub fn abs(args: Args) -> Result<Value, Error> {
    Ok(Value::Number(args.number(0)?.abs()))
}

/// `ceil(num)`: the closest whole number at or above `num`.
pub fn ceil(args: Args) -> Result<Value, Error> {
    Ok(Value::Number(args.number(0)?.ceil()))
}

/// `floor(num)`: the closest whole number at or below `num`.
pub fn floor(args: Args) -> Result<Value, Error> {
    Ok(Value::Number(args.number(0)?.floor()))
}

/// `log(num, base)`: the logarithm of `num` in `base`.
pub fn log(args: Args) -> Result<Value, Error> {
    let (num, base) = (args.number(0)?.as_f64(), args.number(1)?.as_f64());
    finite(num.ln() / base.ln())
}

/// `max(numbers...)`.
pub fn max(args: Args) -> Result<Value, Error> {
    extreme(&args, |candidate, best| candidate > best)
}

/// `min(numbers...)`.
pub fn min(args: Args) -> Result<Value, Error> {
    extreme(&args, |candidate, best| candidate < best)
}

fn extreme(args: &Args, better: fn(&Number, &Number) -> bool) -> Result<Value, Error> {
    let mut best = args.number(0)?;
    for i in 1..args.len() {
        let n = args.number(i)?;
        if better(&n, &best) {
            best = n;
        }
    }
    Ok(Value::Number(best))
}

/// `pow(num, power)`.
pub fn pow(args: Args) -> Result<Value, Error> {
    let (num, power) = (args.number(0)?, args.number(1)?);
    finite(num.as_f64().powf(power.as_f64()))
}

/// `signum(num)`: -1, 0 or 1.
pub fn signum(args: Args) -> Result<Value, Error> {
    let n = args.number(0)?.as_f64();
    Ok(Value::int(if n > 0.0 {
        1
    } else if n < 0.0 {
        -1
    } else {
        0
    }))
}

/// `parseint(number, base)`: a string of digits in `base` (2 to 62) as an
/// integer. Up to base 36 letters are case-insensitive; above it, lower
/// case letters are 10 to 35 and upper case 36 to 61.
pub fn parseint(args: Args) -> Result<Value, Error> {
    let text = match args.non_null(0)? {
        Value::String(s) => s.clone(),
        v => return Err(args.error(0, format!("must be a string, not {}", v.type_name()))),
    };
    let base = args.int(1)?;
    let base = u32::try_from(base)
        .ok()
        .filter(|b| (2..=62).contains(b))
        .ok_or_else(|| args.error(1, "must be a whole number between 2 and 62 inclusive"))?;
    let fail = || Error::arg(0, format!("cannot parse {text:?} as a base {base} integer"));
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(&text)),
    };
    if digits.is_empty() {
        return Err(fail());
    }
    let mut magnitude = num_bigint::BigUint::default();
    for c in digits.chars() {
        let d = digit_value(c, base).ok_or_else(fail)?;
        magnitude = magnitude * base + d;
    }
    Ok(Value::Number(Number::from_big_int(negative, magnitude)))
}

fn digit_value(c: char, base: u32) -> Option<u32> {
    let d = match c {
        '0'..='9' => u32::from(c) - u32::from('0'),
        'a'..='z' => u32::from(c) - u32::from('a') + 10,
        'A'..='Z' if base <= 36 => u32::from(c) - u32::from('A') + 10,
        'A'..='Z' => u32::from(c) - u32::from('A') + 36,
        _ => return None,
    };
    (d < base).then_some(d)
}

#[cfg(test)]
mod tests {
    use super::super::tests::ctx;
    use super::super::{Error, call};
    use crate::value::{Number, Value};

    fn run(name: &str, args: Vec<Value>) -> Result<Value, Error> {
        call(name, args, &ctx()).expect("exists")
    }

    fn f(x: f64) -> Value {
        Value::Number(Number::from_f64(x))
    }

    fn i(x: i64) -> Value {
        Value::int(x)
    }

    #[test]
    fn rounding_and_sign_follow_terraform_examples() {
        assert_eq!(run("abs", vec![i(23)]), Ok(i(23)));
        assert_eq!(run("abs", vec![i(0)]), Ok(i(0)));
        assert_eq!(run("abs", vec![f(-12.4)]), Ok(f(12.4)));
        assert_eq!(
            run("abs", vec![i(i64::MIN)]),
            Ok(Value::Number(Number::parse("9223372036854775808").unwrap()))
        );
        assert_eq!(run("ceil", vec![i(5)]), Ok(i(5)));
        assert_eq!(run("ceil", vec![f(5.1)]), Ok(i(6)));
        assert_eq!(run("floor", vec![f(4.9)]), Ok(i(4)));
        assert_eq!(run("floor", vec![f(-4.1)]), Ok(i(-5)));
        assert_eq!(run("signum", vec![i(-13)]), Ok(i(-1)));
        assert_eq!(run("signum", vec![i(0)]), Ok(i(0)));
        assert_eq!(run("signum", vec![f(344.5)]), Ok(i(1)));
        assert_eq!(run("abs", vec![Value::string("-3")]), Ok(i(3)));
    }

    #[test]
    fn max_min_pow_and_log() {
        assert_eq!(run("max", vec![i(12), i(54), i(3)]), Ok(i(54)));
        assert_eq!(run("min", vec![i(12), i(54), i(3)]), Ok(i(3)));
        assert_eq!(run("max", vec![f(2.5), i(2)]), Ok(f(2.5)));
        assert!(run("max", vec![i(1), Value::Bool(true)]).is_err());
        assert_eq!(run("pow", vec![i(3), i(2)]), Ok(i(9)));
        assert_eq!(run("pow", vec![i(4), i(0)]), Ok(i(1)));
        assert_eq!(run("pow", vec![i(2), i(-1)]), Ok(f(0.5)));
        assert_eq!(
            run("pow", vec![i(2), i(64)]),
            Ok(Value::Number(Number::from_f64(1.8446744073709552e19)))
        );
        assert!(run("pow", vec![i(10), i(400)]).is_err());
        assert_eq!(run("log", vec![i(50), i(10)]), Ok(f(1.6989700043360185)));
        assert_eq!(run("log", vec![i(16), i(2)]), Ok(i(4)));
        assert_eq!(run("log", vec![i(1), i(10)]), Ok(i(0)));
        assert!(run("log", vec![i(0), i(10)]).is_err());
    }

    #[test]
    fn parseint_reads_bases_2_to_62() {
        let parse = |s: &str, base: i64| run("parseint", vec![Value::string(s), i(base)]);
        assert_eq!(parse("100", 10), Ok(i(100)));
        assert_eq!(parse("FF", 16), Ok(i(255)));
        assert_eq!(parse("-10", 16), Ok(i(-16)));
        assert_eq!(parse("1011111011101111", 2), Ok(i(48879)));
        assert_eq!(parse("aA", 62), Ok(i(10 * 62 + 36)));
        assert_eq!(parse("zz", 36), Ok(i(1295)));
        assert_eq!(parse("-9223372036854775808", 10), Ok(i(i64::MIN)));
        assert_eq!(
            parse("99999999999999999999", 10).map(|v| v.to_string()),
            Ok("99999999999999999999".to_string())
        );
        assert_eq!(
            parse("12", 2).unwrap_err().message,
            "cannot parse \"12\" as a base 2 integer"
        );
        assert!(parse("", 10).is_err());
        assert!(parse("-", 10).is_err());
        assert!(parse("1", 1).is_err());
        assert!(parse("1", 63).is_err());
        assert!(run("parseint", vec![i(10), i(10)]).is_err());
    }
}
