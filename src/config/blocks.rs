//! Refactoring blocks of an architecture: `moved { from, to }` and
//! `removed { from, lifecycle { destroy } }`. They name resources by
//! address, written as references (`terrace_data.a`, `file.page["x"]`),
//! and are checked here for shape only; the planner decides what they do
//! to state.

use super::body::{self, Allowed};
use super::expr::{Expr, ExprKind, Src, TraverserKind};
use crate::address::InstanceKey;
use crate::diag::{Diagnostic, Diagnostics, Span};
use crate::value::Value;
use hcl::edit::structure::Block;

/// A resource, or one instance of it, named in a `moved` or `removed`
/// block: `terrace_data.a`, `terrace_data.a[0]`, `file.page["x"]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub type_name: String,
    pub name: String,
    /// `None`: the whole resource (or its single instance).
    pub key: Option<InstanceKey>,
    pub span: Span,
}

impl Endpoint {
    /// `TYPE.NAME`, as written in an architecture.
    pub fn local(&self) -> String {
        format!("{}.{}", self.type_name, self.name)
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.local())?;
        if let Some(k) = &self.key {
            write!(f, "{k}")?;
        }
        Ok(())
    }
}

/// `moved { from = …  to = … }`: the object recorded at `from` is now the
/// one declared at `to`, without destroying it.
#[derive(Debug, Clone)]
pub struct Moved {
    pub from: Endpoint,
    pub to: Endpoint,
    /// The block's `moved` keyword.
    pub span: Span,
}

/// `removed { from = …  lifecycle { destroy = false } }`: the resource is
/// gone from the definitions on purpose; its objects are destroyed, or
/// with `destroy = false` only forgotten.
#[derive(Debug, Clone)]
pub struct Removed {
    pub from: Endpoint,
    pub destroy: bool,
    pub span: Span,
}

/// `import { to = …  id = … }`: adopt the existing object `id` as the
/// instance `to`, instead of creating it.
#[derive(Debug, Clone)]
pub struct Import {
    pub to: Endpoint,
    /// A string known when planning.
    pub id: Expr,
    pub span: Span,
}

/// Reads an `import` block.
pub fn read_import(b: Block, file: Src, diags: &mut Diagnostics) -> Option<Import> {
    body::labels(&b, file, &[], diags)?;
    let span = body::header_span(&b, file);
    let mut c = body::read(
        b.body,
        file,
        &Allowed {
            what: "an import block",
            attrs: Some(&["to", "id"]),
            blocks: &[],
        },
        diags,
    );
    let (Some(to), Some(id)) = (c.take("to"), c.take("id")) else {
        diags.push(
            Diagnostic::error(
                "config::missing_attribute",
                "an import block needs to and id",
            )
            .label(span, "here")
            .help("write `to = file.page` and `id = \"out/page.html\"`"),
        );
        return None;
    };
    Some(Import {
        to: endpoint(&to.expr, diags)?,
        id: id.expr,
        span,
    })
}

/// Reads a `moved` block.
pub fn read_moved(b: Block, file: Src, diags: &mut Diagnostics) -> Option<Moved> {
    body::labels(&b, file, &[], diags)?;
    let span = body::header_span(&b, file);
    let mut c = body::read(
        b.body,
        file,
        &Allowed {
            what: "a moved block",
            attrs: Some(&["from", "to"]),
            blocks: &[],
        },
        diags,
    );
    let (from, to) = match (c.take("from"), c.take("to")) {
        (Some(f), Some(t)) => (endpoint(&f.expr, diags), endpoint(&t.expr, diags)),
        _ => {
            diags.push(
                Diagnostic::error(
                    "config::missing_attribute",
                    "a moved block needs from and to",
                )
                .label(span, "here")
                .help("write `from = terrace_data.old` and `to = terrace_data.new`"),
            );
            return None;
        }
    };
    let (from, to) = (from?, to?);
    if from.type_name != to.type_name {
        diags.push(
            Diagnostic::error(
                "config::invalid_move",
                format!("cannot move {from} to {to}: the resource types differ"),
            )
            .label(to.span, format!("a {} here", to.type_name))
            .help("an object keeps its type: move it to a resource of the same type"),
        );
        return None;
    }
    if from.local() == to.local() && from.key == to.key {
        diags.push(
            Diagnostic::error(
                "config::invalid_move",
                format!("this moves {from} to the same address"),
            )
            .label(span, "redundant move")
            .help("remove the block: it is the same as no move at all"),
        );
        return None;
    }
    Some(Moved { from, to, span })
}

