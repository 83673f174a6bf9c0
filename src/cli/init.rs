//! `terrace init`: scaffold the quickstart project.

use super::{Failure, Global, Result};
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to create the project (default: the --project directory)
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// The quickstart, as shipped in examples/quickstart.
const FILES: &[(&str, &str)] = &[
    (
        "project.hcl",
        include_str!("../../examples/quickstart/project.hcl"),
    ),
    (
        "architectures/network/main.hcl",
        include_str!("../../examples/quickstart/architectures/network/main.hcl"),
    ),
    (
        "architectures/web/main.hcl",
        include_str!("../../examples/quickstart/architectures/web/main.hcl"),
    ),
    (
        "architectures/web/page.html.tpl",
        include_str!("../../examples/quickstart/architectures/web/page.html.tpl"),
    ),
    (
        ".gitignore",
        include_str!("../../examples/quickstart/.gitignore"),
    ),
];

pub fn run(g: &Global, a: InitArgs) -> Result {
    let dir = a.dir.unwrap_or_else(|| g.project.clone());
    let existing: Vec<String> = FILES
        .iter()
        .filter(|(name, _)| dir.join(name).exists())
        .map(|(name, _)| name.to_string())
        .collect();
    if !existing.is_empty() {
        return Err(Failure::Message(format!(
            "{} already has {}; terrace init never overwrites files. Choose an empty directory: terrace init DIR",
            dir.display(),
            existing.join(", ")
        )));
    }
    if let Ok(entries) = std::fs::read_dir(&dir)
        && entries
            .filter_map(|e| e.ok())
            .any(|e| e.path().extension().is_some_and(|x| x == "hcl"))
    {
        return Err(Failure::Message(format!(
            "{} already holds *.hcl files (a project?); choose an empty directory: terrace init DIR",
            dir.display()
        )));
    }
    for (name, text) in FILES {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| {
                Failure::Message(format!("cannot create {}: {e}", parent.display()))
            })?;
        }
        std::fs::write(&path, text)
            .map_err(|e| Failure::Message(format!("cannot write {}: {e}", path.display())))?;
    }
    let shown = dir.display();
    outln!(
        "Created a terrace project in {shown}: two configurations (network, web) and two environments (dev, prod).\n"
    );
    outln!("Next:");
    let cd = if dir == std::path::Path::new(".") {
        String::new()
    } else {
        format!("  cd {shown}\n")
    };
    outln!("{cd}  terrace validate\n  terrace plan --env dev\n  terrace apply --env dev");
    Ok(())
}
