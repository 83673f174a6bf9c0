//! Environments end to end on examples/shop: dev is applied, test and prod
//! receive dev's release by promotion, prod only with an approval; the
//! records (lifecycle, audit, export) and the credential's secrecy.
//!
//! The promotion tests run on local files and on PostgreSQL; the tests of
//! export, import, deletion, the audit file and secrets on disk read or
//! edit `.terrace/` and stay on local files.

use crate::harness::{Project, Run, Store, copy_dir, on_both_stores};
use std::path::Path;

on_both_stores!(
    releases_move_dev_to_test_to_prod_exactly_and_prod_needs_an_approval,
    a_failed_dev_apply_blocks_promotion_until_fixed,
    drift_in_the_source_blocks_promotion,
    state_copied_aside_is_not_needed_for_a_release,
    a_promotion_that_changes_nothing_still_moves_the_release,
    an_edited_plan_cannot_pass_for_a_promotion,
    an_architecture_outside_the_project_applies_but_cannot_be_promoted,
);

const KEY: &str = "shop-dev-key-4b1d9e0c7a";

fn shop() -> Project {
    shop_in(Store::Local)
}

fn shop_in(store: Store) -> Project {
    store.project(Project::copy_of("examples/shop"))
}

fn run(p: &Project, args: &[&str]) -> Run {
    p.run_with(args, &[("SHOP_DEV_API_KEY", KEY)])
}

/// Every file under `dir`, with its content.
fn all_files(dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    for e in std::fs::read_dir(dir).expect("read dir").flatten() {
        let path = e.path();
        if path.is_dir() {
            all_files(&path, out);
        } else {
            out.push((
                path.display().to_string(),
                std::fs::read(&path).unwrap_or_default(),
            ));
        }
    }
}

fn status(p: &Project) -> serde_json::Value {
    let out = run(p, &["status", "--json"]).success().stdout;
    serde_json::from_str(&out).expect("status --json is JSON")
}

fn stage(p: &Project, env: &str, config: &str) -> String {
    let s = status(p);
    let e = s["environments"]
        .as_array()
        .expect("environments")
        .iter()
        .find(|e| e["name"] == env)
        .expect("env");
    e["configurations"]
        .as_array()
        .expect("configurations")
        .iter()
        .find(|c| c["name"] == config)
        .expect("config")["stage"]
        .as_str()
        .expect("stage")
        .to_string()
}

