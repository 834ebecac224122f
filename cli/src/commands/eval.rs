//! `tracker eval FILE.tsv`.

use shared::classify::model::Model;
use shared::eval::{evaluate_teams, evaluate_with, read_tsv, Report, TeamReport};

/// Arguments of `tracker eval`.
#[derive(clap::Args)]
pub struct Args {
    /// A TSV file with a header naming `label` and `title` (and optionally `id`, `description`).
    file: std::path::PathBuf,
    /// Only the rows whose `split` column has this value (`tune`, `holdout`).
    #[arg(long)]
    split: Option<String>,
    /// Measure the model in this file (written by `tracker train --out`) instead of the
    /// shipped one.
    #[arg(long)]
    model: Option<std::path::PathBuf>,
    /// Print the report as JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// The JSON output: the classifier's report, and the teams' where the file labels them.
#[derive(serde::Serialize)]
struct Output<'a> {
    #[serde(flatten)]
    report: &'a Report,
    #[serde(skip_serializing_if = "Option::is_none")]
    teams: Option<&'a TeamReport>,
}

/// Evaluates the classifier (and the team recogniser, where the file labels teams) on the
/// file and prints the report.
pub fn run(args: Args) -> super::Result {
    let name = args.file.display();
    let text = std::fs::read_to_string(&args.file).map_err(|e| format!("{name}: {e}"))?;
    let mut rows = read_tsv(&text).map_err(|e| format!("{name}: {e}"))?;
    if let Some(split) = &args.split {
        rows.retain(|r| r.split.as_deref() == Some(split.as_str()));
    }
    let model_name = args.model.as_ref().map(|p| p.display().to_string());
    let model_text = args
        .model
        .as_ref()
        .map(std::fs::read_to_string)
        .transpose()
        .map_err(|e| format!("{}: {e}", model_name.as_deref().unwrap_or_default()))?;
    let loaded = model_text
        .as_deref()
        .map(Model::parse)
        .transpose()
        .map_err(|e| format!("{}: {e}", model_name.as_deref().unwrap_or_default()))?;
    let model = loaded.as_ref().unwrap_or_else(|| Model::get());
    let report = evaluate_with(model, &rows).map_err(|e| format!("{name}: {e}"))?;
    let teams = evaluate_teams(&rows);
    if args.json {
        super::print_json(&Output {
            report: &report,
            teams: teams.as_ref(),
        })
    } else {
        super::out(&report)?;
        match teams {
            Some(teams) => super::out(format_args!("\n{teams}")),
            None => Ok(()),
        }
    }
}
