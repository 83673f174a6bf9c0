//! Numbers as Terraform has them: binary floats of arbitrary precision.
//!
//! Every number carries a precision in bits, chosen as Terraform (cty)
//! chooses it: 512 for text (HCL literals, JSON, strings), 64 for integers
//! that functions count, 53 for results of 64-bit float functions (`log`,
//! `pow`). Sums and quotients are rounded to the larger precision of their
//! operands, products are exact up to 512 bits. A number prints as the
//! shortest decimal that identifies it at its precision, so `0.1 + 0.2` is
//! `0.3`, `1/3` has 155 digits and `log(50, 10)` prints 17 digits.
//!
//! Integers that fit 64 bits are kept as machine integers: the common case
//! stays cheap. Two numbers are equal when their text is (integers exactly),
//! as Terraform defines it, with `-0` equal to `0`.

use super::bigfloat::{Float, PARSE_PREC};
use super::decimal;
use num_bigint::BigUint;
use num_traits::{ToPrimitive, Zero};
use std::cmp::Ordering;
use std::fmt;
use std::sync::Arc;

/// A number as HCL and JSON know it.
#[derive(Debug, Clone)]
pub struct Number(Repr);

#[derive(Debug, Clone)]
enum Repr {
    /// An exact integer, at a precision (in bits) that holds it.
    Int(i64, u32),
    /// Any other finite number, including `-0`.
    Big(Arc<Float>),
    /// NaN or an infinity from a 64-bit float function, for it to refuse.
    NonFinite(f64),
}

/// The precision of integers counted by functions (`length`, `count.index`).
const INT_PREC: u32 = 64;
/// The precision of 64-bit floats.
const F64_PREC: u32 = 53;

impl Number {
    /// An integer, as functions count (64 bits of precision).
    pub fn int(i: i64) -> Number {
        Number(Repr::Int(i, INT_PREC))
    }

    /// A 64-bit float's exact value (53 bits of precision).
    pub fn from_f64(f: f64) -> Number {
        match Float::from_f64(f) {
            Some(x) => Number::from_float(x),
            None => Number(Repr::NonFinite(f)),
        }
    }

    /// Parses decimal text the way Terraform reads numbers from strings and
    /// JSON (512 bits): optional sign, digits with an optional point, an
    /// optional exponent. No spaces, no `Inf`, no hexadecimal.
    pub fn parse(s: &str) -> Option<Number> {
        if let Some(i) = small_int(s) {
            return Some(Number(Repr::Int(i, PARSE_PREC)));
        }
        Float::parse(s, PARSE_PREC).map(Number::from_float)
    }

    /// A number literal from HCL source (`-` may be followed by spaces).
    pub fn literal(s: &str) -> Option<Number> {
        match s.strip_prefix('-') {
            Some(rest) => Number::parse(&format!("-{}", rest.trim_start())),
            None => Number::parse(s),
        }
    }

    /// Keeps integers that fit 64 bits as machine integers.
    fn from_float(x: Float) -> Number {
        if x.is_integer() && !(x.is_zero() && x.neg) && x.mant.bits() as i64 + x.exp < 64 {
            let (neg, m) = x.trunc();
            if let Some(u) = m.to_i64() {
                return Number(Repr::Int(if neg { -u } else { u }, x.prec));
            }
        }
        Number(Repr::Big(Arc::new(x)))
    }

    /// This number as a big float; `None` for NaN and infinities.
    fn float(&self) -> Option<Float> {
        match &self.0 {
            Repr::Int(i, p) => Some(Float::from_i128(i128::from(*i), *p)),
            Repr::Big(x) => Some((**x).clone()),
            Repr::NonFinite(_) => None,
        }
    }

    fn prec(&self) -> u32 {
        match &self.0 {
            Repr::Int(_, p) => *p,
            Repr::Big(x) => x.prec,
            Repr::NonFinite(_) => F64_PREC,
        }
    }

    /// The nearest 64-bit float.
    pub fn as_f64(&self) -> f64 {
        match &self.0 {
            Repr::Int(i, _) => *i as f64,
            Repr::Big(x) => x.to_f64(),
            Repr::NonFinite(f) => *f,
        }
    }

    /// This number as an integer, if it is a whole number that fits.
    pub fn as_i64(&self) -> Option<i64> {
        match &self.0 {
            Repr::Int(i, _) => Some(*i),
            Repr::Big(x) if x.is_zero() => Some(0),
            _ => None,
        }
    }

    /// The integer when it is kept as a machine integer (never `-0`).
    pub(crate) fn machine_int(&self) -> Option<i64> {
        match &self.0 {
            Repr::Int(i, _) => Some(*i),
            _ => None,
        }
    }

