//! Terraform's HTTP state backend in `terrace serve`: the real Terraform
//! (`TERRACE_TERRAFORM`, by default the one `.ci/install-terraform.sh`
//! installs in `target/terraform-venv`) with
//! `backend "http"` against the real server on 127.0.0.1, on local files
//! and on PostgreSQL. No Terraform fails the tests: they are never skipped.

use crate::harness::{Project, Run, Store, on_both_stores};
use crate::serve::{Serving, client, grant, token};
use reqwest::StatusCode;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The variable naming the `terraform` command the tests run.
const TERRAFORM_VARIABLE: &str = "TERRACE_TERRAFORM";

/// The `terraform` command: `TERRACE_TERRAFORM`, else the one
/// `.ci/install-terraform.sh` writes into `target/terraform-venv`.
fn terraform_bin() -> PathBuf {
    let path = std::env::var_os(TERRAFORM_VARIABLE)
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::harness::repo().join("target/terraform-venv/bin/terraform"));
    assert!(
        path.is_file(),
        "no Terraform at {}: these tests run the real Terraform; run `.ci/install-terraform.sh` \
         (or set {TERRAFORM_VARIABLE} to a `terraform` command)",
        path.display()
    );
    path
}

/// A checkout with the served project `shop`, its records in `store`.
fn served(store: Store) -> Project {
    store.project(
        Project::new()
            .file(
                "shop/project.hcl",
                "project \"shop\" {}\nenvironment \"dev\" {}\nconfiguration \"app\" {\n  architecture = \"./arch\"\n}\n",
            )
            .file(
                "shop/arch/main.hcl",
                "resource \"terrace_data\" \"a\" {\n  input = \"a\"\n}\n",
            ),
    )
}

/// A Terraform working directory whose state is `name` of project `shop`
/// on `server`.
struct Workdir {
    dir: tempfile::TempDir,
    user: String,
    token: String,
}

impl Workdir {
    fn new(server: &Serving, name: &str, user: &str, token: &str) -> Workdir {
        let dir = tempfile::Builder::new()
            .prefix("terrace-tf-")
            .tempdir()
            .expect("temp dir");
        let address = format!("{}/tf/state/shop/{name}", server.base);
        let main = format!(
            r#"terraform {{
  backend "http" {{
    address        = "{address}"
    lock_address   = "{address}"
    unlock_address = "{address}"
    retry_max      = 0
  }}
}}

variable "v" {{
  type    = string
  default = "one"
}}

resource "terraform_data" "a" {{
  input = var.v
}}
"#
        );
        std::fs::write(dir.path().join("main.tf"), main).expect("write main.tf");
        Workdir {
            dir,
            user: user.to_string(),
            token: token.to_string(),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Runs `terraform ARGS…` here, signed in as the user with the token
    /// (`TF_HTTP_USERNAME`, `TF_HTTP_PASSWORD`).
    fn run(&self, args: &[&str]) -> Run {
        let out = Command::new(terraform_bin())
            .args(args)
            .current_dir(self.path())
            .env("TF_HTTP_USERNAME", &self.user)
            .env("TF_HTTP_PASSWORD", &self.token)
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .env("CHECKPOINT_DISABLE", "1")
            .env("NO_COLOR", "1")
            .env_remove("TF_LOG")
            .stdin(Stdio::null())
            .output()
            .expect("terraform runs");
        let mut all = vec!["(terraform)"];
        all.extend_from_slice(args);
        Run::from(&all, out)
    }

    fn init(&self) -> Run {
        self.run(&["init", "-input=false", "-no-color"]).success()
    }

    fn apply(&self, v: &str) -> Run {
        self.run(&[
            "apply",
            "-auto-approve",
            "-input=false",
            "-no-color",
            &format!("-var=v={v}"),
        ])
    }
}

/// A request to the backend's address of state `name`, with basic auth.
fn request(
    server: &Serving,
    method: &str,
    name: &str,
    auth: Option<(&str, &str)>,
) -> reqwest::blocking::RequestBuilder {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
    let req = client().request(method, format!("{}/tf/state/shop/{name}", server.base));
    match auth {
        Some((user, token)) => req.basic_auth(user, Some(token)),
        None => req,
    }
}

