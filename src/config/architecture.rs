//! Architectures: reusable modules made of `variable`, `locals`, `resource`,
//! `data` and `output` blocks, read from every `*.hcl` file of a directory.

use super::blocks::{Import, Moved, Removed, read_import, read_moved, read_removed};
use super::body::{self, Allowed, Attr};
use super::expr::Src;
use super::expr::{Expr, ExprKind};
use super::types::Type;
use crate::diag::{Diagnostic, Diagnostics, Span};
use crate::ids::{IdVec, LocalId, OutputId, ResourceId, VariableId};
use crate::value::{Path, PathStep};
use hcl::edit::structure::Block;
use std::collections::HashMap;
use std::path::PathBuf;

/// One architecture, loaded once however many configurations use it.
#[derive(Debug)]
pub struct Architecture {
    /// Directory on disk.
    pub dir: PathBuf,
    /// How the project refers to it, e.g. `./architectures/network`.
    pub source: String,
    /// The catalog name and version, for `catalog:NAME@VERSION` sources.
    pub catalog: Option<super::catalog::Pin>,
    pub variables: IdVec<VariableId, Variable>,
    pub locals: IdVec<LocalId, Local>,
    pub resources: IdVec<ResourceId, Resource>,
    pub outputs: IdVec<OutputId, Output>,
    /// `moved` blocks, in file order.
    pub moved: Vec<Moved>,
    /// `removed` blocks, in file order.
    pub removed: Vec<Removed>,
    /// `check` blocks, in file order.
    pub checks: Vec<Check>,
    /// `import` blocks, in file order.
    pub imports: Vec<Import>,
    /// Where each block is in the lists above, by name.
    pub names: Names,
}

/// Name → index maps of an architecture's blocks: for references, and to
/// find duplicates without comparing every block with every other.
#[derive(Debug, Default)]
pub struct Names {
    pub variables: HashMap<String, VariableId>,
    pub locals: HashMap<String, LocalId>,
    pub outputs: HashMap<String, OutputId>,
    /// By `(mode, type, name)`.
    pub resources: foldhash::HashMap<(Mode, String, String), ResourceId>,
}

/// `variable "name" { type, default, description, sensitive, nullable, validation {…} }`.
#[derive(Debug)]
pub struct Variable {
    pub name: String,
    pub span: Span,
    pub ty: Type,
    pub default: Option<Expr>,
    pub description: Option<String>,
    pub sensitive: bool,
    pub nullable: bool,
    pub validations: Vec<Validation>,
}

/// `validation { condition = …, error_message = "…" }`.
#[derive(Debug)]
pub struct Validation {
    pub condition: Expr,
    pub error_message: Expr,
}

/// `precondition { condition, error_message }` or `postcondition { … }`.
#[derive(Debug)]
pub struct Condition {
    pub condition: Expr,
    pub error_message: Expr,
    /// The block's header.
    pub span: Span,
}

/// `check "name" { assert { condition, error_message } … }`: assertions
/// whose failures are warnings, never errors.
#[derive(Debug)]
pub struct Check {
    pub name: String,
    pub span: Span,
    pub asserts: Vec<Condition>,
}

/// One named value of a `locals` block.
#[derive(Debug)]
pub struct Local {
    pub name: String,
    pub span: Span,
    pub expr: Expr,
}

pub use crate::address::Mode;

/// A `resource` or `data` block.
#[derive(Debug)]
pub struct Resource {
    pub mode: Mode,
    pub type_name: String,
    pub name: String,
    /// The block's header: `resource "file" "inventory"`.
    pub span: Span,
    pub count: Option<Box<Expr>>,
    pub for_each: Option<Box<Expr>>,
    /// Each entry names a resource or data block.
    pub depends_on: Vec<Expr>,
    pub lifecycle: Lifecycle,
    /// The provider's arguments.
    pub attrs: Vec<Attr>,
}

