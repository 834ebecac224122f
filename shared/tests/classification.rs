//! The classifier: its level on the hand-labelled dev file, and the traps of substring matching.

use shared::classify::model::Model;
use shared::classify::train::{examples, fit, header, Params};
use shared::classify::{classify, Category, Place};
use shared::eval::{evaluate, evaluate_tsv, read_tsv};

const DEV_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/headlines-dev.tsv");

/// The level reached on the dev file (230/232 on 2026-11-30, a file the model is trained on);
/// a change that loses it fails here.
const ACCURACY_FLOOR: f64 = 0.95;

const UNSEEN_FILE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../testdata/corpus/headlines-unseen.tsv"
);

/// The level measured on the unseen corpus's holdout split (930/1,062 on 2026-11-30).
const HOLDOUT_FLOOR: f64 = 0.86;

const SHIPPED_MODEL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/classifier.tsv");

/// How far a re-fitted weight may be from the shipped one.
const MODEL_TOLERANCE: f32 = 1e-3;

/// The shipped model is what `tracker train` fits on the corpus, leaving out the holdout: a
/// changed corpus, feature or fit must come with the re-trained model
/// (`UPDATE_MODEL=1 cargo test -p shared --test classification shipped` rewrites it). Weights
/// may differ by [`MODEL_TOLERANCE`]: the file rounds them, and `exp` may differ in its last
/// bit between platforms.
#[test]
fn the_shipped_model_is_fitted_on_the_corpus_without_the_holdout() {
    let mut all = Vec::new();
    let mut sources = Vec::new();
    for (path, name) in [
        (DEV_FILE, "headlines-dev.tsv"),
        (UNSEEN_FILE, "headlines-unseen.tsv"),
    ] {
        let tsv = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let rows = read_tsv(&tsv).expect("well-formed");
        let found = examples(&rows, name, "holdout");
        sources.push((name.to_owned(), found.len()));
        all.extend(found);
    }
    assert!(all.len() > 1800, "{}", all.len());
    let params = Params::default();
    let fitted = fit(&all, &params).to_file(&header(&params, "holdout", &sources));
    if std::env::var_os("UPDATE_MODEL").is_some() {
        std::fs::write(SHIPPED_MODEL, &fitted).expect("write the model");
    }
    let shipped = std::fs::read_to_string(SHIPPED_MODEL).expect("the shipped model");
    let comments = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.starts_with('#'))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(
        comments(&fitted),
        comments(&shipped),
        "trained from other data"
    );
    let distance = Model::parse(&fitted)
        .expect("fitted")
        .distance(&Model::parse(&shipped).expect("shipped"));
    assert!(
        distance <= MODEL_TOLERANCE,
        "shared/data/classifier.tsv is not what the corpus trains (a weight differs by \
         {distance}): re-train it (README)"
    );
}

#[test]
fn accuracy_floor_on_the_unseen_holdout() {
    let tsv = std::fs::read_to_string(UNSEEN_FILE).unwrap_or_else(|e| panic!("{UNSEEN_FILE}: {e}"));
    let mut rows = read_tsv(&tsv).expect("the corpus is well-formed");
    rows.retain(|r| r.split.as_deref() == Some("holdout"));
    let report = evaluate(&rows).expect("holdout rows");
    assert!(report.total >= 1000, "{}", report.total);
    assert!(
        report.accuracy >= HOLDOUT_FLOOR,
        "holdout accuracy fell to {:.3}",
        report.accuracy
    );
}

#[test]
fn accuracy_floor_on_the_labelled_dev_file() {
    let tsv = std::fs::read_to_string(DEV_FILE).unwrap_or_else(|e| panic!("{DEV_FILE}: {e}"));
    let report = evaluate_tsv(&tsv).expect("the dev file is well-formed");
    assert_eq!(report.total, 232);
    assert!(
        report.accuracy >= ACCURACY_FLOOR,
        "accuracy fell to {:.3}\n{report}",
        report.accuracy
    );
    for class in &report.classes {
        assert!(
            class.precision >= 0.9 && class.recall >= 0.9,
            "{class:?}\n{report}"
        );
    }
}

