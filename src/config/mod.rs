//! Definitions: HCL files → typed blocks with spans.
//!
//! Owns reading the project root's `*.hcl` files and each referenced
//! architecture directory, and turning them into [`Project`]: environments,
//! configurations and architectures whose expressions keep their source
//! spans. Every problem is collected as a diagnostic; nothing is evaluated
//! here and nothing but definition files is read. Entry point: [`load`].

mod architecture;
mod body;
pub mod expr;
mod project;
mod split;
mod types;

pub use architecture::{
    Architecture, IgnoreChanges, Lifecycle, Local, Mode, Names, Output, Resource, Validation,
    Variable,
};
pub use body::{Attr, is_name};
pub use expr::{Expr, ExprKind, Reference};
pub use project::{Authorization, Configuration, Environment, Input, Plugin};
pub use types::{Attribute as TypeAttribute, Type};

use crate::diag::{Diagnostic, Diagnostics, SourceMap, display_name};
use expr::Src;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// A loaded project: every definition of every environment.
#[derive(Debug)]
pub struct Project {
    /// The project root (absolute).
    pub root: PathBuf,
    pub sources: SourceMap,
    pub name: String,
    pub description: Option<String>,
    pub environments: Vec<Environment>,
    pub configurations: Vec<Configuration>,
    /// Configurations declared but not usable, because of an error already
    /// reported: references to them are not reported again.
    pub unusable: Vec<String>,
    pub architectures: Vec<Architecture>,
    /// sha256 over every definition file's name and content.
    pub definitions_hash: String,
    /// `plugin` blocks: executables that provide resource types.
    pub plugins: Vec<Plugin>,
}

impl Project {
    pub fn environment(&self, name: &str) -> Option<&Environment> {
        self.environments.iter().find(|e| e.name == name)
    }

    pub fn configuration(&self, name: &str) -> Option<&Configuration> {
        self.configurations.iter().find(|c| c.name == name)
    }

    pub fn architecture_of(&self, c: &Configuration) -> &Architecture {
        &self.architectures[c.architecture]
    }
}

/// Loads the project in `root`. The project is returned even when the
/// diagnostics hold errors, so that they can be rendered against its sources.
pub fn load(root: &Path) -> (Project, Diagnostics) {
    let mut diags = Diagnostics::default();
    let root = std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf());
    let mut project = Project {
        name: root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "project".into()),
        root: root.clone(),
        sources: SourceMap::default(),
        description: None,
        environments: Vec::new(),
        configurations: Vec::new(),
        unusable: Vec::new(),
        architectures: Vec::new(),
        definitions_hash: String::new(),
        plugins: Vec::new(),
    };
    let mut hasher = Sha256::new();
    let mut decl = project::Declarations::default();
    let files = match hcl_files(&root) {
        Ok(files) => files,
        Err(d) => {
            diags.push(d);
            return (project, diags);
        }
    };
    if files.is_empty() {
        diags.push(
            Diagnostic::error(
                "config::no_project",
                format!("no *.hcl files in {}", root.display()),
            )
            .help("run `terrace init` to create an example project, or pass --project DIR"),
        );
        return (project, diags);
    }
    for path in files {
        parse_file(
            &path,
            &root,
            &mut project.sources,
            &mut hasher,
            &mut diags,
            |body, src, diags| decl.add_file(body, src, diags),
        );
    }
    if decl.environments.is_empty() && !diags.has_errors() {
        diags.push(
            Diagnostic::error(
                "config::no_environment",
                "the project declares no environment",
            )
            .help("add `environment \"dev\" {}` to the project file"),
        );
    }
    for env in &decl.environments {
        if let Some((from, span)) = &env.promote_from
            && !decl.environments.iter().any(|e| &e.name == from)
        {
            let names = decl.environments.iter().map(|e| e.name.as_str());
            let mut d = Diagnostic::error(
                "config::unknown_environment",
                format!("promote_from names an unknown environment \"{from}\""),
            )
            .label(*span, "no such environment");
            if let Some(s) = crate::diag::did_you_mean(from, names) {
                d = d.help(format!("did you mean \"{s}\"?"));
            }
            diags.push(d);
        }
    }
    for mut c in std::mem::take(&mut decl.configurations) {
        match resolve_architecture(&c, &mut project, &mut hasher, &mut diags) {
            Some(index) => c.architecture = index,
            None => {
                project.unusable.push(c.name);
                continue;
            }
        }
        project.configurations.push(c);
    }
    project.definitions_hash = format!("{:x}", hasher.finalize());
    tracing::debug!(
        root = %project.root.display(),
        files = project.sources.files().count(),
        environments = decl.environments.len(),
        configurations = project.configurations.len(),
        architectures = project.architectures.len(),
        hash = %project.definitions_hash,
        "loaded definitions"
    );
    if let Some((name, _)) = decl.name {
        project.name = name;
    }
    project.description = decl.description;
    project.environments = decl.environments;
    project.plugins = decl.plugins;
    project.unusable.append(&mut decl.unusable);
    (project, diags)
}

