//! Definitions: HCL files → typed blocks with spans.
//!
//! Owns reading the project root's `*.hcl` files and each referenced
//! architecture directory, and turning them into [`Project`]: environments,
//! configurations and architectures whose expressions keep their source
//! spans. Every problem is collected as a diagnostic; nothing is evaluated
//! here and nothing but definition files is read. Entry point: [`load`].

mod architecture;
mod blocks;
mod body;
pub mod catalog;
pub mod expr;
pub mod format;
pub mod json;
mod project;
mod split;
mod types;
pub mod vars;

pub use architecture::{
    Architecture, Check, Condition, IgnoreChanges, Lifecycle, Local, Mode, Names, Output, Resource,
    Validation, Variable,
};
pub use blocks::{Endpoint, Import, Moved, Removed};
pub use body::{Attr, is_name};
pub use expr::{Expr, ExprKind, Reference};
pub use project::{
    Authorization, Backend, BackendKind, Configuration, DATABASE_URL_VARIABLE, Enforcement,
    Environment, Input, Plugin, Policy,
};
pub use types::{Attribute as TypeAttribute, Type};

use crate::diag::{Diagnostic, Diagnostics, SourceMap, display_name};
use crate::ids::{ArchId, ConfigId, IdVec, VariableId};
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
    pub configurations: IdVec<ConfigId, Configuration>,
    /// Configurations declared but not usable, because of an error already
    /// reported: references to them are not reported again.
    pub unusable: Vec<String>,
    pub architectures: IdVec<ArchId, Architecture>,
    /// sha256 over every definition file's name and content.
    pub definitions_hash: String,
    /// Where the definition files were read: the root, or a release's copy.
    pub definitions_dir: PathBuf,
    /// The project block's `catalog` setting, as written.
    pub catalog: Option<String>,
    /// `plugin` blocks: executables that provide resource types.
    pub plugins: Vec<Plugin>,
    /// The `backend` block: where the project's records live.
    pub backend: Option<Backend>,
    /// Files of the project that plugin commands name (`plugins/x.py`),
    /// relative to [`Project::definitions_dir`].
    pub plugin_files: Vec<PathBuf>,
    /// `policy` blocks, their Rego files read into [`Project::sources`].
    pub policies: Vec<Policy>,
    /// The project's own `variable` blocks: set per run (`--var`,
    /// `--var-file`, `TERRACE_VAR_NAME`), read as `var.NAME` in
    /// environment and configuration inputs.
    pub variables: IdVec<VariableId, Variable>,
}

impl Project {
    pub fn environment(&self, name: &str) -> Option<&Environment> {
        self.environments.iter().find(|e| e.name == name)
    }

    pub fn configuration(&self, name: &str) -> Option<&Configuration> {
        self.configurations.iter().find(|c| c.name == name)
    }

    /// Environment names, sources before the environments promoted from
    /// them (dev, test, prod); in declaration order otherwise.
    pub fn promotion_order(&self) -> Vec<String> {
        let depth = |name: &str| {
            let mut d = 0;
            let mut cur = name;
            while let Some((from, _)) = self.environment(cur).and_then(|e| e.promote_from.as_ref())
            {
                d += 1;
                cur = from;
                // A cycle is reported by validation; stop anyway.
                if d > self.environments.len() {
                    break;
                }
            }
            d
        };
        let mut names: Vec<String> = self.environments.iter().map(|e| e.name.clone()).collect();
        names.sort_by_key(|n| depth(n));
        names
    }

    /// The project variable named `name`.
    pub fn variable(&self, name: &str) -> Option<&Variable> {
        self.variables.iter().find(|v| v.name == name)
    }

    pub fn architecture_of(&self, c: &Configuration) -> &Architecture {
        &self.architectures[c.architecture]
    }
}

/// Loads the project in `root`. The project is returned even when the
/// diagnostics hold errors, so that they can be rendered against its sources.
/// Only the working tree's `policy` blocks are read, with their Rego
/// files: they gate every plan, a release's too (see [`load_from`]).
pub fn load(root: &Path) -> (Project, Diagnostics) {
    load_definitions(root, root, true)
}

