//! Policy gates (docs/policies.md): Rego evaluated on the JSON plan, each
//! enforcement level gating apply and approval, `policy test`, and the
//! same decisions as an OPA engine on the same document.

use crate::consumers::{fixture_dir, tool};
use crate::fixtures::{clear_definitions, copy_definitions};
use crate::harness::{Project, copy_dir};
use serde_json::Value as Json;

/// Fails when more than one object is created: two resources make it fail.
const CREATES: &str = r#"package terrace.creates

import rego.v1

creates := [rc | some rc in input.resource_changes; "create" in rc.change.actions]

deny contains {"msg": sprintf("%d objects created at once (at most 1)", [count(creates)])} if {
	count(creates) > 1
}

warn contains sprintf("%s is created", [rc.address]) if {
	some rc in creates
}
"#;

/// A project with two resources and one `policy` block on prod.
fn project(enforcement: &str, query: &str) -> Project {
    Project::new()
        .file(
            "project.hcl",
            &format!(
                "project \"t\" {{}}\nenvironment \"dev\" {{}}\nenvironment \"prod\" {{}}\nconfiguration \"main\" {{\n  architecture = \"./arch\"\n}}\npolicy \"creates\" {{\n  source       = \"policies/creates.rego\"\n  query        = \"{query}\"\n  enforcement  = \"{enforcement}\"\n  environments = [\"prod\"]\n}}\n"
            ),
        )
        .file(
            "arch/main.hcl",
            "resource \"terrace_data\" \"a\" {\n  input = 1\n}\nresource \"terrace_data\" \"b\" {\n  input = 2\n}\n",
        )
        .file("policies/creates.rego", CREATES)
}

fn policies(p: &Project, env: &str) -> Json {
    let run = p.run(&["plan", "--env", env, "--format", "json"]).success();
    let doc: Json = serde_json::from_str(&run.stdout).expect("the plan is JSON");
    doc["terrace"]["policies"].clone()
}

#[test]
fn a_failing_mandatory_policy_blocks_apply_and_approval() {
    let p = project("mandatory", "data.terrace.creates.deny");
    let shown = p
        .run(&["plan", "--env", "prod", "--out", "prod.plan"])
        .success();
    let summary = shown.line_of("Plan: 2 to add");
    assert_eq!(shown.line_of("Policies:"), summary + 2, "{}", shown.stdout);
    shown.stdout_has("FAIL  creates (mandatory): failed: blocks apply");
    p.run(&["apply", "--env", "prod", "prod.plan"])
        .code(1)
        .stderr_has("policy \"creates\" (mandatory) fails")
        .stderr_has("2 objects created at once (at most 1)")
        .stderr_has("cannot be overridden");
    p.run(&["apply", "--env", "prod", "--auto-approve"])
        .code(1)
        .stderr_has("policy \"creates\" (mandatory) fails");
    p.run(&[
        "approve",
        "--env",
        "prod",
        "prod.plan",
        "--override-policy",
        "creates",
        "--comment",
        "x",
    ])
    .code(1)
    .stderr_has("refusing to approve prod.plan: policy \"creates\" (mandatory) fails");
    assert!(
        !p.exists(".terrace/envs/prod/main.state.json"),
        "nothing was applied"
    );
    // The policy gates prod only.
    p.run(&["apply", "--env", "dev", "--auto-approve"])
        .success();
    assert!(p.exists(".terrace/envs/dev/main.state.json"), "dev applied");
}

#[test]
fn a_failing_overridable_policy_needs_an_approval_that_overrides_it_by_name() {
    let p = project("overridable", "data.terrace.creates.deny");
    p.run(&["plan", "--env", "prod", "--out", "prod.plan"])
        .success();
    p.run(&["apply", "--env", "prod", "prod.plan"])
        .code(1)
        .stderr_has("policy \"creates\" (overridable) fails")
        .stderr_has("terrace approve --env prod prod.plan --override-policy creates --comment");
    p.run(&["apply", "--env", "prod", "--auto-approve"])
        .code(1)
        .stderr_has("terrace plan --env prod --out prod.plan");
    // An approval without the override, or overriding another name, is refused.
    p.run(&["approve", "--env", "prod", "prod.plan", "--comment", "x"])
        .code(1)
        .stderr_has("add --override-policy creates");
    p.run(&[
        "approve",
        "--env",
        "prod",
        "prod.plan",
        "--override-policy",
        "other",
        "--comment",
        "x",
    ])
    .code(1)
    .stderr_has("no policy of that name was evaluated");
    p.run(&[
        "approve",
        "--env",
        "prod",
        "prod.plan",
        "--override-policy",
        "creates",
        "--comment",
        "two at once is fine for the launch",
    ])
    .success();
    let audit = p.read(".terrace/audit.jsonl");
    assert!(audit.contains("\"overrides\":[\"creates\"]"), "{audit}");
    assert!(
        audit.contains("two at once is fine for the launch"),
        "{audit}"
    );
    p.run(&["apply", "--env", "prod", "prod.plan"])
        .success()
        .stdout_has("Apply complete! Resources: 2 added");
    // The override is bound to that plan: another plan that fails needs its own.
    p.write(
        "arch/main.hcl",
        "resource \"terrace_data\" \"a\" {\n  input = 1\n}\nresource \"terrace_data\" \"b\" {\n  input = 2\n}\nresource \"terrace_data\" \"c\" {\n  input = 3\n}\nresource \"terrace_data\" \"d\" {\n  input = 4\n}\n",
    );
    p.run(&["plan", "--env", "prod", "--out", "prod.plan"])
        .success();
    p.run(&["apply", "--env", "prod", "prod.plan"])
        .code(1)
        .stderr_has("policy \"creates\" (overridable) fails");
}