/// The status line of a POST to state `name` that declares `length` bytes
/// of body and sends none, over a plain connection.
fn declared_length_answer(
    server: &Serving,
    name: &str,
    (user, token): (&str, &str),
    length: usize,
) -> String {
    use base64::Engine as _;
    use std::io::{BufRead, BufReader, Write};
    let host = server.base.trim_start_matches("http://");
    let mut conn = std::net::TcpStream::connect(host).expect("connects");
    let credentials = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{token}"));
    write!(
        conn,
        "POST /tf/state/shop/{name} HTTP/1.1\r\nHost: {host}\r\n\
         Authorization: Basic {credentials}\r\nContent-Length: {length}\r\n\r\n"
    )
    .expect("writes the head");
    let mut status = String::new();
    BufReader::new(conn)
        .read_line(&mut status)
        .expect("reads the status line");
    status
}

/// Terraform's `LockInfo`, as another Terraform would send it.
fn lock_info(id: &str, who: &str) -> String {
    serde_json::json!({
        "ID": id,
        "Operation": "OperationTypeApply",
        "Info": "",
        "Who": who,
        "Version": "1.15.5",
        "Created": "2026-12-06T00:00:00Z",
        "Path": "",
    })
    .to_string()
}

fn terraform_keeps_its_state_in_terrace_serve_and_a_restore_is_planned_against(store: Store) {
    let p = served(store);
    let alice = token(&p, "alice");
    grant(&p, "alice", "Administrator", "shop");
    let server = Serving::start(&p, &["--project", "shop"]);
    let tf = Workdir::new(&server, "net", "alice", &alice);
    tf.init();
    tf.apply("one")
        .success()
        .stdout_has("Apply complete! Resources: 1 added");

    let listed = p
        .run(&[
            "serve",
            "tfstate",
            "list",
            "--project",
            "shop",
            "--name",
            "net",
        ])
        .success();
    let current = listed.lines_with("alice");
    assert!(
        current.iter().any(|l| l.starts_with('*')),
        "the version terraform wrote is listed as current:\n{}",
        listed.stdout
    );
    let first = current.len();
    assert!(!listed.stdout.contains("Locked by"), "{}", listed.stdout);

    tf.apply("two")
        .success()
        .stdout_has("Resources: 0 added, 1 changed");
    let listed = p
        .run(&[
            "serve",
            "tfstate",
            "list",
            "--project",
            "shop",
            "--name",
            "net",
        ])
        .success();
    assert!(
        listed.lines_with("alice").len() > first,
        "{}",
        listed.stdout
    );

    // The API lists the state and its versions to a Viewer.
    let states: serde_json::Value = client()
        .get(format!("{}/api/projects/shop/tfstate", server.base))
        .bearer_auth(&alice)
        .send()
        .expect("answers")
        .json()
        .expect("JSON");
    assert_eq!(states["states"][0]["name"], "net", "{states}");
    assert_eq!(states["states"][0]["locked"], serde_json::Value::Null);

    // Version 1 (input "one") written again as the newest: terraform
    // plans to change it back to "two".
    p.run(&[
        "serve",
        "tfstate",
        "restore",
        "--project",
        "shop",
        "--name",
        "net",
        "--version",
        &first.to_string(),
    ])
    .success()
    .stdout_has(&format!("Restored version {first} of net as version"));
    let plan = tf.run(&[
        "plan",
        "-input=false",
        "-no-color",
        "-detailed-exitcode",
        "-var=v=two",
    ]);
    let plan = plan.code(2);
    assert!(
        plan.stdout.contains("~ input  = \"one\" -> \"two\"")
            || plan.stdout.contains("~ input = \"one\" -> \"two\""),
        "the plan changes the restored input back:\n{}",
        plan.stdout
    );

    // And through the API, audited.
    let restored = client()
        .post(format!(
            "{}/api/projects/shop/tfstate/net/versions/1/restore",
            server.base
        ))
        .bearer_auth(&alice)
        .send()
        .expect("answers");
    assert_eq!(restored.status(), StatusCode::OK);
    let versions: serde_json::Value = client()
        .get(format!(
            "{}/api/projects/shop/tfstate/net/versions",
            server.base
        ))
        .bearer_auth(&alice)
        .send()
        .expect("answers")
        .json()
        .expect("JSON");
    let all = versions["versions"].as_array().expect("versions");
    let newest = all.last().expect("a version");
    assert_eq!(versions["current"], newest["version"]);
    let serials: Vec<i64> = all.iter().filter_map(|v| v["serial"].as_i64()).collect();
    assert!(
        serials.windows(2).all(|w| w[0] < w[1]),
        "every restore has a serial above the one before: {serials:?}"
    );
    p.run(&["--project", "shop", "audit"])
        .success()
        .stdout_has("tfstate.restore");
    let (_, output) = server.stop();
    assert!(!output.contains(&alice), "the server never shows a token");
}

