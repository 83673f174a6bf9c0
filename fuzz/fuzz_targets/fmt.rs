//! `terrace fmt` on any text: formatting what parses keeps every comment,
//! still parses, and is idempotent (formatting twice gives the result of
//! formatting once). The meaning is not compared: like `terraform fmt`,
//! it rewrites `"${var.x}"` as `var.x` and `"string"` types as `string`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use terrace::config::format::{comments, format};

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    let once = format(src);
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
