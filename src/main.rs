//! The `cuishou` command: parses arguments and hands them to the library-backed subcommands.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