/// Loads the project in `root` from the definitions in `definitions` (a
/// copy of a project's definition files, such as a release): the files
/// and architecture paths are read there, while `root` stays the project
/// root for everything else (state, `path.root`, relative paths of
/// resources). The definitions hash is the same as for `load` of a
/// project with the same files. The copy's `policy` blocks are not read
/// (`policies` stays empty): a release is gated by the policies of the
/// working tree, whose Rego files the copy may no longer match.
pub fn load_from(root: &Path, definitions: &Path) -> (Project, Diagnostics) {
    load_definitions(root, definitions, false)
}

fn load_definitions(root: &Path, definitions: &Path, policies: bool) -> (Project, Diagnostics) {
    let mut diags = Diagnostics::default();
    let root = std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf());
    // Canonical, as architecture directories are: file names in the hash
    // are relative to it.
    let defs = definitions
        .canonicalize()
        .or_else(|_| std::path::absolute(definitions))
        .unwrap_or_else(|_| definitions.to_path_buf());
    let mut project = Project {
        name: root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "project".into()),
        root: root.clone(),
        sources: SourceMap::default(),
        description: None,
        environments: Vec::new(),
        configurations: IdVec::new(),
        unusable: Vec::new(),
        architectures: IdVec::new(),
        definitions_hash: String::new(),
        definitions_dir: defs.clone(),
        catalog: None,
        plugins: Vec::new(),
        backend: None,
        plugin_files: Vec::new(),
        policies: Vec::new(),
        variables: IdVec::new(),
    };
    let mut hasher = Sha256::new();
    let mut decl = project::Declarations::default();
    let files = match hcl_files(&defs) {
        Ok(files) => files,
        Err(d) => {
            diags.push(d);
            return (project, diags);
        }
    };
    if files.is_empty() {
        let terraform = std::fs::read_dir(&defs).is_ok_and(|entries| {
            entries
                .flatten()
                .any(|e| e.path().extension().is_some_and(|x| x == "tf"))
        });
        let help = if terraform {
            "this folder holds Terraform files (*.tf); terrace reads *.hcl: a project file with `project`, `environment` and `configuration` blocks, and each architecture as a folder of *.hcl files (see \"terrace for Terraform users\" in docs/language.md)"
        } else {
            "run `terrace init` to create an example project, or pass --project DIR"
        };
        diags.push(
            Diagnostic::error(
                "config::no_project",
                format!("no *.hcl files in {}", defs.display()),
            )
            .help(help),
        );
        return (project, diags);
    }
    for path in files {
        parse_file(
            &path,
            &defs,
            &mut project.sources,
            &mut hasher,
            &mut diags,
            |body, src, diags| decl.add_file(body, src, diags),
        );
    }
    // Run from inside an architecture folder: its blocks are not the
    // project file's.
    for d in diags.iter_mut() {
        let architecture_block = ["resource", "data", "variable", "locals", "output"]
            .iter()
            .any(|b| {
                d.message
                    .starts_with(&format!("unexpected block \"{b}\" in the project"))
            });
        if d.code == "config::unknown_block" && architecture_block {
            d.help = Some(
                "this block belongs in an architecture folder; is this one? run terrace from the project root (the folder whose *.hcl has the `project` block), or pass --project DIR".into(),
            );
        }
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
    project.catalog = decl.catalog.as_ref().map(|(s, _)| s.clone());
    project.backend = decl.backend.take();
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
    // Plugin programs kept in the project are definitions too: a release
    // runs its own copy, and a changed plugin makes saved plans stale.
    for plugin in &decl.plugins {
        for arg in &plugin.command {
            if let Some(rel) = plugin_file(&defs, arg) {
                let path = defs.join(&rel);
                hasher.update(rel.to_string_lossy().as_bytes());
                hasher.update([0]);
                match crate::bounded::stream_file(&path, PLUGIN_LIMIT, &mut hasher) {
                    Ok(_) => project.plugin_files.push(rel),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => diags.push(unhashable(&path, &e)),
                }
                hasher.update([0]);
            }
        }
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
    if policies {
        project.policies = read_policies(
            decl.policies,
            &decl.environments,
            &root,
            &mut project.sources,
            &mut diags,
        );
    }
    project.environments = decl.environments;
    project.plugins = decl.plugins;
    project.variables = std::mem::take(&mut decl.variables.variables);
    project.unusable.append(&mut decl.unusable);
    (project, diags)
}

/// Reads each policy's Rego file (relative to the project root) and checks
/// the environments it names.
fn read_policies(
    mut policies: Vec<Policy>,
    environments: &[Environment],
    root: &Path,
    sources: &mut SourceMap,
    diags: &mut Diagnostics,
) -> Vec<Policy> {
    for p in &mut policies {
        for (env, span) in &p.environments {
            if !environments.iter().any(|e| &e.name == env) {
                let mut d = Diagnostic::error(
                    "config::unknown_environment",
                    format!(
                        "policy \"{}\" names an unknown environment \"{env}\"",
                        p.name
                    ),
                )
                .label(*span, "no such environment");
                if let Some(s) =
                    crate::diag::did_you_mean(env, environments.iter().map(|e| e.name.as_str()))
                {
                    d = d.help(format!("did you mean \"{s}\"?"));
                }
                diags.push(d);
            }
        }
        let path = root.join(&p.source);
        let text = crate::bounded::read_limited(&path, crate::bounded::DEFINITION_LIMIT)
            .map_err(|e| e.to_string())
            .and_then(|b| String::from_utf8(b).map_err(|_| "it is not UTF-8 text".to_string()));
        match text {
            Ok(text) => {
                let id = sources.add(&path, root, text);
                p.text = Some(sources.file(id).text.clone());
                p.file = Some(id);
            }
            Err(cause) => diags.push(
                Diagnostic::error(
                    "config::policy_source",
                    format!("cannot read policy \"{}\"'s source {}: {cause}", p.name, path.display()),
                )
                .label(p.source_span, "this file")
                .help("source is a Rego file relative to the project root, e.g. \"policies/NAME.rego\""),
            ),
        }
    }
    policies
}

/// Finds or loads the architecture a configuration names.
fn resolve_architecture(
    c: &Configuration,
    project: &mut Project,
    hasher: &mut Sha256,
    diags: &mut Diagnostics,
) -> Option<ArchId> {
    let source = c.architecture_source.as_str();
    let fail = |diags: &mut Diagnostics, msg: String, help: &str| {
        diags.push(
            Diagnostic::error("config::architecture_source", msg)
                .label(c.architecture_span, "here")
                .help(help.to_string()),
        );
        None
    };
    let mut pin = None;
    let dir = if source.starts_with(catalog::PREFIX) {
        let p = match catalog::Pin::parse(source) {
            Ok(p) => p,
            Err(msg) => {
                return fail(
                    diags,
                    msg,
                    "write catalog:NAME@VERSION, e.g. \"catalog:web-app@2.1.0\"",
                );
            }
        };
        let location = catalog::Location::of(project.catalog.as_deref());
        let Some(dir) = catalog::find(&project.definitions_dir, location.as_ref(), &p) else {
            diags.push(catalog::not_found(
                &project.definitions_dir,
                location.as_ref(),
                &p,
                c.architecture_span,
            ));
            return None;
        };
        pin = Some(p);
        dir
    } else if source.starts_with("./") || source.starts_with("../") || source.starts_with('/') {
        project.definitions_dir.join(source)
    } else {
        return fail(
            diags,
            format!("\"{source}\" is not an architecture source"),
            "a local architecture is a path starting with ./ or ../, e.g. \"./architectures/network\"; a catalog one is \"catalog:NAME@VERSION\"",
        );
    };
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
    if let Some(i) = project.architectures.position(|a| a.dir == canonical) {
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
    arch.catalog = pin;
    for path in files {
        parse_file(
            &path,
            &project.definitions_dir,
            &mut project.sources,
            hasher,
            diags,
            |body, src, diags| arch.add_file(body, src, diags),
        );
    }
    // Kept as long as the definitions: without the room the last doubling
    // left (up to half again as many resources).
    arch.resources.shrink_to_fit();
    // Templates and other files beside the definitions are part of them:
    // a saved plan must not apply once they change.
    hash_other_files(&arch.dir, &project.definitions_dir, hasher, diags);
    Some(project.architectures.push_and_get_key(arch))
}

/// Every file the definitions hash covers, relative to
/// [`Project::definitions_dir`]: the project's `*.hcl` files and every
/// file in each architecture directory. A release is a copy of these.
pub fn definition_files(project: &Project) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = hcl_files(&project.definitions_dir).unwrap_or_default();
    for arch in &project.architectures {
        files.extend(architecture_files(arch));
    }
    files.extend(
        project
            .plugin_files
            .iter()
            .map(|rel| project.definitions_dir.join(rel)),
    );
    files.sort();
    files.dedup();
    files
        .into_iter()
        .map(|p| match p.strip_prefix(&project.definitions_dir) {
            Ok(rel) => rel.to_path_buf(),
            Err(_) => p,
        })
        .collect()
}

/// `arg` of a plugin command, if it names a file of the project: a
/// relative path inside `defs` to a file that exists.
pub fn plugin_file(defs: &Path, arg: &str) -> Option<PathBuf> {
    let rel = Path::new(arg);
    let inside = rel.components().all(|c| {
        matches!(
            c,
            std::path::Component::Normal(_) | std::path::Component::CurDir
        )
    });
    let named = arg.contains('/') || rel.extension().is_some();
    (named && inside && !arg.starts_with('-') && defs.join(rel).is_file())
        .then(|| rel.to_path_buf())
}

/// Every file in an architecture's directory (absolute paths, name order).
pub fn architecture_files(arch: &Architecture) -> Vec<PathBuf> {
    let mut files = Vec::new();
    walk_files(&arch.dir, 0, &mut |p| files.push(p.to_path_buf()));
    files
}

/// Every `catalog:` pin written in the project files under `definitions`,
/// with the project's catalog location: what [`crate::catalog`] must have
/// on disk before [`load`]. Files that cannot be read or parsed are
/// skipped here; [`load`] reports them.
pub fn catalog_uses(definitions: &Path) -> catalog::Uses {
    let mut sources = SourceMap::default();
    let mut diags = Diagnostics::default();
    let mut hasher = Sha256::new();
    let mut decl = project::Declarations::default();
    let files = hcl_files(definitions).unwrap_or_default();
    // Most projects use no catalog: skip parsing them twice.
    let mentions_catalog = files.iter().any(|p| {
        crate::bounded::read_limited(p, crate::bounded::DEFINITION_LIMIT)
            .is_ok_and(|bytes| bytes.windows(7).any(|w| w == b"catalog"))
    });
    for path in files.into_iter().filter(|_| mentions_catalog) {
        parse_file(
            &path,
            definitions,
            &mut sources,
            &mut hasher,
            &mut diags,
            |body, src, diags| decl.add_file(body, src, diags),
        );
    }
    let setting = decl.catalog.map(|(s, _)| s);
    let location = catalog::Location::of(setting.as_deref());
    let pins = decl
        .configurations
        .iter()
        .filter_map(|c| {
            let pin = catalog::Pin::parse(&c.architecture_source).ok()?;
            let file = sources.file(c.architecture_span.file);
            Some(catalog::PinUse {
                configuration: c.name.clone(),
                pin,
                path: file.path.clone(),
                file_name: file.name.clone(),
                range: c.architecture_span.start as usize..c.architecture_span.end as usize,
                line: file.line_col(c.architecture_span.start).0,
            })
        })
        .collect();
    catalog::Uses {
        setting,
        location,
        pins,
    }
}

/// The folders under `root` that hold the project's policy sources, each
/// once: a folder inside another is read with it.
pub fn policy_folders(project: &Project, root: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = project
        .policies
        .iter()
        .filter_map(|p| root.join(&p.source).parent().map(Path::to_path_buf))
        .collect();
    dirs.sort();
    dirs.dedup();
    dirs.iter()
        .filter(|d| !dirs.iter().any(|o| o != *d && d.starts_with(o)))
        .cloned()
        .collect()
}

/// Every `.rego` file in `folders` and below, hidden entries (.git/,
/// .terrace/) skipped, sorted: the policies and their tests, as `opa test
/// DIR…` reads them.
pub fn rego_files(folders: &[PathBuf]) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in folders {
        walk_files(dir, 0, &mut |path| {
            if path.extension().is_some_and(|x| x == "rego") {
                files.push(path.to_path_buf());
            }
        });
    }
    files.sort();
    files
}