#[test]
fn a_failing_advisory_policy_warns_and_apply_goes_on() {
    let p = project("advisory", "data.terrace.creates.deny");
    let results = policies(&p, "prod");
    assert_eq!(
        results,
        serde_json::json!([{
            "name": "creates",
            "enforcement": "advisory",
            "result": "fail",
            "messages": ["2 objects created at once (at most 1)"],
        }])
    );
    p.run(&["apply", "--env", "prod", "--auto-approve"])
        .success()
        .stdout_has("fail  creates (advisory): failed (advisory: not blocking)")
        .stdout_has("Apply complete! Resources: 2 added");
    // Nothing to create now: the policy passes.
    assert_eq!(policies(&p, "prod")[0]["result"], "pass");
}

#[test]
fn a_warn_query_reports_warnings_that_never_block() {
    let p = project("mandatory", "data.terrace.creates.warn");
    let results = policies(&p, "prod");
    assert_eq!(results[0]["result"], "warn", "{results}");
    assert_eq!(
        results[0]["messages"],
        serde_json::json!([
            "module.main.terrace_data.a is created",
            "module.main.terrace_data.b is created"
        ])
    );
    p.run(&["apply", "--env", "prod", "--auto-approve"])
        .success();
}

#[test]
fn a_query_whose_value_is_not_a_list_of_messages_is_an_error_that_blocks() {
    let p = project("mandatory", "data.terrace.creates.creates");
    let results = policies(&p, "prod");
    assert_eq!(results[0]["result"], "error", "{results}");
    let message = results[0]["messages"][0].as_str().unwrap_or_default();
    assert!(message.contains("holds an object"), "{message}");
    p.run(&["apply", "--env", "prod", "--auto-approve"])
        .code(1)
        .stderr_has("policy \"creates\" (mandatory) could not be evaluated");
}

#[test]
fn validate_reports_bad_policies_with_their_position() {
    let p = project("sometimes", "data.terrace.creates.deny");
    p.run(&["validate"])
        .code(1)
        .stderr_has("unknown enforcement \"sometimes\"")
        .stderr_has("project.hcl:10");
    let p = project("mandatory", "data.terrace.creates.deny");
    std::fs::remove_file(p.path("policies/creates.rego")).expect("remove");
    p.run(&["validate"])
        .code(1)
        .stderr_has("cannot read policy \"creates\"'s source")
        .stderr_has("project.hcl:8:");
    let p = project("mandatory", "data.terrace.creates.deny");
    p.write(
        "policies/creates.rego",
        "package terrace.creates\n\ndeny contains msg if {\n\tmsg := nosuch(1)\n}\n",
    );
    p.run(&["validate"])
        .code(1)
        .stderr_has("policy \"creates\": could not find function nosuch")
        .stderr_has("policies/creates.rego:4:");
    p.run(&["plan", "--env", "dev"])
        .code(1)
        .stderr_has("config::policy_rego");
    // A query that names no rule of the file would pass every plan.
    let p = project("mandatory", "data.terrace.creates.denny");
    p.run(&["validate"])
        .code(1)
        .stderr_has("declares no rule denny in data.terrace.creates");
    let p = project("mandatory", "data.terrace.deny");
    p.run(&["validate"])
        .code(1)
        .stderr_has("is outside the package of policies/creates.rego");
}

