//! Command-line habits of Terraform users: project variables (`--var`,
//! `--var-file`, `TERRACE_VAR_NAME`), single-dash flags, `output --raw`,
//! `validate --json`, `completions`.

use crate::harness::Project;

/// A project with variables: `image_tag` is required, `replicas` has a
/// default, `token` is sensitive; the environment and the configuration
/// both read them.
fn with_variables() -> Project {
    Project::new()
        .file(
            "project.hcl",
            r#"
project "t" {}

variable "image_tag" {
  type = string
  validation {
    condition     = length(var.image_tag) > 2
    error_message = "image_tag is at least three characters"
  }
}

variable "replicas" {
  type    = number
  default = 1
}

variable "zones" {
  type    = list(string)
  default = ["a"]
}

variable "token" {
  type      = string
  default   = "none"
  sensitive = true
}

environment "dev" {
  inputs = { replicas = var.replicas }
}

configuration "main" {
  architecture = "./arch"
  inputs = {
    image = "app:${var.image_tag}"
    zones = var.zones
  }
}
"#,
        )
        .file(
            "arch/main.hcl",
            r#"
variable "image" { type = string }
variable "replicas" { type = number }
variable "zones" { type = list(string) }

resource "terrace_data" "app" {
  input = { image = var.image, replicas = var.replicas, zones = var.zones }
}

output "image" {
  value = var.image
}

output "summary" {
  value = "${var.image} x${var.replicas} in ${join(",", var.zones)}"
}
"#,
        )
}

#[test]
fn var_flag_sets_a_project_variable_used_by_configuration_inputs() {
    let p = with_variables();
    p.run(&["plan", "--env", "dev", "--var", "image_tag=abc123"])
        .success()
        .stdout_has("app:abc123");
}

#[test]
fn missing_required_variable_is_an_error_naming_it_and_how_to_set_it() {
    let p = with_variables();
    p.run(&["plan", "--env", "dev"])
        .code(1)
        .stderr_has("project variable \"image_tag\" is not set")
        .stderr_has("--var image_tag=VALUE")
        .stderr_has("TERRACE_VAR_image_tag");
}

