//! The budget of one value: what an expression builds (a list, an object,
//! a template, a function's or a `for` expression's result) may not exceed
//! [`VALUE_BUDGET`] bytes, estimated. Doubling a value through a chain of
//! locals (`concat(local.a, local.a)`) then ends in a diagnostic on the
//! expression that went over, not in an allocation failure.

use super::expr::EvalError;
use crate::diag::Span;
use crate::value::Value;

/// The largest value one expression may build: 128 MiB as estimated by
/// [`within`] (a list of a million numbers is about 32 MiB, a string
/// counts its length).
pub const VALUE_BUDGET: usize = 128 << 20;

/// What one value of any kind costs besides its text.
const NODE: usize = std::mem::size_of::<Value>();

/// The estimated size of `v`, or `None` as soon as it exceeds `limit`:
/// the walk stops there, so checking a huge value is cheap.
pub fn within(v: &Value, limit: usize) -> Option<usize> {
    let mut total = 0usize;
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        total += NODE;
        match v {
            Value::String(s) => total += s.len(),
            Value::List(items) => stack.extend(items.iter()),
            Value::Object(map) => {
                for (k, item) in map.iter() {
                    total += k.len() + NODE;
                    stack.push(item);
                }
            }
            Value::Sensitive(inner) => stack.push(inner),
            Value::Null | Value::Bool(_) | Value::Number(_) | Value::Unknown => {}
        }
        if total > limit {
            return None;
        }
    }
    Some(total)
}

/// Refuses a value over the budget, pointing at the expression that built it.
pub fn check(v: &Value, span: Span) -> Result<(), EvalError> {
    match v {
        // The common case costs nothing.
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::Unknown => Ok(()),
        Value::String(s) if s.len() + NODE <= VALUE_BUDGET => Ok(()),
        _ if within(v, VALUE_BUDGET).is_some() => Ok(()),
        _ => Err(EvalError::new(
            span,
            format!(
                "this expression builds a value larger than the limit of {} MiB",
                VALUE_BUDGET >> 20
            ),
        )
        .help(
            "a value that doubles at each step (concat(local.a, local.a), \"${local.a}${local.a}\") grows past any memory; build the value you need directly",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_over_the_budget_is_found_without_walking_all_of_it() {
        let big = Value::List(vec![Value::int(1); 1000]);
        assert_eq!(within(&big, usize::MAX), Some(1001 * NODE));
        assert_eq!(within(&big, 10 * NODE), None);
        assert!(check(&Value::string("x".repeat(VALUE_BUDGET)), Span::default()).is_err());
        assert!(check(&big, Span::default()).is_ok());
    }
}
