//! Reading HCL bodies against what a block allows: every unknown or
//! repeated attribute or block becomes a diagnostic with a hint.

use super::expr::Expr;
use super::expr::Src;
use crate::diag::{Diagnostic, Diagnostics, Span, did_you_mean};
use crate::value::Value;
use hcl::edit::Span as _;
use hcl::edit::structure::{Block, Body, Structure};

/// An attribute: its name, where the name is, and its value.
#[derive(Debug, Clone)]
pub struct Attr {
    pub name: String,
    pub name_span: Span,
    pub expr: Expr,
}

/// The attributes and nested blocks of a block, checked.
pub struct Contents {
    pub attrs: Vec<Attr>,
    pub blocks: Vec<Block>,
}

impl Contents {
    /// Removes and returns the attribute `name`.
    pub fn take(&mut self, name: &str) -> Option<Attr> {
        let i = self.attrs.iter().position(|a| a.name == name)?;
        Some(self.attrs.remove(i))
    }
}

/// What a block may contain; `attrs: None` accepts any attribute name.
pub struct Allowed<'s> {
    pub what: &'s str,
    pub attrs: Option<&'s [&'s str]>,
    pub blocks: &'s [&'s str],
}

/// Reads `body`, reporting unknown and duplicate attributes and blocks.
/// The body is consumed: each piece of hcl-edit's tree is freed as soon
/// as it is converted, which keeps large projects' memory down.
pub fn read(body: Body, file: Src, allowed: &Allowed, diags: &mut Diagnostics) -> Contents {
    let mut attrs: Vec<Attr> = Vec::new();
    let mut seen: std::collections::HashMap<String, Span> = std::collections::HashMap::new();
    let mut blocks = Vec::new();
    for structure in body {
        match structure {
            Structure::Attribute(a) => {
                let name = a.key.value().to_string();
                let name_span = span_of(file, a.key.span());
                if let Some(&prev) = seen.get(&name) {
                    diags.push(
                        Diagnostic::error(
                            "config::duplicate_attribute",
                            format!("attribute \"{name}\" is set twice in {}", allowed.what),
                        )
                        .label(name_span, "set again here")
                        .label(prev, "first set here")
                        .help("remove one of them"),
                    );
                    continue;
                }
                if let Some(list) = allowed.attrs
                    && !list.contains(&name.as_str())
                {
                    let mut d = Diagnostic::error(
                        "config::unknown_attribute",
                        format!("unknown attribute \"{name}\" in {}", allowed.what),
                    )
                    .label(name_span, "not expected here");
                    d = d.help(hint(
                        &name,
                        list,
                        allowed.blocks.contains(&name.as_str()),
                        "attributes",
                    ));
                    diags.push(d);
                    continue;
                }
                seen.insert(name.clone(), name_span);
                attrs.push(Attr {
                    name,
                    name_span,
                    expr: Expr::from_hcl(&a.value, file),
                });
            }
            Structure::Block(b) => {
                let ident = b.ident.value().as_str();
                if allowed.blocks.contains(&ident) {
                    blocks.push(b);
                } else {
                    let is_attr = allowed.attrs.is_some_and(|l| l.contains(&ident));
                    let help = if is_attr {
                        format!("\"{ident}\" is an attribute: write `{ident} = …`")
                    } else {
                        hint(ident, allowed.blocks, false, "blocks")
                    };
                    diags.push(
                        Diagnostic::error(
                            "config::unknown_block",
                            format!("unexpected block \"{ident}\" in {}", allowed.what),
                        )
                        .label(header_span(&b, file), "not expected here")
                        .help(help),
                    );
                }
            }
        }
    }
    // Kept as long as the definitions: no room for more (a Vec grown by
    // push holds four attributes at least; most blocks have one or two).
    attrs.shrink_to_fit();
    Contents { attrs, blocks }
}

fn hint(name: &str, allowed: &[&str], is_other_kind: bool, kind: &str) -> String {
    if is_other_kind {
        return format!("\"{name}\" is a block: write `{name} {{ … }}`");
    }
    if let Some(s) = did_you_mean(name, allowed.iter().copied()) {
        return format!("did you mean \"{s}\"?");
    }
    if allowed.is_empty() {
        format!("no {kind} are allowed here")
    } else {
        format!("expected one of: {}", allowed.join(", "))
    }
}

