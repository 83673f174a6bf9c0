//! Plans for review and pipelines: Markdown, Terraform's JSON plan, the
//! `--json` event stream, and the CI examples.
//!
//! Every `testdata/plan/CASE` is also rendered as Markdown and JSON and
//! kept as snapshots beside its text plan (`markdown.snap`, `json.snap`).

use crate::fixtures::{cases, clear_definitions, copy_definitions};
use crate::harness::{Project, Run, copy_dir, repo, single, stable};
use serde_json::Value as Json;

/// A fixture case set up as `fixtures.rs` does: prior applied, then the
/// case's definitions in place.
fn fixture(case: &std::path::Path) -> Project {
    let p = Project::new();
    if case.join("prior").is_dir() {
        copy_dir(&case.join("prior"), p.root());
        p.apply();
        clear_definitions(p.root());
    }
    copy_definitions(case, p.root());
    p
}

/// Checks that Markdown parts render on their own: each starts with its
/// marker, fits in `max` bytes, closes every `<details>` and code fence.
fn assert_well_formed(parts: &[String], max: usize) {
    let m = parts.len();
    for (i, part) in parts.iter().enumerate() {
        let marker = format!("<!-- terrace part {}/{m} -->\n", i + 1);
        assert!(part.starts_with(&marker), "part {} lacks {marker:?}", i + 1);
        assert!(
            part.len() <= max,
            "part {} has {} bytes, over {max}",
            i + 1,
            part.len()
        );
        let mut fence: Option<usize> = None;
        let mut depth: i32 = 0;
        for line in part.lines() {
            let ticks = line.len() - line.trim_start_matches('`').len();
            match fence {
                Some(n) if ticks >= n && line.trim_start_matches('`').trim().is_empty() => {
                    fence = None
                }
                Some(_) => {}
                None if ticks >= 3 => fence = Some(ticks),
                None => {
                    depth += line.matches("<details>").count() as i32;
                    depth -= line.matches("</details>").count() as i32;
                    assert!(depth >= 0, "part {}: </details> before <details>", i + 1);
                }
            }
        }
        assert!(
            fence.is_none(),
            "part {}: code fence left open\n{part}",
            i + 1
        );
        assert_eq!(depth, 0, "part {}: <details> left open\n{part}", i + 1);
    }
}

/// Splits standard output into parts at their markers.
fn parts_of(stdout: &str) -> Vec<String> {
    let mut parts: Vec<String> = Vec::new();
    for line in stdout.split_inclusive('\n') {
        if line.starts_with("<!-- terrace part ") || parts.is_empty() {
            parts.push(String::new());
        }
        if let Some(p) = parts.last_mut() {
            p.push_str(line);
        }
    }
    parts
}

/// The fields of Terraform's JSON plan that tools read, with their types.
fn assert_terraform_shape(plan: &Json) {
    assert_eq!(plan["format_version"], "1.2");
    assert!(plan["applyable"].is_boolean());
    assert!(plan["prior_state"]["values"]["root_module"].is_object());
    assert!(plan["output_changes"].is_object());
    assert!(plan["resource_drift"].is_array());
    assert!(plan["terrace"]["environment"].is_string());
    let changes = plan["resource_changes"]
        .as_array()
        .expect("resource_changes");
    for rc in changes {
        for key in ["address", "type", "name", "mode", "provider_name"] {
            assert!(rc[key].is_string(), "{key} in {rc}");
        }
        assert!(rc["terrace"]["configuration"].is_string(), "{rc}");
        let c = &rc["change"];
        let actions: Vec<&str> = c["actions"]
            .as_array()
            .expect("actions")
            .iter()
            .map(|a| a.as_str().expect("action is a string"))
            .collect();
        assert!(
            [
                vec!["create"],
                vec!["update"],
                vec!["delete"],
                vec!["read"],
                vec!["no-op"],
                vec!["forget"],
                vec!["delete", "create"],
                vec!["create", "delete"],
            ]
            .contains(&actions),
            "{actions:?}"
        );
        for key in [
            "before",
            "after",
            "after_unknown",
            "before_sensitive",
            "after_sensitive",
        ] {
            assert!(c.get(key).is_some(), "{key} missing in {rc}");
        }
        // Terraform gives no replace_paths for a replacement by triggers.
        if actions.len() == 2 && rc["action_reason"] != "replace_by_triggers" {
            assert!(c["replace_paths"].is_array(), "{rc}");
        }
    }
}