impl Resource {
    /// `TYPE.NAME`, or `data.TYPE.NAME`.
    pub fn key(&self) -> String {
        match self.mode {
            Mode::Managed => format!("{}.{}", self.type_name, self.name),
            Mode::Data => format!("data.{}.{}", self.type_name, self.name),
        }
    }
}

/// `lifecycle { prevent_destroy, create_before_destroy, ignore_changes,
/// replace_triggered_by }`.
#[derive(Debug, Default)]
pub struct Lifecycle {
    pub prevent_destroy: bool,
    pub create_before_destroy: bool,
    pub ignore_changes: IgnoreChanges,
    /// References to resources (`terrace_data.a`, `terrace_data.a[0]`) or
    /// their attributes (`terrace_data.a.output`): a change to one replaces
    /// this resource.
    pub replace_triggered_by: Vec<Expr>,
    /// Checked before the instance is planned.
    pub preconditions: Vec<Condition>,
    /// Checked on the planned object (`self`), again after apply.
    pub postconditions: Vec<Condition>,
}

/// Which attribute changes a plan ignores.
#[derive(Debug, Default, Clone)]
pub enum IgnoreChanges {
    #[default]
    None,
    All,
    /// Attribute paths, each with where it is written.
    Paths(Vec<(Path, Span)>),
}

/// `output "name" { value, sensitive, description, depends_on }`.
#[derive(Debug)]
pub struct Output {
    pub name: String,
    pub span: Span,
    pub value: Expr,
    pub sensitive: bool,
    pub description: Option<String>,
    pub depends_on: Vec<Expr>,
    /// Checked before the value is recorded.
    pub preconditions: Vec<Condition>,
}

impl Architecture {
    /// An empty architecture for `dir`.
    pub fn new(dir: PathBuf, source: String) -> Architecture {
        Architecture {
            dir,
            source,
            catalog: None,
            variables: IdVec::new(),
            locals: IdVec::new(),
            resources: IdVec::new(),
            outputs: IdVec::new(),
            moved: Vec::new(),
            removed: Vec::new(),
            checks: Vec::new(),
            imports: Vec::new(),
            names: Names::default(),
        }
    }

    /// The catalog version, for an architecture from a catalog.
    pub fn version(&self) -> Option<&str> {
        self.catalog.as_ref().map(|p| p.version.as_str())
    }

    /// Adds the blocks of one parsed file.
    pub fn add_file(
        &mut self,
        parsed: hcl::edit::structure::Body,
        file: Src,
        diags: &mut Diagnostics,
    ) {
        let top = body::read(
            parsed,
            file,
            &Allowed {
                what: "an architecture",
                attrs: Some(&[]),
                blocks: &[
                    "variable", "locals", "resource", "data", "output", "moved", "removed",
                    "check", "import",
                ],
            },
            diags,
        );
        for b in top.blocks {
            match b.ident.value().as_str() {
                "variable" => self.add_variable(b, file, diags),
                "locals" => self.add_locals(b, file, diags),
                "resource" => self.add_resource(b, file, Mode::Managed, diags),
                "data" => self.add_resource(b, file, Mode::Data, diags),
                "output" => self.add_output(b, file, diags),
                "moved" => self.moved.extend(read_moved(b, file, diags)),
                "removed" => self.removed.extend(read_removed(b, file, diags)),
                "check" => self.add_check(b, file, diags),
                "import" => self.imports.extend(read_import(b, file, diags)),
                _ => unreachable!("body::read lets only the allowed blocks through"),
            }
        }
    }