/// A span from hcl-edit's optional range.
pub fn span_of(file: Src, r: Option<std::ops::Range<usize>>) -> Span {
    file.span(r)
}

/// The span of a block's header: its name and labels.
pub fn header_span(b: &Block, file: Src) -> Span {
    let start = span_of(file, b.ident.span());
    match b.labels.last() {
        Some(l) => start.to(span_of(file, l.span())),
        None => start,
    }
}

/// Checks that a block has exactly the labels `names` describes, and
/// returns them with their spans.
pub fn labels(
    b: &Block,
    file: Src,
    names: &[&str],
    diags: &mut Diagnostics,
) -> Option<Vec<(String, Span)>> {
    let ident = b.ident.value().as_str();
    if b.labels.len() != names.len() {
        let want = names
            .iter()
            .map(|n| format!("\"{n}\""))
            .collect::<Vec<_>>()
            .join(" ");
        diags.push(
            Diagnostic::error(
                "config::block_labels",
                format!(
                    "a {ident} block takes {} label(s), found {}",
                    names.len(),
                    b.labels.len()
                ),
            )
            .label(header_span(b, file), "here")
            .help(format!("write it as `{ident} {want} {{ … }}`")),
        );
        return None;
    }
    let out: Vec<(String, Span)> = b
        .labels
        .iter()
        .map(|l| (l.as_str().to_string(), span_of(file, l.span())))
        .collect();
    for ((label, span), what) in out.iter().zip(names) {
        if !is_name(label) {
            diags.push(
                Diagnostic::error("config::invalid_name", format!("invalid {what} \"{label}\""))
                    .label(*span, "not a valid name")
                    .help("names start with a letter or underscore and contain only letters, digits, underscores and dashes"),
            );
            return None;
        }
    }
    Some(out)
}

/// Reads a block with one name label (`variable "x" { … }`): the name,
/// where it is, and the checked contents.
pub fn named(
    b: Block,
    file: Src,
    allowed: &Allowed,
    diags: &mut Diagnostics,
) -> Option<(String, Span, Contents)> {
    let (name, span) = labels(&b, file, &["name"], diags)?.into_iter().next()?;
    Some((name, span, read(b.body, file, allowed, diags)))
}

/// Whether `s` is a valid name for a block label: one that a path step
/// shows bare (checked directly, not by formatting a path: every block's
/// labels go through here).
pub fn is_name(s: &str) -> bool {
    crate::value::is_identifier(s)
}

/// A literal value, for attributes that Terraform also requires to be
/// written out (`lifecycle`, `type`, `sensitive`…).
pub fn literal<'e>(attr: &'e Attr, what: &str, diags: &mut Diagnostics) -> Option<&'e Value> {
    match &attr.expr.kind {
        super::expr::ExprKind::Literal(v) => Some(v),
        _ => {
            diags.push(
                Diagnostic::error(
                    "config::not_literal",
                    format!("\"{}\" must be a literal {what}", attr.name),
                )
                .label(attr.expr.span, "an expression is not allowed here")
                .help(format!(
                    "write a literal {what}, without references or functions"
                )),
            );
            None
        }
    }
}

/// A literal bool attribute.
pub fn literal_bool(attr: &Attr, diags: &mut Diagnostics) -> Option<bool> {
    let v = literal(attr, "bool", diags)?;
    match v {
        Value::Bool(b) => Some(*b),
        other => {
            diags.push(
                Diagnostic::error(
                    "config::wrong_type",
                    format!("\"{}\" must be true or false", attr.name),
                )
                .label(attr.expr.span, format!("this is a {}", other.type_name())),
            );
            None
        }
    }
}

/// A literal string attribute.
pub fn literal_string(attr: &Attr, diags: &mut Diagnostics) -> Option<String> {
    if let Some(s) = attr.expr.as_literal_str() {
        return Some(s.to_string());
    }
    let v = literal(attr, "string", diags)?;
    diags.push(
        Diagnostic::error(
            "config::wrong_type",
            format!("\"{}\" must be a string", attr.name),
        )
        .label(attr.expr.span, format!("this is a {}", v.type_name())),
    );
    None
}
