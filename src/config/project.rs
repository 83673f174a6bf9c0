//! The project definition: `project`, `environment`, `configuration`,
//! `plugin`, `policy` and `variable` blocks from the `*.hcl` files in the
//! project root.

use super::architecture::duplicate;
use super::body::{self, Allowed, Attr};
use super::expr::Src;
use super::expr::{Expr, ExprKind, ObjectKey};
use crate::diag::{Diagnostic, Diagnostics, Span};
use crate::ids::{ArchId, IdVec, InputId};
use hcl::edit::structure::Block;

/// `environment "dev" { … }`.
#[derive(Debug)]
pub struct Environment {
    pub name: String,
    pub span: Span,
    /// Inputs every configuration receives, by variable name.
    pub inputs: Vec<Input>,
    pub promote_from: Option<(String, Span)>,
    pub require_approval: bool,
    /// `require_approval { distinct_approver = true }`: the plan's author
    /// may not approve it.
    pub distinct_approver: bool,
    pub authorization: Option<Authorization>,
}

/// `authorization { api_key = env("…") }` or `{ secret_file = "…" }`: never
/// evaluated until an operation needs it, never recorded.
#[derive(Debug)]
pub struct Authorization {
    pub span: Span,
    pub api_key: Option<Expr>,
    pub secret_file: Option<Expr>,
}

/// `NAME` when `expr` is `env("NAME")`.
fn env_variable(expr: &Expr) -> Option<&str> {
    match &expr.kind {
        ExprKind::Call { name, args, .. } if name == "env" && args.len() == 1 => {
            match &args[0].kind {
                ExprKind::Literal(crate::value::Value::String(v)) => Some(v.as_str()),
                _ => None,
            }
        }
        _ => None,
    }
}

impl Authorization {
    /// The environment variable `api_key = env("NAME")` reads, if that is
    /// how it is written: commands and plugins never inherit it.
    pub fn variable(&self) -> Option<&str> {
        match &self.api_key.as_ref()?.kind {
            ExprKind::Call { name, args, .. } if name == "env" => match args.first()?.kind {
                ExprKind::Literal(crate::value::Value::String(ref v)) => Some(v.as_str()),
                _ => None,
            },
            _ => None,
        }
    }
}

/// `configuration "network" { architecture = "…", inputs = { … } }`.
#[derive(Debug)]
pub struct Configuration {
    pub name: String,
    pub span: Span,
    pub description: Option<String>,
    pub architecture_source: String,
    pub architecture_span: Span,
    /// Which of [`super::Project::architectures`].
    pub architecture: ArchId,
    pub inputs: IdVec<InputId, Input>,
}

/// One `name = expression` of an `inputs` object.
#[derive(Debug, Clone)]
pub struct Input {
    pub name: String,
    pub span: Span,
    pub expr: Expr,
}

/// `plugin "NAME" { command = ["python3", "plugins/x.py"] }`: an executable
/// that provides resource types over docs/plugin-protocol.md.
#[derive(Debug, Clone)]
pub struct Plugin {
    pub name: String,
    pub span: Span,
    /// `argv[0]` and its arguments; a relative `argv[0]` containing `/` is
    /// relative to the project root.
    pub command: Vec<String>,
    pub command_span: Span,
    /// Seconds a request may take before the plugin is stopped.
    pub timeout: Option<f64>,
}

/// How a failing policy gates a plan (docs/policies.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Enforcement {
    /// Reported; never blocks.
    Advisory,
    /// Blocks apply and approval.
    Mandatory,
    /// Blocks apply until an approval overrides it by name.
    Overridable,
}

impl Enforcement {
    pub fn parse(s: &str) -> Option<Enforcement> {
        match s {
            "advisory" => Some(Enforcement::Advisory),
            "mandatory" => Some(Enforcement::Mandatory),
            "overridable" => Some(Enforcement::Overridable),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Enforcement::Advisory => "advisory",
            Enforcement::Mandatory => "mandatory",
            Enforcement::Overridable => "overridable",
        }
    }
}

