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

/// Writes `text` on stdout. A reader that has gone (`tracker eval | head`) is an error of kind
/// [`std::io::ErrorKind::BrokenPipe`], which `main` ends on quietly.
pub fn out(text: impl std::fmt::Display) -> Result {
    use std::io::Write;
    write!(std::io::stdout().lock(), "{text}")?;
    Ok(())
}

/// Writes `value` as one line of JSON on stdout.
pub fn print_json<T: serde::Serialize>(value: &T) -> Result {
    out(format_args!("{}\n", serde_json::to_string(value)?))
}

/// Whether `err` is stdout's reader having gone away (also as JSON output's error).
pub fn is_broken_pipe(err: &(dyn std::error::Error + 'static)) -> bool {
    let kind = err
        .downcast_ref::<std::io::Error>()
        .map(std::io::Error::kind)
        .or_else(|| err.downcast_ref::<serde_json::Error>()?.io_error_kind());
    kind == Some(std::io::ErrorKind::BrokenPipe)
}
