//! The CI examples in `examples/ci/`: valid YAML, and every terrace
//! command in their scripts exists with the flags they pass (checked
//! against the command's `--help`).

use crate::harness::{Project, repo};

/// The shell scripts of a CI file: the strings under `run`, `script` and
/// `before_script` keys, anywhere.
fn scripts(y: &yaml_rust2::Yaml, under_script: bool, out: &mut Vec<String>) {
    use yaml_rust2::Yaml;
    match y {
        Yaml::String(s) if under_script => out.push(s.clone()),
        Yaml::Array(items) => {
            for i in items {
                scripts(i, under_script, out);
            }
        }
        Yaml::Hash(h) => {
            for (k, v) in h {
                let key = k.as_str().unwrap_or("");
                scripts(v, matches!(key, "run" | "script" | "before_script"), out);
            }
        }
        _ => {}
    }
}

/// `terrace …` invocations in scripts: the subcommand and the long flags
/// after it (continuation lines joined, comments skipped).
fn terrace_commands(scripts: &[String]) -> Vec<(String, Vec<String>)> {
    let joined = scripts.join("\n").replace("\\\n", " ");
    let mut found = Vec::new();
    for line in joined.lines().filter(|l| !l.trim_start().starts_with('#')) {
        let mut words = line.split_whitespace().skip_while(|w| *w != "terrace");
        if words.next().is_none() {
            continue;
        }
        let words: Vec<&str> = words.collect();
        let Some(sub) = words.first() else { continue };
        if sub.starts_with('-') || !sub.chars().all(|c| c.is_ascii_lowercase() || c == '-') {
            continue;
        }
        let flags = words
            .iter()
            .filter(|w| w.starts_with("--"))
            .map(|w| w.split('=').next().unwrap_or(w).to_string())
            .collect();
        found.push((sub.to_string(), flags));
    }
    found
}

#[test]
fn ci_examples_are_yaml_and_use_existing_commands_and_flags() {
    let p = Project::new();
    let mut checked = 0;
    for file in [
        "examples/ci/github-actions.yml",
        "examples/ci/gitlab-ci.yml",
    ] {
        let text = std::fs::read_to_string(repo().join(file)).expect("CI example");
        let docs = yaml_rust2::YamlLoader::load_from_str(&text)
            .unwrap_or_else(|e| panic!("{file} is not YAML: {e}"));
        let top = docs
            .first()
            .and_then(|d| d.as_hash())
            .unwrap_or_else(|| panic!("{file}: not a mapping"));
        let jobs = if file.contains("github") {
            top.get(&yaml_rust2::Yaml::from_str("jobs"))
                .and_then(|j| j.as_hash())
                .expect("jobs")
        } else {
            top
        };
        for job in [
            "plan",
            "apply-dev",
            "promote-test",
            "plan-prod",
            "apply-prod",
        ] {
            assert!(
                jobs.contains_key(&yaml_rust2::Yaml::from_str(job)),
                "{file}: no job {job}"
            );
        }
        let mut found = Vec::new();
        for d in &docs {
            scripts(d, false, &mut found);
        }
        let commands = terrace_commands(&found);
        assert!(commands.len() >= 4, "{file}: {commands:?}");
        for (sub, flags) in commands {
            let help = p.run(&[&sub, "--help"]);
            assert_eq!(
                help.code, 0,
                "{file}: terrace {sub} does not exist\n{}",
                help.stderr
            );
            for flag in &flags {
                assert!(
                    help.stdout.contains(&format!("{flag} "))
                        || help.stdout.contains(&format!("{flag}\n"))
                        || help.stdout.contains(&format!("{flag}="))
                        || help.stdout.contains(&format!("{flag},")),
                    "{file}: terrace {sub} has no {flag}\n{}",
                    help.stdout
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 4, "only {checked} commands checked");
}
