//! reloop's own command line (the same `reloop::cli::main` as the `reloop` binary), built with
//! the integration tests so that they can run it as a process of its own: start it, kill it
//! with SIGKILL, stop it with SIGTERM.

fn main() -> std::process::ExitCode {
    reloop::cli::main()
}
