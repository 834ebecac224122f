//! One module per subcommand; each exposes `Args` and `run`.

pub mod auth;
pub mod backfill;
pub mod classify;
pub mod eval;
pub mod ingest;
pub mod parse;
pub mod runtime;
pub mod serve;
pub mod train;

/// A command's failure, printed on stderr with a non-zero exit.
pub type Result = std::result::Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// Writes `value` as one line of JSON on stdout.
pub fn print_json<T: serde::Serialize>(value: &T) -> Result {
    println!("{}", serde_json::to_string(value)?);
    Ok(())
}
