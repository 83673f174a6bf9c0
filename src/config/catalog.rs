//! Catalog sources, the part that needs no network: parsing
//! `catalog:NAME@VERSION`, ordering versions, and finding a version that
//! is already on disk, in the project's catalog directory or in the cache
//! that [`crate::catalog`] fills from an HTTP index.

use crate::diag::{Diagnostic, Span};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The prefix of a catalog architecture source.
pub const PREFIX: &str = "catalog:";
/// The catalog directory used when the project block names none.
pub const DEFAULT_DIR: &str = "./catalog";
/// Where versions fetched from an HTTP index are kept, relative to the
/// definitions directory.
pub const CACHE_DIR: &str = ".terrace/catalog";

/// The copy of the HTTP index kept in the cache, relative to the
/// definitions directory.
pub const CACHED_INDEX: &str = ".terrace/catalog/index.json";
/// The index format this build reads and writes.
pub const INDEX_FORMAT: u32 = 1;

/// An HTTP catalog's index: every architecture, every version, where its
/// archive is and its sha256.
///
/// ```json
/// {"format_version": 1,
///  "architectures": {"web-app": {"versions": {
///     "2.1.0": {"url": "web-app-2.1.0.tar.gz", "sha256": "…"}}}}}
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Index {
    pub format_version: u32,
    #[serde(default)]
    pub architectures: BTreeMap<String, IndexArchitecture>,
}

/// One architecture of an [`Index`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IndexArchitecture {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub versions: BTreeMap<String, IndexVersion>,
}

/// One version of an [`IndexArchitecture`]: a `.tar.gz` archive, its URL
/// absolute or relative to the index's.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IndexVersion {
    pub url: String,
    pub sha256: String,
}

impl Index {
    /// The index in `bytes`, refusing a format this build does not know.
    pub fn parse(bytes: &[u8]) -> Result<Index, String> {
        let index: Index =
            serde_json::from_slice(bytes).map_err(|e| format!("not a catalog index: {e}"))?;
        if index.format_version != INDEX_FORMAT {
            return Err(format!(
                "index format_version {} is not supported (this terrace reads {INDEX_FORMAT})",
                index.format_version
            ));
        }
        Ok(index)
    }

    /// The versions of `name`, oldest first.
    pub fn versions(&self, name: &str) -> Vec<String> {
        let mut v: Vec<String> = self
            .architectures
            .get(name)
            .map(|a| {
                a.versions
                    .keys()
                    .filter(|k| is_component(k, "-_.+"))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        sort_versions(&mut v);
        v
    }

    /// The copy kept in the cache under `definitions`, if there is one.
    pub fn cached(definitions: &Path) -> Option<Index> {
        let bytes = crate::bounded::read_record(&definitions.join(CACHED_INDEX)).ok()?;
        Index::parse(&bytes).ok()
    }
}

/// The `catalog:` pins of a project's files: see [`super::catalog_uses`].
#[derive(Debug)]
pub struct Uses {
    /// The project block's `catalog` setting, as written.
    pub setting: Option<String>,
    /// `None` when the project's `catalog` setting is not a location
    /// (reported by [`super::load`]).
    pub location: Option<Location>,
    pub pins: Vec<PinUse>,
}

/// One `architecture = "catalog:…"` and where it is written.
#[derive(Debug, Clone)]
pub struct PinUse {
    pub configuration: String,
    pub pin: Pin,
    /// The project file on disk.
    pub path: PathBuf,
    /// The file as shown to the user.
    pub file_name: String,
    /// The bytes of the string literal, quotes included.
    pub range: std::ops::Range<usize>,
    /// One-based line of the literal.
    pub line: usize,
}

/// `catalog:NAME@VERSION`: one version of one catalog architecture.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Pin {
    pub name: String,
    pub version: String,
}

impl Pin {
    /// Parses a source starting with `catalog:`. Name and version become
    /// path components, so each is one plain component: letters, digits,
    /// `-`, `_`, `.` (and `+` in versions), starting with a letter or digit.
    pub fn parse(source: &str) -> Result<Pin, String> {
        let rest = source
            .strip_prefix(PREFIX)
            .ok_or_else(|| format!("\"{source}\" does not start with {PREFIX}"))?;
        let (name, version) = rest
            .split_once('@')
            .ok_or_else(|| format!("\"{source}\" has no version: write {PREFIX}NAME@VERSION"))?;
        if !is_component(name, "-_.") {
            return Err(format!(
                "\"{name}\" is not a catalog name: use letters, digits, -, _ and ."
            ));
        }
        if !is_component(version, "-_.+") {
            return Err(format!(
                "\"{version}\" is not a version: use letters, digits, -, _, . and +"
            ));
        }
        Ok(Pin {
            name: name.to_string(),
            version: version.to_string(),
        })
    }

