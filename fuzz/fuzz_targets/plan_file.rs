//! Reading a saved plan (`apply PLANFILE`, `show PLANFILE`): any bytes are
//! decoded or refused, never a panic; a decoded plan renders as text,
//! Markdown parts and JSON (what `show` does), and saves to bytes that
//! decode to the same plan.
#![no_main]

use libfuzzer_sys::fuzz_target;
use terrace::plan::Plan;
use terrace::render;

fuzz_target!(|data: &[u8]| {
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
    let _ = render::json::plan(&plan);
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
