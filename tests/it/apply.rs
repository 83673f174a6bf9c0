//! Plan and apply, end to end, on real files.

use crate::harness::{Project, single};

#[test]
fn quickstart_applies_and_then_has_no_changes() {
    let p = Project::copy_of("examples/quickstart");
    p.run(&["plan", "--env", "dev", "--detailed-exitcode"])
        .code(2)
        .stdout_has("Plan: 7 to add, 0 to change, 0 to destroy.");
    p.apply()
        .stdout_has("Apply complete! Resources: 7 added, 0 changed, 0 destroyed.");
    assert!(
        p.read("out/dev/www/index.html")
            .contains("<li>web-dev-0</li>")
    );
    assert!(p.read("out/dev/network.json").contains("\"subnets\""));
    p.run(&["plan", "--env", "dev", "--detailed-exitcode"])
        .success()
        .stdout_has("No changes.");
    // prod is separate: its own state, its own files.
    p.run(&["plan", "--env", "prod"])
        .success()
        .stdout_has("Plan: 9 to add");
}

#[test]
fn unknown_values_become_known_across_configurations() {
    let p = Project::copy_of("examples/quickstart");
    p.apply();
    let state = p
        .run(&[
            "state",
            "show",
            "--env",
            "dev",
            "web/terrace_data.server[0]",
        ])
        .success();
    let subnet = p
        .run(&["output", "--env", "dev", "network", "--json"])
        .success();
    let json: serde_json::Value = serde_json::from_str(&subnet.stdout).expect("json");
    let id = json["network"]["subnet_id"]["value"]
        .as_str()
        .expect("subnet id")
        .to_string();
    assert!(
        state.stdout.contains(&format!("subnet = \"{id}\"")),
        "{}",
        state.stdout
    );
}

#[test]
fn saved_plan_applies_exactly_and_is_refused_once_state_moved_on() {
    let p = single("resource \"file\" \"a\" {\n  path = \"out/a.txt\"\n  content = \"one\"\n}\n");
    p.run(&["plan", "--env", "dev", "--out", "first.plan"])
        .success();
    p.run(&["plan", "--env", "dev", "--out", "second.plan"])
        .success();
    p.run(&["apply", "--env", "dev", "first.plan"])
        .success()
        .stdout_has("1 added");
    assert_eq!(p.read("out/a.txt"), "one");
    p.run(&["apply", "--env", "dev", "second.plan"])
        .code(1)
        .stderr_has("the saved plan second.plan is stale")
        .stderr_has("terrace plan --env dev --out second.plan");
    // Applying the same plan twice is refused the same way.
    p.run(&["apply", "--env", "dev", "first.plan"])
        .code(1)
        .stderr_has("is stale");
}

#[test]
fn saved_plan_is_refused_when_definitions_changed() {
    let p = single("resource \"file\" \"a\" {\n  path = \"out/a.txt\"\n  content = \"one\"\n}\n");
    p.run(&["plan", "--env", "dev", "--out", "p.plan"])
        .success();
    p.write(
        "arch/main.hcl",
        "resource \"file\" \"a\" {\n  path = \"out/a.txt\"\n  content = \"two\"\n}\n",
    );
    p.run(&["apply", "--env", "dev", "p.plan"])
        .code(1)
        .stderr_has("the definitions changed");
    assert!(!p.exists("out/a.txt"));
}

#[test]
fn saved_plan_resolves_unknown_values_at_apply() {
    let p = single(
        "resource \"terrace_data\" \"a\" {\n  input = \"x\"\n}\nresource \"file\" \"f\" {\n  path = \"out/id\"\n  content = terrace_data.a.id\n}\n",
    );
    p.run(&["plan", "--env", "dev", "--out", "p.plan"])
        .success()
        .stdout_has("(known after apply)");
    p.run(&["apply", "--env", "dev", "p.plan"]).success();
    let id = p.read("out/id");
    assert_eq!(id.len(), 36, "a uuid: {id}");
}

