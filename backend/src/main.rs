//! The `reloop` binary: everything lives in the library; see `reloop --help`.

fn main() -> std::process::ExitCode {
    reloop::cli::main()
}