#[test]
fn plan_fixtures_render_as_markdown_and_json_snapshots() {
    for case in cases("plan") {
        let name = case
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let p = fixture(&case);
        let md = p.run(&["plan", "--env", "dev", "--format", "markdown"]);
        let json = p.run(&["plan", "--env", "dev", "--format", "json", "--pretty"]);
        if md.code == 0 {
            assert_well_formed(&parts_of(&md.stdout), 65536);
            let v: Json = serde_json::from_str(&json.stdout)
                .unwrap_or_else(|e| panic!("{name}: not JSON: {e}\n{}", json.stdout));
            assert_terraform_shape(&v);
        }
        for (snap, run) in [("markdown", &md), ("json", &json)] {
            let output = format!("exit code: {}\n{}{}", run.code, run.stdout, run.stderr);
            insta::with_settings!({
                snapshot_path => case.clone(),
                prepend_module_to_snapshot => false,
                omit_expression => true,
                description => format!("terrace plan --env dev --format {snap}, in testdata/plan/{name}"),
            }, {
                insta::assert_snapshot!(snap, stable(&output, p.root()));
            });
        }
    }
}

/// What a conftest/OPA policy does with `terraform show -json`: read
/// `resource_changes[].change.actions` and deny deletes.
fn denied_deletes(plan: &Json) -> Vec<String> {
    plan["resource_changes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|rc| {
            rc["change"]["actions"]
                .as_array()
                .is_some_and(|a| a.iter().any(|x| x == "delete"))
        })
        .filter_map(|rc| rc["address"].as_str().map(String::from))
        .collect()
}

#[test]
fn a_policy_reads_actions_from_the_json_plan_of_a_saved_plan() {
    let p = fixture(&repo().join("testdata/plan/replace"));
    p.run(&["plan", "--env", "dev", "--out", "tfplan"])
        .success();
    let run = p.run(&["show", "tfplan", "--format", "json"]).success();
    let plan: Json = serde_json::from_str(&run.stdout).expect("JSON");
    assert_terraform_shape(&plan);
    assert_eq!(
        denied_deletes(&plan),
        ["module.main.file.page", "module.main.terrace_data.build"]
    );
    let build = &plan["resource_changes"][1];
    assert_eq!(
        build["change"]["actions"],
        serde_json::json!(["delete", "create"])
    );
    assert_eq!(
        build["change"]["replace_paths"],
        serde_json::json!([["triggers_replace"]])
    );
    assert_eq!(build["change"]["after_unknown"]["id"], true);
    assert_eq!(build["action_reason"], "replace_because_cannot_update");
    // A plan with only creates passes the policy.
    let p = fixture(&repo().join("testdata/plan/create"));
    let run = p
        .run(&["plan", "--env", "dev", "--format", "json"])
        .success();
    let plan: Json = serde_json::from_str(&run.stdout).expect("JSON");
    assert!(denied_deletes(&plan).is_empty());
}

