//! Approvals by someone other than the plan's author
//! (`require_approval { distinct_approver = true }`), the groundwork of
//! the plan/approve/apply API of `terrace serve`, from the command line.

use crate::harness::Project;

fn guarded() -> Project {
    Project::new()
        .file(
            "project.hcl",
            "project \"p\" {}\nenvironment \"prod\" {\n  require_approval {\n    distinct_approver = true\n  }\n}\nconfiguration \"app\" {\n  architecture = \"./arch\"\n}\n",
        )
        .file(
            "arch/main.hcl",
            "resource \"terrace_data\" \"a\" {\n  input = \"a\"\n}\n",
        )
}

#[test]
fn distinct_approver_refuses_the_plans_author_and_takes_another_user() {
    let p = guarded();
    p.run_with(
        &["plan", "--env", "prod", "--out", "prod.plan"],
        &[("TERRACE_USER", "ann")],
    )
    .success();
    p.run_with(
        &["approve", "--env", "prod", "prod.plan", "--comment", "mine"],
        &[("TERRACE_USER", "ann")],
    )
    .code(1)
    .stderr_has("ann made the plan prod.plan")
    .stderr_has("distinct_approver");
    p.run_with(
        &["apply", "--env", "prod", "prod.plan"],
        &[("TERRACE_USER", "ann")],
    )
    .code(1)
    .stderr_has("has none");
    p.run_with(
        &[
            "approve",
            "--env",
            "prod",
            "prod.plan",
            "--comment",
            "reviewed",
        ],
        &[("TERRACE_USER", "bob")],
    )
    .success();
    p.run_with(
        &["apply", "--env", "prod", "prod.plan"],
        &[("TERRACE_USER", "ann")],
    )
    .success();
    let audit = p.run(&["audit", "--json"]).success();
    assert!(
        audit.stdout.contains("\"initiator\":\"bob\""),
        "{}",
        audit.stdout
    );
}

#[test]
fn require_approval_as_both_attribute_and_block_is_an_error() {
    let p = Project::new().file(
        "project.hcl",
        "project \"p\" {}\nenvironment \"prod\" {\n  require_approval = true\n  require_approval {\n    distinct_approver = true\n  }\n}\n",
    );
    p.run(&["validate"])
        .code(1)
        .stderr_has("both as an attribute and as a block");
}
