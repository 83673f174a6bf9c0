//! Expressions: a compact tree converted from hcl-edit's, keeping a span on
//! every node so that evaluation errors point at the exact sub-expression.
//!
//! hcl-edit's tree carries formatting (decor) that evaluation never needs;
//! converting once at load time keeps memory small for large projects and
//! lets template whitespace stripping (`~`) be resolved up front.

use crate::diag::{FileId, Span};
use crate::value::{Number, Value};
use hcl::edit::Span as _;
use hcl::edit::expr::{self as hx, TraversalOperator};
use hcl::edit::template::{self as ht, Element};

pub use hcl::edit::expr::{BinaryOperator, UnaryOperator};

/// Where a parsed piece of text sits: its file, and the byte offset of
/// the piece in the file (not zero when a large file is parsed in pieces).
#[derive(Debug, Clone, Copy)]
pub struct Src {
    pub file: FileId,
    pub base: u32,
}

impl Src {
    /// A whole file.
    pub fn file(file: FileId) -> Src {
        Src { file, base: 0 }
    }

    /// The span of a range hcl-edit reports.
    pub fn span(self, r: Option<std::ops::Range<usize>>) -> Span {
        let r = r.unwrap_or(0..0);
        let base = self.base as usize;
        Span::new(self.file, r.start + base..r.end + base)
    }
}

thread_local! {
    /// The text of the file being converted: a `<<-` heredoc's lines are
    /// read from it as written, since hcl-edit hands them over dedented.
    static SOURCE: std::cell::RefCell<Option<(FileId, std::sync::Arc<str>)>> =
        const { std::cell::RefCell::new(None) };
}

/// Runs `f`, which converts expressions of `file`, with the file's text at
/// hand.
pub fn with_source<R>(file: FileId, text: std::sync::Arc<str>, f: impl FnOnce() -> R) -> R {
    let previous = SOURCE.with(|s| s.replace(Some((file, text))));
    let out = f();
    SOURCE.with(|s| *s.borrow_mut() = previous);
    out
}

/// The text of `span` as written in its file, if the file is at hand.
fn written(span: Span) -> Option<String> {
    SOURCE.with(|s| {
        let s = s.borrow();
        let (file, text) = s.as_ref()?;
        (*file == span.file)
            .then(|| {
                text.get(span.start as usize..span.end as usize)
                    .map(str::to_string)
            })
            .flatten()
    })
}

/// An expression with its location.
#[derive(Debug, Clone)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

/// The kinds of expression HCL has.
#[derive(Debug, Clone)]
pub enum ExprKind {
    /// `null`, `true`, `1.5`, `"text"`.
    Literal(Value),
    Array(Vec<Expr>),
    Object(Vec<(ObjectKey, Expr)>),
    /// A string or heredoc with interpolations or directives.
    Template(Vec<TemplatePart>),
    /// A bare name: the root of a reference (`var`, `each`) or a loop variable.
    Variable(String),
    /// `root.attr[index][*].attr`.
    Traversal(Box<Expr>, Vec<Traverser>),
    Call {
        name: String,
        args: Vec<Expr>,
        /// `f(list...)`: the last argument is expanded into arguments.
        expand_final: bool,
    },
    Conditional(Box<Expr>, Box<Expr>, Box<Expr>),
    Unary(UnaryOperator, Box<Expr>),
    Binary(BinaryOperator, Box<Expr>, Box<Expr>),
    For(Box<ForExpr>),
}

/// An object key: `name = …` (a literal name) or `(expr) = …` / `"k" = …`.
#[derive(Debug, Clone)]
pub enum ObjectKey {
    Name(String, Span),
    Expr(Box<Expr>),
}