    /// The source text: `catalog:NAME@VERSION`.
    pub fn source(&self) -> String {
        format!("{PREFIX}{}@{}", self.name, self.version)
    }
}

impl std::fmt::Display for Pin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{PREFIX}{}@{}", self.name, self.version)
    }
}

/// A safe single path component: starts with a letter or digit, holds
/// only those and `extra`, and is never `..`.
pub fn is_component(s: &str, extra: &str) -> bool {
    s.len() <= 128
        && s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || extra.contains(c))
        && !s.contains("..")
}

/// Where a project's catalog is, from the `catalog` attribute of its
/// `project` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A directory, as written (relative to the project root).
    Dir(String),
    /// The URL of an HTTP(S) index.
    Index(String),
}

impl Location {
    /// The location a `catalog` attribute names; `None` when it is neither
    /// a path (`./`, `../`, `/`) nor an `http(s)://` URL.
    pub fn parse(setting: &str) -> Option<Location> {
        if setting.starts_with("https://") || setting.starts_with("http://") {
            Some(Location::Index(setting.to_string()))
        } else if setting.starts_with("./")
            || setting.starts_with("../")
            || setting.starts_with('/')
        {
            Some(Location::Dir(setting.to_string()))
        } else {
            None
        }
    }

    /// The project's catalog: its setting, else `./catalog`.
    pub fn of(setting: Option<&str>) -> Option<Location> {
        match setting {
            Some(s) => Location::parse(s),
            None => Some(Location::Dir(DEFAULT_DIR.to_string())),
        }
    }
}

/// The directories a pin may be found in under `definitions`, in the
/// order they are tried: the catalog directory (when the catalog is one),
/// then the cache.
pub fn candidates(definitions: &Path, location: Option<&Location>, pin: &Pin) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(Location::Dir(d)) = location {
        dirs.push(definitions.join(d).join(&pin.name).join(&pin.version));
    }
    dirs.push(
        definitions
            .join(CACHE_DIR)
            .join(&pin.name)
            .join(&pin.version),
    );
    dirs
}

/// The first directory holding `pin` under `definitions`, if any.
pub fn find(definitions: &Path, location: Option<&Location>, pin: &Pin) -> Option<PathBuf> {
    candidates(definitions, location, pin)
        .into_iter()
        .find(|d| d.is_dir())
}

/// The bases (catalog directory, cache) searched under `definitions`.
fn bases(definitions: &Path, location: Option<&Location>) -> Vec<PathBuf> {
    let mut bases = Vec::new();
    if let Some(Location::Dir(d)) = location {
        bases.push(definitions.join(d));
    }
    bases.push(definitions.join(CACHE_DIR));
    bases
}

/// Names of the subdirectories of `dir` that are valid components.
fn subdirs(dir: &Path, extra: &str) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| is_component(n, extra))
        .collect()
}

/// The architecture names on disk (catalog directory, cache, and the
/// cached index when the catalog is an index), sorted.
pub fn local_names(definitions: &Path, location: Option<&Location>) -> Vec<String> {
    let mut names: Vec<String> = bases(definitions, location)
        .iter()
        .flat_map(|b| subdirs(b, "-_."))
        .collect();
    if let (Some(Location::Index(_)), Some(index)) = (location, Index::cached(definitions)) {
        names.extend(
            index
                .architectures
                .keys()
                .filter(|n| is_component(n, "-_."))
                .cloned(),
        );
    }
    names.sort();
    names.dedup();
    names
}

/// The versions of `name` on disk (catalog directory, cache, and the
/// cached index when the catalog is an index), oldest first.
pub fn local_versions(definitions: &Path, location: Option<&Location>, name: &str) -> Vec<String> {
    if !is_component(name, "-_.") {
        return Vec::new();
    }
    let mut versions: Vec<String> = bases(definitions, location)
        .iter()
        .flat_map(|b| subdirs(&b.join(name), "-_.+"))
        .collect();
    if let (Some(Location::Index(_)), Some(index)) = (location, Index::cached(definitions)) {
        versions.extend(index.versions(name));
    }
    sort_versions(&mut versions);
    versions
}