    /// Adds a `variable` block (also used for the project's own variables).
    pub(super) fn add_variable(&mut self, b: Block, file: Src, diags: &mut Diagnostics) {
        let Some((name, span, mut c)) = body::named(
            b,
            file,
            &Allowed {
                what: "a variable block",
                attrs: Some(&["type", "default", "description", "sensitive", "nullable"]),
                blocks: &["validation"],
            },
            diags,
        ) else {
            return;
        };
        let ty = match c.take("type") {
            Some(a) => Type::parse(&a.expr).unwrap_or_else(|d| {
                diags.push(d);
                Type::Any
            }),
            None => Type::Any,
        };
        let mut validations = Vec::new();
        for vb in std::mem::take(&mut c.blocks) {
            let vb_span = body::header_span(&vb, file);
            let mut vc = body::read(
                vb.body,
                file,
                &Allowed {
                    what: "a validation block",
                    attrs: Some(&["condition", "error_message"]),
                    blocks: &[],
                },
                diags,
            );
            match (vc.take("condition"), vc.take("error_message")) {
                (Some(c), Some(m)) => validations.push(Validation {
                    condition: c.expr,
                    error_message: m.expr,
                }),
                _ => diags.push(
                    Diagnostic::error(
                        "config::missing_attribute",
                        "a validation block needs condition and error_message",
                    )
                    .label(vb_span, "here")
                    .help("write `condition = <bool expression>` and `error_message = \"…\"`"),
                ),
            }
        }
        let variable = Variable {
            name,
            span,
            ty,
            default: c.take("default").map(|a| a.expr),
            description: c
                .take("description")
                .and_then(|a| body::literal_string(&a, diags)),
            sensitive: c
                .take("sensitive")
                .and_then(|a| body::literal_bool(&a, diags))
                .unwrap_or(false),
            nullable: c
                .take("nullable")
                .and_then(|a| body::literal_bool(&a, diags))
                .unwrap_or(true),
            validations,
        };
        if let Some(&prev) = self.names.variables.get(&variable.name) {
            let prev = self.variables[prev].span;
            diags.push(duplicate("variable", &variable.name, variable.span, prev));
            return;
        }
        self.names
            .variables
            .insert(variable.name.clone(), self.variables.next_key());
        self.variables.push(variable);
    }

    fn add_locals(&mut self, b: Block, file: Src, diags: &mut Diagnostics) {
        if body::labels(&b, file, &[], diags).is_none() {
            return;
        }
        let c = body::read(
            b.body,
            file,
            &Allowed {
                what: "a locals block",
                attrs: None,
                blocks: &[],
            },
            diags,
        );
        for a in c.attrs {
            if let Some(&prev) = self.names.locals.get(&a.name) {
                let prev = self.locals[prev].span;
                diags.push(duplicate("local value", &a.name, a.name_span, prev));
                continue;
            }
            self.names
                .locals
                .insert(a.name.clone(), self.locals.next_key());
            self.locals.push(Local {
                name: a.name,
                span: a.name_span,
                expr: a.expr,
            });
        }
    }

    fn add_resource(&mut self, b: Block, file: Src, mode: Mode, diags: &mut Diagnostics) {
        let Some(labels) = body::labels(&b, file, &["type", "name"], diags) else {
            return;
        };
        let span = body::header_span(&b, file);
        let [(type_name, _), (name, _)] =
            <[(String, Span); 2]>::try_from(labels).expect("two labels");
        let blocks: &[&str] = match mode {
            Mode::Managed => &["lifecycle"],
            Mode::Data => &[],
        };
        let what = match mode {
            Mode::Managed => "a resource block",
            Mode::Data => "a data block",
        };
        let mut c = body::read(
            b.body,
            file,
            &Allowed {
                what,
                attrs: None,
                blocks,
            },
            diags,
        );
        let count = c.take("count").map(|a| a.expr);
        let for_each = c.take("for_each").map(|a| a.expr);
        if let (Some(cnt), Some(fe)) = (&count, &for_each) {
            diags.push(
                Diagnostic::error(
                    "config::count_and_for_each",
                    "count and for_each cannot both be set",
                )
                .label(cnt.span, "count")
                .label(fe.span, "for_each")
                .help("use one of them"),
            );
        }
        let depends_on = c
            .take("depends_on")
            .map(|a| depends_on_list(&a, diags))
            .unwrap_or_default();
        let mut lifecycle = Lifecycle::default();
        for lb in std::mem::take(&mut c.blocks) {
            read_lifecycle(lb, file, &mut lifecycle, diags);
        }
        for reserved in ["provider", "provisioner", "connection"] {
            if let Some(a) = c.take(reserved) {
                diags.push(
                    Diagnostic::error(
                        "config::unsupported_argument",
                        format!("\"{reserved}\" is not supported by terrace"),
                    )
                    .label(a.name_span, "remove this")
                    .help(
                        "terrace resources take their provider from the type; see docs/language.md",
                    ),
                );
            }
        }
        let resource = Resource {
            mode,
            type_name,
            name,
            span,
            count: count.map(Box::new),
            for_each: for_each.map(Box::new),
            depends_on,
            lifecycle,
            attrs: c.attrs,
        };
        let key = (mode, resource.type_name.clone(), resource.name.clone());
        if let Some(&prev) = self.names.resources.get(&key) {
            let prev = &self.resources[prev];
            diags.push(duplicate(
                if mode == Mode::Managed {
                    "resource"
                } else {
                    "data source"
                },
                &resource.key(),
                resource.span,
                prev.span,
            ));
            return;
        }
        self.names.resources.insert(key, self.resources.next_key());
        self.resources.push(resource);
    }

