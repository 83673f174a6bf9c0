//! Secrets never leave: an environment's credential echoed back under any
//! JSON escaping, and sensitive values in every message, record and stream.

use crate::harness::{Project, Run};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;

/// The sensitive variable's value; it is in no definition file.
const PASSWORD: &str = "hunter2-SECRET";
/// The environment's credential, with a `/` that JSON may escape as `\/`.
const KEY: &str = "ab/cd-KEY-9f2";

fn project(arch: &str) -> Project {
    Project::new()
        .file(
            "project.hcl",
            "project \"t\" {}\nvariable \"db_password\" {\n  type = string\n  sensitive = true\n}\nenvironment \"dev\" {\n  authorization {\n    api_key = env(\"T_API_KEY\")\n  }\n}\nconfiguration \"main\" {\n  architecture = \"./arch\"\n  inputs = { db_password = var.db_password }\n}\n",
        )
        .file(
            "arch/main.hcl",
            &format!("variable \"db_password\" {{\n  type = string\n  sensitive = true\n}}\n{arch}"),
        )
}

fn run(p: &Project, args: &[&str]) -> Run {
    p.run_with(
        args,
        &[("T_API_KEY", KEY), ("TERRACE_VAR_db_password", PASSWORD)],
    )
}

/// Asserts that `needle` is nowhere in `text`, nor in any string decoded
/// from the JSON in it (a whole document or one per line).
fn assert_absent(what: &str, text: &str, needle: &str) {
    assert!(!text.contains(needle), "{what} shows {needle:?}:\n{text}");
    let docs: Vec<serde_json::Value> = match serde_json::from_str(text) {
        Ok(doc) => vec![doc],
        Err(_) => text
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect(),
    };
    for doc in docs {
        let decoded = strings(&doc).join("\n");
        assert!(
            !decoded.contains(needle),
            "{what} holds {needle:?} once decoded:\n{text}"
        );
    }
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    match v {
        serde_json::Value::String(s) => vec![s.clone()],
        serde_json::Value::Array(items) => items.iter().flat_map(strings).collect(),
        serde_json::Value::Object(m) => m
            .iter()
            .flat_map(|(k, x)| std::iter::once(k.clone()).chain(strings(x)))
            .collect(),
        _ => Vec::new(),
    }
}

/// Asserts that no file under `dir` holds `needle`, raw or JSON-escaped.
fn assert_absent_under(dir: &Path, needle: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            assert_absent_under(&path, needle);
        } else {
            let text = String::from_utf8_lossy(&std::fs::read(&path).expect("read")).into_owned();
            assert_absent(&path.display().to_string(), &text, needle);
        }
    }
}

fn assert_run_hides(p: &Project, r: &Run, needle: &str) {
    assert_absent("stdout", &r.stdout, needle);
    assert_absent("stderr", &r.stderr, needle);
    assert_absent_under(&p.path(".terrace"), needle);
}

/// A shell command printing `$TERRACE_AUTHORIZATION` as a JSON string
/// with `/` written `\/` and `a` written `\u0061`.
const ESCAPED_KEY: &str =
    r#"$(printf %s \"$TERRACE_AUTHORIZATION\" | sed -e 's|/|\\\\/|g' -e 's|a|\\\\u0061|g')"#;

#[test]
fn credential_echoed_with_json_escapes_by_a_command_is_masked_everywhere() {
    let p = project(&format!(
        "resource \"command\" \"c\" {{\n  create = \"printf '{{\\\"id\\\":\\\"x\\\",\\\"a\\\":\\\"%s\\\"}}' \\\"{ESCAPED_KEY}\\\"\"\n}}\noutput \"echo\" {{\n  value = command.c.output\n}}\n"
    ));
    let r = run(&p, &["apply", "--env", "dev", "--auto-approve"]).success();
    assert!(r.stdout.contains("***"), "{}", r.stdout);
    assert_run_hides(&p, &r, KEY);
    for args in [
        &["show", "--env", "dev"][..],
        &["output", "--env", "dev", "--json"],
        &["plan", "--env", "dev", "--json"],
        &["plan", "--env", "dev", "--out", "p.plan"],
    ] {
        let r = run(&p, args).success();
        assert_run_hides(&p, &r, KEY);
    }
    assert_absent("saved plan", &p.read("p.plan"), KEY);
    let r = run(&p, &["export"]).success();
    assert_run_hides(&p, &r, KEY);
}

