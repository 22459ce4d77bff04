//! The `reloop` binary: everything lives in the library; see `reloop --help`.

/// mimalloc serves every allocation, Rust's and (through its `override` feature, which
/// replaces `malloc` itself) SQLite's. Under load, glibc's allocator took about a quarter
/// of the server's CPU time on pages that read a few hundred rows (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    reloop::cli::main()
}
