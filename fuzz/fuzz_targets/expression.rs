//! Evaluating one expression (parsed from the input) against a small fixed
//! context with the whole function library: no panic, no hang, no
//! unbounded allocation; an error is a message with a span.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use terrace::config::Expr;
use terrace::config::expr::{Src, with_source};
use terrace::diag::{FileId, Span};
use terrace::eval::{EvalError, Evaluator, Resolver};
use terrace::value::{Map, Value};

struct Context(Map);

impl Resolver for Context {
    fn resolve(&self, root: &str, attrs: &[&str], span: Span) -> Result<(Value, usize), EvalError> {
        match (root, attrs.first()) {
            ("var" | "local", Some(name)) => self
                .0
                .get(*name)
                .cloned()
                .map(|v| (v, 1))
                .ok_or_else(|| EvalError::new(span, format!("no value {name}"))),
            ("each", _) => Ok((Value::string("k"), 0)),
            ("count", Some(&"index")) => Ok((Value::int(1), 1)),
            _ => Err(EvalError::new(span, format!("unknown root {root}"))),
        }
    }
}

fn context() -> &'static Context {
    static CONTEXT: OnceLock<Context> = OnceLock::new();
    CONTEXT.get_or_init(|| {
        let mut m = Map::new();
        m.insert("n".into(), Value::int(3));
        m.insert("s".into(), Value::string("hello"));
        m.insert("secret".into(), Value::string("hunter2").sensitive());
        m.insert("u".into(), Value::Unknown);
        m.insert("b".into(), Value::Bool(true));
        m.insert("null".into(), Value::Null);
        m.insert(
            "l".into(),
            Value::List(vec![Value::string("a"), Value::string("b"), Value::int(2)]),
        );
        let mut o = Map::new();
        o.insert("k".into(), Value::string("v"));
        o.insert("n".into(), Value::List(vec![Value::Unknown, Value::int(1)]));
        m.insert("m".into(), Value::Object(o));
        Context(m)
    })
}

/// An empty directory for `file()` and `templatefile()`: relative paths
/// name nothing.
fn base_dir() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("a temporary directory"))
        .path()
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(parsed) = hcl::edit::parser::parse_expr(text) else {
        return;
    };
    let file = FileId(0);
    let expr = with_source(file, Arc::from(text), || {
        Expr::from_hcl(&parsed, Src::file(file))
    });
    let ev = Evaluator {
        resolver: context(),
        base_dir: base_dir(),
        planning: true,
        plan_time: jiff::Timestamp::UNIX_EPOCH,
    };
    // A sensitive value may still show in an error message: the "secrets"
    // work owns that (issue 11 §2), so it is not asserted here.
    if let Ok(v) = ev.eval(&expr) {
        let _ = v.to_string();
    }
});
