//! The command line before clap sees it: Terraform's single-dash
//! spellings (`-auto-approve`, `-out=FILE`, `-var NAME=V`) become the
//! long flags they mean, and the order of `--var`/`--var-file` is kept
//! for precedence.

use std::collections::HashSet;
use std::ffi::OsString;
use std::sync::OnceLock;

/// The arguments after rewriting.
static ARGS: OnceLock<Vec<OsString>> = OnceLock::new();

/// Terraform flags terrace has no use for: accepted and ignored, because
/// terrace never asks for variable values.
const IGNORED: &[&str] = &["input"];

/// Rewrites `-NAME` and `-NAME=VALUE` into `--NAME…` wherever `--NAME` is
/// a long flag of some terrace command; everything after `--` is left
/// alone. Remembers the result for [`var_flag_order`].
pub fn normalize(args: Vec<OsString>, longs: &HashSet<String>) -> Vec<OsString> {
    let mut out = Vec::with_capacity(args.len());
    let mut rest = false;
    for (i, arg) in args.into_iter().enumerate() {
        let Some(text) = arg.to_str().filter(|_| i > 0 && !rest) else {
            out.push(arg);
            continue;
        };
        if text == "--" {
            rest = true;
            out.push(arg);
            continue;
        }
        let single = text.strip_prefix('-').filter(|t| {
            !t.starts_with('-') && t.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        });
        let Some(body) = single else {
            out.push(arg);
            continue;
        };
        let name = body.split_once('=').map_or(body, |(n, _)| n);
        if name.len() < 2 {
            out.push(arg);
            continue;
        }
        if IGNORED.contains(&name) {
            continue;
        }
        if longs.contains(name) {
            out.push(OsString::from(format!("--{body}")));
        } else {
            out.push(arg);
        }
    }
    let _ = ARGS.set(out.clone());
    out
}

/// `--var` (false) and `--var-file` (true) in the order the command line
/// gives them.
pub fn var_flag_order() -> Vec<bool> {
    let Some(args) = ARGS.get() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut skip = false;
    for a in args.iter().skip(1) {
        let Some(a) = a.to_str() else { continue };
        if skip {
            skip = false;
            continue;
        }
        if a == "--" {
            break;
        }
        match a {
            "--var" => {
                out.push(false);
                skip = true;
            }
            "--var-file" => {
                out.push(true);
                skip = true;
            }
            _ if a.starts_with("--var=") => out.push(false),
            _ if a.starts_with("--var-file=") => out.push(true),
            _ => {}
        }
    }
    out
}

/// Every long flag of every command.
pub fn long_flags(cmd: &clap::Command) -> HashSet<String> {
    let mut out = HashSet::new();
    collect(cmd, &mut out);
    out
}

fn collect(cmd: &clap::Command, out: &mut HashSet<String>) {
    for a in cmd.get_arguments() {
        if let Some(l) = a.get_long() {
            out.insert(l.to_string());
        }
    }
    for s in cmd.get_subcommands() {
        collect(s, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(args: &[&str]) -> Vec<String> {
        let longs: HashSet<String> = ["auto-approve", "out", "var", "var-file", "env"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        normalize(args.iter().map(OsString::from).collect(), &longs)
            .into_iter()
            .map(|s| s.into_string().unwrap())
            .collect()
    }

    #[test]
    fn single_dash_long_flags_become_double_dash() {
        assert_eq!(
            norm(&[
                "terrace",
                "apply",
                "-auto-approve",
                "-out=x.plan",
                "-var",
                "a=1",
                "-input=false"
            ]),
            [
                "terrace",
                "apply",
                "--auto-approve",
                "--out=x.plan",
                "--var",
                "a=1"
            ]
        );
    }

    #[test]
    fn unknown_words_numbers_and_arguments_after_double_dash_are_kept() {
        assert_eq!(
            norm(&["terrace", "x", "-1", "-zz", "-h", "--", "-out"]),
            ["terrace", "x", "-1", "-zz", "-h", "--", "-out"]
        );
    }
}
