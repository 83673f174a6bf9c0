//! The `command` resource type, with real shell commands.

use crate::harness::single;

/// A "remote" object kept in `remote/NAME.json` by shell commands.
const OBJECT: &str = r#"
resource "command" "obj" {
  create = "mkdir -p remote && printf '{\"id\":\"obj-1\",\"size\":\"%s\"}' \"$SIZE\" > remote/obj-1.json && cat remote/obj-1.json"
  read   = "if [ -f remote/$TERRACE_ID.json ]; then cat remote/$TERRACE_ID.json; else echo null; fi"
  update = "printf '{\"id\":\"%s\",\"size\":\"%s\"}' \"$TERRACE_ID\" \"$SIZE\" > remote/$TERRACE_ID.json && cat remote/$TERRACE_ID.json"
  delete = "rm remote/$TERRACE_ID.json"
  environment = { SIZE = "small" }
}

output "size" {
  value = command.obj.output.size
}
"#;

#[test]
fn command_creates_updates_and_deletes_through_its_commands() {
    let p = single(OBJECT);
    p.apply()
        .stdout_has("Apply complete! Resources: 1 added, 0 changed, 0 destroyed.");
    assert_eq!(
        p.read("remote/obj-1.json"),
        r#"{"id":"obj-1","size":"small"}"#
    );
    p.run(&["output", "--env", "dev", "main", "--json"])
        .success()
        .stdout_has("small");
    p.run(&["plan", "--env", "dev", "--detailed-exitcode"])
        .success()
        .stdout_has("No changes.");

    p.write("arch/main.hcl", &OBJECT.replace("\"small\"", "\"large\""));
    p.apply()
        .stdout_has("Apply complete! Resources: 0 added, 1 changed, 0 destroyed.");
    assert_eq!(
        p.read("remote/obj-1.json"),
        r#"{"id":"obj-1","size":"large"}"#
    );

    p.run(&["destroy", "--env", "dev", "--auto-approve"])
        .success();
    assert!(!p.exists("remote/obj-1.json"));
}

#[test]
fn command_failure_shows_stderr_and_records_nothing() {
    let p = single(
        "resource \"command\" \"bad\" {\n  create = \"echo 'quota exceeded' >&2; exit 7\"\n}\n",
    );
    p.run(&["apply", "--env", "dev", "--auto-approve"])
        .code(1)
        .stderr_has("exit status 7")
        .stderr_has("quota exceeded");
    p.run(&["state", "list", "--env", "dev"]).success();
    let listed = p.run(&["state", "list", "--env", "dev"]).stdout;
    assert!(!listed.contains("command.bad"), "{listed}");
}

#[test]
fn command_past_its_timeout_is_stopped_with_its_children() {
    let p = single(
        "resource \"command\" \"slow\" {\n  create = \"(sleep 67.25; touch late) & sleep 67.25\"\n  timeout = 1\n}\n",
    );
    p.run(&["apply", "--env", "dev", "--auto-approve"])
        .code(1)
        .stderr_has("did not finish within 1s");
    // The whole process group went: the background child was killed too,
    // so the state records nothing and no stray process holds the run.
    let listed = p.run(&["state", "list", "--env", "dev"]).success().stdout;
    assert!(!listed.contains("command.slow"), "{listed}");
    assert_eq!(
        running(concat!("sleep", "\0", "67.25")),
        0,
        "a sleep of the command outlived it"
    );
}

/// How many processes run with `needle` in their command line (Linux).
fn running(needle: &str) -> usize {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .filter(|c| String::from_utf8_lossy(c).contains(needle))
        .count()
}

#[test]
fn command_credential_reaches_the_environment_but_never_state() {
    let p = crate::harness::Project::new()
        .file(
            "project.hcl",
            "project \"t\" {}\nenvironment \"dev\" {\n  authorization {\n    api_key = env(\"T_KEY\")\n  }\n}\nconfiguration \"main\" {\n  architecture = \"./arch\"\n}\n",
        )
        .file(
            "arch/main.hcl",
            "resource \"command\" \"c\" {\n  create = \"test \\\"$TERRACE_AUTHORIZATION\\\" = \\\"$(cat expected)\\\" && echo '{\\\"ok\\\":true}'\"\n}\n",
        )
        .file("expected", "hunter2-key");
    let run = p
        .cmd(&["apply", "--env", "dev", "--auto-approve"])
        .env("T_KEY", "hunter2-key")
        .output()
        .expect("runs");
    let run = crate::harness::Run::from(&["apply"], run).success();
    assert!(!run.stdout.contains("hunter2") && !run.stderr.contains("hunter2"));
    crate::harness::assert_not_under(p.path(".terrace").as_path(), "hunter2");
}

#[test]
fn commands_get_their_environments_credential_and_no_other() {
    let p = crate::harness::Project::new()
        .file(
            "project.hcl",
            r#"
environment "dev" {
  authorization {
    api_key = env("CMD_DEV_KEY")
  }
}
environment "prod" {
  authorization {
    api_key = env("CMD_PROD_KEY")
  }
}
configuration "main" {
  architecture = "./arch"
}
"#,
        )
        .file(
            "arch/main.hcl",
            r#"
resource "command" "probe" {
  create = "printf '{\"mine\":\"%s\",\"prod\":\"%s\"}' \"$TERRACE_AUTHORIZATION\" \"$${CMD_PROD_KEY:-unset}\""
}
output "seen" {
  value = command.probe.output
}
"#,
        );
    let keys = [
        ("CMD_DEV_KEY", "dev-key-8812"),
        ("CMD_PROD_KEY", "prod-key-7731"),
    ];
    p.run_with(&["apply", "--env", "dev", "--auto-approve"], &keys)
        .success();
    let out = p
        .run_with(&["output", "--env", "dev", "--json"], &keys)
        .success()
        .stdout;
    // dev's key reached the command (and is masked in what it printed);
    // prod's variable was not inherited at all.
    assert!(out.contains("\"mine\": \"***\""), "{out}");
    assert!(out.contains("\"prod\": \"unset\""), "{out}");
    let state = p.read(".terrace/envs/dev/main.state.json");
    assert!(!state.contains("dev-key-8812") && !state.contains("prod-key-7731"));
}