    fn add_check(&mut self, b: Block, file: Src, diags: &mut Diagnostics) {
        let Some((name, span, mut c)) = body::named(
            b,
            file,
            &Allowed {
                what: "a check block",
                attrs: Some(&[]),
                blocks: &["assert", "data"],
            },
            diags,
        ) else {
            return;
        };
        let mut asserts = Vec::new();
        for ab in std::mem::take(&mut c.blocks) {
            if ab.ident.value().as_str() == "data" {
                diags.push(
                    Diagnostic::error(
                        "config::unsupported_block",
                        "a data block inside a check block is not supported by terrace",
                    )
                    .label(body::header_span(&ab, file), "here")
                    .help("declare the data block at the top level of the architecture and refer to it from the assert"),
                );
                continue;
            }
            asserts.extend(read_condition(ab, file, diags));
        }
        if asserts.is_empty() {
            diags.push(
                Diagnostic::error(
                    "config::missing_attribute",
                    format!("check \"{name}\" has no assert block"),
                )
                .label(span, "here")
                .help("add `assert { condition = …  error_message = \"…\" }`"),
            );
            return;
        }
        if let Some(prev) = self.checks.iter().find(|x| x.name == name) {
            diags.push(duplicate("check", &name, span, prev.span));
            return;
        }
        self.checks.push(Check {
            name,
            span,
            asserts,
        });
    }

    fn add_output(&mut self, b: Block, file: Src, diags: &mut Diagnostics) {
        let Some((name, span, mut c)) = body::named(
            b,
            file,
            &Allowed {
                what: "an output block",
                attrs: Some(&["value", "sensitive", "description", "depends_on"]),
                blocks: &["precondition"],
            },
            diags,
        ) else {
            return;
        };
        let Some(value) = c.take("value") else {
            diags.push(
                Diagnostic::error(
                    "config::missing_attribute",
                    format!("output \"{name}\" has no value"),
                )
                .label(span, "here")
                .help("add `value = <expression>`"),
            );
            return;
        };
        let preconditions = std::mem::take(&mut c.blocks)
            .into_iter()
            .filter_map(|b| read_condition(b, file, diags))
            .collect();
        let output = Output {
            preconditions,
            name,
            span,
            value: value.expr,
            sensitive: c
                .take("sensitive")
                .and_then(|a| body::literal_bool(&a, diags))
                .unwrap_or(false),
            description: c
                .take("description")
                .and_then(|a| body::literal_string(&a, diags)),
            depends_on: c
                .take("depends_on")
                .map(|a| depends_on_list(&a, diags))
                .unwrap_or_default(),
        };
        if let Some(&prev) = self.names.outputs.get(&output.name) {
            let prev = self.outputs[prev].span;
            diags.push(duplicate("output", &output.name, output.span, prev));
            return;
        }
        self.names
            .outputs
            .insert(output.name.clone(), self.outputs.next_key());
        self.outputs.push(output);
    }
}