    /// Whether this is a finite number (not NaN or an infinity).
    pub fn is_finite(&self) -> bool {
        !matches!(self.0, Repr::NonFinite(_))
    }

    /// Whether this is a whole number.
    pub fn is_integer(&self) -> bool {
        match &self.0 {
            Repr::Int(..) => true,
            Repr::Big(x) => x.is_integer(),
            Repr::NonFinite(_) => false,
        }
    }

    /// The sign and magnitude of the integer part (towards zero).
    pub fn trunc_big(&self) -> Option<(bool, BigUint)> {
        self.float().map(|x| x.trunc())
    }

    /// Text with exactly `decimals` digits after the point (`%.2f`).
    pub fn to_fixed(&self, decimals: usize) -> String {
        match self.float() {
            Some(x) => decimal::fixed(&x, decimals),
            None => self.to_string(),
        }
    }

    /// This number as Terraform records it in state and plans (through
    /// msgpack): a 64-bit integer exactly, a non-integer that a 64-bit
    /// float holds exactly as that float, anything else as its text read
    /// back at 512 bits. So `-0` is recorded as `0`, and `log(50, 10) + 0`
    /// as `1.6989700043360185`.
    pub fn stored(&self) -> Number {
        match &self.0 {
            Repr::Int(i, _) => Number(Repr::Int(*i, INT_PREC)),
            Repr::NonFinite(_) => self.clone(),
            Repr::Big(x) if x.is_zero() => Number::int(0),
            Repr::Big(x) => {
                if !x.is_integer() {
                    let f = x.to_f64();
                    if let Some(exact) = Float::from_f64(f)
                        && exact.cmp(x) == Ordering::Equal
                    {
                        return Number::from_float(exact);
                    }
                }
                Number::parse(&self.to_string()).unwrap_or_else(|| self.clone())
            }
        }
    }

    /// `%e` text with `decimals` digits after the point.
    pub fn to_exponent(&self, decimals: usize) -> String {
        match self.float() {
            Some(x) => decimal::exponent(&x, decimals),
            None => self.to_string(),
        }
    }

    /// `%g`/`%v` text: the shortest digits, exponent form for large and
    /// small magnitudes.
    pub fn to_shortest_g(&self) -> String {
        match self.float() {
            Some(x) => decimal::shortest_g(&x),
            None => self.to_string(),
        }
    }

    /// An integer of any size (precision: its bits, at least 64).
    pub fn from_big_int(neg: bool, magnitude: BigUint) -> Number {
        let prec = (magnitude.bits() as u32).max(INT_PREC);
        Number::from_float(Float::round(
            neg && !magnitude.is_zero(),
            magnitude,
            0,
            prec,
            false,
        ))
    }

    /// `-self`.
    pub fn neg(&self) -> Number {
        match &self.0 {
            Repr::Int(i, p) if *i != 0 => match i.checked_neg() {
                Some(n) => Number(Repr::Int(n, *p)),
                None => self.big_neg(),
            },
            Repr::NonFinite(f) => Number(Repr::NonFinite(-f)),
            _ => self.big_neg(),
        }
    }

    fn big_neg(&self) -> Number {
        match self.float() {
            Some(x) => Number::from_float(x.neg()),
            None => self.clone(),
        }
    }

    /// `|self|`.
    pub fn abs(&self) -> Number {
        if self.is_negative() {
            self.neg()
        } else {
            self.clone()
        }
    }

    fn is_negative(&self) -> bool {
        match &self.0 {
            Repr::Int(i, _) => *i < 0,
            Repr::Big(x) => x.neg && !x.is_zero(),
            Repr::NonFinite(f) => *f < 0.0,
        }
    }

    /// `self + other`, rounded to the larger precision.
    pub fn add(&self, other: &Number) -> Number {
        let prec = self.prec().max(other.prec());
        if let (Repr::Int(a, _), Repr::Int(b, _)) = (&self.0, &other.0)
            && let Some(s) = a.checked_add(*b)
            && fits(s, prec)
        {
            return Number(Repr::Int(s, prec));
        }
        self.big(other, |a, b| Some(Float::add(a, b, prec)))
    }

    /// `self - other`, rounded to the larger precision.
    pub fn sub(&self, other: &Number) -> Number {
        self.add(&other.neg())
    }

