//! Numbers: terrace computes, prints and records them as Terraform does.
//!
//! `testdata/numbers/expressions.txt` lists expressions; `expected.txt`
//! holds, line by line, the value real Terraform gives each one as an
//! output (`terraform output -json`), written by `testdata/numbers/make.py`.
//! The same expressions become outputs of a terrace project, and the JSON
//! text of each value must match exactly: numbers are compared as text,
//! never through a 64-bit float.

use crate::harness::{repo, single};

/// JSON text without the spaces and newlines outside strings.
fn compact(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in json.chars() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !c.is_whitespace() {
            out.push(c);
        }
    }
    out
}

fn lines(name: &str) -> Vec<String> {
    let path = repo().join("testdata/numbers").join(name);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn outputs_print_numbers_exactly_as_terraform_does() {
    let exprs = lines("expressions.txt");
    let expected = lines("expected.txt");
    assert_eq!(exprs.len(), expected.len(), "run testdata/numbers/make.py");
    let arch: String = exprs
        .iter()
        .enumerate()
        .map(|(i, e)| format!("output \"e{i:03}\" {{\n  value = {e}\n}}\n"))
        .collect();
    let p = single(&arch);
    p.apply();
    let out = compact(
        &p.run(&["output", "--env", "dev", "main", "--json"])
            .success()
            .stdout,
    );
    let mut failures = Vec::new();
    for (i, (expr, want)) in exprs.iter().zip(&expected).enumerate() {
        let start = format!("\"e{i:03}\":{{\"sensitive\":false,\"value\":");
        // The value runs to the next output, or to the end of the document.
        let next = format!("}},\"e{:03}\":{{", i + 1);
        let got = out.split_once(&start).and_then(|(_, rest)| {
            if i + 1 == exprs.len() {
                rest.strip_suffix("}}}")
            } else {
                rest.split_once(&next).map(|(v, _)| v)
            }
        });
        if got != Some(want.as_str()) {
            failures.push(format!("{expr}\n  terraform: {want}\n  terrace:   {got:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        exprs.len(),
        failures.join("\n")
    );
}

#[test]
fn numbers_read_back_from_state_plan_no_change() {
    let p = single(
        "resource \"terrace_data\" \"n\" {\n  input = [log(50, 10), 123456789.12345679, 1 / 3, 12345678901234567890, log(50, 10) + 0]\n}\n\
         output \"log\" {\n  value = log(50, 10)\n}\n\
         output \"decimal\" {\n  value = 123456789.12345679\n}\n\
         output \"third\" {\n  value = terrace_data.n.output[2]\n}\n",
    );
    p.apply();
    p.run(&["plan", "--env", "dev", "--detailed-exitcode"])
        .success()
        .stdout_has("No changes.");
    p.apply().stdout_has("No changes.");
    let state = p
        .run(&["output", "--env", "dev", "main", "--json"])
        .success();
    let out = compact(&state.stdout);
    assert!(out.contains("\"value\":1.6989700043360185}"), "{out}");
    assert!(out.contains("\"value\":123456789.12345679}"), "{out}");
    assert!(out.contains("\"value\":0.33333333333333333333"), "{out}");
}