/// One step of a traversal.
#[derive(Debug, Clone)]
pub struct Traverser {
    pub kind: TraverserKind,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum TraverserKind {
    Attr(String),
    Index(Box<Expr>),
    /// `[*]`: the rest of the traversal applies to every element. The
    /// legacy `.*` (`legacy`) applies only the attribute names right after
    /// it to every element; an index after them applies to the result.
    Splat {
        legacy: bool,
    },
}

impl TraverserKind {
    /// The value of a literal index (`[0]`, `["a"]`), if this is one.
    pub fn literal_index(&self) -> Option<&Value> {
        match self {
            TraverserKind::Index(e) => match &e.kind {
                ExprKind::Literal(v) => Some(v),
                _ => None,
            },
            _ => None,
        }
    }
}

/// `[for k, v in coll : key => value if cond]`.
#[derive(Debug, Clone)]
pub struct ForExpr {
    pub key_var: Option<String>,
    pub value_var: String,
    pub collection: Expr,
    pub key: Option<Expr>,
    pub value: Expr,
    pub grouping: bool,
    pub cond: Option<Expr>,
}

/// A piece of a template, with `~` whitespace stripping already applied.
#[derive(Debug, Clone)]
pub enum TemplatePart {
    Literal(String),
    Interp(Expr),
    If {
        cond: Expr,
        then: Vec<TemplatePart>,
        otherwise: Vec<TemplatePart>,
    },
    For {
        key_var: Option<String>,
        value_var: String,
        collection: Expr,
        body: Vec<TemplatePart>,
    },
}

/// A reference found in an expression: `var.cidr`, `file.inv[0].path`.
#[derive(Debug, Clone)]
pub struct Reference {
    pub root: String,
    /// Static steps after the root (attribute names and literal indices).
    pub steps: Vec<RefStep>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RefStep {
    Attr(String),
    Index(Value),
}

impl Reference {
    /// The name of the `n`th attribute step, if it is one.
    pub fn attr(&self, n: usize) -> Option<&str> {
        match self.steps.get(n) {
            Some(RefStep::Attr(a)) => Some(a),
            _ => None,
        }
    }
}

impl Expr {
    /// Converts a parsed hcl-edit expression from file `file`.
    pub fn from_hcl(e: &hx::Expression, file: Src) -> Expr {
        Converter { file }.expr(e)
    }

    /// Converts a template file's text (`templatefile()`): its text is
    /// one token per line, as in a heredoc, for the `~` markers.
    pub fn from_template_file(t: &ht::Template, file: Src) -> Expr {
        let c = Converter { file };
        let span = file.span(None);
        Expr {
            kind: c.template(t, span, Some((false, 0))),
            span,
        }
    }

    /// A literal string value, when the expression is one.
    pub fn as_literal_str(&self) -> Option<&str> {
        match &self.kind {
            ExprKind::Literal(Value::String(s)) => Some(s),
            ExprKind::Template(parts) if parts.is_empty() => Some(""),
            _ => None,
        }
    }

    /// A bare traversal `a.b.c` as its names, for `depends_on`, `ignore_changes`
    /// and type constraints.
    pub fn as_static_path(&self) -> Option<Vec<&str>> {
        match &self.kind {
            ExprKind::Variable(v) => Some(vec![v]),
            ExprKind::Traversal(root, ops) => {
                let ExprKind::Variable(r) = &root.kind else {
                    return None;
                };
                let mut out = vec![r.as_str()];
                for op in ops {
                    match &op.kind {
                        TraverserKind::Attr(a) => out.push(a),
                        _ => return None,
                    }
                }
                Some(out)
            }
            _ => None,
        }
    }

    /// Every reference this expression makes, loop variables excluded.
    pub fn references(&self) -> Vec<Reference> {
        self.found().refs
    }

    /// Every function this expression calls, with the call's span.
    pub fn calls(&self) -> Vec<(&str, Span)> {
        self.found().calls
    }

