//! How a plan is shown: `--format text|markdown|json`, Markdown's
//! `--max-bytes` and `--parts-dir`. Shared by `plan` and `show`.

use super::{Failure, Result};
use crate::plan::Plan;
use crate::render::Palette;
use crate::render::markdown::DEFAULT_MAX_BYTES;
use clap::{Args, ValueEnum};
use std::path::{Path, PathBuf};

/// A plan's output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Terraform's notation, for a terminal
    Text,
    /// A pull-request comment, split into parts of at most --max-bytes
    Markdown,
    /// Terraform's JSON plan representation, with terrace fields
    Json,
}

#[derive(Debug, Args, Clone)]
pub struct ViewFlags {
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text, value_name = "FORMAT")]
    pub format: Format,
    /// Markdown: the largest part in bytes; a longer plan is split into
    /// parts, each starting with `<!-- terrace part K/M -->`
    #[arg(long, default_value_t = DEFAULT_MAX_BYTES as u64, value_name = "N",
          value_parser = clap::value_parser!(u64).range(1024..))]
    pub max_bytes: u64,
    /// Markdown: write the parts to DIR/part-1.md … DIR/part-M.md instead
    /// of standard output
    #[arg(long, value_name = "DIR")]
    pub parts_dir: Option<PathBuf>,
    /// JSON: indent the document instead of writing it on one line
    #[arg(long)]
    pub pretty: bool,
}

impl ViewFlags {
    /// Refuses flag combinations that would be silently ignored.
    pub fn check(&self) -> Result {
        if self.parts_dir.is_some() && self.format != Format::Markdown {
            return Err(Failure::Message(
                "--parts-dir needs --format markdown".into(),
            ));
        }
        if self.pretty && self.format != Format::Json {
            return Err(Failure::Message("--pretty needs --format json".into()));
        }
        Ok(())
    }
}

/// Writes a plan to standard output (or Markdown parts to files).
pub fn show(plan: &Plan, flags: &ViewFlags, pal: Palette) -> crate::ops::Result {
    match flags.format {
        Format::Text => out!("{}", crate::render::plan(plan, pal)),
        Format::Json => out!("{}", crate::render::json::plan(plan, flags.pretty)),
        Format::Markdown => {
            let parts = crate::render::markdown::plan(
                plan,
                usize::try_from(flags.max_bytes).unwrap_or(usize::MAX),
            );
            match &flags.parts_dir {
                Some(dir) => write_parts(dir, &parts)?,
                None => {
                    for p in &parts {
                        out!("{p}");
                    }
                }
            }
        }
    }
    Ok(())
}

/// Writes `DIR/part-K.md`, and removes stale parts a longer plan left.
fn write_parts(dir: &Path, parts: &[String]) -> crate::ops::Result {
    use crate::ops::Error;
    std::fs::create_dir_all(dir).map_err(|source| Error::Io {
        action: "create",
        path: dir.to_path_buf(),
        source,
    })?;
    for (i, p) in parts.iter().enumerate() {
        let path = dir.join(format!("part-{}.md", i + 1));
        std::fs::write(&path, p).map_err(|source| Error::Io {
            action: "write",
            path: path.clone(),
            source,
        })?;
    }
    let mut k = parts.len() + 1;
    while dir.join(format!("part-{k}.md")).is_file() {
        let _ = std::fs::remove_file(dir.join(format!("part-{k}.md")));
        k += 1;
    }
    errln!(
        "Wrote {} Markdown part(s) to {}",
        parts.len(),
        dir.display()
    );
    Ok(())
}
