//! Measuring the classifier on a labelled TSV file: accuracy, per-class precision and recall,
//! and the confusion matrix; and the team recogniser, where the file has a `teams` column.

use crate::classify::model::Model;
use crate::classify::model::Weights;
use crate::classify::{decide, probabilities, Category, TRADE_MIN};
use crate::teams::{codes, find_teams};
use serde::Serialize;
use std::fmt;

/// Why a labelled file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// The header lacks a needed column.
    #[error("the header has no {0:?} column")]
    MissingColumn(&'static str),
    /// A row is short or names an unknown label.
    #[error("line {line}: {message}")]
    BadRow {
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        message: String,
    },
    /// The file has a header but no rows.
    #[error("the file has no labelled rows")]
    NoRows,
}

/// One row the classifier got wrong.
#[derive(Debug, Clone, Serialize)]
pub struct Miss {
    /// The row's `id` column, or its line number.
    pub id: String,
    /// The hand label.
    pub expected: Category,
    /// The classifier's answer.
    pub predicted: Category,
    /// The headline.
    pub title: String,
}

/// Precision and recall of one class.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ClassScore {
    /// The class.
    pub category: Category,
    /// Of the rows predicted as this class, the share labelled so.
    pub precision: f64,
    /// Of the rows labelled this class, the share predicted so.
    pub recall: f64,
    /// Rows labelled this class.
    pub support: usize,
}

/// The evaluation of a labelled file.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Rows evaluated.
    pub total: usize,
    /// Rows predicted correctly.
    pub correct: usize,
    /// `correct / total`.
    pub accuracy: f64,
    /// Per-class precision and recall, in [`Category::ALL`] order.
    pub classes: Vec<ClassScore>,
    /// `confusion[expected][predicted]`, indexed in [`Category::ALL`] order.
    pub confusion: [[usize; 3]; 3],
    /// The rows the classifier got wrong.
    pub misses: Vec<Miss>,
    /// Trade precision and recall at other operating points than [`TRADE_MIN`].
    pub trade_points: Vec<TradePoint>,
}

/// The classifier's level when Trade needs a given probability.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct TradePoint {
    /// The probability Trade needs.
    pub trade_min: f32,
    /// Accuracy over all rows.
    pub accuracy: f64,
    /// Of the rows decided Trade, the share labelled so.
    pub trade_precision: f64,
    /// Of the rows labelled Trade, the share decided so.
    pub trade_recall: f64,
}

/// The table of operating points as `tracker eval` and `tracker train` print it, marking
/// [`TRADE_MIN`].
pub fn trade_points_table(points: &[TradePoint]) -> String {
    let mut out =
        String::from("when Trade needs probability  accuracy  trade precision  trade recall\n");
    for t in points {
        out.push_str(&format!(
            "{:>28.1}  {:>7.1}%  {:>14.1}%  {:>11.1}%{}\n",
            t.trade_min,
            t.accuracy * 100.0,
            t.trade_precision * 100.0,
            t.trade_recall * 100.0,
            if t.trade_min == TRADE_MIN {
                "  (shipped)"
            } else {
                ""
            }
        ));
    }
    out
}

