//! In-process tests of the engine, plan then apply, against the fake
//! provider (`provider::testing`): order, failures and what they skip,
//! Ctrl-C, create_before_destroy, partial failure, and the parallelism
//! limit as the fake's call log shows it. Families of cases are listed in
//! `macro_rules!` tables that make one test per case.

use super::{ApplyOptions, Cancel, Event, Observer, Outcome, apply};
use crate::config::Project;
use crate::diag::Diagnostics;
use crate::eval::{EnvValues, ProjectGraph};
use crate::plan::{Action, Plan, PlanOptions, plan};
use crate::provider::Registry;
use crate::provider::testing::{Fake, Script};
use crate::state::EnvState;
use crate::store::{LocalStore, StateStore};
use crate::value::Map;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A project with one environment `dev` and one configuration `main`
/// whose architecture is `arch`, and a registry with `fake`.
struct Env {
    dir: tempfile::TempDir,
    project: Project,
    fake: Arc<Fake>,
    registry: Registry,
    runtime: tokio::runtime::Runtime,
}

fn env(arch: &str, fake: Fake) -> Env {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("project.hcl"),
        "project \"p\" {}\nenvironment \"dev\" {}\nconfiguration \"main\" {\n  architecture = \"./arch\"\n}\n",
    )
    .expect("write project.hcl");
    std::fs::create_dir(dir.path().join("arch")).expect("mkdir");
    std::fs::write(dir.path().join("arch/main.hcl"), arch).expect("write arch");
    let (project, diags) = crate::config::load(dir.path());
    assert!(!diags.has_errors(), "{diags:?}");
    let fake = Arc::new(fake);
    let registry = Registry::builtin().with(fake.clone());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    Env {
        dir,
        project,
        fake,
        registry,
        runtime,
    }
}

/// Records every event.
#[derive(Default)]
struct Recorder {
    events: Mutex<Vec<Event>>,
    /// Cancelled when an operation on this address starts.
    cancel_on: Option<(String, Cancel)>,
}

impl Observer for Recorder {
    fn event(&self, event: &Event) {
        if let (Event::Started { address, .. }, Some((on, cancel))) = (event, &self.cancel_on)
            && address == on
        {
            cancel.cancel();
        }
        self.events.lock().expect("events").push(event.clone());
    }
}

impl Recorder {
    fn skipped(&self) -> Vec<(String, String)> {
        self.events
            .lock()
            .expect("events")
            .iter()
            .filter_map(|e| match e {
                Event::Skipped { address, because } => Some((address.clone(), because.clone())),
                _ => None,
            })
            .collect()
    }
}

impl Env {
    /// Rewrites the architecture (and loads the project again).
    fn edit(&mut self, arch: &str) {
        std::fs::write(self.dir.path().join("arch/main.hcl"), arch).expect("write arch");
        let (project, diags) = crate::config::load(self.dir.path());
        assert!(!diags.has_errors(), "{diags:?}");
        self.project = project;
    }

    fn store(&self) -> LocalStore {
        LocalStore::new(self.dir.path(), "dev")
    }

    fn state(&self) -> EnvState {
        self.store().load().expect("state")
    }

    fn plan(&self, parallelism: usize) -> Result<Plan, Diagnostics> {
        let state = self.state();
        self.plan_with(&state, parallelism, false)
    }

    fn plan_with(
        &self,
        state: &EnvState,
        parallelism: usize,
        destroy: bool,
    ) -> Result<Plan, Diagnostics> {
        let (graph, diags) = ProjectGraph::build(&self.project);
        assert!(!diags.has_errors(), "{diags:?}");
        let environment = self.project.environment("dev").expect("dev");
        let values = EnvValues::new(&graph, environment, &Map::new(), jiff::Timestamp::now())
            .expect("values");
        let opts = PlanOptions {
            refresh: true,
            destroy,
            parallelism,
            authorization: None,
            defer_data: false,
            replace: Vec::new(),
            targets: Vec::new(),
            keep_unchanged: true,
        };
        self.runtime
            .block_on(plan(
                &graph,
                values,
                state,
                &self.registry,
                &opts,
                &crate::plan::Unobserved,
            ))
            .map(|(p, _)| p)
    }

