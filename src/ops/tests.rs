//! The operations called in-process, as a second front end would: real
//! projects in temporary directories, a front end that records what it
//! was shown and answers as scripted.

use super::apply::{ApplyRequest, apply};
use super::plan::{PlanRequest, PlanSettings, plan};
use super::promote::{PromoteRequest, promote};
use super::{Applied, Error, Front, Notice};
use crate::apply::{Cancel, Event, Observer};
use crate::diag::{Diagnostics, SourceMap};
use crate::plan::Plan;
use crate::provider::BoxFuture;
use std::path::Path;
use std::sync::Mutex;

const PROJECT: &str = r#"
project "data" {}
environment "dev" {}
environment "test" {
  promote_from = "dev"
}
configuration "core" {
  architecture = "./arch"
  inputs = { name = environment.name }
}
"#;

const ARCH: &str = r#"
variable "name" { type = string }
resource "terrace_data" "a" {
  input = { name = var.name }
}
resource "terrace_data" "b" {
  count = 3
  input = { a = terrace_data.a.id, i = count.index }
}
output "id" { value = terrace_data.a.id }
"#;

fn project(arch: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("project.hcl"), PROJECT).unwrap();
    std::fs::create_dir_all(dir.path().join("arch")).unwrap();
    std::fs::write(dir.path().join("arch/main.hcl"), arch).unwrap();
    dir
}

/// Records what an operation showed; answers `confirm` with `yes`.
#[derive(Default)]
struct Recorder {
    yes: Option<bool>,
    shown: Mutex<Vec<String>>,
}

impl Recorder {
    fn answering(yes: bool) -> Recorder {
        Recorder {
            yes: Some(yes),
            ..Recorder::default()
        }
    }

    fn note(&self, what: String) {
        self.shown.lock().unwrap().push(what);
    }

    fn shown(&self) -> Vec<String> {
        self.shown.lock().unwrap().clone()
    }
}

struct Events<'a>(&'a Recorder);

impl Observer for Events<'_> {
    fn event(&self, event: &Event) {
        if let Event::Finished { address, .. } = event {
            self.0.note(format!("finished {address}"));
        }
    }
}

impl Front for Recorder {
    fn notice(&self, notice: Notice<'_>) {
        self.note(format!("notice {notice:?}"));
    }
    fn diagnostics(&self, diags: Diagnostics, _sources: &SourceMap) {
        self.note(format!("diagnostics {}", diags.len()));
    }
    fn planned(&self, plan: &Plan) -> super::Result {
        let s = plan.summary();
        self.note(format!("planned {} {} {}", s.add, s.change, s.destroy));
        Ok(())
    }
    fn can_confirm(&self) -> bool {
        self.yes.is_some()
    }
    fn confirm<'a>(&'a self, what: &'a str) -> BoxFuture<'a, bool> {
        self.note(format!("asked to {what}"));
        let yes = self.yes == Some(true);
        Box::pin(async move { yes })
    }
    fn progress<'a>(&'a self, env: &str, _plan: &Plan) -> Box<dyn Observer + 'a> {
        self.note(format!("applying to {env}"));
        Box::new(Events(self))
    }
    fn applied(&self, a: &Applied<'_>) {
        self.note(format!("applied {} created", a.outcome.created));
    }
}

fn apply_request(root: &Path, env: &str, auto_approve: bool) -> ApplyRequest {
    ApplyRequest {
        root: root.to_path_buf(),
        env: env.into(),
        planfile: None,
        kept: None,
        auto_approve,
        destroy: false,
        settings: PlanSettings::default(),
    }
}