    /// `self × other`: the product rounded to 512 bits, kept at the larger
    /// precision or at the bits it needs, whichever is more.
    pub fn mul(&self, other: &Number) -> Number {
        let prec = self.prec().max(other.prec());
        if let (Repr::Int(a, _), Repr::Int(b, _)) = (&self.0, &other.0)
            && let Some(p) = a.checked_mul(*b)
            && (p != 0 || (*a >= 0 && *b >= 0))
        {
            let u = p.unsigned_abs();
            let need = if u == 0 {
                0
            } else {
                64 - u.leading_zeros() - u.trailing_zeros()
            };
            return Number(Repr::Int(p, prec.max(need)));
        }
        self.big(other, |a, b| {
            let mut r = Float::mul(a, b, PARSE_PREC);
            r.prec = prec.max(r.min_prec());
            Some(r)
        })
    }

    /// `self ÷ other` rounded to the larger precision; `None` when `other`
    /// is zero (Terraform gives an infinity, which no state can hold).
    pub fn div(&self, other: &Number) -> Option<Number> {
        let prec = self.prec().max(other.prec());
        if let (Repr::Int(a, _), Repr::Int(b, _)) = (&self.0, &other.0) {
            if *b == 0 {
                return None;
            }
            if a.checked_rem(*b) == Some(0)
                && let Some(q) = a.checked_div(*b)
                && (q != 0 || (*a >= 0) == (*b > 0))
            {
                return Some(Number(Repr::Int(q, prec)));
            }
        }
        let (a, b) = (self.float()?, other.float()?);
        Float::quo(&a, &b, prec).map(Number::from_float)
    }

    /// `self % other` as Terraform computes it: `self - t × other` where
    /// `t` is the quotient truncated towards zero, so the result has the
    /// sign of `self`; `x % 0` is `x`.
    pub fn rem(&self, other: &Number) -> Number {
        if let (Repr::Int(a, pa), Repr::Int(b, _)) = (&self.0, &other.0) {
            if *b == 0 {
                return self.clone();
            }
            if let Some(r) = a.checked_rem(*b) {
                return Number(Repr::Int(r, *pa));
            }
        }
        let (Some(a), Some(b)) = (self.float(), other.float()) else {
            return Number::from_f64(f64::NAN);
        };
        if b.is_zero() {
            return self.clone();
        }
        let prec = a.prec.max(b.prec);
        let Some(q) = Float::quo(&a, &b, prec) else {
            return self.clone();
        };
        let (neg, t) = q.trunc();
        let t = Float::round(neg, t, 0, a.prec, false);
        let t = Float::mul(&b, &t, a.prec);
        Number::from_float(Float::add(&a, &t.neg(), a.prec))
    }

    /// The largest whole number not above this one.
    pub fn floor(&self) -> Number {
        self.to_integer(false)
    }

    /// The smallest whole number not below this one.
    pub fn ceil(&self) -> Number {
        self.to_integer(true)
    }

    fn to_integer(&self, up: bool) -> Number {
        match &self.0 {
            Repr::Int(..) | Repr::NonFinite(_) => self.clone(),
            Repr::Big(x) if x.is_integer() => self.clone(),
            Repr::Big(x) => {
                let (_, mut m) = x.trunc();
                // Truncation went towards zero; step away for the other side.
                if x.neg != up {
                    m += 1u32;
                }
                let neg = x.neg && !m.is_zero();
                Number::from_float(Float::round(neg, m, 0, x.prec, false))
            }
        }
    }

    fn big(&self, other: &Number, op: impl Fn(&Float, &Float) -> Option<Float>) -> Number {
        match (self.float(), other.float()) {
            (Some(a), Some(b)) => op(&a, &b).map_or(Number::from_f64(f64::NAN), Number::from_float),
            _ => Number::from_f64(f64::NAN),
        }
    }

    pub(crate) fn to_json(&self) -> serde_json::Value {
        match &self.0 {
            Repr::Int(i, _) => serde_json::Value::from(*i),
            _ => self
                .to_string()
                .parse::<serde_json::Number>()
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
        }
    }

    /// A JSON number, exactly; refused (not read as NaN or 0) when its
    /// decimal exponent is beyond the range terrace holds (±400000).
    pub(crate) fn from_json(n: &serde_json::Number) -> Result<Number, String> {
        Number::parse(n.as_str())
            .ok_or_else(|| format!("the number {n} is out of the range terrace reads"))
    }
}

/// Whether an exact integer is held by `prec` bits.
fn fits(i: i64, prec: u32) -> bool {
    prec >= 64 || {
        let u = i.unsigned_abs();
        u == 0 || 64 - u.leading_zeros() - u.trailing_zeros() <= prec
    }
}

/// Plain decimal integers of up to 18 digits, parsed without big numbers.
fn small_int(s: &str) -> Option<i64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty() || digits.len() > 18 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if s.starts_with('-') && digits.bytes().all(|b| b == b'0') {
        return None; // -0 is a float
    }
    s.parse().ok()
}