    fn apply(
        &self,
        plan: &Plan,
        parallelism: usize,
        observer: &Recorder,
        cancel: &Cancel,
    ) -> Outcome {
        let (graph, _) = ProjectGraph::build(&self.project);
        let environment = self.project.environment("dev").expect("dev");
        let values = EnvValues::new(&graph, environment, &Map::new(), jiff::Timestamp::now())
            .expect("values")
            .for_apply();
        let store = self.store();
        let lock = store.lock("apply", Duration::from_secs(5)).expect("lock");
        let state = store.load().expect("state");
        let opts = ApplyOptions {
            parallelism,
            authorization: None,
        };
        let (outcome, _) = self
            .runtime
            .block_on(apply(
                &graph,
                values,
                plan,
                state,
                &store,
                &lock,
                &self.registry,
                &opts,
                observer,
                cancel,
            ))
            .expect("apply");
        outcome
    }

    /// Plans and applies; the outcome and what the observer saw.
    fn up(&self, parallelism: usize) -> (Outcome, Recorder) {
        let plan = self.plan(parallelism).expect("plan");
        let rec = Recorder::default();
        let outcome = self.apply(&plan, parallelism, &rec, &Cancel::default());
        (outcome, rec)
    }

    /// Names of the objects in state.
    fn recorded(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .state()
            .instances()
            .map(|(a, _, _)| a.to_string())
            .collect();
        out.sort();
        out
    }

    /// Whether `first`'s `op` call ended before `then`'s began.
    fn before(&self, op: &str, first: &str, then: &str) -> bool {
        let calls = self.fake.calls();
        let find = |name: &str| {
            calls
                .iter()
                .find(|c| c.op == op && c.name == name)
                .unwrap_or_else(|| panic!("no {op} of {name}: {calls:?}"))
        };
        find(first).ended <= find(then).began
    }
}

fn independent(n: usize) -> String {
    (0..n)
        .map(|i| format!("resource \"fake\" \"r{i}\" {{\n  name = \"r{i}\"\n}}\n"))
        .collect()
}

const LATENCY: Duration = Duration::from_millis(30);

// --- order: one test per case ---------------------------------------------

/// Applies `arch` and checks every `(a, b)`: a's create ended before b's
/// began; then destroys it and checks the deletes in the reverse order.
fn check_order(arch: &str, pairs: &[(&str, &str)]) {
    let e = env(arch, Fake::new(Duration::from_millis(5)));
    let (outcome, _) = e.up(10);
    assert!(outcome.succeeded(), "{:?}", outcome.errors);
    for (a, b) in pairs {
        assert!(e.before("create", a, b), "create {a} before {b}");
    }
    let plan = e.plan_with(&e.state(), 10, true).expect("destroy plan");
    let outcome = e.apply(&plan, 10, &Recorder::default(), &Cancel::default());
    assert!(outcome.succeeded(), "{:?}", outcome.errors);
    assert!(e.recorded().is_empty());
    for (a, b) in pairs {
        assert!(e.before("delete", b, a), "delete {b} before {a}");
    }
}

macro_rules! order_cases {
    ($($name:ident: $arch:expr => [$(($a:expr, $b:expr)),* $(,)?];)*) => {
        $(
            #[test]
            fn $name() {
                check_order($arch, &[$(($a, $b)),*]);
            }
        )*
    };
}

order_cases! {
    order_chain: r#"
resource "fake" "a" { name = "a" }
resource "fake" "b" {
  name  = "b"
  input = fake.a.id
}
resource "fake" "c" {
  name  = "c"
  input = fake.b.id
}
"# => [("a", "b"), ("b", "c")];
    order_fan_out: r#"
resource "fake" "root" { name = "root" }
resource "fake" "x" {
  name  = "x"
  input = fake.root.id
}
resource "fake" "y" {
  name  = "y"
  input = fake.root.id
}
"# => [("root", "x"), ("root", "y")];
    order_diamond: r#"
resource "fake" "top" { name = "top" }
resource "fake" "left" {
  name  = "left"
  input = fake.top.id
}
resource "fake" "right" {
  name  = "right"
  input = fake.top.id
}
resource "fake" "bottom" {
  name  = "bottom"
  input = [fake.left.id, fake.right.id]
}
"# => [("top", "left"), ("top", "right"), ("left", "bottom"), ("right", "bottom")];
    order_depends_on: r#"
resource "fake" "first" { name = "first" }
resource "fake" "second" {
  name       = "second"
  depends_on = [fake.first]
}
"# => [("first", "second")];
    order_through_a_local: r#"
locals {
  id = fake.source.id
}
resource "fake" "source" { name = "source" }
resource "fake" "user" {
  name  = "user"
  input = local.id
}
"# => [("source", "user")];
    order_count_instances: r#"
resource "fake" "base" { name = "base" }
resource "fake" "many" {
  count = 3
  name  = "many${count.index}"
  input = fake.base.id
}
"# => [("base", "many0"), ("base", "many1"), ("base", "many2")];
}