#[test]
fn policy_test_runs_the_test_rules_like_opa_test() {
    let p = project("mandatory", "data.terrace.creates.deny").file(
        "policies/creates_test.rego",
        "package terrace.creates_test\n\nimport rego.v1\nimport data.terrace.creates\n\ntest_two_creates_fail if {\n\tcount(creates.deny) == 1 with input as {\"resource_changes\": [\n\t\t{\"address\": \"a\", \"change\": {\"actions\": [\"create\"]}},\n\t\t{\"address\": \"b\", \"change\": {\"actions\": [\"create\"]}},\n\t]}\n}\n\ntest_one_create_passes if {\n\tcount(creates.deny) == 0 with input as {\"resource_changes\": [{\"address\": \"a\", \"change\": {\"actions\": [\"create\"]}}]}\n}\n",
    );
    p.run(&["policy", "test"])
        .success()
        .stdout_has("data.terrace.creates_test.test_two_creates_fail: PASS")
        .stdout_has("data.terrace.creates_test.test_one_create_passes: PASS")
        .stdout_has("PASS: 2/2");
    p.write(
        "policies/more_test.rego",
        "package more_test\n\ntest_wrong if {\n\tfalse\n}\n",
    );
    p.run(&["policy", "test"])
        .code(1)
        .stdout_has("data.more_test.test_wrong: FAIL")
        .stdout_has("PASS: 2/3")
        .stdout_has("FAIL: 1/3");
    // No tests: nothing to report and nothing failed, as with opa test.
    let none = project("mandatory", "data.terrace.creates.deny");
    let run = none.run(&["policy", "test"]).success();
    assert_eq!(run.stdout.trim(), "", "{}", run.stdout);
}

#[test]
fn policies_have_opas_string_and_network_built_ins() {
    let p = project("mandatory", "data.terrace.creates.deny").file(
        "policies/builtins_test.rego",
        "package builtins_test\n\nimport rego.v1\n\ntest_regex if regex.match(`^app-[0-9]+$`, \"app-12\")\ntest_glob if glob.match(\"*.example.com\", [\".\"], \"a.example.com\")\ntest_semver if semver.compare(\"1.2.3\", \"1.10.0\") == -1\ntest_base64 if base64.decode(\"aGk=\") == \"hi\"\ntest_urlquery if urlquery.encode(\"a b\") == \"a+b\"\ntest_cidr if net.cidr_contains(\"10.0.0.0/8\", \"10.1.2.3\")\n",
    );
    p.run(&["policy", "test"]).success().stdout_has("PASS: 6/6");
}

