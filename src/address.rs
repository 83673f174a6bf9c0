//! Addresses: `network/terrace_data.vpc`, `app/file.page["index"]`, and
//! with the environment, `dev/network/file.inventory`.
//!
//! `Display` writes the user's syntax and [`InstanceAddr::parse`] reads it
//! back, so that what terrace prints can be pasted into `state show`.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Managed (`resource`) or read-only (`data`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Managed,
    Data,
}

/// A resource block of one configuration: `network/terrace_data.vpc`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceAddr {
    pub config: String,
    pub mode: Mode,
    pub type_name: String,
    pub name: String,
}

/// Which instance of a resource: none for a single one, `[0]` with
/// `count`, `["key"]` with `for_each`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(untagged)]
pub enum InstanceKey {
    Int(i64),
    Str(String),
}

// By hand rather than `untagged`: serde's buffering would see the exact
// number text that `Value` asks serde_json for as a map, not an integer.
impl<'de> Deserialize<'de> for InstanceKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<InstanceKey, D::Error> {
        use crate::value::Value;
        match Value::deserialize(d)? {
            Value::String(s) => Ok(InstanceKey::Str(s)),
            Value::Number(n) => n.as_i64().map(InstanceKey::Int).ok_or_else(|| {
                serde::de::Error::custom(format!("an instance key must be a whole number, got {n}"))
            }),
            other => Err(serde::de::Error::custom(format!(
                "an instance key must be a number or a string, not {}",
                other.type_name()
            ))),
        }
    }
}

/// One instance of a resource: `network/terrace_data.vpc[0]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InstanceAddr {
    pub resource: ResourceAddr,
    pub key: Option<InstanceKey>,
}

impl ResourceAddr {
    /// `TYPE.NAME` or `data.TYPE.NAME`, without the configuration.
    pub fn local(&self) -> String {
        match self.mode {
            Mode::Managed => format!("{}.{}", self.type_name, self.name),
            Mode::Data => format!("data.{}.{}", self.type_name, self.name),
        }
    }

    pub fn instance(&self, key: Option<InstanceKey>) -> InstanceAddr {
        InstanceAddr {
            resource: self.clone(),
            key,
        }
    }
}

impl InstanceAddr {
    /// Reads `CONFIG/TYPE.NAME[KEY]` (also `ENV/CONFIG/…`; the environment
    /// is returned apart).
    pub fn parse(s: &str) -> Result<(Option<String>, InstanceAddr), String> {
        let bad = || {
            format!(
                "\"{s}\" is not a resource address; write CONFIG/TYPE.NAME, e.g. network/file.inventory"
            )
        };
        let parts: Vec<&str> = s.splitn(3, '/').collect();
        let (env, config, rest) = match parts.as_slice() {
            [c, r] => (None, *c, *r),
            [e, c, r] => (Some(e.to_string()), *c, *r),
            _ => return Err(bad()),
        };
        let (body, key) = match rest.find('[') {
            Some(i) if rest.ends_with(']') => {
                let inner = &rest[i + 1..rest.len() - 1];
                let key = parse_key(inner).ok_or_else(|| {
                    format!("\"{s}\": a key is a number or a quoted string; write [{inner:?}] (quote it in the shell: '{}[{inner:?}]')", &s[..s.len() - rest.len() + i])
                })?;
                (&rest[..i], Some(key))
            }
            Some(_) => return Err(bad()),
            None => (rest, None),
        };
        let segs: Vec<&str> = body.split('.').collect();
        let (mode, type_name, name) = match segs.as_slice() {
            ["data", t, n] => (Mode::Data, *t, *n),
            [t, n] => (Mode::Managed, *t, *n),
            _ => return Err(bad()),
        };
        if [config, type_name, name].iter().any(|x| x.is_empty()) {
            return Err(bad());
        }
        Ok((
            env,
            InstanceAddr {
                resource: ResourceAddr {
                    config: config.to_string(),
                    mode,
                    type_name: type_name.to_string(),
                    name: name.to_string(),
                },
                key,
            },
        ))
    }
}

fn parse_key(s: &str) -> Option<InstanceKey> {
    if let Ok(i) = s.parse::<i64>() {
        return Some(InstanceKey::Int(i));
    }
    serde_json::from_str::<String>(s).ok().map(InstanceKey::Str)
}

impl fmt::Display for InstanceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstanceKey::Int(i) => write!(f, "[{i}]"),
            // JSON quoting, as `parse_key` reads it back (and as HCL
            // writes a string: `\u001b` for a control character).
            InstanceKey::Str(s) => {
                write!(f, "[{}]", serde_json::to_string(s).map_err(|_| fmt::Error)?)
            }
        }
    }
}

impl fmt::Display for ResourceAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.config, self.local())
    }
}

impl fmt::Display for InstanceAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.resource)?;
        if let Some(k) = &self.key {
            write!(f, "{k}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_round_trip_through_their_display() {
        for s in [
            "network/terrace_data.vpc",
            "app/file.page[3]",
            "app/file.page[\"index a\"]",
            "net/data.file.seed",
        ] {
            let (env, a) = InstanceAddr::parse(s).unwrap();
            assert_eq!(env, None);
            assert_eq!(a.to_string(), s);
        }
        let (env, a) = InstanceAddr::parse("dev/network/file.inventory").unwrap();
        assert_eq!(env.as_deref(), Some("dev"));
        assert_eq!(a.to_string(), "network/file.inventory");
        assert!(InstanceAddr::parse("file.inventory").is_err());
        assert!(InstanceAddr::parse("a/b.c[x").is_err());
    }

    #[test]
    fn keys_with_control_characters_round_trip_through_their_display() {
        let a = InstanceAddr {
            resource: ResourceAddr {
                config: "web".into(),
                mode: Mode::Managed,
                type_name: "file".into(),
                name: "page".into(),
            },
            key: Some(InstanceKey::Str("a\u{1b}\u{7f}\"b\u{200b}[x]".into())),
        };
        let text = a.to_string();
        assert_eq!(text, "web/file.page[\"a\\u001b\u{7f}\\\"b\u{200b}[x]\"]");
        assert_eq!(InstanceAddr::parse(&text).unwrap(), (None, a));
    }
}
