//! Binary floating-point numbers of any precision, rounded to nearest
//! (ties to even): the arithmetic of the big floats behind Terraform's
//! numbers. Each value carries its precision in bits; an operation rounds
//! its exact result once, to the precision the caller asks for.
//!
//! This module knows nothing of Terraform's rules for choosing precisions:
//! `super::number` applies them.

use num_bigint::BigUint;
use num_integer::Integer;
use num_traits::{One, ToPrimitive, Zero};
use std::cmp::Ordering;

/// The precision of numbers parsed from text (HCL literals, JSON, strings).
pub const PARSE_PREC: u32 = 512;

/// Exponents of ten beyond this are refused when parsing: the exact
/// arithmetic would need megabytes per number.
const MAX_EXP10: i64 = 400_000;

/// `(-1)^neg × mant × 2^exp`, exact at `prec` bits. `mant` is odd, or zero
/// for a signed zero (exp 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Float {
    pub neg: bool,
    pub mant: BigUint,
    pub exp: i64,
    pub prec: u32,
}

impl Float {
    /// A zero with a sign.
    pub fn zero(neg: bool, prec: u32) -> Float {
        Float {
            neg,
            mant: BigUint::zero(),
            exp: 0,
            prec,
        }
    }

    pub fn is_zero(&self) -> bool {
        self.mant.is_zero()
    }

    /// Rounds `(-1)^neg × mant × 2^exp` to `prec` bits. `sticky` says that
    /// the true value lies a little beyond `mant` (bits were dropped below
    /// its last one); callers set it only with at least two bits to spare.
    pub fn round(neg: bool, mut mant: BigUint, mut exp: i64, prec: u32, sticky: bool) -> Float {
        let bits = mant.bits();
        if bits > u64::from(prec) {
            let shift = bits - u64::from(prec);
            let half = mant.bit(shift - 1);
            let below = sticky || mant.trailing_zeros().is_some_and(|tz| tz < shift - 1);
            mant >>= shift;
            exp += shift as i64;
            if half && (below || mant.bit(0)) {
                mant += 1u32;
            }
        }
        Float::normal(neg, mant, exp, prec)
    }

    /// An exact value, its trailing zero bits moved into the exponent.
    fn normal(neg: bool, mut mant: BigUint, mut exp: i64, prec: u32) -> Float {
        match mant.trailing_zeros() {
            None => return Float::zero(neg, prec),
            Some(tz) if tz > 0 => {
                mant >>= tz;
                exp += tz as i64;
            }
            Some(_) => {}
        }
        Float {
            neg,
            mant,
            exp,
            prec,
        }
    }

    /// An integer, exact when it fits in `prec` bits.
    pub fn from_i128(i: i128, prec: u32) -> Float {
        Float::round(i < 0, BigUint::from(i.unsigned_abs()), 0, prec, false)
    }

    /// A 64-bit float exactly (53 bits); `None` for NaN and infinities.
    pub fn from_f64(f: f64) -> Option<Float> {
        if !f.is_finite() {
            return None;
        }
        let bits = f.to_bits();
        let neg = bits >> 63 == 1;
        let biased = ((bits >> 52) & 0x7ff) as i64;
        let frac = bits & ((1u64 << 52) - 1);
        let (mant, exp) = if biased == 0 {
            (frac, -1074)
        } else {
            (frac | (1u64 << 52), biased - 1075)
        };
        Some(Float::normal(neg, BigUint::from(mant), exp, 53))
    }

    /// The nearest 64-bit float (ties to even); infinite beyond its range.
    pub fn to_f64(&self) -> f64 {
        if self.is_zero() {
            return if self.neg { -0.0 } else { 0.0 };
        }
        let top = self.top();
        let r = if top > 1025 {
            return if self.neg {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            };
        } else if top < -1021 {
            // Subnormal range: fewer bits of precision are left.
            let prec = (53 - (-1021 - top)).max(1) as u32;
            if top < -1080 {
                return if self.neg { -0.0 } else { 0.0 };
            }
            Float::round(self.neg, self.mant.clone(), self.exp, prec, false)
        } else {
            Float::round(self.neg, self.mant.clone(), self.exp, 53, false)
        };
        let m = r.mant.to_u64().unwrap_or(0) as f64;
        let mut v = m;
        let mut e = r.exp;
        while e > 0 {
            let step = e.min(1000);
            v *= 2f64.powi(step as i32);
            e -= step;
        }
        while e < 0 {
            let step = e.max(-1000);
            v *= 2f64.powi(step as i32);
            e -= step;
        }
        if r.neg { -v } else { v }
    }

    /// The position just above the highest bit: `2^(top-1) ≤ |x| < 2^top`.
    fn top(&self) -> i64 {
        self.exp + self.mant.bits() as i64
    }