impl PartialEq for Number {
    fn eq(&self, other: &Number) -> bool {
        match (&self.0, &other.0) {
            (Repr::Int(a, _), Repr::Int(b, _)) => a == b,
            (Repr::NonFinite(a), Repr::NonFinite(b)) => a == b,
            (Repr::NonFinite(_), _) | (_, Repr::NonFinite(_)) => false,
            _ => {
                if self.is_integer() || other.is_integer() {
                    return self.is_integer()
                        && other.is_integer()
                        && self.partial_cmp(other) == Some(Ordering::Equal);
                }
                self.to_string() == other.to_string()
            }
        }
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Number) -> Option<Ordering> {
        match (&self.0, &other.0) {
            (Repr::Int(a, _), Repr::Int(b, _)) => Some(a.cmp(b)),
            _ => match (self.float(), other.float()) {
                (Some(a), Some(b)) => Some(a.cmp(&b)),
                _ => self.as_f64().partial_cmp(&other.as_f64()),
            },
        }
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Int(i, p) if *p >= 64 || i.unsigned_abs() < 1 << 53 => write!(f, "{i}"),
            Repr::NonFinite(x) if x.is_nan() => f.write_str("NaN"),
            Repr::NonFinite(x) if *x > 0.0 => f.write_str("+Inf"),
            Repr::NonFinite(_) => f.write_str("-Inf"),
            _ => match self.float() {
                Some(x) => f.write_str(&decimal::shortest(&x)),
                None => Ok(()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Number {
        Number::parse(s).unwrap()
    }

    #[test]
    fn integers_and_floats_compare_by_value() {
        assert_eq!(Number::int(2), Number::from_f64(2.0));
        assert!(Number::int(2) < Number::from_f64(2.5));
        assert_eq!(Number::from_f64(4.0).to_string(), "4");
        assert_eq!(Number::from_f64(2.5).to_string(), "2.5");
        assert_eq!(n("1e3"), Number::int(1000));
        assert_eq!(n("0.1"), Number::from_f64(0.1));
        assert_eq!(n("-0"), n("0"));
        assert_eq!(n("-0").to_string(), "-0");
        assert_eq!(Number::parse(" 12 "), None);
        assert_eq!(Number::parse("abc"), None);
        assert_eq!(Number::parse("NaN"), None);
    }

    #[test]
    fn stored_form_is_what_terraform_records() {
        let log = Number::from_f64(50f64.ln() / 10f64.ln());
        let wide = log.add(&n("0"));
        assert_eq!(
            wide.to_string(),
            "1.6989700043360185244267768212012015283107757568359375"
        );
        assert_ne!(wide, n("1.6989700043360185"));
        assert_eq!(wide.stored(), n("1.6989700043360185").stored());
        assert_eq!(wide.stored().to_string(), "1.6989700043360185");
        assert_eq!(n("-0").stored().to_string(), "0");
        let third = n("1").div(&n("3")).unwrap();
        assert_eq!(third.stored().to_string(), third.to_string());
        assert_eq!(
            Number::from_f64(2f64.powi(60)).to_string(),
            "1152921504606847000"
        );
        assert_eq!(
            Number::from_f64(2f64.powi(60)).stored().to_string(),
            "1152921504606846976"
        );
    }

    #[test]
    fn arithmetic_matches_terraform() {
        assert_eq!(n("0.1").add(&n("0.2")).to_string(), "0.3");
        let third = n("1").div(&n("3")).unwrap();
        assert_eq!(third.mul(&n("3")).to_string(), "1");
        assert_eq!(n("10").div(&n("4")).unwrap().to_string(), "2.5");
        assert_eq!(
            n("12345678901234567890").add(&n("1")).to_string(),
            "12345678901234567891"
        );
        assert_eq!(n("-5").rem(&n("3")), Number::int(-2));
        assert_eq!(n("5.5").rem(&n("2")).to_string(), "1.5");
        assert_eq!(n("5").rem(&n("0")), Number::int(5));
        assert_eq!(n("0").mul(&n("-1")).to_string(), "-0");
        assert_eq!(n("0").sub(&n("0")).to_string(), "0");
        assert_eq!(n("-0.5").floor(), Number::int(-1));
        assert_eq!(n("-1.5").ceil(), Number::int(-1));
        assert_eq!(n("1").div(&n("0")), None);
        let big = Number::int(i64::MAX).mul(&Number::int(2));
        assert_eq!(big.to_string(), "18446744073709551614");
    }
}
