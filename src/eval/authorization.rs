//! An environment's credential: its `authorization` block, evaluated only
//! when an operation needs it.

use super::Evaluator;
use super::values::Constant;
use crate::config::{Environment, Project};
use crate::diag::Diagnostic;
use crate::value::{Secret, Value};

/// Resolves `env`'s `authorization` block: `api_key = env("NAME")` (any
/// expression without references) or `secret_file = "PATH"` (relative to
/// the project root; surrounding whitespace is trimmed). `Ok(None)` when
/// the environment has no such block. The value is never shown, not even
/// in the error that reports it missing.
pub fn authorization(project: &Project, env: &Environment) -> Result<Option<Secret>, Diagnostic> {
    let Some(auth) = &env.authorization else {
        return Ok(None);
    };
    let ev = Evaluator {
        resolver: &Constant,
        base_dir: &project.root,
        planning: false,
        // A credential is read, not planned: no plan time applies.
        plan_time: jiff::Timestamp::now(),
    };
    let missing = |message: String, span| {
        Diagnostic::error(
            "env::authorization_missing",
            format!(
                "environment \"{}\" has no usable credential: {message}",
                env.name
            ),
        )
        .label(span, "required by this authorization block")
        .help("set the variable or create the file before planning or applying this environment")
    };
    let text = |e, what: &str| -> Result<String, Diagnostic> {
        match ev.eval(e) {
            Ok(Value::String(s)) => Ok(s),
            Ok(Value::Sensitive(v)) => match *v {
                Value::String(s) => Ok(s),
                _ => Err(missing(format!("{what} must be a string"), auth.span)),
            },
            Ok(_) => Err(missing(format!("{what} must be a string"), auth.span)),
            Err(e) => Err(missing(e.message, e.span)),
        }
    };
    let value = if let Some(e) = &auth.api_key {
        text(e, "api_key")?
    } else if let Some(e) = &auth.secret_file {
        let path = text(e, "secret_file")?;
        let full = project.root.join(&path);
        crate::bounded::read_text(&full, crate::bounded::MESSAGE_LIMIT)
            .map_err(|err| missing(format!("cannot read {}: {err}", full.display()), e.span))?
            .trim()
            .to_string()
    } else {
        return Ok(None);
    };
    if value.is_empty() {
        return Err(missing("the credential is empty".into(), auth.span));
    }
    Ok(Some(Secret::new(value)))
}
