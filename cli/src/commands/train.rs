//! `tracker train FILE.tsv...`: cross-validates and fits the classifier's model.

use shared::classify::train::{cross_validate, examples, fit, header, Params};
use shared::classify::{decide, TRADE_MIN};
use shared::eval::{read_tsv, trade_points, trade_points_table};

/// Arguments of `tracker train`.
#[derive(clap::Args)]
pub struct Args {
    /// Labelled TSV files (`label`, `title`, optional `id`, `description`, `story`, `split`).
    #[arg(required = true)]
    files: Vec<std::path::PathBuf>,
    /// Leave out the rows whose `split` column has this value: they are for measuring only.
    #[arg(long, default_value = "holdout")]
    skip_split: String,
    /// Inverse strength of the L2 penalty.
    #[arg(long, default_value_t = Params::default().c)]
    c: f64,
    /// Passes over the data.
    #[arg(long, default_value_t = Params::default().epochs)]
    epochs: usize,
    /// Features seen in fewer rows than this are left out.
    #[arg(long, default_value_t = Params::default().min_count)]
    min_count: usize,
    /// Cross-validation folds (drawn by story), at least 2; 0 skips cross-validation.
    #[arg(long, default_value_t = 5)]
    folds: usize,
    /// Write every row's cross-validated decision here (TSV: id, label, predicted, the three
    /// probabilities, title).
    #[arg(long)]
    predictions: Option<std::path::PathBuf>,
    /// Write the fitted model here (the shipped one is shared/data/classifier.tsv).
    #[arg(long)]
    out: Option<std::path::PathBuf>,
}

/// Reads the files, reports cross-validation, fits on every row and writes the model.
pub fn run(args: Args) -> super::Result {
    let mut all = Vec::new();
    let mut sources = Vec::new();
    for file in &args.files {
        let path = file.display();
        let text = std::fs::read_to_string(file).map_err(|e| format!("{path}: {e}"))?;
        let rows = read_tsv(&text).map_err(|e| format!("{path}: {e}"))?;
        let name = file
            .file_name()
            .map_or_else(|| path.to_string(), |n| n.to_string_lossy().into_owned());
        let found = examples(&rows, &name, &args.skip_split);
        sources.push((name, found.len()));
        all.extend(found);
    }
    if args.folds == 1 {
        return Err("--folds: 0 (no cross-validation) or at least 2".into());
    }
    if all.is_empty() {
        return Err("no labelled rows to train on (every row is in a skipped split?)".into());
    }
    if args.folds == 0 && args.predictions.is_some() {
        return Err("--predictions needs cross-validation (--folds 2 or more)".into());
    }
    let params = Params {
        c: args.c,
        epochs: args.epochs,
        min_count: args.min_count,
        ..Params::default()
    };
    if args.folds >= 2 {
        let probabilities = cross_validate(&all, args.folds, &params);
        super::out(format_args!(
            "{}-fold cross-validation by story, {} rows:\n",
            args.folds,
            all.len()
        ))?;
        let labelled: Vec<_> = all
            .iter()
            .map(|e| e.label)
            .zip(probabilities.clone())
            .collect();
        super::out(trade_points_table(&trade_points(&labelled)))?;
        if let Some(path) = &args.predictions {
            let mut out =
                String::from("id\tlabel\tpredicted\tp_trade\tp_signing\tp_other\ttitle\n");
            for (e, p) in all.iter().zip(&probabilities) {
                out.push_str(&format!(
                    "{}\t{}\t{}\t{:.3}\t{:.3}\t{:.3}\t{}\n",
                    e.id,
                    e.label,
                    decide(p, TRADE_MIN),
                    p[0],
                    p[1],
                    p[2],
                    e.title
                ));
            }
            std::fs::write(path, out).map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    if let Some(out) = &args.out {
        let model = fit(&all, &params);
        let text = model.to_file(&header(&params, &args.skip_split, &sources));
        // What eval would refuse is not written.
        shared::classify::model::Model::parse(&text).map_err(|e| {
            format!(
                "the fitted model is unusable ({e}): too few rows for --min-count {}?",
                args.min_count
            )
        })?;
        std::fs::write(out, text).map_err(|e| format!("{}: {e}", out.display()))?;
        eprintln!("wrote {}", out.display());
    }
    Ok(())
}