#[test]
fn variables_follow_terraform_precedence_env_then_files_then_command_line_in_order() {
    let p = with_variables()
        .file(
            "terrace.tfvars",
            "image_tag = \"fromtfvars\"\nreplicas = 2\n",
        )
        .file("b.auto.tfvars.json", r#"{"replicas": 3}"#)
        .file("one.tfvars", "image_tag = \"fromfile\"\n");
    // Environment variable alone.
    let q = with_variables();
    q.run_with(
        &["plan", "--env", "dev"],
        &[("TERRACE_VAR_image_tag", "fromenv")],
    )
    .success()
    .stdout_has("app:fromenv");
    // terrace.tfvars beats the environment; *.auto.tfvars.json beats terrace.tfvars.
    p.run_with(
        &["plan", "--env", "dev"],
        &[("TERRACE_VAR_image_tag", "fromenv")],
    )
    .success()
    .stdout_has("app:fromtfvars")
    .stdout_has("replicas = 3");
    // On the command line, the later flag wins, whichever kind it is.
    p.run(&[
        "plan",
        "--env",
        "dev",
        "--var",
        "image_tag=fromflag",
        "--var-file",
        "one.tfvars",
    ])
    .success()
    .stdout_has("app:fromfile");
    p.run(&[
        "plan",
        "--env",
        "dev",
        "--var-file",
        "one.tfvars",
        "--var",
        "image_tag=fromflag",
    ])
    .success()
    .stdout_has("app:fromflag");
}

#[test]
fn complex_variables_take_hcl_values_and_primitives_take_text() {
    let p = with_variables();
    p.run(&[
        "plan",
        "--env",
        "dev",
        "--var",
        "image_tag=v1.0",
        "--var",
        r#"zones=["x", "y"]"#,
        "--var",
        "replicas=4",
    ])
    .success()
    .stdout_has("\"x\"")
    .stdout_has("replicas = 4");
    p.run(&[
        "plan",
        "--env",
        "dev",
        "--var",
        "image_tag=v1.0",
        "--var",
        "replicas=many",
    ])
    .code(1)
    .stderr_has("invalid value for project variable \"replicas\"");
}

#[test]
fn undeclared_variable_on_the_command_line_is_an_error() {
    let p = with_variables();
    p.run(&[
        "plan",
        "--env",
        "dev",
        "--var",
        "image_tag=abc",
        "--var",
        "imagetag=x",
    ])
    .code(1)
    .stderr_has("--var sets \"imagetag\", and the project declares no such variable")
    .stderr_has("did you mean \"image_tag\"?");
}

#[test]
fn variable_validation_failure_is_reported() {
    let p = with_variables();
    p.run(&["plan", "--env", "dev", "--var", "image_tag=ab"])
        .code(1)
        .stderr_has("image_tag is at least three characters");
}

#[test]
fn sensitive_variable_value_never_appears_in_messages_or_json_plan() {
    let p = with_variables();
    let run = p
        .run(&[
            "plan",
            "--env",
            "dev",
            "--var",
            "image_tag=abc",
            "--var",
            "token=hunter2secret",
            "--format",
            "json",
        ])
        .success()
        .stdout_has("\"variables\"")
        .stdout_has("\"image_tag\": {");
    assert!(!run.stdout.contains("hunter2secret"), "{}", run.stdout);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(v["variables"]["image_tag"]["value"], "abc");
    assert_eq!(v["variables"]["token"]["sensitive"], true);
    assert!(v["variables"]["token"].get("value").is_none());
}

#[test]
fn saved_plan_records_variables_and_apply_uses_them() {
    let p = with_variables();
    p.run(&[
        "plan",
        "--env",
        "dev",
        "--var",
        "image_tag=saved1",
        "--out",
        "dev.plan",
    ])
    .success();
    // No --var at apply: the plan's values are used.
    p.run(&["apply", "--env", "dev", "dev.plan"]).success();
    p.run(&["output", "--env", "dev", "main", "image", "--raw"])
        .success()
        .stdout_has("app:saved1");
}

#[test]
fn applying_a_saved_plan_with_a_different_var_is_refused() {
    let p = with_variables();
    p.run(&[
        "plan",
        "--env",
        "dev",
        "--var",
        "image_tag=saved1",
        "--out",
        "dev.plan",
    ])
    .success();
    p.run(&[
        "apply",
        "--env",
        "dev",
        "dev.plan",
        "--var",
        "image_tag=other",
    ])
    .code(1)
    .stderr_has("variable \"image_tag\" cannot be set by --var when applying a saved plan");
    // The same value is accepted.
    p.run(&[
        "apply",
        "--env",
        "dev",
        "dev.plan",
        "--var",
        "image_tag=saved1",
    ])
    .success();
}

#[test]
fn validate_does_not_need_variable_values() {
    let p = with_variables();
    p.run(&["validate"]).success();
}

#[test]
fn reference_to_an_undeclared_project_variable_is_a_diagnostic() {
    let p = with_variables();
    p.write(
        "more.hcl",
        "configuration \"other\" {\n  architecture = \"./arch\"\n  inputs = { image = var.imag, zones = [] }\n}\n",
    );
    p.run(&["validate"])
        .code(1)
        .stderr_has("the project declares no variable \"imag\"")
        .stderr_has("more.hcl");
}

/// `with_variables` plus an environment `test` promoted from `dev`.
fn with_promotion() -> Project {
    let p = with_variables();
    p.write(
        "test.hcl",
        "environment \"test\" {\n  promote_from = \"dev\"\n  inputs = { replicas = 2 }\n}\n",
    );
    p
}

#[test]
fn promotion_uses_the_variable_values_the_source_applied_with() {
    let p = with_promotion();
    p.run(&[
        "apply",
        "--env",
        "dev",
        "--auto-approve",
        "--var",
        "image_tag=sha111",
    ])
    .success();
    p.run(&[
        "promote",
        "--from",
        "dev",
        "--to",
        "test",
        "--apply",
        "--auto-approve",
    ])
    .success();
    p.run(&["output", "--env", "test", "main", "image", "--raw"])
        .success()
        .stdout_has("app:sha111");
    // A different value on the promote command line is refused.
    p.run(&[
        "promote",
        "--from",
        "dev",
        "--to",
        "test",
        "--var",
        "image_tag=sha222",
    ])
    .code(1)
    .stderr_has("a promotion uses the value environment \"dev\" applied with");
}

#[test]
fn sensitive_variable_values_are_not_recorded_beside_the_release() {
    let p = with_promotion();
    p.run(&[
        "apply",
        "--env",
        "dev",
        "--auto-approve",
        "--var",
        "image_tag=sha111",
        "--var",
        "token=hunter2secret",
    ])
    .success();
    crate::harness::assert_not_under(&p.path(".terrace"), "hunter2secret");
    assert!(p.read(".terrace/envs/dev/release.json").contains("sha111"));
}
