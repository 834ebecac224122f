//! Persistence: narrow contracts along the tables ([`NewsStore`], [`FeedStateStore`],
//! [`UserStore`], [`ReadingStore`], [`AlertStore`]; [`Store`] is their sum) with a DynamoDB backend (`dynamo`,
//! feature `dynamodb`) and an embedded SQLite backend (`sqlite`, feature `sqlite`) that behave
//! the same (ordering, cursors, uniqueness, conditional inserts). The table layouts are
//! declared once, in [`schema`].

#[cfg(any(feature = "dynamodb", feature = "sqlite"))]
pub mod backend;
pub mod cursor;
#[cfg(feature = "dynamodb")]
pub mod dynamo;
pub mod schema;
#[cfg(feature = "sqlite")]
pub mod sqlite;

use crate::alerts::{DeliveryAttempt, Subscription};
use crate::classify::Category;
use crate::model::{
    DeviceId, FeedState, NewUser, NewsItem, Page, Reading, ReadingSummary, Timestamp, User,
    UserPatch,
};
use async_trait::async_trait;
use std::collections::{BTreeMap, HashSet};

/// Longest window `GET /news/stats` counts, in days.
pub const MAX_STATS_DAYS: i64 = 366;

/// The UTC days a stats request counts, first and last inclusive; `None` counts all time.
pub type StatsDays = Option<(chrono::NaiveDate, chrono::NaiveDate)>;

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
    /// The owner holds as many as the limit allows.
    #[error("the limit of {0} is reached")]
    LimitReached(usize),
    /// Another user already has this email.
    #[error("the email is already in use")]
    DuplicateEmail,
    /// The item changed since the version the caller named.
    #[error("version conflict: the current version is {current}")]
    VersionConflict {
        /// The version now stored.
        current: u64,
    },
    /// The query combines filters no index answers.
    #[error("unsupported query: {0}")]
    Unsupported(&'static str),
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
    /// Only items about this team; combines with `category`, not with `source` (a store
    /// answers that combination with [`StoreError::Unsupported`]).
    pub team: Option<crate::teams::TeamCode>,
    /// Only items at or after this time.
    pub since: Option<Timestamp>,
    /// Only items at or before this time.
    pub until: Option<Timestamp>,
    /// Page size, within [`PAGE_LIMITS`].
    pub limit: usize,
    /// Where to continue, from a previous page.
    pub cursor: Option<String>,
}

impl NewsQuery {
    /// Whether `item` passes the query's filters (not its paging), as the stores apply them
    /// (times to the second).
    pub fn matches(&self, item: &NewsItem) -> bool {
        use chrono::SubsecRound;
        let time = item.sort_time().trunc_subsecs(0);
        self.category.is_none_or(|c| c == item.category)
            && self.source.as_ref().is_none_or(|s| *s == item.source)
            && self
                .team
                .is_none_or(|t| item.teams.iter().any(|code| code == t.as_str()))
            && self.since.is_none_or(|since| time >= since)
            && self.until.is_none_or(|until| time <= until)
    }
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

/// Outcome of inserting news items.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InsertOutcome {
    /// Ids stored by this call.
    pub inserted: Vec<String>,
    /// How many were already stored and left untouched.
    pub existing: usize,
    /// Ids not stored because the backend cannot hold an item that large (DynamoDB: 400 KB).
    pub oversized: Vec<String>,
}

/// News items: idempotent inserts, lookups, listings and the stats counters (news table).
#[async_trait]
pub trait NewsStore: Send + Sync {
    /// Stores the items not stored yet; existing ids are left untouched (idempotent).
    async fn insert_news(&self, items: &[NewsItem]) -> Result<InsertOutcome, StoreError>;
    /// Every item first stored within `[since, until]` (ingest time), oldest first.
    async fn news_fetched_between(
        &self,
        since: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<NewsItem>, StoreError>;
    /// One item by id.
    async fn get_news(&self, id: &str) -> Result<Option<NewsItem>, StoreError>;
    /// Which of `ids` are stored.
    async fn stored_news_ids(&self, ids: &[String]) -> Result<HashSet<String>, StoreError>;
    /// The newest `limit` reports (newest first) of each story of `story_ids`, by story id; a
    /// story with no stored report is absent. One key query per story, a few at a time.
    async fn story_reports(
        &self,
        story_ids: &[String],
        limit: usize,
    ) -> Result<BTreeMap<String, Vec<NewsItem>>, StoreError>;
    /// A page of items, newest first.
    async fn list_news(&self, query: &NewsQuery) -> Result<Page<NewsItem>, StoreError>;
    /// Stores the teams and players (with their evidence) and the story id (when set) of items
    /// already stored (nothing else of them changes) and indexes them by team and story; an id
    /// not stored is skipped. For the backfill.
    async fn retag_news(&self, items: &[NewsItem]) -> Result<(), StoreError>;
    /// The newest `max` items (or a few more) sorting within `since..=until`, newest first:
    /// listing pages of [`NewsStore::list_news`].
    async fn news_between(
        &self,
        since: Timestamp,
        until: Timestamp,
        max: usize,
    ) -> Result<Vec<NewsItem>, StoreError> {
        let mut query = NewsQuery {
            since: Some(since),
            until: Some(until),
            limit: *PAGE_LIMITS.end(),
            ..NewsQuery::default()
        };
        let mut items = Vec::new();
        loop {
            let page = self.list_news(&query).await?;
            items.extend(page.items);
            match page.next_cursor {
                Some(next) if items.len() < max => query.cursor = Some(next),
                _ => return Ok(items),
            }
        }
    }
    /// Items stored per category on the UTC days `days` (every category present, zero or not),
    /// or all time. Read from counters kept as items are inserted, so the cost grows with the
    /// window (at most [`MAX_STATS_DAYS`]), never with the table; TTL expiry does not lower them.
    async fn news_stats(&self, days: StatsDays) -> Result<BTreeMap<Category, u64>, StoreError>;
}

/// What ingest remembers per feed between runs (news table).
#[async_trait]
pub trait FeedStateStore: Send + Sync {
    /// A feed's fetch state.
    async fn get_feed_state(&self, feed: &str) -> Result<Option<FeedState>, StoreError>;
    /// Replaces a feed's fetch state.
    async fn put_feed_state(&self, state: &FeedState) -> Result<(), StoreError>;
    /// The first `limit` feeds' states, by feed name (one key query).
    async fn list_feed_states(&self, limit: usize) -> Result<Vec<FeedState>, StoreError>;
}

/// User profiles with unique emails and optimistic versions (users table).
#[async_trait]
pub trait UserStore: Send + Sync {
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
}

/// IoT device readings (metrics table).
#[async_trait]
pub trait ReadingStore: Send + Sync {
    /// Stores readings (a reading at an existing timestamp replaces it), with an optional TTL.
    async fn put_readings(
        &self,
        device: &DeviceId,
        readings: &[Reading],
        expires_at: Option<i64>,
    ) -> Result<(), StoreError>;
    /// A page of readings, oldest first.
    async fn list_readings(&self, query: &ReadingQuery) -> Result<Page<Reading>, StoreError>;

