//! The player recogniser against hand labels of the unseen corpus's holdout split
//! (`testdata/corpus/players-holdout.tsv`, labelled without looking at the recogniser's output):
//! precision and recall per (headline, player) pair, printed, and floors a change must keep.

use shared::eval::read_tsv;
use shared::players::{find_players, names};
use std::collections::HashMap;

const CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../testdata/corpus/headlines-unseen.tsv"
);
const LABELS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../testdata/corpus/players-holdout.tsv"
);

/// Measured on 2026-11-30, after the suffix and initials spellings (see the README): 338 right,
/// 18 extra, 62 missed. A change that loses more than two points fails here.
const PRECISION_FLOOR: f64 = 0.929;
const RECALL_FLOOR: f64 = 0.825;

#[test]
fn players_on_the_holdout_labels() {
    let corpus = std::fs::read_to_string(CORPUS).unwrap_or_else(|e| panic!("{CORPUS}: {e}"));
    let rows: HashMap<String, (String, String)> = read_tsv(&corpus)
        .expect("corpus")
        .into_iter()
        .map(|r| (r.id, (r.title, r.description)))
        .collect();
    let labels = std::fs::read_to_string(LABELS).unwrap_or_else(|e| panic!("{LABELS}: {e}"));
    let (mut tp, mut fp, mut fn_, mut count) = (0usize, 0usize, 0usize, 0usize);
    let mut misses = Vec::new();
    for line in labels.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let (id, players) = line.split_once('\t').unwrap_or((line, ""));
        let (title, description) = rows
            .get(id)
            .unwrap_or_else(|| panic!("{id} not in the corpus"));
        // Players missing from the roster (`?name`) cannot be found; they count as misses.
        let expected: Vec<&str> = players
            .split('|')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        let found = names(&find_players(title, description));
        let hits = found
            .iter()
            .filter(|p| expected.contains(&p.as_str()))
            .count();
        tp += hits;
        fp += found.len() - hits;
        fn_ += expected
            .iter()
            .filter(|p| !found.iter().any(|f| f == *p))
            .count();
        count += 1;
        if hits != found.len() || hits != expected.len() {
            misses.push(format!(
                "{id}: labelled {expected:?}, found {found:?}  {title}"
            ));
        }
    }
    assert!(count >= 400, "{count} labelled rows");
    let precision = tp as f64 / (tp + fp).max(1) as f64;
    let recall = tp as f64 / (tp + fn_).max(1) as f64;
    println!(
        "players on holdout: precision {:.1}% recall {:.1}% ({count} rows; {tp} right, {fp} extra, {fn_} missed)",
        precision * 100.0,
        recall * 100.0
    );
    for miss in &misses {
        println!("  {miss}");
    }
    assert!(
        precision >= PRECISION_FLOOR,
        "precision fell to {precision:.3}"
    );
    assert!(recall >= RECALL_FLOOR, "recall fell to {recall:.3}");
}
