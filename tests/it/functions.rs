//! Functions used from real definitions: the ones whose behaviour depends on
//! the run (plan time, files, sensitivity), beyond the values the
//! conformance corpus compares with Terraform.

use crate::harness::single;

#[test]
fn plantimestamp_is_known_while_planning_and_a_saved_plan_keeps_it() {
    let p = single(
        "resource \"file\" \"t\" {\n  path = \"out/t.txt\"\n  content = plantimestamp()\n}\n",
    );
    let plan = p
        .run(&["plan", "--env", "dev", "--out", "p.plan"])
        .success();
    assert!(
        !plan.stdout.contains("known after apply"),
        "plantimestamp is known while planning:\n{}",
        plan.stdout
    );
    std::thread::sleep(std::time::Duration::from_millis(1100));
    p.run(&["apply", "--env", "dev", "p.plan"]).success();
    let written = p.read("out/t.txt");
    assert_eq!(written.len(), 20, "{written}");
    assert!(
        plan.stdout.contains(&written),
        "the applied value is the planned one ({written}):\n{}",
        plan.stdout
    );
}

#[test]
fn fileset_drives_for_each_over_the_project_files() {
    let p = single(
        "resource \"file\" \"copy\" {\n  for_each = fileset(\"site\", \"**/*.html\")\n  path = \"out/${each.key}\"\n  content = upper(file(\"site/${each.key}\"))\n}\n",
    )
    .file("site/index.html", "home")
    .file("site/about/index.html", "about")
    .file("site/notes.txt", "not html");
    p.apply().stdout_has("2 added");
    assert_eq!(p.read("out/index.html"), "HOME");
    assert_eq!(p.read("out/about/index.html"), "ABOUT");
    assert!(!p.exists("out/notes.txt"));
}

#[test]
fn issensitive_sees_sensitive_variables_and_their_values_stay_hidden() {
    let p = single(
        "variable \"token\" {\n  default = \"hunter2\"\n  sensitive = true\n}\noutput \"marked\" {\n  value = issensitive(var.token)\n}\noutput \"plain\" {\n  value = issensitive(\"x\")\n}\n",
    );
    let run = p.apply();
    assert!(!run.stdout.contains("hunter2"), "{}", run.stdout);
    p.run(&["output", "--env", "dev", "main", "--json"])
        .success()
        .stdout_has("\"marked\"")
        .stdout_has("true")
        .stdout_has("false");
}

#[test]
fn refused_regular_expressions_are_diagnostics_at_the_pattern() {
    let p = single("output \"x\" {\n  value = regex(\"(a)\\\\1\", \"aa\")\n}\n");
    p.run(&["plan", "--env", "dev"])
        .code(1)
        .stderr_has("regex(): error parsing pattern")
        .stderr_has("main.hcl:2");
}

#[test]
fn templatestring_needs_a_reference_to_its_template() {
    let p = single(
        "locals {\n  tpl = \"Hi $${name}\"\n}\noutput \"ok\" {\n  value = templatestring(local.tpl, { name = \"Jo\" })\n}\n",
    );
    p.apply().stdout_has("Hi Jo");
    p.write(
        "arch/main.hcl",
        "output \"bad\" {\n  value = templatestring(\"Hi\", {})\n}\n",
    );
    p.run(&["plan", "--env", "dev"])
        .code(1)
        .stderr_has("must be a reference")
        .stderr_has("local.NAME");
}

#[test]
fn bcrypt_is_known_after_apply_and_a_saved_plan_applies() {
    let p = single(
        "resource \"file\" \"h\" {\n  path = \"out/h.txt\"\n  content = bcrypt(\"secret\", 4)\n}\n",
    );
    p.run(&["plan", "--env", "dev", "--out", "p.plan"])
        .success()
        .stdout_has("(known after apply)");
    p.run(&["apply", "--env", "dev", "p.plan"]).success();
    let hash = p.read("out/h.txt");
    assert!(hash.starts_with("$2a$04$") && hash.len() == 60, "{hash}");
}

#[test]
fn a_function_whose_bytes_may_differ_from_terraforms_is_named_in_a_warning() {
    let p =
        single("locals {\n  z = base64gzip(\"aaaa\")\n}\noutput \"z\" {\n  value = local.z\n}\n");
    p.run(&["validate"])
        .success()
        .stderr_has("eval::differs_from_terraform")
        .stderr_has("base64gzip: its compressed bytes may differ");
    p.run(&["plan", "--env", "dev"])
        .success()
        .stderr_has("eval::differs_from_terraform");
}
