//! Feed parsing: RSS 0.9x, RSS 1.0 (RDF), RSS 2.0, Atom 0.3, Atom 1.0 and JSON Feed from raw
//! bytes.
//!
//! The XML parser streams over quick-xml events (no DOM), decodes the bytes itself (BOM, HTTP
//! charset, XML declaration), never expands DTD entities and never fetches anything.

mod dates;
mod decode;
mod id;
mod json;
mod parser;
mod text;

pub use dates::parse_date;
pub use decode::decode;
pub use id::{canonical_link, item_id, sha256_hex};
pub use text::{collapse_and_cap, decode_entities, html_to_text};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The syndication format a feed was published in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedFormat {
    /// RSS 2.0 (also 0.92 to 0.94, which it extends).
    Rss2,
    /// RSS 0.90 (RDF) and 0.91.
    Rss09,
    /// RSS 1.0 (RDF).
    Rss1,
    /// Atom 1.0.
    Atom1,
    /// Atom 0.3 (pre-standard).
    Atom03,
    /// JSON Feed 1.0 or 1.1.
    JsonFeed,
}

/// A parsed feed: its metadata and items in document order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Feed {
    /// Channel or feed title as plain text.
    pub title: String,
    /// The site link of the feed: an absolute http(s) URL, where there is one.
    pub link: Option<String>,
    /// The format detected from the root element, version and namespace.
    pub format: FeedFormat,
    /// Items (RSS) or entries (Atom).
    #[serde(default)]
    pub items: Vec<FeedItem>,
    /// Set when the document was damaged and only the items before the damage were kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// One item or entry of a feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedItem {
    /// Stable hex SHA-256 id (see [`item_id`]).
    pub id: String,
    /// The guid or atom:id as published.
    pub guid: Option<String>,
    /// Title as plain text (may be empty).
    pub title: String,
    /// Link to the article: an absolute http(s) URL of at most 2,048 bytes, where there is one
    /// (other schemes, such as `javascript:`, and longer links are dropped; the item is kept).
    pub link: Option<String>,
    /// Plain-text summary, capped in length.
    pub summary: String,
    /// Publication time in UTC; `None` when absent or unreadable.
    pub published: Option<DateTime<Utc>>,
    /// Author names.
    pub authors: Vec<String>,
    /// Category labels and tags.
    pub categories: Vec<String>,
}

impl FeedItem {
    /// An item from its parts, its id derived from them (see [`item_id`]).
    fn from_parts(
        guid: Option<String>,
        title: String,
        link: Option<String>,
        summary: String,
        published: Option<DateTime<Utc>>,
        authors: Vec<String>,
        categories: Vec<String>,
    ) -> Self {
        let published_text =
            published.map(|p| p.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        let id = item_id(
            guid.as_deref(),
            link.as_deref(),
            &title,
            published_text.as_deref(),
        );
        Self {
            id,
            guid,
            title,
            link,
            summary,
            published,
            authors,
            categories,
        }
    }
}

/// Limits and hints for [`parse_feed`].
#[derive(Debug, Clone)]
pub struct ParseOptions {
    /// Largest body accepted, in bytes.
    pub max_bytes: usize,
    /// Charset from the HTTP `Content-Type`, if any; outranks the XML declaration.
    pub charset: Option<String>,
    /// Items kept at most; later items are dropped with a warning.
    pub max_items: usize,
    /// Longest summary kept, in characters.
    pub max_summary_chars: usize,
    /// Deepest element nesting accepted.
    pub max_depth: usize,
    /// The http(s) URL the feed was read from: relative links that neither an `xml:base` nor
    /// the feed's own link resolve are resolved against it (RFC 3986's retrieval URI), and so
    /// is a relative feed link.
    pub base_url: Option<url::Url>,
}

impl ParseOptions {
    /// Takes `source` as [`ParseOptions::base_url`] when it is an http(s) URL.
    pub fn read_from(mut self, source: &str) -> Self {
        self.base_url = url::Url::parse(source)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"));
        self
    }
}

impl Default for ParseOptions {
    fn default() -> Self {
        Self {
            max_bytes: 5 * 1024 * 1024,
            charset: None,
            max_items: 2_000,
            max_summary_chars: 1_000,
            max_depth: 128,
            base_url: None,
        }
    }
}

/// Why a body could not be read as a feed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeedError {
    /// The body is empty or only whitespace.
    #[error("the body is empty")]
    Empty,
    /// The body is larger than the caller's limit.
    #[error("the body is {size} bytes, over the {limit}-byte limit")]
    TooLarge {
        /// Size of the body.
        size: usize,
        /// The limit in force.
        limit: usize,
    },
    /// Well-formed enough, but the root element is not a feed (an HTML page, say).
    #[error("not a feed: the document's root element is <{0}>")]
    NotAFeed(String),
    /// JSON, but not a JSON Feed (no `version` naming jsonfeed.org).
    #[error("not a feed: JSON without a JSON Feed version")]
    NotAJsonFeed,
    /// The XML (or JSON) is broken before any item could be recovered.
    #[error("malformed XML at byte {position}: {message}")]
    Malformed {
        /// Byte offset in the decoded text where the damage was found.
        position: u64,
        /// What was wrong.
        message: String,
    },
}

/// Parses raw feed bytes with the given options.
///
/// A body whose text begins with `{` is read as JSON Feed, anything else as XML. Damage after
/// at least one complete item yields `Ok` with those items and [`Feed::warning`] set; damage
/// before that is a [`FeedError`].
pub fn parse_feed(bytes: &[u8], options: &ParseOptions) -> Result<Feed, FeedError> {
    if bytes.len() > options.max_bytes {
        return Err(FeedError::TooLarge {
            size: bytes.len(),
            limit: options.max_bytes,
        });
    }
    let text = decode(bytes, options.charset.as_deref(), options.base_url.as_ref());
    if text.trim().is_empty() {
        return Err(FeedError::Empty);
    }
    if text.trim_start().starts_with('{') {
        return json::parse_json_feed(&text, options);
    }
    parser::parse_text(&text, options)
}