/// The operating points [`trade_points`] reports.
pub const TRADE_MINS: [f32; 6] = [0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

/// Accuracy and Trade precision and recall at each of [`TRADE_MINS`], from each row's label
/// and probabilities.
pub fn trade_points(rows: &[(Category, Weights)]) -> Vec<TradePoint> {
    let trades = rows.iter().filter(|(l, _)| *l == Category::Trade).count();
    TRADE_MINS
        .iter()
        .map(|&trade_min| {
            let (mut correct, mut tp, mut predicted) = (0, 0, 0);
            for (label, p) in rows {
                let c = decide(p, trade_min);
                correct += usize::from(c == *label);
                predicted += usize::from(c == Category::Trade);
                tp += usize::from(c == Category::Trade && *label == Category::Trade);
            }
            TradePoint {
                trade_min,
                accuracy: ratio(correct, rows.len()),
                trade_precision: ratio(tp, predicted),
                trade_recall: ratio(tp, trades),
            }
        })
        .collect()
}

/// One labelled row of a TSV file.
#[derive(Debug, Clone)]
pub struct LabelledRow {
    /// The `id` column, or the line number.
    pub id: String,
    /// The hand label.
    pub label: Category,
    /// The headline.
    pub title: String,
    /// The `description` column (empty when absent).
    pub description: String,
    /// The `teams` column: comma-separated codes (`None` when the file has no such column).
    pub teams: Option<Vec<String>>,
    /// The `split` column (`tune`, `holdout`), when the file has one.
    pub split: Option<String>,
    /// The `story` column: rows covering one event share it (empty when absent).
    pub story: String,
}

/// Evaluates the classifier on TSV text with a header naming `label` and `title` columns
/// (and optionally `id` and `description`).
pub fn evaluate_tsv(tsv: &str) -> Result<Report, EvalError> {
    evaluate(&read_tsv(tsv)?)
}

/// Reads TSV text with a header naming `label` and `title` columns (and optionally `id`,
/// `description`, `teams`, `split` and `story`).
pub fn read_tsv(tsv: &str) -> Result<Vec<LabelledRow>, EvalError> {
    let mut lines = tsv
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let header: Vec<&str> = lines
        .next()
        .map(|(_, h)| h.split('\t').collect())
        .unwrap_or_default();
    let column = |name: &'static str| {
        header
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let label_col = column("label").ok_or(EvalError::MissingColumn("label"))?;
    let title_col = column("title").ok_or(EvalError::MissingColumn("title"))?;
    let id_col = column("id");
    let desc_col = column("description");
    let teams_col = column("teams");
    let split_col = column("split");
    let story_col = column("story");

    let mut rows = Vec::new();
    for (index, line) in lines {
        let fields: Vec<&str> = line.split('\t').collect();
        let cell = |col: usize| fields.get(col).copied();
        let (Some(label), Some(title)) = (cell(label_col), cell(title_col)) else {
            return Err(EvalError::BadRow {
                line: index + 1,
                message: "too few columns".into(),
            });
        };
        let expected: Category = label
            .parse()
            .map_err(|e: crate::classify::UnknownCategory| EvalError::BadRow {
                line: index + 1,
                message: e.to_string(),
            })?;
        rows.push(LabelledRow {
            id: id_col
                .and_then(cell)
                .map_or_else(|| (index + 1).to_string(), str::to_owned),
            label: expected,
            title: title.to_owned(),
            description: desc_col.and_then(cell).unwrap_or("").to_owned(),
            teams: teams_col.map(|c| {
                cell(c)
                    .unwrap_or("")
                    .split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned)
                    .collect()
            }),
            split: split_col.and_then(cell).map(str::to_owned),
            story: story_col.and_then(cell).unwrap_or("").to_owned(),
        });
    }
    Ok(rows)
}

/// Evaluates the classifier (the shipped model) on labelled rows.
pub fn evaluate(rows: &[LabelledRow]) -> Result<Report, EvalError> {
    evaluate_with(Model::get(), rows)
}

