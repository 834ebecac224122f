//! `GET /sources`: each feed's health, from the state ingest keeps per feed.

use super::error::ApiError;
use super::AppState;
use crate::model::{format_timestamp, FeedState, Timestamp};
use axum::extract::State;
use axum::Json;

/// Most feeds listed.
pub const MAX_SOURCES: usize = 100;

/// A feed without a success for this long is stale: ingest records a success at least hourly
/// (see [`crate::ingest`]), so two hours means runs stopped or keep being deferred.
pub const STALE_AFTER: chrono::Duration = chrono::Duration::hours(2);

/// Longest `last_error` shown, in characters.
const MAX_ERROR_CHARS: usize = 300;

/// How a feed is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SourceStatus {
    /// Its last attempt succeeded, within [`STALE_AFTER`].
    Ok,
    /// Its last attempt failed.
    Failing,
    /// No success within [`STALE_AFTER`].
    Stale,
}

/// One feed's health.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct SourceHealth {
    /// The feed's configured name.
    pub feed: String,
    /// The `source` its items carry (the value of `GET /news?source=`), once known.
    pub source: Option<String>,
    /// Ok, failing or stale.
    pub status: SourceStatus,
    /// The last attempt recorded: at once when it failed or stored news, at least hourly
    /// otherwise.
    pub last_attempt_at: Option<String>,
    /// The last successful fetch (recorded at least hourly).
    pub last_success_at: Option<String>,
    /// Failed attempts since the last success.
    pub consecutive_failures: u32,
    /// The last failure's message (cleared by a success).
    pub last_error: Option<String>,
    /// Items stored from this feed, counted since the count was added.
    pub items_stored: u64,
    /// When the newest item stored from it was published (or stored).
    pub newest_item_at: Option<String>,
}

/// The health of a feed whose state is `state`, at `now`.
pub fn health(state: FeedState, now: Timestamp) -> SourceHealth {
    let status = if state.consecutive_failures > 0 {
        SourceStatus::Failing
    } else if state
        .last_success_at
        .is_none_or(|success| now - success > STALE_AFTER)
    {
        SourceStatus::Stale
    } else {
        SourceStatus::Ok
    };
    let time = |t: Option<Timestamp>| t.as_ref().map(format_timestamp);
    SourceHealth {
        feed: state.feed,
        source: state.source,
        status,
        last_attempt_at: time(state.last_attempt_at),
        last_success_at: time(state.last_success_at),
        consecutive_failures: state.consecutive_failures,
        last_error: state
            .last_error
            .map(|e| redact_urls(&e).chars().take(MAX_ERROR_CHARS).collect()),
        items_stored: state.items_stored,
        newest_item_at: time(state.newest_item_at),
    }
}

/// `text` with every http(s) URL cut to its origin: a feed URL may carry a key in its path or
/// query, and this list is public.
fn redact_urls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = ["http://", "https://"]
        .iter()
        .filter_map(|scheme| rest.find(scheme))
        .min()
    {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        let end = tail
            .find(|c: char| c.is_whitespace() || matches!(c, ')' | ']' | '"' | '\'' | ',' | '>'))
            .unwrap_or(tail.len());
        match url::Url::parse(&tail[..end]) {
            Ok(url) => {
                out.push_str(&url.origin().ascii_serialization());
                if url.path() != "/" || url.query().is_some() {
                    out.push_str("/…");
                }
            }
            Err(_) => out.push_str("[URL]"),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// `GET /sources`: every feed ingest has run (at most [`MAX_SOURCES`]), by name.
#[utoipa::path(get, path = "/sources", operation_id = "listSources", tag = "news", security(()),
    responses((status = 200, description = "Each feed's health, by feed name", body = Vec<SourceHealth>)))]
pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<SourceHealth>>, ApiError> {
    let now = chrono::Utc::now();
    let states = state.store.list_feed_states(MAX_SOURCES).await?;
    Ok(Json(states.into_iter().map(|s| health(s, now)).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_follows_failures_and_the_last_success() {
        let now = chrono::Utc::now();
        let state = |failures: u32, success: Option<Timestamp>| FeedState {
            feed: "espn".into(),
            consecutive_failures: failures,
            last_success_at: success,
            last_error: (failures > 0).then(|| "x".repeat(1_000)),
            ..FeedState::default()
        };
        let recent = Some(now - chrono::Duration::minutes(50));
        let old = Some(now - STALE_AFTER - chrono::Duration::seconds(1));
        assert_eq!(health(state(0, recent), now).status, SourceStatus::Ok);
        assert_eq!(health(state(0, old), now).status, SourceStatus::Stale);
        assert_eq!(health(state(0, None), now).status, SourceStatus::Stale);
        let failing = health(state(3, recent), now);
        assert_eq!(failing.status, SourceStatus::Failing);
        assert_eq!(
            failing.last_error.map(|e| e.chars().count()),
            Some(MAX_ERROR_CHARS)
        );
    }

    #[test]
    fn urls_in_errors_keep_only_their_origin() {
        assert_eq!(
            redact_urls("fetching: error sending request for url (https://feeds.example.com/rss?key=SECRET): timed out"),
            "fetching: error sending request for url (https://feeds.example.com/…): timed out"
        );
        assert_eq!(
            redact_urls("http://10.0.0.1:8080/ and http://example.com/"),
            "http://10.0.0.1:8080 and http://example.com"
        );
        assert_eq!(redact_urls("HTTP 503"), "HTTP 503");
    }
}
