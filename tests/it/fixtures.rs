//! Table-driven tests over fixture directories.
//!
//! `testdata/plan/CASE/`: definitions to plan in environment `dev`. When
//! `CASE/prior/` exists, its definitions are applied first, so the plan
//! runs against their state. The plan's output is a snapshot,
//! `CASE/plan.snap` (insta; `INSTA_UPDATE=always cargo test` to accept).
//!
//! `testdata/invalid/CASE/`: definitions that `terrace validate` must
//! reject. Each offending line carries `# ERROR: text`; validate must
//! report, for each, a diagnostic whose location is that line and whose
//! text contains `text`, and nothing else.

use crate::harness::{Project, copy_dir, repo, stable};
use std::path::{Path, PathBuf};

pub fn cases(kind: &str) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(repo().join("testdata").join(kind))
        .expect("testdata exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(!dirs.is_empty(), "no {kind} fixtures");
    dirs
}

/// Copies a case's definitions (not `prior/`, not snapshots) into `to`.
pub fn copy_definitions(case: &Path, to: &Path) {
    for entry in std::fs::read_dir(case).expect("case dir") {
        let entry = entry.expect("entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == "prior" || name.ends_with(".snap") || name.ends_with(".snap.new") {
            continue;
        }
        let target = to.join(&name);
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Removes a project's definitions, keeping state and managed files.
pub fn clear_definitions(root: &Path) {
    for entry in std::fs::read_dir(root).expect("root") {
        let entry = entry.expect("entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == ".terrace" || name == "out" {
            continue;
        }
        if entry.file_type().expect("type").is_dir() {
            std::fs::remove_dir_all(entry.path()).expect("rm dir");
        } else {
            std::fs::remove_file(entry.path()).expect("rm");
        }
    }
}

#[test]
fn plan_fixtures_match_their_snapshots() {
    for case in cases("plan") {
        let name = case
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let p = Project::new();
        if case.join("prior").is_dir() {
            copy_dir(&case.join("prior"), p.root());
            p.apply();
            clear_definitions(p.root());
        }
        copy_definitions(&case, p.root());
        let run = p.run(&["plan", "--env", "dev"]);
        let output = format!("exit code: {}\n{}{}", run.code, run.stdout, run.stderr);
        insta::with_settings!({
            snapshot_path => case.clone(),
            prepend_module_to_snapshot => false,
            omit_expression => true,
            description => format!("terrace plan --env dev, in testdata/plan/{name}"),
        }, {
            insta::assert_snapshot!("plan", stable(&output, p.root()));
        });
    }
}

/// An expected diagnostic: file, line (1-based) and a piece of its text.
#[derive(Debug, Clone, PartialEq)]
struct Expected {
    file: String,
    line: usize,
    text: String,
}

fn expected_errors(root: &Path, dir: &Path, out: &mut Vec<Expected>) {
    for entry in std::fs::read_dir(dir).expect("dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            expected_errors(root, &path, out);
            continue;
        }
        if path.extension().is_none_or(|e| e != "hcl") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read");
        let file = path
            .strip_prefix(root)
            .expect("inside")
            .display()
            .to_string();
        for (i, line) in text.lines().enumerate() {
            if let Some((_, want)) = line.split_once("# ERROR: ") {
                out.push(Expected {
                    file: file.clone(),
                    line: i + 1,
                    text: want.trim().to_string(),
                });
            }
        }
    }
}

/// Diagnostics in miette's output: the `× message` line, then the
/// `╭─[file:line:col]` of its primary label.
fn reported(stderr: &str) -> Vec<(String, usize, String)> {
    let mut out = Vec::new();
    let mut message: Option<String> = None;
    for line in stderr.lines() {
        let t = line.trim();
        if let Some(m) = t.strip_prefix("× ") {
            message = Some(m.to_string());
        } else if let (Some(m), Some(start)) = (&message, t.find("╭─[")) {
            let loc = &t[start + "╭─[".len()..t.len() - 1];
            let mut parts = loc.rsplitn(3, ':');
            let _col = parts.next();
            let line_no: usize = parts.next().and_then(|l| l.parse().ok()).unwrap_or(0);
            let file = parts.next().unwrap_or("").to_string();
            out.push((file, line_no, m.clone()));
            message = None;
        }
    }
    out
}

#[test]
fn invalid_fixtures_report_each_error_on_its_line() {
    for case in cases("invalid") {
        let name = case
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let mut expected = Vec::new();
        expected_errors(&case, &case, &mut expected);
        assert!(!expected.is_empty(), "{name}: no # ERROR: markers");
        let p = Project::new();
        copy_definitions(&case, p.root());
        let run = p.run(&["validate"]);
        assert_eq!(
            run.code, 1,
            "{name}: validate should fail\n{}\n{}",
            run.stdout, run.stderr
        );
        assert!(
            !run.stderr.contains("panicked"),
            "{name}: panic\n{}",
            run.stderr
        );
        let got = reported(&run.stderr);
        for want in &expected {
            assert!(
                got.iter()
                    .any(|(f, l, m)| *f == want.file && *l == want.line && m.contains(&want.text)),
                "{name}: expected an error at {}:{} containing {:?}; got:\n{got:#?}\n{}",
                want.file,
                want.line,
                want.text,
                run.stderr
            );
        }
        for (f, l, m) in &got {
            assert!(
                expected.iter().any(|w| w.file == *f && w.line == *l),
                "{name}: unexpected error at {f}:{l}: {m}\n{}",
                run.stderr
            );
        }
    }
}

#[test]
fn every_example_validates_and_plans() {
    let examples = repo().join("examples");
    let mut found = 0;
    for entry in std::fs::read_dir(&examples).expect("examples") {
        let dir = entry.expect("entry").path();
        let has_hcl = std::fs::read_dir(&dir)
            .map(|rd| {
                rd.filter_map(|e| e.ok())
                    .any(|e| e.path().extension().is_some_and(|x| x == "hcl"))
            })
            .unwrap_or(false);
        if !has_hcl {
            continue;
        }
        found += 1;
        let p = Project::copy_of(dir.strip_prefix(repo()).expect("inside"));
        // examples/shop's dev needs its credential.
        let key = [("SHOP_DEV_API_KEY", "example-key")];
        p.run_with(&["validate"], &key)
            .success()
            .stdout_has("Success!");
        let text = p.read("project.hcl");
        let envs: Vec<&str> = text
            .lines()
            .filter_map(|l| {
                l.trim()
                    .strip_prefix("environment \"")
                    .and_then(|r| r.split('"').next())
            })
            .collect();
        assert!(!envs.is_empty(), "{}: no environment", dir.display());
        for env in envs {
            p.run_with(&["plan", "--env", env], &key)
                .success()
                .stdout_has("Plan:");
        }
    }
    assert!(found > 0, "no examples found");
}
