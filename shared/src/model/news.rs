//! Stored news items and per-feed fetch state.

use super::time::{format_timestamp, rfc3339, rfc3339_option, Timestamp};
use crate::classify::{Category, Evidence};
use serde::{Deserialize, Serialize};

/// A classified news item as stored and served.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NewsItem {
    /// Stable id: hex SHA-256 (see [`crate::feed::item_id`]).
    pub id: String,
    /// Headline.
    pub title: String,
    /// Link to the article.
    pub link: Option<String>,
    /// Plain-text summary.
    pub summary: String,
    /// The feed it came from (its configured name or source label).
    pub source: String,
    /// Trade, Signing or Other.
    pub category: Category,
    /// The features that pushed the decision hardest (rule phrases, words).
    pub evidence: Vec<Evidence>,
    /// How sure the classifier was: its probability of the category, above 0.1 (absent on
    /// items stored before it was kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f32>,
    /// The teams the item is about: three-letter codes, sorted (see [`crate::teams`]).
    #[serde(default)]
    pub teams: Vec<String>,
    /// The words that named each team.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub team_evidence: Vec<crate::teams::TeamMention>,
    /// The players the item names: full names as the roster writes them, sorted (see
    /// [`crate::players`]).
    #[serde(default)]
    pub players: Vec<String>,
    /// The words that named each player.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub player_evidence: Vec<crate::players::PlayerMention>,
    /// The story the item belongs to: the id of an item about the same event, shared by all
    /// its reports (see [`crate::stories`]); absent on items stored before stories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub story_id: Option<String>,
    /// Publication time, when the feed gave one.
    #[serde(with = "rfc3339_option", default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub published_at: Option<Timestamp>,
    /// When ingest first stored it.
    #[serde(with = "rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub fetched_at: Timestamp,
    /// DynamoDB TTL: epoch seconds after which the item may be deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
}

impl NewsItem {
    /// The time the item sorts by: published, or fetched when the feed gave no date.
    pub fn sort_time(&self) -> Timestamp {
        self.published_at.unwrap_or(self.fetched_at)
    }

    /// Finds and sets the teams and players its title and summary name (the backfill).
    pub fn find_names(&mut self) {
        let found = crate::mentions::Mentions::find(&self.title, &self.summary);
        let (teams, players) = (found.teams(), found.players());
        self.set_names(teams, players);
    }

    /// Sets the teams and players it names from their mentions (their evidence).
    pub fn set_names(
        &mut self,
        teams: Vec<crate::teams::TeamMention>,
        players: Vec<crate::players::PlayerMention>,
    ) {
        self.teams = crate::teams::codes(&teams);
        self.team_evidence = teams;
        self.players = crate::players::names(&players);
        self.player_evidence = players;
    }

    /// The sort key of the time indexes: `<sort time>#<id>`, unique and ordered by time.
    pub fn sort_key(&self) -> String {
        format!("{}#{}", format_timestamp(&self.sort_time()), self.id)
    }
}

/// What ingest remembers about one feed between runs.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FeedState {
    /// The feed's configured name.
    pub feed: String,
    /// The `source` its items carry (absent on states saved before it was kept). Stored as
    /// `feed_source`: on DynamoDB, `source` keys the `by_source` index of news items.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "feed_source"
    )]
    pub source: Option<String>,
    /// The last `ETag` the server sent.
    #[serde(default)]
    pub etag: Option<String>,
    /// The last `Last-Modified` the server sent.
    #[serde(default)]
    pub last_modified: Option<String>,
    /// Hex SHA-256 of the last body parsed.
    #[serde(default)]
    pub body_hash: Option<String>,
    /// When the feed was last fetched successfully.
    #[serde(with = "rfc3339_option", default)]
    pub last_success_at: Option<Timestamp>,
    /// When a fetch was last attempted (recorded at once when it fails or stores news, at
    /// least hourly otherwise: see [`crate::ingest`]).
    #[serde(with = "rfc3339_option", default)]
    pub last_attempt_at: Option<Timestamp>,
    /// Items stored from this feed (counted since this field was added).
    #[serde(default)]
    pub items_stored: u64,
    /// The sort time of the newest item stored from this feed.
    #[serde(with = "rfc3339_option", default)]
    pub newest_item_at: Option<Timestamp>,
    /// Failures since the last success.
    #[serde(default)]
    pub consecutive_failures: u32,
    /// The last failure's message.
    #[serde(default)]
    pub last_error: Option<String>,
}
