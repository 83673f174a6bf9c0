//! The `terrace` binary: everything happens in [`terrace::cli`].

fn main() -> std::process::ExitCode {
    terrace::cli::main()
}
