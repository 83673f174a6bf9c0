//! Terraform's tools read terrace's plans and state unchanged. The paired
//! fixture `testdata/consumers/` holds one change set twice: as a
//! Terraform project (its plan and state made by `gen.sh` with real
//! Terraform) and as a terrace project. The JSON documents must have
//! Terraform's shape, and checkov, terraform-compliance and Rego rules
//! (regopy, an OPA-compatible engine) must decide alike on both.
//!
//! The tools live in a virtual environment made by
//! `.ci/install-consumers.sh` (`TERRACE_CONSUMERS_VENV`, else
//! `target/consumers-venv`); the tests fail, not skip, without it.

use crate::fixtures::{clear_definitions, copy_definitions};
use crate::harness::{Project, copy_dir, repo};
use serde_json::Value as Json;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

pub(crate) fn fixture_dir() -> PathBuf {
    repo().join("testdata/consumers")
}

fn read_json(path: &Path) -> Json {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// Terraform's side: plan and state from `gen.sh`.
fn terraform(name: &str) -> Json {
    read_json(&fixture_dir().join("terraform").join(name))
}

/// terrace's side: the prior definitions applied, the next ones planned.
/// Returns the project (the plan written to `plan.json` in it), the plan
/// and the state as `show --env dev --format json` writes them.
fn terrace() -> (Project, Json, Json) {
    let p = Project::new();
    copy_dir(&fixture_dir().join("terrace/prior"), p.root());
    p.apply();
    let state = p
        .run(&["show", "--env", "dev", "--format", "json"])
        .success();
    clear_definitions(p.root());
    copy_definitions(&fixture_dir().join("terrace/next"), p.root());
    let run = p
        .run(&["plan", "--env", "dev", "--format", "json"])
        .success();
    p.write("plan.json", &run.stdout);
    let plan = serde_json::from_str(&run.stdout).expect("the plan is JSON");
    let state = serde_json::from_str(&state.stdout).expect("the state is JSON");
    (p, plan, state)
}

/// The consumers' virtual environment; a clear failure when it is not
/// installed.
fn venv() -> PathBuf {
    let dir = std::env::var_os("TERRACE_CONSUMERS_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target/consumers-venv"));
    let dir = if dir.is_relative() {
        repo().join(dir)
    } else {
        dir
    };
    for tool in ["checkov", "terraform-compliance", "python"] {
        assert!(
            dir.join("bin").join(tool).is_file(),
            "{tool} is not installed in {}: run .ci/install-consumers.sh first",
            dir.display()
        );
    }
    dir
}

pub(crate) fn tool(name: &str) -> Command {
    let mut c = Command::new(venv().join("bin").join(name));
    // No network: checkov would otherwise try to fetch guidelines.
    c.env("BC_SKIP_MAPPING", "TRUE")
        .env("CHECKOV_RUN_SCA_PACKAGE_SCAN_V2", "false")
        .env("LOG_LEVEL", "ERROR");
    c
}

/// terrace's resource type and addresses written as the Terraform
/// fixture's, so that decisions can be compared as text.
fn as_terraform(text: &str) -> String {
    text.replace("terrace_data", "terraform_data")
}

/// Every key path in a document, arrays collapsed to `[]`, with the kind
/// of value at each: the shape two documents must share.
fn shape(v: &Json, at: &str, out: &mut BTreeSet<String>) {
    let kind = match v {
        Json::Null => "null",
        Json::Bool(_) => "bool",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    };
    out.insert(format!("{at}: {kind}"));
    match v {
        Json::Array(items) => items.iter().for_each(|x| shape(x, &format!("{at}[]"), out)),
        Json::Object(m) => {
            for (k, x) in m {
                shape(x, &format!("{at}.{k}"), out);
            }
        }
        _ => {}
    }
}

fn shapes(v: &Json) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    shape(v, "", &mut out);
    out
}

