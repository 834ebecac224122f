//! What the learned model reads in a headline and summary: the rule phrases that match, the
//! rules' three category scores (their hand weights summed, as the rules alone would decide),
//! and words and word pairs with names abstracted, so "Lakers sign Jay Huff" and "Heat sign
//! Kel'el Ware" both give `[team] sign [player]`. Team and player names are those
//! [`Mentions`] found; tokens starting with a digit read `#`.

use super::matcher::Matcher;
use super::tokens::tokenize;
use super::{Category, Place};
use crate::mentions::{Mentions, Part};
use std::collections::{HashMap, HashSet};
use std::ops::Range;

/// How much a summary feature counts next to the same feature in the title.
pub const SUMMARY_VALUE: f32 = 0.5;

/// How much a rule matching the summary adds to the rules' score, next to the title.
pub const RULE_SUMMARY_FACTOR: f32 = 0.6;

/// The score Other starts with in the rules' scores.
pub const OTHER_BASELINE: f32 = 1.0;

/// The names of the rules' score features, in [`Category::ALL`] order.
pub const SCORES: [&str; 3] = ["s:Trade", "s:Signing", "s:Other"];

/// What a team name reads as.
const TEAM: &str = "[team]";
/// What a player name reads as.
const PLAYER: &str = "[player]";
/// What a token starting with a digit reads as.
const NUMBER: &str = "#";

/// Words that stand in for names before tokenising: letters only, so they stay one token.
const TEAM_MARK: &str = "qqteamqq";
const PLAYER_MARK: &str = "qqplayerqq";

/// One feature of an item.
#[derive(Debug, Clone, PartialEq)]
pub struct Feature {
    /// `r:` and a rule's phrase, or `w:` and a word or two.
    pub name: String,
    /// Where it first appeared.
    pub place: Place,
    /// 1 for the title, [`SUMMARY_VALUE`] for the summary, their sum for both (a rules'
    /// score feature: the score).
    pub value: f32,
    /// A rule phrase's hand weight (summary matches at [`RULE_SUMMARY_FACTOR`]) and the
    /// category it adds to in the rules' scores.
    pub rule: Option<(Category, f32)>,
}

impl Feature {
    /// The feature as shown in evidence: the rule's phrase or the words.
    pub fn phrase(&self) -> &str {
        self.name.get(2..).unwrap_or(&self.name)
    }
}

/// The features of a headline and summary (with the names found in them), each once, in
/// order of first appearance, then the rules' three scores.
pub fn features(found: &Mentions<'_>) -> Vec<Feature> {
    let mut out: Vec<Feature> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut scores = [0.0, 0.0, OTHER_BASELINE];
    for part in found.parts() {
        let (text, place) = (part.text, part.place);
        let (value, factor) = match place {
            Place::Title => (1.0, 1.0),
            Place::Summary => (SUMMARY_VALUE, RULE_SUMMARY_FACTOR),
        };
        let mut names = Vec::new();
        Matcher::get().for_each_match(text, |_, rule| {
            names.push((
                format!("r:{}", rule.phrase),
                Some((rule.category, rule.weight * factor)),
            ));
        });
        let words = words(part);
        names.extend(words.iter().map(|w| (format!("w:{w}"), None)));
        names.extend(
            words
                .windows(2)
                .map(|p| (format!("w:{} {}", p[0], p[1]), None)),
        );
        // A phrase counts once per place, however often it is repeated.
        let mut seen = HashSet::new();
        for (name, rule) in names {
            let i = match index.get(&name) {
                Some(&i) => i,
                None => {
                    index.insert(name.clone(), out.len());
                    out.push(Feature {
                        name,
                        place,
                        value: 0.0,
                        rule: None,
                    });
                    out.len() - 1
                }
            };
            if !seen.insert(i) {
                continue;
            }
            if let Some((category, weight)) = rule {
                scores[category.index()] += weight;
            }
            let f = &mut out[i];
            f.value += value;
            f.rule = match (f.rule, rule) {
                (Some((c, a)), Some((_, b))) => Some((c, a + b)),
                (known, None) => known,
                (None, new) => new,
            };
        }
    }
    out.extend(SCORES.iter().zip(scores).map(|(name, value)| Feature {
        name: (*name).to_owned(),
        place: Place::Title,
        value,
        rule: None,
    }));
    out
}

/// The lowercase words of a text with names and numbers abstracted.
fn words(part: &Part<'_>) -> Vec<String> {
    let text = part.text;
    let mut names: Vec<(Range<usize>, &str)> = part
        .teams
        .iter()
        .map(|(_, r)| (r.clone(), TEAM_MARK))
        .chain(part.players.iter().map(|(_, r)| (r.clone(), PLAYER_MARK)))
        .collect();
    names.sort_by_key(|(r, _)| (r.start, std::cmp::Reverse(r.end)));
    let mut marked = String::with_capacity(text.len());
    let mut at = 0;
    for (range, mark) in names {
        if range.start < at {
            continue;
        }
        marked.push_str(&text[at..range.start]);
        marked.push(' ');
        marked.push_str(mark);
        at = range.end;
    }
    marked.push_str(&text[at..]);
    let (mut buf, mut spans) = (String::new(), Vec::new());
    tokenize(&marked, &mut buf, &mut spans);
    spans
        .iter()
        .map(|&(s, e)| {
            let word = &buf[s..e];
            // A possessive joins its "s" to the mark: "LeBron's" is "qqplayerqqs".
            match word.trim_end_matches('s') {
                TEAM_MARK => TEAM,
                PLAYER_MARK => PLAYER,
                _ if word.starts_with(|c: char| c.is_ascii_digit()) => NUMBER,
                _ => word,
            }
            .to_owned()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(title: &str, summary: &str) -> Vec<(String, f32)> {
        features(&Mentions::find(title, summary))
            .into_iter()
            .map(|f| (f.name, f.value))
            .collect()
    }

    #[test]
    fn names_and_numbers_are_abstracted() {
        let text = "Lakers sign LeBron James' teammate to 2-year deal; Jokić's Nuggets win";
        assert_eq!(
            words(&Mentions::find(text, "").parts()[0]),
            [
                "[team]", "sign", "[player]", "teammate", "to", "#", "year", "deal", "[player]",
                "[team]", "win"
            ]
        );
    }

    #[test]
    fn words_pairs_and_rules_once_per_place() {
        let f = names("Heat sign guard, sign him", "The Heat sign a guard.");
        let value = |n: &str| f.iter().find(|(name, _)| name == n).map(|(_, v)| *v);
        assert_eq!(value("w:sign"), Some(1.5));
        assert_eq!(value("w:[team] sign"), Some(1.5));
        assert_eq!(value("w:sign guard"), Some(1.0));
        assert_eq!(value("r:sign|signs|signed|signing|signings"), Some(1.5));
        assert_eq!(value("w:a"), Some(SUMMARY_VALUE));
        // The rules' Signing score: "sign" in the title (2.0) and in the summary (2.0 × 0.6).
        assert_eq!(value("s:Signing"), Some(2.0 + 2.0 * RULE_SUMMARY_FACTOR));
        assert_eq!(value("s:Other"), Some(OTHER_BASELINE));
    }
}
