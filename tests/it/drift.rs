//! `terrace drift`: a file, a REST object and a command's object changed
//! behind terrace's back.

use crate::harness::{Project, Run};
use crate::rest::Server;

fn project(server: &Server) -> Project {
    crate::harness::single(&format!(
        r#"
resource "file" "f" {{
  path    = "out/f.txt"
  content = "one"
}}

resource "http" "thing" {{
  url  = "{}/things"
  body = {{ name = "a" }}
}}

resource "command" "c" {{
  create = "mkdir -p remote && echo '{{\"v\":1}}' > remote/c.json && cat remote/c.json"
  read   = "cat remote/c.json"
  delete = "rm -f remote/c.json"
}}

resource "terrace_data" "d" {{
  input = "x"
}}
"#,
        server.base
    ))
}

fn drift(p: &Project, extra: &[&str]) -> Run {
    let mut args = vec!["drift", "--env", "dev", "--detailed-exitcode"];
    args.extend_from_slice(extra);
    p.run(&args)
}

#[test]
fn drift_reports_changes_behind_terraces_back_and_records_them() {
    let server = Server::start();
    let p = project(&server);
    p.apply();
    drift(&p, &[])
        .success()
        .stdout_has("No drift: the objects of environment \"dev\" match the recorded state.");
    let record: serde_json::Value =
        serde_json::from_str(&p.read(".terrace/envs/dev/drift.json")).expect("json");
    assert_eq!(record["format_version"], 1);
    assert_eq!(record["drifted"], serde_json::json!([]));

    p.write("out/f.txt", "edited by hand");
    server.set("t1", serde_json::json!({"id": "t1", "name": "renamed"}));
    p.write("remote/c.json", "{\"v\":2}");
    let run = drift(&p, &[]).code(2);
    for addr in [
        "main/file.f has changed",
        "main/http.thing has changed",
        "main/command.c has changed",
    ] {
        assert!(run.stdout.contains(addr), "{addr}\n{}", run.stdout);
    }
    assert!(!run.stdout.contains("terrace_data"), "{}", run.stdout);

    let record: serde_json::Value =
        serde_json::from_str(&p.read(".terrace/envs/dev/drift.json")).expect("json");
    let drifted = record["drifted"].as_array().expect("list");
    assert_eq!(drifted.len(), 3);
    assert_eq!(drifted[0]["address"], "main/command.c");
    assert_eq!(drifted[0]["configuration"], "main");
    assert_eq!(drifted[0]["kind"], "changed");
    assert!(record["checked_at"].as_str().expect("time").ends_with('Z'));

    // JSON: Terraform's resource_drift entries.
    std::fs::remove_file(p.path("out/f.txt")).expect("rm");
    let json = drift(&p, &["--format", "json"]).code(2);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).expect("json");
    let entries = doc["resource_drift"].as_array().expect("entries");
    let file = entries
        .iter()
        .find(|e| e["terrace"]["address"] == "main/file.f")
        .expect("file entry");
    assert_eq!(file["type"], "file");
    assert_eq!(file["change"]["actions"], serde_json::json!(["delete"]));
    assert_eq!(file["change"]["after"], serde_json::Value::Null);
    let thing = entries
        .iter()
        .find(|e| e["terrace"]["address"] == "main/http.thing")
        .expect("http entry");
    assert_eq!(thing["change"]["after"]["body"]["name"], "renamed");
    assert_eq!(thing["change"]["before"]["body"]["name"], "a");
    let record: serde_json::Value =
        serde_json::from_str(&p.read(".terrace/envs/dev/drift.json")).expect("json");
    assert!(
        record["drifted"]
            .as_array()
            .expect("list")
            .iter()
            .any(|d| d["address"] == "main/file.f" && d["kind"] == "deleted")
    );

    // Markdown for a pull request, its headline naming the project (`t`)
    // as a plan's does, and the item terrace attention lists.
    let md = drift(&p, &["--format", "markdown"]).code(2).stdout;
    assert!(
        md.starts_with(
            "<!-- terrace part 1/1 -->\n**t** · **dev**: 3 objects changed outside terrace"
        ),
        "{md}"
    );
    assert!(
        md.contains("<details>") && md.contains("main/file.f"),
        "{md}"
    );
    let attention = p.run(&["attention"]).success();
    assert_eq!(
        attention.lines_with("config.drift.detected").len(),
        3,
        "{}",
        attention.stdout
    );
    assert!(
        attention.stdout.contains("main/file.f no longer exists"),
        "{}",
        attention.stdout
    );

    // plan shows drift apart from its changes; --refresh=false skips reading.
    p.run(&["plan", "--env", "dev"])
        .success()
        .stdout_has("Objects have changed outside of terrace");
    let quiet = p
        .run(&["plan", "--env", "dev", "--refresh=false"])
        .success();
    assert!(
        !quiet.stdout.contains("changed outside"),
        "{}",
        quiet.stdout
    );
    assert_eq!(
        server.seen().iter().filter(|s| s.method == "GET").count(),
        5
    );

    // Applying settles the file and the REST object, and what the check
    // found no longer needs attention.
    p.apply();
    assert_eq!(p.read("out/f.txt"), "one");
    assert_eq!(server.things()["t1"]["name"], "a");
    let attention = p.run(&["attention"]).success();
    assert!(
        !attention.stdout.contains("config.drift.detected"),
        "{}",
        attention.stdout
    );
}
