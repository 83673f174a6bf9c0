//! [`Secret`]: a credential held in memory only.

use std::fmt;
use std::sync::Arc;

/// A credential (an environment's API key or the content of its secret
/// file). It has no `Display` and no serialisation, and its `Debug` hides
/// it, so that it cannot reach a plan, state, log or terminal by accident;
/// the one way out is [`Secret::expose`], for the provider that sends it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Arc<str>);

impl Secret {
    pub fn new(value: impl Into<Arc<str>>) -> Secret {
        Secret(value.into())
    }

    /// The credential itself: only for handing it to the system it is for.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `text` with every occurrence of the credential masked: for what a
    /// command or a server sends back, which may echo it.
    pub fn redact(&self, text: &str) -> String {
        if self.0.is_empty() {
            return text.to_string();
        }
        let mut out = text.replace(&*self.0, "***");
        // As a JSON string it may be escaped (quotes, backslashes).
        let escaped = serde_json::to_string(&*self.0).unwrap_or_default();
        let escaped = &escaped[1..escaped.len().saturating_sub(1).max(1)];
        if escaped != &*self.0 && !escaped.is_empty() {
            out = out.replace(escaped, "***");
        }
        out
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_credential() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "Secret(***)");
        assert_eq!(format!("{:?}", Some(s.clone())), "Some(Secret(***))");
        assert_eq!(s.expose(), "hunter2");
        assert_eq!(s.redact("key=hunter2; again hunter2"), "key=***; again ***");
        let quoted = Secret::new("a\"b\\c");
        assert_eq!(quoted.redact(r#"{"k":"a\"b\\c"}"#), r#"{"k":"***"}"#);
    }
}
