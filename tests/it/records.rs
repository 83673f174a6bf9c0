//! Records that cannot destroy the wrong things: state, backups, saved
//! plans, exports and the project's records refuse what is not theirs.

use crate::harness::{Project, Run, single};

/// Two environments, `dev` and `prod`, of one configuration `main`, and
/// a second configuration `other`; each applied once.
fn two_envs() -> Project {
    let p = Project::new()
        .file(
            "project.hcl",
            "project \"t\" {}\nenvironment \"dev\" {}\nenvironment \"prod\" {}\n\
             configuration \"main\" {\n  architecture = \"./arch\"\n}\n\
             configuration \"other\" {\n  architecture = \"./arch\"\n}\n",
        )
        .file(
            "arch/main.hcl",
            "resource \"terrace_data\" \"a\" {\n  input = \"v1\"\n}\n",
        );
    for env in ["dev", "prod"] {
        p.run(&["apply", "--env", env, "--auto-approve"]).success();
    }
    p
}

fn copy(p: &Project, from: &str, to: &str) {
    std::fs::copy(p.path(from), p.path(to)).expect("copy");
}

/// A project of one environment `dev` and one configuration `main`,
/// applied once: its state has no backup yet, only `main.lineage`.
fn applied_once() -> Project {
    let p = single("resource \"terrace_data\" \"a\" {\n  input = \"v1\"\n}\n");
    p.apply();
    p
}

/// Puts the dev/main state of another project (the same environment and
/// configuration names) in place of `p`'s, and plans: which is refused.
fn plan_with_another_projects_state(p: &Project) -> Run {
    let state = ".terrace/envs/dev/main.state.json";
    std::fs::copy(applied_once().path(state), p.path(state)).expect("copy");
    p.run(&["plan", "--env", "dev"])
        .code(1)
        .stderr_has("is not the lineage")
}

#[test]
fn state_file_of_another_environment_is_refused() {
    let p = two_envs();
    copy(
        &p,
        ".terrace/envs/prod/main.state.json",
        ".terrace/envs/dev/main.state.json",
    );
    p.run(&["apply", "--env", "dev", "--auto-approve"])
        .code(1)
        .stderr_has(".terrace/envs/dev/main.state.json cannot be used")
        .stderr_has("it is the state of environment \"prod\", not \"dev\"");
    p.run(&["plan", "--env", "dev"])
        .code(1)
        .stderr_has("environment \"prod\"");
}

#[test]
fn state_file_of_another_configuration_is_refused() {
    let p = two_envs();
    copy(
        &p,
        ".terrace/envs/dev/other.state.json",
        ".terrace/envs/dev/main.state.json",
    );
    p.run(&["plan", "--env", "dev"])
        .code(1)
        .stderr_has("main.state.json cannot be used")
        .stderr_has("configuration \"other\", not \"main\"");
}

#[test]
fn state_file_of_another_lineage_is_refused() {
    let p = two_envs();
    // A second apply so that dev/main has a backup: its history.
    p.write(
        "arch/main.hcl",
        "resource \"terrace_data\" \"a\" {\n  input = \"v2\"\n}\n",
    );
    p.apply();
    plan_with_another_projects_state(&p)
        .stderr_has("Restore the newest with: terrace state restore --env dev 1");
}

#[test]
fn state_file_of_another_lineage_is_refused_after_the_first_apply_with_no_backup_yet() {
    let p = applied_once();
    assert!(!p.exists(".terrace/envs/dev/main.1.backup.json"));
    plan_with_another_projects_state(&p);
}

#[test]
fn restore_of_a_backup_of_another_environment_is_refused_and_changes_nothing() {
    let p = two_envs();
    p.write(
        "arch/main.hcl",
        "resource \"terrace_data\" \"a\" {\n  input = \"v2\"\n}\n",
    );
    p.apply();
    // prod's state, put where dev's backup of serial 1 was.
    copy(
        &p,
        ".terrace/envs/prod/main.state.json",
        ".terrace/envs/dev/main.1.backup.json",
    );
    let before = p.read(".terrace/envs/dev/main.state.json");
    p.run(&["state", "restore", "--env", "dev", "1"])
        .code(1)
        .stderr_has("main.1.backup.json cannot be restored")
        .stderr_has("environment \"prod\", not \"dev\"")
        .stderr_has("nothing was changed");
    assert_eq!(p.read(".terrace/envs/dev/main.state.json"), before);
}