fn audit_lines(root: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(root.join(".terrace/audit.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test]
async fn plan_shows_the_plan_through_the_front_end_and_saves_it_with_its_hash() {
    let dir = project(ARCH);
    let out = dir.path().join("dev.plan");
    let req = PlanRequest {
        root: dir.path().to_path_buf(),
        env: "dev".into(),
        destroy: false,
        out: Some(out.clone()),
        settings: PlanSettings::default(),
    };
    let front = Recorder::default();
    let report = plan(&req, &front).await.unwrap();
    assert_eq!(report.plan.summary().add, 4);
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(
        report.saved.as_deref(),
        Some(crate::digest::sha256_hex(&bytes).as_str())
    );
    let shown = front.shown();
    assert_eq!(shown[0], "planned 4 0 0", "{shown:?}");
    assert!(shown[1].starts_with("notice Saved"), "{shown:?}");
    // The operation records its own audit event.
    let audit = audit_lines(dir.path());
    assert_eq!(audit.last().unwrap()["action"], "project.config.validate");
    assert_eq!(audit.last().unwrap()["outcome"], "success");
}

#[tokio::test]
async fn apply_applies_and_reports_the_outcome_and_then_has_nothing_to_do() {
    let dir = project(ARCH);
    let front = Recorder::default();
    let req = apply_request(dir.path(), "dev", true);
    let report = apply(&req, &front, &Cancel::default()).await.unwrap();
    let outcome = report.outcome.expect("something was applied");
    assert_eq!(outcome.created, 4);
    assert!(report.release.is_some(), "the release is recorded");
    let shown = front.shown();
    assert!(shown.contains(&"applying to dev".to_string()), "{shown:?}");
    assert!(shown.contains(&"finished core/terrace_data.a".to_string()));
    assert_eq!(shown.last().unwrap(), "applied 4 created");

    let again = apply(&req, &Recorder::default(), &Cancel::default())
        .await
        .unwrap();
    assert!(again.outcome.is_none(), "nothing to change the second time");
}

#[tokio::test]
async fn apply_without_anyone_to_confirm_is_refused_before_planning() {
    let dir = project(ARCH);
    let req = apply_request(dir.path(), "dev", false);
    let e = apply(&req, &super::Quiet, &Cancel::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Refused(m) if m.contains("refusing to apply without confirmation")),
        "{e}"
    );
    assert!(
        !dir.path()
            .join(".terrace/envs/dev/core.state.json")
            .exists()
    );
}

#[tokio::test]
async fn a_front_end_that_declines_cancels_the_apply_and_creates_nothing() {
    let dir = project(ARCH);
    let front = Recorder::answering(false);
    let req = apply_request(dir.path(), "dev", false);
    let e = apply(&req, &front, &Cancel::default()).await.unwrap_err();
    assert!(matches!(e, Error::Cancelled("Apply cancelled.")), "{e}");
    let shown = front.shown();
    assert!(
        shown.contains(&"asked to perform these actions in environment \"dev\"".to_string()),
        "{shown:?}"
    );
    assert!(
        !shown.iter().any(|s| s.starts_with("applying")),
        "{shown:?}"
    );
    let audit = audit_lines(dir.path());
    assert_eq!(audit.last().unwrap()["reason"], "Apply cancelled.");
}

#[tokio::test]
async fn promote_deploys_the_release_the_source_runs() {
    let dir = project(ARCH);
    let dev = apply(
        &apply_request(dir.path(), "dev", true),
        &super::Quiet,
        &Cancel::default(),
    )
    .await
    .unwrap();
    let req = PromoteRequest {
        root: dir.path().to_path_buf(),
        from: "dev".into(),
        to: "test".into(),
        out: None,
        apply: true,
        auto_approve: true,
        settings: PlanSettings::default(),
    };
    let front = Recorder::default();
    let report = promote(&req, &front, &Cancel::default()).await.unwrap();
    assert_eq!(Some(&report.release), dev.release.as_ref());
    let applied = report.applied.expect("applied").outcome.expect("changes");
    assert_eq!(applied.created, 4);
    assert!(front.shown()[0].starts_with("notice Promoting"));
}

#[tokio::test]
async fn the_audit_reason_of_a_failed_operation_comes_from_its_error() {
    let dir = project(&ARCH.replace("var.name", "var.nome"));
    let req = PlanRequest {
        root: dir.path().to_path_buf(),
        env: "dev".into(),
        destroy: false,
        out: None,
        settings: PlanSettings::default(),
    };
    let e = plan(&req, &super::Quiet).await.unwrap_err();
    let Error::Diagnostics { diags, .. } = &e else {
        panic!("not diagnostics: {e}");
    };
    let first = diags.iter().find(|d| d.is_error()).unwrap();
    let audit = audit_lines(dir.path());
    let last = audit.last().unwrap();
    assert_eq!(last["outcome"], "failure");
    assert_eq!(
        last["reason"],
        format!("{}: {}", first.code, first.message).as_str()
    );
}

#[test]
fn parses_durations() {
    use super::parse_duration;
    use std::time::Duration;
    assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
    assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
    assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
    assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
    assert!(parse_duration("5 parsecs").is_err());
    assert!(parse_duration("-1s").is_err());
}
