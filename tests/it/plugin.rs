//! Plugins: the example plugin (examples/plugins/kv_store.py) end to end,
//! and a deliberately broken one that crashes, talks garbage or hangs.

use crate::harness::Project;

#[test]
fn the_plugin_program_is_part_of_the_definitions() {
    let p = Project::copy_of("examples/plugins");
    p.run(&["plan", "--env", "dev", "--out", "dev.plan"])
        .success();
    let program = p.read("kv_store.py");
    p.write(
        "kv_store.py",
        &format!("{program}\n# changed after the plan\n"),
    );
    p.run(&["apply", "--env", "dev", "dev.plan"])
        .code(1)
        .stderr_has("stale");
}

#[test]
fn example_plugin_applies_detects_drift_and_destroys() {
    let p = Project::copy_of("examples/plugins");
    p.apply()
        .stdout_has("Apply complete! Resources: 2 added, 0 changed, 0 destroyed.");
    let entry: serde_json::Value =
        serde_json::from_str(&p.read("kvstore/dev-log-level.json")).expect("json");
    assert_eq!(entry["value"], "debug");
    p.run(&["plan", "--env", "dev", "--detailed-exitcode"])
        .success()
        .stdout_has("No changes.");

    p.write(
        "kvstore/dev-log-level.json",
        r#"{"value": "trace", "version": 1}"#,
    );
    p.run(&["drift", "--env", "dev", "--detailed-exitcode"])
        .code(2)
        .stdout_has("settings/kv_entry.log_level has changed");
    p.apply().stdout_has("1 changed");
    let entry: serde_json::Value =
        serde_json::from_str(&p.read("kvstore/dev-log-level.json")).expect("json");
    assert_eq!(entry["value"], "debug");
    assert_eq!(entry["version"], 2);

    p.run(&["destroy", "--env", "dev", "--auto-approve"])
        .success();
    assert!(!p.exists("kvstore/dev-log-level.json"));
    assert!(!p.exists("kvstore/dev-features.json"));
}

/// A plugin that serves type `thing` and misbehaves on `create` of the
/// object named "bad", as `BROKEN_MODE` says: crash, garbage or hang.
const BROKEN: &str = r#"
import json, os, sys, time
mode = os.environ.get("BROKEN_MODE", "")
def send(obj):
    sys.stdout.write(json.dumps(obj) + "\n"); sys.stdout.flush()
for line in sys.stdin:
    req = json.loads(line)
    m, rid = req["method"], req["id"]
    if m == "handshake":
        types = {os.environ.get("BROKEN_TYPE", "thing"): {"attributes": [
            {"name": "name", "kind": "required", "type": "string"},
            {"name": "id", "kind": "computed", "type": "string"}]}}
        send({"id": rid, "result": {"protocol_version": 1, "concurrent": False, "resource_types": types}})
    elif m == "plan":
        planned = dict(req["config"]); planned["id"] = (req.get("prior") or {}).get("id", {"$unknown": True})
        send({"id": rid, "result": {"planned": planned}})
    elif m == "create" and req["planned"]["name"] == "bad" and mode:
        if mode == "crash":
            print("boom: the plugin fell over", file=sys.stderr, flush=True); sys.exit(3)
        if mode == "garbage":
            print("hello, this is not JSON", flush=True)
        if mode == "hang":
            time.sleep(300)
    elif m == "create":
        open("seen_auth", "w").write(req.get("authorization", "(none)"))
        state = dict(req["planned"]); state["id"] = "id-" + state["name"]
        send({"id": rid, "result": {"state": state}})
    elif m == "read":
        send({"id": rid, "result": {"state": req["state"]}})
    else:
        send({"id": rid, "result": {}})
"#;

fn broken() -> Project {
    Project::new()
        .file(
            "project.hcl",
            "project \"t\" {}\nplugin \"broken\" {\n  command = [\"python3\", \"plugins/broken.py\"]\n  timeout = 5\n}\nenvironment \"dev\" {}\nconfiguration \"main\" {\n  architecture = \"./arch\"\n}\n",
        )
        .file("plugins/broken.py", BROKEN)
        .file(
            "arch/main.hcl",
            "resource \"thing\" \"good\" {\n  name = \"good\"\n}\n\nresource \"thing\" \"bad\" {\n  name = \"bad\"\n  depends_on = [thing.good]\n}\n",
        )
}

fn apply_with(p: &Project, mode: &str) -> crate::harness::Run {
    let out = p
        .cmd(&["apply", "--env", "dev", "--auto-approve"])
        .env("BROKEN_MODE", mode)
        .output()
        .expect("runs");
    crate::harness::Run::from(&["apply", mode], out)
}

/// What came before the failure is kept; the failed object is not recorded.
fn assert_state_kept(p: &Project) {
    let listed = p.run(&["state", "list", "--env", "dev"]).success().stdout;
    assert!(listed.contains("main/thing.good"), "{listed}");
    assert!(!listed.contains("main/thing.bad"), "{listed}");
}

#[test]
fn plugin_crash_fails_its_resource_and_keeps_state() {
    let p = broken();
    apply_with(&p, "crash")
        .code(1)
        .stderr_has("plugin \"broken\" exited with exit status 3")
        .stderr_has("boom: the plugin fell over");
    assert_state_kept(&p);
    // The next run starts a fresh plugin and finishes the job.
    apply_with(&p, "").success().stdout_has("1 added");
}

#[test]
fn plugin_garbage_on_stdout_is_an_error() {
    let p = broken();
    apply_with(&p, "garbage")
        .code(1)
        .stderr_has("sent a line that is not a protocol message")
        .stderr_has("hello, this is not JSON");
    assert_state_kept(&p);
}

