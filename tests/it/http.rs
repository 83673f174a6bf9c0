//! The `http` resource type against a real server on 127.0.0.1.

use crate::harness::{Project, Run, assert_not_under};
use crate::rest::{Fault, Server};
use std::time::Duration;

const KEY: &str = "key-7f3a9-do-not-leak";

/// A project whose dev environment has an API key and whose one
/// configuration holds `arch`.
fn project(arch: &str) -> Project {
    Project::new()
        .file(
            "project.hcl",
            "project \"t\" {}\nenvironment \"dev\" {\n  authorization {\n    api_key = env(\"T_API_KEY\")\n  }\n}\nconfiguration \"main\" {\n  architecture = \"./arch\"\n}\n",
        )
        .file("arch/main.hcl", arch)
}

fn run(p: &Project, args: &[&str]) -> Run {
    let out = p.cmd(args).env("T_API_KEY", KEY).output().expect("runs");
    let run = Run::from(args, out);
    assert!(
        !run.stdout.contains(KEY) && !run.stderr.contains(KEY),
        "the key was printed"
    );
    run
}

fn apply(p: &Project) -> Run {
    run(p, &["apply", "--env", "dev", "--auto-approve"])
}

fn thing(server: &Server, body: &str, extra: &str) -> String {
    format!(
        "resource \"http\" \"thing\" {{\n  url = \"{}/things\"\n  body = {body}\n{extra}}}\n\noutput \"id\" {{\n  value = http.thing.id\n}}\n",
        server.base
    )
}

