//! Comparing a value with a planned one that may hold unknowns: apply uses
//! it to check that what it is about to do is what the plan said.

use crate::value::{Path, PathStep, Value};

/// Whether `value` agrees with `planned` wherever `planned` is known.
pub fn conforms(value: &Value, planned: &Value) -> bool {
    match (value.unmark().0, planned.unmark().0) {
        (_, Value::Unknown) => true,
        (Value::List(a), Value::List(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| conforms(x, y))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|((ka, va), (kb, vb))| ka == kb && conforms(va, vb))
        }
        (a, b) => a.same_as(b),
    }
}

/// The first path where `value` and `planned` disagree, for messages.
pub fn first_difference(value: &Value, planned: &Value, at: Path) -> Option<Path> {
    match (value.unmark().0, planned.unmark().0) {
        (_, Value::Unknown) => None,
        (Value::Object(a), Value::Object(b)) => {
            for (k, vb) in b {
                let child = at.child(PathStep::Attr(k.clone()));
                match a.get(k) {
                    Some(va) => {
                        if let Some(p) = first_difference(va, vb, child) {
                            return Some(p);
                        }
                    }
                    None => return Some(child),
                }
            }
            a.keys()
                .find(|k| !b.contains_key(k))
                .map(|k| at.child(PathStep::Attr(k.clone())))
        }
        (a, b) if conforms(a, b) => None,
        _ => Some(at),
    }
}
