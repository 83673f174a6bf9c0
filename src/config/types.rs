//! Type constraints of variables: `string`, `list(number)`,
//! `object({ name = string, size = optional(number, 1) })`, as in Terraform.

use super::expr::{Expr, ExprKind, ObjectKey};
use crate::diag::Diagnostic;
use crate::value::Value;
use std::collections::BTreeMap;
use std::fmt;

/// A type constraint.
#[derive(Debug, Clone, PartialEq)]
pub enum Type {
    Any,
    String,
    Number,
    Bool,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Tuple(Vec<Type>),
    Object(BTreeMap<String, Attribute>),
}

/// An attribute of an object type; `optional(T, default)` when `optional`.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    pub ty: Type,
    pub optional: bool,
    pub default: Option<Value>,
}

impl Type {
    /// Reads a type expression, as written after `type =`.
    pub fn parse(e: &Expr) -> Result<Type, Diagnostic> {
        match &e.kind {
            ExprKind::Variable(name) => match name.as_str() {
                "any" => Ok(Type::Any),
                "string" => Ok(Type::String),
                "number" => Ok(Type::Number),
                "bool" => Ok(Type::Bool),
                "list" | "set" | "map" => Err(bad(e, &format!("`{name}` needs an element type"))
                    .help(format!("write `{name}(string)`, or `{name}(any)`"))),
                _ => Err(bad(e, &format!("unknown type `{name}`"))),
            },
            ExprKind::Call { name, args, .. } => {
                let one = |args: &[Expr]| -> Result<Box<Type>, Diagnostic> {
                    match args {
                        [a] => Ok(Box::new(Type::parse(a)?)),
                        _ => Err(bad(e, &format!("`{name}` takes one element type"))),
                    }
                };
                match name.as_str() {
                    "list" => Ok(Type::List(one(args)?)),
                    "set" => Ok(Type::Set(one(args)?)),
                    "map" => Ok(Type::Map(one(args)?)),
                    "tuple" => match args.as_slice() {
                        [
                            Expr {
                                kind: ExprKind::Array(items),
                                ..
                            },
                        ] => Ok(Type::Tuple(
                            items.iter().map(Type::parse).collect::<Result<_, _>>()?,
                        )),
                        _ => Err(bad(
                            e,
                            "`tuple` takes a list of types: tuple([string, number])",
                        )),
                    },
                    "object" => match args.as_slice() {
                        [
                            Expr {
                                kind: ExprKind::Object(items),
                                ..
                            },
                        ] => {
                            let mut attrs = BTreeMap::new();
                            for (k, v) in items {
                                let ObjectKey::Name(k, _) = k else {
                                    return Err(bad(
                                        v,
                                        "object attribute names must be written out",
                                    ));
                                };
                                attrs.insert(k.clone(), Attribute::parse(v)?);
                            }
                            Ok(Type::Object(attrs))
                        }
                        _ => Err(bad(
                            e,
                            "`object` takes attribute types: object({ name = string })",
                        )),
                    },
                    "optional" => Err(bad(
                        e,
                        "`optional` is only allowed for an attribute of an object type",
                    )),
                    _ => Err(bad(e, &format!("unknown type constructor `{name}`"))),
                }
            }
            _ => Err(bad(e, "not a type")),
        }
    }
}

impl Attribute {
    fn parse(e: &Expr) -> Result<Attribute, Diagnostic> {
        if let ExprKind::Call { name, args, .. } = &e.kind
            && name == "optional"
        {
            let (ty, default) = match args.as_slice() {
                [t] => (Type::parse(t)?, None),
                [t, d] => match &d.kind {
                    ExprKind::Literal(v) => (Type::parse(t)?, Some(v.clone())),
                    _ => (Type::parse(t)?, Some(literal_value(d)?)),
                },
                _ => return Err(bad(e, "`optional` takes a type and an optional default")),
            };
            return Ok(Attribute {
                ty,
                optional: true,
                default,
            });
        }
        Ok(Attribute {
            ty: Type::parse(e)?,
            optional: false,
            default: None,
        })
    }
}

/// A constant value written out with lists and objects of literals.
fn literal_value(e: &Expr) -> Result<Value, Diagnostic> {
    match &e.kind {
        ExprKind::Literal(v) => Ok(v.clone()),
        ExprKind::Array(items) => Ok(Value::List(
            items.iter().map(literal_value).collect::<Result<_, _>>()?,
        )),
        ExprKind::Object(items) => {
            let mut m = crate::value::Map::new();
            for (k, v) in items {
                let ObjectKey::Name(k, _) = k else {
                    return Err(bad(v, "default values must be written out"));
                };
                m.insert(k.clone(), literal_value(v)?);
            }
            Ok(Value::Object(m))
        }
        _ => Err(bad(e, "a default inside a type must be a literal value")),
    }
}

fn bad(e: &Expr, msg: &str) -> Diagnostic {
    Diagnostic::error("config::invalid_type", format!("invalid type constraint: {msg}"))
        .label(e.span, "here")
        .help("types are string, number, bool, any, list(T), set(T), map(T), tuple([T, …]) and object({ name = T, … })")
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Any => f.write_str("any"),
            Type::String => f.write_str("string"),
            Type::Number => f.write_str("number"),
            Type::Bool => f.write_str("bool"),
            Type::List(t) => write!(f, "list({t})"),
            Type::Set(t) => write!(f, "set({t})"),
            Type::Map(t) => write!(f, "map({t})"),
            Type::Tuple(ts) => {
                f.write_str("tuple([")?;
                for (i, t) in ts.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{t}")?;
                }
                f.write_str("])")
            }
            Type::Object(attrs) => {
                f.write_str("object({")?;
                for (i, (k, a)) in attrs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    if a.optional {
                        write!(f, " {k} = optional({})", a.ty)?;
                    } else {
                        write!(f, " {k} = {}", a.ty)?;
                    }
                }
                f.write_str(" })")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::FileId;

    fn ty(src: &str) -> Result<Type, Diagnostic> {
        let e = hcl::edit::parser::parse_expr(src).unwrap();
        Type::parse(&Expr::from_hcl(
            &e,
            crate::config::expr::Src::file(FileId(0)),
        ))
    }

    #[test]
    fn parses_nested_types() {
        assert_eq!(ty("list(string)").unwrap().to_string(), "list(string)");
        assert_eq!(
            ty("object({ a = optional(number, 1), b = map(bool) })")
                .unwrap()
                .to_string(),
            "object({ a = optional(number), b = map(bool) })"
        );
        assert!(ty("lst(string)").is_err());
        assert!(ty("list").is_err());
    }
}
