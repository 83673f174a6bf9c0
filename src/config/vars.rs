//! Values for the project's own variables, as the user gives them: the
//! text of `--var NAME=VALUE` and `TERRACE_VAR_NAME`, and the attributes
//! of variable files (`--var-file`, `terrace.tfvars`, `*.auto.tfvars`, in
//! HCL or JSON).
//!
//! Reading only: every value becomes an [`Assignment`] with a span in the
//! [`SourceMap`], so that a bad value is reported where it was written.
//! Which assignment wins, conversion and validation happen in
//! `eval::project_variables`.

use super::expr::{Expr, Src};
use super::types::Type;
use crate::diag::{Diagnostic, Diagnostics, SourceMap, Span};
use crate::value::Value;
use hcl::edit::Span as _;
use std::path::{Path, PathBuf};

/// Where an assignment came from, for messages and precedence.
#[derive(Debug, Clone, PartialEq)]
pub enum Origin {
    /// `TERRACE_VAR_NAME`.
    Env,
    /// A variable file: read automatically or named by `--var-file`.
    File(PathBuf),
    /// `--var NAME=VALUE`.
    Flag,
    /// The value the source environment of a promotion applied with.
    Release(String),
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Env => f.write_str("an environment variable"),
            Origin::File(p) => write!(f, "{}", p.display()),
            Origin::Flag => f.write_str("--var"),
            Origin::Release(env) => write!(f, "the values environment \"{env}\" applied with"),
        }
    }
}

/// One `NAME = value`, not yet converted to the variable's type.
#[derive(Debug, Clone)]
pub struct Assignment {
    pub name: String,
    pub origin: Origin,
    /// An expression (literal values and functions only), or a string
    /// taken as it is.
    pub value: Expr,
    pub span: Span,
}

/// The variable files read without being named, in Terraform's order:
/// `terrace.tfvars`, `terrace.tfvars.json`, then `*.auto.tfvars` and
/// `*.auto.tfvars.json` in name order.
pub fn automatic_files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for name in ["terrace.tfvars", "terrace.tfvars.json"] {
        let p = root.join(name);
        if p.is_file() {
            out.push(p);
        }
    }
    let mut auto: Vec<PathBuf> = std::fs::read_dir(root)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    p.is_file()
                        && p.file_name().is_some_and(|n| {
                            let n = n.to_string_lossy();
                            n.ends_with(".auto.tfvars") || n.ends_with(".auto.tfvars.json")
                        })
                })
                .collect()
        })
        .unwrap_or_default();
    auto.sort();
    out.extend(auto);
    out
}

/// Reads a variable file: JSON when its name ends in `.json`, HCL
/// (`name = value` lines) otherwise.
pub fn read_file(
    path: &Path,
    root: &Path,
    sources: &mut SourceMap,
    diags: &mut Diagnostics,
) -> Vec<Assignment> {
    let text = match crate::bounded::read_text(path, crate::bounded::DEFINITION_LIMIT) {
        Ok(t) => t,
        Err(e) => {
            diags.push(
                Diagnostic::error(
                    "config::var_file",
                    format!("cannot read variable file {}: {e}", path.display()),
                )
                .help("--var-file takes a path relative to the current directory"),
            );
            return Vec::new();
        }
    };
    let file = sources.add(path, root, text);
    let text = sources.file(file).text.clone();
    let src = Src::file(file);
    let origin = Origin::File(path.to_path_buf());
    let whole = src.span(Some(0..text.len().min(1)));
    if path.extension().is_some_and(|e| e == "json") {
        let json: serde_json::Value = match serde_json::from_str(&text) {
            Ok(j) => j,
            Err(e) => {
                diags.push(
                    Diagnostic::error(
                        "config::var_file",
                        format!("{} is not valid JSON: {e}", path.display()),
                    )
                    .label(whole, "in this file"),
                );
                return Vec::new();
            }
        };
        let serde_json::Value::Object(map) = json else {
            diags.push(
                Diagnostic::error(
                    "config::var_file",
                    format!("{} must hold a JSON object", path.display()),
                )
                .label(whole, "in this file")
                .help("write {\"NAME\": value, …}"),
            );
            return Vec::new();
        };
        let mut assignments = Vec::new();
        for (name, v) in map {
            match Value::from_json(v) {
                Ok(value) => assignments.push(Assignment {
                    name,
                    origin: origin.clone(),
                    value: Expr {
                        kind: super::ExprKind::Literal(value),
                        span: whole,
                    },
                    span: whole,
                }),
                Err(e) => diags.push(
                    Diagnostic::error(
                        "config::var_file",
                        format!("{}: variable \"{name}\": {e}", path.display()),
                    )
                    .label(whole, "in this file"),
                ),
            }
        }
        return assignments;
    }
    let body = match hcl::edit::parser::parse_body(&text) {
        Ok(b) => b,
        Err(e) => {
            let offset = e.location().offset();
            diags.push(
                Diagnostic::error(
                    "config::syntax",
                    format!(
                        "syntax error: {}",
                        e.message().lines().next().unwrap_or_default()
                    ),
                )
                .label(src.span(Some(offset..offset + 1)), "here")
                .help("a variable file holds NAME = VALUE lines"),
            );
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for structure in body.iter() {
        match structure {
            hcl::edit::structure::Structure::Attribute(a) => out.push(Assignment {
                name: a.key.value().to_string(),
                origin: origin.clone(),
                value: Expr::from_hcl(&a.value, src),
                span: src.span(a.key.span()),
            }),
            hcl::edit::structure::Structure::Block(b) => diags.push(
                Diagnostic::error(
                    "config::var_file",
                    "a variable file holds only NAME = VALUE attributes",
                )
                .label(src.span(b.ident.span()), "a block")
                .help("write the variable's value as `NAME = VALUE`"),
            ),
        }
    }
    out
}

/// An assignment from `--var NAME=VALUE` or `TERRACE_VAR_NAME`: the text
/// is the string itself when the variable's type is a primitive (or not
/// given), and an HCL expression otherwise, as in Terraform.
pub fn from_text(
    name: &str,
    text: &str,
    ty: Option<&Type>,
    origin: Origin,
    sources: &mut SourceMap,
) -> Result<Assignment, Diagnostic> {
    let shown = match &origin {
        Origin::Env => format!("TERRACE_VAR_{name}"),
        _ => format!("--var {name}"),
    };
    let file = sources.add(Path::new(&shown), Path::new(""), text.to_string());
    let src = Src::file(file);
    let span = src.span(Some(0..text.len()));
    let literal = matches!(
        ty,
        None | Some(Type::Any | Type::String | Type::Number | Type::Bool)
    );
    let value = if literal {
        Expr {
            kind: super::ExprKind::Literal(Value::string(text)),
            span,
        }
    } else {
        let parsed = hcl::edit::parser::parse_expr(text).map_err(|e| {
            Diagnostic::error(
                "config::var_value",
                format!(
                    "the value given by {shown} is not an HCL expression: {}",
                    e.message().lines().next().unwrap_or_default()
                ),
            )
            .label(span, "this value")
            .help("variables of list, map or object type take an HCL value, e.g. '[\"a\", \"b\"]' or '{ size = 2 }'")
        })?;
        Expr::from_hcl(&parsed, src)
    };
    Ok(Assignment {
        name: name.to_string(),
        origin,
        value,
        span,
    })
}
