//! `--json` event streams compared with Terraform's, recorded by
//! testdata/streams/gen.sh from an equivalent `terraform_data`
//! configuration (the module `main` being terrace's configuration `main`).
//! Compared structurally: the same phases in the same order, the same
//! events per resource and action, the same fields per event type. Times,
//! ids and elapsed seconds are not compared; terrace's own fields
//! (`terrace*`) and the differences listed in docs/json-plan.md are left
//! out.

use crate::harness::{Project, repo};
use serde_json::Value;
use std::collections::BTreeSet;

/// Terraform's events for `terraform_data` reads: terrace never reads a
/// `terrace_data` object back (nothing outside terrace can change it), so
/// it reports no read of one (docs/json-plan.md).
const REFRESH: &[&str] = &["refresh_start", "refresh_complete"];

/// A recorded stream less the reads of `terraform_data` objects.
fn reference(name: &str) -> Vec<Value> {
    recorded(name)
        .into_iter()
        .filter(|e| !REFRESH.contains(&kind(e)))
        .collect()
}

fn recorded(name: &str) -> Vec<Value> {
    let path = repo().join("testdata/streams").join(name);
    let text = std::fs::read_to_string(&path).expect("reference stream");
    parse(&text)
}

fn parse(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn kind(e: &Value) -> &str {
    e["type"].as_str().unwrap_or("")
}

/// Which part of a run an event belongs to; runs of one phase collapse.
fn phases(events: &[Value]) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for e in events {
        let p = match kind(e) {
            "version" => "version",
            "refresh_start" | "refresh_complete" => "refresh",
            "planned_change" | "resource_drift" => "plan",
            "change_summary" => "summary",
            "outputs" => "outputs",
            "apply_start" | "apply_complete" | "apply_errored" => "apply",
            "diagnostic" => "diagnostic",
            other => panic!("unexpected event type {other}"),
        };
        if out.last() != Some(&p) {
            out.push(p);
        }
    }
    out
}