    /// Summary statistics of a device's readings in a window of at most `max` readings (more
    /// is [`StoreError::Unsupported`], found within a page past `max`).
    async fn summarize_readings(
        &self,
        device: &DeviceId,
        from: i64,
        to: i64,
        max: u64,
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
            if summary.count > max {
                return Err(StoreError::Unsupported(
                    "the window holds too many readings to summarize: narrow from and to",
                ));
            }
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return Ok(summary),
            }
        }
    }
}

/// Alert subscriptions, their delivery records and attempts (alerts table).
#[async_trait]
pub trait AlertStore: Send + Sync {
    /// Stores a new subscription unless its owner holds `limit` already
    /// ([`StoreError::LimitReached`], decided with the write: racing creates never exceed it);
    /// [`StoreError::Exists`] if its id is taken.
    async fn create_subscription(&self, sub: &Subscription, limit: usize)
        -> Result<(), StoreError>;
    /// One subscription of `owner`.
    async fn get_subscription(
        &self,
        owner: &str,
        id: &str,
    ) -> Result<Option<Subscription>, StoreError>;
    /// Every subscription of `owner` (at most [`crate::alerts::MAX_SUBSCRIPTIONS`] exist),
    /// oldest first.
    async fn list_subscriptions(&self, owner: &str) -> Result<Vec<Subscription>, StoreError>;
    /// Replaces a subscription if its stored version is `version`
    /// ([`StoreError::VersionConflict`] otherwise, [`StoreError::NotFound`] if it is gone).
    async fn update_subscription(&self, sub: &Subscription, version: u64)
        -> Result<(), StoreError>;
    /// Deletes a subscription of `owner` ([`StoreError::NotFound`] if there is none).
    async fn delete_subscription(&self, owner: &str, id: &str) -> Result<(), StoreError>;
    /// Every subscription of every user (one key query, paged), for delivery.
    async fn all_subscriptions(&self) -> Result<Vec<Subscription>, StoreError>;
    /// Records that `item` goes to `subscription`, unless it was recorded before: whether this
    /// call recorded it (a conditional write, kept until `expires_at`, epoch seconds).
    async fn claim_delivery(
        &self,
        subscription: &str,
        item: &str,
        expires_at: i64,
    ) -> Result<bool, StoreError>;
    /// Records that `subscription` is alerted about `story` by `item` until `until` (epoch
    /// seconds): whether this call recorded it (a conditional write). It does when no record
    /// holds at `now` but one of another item, and when `item`'s own record still holds (a
    /// retry; `until` = `now` releases it).
    async fn claim_story(
        &self,
        subscription: &str,
        story: &str,
        item: &str,
        now: i64,
        until: i64,
    ) -> Result<bool, StoreError>;
    /// Stores one delivery attempt, kept until `expires_at`.
    async fn record_attempt(
        &self,
        attempt: &DeliveryAttempt,
        expires_at: i64,
    ) -> Result<(), StoreError>;
    /// The newest `limit` attempts of a subscription, newest first.
    async fn list_attempts(
        &self,
        subscription: &str,
        limit: usize,
    ) -> Result<Vec<DeliveryAttempt>, StoreError>;
}

/// Every store: the sum of the narrow contracts. Each function's code asks only for the part
/// its IAM policy covers; the backends implement all five.
pub trait Store: NewsStore + FeedStateStore + UserStore + ReadingStore + AlertStore {}

impl<T: NewsStore + FeedStateStore + UserStore + ReadingStore + AlertStore> Store for T {}