    /// The same value negated.
    pub fn neg(&self) -> Float {
        Float {
            neg: !self.neg,
            ..self.clone()
        }
    }

    /// `a + b` rounded to `prec` bits.
    pub fn add(a: &Float, b: &Float, prec: u32) -> Float {
        match (a.is_zero(), b.is_zero()) {
            (true, true) => return Float::zero(a.neg && b.neg, prec),
            (true, false) => return Float::round(b.neg, b.mant.clone(), b.exp, prec, false),
            (false, true) => return Float::round(a.neg, a.mant.clone(), a.exp, prec, false),
            _ => {}
        }
        // A far smaller operand only matters as a nudge below the rounding
        // bit: replace it by one bit there, and skip a giant shift.
        let (big, small) = if a.top() >= b.top() { (a, b) } else { (b, a) };
        let floor = big.top() - i64::from(prec) - 4;
        let small = if small.top() < floor && big.exp > floor {
            Float {
                neg: small.neg,
                mant: BigUint::one(),
                exp: floor - 1,
                prec: small.prec,
            }
        } else {
            small.clone()
        };
        let e = big.exp.min(small.exp);
        let bm = &big.mant << (big.exp - e) as u64;
        let sm = &small.mant << (small.exp - e) as u64;
        if big.neg == small.neg {
            Float::round(big.neg, bm + sm, e, prec, false)
        } else {
            match bm.cmp(&sm) {
                Ordering::Equal => Float::zero(false, prec),
                Ordering::Greater => Float::round(big.neg, bm - sm, e, prec, false),
                Ordering::Less => Float::round(small.neg, sm - bm, e, prec, false),
            }
        }
    }

    /// `a × b` rounded to `prec` bits.
    pub fn mul(a: &Float, b: &Float, prec: u32) -> Float {
        let neg = a.neg != b.neg;
        if a.is_zero() || b.is_zero() {
            return Float::zero(neg, prec);
        }
        Float::round(neg, &a.mant * &b.mant, a.exp + b.exp, prec, false)
    }

    /// `a ÷ b` rounded to `prec` bits; `None` when `b` is zero.
    pub fn quo(a: &Float, b: &Float, prec: u32) -> Option<Float> {
        if b.is_zero() {
            return None;
        }
        let neg = a.neg != b.neg;
        if a.is_zero() {
            return Some(Float::zero(neg, prec));
        }
        // Enough quotient bits for the rounding bit and one more.
        let want = i64::from(prec) + 3 + b.mant.bits() as i64 - a.mant.bits() as i64;
        let k = want.max(0);
        let (q, r) = (&a.mant << k as u64).div_rem(&b.mant);
        Some(Float::round(neg, q, a.exp - b.exp - k, prec, !r.is_zero()))
    }

    /// The integer part (towards zero): its sign and magnitude.
    pub fn trunc(&self) -> (bool, BigUint) {
        let m = if self.exp >= 0 {
            &self.mant << self.exp as u64
        } else {
            &self.mant >> (-self.exp) as u64
        };
        (self.neg && !m.is_zero(), m)
    }

    /// Whether this is a whole number.
    pub fn is_integer(&self) -> bool {
        self.exp >= 0 || self.is_zero()
    }

    /// Bits needed to hold this value exactly.
    pub fn min_prec(&self) -> u32 {
        self.mant.bits() as u32
    }

    /// Orders by value; the two zeros are equal.
    pub fn cmp(&self, other: &Float) -> Ordering {
        let sign = |f: &Float| match (f.is_zero(), f.neg) {
            (true, _) => 0,
            (false, true) => -1,
            (false, false) => 1,
        };
        let (sa, sb) = (sign(self), sign(other));
        if sa != sb || sa == 0 {
            return sa.cmp(&sb);
        }
        let mag = match self.top().cmp(&other.top()) {
            Ordering::Equal => {
                let e = self.exp.min(other.exp);
                let a = &self.mant << (self.exp - e) as u64;
                let b = &other.mant << (other.exp - e) as u64;
                a.cmp(&b)
            }
            o => o,
        };
        if sa < 0 { mag.reverse() } else { mag }
    }