fn releases_move_dev_to_test_to_prod_exactly_and_prod_needs_an_approval(store: Store) {
    let p = shop_in(store);
    run(&p, &["apply", "--env", "dev", "--auto-approve"]).success();
    assert!(p.read("out/dev/app.conf").contains("version 1.0.0"));
    assert_eq!(stage(&p, "dev", "app"), "deployed");

    // The working tree moves on after dev's apply: test must not see it.
    let text = p.read("project.hcl").replace("\"1.0.0\"", "\"2.0.0\"");
    p.write("project.hcl", &text);
    run(&p, &["apply", "--env", "test", "--auto-approve"])
        .code(1)
        .stderr_has("receives releases only by promotion from \"dev\"");
    run(&p, &["promote", "--from", "dev", "--to", "prod"])
        .code(1)
        .stderr_has("is promoted from \"test\", not \"dev\"");
    run(&p, &["promote", "--from", "test", "--to", "prod"])
        .code(1)
        .stderr_has("\"test\" has no release to promote");
    run(
        &p,
        &[
            "promote",
            "--from",
            "dev",
            "--to",
            "test",
            "--apply",
            "--auto-approve",
        ],
    )
    .success()
    .stdout_has("Apply complete!");
    let conf = p.read("out/test/app.conf");
    assert!(conf.contains("version 1.0.0"), "{conf}");
    assert!(
        conf.contains("replica shop-test-1"),
        "test's own inputs: {conf}"
    );
    assert_eq!(stage(&p, "test", "app"), "deployed");

    // The review copy, as a pull-request comment.
    let md = run(
        &p,
        &[
            "promote", "--from", "test", "--to", "prod", "--format", "markdown",
        ],
    )
    .success()
    .stdout;
    assert!(md.starts_with("<!-- terrace part 1/1 -->"), "{md}");
    // The headline names the project; a promotion says it is one and
    // which release (and from where) it carries.
    assert!(md.contains("**shop** · **prod**: 6 to add"), "{md}");
    assert!(
        md.contains("**Promotion** from **test**: release `"),
        "{md}"
    );

    // prod: only with an approval of the exact plan.
    run(
        &p,
        &[
            "promote",
            "--from",
            "test",
            "--to",
            "prod",
            "--apply",
            "--auto-approve",
        ],
    )
    .code(1)
    .stderr_has("requires an approval");
    run(
        &p,
        &[
            "promote",
            "--from",
            "test",
            "--to",
            "prod",
            "--out",
            "prod.plan",
        ],
    )
    .success()
    .stdout_has("requires approval");
    assert_eq!(stage(&p, "prod", "app"), "validated");
    run(&p, &["attention"])
        .success()
        .stdout_has("config.approval.pending")
        .stdout_has("terrace approve --env prod");
    run(&p, &["apply", "--env", "prod", "prod.plan"])
        .code(1)
        .stderr_has("has none");
    run(
        &p,
        &[
            "approve",
            "--env",
            "prod",
            "prod.plan",
            "--comment",
            "CAB-42",
        ],
    )
    .success();
    assert_eq!(stage(&p, "prod", "app"), "approved");
    // The same plan with one byte changed is not the plan approved.
    let altered = crate::harness::reseal_plan(&p.read("prod.plan").replacen(
        "\"format_version\"",
        " \"format_version\"",
        1,
    ));
    assert_ne!(altered, p.read("prod.plan"));
    p.write("altered.plan", &altered);
    run(&p, &["apply", "--env", "prod", "altered.plan"])
        .code(1)
        .stderr_has("is for another plan");
    run(&p, &["apply", "--env", "prod", "prod.plan"]).success();
    assert!(p.read("out/prod/app.conf").contains("version 1.0.0"));
    assert!(p.read("out/prod/app.conf").contains("replica shop-prod-2"));

    let s = status(&p);
    let releases: Vec<&str> = s["environments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            e["release"]["release"]
                .as_str()
                .expect("every env has a release")
        })
        .collect();
    assert!(releases.iter().all(|r| *r == releases[0]), "{releases:?}");
    for env in ["dev", "test", "prod"] {
        assert_eq!(stage(&p, env, "network"), "deployed");
    }
    // The working tree's change is pending for dev only.
    run(&p, &["attention"])
        .success()
        .stdout_has("config.defn.updated");
    run(&p, &["audit", "--verify"]).success();
    let audit = run(&p, &["audit", "--json"]).success().stdout;
    for action in [
        "project.config.deploy",
        "project.environment.promote",
        "project.config.approve",
    ] {
        assert!(audit.contains(action), "{action} missing:\n{audit}");
    }
    assert!(audit.contains("\"initiator\":\"tester\""));

    // prod cannot be undeployed without an approved plan: nothing is
    // destroyed anywhere when delete-project --destroy cannot finish.
    run(&p, &["delete-project", "--destroy", "--auto-approve"])
        .code(1)
        .stderr_has("prod: requires an approved plan");
    assert!(p.exists("out/dev/app.conf") && p.exists("out/test/app.conf"));
}

fn a_failed_dev_apply_blocks_promotion_until_fixed(store: Store) {
    let p = shop_in(store);
    run(&p, &["apply", "--env", "dev", "--auto-approve"]).success();
    // app.conf cannot be written: a directory stands in its way.
    let text = p.read("project.hcl").replace("\"1.0.0\"", "\"1.1.0\"");
    p.write("project.hcl", &text);
    std::fs::remove_file(p.path("out/dev/app.conf")).unwrap();
    std::fs::create_dir_all(p.path("out/dev/app.conf/blocked")).unwrap();
    run(&p, &["apply", "--env", "dev", "--auto-approve"]).code(1);
    assert_eq!(stage(&p, "dev", "app"), "deploy_failed");
    run(&p, &["attention", "--fail-on", "error"])
        .code(1)
        .stdout_has("config.deploy.failed");
    run(&p, &["promote", "--from", "dev", "--to", "test"])
        .code(1)
        .stderr_has("dev/app: deploy_failed");
    std::fs::remove_dir_all(p.path("out/dev/app.conf")).unwrap();
    run(&p, &["apply", "--env", "dev", "--auto-approve"]).success();
    run(&p, &["promote", "--from", "dev", "--to", "test"])
        .success()
        .stdout_has("Plan:");
}