#[test]
fn failed_restore_leaves_a_damaged_state_in_place() {
    let p = single("resource \"terrace_data\" \"a\" {\n  input = \"v1\"\n}\n");
    p.apply();
    p.write(
        "arch/main.hcl",
        "resource \"terrace_data\" \"a\" {\n  input = \"v2\"\n}\n",
    );
    p.apply();
    // Both the current state and its only backup are damaged.
    for f in ["main.state.json", "main.1.backup.json"] {
        let path = format!(".terrace/envs/dev/{f}");
        let text = p.read(&path).replace("\"v", "\"w");
        p.write(&path, &text);
    }
    p.run(&["state", "restore", "--env", "dev", "1"])
        .code(1)
        .stderr_has("main.1.backup.json cannot be restored")
        .stderr_has("checksum does not match");
    assert!(
        p.exists(".terrace/envs/dev/main.state.json"),
        "the damaged state stays where it is"
    );
    // So every command keeps refusing instead of recreating everything.
    p.run(&["apply", "--env", "dev", "--auto-approve"])
        .code(1)
        .stderr_has("main.state.json cannot be used");
}

/// Rewrites an export's `project` with `edit` and gives it a matching
/// checksum, as a careless tool (or a person) would.
fn edit_export(text: &str, edit: impl FnOnce(&mut serde_json::Value)) -> String {
    use sha2::Digest;
    let mut doc: serde_json::Value = serde_json::from_str(text).expect("export is JSON");
    edit(&mut doc["project"]);
    let body = serde_json::to_string(&doc["project"]).expect("json");
    doc["checksum"] = format!("{:x}", sha2::Sha256::digest(body.as_bytes())).into();
    serde_json::to_string_pretty(&doc).expect("json")
}

#[test]
fn import_of_an_export_with_another_environments_state_is_refused() {
    let p = two_envs();
    let text = p.run(&["export"]).success().stdout;
    let edited = edit_export(&text, |project| {
        let prod = project["environments"]["prod"]["state"]["main"].clone();
        project["environments"]["dev"]["state"]["main"] = prod;
    });
    import_refuses_the_state_of_dev_main(&edited, "environment \"prod\", not \"dev\"");
}

/// Imports `export` into a new directory: refused, because of `cause` in
/// dev/main's state, before anything is written.
fn import_refuses_the_state_of_dev_main(export: &str, cause: &str) {
    let q = Project::new().file("project.json", export);
    q.run(&["import", "project.json"])
        .code(1)
        .stderr_has("the state of dev/main is refused")
        .stderr_has(cause);
    assert!(!q.exists(".terrace"), "nothing was written");
}

/// Edits a saved plan's JSON with `edit` and, when `reseal`, gives it the
/// checksum of its new content, as a deliberate editor would.
fn edit_plan(p: &Project, path: &str, reseal: bool, edit: impl FnOnce(&str) -> String) {
    let text = edit(&p.read(path));
    let text = if reseal {
        crate::harness::reseal_plan(&text)
    } else {
        text
    };
    p.write(path, &text);
}

fn plan_with_an_update_and_a_create() -> Project {
    let p = single("resource \"terrace_data\" \"a\" {\n  input = \"v1\"\n}\n");
    p.apply();
    p.write(
        "arch/main.hcl",
        "resource \"terrace_data\" \"a\" {\n  input = \"v2\"\n}\n\
         resource \"terrace_data\" \"b\" {\n  input = \"new\"\n}\n",
    );
    p.run(&["plan", "--env", "dev", "--out", "p.plan"])
        .success();
    p
}

