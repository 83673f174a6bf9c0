//! The `terrace` binary: everything happens in [`terrace::cli`].

fn main() {
    let code = terrace::cli::main();
    // `cli::main` flushed what it wrote; this covers clap's help and
    // usage text on its early returns. Standard error is unbuffered.
    let _ = std::io::Write::flush(&mut std::io::stdout());
    // SAFETY: `_exit` ends the process at once, without the C runtime's
    // exit handlers. Nothing of terrace's runs in them: its records are
    // written and its locks released (by drops) before `cli::main`
    // returns. What is skipped is mimalloc's exit-time cleanup, which
    // hands its memory back to the system range by range (one madvise
    // each: 3-5% of a 1 000-resource plan); the system takes it back
    // whole when the process ends.
    unsafe { libc::_exit(i32::from(code)) }
}

// Planning builds and drops many small values: mimalloc handles that
// pattern markedly faster than the system allocator (see bench/).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
