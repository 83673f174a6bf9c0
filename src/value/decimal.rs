//! Decimal text of binary floats, as Terraform prints numbers: plain
//! notation (never an exponent) with the fewest digits that still identify
//! the value at its own precision (Go's `Float.Text('f', -1)`), or with a
//! fixed number of decimals (`%.2f`), halves rounded to even on the exact
//! value.

use super::bigfloat::Float;
use num_bigint::BigUint;
use num_integer::Integer;
use num_traits::{One, Zero};

/// `0.d₁d₂d₃… × 10^exp`; digits are ASCII without trailing zeros, and no
/// digits at all for zero.
#[derive(Debug, Clone)]
struct Decimal {
    digits: Vec<u8>,
    exp: i64,
}

impl Decimal {
    /// The exact decimal of `m × 2^shift`.
    fn exact(m: &BigUint, shift: i64) -> Decimal {
        if m.bits() == 0 {
            return Decimal {
                digits: Vec::new(),
                exp: 0,
            };
        }
        let (n, k) = if shift >= 0 {
            (m << shift as u64, 0)
        } else {
            // m / 2^k = m·5^k / 10^k
            let k = shift.unsigned_abs();
            (m * BigUint::from(5u32).pow(k as u32), k as i64)
        };
        let mut digits = n.to_str_radix(10).into_bytes();
        let exp = digits.len() as i64 - k;
        while digits.last() == Some(&b'0') {
            digits.pop();
        }
        Decimal { digits, exp }
    }

    /// The first `n` or more significant digits of `m × 2^shift`: exact
    /// when it has few digits, else cut after at least `n` digits with a
    /// `1` standing for the nonzero rest when the cut drops any (so that
    /// rounding at any place before the cut sees what lies beyond it).
    /// A number of 10^378568 has that many digits, and the exact
    /// conversion of every one of them takes seconds (quadratic).
    fn leading(m: &BigUint, shift: i64, n: usize) -> Decimal {
        Decimal::leading_with(m, shift, n, &mut None)
    }

    /// [`Decimal::leading`], keeping the last power of five it computed
    /// in `five` for the next call (the neighbours of a number need the
    /// same one, and it has hundreds of thousands of bits).
    fn leading_with(
        m: &BigUint,
        shift: i64,
        n: usize,
        five: &mut Option<(i64, BigUint)>,
    ) -> Decimal {
        // Bits of the integer `exact` would write out in decimal.
        let bits = m.bits() as i64 + if shift >= 0 { shift } else { -shift * 7 / 3 };
        if m.bits() == 0 || bits < 20_000 {
            return Decimal::exact(m, shift);
        }
        // x = m·2^shift lies in [10^(e10-1), 10^(e10+1)); x·10^p has at
        // least n + 2 digits before the point.
        let log2 = m.bits() as i64 + shift;
        let e10 = (log2 as f64 * std::f64::consts::LOG10_2).floor() as i64;
        let p = n as i64 + 2 - e10;
        if five.as_ref().is_none_or(|(q, _)| *q != p.abs()) {
            *five = Some((p.abs(), BigUint::from(5u32).pow(p.unsigned_abs() as u32)));
        }
        let power = five.as_ref().map(|(_, f)| f).expect("set above");
        let (mut num, mut den) = if p >= 0 {
            (m * power, BigUint::one())
        } else {
            (m.clone(), power.clone())
        };
        let t = shift + p;
        let (q, sticky) = if t >= 0 {
            num <<= t as u64;
            let (q, r) = num.div_rem(&den);
            (q, !r.is_zero())
        } else if den.is_one() {
            let s = t.unsigned_abs();
            let lost = num.trailing_zeros().is_some_and(|z| z < s);
            (num >> s, lost)
        } else {
            den <<= t.unsigned_abs();
            let (q, r) = num.div_rem(&den);
            (q, !r.is_zero())
        };
        let mut digits = q.to_str_radix(10).into_bytes();
        let exp = digits.len() as i64 - p;
        if sticky {
            digits.push(b'1');
        } else {
            while digits.last() == Some(&b'0') {
                digits.pop();
            }
        }
        Decimal { digits, exp }
    }

    fn at(&self, i: usize) -> u8 {
        self.digits.get(i).copied().unwrap_or(b'0')
    }

    /// Keeps `n` digits, rounding the rest half to even.
    fn round(&mut self, n: usize) {
        if n >= self.digits.len() {
            return;
        }
        let up = if self.digits[n] == b'5' && n + 1 == self.digits.len() {
            n > 0 && (self.digits[n - 1] - b'0') % 2 == 1
        } else {
            self.digits[n] >= b'5'
        };
        if up {
            self.round_up(n)
        } else {
            self.round_down(n)
        }
    }