#[test]
fn saved_plan_with_an_edited_action_is_refused_before_anything_runs() {
    let p = plan_with_an_update_and_a_create();
    let before = p.read(".terrace/envs/dev/main.state.json");
    edit_plan(&p, "p.plan", true, |t| {
        t.replacen("\"action\": \"update\"", "\"action\": \"delete\"", 1)
    });
    p.run(&["apply", "--env", "dev", "p.plan"])
        .code(1)
        .stderr_has("does not match a plan of its definitions and state made now")
        .stderr_has("Nothing was changed");
    assert_eq!(p.read(".terrace/envs/dev/main.state.json"), before);
}

#[test]
fn saved_plan_with_an_edited_value_is_refused_before_anything_runs() {
    let p = plan_with_an_update_and_a_create();
    let before = p.read(".terrace/envs/dev/main.state.json");
    edit_plan(&p, "p.plan", true, |t| t.replace("\"new\"", "\"other\""));
    p.run(&["apply", "--env", "dev", "p.plan"])
        .code(1)
        .stderr_has("does not match a plan");
    assert_eq!(p.read(".terrace/envs/dev/main.state.json"), before);
}

#[test]
fn saved_plan_that_fails_its_checksum_is_refused() {
    let p = plan_with_an_update_and_a_create();
    edit_plan(&p, "p.plan", false, |t| {
        t.replacen("\"action\": \"update\"", "\"action\": \"delete\"", 1)
    });
    p.run(&["apply", "--env", "dev", "p.plan"])
        .code(1)
        .stderr_has("cannot use the plan p.plan: its checksum does not match its content");
    p.run(&["show", "p.plan"]).code(1).stderr_has("checksum");
}

#[test]
fn saved_plan_made_with_replace_and_target_still_applies() {
    let p = plan_with_an_update_and_a_create();
    p.run(&[
        "plan",
        "--env",
        "dev",
        "--replace",
        "main/terrace_data.a",
        "--target",
        "main/terrace_data.a",
        "--out",
        "r.plan",
    ])
    .success();
    p.run(&["apply", "--env", "dev", "r.plan"])
        .success()
        .stdout_has("1 added, 0 changed, 1 destroyed");
}

fn applied_twice() -> Project {
    let p = single("resource \"terrace_data\" \"a\" {\n  input = \"v1\"\n}\n");
    p.apply();
    p.write(
        "arch/main.hcl",
        "resource \"terrace_data\" \"a\" {\n  input = \"v2\"\n}\n",
    );
    p.apply();
    p
}

#[test]
fn deleted_state_file_with_backups_is_not_recreated_without_allow_recreate() {
    let p = applied_twice();
    std::fs::remove_file(p.path(".terrace/envs/dev/main.state.json")).expect("rm");
    p.run(&["apply", "--env", "dev", "--auto-approve"])
        .code(1)
        .stderr_has("the state of configuration(s) main in environment \"dev\" is missing")
        .stderr_has("Restore it with: terrace state restore --env dev 1")
        .stderr_has("--allow-recreate");
    assert!(!p.exists(".terrace/envs/dev/main.state.json"));
    p.run(&["plan", "--env", "dev"])
        .success()
        .stderr_has("terrace apply refuses this plan without --allow-recreate")
        .stdout_has("1 to add");
    p.run(&[
        "apply",
        "--env",
        "dev",
        "--auto-approve",
        "--allow-recreate",
    ])
    .success()
    .stdout_has("1 added");
    // The new state continues the history of the backups.
    p.run(&["plan", "--env", "dev"])
        .success()
        .stdout_has("No changes.");
}

#[test]
fn deleted_state_while_release_says_deployed_is_not_recreated() {
    let p = single("resource \"terrace_data\" \"a\" {\n  input = \"v1\"\n}\n");
    p.apply();
    std::fs::remove_file(p.path(".terrace/envs/dev/main.state.json")).expect("rm");
    p.run(&["apply", "--env", "dev", "--auto-approve"])
        .code(1)
        .stderr_has("environment \"dev\" has no state file")
        .stderr_has("release.json says an apply by tester wrote its state (serial 1)");
    p.run(&[
        "apply",
        "--env",
        "dev",
        "--auto-approve",
        "--allow-recreate",
    ])
    .success();
}

fn lineage(p: &Project) -> String {
    let v: serde_json::Value =
        serde_json::from_str(&p.read(".terrace/envs/dev/main.state.json")).expect("json");
    v["state"]["lineage"].as_str().expect("lineage").to_string()
}