/// Calls `f` with every file under `dir`, in name order, hidden entries
/// skipped; deep trees are not definitions, so it stops somewhere sane.
pub fn walk_files(dir: &Path, depth: usize, f: &mut impl FnMut(&Path)) {
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
            if depth < 8 {
                walk_files(&path, depth + 1, f);
            }
        } else {
            f(&path);
        }
    }
}

/// Adds every file under `dir` except its `*.hcl` (hashed as they are
/// read) to the definitions hash, in name order.
fn hash_other_files(dir: &Path, root: &Path, hasher: &mut Sha256, diags: &mut Diagnostics) {
    walk_files(dir, 0, &mut |path| {
        let read_as_definition =
            path.parent() == Some(dir) && path.extension().is_some_and(|e| e == "hcl");
        if !read_as_definition {
            hasher.update(display_name(path, root).as_bytes());
            hasher.update([0]);
            match crate::bounded::stream_file(path, crate::bounded::DEFINITION_LIMIT, hasher) {
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => diags.push(unhashable(path, &e)),
            }
            hasher.update([0]);
        }
    });
}

/// The largest plugin program kept in the project that terrace hashes.
const PLUGIN_LIMIT: u64 = 1 << 30;

/// A file beside the definitions that cannot be hashed: a saved plan could
/// not notice it change, so loading stops.
fn unhashable(path: &Path, e: &std::io::Error) -> Diagnostic {
    Diagnostic::error(
        "config::unreadable_file",
        format!("cannot read {}: {e}", path.display()),
    )
    .help("the definitions hash covers every file beside the definitions; remove the file, make it a regular file, or move it out of the project")
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
const SPLIT_ABOVE: usize = 32 << 10;
/// About how large each piece is, at least.
const PIECE: usize = 16 << 10;
/// At most this many threads parse pieces at once.
const MAX_PARSERS: usize = 8;

/// Reads and parses one file, registering it in the source map and the
/// definitions hash, and hands each parsed piece to `add` (the whole file
/// is one piece unless it is large). A large file's pieces are parsed on
/// as many threads as the machine has cores (hcl-edit's parser is most of
/// the time a load takes), while `add` takes them in file order: the
/// result and the diagnostics are the same as one at a time.
fn parse_file(
    path: &Path,
    root: &Path,
    sources: &mut SourceMap,
    hasher: &mut Sha256,
    diags: &mut Diagnostics,
    mut add: impl FnMut(hcl::edit::structure::Body, Src, &mut Diagnostics),
) {
    let text = match crate::bounded::read_limited(path, crate::bounded::DEFINITION_LIMIT) {
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
    let parsers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, MAX_PARSERS);
    let whole = std::iter::once(0..text.len()).collect();
    let pieces: Vec<std::ops::Range<usize>> = match text.len() > SPLIT_ABOVE {
        // Enough pieces to keep every parser busy, small enough that
        // hcl-edit's trees (about 5 KB per resource block) of the pieces
        // in flight stay a small part of the memory.
        true => split::chunks(&text, PIECE.max(text.len() / (parsers * 4)).min(256 << 10))
            .unwrap_or(whole),
        false => whole,
    };
    let file = sources.add(path, root, text);
    let text = sources.file(file).text.clone();
    parse_in_order(&text, &pieces, parsers, |piece, result| {
        let src = Src {
            file,
            base: piece.start as u32,
        };
        match result {
            Ok(body) => expr::with_source(file, text.clone(), || add(body, src, diags)),
            Err(e) => diags.push(syntax_error(&text, piece, src, &e)),
        }
    });
}

type Parsed = Result<hcl::edit::structure::Body, hcl::edit::parser::Error>;

/// Parses `pieces` of `text` on up to `parsers` threads (this one among
/// them) and hands each result to `each` in order, on this thread. A
/// thread takes the next piece as soon as it is free, so this thread
/// parses whenever it has nothing to hand over: parsing and `each`
/// overlap. At most `2 × parsers` pieces are parsed ahead of `each`,
/// which bounds the trees held at once.
fn parse_in_order(
    text: &str,
    pieces: &[std::ops::Range<usize>],
    parsers: usize,
    mut each: impl FnMut(&std::ops::Range<usize>, Parsed),
) {
    use std::sync::{Condvar, Mutex};
    struct Shared {
        /// The first piece no thread has taken.
        next: usize,
        /// How many pieces went to `each`.
        handed: usize,
        /// Parsed pieces waiting for `each`; `None` for one whose thread
        /// panicked (not expected of a parser): this thread parses it again.
        done: std::collections::BTreeMap<usize, Option<Parsed>>,
    }
    let parse = |i: usize| hcl::edit::parser::parse_body(&text[pieces[i].clone()]);
    let ahead = 2 * parsers.max(1);
    let shared = Mutex::new(Shared {
        next: 0,
        handed: 0,
        done: Default::default(),
    });
    let changed = Condvar::new();
    // The next piece to parse, when one may be taken now.
    let take = |s: &mut Shared| {
        (s.next < pieces.len() && s.next < s.handed + ahead).then(|| {
            s.next += 1;
            s.next - 1
        })
    };
    let lock = || shared.lock().unwrap_or_else(|e| e.into_inner());
    std::thread::scope(|scope| {
        for _ in 1..parsers.min(pieces.len()) {
            // A thread that cannot be started leaves its share to the others.
            let _ = std::thread::Builder::new().spawn_scoped(scope, || {
                let mut s = lock();
                loop {
                    if s.next == pieces.len() {
                        return;
                    }
                    match take(&mut s) {
                        Some(i) => {
                            drop(s);
                            let parsed =
                                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| parse(i)))
                                    .ok();
                            s = lock();
                            s.done.insert(i, parsed);
                            changed.notify_all();
                        }
                        None => s = changed.wait(s).unwrap_or_else(|e| e.into_inner()),
                    }
                }
            });
        }
        // However this thread leaves (a panic in `each` too), the others
        // find nothing left to take and end, so the scope can end.
        struct Leaving<'a>(&'a dyn Fn());
        impl Drop for Leaving<'_> {
            fn drop(&mut self) {
                (self.0)()
            }
        }
        let close = || {
            lock().next = pieces.len();
            changed.notify_all();
        };
        let _leaving = Leaving(&close);
        for (i, piece) in pieces.iter().enumerate() {
            let mut s = lock();
            let parsed = loop {
                if let Some(parsed) = s.done.remove(&i) {
                    break parsed;
                }
                match take(&mut s) {
                    Some(j) => {
                        drop(s);
                        let parsed = parse(j);
                        s = lock();
                        s.done.insert(j, Some(parsed));
                    }
                    None => s = changed.wait(s).unwrap_or_else(|e| e.into_inner()),
                }
            };
            drop(s);
            each(piece, parsed.unwrap_or_else(|| parse(i)));
            lock().handed += 1;
            changed.notify_all();
        }
    });
}