/// A `precondition` or `postcondition` block.
fn read_condition(b: Block, file: Src, diags: &mut Diagnostics) -> Option<Condition> {
    let kind = b.ident.value().to_string();
    body::labels(&b, file, &[], diags)?;
    let span = body::header_span(&b, file);
    let what = format!("a {kind} block");
    let mut c = body::read(
        b.body,
        file,
        &Allowed {
            what: &what,
            attrs: Some(&["condition", "error_message"]),
            blocks: &[],
        },
        diags,
    );
    match (c.take("condition"), c.take("error_message")) {
        (Some(cond), Some(m)) => Some(Condition {
            condition: cond.expr,
            error_message: m.expr,
            span,
        }),
        _ => {
            diags.push(
                Diagnostic::error(
                    "config::missing_attribute",
                    format!("a {kind} block needs condition and error_message"),
                )
                .label(span, "here")
                .help("write `condition = <bool expression>` and `error_message = \"…\"`"),
            );
            None
        }
    }
}

fn read_lifecycle(b: Block, file: Src, out: &mut Lifecycle, diags: &mut Diagnostics) {
    let mut c = body::read(
        b.body,
        file,
        &Allowed {
            what: "a lifecycle block",
            attrs: Some(&[
                "prevent_destroy",
                "create_before_destroy",
                "ignore_changes",
                "replace_triggered_by",
            ]),
            blocks: &["precondition", "postcondition"],
        },
        diags,
    );
    for cb in std::mem::take(&mut c.blocks) {
        let post = cb.ident.value().as_str() == "postcondition";
        if let Some(cond) = read_condition(cb, file, diags) {
            if post {
                out.postconditions.push(cond);
            } else {
                out.preconditions.push(cond);
            }
        }
    }
    if let Some(a) = c.take("prevent_destroy") {
        out.prevent_destroy = body::literal_bool(&a, diags).unwrap_or(false);
    }
    if let Some(a) = c.take("create_before_destroy") {
        out.create_before_destroy = body::literal_bool(&a, diags).unwrap_or(false);
    }
    if let Some(a) = c.take("replace_triggered_by") {
        out.replace_triggered_by = replace_triggers(&a, diags);
    }
    if let Some(a) = c.take("ignore_changes") {
        out.ignore_changes = match &a.expr.kind {
            ExprKind::Variable(v) if v == "all" => IgnoreChanges::All,
            ExprKind::Array(items) => IgnoreChanges::Paths(
                items
                    .iter()
                    .filter_map(|i| attribute_path(i, diags).map(|p| (p, i.span)))
                    .collect(),
            ),
            _ => {
                diags.push(
                    Diagnostic::error(
                        "config::invalid_ignore_changes",
                        "ignore_changes must be `all` or a list of attribute names",
                    )
                    .label(a.expr.span, "here")
                    .help("write e.g. `ignore_changes = [content, input.tags]`"),
                );
                IgnoreChanges::None
            }
        };
    }
}

/// An attribute path written as a traversal: `input.tags["env"]`, `content`.
fn attribute_path(e: &Expr, diags: &mut Diagnostics) -> Option<Path> {
    use super::expr::TraverserKind;
    let fail = |diags: &mut Diagnostics| {
        diags.push(
            Diagnostic::error("config::invalid_ignore_changes", "not an attribute path")
                .label(e.span, "here")
                .help("name an attribute of this resource, e.g. `content` or `input.tags`"),
        );
        None
    };
    match &e.kind {
        ExprKind::Variable(v) => Some(Path::attr(v.as_str())),
        ExprKind::Literal(crate::value::Value::String(s)) => Some(Path::attr(s.as_str())),
        ExprKind::Traversal(root, ops) => {
            let ExprKind::Variable(r) = &root.kind else {
                return fail(diags);
            };
            let mut steps = vec![PathStep::Attr(r.clone())];
            for op in ops {
                match (&op.kind, op.kind.literal_index()) {
                    (TraverserKind::Attr(a), _) => steps.push(PathStep::Attr(a.clone())),
                    (_, Some(v)) => match (v.as_str(), v) {
                        (Some(s), _) => steps.push(PathStep::Attr(s.to_string())),
                        (None, crate::value::Value::Number(n))
                            if n.as_i64().is_some_and(|i| i >= 0) =>
                        {
                            steps.push(PathStep::Index(n.as_i64().unwrap_or(0) as usize))
                        }
                        _ => return fail(diags),
                    },
                    _ => return fail(diags),
                }
            }
            Some(Path::from(steps))
        }
        _ => fail(diags),
    }
}