#[test]
fn journal_without_its_begin_line_is_refused_not_dropped() {
    let p = single("resource \"terrace_data\" \"a\" {\n  input = \"v1\"\n}\n");
    p.apply();
    let done = "{\"kind\":\"done\",\"address\":\"main/terrace_data.b\",\"action\":\"create\",\"attributes\":{\"input\":\"x\"}}\n";
    p.write(".terrace/envs/dev/journal.jsonl", &done.repeat(3));
    p.run(&["plan", "--env", "dev"])
        .code(1)
        .stderr_has("journal.jsonl")
        .stderr_has("it has no `begin` line")
        .stderr_has("3 record(s)");
    assert!(p.exists(".terrace/envs/dev/journal.jsonl"), "kept");
}

#[test]
fn crash_warning_says_the_plan_creates_an_unfinished_create_again() {
    let p = single("resource \"terrace_data\" \"a\" {\n  input = \"v1\"\n}\n");
    p.apply();
    p.write(
        "arch/main.hcl",
        "resource \"terrace_data\" \"a\" {\n  input = \"v1\"\n}\n\
         resource \"terrace_data\" \"b\" {\n  input = \"v1\"\n}\n",
    );
    // An apply that started creating b and was killed.
    let begin = format!(
        "{{\"kind\":\"begin\",\"apply_id\":\"x\",\"time\":\"t\",\"base\":{{\"main\":{{\"serial\":1,\"lineage\":\"{}\"}}}}}}\n",
        lineage(&p)
    );
    let start = "{\"kind\":\"start\",\"address\":\"main/terrace_data.b\",\"action\":\"create\",\"time\":\"t1\"}\n";
    p.write(
        ".terrace/envs/dev/journal.jsonl",
        &format!("{begin}{start}"),
    );
    let run = p
        .run(&["plan", "--env", "dev"])
        .success()
        .stdout_has("1 to add");
    let warning = format!("{}{}", run.stdout, run.stderr);
    assert!(
        warning.contains("create of main/terrace_data.b started at t1")
            && warning.contains("This plan creates it again")
            && !warning.contains("treats it as recorded"),
        "{warning}"
    );
}

fn exported(p: &Project) -> String {
    p.run(&["export"]).success().stdout
}

#[test]
fn concurrent_imports_into_one_directory_let_only_one_succeed() {
    let p = two_envs();
    let text = exported(&p);
    for _ in 0..3 {
        let q = Project::new().file("project.json", &text);
        let first = q.spawn(&["import", "project.json"]);
        let second = q.spawn(&["import", "project.json"]);
        let (a, b) = (first.wait(), second.wait());
        let ok = [&a, &b].iter().filter(|r| r.code == 0).count();
        assert_eq!(
            ok, 1,
            "exactly one import succeeds:\n{}\n{}",
            a.stderr, b.stderr
        );
        q.run(&["audit", "--verify"]).success();
    }
}

#[test]
fn import_refuses_a_definitions_entry_pointing_into_the_records() {
    let p = two_envs();
    let edited = edit_export(&exported(&p), |project| {
        project["definitions"]
            .as_array_mut()
            .expect("definitions")
            .push(serde_json::json!({"path": ".terrace/envs/dev/main.state.json", "text": "{}"}));
    });
    let q = Project::new().file("project.json", &edited);
    q.run(&["import", "project.json"])
        .code(1)
        .stderr_has("\".terrace/envs/dev/main.state.json\" is in the project's records");
    assert!(!q.exists(".terrace"));
}

#[test]
fn import_refuses_an_export_whose_deployed_release_is_missing() {
    let p = two_envs();
    let edited = edit_export(&exported(&p), |project| {
        project["releases"] = serde_json::json!({});
    });
    let q = Project::new().file("project.json", &edited);
    q.run(&["import", "project.json"])
        .code(1)
        .stderr_has("runs release")
        .stderr_has("which the export does not hold");
    assert!(!q.exists(".terrace"));
}