/// `policy "NAME" { source = "policies/x.rego", query = "data.terrace.deny",
/// enforcement = "mandatory", environments = ["prod"] }`: Rego evaluated on
/// the JSON plan (see [`crate::policy`]).
#[derive(Debug, Clone)]
pub struct Policy {
    pub name: String,
    pub span: Span,
    /// As written: relative to the project root.
    pub source: String,
    pub source_span: Span,
    /// The Rego file in the project's source map, once read (for
    /// diagnostics; `None` in a copy given to a release's workspace).
    pub file: Option<crate::diag::FileId>,
    /// The Rego text, once read.
    pub text: Option<std::sync::Arc<str>>,
    pub query: String,
    pub query_span: Span,
    pub enforcement: Enforcement,
    /// The environments it gates; empty: every environment.
    pub environments: Vec<(String, Span)>,
}

impl Policy {
    /// Whether the policy gates plans of `env`.
    pub fn applies_to(&self, env: &str) -> bool {
        self.environments.is_empty() || self.environments.iter().any(|(e, _)| e == env)
    }
}

/// `backend "local" {}` or `backend "postgres" { url = env("NAME") }`:
/// where the project's records live (see [`crate::store`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Backend {
    pub kind: BackendKind,
    pub span: Span,
}

/// The backends a project can name.
#[derive(Debug, Clone, PartialEq)]
pub enum BackendKind {
    /// `.terrace/` in the project root (the default).
    Local,
    /// PostgreSQL; the URL is read from the environment variable named,
    /// never written in a file (it may hold a password).
    Postgres { url_variable: String },
}

/// The variable a PostgreSQL backend reads its URL from when the block
/// names none.
pub const DATABASE_URL_VARIABLE: &str = "TERRACE_DATABASE_URL";

/// What the project files declare, before architectures are resolved.
#[derive(Debug)]
pub struct Declarations {
    pub name: Option<(String, Span)>,
    pub description: Option<String>,
    /// The project block's `catalog`: a directory or an index URL.
    pub catalog: Option<(String, Span)>,
    pub environments: Vec<Environment>,
    /// Configurations with their architecture source, index still unset.
    pub configurations: Vec<Configuration>,
    /// Configurations declared but unusable (reported already).
    pub unusable: Vec<String>,
    pub plugins: Vec<Plugin>,
    pub policies: Vec<Policy>,
    /// The `backend` block, if any.
    pub backend: Option<Backend>,
    /// `variable` blocks of the project files, kept the way an
    /// architecture keeps its own (same checks, same duplicate rules).
    pub variables: super::Architecture,
}

impl Default for Declarations {
    fn default() -> Declarations {
        Declarations {
            name: None,
            description: None,
            catalog: None,
            environments: Vec::new(),
            configurations: Vec::new(),
            unusable: Vec::new(),
            plugins: Vec::new(),
            policies: Vec::new(),
            backend: None,
            variables: super::Architecture::new(std::path::PathBuf::new(), String::new()),
        }
    }
}

impl Declarations {
    /// Adds the blocks of one project file.
    pub fn add_file(
        &mut self,
        parsed: hcl::edit::structure::Body,
        file: Src,
        diags: &mut Diagnostics,
    ) {
        let top = body::read(
            parsed,
            file,
            &Allowed {
                what: "the project definition",
                attrs: Some(&[]),
                blocks: &[
                    "project",
                    "environment",
                    "configuration",
                    "plugin",
                    "policy",
                    "variable",
                    "backend",
                ],
            },
            diags,
        );
        for b in top.blocks {
            match b.ident.value().as_str() {
                "project" => self.add_project(b, file, diags),
                "environment" => self.add_environment(b, file, diags),
                "configuration" => self.add_configuration(b, file, diags),
                "plugin" => self.add_plugin(b, file, diags),
                "policy" => self.add_policy(b, file, diags),
                "variable" => self.variables.add_variable(b, file, diags),
                "backend" => self.add_backend(b, file, diags),
                _ => unreachable!("body::read lets only the allowed blocks through"),
            }
        }
    }

