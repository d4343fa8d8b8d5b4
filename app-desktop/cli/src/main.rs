//! `atendebem`: the headless command line over the AtendeBem desktop core, for scripts, tests,
//! benchmarks and support. Messages for people are in Brazilian Portuguese; with `--json`, output
//! is JSON and errors carry a stable `code`.

mod args;
mod commands;
mod output;
mod secrets;
mod sync_commands;
mod tiss_commands;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match args::Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return output::usage_error(&error),
    };
    init_tracing();
    let json = cli.json;
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => output::report_error(&error, json),
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("ATENDEBEM_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
