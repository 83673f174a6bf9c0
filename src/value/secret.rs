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
        text.replace(&*self.0, "***")
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
    }
}