#[test]
fn import_does_not_follow_a_symlink_in_the_target_directory() {
    let p = two_envs();
    let outside = tempfile::tempdir().expect("dir");
    let q = Project::new().file("project.json", &exported(&p));
    std::os::unix::fs::symlink(outside.path(), q.path("arch")).expect("symlink");
    q.run(&["import", "project.json"])
        .code(1)
        .stderr_has("arch is a symbolic link");
    assert_eq!(std::fs::read_dir(outside.path()).expect("dir").count(), 0);
    assert!(!q.exists(".terrace"));
}

#[test]
fn audit_appends_do_not_follow_a_symlinked_trail() {
    let p = single("resource \"terrace_data\" \"a\" {\n  input = \"v1\"\n}\n");
    p.apply();
    let outside = tempfile::tempdir().expect("dir");
    let target = outside.path().join("elsewhere.jsonl");
    std::fs::write(&target, "untouched\n").expect("write");
    std::fs::remove_file(p.path(".terrace/audit.jsonl")).expect("rm");
    std::os::unix::fs::symlink(&target, p.path(".terrace/audit.jsonl")).expect("symlink");
    p.run(&["plan", "--env", "dev"])
        .success()
        .stderr_has("the audit trail was not written")
        .stderr_has("it is a symbolic link");
    assert_eq!(
        std::fs::read_to_string(&target).expect("read"),
        "untouched\n"
    );
}

#[test]
fn file_resource_may_not_write_the_records_or_the_definitions() {
    for path in [
        ".terrace/envs/dev/main.state.json",
        "project.hcl",
        "arch/main.hcl",
    ] {
        let p = single(&format!(
            "resource \"file\" \"f\" {{\n  path    = \"{path}\"\n  content = \"x\"\n}}\n"
        ));
        let before = p.read("project.hcl");
        p.run(&["apply", "--env", "dev", "--auto-approve"])
            .code(1)
            .stderr_has("may not write");
        assert_eq!(p.read("project.hcl"), before);
    }
}

#[test]
fn damaged_lifecycle_gives_a_hint_and_the_refused_apply_keeps_no_release() {
    let p = applied_twice();
    let releases = || {
        std::fs::read_dir(p.path(".terrace/releases"))
            .expect("releases")
            .count()
    };
    let before = releases();
    p.write(
        "arch/main.hcl",
        "resource \"terrace_data\" \"a\" {\n  input = \"v3\"\n}\n",
    );
    p.write(".terrace/envs/dev/lifecycle.json", "{ garbage");
    p.run(&["apply", "--env", "dev", "--auto-approve"])
        .code(1)
        .stderr_has(".terrace/envs/dev/lifecycle.json")
        .stderr_has("it is damaged")
        .stderr_has("move it aside");
    assert_eq!(releases(), before, "a refused apply keeps no release");
}

#[test]
fn garbage_audit_trail_is_reported_by_attention() {
    let p = single("resource \"terrace_data\" \"a\" {\n  input = \"v1\"\n}\n");
    p.apply();
    std::fs::write(
        p.path(".terrace/audit.jsonl"),
        [0xff, 0xfe, 0x00, b'\n', 0x80],
    )
    .expect("write");
    p.run(&["attention"])
        .success()
        .stdout_has("project.audit.broken")
        .stdout_has("the audit trail is not intact");
}

#[test]
fn imported_state_keeps_its_lineage_so_a_copied_state_file_is_still_refused() {
    let p = applied_once();
    let q = Project::new().file("project.json", &exported(&p));
    q.run(&["import", "project.json"]).success();
    assert_eq!(
        q.read(".terrace/envs/dev/main.lineage"),
        p.read(".terrace/envs/dev/main.lineage")
    );
    q.run(&["plan", "--env", "dev", "--detailed-exitcode"])
        .success()
        .stdout_has("No changes.");
    plan_with_another_projects_state(&q).stderr_has("main.state.json cannot be used");
}

#[test]
fn import_of_an_export_with_state_of_another_projects_lineage_is_refused() {
    let p = applied_once();
    let other = applied_once();
    let foreign = other.read(".terrace/envs/dev/main.state.json");
    let edited = edit_export(&exported(&p), |project| {
        project["environments"]["dev"]["state"]["main"] = foreign.into();
    });
    import_refuses_the_state_of_dev_main(&edited, "is not the lineage");
}

