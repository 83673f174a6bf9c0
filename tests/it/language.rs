//! Language behaviour that is not an expression's value (those are in the
//! conformance corpus): how `ignore_changes`, `for_each` and outputs act,
//! each checked against Terraform 1.15.5 on the same definitions written
//! with `terraform_data`.

use crate::harness::single;

const IGNORED_KEY: &str = r#"
variable "inp" {
  type    = map(string)
  default = { j = "b" }
}
resource "terrace_data" "a" {
  input = var.inp
  lifecycle {
    ignore_changes = [input["k"]]
  }
}
"#;

#[test]
fn ignore_changes_on_a_map_key_also_ignores_the_key_when_it_is_added_later() {
    let p = single(IGNORED_KEY);
    p.apply();
    // Terraform: adding input["k"] is ignored, the object keeps no "k".
    p.write(
        "arch/main.hcl",
        &IGNORED_KEY.replace(r#"{ j = "b" }"#, r#"{ j = "b", k = "new" }"#),
    );
    p.run(&["plan", "--env", "dev", "--detailed-exitcode"])
        .success()
        .stdout_has("No changes.");
    // Other keys still change.
    p.write(
        "arch/main.hcl",
        &IGNORED_KEY.replace(r#"{ j = "b" }"#, r#"{ j = "c", k = "new" }"#),
    );
    let plan = p
        .run(&["plan", "--env", "dev", "--detailed-exitcode"])
        .code(2)
        .stdout_has("1 to change");
    assert!(
        plan.lines_with("\"new\"").is_empty(),
        "the ignored key must not be planned:\n{}",
        plan.stdout
    );
}

#[test]
fn for_each_over_a_list_is_refused_with_a_hint_and_over_toset_works() {
    let p = single("resource \"terrace_data\" \"a\" {\n  for_each = [\"x\", \"y\"]\n}\n");
    p.run(&["plan", "--env", "dev"])
        .code(1)
        .stderr_has("eval::invalid_for_each")
        .stderr_has("toset(");
    p.write(
        "arch/main.hcl",
        "resource \"terrace_data\" \"a\" {\n  for_each = toset([\"x\", \"y\"])\n}\n",
    );
    p.apply().stdout_has("2 added");
}

#[test]
fn outputs_whose_value_is_null_are_left_out_of_listings() {
    let p = single("output \"n\" {\n  value = null\n}\noutput \"s\" {\n  value = \"x\"\n}\n");
    let apply = p.apply();
    assert!(apply.lines_with("n = ").is_empty(), "{}", apply.stdout);
    apply.stdout_has("main.s = \"x\"");
    let out = p.run(&["output", "--env", "dev"]).success();
    assert!(out.lines_with("main.n").is_empty(), "{}", out.stdout);
    out.stdout_has("main.s = \"x\"");
    let json = p.run(&["output", "--env", "dev", "--json"]).success();
    assert!(!json.stdout.contains("\"n\""), "{}", json.stdout);
    json.stdout_has("\"s\"");
}

#[test]
fn comparing_collections_of_unknown_kind_is_an_error_not_a_guess() {
    let p = single(
        "resource \"terrace_data\" \"a\" {\n  input = [\"x\"]\n}\noutput \"same\" {\n  value = terrace_data.a.output == [\"x\"]\n}\noutput \"typed\" {\n  value = tolist(terrace_data.a.output) == tolist([\"x\"])\n}\n",
    );
    p.run(&["apply", "--env", "dev", "--auto-approve"])
        .code(1)
        .stderr_has("cannot compare these two collections");
    p.write(
        "arch/main.hcl",
        "resource \"terrace_data\" \"a\" {\n  input = [\"x\"]\n}\noutput \"typed\" {\n  value = tolist(terrace_data.a.output) == tolist([\"x\"])\n}\n",
    );
    p.apply().stdout_has("main.typed = true");
}

#[test]
fn a_reference_to_a_resource_whose_type_is_misspelt_points_at_the_type_not_the_typo() {
    let p = single(
        "resource \"terraform_data\" \"x\" {\n  input = 1\n}\noutput \"o\" {\n  value = terrace_data.x.output\n}\n",
    );
    let run = p
        .run(&["validate"])
        .code(1)
        .stderr_has("did you mean \"terrace_data\"?")
        .stderr_has("resource \"x\" is declared with type \"terraform_data\"");
    assert!(
        !run.stderr.contains("did you mean terraform_data.x"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_dependency_cycle_through_a_long_file_shows_each_step_not_every_line() {
    let mut arch = String::from("locals {\n  a = local.b\n}\n");
    arch.push_str(&"# filler\n".repeat(120));
    arch.push_str("locals {\n  b = local.a\n}\n");
    let run = single(&arch)
        .run(&["validate"])
        .code(1)
        .stderr_has("graph::cycle");
    assert!(run.stderr.lines().count() < 40, "{}", run.stderr);
    assert!(run.lines_with("# filler").is_empty(), "{}", run.stderr);
}

#[test]
fn a_folder_of_terraform_files_gets_a_hint_about_hcl_projects() {
    let p = crate::harness::Project::new().file("main.tf", "output \"s\" {\n  value = \"x\"\n}\n");
    p.run(&["validate"])
        .code(1)
        .stderr_has("config::no_project")
        .stderr_has("this folder holds Terraform files");
}

#[test]
fn a_run_from_inside_an_architecture_folder_gets_a_hint_to_use_the_project_root() {
    let p = single("resource \"terrace_data\" \"a\" {\n  input = 1\n}\n");
    p.run(&[
        "--project",
        &p.path("arch").display().to_string(),
        "validate",
    ])
    .code(1)
    .stderr_has("this block belongs in an architecture folder");
}

#[test]
fn validate_does_not_read_remote_data_sources_and_plan_does() {
    // Nothing listens on this port: a read fails at once.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let p = single(&format!(
        "data \"http\" \"info\" {{\n  url = \"http://127.0.0.1:{closed}/info\"\n}}\noutput \"region\" {{\n  value = data.http.info.response.region\n}}\n"
    ));
    p.run(&["validate"]).success();
    p.run(&["plan", "--env", "dev"])
        .code(1)
        .stderr_has("plan::data");
}

#[test]
fn a_sensitive_variable_of_the_wrong_type_never_shows_its_value() {
    let p = crate::harness::Project::new()
        .file(
            "project.hcl",
            "project \"t\" {}\nenvironment \"dev\" {\n  inputs = { pin = env(\"PIN\") }\n}\n\
             configuration \"main\" {\n  architecture = \"./arch\"\n}\n",
        )
        .file(
            "arch/main.hcl",
            "variable \"pin\" {\n  type      = number\n  sensitive = true\n}\n\
             resource \"terrace_data\" \"x\" {\n  input = var.pin\n}\n",
        );
    let run = p
        .run_with(&["plan", "--env", "dev"], &[("PIN", "hunter2-SECRET")])
        .code(1)
        .stderr_has("wrong type (expected number)");
    assert!(!run.stderr.contains("hunter2"), "{}", run.stderr);
    assert!(!run.stdout.contains("hunter2"), "{}", run.stdout);
}