#[test]
fn credential_escaped_on_a_failing_commands_stderr_is_masked_in_messages_and_records() {
    let p = project(&format!(
        "resource \"command\" \"c\" {{\n  create = \"printf '{{\\\"k\\\":\\\"%s\\\"}}' \\\"{ESCAPED_KEY}\\\" >&2; exit 4\"\n}}\n"
    ));
    let r = run(&p, &["apply", "--env", "dev", "--auto-approve"]).code(1);
    assert!(r.stderr.contains("exit status 4"), "{}", r.stderr);
    assert_run_hides(&p, &r, KEY);
}

/// A server that answers every request with the credential it was sent,
/// escaped as `\uXXXX` (every character) inside a JSON object.
fn echo_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut auth = String::new();
            let mut len = 0usize;
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
                    break;
                }
                let lower = h.to_ascii_lowercase();
                if let Some(v) = lower.strip_prefix("authorization:") {
                    auth = h[h.len() - v.len()..].trim().to_string();
                } else if let Some(v) = lower.strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; len];
            let _ = reader.read_exact(&mut body);
            let escaped: String = auth
                .chars()
                .map(|c| format!("\\u{:04x}", c as u32))
                .collect();
            let text = format!(
                r#"{{"id":"e1","echo":"{escaped}","slash":"{}"}}"#,
                auth.replace('/', "\\/")
            );
            let mut stream = stream;
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                text.len()
            );
            let _ = stream.flush();
        }
    });
    base
}

#[test]
fn credential_echoed_with_json_escapes_by_a_server_is_masked_everywhere() {
    let base = echo_server();
    let p = project(&format!(
        "data \"http\" \"echo\" {{\n  url = \"{base}/echo\"\n}}\nresource \"terrace_data\" \"keep\" {{\n  input = data.http.echo.response\n}}\noutput \"echo\" {{\n  value = data.http.echo.response_body\n}}\n"
    ));
    let r = run(&p, &["apply", "--env", "dev", "--auto-approve"]).success();
    assert!(r.stdout.contains("***"), "{}", r.stdout);
    assert_run_hides(&p, &r, KEY);
    let r = run(&p, &["output", "--env", "dev", "--json"]).success();
    assert_run_hides(&p, &r, KEY);
}

/// Expressions that fail on a sensitive value, each in its own project.
const FAILING: &[&str] = &[
    "{a = 1}[var.db_password]",
    "{a = 1}[upper(var.db_password)]",
    "tonumber(var.db_password)",
    "var.db_password + 1",
    "upper(var.db_password) + 1",
    "-var.db_password",
    "!var.db_password",
    "var.db_password ? 1 : 2",
    "[1][var.db_password]",
    "[for x in [var.db_password] : x + 1]",
    "[for x in [1] : x if var.db_password]",
    "{for k in [var.db_password, var.db_password] : k => 1}",
    "{for k in [lower(var.db_password), lower(var.db_password)] : k => 1}",
    "file(var.db_password)",
    "file(\"${var.db_password}.txt\")",
    "templatefile(var.db_password, {})",
    "templatefile(\"t.tpl\", { x = var.db_password })",
    "jsondecode(var.db_password)",
    "yamldecode(\"a: [\\\"${var.db_password}\")",
    "cidrhost(var.db_password, 1)",
    "regex(var.db_password, \"nomatch\")",
    "base64decode(var.db_password)",
    "timeadd(var.db_password, \"1h\")",
    "formatdate(\"YYYY\", var.db_password)",
    "parseint(var.db_password, 10)",
    "lookup({}, var.db_password)",
    "format(\"%d\", var.db_password)",
    "tolist(var.db_password)",
    "substr(var.db_password, \"x\", 1)",
    "one([var.db_password, 2])",
    "try(tonumber(var.db_password), {a = 1}[var.db_password])",
    "element([], var.db_password)",
];