fn drift_in_the_source_blocks_promotion(store: Store) {
    let p = shop_in(store);
    run(&p, &["apply", "--env", "dev", "--auto-approve"]).success();
    p.write("out/dev/network.json", "{\"edited\": true}");
    run(&p, &["promote", "--from", "dev", "--to", "test"])
        .code(1)
        .stderr_has("has drifted")
        .stderr_has("dev/network/file.inventory");
}

#[test]
fn the_credential_never_reaches_disk_plans_exports_or_output() {
    let p = shop();
    // test's credential comes from a file.
    let text = p.read("project.hcl").replace(
        "promote_from = \"dev\"\n",
        "promote_from = \"dev\"\n  authorization {\n    secret_file = \"secrets/test.key\"\n  }\n",
    );
    p.write("project.hcl", &text);
    let file_secret = "file-secret-93af0d21c5";
    p.write("secrets/test.key", &format!("{file_secret}\n"));

    // A missing credential stops everything before any change.
    p.run(&["apply", "--env", "dev", "--auto-approve"])
        .code(1)
        .stderr_has("SHOP_DEV_API_KEY");
    assert!(!p.exists("out"));

    let mut outputs = String::new();
    for args in [
        &["plan", "--env", "dev", "--out", "dev.plan"][..],
        &["apply", "--env", "dev", "dev.plan"],
        &[
            "promote",
            "--from",
            "dev",
            "--to",
            "test",
            "--out",
            "test.plan",
        ],
        &["apply", "--env", "test", "test.plan"],
        &["status"],
        &["attention"],
        &["audit"],
        &["export", "--output", "project.json"],
        &["show", "--env", "test"],
    ] {
        let r = p.run_with(args, &[("SHOP_DEV_API_KEY", KEY), ("TERRACE_LOG", "trace")]);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        outputs.push_str(&r.stdout);
        outputs.push_str(&r.stderr);
    }
    assert!(!outputs.contains(KEY) && !outputs.contains(file_secret));
    // The refusal is in the audit trail with its reason.
    let audit = run(&p, &["audit", "--json"]).success().stdout;
    assert!(audit.contains("env::authorization_missing"), "{audit}");
    let mut files = Vec::new();
    all_files(p.root(), &mut files);
    for (path, bytes) in files {
        if path.ends_with("secrets/test.key") {
            continue;
        }
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(KEY), "{path} holds the API key");
        assert!(
            !text.contains(file_secret),
            "{path} holds the secret file's content"
        );
    }
}

#[test]
fn audit_verify_names_the_first_edited_removed_or_moved_line() {
    let p = shop();
    run(&p, &["apply", "--env", "dev", "--auto-approve"]).success();
    for _ in 0..4 {
        run(&p, &["status"]).success();
    }
    run(&p, &["audit", "--verify"])
        .success()
        .stdout_has("5 event(s)");
    let path = ".terrace/audit.jsonl";
    let original = p.read(path);
    let lines: Vec<&str> = original.lines().collect();
    let write = |lines: Vec<String>| p.write(path, &(lines.join("\n") + "\n"));
    let owned = || lines.iter().map(|l| l.to_string()).collect::<Vec<_>>();

    let mut edited = owned();
    edited[2] = edited[2].replace("tester", "someone-else");
    write(edited);
    run(&p, &["audit", "--verify"])
        .code(1)
        .stderr_has("line 3:")
        .stderr_has("edited");

    let mut removed = owned();
    removed.remove(1);
    write(removed);
    run(&p, &["audit", "--verify"])
        .code(1)
        .stderr_has("line 2:");

    let mut swapped = owned();
    swapped.swap(3, 4);
    write(swapped);
    run(&p, &["audit", "--verify"])
        .code(1)
        .stderr_has("line 4:");

    let mut truncated = owned();
    truncated.pop();
    write(truncated);
    run(&p, &["audit", "--verify"])
        .code(1)
        .stderr_has("removed at its end");

    write(owned());
    run(&p, &["audit", "--verify"]).success();

    // Removing the whole trail is not undone by the next command.
    std::fs::remove_file(p.path(path)).unwrap();
    std::fs::remove_file(p.path(".terrace/audit.head")).unwrap();
    run(&p, &["status"]).success();
    run(&p, &["audit", "--verify"]).code(1);
    run(&p, &["attention", "--fail-on", "error"])
        .code(1)
        .stdout_has("project.audit.broken");
}

