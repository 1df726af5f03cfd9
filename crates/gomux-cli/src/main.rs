//! The `gomux` binary: everything is in the library (`gomux_cli`).

fn main() -> std::process::ExitCode {
    let code = gomux_cli::main();
    // Windows exit codes are 32 bits; `ExitCode` holds only a byte.
    if let Some(raw) = gomux_cli::passed_on_exit_code() {
        std::process::exit(raw as i32);
    }
    code
}