#[test]
fn sensitive_values_never_appear_in_markdown_json_or_events() {
    let p = fixture(&repo().join("testdata/plan/sensitive"));
    let mut outputs = Vec::new();
    for args in [
        &["plan", "--env", "dev", "--format", "markdown"][..],
        &["plan", "--env", "dev", "--format", "json"],
        &["plan", "--env", "dev", "--json"],
        &["plan", "--env", "dev", "--out", "tfplan"],
        &["show", "tfplan", "--format", "json"],
        &["show", "tfplan", "--format", "markdown"],
        &["apply", "--env", "dev", "--json", "--auto-approve"],
        &["show", "--env", "dev", "--format", "json"],
    ] {
        let run = p.run(args).success();
        outputs.push((args.join(" "), run.stdout, run.stderr));
    }
    for (args, out, err) in &outputs {
        assert!(
            !out.contains("hunter2") && !err.contains("hunter2"),
            "terrace {args} shows the secret:\n{out}{err}"
        );
    }
    let json: Json = serde_json::from_str(&outputs[1].1).expect("JSON");
    let db = json["resource_changes"]
        .as_array()
        .expect("changes")
        .iter()
        .find(|rc| rc["address"] == "module.main.terrace_data.db")
        .expect("db");
    assert_eq!(db["change"]["after_sensitive"]["input"]["password"], true);
    // The key stays, its value hidden.
    assert!(db["change"]["after"]["input"]["password"].is_null());
    assert!(db["change"]["after"]["input"].get("password").is_some());
    assert_eq!(json["output_changes"]["main.dsn"]["after_sensitive"], true);
    assert!(json["output_changes"]["main.dsn"]["after"].is_null());
    assert!(
        outputs[0].1.contains("(sensitive value)"),
        "{}",
        outputs[0].1
    );
    let state: Json = serde_json::from_str(&outputs[7].1).expect("state JSON");
    let dsn = &state["values"]["root_module"]["child_modules"][0]["resources"][0];
    assert_eq!(dsn["address"], "module.main.file.dsn");
    assert_eq!(dsn["sensitive_values"]["content"], true);
    assert_eq!(
        state["values"]["outputs"]["main.dsn"],
        serde_json::json!({ "sensitive": true, "type": "string", "value": null })
    );
}

const DRIFTING: &str = "resource \"file\" \"a\" {\n  path    = \"out/a.txt\"\n  content = \"mine\"\n}\nresource \"file\" \"b\" {\n  path    = \"out/b.txt\"\n  content = \"mine\"\n}\nresource \"terrace_data\" \"c\" {\n  input = \"new\"\n}\n";

#[test]
fn drift_is_shown_apart_from_the_changes() {
    let p = single(&DRIFTING.replace("\"new\"", "\"old\""));
    p.apply();
    p.write("arch/main.hcl", DRIFTING);
    p.write("out/a.txt", "edited by hand");
    std::fs::remove_file(p.path("out/b.txt")).expect("rm");
    let md = p
        .run(&["plan", "--env", "dev", "--format", "markdown"])
        .success();
    assert_well_formed(&parts_of(&md.stdout), 65536);
    let json = p
        .run(&["plan", "--env", "dev", "--format", "json"])
        .success();
    let plan: Json = serde_json::from_str(&json.stdout).expect("JSON");
    assert_terraform_shape(&plan);
    let drifted: Vec<(&str, &Json)> = plan["resource_drift"]
        .as_array()
        .expect("drift")
        .iter()
        .map(|d| (d["address"].as_str().unwrap_or(""), &d["change"]["actions"]))
        .collect();
    assert_eq!(
        drifted,
        [
            ("module.main.file.a", &serde_json::json!(["update"])),
            ("module.main.file.b", &serde_json::json!(["delete"]))
        ]
    );
    let events = p.run(&["plan", "--env", "dev", "--json"]).success();
    let types: Vec<String> = event_lines(&events)
        .iter()
        .map(|e| e["type"].as_str().unwrap_or("").to_string())
        .collect();
    // Both files are read back first, in parallel (reads in any order).
    let (reads, types): (Vec<String>, Vec<String>) =
        types.into_iter().partition(|t| t.starts_with("refresh_"));
    assert_eq!(reads.len(), 4, "a start and an end per file");
    assert_eq!(
        types,
        [
            "version",
            "resource_drift",
            "resource_drift",
            "planned_change",
            "planned_change",
            "planned_change",
            "change_summary"
        ]
    );
    let text = p.run(&["plan", "--env", "dev"]).success();
    insta::assert_snapshot!(
        "drift_markdown",
        format!(
            "{}\n---- text ----\n{}",
            stable(&md.stdout, p.root()),
            stable(&text.stdout, p.root())
        )
    );
}