    fn found(&self) -> Found<'_> {
        let mut out = Found::default();
        let mut scope = Vec::new();
        collect_refs(self, &mut scope, &mut out);
        out
    }
}

/// What a walk over an expression finds.
#[derive(Default)]
struct Found<'a> {
    refs: Vec<Reference>,
    calls: Vec<(&'a str, Span)>,
}

fn collect_refs<'a>(e: &'a Expr, scope: &mut Vec<&'a str>, out: &mut Found<'a>) {
    match &e.kind {
        ExprKind::Literal(_) => {}
        ExprKind::Array(items) => items.iter().for_each(|i| collect_refs(i, scope, out)),
        ExprKind::Object(items) => {
            for (k, v) in items {
                if let ObjectKey::Expr(k) = k {
                    collect_refs(k, scope, out);
                }
                collect_refs(v, scope, out);
            }
        }
        ExprKind::Template(parts) => collect_template_refs(parts, scope, out),
        ExprKind::Variable(name) => {
            if !scope.contains(&name.as_str()) {
                out.refs.push(Reference {
                    root: name.clone(),
                    steps: Vec::new(),
                    span: e.span,
                });
            }
        }
        ExprKind::Traversal(root, ops) => {
            let mut static_part = true;
            let mut steps = Vec::new();
            let mut end = root.span;
            for op in ops {
                match (&op.kind, op.kind.literal_index()) {
                    (TraverserKind::Attr(a), _) if static_part => {
                        steps.push(RefStep::Attr(a.clone()));
                        end = op.span;
                    }
                    (_, Some(v)) if static_part => {
                        steps.push(RefStep::Index(v.clone()));
                        end = op.span;
                    }
                    (TraverserKind::Index(ix), _) => {
                        static_part = false;
                        collect_refs(ix, scope, out);
                    }
                    _ => static_part = false,
                }
            }
            match &root.kind {
                ExprKind::Variable(name) if !scope.contains(&name.as_str()) => {
                    out.refs.push(Reference {
                        root: name.clone(),
                        steps,
                        span: root.span.to(end),
                    })
                }
                ExprKind::Variable(_) => {}
                _ => collect_refs(root, scope, out),
            }
        }
        ExprKind::Call { name, args, .. } => {
            out.calls.push((name, e.span));
            args.iter().for_each(|a| collect_refs(a, scope, out));
        }
        ExprKind::Conditional(c, t, f) => {
            collect_refs(c, scope, out);
            collect_refs(t, scope, out);
            collect_refs(f, scope, out);
        }
        ExprKind::Unary(_, x) => collect_refs(x, scope, out),
        ExprKind::Binary(_, l, r) => {
            collect_refs(l, scope, out);
            collect_refs(r, scope, out);
        }
        ExprKind::For(f) => {
            collect_refs(&f.collection, scope, out);
            let depth = scope.len();
            scope.extend(f.key_var.as_deref());
            scope.push(&f.value_var);
            if let Some(k) = &f.key {
                collect_refs(k, scope, out);
            }
            collect_refs(&f.value, scope, out);
            if let Some(c) = &f.cond {
                collect_refs(c, scope, out);
            }
            scope.truncate(depth);
        }
    }
}

fn collect_template_refs<'a>(
    parts: &'a [TemplatePart],
    scope: &mut Vec<&'a str>,
    out: &mut Found<'a>,
) {
    for part in parts {
        match part {
            TemplatePart::Literal(_) => {}
            TemplatePart::Interp(e) => collect_refs(e, scope, out),
            TemplatePart::If {
                cond,
                then,
                otherwise,
            } => {
                collect_refs(cond, scope, out);
                collect_template_refs(then, scope, out);
                collect_template_refs(otherwise, scope, out);
            }
            TemplatePart::For {
                key_var,
                value_var,
                collection,
                body,
            } => {
                collect_refs(collection, scope, out);
                let depth = scope.len();
                scope.extend(key_var.as_deref());
                scope.push(value_var);
                collect_template_refs(body, scope, out);
                scope.truncate(depth);
            }
        }
    }
}

struct Converter {
    file: Src,
}

impl Converter {
    fn span(&self, s: Option<std::ops::Range<usize>>) -> Span {
        self.file.span(s)
    }

