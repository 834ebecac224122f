//! Persistence: one [`Store`] contract with a DynamoDB backend ([`dynamo`]) and an embedded
//! SQLite backend ([`sqlite`]) that behave the same (ordering, cursors, uniqueness,
//! conditional inserts). The table layouts are declared once, in [`schema`].

pub mod cursor;
pub mod dynamo;
pub mod schema;
pub mod sqlite;

use crate::classify::Category;
use crate::model::{
    DeviceId, FeedState, NewUser, NewsItem, Page, Reading, ReadingSummary, Timestamp, User,
    UserPatch,
};
use async_trait::async_trait;
use std::collections::BTreeMap;

/// Longest window `GET /news/stats` counts, in days.
pub const MAX_STATS_DAYS: i64 = 366;

/// The UTC days a stats request counts, first and last inclusive; `None` counts all time.
pub type StatsDays = Option<(chrono::NaiveDate, chrono::NaiveDate)>;

/// The UTC day an item is counted on: the day of its sort time.
pub(crate) fn stats_day(item: &NewsItem) -> chrono::NaiveDate {
    item.sort_time().date_naive()
}

/// New items per UTC day and category, the increments of the stats counters.
pub(crate) fn daily_counts<'a>(
    items: impl IntoIterator<Item = &'a NewsItem>,
) -> BTreeMap<chrono::NaiveDate, BTreeMap<Category, u64>> {
    let mut days: BTreeMap<_, BTreeMap<Category, u64>> = BTreeMap::new();
    for item in items {
        *days
            .entry(stats_day(item))
            .or_default()
            .entry(item.category)
            .or_default() += 1;
    }
    days
}

/// Smallest and largest page size.
pub const PAGE_LIMITS: std::ops::RangeInclusive<usize> = 1..=100;

/// Why a storage operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The cursor is corrupt, forged, or belongs to another query.
    #[error("the cursor is not valid for this query")]
    InvalidCursor,
    /// The item does not exist.
    #[error("not found")]
    NotFound,
    /// An item with this key exists already (a user's profile).
    #[error("it exists already")]
    Exists,
    /// Another user already has this email.
    #[error("the email is already in use")]
    DuplicateEmail,
    /// The item changed since the version the caller named.
    #[error("version conflict: the current version is {current}")]
    VersionConflict {
        /// The version now stored.
        current: u64,
    },
    /// The backend failed; the message is for logs, not for API callers.
    #[error("storage backend error: {0}")]
    Backend(String),
}

/// Filters and paging of a news listing (newest first).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewsQuery {
    /// Only this category.
    pub category: Option<Category>,
    /// Only this source.
    pub source: Option<String>,
    /// Only items at or after this time.
    pub since: Option<Timestamp>,
    /// Only items at or before this time.
    pub until: Option<Timestamp>,
    /// Page size, within [`PAGE_LIMITS`].
    pub limit: usize,
    /// Where to continue, from a previous page.
    pub cursor: Option<String>,
}

/// A window of readings of one device (oldest first).
#[derive(Debug, Clone, PartialEq)]
pub struct ReadingQuery {
    /// The device.
    pub device: DeviceId,
    /// Epoch milliseconds, inclusive.
    pub from: i64,
    /// Epoch milliseconds, inclusive.
    pub to: i64,
    /// Page size, within [`PAGE_LIMITS`].
    pub limit: usize,
    /// Where to continue, from a previous page.
    pub cursor: Option<String>,
}

impl NewsQuery {
    /// The cursor scope of this listing: a cursor of one filter combination is refused by another.
    pub(crate) fn scope(&self) -> String {
        format!(
            "news|{}|{}",
            self.category.map_or("", Category::as_str),
            self.source.as_deref().unwrap_or("")
        )
    }
}

impl ReadingQuery {
    /// The cursor scope of this device's readings.
    pub(crate) fn scope(&self) -> String {
        format!("metrics|{}", self.device.as_str())
    }
}

/// The cursor scope of the user listing.
pub(crate) const USERS_SCOPE: &str = "users";

/// Outcome of inserting news items.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InsertOutcome {
    /// Ids stored by this call.
    pub inserted: Vec<String>,
    /// How many were already stored and left untouched.
    pub existing: usize,
}