#[test]
fn http_object_is_created_updated_and_deleted_with_the_key_only_in_the_header() {
    let server = Server::start();
    let p = project(&thing(&server, "{ name = \"a\", size = 1 }", ""));
    apply(&p).success().stdout_has("1 added");
    let things = server.things();
    assert_eq!(things["t1"]["name"], "a");
    let seen = server.seen();
    assert_eq!(seen[0].method, "POST");
    assert_eq!(
        seen[0].headers.get("authorization").map(String::as_str),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert_eq!(seen[0].body, r#"{"name":"a","size":1}"#);
    run(&p, &["plan", "--env", "dev", "--detailed-exitcode"])
        .success()
        .stdout_has("No changes.");

    p.write(
        "arch/main.hcl",
        &thing(
            &server,
            "{ name = \"a\", size = 2 }",
            "  update_method = \"PATCH\"\n",
        ),
    );
    apply(&p).success().stdout_has("1 changed");
    assert_eq!(server.things()["t1"]["size"], 2);
    assert!(
        server
            .seen()
            .iter()
            .any(|s| s.method == "PATCH" && s.path == "/things/t1")
    );

    run(&p, &["destroy", "--env", "dev", "--auto-approve"]).success();
    assert!(server.things().is_empty());
    assert_not_under(&p.path(".terrace"), KEY);
}

#[test]
fn http_object_changed_on_the_server_is_drift_that_the_plan_undoes() {
    let server = Server::start();
    let p = project(&thing(&server, "{ name = \"a\" }", ""));
    apply(&p).success();
    server.set("t1", serde_json::json!({"id": "t1", "name": "edited"}));
    run(&p, &["plan", "--env", "dev"])
        .success()
        .stdout_has("has changed")
        .stdout_has("Plan: 0 to add, 1 to change, 0 to destroy.");
    apply(&p).success().stdout_has("1 changed");
    assert_eq!(server.things()["t1"]["name"], "a");
}

#[test]
fn http_object_gone_from_the_server_is_planned_again() {
    let server = Server::start();
    let p = project(&thing(&server, "{ name = \"a\" }", ""));
    apply(&p).success();
    server.remove("t1");
    run(&p, &["plan", "--env", "dev"])
        .success()
        .stdout_has("has been deleted")
        .stdout_has("Plan: 1 to add, 0 to change, 0 to destroy.");
    // Deleting an object that is already gone is fine.
    run(
        &p,
        &[
            "destroy",
            "--env",
            "dev",
            "--auto-approve",
            "--refresh=false",
        ],
    )
    .success();
}

#[test]
fn http_retries_503_and_429_honouring_retry_after() {
    let server = Server::start();
    let p = project(&thing(&server, "{ name = \"a\" }", ""));
    server.fail_next(&[Fault::Status(503, Some(1)), Fault::Status(429, Some(1))]);
    apply(&p).success().stdout_has("1 added");
    let posts: Vec<_> = server
        .seen()
        .into_iter()
        .filter(|s| s.method == "POST")
        .collect();
    assert_eq!(posts.len(), 3, "two failures, then success");
    // Retry-After: 1 was honoured both times (a lower bound: never flaky).
    assert!(posts[1].at - posts[0].at >= Duration::from_millis(950));
    assert!(posts[2].at - posts[1].at >= Duration::from_millis(950));
    assert_eq!(server.things().len(), 1);
}

#[test]
fn http_gives_up_after_its_retries() {
    let server = Server::start();
    let p = project(&thing(&server, "{ name = \"a\" }", "  retries = 1\n"));
    server.fail_next(&[Fault::Status(503, Some(0)), Fault::Status(503, Some(0))]);
    apply(&p).code(1).stderr_has("answered 503");
    assert_eq!(server.seen().len(), 2);
}

#[test]
fn http_does_not_repeat_a_post_after_a_502() {
    // The gateway may have passed the POST on: repeating it could create
    // the object twice.
    let server = Server::start();
    let p = project(&thing(&server, "{ name = \"a\" }", ""));
    server.fail_next(&[Fault::Status(502, Some(0))]);
    apply(&p).code(1).stderr_has("answered 502");
    assert_eq!(server.seen().len(), 1);
}

#[test]
fn http_does_not_retry_a_400() {
    let server = Server::start();
    let p = project(&thing(&server, "{ name = \"a\" }", ""));
    server.fail_next(&[Fault::Status(400, None)]);
    apply(&p)
        .code(1)
        .stderr_has("answered 400")
        .stderr_has("scripted failure");
    assert_eq!(server.seen().len(), 1);
    assert!(server.things().is_empty());
}

#[test]
fn http_request_past_its_timeout_fails() {
    let server = Server::start();
    let p = project(&thing(
        &server,
        "{ name = \"a\" }",
        "  timeout = 1\n  retries = 0\n",
    ));
    server.fail_next(&[Fault::Hang(Duration::from_secs(8))]);
    apply(&p).code(1).stderr_has("did not answer within 1s");
}

#[test]
fn http_data_source_reads_a_url() {
    let server = Server::start();
    let p = project(&format!(
        "data \"http\" \"info\" {{\n  url = \"{}/info\"\n}}\n\noutput \"region\" {{\n  value = data.http.info.response.region\n}}\n",
        server.base
    ));
    apply(&p).success();
    run(&p, &["output", "--env", "dev", "main", "--json"])
        .success()
        .stdout_has("eu-de");
    assert_eq!(
        server.seen()[0]
            .headers
            .get("authorization")
            .map(String::as_str),
        Some(format!("Bearer {KEY}").as_str())
    );
}

#[test]
fn http_sensitive_body_stays_hidden_in_what_the_server_echoes() {
    let server = Server::start();
    let p = project(&thing(
        &server,
        "{ name = \"a\", token = sensitive(\"tok-123-secret\") }",
        "",
    ));
    apply(&p).success();
    server.set(
        "t1",
        serde_json::json!({"id": "t1", "name": "a", "token": "tok-456-secret"}),
    );
    let plan = run(&p, &["plan", "--env", "dev"]).success();
    assert!(plan.stdout.contains("has changed"), "{}", plan.stdout);
    assert!(!plan.stdout.contains("-secret"), "{}", plan.stdout);
    let drift = run(&p, &["drift", "--env", "dev", "--format", "json"]).success();
    assert!(!drift.stdout.contains("-secret"), "{}", drift.stdout);
}

#[test]
fn http_response_with_a_number_beyond_terraces_range_is_an_error_naming_the_request() {
    let server = Server::start();
    let huge = || -> serde_json::Value {
        serde_json::from_str(r#"{"id": "t1", "name": "a", "size": 1e500000}"#).expect("json")
    };
    // Refreshing a resource whose object now holds such a number.
    let p = project(&thing(&server, "{ name = \"a\" }", ""));
    apply(&p).success();
    server.set("t1", huge());
    // (miette wraps the message after about 100 columns.)
    let refused = format!("GET {}/things/t1 answered JSON", server.base);
    run(&p, &["plan", "--env", "dev"])
        .code(1)
        .stderr_has(&refused)
        .stderr_has("is out of the range terrace reads");

    // A data source reading it.
    let p = project(&format!(
        "data \"http\" \"t\" {{\n  url = \"{}/things/t1\"\n}}\n",
        server.base
    ));
    run(&p, &["plan", "--env", "dev"])
        .code(1)
        .stderr_has(&refused)
        .stderr_has("is out of the range terrace reads");
}
