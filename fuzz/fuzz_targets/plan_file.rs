//! Reading a saved plan (`apply PLANFILE`, `show PLANFILE`): any bytes are
//! decoded or refused, never a panic; a decoded plan renders as text,
//! Markdown parts and JSON (what `show` does), and saves to bytes that
//! decode to the same plan.
//! (An input without a checksum gets one: see below.)
#![no_main]

use libfuzzer_sys::fuzz_target;
use terrace::plan::Plan;
use terrace::render;

/// How a saved plan opens; its checksum field follows.
const OPEN: &[u8] = b"{\n  ";

fuzz_target!(|data: &[u8]| {
    // The fuzzer cannot forge the checksum: an input without one gets the
    // field a save would give it, so that the decoding behind it is reached.
    let fixed;
    let data = match data.strip_prefix(OPEN) {
        Some(rest) if !rest.starts_with(b"\"checksum\"") => {
            let field = format!(
                "\"checksum\": \"sha256:{}\",\n  ",
                terrace::digest::sha256_hex(data)
            );
            fixed = [OPEN, field.as_bytes(), rest].concat();
            &fixed[..]
        }
        _ => data,
    };
    let Ok(plan) = Plan::from_bytes(data) else {
        return;
    };
    let saved = plan.to_bytes();
    let again = Plan::from_bytes(&saved).expect("a saved plan reads back");
    assert_eq!(plan, again, "the plan changed in a save and read");
    assert_eq!(
        saved,
        again.to_bytes(),
        "saving the same plan twice differs"
    );
    let _ = render::plan(&plan, render::Palette::plain());
    let _ = render::json::plan(&plan, false);
    let max = 1024 + data.len() % 4096;
    for part in render::markdown::plan(&plan, max) {
        assert!(
            part.len() <= max,
            "a Markdown part of {} bytes, over {max}",
            part.len()
        );
        let fences = part.lines().filter(|l| l.starts_with("```")).count();
        assert!(
            fences % 2 == 0,
            "a Markdown part ends inside a code fence:\n{part}"
        );
    }
});
