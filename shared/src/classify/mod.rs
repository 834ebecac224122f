//! Trade / Signing / Other classification of news items, with evidence.
//!
//! Text is split into lowercase word tokens; phrases from the [`rules`] table match whole
//! tokens (never substrings), longest phrase first, so "press release" claims "release" and
//! "trade deadline" claims "trade". Each match adds its weight to one category (title matches
//! count fully, summary matches at [`SUMMARY_FACTOR`]); the highest score above Other's
//! baseline wins, and the matches are returned as evidence with a confidence: the winner's
//! share of the three scores after a softmax ([`confidence`]).

mod matcher;
mod rules;
mod tokens;

pub use rules::RULES;

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How much a summary match counts next to the same match in the title.
pub const SUMMARY_FACTOR: f32 = 0.6;

/// The score Other starts with: Trade or Signing must beat it to win.
pub const OTHER_BASELINE: f32 = 1.0;

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

    fn index(self) -> usize {
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

/// One matched phrase: part of the reason for a decision. A negative weight is a
/// counter-phrase: evidence against its category.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Evidence {
    /// The rule's phrase as written in the table.
    pub phrase: String,
    /// The category the phrase speaks for.
    pub category: Category,
    /// Its contribution to that category's score (after the summary factor).
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
    /// How sure the decision is, from 1/3 (a three-way tie) to 1 (see [`confidence`]).
    pub confidence: f32,
    /// Every phrase that matched, strongest first.
    pub evidence: Vec<Evidence>,
}

/// Classifies a headline and optional summary.
pub fn classify(title: &str, summary: &str) -> Classification {
    let matcher = matcher::Matcher::get();
    let mut scores = [0.0_f32; 3];
    scores[Category::Other.index()] = OTHER_BASELINE;
    let mut evidence = Vec::new();
    let mut seen = vec![false; matcher.len()];
    for (text, place, factor) in [
        (title, Place::Title, 1.0),
        (summary, Place::Summary, SUMMARY_FACTOR),
    ] {
        seen.fill(false);
        matcher.for_each_match(text, |index, rule| {
            // A phrase counts once per place, however often it is repeated.
            if std::mem::replace(&mut seen[index], true) {
                return;
            }
            let weight = rule.weight * factor;
            scores[rule.category.index()] += weight;
            if weight != 0.0 {
                evidence.push(Evidence {
                    phrase: rule.phrase.to_owned(),
                    category: rule.category,
                    weight,
                    place,
                });
            }
        });
    }
    // Trade or Signing must beat Other outright; between them, Trade wins a tie.
    let category = [Category::Trade, Category::Signing]
        .into_iter()
        .filter(|c| scores[c.index()] > scores[Category::Other.index()])
        .fold(Category::Other, |best, c| {
            if best == Category::Other || scores[c.index()] > scores[best.index()] {
                c
            } else {
                best
            }
        });
    evidence.sort_by(|a, b| b.weight.abs().total_cmp(&a.weight.abs()));
    Classification {
        category,
        confidence: confidence(&scores, category),
        evidence,
    }
}

/// The winner's softmax share of the three scores: 1/3 when they tie, near 1 when the winner
/// leads the runner-up by several points.
pub fn confidence(scores: &[f32; 3], winner: Category) -> f32 {
    let top = scores.iter().copied().fold(f32::MIN, f32::max);
    let total: f32 = scores.iter().map(|s| (s - top).exp()).sum();
    (scores[winner.index()] - top).exp() / total
}