/// The diagnostic for a pin found neither in the catalog directory nor in
/// the cache: the versions there are, or a name that is close.
pub fn not_found(
    definitions: &Path,
    location: Option<&Location>,
    pin: &Pin,
    span: Span,
) -> Diagnostic {
    let versions = local_versions(definitions, location, &pin.name);
    let mut d = Diagnostic::error(
        "config::catalog_version",
        format!("{pin} is not in the catalog"),
    );
    if versions.is_empty() {
        d = d.label(
            span,
            format!("no architecture \"{}\" in the catalog", pin.name),
        );
        let names = local_names(definitions, location);
        d = match crate::diag::did_you_mean(&pin.name, names.iter().map(String::as_str)) {
            Some(s) => d.help(format!("did you mean \"{s}\"?")),
            None if names.is_empty() => d.help(match location {
                Some(Location::Index(url)) => format!("the catalog index {url} could not be read; check the URL"),
                Some(Location::Dir(dir)) => format!("the catalog directory {dir} holds no architectures; add {dir}/NAME/VERSION/main.hcl"),
                None => "set `catalog` in the project block to a directory or an index URL".into(),
            }),
            None => d.help(format!("the catalog has: {}", names.join(", "))),
        };
    } else if versions.contains(&pin.version) {
        d = d
            .label(span, "listed by the index but not fetched")
            .help("run `terrace validate` to fetch it");
    } else {
        d = d
            .label(span, format!("no version {}", pin.version))
            .help(format!(
                "available versions of {}: {}",
                pin.name,
                versions.join(", ")
            ));
    }
    d
}

/// Sorts versions oldest first and removes duplicates.
pub fn sort_versions(versions: &mut Vec<String>) {
    versions.sort_by(|a, b| compare_versions(a, b));
    versions.dedup();
}

/// Orders versions the way semantic versioning does, loosely: dotted
/// components compare numerically when both are numbers (`1.10` > `1.9`),
/// missing components count as 0, a pre-release (`2.0.0-rc.1`) comes
/// before its release, and build metadata (`+…`) is ignored. Versions
/// equal by these rules are ordered by their text, so the order is total.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    let split = |v: &str| -> (String, Option<String>) {
        let v = v.split_once('+').map_or(v, |(core, _)| core);
        let v = v.strip_prefix('v').unwrap_or(v);
        match v.split_once('-') {
            Some((core, pre)) => (core.to_string(), Some(pre.to_string())),
            None => (v.to_string(), None),
        }
    };
    let (core_a, pre_a) = split(a);
    let (core_b, pre_b) = split(b);
    let by_core = compare_dotted(&core_a, &core_b, true);
    let by_pre = match (&pre_a, &pre_b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => compare_dotted(x, y, false),
    };
    by_core.then(by_pre).then_with(|| a.cmp(b))
}

