//! State: versions, backups, restore and repair commands on local files and
//! on PostgreSQL, and the local files' format. Tests that read or damage
//! `.terrace/` files are local by nature and say so; what they prove about
//! every store is checked through commands in a test on both.

use crate::harness::{Project, Store, on_both_stores, single};

on_both_stores!(
    each_version_has_a_serial_and_lineage_and_apply_leaves_no_lock,
    backups_list_and_restore_goes_back_with_a_new_serial,
    backups_are_listed_newest_first_with_their_serials,
    state_rm_forgets_without_deleting,
);

fn versions(n: usize) -> Project {
    versions_in(Store::Local, n)
}

/// `n` applies, each a new version of `main/terrace_data.a`.
fn versions_in(store: Store, n: usize) -> Project {
    let p = store.project(single(
        "resource \"terrace_data\" \"a\" {\n  input = \"v1\"\n}\n",
    ));
    p.apply();
    for v in 2..=n {
        p.write(
            "arch/main.hcl",
            &format!("resource \"terrace_data\" \"a\" {{\n  input = \"v{v}\"\n}}\n"),
        );
        p.apply();
    }
    p
}

/// The serials `state backups` lists, in its order, for configuration `main`.
fn backup_serials(p: &Project) -> Vec<u64> {
    p.run(&["state", "backups", "--env", "dev"])
        .success()
        .stdout
        .lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            let serial = words.next()?.parse().ok()?;
            (words.next()? == "main").then_some(serial)
        })
        .collect()
}

fn each_version_has_a_serial_and_lineage_and_apply_leaves_no_lock(store: Store) {
    let p = versions_in(store, 2);
    let shown = p
        .run(&["show", "--env", "dev", "--format", "json"])
        .success()
        .stdout;
    let v: serde_json::Value = serde_json::from_str(&shown).expect("json");
    let main = &v["terrace"]["configurations"]["main"];
    assert_eq!(main["serial"], 2, "{shown}");
    assert_eq!(main["lineage"].as_str().expect("lineage").len(), 36);
    p.run(&["state", "unlock", "--env", "dev"])
        .success()
        .stdout_has("is not locked");
    let list = p.run(&["state", "list", "--env", "dev"]).success();
    assert_eq!(list.stdout, "main/terrace_data.a\n");
    assert!(
        !list.stderr.contains("journal"),
        "the journal ends with the apply\n{}",
        list.stderr
    );
}

// Local by nature: reads the state file itself.
#[test]
fn state_files_carry_format_serial_lineage_and_checksum() {
    let p = versions(2);
    let text = p.read(".terrace/envs/dev/main.state.json");
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(v["format_version"], 1);
    assert!(
        v["checksum"]
            .as_str()
            .expect("checksum")
            .starts_with("sha256:")
    );
    assert_eq!(v["state"]["serial"], 2);
    assert_eq!(v["state"]["lineage"].as_str().expect("lineage").len(), 36);
    assert!(p.exists(".terrace/envs/dev/main.1.backup.json"));
    assert!(
        !p.exists(".terrace/envs/dev/journal.jsonl"),
        "the journal is removed after apply"
    );
    assert!(!p.exists(".terrace/envs/dev/lock"), "the lock is released");
}

fn backups_list_and_restore_goes_back_with_a_new_serial(store: Store) {
    let p = versions_in(store, 3);
    assert_eq!(backup_serials(&p), [2, 1]);
    p.run(&["state", "restore", "--env", "dev", "1"])
        .success()
        .stdout_has("main: restored the version of serial 1")
        .stdout_has("now serial 4");
    p.run(&["state", "show", "--env", "dev", "main/terrace_data.a"])
        .success()
        .stdout_has("input  = \"v1\"");
    // The version it replaced is itself a backup now.
    assert_eq!(backup_serials(&p), [3, 2, 1]);
    p.run(&["state", "restore", "--env", "dev", "99"])
        .code(1)
        .stderr_has("no backup with serial 99");
    p.run(&["plan", "--env", "dev"])
        .success()
        .stdout_has("~ input  = \"v1\" -> \"v3\"");
}

/// Local files keep the last twenty versions; a database keeps them all.
fn backups_are_listed_newest_first_with_their_serials(store: Store) {
    let p = versions_in(store, 24);
    let kept: Vec<u64> = match store {
        Store::Local => (4..=23).rev().collect(),
        Store::Postgres => (1..=23).rev().collect(),
    };
    assert_eq!(backup_serials(&p), kept);
    p.run(&[
        "state",
        "restore",
        "--env",
        "dev",
        &kept[kept.len() - 1].to_string(),
    ])
    .success()
    .stdout_has("now serial 25");
}

