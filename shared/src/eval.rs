//! Measuring the classifier on a labelled TSV file: accuracy, per-class precision and recall,
//! and the confusion matrix.

use crate::classify::{classify, Category};
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
}

fn position(c: Category) -> usize {
    Category::ALL.iter().position(|x| *x == c).unwrap_or(2)
}

/// Evaluates the classifier on TSV text with a header naming `label` and `title` columns
/// (and optionally `id` and `description`).
pub fn evaluate_tsv(tsv: &str) -> Result<Report, EvalError> {
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

    let mut confusion = [[0usize; 3]; 3];
    let mut misses = Vec::new();
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
        let description = desc_col.and_then(cell).unwrap_or("");
        let predicted = classify(title, description).category;
        confusion[position(expected)][position(predicted)] += 1;
        if predicted != expected {
            misses.push(Miss {
                id: id_col
                    .and_then(cell)
                    .map_or_else(|| (index + 1).to_string(), str::to_owned),
                expected,
                predicted,
                title: title.to_owned(),
            });
        }
    }
    let total: usize = confusion.iter().flatten().sum();
    if total == 0 {
        return Err(EvalError::NoRows);
    }
    let correct: usize = (0..3).map(|i| confusion[i][i]).sum();
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
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
    })
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
