//! What moving the workflows into `ops` fixed: nothing is decided once per
//! process any more.

use crate::harness::{Project, assert_not_under};

fn project(variable: &str) -> String {
    format!(
        r#"
project "t" {{}}
environment "dev" {{
  authorization {{
    api_key = env("{variable}")
  }}
}}
environment "test" {{
  promote_from = "dev"
}}
configuration "main" {{
  architecture = "./arch"
}}
"#
    )
}

const ARCH: &str = r#"
resource "command" "c" {
  create = "printf '{\"seen\":\"%s %s\"}' \"$OPS_OLD_KEY\" \"$OPS_NEW_KEY\""
}
"#;

#[test]
fn a_promotion_withholds_the_credential_variables_of_the_release_and_of_the_working_tree() {
    let p = Project::new()
        .file("project.hcl", &project("OPS_OLD_KEY"))
        .file("arch/main.hcl", ARCH);
    let vars = [
        ("OPS_OLD_KEY", "old-secret-5c1e"),
        ("OPS_NEW_KEY", "new-secret-9d47"),
    ];
    // Set only once it names a credential: before, it is just a variable.
    p.run_with(&["apply", "--env", "dev", "--auto-approve"], &vars[..1])
        .success();
    // The working tree now reads another variable; the release dev runs
    // still reads the old one. Its commands inherit neither.
    p.write("project.hcl", &project("OPS_NEW_KEY"));
    p.run_with(
        &[
            "promote",
            "--from",
            "dev",
            "--to",
            "test",
            "--apply",
            "--auto-approve",
        ],
        &vars,
    )
    .success();
    assert!(p.exists(".terrace/envs/test/main.state.json"));
    assert_not_under(&p.path(".terrace"), "old-secret");
    assert_not_under(&p.path(".terrace"), "new-secret");
}
