//! Catalogs: where `catalog:NAME@VERSION` architectures come from.
//!
//! Owns the HTTP index, fetching archives (reqwest, rustls), verifying
//! their sha256 and extracting them into the cache
//! `.terrace/catalog/NAME/VERSION/`, which is trusted from then on. Does
//! not resolve architectures: [`crate::config`] finds a pin in the
//! project's catalog directory or in the cache, and never touches the
//! network. Entry points: [`prepare`], run before [`crate::config::load`]
//! so that every pin the project files use is on disk;
//! [`versions`] (`Versions::of`, `Versions::newer`) for upgrades and the
//! needs-attention list; [`ensure`] for one pin.
//!
//! The network is used only when something is missing locally (or, for
//! the version queries, to read the index; its last copy is kept in
//! `.terrace/catalog/index.json` and used when the index cannot be read).

mod archive;
mod fetch;

use crate::config::catalog::{self as pins, Index, Location, Pin};
use fetch::{Fetcher, block_on};
use std::path::{Path, PathBuf};

/// What can go wrong getting a catalog architecture.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("cannot fetch {url}: {cause}")]
    Fetch { url: String, cause: String },
    #[error("the catalog index {url} cannot be used: {cause}")]
    Index { url: String, cause: String },
    #[error("the archive {url} of {pin} is refused: {cause}; nothing was cached")]
    Archive {
        url: String,
        pin: String,
        cause: String,
    },
    #[error("{pin} is not in the catalog{}", list(.available))]
    Unknown { pin: String, available: Vec<String> },
    #[error("the project's catalog setting \"{0}\" is neither a directory nor an http(s) URL")]
    Location(String),
    #[error("cannot write {path}: {cause}")]
    Io { path: PathBuf, cause: String },
    #[error("{0}")]
    Runtime(String),
}

fn list(available: &[String]) -> String {
    match available {
        [] => String::new(),
        v => format!("; available versions: {}", v.join(", ")),
    }
}

/// A version fetched from an index into the cache.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub pin: Pin,
    pub url: String,
    pub dir: PathBuf,
}

/// What [`prepare`] did.
#[derive(Debug, Default)]
pub struct Prepared {
    pub fetched: Vec<Fetched>,
}

/// Makes sure every `catalog:` pin in the project files of `root` is on
/// disk, fetching what is missing from the project's HTTP index. Pins
/// that the index does not list are left for [`crate::config::load`] to
/// report on the line that names them. Offline when nothing is missing.
pub fn prepare(root: &Path) -> Result<Prepared, CatalogError> {
    let root = absolute(root);
    let uses = crate::config::catalog_uses(&root);
    let Some(Location::Index(url)) = &uses.location else {
        return Ok(Prepared::default());
    };
    let mut missing: Vec<Pin> = uses
        .pins
        .iter()
        .filter(|u| pins::find(&root, uses.location.as_ref(), &u.pin).is_none())
        .map(|u| u.pin.clone())
        .collect();
    missing.sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
    missing.dedup();
    if missing.is_empty() {
        return Ok(Prepared::default());
    }
    block_on(async {
        let fetcher = Fetcher::new()?;
        let (base, index) = fetch_index(&fetcher, &root, url).await?;
        let mut prepared = Prepared::default();
        for pin in &missing {
            if index
                .architectures
                .get(&pin.name)
                .and_then(|a| a.versions.get(&pin.version))
                .is_some()
            {
                prepared
                    .fetched
                    .push(fetch_version(&fetcher, &root, &base, &index, pin).await?);
            }
        }
        Ok(prepared)
    })?
}

/// Makes sure one version is on disk (for `terrace upgrade`): found
/// locally, or fetched from the index. `Ok(None)` when it was there.
pub fn ensure(root: &Path, pin: &Pin) -> Result<Option<Fetched>, CatalogError> {
    let root = absolute(root);
    let location = location(&root)?;
    if pins::find(&root, Some(&location), pin).is_some() {
        return Ok(None);
    }
    let Location::Index(url) = &location else {
        return Err(CatalogError::Unknown {
            pin: pin.to_string(),
            available: pins::local_versions(&root, Some(&location), &pin.name),
        });
    };
    block_on(async {
        let fetcher = Fetcher::new()?;
        let (base, index) = fetch_index(&fetcher, &root, url).await?;
        fetch_version(&fetcher, &root, &base, &index, pin)
            .await
            .map(Some)
    })?
}

/// What a project's catalog offers, read once for many queries (e.g. one
/// per configuration in the needs-attention list).
#[derive(Debug)]
pub struct Versions {
    root: PathBuf,
    location: Location,
    /// Why the index could not be read now, when its cached copy was used.
    pub stale: Option<String>,
}

impl Versions {
    /// Every version of `name`, oldest first: the catalog directory's, or
    /// the index's, with those already in the cache.
    pub fn of(&self, name: &str) -> Vec<String> {
        pins::local_versions(&self.root, Some(&self.location), name)
    }

    /// The newest version of `name` after `current`, if there is one. A
    /// pre-release is offered only to a configuration on a pre-release.
    pub fn newer(&self, name: &str, current: &str) -> Option<String> {
        newest(&self.of(name), current)
    }
}

