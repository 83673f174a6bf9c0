//! Evaluating one expression against a [`Resolver`] that supplies the
//! values of references (`var.x`, `terrace_data.vpc`, `each.key`).
//!
//! Unknown values propagate (an operation on an unknown value is unknown;
//! a conditional on an unknown condition is unknown) and so do sensitive
//! marks. `&&`, `||` and `? :` evaluate only what they need, so
//! `length(l) > 0 ? l[0] : ""` works on an empty list.

use super::functions;
use super::ops;
use super::types::{self, Kind, Ty};
use crate::config::expr::{
    BinaryOperator, Expr, ExprKind, ForExpr, ObjectKey, RefStep, TemplatePart, Traverser,
    TraverserKind,
};
use crate::diag::{Diagnostic, ExprValue, Span, did_you_mean};
use crate::value::{Map, Value, hide_sensitive, sensitive_texts};
use std::path::Path;

/// An evaluation error, located at the sub-expression that failed.
#[derive(Debug, Clone)]
pub struct EvalError {
    pub message: String,
    pub span: Span,
    pub help: Option<String>,
    /// The values of the references in the sub-expression that failed.
    pub values: Vec<ExprValue>,
}

impl EvalError {
    pub fn new(span: Span, message: impl Into<String>) -> EvalError {
        EvalError {
            message: message.into(),
            span,
            help: None,
            values: Vec::new(),
        }
    }

    pub fn help(mut self, help: impl Into<String>) -> EvalError {
        self.help = Some(help.into());
        self
    }

    /// As a diagnostic with code `eval::error`.
    pub fn into_diagnostic(self) -> Diagnostic {
        let mut d = Diagnostic::error("eval::error", self.message)
            .label(self.span, "while evaluating this")
            .values(self.values);
        d.help = self.help;
        d
    }
}

/// An error about operands, each with whether it is sensitive: the
/// values of the sensitive ones (and what is derived from them, such as
/// `upper(var.password)`) are shown as `(sensitive value)`.
fn operand_error(span: Span, message: String, operands: &[(&Value, bool)]) -> EvalError {
    let hidden: Vec<Value> = operands
        .iter()
        .filter(|(_, sensitive)| *sensitive)
        .map(|(v, _)| Value::Sensitive(Box::new((*v).clone())))
        .collect();
    if hidden.is_empty() {
        return EvalError::new(span, message);
    }
    EvalError::new(span, hide_sensitive(&message, &sensitive_texts(&hidden)))
}

/// Supplies the values of references.
pub trait Resolver {
    /// Resolves `root` followed by the static attribute names `attrs`
    /// (`var` + `["cidr"]`). Returns the value and how many of `attrs` it
    /// used; the evaluator applies the rest.
    fn resolve(&self, root: &str, attrs: &[&str], span: Span) -> Result<(Value, usize), EvalError>;

    /// The kind of collection `root.attrs…` holds (`var.x` of type
    /// `list(string)` is a list), where the resolver knows it.
    fn kind_of_reference(&self, _root: &str, _attrs: &[&str]) -> Kind {
        Kind::Unknown
    }
}

/// Evaluates expressions.
pub struct Evaluator<'a> {
    pub resolver: &'a dyn Resolver,
    /// Relative paths in `file()` and `templatefile()` start here.
    pub base_dir: &'a Path,
    /// While planning, `timestamp()`, `uuid()` and `bcrypt()` are unknown:
    /// their value is only decided when apply runs, as in Terraform.
    pub planning: bool,
    /// What `plantimestamp()` gives: the time of the plan being made or
    /// applied.
    pub plan_time: jiff::Timestamp,
}

/// Functions whose value is only known at apply (Terraform's impure
/// functions: each call gives another value).
const APPLY_TIME: &[&str] = &["bcrypt", "timestamp", "uuid"];

type Frame = Vec<(String, Value)>;