#[test]
fn plan_sees_files_changed_or_deleted_behind_its_back() {
    let p = single(
        "resource \"file\" \"a\" {\n  path = \"out/a.txt\"\n  content = \"mine\"\n}\nresource \"file\" \"b\" {\n  path = \"out/b.txt\"\n  content = \"mine\"\n}\n",
    );
    p.apply();
    p.write("out/a.txt", "edited by hand");
    std::fs::remove_file(p.path("out/b.txt")).expect("rm");
    p.run(&[
        "plan",
        "--env",
        "dev",
        "--refresh=false",
        "--detailed-exitcode",
    ])
    .success()
    .stdout_has("No changes.");
    p.run(&["plan", "--env", "dev", "--detailed-exitcode"])
        .code(2)
        .stdout_has("Objects have changed outside of terrace")
        .stdout_has("# dev/main/file.a has changed")
        .stdout_has("# dev/main/file.b has been deleted")
        .stdout_has("# dev/main/file.a will be updated in-place")
        .stdout_has("# dev/main/file.b will be created")
        .stdout_has("Plan: 1 to add, 1 to change, 0 to destroy.");
    p.apply();
    assert_eq!(p.read("out/a.txt"), "mine");
    assert_eq!(p.read("out/b.txt"), "mine");
    p.run(&["plan", "--env", "dev", "--detailed-exitcode"])
        .success();
}

const CHAIN: &str = r#"
resource "file" "base" {
  path    = "out/base"
  content = "base"
}
resource "file" "middle" {
  path    = "out/middle"
  content = file.base.content_sha256
}
resource "file" "top" {
  path    = "out/top"
  content = file.middle.content_sha256
}
resource "file" "alone" {
  path    = "out/alone"
  content = "alone"
}
"#;

#[test]
fn destroy_deletes_in_reverse_dependency_order() {
    let p = single(CHAIN);
    let applied = p.apply();
    assert!(
        applied.line_of("dev/main/file.base: Creation complete")
            < applied.line_of("dev/main/file.middle: Creating...")
    );
    assert!(
        applied.line_of("dev/main/file.middle: Creation complete")
            < applied.line_of("dev/main/file.top: Creating...")
    );
    p.run(&["plan", "--env", "dev", "--destroy"])
        .success()
        .stdout_has("Plan: 0 to add, 0 to change, 4 to destroy.");
    let d = p
        .run(&["destroy", "--env", "dev", "--auto-approve"])
        .success()
        .stdout_has("Destroy complete! Resources: 4 destroyed.");
    assert!(
        d.line_of("dev/main/file.top: Destruction complete")
            < d.line_of("dev/main/file.middle: Destroying...")
    );
    assert!(
        d.line_of("dev/main/file.middle: Destruction complete")
            < d.line_of("dev/main/file.base: Destroying...")
    );
    for f in ["base", "middle", "top", "alone"] {
        assert!(!p.exists(&format!("out/{f}")), "{f} still exists");
    }
    p.run(&["state", "list", "--env", "dev"]).success();
    assert_eq!(p.run(&["state", "list", "--env", "dev"]).stdout, "");
}

#[test]
fn removed_resources_are_destroyed_dependents_first() {
    let p = single(CHAIN);
    p.apply();
    p.write(
        "arch/main.hcl",
        "resource \"file\" \"alone\" {\n  path = \"out/alone\"\n  content = \"alone\"\n}\n",
    );
    let run = p.apply().stdout_has("3 destroyed");
    assert!(
        run.line_of("file.top: Destruction complete") < run.line_of("file.middle: Destroying...")
    );
    assert!(
        run.line_of("file.middle: Destruction complete") < run.line_of("file.base: Destroying...")
    );
}