/// `replace_triggered_by = [a.b, a.b[0], a.b.attr]`: each must be a
/// reference to a managed resource, an instance, or an attribute of one.
fn replace_triggers(a: &Attr, diags: &mut Diagnostics) -> Vec<Expr> {
    use super::expr::TraverserKind;
    let fail = |diags: &mut Diagnostics, span: Span| {
        diags.push(
            Diagnostic::error(
                "config::invalid_replace_triggered_by",
                "replace_triggered_by entries must be references to resources or their attributes",
            )
            .label(span, "here")
            .help("write e.g. `replace_triggered_by = [terrace_data.a, terrace_data.b.output]`"),
        );
    };
    let ExprKind::Array(items) = &a.expr.kind else {
        fail(diags, a.expr.span);
        return Vec::new();
    };
    items
        .iter()
        .filter(|i| {
            let ok = match &i.kind {
                ExprKind::Traversal(root, ops) => {
                    matches!(&root.kind, ExprKind::Variable(v) if !matches!(v.as_str(), "data" | "var" | "local" | "each" | "count" | "path"))
                        && matches!(ops.first().map(|o| &o.kind), Some(TraverserKind::Attr(_)))
                        && ops.iter().all(|o| !matches!(o.kind, TraverserKind::Splat { .. }))
                }
                _ => false,
            };
            if !ok {
                fail(diags, i.span);
            }
            ok
        })
        .cloned()
        .collect()
}

/// `depends_on = [a.b, data.c.d]`: each must be a bare reference.
fn depends_on_list(a: &Attr, diags: &mut Diagnostics) -> Vec<Expr> {
    match &a.expr.kind {
        ExprKind::Array(items) => items
            .iter()
            .filter(|i| {
                let path = i.as_static_path();
                // A whole object: var.x, local.x, TYPE.NAME, data.TYPE.NAME.
                let whole = match path.as_deref() {
                    Some(["data", ..]) => path.as_ref().map(Vec::len) == Some(3),
                    Some(p) => p.len() == 2,
                    None => true,
                };
                if !whole {
                    let p = path.unwrap_or_default();
                    let object = p[..if p[0] == "data" { 3 } else { 2 }.min(p.len())].join(".");
                    diags.push(
                        Diagnostic::error(
                            "config::invalid_depends_on",
                            "depends_on must name a whole object, not an attribute of one",
                        )
                        .label(i.span, "an attribute")
                        .help(format!("write `{object}`: the dependency is on the object")),
                    );
                    return false;
                }
                let ok = path.is_some();
                if !ok {
                    diags.push(
                        Diagnostic::error(
                            "config::invalid_depends_on",
                            "depends_on entries must be references",
                        )
                        .label(i.span, "not a reference")
                        .help("name a resource, e.g. `terrace_data.vpc`"),
                    );
                }
                ok
            })
            .cloned()
            .collect(),
        _ => {
            diags.push(
                Diagnostic::error("config::invalid_depends_on", "depends_on must be a list")
                    .label(a.expr.span, "here")
                    .help("write `depends_on = [terrace_data.vpc]`"),
            );
            Vec::new()
        }
    }
}

/// A "declared twice" diagnostic.
pub fn duplicate(kind: &str, name: &str, span: Span, prev: Span) -> Diagnostic {
    Diagnostic::error(
        "config::duplicate",
        format!("{kind} \"{name}\" is declared twice"),
    )
    .label(span, "declared again here")
    .label(prev, "first declared here")
    .help(format!("rename or remove one of the two {kind} blocks"))
}