/// Finds or loads the architecture a configuration names.
fn resolve_architecture(
    c: &Configuration,
    project: &mut Project,
    hasher: &mut Sha256,
    diags: &mut Diagnostics,
) -> Option<usize> {
    let source = c.architecture_source.as_str();
    let fail = |diags: &mut Diagnostics, msg: String, help: &str| {
        diags.push(
            Diagnostic::error("config::architecture_source", msg)
                .label(c.architecture_span, "here")
                .help(help.to_string()),
        );
        None
    };
    if source.starts_with("catalog:") {
        return fail(
            diags,
            format!("catalog architectures (\"{source}\") are not supported yet"),
            "use a local directory, e.g. \"./architectures/network\"",
        );
    }
    if !(source.starts_with("./") || source.starts_with("../") || source.starts_with('/')) {
        return fail(
            diags,
            format!("\"{source}\" is not an architecture source"),
            "a local architecture is a path starting with ./ or ../, e.g. \"./architectures/network\"",
        );
    }
    let dir = project.root.join(source);
    let canonical = match dir.canonicalize() {
        Ok(d) if d.is_dir() => d,
        Ok(_) => {
            return fail(
                diags,
                format!("{} is not a directory", dir.display()),
                "point at a directory of *.hcl files",
            );
        }
        Err(e) => {
            return fail(
                diags,
                format!("cannot open architecture {}: {e}", dir.display()),
                "check the path; it is relative to the project root",
            );
        }
    };
    if let Some(i) = project
        .architectures
        .iter()
        .position(|a| a.dir == canonical)
    {
        return Some(i);
    }
    let files = match hcl_files(&canonical) {
        Ok(f) => f,
        Err(d) => {
            diags.push(d);
            return None;
        }
    };
    if files.is_empty() {
        return fail(
            diags,
            format!("architecture {source} has no *.hcl files"),
            "add a main.hcl with variable, resource and output blocks",
        );
    }
    let mut arch = Architecture::new(canonical, source.to_string());
    for path in files {
        parse_file(
            &path,
            &project.root,
            &mut project.sources,
            hasher,
            diags,
            |body, src, diags| arch.add_file(body, src, diags),
        );
    }
    // Templates and other files beside the definitions are part of them:
    // a saved plan must not apply once they change.
    hash_other_files(&arch.dir, &project.root, hasher, 0);
    project.architectures.push(arch);
    Some(project.architectures.len() - 1)
}

/// Adds every file under `dir` except `*.hcl` (hashed as they are read)
/// to the definitions hash, in name order; hidden entries are skipped.
fn hash_other_files(dir: &Path, root: &Path, hasher: &mut Sha256, depth: usize) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| !n.to_string_lossy().starts_with('.'))
        })
        .collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            // Deep trees are not definitions; stop somewhere sane.
            if depth < 8 {
                hash_other_files(&path, root, hasher, depth + 1);
            }
            continue;
        }
        let read_as_definition = depth == 0 && path.extension().is_some_and(|e| e == "hcl");
        if !read_as_definition && let Ok(bytes) = std::fs::read(&path) {
            hasher.update(display_name(&path, root).as_bytes());
            hasher.update([0]);
            hasher.update(&bytes);
            hasher.update([0]);
        }
    }
}

/// The `*.hcl` files directly in `dir`, sorted by name, hidden files skipped.
fn hcl_files(dir: &Path) -> Result<Vec<PathBuf>, Diagnostic> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        Diagnostic::error(
            "config::read",
            format!("cannot read directory {}: {e}", dir.display()),
        )
        .help("pass the project directory with --project DIR")
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "hcl")
                && p.file_name()
                    .is_some_and(|n| !n.to_string_lossy().starts_with('.'))
                && p.is_file()
        })
        .collect();
    files.sort();
    Ok(files)
}

/// Files larger than this are parsed in pieces (see [`split`]).
const SPLIT_ABOVE: usize = 1 << 20;
/// About how large each piece is.
const PIECE: usize = 256 << 10;

/// Reads and parses one file, registering it in the source map and the
/// definitions hash, and hands each parsed piece to `add` (the whole file
/// is one piece unless it is large).
fn parse_file(
    path: &Path,
    root: &Path,
    sources: &mut SourceMap,
    hasher: &mut Sha256,
    diags: &mut Diagnostics,
    mut add: impl FnMut(hcl::edit::structure::Body, Src, &mut Diagnostics),
) {
    let text = match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(_) => {
                diags.push(Diagnostic::error(
                    "config::read",
                    format!("{} is not UTF-8 text", path.display()),
                ));
                return;
            }
        },
        Err(e) => {
            diags.push(Diagnostic::error(
                "config::read",
                format!("cannot read {}: {e}", path.display()),
            ));
            return;
        }
    };
    let name = display_name(path, root);
    hasher.update(name.as_bytes());
    hasher.update([0]);
    hasher.update(text.as_bytes());
    hasher.update([0]);
    let whole = std::iter::once(0..text.len()).collect();
    let pieces = match text.len() > SPLIT_ABOVE {
        true => split::chunks(&text, PIECE).unwrap_or(whole),
        false => whole,
    };
    let file = sources.add(path, root, text);
    let text = sources.file(file).text.clone();
    for piece in pieces {
        let src = Src {
            file,
            base: piece.start as u32,
        };
        match hcl::edit::parser::parse_body(&text[piece]) {
            Ok(body) => add(body, src, diags),
            Err(e) => {
                let offset = e.location().offset();
                diags.push(
                    Diagnostic::error("config::syntax", format!("syntax error: {}", first_line(e.message())))
                        .label(src.span(Some(offset..offset + 1)), "here")
                        .help(
                            "blocks are written NAME \"LABEL\" { … } and attributes NAME = VALUE; check the brackets and quotes up to here",
                        ),
                );
            }
        }
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}