#[test]
fn plugin_hanging_past_its_timeout_is_stopped() {
    let p = broken();
    apply_with(&p, "hang")
        .code(1)
        .stderr_has("did not answer create within 5s; it was stopped");
    assert_state_kept(&p);
}

#[test]
fn plugin_types_may_not_clash_with_built_in_ones() {
    let p = broken().file(
        "arch/main.hcl",
        "resource \"thing\" \"good\" {\n  name = \"good\"\n}\n",
    );
    let out = p
        .cmd(&["validate"])
        .env("BROKEN_TYPE", "file")
        .output()
        .expect("runs");
    crate::harness::Run::from(&["validate"], out)
        .code(1)
        .stderr_has("plugin \"broken\" provides type \"file\", but it is a built-in type");
}

#[test]
fn plugin_that_does_not_start_is_a_diagnostic_on_its_block() {
    let p = broken().file("plugins/broken.py", "import sys\nsys.exit(1)\n");
    p.run(&["validate"])
        .code(1)
        .stderr_has("plugin \"broken\" cannot be used: exited with exit status 1")
        .stderr_has("project.hcl");
}

/// A plugin that notes the most requests it held at once (received, not
/// yet answered) in `max_in_flight`; it answers one at a time, slowly.
const COUNTING: &str = r#"
import json, os, queue, sys, threading, time
concurrent = os.environ.get("PLUGIN_CONCURRENT") == "1"
q, lock, state = queue.Queue(), threading.Lock(), {"held": 0, "max": 0}
def reader():
    for line in sys.stdin:
        with lock:
            state["held"] += 1
            state["max"] = max(state["max"], state["held"])
        q.put(json.loads(line))
    q.put(None)
threading.Thread(target=reader, daemon=True).start()
def send(obj):
    with lock:
        state["held"] -= 1
        open("max_in_flight", "w").write(str(state["max"]))
    sys.stdout.write(json.dumps(obj) + "\n"); sys.stdout.flush()
while True:
    req = q.get()
    if req is None:
        break
    m, rid = req["method"], req["id"]
    if m == "handshake":
        types = {"slow": {"attributes": [{"name": "n", "kind": "required", "type": "number"},
                                         {"name": "id", "kind": "computed", "type": "string"}]}}
        send({"id": rid, "result": {"protocol_version": 1, "concurrent": concurrent, "resource_types": types}})
    elif m == "plan":
        planned = dict(req["config"]); planned["id"] = {"$unknown": True}
        send({"id": rid, "result": {"planned": planned}})
    elif m == "create":
        time.sleep(1)
        state_ = dict(req["planned"]); state_["id"] = "s%d" % state_["n"]
        send({"id": rid, "result": {"state": state_}})
    else:
        send({"id": rid, "result": {}})
"#;

fn counting(concurrent: bool) -> u32 {
    let p = Project::new()
        .file(
            "project.hcl",
            "project \"t\" {}\nplugin \"counting\" {\n  command = [\"python3\", \"plugins/counting.py\"]\n}\nenvironment \"dev\" {}\nconfiguration \"main\" {\n  architecture = \"./arch\"\n}\n",
        )
        .file("plugins/counting.py", COUNTING)
        .file(
            "arch/main.hcl",
            "resource \"slow\" \"s\" {\n  count = 4\n  n = count.index\n}\n",
        );
    let out = p
        .cmd(&[
            "apply",
            "--env",
            "dev",
            "--auto-approve",
            "--parallelism",
            "4",
        ])
        .env("PLUGIN_CONCURRENT", if concurrent { "1" } else { "0" })
        .output()
        .expect("runs");
    crate::harness::Run::from(&["apply"], out)
        .success()
        .stdout_has("4 added");
    p.read("max_in_flight").trim().parse().expect("a number")
}

#[test]
fn plugin_gets_one_request_at_a_time_unless_it_accepts_concurrent_ones() {
    assert_eq!(counting(false), 1);
    // Four creates are ready at once and each takes a second to answer:
    // a concurrent plugin holds several before answering the first.
    assert!(counting(true) > 1);
}

#[test]
fn plugin_gets_the_credential_in_requests_and_it_is_never_stored() {
    let p = broken()
        .file(
            "project.hcl",
            "project \"t\" {}\nplugin \"broken\" {\n  command = [\"python3\", \"plugins/broken.py\"]\n}\nenvironment \"dev\" {\n  authorization {\n    api_key = env(\"T_PLUGIN_KEY\")\n  }\n}\nconfiguration \"main\" {\n  architecture = \"./arch\"\n}\n",
        )
        .file(
            "arch/main.hcl",
            "resource \"thing\" \"good\" {\n  name = \"good\"\n}\n",
        );
    let out = p
        .cmd(&["apply", "--env", "dev", "--auto-approve"])
        .env("T_PLUGIN_KEY", "plugin-key-0451")
        .output()
        .expect("runs");
    let run = crate::harness::Run::from(&["apply"], out).success();
    assert_eq!(p.read("seen_auth"), "plugin-key-0451");
    assert!(!run.stdout.contains("plugin-key") && !run.stderr.contains("plugin-key"));
    crate::harness::assert_not_under(&p.path(".terrace"), "plugin-key");
}

#[test]
fn two_plugins_may_not_provide_the_same_type() {
    let p = broken().file(
        "project.hcl",
        "project \"t\" {}\nplugin \"first\" {\n  command = [\"python3\", \"plugins/broken.py\"]\n}\nplugin \"second\" {\n  command = [\"python3\", \"plugins/broken.py\"]\n}\nenvironment \"dev\" {}\nconfiguration \"main\" {\n  architecture = \"./arch\"\n}\n",
    );
    p.run(&["validate"]).code(1).stderr_has(
        "plugin \"second\" provides type \"thing\", but plugin \"first\" already provides it",
    );
}
