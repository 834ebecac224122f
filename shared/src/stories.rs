//! Stories: the items about one event (one deal reported by ESPN, RealGM and a follow-up) share
//! a `story_id`. Two items belong to one story when they sort within [`WINDOW`] of each other
//! and either their titles are near duplicates (any category), or both are deals of the same
//! category (Trade or Signing) naming a common player and, when both name teams, a common team.
//! An item joins the story of the oldest item it matches, and starts its own (its id) when it
//! matches none. The rule is measured on labelled pairs of the unseen corpus
//! (`shared/tests/stories.rs`, figures in the README).

use crate::model::NewsItem;
use std::collections::HashSet;

/// How far apart (by sort time) two items of one story may be.
pub const WINDOW: chrono::Duration = chrono::Duration::hours(48);

/// Share of distinct title words two near-duplicate titles have in common (Jaccard), chosen
/// on the corpus's tune split.
const TITLE_SIMILARITY: f64 = 0.5;

/// Fewest distinct words a title needs to be compared as a near duplicate.
const MIN_TITLE_WORDS: usize = 4;

/// Most players an item names to be about one event (more: a roundup).
const MAX_PLAYERS: usize = 3;

/// Words that say nothing about which event a title reports.
const STOPWORDS: &[&str] = &[
    "a", "an", "and", "as", "at", "by", "for", "from", "in", "is", "of", "on", "s", "the", "to",
    "with",
];

/// The story id of an item: its own id until it joins another's story.
pub fn story_of(item: &NewsItem) -> &str {
    item.story_id.as_deref().unwrap_or(&item.id)
}

/// Whether `a` and `b` report the same event (see the module documentation).
pub fn same_story(a: &NewsItem, b: &NewsItem) -> bool {
    (a.sort_time() - b.sort_time()).abs() <= WINDOW
        && ((similar_titles(&a.title, &b.title) && !different_players(a, b)) || same_subject(a, b))
}

/// Both name players, none in common: templated titles ("Warriors sign X to two-way contract").
fn different_players(a: &NewsItem, b: &NewsItem) -> bool {
    !a.players.is_empty() && !b.players.is_empty() && !shares(&a.players, &b.players)
}

fn shares(x: &[String], y: &[String]) -> bool {
    x.iter().any(|v| y.contains(v))
}

/// Both are about a common player, neither naming so many that it is a roundup; and about a
/// common team, or of one category with one of them naming no team.
fn same_subject(a: &NewsItem, b: &NewsItem) -> bool {
    let focused = |i: &NewsItem| i.players.len() <= MAX_PLAYERS;
    focused(a)
        && focused(b)
        && shares(&a.players, &b.players)
        && (shares(&a.teams, &b.teams)
            || (a.category == b.category && (a.teams.is_empty() || b.teams.is_empty())))
}

/// Whether two titles share at least [`TITLE_SIMILARITY`] of their distinct words.
pub fn similar_titles(a: &str, b: &str) -> bool {
    let (a, b) = (title_words(a), title_words(b));
    if a.len() < MIN_TITLE_WORDS || b.len() < MIN_TITLE_WORDS {
        return false;
    }
    let common = a.intersection(&b).count();
    common as f64 >= TITLE_SIMILARITY * a.union(&b).count() as f64
}

fn title_words(title: &str) -> HashSet<String> {
    title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .filter(|w| !STOPWORDS.contains(&w.as_str()))
        .collect()
}

/// Sets the `story_id` of every item of `new`, oldest first: the story of the oldest item it
/// matches among `stored` (items stored before, with or without a story id) and the items of
/// `new` placed before it, or its own id. An item of `stored` with the same id as one of `new`
/// is ignored.
pub fn assign(new: &mut [NewsItem], stored: &[NewsItem]) {
    let mut order: Vec<usize> = (0..new.len()).collect();
    order.sort_by_key(|&i| new[i].sort_key());
    let fresh: HashSet<String> = new.iter().map(|i| i.id.clone()).collect();
    let mut placed: Vec<NewsItem> = Vec::new();
    for i in order {
        let earlier = stored
            .iter()
            .filter(|c| !fresh.contains(&c.id))
            .chain(&placed);
        new[i].story_id = Some(story_for(&new[i], earlier));
        placed.push(new[i].clone());
    }
}

