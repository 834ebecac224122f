//! The daily maintenance job: per-feed freshness, a data-quality count, and the export of the
//! news first stored the previous day to the archive as JSON Lines. Retention itself is DynamoDB TTL
//! (`expires_at`), never deletes.

use crate::archive::{write_export, Archive, ArchiveError};
use crate::config::FeedConfig;
use crate::model::time::{rfc3339, rfc3339_option};
use crate::model::Timestamp;
use crate::store::{NewsQuery, Store, StoreError};
use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};

/// Why the job failed.
#[derive(Debug, thiserror::Error)]
pub enum MaintenanceError {
    /// Reading the store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Writing the export failed.
    #[error(transparent)]
    Archive(#[from] ArchiveError),
}

/// Freshness of one feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedFreshness {
    /// The feed's name.
    pub feed: String,
    /// Its source label.
    pub source: String,
    /// The newest stored item's time.
    #[serde(with = "rfc3339_option")]
    pub newest_item_at: Option<Timestamp>,
    /// The last successful fetch.
    #[serde(with = "rfc3339_option")]
    pub last_success_at: Option<Timestamp>,
    /// Failures since then.
    pub consecutive_failures: u32,
    /// Whether an item arrived within the freshness window.
    pub fresh: bool,
}

/// The job's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MaintenanceReport {
    /// When it ran.
    #[serde(with = "rfc3339")]
    pub ran_at: Timestamp,
    /// Hours within which a feed must have produced an item to count as fresh.
    pub freshness_hours: i64,
    /// Per-feed freshness.
    pub feeds: Vec<FeedFreshness>,
    /// Feeds that were not fresh.
    pub stale_feeds: usize,
    /// The exported day.
    pub export_date: NaiveDate,
    /// Items exported.
    pub exported_items: usize,
    /// The export's archive key.
    pub export_key: String,
    /// Exported items the classifier was unsure of (confidence below
    /// [`UNCERTAIN_BELOW`], or none stored): the data-quality signal that the news has a kind
    /// of headline the model has not learned.
    pub uncertain_items: usize,
}

/// The confidence below which an exported item counts as uncertain.
pub const UNCERTAIN_BELOW: f32 = 0.5;

/// Runs the job at `now` with a freshness window of `freshness_hours`.
pub async fn run(
    store: &dyn Store,
    archive: &dyn Archive,
    feeds: &[FeedConfig],
    now: Timestamp,
    freshness_hours: i64,
) -> Result<MaintenanceReport, MaintenanceError> {
    let window_start = now - chrono::Duration::hours(freshness_hours);
    let mut report_feeds = Vec::new();
    for feed in feeds {
        let newest = store
            .list_news(&NewsQuery {
                source: Some(feed.source_label().to_owned()),
                limit: 1,
                ..NewsQuery::default()
            })
            .await?
            .items
            .first()
            .map(|i| i.sort_time().max(i.fetched_at));
        let state = store.get_feed_state(&feed.name).await?.unwrap_or_default();
        report_feeds.push(FeedFreshness {
            feed: feed.name.clone(),
            source: feed.source_label().to_owned(),
            newest_item_at: newest,
            last_success_at: state.last_success_at,
            consecutive_failures: state.consecutive_failures,
            fresh: newest.is_some_and(|t| t >= window_start),
        });
    }

    // The export of a day holds the items first stored that day, whatever their publication
    // time, so an item ingested after its publication day is exported exactly once.
    let export_date = (now - chrono::Duration::days(1)).date_naive();
    let day = |time: NaiveTime| export_date.and_time(time).and_utc();
    let items = store
        .news_fetched_between(
            day(NaiveTime::MIN),
            day(NaiveTime::from_hms_opt(23, 59, 59).unwrap_or(NaiveTime::MIN)),
        )
        .await?;
    let export_key = write_export(archive, export_date, &items).await?;
    Ok(MaintenanceReport {
        ran_at: now,
        freshness_hours,
        stale_feeds: report_feeds.iter().filter(|f| !f.fresh).count(),
        feeds: report_feeds,
        export_date,
        exported_items: items.len(),
        export_key,
        uncertain_items: items
            .iter()
            .filter(|i| i.confidence.is_none_or(|c| c < UNCERTAIN_BELOW))
            .count(),
    })
}