/// Each event as type, address, action and whether it names an id; in
/// Terraform's order-free form (a multiset, sorted).
fn events(events: &[Value]) -> Vec<String> {
    let mut out: Vec<String> = events
        .iter()
        .filter(|e| e.get("hook").is_some() || e.get("change").is_some())
        .map(|e| {
            let body = e.get("hook").or_else(|| e.get("change")).expect("body");
            let r = &body["resource"];
            format!(
                "{} {} {} resource={} key={} id={}",
                kind(e),
                r["addr"]
                    .as_str()
                    .unwrap_or("")
                    .replace("terraform_data", "terrace_data"),
                body["action"],
                r["resource"]
                    .as_str()
                    .unwrap_or("")
                    .replace("terraform_data", "terrace_data"),
                r["resource_key"],
                body.get("id_key").is_some(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Every field path of one event, `[]` for array items; terrace's own
/// fields and the output names (`main_label` / `main.label`) left out.
fn shape(v: &Value, prefix: &str, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k.starts_with("terrace") {
                    continue;
                }
                let k = if prefix == ".outputs" {
                    "*"
                } else {
                    k.as_str()
                };
                let path = format!("{prefix}.{k}");
                out.insert(path.clone());
                shape(x, &path, out);
            }
        }
        Value::Array(items) => {
            for x in items {
                shape(x, &format!("{prefix}[]"), out);
            }
        }
        _ => {}
    }
}

/// The field paths of every event of one type, less terrace's
/// `diagnostic.code` (docs/json-plan.md).
fn shapes(events: &[Value], kind_of: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for e in events.iter().filter(|e| kind(e) == kind_of) {
        shape(e, "", &mut out);
    }
    out.remove(".diagnostic.code");
    out.remove(".terraform");
    out
}

fn compare(terrace: &[Value], terraform: &[Value]) {
    assert_eq!(phases(terrace), phases(terraform), "phases");
    assert_eq!(events(terrace), events(terraform), "events");
    let kinds: BTreeSet<&str> = terraform.iter().map(kind).collect();
    for k in kinds {
        assert_eq!(shapes(terrace, k), shapes(terraform, k), "fields of {k}");
    }
    for e in terrace {
        let t = e["@timestamp"].as_str().expect("@timestamp");
        let fraction = t.rsplit('.').next().expect("fraction");
        assert_eq!(fraction.len(), 7, "six digits and Z: {t}");
    }
}

fn apply(p: &Project) -> Vec<Value> {
    let run = p.run(&["apply", "--env", "dev", "--auto-approve", "--json"]);
    parse(&run.stdout)
}

fn use_version(p: &Project, v: &str) {
    crate::harness::copy_dir(&repo().join("testdata/streams/terrace").join(v), p.root());
}

#[test]
fn creating_count_and_for_each_instances_streams_what_terraform_streams() {
    let p = Project::copy_of("testdata/streams/terrace/v1");
    compare(&apply(&p), &reference("create.jsonl"));
}

#[test]
fn updating_and_replacing_before_destroy_streams_what_terraform_streams() {
    let p = Project::copy_of("testdata/streams/terrace/v1");
    apply(&p);
    use_version(&p, "v2");
    let stream = apply(&p);
    compare(&stream, &reference("update.jsonl"));
    let deposed = stream
        .iter()
        .find(|e| kind(e) == "apply_start" && e["hook"]["action"] == "delete")
        .expect("the deposed object's delete");
    assert_eq!(
        deposed["hook"]["resource"]["addr"],
        "module.main.terrace_data.cbd"
    );
    assert_eq!(deposed["hook"]["resource"]["terrace_deposed"], true);
}

#[test]
fn a_failed_apply_ends_with_its_diagnostic_as_terraform_does() {
    let p = Project::copy_of("testdata/streams/terrace/fail");
    let stream = apply(&p);
    compare(&stream, &reference("fail.jsonl"));
    let last = stream.last().expect("a line");
    assert_eq!(kind(last), "diagnostic");
    let d = &last["diagnostic"];
    let terraform = reference("fail.jsonl");
    let t = &terraform.last().expect("a line")["diagnostic"];
    assert_eq!(d["summary"], t["summary"]);
    assert_eq!(d["detail"], t["detail"]);
    assert_eq!(d["snippet"]["context"], "resource \"terrace_data\" \"bad\"");
    assert_eq!(d["snippet"]["code"], t["snippet"]["code"]);
    let values = d["snippet"]["values"].as_array().expect("values");
    assert_eq!(values.len(), 1, "{values:?}");
    assert_eq!(values[0]["traversal"], "self.id");
    let id = stream
        .iter()
        .find(|e| kind(e) == "apply_complete" && e["hook"]["resource"]["resource_name"] == "bad")
        .and_then(|e| e["hook"]["id_value"].as_str())
        .expect("the object's id");
    assert_eq!(values[0]["statement"], format!("is \"{id}\""));
    assert!(
        !stream.iter().any(|e| e["@message"]
            .as_str()
            .is_some_and(|m| m.starts_with("Apply complete!"))),
        "no Apply complete! after a failure"
    );
}

/// `terrace graph` with and without `--env` against `terraform graph`:
/// the same clusters, node ids, edges and their direction (dependent to
/// dependency); only the labels' object counts differ with `--env`.
#[test]
fn graph_draws_what_terraform_graph_draws_with_the_same_ids_with_or_without_env() {
    let p = Project::copy_of("testdata/streams/terrace/v1");
    let reference = std::fs::read_to_string(repo().join("testdata/streams/graph.dot"))
        .expect("reference graph")
        .replace("terraform_data", "terrace_data");
    let plain = p.run(&["graph"]).success();
    assert_eq!(plain.stdout, reference);
    apply(&p);
    let counted = p.run(&["graph", "--env", "dev"]).success();
    let uncounted = counted
        .stdout
        .replace(" (1)\"]", "\"]")
        .replace(" (2)\"]", "\"]");
    assert_eq!(uncounted, reference);
    assert!(
        counted
            .stdout
            .contains("[label=\"terrace_data.many (2)\"];")
    );
}

#[test]
fn a_reference_to_an_undeclared_resource_is_a_diagnostic_with_terraforms_snippet() {
    let p = Project::copy_of("testdata/streams/terrace/invalid");
    let run = p.run(&["plan", "--env", "dev", "--json"]).code(1);
    let stream = parse(&run.stdout);
    compare(&stream, &reference("invalid.jsonl"));
    let d = &stream.last().expect("a line")["diagnostic"];
    assert_eq!(d["snippet"]["context"], "resource \"terrace_data\" \"ok\"");
    assert_eq!(d["snippet"]["code"], "  input = terrace_data.missing.id");
    assert_eq!(d["snippet"]["start_line"], 5);
    assert_eq!(d["snippet"]["highlight_start_offset"], 10);
}

/// Objects read back while planning (files: `terrace_data` is never read
/// back) stream `refresh_start` and `refresh_complete` with the fields of
/// Terraform's, before anything is planned; an object found gone ends its
/// read without an id, as Terraform's does.
#[test]
fn reading_objects_back_streams_refresh_events_with_terraforms_fields() {
    let p = Project::copy_of("testdata/streams/terrace/refresh");
    apply(&p);
    std::fs::remove_file(p.root().join("out/k-b.txt")).expect("remove a file");
    let run = p.run(&["plan", "--env", "dev", "--json"]).success();
    let stream = parse(&run.stdout);
    assert_eq!(
        phases(&stream),
        ["version", "refresh", "plan", "summary"],
        "reads come first"
    );
    let terraform = recorded("update.jsonl");
    for k in REFRESH {
        assert_eq!(shapes(&stream, k), shapes(&terraform, k), "fields of {k}");
    }
    let reads: Vec<String> = stream
        .iter()
        .filter(|e| REFRESH.contains(&kind(e)))
        .map(|e| {
            format!(
                "{} {} {}",
                kind(e),
                e["hook"]["resource"]["addr"].as_str().unwrap_or(""),
                e["hook"]["id_value"].as_str().unwrap_or("-"),
            )
        })
        .collect();
    for (addr, id) in [
        ("module.main.file.many[0]", "out/many-0.txt"),
        ("module.main.file.many[1]", "out/many-1.txt"),
        ("module.main.file.k[\"a\"]", "out/k-a.txt"),
        ("module.main.file.k[\"b\"]", "out/k-b.txt"),
    ] {
        let start = format!("refresh_start {addr} {id}");
        let done = if id.ends_with("k-b.txt") { "-" } else { id };
        let complete = format!("refresh_complete {addr} {done}");
        let at = |line: &str| reads.iter().position(|r| *r == line);
        assert!(
            at(&start).expect(&start) < at(&complete).expect(&complete),
            "{reads:?}"
        );
    }
    assert_eq!(reads.len(), 8, "{reads:?}");
    let gone = stream
        .iter()
        .find(|e| kind(e) == "refresh_complete" && e["hook"]["id_value"].is_null())
        .expect("the read of the removed file");
    assert_eq!(
        gone["@message"],
        "module.main.file.k[\"b\"]: Refresh complete"
    );
    assert!(gone["hook"].get("id_key").is_none());
    // Applying a saved plan streams no reads, as `terraform apply -json
    // PLANFILE` streams none (terrace checks the plan again silently).
    p.run(&["plan", "--env", "dev", "--out", "p.plan"])
        .success();
    let run = p
        .run(&["apply", "--env", "dev", "--json", "p.plan"])
        .success();
    let applied = parse(&run.stdout);
    assert!(applied.iter().any(|e| kind(e) == "apply_complete"));
    assert!(
        !applied.iter().any(|e| REFRESH.contains(&kind(e))),
        "{applied:?}"
    );
}

/// A create that fails: `apply_errored` with Terraform's fields and an
/// error diagnostic naming the resource instance in `address`.
/// Terraform's side fails in a `local-exec` provisioner; its
/// `provision_*` events are left out (terrace has no provisioners: a
/// `command` resource runs commands as an object of its own).
#[test]
fn a_failed_create_streams_apply_errored_and_a_diagnostic_with_its_address() {
    let p = Project::copy_of("testdata/streams/terrace/errored");
    let run = p
        .run(&["apply", "--env", "dev", "--auto-approve", "--json"])
        .code(1);
    let stream = parse(&run.stdout);
    let terraform: Vec<Value> = reference("errored.jsonl")
        .into_iter()
        .filter(|e| !kind(e).starts_with("provision_"))
        .collect();
    assert_eq!(phases(&stream), phases(&terraform), "phases");
    let kinds: BTreeSet<&str> = terraform.iter().map(kind).collect();
    for k in kinds {
        assert_eq!(shapes(&stream, k), shapes(&terraform, k), "fields of {k}");
    }
    let errored = stream
        .iter()
        .find(|e| kind(e) == "apply_errored")
        .expect("apply_errored");
    assert_eq!(errored["@level"], "info");
    assert!(
        errored["@message"]
            .as_str()
            .is_some_and(|m| m.starts_with("module.main.command.bad: Creation errored after ")),
        "{errored}"
    );
    let d = &stream.last().expect("a line")["diagnostic"];
    assert_eq!(d["severity"], "error");
    assert_eq!(d["address"], "module.main.command.bad");
    // The highlight is the resource's own header: Terraform gives no
    // context there (`terraform validate -json` on a duplicate resource).
    assert_eq!(d["snippet"]["code"], "resource \"command\" \"bad\" {");
    assert_eq!(d["snippet"]["context"], Value::Null);
}

/// A precondition that fails when planning: Terraform's summary and
/// detail, and the values of the references in the condition as
/// Terraform lists them, less its quirk of a `Plan: 0 to add`
/// `change_summary` before the error; a sensitive reference (which
/// Terraform leaves out) is only said to have a sensitive value.
#[test]
fn a_failed_precondition_lists_the_values_of_its_references_as_terraform_does() {
    let p = Project::copy_of("testdata/streams/terrace/precondition");
    let run = p.run(&["plan", "--env", "dev", "--json"]).code(1);
    assert!(!run.stdout.contains("hunter2"), "the secret stays hidden");
    let stream = parse(&run.stdout);
    let terraform: Vec<Value> = reference("precondition.jsonl")
        .into_iter()
        .filter(|e| kind(e) != "change_summary")
        .collect();
    compare(&stream, &terraform);
    let d = &stream.last().expect("a line")["diagnostic"];
    let t = &terraform.last().expect("a line")["diagnostic"];
    for field in ["severity", "summary", "detail"] {
        assert_eq!(d[field], t[field], "{field}");
    }
    for field in [
        "code",
        "start_line",
        "highlight_start_offset",
        "highlight_end_offset",
    ] {
        assert_eq!(d["snippet"][field], t["snippet"][field], "snippet.{field}");
    }
    // Terraform leaves the sensitive var.password out, as terrace does.
    assert_eq!(d["snippet"]["values"], t["snippet"]["values"]);
}

/// An expression that fails to evaluate lists the values of the
/// references in it, as Terraform does, leaving a sensitive one out.
#[test]
fn an_evaluation_error_lists_the_values_of_the_references_in_the_failing_expression() {
    let p = crate::harness::single(
        "variable \"word\" {\n  default = \"abc\"\n}\nvariable \"secret\" {\n  default   = \"hunter2\"\n  sensitive = true\n}\nresource \"terrace_data\" \"a\" {\n  input = length(var.secret) + var.word\n}\n",
    );
    let run = p.run(&["plan", "--env", "dev", "--json"]).code(1);
    assert!(!run.stdout.contains("hunter2"), "the secret stays hidden");
    let stream = parse(&run.stdout);
    let d = &stream.last().expect("a line")["diagnostic"];
    assert_eq!(
        d["snippet"]["code"],
        "  input = length(var.secret) + var.word"
    );
    assert_eq!(
        d["snippet"]["values"],
        serde_json::json!([
            {"traversal": "var.word", "statement": "is \"abc\""},
        ])
    );
}