/// Evaluates the classifier with `model` on labelled rows.
pub fn evaluate_with(model: &Model<'_>, rows: &[LabelledRow]) -> Result<Report, EvalError> {
    let mut confusion = [[0usize; 3]; 3];
    let mut misses = Vec::new();
    let mut points = Vec::with_capacity(rows.len());
    for row in rows {
        let p = probabilities(model, &row.title, &row.description);
        points.push((row.label, p));
        let predicted = decide(&p, TRADE_MIN);
        confusion[row.label.index()][predicted.index()] += 1;
        if predicted != row.label {
            misses.push(Miss {
                id: row.id.clone(),
                expected: row.label,
                predicted,
                title: row.title.clone(),
            });
        }
    }
    let total: usize = confusion.iter().flatten().sum();
    if total == 0 {
        return Err(EvalError::NoRows);
    }
    let correct: usize = (0..3).map(|i| confusion[i][i]).sum();
    let classes = Category::ALL
        .iter()
        .enumerate()
        .map(|(i, &category)| {
            let predicted: usize = (0..3).map(|e| confusion[e][i]).sum();
            let support: usize = confusion[i].iter().sum();
            ClassScore {
                category,
                precision: ratio(confusion[i][i], predicted),
                recall: ratio(confusion[i][i], support),
                support,
            }
        })
        .collect();
    Ok(Report {
        total,
        correct,
        accuracy: ratio(correct, total),
        classes,
        confusion,
        misses,
        trade_points: trade_points(&points),
    })
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// A row whose teams the recogniser got wrong.
#[derive(Debug, Clone, Serialize)]
pub struct TeamMiss {
    /// The row's id.
    pub id: String,
    /// The hand-labelled codes.
    pub expected: Vec<String>,
    /// The recognised codes.
    pub found: Vec<String>,
    /// The headline.
    pub title: String,
}

/// The team recogniser against hand-labelled team sets, counted per (row, team) pair.
#[derive(Debug, Clone, Serialize)]
pub struct TeamReport {
    /// Rows evaluated.
    pub rows: usize,
    /// Teams found that the label has.
    pub true_positives: usize,
    /// Teams found that the label lacks.
    pub false_positives: usize,
    /// Labelled teams not found.
    pub false_negatives: usize,
    /// `tp / (tp + fp)`.
    pub precision: f64,
    /// `tp / (tp + fn)`.
    pub recall: f64,
    /// Rows with an exactly right set, over all rows.
    pub exact: f64,
    /// The rows with a wrong set.
    pub misses: Vec<TeamMiss>,
}

/// Evaluates the team recogniser on the rows that carry team labels (`None` if none do).
pub fn evaluate_teams(rows: &[LabelledRow]) -> Option<TeamReport> {
    let (mut tp, mut fp, mut fn_, mut exact, mut count) = (0, 0, 0, 0, 0);
    let mut misses = Vec::new();
    for row in rows {
        let Some(expected) = &row.teams else { continue };
        count += 1;
        let found = codes(&find_teams(&row.title, &row.description));
        let hits = found.iter().filter(|t| expected.contains(t)).count();
        tp += hits;
        fp += found.len() - hits;
        fn_ += expected.iter().filter(|t| !found.contains(t)).count();
        let mut sorted = expected.clone();
        sorted.sort();
        if sorted == found {
            exact += 1;
        } else {
            misses.push(TeamMiss {
                id: row.id.clone(),
                expected: sorted,
                found,
                title: row.title.clone(),
            });
        }
    }
    (count > 0).then(|| TeamReport {
        rows: count,
        true_positives: tp,
        false_positives: fp,
        false_negatives: fn_,
        precision: ratio(tp, tp + fp),
        recall: ratio(tp, tp + fn_),
        exact: ratio(exact, count),
        misses,
    })
}

impl fmt::Display for TeamReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "teams     precision {:.1}% recall {:.1}% exact rows {:.1}% ({} rows; {} right, {} extra, {} missed)",
            self.precision * 100.0,
            self.recall * 100.0,
            self.exact * 100.0,
            self.rows,
            self.true_positives,
            self.false_positives,
            self.false_negatives
        )?;
        for m in &self.misses {
            writeln!(
                f,
                "  {:>5}  {:<15} found {:<15}  {}",
                m.id,
                m.expected.join(","),
                m.found.join(","),
                m.title
            )?;
        }
        Ok(())
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "accuracy  {:.1}% ({}/{})",
            self.accuracy * 100.0,
            self.correct,
            self.total
        )?;
        writeln!(
            f,
            "\n{:<8} {:>9} {:>7} {:>8}",
            "class", "precision", "recall", "support"
        )?;
        for c in &self.classes {
            writeln!(
                f,
                "{:<8} {:>8.1}% {:>6.1}% {:>8}",
                c.category,
                c.precision * 100.0,
                c.recall * 100.0,
                c.support
            )?;
        }
        writeln!(f, "\nconfusion (rows: label, columns: predicted)")?;
        writeln!(
            f,
            "{:<8} {:>7} {:>7} {:>7}",
            "", "Trade", "Signing", "Other"
        )?;
        for (i, row) in self.confusion.iter().enumerate() {
            writeln!(
                f,
                "{:<8} {:>7} {:>7} {:>7}",
                Category::ALL[i],
                row[0],
                row[1],
                row[2]
            )?;
        }
        write!(f, "\n{}", trade_points_table(&self.trade_points))?;
        if !self.misses.is_empty() {
            writeln!(f, "\nmisses")?;
            for m in &self.misses {
                writeln!(
                    f,
                    "  {:>5}  {:<7} -> {:<7}  {}",
                    m.id, m.expected, m.predicted, m.title
                )?;
            }
        }
        Ok(())
    }
}
