//! `tracker`: the operator's command line for NBA Trade Tracker.

mod commands;
mod web;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// NBA Trade Tracker: parse feeds, classify headlines, evaluate the classifier.
#[derive(Parser)]
#[command(name = "tracker", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parse a feed file or URL and print its items, classified, as JSON.
    Parse(commands::parse::Args),
    /// Classify a headline (and optional description), or JSON lines from stdin with --jsonl.
    Classify(commands::classify::Args),
    /// Measure the classifier on a labelled TSV file (columns label, title, description).
    Eval(commands::eval::Args),
    /// Cross-validate the classifier's model on labelled TSV files and fit it (--out).
    Train(commands::train::Args),
    /// Print the table declarations (keys, indexes, TTL) the code expects, as JSON.
    Schema,
    /// Run ingest once (--once, JSON summary) or on an interval.
    Ingest(commands::ingest::Args),
    /// Serve the API and the news page locally, ingesting at start and on an interval.
    Serve(commands::serve::Args),
    /// Tag the items stored before teams existed (whole store; prints a JSON report).
    Backfill(commands::backfill::Args),
    /// Print a development bearer token that `tracker serve` on the same --data-dir accepts.
    Token(commands::auth::TokenArgs),
}

/// Runs an async command on a multi-threaded runtime.
fn async_main(command: impl std::future::Future<Output = commands::Result>) -> commands::Result {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(command)
}

fn main() -> ExitCode {
    // Logs go to stderr, filtered by RUST_LOG (default: warnings); stdout stays machine-readable.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Parse(args) => async_main(commands::parse::run(args)),
        Command::Classify(args) => commands::classify::run(args),
        Command::Eval(args) => commands::eval::run(args),
        Command::Train(args) => commands::train::run(args),
        Command::Schema => commands::print_json(&shared::store::schema::TABLES),
        Command::Ingest(args) => async_main(commands::ingest::run(args)),
        Command::Serve(args) => async_main(commands::serve::run(args)),
        Command::Token(args) => commands::auth::token(args),
        Command::Backfill(args) => async_main(commands::backfill::run(args)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // The reader took what it wanted (`tracker eval | head`): not a failure.
        Err(err) if commands::is_broken_pipe(err.as_ref()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("tracker: {err}");
            ExitCode::FAILURE
        }
    }
}