/// Every line of standard output as JSON, checking the fields every
/// message has.
fn event_lines(run: &Run) -> Vec<Json> {
    run.stdout
        .lines()
        .map(|l| {
            let v: Json = serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}\n{}", run.stdout));
            for key in ["@level", "@message", "@module", "@timestamp", "type"] {
                assert!(v[key].is_string(), "{key} missing: {l}");
            }
            v
        })
        .collect()
}

#[test]
fn apply_json_streams_one_event_per_line() {
    let p = single(
        "resource \"terrace_data\" \"a\" {\n  input = 1\n}\nresource \"file\" \"b\" {\n  path    = \"out/b\"\n  content = terrace_data.a.id\n}\n",
    );
    let run = p
        .run(&["apply", "--env", "dev", "--json", "--auto-approve"])
        .success();
    let events = event_lines(&run);
    let kinds: Vec<&str> = events.iter().filter_map(|e| e["type"].as_str()).collect();
    assert_eq!(
        kinds,
        [
            "version",
            "planned_change",
            "planned_change",
            "change_summary",
            "apply_start",
            "apply_complete",
            "apply_start",
            "apply_complete",
            "change_summary"
        ]
    );
    let done = &events[5];
    assert_eq!(
        done["hook"]["resource"]["addr"],
        "module.main.terrace_data.a"
    );
    assert_eq!(
        done["hook"]["resource"]["terrace_address"],
        "dev/main/terrace_data.a"
    );
    assert_eq!(done["hook"]["action"], "create");
    assert!(done["hook"]["elapsed_seconds"].is_u64());
    let summary = &events[8];
    assert_eq!(summary["changes"]["operation"], "apply");
    assert_eq!(summary["changes"]["add"], 2);
    // Destroy streams too.
    let run = p
        .run(&["destroy", "--env", "dev", "--json", "--auto-approve"])
        .success();
    let last = event_lines(&run).pop().expect("a line");
    assert_eq!(last["changes"]["operation"], "destroy");
    assert_eq!(last["changes"]["remove"], 2);
}

