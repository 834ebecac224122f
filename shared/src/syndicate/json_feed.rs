//! JSON Feed 1.1 (jsonfeed.org/version/1.1).

use super::{entry_id, FeedInfo};
use crate::model::{format_timestamp, NewsItem};
use serde::Serialize;

/// A JSON Feed document, ready to serialize.
#[derive(Debug, Serialize)]
pub struct JsonFeed<'a> {
    version: &'static str,
    title: &'a str,
    description: &'static str,
    items: Vec<Entry<'a>>,
}

#[derive(Debug, Serialize)]
struct Entry<'a> {
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    title: &'a str,
    content_text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    date_published: Option<String>,
    date_modified: String,
    authors: [Author<'a>; 1],
    tags: Vec<&'a str>,
    /// The tracker's own fields (JSON Feed extensions start with an underscore).
    _nba_trade_tracker: Extension<'a>,
}

#[derive(Debug, Serialize)]
struct Author<'a> {
    name: &'a str,
}

#[derive(Debug, Serialize)]
struct Extension<'a> {
    category: &'static str,
    teams: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    confidence: Option<f32>,
}

/// The JSON Feed document of `items` (newest first).
pub fn json_feed<'a>(info: &'a FeedInfo, items: &'a [NewsItem]) -> JsonFeed<'a> {
    JsonFeed {
        version: "https://jsonfeed.org/version/1.1",
        title: &info.title,
        description: "NBA transaction news, classified as Trade, Signing or Other.",
        items: items
            .iter()
            .map(|item| Entry {
                id: entry_id(item),
                url: item.link.as_deref(),
                title: &item.title,
                content_text: if item.summary.is_empty() {
                    &item.title
                } else {
                    &item.summary
                },
                date_published: item.published_at.as_ref().map(format_timestamp),
                date_modified: format_timestamp(&item.sort_time()),
                authors: [Author { name: &item.source }],
                tags: std::iter::once(item.category.as_str())
                    .chain(item.teams.iter().map(String::as_str))
                    .collect(),
                _nba_trade_tracker: Extension {
                    category: item.category.as_str(),
                    teams: &item.teams,
                    confidence: item.confidence,
                },
            })
            .collect(),
    }
}
