//! `terrace serve`: the real server on 127.0.0.1, real HTTP, tokens and
//! grants made by the real commands, on local files and on PostgreSQL.

use crate::harness::{Project, Store, assert_not_under, on_both_stores};
use crate::pg::Database;
use reqwest::StatusCode;
use reqwest::blocking::Client;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Stdio};

/// Two projects side by side in one checkout: `alpha/` and `beta/`.
fn two_projects(store: Store) -> Project {
    let project = |name: &str| {
        format!(
            "project \"{name}\" {{}}\nenvironment \"dev\" {{}}\nconfiguration \"app\" {{\n  architecture = \"./arch\"\n}}\n"
        )
    };
    let arch = "resource \"terrace_data\" \"a\" {\n  input = \"a\"\n}\n";
    store.project(
        Project::new()
            .file("alpha/project.hcl", &project("alpha"))
            .file("alpha/arch/main.hcl", arch)
            .file("beta/project.hcl", &project("beta"))
            .file("beta/arch/main.hcl", arch),
    )
}

/// A running `terrace serve`, stopped when dropped.
pub(crate) struct Serving {
    child: Child,
    pub(crate) base: String,
}

impl Serving {
    /// Starts `terrace serve --listen 127.0.0.1:0 ARGS…` in `p` and reads
    /// the address it printed.
    pub(crate) fn start(p: &Project, args: &[&str]) -> Serving {
        let mut all = vec!["serve", "--listen", "127.0.0.1:0"];
        all.extend_from_slice(args);
        let mut child = p
            .cmd(&all)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("terrace serve starts");
        let mut first = String::new();
        BufReader::new(child.stdout.as_mut().expect("stdout"))
            .read_line(&mut first)
            .expect("read the first line");
        let Some(addr) = first.trim().strip_prefix("Listening on ") else {
            let mut err = String::new();
            let _ = child.kill();
            let _ = child
                .stderr
                .take()
                .expect("stderr")
                .read_to_string(&mut err);
            panic!("terrace serve did not start: {first:?}\n{err}");
        };
        Serving {
            child,
            base: addr.to_string(),
        }
    }

