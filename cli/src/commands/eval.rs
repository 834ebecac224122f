//! `tracker eval FILE.tsv`.

use shared::eval::evaluate_tsv;

/// Arguments of `tracker eval`.
#[derive(clap::Args)]
pub struct Args {
    /// A TSV file with a header naming `label` and `title` (and optionally `id`, `description`).
    file: std::path::PathBuf,
    /// Print the report as JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// Evaluates the classifier on the file and prints the report.
pub fn run(args: Args) -> super::Result {
    let text =
        std::fs::read_to_string(&args.file).map_err(|e| format!("{}: {e}", args.file.display()))?;
    let report = evaluate_tsv(&text).map_err(|e| format!("{}: {e}", args.file.display()))?;
    if args.json {
        super::print_json(&report)
    } else {
        print!("{report}");
        Ok(())
    }
}