#[test]
fn sensitive_value_never_appears_in_an_expression_error_anywhere() {
    for expr in FAILING {
        let p = project(&format!(
            "output \"m\" {{\n  value     = {expr}\n  sensitive = true\n}}\n"
        ))
        .file("t.tpl", "${x + 1}\n");
        for args in [
            &["validate"][..],
            &["validate", "--json"],
            &["plan", "--env", "dev"],
            &["plan", "--env", "dev", "--json"],
            &["apply", "--env", "dev", "--auto-approve"],
        ] {
            let r = run(&p, args);
            // validate does not read the variables' values.
            if args[0] != "validate" {
                assert_ne!(r.code, 0, "{expr}: {args:?} succeeded:\n{}", r.stdout);
            }
            assert_run_hides(&p, &r, PASSWORD);
            assert_run_hides(&p, &r, &PASSWORD.to_uppercase());
        }
    }
}

#[test]
fn expression_error_on_a_sensitive_value_says_sensitive_value_as_terraform() {
    let p =
        project("output \"m\" {\n  value     = {a = 1}[var.db_password]\n  sensitive = true\n}\n");
    run(&p, &["plan", "--env", "dev"])
        .code(1)
        .stderr_has("the map has no element (sensitive value)");
}

#[test]
fn validation_message_built_from_a_sensitive_value_is_not_shown() {
    let p = Project::new()
        .file(
            "project.hcl",
            "project \"t\" {}\nvariable \"db_password\" {\n  type = string\n  sensitive = true\n  validation {\n    condition = length(var.db_password) < 3\n    error_message = \"too long: ${var.db_password}\"\n  }\n}\nenvironment \"dev\" {}\nconfiguration \"main\" {\n  architecture = \"./arch\"\n}\n",
        )
        .file("arch/main.hcl", "");
    let r = run(&p, &["plan", "--env", "dev"]).code(1);
    let words: Vec<&str> = r.stderr.split_whitespace().filter(|w| *w != "│").collect();
    assert!(
        words
            .join(" ")
            .contains("the error message refers to sensitive values, so it is not displayed"),
        "{}",
        r.stderr
    );
    assert_run_hides(&p, &r, PASSWORD);
}

#[test]
fn sensitive_arguments_never_appear_in_provider_errors_records_or_streams() {
    let cases = [
        "resource \"file\" \"a\" {\n  path = \"out/a\"\n  content = \"x\"\n  file_permission = var.db_password\n}\n",
        "resource \"file\" \"a\" {\n  path = \"/proc/nope/${var.db_password}\"\n  content = \"x\"\n}\n",
        "resource \"file\" \"a\" {\n  path = \"/proc/nope/${var.db_password}\"\n  content = \"x\"\n  allow_outside_project = true\n}\n",
        "resource \"command\" \"c\" {\n  create = \"echo \\\"pw is $PW\\\" >&2; exit 3\"\n  environment = { PW = var.db_password }\n}\n",
        "resource \"command\" \"c\" {\n  create = \"printf '{\\\"pw\\\":\\\"%s\\\"}' \\\"$(printf %s \\\"$PW\\\" | sed 's|-|\\\\\\\\u002d|')\\\" >&2; exit 3\"\n  environment = { PW = var.db_password }\n}\n",
    ];
    for arch in cases {
        let p = project(arch);
        for args in [
            &["plan", "--env", "dev"][..],
            &["plan", "--env", "dev", "--json"],
            &["apply", "--env", "dev", "--auto-approve"],
            &["apply", "--env", "dev", "--auto-approve", "--json"],
        ] {
            let r = run(&p, args);
            if args[0] == "apply" {
                assert_ne!(r.code, 0, "{arch}: {args:?} succeeded:\n{}", r.stdout);
            }
            assert_run_hides(&p, &r, PASSWORD);
        }
        for args in [&["audit"][..], &["status"], &["attention"]] {
            let r = run(&p, args);
            assert_run_hides(&p, &r, PASSWORD);
        }
    }
}