    fn expr(&self, e: &hx::Expression) -> Expr {
        let span = self.span(e.span());
        let kind = match e {
            hx::Expression::Null(_) => ExprKind::Literal(Value::Null),
            hx::Expression::Bool(b) => ExprKind::Literal(Value::Bool(*b.value())),
            hx::Expression::Number(n) => {
                // The literal's own text, read at 512 bits as Terraform
                // does; hcl-edit's value is only a 64-bit float.
                let num = n
                    .as_repr()
                    .and_then(|r| Number::literal(r))
                    .or_else(|| n.value().as_i64().map(Number::int))
                    .unwrap_or_else(|| Number::from_f64(n.value().as_f64().unwrap_or(f64::NAN)));
                ExprKind::Literal(Value::Number(num))
            }
            hx::Expression::String(s) => ExprKind::Literal(Value::String(s.value().to_string())),
            hx::Expression::Array(a) => ExprKind::Array(a.iter().map(|x| self.expr(x)).collect()),
            hx::Expression::Object(o) => ExprKind::Object({
                // Sized exactly: collecting from this iterator reserved four
                // entries at least, twice what most objects hold.
                let mut entries = Vec::with_capacity(o.len());
                entries.extend(o.iter().map(|(k, v)| {
                    let key = match k {
                        hx::ObjectKey::Ident(id) => {
                            ObjectKey::Name(id.value().to_string(), self.span(id.span()))
                        }
                        hx::ObjectKey::Expression(x) => match x {
                            // `{ foo = 1 }` written as a bare variable is a literal name.
                            hx::Expression::Variable(v) => {
                                ObjectKey::Name(v.value().to_string(), self.span(v.span()))
                            }
                            x => ObjectKey::Expr(Box::new(self.expr(x))),
                        },
                    };
                    (key, self.expr(v.expr()))
                }));
                entries
            }),
            hx::Expression::StringTemplate(t) => self.template(t, span, None),
            hx::Expression::HeredocTemplate(h) => {
                // hcl-edit keeps no indentation only where HCL's
                // smallest indentation is zero: there is nothing to remove.
                let indent = h.indent();
                self.template(
                    &h.template,
                    span,
                    Some((indent.is_some(), indent.unwrap_or(0))),
                )
            }
            hx::Expression::Parenthesis(p) => return self.expr(p.inner()),
            hx::Expression::Variable(v) => ExprKind::Variable(v.value().to_string()),
            hx::Expression::Conditional(c) => ExprKind::Conditional(
                Box::new(self.expr(&c.cond_expr)),
                Box::new(self.expr(&c.true_expr)),
                Box::new(self.expr(&c.false_expr)),
            ),
            hx::Expression::FuncCall(f) => {
                let mut name: Vec<&str> = f
                    .name
                    .namespace
                    .iter()
                    .map(|n| n.value().as_str())
                    .collect();
                name.push(f.name.name.value().as_str());
                ExprKind::Call {
                    name: name.join("::"),
                    args: f.args.iter().map(|a| self.expr(a)).collect(),
                    expand_final: f.args.expand_final(),
                }
            }
            hx::Expression::Traversal(t) => ExprKind::Traversal(
                Box::new(self.expr(&t.expr)),
                t.operators
                    .iter()
                    .map(|op| Traverser {
                        span: self.span(op.span()),
                        kind: match op.value() {
                            TraversalOperator::AttrSplat(_) => {
                                TraverserKind::Splat { legacy: true }
                            }
                            TraversalOperator::FullSplat(_) => {
                                TraverserKind::Splat { legacy: false }
                            }
                            TraversalOperator::GetAttr(a) => {
                                TraverserKind::Attr(a.value().to_string())
                            }
                            TraversalOperator::Index(x) => {
                                TraverserKind::Index(Box::new(self.expr(x)))
                            }
                            TraversalOperator::LegacyIndex(i) => {
                                TraverserKind::Index(Box::new(Expr {
                                    kind: ExprKind::Literal(Value::int(*i.value() as i64)),
                                    span: self.span(i.span()),
                                }))
                            }
                        },
                    })
                    .collect(),
            ),
            hx::Expression::UnaryOp(u) => {
                ExprKind::Unary(*u.operator.value(), Box::new(self.expr(&u.expr)))
            }
            hx::Expression::BinaryOp(b) => ExprKind::Binary(
                *b.operator.value(),
                Box::new(self.expr(&b.lhs_expr)),
                Box::new(self.expr(&b.rhs_expr)),
            ),
            hx::Expression::ForExpr(f) => ExprKind::For(Box::new(ForExpr {
                key_var: f.intro.key_var.as_ref().map(|k| k.value().to_string()),
                value_var: f.intro.value_var.value().to_string(),
                collection: self.expr(&f.intro.collection_expr),
                key: f.key_expr.as_ref().map(|k| self.expr(k)),
                value: self.expr(&f.value_expr),
                grouping: f.grouping,
                cond: f.cond.as_ref().map(|c| self.expr(&c.expr)),
            })),
        };
        Expr { kind, span }
    }