// --- failures ---------------------------------------------------------------

const BRANCHES: &str = r#"
resource "fake" "a" { name = "a" }
resource "fake" "b" {
  name  = "b"
  input = fake.a.id
}
resource "fake" "c" {
  name  = "c"
  input = fake.b.id
}
resource "fake" "other" { name = "other" }
"#;

#[test]
fn a_failed_create_skips_its_dependents_and_independent_branches_go_on() {
    let e = env(BRANCHES, Fake::new(LATENCY));
    e.fake.script(
        "b",
        Script {
            fail: vec!["create"],
            ..Script::default()
        },
    );
    let (outcome, rec) = e.up(10);
    assert_eq!(outcome.errors.len(), 1, "{:?}", outcome.errors);
    assert!(outcome.errors[0].message.contains("scripted failure"));
    assert_eq!(outcome.created, 2);
    assert_eq!(
        rec.skipped(),
        [("main/fake.c".to_string(), "main/fake.b".to_string())]
    );
    assert!(!e.fake.began("create").contains(&"c".to_string()));
    // Partial failure: what was created is recorded, and only that.
    assert_eq!(e.recorded(), ["main/fake.a", "main/fake.other"]);
    // The next plan creates only what is missing.
    let plan = e.plan(10).expect("plan");
    let creates: Vec<String> = plan
        .changes
        .iter()
        .filter(|c| c.action == Action::Create)
        .map(|c| c.address.to_string())
        .collect();
    assert_eq!(creates, ["main/fake.b", "main/fake.c"]);
}

#[test]
fn a_failed_provider_plan_is_reported_and_the_other_resources_are_still_planned() {
    let e = env(BRANCHES, Fake::new(LATENCY));
    e.fake.script(
        "a",
        Script {
            fail: vec!["plan"],
            ..Script::default()
        },
    );
    let diags = e.plan(10).expect_err("the plan fails");
    let text: Vec<String> = diags.iter().map(|d| d.message.clone()).collect();
    assert_eq!(text.len(), 1, "{text:?}");
    assert!(
        text[0].contains("main/fake.a: plan a: scripted failure"),
        "{text:?}"
    );
    // b and c see a's value unknown, other is independent: all planned.
    assert!(e.fake.began("plan").contains(&"other".to_string()));
    assert!(e.fake.began("plan").contains(&"c".to_string()));
}

#[test]
fn a_failed_delete_keeps_the_object_and_skips_the_deletes_it_blocks() {
    let e = env(BRANCHES, Fake::new(LATENCY));
    let (outcome, _) = e.up(10);
    assert!(outcome.succeeded());
    e.fake.script(
        "b",
        Script {
            fail: vec!["delete"],
            ..Script::default()
        },
    );
    let plan = e.plan_with(&e.state(), 10, true).expect("destroy plan");
    let rec = Recorder::default();
    let outcome = e.apply(&plan, 10, &rec, &Cancel::default());
    assert_eq!(outcome.errors.len(), 1);
    // c went first; a waits for b, which failed.
    assert_eq!(e.recorded(), ["main/fake.a", "main/fake.b"]);
    assert_eq!(
        rec.skipped(),
        [(
            "main/fake.a (destroy)".to_string(),
            "main/fake.b (destroy)".to_string()
        )]
    );
}

// --- cancel -----------------------------------------------------------------

#[test]
fn cancel_lets_running_operations_finish_and_starts_nothing_new() {
    let e = env(BRANCHES, Fake::new(Duration::from_millis(100)));
    let plan = e.plan(1).expect("plan");
    let cancel = Cancel::default();
    let rec = Recorder {
        cancel_on: Some(("main/fake.a".into(), cancel.clone())),
        ..Recorder::default()
    };
    let outcome = e.apply(&plan, 1, &rec, &cancel);
    assert!(outcome.cancelled);
    assert!(!outcome.succeeded());
    // `a` was running: it finished and is recorded; nothing else started.
    assert_eq!(e.fake.began("create"), ["a"]);
    assert_eq!(e.recorded(), ["main/fake.a"]);
    assert!(
        rec.events
            .lock()
            .expect("events")
            .iter()
            .any(|e| matches!(e, Event::Interrupted { .. }))
    );
}

// --- create_before_destroy --------------------------------------------------

