//! The command line before clap sees it: Terraform's single-dash
//! spellings (`-auto-approve`, `-out=FILE`, `-var NAME=V`) become the
//! long flags they mean.

use std::collections::HashMap;
use std::ffi::OsString;

/// Terraform flags terrace has no use for: accepted and ignored, because
/// terrace never asks for variable values.
const IGNORED: &[&str] = &["input"];

/// Terraform flags that terrace has no flag for, and what to do instead.
const INSTEAD: &[(&str, &str)] = &[
    (
        "no-color",
        "set NO_COLOR=1 (colours are off anyway when the output is not a terminal)",
    ),
    ("chdir", "use --project DIR"),
    (
        "lock",
        "terrace always locks the environment; break a stale lock with `terrace state unlock`",
    ),
    ("compact-warnings", "terrace always prints warnings in full"),
    ("list", "`terrace fmt` always lists the files it changes"),
    (
        "state",
        "terrace keeps state under .terrace/ in the project root; use --project DIR",
    ),
    (
        "backup",
        "terrace keeps every state version as a backup: see `terrace state backups`",
    ),
];

/// Rewrites `-NAME` and `-NAME=VALUE` into `--NAME…` wherever `--NAME` is
/// a long flag of some terrace command (`-NAME=true` and `-NAME=false` of
/// a flag without a value into `--NAME` or nothing); everything after
/// `--` is left alone. A Terraform flag that terrace has no use for is an
/// error saying what to do instead.
///
/// `longs` maps every long flag to whether it takes a value.
pub fn normalize(
    args: Vec<OsString>,
    longs: &HashMap<String, bool>,
) -> Result<Vec<OsString>, String> {
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
        match (longs.get(name), body.split_once('=')) {
            (Some(false), Some((_, "true"))) => out.push(OsString::from(format!("--{name}"))),
            (Some(false), Some((_, "false"))) => {}
            (Some(_), _) => out.push(OsString::from(format!("--{body}"))),
            (None, _) => match INSTEAD.iter().find(|(n, _)| *n == name) {
                Some((_, instead)) => {
                    return Err(format!(
                        "terrace has no flag like Terraform's -{name}: {instead}"
                    ));
                }
                None => out.push(arg),
            },
        }
    }
    Ok(out)
}

/// Every long flag of every command, and whether it takes a value.
pub fn long_flags(cmd: &clap::Command) -> HashMap<String, bool> {
    let mut out = HashMap::new();
    collect(cmd, &mut out);
    out
}

fn collect(cmd: &clap::Command, out: &mut HashMap<String, bool>) {
    for a in cmd.get_arguments() {
        if let Some(l) = a.get_long() {
            let takes = a.get_action().takes_values();
            *out.entry(l.to_string()).or_default() |= takes;
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
        let longs: HashMap<String, bool> = [
            ("auto-approve", false),
            ("out", true),
            ("var", true),
            ("var-file", true),
            ("env", true),
        ]
        .iter()
        .map(|(s, v)| (s.to_string(), *v))
        .collect();
        normalize(args.iter().map(OsString::from).collect(), &longs)
            .expect("no refused flag")
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
    fn bool_flags_take_terraforms_true_and_false() {
        assert_eq!(
            norm(&["terrace", "apply", "-auto-approve=true"]),
            ["terrace", "apply", "--auto-approve"]
        );
        assert_eq!(
            norm(&["terrace", "apply", "-auto-approve=false"]),
            ["terrace", "apply"]
        );
    }

    #[test]
    fn terraform_flags_without_a_terrace_flag_say_what_to_do() {
        let err = normalize(
            ["terrace", "plan", "-no-color"]
                .iter()
                .map(OsString::from)
                .collect(),
            &HashMap::new(),
        )
        .unwrap_err();
        assert!(err.contains("NO_COLOR=1"), "{err}");
        let err = normalize(
            ["terrace", "-chdir=x", "plan"]
                .iter()
                .map(OsString::from)
                .collect(),
            &HashMap::new(),
        )
        .unwrap_err();
        assert!(err.contains("--project DIR"), "{err}");
    }

    #[test]
    fn unknown_words_numbers_and_arguments_after_double_dash_are_kept() {
        assert_eq!(
            norm(&["terrace", "x", "-1", "-zz", "-h", "--", "-out"]),
            ["terrace", "x", "-1", "-zz", "-h", "--", "-out"]
        );
    }
}