/// Whether a shape line is one that docs/json-plan.md lists as a
/// difference (terrace's own fields, outputs keyed `CONFIG.NAME` and no
/// root outputs, the `module_address` of state resources, a sensitive
/// value hidden as `null`, provider config names, the sensitivity
/// terrace keeps through `output`).
fn allowed(line: &str) -> bool {
    line.contains(".terrace")
        || line.starts_with(".resource_drift")
        || line.contains("outputs.app")
        || line.contains("output_changes.app")
        || line.contains(".module_address")
        || line.contains(".configuration.root_module.outputs")
        || line.ends_with("password.value: null")
        || line.ends_with("password.value: string")
        || line.ends_with("password.default: null")
        || line.ends_with("password.default: string")
        || line.ends_with(".password: null")
        || line.ends_with(".password: string")
        || line.contains("output.password")
        || line.contains("provider_config.module.app:")
        || line.contains(".output_changes.app_dsn.")
}

fn assert_same_shape(what: &str, ours: &Json, theirs: &Json) {
    let ours: BTreeSet<String> =
        shapes(&serde_json::from_str(&as_terraform(&ours.to_string())).expect("JSON"));
    // Terraform's root outputs `app_X` stand for terrace's `app.X`.
    let theirs: BTreeSet<String> = shapes(theirs)
        .into_iter()
        .map(|l| {
            l.replace("outputs.app_", "outputs.app.")
                .replace("output_changes.app_", "output_changes.app.")
        })
        .collect();
    let missing: Vec<&String> = theirs.difference(&ours).filter(|l| !allowed(l)).collect();
    let extra: Vec<&String> = ours.difference(&theirs).filter(|l| !allowed(l)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{what}: shapes differ beyond docs/json-plan.md's list\nonly in Terraform's: {missing:#?}\nonly in terrace's: {extra:#?}"
    );
}

#[test]
fn the_json_plan_and_state_have_terraforms_shape_for_the_paired_change_set() {
    let (_p, plan, state) = terrace();
    assert_same_shape("plan", &plan, &terraform("plan.json"));
    assert_same_shape("state", &state, &terraform("state.json"));
    // Every object, changed or not, with the same actions.
    let actions = |doc: &Json| -> Vec<(String, Json)> {
        doc["resource_changes"]
            .as_array()
            .expect("resource_changes")
            .iter()
            .map(|rc| {
                (
                    as_terraform(rc["address"].as_str().unwrap_or_default()),
                    rc["change"]["actions"].clone(),
                )
            })
            .collect()
    };
    assert_eq!(actions(&plan), actions(&terraform("plan.json")));
    assert_eq!(
        plan["relevant_attributes"]
            .to_string()
            .replace("terrace_data", "terraform_data"),
        terraform("plan.json")["relevant_attributes"].to_string()
    );
}

#[test]
fn the_applied_state_has_terraforms_shape_with_depends_on() {
    let (p, _, _) = terrace();
    p.run(&["apply", "--env", "dev", "--auto-approve"])
        .success();
    let run = p
        .run(&["show", "--env", "dev", "--format", "json"])
        .success();
    let ours: Json = serde_json::from_str(&run.stdout).expect("JSON");
    let theirs = terraform("applied.json");
    assert_same_shape("applied state", &ours, &theirs);
    let depends_on = |doc: &Json| -> Vec<(String, String)> {
        doc["values"]["root_module"]["child_modules"][0]["resources"]
            .as_array()
            .expect("resources")
            .iter()
            .map(|r| {
                (
                    as_terraform(r["address"].as_str().unwrap_or_default()),
                    as_terraform(&r["depends_on"].to_string()),
                )
            })
            .collect()
    };
    assert_eq!(depends_on(&ours), depends_on(&theirs));
}

#[test]
fn an_empty_environment_shows_as_terraform_shows_no_state() {
    let p = Project::new();
    copy_dir(&fixture_dir().join("terrace/prior"), p.root());
    let run = p
        .run(&["show", "--env", "dev", "--format", "json"])
        .success();
    assert_eq!(
        serde_json::from_str::<Json>(&run.stdout).expect("JSON"),
        terraform("empty.json")
    );
}

#[test]
fn json_plans_are_one_line_unless_pretty() {
    let (p, _, _) = terrace();
    assert_eq!(p.read("plan.json").lines().count(), 1);
    let pretty = p
        .run(&["plan", "--env", "dev", "--format", "json", "--pretty"])
        .success();
    assert!(pretty.stdout.lines().count() > 100, "{}", pretty.stdout);
    p.run(&["plan", "--env", "dev", "--pretty"])
        .code(1)
        .stderr_has("--pretty needs --format json");
    p.run(&["plan", "--env", "dev", "--out", "saved.plan"])
        .success();
    let shown = p.run(&["show", "saved.plan", "--format", "json"]).success();
    assert_eq!(shown.stdout.lines().count(), 1);
    let shown: Json = serde_json::from_str(&shown.stdout).expect("JSON");
    assert!(shown["configuration"]["root_module"]["module_calls"]["app"].is_object());
    assert_eq!(shown["terraform_version"], "1.15.5");
}

#[test]
fn sensitive_values_keep_their_keys_with_the_values_hidden() {
    let (p, plan, state) = terrace();
    for (what, text) in [("plan", p.read("plan.json")), ("state", state.to_string())] {
        assert!(
            !text.contains("hunter2"),
            "{what} shows the password: {text}"
        );
    }
    let db = plan["resource_changes"]
        .as_array()
        .and_then(|a| a.iter().find(|rc| rc["name"] == "db"))
        .expect("db")
        .clone();
    assert_eq!(db["change"]["after"]["input"]["password"], Json::Null);
    assert!(db["change"]["after"]["input"].get("password").is_some());
    assert_eq!(db["change"]["after_sensitive"]["input"]["password"], true);
    assert_eq!(
        plan["variables"]["password"],
        serde_json::json!({"value": null})
    );
    let dsn = &plan["output_changes"]["app.dsn"];
    assert_eq!(
        (dsn["after"].clone(), dsn["after_sensitive"].clone()),
        (Json::Null, Json::Bool(true))
    );
    // An unknown output has no `after`, as in Terraform.
    assert!(
        plan["output_changes"]["app.build_id"]
            .get("after")
            .is_none()
    );
    assert_eq!(
        state["values"]["outputs"]["app.dsn"],
        serde_json::json!({"sensitive": true, "type": "string", "value": null})
    );
}

#[test]
fn literal_values_of_sensitive_outputs_and_inputs_stay_out_of_the_configuration() {
    let p = Project::new()
        .file(
            "project.hcl",
            "project \"t\" {}\nenvironment \"dev\" {}\nconfiguration \"main\" {\n  architecture = \"./arch\"\n  inputs = { token = \"literal-token-1\" }\n}\n",
        )
        .file(
            "arch/main.hcl",
            "variable \"token\" {\n  type      = string\n  sensitive = true\n}\noutput \"key\" {\n  value     = \"literal-key-2\"\n  sensitive = true\n}\n",
        );
    let run = p
        .run(&["plan", "--env", "dev", "--format", "json"])
        .success();
    for secret in ["literal-token-1", "literal-key-2"] {
        assert!(
            !run.stdout.contains(secret),
            "{secret} shown: {}",
            run.stdout
        );
    }
    let plan: Json = serde_json::from_str(&run.stdout).expect("JSON");
    let call = &plan["configuration"]["root_module"]["module_calls"]["main"];
    assert_eq!(
        call["expressions"]["token"],
        serde_json::json!({"constant_value": null})
    );
    assert_eq!(
        call["module"]["outputs"]["key"]["expression"],
        serde_json::json!({"constant_value": null})
    );
}

#[test]
fn checkov_finds_the_same_resources_and_decides_alike_on_both_plans() {
    let (p, _, _) = terrace();
    let checks = fixture_dir().join("checkov");
    let run = |plan: &Path| -> (Json, BTreeSet<String>) {
        let out = tool("checkov")
            .arg("-f")
            .arg(plan)
            .args([
                "--framework",
                "terraform_plan",
                "--skip-download",
                "-o",
                "json",
            ])
            .arg("--external-checks-dir")
            .arg(&checks)
            .current_dir(plan.parent().expect("dir"))
            .output()
            .expect("checkov runs");
        let report: Json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "checkov wrote no JSON ({e}): {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        let mut results = BTreeSet::new();
        for (kind, key) in [("passed", "passed_checks"), ("failed", "failed_checks")] {
            for c in report["results"][key].as_array().into_iter().flatten() {
                results.insert(as_terraform(&format!(
                    "{kind} {} {}",
                    c["check_id"].as_str().unwrap_or_default(),
                    c["resource"].as_str().unwrap_or_default()
                )));
            }
        }
        (report["summary"].clone(), results)
    };
    let (theirs_summary, theirs) = run(&fixture_dir().join("terraform/plan.json"));
    let (ours_summary, ours) = run(&p.path("plan.json"));
    assert_eq!(theirs_summary["resource_count"], 4, "{theirs_summary}");
    assert!(
        theirs.iter().any(|r| r.starts_with("failed CKV_TERRACE_1")),
        "{theirs:#?}"
    );
    assert_eq!(
        ours_summary["resource_count"],
        theirs_summary["resource_count"]
    );
    assert_eq!(ours, theirs);
}

#[test]
fn terraform_compliance_features_pass_and_fail_alike_on_both_plans() {
    let (p, _, _) = terrace();
    let features = fixture_dir().join("compliance");
    let outcome = |plan: &Path, data_type: &str, feature: &Path| -> String {
        let dir = tempfile::tempdir().expect("temp dir");
        let text = std::fs::read_to_string(feature).expect("feature");
        std::fs::write(
            dir.path().join("f.feature"),
            text.replace("DATA_TYPE", data_type),
        )
        .expect("write");
        let out = tool("terraform-compliance")
            .arg("-p")
            .arg(plan)
            .arg("-f")
            .arg(dir.path())
            .arg("--no-ansi")
            .output()
            .expect("terraform-compliance runs");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.lines()
            .find(|l| l.contains("scenarios ("))
            .unwrap_or_else(|| {
                panic!(
                    "{}: no result in\n{text}{}",
                    feature.display(),
                    String::from_utf8_lossy(&out.stderr)
                )
            })
            .to_string()
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&features)
        .expect("features")
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|f| f.extension().is_some_and(|x| x == "feature"))
        .collect();
    files.sort();
    assert!(files.len() >= 3);
    let mut failed = 0;
    for f in &files {
        let theirs = outcome(
            &fixture_dir().join("terraform/plan.json"),
            "terraform_data",
            f,
        );
        let ours = outcome(&p.path("plan.json"), "terrace_data", f);
        assert_eq!(ours, theirs, "{}", f.display());
        failed += usize::from(theirs.contains("failed"));
    }
    assert!(
        failed > 0 && failed < files.len(),
        "the features should both pass and fail"
    );
}

#[test]
fn rego_rules_decide_alike_on_both_plans() {
    let (p, _, _) = terrace();
    let eval = |plan: &Path| -> Json {
        let out = tool("python")
            .arg(fixture_dir().join("rego/eval.py"))
            .arg(plan)
            .output()
            .expect("python runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_str(&as_terraform(&String::from_utf8_lossy(&out.stdout)))
            .expect("decisions")
    };
    let theirs = eval(&fixture_dir().join("terraform/plan.json"));
    let ours = eval(&p.path("plan.json"));
    assert_eq!(ours, theirs);
    assert_eq!(theirs["deny"].as_array().map(Vec::len), Some(2), "{theirs}");
    assert_eq!(theirs["counts"]["no-op"], 1);
}
