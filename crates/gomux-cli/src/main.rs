//! The `gomux` binary: everything is in the library (`gomux_cli`).

fn main() -> std::process::ExitCode {
    gomux_cli::main()
}
