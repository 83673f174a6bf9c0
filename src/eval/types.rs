//! A light notion of Terraform's types, for the few places where
//! Terraform's result depends on a value's type and not only on the value.
//!
//! terrace's values carry no static type (see docs/language.md §7). Two
//! things stand in for it here:
//!
//! - [`Ty`], a value's type read off the value itself (a list is a tuple of
//!   its elements' types, an object an object type), and [`unify`], which
//!   finds the one type several values can all convert to, as Terraform does
//!   for the two branches of `c ? a : b` and for the elements of `list(any)`,
//!   `set(any)` and `map(any)`;
//! - [`Kind`], what kind of collection an expression gives, read off the
//!   expression (a `[…]` literal is a tuple, `tolist(…)` a list, `var.x`
//!   whatever its type constraint says). `==` uses it to tell a list from a
//!   tuple, and `for_each` to tell a set from a list.

use super::expr::Resolver;
use super::ops;
use crate::config::Type;
use crate::config::expr::{Expr, ExprKind};
use crate::value::{Map, Value};
use std::collections::BTreeMap;

/// A value's type, as far as unification needs it.
#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    /// `null` or an unknown value: fits any type.
    Dynamic,
    String,
    Number,
    Bool,
    Tuple(Vec<Ty>),
    Object(BTreeMap<String, Ty>),
    List(Box<Ty>),
    Map(Box<Ty>),
}

impl Ty {
    /// The type of `v`: lists are tuples, objects are object types.
    pub fn of(v: &Value) -> Ty {
        match v {
            Value::Null | Value::Unknown => Ty::Dynamic,
            Value::Sensitive(x) => Ty::of(x),
            Value::Bool(_) => Ty::Bool,
            Value::Number(_) => Ty::Number,
            Value::String(_) => Ty::String,
            Value::List(items) => Ty::Tuple(items.iter().map(Ty::of).collect()),
            Value::Object(map) => {
                Ty::Object(map.iter().map(|(k, v)| (k.clone(), Ty::of(v))).collect())
            }
        }
    }

    /// How Terraform writes the type in messages.
    pub fn name(&self) -> String {
        match self {
            Ty::Dynamic => "dynamic".into(),
            Ty::String => "string".into(),
            Ty::Number => "number".into(),
            Ty::Bool => "bool".into(),
            Ty::Tuple(_) => "tuple".into(),
            Ty::Object(_) => "object".into(),
            Ty::List(t) => format!("list of {}", t.name()),
            Ty::Map(t) => format!("map of {}", t.name()),
        }
    }
}

/// The one type that both `a` and `b` convert to, as Terraform's
/// unification finds it: a string with a number or a bool gives a string;
/// tuples of one length unify element by element, otherwise into a list of
/// one element type; objects with the same attributes unify attribute by
/// attribute, otherwise into a map. `None` when there is none (a number and
/// a bool, a list and a string).
pub fn unify(a: &Ty, b: &Ty) -> Option<Ty> {
    use Ty as T;
    if a == b {
        return Some(a.clone());
    }
    match (a, b) {
        (T::Dynamic, x) | (x, T::Dynamic) => Some(x.clone()),
        (T::String, T::Number | T::Bool) | (T::Number | T::Bool, T::String) => Some(T::String),
        (T::Tuple(x), T::Tuple(y)) => {
            if x.len() == y.len() {
                let same: Option<Vec<Ty>> = x.iter().zip(y).map(|(p, q)| unify(p, q)).collect();
                if let Some(same) = same {
                    return Some(T::Tuple(same));
                }
            }
            unify_all(x.iter().chain(y)).map(|t| T::List(Box::new(t)))
        }
        (T::Object(x), T::Object(y)) => {
            if x.keys().eq(y.keys()) {
                let same: Option<BTreeMap<String, Ty>> = x
                    .iter()
                    .map(|(k, p)| Some((k.clone(), unify(p, &y[k])?)))
                    .collect();
                if let Some(same) = same {
                    return Some(T::Object(same));
                }
            }
            unify_all(x.values().chain(y.values())).map(|t| T::Map(Box::new(t)))
        }
        (T::List(e), T::Tuple(items)) | (T::Tuple(items), T::List(e)) => {
            unify_all(std::iter::once(&**e).chain(items)).map(|t| T::List(Box::new(t)))
        }
        (T::List(x), T::List(y)) => unify(x, y).map(|t| T::List(Box::new(t))),
        (T::Map(e), T::Object(attrs)) | (T::Object(attrs), T::Map(e)) => {
            unify_all(std::iter::once(&**e).chain(attrs.values())).map(|t| T::Map(Box::new(t)))
        }
        (T::Map(x), T::Map(y)) => unify(x, y).map(|t| T::Map(Box::new(t))),
        _ => None,
    }
}

/// The one type all of `types` convert to (`Dynamic` for none).
pub fn unify_all<'a>(types: impl IntoIterator<Item = &'a Ty>) -> Option<Ty> {
    types
        .into_iter()
        .try_fold(Ty::Dynamic, |acc, t| unify(&acc, t))
}

