//! Paths into values: `input.tags["env"]`, `ports[0]`.

use std::fmt;

/// One step of a [`Path`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PathStep {
    Attr(String),
    Index(usize),
}

/// A path from a resource's attributes down to one value inside them.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Path(Vec<PathStep>);

impl Path {
    /// The empty path: the whole value.
    pub fn root() -> Path {
        Path(Vec::new())
    }

    /// A path of one attribute.
    pub fn attr(name: impl Into<String>) -> Path {
        Path(vec![PathStep::Attr(name.into())])
    }

    /// This path extended by one step.
    pub fn child(&self, step: PathStep) -> Path {
        let mut steps = self.0.clone();
        steps.push(step);
        Path(steps)
    }

    /// The steps, outermost first.
    pub fn steps(&self) -> &[PathStep] {
        &self.0
    }

    /// Whether `self` is `other` or lies inside it.
    pub fn starts_with(&self, other: &Path) -> bool {
        self.0.starts_with(&other.0)
    }

    /// The first attribute name, if the path starts with one.
    pub fn first_attr(&self) -> Option<&str> {
        match self.0.first() {
            Some(PathStep::Attr(a)) => Some(a),
            _ => None,
        }
    }
}

impl From<Vec<PathStep>> for Path {
    fn from(steps: Vec<PathStep>) -> Path {
        Path(steps)
    }
}

/// HCL traversal syntax: `input.tags["a b"]`, `ports[0]`.
impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            match step {
                PathStep::Attr(a) if is_identifier(a) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(a)?;
                }
                PathStep::Attr(a) => write!(f, "[{a:?}]")?,
                PathStep::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// Whether `s` can be written bare in HCL (`name`, not `"name"`).
pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_in_hcl_syntax() {
        let p = Path::attr("input")
            .child(PathStep::Attr("a b".into()))
            .child(PathStep::Index(2))
            .child(PathStep::Attr("c".into()));
        assert_eq!(p.to_string(), "input[\"a b\"][2].c");
    }
}
