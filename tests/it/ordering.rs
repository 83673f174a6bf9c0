//! Apply order: every plan that `plan` accepts applies, in an order that
//! respects Terraform's. The generated cases in `testdata/ordering/`
//! (made by `generate.py` with real Terraform) are replayed through the
//! real terrace binary.

use crate::harness::{Project, repo, single};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

const ISSUE_STEP1: &str = r#"variable "region" { type = string }
variable "zones" { type = list(string) }

resource "terrace_data" "vpc" {
  triggers_replace = var.region
}

resource "terrace_data" "subnet" {
  for_each = toset(var.zones)
  input    = { vpc = terrace_data.vpc.id, zone = each.key }
}

resource "terrace_data" "server" {
  input = [for s in terrace_data.subnet : s.id]
}
"#;

fn issue_project(region: &str, zones: &str) -> String {
    format!(
        "project \"p\" {{}}\nenvironment \"dev\" {{}}\nconfiguration \"net\" {{\n  architecture = \"./arch\"\n  inputs = {{ region = \"{region}\", zones = {zones} }}\n}}\n"
    )
}

#[test]
fn replacing_a_vpc_while_a_subnet_goes_away_applies_in_terraforms_order() {
    let p = Project::new()
        .file("project.hcl", &issue_project("eu-de", r#"["a", "b"]"#))
        .file("arch/main.hcl", ISSUE_STEP1);
    p.apply();
    p.write("project.hcl", &issue_project("eu-es", r#"["a"]"#));
    p.run(&["plan", "--env", "dev", "--out", "change.plan"])
        .success()
        .stdout_has("Plan: 1 to add, 2 to change, 2 to destroy.");
    let run = p
        .run(&["apply", "--env", "dev", "change.plan", "--parallelism", "1"])
        .success()
        .stdout_has("Apply complete! Resources: 1 added, 2 changed, 2 destroyed.");
    // Terraform 1.15's order: the removed subnet, the old vpc, the new vpc,
    // then the dependents' updates.
    let order = [
        "dev/net/terrace_data.subnet[\"b\"]: Destroying...",
        "dev/net/terrace_data.vpc: Destroying...",
        "dev/net/terrace_data.vpc: Creating...",
        "dev/net/terrace_data.subnet[\"a\"]: Modifying...",
        "dev/net/terrace_data.server: Modifying...",
    ];
    let lines: Vec<usize> = order.iter().map(|l| run.line_of(l)).collect();
    assert!(lines.windows(2).all(|w| w[0] < w[1]), "{}", run.stdout);
    p.run(&["plan", "--env", "dev", "--detailed-exitcode"])
        .success();
    let status = p.run(&["status"]).success();
    assert!(
        !status.stdout.contains("deploy_failed"),
        "{}",
        status.stdout
    );
}

#[test]
fn create_before_destroy_spreads_to_what_the_resource_depends_on() {
    let p = single(
        r#"variable "v" {
  type    = string
  default = "1"
}
resource "terrace_data" "vpc" {
  triggers_replace = var.v
}
resource "terrace_data" "subnet" {
  triggers_replace = terrace_data.vpc.id
  lifecycle {
    create_before_destroy = true
  }
}
"#,
    );
    p.apply();
    p.write(
        "project.hcl",
        "project \"t\" {}\nenvironment \"dev\" {}\nconfiguration \"main\" {\n  architecture = \"./arch\"\n  inputs = { v = \"2\" }\n}\n",
    );
    // The vpc has no lifecycle of its own, but the subnet's applies to it.
    let plan = p
        .run(&["plan", "--env", "dev"])
        .success()
        .stdout_has("Plan: 2 to add, 0 to change, 2 to destroy.");
    assert_eq!(plan.lines_with("+/- resource").len(), 2, "{}", plan.stdout);
    let run = p
        .run(&[
            "apply",
            "--env",
            "dev",
            "--auto-approve",
            "--parallelism",
            "1",
        ])
        .success();
    let vpc_new = run.line_of("dev/main/terrace_data.vpc: Creating...");
    let subnet_new = run.line_of("dev/main/terrace_data.subnet: Creating...");
    let subnet_old = run.line_of("dev/main/terrace_data.subnet (deposed): Destroying...");
    let vpc_old = run.line_of("dev/main/terrace_data.vpc (deposed): Destroying...");
    assert!(
        vpc_new < subnet_new && subnet_new < subnet_old && subnet_old < vpc_old,
        "{}",
        run.stdout
    );
    p.run(&["plan", "--env", "dev", "--detailed-exitcode"])
        .success();
}

/// One generated case, as `generate.py` writes it.
#[derive(serde::Deserialize)]
struct Case {
    name: String,
    step1: Step,
    step2: Step,
    terraform: Terraform,
}

#[derive(serde::Deserialize)]
struct Step {
    terrace: String,
}

#[derive(serde::Deserialize)]
struct Terraform {
    step1: Option<Counts>,
    step2: Option<Counts>,
    /// Pairs (a, b): Terraform's apply graph runs a before b.
    order: Vec<(String, String)>,
    /// Terraform refused step 2 (e.g. a cycle).
    error: Option<String>,
}

#[derive(serde::Deserialize, Debug, PartialEq, Clone, Copy)]
struct Counts {
    add: usize,
    change: usize,
    destroy: usize,
}

fn counts(text: &str, prefix: &str) -> Option<Counts> {
    if text.contains("No changes.") {
        return Some(Counts {
            add: 0,
            change: 0,
            destroy: 0,
        });
    }
    let line = text.lines().find_map(|l| l.strip_prefix(prefix))?;
    let n: Vec<usize> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .filter_map(|s| s.parse().ok())
        .collect();
    (n.len() >= 3).then(|| Counts {
        add: n[0],
        change: n[1],
        destroy: n[2],
    })
}

/// The operations of an apply run with `--parallelism 1`, in the order they
/// started, named as in `generate.py`: `terrace_data.r1[0]` for a create or
/// update, `terrace_data.r1[0] (destroy)` for a delete.
fn operations(stdout: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in stdout.lines() {
        let Some((addr, what)) = line.rsplit_once(": ") else {
            continue;
        };
        let addr = addr.strip_prefix("dev/main/").unwrap_or(addr);
        let addr = addr.strip_suffix(" (deposed)").unwrap_or(addr);
        match what {
            "Creating..." | "Modifying..." => out.push(addr.to_string()),
            "Destroying..." => out.push(format!("{addr} (destroy)")),
            _ => {}
        }
    }
    out
}

/// Runs one case; the error says what went wrong.
fn replay(case: &Case) -> Result<(), String> {
    let p = single(&case.step1.terrace);
    let run = p.run(&["apply", "--env", "dev", "--auto-approve"]);
    if run.code != 0 {
        return Err(format!(
            "step 1 apply failed:\n{}{}",
            run.stdout, run.stderr
        ));
    }
    let applied = counts(&run.stdout, "Apply complete! Resources: ");
    if applied != case.terraform.step1 {
        return Err(format!(
            "step 1: terrace applied {applied:?}, Terraform {:?}",
            case.terraform.step1
        ));
    }
    p.write("arch/main.hcl", &case.step2.terrace);
    let plan = p.run(&["plan", "--env", "dev", "--out", "step2.plan"]);
    if let Some(e) = &case.terraform.error {
        if plan.code == 0 {
            return Err(format!(
                "Terraform refused step 2 ({e}) but terrace planned it"
            ));
        }
        if p.exists("step2.plan") {
            return Err("a refused plan was written".into());
        }
        return Ok(());
    }
    if plan.code != 0 {
        return Err(format!("step 2 plan failed:\n{}", plan.stderr));
    }
    let planned = counts(&plan.stdout, "Plan: ");
    if planned != case.terraform.step2 {
        return Err(format!(
            "step 2: terrace plans {planned:?}, Terraform {:?}\n{}",
            case.terraform.step2, plan.stdout
        ));
    }
    let run = p.run(&["apply", "--env", "dev", "step2.plan", "--parallelism", "1"]);
    if run.code != 0 {
        return Err(format!(
            "step 2 apply failed:\n{}{}",
            run.stdout, run.stderr
        ));
    }
    let ops = operations(&run.stdout);
    let at = |op: &str| ops.iter().position(|o| o == op);
    for (a, b) in &case.terraform.order {
        match (at(a), at(b)) {
            (Some(i), Some(j)) if i < j => {}
            (Some(_), Some(_)) => {
                return Err(format!(
                    "terrace ran {b} before {a}, Terraform runs {a} first; terrace's order: {ops:?}"
                ));
            }
            _ => {
                return Err(format!(
                    "Terraform runs {a} before {b}, but terrace did not run both: {ops:?}"
                ));
            }
        }
    }
    let again = p.run(&["plan", "--env", "dev", "--detailed-exitcode"]);
    if again.code != 0 {
        return Err(format!(
            "the plan after step 2 is not empty:\n{}",
            again.stdout
        ));
    }
    Ok(())
}

#[test]
fn generated_changes_apply_as_terraform_applies_them() {
    let path = repo().join("testdata/ordering/cases.jsonl");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let cases: Vec<Case> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("a case"))
        .collect();
    assert!(cases.len() >= 200, "only {} cases", cases.len());
    let next = AtomicUsize::new(0);
    let failures: Mutex<Vec<String>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(case) = cases.get(i) else { break };
                    if let Err(e) = replay(case) {
                        failures
                            .lock()
                            .expect("lock")
                            .push(format!("{}: {e}", case.name));
                    }
                }
            });
        }
    });
    let mut failures = failures.into_inner().expect("lock");
    failures.sort();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

