//! The `terrace` binary: everything happens in [`terrace::cli`].

fn main() -> std::process::ExitCode {
    terrace::cli::main()
}

// Planning builds and drops many small values: mimalloc handles that
// pattern markedly faster than the system allocator (see bench/).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
