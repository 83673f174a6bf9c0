//! Reading a call's arguments, with the conversions Terraform applies on the
//! way in: where a string is expected numbers and bools become strings, where
//! a number is expected numeric strings become numbers, and where a bool is
//! expected "true" and "false" become bools.

use super::Error;
use crate::value::{Map, Number, Value};
use std::fmt::Display;

/// The most elements (or characters of padding) a function will produce, so
/// that a mistaken number cannot exhaust memory.
pub const MAX_ELEMENTS: usize = 1 << 20;

/// The arguments of one call, with the names of the parameters they fill so
/// that errors can name the argument at fault. The dispatcher has checked the
/// count against the function's arity before the function sees them.
pub struct Args {
    params: &'static [&'static str],
    values: Vec<Value>,
}

impl Args {
    /// Wraps `values` for a function whose parameters are `params`; a
    /// variadic function's last parameter names all the remaining arguments.
    pub fn new(params: &'static [&'static str], values: Vec<Value>) -> Args {
        Args { params, values }
    }

    /// How many arguments were given.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// The name of the parameter that argument `i` fills.
    pub fn param(&self, i: usize) -> &'static str {
        self.params
            .get(i)
            .or(self.params.last())
            .copied()
            .unwrap_or("value")
    }

    /// An error about argument `i`, naming it.
    pub fn error(&self, i: usize, message: impl Display) -> Error {
        Error::arg(i, format!("argument \"{}\" {message}", self.param(i)))
    }

    /// Argument `i` as given, which may be null.
    pub fn value(&self, i: usize) -> Result<&Value, Error> {
        match self.values.get(i) {
            None => Err(Error::new(format!(
                "missing argument \"{}\"",
                self.param(i)
            ))),
            Some(Value::Unknown) => Err(self.error(i, "is not known yet")),
            Some(Value::Sensitive(_)) => Err(self.error(i, "is sensitive")),
            Some(v) => Ok(v),
        }
    }

    /// Argument `i`, which must not be null.
    pub fn non_null(&self, i: usize) -> Result<&Value, Error> {
        match self.value(i)? {
            Value::Null => Err(self.error(i, "must not be null")),
            v => Ok(v),
        }
    }

    /// Takes argument `i` out, leaving null in its place.
    pub fn take(&mut self, i: usize) -> Value {
        self.values
            .get_mut(i)
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// Argument `i` converted to a string.
    pub fn string(&self, i: usize) -> Result<String, Error> {
        let v = self.non_null(i)?;
        to_string(v)
            .ok_or_else(|| self.error(i, format!("must be a string, not {}", v.type_name())))
    }

    /// Argument `i` converted to a number.
    pub fn number(&self, i: usize) -> Result<Number, Error> {
        let v = self.non_null(i)?;
        match v {
            Value::String(s) => Number::parse(s)
                .ok_or_else(|| self.error(i, format!("must be a number, and {s:?} is not one"))),
            _ => to_number(v)
                .ok_or_else(|| self.error(i, format!("must be a number, not {}", v.type_name()))),
        }
    }

    /// Argument `i` converted to a whole number.
    pub fn int(&self, i: usize) -> Result<i64, Error> {
        self.number(i)?
            .as_i64()
            .ok_or_else(|| self.error(i, "must be a whole number"))
    }

    /// Argument `i`, which must be a list (or tuple, or set).
    pub fn list(&self, i: usize) -> Result<&[Value], Error> {
        match self.non_null(i)? {
            Value::List(items) => Ok(items),
            v => Err(self.error(i, format!("must be a list, not {}", v.type_name()))),
        }
    }

    /// Argument `i`, which must be a map or an object.
    pub fn object(&self, i: usize) -> Result<&Map, Error> {
        match self.non_null(i)? {
            Value::Object(map) => Ok(map),
            v => Err(self.error(i, format!("must be a map or object, not {}", v.type_name()))),
        }
    }

    /// Argument `i`, a list whose elements are converted to strings.
    pub fn strings(&self, i: usize) -> Result<Vec<String>, Error> {
        self.list(i)?
            .iter()
            .enumerate()
            .map(|(n, v)| self.element_string(i, n, v))
            .collect()
    }

    /// Element `n` of list argument `i`, converted to a string.
    pub fn element_string(&self, i: usize, n: usize, v: &Value) -> Result<String, Error> {
        match v {
            Value::Null => Err(self.error(i, format!("has a null element at index {n}"))),
            v => to_string(v).ok_or_else(|| {
                self.error(
                    i,
                    format!(
                        "must contain only strings, but element {n} is {}",
                        describe(v)
                    ),
                )
            }),
        }
    }

    /// Element `n` of list argument `i`, converted to a number.
    pub fn element_number(&self, i: usize, n: usize, v: &Value) -> Result<Number, Error> {
        match v {
            Value::Null => Err(self.error(i, format!("has a null element at index {n}"))),
            v => to_number(v).ok_or_else(|| {
                self.error(
                    i,
                    format!(
                        "must contain only numbers, but element {n} is {}",
                        describe(v)
                    ),
                )
            }),
        }
    }

    /// Element `n` of list argument `i`, converted to a bool.
    pub fn element_bool(&self, i: usize, n: usize, v: &Value) -> Result<Option<bool>, Error> {
        match v {
            Value::Null => Ok(None),
            v => to_bool(v).map(Some).ok_or_else(|| {
                self.error(
                    i,
                    format!(
                        "must contain only bools, but element {n} is {}",
                        describe(v)
                    ),
                )
            }),
        }
    }
}