fn a_held_lock_refuses_terraform_and_names_its_holder(store: Store) {
    let p = served(store);
    let alice = token(&p, "alice");
    grant(&p, "alice", "Administrator", "shop");
    let server = Serving::start(&p, &["--project", "shop"]);
    let tf = Workdir::new(&server, "app", "alice", &alice);
    tf.init();
    tf.apply("one").success();

    let held = request(&server, "LOCK", "app", Some(("alice", &alice)))
        .body(lock_info("held-by-test", "bob@elsewhere"))
        .send()
        .expect("answers");
    assert_eq!(held.status(), StatusCode::OK);
    let again = request(&server, "LOCK", "app", Some(("alice", &alice)))
        .body(lock_info("another", "carol@here"))
        .send()
        .expect("answers");
    assert_eq!(again.status(), StatusCode::LOCKED);
    let holder: serde_json::Value = again.json().expect("the holder's LockInfo");
    assert_eq!(holder["ID"], "held-by-test");

    tf.run(&[
        "apply",
        "-auto-approve",
        "-input=false",
        "-no-color",
        "-lock-timeout=0s",
        "-var=v=two",
    ])
    .code(1)
    .stderr_has("held-by-test")
    .stderr_has("bob@elsewhere");

    // A write without the lock's id, or with another, is refused too.
    let state = request(&server, "GET", "app", Some(("alice", &alice)))
        .send()
        .expect("answers")
        .bytes()
        .expect("the state");
    for query in ["", "?ID=another"] {
        let refused = client()
            .post(format!("{}/tf/state/shop/app{query}", server.base))
            .basic_auth("alice", Some(&alice))
            .body(state.clone())
            .send()
            .expect("answers");
        assert_eq!(refused.status(), StatusCode::LOCKED, "{query}");
    }
    let restore = client()
        .post(format!(
            "{}/api/projects/shop/tfstate/app/versions/1/restore",
            server.base
        ))
        .bearer_auth(&alice)
        .send()
        .expect("answers");
    assert_eq!(restore.status(), StatusCode::LOCKED);

    // Its Terraform is gone: an Administrator releases the lock (an
    // Operator may not), and the break is audited.
    let unlock = |who: &str, token: &str| {
        client()
            .post(format!(
                "{}/api/projects/shop/tfstate/app/unlock",
                server.base
            ))
            .bearer_auth(token)
            .send()
            .unwrap_or_else(|e| panic!("{who}: {e}"))
    };
    let otto = token(&p, "otto");
    grant(&p, "otto", "Operator", "shop");
    assert_eq!(unlock("otto", &otto).status(), StatusCode::FORBIDDEN);
    let released = unlock("alice", &alice);
    assert_eq!(released.status(), StatusCode::OK);
    let released: serde_json::Value = released.json().expect("JSON");
    assert_eq!(released["released"]["id"], "held-by-test");
    let audit = p
        .run(&["--project", "shop", "audit", "--json"])
        .success()
        .stdout;
    assert!(
        audit
            .lines()
            .any(|l| l.contains("tfstate.lock.break") && l.contains("held-by-test")),
        "{audit}"
    );
    tf.apply("two").success();
    // Unlocking a state never written leaves nothing behind, on either
    // store: it is still unknown.
    let never = client()
        .post(format!(
            "{}/api/projects/shop/tfstate/never/unlock",
            server.base
        ))
        .bearer_auth(&alice)
        .send()
        .expect("answers");
    assert_eq!(never.status(), StatusCode::OK);
    let unknown = client()
        .get(format!(
            "{}/api/projects/shop/tfstate/never/versions",
            server.base
        ))
        .bearer_auth(&alice)
        .send()
        .expect("answers");
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    p.run(&[
        "serve",
        "tfstate",
        "unlock",
        "--project",
        "shop",
        "--name",
        "app",
    ])
    .success()
    .stdout_has("is not locked");
}

