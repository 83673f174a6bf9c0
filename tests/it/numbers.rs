//! Numbers: terrace records them as Terraform does, so that what it reads
//! back is what it wrote. Their values, against real Terraform, are the
//! conformance corpus's `numbers` group (testdata/conformance/numbers.cases).

use crate::harness::single;

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