#[test]
fn substrings_do_not_match() {
    // The predecessor's keyword matcher got each of these wrong.
    for (title, summary) in [
        (
            "Puma announces release date, price of LaMelo Ball's 5th signature shoe",
            "",
        ),
        (
            "Anthony Davis dealing with numbness in left arm",
            "He is dealing with an injury.",
        ),
        (
            "Rookie removed from lineup after scary fall",
            "The move was precautionary.",
        ),
        (
            "Bulls rally from 19-point deficit, fall to Magic",
            "Chicago clawed back to trade leads in the final moments.",
        ),
    ] {
        let decision = classify(title, summary);
        assert_eq!(
            decision.category,
            Category::Other,
            "{title}: {:?}",
            decision.evidence
        );
    }
}

#[test]
fn typical_transactions() {
    let cases = [
        (
            "Rockets trade Russell Westbrook to Wizards for John Wall",
            Category::Trade,
        ),
        (
            "Spurs send Kawhi Leonard to Toronto for DeMar DeRozan",
            Category::Trade,
        ),
        (
            "Bucks acquire Damian Lillard in 3-team trade",
            Category::Trade,
        ),
        (
            "Lakers sign Jay Huff to two-way contract",
            Category::Signing,
        ),
        (
            "Kings exercise team option on rookie guard",
            Category::Signing,
        ),
        (
            "Pistons waive veteran center, claim guard off waivers",
            Category::Signing,
        ),
        (
            "Heat convert Max Strus to standard contract",
            Category::Signing,
        ),
        (
            "Star forward agrees to 4-year, $154 million deal",
            Category::Signing,
        ),
        (
            "Warriors and head coach sign multi-year contract extension",
            Category::Other,
        ),
        (
            "Celtics star sidelined with adductor strain",
            Category::Other,
        ),
        ("Bulls hire assistant coach", Category::Other),
    ];
    for (title, want) in cases {
        let decision = classify(title, "");
        assert_eq!(decision.category, want, "{title}: {:?}", decision.evidence);
    }
}

#[test]
fn every_decision_carries_its_evidence() {
    let decision = classify(
        "Cavs trade Rodney Hood to Blazers",
        "Cleveland traded guard Rodney Hood.",
    );
    assert_eq!(decision.category, Category::Trade);
    let trade_phrases: Vec<_> = decision
        .evidence
        .iter()
        .filter(|e| e.category == Category::Trade)
        .collect();
    assert!(
        trade_phrases.iter().any(|e| e.place == Place::Title),
        "{:?}",
        decision.evidence
    );
    // Strongest first.
    let weights: Vec<f32> = decision.evidence.iter().map(|e| e.weight.abs()).collect();
    assert!(weights.windows(2).all(|w| w[0] >= w[1]), "{weights:?}");

    let nothing = classify("Curry scores 40", "");
    assert_eq!(nothing.category, Category::Other);

    // The summary speaks too, with its place.
    let decision = classify(
        "Cavs make a move",
        "Cleveland traded guard Rodney Hood to Portland for two second-round picks.",
    );
    assert_eq!(
        decision.category,
        Category::Trade,
        "{:?}",
        decision.evidence
    );
    assert!(
        decision
            .evidence
            .iter()
            .any(|e| e.category == Category::Trade && e.place == Place::Summary),
        "{:?}",
        decision.evidence
    );
}

#[test]
fn counter_phrases_are_evidence_for_other() {
    let decision = classify(
        "Team signs multi-year extension with flagship radio station",
        "",
    );
    assert_eq!(decision.category, Category::Other);
    assert!(
        decision
            .evidence
            .iter()
            .any(|e| e.category == Category::Other && e.phrase.contains("radio")),
        "{:?}",
        decision.evidence
    );
}

#[test]
fn confidence_is_the_winners_probability() {
    let sure = classify("Lakers sign Jay Huff to two-way contract", "");
    assert_eq!(sure.category, Category::Signing);
    assert!(sure.confidence > 0.8, "{}", sure.confidence);
    let unsure = classify("Lakers", "");
    assert!(unsure.confidence < sure.confidence);
    assert!(unsure.confidence > 0.1);
}

#[test]
fn category_names_round_trip() {
    for category in Category::ALL {
        assert_eq!(category.as_str().parse::<Category>(), Ok(category));
        assert_eq!(
            category.as_str().to_lowercase().parse::<Category>(),
            Ok(category)
        );
    }
    assert!("Trades".parse::<Category>().is_err());
}