fn roles_and_tokens_are_checked_with_basic_auth(store: Store) {
    let p = served(store);
    let alice = token(&p, "alice");
    let vera = token(&p, "vera");
    let otto = token(&p, "otto");
    grant(&p, "alice", "Administrator", "shop");
    grant(&p, "vera", "Viewer", "shop");
    grant(&p, "otto", "Operator", "shop");
    let server = Serving::start(&p, &["--project", "shop"]);
    let tf = Workdir::new(&server, "net", "alice", &alice);
    tf.init();
    tf.apply("one").success();

    // A Viewer reads but cannot apply (LOCK needs an Operator: 403).
    let viewer = Workdir::new(&server, "net", "vera", &vera);
    viewer.init();
    viewer
        .apply("two")
        .code(1)
        .stderr_has("HTTP remote state endpoint invalid auth");
    // A wrong token, or another user's: 401.
    let wrong = Workdir::new(&server, "net", "alice", &"0".repeat(64));
    wrong
        .run(&["init", "-input=false", "-no-color"])
        .code(1)
        .stderr_has("requires auth");
    let unauthorized = request(&server, "GET", "net", Some(("alice", &vera)))
        .send()
        .expect("answers");
    assert_eq!(unauthorized.status(), StatusCode::UNAUTHORIZED);
    let challenge = request(&server, "GET", "net", None)
        .send()
        .expect("answers");
    assert_eq!(challenge.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        challenge.headers()["www-authenticate"],
        "Basic realm=\"terrace\""
    );

    // DELETE is an Administrator's.
    let by_operator = request(&server, "DELETE", "net", Some(("otto", &otto)))
        .send()
        .expect("answers");
    assert_eq!(by_operator.status(), StatusCode::FORBIDDEN);
    // A bad name: 400; an unknown state: 404; too large a body: 413.
    let bad = request(&server, "GET", "..hidden", Some(("alice", &alice)))
        .send()
        .expect("answers");
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let unknown = request(&server, "GET", "nothing", Some(("alice", &alice)))
        .send()
        .expect("answers");
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    // The body's declared length is refused before it is read. (Sending the
    // body too races the server's early answer: the client's write then
    // fails with a broken pipe.)
    let large = declared_length_answer(&server, "big", ("otto", &otto), 64 * 1024 * 1024 + 1);
    assert!(large.starts_with("HTTP/1.1 413"), "{large}");

    let deleted = request(&server, "DELETE", "net", Some(("alice", &alice)))
        .send()
        .expect("answers");
    assert_eq!(deleted.status(), StatusCode::OK);
    let gone = request(&server, "GET", "net", Some(("alice", &alice)))
        .send()
        .expect("answers");
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);

    let audit = p.run(&["--project", "shop", "audit"]).success();
    assert!(
        audit
            .lines_with("server.access.denied")
            .iter()
            .any(|l| l.contains("vera")),
        "the Viewer's refusal is audited:\n{}",
        audit.stdout
    );
    audit.stdout_has("tfstate.delete");

    // Guessing tokens with basic auth is held back like with bearer ones.
    let wrong = "1".repeat(64);
    let statuses: Vec<StatusCode> = (0..12)
        .map(|_| {
            request(&server, "GET", "net", Some(("alice", &wrong)))
                .send()
                .expect("answers")
                .status()
        })
        .collect();
    assert_eq!(
        statuses.last(),
        Some(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    let (_, output) = server.stop();
    for secret in [&alice, &vera, &otto] {
        assert!(
            !output.contains(secret.as_str()),
            "the server never shows a token"
        );
    }
}

on_both_stores!(
    terraform_keeps_its_state_in_terrace_serve_and_a_restore_is_planned_against,
    a_held_lock_refuses_terraform_and_names_its_holder,
    roles_and_tokens_are_checked_with_basic_auth,
);