// Local by nature: counts the backup files.
#[test]
fn only_the_last_twenty_backups_are_kept() {
    let p = versions(24);
    let backups = std::fs::read_dir(p.path(".terrace/envs/dev"))
        .expect("dir")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".backup.json"))
        })
        .count();
    assert_eq!(backups, 20);
    assert!(p.exists(".terrace/envs/dev/main.23.backup.json"));
    assert!(!p.exists(".terrace/envs/dev/main.3.backup.json"));
}

// Local by nature: TERRACE_BACKUPS is the local files' setting.
#[test]
fn terrace_backups_sets_how_many_are_kept() {
    let p = versions(2);
    for v in 3..=6 {
        p.write(
            "arch/main.hcl",
            &format!("resource \"terrace_data\" \"a\" {{\n  input = \"v{v}\"\n}}\n"),
        );
        let out = p
            .cmd(&["apply", "--env", "dev", "--auto-approve"])
            .env("TERRACE_BACKUPS", "2")
            .output()
            .expect("runs");
        assert!(out.status.success());
    }
    let kept: Vec<String> = std::fs::read_dir(p.path(".terrace/envs/dev"))
        .expect("dir")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| n.ends_with(".backup.json"))
        .collect();
    assert_eq!(kept.len(), 2, "{kept:?}");
}

// Local by nature: damages the file.
#[test]
fn a_damaged_state_file_is_refused_and_names_its_backups() {
    let p = versions(2);
    let path = ".terrace/envs/dev/main.state.json";
    let edited = p.read(path).replace("\"v2\"", "\"tampered\"");
    p.write(path, &edited);
    let run = p
        .run(&["plan", "--env", "dev"])
        .code(1)
        .stderr_has("checksum does not match")
        .stderr_has("main.1.backup.json");
    assert!(
        run.stderr.contains("terrace state restore --env dev 1"),
        "{}",
        run.stderr
    );
    p.run(&["apply", "--env", "dev", "--auto-approve"]).code(1);
    assert_eq!(p.read(path), edited, "a damaged file is never overwritten");
    p.run(&["state", "restore", "--env", "dev", "1"]).success();
    p.run(&["plan", "--env", "dev"]).success();
    let aside = std::fs::read_dir(p.path(".terrace/envs/dev"))
        .expect("dir")
        .filter_map(|e| e.ok())
        .any(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("main.state.json.damaged-")
        });
    assert!(aside, "the damaged file is kept aside");
}

// Local by nature: truncates the file.
#[test]
fn truncated_state_is_refused() {
    let p = versions(1);
    let path = ".terrace/envs/dev/main.state.json";
    let text = p.read(path);
    p.write(path, &text[..text.len() / 2]);
    p.run(&["plan", "--env", "dev"])
        .code(1)
        .stderr_has("is not a terrace state file");
}

fn state_rm_forgets_without_deleting(store: Store) {
    let p = store.project(single(
        "resource \"file\" \"a\" {\n  path = \"out/a\"\n  content = \"x\"\n}\nresource \"file\" \"b\" {\n  path = \"out/b\"\n  content = \"x\"\n}\n",
    ));
    p.apply();
    p.run(&["state", "rm", "--env", "dev", "main/file.a"])
        .success()
        .stdout_has("Removed main/file.a");
    assert!(p.exists("out/a"));
    assert_eq!(
        p.run(&["state", "list", "--env", "dev"]).stdout,
        "main/file.b\n"
    );
    p.run(&["state", "rm", "--env", "dev", "main/file.zzz"])
        .code(1)
        .stderr_has("is not in the state");
    p.run(&["state", "show", "--env", "dev", "nonsense"])
        .code(1)
        .stderr_has("is not a resource address");
}

// Local by nature: writes the lock file of a process that never ran;
// lock.rs proves the same on every store with a holder killed for real.
#[test]
fn a_stale_lock_is_reported_and_can_be_broken() {
    let p = versions(1);
    let lock = serde_json::json!({
        "id": "x", "pid": 999_999, "host": "ghost", "user": "someone",
        "command": "terrace apply", "created_at": "2026-01-01T00:00:00Z"
    });
    p.write(".terrace/envs/dev/lock", &lock.to_string());
    p.run(&["plan", "--env", "dev"])
        .code(1)
        .stderr_has("stale lock")
        .stderr_has("`terrace apply` by someone on ghost (pid 999999)")
        .stderr_has("terrace state unlock --env dev");
    p.run(&["state", "unlock", "--env", "dev"])
        .success()
        .stdout_has("Broke the stale lock");
    p.run(&["state", "unlock", "--env", "dev"])
        .success()
        .stdout_has("is not locked");
    p.run(&["plan", "--env", "dev"]).success();
}