/// Reads a `removed` block.
pub fn read_removed(b: Block, file: Src, diags: &mut Diagnostics) -> Option<Removed> {
    body::labels(&b, file, &[], diags)?;
    let span = body::header_span(&b, file);
    let mut c = body::read(
        b.body,
        file,
        &Allowed {
            what: "a removed block",
            attrs: Some(&["from"]),
            blocks: &["lifecycle"],
        },
        diags,
    );
    let mut destroy = true;
    for lb in std::mem::take(&mut c.blocks) {
        let mut lc = body::read(
            lb.body,
            file,
            &Allowed {
                what: "the lifecycle block of a removed block",
                attrs: Some(&["destroy"]),
                blocks: &[],
            },
            diags,
        );
        if let Some(a) = lc.take("destroy") {
            destroy = body::literal_bool(&a, diags).unwrap_or(true);
        }
    }
    let Some(from) = c.take("from") else {
        diags.push(
            Diagnostic::error("config::missing_attribute", "a removed block needs from")
                .label(span, "here")
                .help("write `from = terrace_data.old`"),
        );
        return None;
    };
    let from = endpoint(&from.expr, diags)?;
    if from.key.is_some() {
        diags.push(
            Diagnostic::error(
                "config::invalid_removed",
                "a removed block names a whole resource, not one instance",
            )
            .label(from.span, "remove the key")
            .help("write `from = TYPE.NAME`"),
        );
        return None;
    }
    Some(Removed {
        from,
        destroy,
        span,
    })
}

/// `TYPE.NAME` or `TYPE.NAME[KEY]` with a literal key.
fn endpoint(e: &Expr, diags: &mut Diagnostics) -> Option<Endpoint> {
    let fail = |diags: &mut Diagnostics, why: &str| {
        diags.push(
            Diagnostic::error(
                "config::invalid_address",
                format!("not a resource address: {why}"),
            )
            .label(e.span, "here")
            .help("write TYPE.NAME, TYPE.NAME[0] or TYPE.NAME[\"key\"], e.g. terrace_data.vpc"),
        );
        None
    };
    let ExprKind::Traversal(root, ops) = &e.kind else {
        return fail(diags, "expected TYPE.NAME");
    };
    let ExprKind::Variable(type_name) = &root.kind else {
        return fail(diags, "expected TYPE.NAME");
    };
    if type_name == "data" {
        return fail(diags, "data sources hold no objects to move or remove");
    }
    let (name, key) = match ops.as_slice() {
        [n] => (&n.kind, None),
        [n, k] => (&n.kind, Some(&k.kind)),
        _ => return fail(diags, "expected TYPE.NAME with at most one key"),
    };
    let TraverserKind::Attr(name) = name else {
        return fail(diags, "expected TYPE.NAME");
    };
    let key = match key {
        None => None,
        Some(k) if let Some(v) = k.literal_index() => match v {
            Value::String(s) => Some(InstanceKey::Str(s.clone())),
            Value::Number(n) if n.as_i64().is_some_and(|i| i >= 0) => {
                Some(InstanceKey::Int(n.as_i64().unwrap_or(0)))
            }
            _ => return fail(diags, "a key is a whole number or a string"),
        },
        Some(_) => return fail(diags, "a key is a literal number or string"),
    };
    Some(Endpoint {
        type_name: type_name.clone(),
        name: name.clone(),
        key,
        span: e.span,
    })
}
