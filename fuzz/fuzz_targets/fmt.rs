//! `terrace fmt` on any text: formatting what parses keeps every comment,
//! still parses, and is idempotent (formatting twice gives the result of
//! formatting once). The meaning is not compared: like `terraform fmt`,
//! it rewrites `"${var.x}"` as `var.x` and `"string"` types as `string`.
//! "Valid" is what both hcl-edit and Terraform read: the syntax Terraform
//! refuses and hcl-edit accepts (`format::refusal`: quoted strings over
//! lines, `1.2.3`, unclosed brackets) is refused first, as `terrace fmt`
//! does, pointing at the offending text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use terrace::config::format::{comments, format, refusal};

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    let once = format(src);
    if let Some(r) = refusal(src) {
        assert!(once.is_none(), "refused text was formatted");
        assert!(r.offset < src.len(), "the refusal points past the end");
        if r.summary == "Invalid multi-line string" {
            assert_eq!(src.as_bytes()[r.offset], b'\n', "not at a newline");
        }
        return;
    }
    if hcl::edit::parser::parse_body(src).is_err() {
        return;
    }
    let Some(once) = once else {
        panic!("valid HCL cannot be formatted");
    };
    assert_eq!(comments(src), comments(&once), "formatting lost a comment");
    assert!(
        hcl::edit::parser::parse_body(&once).is_ok(),
        "formatted text does not parse:\n{once}"
    );
    let twice = format(&once);
    assert_eq!(
        twice.as_deref(),
        Some(once.as_str()),
        "fmt is not idempotent"
    );
});