    fn add_project(&mut self, b: Block, file: Src, diags: &mut Diagnostics) {
        let Some(labels) = body::labels(&b, file, &["name"], diags) else {
            return;
        };
        let (name, span) = labels.into_iter().next().expect("one label");
        if let Some((prev_name, prev)) = &self.name {
            diags.push(
                duplicate("project", prev_name, span, *prev)
                    .help("a project has one project block"),
            );
            return;
        }
        let mut c = body::read(
            b.body,
            file,
            &Allowed {
                what: "the project block",
                attrs: Some(&["description", "catalog"]),
                blocks: &[],
            },
            diags,
        );
        self.description = c
            .take("description")
            .and_then(|a| body::literal_string(&a, diags));
        self.catalog = c.take("catalog").and_then(|a| {
            let setting = body::literal_string(&a, diags)?;
            if super::catalog::Location::parse(&setting).is_none() {
                diags.push(
                    Diagnostic::error(
                        "config::catalog",
                        format!("\"{setting}\" is not a catalog location"),
                    )
                    .label(a.expr.span, "here")
                    .help("a catalog is a directory (\"./catalog\") or the URL of an index (\"https://…/index.json\")"),
                );
            }
            Some((setting, a.expr.span))
        });
        self.name = Some((name, span));
    }

    fn add_backend(&mut self, b: Block, file: Src, diags: &mut Diagnostics) {
        let Some((kind, span, mut c)) = body::named(
            b,
            file,
            &Allowed {
                what: "a backend block",
                attrs: Some(&["url"]),
                blocks: &[],
            },
            diags,
        ) else {
            return;
        };
        if let Some(prev) = &self.backend {
            diags.push(
                duplicate("backend", &kind, span, prev.span)
                    .help("a project keeps its records in one backend"),
            );
            return;
        }
        let url = c.take("url");
        let kind = match kind.as_str() {
            "local" => {
                if let Some(url) = url {
                    diags.push(
                        Diagnostic::error("config::backend", "the local backend takes no settings")
                            .label(url.name_span, "not a setting of backend \"local\"")
                            .help("remove it: local records live in .terrace/ in the project root"),
                    );
                }
                BackendKind::Local
            }
            "postgres" => {
                let url_variable = match url {
                    None => DATABASE_URL_VARIABLE.to_string(),
                    Some(a) => match env_variable(&a.expr) {
                        Some(v) => v.to_string(),
                        None => {
                            diags.push(
                                Diagnostic::error(
                                    "config::backend_url",
                                    "the database URL must come from an environment variable",
                                )
                                .label(a.expr.span, "write env(\"NAME\") here")
                                .help(format!(
                                    "the URL may hold a password, and definition files are copied into releases and exports: write `url = env(\"{DATABASE_URL_VARIABLE}\")` and set that variable"
                                )),
                            );
                            return;
                        }
                    },
                };
                BackendKind::Postgres { url_variable }
            }
            other => {
                let mut d = Diagnostic::error(
                    "config::backend",
                    format!("there is no backend \"{other}\""),
                )
                .label(span, "unknown backend");
                d = match crate::diag::did_you_mean(other, ["local", "postgres"]) {
                    Some(s) => d.help(format!("did you mean \"{s}\"?")),
                    None => d.help("the backends are \"local\" and \"postgres\""),
                };
                diags.push(d);
                return;
            }
        };
        self.backend = Some(Backend { kind, span });
    }