/// Converts `v` to `ty`, which [`unify`] found for it, so the conversion
/// only turns numbers and bools into strings.
pub fn conform(v: Value, ty: &Ty) -> Result<Value, String> {
    let (v, marked) = v.into_unmarked();
    let out = match (v, ty) {
        (v @ (Value::Null | Value::Unknown), _) | (v, Ty::Dynamic) => v,
        (v @ (Value::Number(_) | Value::Bool(_) | Value::String(_)), Ty::String) => {
            Value::String(ops::to_string(&v)?)
        }
        (Value::List(items), Ty::Tuple(types)) if items.len() == types.len() => Value::List(
            items
                .into_iter()
                .zip(types)
                .map(|(x, t)| conform(x, t))
                .collect::<Result<_, _>>()?,
        ),
        (Value::List(items), Ty::List(t)) => Value::List(
            items
                .into_iter()
                .map(|x| conform(x, t))
                .collect::<Result<_, _>>()?,
        ),
        (Value::Object(map), Ty::Object(types)) => {
            let mut out = Map::new();
            for (k, x) in map {
                let x = match types.get(&k) {
                    Some(t) => conform(x, t)?,
                    None => x,
                };
                out.insert(k, x);
            }
            Value::Object(out)
        }
        (Value::Object(map), Ty::Map(t)) => {
            let mut out = Map::new();
            for (k, x) in map {
                out.insert(k, conform(x, t)?);
            }
            Value::Object(out)
        }
        (v, _) => v,
    };
    Ok(out.mark_if(marked))
}

/// What kind of value an expression gives, where Terraform tells kinds
/// apart that terrace's values do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `[…]`, `[for …]`, a splat, a variable of type `any` holding a list.
    Tuple,
    /// `{…}`, `{for …}`, a variable of type `any` holding an object.
    Object,
    /// `tolist(…)`, a `list(…)` variable.
    List,
    /// `toset(…)`, a `set(…)` variable.
    Set,
    /// `tomap(…)`, a `map(…)` variable.
    Map,
    /// A tuple or an object, as the value is (`jsondecode()`).
    Structural,
    /// Not known from the expression alone.
    Unknown,
}

impl Kind {
    /// `Structural` seen against a tuple or an object is that kind: the
    /// values compared are both lists or both objects. (Against a list, a
    /// set or a map it stays itself, and differs.)
    fn resolved(self, other: Kind) -> Kind {
        match (self, other) {
            (Kind::Structural, Kind::Tuple | Kind::Object) => other,
            _ => self,
        }
    }

    /// The kind a value of type constraint `ty` has; `value` decides for
    /// `any`, which keeps the value's own (structural) type.
    pub fn of_type(ty: &Type, value: &Value) -> Kind {
        match ty {
            Type::List(_) => Kind::List,
            Type::Set(_) => Kind::Set,
            Type::Map(_) => Kind::Map,
            Type::Tuple(_) => Kind::Tuple,
            Type::Object(_) => Kind::Object,
            Type::Any => match value.unmark().0 {
                Value::List(_) => Kind::Tuple,
                Value::Object(_) => Kind::Object,
                _ => Kind::Unknown,
            },
            _ => Kind::Unknown,
        }
    }

    /// Whether `==` between values of kinds `self` and `other` compares
    /// the values (`Some(true)`), is false whatever they are (`Some(false)`:
    /// a list is never equal to a tuple), or cannot be decided (`None`).
    pub fn comparable(self, other: Kind) -> Option<bool> {
        let (a, b) = (self.resolved(other), other.resolved(self));
        if a == Kind::Unknown || b == Kind::Unknown {
            None
        } else {
            Some(a == b)
        }
    }
}

/// The kind of value `e` gives, read off the expression.
pub fn kind_of(e: &Expr, refs: &dyn Resolver) -> Kind {
    match &e.kind {
        ExprKind::Array(_) => Kind::Tuple,
        ExprKind::Object(_) => Kind::Object,
        ExprKind::For(f) => {
            if f.key.is_some() {
                Kind::Object
            } else {
                Kind::Tuple
            }
        }
        ExprKind::Call { name, .. } => match name.as_str() {
            "tolist" | "split" | "sort" | "compact" | "distinct" | "range" | "chunklist" => {
                Kind::List
            }
            "toset" | "fileset" | "setunion" | "setintersection" | "setsubtract" => Kind::Set,
            "tomap" => Kind::Map,
            "jsondecode" | "yamldecode" => Kind::Structural,
            _ => Kind::Unknown,
        },
        ExprKind::Conditional(_, t, f) => {
            let (a, b) = (kind_of(t, refs), kind_of(f, refs));
            if a == b { a } else { Kind::Unknown }
        }
        ExprKind::Traversal(root, ops) => {
            let ExprKind::Variable(r) = &root.kind else {
                return Kind::Unknown;
            };
            let mut attrs = Vec::new();
            for op in ops {
                match &op.kind {
                    crate::config::expr::TraverserKind::Attr(a) => attrs.push(a.as_str()),
                    crate::config::expr::TraverserKind::Splat { .. } => return Kind::Tuple,
                    _ => return Kind::Unknown,
                }
            }
            refs.kind_of_reference(r, &attrs)
        }
        _ => Kind::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(v: Value) -> Ty {
        Ty::of(&v)
    }

    #[test]
    fn unification_follows_terraform() {
        let s = Value::string("a");
        let n = Value::int(1);
        assert_eq!(unify(&ty(n.clone()), &ty(s.clone())), Some(Ty::String));
        assert_eq!(unify(&ty(n.clone()), &ty(Value::Bool(true))), None);
        let one = ty(Value::List(vec![n.clone()]));
        let two = ty(Value::List(vec![s.clone(), s.clone()]));
        assert_eq!(unify(&one, &two), Some(Ty::List(Box::new(Ty::String))));
        assert_eq!(unify(&one, &ty(s)), None);
        let out = conform(Value::List(vec![n]), &Ty::List(Box::new(Ty::String))).unwrap();
        assert_eq!(out, Value::List(vec![Value::string("1")]));
    }
}