/// The storage contract every backend fulfils.
#[async_trait]
pub trait Store: Send + Sync {
    /// Stores the items not stored yet; existing ids are left untouched (idempotent).
    async fn insert_news(&self, items: &[NewsItem]) -> Result<InsertOutcome, StoreError>;
    /// One item by id.
    async fn get_news(&self, id: &str) -> Result<Option<NewsItem>, StoreError>;
    /// A page of items, newest first.
    async fn list_news(&self, query: &NewsQuery) -> Result<Page<NewsItem>, StoreError>;
    /// Items stored per category on the UTC days `days` (every category present, zero or not),
    /// or all time. Read from counters kept as items are inserted, so the cost grows with the
    /// window (at most [`MAX_STATS_DAYS`]), never with the table; TTL expiry does not lower them.
    async fn news_stats(&self, days: StatsDays) -> Result<BTreeMap<Category, u64>, StoreError>;

    /// A feed's fetch state.
    async fn get_feed_state(&self, feed: &str) -> Result<Option<FeedState>, StoreError>;
    /// Replaces a feed's fetch state.
    async fn put_feed_state(&self, state: &FeedState) -> Result<(), StoreError>;

    /// Creates the user `user_id`; [`StoreError::Exists`] if that user exists,
    /// [`StoreError::DuplicateEmail`] if the email is taken.
    async fn create_user(
        &self,
        user_id: &str,
        new: NewUser,
        now: Timestamp,
    ) -> Result<User, StoreError>;
    /// One user by id.
    async fn get_user(&self, user_id: &str) -> Result<Option<User>, StoreError>;
    /// A page of users, oldest first.
    async fn list_users(
        &self,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page<User>, StoreError>;
    /// Applies `patch` if the stored version is `version`.
    async fn update_user(
        &self,
        user_id: &str,
        version: u64,
        patch: UserPatch,
        now: Timestamp,
    ) -> Result<User, StoreError>;
    /// Deletes a user and frees their email.
    async fn delete_user(&self, user_id: &str) -> Result<(), StoreError>;

    /// Stores readings (a reading at an existing timestamp replaces it), with an optional TTL.
    async fn put_readings(
        &self,
        device: &DeviceId,
        readings: &[Reading],
        expires_at: Option<i64>,
    ) -> Result<(), StoreError>;
    /// A page of readings, oldest first.
    async fn list_readings(&self, query: &ReadingQuery) -> Result<Page<Reading>, StoreError>;

    /// Summary statistics of a device's readings in a window.
    async fn summarize_readings(
        &self,
        device: &DeviceId,
        from: i64,
        to: i64,
    ) -> Result<ReadingSummary, StoreError> {
        let mut summary = ReadingSummary::default();
        let mut cursor = None;
        loop {
            let query = ReadingQuery {
                device: device.clone(),
                from,
                to,
                limit: *PAGE_LIMITS.end(),
                cursor,
            };
            let page = self.list_readings(&query).await?;
            page.items.iter().for_each(|r| summary.add(r));
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return Ok(summary),
            }
        }
    }
}

/// Upper bound of a sort-key range ending at `until` (sort keys are `<time>#<id>`).
pub(crate) fn sort_key_upper(until: Option<&Timestamp>) -> String {
    match until {
        Some(t) => format!("{}#~", crate::model::format_timestamp(t)),
        None => "~".to_owned(),
    }
}

/// Lower bound of a sort-key range starting at `since` ("0" sorts before every time, and
/// DynamoDB refuses empty strings in key conditions).
pub(crate) fn sort_key_lower(since: Option<&Timestamp>) -> String {
    since.map_or_else(|| "0".to_owned(), crate::model::format_timestamp)
}

/// Splits a fetched `limit + 1` rows into a page: the cursor is made from the last row kept.
pub(crate) fn into_page<T>(
    mut rows: Vec<T>,
    limit: usize,
    cursor_of: impl Fn(&T) -> String,
) -> Page<T> {
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next_cursor = if more {
        rows.last().map(cursor_of)
    } else {
        None
    };
    Page {
        items: rows,
        next_cursor,
    }
}
