//! The feed list: which feeds ingest reads, from `FEEDS_JSON`, a file, or the defaults.

use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// One configured feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedConfig {
    /// Unique name; keys the feed's state.
    pub name: String,
    /// `http(s)://` URL, `file://` URL or plain path.
    pub url: String,
    /// The source label stored on items (defaults to the name).
    #[serde(default)]
    pub source: Option<String>,
}

impl FeedConfig {
    /// The label stored on this feed's items.
    pub fn source_label(&self) -> &str {
        self.source.as_deref().unwrap_or(&self.name)
    }
}

/// The feeds used when none are configured: ESPN NBA news and the RealGM wiretap.
pub fn default_feeds() -> Vec<FeedConfig> {
    vec![
        FeedConfig {
            name: "espn-nba".into(),
            url: "https://www.espn.com/espn/rss/nba/news".into(),
            source: Some("ESPN".into()),
        },
        FeedConfig {
            name: "realgm-wiretap".into(),
            url: "https://basketball.realgm.com/rss/wiretap/0/0.xml".into(),
            source: Some("RealGM".into()),
        },
    ]
}

/// A feed list that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("feed configuration: {0}")]
pub struct ConfigError(pub String);

/// Parses a JSON feed list (`[{"name":..,"url":..,"source":..}]`) and checks it: at least one
/// feed, unique non-empty names, non-empty URLs.
pub fn feeds_from_json(text: &str) -> Result<Vec<FeedConfig>, ConfigError> {
    let feeds: Vec<FeedConfig> =
        serde_json::from_str(text).map_err(|e| ConfigError(e.to_string()))?;
    check_feeds(&feeds)?;
    Ok(feeds)
}

/// Checks a feed list: at least one feed, unique non-empty names, non-empty URLs.
pub fn check_feeds(feeds: &[FeedConfig]) -> Result<(), ConfigError> {
    if feeds.is_empty() {
        return Err(ConfigError("no feeds".into()));
    }
    let mut names = HashSet::new();
    for feed in feeds {
        if feed.name.trim().is_empty() || feed.url.trim().is_empty() {
            return Err(ConfigError(format!(
                "feed {:?} needs a name and a url",
                feed.name
            )));
        }
        if !names.insert(feed.name.as_str()) {
            return Err(ConfigError(format!(
                "feed name {:?} is used twice",
                feed.name
            )));
        }
    }
    Ok(())
}