    fn add_environment(&mut self, b: Block, file: Src, diags: &mut Diagnostics) {
        let Some((name, span, mut c)) = body::named(
            b,
            file,
            &Allowed {
                what: "an environment block",
                attrs: Some(&["inputs", "promote_from", "require_approval"]),
                blocks: &["authorization", "require_approval"],
            },
            diags,
        ) else {
            return;
        };
        let mut authorization = None;
        let mut approval_block: Option<(bool, Span)> = None;
        for ab in std::mem::take(&mut c.blocks) {
            let ab_span = body::header_span(&ab, file);
            if ab.ident.value().as_str() == "require_approval" {
                let distinct = approval_rules(ab, file, diags);
                if approval_block.replace((distinct, ab_span)).is_some() {
                    diags.push(
                        Diagnostic::error(
                            "config::duplicate",
                            "an environment has at most one require_approval block",
                        )
                        .label(ab_span, "second one here"),
                    );
                }
                continue;
            }
            let mut ac = body::read(
                ab.body,
                file,
                &Allowed {
                    what: "an authorization block",
                    attrs: Some(&["api_key", "secret_file"]),
                    blocks: &[],
                },
                diags,
            );
            let auth = Authorization {
                span: ab_span,
                api_key: ac.take("api_key").map(|a| a.expr),
                secret_file: ac.take("secret_file").map(|a| a.expr),
            };
            if auth.api_key.is_some() == auth.secret_file.is_some() {
                diags.push(
                    Diagnostic::error(
                        "config::authorization",
                        "an authorization block needs exactly one of api_key and secret_file",
                    )
                    .label(auth.span, "here")
                    .help("write `api_key = env(\"NAME\")` or `secret_file = \"PATH\"`"),
                );
            }
            if authorization.replace(auth).is_some() {
                diags.push(
                    Diagnostic::error(
                        "config::duplicate",
                        "an environment has at most one authorization block",
                    )
                    .label(ab_span, "second one here"),
                );
            }
        }
        let require_approval = c
            .take("require_approval")
            .and_then(|a| body::literal_bool(&a, diags).map(|b| (b, a.name_span)));
        if let (Some((_, attr)), Some((_, block))) = (require_approval, approval_block) {
            diags.push(
                Diagnostic::error(
                    "config::duplicate",
                    "require_approval is set both as an attribute and as a block",
                )
                .label(block, "the block")
                .label(attr, "the attribute")
                .help("keep the block: `require_approval { distinct_approver = true }` requires an approval too"),
            );
        }
        let env = Environment {
            name,
            span,
            inputs: c
                .take("inputs")
                .map(|a| inputs_object(&a, diags))
                .unwrap_or_default(),
            promote_from: c
                .take("promote_from")
                .and_then(|a| body::literal_string(&a, diags).map(|s| (s, a.expr.span))),
            require_approval: approval_block.is_some() || require_approval.is_some_and(|(b, _)| b),
            distinct_approver: approval_block.is_some_and(|(d, _)| d),
            authorization,
        };
        if let Some(prev) = self.environments.iter().find(|e| e.name == env.name) {
            diags.push(duplicate("environment", &env.name, env.span, prev.span));
            return;
        }
        self.environments.push(env);
    }

    fn add_configuration(&mut self, b: Block, file: Src, diags: &mut Diagnostics) {
        let Some((name, span, mut c)) = body::named(
            b,
            file,
            &Allowed {
                what: "a configuration block",
                attrs: Some(&["architecture", "inputs", "description"]),
                blocks: &[],
            },
            diags,
        ) else {
            return;
        };
        let Some(arch) = c.take("architecture") else {
            diags.push(
                Diagnostic::error(
                    "config::missing_attribute",
                    format!("configuration \"{name}\" has no architecture"),
                )
                .label(span, "here")
                .help("add `architecture = \"./architectures/NAME\"`"),
            );
            self.unusable.push(name);
            return;
        };
        let Some(source) = body::literal_string(&arch, diags) else {
            self.unusable.push(name);
            return;
        };
        let configuration = Configuration {
            name,
            span,
            description: c
                .take("description")
                .and_then(|a| body::literal_string(&a, diags)),
            architecture_source: source,
            architecture_span: arch.expr.span,
            architecture: ArchId::UNRESOLVED,
            inputs: c
                .take("inputs")
                .map(|a| inputs_object(&a, diags).into())
                .unwrap_or_default(),
        };
        if let Some(prev) = self
            .configurations
            .iter()
            .find(|x| x.name == configuration.name)
        {
            diags.push(duplicate(
                "configuration",
                &configuration.name,
                configuration.span,
                prev.span,
            ));
            return;
        }
        self.configurations.push(configuration);
    }
}