    /// Converts a quoted template (`heredoc` is `None`) or a heredoc
    /// (`Some(indented)`), applying `~` strip markers and the `<<-`
    /// dedent the way HCL does: on a flat list of tokens in which a
    /// heredoc's text is one token per line. A strip marker trims only the
    /// token next to it, so `%{ for … ~}` removes the rest of its own line
    /// and keeps the next line's indentation; `<<-` removes the smallest
    /// indentation of the tokens that start a line once markers are applied.
    fn template(&self, t: &ht::Template, span: Span, heredoc: Option<(bool, usize)>) -> ExprKind {
        let mut toks = Vec::new();
        let reindent = heredoc.map_or(0, |(_, n)| n);
        self.flatten(t, &mut toks, reindent, true);
        if heredoc.is_some() {
            toks = split_lines(toks);
        }
        apply_strips(&mut toks);
        if let Some((true, _)) = heredoc {
            flush_heredoc(&mut toks);
        }
        let parts = build_parts(&mut toks.into_iter().peekable());
        match parts.as_slice() {
            [] => ExprKind::Literal(Value::string("")),
            [TemplatePart::Literal(s)] => ExprKind::Literal(Value::String(s.clone())),
            // "${x}" alone yields x itself, not its string form (as in HCL).
            [TemplatePart::Interp(e)] if t.iter().count() == 1 && heredoc.is_none() => {
                let mut e = e.clone();
                e.span = span;
                e.kind
            }
            _ => ExprKind::Template(parts),
        }
    }

    /// Appends `t`'s elements to `out` as tokens. hcl-edit has already
    /// removed `reindent` spaces from the lines of a `<<-` heredoc's
    /// top-level text (not from text inside directives); they are put back
    /// so that the dedent is done once, on every line, as HCL does.
    fn flatten(&self, t: &ht::Template, out: &mut Vec<Tok>, reindent: usize, top: bool) {
        let mut skip_first = false;
        let elements: Vec<&Element> = t.iter().collect();
        for (i, el) in elements.iter().enumerate() {
            match el {
                Element::Literal(s) => {
                    let text: &str = s.value();
                    // A `<<-` heredoc's top-level text as written (only
                    // `$${` and `%%{` are escapes in a heredoc).
                    let raw = (top && reindent > 0)
                        .then(|| s.span().and_then(|r| written(self.span(Some(r)))))
                        .flatten()
                        .map(|w| w.replace("$${", "${").replace("%%{", "%{"))
                        .filter(|w| w.split_whitespace().eq(text.split_whitespace()));
                    let text = if let Some(raw) = raw {
                        raw
                    } else if top && reindent > 0 {
                        let before_sequence =
                            !matches!(elements.get(i + 1), None | Some(Element::Literal(_)));
                        indent_lines(text, reindent, skip_first, before_sequence)
                    } else {
                        text.to_string()
                    };
                    skip_first = !text.ends_with('\n');
                    out.push(Tok::Lit(text));
                }
                Element::Interpolation(ip) => {
                    skip_first = true;
                    out.push(Tok::Interp(
                        self.expr(&ip.expr),
                        ip.strip.strip_start(),
                        ip.strip.strip_end(),
                    ));
                }
                Element::Directive(d) => {
                    skip_first = true;
                    match &**d {
                        ht::Directive::If(d) => {
                            let s = &d.if_expr.strip;
                            out.push(Tok::If(
                                self.expr(&d.if_expr.cond_expr),
                                s.strip_start(),
                                s.strip_end(),
                            ));
                            self.flatten(&d.if_expr.template, out, reindent, false);
                            if let Some(e) = &d.else_expr {
                                out.push(Tok::Else(e.strip.strip_start(), e.strip.strip_end()));
                                self.flatten(&e.template, out, reindent, false);
                            }
                            let s = &d.endif_expr.strip;
                            out.push(Tok::End(s.strip_start(), s.strip_end()));
                        }
                        ht::Directive::For(d) => {
                            let f = &d.for_expr;
                            out.push(Tok::For(
                                f.key_var.as_ref().map(|k| k.value().to_string()),
                                f.value_var.value().to_string(),
                                self.expr(&f.collection_expr),
                                f.strip.strip_start(),
                                f.strip.strip_end(),
                            ));
                            self.flatten(&f.template, out, reindent, false);
                            let s = &d.endfor_expr.strip;
                            out.push(Tok::End(s.strip_start(), s.strip_end()));
                        }
                    }
                }
            }
        }
    }
}