fn replaced(cbd: bool) -> Env {
    let arch = |v: &str| {
        format!(
            "resource \"fake\" \"x\" {{\n  name    = \"x\"\n  replace = \"{v}\"\n  lifecycle {{\n    create_before_destroy = {cbd}\n  }}\n}}\n"
        )
    };
    let mut e = env(&arch("one"), Fake::new(LATENCY));
    let (outcome, _) = e.up(10);
    assert!(outcome.succeeded());
    e.edit(&arch("two"));
    let plan = e.plan(10).expect("plan");
    assert_eq!(plan.changes.len(), 1);
    assert_eq!(plan.changes[0].action, Action::Replace);
    assert_eq!(plan.changes[0].create_before_destroy, cbd);
    let outcome = e.apply(&plan, 10, &Recorder::default(), &Cancel::default());
    assert!(outcome.succeeded(), "{:?}", outcome.errors);
    assert_eq!(outcome.replaced, 1);
    e
}

#[test]
fn create_before_destroy_creates_the_new_object_before_deleting_the_old() {
    let e = replaced(true);
    let calls = e.fake.calls();
    let second_create = calls
        .iter()
        .filter(|c| c.op == "create")
        .nth(1)
        .expect("create");
    let delete = calls.iter().find(|c| c.op == "delete").expect("delete");
    assert!(second_create.ended <= delete.began, "{calls:?}");
    assert_eq!(e.recorded(), ["main/fake.x"]);
}

#[test]
fn a_replacement_deletes_the_old_object_first_by_default() {
    let e = replaced(false);
    let calls = e.fake.calls();
    let second_create = calls
        .iter()
        .filter(|c| c.op == "create")
        .nth(1)
        .expect("create");
    let delete = calls.iter().find(|c| c.op == "delete").expect("delete");
    assert!(delete.ended <= second_create.began, "{calls:?}");
}

// --- the limit --------------------------------------------------------------

macro_rules! limit_cases {
    ($($name:ident: $n:expr, $limit:expr, $local:expr;)*) => {
        $(
            #[test]
            fn $name() {
                check_limit($n, $limit, $local);
            }
        )*
    };
}

/// Plans (refreshing nothing), applies, then plans again (refreshing
/// every object) `n` independent objects at parallelism `limit`: plan
/// calls and reads are in flight `limit` at a time (one at a time when the
/// provider is local), and no kind of call ever more.
fn check_limit(n: usize, limit: usize, local: bool) {
    let fake = Fake::new(LATENCY);
    let e = env(&independent(n), if local { fake.local() } else { fake });
    let (outcome, _) = e.up(limit);
    assert!(outcome.succeeded(), "{:?}", outcome.errors);
    assert_eq!(outcome.created, n);
    let plan = e.plan(limit).expect("plan");
    assert!(plan.changes.is_empty());
    let expected = if local { 1 } else { limit.min(n) };
    let calls = e.fake.calls();
    for op in ["plan", "create", "read"] {
        let only: Vec<_> = calls.iter().filter(|c| c.op == op).cloned().collect();
        let mut edges: Vec<(std::time::Instant, i32)> = Vec::new();
        for c in &only {
            edges.push((c.began, 1));
            edges.push((c.ended, -1));
        }
        edges.sort();
        let (mut now, mut max) = (0, 0);
        for (_, d) in edges {
            now += d;
            max = max.max(now);
        }
        if op == "read" && local {
            // Objects without outside effects are not read back.
            assert_eq!(only.len(), 0);
            continue;
        }
        if op == "create" {
            // Creates share the limit with the plans that precede them.
            assert!(
                (1..=expected).contains(&(max as usize)),
                "{op}: {max} in flight"
            );
            continue;
        }
        assert_eq!(max as usize, expected, "{op} calls in flight at once");
    }
    assert!(e.fake.max_in_flight() <= limit.max(1));
}

limit_cases! {
    limit_one_runs_calls_one_at_a_time: 6, 1, false;
    limit_three_of_twelve: 12, 3, false;
    limit_above_the_work_runs_everything_at_once: 5, 10, false;
    local_provider_calls_run_inline_one_at_a_time: 6, 4, true;
}

#[test]
fn refresh_sees_an_object_gone_and_plans_it_again() {
    let e = env(&independent(3), Fake::new(LATENCY));
    let (outcome, _) = e.up(10);
    assert!(outcome.succeeded());
    e.fake.script(
        "r1",
        Script {
            read: Some(None),
            ..Script::default()
        },
    );
    let plan = e.plan(2).expect("plan");
    assert_eq!(plan.drift.len(), 1);
    assert_eq!(plan.changes.len(), 1);
    assert_eq!(plan.changes[0].address.to_string(), "main/fake.r1");
    assert_eq!(plan.changes[0].action, Action::Create);
}