impl Declarations {
    fn add_plugin(&mut self, b: Block, file: Src, diags: &mut Diagnostics) {
        let Some((name, span, mut c)) = body::named(
            b,
            file,
            &Allowed {
                what: "a plugin block",
                attrs: Some(&["command", "timeout"]),
                blocks: &[],
            },
            diags,
        ) else {
            return;
        };
        let Some(cmd) = c.take("command") else {
            diags.push(
                Diagnostic::error(
                    "config::missing_attribute",
                    format!("plugin \"{name}\" has no command"),
                )
                .label(span, "here")
                .help("add `command = [\"python3\", \"plugins/NAME.py\"]`"),
            );
            return;
        };
        let command: Option<Vec<String>> = match &cmd.expr.kind {
            ExprKind::Array(items) if !items.is_empty() => items
                .iter()
                .map(|i| i.as_literal_str().map(str::to_string))
                .collect(),
            _ => None,
        };
        let Some(command) = command else {
            diags.push(
                Diagnostic::error(
                    "config::wrong_type",
                    "a plugin's command must be a non-empty list of strings written out",
                )
                .label(cmd.expr.span, "not a list of literal strings")
                .help("write e.g. `command = [\"python3\", \"plugins/NAME.py\"]`"),
            );
            return;
        };
        let timeout = c
            .take("timeout")
            .and_then(|a| match body::literal(&a, "number", diags) {
                Some(crate::value::Value::Number(n)) if n.as_f64() > 0.0 => Some(n.as_f64()),
                Some(_) => {
                    diags.push(
                        Diagnostic::error(
                            "config::wrong_type",
                            "a plugin's timeout is a positive number of seconds",
                        )
                        .label(a.expr.span, "here"),
                    );
                    None
                }
                None => None,
            });
        let plugin = Plugin {
            name,
            span,
            command,
            command_span: cmd.expr.span,
            timeout,
        };
        if let Some(prev) = self.plugins.iter().find(|p| p.name == plugin.name) {
            diags.push(duplicate("plugin", &plugin.name, plugin.span, prev.span));
            return;
        }
        self.plugins.push(plugin);
    }
}

