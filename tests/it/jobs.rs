//! Jobs of `terrace serve`: apply and promote run by the server, their
//! `--json` lines followed as server-sent events from any instance on the
//! same records, a job whose instance dies reported lost and recovered;
//! and the other operations on an environment through the API (outputs,
//! state versions, restore, unlock, drift, export), each by its role.

use crate::harness::{Project, Store, on_both_stores};
use crate::serve::{Serving, client, grant, guarded_shop, token};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

fn post(serving: &Serving, path: &str, who: &str, body: Value) -> reqwest::blocking::Response {
    client()
        .post(format!("{}{path}", serving.base))
        .bearer_auth(who)
        .json(&body)
        .send()
        .expect("the server answers")
}

/// A plan of `env` made by `author` through the API: its path.
fn plan(serving: &Serving, env: &str, author: &str, body: Value) -> String {
    let plans = format!("/api/projects/shop/environments/{env}/plans");
    let made = post(serving, &plans, author, body);
    assert_eq!(made.status(), StatusCode::CREATED);
    let made: Value = made.json().unwrap();
    format!("{plans}/{}", made["id"].as_str().unwrap())
}

/// A job's server-sent events, read until the stream ends: each line's
/// `(id, data)`, and the `end` event's record.
fn follow(serving: &Serving, job: &Value, who: &str) -> (Vec<(usize, Value)>, Value) {
    let events = client()
        .get(format!(
            "{}{}",
            serving.base,
            job["events"].as_str().unwrap()
        ))
        .bearer_auth(who)
        .send()
        .expect("the server answers");
    assert_eq!(events.status(), StatusCode::OK);
    assert_eq!(
        events.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let (mut lines, mut end) = (Vec::new(), None);
    let (mut id, mut kind) = (None, None);
    for line in BufReader::new(events).lines() {
        let line = line.expect("the stream reads");
        if let Some(v) = line.strip_prefix("id: ") {
            id = Some(v.parse::<usize>().unwrap());
        } else if let Some(v) = line.strip_prefix("event: ") {
            kind = Some(v.to_string());
        } else if let Some(v) = line.strip_prefix("data: ") {
            let data: Value = serde_json::from_str(v).unwrap();
            match kind.take().as_deref() {
                Some("end") => end = Some(data),
                _ => lines.push((id.take().expect("every line has its id"), data)),
            }
        }
    }
    (lines, end.expect("the stream ends with the job's record"))
}

fn messages(lines: &[(usize, Value)]) -> Vec<String> {
    lines
        .iter()
        .map(|(_, l)| format!("{}: {}", l["type"], l["@message"]))
        .collect()
}

fn an_approved_plan_applies_as_a_job_whose_events_a_viewer_follows(store: Store) {
    let p = guarded_shop(store);
    let (olga, eddie, vera, mallory) = (
        token(&p, "olga"),
        token(&p, "eddie"),
        token(&p, "vera"),
        token(&p, "mallory"),
    );
    grant(&p, "olga", "Operator", "shop");
    grant(&p, "eddie", "Editor", "shop");
    grant(&p, "vera", "Viewer", "shop");
    let serving = Serving::start(&p, &["--project", "."]);
    let plan = plan(&serving, "prod", &olga, json!({}));
    // Not yet approved: the job runs and is refused as `terrace apply` is.
    let refused = post(&serving, &format!("{plan}/apply"), &olga, json!({}));
    assert_eq!(refused.status(), StatusCode::ACCEPTED);
    let refused: Value = refused.json().unwrap();
    let (lines, end) = follow(&serving, &refused, &vera);
    assert_eq!(end["state"], "failed", "{end}");
    let error = end["error"].as_str().unwrap();
    assert!(error.contains("requires an approval"), "{error}");
    assert!(
        messages(&lines)
            .iter()
            .any(|m| m.contains("diagnostic") && m.contains("requires an approval")),
        "{lines:?}"
    );
    // A Viewer may not apply; an Editor approves; the Operator applies.
    assert_eq!(
        post(&serving, &format!("{plan}/apply"), &vera, json!({})).status(),
        StatusCode::FORBIDDEN
    );
    let approve = post(
        &serving,
        &format!("{plan}/approve"),
        &eddie,
        json!({ "comment": "CAB-9" }),
    );
    assert_eq!(approve.status(), StatusCode::OK);
    let started: Value = post(&serving, &format!("{plan}/apply"), &olga, json!({}))
        .json()
        .unwrap();
    assert_eq!(started["state"], "running");
    let (lines, end) = follow(&serving, &started, &vera);
    assert_eq!(end["state"], "succeeded", "{end}");
    assert_eq!(end["user"], "olga");
    assert_eq!(end["kind"], "apply");
    // The lines of `terrace apply --json`, numbered from 0.
    let ids: Vec<usize> = lines.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, (0..lines.len()).collect::<Vec<_>>());
    let messages = messages(&lines);
    assert!(messages[0].starts_with("\"version\""), "{messages:?}");
    for expected in [
        "\"apply_start\": \"module.app.terrace_data.a: Creating...\"",
        "\"change_summary\": \"Apply complete! Resources: 1 added, 0 changed, 0 destroyed.\"",
    ] {
        assert!(
            messages.iter().any(|m| m.contains(expected)),
            "{expected} in {messages:#?}"
        );
    }
    // Resumed after a line: only the lines after it.
    let resumed = client()
        .get(format!(
            "{}{}",
            serving.base,
            started["events"].as_str().unwrap()
        ))
        .bearer_auth(&vera)
        .header("Last-Event-ID", (lines.len() - 2).to_string())
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert_eq!(
        resumed.matches("\nid: ").count() + usize::from(resumed.starts_with("id: ")),
        1,
        "{resumed}"
    );
    // The record, to a Viewer; not to someone without a role on the project.
    let job = serving.get(started["job"].as_str().unwrap(), Some(&vera));
    assert_eq!(job.status(), StatusCode::OK);
    assert_eq!(job.json::<Value>().unwrap()["state"], "succeeded");
    assert_eq!(
        serving
            .get(started["job"].as_str().unwrap(), Some(&mallory))
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        serving.get("/api/jobs/0123abcd", Some(&vera)).status(),
        StatusCode::NOT_FOUND
    );
    // The audit trail filtered by action, alike on the command line and
    // through the API.
    let deploys = p
        .run(&["audit", "--json", "--action", "config.deploy"])
        .success()
        .stdout;
    assert!(!deploys.trim().is_empty());
    assert!(
        deploys
            .lines()
            .all(|l| l.contains("\"project.config.deploy\"")),
        "{deploys}"
    );
    let api: Value = serving
        .get("/api/projects/shop/audit?action=config.deploy", Some(&vera))
        .json()
        .unwrap();
    let actions: Vec<&str> = api["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions.len(), deploys.lines().count(), "{api}");
    assert!(
        actions.iter().all(|a| *a == "project.config.deploy"),
        "{api}"
    );
    // Applied as the command line applies: nothing is left to do, and the
    // deploy is olga's.
    p.run(&["plan", "--env", "prod", "--detailed-exitcode"])
        .success();
    let audit = p.run(&["audit", "--json"]).success().stdout;
    assert!(
        audit.lines().any(|l| l.contains("project.config.deploy")
            && l.contains("\"outcome\":\"success\"")
            && l.contains("\"initiator\":\"olga\"")),
        "{audit}"
    );
}

/// `shop` with dev → test (promotion only) → prod (promotion, approval).
fn promoting_shop(store: Store) -> Project {
    store.project(
        Project::new()
            .file(
                "project.hcl",
                "project \"shop\" {}\nenvironment \"dev\" {}\nenvironment \"test\" {\n  promote_from = \"dev\"\n}\nenvironment \"prod\" {\n  promote_from = \"test\"\n  require_approval {}\n}\nconfiguration \"app\" {\n  architecture = \"./arch\"\n}\n",
            )
            .file(
                "arch/main.hcl",
                "resource \"terrace_data\" \"a\" {\n  input = \"shop\"\n}\n",
            ),
    )
}

fn promotions_run_as_jobs_and_a_guarded_one_goes_through_a_kept_plan(store: Store) {
    let p = promoting_shop(store);
    let (olga, eddie) = (token(&p, "olga"), token(&p, "eddie"));
    grant(&p, "olga", "Operator", "shop");
    grant(&p, "eddie", "Editor", "shop");
    p.run(&["apply", "--env", "dev", "--auto-approve"])
        .success();
    let serving = Serving::start(&p, &["--project", "."]);
    let promote = |env: &str| {
        let r = post(
            &serving,
            &format!("/api/projects/shop/environments/{env}/promote"),
            &olga,
            json!({ "from": if env == "test" { "dev" } else { "test" } }),
        );
        assert_eq!(r.status(), StatusCode::ACCEPTED);
        follow(&serving, &r.json().unwrap(), &olga).1
    };
    let end = promote("test");
    assert_eq!(end["state"], "succeeded", "{end}");
    assert_eq!(end["from"], "dev");
    // prod requires an approval of the exact plan: not at once.
    let end = promote("prod");
    assert_eq!(end["state"], "failed");
    assert!(
        end["error"]
            .as_str()
            .unwrap()
            .contains("requires an approval"),
        "{end}"
    );
    let plan = plan(&serving, "prod", &olga, json!({ "promote_from": "test" }));
    let approve = post(
        &serving,
        &format!("{plan}/approve"),
        &eddie,
        json!({ "comment": "release" }),
    );
    assert_eq!(approve.status(), StatusCode::OK);
    let started = post(&serving, &format!("{plan}/apply"), &olga, json!({}));
    let (_, end) = follow(&serving, &started.json().unwrap(), &olga);
    assert_eq!(end["state"], "succeeded", "{end}");
    let status = p.run(&["status", "--json"]).success().stdout;
    let status: Value = serde_json::from_str(&status).unwrap();
    let envs = status["environments"].as_array().unwrap();
    let release = &envs[0]["release"]["release"];
    assert!(release.is_string(), "{status}");
    for env in &envs[1..] {
        assert_eq!(
            &env["release"]["release"], release,
            "dev's release: {status}"
        );
        // Recorded as olga's, who started the jobs (not the server's user).
        assert_eq!(env["release"]["applied_by"], "olga", "{status}");
        assert_eq!(env["configurations"][0]["by"], "olga", "{status}");
    }
}

fn outputs_versions_restore_drift_and_export_through_the_api_by_their_roles(store: Store) {
    let p = store.project(
        Project::new()
            .file(
                "project.hcl",
                "project \"shop\" {}\nenvironment \"dev\" {}\nconfiguration \"app\" {\n  architecture = \"./arch\"\n}\n",
            )
            .file(
                "arch/main.hcl",
                "resource \"terrace_data\" \"a\" {\n  input = \"v1\"\n}\noutput \"plain\" {\n  value = terrace_data.a.output\n}\noutput \"secret\" {\n  value     = \"s3cr3t-value\"\n  sensitive = true\n}\n",
            ),
    );
    p.run(&["apply", "--env", "dev", "--auto-approve"])
        .success();
    p.write(
        "arch/main.hcl",
        &p.read("arch/main.hcl").replace("\"v1\"", "\"v2\""),
    );
    p.run(&["apply", "--env", "dev", "--auto-approve"])
        .success();
    let (ada, otto, vera) = (token(&p, "ada"), token(&p, "otto"), token(&p, "vera"));
    grant(&p, "ada", "Administrator", "shop");
    grant(&p, "otto", "Operator", "shop");
    grant(&p, "vera", "Viewer", "shop");
    let serving = Serving::start(&p, &["--project", "."]);
    let env = "/api/projects/shop/environments/dev";
    // Outputs to a Viewer, the sensitive one's value withheld.
    let outputs = serving.get(&format!("{env}/outputs"), Some(&vera));
    assert_eq!(outputs.status(), StatusCode::OK);
    let outputs = outputs.text().unwrap();
    assert!(!outputs.contains("s3cr3t-value"), "{outputs}");
    let outputs: Value = serde_json::from_str(&outputs).unwrap();
    assert_eq!(outputs["app"]["plain"]["value"], "v2", "{outputs}");
    assert_eq!(outputs["app"]["secret"], json!({ "sensitive": true }));
    // Versions to a Viewer; restore by an Administrator only.
    let versions: Value = serving
        .get(&format!("{env}/versions"), Some(&vera))
        .json()
        .unwrap();
    assert!(
        versions["versions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["serial"] == 1 && v["configuration"] == "app"),
        "{versions}"
    );
    let restore = format!("{env}/restore");
    for who in [&vera, &otto] {
        assert_eq!(
            post(&serving, &restore, who, json!({ "serial": 1 })).status(),
            StatusCode::FORBIDDEN
        );
    }
    let restored = post(&serving, &restore, &ada, json!({ "serial": 1 }));
    assert_eq!(restored.status(), StatusCode::OK);
    let restored: Value = restored.json().unwrap();
    assert_eq!(restored["restored"]["app"], 1, "{restored}");
    let outputs: Value = serving
        .get(&format!("{env}/outputs"), Some(&vera))
        .json()
        .unwrap();
    assert_eq!(
        outputs["app"]["plain"]["value"], "v1",
        "the restored version's"
    );
    // Drift by an Operator, as `terrace drift --json` answers.
    assert_eq!(
        post(&serving, &format!("{env}/drift"), &vera, json!({})).status(),
        StatusCode::FORBIDDEN
    );
    let drift = post(&serving, &format!("{env}/drift"), &otto, json!({}));
    assert_eq!(drift.status(), StatusCode::OK);
    let drift: Value = drift.json().unwrap();
    let cli: Value =
        serde_json::from_str(&p.run(&["drift", "--env", "dev", "--format", "json"]).stdout)
            .unwrap();
    assert_eq!(drift["drift"], cli["drift"], "{drift}");
    // Unlock of an environment that is not locked: nothing broken.
    let unlocked: Value = post(&serving, &format!("{env}/unlock"), &ada, json!({}))
        .json()
        .unwrap();
    assert_eq!(unlocked, json!({ "broken": null, "journal": false }));
    // The export, to an Administrator, is `terrace export`'s, by ada.
    assert_eq!(
        serving
            .get("/api/projects/shop/export", Some(&otto))
            .status(),
        StatusCode::FORBIDDEN
    );
    let export = serving.get("/api/projects/shop/export", Some(&ada));
    assert_eq!(export.status(), StatusCode::OK);
    let export: Value = export.json().unwrap();
    assert_eq!(export["project"]["exported_by"], "ada");
    assert_eq!(export["project"]["name"], "shop");
    // Upgrade is an Editor's: an Operator is refused, an Administrator
    // gets the command line's refusal of a configuration not from a
    // catalog.
    let upgrade = |who: &str| {
        post(
            &serving,
            "/api/projects/shop/upgrade",
            who,
            json!({ "configuration": "app" }),
        )
    };
    assert_eq!(upgrade(&otto).status(), StatusCode::FORBIDDEN);
    let refused = upgrade(&ada);
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().unwrap().contains("catalog"));
    // Deleting the project is an Administrator's, and refused while it
    // has objects deployed, as on the command line.
    let delete = |who: &str| {
        client()
            .delete(format!("{}/api/projects/shop", serving.base))
            .bearer_auth(who)
            .send()
            .unwrap()
    };
    assert_eq!(delete(&otto).status(), StatusCode::FORBIDDEN);
    let refused = delete(&ada);
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().unwrap().contains("deployed"));
    // Each operation is audited as its caller's.
    let audit = p.run(&["audit", "--json"]).success().stdout;
    for (action, who) in [
        ("project.state.restore", "ada"),
        ("project.config.drift", "otto"),
        ("project.environment.unlock", "ada"),
        ("project.state.read", "vera"),
        ("project.project.delete", "ada"),
    ] {
        assert!(
            audit
                .lines()
                .any(|l| l.contains(action) && l.contains(&format!("\"initiator\":\"{who}\""))),
            "{action} by {who} in\n{audit}"
        );
    }
}