const DATA_ONLY: &str = r#"
project "data" {}
environment "dev" {}
environment "test" {
  promote_from = "dev"
}
configuration "core" {
  architecture = "./arch"
  inputs = { name = environment.name }
}
"#;

const DATA_ARCH: &str = r#"
variable "name" { type = string }
resource "terrace_data" "a" {
  input = { name = var.name }
}
resource "terrace_data" "b" {
  count = 3
  input = { a = terrace_data.a.id, i = count.index }
}
output "id" { value = terrace_data.a.id }
"#;

/// A project of `terrace_data` only, dev and test.
fn data_project() -> Project {
    data_project_in(Store::Local)
}

fn data_project_in(store: Store) -> Project {
    store.project(
        Project::new()
            .file("project.hcl", DATA_ONLY)
            .file("arch/main.hcl", DATA_ARCH),
    )
}

/// Promotes dev's release to test and applies it; must succeed.
fn promote_to_test(p: &Project) -> Run {
    p.run(&[
        "promote",
        "--from",
        "dev",
        "--to",
        "test",
        "--apply",
        "--auto-approve",
    ])
    .success()
}

#[test]
fn export_then_import_into_an_empty_directory_plans_no_changes() {
    let p = data_project();
    p.apply();
    promote_to_test(&p);
    p.run(&["export", "--output", "project.json"]).success();
    let stdout = p.run(&["export"]).success().stdout;
    let doc: serde_json::Value = serde_json::from_str(&stdout).expect("export is JSON");
    assert_eq!(doc["format_version"], 1);
    assert!(doc["project"]["environments"]["test"]["state"]["core"].is_string());

    let q = Project::new();
    std::fs::copy(p.path("project.json"), q.path("project.json")).unwrap();
    q.run(&["import", "project.json"]).success();
    q.run(&["plan", "--env", "dev", "--detailed-exitcode"])
        .success()
        .stdout_has("No changes.");
    // test's release came along: promoting again changes nothing.
    q.run(&[
        "promote",
        "--from",
        "dev",
        "--to",
        "test",
        "--detailed-exitcode",
    ])
    .success()
    .stdout_has("No changes.");
    q.run(&["audit", "--verify"]).success();
    // A second import would overwrite records: refused.
    q.run(&["import", "project.json"])
        .code(1)
        .stderr_has("exists");
}

#[test]
fn import_refuses_damaged_and_newer_exports() {
    let p = data_project();
    p.apply();
    p.run(&["export", "--output", "project.json"]).success();
    let text = p.read("project.json");

    let q = Project::new();
    q.write("damaged.json", &text.replacen("\"dev\"", "\"dex\"", 1));
    q.run(&["import", "damaged.json"])
        .code(1)
        .stderr_has("checksum does not match");
    q.write(
        "newer.json",
        &text.replacen("\"format_version\": 1", "\"format_version\": 99", 1),
    );
    q.run(&["import", "newer.json"])
        .code(1)
        .stderr_has("newer than this terrace reads");
    q.write("cut.json", &text[..text.len() / 2]);
    q.run(&["import", "cut.json"])
        .code(1)
        .stderr_has("cannot import");
    assert!(!q.exists(".terrace"), "a refused import writes nothing");
}

