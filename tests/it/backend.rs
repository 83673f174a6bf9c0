//! The backend choice: `backend` blocks and `TERRACE_BACKEND`. A chosen
//! PostgreSQL that cannot be reached stops the run, never silently
//! replaced by local files; its URL (which may hold a password) is never
//! shown or written.

use crate::harness::{Project, assert_not_under};

const PASSWORD: &str = "pw-never-shown-7Qx";

fn url() -> String {
    format!("postgres://terrace:{PASSWORD}@127.0.0.1:1/records")
}

fn project(backend: &str) -> Project {
    Project::new()
        .file(
            "project.hcl",
            &format!(
                "project \"t\" {{}}\n{backend}\nenvironment \"dev\" {{}}\nconfiguration \"main\" {{\n  architecture = \"./arch\"\n}}\n"
            ),
        )
        .file(
            "arch/main.hcl",
            "resource \"terrace_data\" \"a\" {\n  input = \"x\"\n}\n",
        )
}

/// Asserts the run was refused because the database cannot be reached
/// (port 1), named the variable, showed no part of the URL, and wrote no
/// record.
fn refused_without_the_url(p: &Project, vars: &[(&str, &str)]) {
    let url = url();
    let mut all = vec![("TERRACE_LOG", "trace")];
    all.extend_from_slice(vars);
    for args in [
        &["plan", "--env", "dev"][..],
        &["apply", "--env", "dev", "--auto-approve"],
        &["state", "list", "--env", "dev"],
    ] {
        let run = p
            .run_with(args, &all)
            .code(1)
            .stderr_has("cannot reach the database named by TERRACE_DATABASE_URL");
        for text in [&run.stdout, &run.stderr] {
            assert!(
                !text.contains(PASSWORD),
                "{args:?} showed the password:\n{text}"
            );
            assert!(!text.contains(&url), "{args:?} showed the URL:\n{text}");
        }
    }
    assert!(!p.exists(".terrace/envs"), "nothing was recorded");
    assert_not_under(p.root(), PASSWORD);
}

#[test]
fn a_postgres_backend_block_is_refused_without_showing_its_url() {
    let p = project("backend \"postgres\" {\n  url = env(\"TERRACE_DATABASE_URL\")\n}");
    refused_without_the_url(&p, &[("TERRACE_DATABASE_URL", &url())]);
}

#[test]
fn terrace_backend_postgres_is_refused_and_terrace_backend_local_overrides_the_block() {
    let local = project("");
    refused_without_the_url(
        &local,
        &[
            ("TERRACE_BACKEND", "postgres"),
            ("TERRACE_DATABASE_URL", &url()),
        ],
    );
    let declared = project("backend \"postgres\" {\n  url = env(\"DB_URL\")\n}");
    declared
        .run_with(
            &["apply", "--env", "dev", "--auto-approve"],
            &[("TERRACE_BACKEND", "local"), ("DB_URL", &url())],
        )
        .success();
    assert!(declared.exists(".terrace/envs/dev/main.state.json"));
    assert_not_under(declared.root(), PASSWORD);
}

#[test]
fn commands_do_not_inherit_the_database_url_variable_even_when_the_run_is_local() {
    let p = project("backend \"postgres\" {\n  url = env(\"DB_URL\")\n}").file(
        "arch/main.hcl",
        "resource \"command\" \"probe\" {\n  create = \"printf '{\\\"url\\\":\\\"%s\\\"}' \\\"$${DB_URL:-unset}\\\"\"\n}\noutput \"seen\" {\n  value = command.probe.output\n}\n",
    );
    let vars = [("TERRACE_BACKEND", "local"), ("DB_URL", &*url())];
    p.run_with(&["apply", "--env", "dev", "--auto-approve"], &vars)
        .success();
    let out = p
        .run_with(&["output", "--env", "dev", "--json"], &vars)
        .success()
        .stdout;
    assert!(out.contains("\"url\": \"unset\""), "{out}");
    assert_not_under(p.root(), PASSWORD);
}

#[test]
fn a_postgres_url_variable_that_is_not_set_is_named() {
    let p = project("backend \"postgres\" {\n  url = env(\"DB_URL\")\n}");
    p.run_with(&["plan", "--env", "dev"], &[])
        .code(1)
        .stderr_has("needs the database URL in the environment variable DB_URL, which is not set");
}

#[test]
fn a_terrace_backend_value_that_is_not_a_backend_is_refused_without_echoing_it() {
    let p = project("");
    let run = p
        .run_with(&["plan", "--env", "dev"], &[("TERRACE_BACKEND", &url())])
        .code(1)
        .stderr_has("TERRACE_BACKEND is set to something other than `local` or `postgres`");
    assert!(!run.stderr.contains(PASSWORD), "{}", run.stderr);
}

#[test]
fn backend_blocks_are_checked_with_the_offending_line() {
    let literal = project("backend \"postgres\" {\n  url = \"postgres://u@h/db\"\n}");
    literal
        .run(&["validate"])
        .code(1)
        .stderr_has("config::backend_url")
        .stderr_has("the database URL must come from an environment variable")
        .stderr_has("project.hcl:3");
    project("backend \"postgress\" {}")
        .run(&["validate"])
        .code(1)
        .stderr_has("there is no backend \"postgress\"")
        .stderr_has("did you mean \"postgres\"?");
    project("backend \"local\" {}\nbackend \"local\" {}")
        .run(&["validate"])
        .code(1)
        .stderr_has("config::duplicate");
    project("backend \"local\" {}")
        .run(&["apply", "--env", "dev", "--auto-approve"])
        .success();
}

#[test]
fn backend_init_on_local_files_creates_nothing_and_says_how_to_choose_postgres() {
    let p = project("");
    p.run(&["backend", "init"])
        .success()
        .stdout_has("local files under .terrace/ (chosen by default): there is no schema to create")
        .stdout_has("backend \"postgres\" { url = env(\"TERRACE_DATABASE_URL\") }")
        .stdout_has("TERRACE_BACKEND=postgres");
    assert!(!p.exists(".terrace"));
}