    fn round_up(&mut self, n: usize) {
        if n >= self.digits.len() {
            return;
        }
        let mut n = n;
        while n > 0 && self.digits[n - 1] >= b'9' {
            n -= 1;
        }
        if n == 0 {
            self.digits.truncate(1);
            self.digits[0] = b'1';
            self.exp += 1;
            return;
        }
        self.digits[n - 1] += 1;
        self.digits.truncate(n);
    }

    fn round_down(&mut self, n: usize) {
        if n >= self.digits.len() {
            return;
        }
        self.digits.truncate(n);
        while self.digits.last() == Some(&b'0') {
            self.digits.pop();
        }
    }

    /// Cuts to the fewest digits that every number within half a unit in
    /// the last place of `x` (at `x`'s precision) shares, so that reading
    /// the text back at that precision gives `x` again.
    fn round_shortest(&mut self, x: &Float) {
        if self.digits.is_empty() {
            return;
        }
        // x = mant · 2^exp with mant's last bit worth half a unit.
        let s = x.mant.bits() as i64 - (i64::from(x.prec) + 1);
        let mant = if s < 0 {
            &x.mant << (-s) as u64
        } else {
            &x.mant >> s as u64
        };
        let exp = x.exp + s;
        let n = self.digits.len();
        let mut five = None;
        let lower = Decimal::leading_with(&(&mant - 1u32), exp, n, &mut five);
        let upper = Decimal::leading_with(&(&mant + 1u32), exp, n, &mut five);
        // The bounds themselves read back as x only when x's mantissa is even.
        let inclusive = !mant.bit(1);
        for i in 0..self.digits.len() {
            let (l, m, u) = (lower.at(i), self.digits[i], upper.at(i));
            let down = l != m || inclusive && i + 1 == lower.digits.len();
            let up = m != u && (inclusive || m + 1 < u || i + 1 < upper.digits.len());
            match (down, up) {
                (true, true) => return self.round(i + 1),
                (true, false) => return self.round_down(i + 1),
                (false, true) => return self.round_up(i + 1),
                (false, false) => {}
            }
        }
    }

    /// Plain notation with `decimals` digits after the point.
    fn plain(&self, neg: bool, decimals: usize) -> String {
        let mut out = String::with_capacity(self.digits.len() + decimals + 4);
        if neg {
            out.push('-');
        }
        if self.exp > 0 {
            let e = self.exp as usize;
            for i in 0..e {
                out.push(self.at(i) as char);
            }
        } else {
            out.push('0');
        }
        if decimals > 0 {
            out.push('.');
            for i in 0..decimals as i64 {
                let at = self.exp + i;
                out.push(if at < 0 {
                    '0'
                } else {
                    self.at(at as usize) as char
                });
            }
        }
        out
    }
}

/// `%e`: one digit, a point, `decimals` digits and a Go-style exponent
/// (`3.333333e-01`).
pub fn exponent(x: &Float, decimals: usize) -> String {
    let mut d = Decimal::leading(&x.mant, x.exp, 2 + decimals);
    d.round(1 + decimals);
    exponent_text(x.neg, &d, decimals)
}