#[test]
fn delete_project_refuses_while_deployed_and_destroys_in_reverse_order() {
    let p = data_project();
    p.apply();
    promote_to_test(&p);
    p.run(&["delete-project", "--auto-approve"])
        .code(1)
        .stderr_has("test/core/terrace_data.a")
        .stderr_has("dev/core/terrace_data.a");
    assert!(p.exists(".terrace/envs/dev"));
    let r = p
        .run(&[
            "delete-project",
            "--destroy",
            "--auto-approve",
            "--output",
            "final.json",
        ])
        .success();
    assert!(
        r.line_of("Undeploying environment test") < r.line_of("Undeploying environment dev"),
        "{}",
        r.stdout
    );
    assert!(!p.exists(".terrace"));
    let doc: serde_json::Value = serde_json::from_str(&p.read("final.json")).unwrap();
    let audit = doc["project"]["audit"].as_array().unwrap();
    assert!(
        audit
            .iter()
            .any(|l| l.as_str().unwrap().contains("project.project.delete"))
    );
}

#[test]
fn status_and_attention_report_pending_promotions_and_stale_locks() {
    let p = data_project();
    run(&p, &["status"]).success().stdout_has("draft");
    p.apply();
    let r = run(&p, &["attention", "--json"]).success();
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let items = doc["items"].as_array().unwrap();
    assert!(items.iter().any(|i| i["code"] == "env.promotion.pending"
        && i["target"] == "test"
        && i["command"] == "terrace promote --from dev --to test"));
    // A lock left by a process that is gone.
    p.write(
        ".terrace/envs/dev/lock",
        r#"{"id":"x","pid":999999,"host":"h","user":"u","command":"terrace apply","created_at":"2026-01-01T00:00:00Z"}"#,
    );
    run(&p, &["attention", "--fail-on", "error"])
        .code(1)
        .stdout_has("env.lock.stale")
        .stdout_has("terrace state unlock --env dev");
    run(&p, &["attention", "--fail-on", "error", "--json"]).code(1);
    // A damaged journal: every command refuses it, and attention says so.
    run(&p, &["state", "unlock", "--env", "dev"]).success();
    p.write(".terrace/envs/dev/journal.jsonl", "not a record\n");
    run(&p, &["plan", "--env", "dev"])
        .code(1)
        .stderr_has("line 1 is damaged");
    run(&p, &["attention", "--fail-on", "error"])
        .code(1)
        .stdout_has("env.journal.unreadable")
        .stdout_has("journal.jsonl: line 1 is damaged");
}

fn state_copied_aside_is_not_needed_for_a_release(store: Store) {
    // A release is kept in the records: removing the working tree's
    // architecture after dev's apply does not stop the promotion.
    let p = data_project_in(store);
    p.apply();
    let aside = tempfile::tempdir().unwrap();
    copy_dir(&p.path("arch"), aside.path());
    std::fs::remove_dir_all(p.path("arch")).unwrap();
    promote_to_test(&p).stdout_has("4 added");
}

fn a_promotion_that_changes_nothing_still_moves_the_release(store: Store) {
    let p = data_project_in(store);
    p.apply();
    promote_to_test(&p);
    // A comment changes the definitions, not the objects.
    p.write("arch/main.hcl", &format!("# reviewed\n{DATA_ARCH}"));
    p.apply().stdout_has("No changes.");
    p.run(&["attention"])
        .success()
        .stdout_has("env.promotion.pending");
    promote_to_test(&p).stdout_has("No changes.");
    p.run(&["attention"])
        .success()
        .stdout_has("Nothing needs attention.");
}

