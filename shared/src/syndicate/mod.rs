//! News as documents feed readers subscribe to: Atom 1.0 (RFC 4287) and JSON Feed 1.1. Both
//! carry each item's id, title, link, summary, times, source, category and teams.

mod atom;
mod json_feed;

pub use atom::atom;
pub use json_feed::{json_feed, JsonFeed};

use crate::model::{NewsItem, Timestamp};

/// Who publishes the feeds: the Atom author and generator, and the JSON Feed title prefix.
pub const PUBLISHER: &str = "NBA Trade Tracker";

/// What a feed document is about: its title and a stable id for its filters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedInfo {
    /// "NBA Trade Tracker", then the filters (" · Trade · LAL").
    pub title: String,
    /// A `tag:` URI naming the listing; the same filters always give the same id.
    pub id: String,
}

impl FeedInfo {
    /// The feed of a listing narrowed by `filters` (labels in order, empty ones skipped).
    pub fn new(filters: &[Option<&str>]) -> Self {
        let labels: Vec<&str> = filters.iter().flatten().copied().collect();
        let mut title = PUBLISHER.to_owned();
        for label in &labels {
            title.push_str(" · ");
            title.push_str(label);
        }
        let id = format!("tag:nba-trade-tracker,2026:news/{}", labels.join("/"));
        Self { title, id }
    }
}

/// The time a feed was last updated: its newest item's fetch time (items are newest first by
/// publication, so all are looked at).
pub fn last_modified(items: &[NewsItem]) -> Option<Timestamp> {
    items.iter().map(|i| i.fetched_at).max()
}

/// The `tag:` URI of one item.
fn entry_id(item: &NewsItem) -> String {
    format!("tag:nba-trade-tracker,2026:item/{}", item.id)
}
