//! The web console of `terrace serve`: a real Chromium driven through
//! WebDriver (chromedriver, as `.ci/install-browser.sh` installs it) for
//! the scenario a user goes through, and plain HTTP for what a browser
//! hides: escaping, CSRF refusals and the cookie's flags.
//!
//! Screenshots of every page visited go to `target/console-screenshots/`.

use crate::harness::{Project, Store, on_both_stores, repo};
use crate::serve::{Serving, grant, self_signed, token};
use reqwest::StatusCode;
use reqwest::blocking::Client;
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The probe that every page must show as text, never as markup.
const PROBE: &str = "<script>alert(1)</script>";
const ESCAPED: &str = "&lt;script&gt;alert(1)&lt;/script&gt;";

/// Project `shop`: dev, test (whose credential is never set: an item
/// that needs attention), and prod which needs an approval and has an
/// advisory policy that two creates fail; a resource whose input is
/// markup, and one that depends on it.
fn shop() -> Project {
    Project::new()
        .file(
            "project.hcl",
            "project \"shop\" {}\nenvironment \"dev\" {}\nenvironment \"test\" {\n  authorization {\n    api_key = env(\"SHOP_TEST_KEY_NEVER_SET\")\n  }\n}\nenvironment \"prod\" {\n  require_approval = true\n}\nconfiguration \"app\" {\n  architecture = \"./arch\"\n}\npolicy \"creates\" {\n  source       = \"policies/creates.rego\"\n  query        = \"data.terrace.creates.deny\"\n  enforcement  = \"advisory\"\n  environments = [\"prod\"]\n}\n",
        )
        .file(
            "policies/creates.rego",
            "package terrace.creates\n\nimport rego.v1\n\ncreates := [rc | some rc in input.resource_changes; \"create\" in rc.change.actions]\n\ndeny contains sprintf(\"%d objects created at once (at most 1)\", [count(creates)]) if {\n\tcount(creates) > 1\n}\n",
        )
        .file(
            "arch/main.hcl",
            &format!(
                "resource \"terrace_data\" \"a\" {{\n  input = \"{PROBE}\"\n}}\n\nresource \"terrace_data\" \"b\" {{\n  input = terrace_data.a.id\n}}\n"
            ),
        )
}

/// A client that shows redirects instead of following them.
fn no_redirects() -> Client {
    terrace::tls::install_crypto_provider();
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .expect("an HTTP client")
}

/// Signs in with `token` over plain HTTP; the `Set-Cookie` header.
fn sign_in(http: &Client, base: &str, token: &str) -> String {
    let answer = http
        .post(format!("{base}/console/sign-in"))
        .form(&[("token", token)])
        .send()
        .expect("the server answers");
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    answer.headers()["set-cookie"]
        .to_str()
        .expect("ASCII")
        .to_string()
}

/// `terrace_session=VALUE` of a `Set-Cookie` header.
fn session_of(set_cookie: &str) -> String {
    set_cookie
        .split(';')
        .next()
        .expect("a name=value")
        .to_string()
}