#[test]
fn policies_decide_as_the_opa_engine_does_on_the_same_plan() {
    let p = Project::new();
    copy_dir(&fixture_dir().join("terrace/prior"), p.root());
    p.apply();
    clear_definitions(p.root());
    copy_definitions(&fixture_dir().join("terrace/next"), p.root());
    let rego = std::fs::read_to_string(fixture_dir().join("rego/plan.rego")).expect("plan.rego");
    p.write("policies/plan.rego", &rego);
    let mut hcl = p.read("project.hcl");
    hcl.push_str("policy \"plan\" {\n  source      = \"policies/plan.rego\"\n  query       = \"data.plan.deny\"\n  enforcement = \"advisory\"\n}\n");
    p.write("project.hcl", &hcl);
    let run = p
        .run(&["plan", "--env", "dev", "--format", "json"])
        .success();
    p.write("plan.json", &run.stdout);
    let doc: Json = serde_json::from_str(&run.stdout).expect("the plan is JSON");
    let mut ours: Vec<String> = doc["terrace"]["policies"][0]["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter_map(|m| m.as_str().map(str::to_string))
        .collect();
    ours.sort();
    let out = tool("python")
        .arg(fixture_dir().join("rego/eval.py"))
        .arg(p.path("plan.json"))
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let decisions: Json = serde_json::from_slice(&out.stdout).expect("decisions");
    let mut theirs: Vec<String> = decisions["deny"]
        .as_array()
        .expect("deny")
        .iter()
        .filter_map(|m| m.as_str().map(str::to_string))
        .collect();
    theirs.sort();
    assert_eq!(ours, theirs);
    assert_eq!(theirs.len(), 2, "{theirs:?}");
    assert_eq!(doc["terrace"]["policies"][0]["result"], "fail");
}

#[test]
fn the_json_stream_has_one_policy_event_per_result() {
    let p = project("overridable", "data.terrace.creates.deny");
    let run = p.run(&["plan", "--env", "prod", "--json"]).success();
    let events: Vec<Json> = run
        .stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .filter(|e: &Json| e["type"] == "policy")
        .collect();
    assert_eq!(events.len(), 1, "{}", run.stdout);
    assert_eq!(events[0]["@level"], "warn");
    assert_eq!(events[0]["policy"]["name"], "creates");
    assert_eq!(events[0]["policy"]["result"], "fail");
    assert_eq!(
        events[0]["policy"]["messages"],
        serde_json::json!(["2 objects created at once (at most 1)"])
    );
}

#[test]
fn attention_lists_a_policy_that_failed_on_the_last_plan_until_a_plan_passes() {
    let p = project("mandatory", "data.terrace.creates.deny");
    p.run(&["plan", "--env", "prod"]).success();
    let audit = p.read(".terrace/audit.jsonl");
    assert!(
        audit.contains("\"action\":\"project.policy.evaluate\""),
        "{audit}"
    );
    let run = p.run(&["attention", "--json"]).success();
    let doc: Json = serde_json::from_str(&run.stdout).expect("JSON");
    let item = doc["items"]
        .as_array()
        .and_then(|items| items.iter().find(|i| i["code"] == "policy.failed"))
        .unwrap_or_else(|| panic!("no policy.failed item: {doc}"))
        .clone();
    assert_eq!(item["target"], "prod");
    assert_eq!(item["severity"], "error");
    assert!(
        item["message"]
            .as_str()
            .is_some_and(|m| m.contains("2 objects created at once")),
        "{item}"
    );
    assert!(
        item["command"]
            .as_str()
            .is_some_and(|c| c.ends_with("terrace plan --env prod")),
        "{item}"
    );
    // One resource: the next plan passes, and the item is gone.
    p.write(
        "arch/main.hcl",
        "resource \"terrace_data\" \"a\" {\n  input = 1\n}\n",
    );
    p.run(&["plan", "--env", "prod"]).success();
    let run = p.run(&["attention", "--json"]).success();
    assert!(!run.stdout.contains("policy.failed"), "{}", run.stdout);
}

#[test]
fn markdown_and_a_saved_plan_show_the_results() {
    let p = project("overridable", "data.terrace.creates.deny");
    let md = p
        .run(&["plan", "--env", "prod", "--format", "markdown"])
        .success();
    let head = md.line_of("**prod**: 2 to add");
    assert_eq!(md.line_of("**Policies**"), head + 2, "{}", md.stdout);
    md.stdout_has("| creates | overridable | ❌ failed: blocks apply unless an approval overrides it<br>• 2 objects created at once (at most 1) |");
    p.run(&["plan", "--env", "prod", "--out", "prod.plan"])
        .success();
    let shown = p.run(&["show", "prod.plan", "--format", "json"]).success();
    let doc: Json = serde_json::from_str(&shown.stdout).expect("JSON");
    assert_eq!(doc["terrace"]["policies"][0]["result"], "fail", "{doc}");
}

#[test]
fn a_promotion_is_gated_by_the_policies_of_the_target() {
    let p = project("mandatory", "data.terrace.creates.deny");
    let hcl = p.read("project.hcl").replace(
        "environment \"prod\" {}",
        "environment \"prod\" {\n  promote_from = \"dev\"\n}",
    );
    p.write("project.hcl", &hcl);
    p.run(&["apply", "--env", "dev", "--auto-approve"])
        .success();
    p.run(&[
        "promote",
        "--from",
        "dev",
        "--to",
        "prod",
        "--apply",
        "--auto-approve",
    ])
    .code(1)
    .stdout_has("FAIL  creates (mandatory)")
    .stderr_has("policy \"creates\" (mandatory) fails for this plan of environment \"prod\"");
    assert!(
        !p.exists(".terrace/envs/prod/release.json"),
        "prod runs nothing"
    );
}

#[test]
fn a_promotion_follows_the_policies_of_the_working_tree_not_those_of_the_release() {
    let p = project("mandatory", "data.terrace.creates.deny");
    let with_policy = p.read("project.hcl").replace(
        "environment \"prod\" {}",
        "environment \"prod\" {\n  promote_from = \"dev\"\n}",
    );
    let without_policy = with_policy
        .split("policy \"creates\"")
        .next()
        .expect("project.hcl")
        .to_string();
    // dev runs a release without the policy; the working tree adds it.
    p.write("project.hcl", &without_policy);
    p.run(&["apply", "--env", "dev", "--auto-approve"])
        .success();
    p.write("project.hcl", &with_policy);
    p.run(&[
        "promote",
        "--from",
        "dev",
        "--to",
        "prod",
        "--apply",
        "--auto-approve",
    ])
    .code(1)
    .stdout_has("FAIL  creates (mandatory)");
    assert!(
        !p.exists(".terrace/envs/prod/release.json"),
        "prod runs nothing"
    );
    // dev runs a release with the policy; the working tree drops it.
    p.run(&["apply", "--env", "dev", "--auto-approve"])
        .success();
    p.write("project.hcl", &without_policy);
    std::fs::remove_file(p.path("policies/creates.rego")).expect("remove creates.rego");
    p.run(&["validate"]).success();
    p.run(&[
        "promote",
        "--from",
        "dev",
        "--to",
        "prod",
        "--apply",
        "--auto-approve",
    ])
    .success();
    assert!(
        p.exists(".terrace/envs/prod/release.json"),
        "prod runs dev's release"
    );
}

#[test]
fn policy_test_reads_only_the_definitions_as_opa_test_runs_offline() {
    let p = project("mandatory", "data.terrace.creates.deny").file(
        "policies/creates_test.rego",
        "package terrace.creates_test\n\nimport rego.v1\nimport data.terrace.creates\n\ntest_no_changes_pass if {\n\tcount(creates.deny) == 0 with input as {\"resource_changes\": []}\n}\n",
    );
    // A records backend it cannot open (no URL, no server) is not needed.
    let hcl = p.read("project.hcl") + "backend \"postgres\" {}\n";
    p.write("project.hcl", &hcl);
    p.run(&["policy", "test"]).success().stdout_has("PASS: 1/1");
    // Files that cannot be parsed are still refused.
    p.write("project.hcl", &(hcl + "environment {\n"));
    p.run(&["policy", "test"]).code(1).stderr_has("project.hcl");
}

/// The environments of the `project.policy.evaluate` audit events, in order.
fn evaluations(p: &Project) -> Vec<String> {
    p.read(".terrace/audit.jsonl")
        .lines()
        .map(|l| serde_json::from_str::<Json>(l).expect("audit line is JSON"))
        .filter(|e| e["action"] == "project.policy.evaluate")
        .map(|e| {
            e["target"]["environment"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect()
}

#[test]
fn a_promotion_records_only_the_evaluation_of_the_plan_it_shows() {
    // Advisory and on every environment: dev applies, and dev's plans are
    // evaluated too.
    let p = project("advisory", "data.terrace.creates.deny");
    let hcl = p
        .read("project.hcl")
        .replace(
            "environment \"prod\" {}",
            "environment \"prod\" {\n  promote_from = \"dev\"\n}",
        )
        .replace("  environments = [\"prod\"]\n", "");
    p.write("project.hcl", &hcl);
    p.run(&["apply", "--env", "dev", "--auto-approve"])
        .success();
    assert_eq!(evaluations(&p), vec!["dev"]);
    // The promotion checks dev's health with a plan of dev nobody sees.
    p.run(&["promote", "--from", "dev", "--to", "prod"])
        .success()
        .stdout_has("fail  creates (advisory)");
    assert_eq!(evaluations(&p), vec!["dev", "prod"]);
}

#[test]
fn policy_test_skips_hidden_folders_as_the_definitions_do() {
    let p = project("mandatory", "data.terrace.creates.deny")
        .file(
            "policies/creates_test.rego",
            "package terrace.creates_test\n\nimport rego.v1\n\ntest_true if true\n",
        )
        .file(
            "policies/.cache/stale_test.rego",
            "package stale_test\n\nimport rego.v1\n\ntest_stale if false\n",
        );
    p.run(&["policy", "test"]).success().stdout_has("PASS: 1/1");
}

#[test]
fn an_exported_project_carries_its_policies_so_the_import_plans_and_tests_them() {
    let p = project("mandatory", "data.terrace.creates.deny").file(
        "policies/creates_test.rego",
        "package terrace.creates_test\n\nimport rego.v1\nimport data.terrace.creates\n\ntest_nothing_created_passes if {\n\tcount(creates.deny) == 0 with input as {\"resource_changes\": []}\n}\n",
    );
    p.run(&["apply", "--env", "dev", "--auto-approve"])
        .success();
    p.run(&["export", "--output", "project.json"]).success();
    let q = Project::new();
    std::fs::copy(p.path("project.json"), q.path("project.json")).unwrap();
    q.run(&["import", "project.json"]).success();
    assert_eq!(
        std::fs::read_to_string(q.path("policies/creates.rego")).unwrap(),
        CREATES
    );
    q.run(&["plan", "--env", "dev", "--detailed-exitcode"])
        .success()
        .stdout_has("No changes.");
    // The policy still gates prod in the imported project.
    q.run(&["plan", "--env", "prod"])
        .stdout_has("2 objects created at once");
    q.run(&["policy", "test"]).success().stdout_has("PASS: 1/1");
}