/// Terraform 1.15 answers these definitions with a `Cycle` error: `r0` is
/// replaced first-delete-then-create, while `r1`, removed, was
/// create-before-destroy (spread from `r2`) and so waits for `r2`'s update,
/// which waits for the old `r0` to go.
const CYCLE_STEP1: &str = r#"resource "terrace_data" "r0" {
  input = { lit = "v0" }
}

resource "terrace_data" "r1" {
  input = { r0 = terrace_data.r0.id }
}

resource "terrace_data" "r2" {
  input = { r1 = terrace_data.r1.id }
  lifecycle {
    create_before_destroy = true
  }
}
"#;

const CYCLE_STEP2: &str = r#"resource "terrace_data" "r0" {
  triggers_replace = "t1"
  input            = { lit = "v0" }
}

resource "terrace_data" "r2" {
  input = { lit = "v0" }
  lifecycle {
    create_before_destroy = true
  }
}
"#;

#[test]
fn plan_refuses_changes_that_cannot_be_ordered_and_writes_no_plan_file() {
    let p = single(CYCLE_STEP1);
    p.apply();
    p.write("arch/main.hcl", CYCLE_STEP2);
    p.run(&["plan", "--env", "dev", "--out", "cycle.plan"])
        .code(1)
        .stderr_has("plan::order")
        .stderr_has("the changes cannot be ordered")
        .stderr_has("delete main/terrace_data.r1")
        .stderr_has("create_before_destroy = true");
    assert!(!p.exists("cycle.plan"));
    // apply plans first: it refuses the same way and changes nothing.
    p.run(&["apply", "--env", "dev", "--auto-approve"])
        .code(1)
        .stderr_has("plan::order");
    let status = p.run(&["status"]).success();
    assert!(
        !status.stdout.contains("deploy_failed"),
        "{}",
        status.stdout
    );
    // The fix the message suggests works.
    p.write(
        "arch/main.hcl",
        &CYCLE_STEP2.replacen(
            "  triggers_replace = \"t1\"\n",
            "  triggers_replace = \"t1\"\n  lifecycle {\n    create_before_destroy = true\n  }\n",
            1,
        ),
    );
    p.apply()
        .stdout_has("Apply complete! Resources: 1 added, 1 changed, 2 destroyed.");
    p.run(&["plan", "--env", "dev", "--detailed-exitcode"])
        .success();
}