/// A template token: text, or a sequence with its `~` markers (before,
/// after).
enum Tok {
    Lit(String),
    Interp(Expr, bool, bool),
    If(Expr, bool, bool),
    Else(bool, bool),
    For(Option<String>, String, Expr, bool, bool),
    /// `endif` or `endfor`.
    End(bool, bool),
}

impl Tok {
    fn strips(&self) -> (bool, bool) {
        match self {
            Tok::Lit(_) => (false, false),
            Tok::Interp(_, a, b)
            | Tok::If(_, a, b)
            | Tok::Else(a, b)
            | Tok::For(_, _, _, a, b)
            | Tok::End(a, b) => (*a, *b),
        }
    }
}

/// Puts back `n` spaces at the start of every non-empty line (but the
/// first when `skip_first`), undoing hcl-edit's dedent. A line that ends
/// the text right before an interpolation or directive had its spaces too:
/// hcl-edit dedents only when no sequence starts a line.
fn indent_lines(text: &str, n: usize, skip_first: bool, before_sequence: bool) -> String {
    let pad = " ".repeat(n);
    let mut out = String::with_capacity(text.len() + n);
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if !(i == 0 && skip_first) && line != "\n" {
            out.push_str(&pad);
        }
        out.push_str(line);
    }
    if before_sequence && (out.ends_with('\n') || (out.is_empty() && !skip_first)) {
        out.push_str(&pad);
    }
    out
}

/// A heredoc's text as one token per line, as HCL scans it.
fn split_lines(toks: Vec<Tok>) -> Vec<Tok> {
    let mut out = Vec::with_capacity(toks.len());
    for t in toks {
        match t {
            Tok::Lit(s) => out.extend(s.split_inclusive('\n').map(|l| Tok::Lit(l.to_string()))),
            other => out.push(other),
        }
    }
    out
}

/// Applies `~` markers to the text token right before or after them.
fn apply_strips(toks: &mut [Tok]) {
    for i in 0..toks.len() {
        let (before, after) = toks[i].strips();
        if before
            && i > 0
            && let Tok::Lit(s) = &mut toks[i - 1]
        {
            s.truncate(s.trim_end().len());
        }
        if after && let Some(Tok::Lit(s)) = toks.get_mut(i + 1) {
            *s = s.trim_start().to_string();
        }
    }
}

/// The `<<-` dedent: the smallest indentation of the tokens that start a
/// line (a sequence there counts as none; blank lines do not count) is
/// removed from each text token that starts a line.
fn flush_heredoc(toks: &mut [Tok]) {
    let mut min = usize::MAX;
    let mut newline = true;
    let mut adjust = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        if newline {
            newline = false;
            let spaces = match t {
                Tok::Lit(s) => {
                    let trimmed = s.trim_start();
                    if trimmed.is_empty() && s.ends_with('\n') {
                        usize::MAX
                    } else {
                        adjust.push(i);
                        s[..s.len() - trimmed.len()].chars().count()
                    }
                }
                _ => 0,
            };
            min = min.min(spaces);
        }
        if let Tok::Lit(s) = t {
            newline = s.ends_with('\n');
        }
    }
    if min == usize::MAX || min == 0 {
        return;
    }
    for i in adjust {
        if let Tok::Lit(s) = &mut toks[i] {
            let cut: usize = s.chars().take(min).map(char::len_utf8).sum();
            s.drain(..cut);
        }
    }
}