#[test]
fn attention_lists_a_newer_catalog_version_with_the_upgrade_command() {
    let p = Project::copy_of("examples/catalog");
    let r = p.run(&["attention", "--json"]).success();
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let item = doc["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == "config.version.available")
        .unwrap_or_else(|| panic!("no version item: {}", r.stdout));
    assert_eq!(item["target"], "dev/site");
    assert_eq!(item["command"], "terrace upgrade site");
    assert!(item["message"].as_str().unwrap().contains("1.1.0"));
    p.run(&["upgrade", "site"]).success();
    let r = p.run(&["attention", "--json"]).success();
    assert!(
        !r.stdout.contains("config.version.available"),
        "{}",
        r.stdout
    );
}

fn an_edited_plan_cannot_pass_for_a_promotion(store: Store) {
    let p = data_project_in(store);
    p.apply();
    // A working-tree plan of test, dressed up as a promotion from dev.
    p.run(&["plan", "--env", "test", "--out", "wt.plan"])
        .success()
        .stdout_has("terrace promote --from dev --to test");
    let forged = crate::harness::reseal_plan(&p.read("wt.plan").replacen(
        "{",
        "{\n  \"promoted_from\": \"dev\",",
        1,
    ));
    p.write("forged.plan", &forged);
    p.run(&["approve", "--env", "test", "forged.plan", "--comment", "x"])
        .code(1)
        .stderr_has("names no release");
    p.run(&["apply", "--env", "test", "forged.plan"])
        .code(1)
        .stderr_has("names no release");
    // A destroy plan of test dressed up, hashes and all, as a promotion
    // of the release dev runs: its changes are not the release's.
    promote_to_test(&p);
    p.run(&["plan", "--env", "test", "--destroy", "--out", "d.plan"])
        .success();
    let status: serde_json::Value =
        serde_json::from_str(&p.run(&["status", "--json"]).success().stdout).unwrap();
    let release = status["environments"][0]["release"]["release"].clone();
    let mut forged: serde_json::Value = serde_json::from_str(&p.read("d.plan")).unwrap();
    forged["destroy"] = false.into();
    forged["promoted_from"] = "dev".into();
    forged["release"] = release.clone();
    forged["definitions_hash"] = release;
    p.write(
        "d2.plan",
        &crate::harness::reseal_plan(&serde_json::to_string_pretty(&forged).unwrap()),
    );
    p.run(&["apply", "--env", "test", "d2.plan"])
        .code(1)
        .stderr_has("does not match a plan of release");
    let test_state = p.run(&["state", "list", "--env", "test"]).success().stdout;
    assert_eq!(
        test_state.lines().count(),
        4,
        "nothing was destroyed:\n{test_state}"
    );

    // A real promotion plan, made before dev moved on, is refused after.
    p.run(&[
        "promote", "--from", "dev", "--to", "test", "--out", "old.plan",
    ])
    .success();
    p.write("arch/main.hcl", &format!("# v2\n{DATA_ARCH}"));
    p.apply();
    p.run(&["apply", "--env", "test", "old.plan"])
        .code(1)
        .stderr_has("runs release");
}

fn an_architecture_outside_the_project_applies_but_cannot_be_promoted(store: Store) {
    let shared = tempfile::tempdir().unwrap();
    std::fs::write(shared.path().join("main.hcl"), DATA_ARCH).unwrap();
    let project = DATA_ONLY.replace("\"./arch\"", &format!("\"{}\"", shared.path().display()));
    let p = store.project(Project::new().file("project.hcl", &project));
    p.apply().stderr_has("will have no release to promote");
    p.run(&["promote", "--from", "dev", "--to", "test"])
        .code(1)
        .stderr_has("no release to promote");
}

#[test]
fn one_environment_imports_into_an_existing_project() {
    let p = data_project();
    p.apply();
    promote_to_test(&p);
    p.run(&["export", "--output", "project.json"]).success();

    // Another copy of the project that has run dev only.
    let q = data_project();
    q.apply();
    std::fs::copy(p.path("project.json"), q.path("project.json")).unwrap();
    q.run(&["import", "project.json", "--env", "dev"])
        .code(1)
        .stderr_has("already has records");
    q.run(&["import", "project.json", "--env", "test"])
        .success();
    q.run(&["plan", "--env", "test", "--detailed-exitcode"])
        .success()
        .stdout_has("No changes.");
    let status: serde_json::Value =
        serde_json::from_str(&q.run(&["status", "--json"]).success().stdout).unwrap();
    assert_eq!(status["environments"][1]["name"], "test");
    assert_eq!(
        status["environments"][1]["configurations"][0]["stage"],
        "deployed"
    );
    // The audit trail tells who did it, filtered by environment and time.
    let audit = q
        .run(&["audit", "--env", "test", "--since", "1h", "--json"])
        .success()
        .stdout;
    assert!(audit.contains("project.project.import"), "{audit}");
    assert!(!audit.contains("\"environment\":\"dev\""), "{audit}");
    let future = q
        .run(&["audit", "--since", "2999-01-01", "--json"])
        .success()
        .stdout;
    assert!(future.trim().is_empty(), "{future}");
}
