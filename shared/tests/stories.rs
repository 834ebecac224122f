//! The story rule against labelled pairs: rows of the unseen corpus
//! (`testdata/corpus/headlines-unseen.tsv`) share a `story` label when they cover one event,
//! labelled before the rule existed. Every pair of rows whose stories were labelled in the same
//! month is a candidate (the month stands in for the time window: most rows carry no date), and
//! a pair is positive when its two rows share a story. Precision and recall of "same story" are
//! printed per split, with floors a change must keep.

use chrono::TimeZone;
use shared::classify::classify;
use shared::eval::{read_tsv, LabelledRow};
use shared::model::NewsItem;
use shared::stories::same_story;

const CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../testdata/corpus/headlines-unseen.tsv"
);

/// Measured on 2026-11-30 on the holdout split (see the README). A change that loses more than
/// two points fails here.
/// The rule was chosen on the tune split (70.9% precision, 63.5% recall there); the holdout
/// measured 80.3% and 80.3%.
const PRECISION_FLOOR: f64 = 0.783;
const RECALL_FLOOR: f64 = 0.783;

/// Rows of the first batch (`u1`..`u1005`), whose story labels mark one event each. The
/// second batch's keys only group rows for the split (a theme such as a set of uniform pages
/// shares one key), so they are not pairs to measure.
const STORY_LABELLED_ROWS: usize = 1005;

/// The item ingest would store for a row (one fixed time: the month pairs stand in for it).
fn item(row: &LabelledRow) -> NewsItem {
    let decision = classify(&row.title, &row.description);
    let time = chrono::Utc
        .with_ymd_and_hms(2026, 2, 5, 12, 0, 0)
        .single()
        .expect("time");
    let mut item = NewsItem {
        id: row.id.clone(),
        title: row.title.clone(),
        link: None,
        summary: row.description.clone(),
        source: String::new(),
        category: decision.category,
        evidence: decision.evidence,
        confidence: Some(decision.confidence),
        teams: Vec::new(),
        team_evidence: Vec::new(),
        players: Vec::new(),
        player_evidence: Vec::new(),
        story_id: None,
        published_at: None,
        fetched_at: time,
        expires_at: None,
    };
    item.find_names();
    item
}

/// Counts of the rule's answers over a split's candidate pairs.
#[derive(Debug, Default)]
struct Score {
    pairs: usize,
    positives: usize,
    true_positive: usize,
    false_positive: usize,
}

impl Score {
    fn precision(&self) -> f64 {
        self.true_positive as f64 / (self.true_positive + self.false_positive).max(1) as f64
    }

    fn recall(&self) -> f64 {
        self.true_positive as f64 / self.positives.max(1) as f64
    }
}

fn score(rows: &[&LabelledRow], wrong: &mut Vec<String>) -> Score {
    let items: Vec<NewsItem> = rows.iter().map(|r| item(r)).collect();
    let month = |r: &LabelledRow| r.story.get(..7).unwrap_or("").to_owned();
    let mut score = Score::default();
    for i in 0..rows.len() {
        for j in i + 1..rows.len() {
            if month(rows[i]) != month(rows[j]) {
                continue;
            }
            score.pairs += 1;
            let labelled = rows[i].story == rows[j].story;
            let grouped = same_story(&items[i], &items[j]);
            score.positives += usize::from(labelled);
            match (labelled, grouped) {
                (true, true) => score.true_positive += 1,
                (false, true) => score.false_positive += 1,
                _ => {}
            }
            if labelled != grouped {
                wrong.push(format!(
                    "{} {} | {} | {}",
                    if grouped { "EXTRA" } else { "MISSED" },
                    rows[i].story,
                    rows[i].title,
                    rows[j].title
                ));
            }
        }
    }
    score
}

#[test]
fn stories_on_the_labelled_pairs() {
    let corpus = std::fs::read_to_string(CORPUS).unwrap_or_else(|e| panic!("{CORPUS}: {e}"));
    let rows = read_tsv(&corpus).expect("corpus");
    for split in ["tune", "holdout"] {
        let part: Vec<&LabelledRow> = rows
            .iter()
            .filter(|r| {
                r.id.strip_prefix('u')
                    .and_then(|n| n.parse::<usize>().ok())
                    .is_some_and(|n| n <= STORY_LABELLED_ROWS)
            })
            .filter(|r| r.split.as_deref() == Some(split))
            .collect();
        let mut wrong = Vec::new();
        let s = score(&part, &mut wrong);
        for line in &wrong {
            println!("{split}: {line}");
        }
        println!(
            "{split}: {} candidate pairs, {} same-story; precision {:.1}% ({} of {}), recall {:.1}% ({} of {})",
            s.pairs,
            s.positives,
            100.0 * s.precision(),
            s.true_positive,
            s.true_positive + s.false_positive,
            100.0 * s.recall(),
            s.true_positive,
            s.positives
        );
        if split == "holdout" {
            assert!(
                s.precision() >= PRECISION_FLOOR,
                "precision {:.3}",
                s.precision()
            );
            assert!(s.recall() >= RECALL_FLOOR, "recall {:.3}", s.recall());
        }
    }
}
