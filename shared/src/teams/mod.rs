//! Which NBA teams an item is about, with the words that say so.
//!
//! Names come from the [`table::TEAMS`] table and match whole words, longest first, starting
//! with a capital letter (news always capitalises a team). A name that is also an everyday word
//! or a place (Heat, Magic, Jazz, Kings, Boston, ...) counts only where it cannot be something
//! else: not after "in" (a location), not before a newspaper's or another club's name ("Boston
//! Globe", "Magic Johnson"). "Los Angeles" alone names no team.

mod table;

pub use table::{Team, TEAMS};

use crate::classify::Place;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

/// One team found in an item, with the first words that named it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TeamMention {
    /// The team's three-letter code.
    pub team: String,
    /// The words as written in the item.
    pub phrase: String,
    /// Where they stand.
    #[serde(rename = "in")]
    pub place: Place,
}

/// The team with this code (ASCII case ignored).
pub fn team(code: &str) -> Option<&'static Team> {
    TEAMS
        .iter()
        .find(|t| t.code.eq_ignore_ascii_case(code.trim()))
}

/// The code of one of the 30 franchises, parsed from user input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TeamCode(&'static str);

/// A code that names no franchise.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown team {0:?}: expected a three-letter code such as LAL (GET /teams lists them)")]
pub struct UnknownTeam(pub String);

impl TeamCode {
    /// The code as stored: three capital letters.
    pub fn as_str(self) -> &'static str {
        self.0
    }
}

impl FromStr for TeamCode {
    type Err = UnknownTeam;

    /// Parses a team code, ignoring ASCII case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        team(s)
            .map(|t| TeamCode(t.code))
            .ok_or_else(|| UnknownTeam(s.chars().take(20).collect()))
    }
}

impl fmt::Display for TeamCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// The teams a headline and summary name, one mention each, in order of appearance (title
/// first).
pub fn find_teams(title: &str, summary: &str) -> Vec<TeamMention> {
    crate::mentions::Mentions::find(title, summary).teams()
}

/// The sorted codes of `mentions`.
pub fn codes(mentions: &[TeamMention]) -> Vec<String> {
    let mut codes: Vec<String> = mentions.iter().map(|m| m.team.clone()).collect();
    codes.sort();
    codes
}

/// A name compiled for matching.
struct Name {
    /// Its words, lowercased.
    words: Vec<String>,
    code: &'static str,
    weak: bool,
    /// Matches only as written (the three-letter codes).
    exact: Option<&'static str>,
}

/// Codes that are written as names too ("LAL"); the others are also common words or units.
const CODES_AS_NAMES: &[&str] = &[
    "ATL", "BOS", "BKN", "CLE", "DAL", "GSW", "HOU", "LAC", "LAL", "MEM", "MIL", "NOP", "NYK",
    "OKC", "ORL", "PHI", "PHX", "TOR", "UTA",
];

/// Names by their first word, longest first.
fn index() -> &'static HashMap<String, Vec<Name>> {
    static INDEX: OnceLock<HashMap<String, Vec<Name>>> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut index: HashMap<String, Vec<Name>> = HashMap::new();
        for team in TEAMS {
            let names = team.names.iter().map(|n| (*n, false, None));
            let weak = team.weak_names.iter().map(|n| (*n, true, None));
            let code =
                CODES_AS_NAMES
                    .contains(&team.code)
                    .then_some((team.code, false, Some(team.code)));
            for (name, weak, exact) in names.chain(weak).chain(code) {
                let words: Vec<String> = words(name).map(|(_, w)| w.to_lowercase()).collect();
                index.entry(words[0].clone()).or_default().push(Name {
                    words,
                    code: team.code,
                    weak,
                    exact,
                });
            }
        }
        for names in index.values_mut() {
            names.sort_by_key(|n| std::cmp::Reverse(n.words.len()));
        }
        index
    })
}

/// Words of `text` with their byte offsets: runs of letters and digits ("76ers"); apostrophes
/// and all else separate them ("Boston's" is "Boston" "s").
pub(crate) fn words(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(move |w| (w.as_ptr() as usize - text.as_ptr() as usize, w))
}