#[test]
fn export_of_an_unreadable_audit_trail_fails_with_its_path_and_cause() {
    let p = two_envs();
    let trail = p.path(".terrace/audit.jsonl");
    assert!(trail.is_file(), "the applies kept an audit trail");
    std::fs::remove_file(&trail).expect("remove the trail");
    std::fs::create_dir(&trail).expect("a directory in its place");
    p.run(&["export"])
        .code(1)
        .stderr_has(&format!("cannot read {}", trail.display()))
        .stderr_has("directory");
}

#[test]
fn import_goes_where_only_a_catalog_cache_is_and_writes_versions_that_verify() {
    let p = two_envs();
    let text = exported(&p);
    // A cache of catalog archives is not a record of the project.
    let q = Project::new()
        .file("project.json", &text)
        .file(".terrace/catalog/index.json", "{}");
    q.run(&["import", "project.json"]).success();
    for env in ["dev", "prod"] {
        q.run(&["plan", "--env", env, "--detailed-exitcode"])
            .success()
            .stdout_has("No changes.");
        // Each version as exported, byte for byte.
        assert_eq!(
            q.read(&format!(".terrace/envs/{env}/main.state.json")),
            p.read(&format!(".terrace/envs/{env}/main.state.json"))
        );
    }
    q.run(&["audit", "--verify"]).success();
    // Now it holds records: a second import is refused and changes nothing.
    q.run(&["import", "project.json"])
        .code(1)
        .stderr_has("exists already");
    q.run(&["audit", "--verify"]).success();
}

#[test]
fn an_import_that_fails_part_way_removes_what_it_wrote_and_can_run_again() {
    let p = two_envs();
    let text = exported(&p);
    // prod's lineage cannot be written (a directory is in the way): dev
    // is written first, then the import fails.
    let q = Project::new()
        .file("project.json", &text)
        .file(".terrace/envs/prod/main.lineage/x", "");
    q.run(&["import", "project.json"])
        .code(1)
        .stderr_has("main.lineage")
        .stderr_has("what the import wrote was removed");
    assert!(!q.exists(".terrace"), "the partial import is gone");
    assert!(!q.exists("project.hcl"), "its definitions too");
    q.run(&["import", "project.json"]).success();
    for env in ["dev", "prod"] {
        q.run(&["plan", "--env", env, "--detailed-exitcode"])
            .success()
            .stdout_has("No changes.");
    }
    q.run(&["audit", "--verify"]).success();
}

#[test]
fn an_import_writes_into_the_backend_its_imported_definitions_choose() {
    // A project kept in local files for now (TERRACE_BACKEND=local) whose
    // definitions choose PostgreSQL.
    let local = [("TERRACE_BACKEND", "local")];
    let p = Project::new()
        .file(
            "project.hcl",
            "project \"t\" {}\nbackend \"postgres\" {\n  url = env(\"SHOP_RECORDS_URL\")\n}\nenvironment \"dev\" {}\nconfiguration \"main\" {\n  architecture = \"./arch\"\n}\n",
        )
        .file(
            "arch/main.hcl",
            "resource \"terrace_data\" \"a\" {\n  input = \"v1\"\n}\n",
        );
    p.run_with(&["apply", "--env", "dev", "--auto-approve"], &local)
        .success();
    let text = p.run_with(&["export"], &local).success().stdout;
    // Into an empty directory the imported backend block decides: its
    // URL is not set, so nothing is written (it went to local files,
    // where the imported project would never look).
    let q = Project::new().file("project.json", &text);
    q.run(&["import", "project.json"])
        .code(1)
        .stderr_has("SHOP_RECORDS_URL")
        .stderr_has("nothing was written");
    assert!(!q.exists(".terrace"));
    assert!(!q.exists("project.hcl"));
    // TERRACE_BACKEND chooses for the import as for every command.
    q.run_with(&["import", "project.json"], &local).success();
    q.run_with(&["plan", "--env", "dev", "--detailed-exitcode"], &local)
        .success()
        .stdout_has("No changes.");
}
