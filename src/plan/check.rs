//! Checking resource blocks against their provider's schema, before any
//! evaluation.

use crate::address::Mode;
use crate::config::{IgnoreChanges, Resource};
use crate::diag::{Diagnostic, Diagnostics};
use crate::eval::ProjectGraph;
use crate::ids::{ConfigId, ResourceId};
use crate::provider::{self, Provider, Registry, SchemaError};

/// Checks every resource block against its provider's schema, before any
/// evaluation: unknown type, unknown or computed arguments, missing
/// required ones.
pub fn check_schemas(graph: &ProjectGraph<'_>, registry: &Registry) -> Diagnostics {
    let mut diags = Diagnostics::default();
    for c in graph.project.configurations.keys() {
        for r in graph.arch(c).resources.keys() {
            diags.extend(check_resource(graph, c, r, registry));
        }
    }
    diags
}

fn check_resource(
    graph: &ProjectGraph<'_>,
    c: ConfigId,
    r: ResourceId,
    registry: &Registry,
) -> Diagnostics {
    let res = &graph.arch(c).resources[r];
    let mut diags = Diagnostics::default();
    let Some(p) = registry.get(&res.type_name) else {
        let mut d = Diagnostic::error(
            "config::unknown_type",
            format!("unknown resource type \"{}\"", res.type_name),
        )
        .label(res.span, "no provider for this type");
        d = d.help(
            match crate::diag::did_you_mean(&res.type_name, registry.names()) {
                Some(s) => format!("did you mean \"{s}\"?"),
                None => format!(
                    "available types: {}",
                    registry.names().collect::<Vec<_>>().join(", ")
                ),
            },
        );
        diags.push(d);
        return diags;
    };
    let Some(schema) = schema_of(p.as_ref(), res.mode) else {
        let readers: Vec<&str> = registry
            .names()
            .filter(|n| registry.get(n).is_some_and(|p| p.data_schema().is_some()))
            .collect();
        diags.push(no_data_source(res, Some(&readers)));
        return diags;
    };
    let errors = schema.check_names(res.attrs.iter().map(|a| a.name.as_str()));
    diags.extend(schema_diags(res, &errors));
    if let IgnoreChanges::Paths(paths) = &res.lifecycle.ignore_changes {
        for (path, span) in paths {
            let name = path.first_attr().unwrap_or_default();
            if !schema.arguments().any(|a| a == name) {
                let mut d = Diagnostic::error(
                    "config::invalid_ignore_changes",
                    format!(
                        "ignore_changes names \"{name}\", which is not an argument of {}",
                        res.type_name
                    ),
                )
                .label(*span, "not an argument");
                if let Some(s) = crate::diag::did_you_mean(name, schema.arguments()) {
                    d = d.help(format!("did you mean \"{s}\"?"));
                }
                diags.push(d);
            }
        }
    }
    diags
}

/// The schema that checks a block: the type's, or its data source's.
pub(super) fn schema_of(p: &dyn Provider, mode: Mode) -> Option<&provider::Schema> {
    match mode {
        Mode::Managed => Some(p.schema()),
        Mode::Data => p.data_schema(),
    }
}

/// `data "TYPE"` for a type without a data source; `readers` are the
/// types that have one, when known.
pub(super) fn no_data_source(res: &Resource, readers: Option<&[&str]>) -> Diagnostic {
    Diagnostic::error(
        "config::no_data_source",
        format!("type \"{}\" has no data source", res.type_name),
    )
    .label(res.span, "here")
    .help(match readers {
        Some(r) => format!("the data sources are: {}", r.join(", ")),
        None => "see docs/language.md §9 for the types with a data source".to_string(),
    })
}

pub(super) fn schema_diags(res: &Resource, errors: &[SchemaError]) -> Diagnostics {
    let mut diags = Diagnostics::default();
    let span_of = |name: &str| {
        res.attrs
            .iter()
            .find(|a| a.name == name)
            .map_or(res.span, |a| a.name_span)
    };
    let value_span = |name: &str| {
        res.attrs
            .iter()
            .find(|a| a.name == name)
            .map_or(res.span, |a| a.expr.span)
    };
    for e in errors {
        diags.push(match e {
            SchemaError::Unknown { name, suggestion } => Diagnostic::error(
                "config::unknown_argument",
                format!("{} has no argument \"{name}\"", res.type_name),
            )
            .label(span_of(name), "unknown argument")
            .help(match suggestion {
                Some(s) => format!("did you mean \"{s}\"?"),
                None => "see docs/language.md for the arguments of each type".into(),
            }),
            SchemaError::Computed { name } => Diagnostic::error(
                "config::computed_argument",
                format!(
                    "\"{name}\" of {} is set by terrace and cannot be configured",
                    res.type_name
                ),
            )
            .label(span_of(name), "remove this")
            .help(format!(
                "read it as {}.{}.{name} instead",
                res.type_name, res.name
            )),
            SchemaError::Missing { name } => Diagnostic::error(
                "config::missing_argument",
                format!("{} needs the argument \"{name}\"", res.type_name),
            )
            .label(res.span, "in this resource")
            .help(format!("add `{name} = …`")),
            SchemaError::WrongType {
                name,
                expected,
                got,
            } => Diagnostic::error(
                "config::wrong_type",
                format!(
                    "argument \"{name}\" of {} must be a {expected}: {got}",
                    res.type_name
                ),
            )
            .label(value_span(name), format!("expected {expected}")),
        });
    }
    diags
}