#[test]
fn apply_json_reports_failures_and_refusals_as_json() {
    let p =
        single("resource \"file\" \"broken\" {\n  path    = \"out/taken\"\n  content = \"x\"\n}\n");
    std::fs::create_dir_all(p.path("out/taken/inside")).expect("mkdir");
    let run = p
        .run(&["apply", "--env", "dev", "--json", "--auto-approve"])
        .code(1);
    let events = event_lines(&run);
    let errored = events
        .iter()
        .find(|e| e["type"] == "apply_errored")
        .expect("apply_errored");
    // As Terraform's: `info`, the error itself being the diagnostic.
    assert_eq!(errored["@level"], "info");
    assert!(
        errored["hook"]["terrace_message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    assert!(
        events
            .iter()
            .any(|e| e["type"] == "diagnostic" && e["diagnostic"]["severity"] == "error")
    );
    // Without --auto-approve there is nobody to confirm: a diagnostic, exit 1.
    let run = p.run(&["apply", "--env", "dev", "--json"]).code(1);
    let events = event_lines(&run);
    assert_eq!(events.last().expect("line")["type"], "diagnostic");
    // An unknown environment is a diagnostic too.
    let run = p.run(&["plan", "--env", "nope", "--json"]).code(1);
    let events = event_lines(&run);
    assert!(
        events.last().expect("line")["diagnostic"]["summary"]
            .as_str()
            .is_some_and(|s| s.contains("no environment \"nope\""))
    );
}

#[test]
fn plan_json_reports_definition_errors_with_their_location() {
    let p = single("resource \"terrace_data\" \"a\" {\n  input = 1\n  bogus = 2\n}\n");
    let run = p.run(&["plan", "--env", "dev", "--json"]).code(1);
    let events = event_lines(&run);
    let d = events
        .iter()
        .find(|e| e["type"] == "diagnostic")
        .unwrap_or_else(|| panic!("no diagnostic\n{}{}", run.stdout, run.stderr));
    assert_eq!(d["@level"], "error");
    assert_eq!(d["diagnostic"]["range"]["filename"], "arch/main.hcl");
    assert_eq!(d["diagnostic"]["range"]["start"]["line"], 3);
    assert!(run.stderr.is_empty(), "{}", run.stderr);
}

/// A plan of `n` resources with long inputs, to split.
fn large(n: usize) -> Project {
    single(&format!(
        "resource \"terrace_data\" \"item\" {{\n  count = {n}\n  input = {{\n    index = count.index\n    text  = \"{}\"\n  }}\n}}\n",
        "lorem ipsum ".repeat(8)
    ))
}

#[test]
fn a_large_plan_splits_into_parts_that_each_render() {
    let p = large(200);
    let max = 8192;
    let run = p
        .run(&[
            "plan",
            "--env",
            "dev",
            "--format",
            "markdown",
            "--max-bytes",
            &max.to_string(),
        ])
        .success();
    let parts = parts_of(&run.stdout);
    assert!(parts.len() > 3, "{} parts", parts.len());
    assert_well_formed(&parts, max);
    let all = parts.concat();
    for i in 0..200 {
        assert!(
            all.contains(&format!(
                "# dev/main/terrace_data.item[{i}] will be created"
            )),
            "item {i} missing"
        );
    }
    // The same parts, as files.
    p.run(&[
        "plan",
        "--env",
        "dev",
        "--format",
        "markdown",
        "--max-bytes",
        &max.to_string(),
        "--parts-dir",
        "md",
    ])
    .success();
    for (i, part) in parts.iter().enumerate() {
        assert_eq!(&p.read(&format!("md/part-{}.md", i + 1)), part);
    }
    assert!(!p.exists(&format!("md/part-{}.md", parts.len() + 1)));
    // A small split, kept as a snapshot to show the shape.
    let p = large(12);
    let run = p
        .run(&[
            "plan",
            "--env",
            "dev",
            "--format",
            "markdown",
            "--max-bytes",
            "2048",
        ])
        .success();
    assert_well_formed(&parts_of(&run.stdout), 2048);
    insta::assert_snapshot!("split_markdown", stable(&run.stdout, p.root()));
}

#[test]
fn format_flags_refuse_what_they_cannot_do() {
    let p = large(1);
    p.run(&["plan", "--env", "dev", "--max-bytes", "10"])
        .code(1);
    p.run(&["plan", "--env", "dev", "--parts-dir", "md"])
        .code(1)
        .stderr_has("--parts-dir needs --format markdown");
    p.run(&["plan", "--env", "dev", "--json", "--format", "json"])
        .code(1);
    p.run(&["show", "--env", "dev", "--format", "markdown"])
        .code(1)
        .stderr_has("--format markdown is for saved plans");
    // --out with a non-text format keeps standard output clean.
    let run = p
        .run(&[
            "plan", "--env", "dev", "--format", "json", "--out", "tfplan",
        ])
        .success()
        .stderr_has("Saved the plan to tfplan");
    serde_json::from_str::<Json>(&run.stdout).expect("pure JSON");
}

/// Blanks what differs between any two runs: ids.
fn without_ids(mut v: Json) -> Json {
    for side in ["before", "after"] {
        if let Some(id) = v.get_mut(side).and_then(|s| s.get_mut("id")) {
            *id = Json::String("<id>".into());
        }
    }
    v
}

#[test]
fn the_json_plan_matches_terraforms_for_the_same_replacement() {
    let tf: Json = serde_json::from_str(
        &std::fs::read_to_string(repo().join("testdata/terraform/plan.json")).expect("read"),
    )
    .expect("Terraform's plan is JSON");
    let p = fixture(&repo().join("testdata/plan/replace"));
    let run = p
        .run(&["plan", "--env", "dev", "--format", "json"])
        .success();
    let ours: Json = serde_json::from_str(&run.stdout).expect("JSON");
    let find = |plan: &Json, address: &str| -> Json {
        plan["resource_changes"]
            .as_array()
            .and_then(|a| a.iter().find(|rc| rc["address"] == address))
            .cloned()
            .unwrap_or_else(|| panic!("no {address}"))
    };
    let theirs = find(&tf, "terraform_data.build");
    let mine = find(&ours, "module.main.terrace_data.build");
    assert_eq!(
        without_ids(mine["change"].clone()),
        without_ids(theirs["change"].clone())
    );
    assert_eq!(mine["action_reason"], theirs["action_reason"]);
    assert_eq!(mine["mode"], theirs["mode"]);
    assert_eq!(mine["name"], theirs["name"]);
    // Top-level keys: the differences are the ones docs/json-plan.md lists.
    let keys = |v: &Json| -> std::collections::BTreeSet<String> {
        v.as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default()
    };
    let (k_tf, k_ours) = (keys(&tf), keys(&ours));
    let missing: Vec<&String> = k_tf.difference(&k_ours).collect();
    let extra: Vec<&String> = k_ours.difference(&k_tf).collect();
    // The terrace project has no project variables and no expression
    // reading a resource attribute: both are left out, as Terraform does
    // when there are none.
    assert_eq!(missing, ["relevant_attributes", "variables"]);
    assert_eq!(extra, ["resource_drift", "terrace"]);
}

/// Runs `terrace ARGS` under a pseudo-terminal (util-linux `script`), so
/// that standard output is a terminal; none when `script` is missing.
/// Runs `terrace ARGS` on a pseudo-terminal made by `script` (util-linux,
/// on every Debian machine; `.ci/run` checks for it).
fn on_terminal(p: &Project, args: &str, no_color: bool) -> (i32, String) {
    let mut c = std::process::Command::new("script");
    c.args([
        "-qec",
        &format!("{} {args}", crate::harness::bin()),
        "/dev/null",
    ])
    .current_dir(p.root())
    .env("TERRACE_USER", "tester")
    .env_remove("TERRACE_LOG")
    .stdin(std::process::Stdio::null());
    if no_color {
        c.env("NO_COLOR", "1");
    } else {
        c.env_remove("NO_COLOR");
    }
    let out = c
        .output()
        .expect("`script` (util-linux) runs terrace on a pseudo-terminal");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn apply_on_a_terminal_shows_live_progress_and_honours_no_color() {
    let p = large(5);
    let (code, out) = on_terminal(&p, "apply --env dev --auto-approve", true);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Applying to dev"), "no live display:\n{out}");
    assert!(out.contains("/5 done"), "no done/total:\n{out}");
    assert!(
        out.contains("dev/main/terrace_data.item[4]: Creation complete after"),
        "{out}"
    );
    assert!(!out.contains("\x1b[32m"), "colour despite NO_COLOR:\n{out}");
    let p = large(1);
    let (code, out) = on_terminal(&p, "apply --env dev --auto-approve", false);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("\x1b[32m"), "no colour on a terminal:\n{out}");
}

/// Keys and values that look like Markdown or HTML render as text in the
/// comment's lists, headings and tables; in-place updates are `!` lines
/// of the diff block (coloured on GitHub, as tfcmt writes them); the
/// headline names the project.
#[test]
fn markdown_escapes_names_marks_updates_and_names_the_project() {
    let keys = r#"["*bold*", "<b>x</b>", "a`b", "c|d", "@someone", "[l](u)"]"#;
    let p = single(&format!(
        "resource \"terrace_data\" \"k\" {{\n  for_each = toset({keys})\n  input = each.key\n}}\nresource \"terrace_data\" \"u\" {{\n  input = {{ text = \"one\" }}\n}}\n"
    ));
    p.apply();
    p.write(
        "arch/main.hcl",
        "resource \"terrace_data\" \"k\" {\n  for_each = toset([])\n  input = each.key\n}\nresource \"terrace_data\" \"u\" {\n  input = { text = \"two\" }\n}\n",
    );
    let md = p
        .run(&["plan", "--env", "dev", "--format", "markdown"])
        .success()
        .stdout;
    assert!(
        md.contains("**t** · **dev**: 0 to add, 1 to change, 6 to destroy"),
        "{md}"
    );
    // Outside code (the reasons after the address in code), markup
    // characters are character references.
    let reasons: Vec<&str> = md
        .lines()
        .filter_map(|l| l.split_once("**destroyed**").map(|(_, r)| r))
        .collect();
    assert_eq!(reasons.len(), 6, "{md}");
    for raw in ["*", "<", "|", "@", "[", "`", "_"] {
        for r in &reasons {
            assert!(!r.contains(raw), "{raw} unescaped: {r}");
        }
    }
    assert!(md.contains("&#42;bold&#42;"), "{md}");
    assert!(md.contains("&#124;"), "{md}");
    // The update is a `!` line; no line of the diff starts with `~`.
    assert!(
        md.contains("\n!   resource \"terrace_data\" \"u\" {"),
        "{md}"
    );
    assert!(!md.lines().any(|l| l.starts_with('~')), "{md}");
    insta::assert_snapshot!("escaped_markdown", stable(&md, p.root()));
}

/// The actions of a JSON plan, by address.
fn actions_by_address(plan: &Json) -> Vec<(String, Json)> {
    plan["resource_changes"]
        .as_array()
        .expect("resource_changes")
        .iter()
        .map(|rc| {
            (
                rc["address"].as_str().expect("address").to_string(),
                rc["change"]["actions"].clone(),
            )
        })
        .collect()
}

#[test]
fn objects_that_stay_are_listed_by_the_json_view_and_saved_plans_not_only_counted() {
    let arch = |n: u32| {
        format!(
            "resource \"terrace_data\" \"kept\" {{\n  input = {{ n = 1 }}\n}}\n\
             resource \"terrace_data\" \"changed\" {{\n  input = {{ n = {n} }}\n}}\n"
        )
    };
    let p = single(&arch(1));
    p.apply();
    p.write("arch/main.hcl", &arch(2));
    let expected = vec![
        (
            "module.main.terrace_data.changed".to_string(),
            serde_json::json!(["update"]),
        ),
        (
            "module.main.terrace_data.kept".to_string(),
            serde_json::json!(["no-op"]),
        ),
    ];
    // The text view counts them (it keeps no copy of them).
    p.run(&["plan", "--env", "dev"])
        .success()
        .stdout_has("0 to add, 1 to change, 0 to destroy");
    let shown = p
        .run(&["plan", "--env", "dev", "--format", "json"])
        .success();
    let plan: Json = serde_json::from_str(&shown.stdout).expect("JSON");
    assert_eq!(actions_by_address(&plan), expected);
    p.run(&["plan", "--env", "dev", "--out", "saved.plan"])
        .success();
    let shown = p.run(&["show", "saved.plan", "--format", "json"]).success();
    let plan: Json = serde_json::from_str(&shown.stdout).expect("JSON");
    assert_eq!(actions_by_address(&plan), expected);
    assert_eq!(
        plan["resource_changes"][1]["change"]["before"]["input"]["n"],
        1
    );
}