/// The story `item` joins among `earlier` (items that have theirs): that of the oldest one it
/// matches, or its own id.
pub fn story_for<'a>(item: &NewsItem, earlier: impl IntoIterator<Item = &'a NewsItem>) -> String {
    earlier
        .into_iter()
        .filter(|c| c.id != item.id && same_story(item, c))
        .min_by_key(|c| c.sort_key())
        .map_or_else(|| item.id.clone(), |c| story_of(c).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::Category;
    use chrono::TimeZone;

    fn deal(
        id: &str,
        title: &str,
        category: Category,
        teams: &[&str],
        players: &[&str],
    ) -> NewsItem {
        let time = chrono::Utc.with_ymd_and_hms(2026, 2, 5, 12, 0, 0).single();
        NewsItem {
            id: id.to_owned(),
            title: title.to_owned(),
            link: None,
            summary: String::new(),
            source: "espn".to_owned(),
            category,
            evidence: Vec::new(),
            confidence: None,
            teams: teams.iter().map(|t| (*t).to_owned()).collect(),
            team_evidence: Vec::new(),
            players: players.iter().map(|p| (*p).to_owned()).collect(),
            player_evidence: Vec::new(),
            story_id: None,
            published_at: time,
            fetched_at: time.unwrap_or_default(),
            expires_at: None,
        }
    }

    #[test]
    fn near_duplicate_titles_are_one_story() {
        assert!(similar_titles(
            "Cavs sign Okaro White to 10-day contract",
            "Cavaliers sign Okaro White to a 10-day contract"
        ));
        assert!(!similar_titles("Trade news", "Trade news"));
        let white = deal(
            "1",
            "Lakers sign Okaro White to two-way deal",
            Category::Signing,
            &["LAL"],
            &["Okaro White"],
        );
        let beekman = deal(
            "2",
            "Lakers sign Reece Beekman to two-way deal",
            Category::Signing,
            &["LAL"],
            &["Reece Beekman"],
        );
        assert!(similar_titles(&white.title, &beekman.title));
        assert!(
            !same_story(&white, &beekman),
            "templated titles about different players"
        );
    }

    #[test]
    fn one_subject_is_a_common_player_and_team() {
        let a = deal(
            "a",
            "Celtics deal Niang to Jazz",
            Category::Trade,
            &["BOS", "UTA"],
            &["Georges Niang"],
        );
        let b = deal(
            "b",
            "Why Boston moved Niang",
            Category::Trade,
            &["BOS"],
            &["Georges Niang"],
        );
        let other_team = deal(
            "c",
            "Niang heads to Hawks",
            Category::Trade,
            &["ATL"],
            &["Georges Niang"],
        );
        let signing = deal(
            "d",
            "Niang signs a new deal",
            Category::Signing,
            &[],
            &["Georges Niang"],
        );
        let roundup = deal(
            "e",
            "Trade rumors: Niang, Harden, Smart, Grant",
            Category::Trade,
            &["BOS"],
            &[
                "Georges Niang",
                "James Harden",
                "Marcus Smart",
                "Jerami Grant",
            ],
        );
        assert!(same_story(&a, &b));
        assert!(!same_story(&b, &other_team));
        assert!(
            !same_story(&a, &signing),
            "another category and no common team"
        );
        assert!(!same_story(&a, &roundup), "a roundup");
        let mut late = b.clone();
        late.published_at = a
            .published_at
            .map(|t| t + WINDOW + chrono::Duration::seconds(1));
        assert!(!same_story(&a, &late));
    }

    #[test]
    fn an_item_joins_the_oldest_story_it_matches() {
        let mut first = deal(
            "1",
            "Celtics deal Niang to Jazz",
            Category::Trade,
            &["BOS"],
            &["Georges Niang"],
        );
        first.story_id = Some("s".into());
        let mut new = vec![
            deal(
                "3",
                "Grading the Niang trade",
                Category::Trade,
                &["BOS"],
                &["Georges Niang"],
            ),
            deal(
                "2",
                "Unrelated signing",
                Category::Signing,
                &["LAL"],
                &["LeBron James"],
            ),
        ];
        let hour = chrono::Duration::hours(1);
        new[0].published_at = first.published_at.map(|t| t + hour);
        new[1].published_at = first.published_at.map(|t| t + hour);
        assign(&mut new, &[first]);
        assert_eq!(new[0].story_id.as_deref(), Some("s"));
        assert_eq!(new[1].story_id.as_deref(), Some("2"));
    }
}