fn exponent_text(neg: bool, d: &Decimal, decimals: usize) -> String {
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    out.push(d.at(0) as char);
    if decimals > 0 {
        out.push('.');
        for i in 1..=decimals {
            out.push(d.at(i) as char);
        }
    }
    let e = if d.digits.is_empty() { 0 } else { d.exp - 1 };
    out.push_str(&format!("e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs()));
    out
}

/// `%g` and `%v` without a precision: the shortest digits, in exponent
/// form when the exponent is below -4 or at least 6.
pub fn shortest_g(x: &Float) -> String {
    let mut d = Decimal::leading(&x.mant, x.exp, shortest_digits(x));
    d.round_shortest(x);
    let e = d.exp - 1;
    if !d.digits.is_empty() && !(-4..6).contains(&e) {
        exponent_text(x.neg, &d, d.digits.len() - 1)
    } else {
        let decimals = (d.digits.len() as i64 - d.exp).max(0) as usize;
        d.plain(x.neg, decimals)
    }
}

/// Digits enough to tell `x` from its neighbours half a unit in the last
/// place away (a bit is 0.302 of a digit), with room to round.
fn shortest_digits(x: &Float) -> usize {
    x.prec as usize * 31 / 100 + 24
}

/// The shortest plain text that identifies `x` at its precision.
pub fn shortest(x: &Float) -> String {
    let mut d = Decimal::leading(&x.mant, x.exp, shortest_digits(x));
    d.round_shortest(x);
    let decimals = (d.digits.len() as i64 - d.exp).max(0) as usize;
    d.plain(x.neg, decimals)
}

/// Plain text with exactly `decimals` digits after the point.
pub fn fixed(x: &Float, decimals: usize) -> String {
    let mut d = Decimal::exact(&x.mant, x.exp);
    let keep = d.exp + decimals as i64;
    if keep < 0 {
        d.digits.clear();
    } else {
        d.round(keep as usize);
    }
    d.plain(x.neg, decimals)
}

#[cfg(test)]
mod tests {
    use super::super::bigfloat::PARSE_PREC;
    use super::*;

    fn lit(s: &str) -> Float {
        Float::parse(s, PARSE_PREC).unwrap()
    }

    // Expected texts are real Terraform 1.15.5 `terraform console` output.
    #[test]
    fn shortest_matches_terraform() {
        let third = Float::quo(&lit("1"), &lit("3"), PARSE_PREC).unwrap();
        assert_eq!(
            shortest(&third),
            "0.33333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333335"
        );
        let sum = Float::add(&lit("0.1"), &lit("0.2"), PARSE_PREC);
        assert_eq!(shortest(&sum), "0.3");
        let log = Float::from_f64(50f64.ln() / 10f64.ln()).unwrap();
        assert_eq!(shortest(&log), "1.6989700043360185");
        let log512 = Float::add(&log, &lit("0"), PARSE_PREC);
        assert_eq!(
            shortest(&log512),
            "1.6989700043360185244267768212012015283107757568359375"
        );
        assert_eq!(shortest(&lit("123456789.12345679")), "123456789.12345679");
        assert_eq!(
            shortest(&lit("12345678901234567890")),
            "12345678901234567890"
        );
        assert_eq!(shortest(&lit("1e21")), "1000000000000000000000");
        assert_eq!(shortest(&lit("1e-7")), "0.0000001");
        assert_eq!(shortest(&lit("-0")), "-0");
        assert_eq!(
            shortest(&Float::from_f64(2f64.sqrt()).unwrap()),
            "1.4142135623730951"
        );
    }

    #[test]
    fn numbers_with_huge_exponents_print_every_digit_from_their_leading_ones() {
        // A plugin answered 4e378568 (fuzz plugin_wire): its 378569 digits
        // took seconds to write out exactly. Terraform prints them all.
        let big = lit("4e378568");
        assert_eq!(shortest(&big), format!("4{}", "0".repeat(378_568)));
        let tiny = lit("-4e-378568");
        assert_eq!(shortest(&tiny), format!("-0.{}4", "0".repeat(378_567)));
        assert_eq!(exponent(&tiny, 2), "-4.00e-378568");
        let digits = "12345678901234567891";
        assert_eq!(
            shortest(&lit(&format!("{digits}e7000"))),
            format!("{digits}{}", "0".repeat(7000))
        );
        assert_eq!(
            shortest(&lit(&format!("0.{digits}e-7000"))),
            format!("0.{}{digits}", "0".repeat(7000))
        );
        // 155 digits of a third, wherever the point is; each text reads
        // back as the same number.
        let third = Float::quo(&lit("1"), &lit("3"), PARSE_PREC).unwrap();
        let third_digits = shortest(&third)[2..].to_string();
        for e in [7000, -7000] {
            let x = Float::mul(&third, &lit(&format!("1e{e}")), PARSE_PREC);
            let text = shortest(&x);
            assert!(text.contains(&third_digits[..150]), "{e}");
            assert_eq!(lit(&text), x, "{e}");
        }
    }

    #[test]
    fn fixed_rounds_the_exact_value() {
        assert_eq!(fixed(&lit("2.5"), 0), "2");
        assert_eq!(fixed(&lit("3.5"), 0), "4");
        assert_eq!(fixed(&lit("0.001"), 2), "0.00");
        assert_eq!(fixed(&lit("-0.125"), 2), "-0.12");
        assert_eq!(fixed(&lit("99.999"), 2), "100.00");
        assert_eq!(fixed(&lit("0"), 3), "0.000");
        assert_eq!(fixed(&lit("2.675"), 2), "2.67");
    }

    #[test]
    fn exponent_forms_match_go() {
        let third = Float::quo(&lit("1"), &lit("3"), PARSE_PREC).unwrap();
        assert_eq!(exponent(&third, 6), "3.333333e-01");
        assert_eq!(exponent(&lit("0"), 2), "0.00e+00");
        assert_eq!(shortest_g(&lit("1234567")), "1.234567e+06");
        assert_eq!(shortest_g(&lit("123456")), "123456");
        assert_eq!(shortest_g(&lit("0.0001")), "0.0001");
        assert_eq!(shortest_g(&lit("0.00001")), "1e-05");
    }
}