    /// Parses decimal text (`-12.5e3`) at `prec` bits the way Go's
    /// `big.ParseFloat(s, 10, prec, ToNearestEven)` does: the digits, times
    /// the power of ten (its power of five computed with 64 extra bits), in
    /// one rounded step. `None` for anything else,
    /// including `Inf`, hexadecimal and exponents beyond ±400000.
    pub fn parse(s: &str, prec: u32) -> Option<Float> {
        let b = s.as_bytes();
        let mut i = 0;
        let neg = match b.first() {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let mut digits = Vec::new();
        let mut seen = false;
        let mut frac = 0i64;
        let mut in_frac = false;
        while i < b.len() {
            match b[i] {
                c @ b'0'..=b'9' => {
                    seen = true;
                    if !(digits.is_empty() && c == b'0') {
                        digits.push(c - b'0');
                    }
                    if in_frac {
                        frac += 1;
                    }
                }
                b'.' if !in_frac => in_frac = true,
                _ => break,
            }
            i += 1;
        }
        if !seen {
            return None;
        }
        let mut exp10 = 0i64;
        if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
            i += 1;
            let eneg = match b.get(i) {
                Some(b'-') => {
                    i += 1;
                    true
                }
                Some(b'+') => {
                    i += 1;
                    false
                }
                _ => false,
            };
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                exp10 = exp10
                    .saturating_mul(10)
                    .saturating_add(i64::from(b[i] - b'0'));
                i += 1;
            }
            if i == start {
                return None;
            }
            if eneg {
                exp10 = -exp10;
            }
        }
        if i != b.len() {
            return None;
        }
        // Digits after the point that are trailing zeros were not pushed
        // when leading; those pushed count in `frac` either way.
        let exp10 = exp10.checked_sub(frac)?;
        if digits.is_empty() {
            return Some(Float::zero(neg, prec));
        }
        if !(-MAX_EXP10..=MAX_EXP10).contains(&exp10) {
            return None;
        }
        // All the digits, unrounded: the one rounding is the last step.
        let mant = BigUint::from_radix_be(&digits, 10)?;
        if exp10 == 0 {
            return Some(Float::round(neg, mant, 0, prec, false));
        }
        let z = Float {
            neg,
            mant,
            exp: exp10,
            prec,
        };
        let p = pow5(exp10.unsigned_abs(), prec + 64);
        if exp10 < 0 {
            Float::quo(&z, &p, prec)
        } else {
            Some(Float::mul(&z, &p, prec))
        }
    }
}

/// `5^n` at `prec` bits as Go's `Float.pow5` makes it: exact up to 5^27,
/// then by squaring with every product rounded (the factor at 64 more
/// bits), so a huge exponent costs a few dozen products of ~`prec` bits
/// instead of an exact power of hundreds of thousands of bits.
fn pow5(n: u64, prec: u32) -> Float {
    const M: u64 = 27; // 5^27 is the largest power of 5 in a u64
    if n <= M {
        return Float::round(false, BigUint::from(5u64.pow(n as u32)), 0, prec, false);
    }
    let mut z = Float::round(false, BigUint::from(5u64.pow(M as u32)), 0, prec, false);
    let mut n = n - M;
    let mut f = Float::round(false, BigUint::from(5u32), 0, prec + 64, false);
    while n > 0 {
        if n & 1 != 0 {
            z = Float::mul(&z, &f, prec);
        }
        f = Float::mul(&f, &f, prec + 64);
        n >>= 1;
    }
    z
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(s: &str) -> Float {
        Float::parse(s, PARSE_PREC).unwrap()
    }

    #[test]
    fn parsing_rounds_like_go() {
        assert_eq!(f("0.1").to_f64(), 0.1);
        assert_eq!(f("1.6989700043360185").to_f64(), 1.6989700043360185);
        assert_eq!(f("12e-1").to_f64(), 1.2);
        assert_eq!(f("1e3"), Float::from_i128(1000, PARSE_PREC));
        assert!(f("-0").neg && f("-0").is_zero());
        for bad in ["", "-", ".", "1e", "Inf", "0x10", "1.2.3", " 1", "1e999999"] {
            assert_eq!(Float::parse(bad, PARSE_PREC), None, "{bad:?}");
        }
    }

    #[test]
    fn arithmetic_rounds_once() {
        let sum = Float::add(&f("0.1"), &f("0.2"), PARSE_PREC);
        assert_eq!(sum.cmp(&f("0.3")), Ordering::Equal);
        let third = Float::quo(&f("1"), &f("3"), PARSE_PREC).unwrap();
        let one = Float::mul(&third, &f("3"), PARSE_PREC);
        assert_eq!(one.cmp(&f("1")), Ordering::Equal);
        let tiny = Float::add(&f("1e300"), &f("1e-300"), 53);
        assert_eq!(tiny.to_f64(), 1e300);
        assert_eq!(Float::add(&f("5"), &f("-5"), 64), Float::zero(false, 64));
        assert_eq!(Float::quo(&f("1"), &f("0"), 64), None);
    }

    #[test]
    fn f64_conversions_are_exact_both_ways() {
        for x in [
            0.5,
            1e308,
            5e-324,
            -2.2250738585072014e-308,
            std::f64::consts::SQRT_2,
        ] {
            assert_eq!(Float::from_f64(x).unwrap().to_f64(), x);
        }
        assert_eq!(f("1e400").to_f64(), f64::INFINITY);
        assert_eq!(f("1e-400").to_f64(), 0.0);
    }
}
