//! Schemas: a resource type's arguments and computed attributes, and the
//! generic part of planning that every type shares.

use crate::value::{Map, Path, Value};

/// Who sets an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrKind {
    /// Must be set in the configuration.
    Required,
    /// May be set; `default` applies otherwise.
    Optional,
    /// Set by the provider; cannot be configured.
    Computed,
}

/// The type an attribute accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrType {
    String,
    Number,
    Bool,
    /// Any value (lists and objects too).
    Any,
}

/// One attribute of a schema.
#[derive(Debug, Clone)]
pub struct AttrSchema {
    pub name: &'static str,
    pub kind: AttrKind,
    pub ty: AttrType,
    /// Changing it replaces the object.
    pub force_new: bool,
    /// Shown as `(sensitive value)`.
    pub sensitive: bool,
    pub default: Option<Value>,
    pub description: &'static str,
}

impl AttrSchema {
    pub const fn new(
        name: &'static str,
        kind: AttrKind,
        ty: AttrType,
        description: &'static str,
    ) -> AttrSchema {
        AttrSchema {
            name,
            kind,
            ty,
            force_new: false,
            sensitive: false,
            default: None,
            description,
        }
    }

    pub const fn force_new(mut self) -> AttrSchema {
        self.force_new = true;
        self
    }

    pub fn default(mut self, v: Value) -> AttrSchema {
        self.default = Some(v);
        self
    }
}

/// What every resource block may hold besides its type's arguments.
const META_ARGUMENTS: &[&str] = &["count", "for_each", "depends_on", "lifecycle"];

/// A resource type's attributes.
#[derive(Debug, Clone, Default)]
pub struct Schema {
    pub attributes: Vec<AttrSchema>,
}

/// A configuration that does not fit the schema.
#[derive(Debug, Clone, PartialEq)]
pub enum SchemaError {
    Unknown {
        name: String,
        suggestion: Option<String>,
    },
    Computed {
        name: String,
    },
    Missing {
        name: String,
    },
    WrongType {
        name: String,
        expected: AttrType,
        got: String,
    },
}

impl std::fmt::Display for AttrType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            AttrType::String => "string",
            AttrType::Number => "number",
            AttrType::Bool => "bool",
            AttrType::Any => "any value",
        })
    }
}

impl Schema {
    pub fn attribute(&self, name: &str) -> Option<&AttrSchema> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// The argument names a configuration may set.
    pub fn arguments(&self) -> impl Iterator<Item = &str> {
        self.attributes
            .iter()
            .filter(|a| a.kind != AttrKind::Computed)
            .map(|a| a.name)
    }

    /// Checks which argument names a configuration sets (before evaluation).
    pub fn check_names<'n>(&self, names: impl IntoIterator<Item = &'n str>) -> Vec<SchemaError> {
        let mut errors = Vec::new();
        let names: Vec<&str> = names.into_iter().collect();
        for name in &names {
            match self.attribute(name) {
                None => errors.push(SchemaError::Unknown {
                    name: name.to_string(),
                    suggestion: crate::diag::did_you_mean(
                        name,
                        self.arguments().chain(META_ARGUMENTS.iter().copied()),
                    )
                    .map(str::to_string),
                }),
                Some(a) if a.kind == AttrKind::Computed => errors.push(SchemaError::Computed {
                    name: name.to_string(),
                }),
                Some(_) => {}
            }
        }
        for a in &self.attributes {
            if a.kind == AttrKind::Required && !names.contains(&a.name) {
                errors.push(SchemaError::Missing {
                    name: a.name.to_string(),
                });
            }
        }
        errors
    }

    /// Converts an evaluated configuration to the schema's types and fills
    /// defaults; computed attributes are left out.
    pub fn conform(&self, config: Value) -> Result<Map, Vec<SchemaError>> {
        let mut given = match config.into_unmarked().0 {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        let mut out = Map::new();
        let mut errors = Vec::new();
        for a in &self.attributes {
            if a.kind == AttrKind::Computed {
                continue;
            }
            let v = match given.remove(a.name) {
                Some(v) if !v.is_null() => v,
                _ => match (&a.default, a.kind) {
                    (Some(d), _) => d.clone(),
                    (None, AttrKind::Required) => {
                        errors.push(SchemaError::Missing {
                            name: a.name.to_string(),
                        });
                        continue;
                    }
                    (None, _) => Value::Null,
                },
            };
            match conform_type(v, a.ty) {
                Ok(v) => {
                    out.insert(a.name.to_string(), v.mark_if(a.sensitive));
                }
                Err(got) => errors.push(SchemaError::WrongType {
                    name: a.name.to_string(),
                    expected: a.ty,
                    got,
                }),
            }
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }

    /// The generic plan: configured arguments as given; computed
    /// attributes kept from the prior object, or unknown for a new one;
    /// `force_new` arguments that changed require replacement.
    pub fn plan(&self, config: Map, prior: Option<&Value>) -> (Map, Vec<Path>) {
        let mut planned = config;
        let mut replace = Vec::new();
        for a in &self.attributes {
            match a.kind {
                AttrKind::Computed => {
                    let v = prior
                        .and_then(|p| p.get(a.name))
                        .cloned()
                        .unwrap_or(Value::Unknown);
                    planned.insert(a.name.to_string(), v);
                }
                _ => {
                    if a.force_new
                        && let Some(p) = prior
                    {
                        let before = p.get(a.name).unwrap_or(&Value::Null);
                        let after = planned.get(a.name).unwrap_or(&Value::Null);
                        if !after.is_wholly_known() || !before.same_as(after) {
                            replace.push(Path::attr(a.name));
                        }
                    }
                }
            }
        }
        (planned, replace)
    }
}

fn conform_type(v: Value, ty: AttrType) -> Result<Value, String> {
    if v.is_unknown() || v.is_null() || ty == AttrType::Any {
        return Ok(v);
    }
    let (inner, marked) = v.into_unmarked();
    let converted = match ty {
        AttrType::String => crate::eval::convert(inner, &crate::config::Type::String),
        AttrType::Number => crate::eval::convert(inner, &crate::config::Type::Number),
        AttrType::Bool => crate::eval::convert(inner, &crate::config::Type::Bool),
        AttrType::Any => Ok(inner),
    };
    converted.map(|v| v.mark_if(marked))
}