#[test]
fn a_failure_stops_only_what_depends_on_it() {
    let p = single(
        r#"
resource "file" "broken" {
  path    = "out/taken"
  content = "x"
}
resource "file" "after_broken" {
  path    = "out/after"
  content = file.broken.content_sha256
}
resource "file" "independent" {
  path    = "out/independent"
  content = "fine"
}
"#,
    );
    // A directory where the file should go: writing it fails.
    std::fs::create_dir_all(p.path("out/taken/inside")).expect("mkdir");
    let run = p.run(&["apply", "--env", "dev", "--auto-approve"]).code(1);
    assert!(
        run.stdout
            .contains("dev/main/file.independent: Creation complete"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("dev/main/file.after_broken: not attempted (depends on main/file.broken"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains("main/file.broken: create failed"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("Apply failed: 1 error(s)"),
        "{}",
        run.stderr
    );
    assert_eq!(p.read("out/independent"), "fine");
    assert!(!p.exists("out/after"));
    // State keeps what succeeded; the next apply finishes the rest.
    let listed = p.run(&["state", "list", "--env", "dev"]).success();
    assert_eq!(listed.stdout, "main/file.independent\n");
    std::fs::remove_dir_all(p.path("out/taken")).expect("rm");
    p.apply().stdout_has("2 added");
}

#[test]
fn prevent_destroy_refuses_the_plan() {
    let p = single(
        "resource \"terrace_data\" \"db\" {\n  input = 1\n  lifecycle {\n    prevent_destroy = true\n  }\n}\n",
    );
    p.apply();
    p.run(&["destroy", "--env", "dev", "--auto-approve"])
        .code(1)
        .stderr_has("cannot be destroyed");
    p.run(&["state", "list", "--env", "dev"])
        .success()
        .stdout_has("main/terrace_data.db");
}

#[test]
fn create_before_destroy_creates_the_replacement_first() {
    let arch = |v: &str| {
        format!(
            "resource \"file\" \"a\" {{\n  path = \"out/{v}\"\n  content = \"x\"\n  lifecycle {{\n    create_before_destroy = true\n  }}\n}}\n"
        )
    };
    let p = single(&arch("one"));
    p.apply();
    p.write("arch/main.hcl", &arch("two"));
    let run = p.apply().stdout_has("1 added, 0 changed, 1 destroyed");
    assert!(
        run.line_of("file.a: Creation complete") < run.line_of("file.a (deposed): Destroying...")
    );
    assert!(p.exists("out/two"));
    assert!(!p.exists("out/one"));
    p.run(&["plan", "--env", "dev", "--detailed-exitcode"])
        .success();
}

#[test]
fn ignore_changes_keeps_the_recorded_value() {
    let arch = |c: &str| {
        format!(
            "resource \"file\" \"a\" {{\n  path = \"out/a\"\n  content = \"{c}\"\n  lifecycle {{\n    ignore_changes = [content]\n  }}\n}}\n"
        )
    };
    let p = single(&arch("first"));
    p.apply();
    p.write("arch/main.hcl", &arch("second"));
    p.run(&["plan", "--env", "dev", "--detailed-exitcode"])
        .success()
        .stdout_has("No changes.");
    assert_eq!(p.read("out/a"), "first");
}

#[test]
fn apply_without_a_terminal_asks_for_auto_approve() {
    let p = single("resource \"terrace_data\" \"a\" {\n  input = 1\n}\n");
    p.run(&["apply", "--env", "dev"])
        .code(1)
        .stderr_has("--auto-approve");
    p.run(&["state", "list", "--env", "dev"]).success();
    assert_eq!(p.run(&["state", "list", "--env", "dev"]).stdout, "");
}

#[test]
fn sensitive_values_never_reach_plans_or_output() {
    let p = single(
        r#"
variable "token" {
  type      = string
  default   = "s3cr3t-t0ken"
  sensitive = true
}
resource "terrace_data" "t" {
  input = { token = var.token, user = "bob" }
}
output "token" {
  value     = var.token
  sensitive = true
}
"#,
    );
    let plan = p
        .run(&["plan", "--env", "dev"])
        .success()
        .stdout_has("(sensitive value)");
    assert!(!plan.stdout.contains("s3cr3t"), "{}", plan.stdout);
    let apply = p.apply();
    assert!(!apply.stdout.contains("s3cr3t"), "{}", apply.stdout);
    let out = p
        .run(&["output", "--env", "dev"])
        .success()
        .stdout_has("main.token = <sensitive>");
    assert!(!out.stdout.contains("s3cr3t"));
    let show = p
        .run(&["state", "show", "--env", "dev", "main/terrace_data.t"])
        .success();
    assert!(!show.stdout.contains("s3cr3t"), "{}", show.stdout);
}

#[test]
fn detailed_exitcode_is_two_with_changes_zero_without() {
    let p = single("resource \"terrace_data\" \"a\" {\n  input = 1\n}\n");
    p.run(&["plan", "--env", "dev", "--detailed-exitcode"])
        .code(2);
    p.run(&["plan", "--env", "dev"]).success();
    p.apply();
    p.run(&["plan", "--env", "dev", "--detailed-exitcode"])
        .success();
    p.run(&["plan", "--env", "nope"])
        .code(1)
        .stderr_has("there is no environment \"nope\"");
}

#[test]
fn files_outside_the_project_are_refused_unless_allowed() {
    let p = single("resource \"file\" \"a\" {\n  path = \"../escape.txt\"\n  content = \"x\"\n}\n");
    p.run(&["plan", "--env", "dev"])
        .code(1)
        .stderr_has("outside the project directory");
    let outside = tempfile::tempdir().expect("temp");
    let target = outside.path().join("allowed.txt");
    p.write(
        "arch/main.hcl",
        &format!("resource \"file\" \"a\" {{\n  path = {:?}\n  content = \"x\"\n  allow_outside_project = true\n}}\n", target.display().to_string()),
    );
    p.apply();
    assert_eq!(std::fs::read_to_string(&target).expect("written"), "x");
}

#[test]
fn outputs_and_graph_describe_the_project() {
    let p = Project::copy_of("examples/quickstart");
    let dot = p.run(&["graph"]).success();
    assert!(dot.stdout.starts_with("digraph G {"), "{}", dot.stdout);
    assert!(
        dot.stdout.contains(
            "\"module.web.terrace_data.server\" -> \"module.network.terrace_data.subnet\";"
        ),
        "{}",
        dot.stdout
    );
    assert!(
        dot.stdout.contains(
            "\"module.network.terrace_data.subnet\" -> \"module.network.terrace_data.vpc\";"
        ),
        "{}",
        dot.stdout
    );
    p.apply();
    p.run(&["output", "--env", "dev", "web"])
        .success()
        .stdout_has("servers = [");
    let json = p.run(&["output", "--env", "dev", "--json"]).success();
    let v: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    assert_eq!(v["network"]["name"]["value"], "net-dev-eu-de");
    p.run(&["graph", "--env", "dev"])
        .success()
        .stdout_has("\"module.web.terrace_data.server\" [label=\"terrace_data.server (1)\"];");
    p.run(&["show", "--env", "dev"])
        .success()
        .stdout_has("# network/terrace_data.vpc:");
}

#[test]
fn data_sources_wait_for_the_resources_they_read() {
    let p = single(
        r#"
resource "file" "w" {
  path    = "out/w.txt"
  content = "written by terrace"
}
data "file" "r" {
  path = file.w.id
}
resource "terrace_data" "copy" {
  input = data.file.r.content
}
"#,
    );
    p.run(&["plan", "--env", "dev"])
        .success()
        .stdout_has("# dev/main/data.file.r will be read during apply");
    p.apply();
    p.run(&["state", "show", "--env", "dev", "main/terrace_data.copy"])
        .success()
        .stdout_has("input  = \"written by terrace\"");
    p.run(&["plan", "--env", "dev", "--detailed-exitcode"])
        .success();
}

#[test]
fn apply_time_functions_are_unknown_until_apply() {
    let p = single("resource \"file\" \"f\" {\n  path = \"out/id\"\n  content = uuid()\n}\n");
    p.run(&["plan", "--env", "dev", "--out", "p.plan"])
        .success()
        .stdout_has("content               = (known after apply)");
    p.run(&["apply", "--env", "dev", "p.plan"]).success();
    assert_eq!(p.read("out/id").len(), 36);
}

#[test]
fn a_configuration_can_take_another_ones_outputs_as_a_whole() {
    let p = Project::new()
        .file(
            "project.hcl",
            r#"
project "t" {}
environment "dev" {}
configuration "net" {
  architecture = "./net"
}
configuration "app" {
  architecture = "./app"
  inputs = {
    net = configuration.net.outputs
  }
}
"#,
        )
        .file(
            "net/main.hcl",
            "resource \"terrace_data\" \"a\" {\n  input = 1\n}\noutput \"first\" {\n  value = terrace_data.a.id\n}\noutput \"second\" {\n  value = \"${terrace_data.a.id}-2\"\n}\n",
        )
        .file("app/main.hcl", "variable \"net\" {}\nresource \"terrace_data\" \"b\" {\n  input = var.net\n}\noutput \"seen\" {\n  value = var.net.second\n}\n");
    p.apply();
    let out = p.run(&["output", "--env", "dev", "app"]).success();
    assert!(
        out.stdout.ends_with("-2\"\n") && !out.stdout.contains("known after apply"),
        "{}",
        out.stdout
    );
    p.run(&["plan", "--env", "dev", "--detailed-exitcode"])
        .success();
}

#[test]
fn init_scaffolds_a_project_that_validates_and_never_overwrites() {
    let p = Project::new();
    p.run(&["init", "demo"])
        .success()
        .stdout_has("terrace plan --env dev");
    p.run(&["--project", "demo", "validate"]).success();
    p.run(&[
        "--project",
        "demo",
        "apply",
        "--env",
        "dev",
        "--auto-approve",
    ])
    .success();
    assert!(p.exists("demo/out/dev/www/index.html"));
    p.run(&["init", "demo"])
        .code(1)
        .stderr_has("never overwrites");
}

#[test]
fn configurations_can_pass_values_both_ways_without_a_cycle() {
    let p = Project::new()
        .file(
            "project.hcl",
            r#"
project "t" {}
environment "dev" {}
configuration "a" {
  architecture = "./a"
  inputs = {
    label = configuration.b.outputs.label
  }
}
configuration "b" {
  architecture = "./b"
  inputs = {
    base = configuration.a.outputs.id
    name = "bee"
  }
}
"#,
        )
        .file(
            "a/main.hcl",
            "variable \"label\" {}\nresource \"terrace_data\" \"x\" {\n  input = 1\n}\nresource \"terrace_data\" \"y\" {\n  input = var.label\n}\noutput \"id\" {\n  value = terrace_data.x.id\n}\n",
        )
        .file(
            "b/main.hcl",
            "variable \"base\" {}\nvariable \"name\" {}\nresource \"terrace_data\" \"z\" {\n  input = var.base\n}\noutput \"label\" {\n  value = \"label-${var.name}\"\n}\n",
        );
    p.apply().stdout_has("3 added");
    p.run(&["state", "show", "--env", "dev", "a/terrace_data.y"])
        .success()
        .stdout_has("input  = \"label-bee\"");
    p.run(&["plan", "--env", "dev", "--detailed-exitcode"])
        .success();
}

#[test]
fn saved_plan_is_refused_when_a_template_changed() {
    let p = Project::copy_of("examples/quickstart");
    p.run(&["plan", "--env", "dev", "--out", "dev.plan"])
        .success();
    let tpl = p
        .read("architectures/web/page.html.tpl")
        .replace("<h1>", "<h2>");
    p.write("architectures/web/page.html.tpl", &tpl);
    p.run(&["apply", "--env", "dev", "dev.plan"])
        .code(1)
        .stderr_has("the definitions changed");
    assert!(!p.exists("out"), "nothing was applied");
    p.run(&["apply", "--env", "prod", "dev.plan"])
        .code(1)
        .stderr_has("is for environment \"dev\", not \"prod\"");
}