impl Evaluator<'_> {
    /// Evaluates `e`.
    pub fn eval(&self, e: &Expr) -> Result<Value, EvalError> {
        self.ev(e, &mut Vec::new()).map_err(|err| {
            let mut err = self.without_secrets(e, err);
            // Only the failing sub-expression's references, evaluated as
            // the whole was (their own errors are left out).
            if let Some(at) = super::explain::at_span(e, err.span) {
                err.values =
                    super::explain::reference_values(at, false, |x| self.ev(x, &mut Vec::new()));
            }
            err
        })
    }

    /// `err` with every sensitive value that `e` refers to shown as
    /// `(sensitive value)`, as Terraform shows it. An error may quote an
    /// operand (`the map has no element "…"`, a path, a conversion, a `for`
    /// element); hiding them once here covers every expression form and
    /// function, including the ones added later.
    fn without_secrets(&self, e: &Expr, mut err: EvalError) -> EvalError {
        let mut referred = Vec::new();
        for r in e.references() {
            let attrs: Vec<&str> = r
                .steps
                .iter()
                .map_while(|s| match s {
                    RefStep::Attr(a) => Some(a.as_str()),
                    RefStep::Index(_) => None,
                })
                .collect();
            if let Ok((v, _)) = self.resolver.resolve(&r.root, &attrs, r.span) {
                referred.push(v);
            }
        }
        let secrets = sensitive_texts(&referred);
        if secrets.is_empty() {
            return err;
        }
        err.message = hide_sensitive(&err.message, &secrets);
        err.help = err.help.map(|h| hide_sensitive(&h, &secrets));
        err
    }

    fn ev(&self, e: &Expr, frame: &mut Frame) -> Result<Value, EvalError> {
        let v = self.ev_kind(e, frame)?;
        // What builds a value is held to the budget; references only copy.
        if matches!(
            e.kind,
            ExprKind::Array(_)
                | ExprKind::Object(_)
                | ExprKind::Template(_)
                | ExprKind::Call { .. }
                | ExprKind::For(_)
        ) {
            super::budget::check(&v, e.span)?;
        }
        Ok(v)
    }

    fn ev_kind(&self, e: &Expr, frame: &mut Frame) -> Result<Value, EvalError> {
        match &e.kind {
            ExprKind::Literal(v) => Ok(v.clone()),
            ExprKind::Array(items) => Ok(Value::List(
                items
                    .iter()
                    .map(|i| self.ev(i, frame))
                    .collect::<Result<_, _>>()?,
            )),
            ExprKind::Object(items) => {
                let mut map = Map::new();
                for (k, v) in items {
                    let key = match k {
                        ObjectKey::Name(n, _) => n.clone(),
                        ObjectKey::Expr(ke) => {
                            let kv = self.ev(ke, frame)?;
                            let (kv, km) = kv.into_unmarked();
                            if kv.is_unknown() {
                                return Ok(Value::Unknown);
                            }
                            ops::to_string(&kv).map_err(|m| {
                                operand_error(
                                    ke.span,
                                    format!("invalid object key: {m}"),
                                    &[(&kv, km)],
                                )
                            })?
                        }
                    };
                    let value = self.ev(v, frame)?;
                    map.insert(key, value);
                }
                Ok(Value::Object(map))
            }
            ExprKind::Template(parts) => {
                let mut out = String::new();
                let mut state = TemplateState::default();
                self.template(parts, frame, &mut out, &mut state)?;
                Ok(if state.unknown {
                    Value::Unknown
                } else {
                    Value::String(out)
                }
                .mark_if(state.sensitive))
            }
            ExprKind::Variable(name) => {
                if let Some((_, v)) = frame.iter().rev().find(|(n, _)| n == name) {
                    return Ok(v.clone());
                }
                Ok(self.resolver.resolve(name, &[], e.span)?.0)
            }
            ExprKind::Traversal(root, ops) => self.traversal(root, ops, frame),
            ExprKind::Call {
                name,
                args,
                expand_final,
            } => self.call(e, name, args, *expand_final, frame),
            ExprKind::Conditional(c, t, f) => self.conditional(e, c, t, f, frame),
            ExprKind::Unary(op, x) => {
                let v = self.ev(x, frame)?;
                let (v, marked) = v.into_unmarked();
                if v.is_unknown() {
                    return Ok(Value::Unknown.mark_if(marked));
                }
                ops::unary(*op, &v)
                    .map(|r| r.mark_if(marked))
                    .map_err(|m| operand_error(e.span, m, &[(&v, marked)]))
            }
            ExprKind::Binary(op, l, r) => self.binary(e, *op, l, r, frame),
            ExprKind::For(f) => self.for_expr(e, f, frame),
        }
    }

    /// `c ? t : f`. As in Terraform, both branches are evaluated so that
    /// the result has one type whichever is chosen (`true ? 1 : "a"` is
    /// `"1"`), and branches without a common type are an error; an error
    /// in the branch not chosen is ignored.
    fn conditional(
        &self,
        e: &Expr,
        c: &Expr,
        t: &Expr,
        f: &Expr,
        frame: &mut Frame,
    ) -> Result<Value, EvalError> {
        let (cond, marked) = self.ev(c, frame)?.into_unmarked();
        let chosen = if cond.is_unknown() {
            None
        } else {
            Some(ops::to_bool(&cond).map_err(|m| {
                let m = format!("the condition must be a bool: {m}");
                operand_error(c.span, m, &[(&cond, marked)])
            })?)
        };
        let tv = self.ev(t, frame);
        let fv = self.ev(f, frame);
        let ty_of = |r: &Result<Value, EvalError>| r.as_ref().map_or(Ty::Dynamic, Ty::of);
        let (tt, ft) = (ty_of(&tv), ty_of(&fv));
        let Some(ty) = types::unify(&tt, &ft) else {
            return Err(EvalError::new(
                e.span,
                format!(
                    "inconsistent conditional result types: the true branch is a {}, the false branch a {}",
                    tt.name(),
                    ft.name()
                ),
            )
            .help("both branches must convert to one type; convert one of them (tostring(), tolist(), jsonencode()…)"));
        };
        let v = match chosen {
            None => return Ok(Value::Unknown.mark_if(marked)),
            Some(true) => tv?,
            Some(false) => fv?,
        };
        types::conform(v, &ty)
            .map(|v| v.mark_if(marked))
            .map_err(|m| EvalError::new(e.span, m))
    }

    fn binary(
        &self,
        e: &Expr,
        op: BinaryOperator,
        l: &Expr,
        r: &Expr,
        frame: &mut Frame,
    ) -> Result<Value, EvalError> {
        let (lv, lm) = self.ev(l, frame)?.into_unmarked();
        // `&&` and `||` decide from a known left side alone.
        if matches!(op, BinaryOperator::And | BinaryOperator::Or) && !lv.is_unknown() {
            let lb = ops::to_bool(&lv).map_err(|m| operand_error(l.span, m, &[(&lv, lm)]))?;
            if (op == BinaryOperator::And && !lb) || (op == BinaryOperator::Or && lb) {
                return Ok(Value::Bool(lb).mark_if(lm));
            }
        }
        let (rv, rm) = self.ev(r, frame)?.into_unmarked();
        let marked = lm || rm;
        if lv.is_unknown() || rv.is_unknown() || !lv.is_wholly_known() || !rv.is_wholly_known() {
            return Ok(Value::Unknown.mark_if(marked));
        }
        let (lv, ld) = lv.deep_unmark();
        let (rv, rd) = rv.deep_unmark();
        if matches!(op, BinaryOperator::Eq | BinaryOperator::NotEq)
            && let Some(equal) = self.collections_equal(e, l, r, &lv, &rv)?
        {
            let b = if op == BinaryOperator::Eq {
                equal
            } else {
                !equal
            };
            return Ok(Value::Bool(b).mark_if(marked || ld || rd));
        }
        ops::binary(op, &lv, &rv)
            .map(|v| v.mark_if(marked || ld || rd))
            .map_err(|m| operand_error(e.span, m, &[(&lv, lm || ld), (&rv, rm || rd)]))
    }

    /// `==` between two lists or two objects: Terraform compares types
    /// too, so a list (`tolist()`, a `list(…)` variable) never equals a
    /// tuple (`[…]`), nor a map an object. `None` when the operands are not
    /// both collections and the plain comparison applies.
    fn collections_equal(
        &self,
        e: &Expr,
        l: &Expr,
        r: &Expr,
        lv: &Value,
        rv: &Value,
    ) -> Result<Option<bool>, EvalError> {
        let both = matches!((lv, rv), (Value::List(_), Value::List(_)))
            || matches!((lv, rv), (Value::Object(_), Value::Object(_)));
        if !both {
            return Ok(None);
        }
        let (lk, rk) = (
            types::kind_of(l, self.resolver),
            types::kind_of(r, self.resolver),
        );
        match lk.comparable(rk) {
            Some(true) => Ok(None),
            Some(false) => Ok(Some(false)),
            None => Err(EvalError::new(
                e.span,
                "cannot compare these two collections: in Terraform a list never equals a tuple, nor a map an object, and terrace cannot tell which kind each side is",
            )
            .help("compare length(…) or jsonencode(…) of both sides, or convert both with tolist(), toset() or tomap()")),
        }
    }

    fn traversal(
        &self,
        root: &Expr,
        ops_list: &[Traverser],
        frame: &mut Frame,
    ) -> Result<Value, EvalError> {
        let (value, consumed) = match &root.kind {
            ExprKind::Variable(name) if !frame.iter().any(|(n, _)| n == name) => {
                let attrs: Vec<&str> = ops_list
                    .iter()
                    .map_while(|op| match &op.kind {
                        TraverserKind::Attr(a) => Some(a.as_str()),
                        _ => None,
                    })
                    .collect();
                let end = attrs
                    .len()
                    .checked_sub(1)
                    .map_or(root.span, |i| ops_list[i].span);
                let (value, consumed) = self.resolver.resolve(name, &attrs, root.span.to(end))?;
                // Terraform refuses a splat of a null list, set or tuple
                // (a null of any other type gives `[]`).
                if let Some(
                    op @ Traverser {
                        kind: TraverserKind::Splat { .. },
                        ..
                    },
                ) = ops_list.get(consumed)
                {
                    let kind = self.resolver.kind_of_reference(name, &attrs[..consumed]);
                    if value.unmark().0.is_null()
                        && matches!(kind, Kind::List | Kind::Set | Kind::Tuple)
                    {
                        return Err(EvalError::new(
                            op.span,
                            "splat of a null value: a splat cannot be applied to a null list, set or tuple",
                        )
                        .help("check for null first: `x == null ? [] : x[*]`, or use coalesce(x, [])"));
                    }
                }
                (value, consumed)
            }
            _ => (self.ev(root, frame)?, 0),
        };
        self.apply_ops(value, &ops_list[consumed..], frame)
    }

    fn apply_ops(
        &self,
        mut value: Value,
        ops_list: &[Traverser],
        frame: &mut Frame,
    ) -> Result<Value, EvalError> {
        let mut marked = false;
        for (i, op) in ops_list.iter().enumerate() {
            let (v, m) = value.into_unmarked();
            marked |= m;
            if v.is_unknown() {
                return Ok(Value::Unknown.mark_if(marked));
            }
            value = match &op.kind {
                TraverserKind::Attr(name) => ops::get_attr(&v, name)
                    .map_err(|m| operand_error(op.span, m, &[(&v, marked)]))?,
                TraverserKind::Index(ix) => {
                    let (key, km) = self.ev(ix, frame)?.into_unmarked();
                    let vm = marked;
                    marked |= km;
                    if key.is_unknown() {
                        return Ok(Value::Unknown.mark_if(marked));
                    }
                    ops::index(&v, &key)
                        .map_err(|m| operand_error(op.span, m, &[(&v, vm), (&key, km)]))?
                }
                TraverserKind::Splat { legacy } => {
                    let items = match v {
                        Value::List(items) => items,
                        Value::Null => Vec::new(),
                        other => vec![other],
                    };
                    let rest = &ops_list[i + 1..];
                    // `.*` takes only the attribute names that follow it.
                    let each = if *legacy {
                        rest.iter()
                            .take_while(|op| matches!(op.kind, TraverserKind::Attr(_)))
                            .count()
                    } else {
                        rest.len()
                    };
                    let out = items
                        .into_iter()
                        .map(|item| self.apply_ops(item, &rest[..each], frame))
                        .collect::<Result<Vec<_>, _>>()?;
                    let list = Value::List(out).mark_if(marked);
                    return self.apply_ops(list, &rest[each..], frame);
                }
            };
        }
        Ok(value.mark_if(marked))
    }

    fn for_expr(&self, e: &Expr, f: &ForExpr, frame: &mut Frame) -> Result<Value, EvalError> {
        let (coll, marked) = self.ev(&f.collection, frame)?.into_unmarked();
        if coll.is_unknown() {
            return Ok(Value::Unknown.mark_if(marked));
        }
        let pairs: Vec<(Value, Value)> = match coll {
            Value::List(items) => items
                .into_iter()
                .enumerate()
                .map(|(i, v)| (Value::int(i as i64), v))
                .collect(),
            Value::Object(map) => map
                .into_iter()
                .map(|(k, v)| (Value::String(k), v))
                .collect(),
            other => {
                return Err(EvalError::new(
                    f.collection.span,
                    format!(
                        "a for expression needs a list or a map, got {}",
                        describe(&other)
                    ),
                ));
            }
        };
        let mut list = Vec::new();
        let mut object: Map = Map::new();
        let depth = frame.len();
        for (k, v) in pairs {
            frame.truncate(depth);
            if let Some(kv) = &f.key_var {
                frame.push((kv.clone(), k));
            }
            frame.push((f.value_var.clone(), v));
            if let Some(cond) = &f.cond {
                let (c, cm) = self.ev(cond, frame)?.into_unmarked();
                if c.is_unknown() {
                    frame.truncate(depth);
                    return Ok(Value::Unknown.mark_if(marked || cm));
                }
                if !ops::to_bool(&c).map_err(|m| {
                    let m = format!("the if clause must be a bool: {m}");
                    operand_error(cond.span, m, &[(&c, cm)])
                })? {
                    continue;
                }
            }
            let value = self.ev(&f.value, frame)?;
            match &f.key {
                None => list.push(value),
                Some(ke) => {
                    let (key, km) = self.ev(ke, frame)?.into_unmarked();
                    if key.is_unknown() {
                        frame.truncate(depth);
                        return Ok(Value::Unknown.mark_if(marked));
                    }
                    let key = ops::to_string(&key).map_err(|m| {
                        operand_error(ke.span, format!("invalid object key: {m}"), &[(&key, km)])
                    })?;
                    if f.grouping {
                        match object.get_or_insert_with(key, || Value::List(Vec::new())) {
                            Value::List(group) => group.push(value),
                            _ => unreachable!("groups are lists"),
                        }
                    } else if !object.contains_key(&key) {
                        object.insert(key, value);
                    } else {
                        frame.truncate(depth);
                        let shown = if km {
                            crate::value::SENSITIVE_SHOWN.to_string()
                        } else {
                            format!("\"{key}\"")
                        };
                        return Err(EvalError::new(e.span, format!("duplicate key {shown} in a for expression"))
                            .help("add `...` after the value to group values with the same key into lists"));
                    }
                }
            }
        }
        frame.truncate(depth);
        Ok(match f.key {
            None => Value::List(list),
            Some(_) => Value::Object(object),
        }
        .mark_if(marked))
    }

    fn template(
        &self,
        parts: &[TemplatePart],
        frame: &mut Frame,
        out: &mut String,
        st: &mut TemplateState,
    ) -> Result<(), EvalError> {
        for part in parts {
            match part {
                TemplatePart::Literal(s) => out.push_str(s),
                TemplatePart::Interp(e) => {
                    let (v, m) = self.ev(e, frame)?.into_unmarked();
                    st.sensitive |= m;
                    if v.is_unknown() {
                        st.unknown = true;
                        continue;
                    }
                    let s = ops::to_string(&v).map_err(|err| {
                        let err = format!("cannot interpolate this value: {err}");
                        operand_error(e.span, err, &[(&v, m)])
                            .help("use jsonencode() or join() to turn lists and objects into text")
                    })?;
                    out.push_str(&s);
                }
                TemplatePart::If {
                    cond,
                    then,
                    otherwise,
                } => {
                    let (c, m) = self.ev(cond, frame)?.into_unmarked();
                    st.sensitive |= m;
                    if c.is_unknown() {
                        st.unknown = true;
                        continue;
                    }
                    let b = ops::to_bool(&c)
                        .map_err(|err| operand_error(cond.span, err, &[(&c, m)]))?;
                    self.template(if b { then } else { otherwise }, frame, out, st)?;
                }
                TemplatePart::For {
                    key_var,
                    value_var,
                    collection,
                    body,
                } => {
                    let (coll, m) = self.ev(collection, frame)?.into_unmarked();
                    st.sensitive |= m;
                    let pairs: Vec<(Value, Value)> = match coll {
                        Value::Unknown => {
                            st.unknown = true;
                            continue;
                        }
                        Value::List(items) => items
                            .into_iter()
                            .enumerate()
                            .map(|(i, v)| (Value::int(i as i64), v))
                            .collect(),
                        Value::Object(map) => map
                            .into_iter()
                            .map(|(k, v)| (Value::String(k), v))
                            .collect(),
                        other => {
                            return Err(EvalError::new(
                                collection.span,
                                format!(
                                    "a for directive needs a list or a map, got {}",
                                    describe(&other)
                                ),
                            ));
                        }
                    };
                    let depth = frame.len();
                    for (k, v) in pairs {
                        frame.truncate(depth);
                        if let Some(kv) = key_var {
                            frame.push((kv.clone(), k));
                        }
                        frame.push((value_var.clone(), v));
                        self.template(body, frame, out, st)?;
                    }
                    frame.truncate(depth);
                }
            }
        }
        Ok(())
    }

    fn call(
        &self,
        e: &Expr,
        name: &str,
        args: &[Expr],
        expand_final: bool,
        frame: &mut Frame,
    ) -> Result<Value, EvalError> {
        match name {
            "try" => return self.call_try(e, args, frame),
            "can" => {
                let [arg] = args else {
                    return Err(EvalError::new(e.span, "can takes one argument"));
                };
                return Ok(match self.ev(arg, frame) {
                    Ok(v) if !v.is_wholly_known() => Value::Unknown,
                    Ok(_) => Value::Bool(true),
                    Err(_) => Value::Bool(false),
                });
            }
            _ => {}
        }
        let mut values = Vec::with_capacity(args.len());
        let mut spans = Vec::with_capacity(args.len());
        for (i, a) in args.iter().enumerate() {
            let v = self.ev(a, frame)?;
            if expand_final && i + 1 == args.len() {
                let (v, m) = v.into_unmarked();
                match v {
                    Value::List(items) => {
                        for item in items {
                            values.push(item.mark_if(m));
                            spans.push(a.span);
                        }
                    }
                    Value::Unknown => return Ok(Value::Unknown),
                    other => {
                        return Err(EvalError::new(
                            a.span,
                            format!(
                                "only a list can be expanded with ..., got {}",
                                describe(&other)
                            ),
                        ));
                    }
                }
            } else {
                values.push(v);
                spans.push(a.span);
            }
        }
        match name {
            "sensitive" | "nonsensitive" => {
                let [v] = <[Value; 1]>::try_from(values)
                    .map_err(|_| EvalError::new(e.span, format!("{name} takes one argument")))?;
                return Ok(if name == "sensitive" {
                    v.sensitive()
                } else {
                    v.deep_unmark().0
                });
            }
            "templatefile" => return self.templatefile(e, values, &spans),
            "templatestring" => return self.templatestring(e, args, values, &spans),
            "provider::terraform::decode_tfvars" => return self.decode_tfvars(e, values, &spans),
            "issensitive" => {
                let [v] = <[Value; 1]>::try_from(values)
                    .map_err(|_| EvalError::new(e.span, "issensitive takes one argument"))?;
                let (v, marked) = v.unmark();
                return Ok(match (marked, v) {
                    (true, _) => Value::Bool(true),
                    (false, Value::Unknown) => Value::Unknown,
                    (false, _) => Value::Bool(false),
                });
            }
            _ => {}
        }
        let sensitive = values.iter().any(Value::contains_sensitive);
        if values.iter().any(|v| !v.is_wholly_known())
            || (self.planning && APPLY_TIME.contains(&name))
        {
            return Ok(Value::Unknown.mark_if(sensitive));
        }
        let plain: Vec<Value> = values.into_iter().map(|v| v.deep_unmark().0).collect();
        let ctx = functions::Context {
            base_dir: self.base_dir,
            plan_time: self.plan_time,
        };
        match functions::call(name, plain, &ctx) {
            Some(Ok(v)) => Ok(v.mark_if(sensitive)),
            Some(Err(err)) => {
                let span = err
                    .arg
                    .and_then(|i| spans.get(i).copied())
                    .unwrap_or(e.span);
                // A sensitive argument's value must not leak through an error message.
                let message = if sensitive {
                    format!("{name}() failed on a sensitive argument")
                } else {
                    format!("{name}(): {}", err.message)
                };
                Err(EvalError::new(span, message))
            }
            None => {
                let mut err =
                    EvalError::new(e.span, format!("there is no function named \"{name}\""));
                if let Some(s) = did_you_mean(name, functions::names().iter().copied()) {
                    err = err.help(format!("did you mean {s}()?"));
                } else {
                    err = err.help("see docs/language.md for the list of functions");
                }
                Err(err)
            }
        }
    }

    fn call_try(&self, e: &Expr, args: &[Expr], frame: &mut Frame) -> Result<Value, EvalError> {
        let mut last = None;
        for a in args {
            match self.ev(a, frame) {
                Ok(v) if !v.is_wholly_known() => return Ok(Value::Unknown),
                Ok(v) => return Ok(v),
                Err(err) => last = Some(err),
            }
        }
        Err(match last {
            Some(err) => EvalError::new(
                e.span,
                format!(
                    "no argument of try() could be evaluated; the last one failed with: {}",
                    err.message
                ),
            ),
            None => EvalError::new(e.span, "try needs at least one argument"),
        })
    }

    fn templatefile(
        &self,
        e: &Expr,
        values: Vec<Value>,
        spans: &[Span],
    ) -> Result<Value, EvalError> {
        let [path, vars] = <[Value; 2]>::try_from(values).map_err(|_| {
            EvalError::new(
                e.span,
                "templatefile takes a path and an object of variables",
            )
        })?;
        if !path.is_wholly_known() || !vars.is_wholly_known() {
            return Ok(Value::Unknown);
        }
        let path = ops::to_string(path.unmark().0).map_err(|m| EvalError::new(spans[0], m))?;
        let (vars, marked) = vars.into_unmarked();
        let Value::Object(vars) = vars else {
            return Err(EvalError::new(
                spans[1],
                "the variables of templatefile must be an object",
            ));
        };
        let full = self.base_dir.join(&path);
        let text = super::functions::read_limited(&full)
            .and_then(|b| {
                String::from_utf8(b).map_err(|_| std::io::Error::other("it is not UTF-8 text"))
            })
            .map_err(|err| {
                EvalError::new(
                    spans[0],
                    format!("cannot read template {}: {err}", full.display()),
                )
            })?;
        self.render_template(e, &text, &format!("template {path}"), vars, spans[0])
            .map(|v| v.mark_if(marked))
    }

    /// `templatestring(template, vars)`: like `templatefile`, with the
    /// template taken from a string. As in Terraform, the template must be
    /// a reference (to a variable, local, attribute…), not a literal, whose
    /// own interpolations would already have been evaluated.
    fn templatestring(
        &self,
        e: &Expr,
        args: &[Expr],
        values: Vec<Value>,
        spans: &[Span],
    ) -> Result<Value, EvalError> {
        let [template, vars] = <[Value; 2]>::try_from(values).map_err(|_| {
            EvalError::new(
                e.span,
                "templatestring takes a template and an object of variables",
            )
        })?;
        if !matches!(
            args.first().map(|a| &a.kind),
            Some(ExprKind::Traversal(..) | ExprKind::Variable(_))
        ) {
            return Err(EvalError::new(
                spans[0],
                "the template of templatestring must be a reference to a value holding the template",
            )
            .help("put the template in a local value or a variable, and pass local.NAME"));
        }
        if !template.is_wholly_known() || !vars.is_wholly_known() {
            return Ok(Value::Unknown);
        }
        let (template, marked_template) = template.into_unmarked();
        let text = ops::to_string(&template).map_err(|m| EvalError::new(spans[0], m))?;
        let (vars, marked_vars) = vars.into_unmarked();
        let Value::Object(vars) = vars else {
            return Err(EvalError::new(
                spans[1],
                "the variables of templatestring must be an object",
            ));
        };
        self.render_template(e, &text, "the template", vars, spans[0])
            .map(|v| v.mark_if(marked_template || marked_vars))
    }

    /// Renders template text with only `vars` (and the functions) in scope.
    fn render_template(
        &self,
        e: &Expr,
        text: &str,
        what: &str,
        vars: crate::value::Map,
        span: Span,
    ) -> Result<Value, EvalError> {
        let parsed = hcl::edit::parser::parse_template(text)
            .map_err(|err| EvalError::new(span, format!("{what} is invalid: {}", err.message())))?;
        let expr = Expr::from_template_file(&parsed, crate::config::expr::Src::file(e.span.file));
        let inner = Evaluator {
            resolver: &Isolated("the template's variables"),
            base_dir: self.base_dir,
            planning: self.planning,
            plan_time: self.plan_time,
        };
        let mut frame: Frame = vars.into_iter().collect();
        let v = inner
            .ev(&expr, &mut frame)
            .map_err(|err| EvalError::new(e.span, format!("in {what}: {}", err.message)))?;
        Ok(match v {
            Value::String(_) | Value::Unknown | Value::Sensitive(_) => v,
            other => Value::String(ops::to_string(&other).unwrap_or_default()),
        })
    }

    /// `provider::terraform::decode_tfvars(text)`: the attributes of a
    /// `.tfvars` text as an object, each evaluated with no variables.
    fn decode_tfvars(
        &self,
        e: &Expr,
        values: Vec<Value>,
        spans: &[Span],
    ) -> Result<Value, EvalError> {
        let [text] = <[Value; 1]>::try_from(values)
            .map_err(|_| EvalError::new(e.span, "decode_tfvars takes one argument"))?;
        if !text.is_wholly_known() {
            return Ok(Value::Unknown);
        }
        let (text, marked) = text.into_unmarked();
        let text = ops::to_string(&text).map_err(|m| EvalError::new(spans[0], m))?;
        let body = hcl::edit::parser::parse_body(&text).map_err(|err| {
            EvalError::new(
                spans[0],
                format!("the tfvars text is invalid: {}", err.message()),
            )
        })?;
        let inner = Evaluator {
            resolver: &Isolated("available in a tfvars file"),
            base_dir: self.base_dir,
            planning: self.planning,
            plan_time: self.plan_time,
        };
        let mut out = crate::value::Map::new();
        for structure in body.iter() {
            let Some(attr) = structure.as_attribute() else {
                return Err(EvalError::new(
                    spans[0],
                    "a tfvars text holds only attributes (name = value), not blocks",
                ));
            };
            let expr = Expr::from_hcl(&attr.value, crate::config::expr::Src::file(e.span.file));
            if !expr.calls().is_empty() {
                return Err(EvalError::new(
                    spans[0],
                    "a tfvars text cannot call functions: its values must be constants",
                ));
            }
            let v = inner.ev(&expr, &mut Frame::new()).map_err(|err| {
                EvalError::new(spans[0], format!("in the tfvars text: {}", err.message))
            })?;
            out.insert(attr.key.value().to_string(), v);
        }
        Ok(Value::Object(out).mark_if(marked))
    }
}