/// The template parts of `toks` up to the `else` or `end` that closes the
/// enclosing directive.
fn build_parts(toks: &mut std::iter::Peekable<std::vec::IntoIter<Tok>>) -> Vec<TemplatePart> {
    let mut out = Vec::new();
    while let Some(t) = toks.peek() {
        if matches!(t, Tok::Else(..) | Tok::End(..)) {
            break;
        }
        match toks.next() {
            Some(Tok::Lit(s)) => {
                if s.is_empty() {
                    continue;
                }
                if let Some(TemplatePart::Literal(prev)) = out.last_mut() {
                    prev.push_str(&s);
                } else {
                    out.push(TemplatePart::Literal(s));
                }
            }
            Some(Tok::Interp(e, ..)) => out.push(TemplatePart::Interp(e)),
            Some(Tok::If(cond, ..)) => {
                let then = build_parts(toks);
                let otherwise = if matches!(toks.peek(), Some(Tok::Else(..))) {
                    toks.next();
                    build_parts(toks)
                } else {
                    Vec::new()
                };
                toks.next(); // endif
                out.push(TemplatePart::If {
                    cond,
                    then,
                    otherwise,
                });
            }
            Some(Tok::For(key_var, value_var, collection, ..)) => {
                let body = build_parts(toks);
                toks.next(); // endfor
                out.push(TemplatePart::For {
                    key_var,
                    value_var,
                    collection,
                    body,
                });
            }
            _ => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(src: &str) -> Expr {
        let e = hcl::edit::parser::parse_expr(src).unwrap();
        Expr::from_hcl(&e, Src::file(FileId(0)))
    }

    #[test]
    fn references_skip_loop_variables() {
        let e = parse("[for k, v in var.m : \"${k}=${v}-${local.x}\" if v != each.key]");
        let refs: Vec<String> = e
            .references()
            .iter()
            .map(|r| format!("{}.{}", r.root, r.attr(0).unwrap_or("")))
            .collect();
        assert_eq!(refs, ["var.m", "local.x", "each.key"]);
    }

    #[test]
    fn static_steps_stop_at_dynamic_index() {
        let e = parse("file.f[0].path[var.i].x");
        let refs = e.references();
        assert_eq!(refs.len(), 2);
        assert_eq!(refs[0].root, "var");
        assert_eq!(refs[1].root, "file");
        assert_eq!(
            refs[1].steps,
            [
                RefStep::Attr("f".into()),
                RefStep::Index(Value::int(0)),
                RefStep::Attr("path".into())
            ]
        );
    }

    #[test]
    fn indented_heredocs_are_dedented_inside_directives_too() {
        let e = parse("<<-EOT\n    %{ if true }\n    yes\n    %{ endif }\n    EOT");
        let ExprKind::Template(parts) = e.kind else {
            panic!("not a template: {e:?}")
        };
        let TemplatePart::If { then, .. } = &parts[0] else {
            panic!("not an if: {parts:?}")
        };
        assert!(
            matches!(&then[0], TemplatePart::Literal(s) if s == "\nyes\n"),
            "{then:?}"
        );
    }

    #[test]
    fn strip_markers_trim_adjacent_literals() {
        let e = parse("\"a  ${~ \"b\" ~}  c\"");
        let ExprKind::Template(parts) = e.kind else {
            panic!("not a template: {e:?}")
        };
        assert!(matches!(&parts[0], TemplatePart::Literal(s) if s == "a"));
        assert!(matches!(&parts[2], TemplatePart::Literal(s) if s == "c"));
    }
}