    pub(crate) fn get(&self, path: &str, token: Option<&str>) -> reqwest::blocking::Response {
        let mut req = client().get(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().expect("the server answers")
    }

    /// Kills the server (SIGKILL): it stops at once, writing nothing more.
    pub(crate) fn kill(&mut self) {
        self.child.kill().expect("the server is killed");
        let _ = self.child.wait();
    }

    /// Stops the server with SIGTERM and returns what it printed.
    pub(crate) fn stop(mut self) -> (std::process::ExitStatus, String) {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        let status = self.child.wait().expect("terrace serve ends");
        let mut out = String::new();
        let _ = self
            .child
            .stdout
            .take()
            .expect("stdout")
            .read_to_string(&mut out);
        let _ = self
            .child
            .stderr
            .take()
            .expect("stderr")
            .read_to_string(&mut out);
        (status, out)
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn client() -> Client {
    terrace::tls::install_crypto_provider();
    Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .expect("an HTTP client")
}

/// `serve token create --user USER`: the token printed, alone on stdout.
pub(crate) fn token(p: &Project, user: &str) -> String {
    let run = p
        .run(&["serve", "token", "create", "--user", user])
        .success();
    let token = run.stdout.trim().to_string();
    assert_eq!(token.len(), 64, "{}", run.stdout);
    token
}

pub(crate) fn grant(p: &Project, user: &str, role: &str, project: &str) {
    p.run(&[
        "serve",
        "grant",
        "--user",
        user,
        "--role",
        role,
        "--project",
        project,
    ])
    .success()
    .stdout_has(&format!("{user} is {role} on project {project}."));
}

fn a_token_with_a_grant_reads_status_and_no_or_a_wrong_token_is_401(store: Store) {
    let p = two_projects(store);
    let ann = token(&p, "ann");
    grant(&p, "ann", "Viewer", "alpha");
    let server = Serving::start(&p, &["--project", "alpha", "--project", "beta"]);

    let ok = server.get("/api/projects/alpha/status", Some(&ann));
    assert_eq!(ok.status(), StatusCode::OK);
    let body: serde_json::Value = ok.json().expect("JSON");
    assert_eq!(body["project"], "alpha");
    assert_eq!(body["environments"][0]["name"], "dev");
    assert_eq!(
        body["environments"][0]["configurations"][0]["stage"],
        "draft"
    );

    let none = server.get("/api/projects/alpha/status", None);
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    assert!(
        none.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer"),
    );
    let wrong = "0".repeat(64);
    let wrong = server.get("/api/projects/alpha/status", Some(&wrong));
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);

    let attention = server.get("/api/projects/alpha/attention", Some(&ann));
    assert_eq!(attention.status(), StatusCode::OK);
    let listed: serde_json::Value = server.get("/api/projects", Some(&ann)).json().unwrap();
    assert_eq!(
        listed,
        serde_json::json!({"projects": [{"name": "alpha", "role": "Viewer"}]})
    );
    let (status, output) = server.stop();
    assert!(status.success(), "SIGTERM is a graceful stop: {output}");
    assert!(!output.contains(&ann), "the server never shows a token");
}

fn a_user_without_a_grant_on_the_project_is_refused_403_and_the_refusal_is_audited(store: Store) {
    let p = two_projects(store);
    let ann = token(&p, "ann");
    grant(&p, "ann", "Viewer", "alpha");
    let server = Serving::start(&p, &["--project", "alpha", "--project", "beta"]);

    let refused = server.get("/api/projects/beta/status", Some(&ann));
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let body: serde_json::Value = refused.json().unwrap();
    assert!(
        body["error"].as_str().unwrap().contains("ann has no role"),
        "{body}"
    );
    // A project the server does not serve: refused the same, not revealed.
    let unknown = server.get("/api/projects/gamma/status", Some(&ann));
    assert_eq!(unknown.status(), StatusCode::FORBIDDEN);

    let audit = p.run(&["--project", "beta", "audit"]).success();
    let line = audit.line_of("server.access.denied");
    let denied = audit.stdout.lines().nth(line).unwrap();
    assert!(
        denied.contains("failure") && denied.contains("ann"),
        "{denied}"
    );
    let json = p.run(&["--project", "beta", "audit", "--json"]).success();
    assert!(
        json.stdout
            .contains("\"path\":\"/api/projects/beta/status\""),
        "{}",
        json.stdout
    );
    assert!(json.stdout.contains("\"method\":\"GET\""));
    // Through the API too, for a Viewer of beta, with the CLI's filters.
    grant(&p, "ann", "Viewer", "beta");
    let events: serde_json::Value = server
        .get("/api/projects/beta/audit?since=2020-01-01", Some(&ann))
        .json()
        .unwrap();
    let actions: Vec<&str> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(actions.contains(&"server.access.denied"), "{events}");
    // An age, as on the command line: the refusal was a moment ago; none
    // is in the future.
    let count = |since: &str| {
        let events: serde_json::Value = server
            .get(
                &format!("/api/projects/beta/audit?since={since}"),
                Some(&ann),
            )
            .json()
            .unwrap();
        events["events"].as_array().unwrap().len()
    };
    assert!(count("1h") >= 1);
    assert_eq!(count("2999-01-01"), 0);
    let bad = server.get("/api/projects/beta/audit?since=yesterday-ish", Some(&ann));
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert!(bad.text().unwrap().contains("or an age (24h)"));
    // Revoked: refused again at once.
    p.run(&["serve", "revoke", "--user", "ann", "--project", "beta"])
        .success();
    let again = server.get("/api/projects/beta/audit", Some(&ann));
    assert_eq!(again.status(), StatusCode::FORBIDDEN);
    assert_not_under(p.root(), &ann);
}

fn the_token_is_shown_by_token_create_only_and_stored_nowhere(store: Store) {
    let p = two_projects(store);
    let created = p
        .run(&["serve", "token", "create", "--user", "ann"])
        .success();
    let ann = created.stdout.trim().to_string();
    assert!(created.stderr.contains("shown this once"));
    grant(&p, "ann", "Administrator", "alpha");
    let server = Serving::start(&p, &["--project", "alpha"]);
    assert_eq!(
        server
            .get("/api/projects/alpha/status", Some(&ann))
            .status(),
        StatusCode::OK
    );
    let openapi = server.get("/api/openapi.json", Some(&ann));
    assert_eq!(openapi.status(), StatusCode::OK);
    let doc: serde_json::Value = openapi.json().unwrap();
    assert!(doc["paths"]["/api/projects/{project}/status"].is_object());
    assert_eq!(
        server.get("/api/openapi.json", None).status(),
        StatusCode::UNAUTHORIZED
    );
    let (_, output) = server.stop();
    assert!(!output.contains(&ann));
    for args in [
        &["--project", "alpha", "audit", "--json"][..],
        &["--project", "alpha", "status"],
    ] {
        assert!(!p.run(args).success().stdout.contains(&ann));
    }
    // Local files: the data directory holds the hash only.
    assert_not_under(p.root(), &ann);
    if store == Store::Local {
        assert!(
            p.read(".terrace-serve/tokens.json")
                .contains(&terrace::server::token::hash(&ann))
        );
    }
}

on_both_stores!(
    a_token_with_a_grant_reads_status_and_no_or_a_wrong_token_is_401,
    a_user_without_a_grant_on_the_project_is_refused_403_and_the_refusal_is_audited,
    the_token_is_shown_by_token_create_only_and_stored_nowhere,
    an_administrator_gives_tokens_and_roles_through_the_api_and_each_change_is_audited,
    plans_are_made_shown_and_approved_through_the_api_by_their_roles,
);

#[test]
fn two_servers_on_one_database_accept_the_same_token_made_after_they_started() {
    let p = two_projects(Store::Postgres);
    let first = Serving::start(&p, &["--project", "alpha"]);
    let second = Serving::start(&p, &["--project", "alpha"]);
    let ann = token(&p, "ann");
    grant(&p, "ann", "Viewer", "alpha");
    for server in [&first, &second] {
        assert_eq!(
            server
                .get("/api/projects/alpha/status", Some(&ann))
                .status(),
            StatusCode::OK
        );
    }
    p.run(&["serve", "revoke", "--user", "ann", "--project", "alpha"])
        .success();
    for server in [&first, &second] {
        assert_eq!(
            server
                .get("/api/projects/alpha/status", Some(&ann))
                .status(),
            StatusCode::FORBIDDEN
        );
    }
    assert!(
        !p.exists(".terrace-serve"),
        "on PostgreSQL no access file is written"
    );
}

#[test]
fn backend_init_upgrades_a_version_1_database_with_the_servers_tables() {
    let db = Database::new();
    let p = Project::new()
        .file("project.hcl", "project \"p\" {}\nenvironment \"dev\" {}\n")
        .on_postgres(&db);
    p.run(&["backend", "init"]).success();
    db.sql(
        "DROP TABLE terrace_tokens, terrace_grants, terrace_plans, terrace_job_events, terrace_jobs, terrace_tfstate_versions, terrace_tfstate; UPDATE terrace_schema SET version = 1",
    );
    p.run(&["serve", "token", "create", "--user", "ann"])
        .code(1)
        .stderr_has("run `terrace backend init`");
    p.run(&["backend", "init"])
        .success()
        .stdout_has("from version 1 to 5");
    token(&p, "ann");
    assert_eq!(db.sql("SELECT \"user\" FROM terrace_tokens").trim(), "ann");
}

/// A self-signed certificate for 127.0.0.1 and its key, made by openssl:
/// (cert.pem, key.pem) in `p`.
pub(crate) fn self_signed(p: &Project) -> (std::path::PathBuf, std::path::PathBuf) {
    let (cert, key) = (p.path("cert.pem"), p.path("key.pem"));
    let status = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=terrace test",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            // A server's certificate, not a CA's (which rustls refuses to
            // see as a server's).
            "-addext",
            "basicConstraints=critical,CA:FALSE",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(Stdio::null())
        .status()
        .expect("openssl runs (.ci/run checks it is there)");
    assert!(status.success());
    (cert, key)
}

#[test]
fn over_tls_the_server_answers_https_only_with_its_certificate() {
    let p = two_projects(Store::Local);
    let (cert, key) = self_signed(&p);
    let t = token(&p, "ana");
    grant(&p, "ana", "Viewer", "alpha");
    let serving = Serving::start(
        &p,
        &[
            "--project",
            "alpha",
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
    );
    assert!(
        serving.base.starts_with("https://127.0.0.1:"),
        "{}",
        serving.base
    );
    terrace::tls::install_crypto_provider();
    let trusting = Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&std::fs::read(&cert).unwrap()).unwrap()])
        .build()
        .unwrap();
    let answer = trusting
        .get(format!("{}/api/projects/alpha/status", serving.base))
        .bearer_auth(&t)
        .send()
        .expect("the server answers over TLS");
    assert_eq!(answer.status(), StatusCode::OK);
    // A client that does not trust the certificate gets no answer, and
    // plain HTTP to the port none either.
    assert!(
        client()
            .get(format!("{}/api/projects", serving.base))
            .send()
            .is_err()
    );
    let plain = serving.base.replacen("https://", "http://", 1);
    assert!(
        client()
            .get(format!("{plain}/api/projects"))
            .send()
            .is_err()
    );
    // The server goes on answering after those failed handshakes.
    let again = trusting
        .get(format!("{}/api/projects", serving.base))
        .bearer_auth(&t)
        .send()
        .unwrap();
    assert_eq!(again.status(), StatusCode::OK);
}