/// A plugin serving type `echo` that writes the credential it is sent, and
/// every argument, to its standard error (raw and JSON-escaped).
const ECHO_PLUGIN: &str = r#"
import json, sys
def send(obj):
    sys.stdout.write(json.dumps(obj) + "\n"); sys.stdout.flush()
for line in sys.stdin:
    req = json.loads(line)
    m, rid = req["method"], req["id"]
    auth = req.get("authorization", "")
    print("request", m, "auth", auth, json.dumps(auth).replace("/", "\\/"), file=sys.stderr, flush=True)
    if "config" in req:
        print("config", json.dumps(req["config"]), file=sys.stderr, flush=True)
    if m == "handshake":
        types = {"echo": {"attributes": [
            {"name": "value", "kind": "required", "type": "string", "sensitive": True},
            {"name": "id", "kind": "computed", "type": "string"}]}}
        send({"id": rid, "result": {"protocol_version": 1, "concurrent": False, "resource_types": types}})
    elif m == "plan":
        planned = dict(req["config"]); planned["id"] = (req.get("prior") or {}).get("id", {"$unknown": True})
        send({"id": rid, "result": {"planned": planned}})
    elif m == "create":
        state = dict(req["planned"]); state["id"] = "id-1"
        send({"id": rid, "result": {"state": state}})
    elif m == "read":
        send({"id": rid, "result": {"state": req["state"]}})
    else:
        send({"id": rid, "result": {}})
"#;

#[test]
fn trace_logging_shows_neither_the_credential_nor_a_sensitive_value_anywhere() {
    let p = Project::new()
        .file(
            "project.hcl",
            "project \"t\" {}\nplugin \"echo\" {\n  command = [\"python3\", \"plugins/echo.py\"]\n}\nvariable \"db_password\" {\n  type = string\n  sensitive = true\n}\nenvironment \"dev\" {\n  authorization {\n    api_key = env(\"T_API_KEY\")\n  }\n}\nconfiguration \"main\" {\n  architecture = \"./arch\"\n  inputs = { db_password = var.db_password }\n}\n",
        )
        .file("plugins/echo.py", ECHO_PLUGIN)
        .file(
            "arch/main.hcl",
            "variable \"db_password\" {\n  type = string\n  sensitive = true\n}\nresource \"echo\" \"e\" {\n  value = \"x\"\n}\nresource \"terrace_data\" \"d\" {\n  input = var.db_password\n}\nresource \"command\" \"c\" {\n  create = \"printf '{\\\"id\\\":\\\"1\\\"}'\"\n  environment = { PW = var.db_password }\n}\n",
        );
    let env = [
        ("T_API_KEY", KEY),
        ("TERRACE_VAR_db_password", PASSWORD),
        ("TERRACE_LOG", "trace"),
    ];
    for args in [
        &["apply", "--env", "dev", "--auto-approve"][..],
        &["plan", "--env", "dev"],
        &["drift", "--env", "dev"],
        &["destroy", "--env", "dev", "--auto-approve"],
    ] {
        let r = p.run_with(args, &env).success();
        // The plugin was sent the credential and wrote it: masked.
        assert!(
            r.stderr.contains("auth ***"),
            "no plugin stderr logged: {}",
            r.stderr
        );
        assert_run_hides(&p, &r, KEY);
        // State (and its backups) holds sensitive values, as Terraform's
        // does; nothing else may.
        assert_absent("stdout", &r.stdout, PASSWORD);
        assert_absent("stderr", &r.stderr, PASSWORD);
        assert_absent_outside_state(&p.path(".terrace"), PASSWORD);
    }
}

/// [`assert_absent_under`], but state files and their backups are skipped.
fn assert_absent_outside_state(dir: &Path, needle: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.expect("entry").path();
        let name = path.file_name().expect("name").to_string_lossy();
        if name.contains(".state.json") || name.contains(".backup.json") {
            continue;
        }
        if path.is_dir() {
            assert_absent_outside_state(&path, needle);
        } else {
            let text = String::from_utf8_lossy(&std::fs::read(&path).expect("read")).into_owned();
            assert_absent(&path.display().to_string(), &text, needle);
        }
    }
}
