//! Numbers for `format`: integers in bases 2, 8, 10 and 16, and floats in
//! `%e`, `%f` and `%g` form, padded and signed as Go's `fmt` does for the
//! big numbers Terraform formats.

use super::Verb;
use crate::value::Number;
use num_bigint::BigUint;

fn sign(verb: &Verb, negative: bool) -> &'static str {
    match (negative, verb.plus, verb.space) {
        (true, _, _) => "-",
        (false, true, _) => "+",
        (false, false, true) => " ",
        _ => "",
    }
}

/// Integers as Go prints a big integer: `[pad][sign][prefix][zeros][digits][pad]`.
pub(super) fn format_integer(verb: &Verb, negative: bool, magnitude: &BigUint) -> String {
    let (digits, prefix) = match verb.mode {
        'b' => (magnitude.to_str_radix(2), "0b"),
        'o' => (magnitude.to_str_radix(8), "0"),
        'x' => (magnitude.to_str_radix(16), "0x"),
        'X' => (magnitude.to_str_radix(16).to_uppercase(), "0X"),
        _ => (magnitude.to_string(), ""),
    };
    let prefix = if verb.sharp { prefix } else { "" };
    let sign = sign(verb, negative);
    if verb.precision == Some(0) && magnitude.bits() == 0 {
        return String::new();
    }
    let mut zeros = verb.precision.map_or(0, |p| p.saturating_sub(digits.len()));
    let length = sign.len() + prefix.len() + zeros + digits.len();
    let (mut left, mut right) = (0, 0);
    if let Some(extra) = verb.width.and_then(|w| w.checked_sub(length)) {
        if verb.minus {
            right = extra;
        } else if verb.zero && verb.precision.is_none() {
            zeros = extra;
        } else {
            left = extra;
        }
    }
    format!(
        "{}{sign}{prefix}{}{digits}{}",
        " ".repeat(left),
        "0".repeat(zeros),
        " ".repeat(right)
    )
}

/// Floats as Go prints a big float with `%e`, `%f` or `%g`.
pub(super) fn format_float(verb: &Verb, n: Number) -> String {
    // The exact value, without its sign (Go prints `-0` as `0` here too).
    let abs = n.abs();
    let negative = n < Number::int(0);
    let precision = verb.precision;
    let body = match verb.mode {
        'e' | 'E' => abs.to_exponent(precision.unwrap_or(6)),
        'f' => abs.to_fixed(precision.unwrap_or(6)),
        _ => match precision {
            None => shortest_g(&abs),
            Some(p) => precise_g(abs.as_f64(), p.max(1)),
        },
    };
    let body = if verb.mode.is_ascii_uppercase() {
        body.to_uppercase()
    } else {
        body
    };
    let sign = sign(verb, negative);
    let pad = verb
        .width
        .map_or(0, |w| w.saturating_sub(sign.len() + body.len()));
    if verb.zero {
        format!("{sign}{}{body}", "0".repeat(pad))
    } else if verb.minus {
        format!("{sign}{body}{}", " ".repeat(pad))
    } else {
        format!("{}{sign}{body}", " ".repeat(pad))
    }
}

/// Rewrites Rust's exponent (`1.5e3`, `1e-7`) as Go's (`1.5e+03`, `1e-07`).
fn go_exponent(rust: &str) -> String {
    let Some((mantissa, exp)) = rust.split_once('e') else {
        return rust.to_string();
    };
    let (sign, digits) = match exp.strip_prefix('-') {
        Some(d) => ('-', d),
        None => ('+', exp),
    };
    format!("{mantissa}e{sign}{digits:0>2}")
}

/// `%g` with the fewest digits that represent the number exactly, the
/// format Terraform's `%v` uses for numbers: exponent form when the
/// exponent is below -4 or at least 6.
pub(super) fn shortest_g(n: &Number) -> String {
    n.to_shortest_g()
}