/// The diagnostic for a piece that does not parse.
fn syntax_error(
    text: &str,
    piece: &std::ops::Range<usize>,
    src: Src,
    e: &hcl::edit::parser::Error,
) -> Diagnostic {
    let offset = e.location().offset();
    let d = Diagnostic::error("config::syntax", format!("syntax error: {}", first_line(e.message())))
        .label(src.span(Some(offset..offset + 1)), "here")
        .help(
            "blocks are written NAME \"LABEL\" { … } and attributes NAME = VALUE; check the brackets and quotes up to here",
        );
    // A block left open shows up as an error at the end of the file: name
    // the line where it opens.
    match split::unclosed(&text[piece.clone()]) {
        Some(open) => {
            let line = text[..piece.start + open].matches('\n').count() + 1;
            Diagnostic::error(
                "config::syntax",
                format!("syntax error: the block opened on line {line} is never closed"),
            )
            .label(src.span(Some(open..open + 1)), "opened here")
            .label(
                src.span(Some(offset..offset + 1)),
                "the file ends inside it",
            )
            .help("add the missing `}`; check the brackets between these two places")
        }
        None => d,
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A project whose architecture file is `blocks` resource blocks.
    fn project(blocks: usize, extra: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tmp");
        std::fs::write(
            dir.path().join("project.hcl"),
            "environment \"dev\" {}\nconfiguration \"main\" {\n  architecture = \"./arch\"\n}\n",
        )
        .expect("write");
        std::fs::create_dir(dir.path().join("arch")).expect("mkdir");
        let mut text = String::new();
        for i in 0..blocks {
            text.push_str(&format!(
                "resource \"terrace_data\" \"r{i}\" {{\n  input = {{ n = {i}, s = \"${{\"}}\"}}\" }}\n}}\n"
            ));
        }
        text.push_str(extra);
        std::fs::write(dir.path().join("arch/main.hcl"), text).expect("write");
        dir
    }

    #[test]
    fn pieces_parsed_on_several_threads_are_handed_over_in_order() {
        let text: String = (0..40)
            .map(|i| match i {
                17 => "a17 = = 17\n".to_string(),
                _ => format!("a{i} = {i}\n"),
            })
            .collect();
        let pieces = split::chunks(&text, 1).expect("the scanner follows it");
        assert_eq!(pieces.len(), 40);
        for parsers in [1, 2, 3, 8] {
            let mut seen = Vec::new();
            parse_in_order(&text, &pieces, parsers, |piece, parsed| {
                seen.push((piece.start, parsed.is_ok()));
            });
            let expected: Vec<_> = pieces
                .iter()
                .enumerate()
                .map(|(i, p)| (p.start, i != 17))
                .collect();
            assert_eq!(seen, expected, "{parsers} parsers");
        }
        // A panic while handing over ends the other threads too (rather
        // than leaving them waiting for room and the scope for them).
        let panicked = std::panic::catch_unwind(|| {
            parse_in_order(&text, &pieces, 3, |piece, _| {
                assert!(piece.start < pieces[5].start, "stop at the sixth piece");
            })
        });
        assert!(panicked.is_err());
    }

    #[test]
    fn a_large_file_parsed_in_pieces_on_several_threads_loads_every_block_in_order() {
        let dir = project(8000, "resource \"terrace_data\" \"r5\" {}\n");
        let size = std::fs::metadata(dir.path().join("arch/main.hcl"))
            .unwrap()
            .len();
        assert!(size as usize > SPLIT_ABOVE * 2, "the file is split: {size}");
        let (p, diags) = load(dir.path());
        let names: Vec<&str> = p.architectures.raw[0]
            .resources
            .iter()
            .map(|r| r.name.as_str())
            .collect();
        assert_eq!(names.len(), 8000);
        assert!(names.iter().enumerate().all(|(i, n)| *n == format!("r{i}")));
        // The duplicate in the last piece is found against the first.
        let dup: Vec<_> = diags.iter().filter(|d| d.message.contains("r5")).collect();
        assert_eq!(
            dup.len(),
            1,
            "{:?}",
            diags.iter().map(|d| &d.message).collect::<Vec<_>>()
        );
        // Spans point into the whole file, past the first piece.
        let last = &p.architectures.raw[0].resources.raw[7999];
        let file = p.sources.file(last.span.file);
        assert!(
            file.text[last.span.start as usize..]
                .starts_with("resource \"terrace_data\" \"r7999\"")
        );
    }

    #[test]
    fn a_syntax_error_in_a_later_piece_of_a_large_file_points_at_its_line() {
        let dir = project(
            4000,
            "resource \"terrace_data\" \"bad\" {\n  input = = 1\n}\n",
        );
        let (p, diags) = load(dir.path());
        let errors: Vec<_> = diags
            .iter()
            .filter(|d| d.code == "config::syntax")
            .collect();
        assert_eq!(errors.len(), 1);
        let span = errors[0].labels[0].span;
        let (line, _) = p.sources.file(span.file).line_col(span.start);
        assert_eq!(line, 4000 * 3 + 2);
    }
}