/// The CSRF value of the forms of a page.
fn csrf_in(page: &str) -> String {
    let re = regex_lite::Regex::new(r#"name="csrf" value="([0-9a-f]{64})""#).unwrap();
    re.captures(page)
        .unwrap_or_else(|| panic!("no CSRF field in\n{page}"))[1]
        .to_string()
}

fn get(http: &Client, url: &str, cookie: &str) -> reqwest::blocking::Response {
    http.get(url)
        .header("cookie", cookie)
        .send()
        .expect("the server answers")
}

fn post(
    http: &Client,
    url: &str,
    cookie: &str,
    form: &[(&str, &str)],
) -> reqwest::blocking::Response {
    http.post(url)
        .header("cookie", cookie)
        .form(form)
        .send()
        .expect("the server answers")
}

#[test]
fn console_pages_escape_values_refuse_forms_without_csrf_and_set_strict_cookies() {
    let p = shop();
    // A user whose very name is markup.
    let odd = token(&p, PROBE);
    grant(&p, PROBE, "Editor", "shop");
    let serving = Serving::start(&p, &["--project", "."]);
    let (http, base) = (no_redirects(), serving.base.clone());

    // Not signed in: to the sign-in page. A wrong token: 401, the form again.
    let away = http.get(format!("{base}/console")).send().unwrap();
    assert_eq!(away.status(), StatusCode::SEE_OTHER);
    assert_eq!(away.headers()["location"], "/console/sign-in");
    let wrong = http
        .post(format!("{base}/console/sign-in"))
        .form(&[("token", "0".repeat(64))])
        .send()
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(wrong.text().unwrap().contains("not known to this server"));

    let set_cookie = sign_in(&http, &base, &odd);
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"] {
        assert!(set_cookie.contains(flag), "{flag} missing: {set_cookie}");
    }
    assert!(!set_cookie.contains("Secure"), "plain HTTP: {set_cookie}");
    let cookie = session_of(&set_cookie);
    assert!(!cookie.contains(&odd), "the session is not the API token");

    let dashboard = get(&http, &format!("{base}/console/projects/shop"), &cookie);
    assert_eq!(dashboard.status(), StatusCode::OK);
    assert_eq!(
        dashboard.headers()["content-type"],
        "text/html; charset=utf-8"
    );
    let csp = dashboard.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    let page = dashboard.text().unwrap();
    assert!(page.contains(ESCAPED) && !page.contains(PROBE), "{page}");
    let csrf = csrf_in(&page);

    // Forms without the CSRF value, or with another one: 403, nothing done.
    let plans = format!("{base}/console/projects/shop/environments/prod/plans");
    for form in [vec![], vec![("csrf", "0".repeat(64))]] {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let refused = post(&http, &plans, &cookie, &form);
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        assert!(refused.text().unwrap().contains("CSRF"));
    }
    assert!(
        !p.run(&["audit", "--json"])
            .success()
            .stdout
            .contains("project.config.validate"),
        "no plan was made"
    );
    // With it: a plan, shown with the resource's markup as text.
    let made = post(&http, &plans, &cookie, &[("csrf", &csrf)]);
    assert_eq!(made.status(), StatusCode::SEE_OTHER);
    let plan = made.headers()["location"].to_str().unwrap().to_string();
    assert!(plan.starts_with("/console/projects/shop/environments/prod/plans/"));
    let page = get(&http, &format!("{base}{plan}"), &cookie)
        .text()
        .unwrap();
    assert!(
        page.contains("terrace_data.a</code> will be created"),
        "{page}"
    );
    assert!(page.contains(ESCAPED) && !page.contains(PROBE), "{page}");

    // An approval without CSRF: 403; with it, and a comment that is
    // markup: approved, and the comment is text in the audit log.
    let approve = format!("{base}{plan}/approve");
    let refused = post(&http, &approve, &cookie, &[("comment", "ok")]);
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let approved = post(
        &http,
        &approve,
        &cookie,
        &[("csrf", &csrf), ("comment", &format!("CAB-7 {PROBE}"))],
    );
    assert_eq!(approved.status(), StatusCode::SEE_OTHER);
    let audit = get(
        &http,
        &format!("{base}/console/projects/shop/audit?action=approve"),
        &cookie,
    )
    .text()
    .unwrap();
    assert!(audit.contains("project.config.approve"), "{audit}");
    assert!(audit.contains(&format!("CAB-7 {ESCAPED}")), "{audit}");
    assert!(!audit.contains(PROBE));
    // A filter is shown back as text too.
    let echoed = http
        .get(format!("{base}/console/projects/shop/audit"))
        .query(&[("action", PROBE)])
        .header("cookie", &cookie)
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(echoed.contains(ESCAPED) && !echoed.contains(PROBE));
    for page in ["graph", "environments/prod/state"] {
        let shown = get(
            &http,
            &format!("{base}/console/projects/shop/{page}"),
            &cookie,
        );
        assert_eq!(shown.status(), StatusCode::OK, "{page}");
        let shown = shown.text().unwrap();
        assert!(!shown.contains(PROBE), "{page}: {shown}");
    }

    // Signed out: the session is gone from the records.
    let out = post(
        &http,
        &format!("{base}/console/sign-out"),
        &cookie,
        &[("csrf", &csrf)],
    );
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert!(
        out.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let after = get(&http, &format!("{base}/console/projects/shop"), &cookie);
    assert_eq!(after.status(), StatusCode::SEE_OTHER);
    let (_, output) = serving.stop();
    assert!(!output.contains(&odd) && !output.contains(&cookie[COOKIE_PREFIX.len()..]));
}

const COOKIE_PREFIX: &str = "terrace_session=";

#[test]
fn over_tls_the_session_cookie_is_secure() {
    let p = shop();
    let (cert, key) = self_signed(&p);
    let ana = token(&p, "ana");
    grant(&p, "ana", "Viewer", "shop");
    let serving = Serving::start(
        &p,
        &[
            "--project",
            ".",
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
    );
    terrace::tls::install_crypto_provider();
    let trusting = Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&std::fs::read(&cert).unwrap()).unwrap()])
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let set_cookie = sign_in(&trusting, &serving.base, &ana);
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/", "Secure"] {
        assert!(set_cookie.contains(flag), "{flag} missing: {set_cookie}");
    }
    let page = get(
        &trusting,
        &format!("{}/console/projects/shop", serving.base),
        &session_of(&set_cookie),
    );
    assert_eq!(page.status(), StatusCode::OK);
}