/// Every team name in `text`, as (code, the byte range of the words).
pub(crate) fn scan(text: &str) -> Vec<(&'static str, std::ops::Range<usize>)> {
    let index = index();
    let tokens: Vec<(usize, &str)> = words(text).collect();
    let lower: Vec<String> = tokens.iter().map(|(_, w)| w.to_lowercase()).collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let matched = index.get(&lower[i]).and_then(|names| {
            names.iter().find(|n| {
                lower.get(i..i + n.words.len()) == Some(&n.words[..])
                    && tokens[i].1.starts_with(char::is_uppercase)
                    && n.exact.is_none_or(|e| tokens[i].1 == e)
            })
        });
        let Some(name) = matched else {
            i += 1;
            continue;
        };
        let end = i + name.words.len();
        let before = i.checked_sub(1).map(|p| lower[p].as_str());
        let after = tokens.get(end).map(|(_, w)| *w);
        let excluded = name.weak
            && (before == Some("in")
                || after.is_some_and(|a| {
                    table::NOT_TEAM_AFTER
                        .iter()
                        .any(|n| n.eq_ignore_ascii_case(a))
                }));
        if !excluded {
            let (start, _) = tokens[i];
            let (last, word) = tokens[end - 1];
            found.push((name.code, start..last + word.len()));
        }
        i = end;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn teams(title: &str) -> Vec<String> {
        codes(&find_teams(title, ""))
    }

    #[test]
    fn every_team_is_in_the_table_once() {
        assert_eq!(TEAMS.len(), 30);
        for team in TEAMS {
            assert_eq!(TEAMS.iter().filter(|t| t.code == team.code).count(), 1);
        }
    }

    #[test]
    fn names_short_forms_and_former_names() {
        let cases = [
            ("Lakers acquire guard from Clippers", vec!["LAC", "LAL"]),
            (
                "Sixers, Cavs, Mavs and T-Wolves talk",
                vec!["CLE", "DAL", "MIN", "PHI"],
            ),
            ("Blazers, Pels and Knicks", vec!["NOP", "NYK", "POR"]),
            ("New Orleans Hornets sign forward", vec!["NOP"]),
            ("Hornets sign forward", vec!["CHA"]),
            ("SuperSonics trade for guard", vec!["OKC"]),
            ("New Jersey Nets waive center", vec!["BKN"]),
            ("Golden State Warriors extend Curry", vec!["GSW"]),
            ("LAL and BOS lead the East", vec!["BOS", "LAL"]),
        ];
        for (title, want) in cases {
            assert_eq!(teams(title), want, "{title}");
        }
    }

    #[test]
    fn everyday_words_count_only_in_a_team_sense() {
        let cases = [
            ("Heat acquire Jimmy Butler from Wolves", vec!["MIA", "MIN"]),
            ("Magic Johnson praises the Jazz", vec!["UTA"]),
            ("In the heat of the moment, the magic was gone", vec![]),
            ("Game in Boston postponed", vec![]),
            ("Boston trades Marcus Smart to Memphis", vec!["BOS", "MEM"]),
            ("Sources: Thunder, Kings talk trade", vec!["OKC", "SAC"]),
            ("Per the Boston Globe, Celtics hold talks", vec!["BOS"]),
            ("Los Angeles is the winner of free agency", vec![]),
            ("LeBron James returns to Los Angeles", vec![]),
        ];
        for (title, want) in cases {
            assert_eq!(teams(title), want, "{title}");
        }
    }

    #[test]
    fn mentions_keep_the_words_and_the_place() {
        let found = find_teams(
            "Celtics' big move",
            "Boston sent a pick to the Oklahoma City Thunder.",
        );
        let got: Vec<(&str, &str, Place)> = found
            .iter()
            .map(|m| (m.team.as_str(), m.phrase.as_str(), m.place))
            .collect();
        assert_eq!(
            got,
            [
                ("BOS", "Celtics", Place::Title),
                ("OKC", "Oklahoma City", Place::Summary),
            ]
        );
        assert_eq!(team("lal").map(|t| t.name), Some("Los Angeles Lakers"));
    }

    #[test]
    fn codes_parse_in_any_case_and_nothing_else_does() {
        assert_eq!("lal".parse::<TeamCode>().map(TeamCode::as_str), Ok("LAL"));
        assert_eq!(" Phx ".parse::<TeamCode>().map(TeamCode::as_str), Ok("PHX"));
        for bad in ["", "LA", "Lakers", "XYZ", "LAL,BOS"] {
            assert!(bad.parse::<TeamCode>().is_err(), "{bad}");
        }
    }
}