on_both_stores!(
    an_approved_plan_applies_as_a_job_whose_events_a_viewer_follows,
    promotions_run_as_jobs_and_a_guarded_one_goes_through_a_kept_plan,
    outputs_versions_restore_drift_and_export_through_the_api_by_their_roles,
);

#[test]
fn a_job_whose_server_dies_is_lost_and_another_server_reports_and_recovers_it() {
    let p = Store::Postgres.project(
        Project::new()
            .file(
                "project.hcl",
                "project \"shop\" {}\nenvironment \"dev\" {}\nconfiguration \"app\" {\n  architecture = \"./arch\"\n}\n",
            )
            .file(
                "arch/main.hcl",
                "resource \"terrace_data\" \"a\" {\n  input = \"a\"\n}\nresource \"command\" \"slow\" {\n  create     = \"sleep 60; echo '{}'\"\n  delete     = \"true\"\n  depends_on = [terrace_data.a]\n}\n",
            ),
    );
    let olga = token(&p, "olga");
    grant(&p, "olga", "Administrator", "shop");
    let mut one = Serving::start(&p, &["--project", "."]);
    let two = Serving::start(&p, &["--project", "."]);
    let plan = {
        let plans = "/api/projects/shop/environments/dev/plans";
        let made: Value = post(&one, plans, &olga, json!({})).json().unwrap();
        format!("{plans}/{}", made["id"].as_str().unwrap())
    };
    let started: Value = post(&one, &format!("{plan}/apply"), &olga, json!({}))
        .json()
        .unwrap();
    let job = started["job"].as_str().unwrap().to_string();
    // Followed on the other instance, until the slow command has started.
    let events = client()
        .get(format!(
            "{}{}",
            two.base,
            started["events"].as_str().unwrap()
        ))
        .bearer_auth(&olga)
        .send()
        .unwrap();
    let mut seen = Vec::new();
    for line in BufReader::new(events).lines() {
        let line = line.unwrap();
        seen.push(line.clone());
        if line.contains("command.slow: Creating...") {
            break;
        }
    }
    let running: Value = two.get(&job, Some(&olga)).json().unwrap();
    assert_eq!(running["state"], "running", "{running}");
    one.kill();
    // No heartbeat any more: lost within the limit (10 s) and a beat.
    let deadline = Instant::now() + Duration::from_secs(30);
    let lost = loop {
        let record: Value = two.get(&job, Some(&olga)).json().unwrap();
        if record["state"] != "running" {
            break record;
        }
        assert!(Instant::now() < deadline, "still running: {record}");
        std::thread::sleep(Duration::from_millis(500));
    };
    assert_eq!(lost["state"], "lost", "{lost}");
    // Its lock is stale: attention says so, with what resolves it.
    let attention: Value = two
        .get("/api/projects/shop/attention", Some(&olga))
        .json()
        .unwrap();
    let stale = attention["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == "env.lock.stale")
        .unwrap_or_else(|| panic!("{attention}"));
    assert_eq!(stale["target"], "dev");
    // An Administrator breaks it through the API, and the next apply
    // recovers the journal: terrace_data.a is recorded, the slow command
    // is created again.
    let unlocked = post(
        &two,
        "/api/projects/shop/environments/dev/unlock",
        &olga,
        json!({}),
    );
    assert_eq!(unlocked.status(), StatusCode::OK);
    let unlocked: Value = unlocked.json().unwrap();
    assert!(unlocked["broken"].is_string(), "{unlocked}");
    assert_eq!(unlocked["journal"], true);
    p.write(
        "arch/main.hcl",
        &p.read("arch/main.hcl").replace("sleep 60; ", ""),
    );
    let plan = p.run(&["plan", "--env", "dev"]).success();
    assert!(
        plan.stdout
            .contains("Plan: 1 to add, 0 to change, 0 to destroy."),
        "{}\n{}",
        plan.stdout,
        plan.stderr
    );
}

fn an_administrator_deletes_an_undeployed_project_through_the_api(store: Store) {
    let p = guarded_shop(store);
    let ada = token(&p, "ada");
    grant(&p, "ada", "Administrator", "shop");
    p.run(&["apply", "--env", "dev", "--auto-approve"])
        .success();
    p.run(&["destroy", "--env", "dev", "--auto-approve"])
        .success();
    let serving = Serving::start(&p, &["--project", "."]);
    let deleted = client()
        .delete(format!("{}/api/projects/shop", serving.base))
        .bearer_auth(&ada)
        .send()
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::OK);
    let deleted: Value = deleted.json().unwrap();
    let export = deleted["export"].as_str().unwrap();
    assert!(export.starts_with("project-export-"), "{deleted}");
    // The final export is in the checkout, and carries the deletion by ada.
    let kept: Value = serde_json::from_str(&p.read(export)).unwrap();
    assert_eq!(kept["project"]["exported_by"], "ada");
    let audit = kept["project"]["audit"].as_array().unwrap();
    let last = audit.last().and_then(Value::as_str).unwrap();
    assert!(
        last.contains("project.project.delete") && last.contains("\"initiator\":\"ada\""),
        "{last}"
    );
    p.run(&["status"])
        .success()
        .stdout_has("no release applied");
}

on_both_stores!(an_administrator_deletes_an_undeployed_project_through_the_api);