#[test]
fn a_key_that_is_not_the_certificates_or_not_pem_is_refused_naming_the_file() {
    let p = two_projects(Store::Local);
    let (cert, _) = self_signed(&p);
    let elsewhere = Project::new();
    let (_, other_key) = self_signed(&elsewhere);
    p.run(&[
        "serve",
        "--project",
        "alpha",
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        cert.to_str().unwrap(),
    ])
    .code(1)
    .stderr_has(&format!(
        "cannot use {} for TLS: it holds no PEM item",
        cert.display()
    ));
    let refused = p
        .run(&[
            "serve",
            "--project",
            "alpha",
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            other_key.to_str().unwrap(),
        ])
        .code(1)
        .stderr_has("is not the key of the certificate");
    assert!(
        !refused.stderr.contains("PRIVATE KEY"),
        "{}",
        refused.stderr
    );
    p.run(&[
        "serve",
        "--project",
        "alpha",
        "--tls-cert",
        cert.to_str().unwrap(),
    ])
    .code(1)
    .stderr_has("--tls-key");
}

#[test]
fn token_guessing_is_held_back_with_429_after_ten_failures_whatever_token_follows() {
    let p = two_projects(Store::Local);
    let t = token(&p, "ana");
    grant(&p, "ana", "Viewer", "alpha");
    let serving = Serving::start(&p, &["--project", "alpha"]);
    assert_eq!(
        serving.get("/api/projects/alpha/status", Some(&t)).status(),
        StatusCode::OK
    );
    for guess in 0..10 {
        let wrong = format!("{guess:064x}");
        assert_eq!(
            serving.get("/api/projects", Some(&wrong)).status(),
            StatusCode::UNAUTHORIZED
        );
    }
    // Held back: even the right token gets no answer but 429 for now.
    let held = serving.get("/api/projects/alpha/status", Some(&t));
    assert_eq!(held.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = held.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let (_, out) = serving.stop();
    assert!(!out.contains(&t), "the token is in the server's output");
}

fn an_administrator_gives_tokens_and_roles_through_the_api_and_each_change_is_audited(
    store: Store,
) {
    let p = two_projects(store);
    let (root, ed) = (token(&p, "root"), token(&p, "ed"));
    grant(&p, "root", "Administrator", "alpha");
    grant(&p, "ed", "Editor", "alpha");
    let serving = Serving::start(&p, &["--project", "alpha", "--project", "beta"]);
    let call = |method: reqwest::Method, path: &str, who: &str, body: Option<serde_json::Value>| {
        let mut req = client()
            .request(method, format!("{}{path}", serving.base))
            .bearer_auth(who);
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().expect("the server answers")
    };
    // A token for a new user, in the answer only.
    let made = call(
        reqwest::Method::POST,
        "/api/projects/alpha/tokens",
        &root,
        Some(serde_json::json!({ "user": "vic" })),
    );
    assert_eq!(made.status(), StatusCode::CREATED);
    let made: serde_json::Value = made.json().unwrap();
    let vic = made["token"].as_str().unwrap().to_string();
    assert_eq!(vic.len(), 64);
    // It gives nothing until a grant.
    assert_eq!(
        serving
            .get("/api/projects/alpha/status", Some(&vic))
            .status(),
        StatusCode::FORBIDDEN
    );
    let granted = call(
        reqwest::Method::PUT,
        "/api/projects/alpha/grants/vic",
        &root,
        Some(serde_json::json!({ "role": "viewer" })),
    );
    assert_eq!(granted.status(), StatusCode::OK);
    assert_eq!(
        serving
            .get("/api/projects/alpha/status", Some(&vic))
            .status(),
        StatusCode::OK
    );
    let list: serde_json::Value = serving
        .get("/api/projects/alpha/grants", Some(&root))
        .json()
        .unwrap();
    assert_eq!(
        list["grants"],
        serde_json::json!([
            { "user": "ed", "role": "Editor" },
            { "user": "root", "role": "Administrator" },
            { "user": "vic", "role": "Viewer" },
        ])
    );
    // Not a role: 422. An Editor, or an Administrator of another project: 403.
    let bad = call(
        reqwest::Method::PUT,
        "/api/projects/alpha/grants/vic",
        &root,
        Some(serde_json::json!({ "role": "Owner" })),
    );
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    for (who, path) in [
        (&ed, "/api/projects/alpha/grants/ed"),
        (&root, "/api/projects/beta/grants/root"),
    ] {
        let refused = call(
            reqwest::Method::PUT,
            path,
            who,
            Some(serde_json::json!({ "role": "Administrator" })),
        );
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(
        call(
            reqwest::Method::POST,
            "/api/projects/alpha/tokens",
            &ed,
            Some(serde_json::json!({ "user": "x" }))
        )
        .status(),
        StatusCode::FORBIDDEN
    );
    // Revoked: refused at once.
    let revoked: serde_json::Value = call(
        reqwest::Method::DELETE,
        "/api/projects/alpha/grants/vic",
        &root,
        None,
    )
    .json()
    .unwrap();
    assert_eq!(revoked["revoked"], true);
    assert_eq!(
        serving
            .get("/api/projects/alpha/status", Some(&vic))
            .status(),
        StatusCode::FORBIDDEN
    );
    // Each change in alpha's audit trail, by the Administrator; no token.
    let audit = p.run(&["--project", "alpha", "audit", "--json"]).success();
    for action in [
        "server.token.create",
        "server.access.grant",
        "server.access.revoke",
    ] {
        let line = audit
            .stdout
            .lines()
            .find(|l| l.contains(action))
            .unwrap_or_else(|| panic!("{action} missing:\n{}", audit.stdout));
        assert!(line.contains("\"initiator\":\"root\""), "{line}");
    }
    p.run(&["--project", "alpha", "audit", "--verify"])
        .success();
    assert_not_under(p.root(), &vic);
}

/// One project, `shop`, whose prod needs an approval by someone other
/// than the plan's author.
pub(crate) fn guarded_shop(store: Store) -> Project {
    store.project(
        Project::new()
            .file(
                "project.hcl",
                "project \"shop\" {}\nenvironment \"dev\" {}\nenvironment \"prod\" {\n  require_approval {\n    distinct_approver = true\n  }\n}\nconfiguration \"app\" {\n  architecture = \"./arch\"\n}\n",
            )
            .file(
                "arch/main.hcl",
                "resource \"terrace_data\" \"a\" {\n  input = \"shop\"\n}\n",
            ),
    )
}

fn plans_are_made_shown_and_approved_through_the_api_by_their_roles(store: Store) {
    let p = guarded_shop(store);
    let (olga, eddie, vera) = (token(&p, "olga"), token(&p, "eddie"), token(&p, "vera"));
    grant(&p, "olga", "Editor", "shop");
    grant(&p, "eddie", "Editor", "shop");
    grant(&p, "vera", "Viewer", "shop");
    let serving = Serving::start(&p, &["--project", "."]);
    let post = |path: &str, who: &str, body: serde_json::Value| {
        client()
            .post(format!("{}{path}", serving.base))
            .bearer_auth(who)
            .json(&body)
            .send()
            .expect("the server answers")
    };
    let plans = "/api/projects/shop/environments/prod/plans";
    // A Viewer may not plan.
    assert_eq!(
        post(plans, &vera, serde_json::json!({})).status(),
        StatusCode::FORBIDDEN
    );
    let made = post(plans, &olga, serde_json::json!({}));
    assert_eq!(made.status(), StatusCode::CREATED);
    let made: serde_json::Value = made.json().unwrap();
    assert_eq!(made["author"], "olga");
    assert_eq!(made["changes"]["add"], 1);
    let id = made["id"].as_str().unwrap().to_string();
    let plan = format!("{plans}/{id}");
    // Shown to a Viewer as the command line shows the plan file.
    let text = serving.get(&plan, Some(&vera)).text().unwrap();
    assert!(
        text.contains("app/terrace_data.a will be created"),
        "{text}"
    );
    let markdown = serving
        .get(&format!("{plan}?format=markdown"), Some(&vera))
        .text()
        .unwrap();
    assert!(markdown.contains("terrace_data.a"), "{markdown}");
    let file = serving
        .get(&format!("{plan}?format=file"), Some(&vera))
        .bytes()
        .unwrap();
    p.write("prod.plan", std::str::from_utf8(&file).unwrap());
    let json: serde_json::Value = serving
        .get(&format!("{plan}?format=json"), Some(&vera))
        .json()
        .unwrap();
    let shown = p.run(&["show", "prod.plan", "--format", "json"]).success();
    assert_eq!(
        json,
        serde_json::from_str::<serde_json::Value>(&shown.stdout).unwrap(),
        "the API's JSON plan is the command line's"
    );
    assert_eq!(
        serving
            .get(&format!("{plan}?format=yaml"), Some(&vera))
            .status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        serving
            .get(&format!("{plans}/0123abcd"), Some(&vera))
            .status(),
        StatusCode::NOT_FOUND
    );
    // The author may not approve it; a Viewer may not either; another Editor may.
    let approve = format!("{plan}/approve");
    let comment = serde_json::json!({ "comment": "CAB-7" });
    let refused = post(&approve, &olga, comment.clone());
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.text().unwrap().contains("olga made the plan"),
        "the author is named"
    );
    assert_eq!(
        post(&approve, &vera, comment.clone()).status(),
        StatusCode::FORBIDDEN
    );
    let approved = post(&approve, &eddie, comment);
    assert_eq!(approved.status(), StatusCode::OK);
    // The approved file applies from the command line, and nothing is left.
    p.run(&["apply", "--env", "prod", "prod.plan"]).success();
    p.run(&["plan", "--env", "prod", "--detailed-exitcode"])
        .success();
    let audit = p.run(&["audit", "--json"]).success().stdout;
    let approval = audit
        .lines()
        .find(|l| l.contains("project.config.approve") && l.contains("\"outcome\":\"success\""))
        .unwrap_or_else(|| panic!("no approval in\n{audit}"));
    assert!(approval.contains("\"initiator\":\"eddie\""), "{approval}");
    assert!(
        audit
            .lines()
            .any(|l| l.contains("project.config.validate") && l.contains("\"initiator\":\"olga\"")),
        "the plan is olga's:\n{audit}"
    );
}

#[test]
fn a_plan_made_on_one_server_is_shown_and_approved_on_another_on_the_same_database() {
    let p = guarded_shop(Store::Postgres);
    let (olga, eddie) = (token(&p, "olga"), token(&p, "eddie"));
    grant(&p, "olga", "Operator", "shop");
    grant(&p, "eddie", "Editor", "shop");
    let one = Serving::start(&p, &["--project", "."]);
    let two = Serving::start(&p, &["--project", "."]);
    let made: serde_json::Value = client()
        .post(format!(
            "{}/api/projects/shop/environments/prod/plans",
            one.base
        ))
        .bearer_auth(&olga)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let plan = format!(
        "/api/projects/shop/environments/prod/plans/{}",
        made["id"].as_str().unwrap()
    );
    assert_eq!(two.get(&plan, Some(&eddie)).status(), StatusCode::OK);
    let approved = client()
        .post(format!("{}{plan}/approve", two.base))
        .bearer_auth(&eddie)
        .json(&serde_json::json!({ "comment": "ok" }))
        .send()
        .unwrap();
    assert_eq!(approved.status(), StatusCode::OK);
}