/// Compares dotted identifiers: numbers numerically and before words;
/// with `pad`, a missing component counts as 0, else the shorter list is
/// lower.
fn compare_dotted(a: &str, b: &str, pad: bool) -> Ordering {
    let xs: Vec<&str> = a.split('.').collect();
    let ys: Vec<&str> = b.split('.').collect();
    for i in 0..xs.len().max(ys.len()) {
        let (x, y) = match (xs.get(i), ys.get(i)) {
            (Some(x), Some(y)) => (*x, *y),
            (Some(x), None) if pad => (*x, "0"),
            (None, Some(y)) if pad => ("0", *y),
            (Some(_), None) => return Ordering::Greater,
            (None, Some(_)) => return Ordering::Less,
            (None, None) => break,
        };
        let o = match (x.parse::<u64>(), y.parse::<u64>()) {
            (Ok(m), Ok(n)) => m.cmp(&n),
            (Ok(_), Err(_)) => Ordering::Less,
            (Err(_), Ok(_)) => Ordering::Greater,
            (Err(_), Err(_)) => x.cmp(y),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pins_and_refuses_paths() {
        assert_eq!(
            Pin::parse("catalog:web-app@2.1.0"),
            Ok(Pin {
                name: "web-app".into(),
                version: "2.1.0".into()
            })
        );
        for bad in [
            "catalog:web-app",
            "catalog:@1.0",
            "catalog:web-app@",
            "catalog:../x@1.0",
            "catalog:x@../../etc",
            "catalog:x@1/2",
            "catalog:.hidden@1.0",
        ] {
            assert!(Pin::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn orders_versions_like_semver() {
        let mut v: Vec<String> = [
            "1.10.0",
            "1.9.0",
            "2.0.0",
            "2.0.0-rc.1",
            "2.0.0-beta",
            "1.2",
            "1.2.1",
            "0.9",
            "2.0.0-rc.10",
            "2.0.0-rc.2",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        sort_versions(&mut v);
        assert_eq!(
            v,
            [
                "0.9",
                "1.2",
                "1.2.1",
                "1.9.0",
                "1.10.0",
                "2.0.0-beta",
                "2.0.0-rc.1",
                "2.0.0-rc.2",
                "2.0.0-rc.10",
                "2.0.0"
            ]
        );
        assert_eq!(compare_versions("1.0", "1.0.0"), Ordering::Less);
        assert_eq!(
            compare_versions("1.0.0+build.5", "1.0.0"),
            Ordering::Greater
        );
    }

    #[test]
    fn locations_are_paths_or_urls() {
        assert_eq!(
            Location::parse("https://example.com/index.json"),
            Some(Location::Index("https://example.com/index.json".into()))
        );
        assert_eq!(
            Location::parse("./cat"),
            Some(Location::Dir("./cat".into()))
        );
        assert_eq!(Location::parse("cat"), None);
        assert_eq!(Location::of(None), Some(Location::Dir("./catalog".into())));
    }
}

#[cfg(test)]
mod release_tests {
    use super::super::{definition_files, load, load_from};
    use std::path::Path;

    fn write(root: &Path, rel: &str, text: &str) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    #[test]
    fn a_copy_of_the_definition_files_resolves_catalog_pins_by_itself() {
        let root = tempfile::tempdir().expect("tmp");
        let root = root.path().canonicalize().expect("canonical");
        write(
            &root,
            "project.hcl",
            "environment \"dev\" {}\nconfiguration \"a\" {\n  architecture = \"catalog:site@1.0.0\"\n}\nconfiguration \"b\" {\n  architecture = \"catalog:net@2.0.0\"\n}\n",
        );
        write(
            &root,
            "catalog/site/1.0.0/main.hcl",
            "output \"x\" {\n  value = 1\n}\n",
        );
        write(&root, "catalog/site/1.0.0/page.tpl", "hi");
        write(
            &root,
            ".terrace/catalog/net/2.0.0/main.hcl",
            "output \"y\" {\n  value = 2\n}\n",
        );
        let (project, diags) = load(&root);
        assert!(!diags.has_errors(), "{diags:?}");
        let versions: Vec<_> = project
            .architectures
            .iter()
            .map(|a| a.catalog.as_ref().map(|p| p.to_string()))
            .collect();
        assert_eq!(
            versions,
            [
                Some("catalog:site@1.0.0".into()),
                Some("catalog:net@2.0.0".into())
            ]
        );
        let files = definition_files(&project);
        let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        assert_eq!(
            names,
            [
                ".terrace/catalog/net/2.0.0/main.hcl",
                "catalog/site/1.0.0/main.hcl",
                "catalog/site/1.0.0/page.tpl",
                "project.hcl"
            ]
        );
        // A release: a copy of exactly those files; the originals go away.
        let copy = tempfile::tempdir().expect("tmp");
        for f in &files {
            let to = copy.path().join(f);
            std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
            std::fs::copy(root.join(f), to).expect("copy");
        }
        std::fs::remove_dir_all(root.join("catalog")).expect("rm");
        std::fs::remove_dir_all(root.join(".terrace")).expect("rm");
        let (release, diags) = load_from(&root, copy.path());
        assert!(!diags.has_errors(), "{diags:?}");
        assert_eq!(release.definitions_hash, project.definitions_hash);
        let copy = copy.path().canonicalize().expect("canonical");
        assert!(
            release
                .architectures
                .iter()
                .all(|a| a.dir.starts_with(&copy))
        );
        assert_eq!(release.architectures.raw[0].version(), Some("1.0.0"));
    }
}