impl Declarations {
    fn add_policy(&mut self, b: Block, file: Src, diags: &mut Diagnostics) {
        let Some((name, span, mut c)) = body::named(
            b,
            file,
            &Allowed {
                what: "a policy block",
                attrs: Some(&["source", "query", "enforcement", "environments"]),
                blocks: &[],
            },
            diags,
        ) else {
            return;
        };
        let missing = |diags: &mut Diagnostics, attr: &str, example: &str| {
            diags.push(
                Diagnostic::error(
                    "config::missing_attribute",
                    format!("policy \"{name}\" has no {attr}"),
                )
                .label(span, "here")
                .help(format!("add `{attr} = {example}`")),
            );
        };
        let source = c.take("source");
        let query = c.take("query");
        let enforcement = c.take("enforcement");
        if source.is_none() {
            missing(diags, "source", "\"policies/NAME.rego\"");
        }
        if query.is_none() {
            missing(diags, "query", "\"data.terrace.deny\"");
        }
        if enforcement.is_none() {
            missing(diags, "enforcement", "\"mandatory\"");
        }
        let (Some(source), Some(query), Some(enforcement)) = (source, query, enforcement) else {
            return;
        };
        let text = |a: &Attr, diags: &mut Diagnostics| {
            body::literal_string(a, diags).map(|s| (s, a.expr.span))
        };
        let (Some((source, source_span)), Some((query, query_span)), Some((level, level_span))) = (
            text(&source, diags),
            text(&query, diags),
            text(&enforcement, diags),
        ) else {
            return;
        };
        let Some(enforcement) = Enforcement::parse(&level) else {
            diags.push(
                Diagnostic::error(
                    "config::policy_enforcement",
                    format!("unknown enforcement \"{level}\""),
                )
                .label(level_span, "not an enforcement level")
                .help("write \"advisory\" (warns), \"mandatory\" (blocks apply and approval) or \"overridable\" (blocks until `terrace approve --override-policy NAME`)"),
            );
            return;
        };
        if !query.starts_with("data.") {
            diags.push(
                Diagnostic::error(
                    "config::policy_query",
                    format!("the query \"{query}\" is not a reference into data"),
                )
                .label(query_span, "here")
                .help("name the rule whose value lists the violations, e.g. \"data.terrace.deny\""),
            );
            return;
        }
        let environments = match c.take("environments") {
            None => Vec::new(),
            Some(a) => match &a.expr.kind {
                ExprKind::Array(items) => {
                    let names: Option<Vec<(String, Span)>> = items
                        .iter()
                        .map(|i| i.as_literal_str().map(|s| (s.to_string(), i.span)))
                        .collect();
                    match names {
                        Some(names) if !names.is_empty() => names,
                        _ => {
                            diags.push(
                                Diagnostic::error(
                                    "config::wrong_type",
                                    "a policy's environments must be a non-empty list of environment names written out",
                                )
                                .label(a.expr.span, "here")
                                .help("write e.g. `environments = [\"prod\"]`, or leave it out to gate every environment"),
                            );
                            return;
                        }
                    }
                }
                _ => {
                    diags.push(
                        Diagnostic::error(
                            "config::wrong_type",
                            "a policy's environments must be a list of environment names",
                        )
                        .label(a.expr.span, "not a list")
                        .help("write e.g. `environments = [\"prod\"]`"),
                    );
                    return;
                }
            },
        };
        let policy = Policy {
            name,
            span,
            source,
            source_span,
            file: None,
            text: None,
            query,
            query_span,
            enforcement,
            environments,
        };
        if let Some(prev) = self.policies.iter().find(|p| p.name == policy.name) {
            diags.push(duplicate("policy", &policy.name, policy.span, prev.span));
            return;
        }
        self.policies.push(policy);
    }
}

/// `inputs = { name = expr, … }`: an object written out, so that its names
/// can be checked against the architecture's variables.
fn inputs_object(a: &Attr, diags: &mut Diagnostics) -> Vec<Input> {
    let ExprKind::Object(items) = &a.expr.kind else {
        diags.push(
            Diagnostic::error(
                "config::inputs_not_object",
                "inputs must be an object written out",
            )
            .label(a.expr.span, "not an object")
            .help("write `inputs = { name = value, … }`"),
        );
        return Vec::new();
    };
    let mut out: Vec<Input> = Vec::new();
    for (k, v) in items {
        let (name, span) = match k {
            ObjectKey::Name(n, s) => (n.clone(), *s),
            ObjectKey::Expr(e) => match e.as_literal_str() {
                Some(s) => (s.to_string(), e.span),
                None => {
                    diags.push(
                        Diagnostic::error(
                            "config::inputs_not_object",
                            "input names must be written out",
                        )
                        .label(e.span, "computed name")
                        .help("inputs are matched to variables by name; write the name itself"),
                    );
                    continue;
                }
            },
        };
        if let Some(prev) = out.iter().find(|i| i.name == name) {
            diags.push(duplicate("input", &name, span, prev.span));
            continue;
        }
        out.push(Input {
            name,
            span,
            expr: v.clone(),
        });
    }
    out
}

/// `require_approval { distinct_approver = BOOL }`: whether the plan's
/// author is refused as its approver.
fn approval_rules(b: Block, file: Src, diags: &mut Diagnostics) -> bool {
    let mut c = body::read(
        b.body,
        file,
        &Allowed {
            what: "a require_approval block",
            attrs: Some(&["distinct_approver"]),
            blocks: &[],
        },
        diags,
    );
    c.take("distinct_approver")
        .and_then(|a| body::literal_bool(&a, diags))
        .unwrap_or(false)
}
