//! `moved`, `removed` and `lifecycle.replace_triggered_by`, end to end;
//! `terrace state mv`.

use crate::fixtures::{clear_definitions, copy_definitions};
use crate::harness::{Project, copy_dir, repo, single};
use serde_json::Value as Json;

/// The id recorded for `addr` in environment dev.
fn id_of(p: &Project, addr: &str) -> String {
    let run = p.run(&["state", "show", "--env", "dev", addr]).success();
    run.stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("id"))
        .map(|rest| {
            rest.trim()
                .trim_start_matches('=')
                .trim()
                .trim_matches('"')
                .to_string()
        })
        .unwrap_or_else(|| panic!("no id for {addr}:\n{}", run.stdout))
}

fn state_list(p: &Project) -> Vec<String> {
    p.run(&["state", "list", "--env", "dev"])
        .success()
        .stdout
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn moved_blocks_rename_and_rekey_objects_without_destroying_them() {
    let p = single(
        "resource \"terrace_data\" \"a\" {\n  input = \"x\"\n}\nresource \"terrace_data\" \"k\" {\n  count = 2\n  input = \"same\"\n}\n",
    );
    p.apply();
    let a = id_of(&p, "main/terrace_data.a");
    let k0 = id_of(&p, "main/terrace_data.k[0]");
    p.write(
        "arch/main.hcl",
        "resource \"terrace_data\" \"b\" {\n  input = \"x\"\n}\nmoved {\n  from = terrace_data.a\n  to   = terrace_data.b\n}\n\
         resource \"terrace_data\" \"k\" {\n  for_each = toset([\"p\"])\n  input    = \"same\"\n}\n\
         moved {\n  from = terrace_data.k[0]\n  to   = terrace_data.k[\"p\"]\n}\n",
    );
    p.run(&["plan", "--env", "dev", "--detailed-exitcode"])
        .code(2)
        .stdout_has("# dev/main/terrace_data.a has moved to dev/main/terrace_data.b")
        .stdout_has("# dev/main/terrace_data.k[0] has moved to dev/main/terrace_data.k[\"p\"]")
        .stdout_has("# dev/main/terrace_data.k[1] will be destroyed")
        .stdout_has("Plan: 0 to add, 0 to change, 1 to destroy.");
    p.apply()
        .stdout_has("Resources: 0 added, 0 changed, 1 destroyed.");
    assert_eq!(
        state_list(&p),
        ["main/terrace_data.b", "main/terrace_data.k[\"p\"]"]
    );
    assert_eq!(id_of(&p, "main/terrace_data.b"), a);
    assert_eq!(id_of(&p, "main/terrace_data.k[\"p\"]"), k0);
    // Once applied, the moved blocks change nothing.
    p.run(&["plan", "--env", "dev", "--detailed-exitcode"])
        .success()
        .stdout_has("No changes.");
}

#[test]
fn adding_or_removing_count_moves_the_object_to_and_from_index_zero_as_terraform_does() {
    // Checked against Terraform 1.15.5: "terraform_data.a has moved to
    // terraform_data.a[0]", "terraform_data.b[0] has moved to
    // terraform_data.b", "b[1] will be destroyed", 0 to add.
    let p = single(
        "resource \"terrace_data\" \"a\" {\n  input = \"x\"\n}\nresource \"terrace_data\" \"b\" {\n  count = 2\n  input = \"y\"\n}\n",
    );
    p.apply();
    let a = id_of(&p, "main/terrace_data.a");
    let b0 = id_of(&p, "main/terrace_data.b[0]");
    p.write(
        "arch/main.hcl",
        "resource \"terrace_data\" \"a\" {\n  count = 1\n  input = \"x\"\n}\nresource \"terrace_data\" \"b\" {\n  input = \"y\"\n}\n",
    );
    p.run(&["plan", "--env", "dev"])
        .success()
        .stdout_has("# dev/main/terrace_data.a has moved to dev/main/terrace_data.a[0]")
        .stdout_has("# dev/main/terrace_data.b[0] has moved to dev/main/terrace_data.b")
        .stdout_has("Plan: 0 to add, 0 to change, 1 to destroy.");
    p.apply();
    assert_eq!(id_of(&p, "main/terrace_data.a[0]"), a);
    assert_eq!(id_of(&p, "main/terrace_data.b"), b0);
    // A moved block between a resource and an instance: the resource side
    // names its instance without a key.
    p.write(
        "arch/main.hcl",
        "resource \"terrace_data\" \"a\" {\n  for_each = toset([\"small\"])\n  input    = \"x\"\n}\n\
         moved {\n  from = terrace_data.b\n  to   = terrace_data.a[\"small\"]\n}\n",
    );
    p.run(&["plan", "--env", "dev"])
        .success()
        .stdout_has("# (moved from dev/main/terrace_data.b)")
        .stdout_has("# dev/main/terrace_data.a[0] will be destroyed");
    p.apply();
    assert_eq!(id_of(&p, "main/terrace_data.a[\"small\"]"), b0);
}

#[test]
fn chained_moves_carry_an_object_to_the_last_address() {
    let p = single("resource \"terrace_data\" \"a\" {\n  input = 1\n}\n");
    p.apply();
    let a = id_of(&p, "main/terrace_data.a");
    p.write(
        "arch/main.hcl",
        "resource \"terrace_data\" \"c\" {\n  input = 1\n}\n\
         moved {\n  from = terrace_data.b\n  to   = terrace_data.c\n}\n\
         moved {\n  from = terrace_data.a\n  to   = terrace_data.b\n}\n",
    );
    p.apply()
        .stdout_has("Resources: 0 added, 0 changed, 0 destroyed.");
    assert_eq!(state_list(&p), ["main/terrace_data.c"]);
    assert_eq!(id_of(&p, "main/terrace_data.c"), a);
}

#[test]
fn a_move_onto_an_existing_object_is_not_made_and_is_reported() {
    let p = single(
        "resource \"terrace_data\" \"a\" {\n  input = 1\n}\nresource \"terrace_data\" \"b\" {\n  input = 2\n}\n",
    );
    p.apply();
    p.write(
        "arch/main.hcl",
        "resource \"terrace_data\" \"b\" {\n  input = 2\n}\nmoved {\n  from = terrace_data.a\n  to   = terrace_data.b\n}\n",
    );
    p.run(&["plan", "--env", "dev"])
        .success()
        .stderr_has("main/terrace_data.a is not moved to main/terrace_data.b: an object is already recorded there")
        .stdout_has("# dev/main/terrace_data.a will be destroyed");
}

#[test]
fn a_saved_plan_with_moves_applies_the_moves() {
    let p = single("resource \"terrace_data\" \"a\" {\n  input = 1\n}\n");
    p.apply();
    p.write(
        "arch/main.hcl",
        "resource \"terrace_data\" \"b\" {\n  input = 2\n}\nmoved {\n  from = terrace_data.a\n  to   = terrace_data.b\n}\n",
    );
    p.run(&["plan", "--env", "dev", "--out", "moves.plan"])
        .success()
        .stdout_has("(moved from dev/main/terrace_data.a)")
        .stdout_has("Plan: 0 to add, 1 to change, 0 to destroy.");
    p.run(&["apply", "--env", "dev", "moves.plan"])
        .success()
        .stdout_has("Resources: 0 added, 1 changed, 0 destroyed.");
    assert_eq!(state_list(&p), ["main/terrace_data.b"]);
}

#[test]
fn removed_with_destroy_false_forgets_the_object_and_keeps_the_file() {
    let p = single(
        "resource \"file\" \"keep\" {\n  path    = \"out/keep.txt\"\n  content = \"k\"\n}\nresource \"file\" \"drop\" {\n  path    = \"out/drop.txt\"\n  content = \"d\"\n}\n",
    );
    p.apply();
    p.write(
        "arch/main.hcl",
        "removed {\n  from = file.keep\n  lifecycle {\n    destroy = false\n  }\n}\nremoved {\n  from = file.drop\n}\n",
    );
    p.run(&["plan", "--env", "dev", "--detailed-exitcode"])
        .code(2)
        .stdout_has(
            "# dev/main/file.keep will no longer be managed by terrace, but will not be destroyed",
        )
        .stdout_has("# dev/main/file.drop will be destroyed")
        .stdout_has("Some objects will no longer be managed by terrace")
        .stdout_has("Plan: 0 to add, 0 to change, 1 to destroy.");
    p.apply();
    assert!(p.exists("out/keep.txt"), "forgotten, not destroyed");
    assert!(!p.exists("out/drop.txt"), "removed with destroy = true");
    assert!(state_list(&p).is_empty());
    p.run(&["plan", "--env", "dev", "--detailed-exitcode"])
        .success()
        .stdout_has("No changes.");
}

#[test]
fn replace_triggered_by_replaces_when_the_reference_changes() {
    let arch = |v: &str, w: &str| {
        format!(
            "resource \"terrace_data\" \"a\" {{\n  input = \"{v}\"\n}}\nresource \"terrace_data\" \"w\" {{\n  input = \"{w}\"\n}}\n\
             resource \"terrace_data\" \"whole\" {{\n  input = 1\n  lifecycle {{\n    replace_triggered_by = [terrace_data.a]\n  }}\n}}\n\
             resource \"terrace_data\" \"attr\" {{\n  input = 1\n  lifecycle {{\n    replace_triggered_by = [terrace_data.w.input]\n  }}\n}}\n"
        )
    };
    let p = single(&arch("1", "1"));
    p.apply();
    let whole = id_of(&p, "main/terrace_data.whole");
    let attr = id_of(&p, "main/terrace_data.attr");
    p.write("arch/main.hcl", &arch("2", "1"));
    p.run(&["plan", "--env", "dev"])
        .success()
        .stdout_has("# dev/main/terrace_data.whole must be replaced")
        .stdout_has("# (because of changes in replace_triggered_by)")
        .stdout_has("Plan: 1 to add, 1 to change, 1 to destroy.");
    p.apply();
    assert_ne!(id_of(&p, "main/terrace_data.whole"), whole);
    assert_eq!(id_of(&p, "main/terrace_data.attr"), attr);
    p.write("arch/main.hcl", &arch("2", "2"));
    p.apply()
        .stdout_has("Resources: 1 added, 1 changed, 1 destroyed.");
    assert_ne!(id_of(&p, "main/terrace_data.attr"), attr);
    p.run(&["plan", "--env", "dev", "--detailed-exitcode"])
        .success();
}

#[test]
fn replace_triggered_by_follows_count_index() {
    let arch = |v: &str| {
        format!(
            "resource \"terrace_data\" \"a\" {{\n  count = 2\n  input = count.index == 1 ? \"{v}\" : \"same\"\n}}\n\
             resource \"terrace_data\" \"b\" {{\n  count = 2\n  input = count.index\n  lifecycle {{\n    replace_triggered_by = [terrace_data.a[count.index]]\n  }}\n}}\n"
        )
    };
    let p = single(&arch("1"));
    p.apply();
    p.write("arch/main.hcl", &arch("2"));
    let run = p.run(&["plan", "--env", "dev"]).success();
    assert!(
        run.stdout
            .contains("# dev/main/terrace_data.b[1] must be replaced")
    );
    assert!(!run.stdout.contains("terrace_data.b[0]"), "{}", run.stdout);
}

#[test]
fn the_json_plan_mirrors_terraforms_for_moved_removed_imported_and_triggered_objects() {
    let tf: Json = serde_json::from_str(
        &std::fs::read_to_string(repo().join("testdata/terraform/blocks/changes.json"))
            .expect("read"),
    )
    .expect("JSON");
    let case = repo().join("testdata/plan/blocks");
    let p = Project::new();
    copy_dir(&case.join("prior"), p.root());
    p.apply();
    clear_definitions(p.root());
    copy_definitions(&case, p.root());
    let run = p
        .run(&["plan", "--env", "dev", "--format", "json"])
        .success();
    let ours: Json = serde_json::from_str(&run.stdout).expect("JSON");
    let local = |v: &Json| -> Json {
        match v.as_str() {
            Some(s) => Json::String(
                s.trim_start_matches("module.main.")
                    .replace("terrace_data", "terraform_data"),
            ),
            None => Json::Null,
        }
    };
    let mut mine: Vec<Json> = ours["resource_changes"]
        .as_array()
        .expect("resource_changes")
        .iter()
        .map(|rc| {
            let mut m = serde_json::Map::new();
            m.insert("address".into(), local(&rc["address"]));
            if rc.get("previous_address").is_some() {
                m.insert("previous_address".into(), local(&rc["previous_address"]));
            }
            if let Some(r) = rc.get("action_reason") {
                m.insert("action_reason".into(), r.clone());
            }
            m.insert("actions".into(), rc["change"]["actions"].clone());
            if let Some(i) = rc["change"].get("importing") {
                m.insert("importing".into(), i.clone());
            }
            Json::Object(m)
        })
        .collect();
    mine.sort_by_key(|v| v["address"].as_str().unwrap_or_default().to_string());
    assert_eq!(Json::Array(mine), tf);
}

/// Two configurations of one architecture directory each: `net` and `app`.
fn two_configurations(net: &str, app: &str) -> Project {
    Project::new()
        .file(
            "project.hcl",
            "project \"t\" {}\nenvironment \"dev\" {}\n\
             configuration \"net\" {\n  architecture = \"./net\"\n}\n\
             configuration \"app\" {\n  architecture = \"./app\"\n}\n",
        )
        .file("net/main.hcl", net)
        .file("app/main.hcl", app)
}

#[test]
fn state_mv_moves_an_object_to_another_configuration_without_destroying_it() {
    let file =
        "resource \"file\" \"shared\" {\n  path    = \"out/shared.txt\"\n  content = \"s\"\n}\n";
    let p = two_configurations(file, "");
    p.apply();
    let backups_before = p
        .run(&["state", "backups", "--env", "dev"])
        .success()
        .stdout
        .lines()
        .count();
    // The definitions move first; the plan would destroy and create.
    p.write("net/main.hcl", "");
    p.write("app/main.hcl", file);
    p.run(&["plan", "--env", "dev"])
        .success()
        .stdout_has("Plan: 1 to add, 0 to change, 1 to destroy.");
    p.run(&[
        "state",
        "mv",
        "--env",
        "dev",
        "net/file.shared",
        "app/file.shared",
    ])
    .success()
    .stdout_has("Moved net/file.shared to app/file.shared");
    assert_eq!(state_list(&p), ["app/file.shared"]);
    p.run(&["plan", "--env", "dev", "--detailed-exitcode"])
        .success()
        .stdout_has("No changes.");
    assert!(p.exists("out/shared.txt"));
    // The version replaced is kept as a backup, and the move is audited.
    let backups_after = p
        .run(&["state", "backups", "--env", "dev"])
        .success()
        .stdout
        .lines()
        .count();
    assert!(backups_after > backups_before, "no new backup");
    let audit = p.run(&["audit", "--json"]).success().stdout;
    assert!(audit.contains("project.state.move"), "{audit}");
    assert!(!p.exists(".terrace/envs/dev/journal.jsonl"));
}

#[test]
fn state_mv_moves_every_instance_of_a_resource_and_single_instances() {
    let p = single("resource \"terrace_data\" \"a\" {\n  count = 2\n  input = count.index\n}\n");
    p.apply();
    p.run(&[
        "state",
        "mv",
        "--env",
        "dev",
        "main/terrace_data.a",
        "main/terrace_data.b",
    ])
    .success();
    assert_eq!(
        state_list(&p),
        ["main/terrace_data.b[0]", "main/terrace_data.b[1]"]
    );
    p.run(&[
        "state",
        "mv",
        "--env",
        "dev",
        "main/terrace_data.b[1]",
        "main/terrace_data.c[\"one\"]",
    ])
    .success();
    assert_eq!(
        state_list(&p),
        ["main/terrace_data.b[0]", "main/terrace_data.c[\"one\"]"]
    );
}

#[test]
fn state_mv_refuses_what_would_lose_or_mix_up_objects() {
    let p = single(
        "resource \"terrace_data\" \"a\" {\n  input = 1\n}\nresource \"terrace_data\" \"b\" {\n  input = 2\n}\nresource \"file\" \"f\" {\n  path    = \"out/f\"\n  content = \"f\"\n}\n",
    );
    p.apply();
    let mv = |from: &str, to: &str| p.run(&["state", "mv", "--env", "dev", from, to]);
    mv("main/terrace_data.a", "main/terrace_data.b")
        .code(1)
        .stderr_has("main/terrace_data.b already holds an object");
    mv("main/terrace_data.a", "main/file.a")
        .code(1)
        .stderr_has("an object keeps its type");
    mv("main/terrace_data.a", "nowhere/terrace_data.a")
        .code(1)
        .stderr_has("configuration \"nowhere\" is not in the project");
    mv("main/terrace_data.zzz", "main/terrace_data.y")
        .code(1)
        .stderr_has("is not in the state");
    mv("prod/main/terrace_data.a", "main/terrace_data.y")
        .code(1)
        .stderr_has("names another environment");
    assert_eq!(
        state_list(&p),
        ["main/file.f", "main/terrace_data.a", "main/terrace_data.b"]
    );
}

/// A project whose environment dev passes `n` to the architecture.
fn with_n(n: i64, arch: &str) -> Project {
    Project::new()
        .file(
            "project.hcl",
            &format!(
                "project \"t\" {{}}\nenvironment \"dev\" {{\n  inputs = {{ n = {n} }}\n}}\nconfiguration \"main\" {{\n  architecture = \"./arch\"\n}}\n"
            ),
        )
        .file("arch/main.hcl", arch)
}

const CONDITIONS: &str = "variable \"n\" {\n  type = number\n}\n\
resource \"terrace_data\" \"a\" {\n  input = var.n\n  lifecycle {\n\
    precondition {\n      condition     = var.n > 0\n      error_message = \"n must be positive.\"\n    }\n\
    postcondition {\n      condition     = self.output == 1\n      error_message = \"output must be 1, got ${self.input}.\"\n    }\n  }\n}\n\
output \"o\" {\n  value = terrace_data.a.input\n  precondition {\n    condition     = var.n < 5\n    error_message = \"n too big.\"\n  }\n}\n";

#[test]
fn a_false_precondition_fails_the_plan_with_its_error_message() {
    with_n(0, CONDITIONS)
        .run(&["plan", "--env", "dev"])
        .code(1)
        .stderr_has("Resource precondition failed: main/terrace_data.a: n must be positive.")
        .stderr_has("arch/main.hcl:8:");
    with_n(7, CONDITIONS)
        .run(&["plan", "--env", "dev"])
        .code(1)
        .stderr_has("Output precondition failed: output main.o: n too big.");
}

#[test]
fn a_postcondition_unknown_at_plan_is_checked_after_the_object_is_created() {
    let p = with_n(2, CONDITIONS);
    // self.output is known only after apply: the plan passes.
    p.run(&["plan", "--env", "dev"])
        .success()
        .stdout_has("Plan: 1 to add");
    p.run(&["apply", "--env", "dev", "--auto-approve"])
        .code(1)
        .stderr_has("Resource postcondition failed: main/terrace_data.a: output must be 1, got 2.");
    // The object exists and stays recorded, as in Terraform; now the plan
    // knows self.output and fails.
    assert_eq!(state_list(&p), ["main/terrace_data.a"]);
    p.run(&["plan", "--env", "dev"])
        .code(1)
        .stderr_has("Resource postcondition failed");
}

#[test]
fn conditions_that_hold_let_plan_and_apply_through() {
    let p = with_n(1, CONDITIONS);
    p.apply()
        .stdout_has("Resources: 1 added, 0 changed, 0 destroyed.");
    p.run(&["plan", "--env", "dev", "--detailed-exitcode"])
        .success();
}

#[test]
fn self_outside_a_postcondition_is_an_invalid_reference() {
    single("resource \"terrace_data\" \"a\" {\n  input = self.id\n}\n")
        .run(&["validate"])
        .code(1)
        .stderr_has("`self` is only available in a postcondition");
}

const CHECKS: &str = "variable \"n\" {\n  type = number\n}\n\
resource \"terrace_data\" \"a\" {\n  input = var.n\n}\n\
check \"known\" {\n  assert {\n    condition     = var.n == 1\n    error_message = \"n is not 1.\"\n  }\n}\n\
check \"after_apply\" {\n  assert {\n    condition     = terrace_data.a.output == 1\n    error_message = \"output is ${terrace_data.a.output}, not 1.\"\n  }\n}\n";

#[test]
fn failed_check_assertions_are_warnings_in_plan_and_apply() {
    let p = with_n(2, CHECKS);
    let plan = p.run(&["plan", "--env", "dev"]).success();
    assert!(
        plan.stderr
            .contains("Check block assertion failed: check \"known\" of main: n is not 1.")
    );
    // Not known until apply: not reported by the plan.
    assert!(!plan.stderr.contains("after_apply"), "{}", plan.stderr);
    p.run(&["apply", "--env", "dev", "--auto-approve"])
        .success()
        .stderr_has("check \"known\" of main: n is not 1.")
        .stderr_has(
            "Check block assertion failed: check \"after_apply\" of main: output is 2, not 1.",
        )
        .stdout_has("Apply complete! Resources: 1 added");
    let json = p
        .run(&["apply", "--env", "dev", "--auto-approve", "--json"])
        .success();
    assert!(
        json.stdout.contains("\"@level\":\"warn\""),
        "{}",
        json.stdout
    );
}

#[test]
fn passing_checks_say_nothing() {
    let run = with_n(1, CHECKS).apply();
    assert!(!run.stderr.contains("Check block"), "{}", run.stderr);
}

#[test]
fn an_import_block_adopts_an_existing_file_without_rewriting_it() {
    let p = single(
        "resource \"file\" \"f\" {\n  path    = \"out/existing.txt\"\n  content = \"hello\"\n}\nimport {\n  to = file.f\n  id = \"out/existing.txt\"\n}\n",
    )
    .file("out/existing.txt", "hello");
    p.run(&["plan", "--env", "dev", "--detailed-exitcode"])
        .code(2)
        .stdout_has("# dev/main/file.f will be imported")
        .stdout_has("Plan: 1 to import, 0 to add, 0 to change, 0 to destroy.");
    p.apply()
        .stdout_has("Resources: 1 imported, 0 added, 0 changed, 0 destroyed.");
    assert_eq!(state_list(&p), ["main/file.f"]);
    // Imported once; the block is harmless afterwards.
    p.run(&["plan", "--env", "dev", "--detailed-exitcode"])
        .success();
    // Managed from now on: destroying deletes it.
    p.run(&["destroy", "--env", "dev", "--auto-approve"])
        .success();
    assert!(!p.exists("out/existing.txt"));
}

#[test]
fn an_imported_object_that_differs_is_updated_as_in_terraform() {
    let p = single(
        "resource \"file\" \"f\" {\n  path    = \"out/existing.txt\"\n  content = \"new\"\n}\nimport {\n  to = file.f\n  id = \"out/existing.txt\"\n}\n\
         resource \"terrace_data\" \"d\" {\n  input = \"x\"\n}\nimport {\n  to = terrace_data.d\n  id = \"abc\"\n}\n",
    )
    .file("out/existing.txt", "old");
    p.run(&["plan", "--env", "dev"])
        .success()
        .stdout_has("# dev/main/file.f will be updated in-place")
        .stdout_has("# (imported from \"out/existing.txt\")")
        .stdout_has("# (imported from \"abc\")")
        .stdout_has("Plan: 2 to import, 0 to add, 2 to change, 0 to destroy.");
    let json = p
        .run(&["plan", "--env", "dev", "--format", "json"])
        .success();
    let plan: Json = serde_json::from_str(&json.stdout).expect("JSON");
    let d = plan["resource_changes"]
        .as_array()
        .and_then(|a| {
            a.iter()
                .find(|rc| rc["address"] == "module.main.terrace_data.d")
        })
        .cloned()
        .expect("terrace_data.d in the plan");
    // As Terraform's plan of terraform_data: an update, importing the id.
    assert_eq!(d["change"]["importing"], serde_json::json!({ "id": "abc" }));
    assert_eq!(d["change"]["actions"], serde_json::json!(["update"]));
    assert_eq!(d["change"]["before"]["id"], "abc");
    p.apply()
        .stdout_has("Resources: 2 imported, 0 added, 2 changed, 0 destroyed.");
    assert_eq!(p.read("out/existing.txt"), "new");
    // terraform_data keeps the id it was imported with.
    assert_eq!(id_of(&p, "main/terrace_data.d"), "abc");
}

#[test]
fn an_import_of_nothing_or_of_an_unreadable_type_is_an_error() {
    single(
        "resource \"file\" \"f\" {\n  path    = \"out/missing.txt\"\n  content = \"x\"\n}\nimport {\n  to = file.f\n  id = \"out/missing.txt\"\n}\n",
    )
    .run(&["plan", "--env", "dev"])
    .code(1)
    .stderr_has("there is no file with id \"out/missing.txt\" to import");
    single(
        "resource \"command\" \"c\" {\n  create = \"echo '{}'\"\n}\nimport {\n  to = command.c\n  id = \"x\"\n}\n",
    )
    .run(&["plan", "--env", "dev"])
    .code(1)
    .stderr_has("a command without read cannot be imported");
    single("import {\n  to = terrace_data.nope\n  id = \"x\"\n}\n")
        .run(&["plan", "--env", "dev"])
        .code(1)
        .stderr_has("this imports into terrace_data.nope, which is not declared");
}

#[test]
fn an_import_block_adopts_a_rest_object_by_its_id() {
    let server = crate::rest::Server::start();
    server.set(
        "t-1",
        serde_json::json!({ "id": "t-1", "name": "payments" }),
    );
    let p = single(&format!(
        "resource \"http\" \"team\" {{\n  url  = \"{}/things\"\n  body = {{ name = \"payments\" }}\n  auth_header = \"\"\n}}\nimport {{\n  to = http.team\n  id = \"t-1\"\n}}\n",
        server.base
    ));
    p.run(&["plan", "--env", "dev"])
        .success()
        .stdout_has("Plan: 1 to import, 0 to add");
    p.apply().stdout_has("1 imported");
    assert_eq!(id_of(&p, "main/http.team"), "t-1");
    assert!(
        !server.seen().iter().any(|s| s.method == "POST"),
        "nothing was created"
    );
    assert_eq!(server.things().len(), 1);
}

#[test]
fn destroy_after_a_move_deletes_the_object_and_its_record() {
    let p = single("resource \"file\" \"a\" {\n  path    = \"out/a.txt\"\n  content = \"a\"\n}\n");
    p.apply();
    p.write(
        "arch/main.hcl",
        "resource \"file\" \"b\" {\n  path    = \"out/a.txt\"\n  content = \"a\"\n}\nmoved {\n  from = file.a\n  to   = file.b\n}\n",
    );
    p.run(&["destroy", "--env", "dev", "--auto-approve"])
        .success()
        .stdout_has("1 destroyed");
    assert!(!p.exists("out/a.txt"));
    assert!(state_list(&p).is_empty());
}