/// A chromedriver on a free port and one Chromium session of it, in a
/// fresh profile; both end when dropped.
struct Browser {
    http: Client,
    /// `http://127.0.0.1:PORT/session/ID`.
    session: String,
    driver: Child,
    _profile: tempfile::TempDir,
}

/// The key of an element's id in WebDriver answers (W3C).
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

impl Browser {
    fn start() -> Browser {
        terrace::tls::install_crypto_provider();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver runs (.ci/install-browser.sh installs it)");
        let http = Client::builder()
            .timeout(Duration::from_secs(120))
            .build()
            .expect("an HTTP client");
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = http
                .get(format!("{base}/status"))
                .send()
                .ok()
                .and_then(|r| r.json::<Value>().ok())
                .is_some_and(|v| v["value"]["ready"] == true);
            if ready {
                break;
            }
            assert!(Instant::now() < deadline, "chromedriver never got ready");
            std::thread::sleep(Duration::from_millis(100));
        }
        let profile = tempfile::tempdir().expect("a profile directory");
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--window-size=1280,1000",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            },
        }}});
        let made: Value = http
            .post(format!("{base}/session"))
            .json(&caps)
            .send()
            .expect("chromedriver answers")
            .json()
            .expect("JSON");
        let id = made["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no browser session: {made}"))
            .to_string();
        Browser {
            http,
            session: format!("{base}/session/{id}"),
            driver,
            _profile: profile,
        }
    }

    /// One WebDriver command; its `value`.
    fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self.http.request(method, format!("{}{path}", self.session));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let answer: Value = req
            .send()
            .expect("chromedriver answers")
            .json()
            .expect("JSON");
        if let Some(error) = answer["value"]["error"].as_str() {
            panic!("WebDriver {path}: {error}: {}", answer["value"]["message"]);
        }
        answer["value"].clone()
    }

    fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({ "url": url })));
    }

    fn url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    fn source(&self) -> String {
        self.call(reqwest::Method::GET, "/source", None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The ids of the elements matching `css`.
    fn all(&self, css: &str) -> Vec<String> {
        let found = self.call(
            reqwest::Method::POST,
            "/elements",
            Some(json!({ "using": "css selector", "value": css })),
        );
        found
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e[ELEMENT].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The element matching `css`, waiting for it a while (a form's
    /// answer may still be loading).
    fn find(&self, css: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(id) = self.all(css).into_iter().next() {
                return id;
            }
            assert!(
                Instant::now() < deadline,
                "no {css} on {}:\n{}",
                self.url(),
                self.source()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn text(&self, css: &str) -> String {
        let id = self.find(css);
        self.call(reqwest::Method::GET, &format!("/element/{id}/text"), None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    fn click(&self, css: &str) {
        let id = self.find(css);
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/click"),
            Some(json!({})),
        );
    }

    fn type_in(&self, css: &str, text: &str) {
        let id = self.find(css);
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/value"),
            Some(json!({ "text": text })),
        );
    }

    /// The value of cookie `name` (the browser sees HttpOnly ones).
    fn cookie(&self, name: &str) -> String {
        self.call(reqwest::Method::GET, &format!("/cookie/{name}"), None)["value"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Saves the page as `target/console-screenshots/NAME.png`.
    fn screenshot(&self, name: &str) {
        use base64::Engine;
        let png = self.call(reqwest::Method::GET, "/screenshot", None);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap_or_default())
            .expect("a base64 PNG");
        let dir = repo().join("target/console-screenshots");
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join(format!("{name}.png")), bytes).expect("write the screenshot");
    }

    /// Signs in through the form with `token`.
    fn sign_in(&self, base: &str, token: &str) {
        self.goto(&format!("{base}/console/sign-in"));
        self.type_in("#token", token);
        self.click("form[action='/console/sign-in'] button");
        self.find("table");
        assert!(self.url().ends_with("/console"), "{}", self.url());
    }

    /// Checks that the attention widget of the dashboard shown counts
    /// what `terrace attention --json` lists, by severity; how many.
    fn counts_match(&self, p: &Project) -> usize {
        let cli: Value =
            serde_json::from_str(&p.run(&["attention", "--json"]).success().stdout).expect("JSON");
        let items = cli["items"].as_array().expect("items");
        for severity in ["error", "warning", "info"] {
            let expected = items.iter().filter(|i| i["severity"] == severity).count();
            let shown = self.text(&format!("[data-count='{severity}']"));
            assert_eq!(shown, expected.to_string(), "{severity}: {cli}");
        }
        assert_eq!(self.all("#attention tr.item").len(), items.len());
        items.len()
    }

    fn sign_out(&self) {
        self.click("form.account button");
        self.find("#token");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.http.delete(&self.session).send();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

#[test]
fn in_a_browser_users_sign_in_see_what_needs_attention_plan_approve_and_apply_by_their_roles() {
    let p = shop();
    let (olga, eddie, vera) = (token(&p, "olga"), token(&p, "eddie"), token(&p, "vera"));
    grant(&p, "olga", "Operator", "shop");
    grant(&p, "eddie", "Editor", "shop");
    grant(&p, "vera", "Viewer", "shop");
    let serving = Serving::start(&p, &["--project", "."]);
    let base = serving.base.clone();
    let browser = Browser::start();

    // `/` leads to the sign-in page.
    browser.goto(&format!("{base}/"));
    browser.find("#token");
    assert!(browser.url().ends_with("/console/sign-in"));
    browser.screenshot("sign-in");

    browser.sign_in(&base, &olga);
    assert!(browser.text("main").contains("Operator"));
    browser.screenshot("projects");

    // The dashboard's counts are the command line's.
    browser.click("a[href='/console/projects/shop']");
    browser.find("#attention");
    let attention = browser.counts_match(&p);
    assert!(attention >= 1, "test's credential is missing");
    assert!(browser.text("#env-prod").contains("draft"));
    browser.screenshot("dashboard");

    // An Operator makes a plan of prod; it is shown, without an Approve form.
    browser.click("#env-prod button");
    browser.find("#changes-title");
    let plan_url = browser.url();
    assert!(plan_url.contains("/environments/prod/plans/"), "{plan_url}");
    let shown = browser.text("main");
    assert!(
        shown.contains("app/terrace_data.a will be created"),
        "{shown}"
    );
    assert!(
        shown.contains(PROBE),
        "the markup is shown as text: {shown}"
    );
    assert!(
        browser.all("#comment").is_empty(),
        "an Operator may not approve"
    );
    let policies = browser.text("#policies-title + table");
    assert!(
        policies.contains("creates advisory fail")
            && policies.contains("2 objects created at once (at most 1)"),
        "{policies}"
    );
    browser.screenshot("plan");

    for (page, name) in [
        ("audit", "audit"),
        ("graph", "graph"),
        ("environments/prod/state", "state"),
    ] {
        browser.goto(&format!("{base}/console/projects/shop/{page}"));
        browser.find("main h1");
        browser.screenshot(name);
        if page == "graph" {
            assert_eq!(browser.all("svg.graph rect").len(), 2, "two resources");
            assert_eq!(browser.all("svg.graph line").len(), 1, "b depends on a");
        }
    }

    // Signed out: the old cookie is refused, by the console and the API.
    let old = browser.cookie("terrace_session");
    assert!(old.len() > 64, "{old}");
    // A session is not an API token.
    assert_eq!(
        serving.get("/api/projects", Some(&old)).status(),
        StatusCode::UNAUTHORIZED
    );
    browser.sign_out();
    let http = no_redirects();
    let refused = get(
        &http,
        &format!("{base}/console"),
        &format!("{COOKIE_PREFIX}{old}"),
    );
    assert_eq!(refused.status(), StatusCode::SEE_OTHER);
    assert_eq!(refused.headers()["location"], "/console/sign-in");
    assert_eq!(
        serving.get("/api/projects", Some(&old)).status(),
        StatusCode::UNAUTHORIZED
    );

    // An Editor approves it with a comment.
    browser.sign_in(&base, &eddie);
    browser.goto(&plan_url);
    browser.type_in("#comment", "CAB-7");
    browser.screenshot("plan-editor");
    browser.click("#approve-title + form button");
    browser.find(".notice");
    browser.screenshot("approved");
    browser.goto(&format!("{base}/console/projects/shop"));
    browser.find("#attention");
    browser.counts_match(&p);
    assert!(browser.text("#env-prod").contains("approved"));
    browser.screenshot("dashboard-approved");
    let audit = p.run(&["audit", "--json"]).success().stdout;
    let approval = audit
        .lines()
        .find(|l| l.contains("project.config.approve") && l.contains("\"outcome\":\"success\""))
        .unwrap_or_else(|| panic!("no approval in\n{audit}"));
    assert!(approval.contains("\"initiator\":\"eddie\""), "{approval}");
    browser.sign_out();

    // A Viewer sees no Approve form, and a forged approval is refused 403.
    browser.sign_in(&base, &vera);
    browser.goto(&plan_url);
    browser.find("#changes-title");
    assert!(
        browser.all("#comment").is_empty(),
        "a Viewer may not approve"
    );
    browser.screenshot("plan-viewer");
    let csrf = csrf_in(&browser.source());
    let cookie = format!("{COOKIE_PREFIX}{}", browser.cookie("terrace_session"));
    let forged = post(
        &http,
        &format!("{plan_url}/approve"),
        &cookie,
        &[("csrf", &csrf), ("comment", "me too")],
    );
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(forged.text().unwrap().contains("vera is Viewer"));
    // Nor an Apply button, and a forged apply is refused 403 too.
    assert!(
        browser.all("#apply-title").is_empty(),
        "a Viewer may not apply"
    );
    let forged = post(
        &http,
        &format!("{plan_url}/apply"),
        &cookie,
        &[("csrf", &csrf)],
    );
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(forged.text().unwrap().contains("Operator is needed"));
    browser.goto(&format!(
        "{base}/console/projects/shop/environments/prod/plans/0123abcd"
    ));
    browser.find("main h1");
    assert!(browser.text("main h1").contains("Not Found"));
    browser.sign_out();

    // An Operator applies the approved plan: the job's page shows it
    // until it is done (it reloads itself meanwhile; so does the test).
    browser.sign_in(&base, &olga);
    browser.goto(&plan_url);
    browser.find("#apply-title");
    browser.screenshot("plan-operator");
    browser.click("#apply-title ~ form button");
    browser.find("#events-title");
    let job_url = browser.url();
    assert!(job_url.contains("/console/jobs/"), "{job_url}");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let page = browser.source();
        if page.contains("Apply complete!") && !page.contains("http-equiv=\"refresh\"") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the job did not complete in 30 s:\n{page}"
        );
        std::thread::sleep(Duration::from_millis(500));
        browser.goto(&job_url);
    }
    assert_eq!(browser.text("#job-state"), "succeeded");
    assert!(
        browser
            .text("ol.events")
            .contains("terrace_data.a: Creating...")
    );
    let plan_path = &plan_url[base.len()..];
    assert_eq!(browser.all(&format!("a[href='{plan_path}']")).len(), 1);
    browser.screenshot("job");
    // The dashboard lists the plan and the job.
    browser.click("a[href='/console/projects/shop']");
    browser.find("#jobs");
    let plan_id = plan_url.rsplit('/').next().unwrap_or_default();
    let plans = browser.text("#plans-prod + table");
    assert!(plans.contains(plan_id) && plans.contains("olga"), "{plans}");
    let job_id = job_url.rsplit('/').next().unwrap_or_default();
    let jobs = browser.text("#jobs table");
    for expected in [job_id, "prod", "apply", "succeeded", "olga"] {
        assert!(jobs.contains(expected), "{expected}: {jobs}");
    }
    assert_eq!(
        browser.all("#jobs tr.job").len(),
        1,
        "the Viewer's was refused"
    );
    browser.screenshot("dashboard-jobs");
}

on_both_stores!(a_job_page_shows_its_events_as_text_and_only_to_the_roles_of_its_project);

/// On both stores, since the dashboard lists the kept plans and the jobs
/// from the server's records.
fn a_job_page_shows_its_events_as_text_and_only_to_the_roles_of_its_project(store: Store) {
    // The apply creates the object, then its postcondition fails with a
    // message that carries the object's markup input.
    let p = store.project(Project::new()
        .file(
            "project.hcl",
            "project \"shop\" {}\nenvironment \"dev\" {}\nconfiguration \"app\" {\n  architecture = \"./arch\"\n}\n",
        )
        .file(
            "arch/main.hcl",
            &format!(
                "resource \"terrace_data\" \"a\" {{\n  input = \"{PROBE}\"\n  lifecycle {{\n    postcondition {{\n      condition     = self.output == \"never\"\n      error_message = \"got ${{self.input}}\"\n    }}\n  }}\n}}\n"
            ),
        ));
    let (olga, nina) = (token(&p, "olga"), token(&p, "nina"));
    grant(&p, "olga", "Operator", "shop");
    let serving = Serving::start(&p, &["--project", "."]);
    let (http, base) = (no_redirects(), serving.base.clone());
    let cookie = session_of(&sign_in(&http, &base, &olga));
    let page = get(&http, &format!("{base}/console/projects/shop"), &cookie)
        .text()
        .unwrap();
    let csrf = csrf_in(&page);
    let made = post(
        &http,
        &format!("{base}/console/projects/shop/environments/dev/plans"),
        &cookie,
        &[("csrf", &csrf)],
    );
    assert_eq!(made.status(), StatusCode::SEE_OTHER);
    let plan = made.headers()["location"].to_str().unwrap().to_string();
    // Without the CSRF value: refused, no job.
    let refused = post(&http, &format!("{base}{plan}/apply"), &cookie, &[]);
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let started = post(
        &http,
        &format!("{base}{plan}/apply"),
        &cookie,
        &[("csrf", &csrf)],
    );
    assert_eq!(started.status(), StatusCode::SEE_OTHER);
    let job = started.headers()["location"].to_str().unwrap().to_string();
    assert!(job.starts_with("/console/jobs/"), "{job}");

    let deadline = Instant::now() + Duration::from_secs(30);
    let page = loop {
        let page = get(&http, &format!("{base}{job}"), &cookie).text().unwrap();
        let running = page.contains(r#"id="job-state">running<"#);
        assert_eq!(running, page.contains(r#"http-equiv="refresh""#), "{page}");
        if !running {
            break page;
        }
        assert!(Instant::now() < deadline, "still running after 30 s");
        std::thread::sleep(Duration::from_millis(300));
    };
    assert!(page.contains(r#"id="job-state">failed<"#), "{page}");
    assert!(page.contains("postcondition failed"), "{page}");
    assert!(page.contains(&format!("got {ESCAPED}")), "{page}");
    assert!(!page.contains(PROBE), "{page}");
    assert!(page.contains(r#"<li class="event error">"#), "{page}");
    assert!(page.contains(&format!(r#"href="{plan}""#)), "{page}");
    let dashboard = get(&http, &format!("{base}/console/projects/shop"), &cookie)
        .text()
        .unwrap();
    assert!(
        dashboard.contains(&format!(r#"href="{job}""#)),
        "{dashboard}"
    );
    assert!(dashboard.contains(">failed<"), "{dashboard}");

    // A user without a role on the job's project: 403.
    let stranger = session_of(&sign_in(&http, &base, &nina));
    let refused = get(&http, &format!("{base}{job}"), &stranger);
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(refused.text().unwrap().contains("nina has no role"));
    let unknown = get(&http, &format!("{base}/console/jobs/0123abcd"), &cookie);
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

#[test]
fn state_versions_are_restored_through_the_console_by_an_administrator_only() {
    let p = shop();
    p.apply();
    p.write(
        "arch/main.hcl",
        "resource \"terrace_data\" \"a\" {\n  input = \"second\"\n}\n",
    );
    p.apply();
    let (root, vera) = (token(&p, "root"), token(&p, "vera"));
    grant(&p, "root", "Administrator", "shop");
    grant(&p, "vera", "Viewer", "shop");
    let serving = Serving::start(&p, &["--project", "."]);
    let (http, base) = (no_redirects(), serving.base.clone());
    let state = format!("{base}/console/projects/shop/environments/dev/state");
    let serial_re = regex_lite::Regex::new(r#"name="serial" value="(\d+)""#).unwrap();

    // A Viewer sees the versions, without a Restore form, and may not post one.
    let viewer = session_of(&sign_in(&http, &base, &vera));
    let page = get(&http, &state, &viewer).text().unwrap();
    assert!(page.contains("<td>app</td>"), "{page}");
    assert!(!page.contains("Restore app"), "{page}");
    let refused = post(
        &http,
        &format!("{state}/restore"),
        &viewer,
        &[
            ("csrf", &csrf_in(&page)),
            ("serial", "1"),
            ("config", "app"),
        ],
    );
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(refused.text().unwrap().contains("Administrator is needed"));

    // An Administrator restores one, as `terrace state restore` would.
    let admin = session_of(&sign_in(&http, &base, &root));
    let page = get(&http, &state, &admin).text().unwrap();
    let serial = serial_re
        .captures(&page)
        .unwrap_or_else(|| panic!("no Restore form in\n{page}"))[1]
        .to_string();
    let restored = post(
        &http,
        &format!("{state}/restore"),
        &admin,
        &[
            ("csrf", &csrf_in(&page)),
            ("serial", &serial),
            ("config", "app"),
        ],
    );
    assert_eq!(restored.status(), StatusCode::OK);
    assert!(restored.text().unwrap().contains("Restored"));
    let audit = p.run(&["audit", "--json"]).success().stdout;
    let line = audit
        .lines()
        .find(|l| l.contains("project.state.restore"))
        .unwrap_or_else(|| panic!("no restore in\n{audit}"));
    assert!(
        line.contains("\"initiator\":\"root\"") && line.contains("success"),
        "{line}"
    );

    // A plan that destroys: the warning, and the destroys listed first.
    p.write(
        "arch/main.hcl",
        "resource \"terrace_data\" \"c\" {\n  input = \"third\"\n}\n",
    );
    let made = post(
        &http,
        &format!("{base}/console/projects/shop/environments/dev/plans"),
        &admin,
        &[("csrf", &csrf_in(&page))],
    );
    assert_eq!(made.status(), StatusCode::SEE_OTHER);
    let plan = get(
        &http,
        &format!("{base}{}", made.headers()["location"].to_str().unwrap()),
        &admin,
    )
    .text()
    .unwrap();
    assert!(plan.contains("This plan destroys"), "{plan}");
    let destroyed = plan.find("terrace_data.a</code> will be destroyed");
    let created = plan.find("terrace_data.c</code> will be created");
    assert!(
        destroyed.is_some() && created.is_some() && destroyed < created,
        "{plan}"
    );
}

#[test]
fn sign_in_and_session_guessing_are_held_back_with_429_as_on_the_api() {
    let p = shop();
    let ana = token(&p, "ana");
    grant(&p, "ana", "Viewer", "shop");
    let serving = Serving::start(&p, &["--project", "."]);
    let http = no_redirects();
    // Wrong tokens, and cookies of no session, count alike.
    for guess in 0..5 {
        let wrong = http
            .post(format!("{}/console/sign-in", serving.base))
            .form(&[("token", format!("{guess:064x}"))])
            .send()
            .unwrap();
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
        let forged = get(
            &http,
            &format!("{}/console", serving.base),
            &format!("{COOKIE_PREFIX}{guess:064x}"),
        );
        assert_eq!(forged.status(), StatusCode::SEE_OTHER);
    }
    let held = http
        .post(format!("{}/console/sign-in", serving.base))
        .form(&[("token", &ana)])
        .send()
        .unwrap();
    assert_eq!(held.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(held.headers().contains_key("retry-after"));
    // The API's guard counts the same failures.
    assert_eq!(
        serving.get("/api/projects", Some(&ana)).status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[test]
fn a_session_opened_on_one_server_counts_on_another_on_the_same_database_until_signed_out() {
    let p = crate::harness::Store::Postgres.project(shop());
    let ann = token(&p, "ann");
    grant(&p, "ann", "Viewer", "shop");
    let one = Serving::start(&p, &["--project", "."]);
    let two = Serving::start(&p, &["--project", "."]);
    let http = no_redirects();
    let cookie = session_of(&sign_in(&http, &one.base, &ann));
    let on_two = get(
        &http,
        &format!("{}/console/projects/shop", two.base),
        &cookie,
    );
    assert_eq!(on_two.status(), StatusCode::OK);
    let csrf = csrf_in(&on_two.text().unwrap());
    let out = post(
        &http,
        &format!("{}/console/sign-out", two.base),
        &cookie,
        &[("csrf", &csrf)],
    );
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    let on_one = get(
        &http,
        &format!("{}/console/projects/shop", one.base),
        &cookie,
    );
    assert_eq!(on_one.status(), StatusCode::SEE_OTHER, "signed out on both");
}

#[test]
fn an_administrator_gives_and_takes_roles_and_makes_tokens_in_the_console() {
    let p = shop();
    let (root, vera) = (token(&p, "root"), token(&p, "vera"));
    grant(&p, "root", "Administrator", "shop");
    grant(&p, "vera", "Viewer", "shop");
    let serving = Serving::start(&p, &["--project", "."]);
    let (http, base) = (no_redirects(), serving.base.clone());
    let access = format!("{base}/console/projects/shop/access");
    let api_status = |token: &str| {
        http.get(format!("{base}/api/projects/shop/status"))
            .bearer_auth(token)
            .send()
            .expect("the server answers")
            .status()
    };

    // A Viewer may not see who has which role.
    let viewer = session_of(&sign_in(&http, &base, &vera));
    let refused = get(&http, &access, &viewer);
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(refused.text().unwrap().contains("Administrator is needed"));

    let admin = session_of(&sign_in(&http, &base, &root));
    let page = get(&http, &access, &admin).text().unwrap();
    assert!(
        page.contains("<td>vera</td><td>Viewer</td>"),
        "the grants are listed: {page}"
    );
    let csrf = csrf_in(&page);
    // Without the CSRF value: refused, nothing changes.
    let forged = post(
        &http,
        &format!("{access}/grant"),
        &admin,
        &[("user", "otto"), ("role", "Administrator")],
    );
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    // A role, then a token for otto, which the API takes as otto's.
    let given = post(
        &http,
        &format!("{access}/grant"),
        &admin,
        &[("csrf", &csrf), ("user", "otto"), ("role", "Operator")],
    );
    assert_eq!(given.status(), StatusCode::OK);
    assert!(
        given
            .text()
            .unwrap()
            .contains("otto is Operator on project shop.")
    );
    let made = post(
        &http,
        &format!("{access}/token"),
        &admin,
        &[("csrf", &csrf), ("user", "otto")],
    )
    .text()
    .unwrap();
    let otto = regex_lite::Regex::new(r#"<code class="token">([0-9a-f]{64})</code>"#)
        .unwrap()
        .captures(&made)
        .unwrap_or_else(|| panic!("no token shown in\n{made}"))[1]
        .to_string();
    assert_eq!(api_status(&otto), StatusCode::OK);
    // A name is shown as text.
    let probe = post(
        &http,
        &format!("{access}/grant"),
        &admin,
        &[("csrf", &csrf), ("user", PROBE), ("role", "Viewer")],
    )
    .text()
    .unwrap();
    assert!(probe.contains(ESCAPED) && !probe.contains(PROBE), "{probe}");
    // Taken away: otto's token gives nothing on the project any more.
    let revoked = post(
        &http,
        &format!("{access}/revoke"),
        &admin,
        &[("csrf", &csrf), ("user", "otto")],
    );
    assert!(
        revoked
            .text()
            .unwrap()
            .contains("otto no longer has a role")
    );
    assert_eq!(api_status(&otto), StatusCode::FORBIDDEN);
    // Each change is root's in the audit trail; the token is in none.
    let audit = p.run(&["audit", "--json"]).success().stdout;
    for action in [
        "server.access.grant",
        "server.token.create",
        "server.access.revoke",
    ] {
        assert!(
            audit
                .lines()
                .any(|l| l.contains(action) && l.contains("\"initiator\":\"root\"")),
            "{action} in\n{audit}"
        );
    }
    assert!(!audit.contains(&otto));
}
