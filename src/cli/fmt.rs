//! `terrace fmt [--check] [--diff] [--recursive] [PATH]…`: rewrite
//! definition files in Terraform's canonical layout, comments kept.

use super::{Failure, Global, Result};
use clap::Args;
use std::path::{Path, PathBuf};

#[derive(Debug, Args)]
pub struct FmtArgs {
    /// Files or directories to format (default: the project directory);
    /// `-` formats standard input to standard output
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Change nothing; exit 3 when a file is not formatted (as terraform fmt -check)
    #[arg(long)]
    pub check: bool,
    /// Print the changes as a unified diff
    #[arg(long)]
    pub diff: bool,
    /// Also format the files in subdirectories (architectures), hidden ones excepted
    #[arg(long)]
    pub recursive: bool,
}

pub fn run(g: &Global, a: FmtArgs) -> Result {
    if a.paths.iter().any(|p| p.as_os_str() == "-") {
        return stdin(&a);
    }
    let roots = if a.paths.is_empty() {
        vec![g.project.clone()]
    } else {
        a.paths.clone()
    };
    let mut files = Vec::new();
    for root in &roots {
        if root.is_file() {
            files.push(root.clone());
        } else if root.is_dir() {
            collect(root, a.recursive, &mut files)?;
        } else {
            return Err(Failure::Message(format!(
                "{}: no such file or directory",
                root.display()
            )));
        }
    }
    let mut unformatted = false;
    let mut broken = false;
    for file in &files {
        let old = crate::bounded::read_text(file, crate::bounded::DEFINITION_LIMIT)
            .map_err(|e| Failure::Message(format!("cannot read {}: {e}", file.display())))?;
        let new = match formatted(file, &old) {
            Ok(new) => new,
            Err(message) => {
                errln!("Error: {message}");
                broken = true;
                continue;
            }
        };
        if new == old {
            continue;
        }
        unformatted = true;
        outln!("{}", file.display());
        if a.diff {
            let name = file.display().to_string();
            out!(
                "{}",
                similar::TextDiff::from_lines(&old, &new)
                    .unified_diff()
                    .header(&format!("old/{name}"), &format!("new/{name}"))
            );
        }
        if !a.check {
            let full = std::path::absolute(file).unwrap_or_else(|_| file.clone());
            crate::state::write_atomic(&full, new.as_bytes())
                .map_err(|e| Failure::Message(format!("cannot write {}: {e}", file.display())))?;
        }
    }
    if broken {
        return Err(Failure::Reported);
    }
    if a.check && unformatted {
        return Err(Failure::Code(3));
    }
    Ok(())
}

/// `terrace fmt -`: standard input, formatted, to standard output (as
/// `terraform fmt -`); with `--check`, nothing is printed and the exit
/// code says whether it was formatted.
fn stdin(a: &FmtArgs) -> Result {
    if a.paths.len() > 1 {
        return Err(Failure::Message(
            "`-` (standard input) cannot be combined with other paths".into(),
        ));
    }
    let limit = crate::bounded::DEFINITION_LIMIT;
    let old = crate::bounded::read_from(std::io::stdin(), None, limit, || {
        format!(
            "it is larger than the limit of {}",
            crate::bounded::size(limit)
        )
    })
    .and_then(|bytes| {
        String::from_utf8(bytes).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::InvalidData, "it is not UTF-8 text")
        })
    })
    .map_err(|e| Failure::Message(format!("cannot read standard input: {e}")))?;
    let new = formatted(Path::new("<stdin>"), &old).map_err(Failure::Message)?;
    if a.diff && new != old {
        out!(
            "{}",
            similar::TextDiff::from_lines(&old, &new)
                .unified_diff()
                .header("old/<stdin>", "new/<stdin>")
        );
    }
    if a.check {
        return if new == old {
            Ok(())
        } else {
            Err(Failure::Code(3))
        };
    }
    if !a.diff {
        out!("{new}");
    }
    Ok(())
}

/// The file's text in canonical layout, refused when it is not valid HCL
/// or when formatting would change more than whitespace. Windows line
/// endings stay as they are, as `terraform fmt` keeps them.
fn formatted(file: &Path, old: &str) -> std::result::Result<String, String> {
    if old.contains("\r\n") {
        let new = formatted(file, &old.replace("\r\n", "\n"))?;
        return Ok(new.replace('\n', "\r\n"));
    }
    // First what Terraform refuses and hcl-edit accepts, or refuses only
    // after exponential backtracking (unclosed brackets): a linear scan.
    if let Some(r) = crate::config::format::refusal(old) {
        let (line, column) = crate::diag::line_col(old, r.offset);
        return Err(format!(
            "{}:{line}:{column}: syntax error: {}: {}; the file is left as it is",
            file.display(),
            r.summary,
            r.detail.trim_end_matches('.')
        ));
    }
    if let Err(e) = hcl::edit::parser::parse_body(old) {
        let loc = e.location();
        return Err(format!(
            "{}:{}:{}: syntax error: {}; the file is left as it is",
            file.display(),
            loc.line(),
            loc.column(),
            e.message().lines().next().unwrap_or_default()
        ));
    }
    let new = crate::config::format::format(old).ok_or_else(|| {
        format!(
            "{}: cannot be formatted; the file is left as it is",
            file.display()
        )
    })?;
    let comments = crate::config::format::comments;
    if comments(old) != comments(&new)
        || crate::config::format::refusal(&new).is_some()
        || hcl::edit::parser::parse_body(&new).is_err()
    {
        return Err(format!(
            "{}: formatting would lose a comment or break the syntax (a bug in terrace fmt); the file is left as it is",
            file.display()
        ));
    }
    Ok(new)
}

/// `*.hcl` and `*.tfvars` files in `dir` (and below, with `recursive`),
/// in name order; hidden files and directories are skipped.
fn collect(dir: &Path, recursive: bool, out: &mut Vec<PathBuf>) -> Result {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Failure::Message(format!("cannot read directory {}: {e}", dir.display())))?
        .filter_map(std::result::Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| !n.to_string_lossy().starts_with('.'))
        })
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            if recursive {
                collect(&p, recursive, out)?;
            }
        } else if p.extension().is_some_and(|e| e == "hcl" || e == "tfvars") {
            out.push(p);
        }
    }
    Ok(())
}
