//! Numbers: integers stay exact, everything else is a 64-bit float.

use std::cmp::Ordering;
use std::fmt;

/// A number as HCL and JSON know it.
#[derive(Debug, Clone, Copy)]
pub enum Number {
    Int(i64),
    Float(f64),
}

impl Number {
    /// A number from a float, kept as an integer when it is one.
    pub fn from_f64(f: f64) -> Number {
        if f.fract() == 0.0 && f.abs() < 9.0e15 {
            Number::Int(f as i64)
        } else {
            Number::Float(f)
        }
    }

    /// This number as a float.
    pub fn as_f64(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Float(f) => f,
        }
    }

    /// This number as an integer, if it is a whole number.
    pub fn as_i64(self) -> Option<i64> {
        match self {
            Number::Int(i) => Some(i),
            Number::Float(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => Some(f as i64),
            Number::Float(_) => None,
        }
    }

    /// Whether this is a finite number (not NaN or an infinity).
    pub fn is_finite(self) -> bool {
        match self {
            Number::Int(_) => true,
            Number::Float(f) => f.is_finite(),
        }
    }

    pub(crate) fn to_json(self) -> serde_json::Value {
        match self {
            Number::Int(i) => serde_json::Value::from(i),
            Number::Float(f) => serde_json::Number::from_f64(f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
        }
    }

    pub(crate) fn from_json(n: &serde_json::Number) -> Number {
        if let Some(i) = n.as_i64() {
            Number::Int(i)
        } else {
            Number::from_f64(n.as_f64().unwrap_or(f64::NAN))
        }
    }

    /// Parses a number the way Terraform's `tonumber` does.
    pub fn parse(s: &str) -> Option<Number> {
        let s = s.trim();
        if let Ok(i) = s.parse::<i64>() {
            return Some(Number::Int(i));
        }
        match s.parse::<f64>() {
            Ok(f) if f.is_finite() && !s.eq_ignore_ascii_case("inf") => Some(Number::from_f64(f)),
            _ => None,
        }
    }
}

impl PartialEq for Number {
    fn eq(&self, other: &Number) -> bool {
        match (self, other) {
            (Number::Int(a), Number::Int(b)) => a == b,
            (a, b) => a.as_f64() == b.as_f64(),
        }
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Number) -> Option<Ordering> {
        match (self, other) {
            (Number::Int(a), Number::Int(b)) => a.partial_cmp(b),
            (a, b) => a.as_f64().partial_cmp(&b.as_f64()),
        }
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Number::Int(i) => write!(f, "{i}"),
            Number::Float(x) if x.fract() == 0.0 && x.abs() < 1e21 => write!(f, "{x:.0}"),
            Number::Float(x) => write!(f, "{x}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_and_floats_compare_by_value() {
        assert_eq!(Number::Int(2), Number::Float(2.0));
        assert!(Number::Int(2) < Number::Float(2.5));
        assert_eq!(Number::from_f64(4.0).to_string(), "4");
        assert_eq!(Number::Float(2.5).to_string(), "2.5");
        assert_eq!(Number::parse(" 12 "), Some(Number::Int(12)));
        assert_eq!(Number::parse("1e3"), Some(Number::Int(1000)));
        assert_eq!(Number::parse("abc"), None);
        assert_eq!(Number::parse("NaN"), None);
    }
}