/// A resolver for text evaluated apart from the configuration (templates,
/// tfvars): no reference resolves. Spans point into other text, so errors
/// are reported at the call.
struct Isolated(&'static str);

impl Resolver for Isolated {
    fn resolve(&self, root: &str, _: &[&str], span: Span) -> Result<(Value, usize), EvalError> {
        Err(EvalError::new(
            span,
            format!("\"{root}\" is not one of {}", self.0),
        ))
    }
}

#[derive(Default)]
struct TemplateState {
    unknown: bool,
    sensitive: bool,
}

/// A value's type and, for short primitives, the value itself.
pub fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Sensitive(_) => "a sensitive value".into(),
        Value::List(_) => "a list".into(),
        Value::Object(_) => "an object".into(),
        other => format!("a {} ({other})", other.type_name()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::FileId;

    struct Vars(Map);
    impl Resolver for Vars {
        fn resolve(
            &self,
            root: &str,
            attrs: &[&str],
            span: Span,
        ) -> Result<(Value, usize), EvalError> {
            match (root, attrs.first()) {
                ("var", Some(name)) => self
                    .0
                    .get(name)
                    .cloned()
                    .map(|v| (v, 1))
                    .ok_or_else(|| EvalError::new(span, format!("no variable {name}"))),
                _ => Err(EvalError::new(span, format!("unknown root {root}"))),
            }
        }
    }

    fn eval(src: &str) -> Result<Value, EvalError> {
        let mut vars = Map::new();
        vars.insert("n".into(), Value::int(3));
        vars.insert("u".into(), Value::Unknown);
        vars.insert("s".into(), Value::string("hush").sensitive());
        vars.insert(
            "l".into(),
            Value::List(vec![Value::string("a"), Value::string("b")]),
        );
        vars.insert("empty".into(), Value::List(vec![]));
        let e = hcl::edit::parser::parse_expr(src).expect("test expression parses");
        let ev = Evaluator {
            resolver: &Vars(vars),
            base_dir: Path::new("."),
            planning: true,
            plan_time: jiff::Timestamp::UNIX_EPOCH,
        };
        ev.eval(&Expr::from_hcl(
            &e,
            crate::config::expr::Src::file(FileId(0)),
        ))
    }

    fn ok(src: &str) -> String {
        eval(src)
            .unwrap_or_else(|e| panic!("{src}: {}", e.message))
            .to_string()
    }

    #[test]
    fn evaluates_hcl_expressions() {
        assert_eq!(ok("var.n * 2 + 1"), "7");
        assert_eq!(ok("\"n=${var.n}\""), "\"n=3\"");
        assert_eq!(ok("var.n > 2 ? \"big\" : \"small\""), "\"big\"");
        assert_eq!(ok("[for i, x in var.l : \"${i}${x}\"]"), "[\"0a\", \"1b\"]");
        assert_eq!(
            ok("{for x in var.l : x => upper(x)}"),
            "{ a = \"A\", b = \"B\" }"
        );
        assert_eq!(
            ok("{for x in [\"a\", \"a\"] : x => 1...}"),
            "{ a = [1, 1] }"
        );
        assert_eq!(ok("[{a = 1}, {a = 2}][*].a"), "[1, 2]");
        assert_eq!(ok("\"%{for x in var.l}${x};%{endfor}\""), "\"a;b;\"");
        assert_eq!(ok("\"${var.l[0]}\""), "\"a\"");
        assert_eq!(ok("var.l"), "[\"a\", \"b\"]");
    }

    #[test]
    fn unknown_values_propagate() {
        assert_eq!(ok("var.u + 1"), "(known after apply)");
        assert_eq!(ok("\"x-${var.u}\""), "(known after apply)");
        assert_eq!(
            ok("{a = var.u, b = 1}"),
            "{ a = (known after apply), b = 1 }"
        );
        assert_eq!(ok("var.u ? 1 : 2"), "(known after apply)");
        assert_eq!(ok("false && var.u"), "false");
        assert_eq!(ok("uuid()"), "(known after apply)");
    }

    #[test]
    fn sensitive_values_stay_marked() {
        assert_eq!(ok("\"key=${var.s}\""), "(sensitive value)");
        assert_eq!(ok("nonsensitive(var.s)"), "\"hush\"");
        assert!(matches!(eval("var.s").unwrap(), Value::Sensitive(_)));
    }

    #[test]
    fn short_circuit_avoids_errors_in_the_branch_not_taken() {
        assert_eq!(
            ok("length(var.empty) > 0 ? var.empty[0] : \"none\""),
            "\"none\""
        );
        assert_eq!(ok("try(var.empty[0], \"fallback\")"), "\"fallback\"");
        assert_eq!(ok("can(var.empty[0])"), "false");
    }

    #[test]
    fn errors_point_at_the_failing_part() {
        let err = eval("1 + var.l[5]").unwrap_err();
        assert!(err.message.contains("out of range"), "{}", err.message);
        assert_eq!(err.span.start, 9);
        assert!(
            eval("1 / 0")
                .unwrap_err()
                .message
                .contains("division by zero")
        );
        assert_eq!(eval("5 % 0").ok(), Some(Value::int(5)));
        assert!(eval("\"x${var.l}\"").is_err());
        let err = eval("uper(\"x\")").unwrap_err();
        assert_eq!(err.help.as_deref(), Some("did you mean upper()?"));
    }
}
