//! Trade / Signing / Other classification of news items, with evidence and a confidence.
//!
//! Two layers. The explainable [`rules`]: weighted phrases matched on whole lowercase tokens
//! (never substrings), longest phrase first, so "press release" claims "release" and "trade
//! deadline" claims "trade"; their hand weights sum to a score per category. Over them a
//! learned [`model`]: a logistic regression trained offline on the labelled corpus
//! ([`train`], `tracker train`) that reads the rules' phrases and scores and the words and
//! word pairs around them with names abstracted ([`features`]). It gives each category a
//! probability; the decision is the most likely category, Trade only from [`TRADE_MIN`]; the
//! confidence is the winner's probability, and the evidence the features that pushed hardest.

pub mod features;
mod matcher;
pub mod model;
mod rules;
mod tokens;
pub mod train;

pub use rules::RULES;

use crate::mentions::Mentions;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The category of a news item.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
pub enum Category {
    /// A reported, agreed, completed or rumoured trade of players or picks between teams.
    Trade,
    /// A non-trade player contract transaction: signing, extension, option, waiver, buyout.
    Signing,
    /// Everything else: games, injuries, staff moves, awards, draft, features.
    Other,
}

impl Category {
    /// All categories, in display order.
    pub const ALL: [Category; 3] = [Category::Trade, Category::Signing, Category::Other];

    /// The category's name as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Trade => "Trade",
            Category::Signing => "Signing",
            Category::Other => "Other",
        }
    }

    /// The category's position in [`Category::ALL`] (and in the model's weights).
    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown category name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown category {0:?}: expected Trade, Signing or Other")]
pub struct UnknownCategory(pub String);

impl FromStr for Category {
    type Err = UnknownCategory;

    /// Parses a category name, ignoring ASCII case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Category::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownCategory(s.to_owned()))
    }
}

/// Where in the item a phrase matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Place {
    /// The headline.
    Title,
    /// The summary or description.
    Summary,
}

/// One feature of the item that moved the decision: part of its reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Evidence {
    /// A rule's phrase as written in the table (`sign|signs|signed`), or words of the item
    /// with names abstracted (`sign [player]`, `[team] trade`, `# year`).
    pub phrase: String,
    /// The category it pushed towards most.
    pub category: Category,
    /// How far it pushed: its added log-odds for that category against the mean of the three
    /// (a rule phrase includes its share of the rules' scores).
    pub weight: f32,
    /// Where it matched.
    #[serde(rename = "in")]
    pub place: Place,
}

/// A decision and its reasons.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Classification {
    /// The winning category.
    pub category: Category,
    /// How sure the decision is: the model's probability of the category (above 0.1: at least
    /// 1/3 unless Trade, the likeliest, fell short of [`TRADE_MIN`]; the alerts'
    /// `min_confidence` filters on it).
    pub confidence: f32,
    /// The features that pushed hardest, strongest first (at most [`MAX_EVIDENCE`]).
    pub evidence: Vec<Evidence>,
}

/// The probability Trade needs to win: below it an item is Signing or Other, whichever is more
/// likely. A false Trade is the costliest mistake (it alerts every follower of two teams), so
/// this is set above the plain argmax (see the README's operating point).
pub const TRADE_MIN: f32 = 0.8;

/// How many features are returned as evidence at most.
pub const MAX_EVIDENCE: usize = 8;

/// Evidence below this contribution is not returned.
const MIN_EVIDENCE: f32 = 0.05;

/// Classifies a headline and optional summary with the shipped model.
pub fn classify(title: &str, summary: &str) -> Classification {
    classify_with(model::Model::get(), title, summary)
}

/// Classifies a headline and summary whose names are found already (ingest reads them for
/// the item's tags too) with the shipped model.
pub fn classify_found(found: &Mentions<'_>) -> Classification {
    decision(model::Model::get(), found)
}

/// The probabilities `model` gives Trade, Signing and Other for a headline and summary.
pub fn probabilities(model: &model::Model<'_>, title: &str, summary: &str) -> model::Weights {
    model.probabilities(&features::features(&Mentions::find(title, summary)))
}

/// Classifies a headline and optional summary with `model`.
pub fn classify_with(model: &model::Model<'_>, title: &str, summary: &str) -> Classification {
    decision(model, &Mentions::find(title, summary))
}

/// `model`'s decision on a headline and summary and the names in them.
fn decision(model: &model::Model<'_>, found: &Mentions<'_>) -> Classification {
    let features = features::features(found);
    let p = model.probabilities(&features);
    let category = decide(&p, TRADE_MIN);
    Classification {
        category,
        confidence: p[category.index()],
        evidence: evidence(model, &features),
    }
}

/// The category of probabilities `p` (in [`Category::ALL`] order): the most likely, but Trade
/// only at `trade_min` or above.
pub fn decide(p: &model::Weights, trade_min: f32) -> Category {
    if p[0] >= trade_min && p[0] >= p[1] && p[0] >= p[2] {
        Category::Trade
    } else if p[1] >= p[2] {
        Category::Signing
    } else {
        Category::Other
    }
}

/// The features that pushed hardest, each for the category it favours most: its weights,
/// less their mean, times its value. A rule phrase also carries its share of the rules'
/// scores (its hand weight times the score feature's weights), so the score features
/// themselves are not listed.
fn evidence(model: &model::Model<'_>, features: &[features::Feature]) -> Vec<Evidence> {
    let mut evidence: Vec<Evidence> = features
        .iter()
        .filter(|f| !features::SCORES.contains(&f.name.as_str()))
        .filter_map(|f| {
            let mut w = model.weights(&f.name).map(|w| w * f.value);
            if let Some((category, hand)) = f.rule {
                let score = model.weights(features::SCORES[category.index()]);
                for (w, s) in w.iter_mut().zip(score) {
                    *w += hand * s;
                }
            }
            let mean = w.iter().sum::<f32>() / 3.0;
            let (k, top) = (0..3)
                .map(|k| (k, w[k] - mean))
                .fold((0, f32::MIN), |b, x| if x.1 > b.1 { x } else { b });
            (top >= MIN_EVIDENCE).then(|| Evidence {
                phrase: f.phrase().to_owned(),
                category: Category::ALL[k],
                weight: (top * 100.0).round() / 100.0,
                place: f.place,
            })
        })
        .collect();
    evidence.sort_by(|a, b| b.weight.total_cmp(&a.weight));
    evidence.truncate(MAX_EVIDENCE);
    evidence
}
