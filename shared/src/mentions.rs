//! The teams and players a headline and summary name, found by one scan of each text and
//! read twice: by the classifier's features (where names stand) and by an item's tags (which
//! names they are).

use crate::classify::Place;
use crate::players::PlayerMention;
use crate::teams::TeamMention;
use std::ops::Range;

/// A name found: what it names (a team's code, a player's full name) and where it stands.
pub(crate) type Span = (&'static str, Range<usize>);

/// One text and the names found in it.
#[derive(Debug)]
pub(crate) struct Part<'a> {
    /// The text.
    pub text: &'a str,
    /// Which text it is.
    pub place: Place,
    /// Its team names, in order.
    pub teams: Vec<Span>,
    /// Its player names, in order.
    pub players: Vec<Span>,
}

/// The names in a headline and its summary.
#[derive(Debug)]
pub struct Mentions<'a> {
    parts: [Part<'a>; 2],
}

impl<'a> Mentions<'a> {
    /// Scans `title` and `summary` once each for teams and players.
    pub fn find(title: &'a str, summary: &'a str) -> Self {
        let part = |text: &'a str, place| Part {
            text,
            place,
            teams: crate::teams::scan(text),
            players: crate::players::scan(text),
        };
        Self {
            parts: [part(title, Place::Title), part(summary, Place::Summary)],
        }
    }

    /// The title, then the summary.
    pub(crate) fn parts(&self) -> &[Part<'a>; 2] {
        &self.parts
    }

    /// Each team named, once, with its first words, in order of appearance (title first).
    pub fn teams(&self) -> Vec<TeamMention> {
        first_of_each(&self.parts, |p| &p.teams[..])
            .into_iter()
            .map(|(team, phrase, place)| TeamMention {
                team: team.to_owned(),
                phrase: phrase.to_owned(),
                place,
            })
            .collect()
    }

    /// Each player named, once, with their first words, in order of appearance (title first).
    pub fn players(&self) -> Vec<PlayerMention> {
        first_of_each(&self.parts, |p| &p.players[..])
            .into_iter()
            .map(|(player, phrase, place)| PlayerMention {
                player: player.to_owned(),
                phrase: phrase.to_owned(),
                place,
            })
            .collect()
    }
}

/// The first span of each name `spans` picks, with its words and place.
fn first_of_each<'a>(
    parts: &[Part<'a>; 2],
    spans: impl for<'p> Fn(&'p Part<'a>) -> &'p [Span],
) -> Vec<(&'static str, &'a str, Place)> {
    let mut found: Vec<(&'static str, &'a str, Place)> = Vec::new();
    for part in parts {
        for (name, range) in spans(part) {
            if !found.iter().any(|(seen, _, _)| seen == name) {
                found.push((name, &part.text[range.clone()], part.place));
            }
        }
    }
    found
}