/// A primitive value as a string, as Terraform converts it: `5` → `"5"`,
/// `true` → `"true"`. `None` for null, lists and objects.
pub fn to_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A value as a number: numbers as they are, numeric strings parsed.
pub fn to_number(v: &Value) -> Option<Number> {
    match v {
        Value::Number(n) if n.is_finite() => Some(n.clone()),
        Value::String(s) => Number::parse(s),
        _ => None,
    }
}

/// A value as a bool: bools as they are, and the strings "true" and "false".
pub fn to_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s == "true" => Some(true),
        Value::String(s) if s == "false" => Some(false),
        _ => None,
    }
}

/// A value's type for a message, with strings shown since their content is
/// usually what is wrong.
pub fn describe(v: &Value) -> String {
    match v {
        Value::String(s) => format!("the string {s:?}"),
        v => v.type_name().to_string(),
    }
}

/// A count from a user's number, refused when negative or beyond `max`.
pub fn count(n: i64, max: usize) -> Option<usize> {
    usize::try_from(n).ok().filter(|&n| n <= max)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(values: Vec<Value>) -> Args {
        Args::new(&["str", "rest"], values)
    }

    #[test]
    fn strings_accept_numbers_and_bools() {
        let a = args(vec![Value::int(5), Value::Bool(true), Value::List(vec![])]);
        assert_eq!(a.string(0).unwrap(), "5");
        assert_eq!(a.string(1).unwrap(), "true");
        assert_eq!(
            a.string(2).unwrap_err().message,
            "argument \"rest\" must be a string, not list"
        );
    }

    #[test]
    fn numbers_accept_numeric_strings_only() {
        let a = args(vec![
            Value::string("12"),
            Value::string("x"),
            Value::Bool(true),
        ]);
        assert_eq!(a.int(0).unwrap(), 12);
        assert!(
            a.number(1)
                .unwrap_err()
                .message
                .contains("\"x\" is not one")
        );
        assert_eq!(a.number(2).unwrap_err().arg, Some(2));
    }

    #[test]
    fn null_is_refused_with_the_argument_named() {
        let a = args(vec![Value::Null]);
        let err = a.string(0).unwrap_err();
        assert_eq!(err.message, "argument \"str\" must not be null");
        assert_eq!(err.arg, Some(0));
    }

    #[test]
    fn bools_accept_their_spellings() {
        assert_eq!(to_bool(&Value::string("false")), Some(false));
        assert_eq!(to_bool(&Value::string("yes")), None);
        assert_eq!(to_bool(&Value::int(1)), None);
    }
}