/// Reads the project's catalog: a directory as it is, an index from its
/// URL (its cached copy when the URL cannot be read, with
/// [`Versions::stale`] saying why; an error when there is no copy).
pub fn versions(root: &Path) -> Result<Versions, CatalogError> {
    let root = absolute(root);
    let location = location(&root)?;
    let mut stale = None;
    if let Location::Index(url) = &location {
        let fetched = block_on(async {
            let fetcher = Fetcher::new()?;
            fetch_index(&fetcher, &root, url).await
        })?;
        if let Err(e) = fetched {
            if Index::cached(&root).is_none() {
                return Err(e);
            }
            stale = Some(e.to_string());
        }
    }
    Ok(Versions {
        root,
        location,
        stale,
    })
}

/// The newest of `versions` (sorted oldest first) after `current`.
pub fn newest(versions: &[String], current: &str) -> Option<String> {
    let allow_pre = is_prerelease(current);
    versions
        .iter()
        .rev()
        .find(|v| allow_pre || !is_prerelease(v))
        .filter(|v| pins::compare_versions(v, current).is_gt())
        .cloned()
}

/// `2.0.0-rc.1` is a pre-release; `2.0.0+build` is not.
pub fn is_prerelease(version: &str) -> bool {
    version
        .split_once('+')
        .map_or(version, |(core, _)| core)
        .contains('-')
}

/// The project's catalog location; an error when its setting is not one.
fn location(root: &Path) -> Result<Location, CatalogError> {
    let uses = crate::config::catalog_uses(root);
    match uses.location {
        Some(l) => Ok(l),
        None => Err(CatalogError::Location(uses.setting.unwrap_or_default())),
    }
}

/// Reads the index at `url` and keeps a copy in the cache; returns its
/// URL (to resolve archive URLs against) and the index.
async fn fetch_index(
    fetcher: &Fetcher,
    root: &Path,
    url: &str,
) -> Result<(reqwest::Url, Index), CatalogError> {
    let base = reqwest::Url::parse(url).map_err(|e| CatalogError::Index {
        url: url.to_string(),
        cause: format!("not a URL: {e}"),
    })?;
    let bytes = fetcher.index(&base).await?;
    let index = Index::parse(&bytes).map_err(|cause| CatalogError::Index {
        url: url.to_string(),
        cause,
    })?;
    let path = root.join(pins::CACHED_INDEX);
    let write = std::fs::create_dir_all(root.join(pins::CACHE_DIR))
        .and_then(|()| crate::state::write_atomic(&path, &bytes));
    write.map_err(|e| CatalogError::Io {
        path,
        cause: e.to_string(),
    })?;
    Ok((base, index))
}

/// Downloads, verifies and installs one version the index lists.
async fn fetch_version(
    fetcher: &Fetcher,
    root: &Path,
    base: &reqwest::Url,
    index: &Index,
    pin: &Pin,
) -> Result<Fetched, CatalogError> {
    let Some(entry) = index
        .architectures
        .get(&pin.name)
        .and_then(|a| a.versions.get(&pin.version))
    else {
        return Err(CatalogError::Unknown {
            pin: pin.to_string(),
            available: index.versions(&pin.name),
        });
    };
    let url = base.join(&entry.url).map_err(|e| CatalogError::Index {
        url: base.to_string(),
        cause: format!("the URL \"{}\" of {pin} is not valid: {e}", entry.url),
    })?;
    let refused = |cause: String| CatalogError::Archive {
        url: url.to_string(),
        pin: pin.to_string(),
        cause,
    };
    if !matches!(url.scheme(), "http" | "https") {
        return Err(refused(format!("{} URLs are not fetched", url.scheme())));
    }
    let bytes = fetcher.archive(&url).await?;
    archive::verify(&bytes, &entry.sha256).map_err(refused)?;
    let cache = root.join(pins::CACHE_DIR);
    let dir = archive::install(&bytes, &cache, pin).map_err(refused)?;
    tracing::debug!(%pin, %url, dir = %dir.display(), "fetched a catalog version");
    Ok(Fetched {
        pin: pin.clone(),
        url: url.to_string(),
        dir,
    })
}

fn absolute(root: &Path) -> PathBuf {
    root.canonicalize()
        .or_else(|_| std::path::absolute(root))
        .unwrap_or_else(|_| root.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn newest_skips_pre_releases_unless_on_one() {
        let versions = v(&["1.0.0", "1.1.0", "2.0.0-rc.1"]);
        assert_eq!(newest(&versions, "1.0.0").as_deref(), Some("1.1.0"));
        assert_eq!(newest(&versions, "1.1.0"), None);
        assert_eq!(
            newest(&versions, "2.0.0-beta").as_deref(),
            Some("2.0.0-rc.1")
        );
        assert_eq!(newest(&versions, "2.0.0-rc.1"), None);
    }

    #[test]
    fn directory_catalog_lists_versions_without_network() {
        let dir = tempfile::tempdir().expect("tmp");
        std::fs::write(dir.path().join("project.hcl"), "project \"p\" {}\n").expect("write");
        for ver in ["1.10.0", "1.9.0", "2.0.0-rc.1"] {
            std::fs::create_dir_all(dir.path().join("catalog/web").join(ver)).expect("mkdir");
        }
        let catalog = versions(dir.path()).expect("versions");
        assert_eq!(catalog.of("web"), v(&["1.9.0", "1.10.0", "2.0.0-rc.1"]));
        assert_eq!(catalog.newer("web", "1.9.0"), Some("1.10.0".into()));
        assert_eq!(catalog.newer("web", "1.10.0"), None);
        assert!(catalog.of("other").is_empty());
    }
}
