//! The `sextant` command: inspect, export and import experiments in a store.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