/// `%g` with `p` significant digits, trailing zeros removed.
fn precise_g(abs: f64, p: usize) -> String {
    let sci = format!("{abs:.*e}", p - 1);
    let exp: i64 = sci
        .split_once('e')
        .and_then(|(_, e)| e.parse().ok())
        .unwrap_or(0);
    let p = i64::try_from(p).unwrap_or(i64::MAX);
    if exp < -4 || exp >= p {
        let (mantissa, e) = sci.split_once('e').unwrap_or((&sci, "0"));
        go_exponent(&format!("{}e{e}", trim_fraction(mantissa)))
    } else {
        let decimals = usize::try_from(p - 1 - exp).unwrap_or(0);
        trim_fraction(&format!("{abs:.decimals$}")).to_string()
    }
}

fn trim_fraction(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::tests::ctx;
    use super::super::super::{Error, call};
    use crate::value::{Number, Value};

    fn fmt(spec: &str, args: Vec<Value>) -> Result<String, String> {
        let mut all = vec![Value::string(spec)];
        all.extend(args);
        match call("format", all, &ctx()).expect("exists") {
            Ok(Value::String(s)) => Ok(s),
            Ok(other) => panic!("not a string: {other:?}"),
            Err(Error { message, .. }) => Err(message),
        }
    }

    fn ok(spec: &str, args: Vec<Value>) -> String {
        fmt(spec, args).unwrap()
    }

    fn float(f: f64) -> Value {
        Value::Number(Number::from_f64(f))
    }

    #[test]
    fn integers_take_flags_widths_and_bases() {
        assert_eq!(ok("%+d", vec![Value::int(10)]), "+10");
        assert_eq!(ok("% d", vec![Value::int(10)]), " 10");
        assert_eq!(ok("%5d|", vec![Value::int(10)]), "   10|");
        assert_eq!(ok("%-5d|", vec![Value::int(10)]), "10   |");
        assert_eq!(ok("%05d", vec![Value::int(-42)]), "-0042");
        assert_eq!(ok("%.3d", vec![Value::int(7)]), "007");
        assert_eq!(ok("%b", vec![Value::int(5)]), "101");
        assert_eq!(ok("%o", vec![Value::int(9)]), "11");
        assert_eq!(ok("%x", vec![Value::int(254)]), "fe");
        assert_eq!(ok("%X", vec![Value::int(254)]), "FE");
        assert_eq!(ok("%#x", vec![Value::int(-255)]), "-0xff");
        assert_eq!(ok("%d", vec![Value::int(i64::MIN)]), "-9223372036854775808");
        assert_eq!(ok("%d", vec!["12".into()]), "12");
        assert_eq!(
            fmt("%d", vec![float(1.5)]).unwrap_err(),
            "unsupported value for \"%d\" at 0: an integer is required"
        );
        assert_eq!(
            fmt("%d", vec![true.into()]).unwrap_err(),
            "unsupported value for \"%d\" at 0: number required"
        );
    }

    #[test]
    fn floats_follow_go() {
        assert_eq!(ok("%f", vec![Value::int(10)]), "10.000000");
        assert_eq!(ok("%+f", vec![Value::int(10)]), "+10.000000");
        assert_eq!(ok("%.2f", vec![float(1.23456)]), "1.23");
        assert_eq!(ok("%9.2f|", vec![float(1.23456)]), "     1.23|");
        assert_eq!(ok("%.1f", vec!["1.06".into()]), "1.1");
        assert_eq!(ok("%e", vec![Value::int(1000)]), "1.000000e+03");
        assert_eq!(ok("%E", vec![Value::int(1000)]), "1.000000E+03");
        assert_eq!(ok("%g", vec![Value::int(1000)]), "1000");
        assert_eq!(ok("%g", vec!["0.00000000000000000000001".into()]), "1e-23");
        assert_eq!(ok("%G", vec!["0.00000000000000000000001".into()]), "1E-23");
        assert_eq!(ok("%.3g", vec![float(1.23456)]), "1.23");
        assert_eq!(ok("%.2g", vec![Value::int(12345)]), "1.2e+04");
        assert_eq!(ok("%v", vec![float(2.5)]), "2.5");
        assert_eq!(ok("%v", vec![Value::int(1000000)]), "1e+06");
        assert_eq!(ok("%v", vec![float(-0.5)]), "-0.5");
    }
}
