//! The one declaration of every table's keys, indexes and TTL. DynamoDB tables are created
//! from it in tests and local runs, and a test checks `template.yaml` declares the same.
//!
//! News indexes. Every listing is a Query, never a Scan:
//! - `by_time`: partition `kind` (always `"news"`), sort `sort_key` (`<time>#<id>`): newest
//!   first across all categories, and time windows via `BETWEEN` on the sort key.
//! - `by_category`: partition `category`, sort `sort_key`: newest first within a category.
//! - `by_source`: partition `source`, sort `sort_key`: newest first within a source.
//! - `by_category_source`: partition `category_source` (`<category>#<source>`), sort
//!   `sort_key`: both filters as a key, so a page costs its own items, never a filter walk.
//!
//! - `by_team`: partition `team_key`, sort `sort_key`. Each team of an item has two *team
//!   links*, items of the news table keyed `LAL` and `LAL#Trade` (ids `team#<key>#<news id>`)
//!   holding the sort key, the TTL and a copy of the item under `item`, written in the item's
//!   own transaction (never one without the other). One index answers team and team + category
//!   (and an existing table gains it in one update: CloudFormation adds one index per update).
//!   News items lack `team_key`; links lack `kind`, `category`, `source`: each index sees only
//!   its own kind.
//!
//! Hot partitions: `by_time` puts every item in one partition and `by_category` in three.
//! A GSI partition takes about 1,000 writes per second; ingest writes at most a few hundred
//! new items per five-minute run, so the simplicity wins by orders of magnitude. Past that
//! scale, `kind` would become a date-sharded key (`news#2026-11`) queried shard by shard.
//!
//! - `by_story`: partition `story_id`, sort `sort_key`: the reports of one story, newest first.
//!   Items stored before stories lack `story_id` until the backfill gives them one.
//!
//! Feed state lives in the news table under ids `feed#<name>` (kind `feed`, sort key the name:
//! `by_time` lists the feeds for `GET /sources`), and the stats counters under
//! `stats#<YYYY-MM-DD>` (items per category first seen on that UTC day) and `stats#all`, added
//! to in the same transaction that stores the items. The counters carry none of the index
//! keys, so the sparse indexes never see them; feed states appear only under their own kind.
//!
//! Users: `user_id` partition; email uniqueness items (`email#<lowercased>`) live in the same
//! table and are written in the same transaction as the user. `by_kind` (partition `kind`,
//! always `"user"`, sort `user_id`) lists users oldest first; uniqueness items lack `kind`.
//!
//! Metrics: partition `device_id`, sort `timestamp` (epoch ms); TTL on `expires_at`.

/// A key attribute's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum AttrType {
    /// String (`S`).
    S,
    /// Number (`N`).
    N,
}

impl AttrType {
    /// The DynamoDB type letter.
    pub fn as_str(self) -> &'static str {
        match self {
            AttrType::S => "S",
            AttrType::N => "N",
        }
    }
}

/// A key attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct KeyAttr {
    /// Attribute name.
    pub name: &'static str,
    /// Attribute type.
    pub kind: AttrType,
}

/// A global secondary index (projection: all attributes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct IndexDef {
    /// Index name.
    pub name: &'static str,
    /// Partition key.
    pub partition: KeyAttr,
    /// Sort key.
    pub sort: Option<KeyAttr>,
}

/// A table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct TableDef {
    /// Short name: news, users or metrics.
    pub name: &'static str,
    /// The environment variable holding the deployed table name.
    pub env_var: &'static str,
    /// Partition key.
    pub partition: KeyAttr,
    /// Sort key.
    pub sort: Option<KeyAttr>,
    /// Global secondary indexes.
    pub indexes: &'static [IndexDef],
    /// The TTL attribute, if any.
    pub ttl: Option<&'static str>,
}

const fn s(name: &'static str) -> KeyAttr {
    KeyAttr {
        name,
        kind: AttrType::S,
    }
}

const fn n(name: &'static str) -> KeyAttr {
    KeyAttr {
        name,
        kind: AttrType::N,
    }
}

/// `kind` of every news item: the single partition of [`NEWS_BY_TIME`].
pub const NEWS_KIND: &str = "news";
/// `kind` of every feed state item: [`NEWS_BY_TIME`] lists them by name (their `sort_key`).
pub const FEED_KIND: &str = "feed";
/// `kind` of every user item (not of uniqueness items): the partition of [`USERS_BY_KIND`].
pub const USER_KIND: &str = "user";

/// News newest first across categories.
pub const NEWS_BY_TIME: IndexDef = IndexDef {
    name: "by_time",
    partition: s("kind"),
    sort: Some(s("sort_key")),
};
/// News newest first within a category.
pub const NEWS_BY_CATEGORY: IndexDef = IndexDef {
    name: "by_category",
    partition: s("category"),
    sort: Some(s("sort_key")),
};
/// News newest first within a source.
pub const NEWS_BY_SOURCE: IndexDef = IndexDef {
    name: "by_source",
    partition: s("source"),
    sort: Some(s("sort_key")),
};
/// News newest first within a category and a source (`<category>#<source>`).
pub const NEWS_BY_CATEGORY_SOURCE: IndexDef = IndexDef {
    name: "by_category_source",
    partition: s("category_source"),
    sort: Some(s("sort_key")),
};
/// Team links newest first within a team (`LAL`) or a team and a category (`LAL#Trade`).
pub const NEWS_BY_TEAM: IndexDef = IndexDef {
    name: "by_team",
    partition: s("team_key"),
    sort: Some(s("sort_key")),
};
/// News within a story (`story_id`), by time: the reports of one event.
pub const NEWS_BY_STORY: IndexDef = IndexDef {
    name: "by_story",
    partition: s("story_id"),
    sort: Some(s("sort_key")),
};
/// News by the time ingest first stored them (`fetched_at`): the daily export's day.
pub const NEWS_BY_FETCHED: IndexDef = IndexDef {
    name: "by_fetched",
    partition: s("kind"),
    sort: Some(s("fetched_at")),
};
/// Users oldest first.
pub const USERS_BY_KIND: IndexDef = IndexDef {
    name: "by_kind",
    partition: s("kind"),
    sort: Some(s("user_id")),
};

/// News items, feed state and the stats counters.
pub const NEWS: TableDef = TableDef {
    name: "news",
    env_var: "NEWS_TABLE",
    partition: s("id"),
    sort: None,
    indexes: &[
        NEWS_BY_TIME,
        NEWS_BY_CATEGORY,
        NEWS_BY_SOURCE,
        NEWS_BY_CATEGORY_SOURCE,
        NEWS_BY_FETCHED,
        NEWS_BY_TEAM,
        NEWS_BY_STORY,
    ],
    ttl: Some("expires_at"),
};

/// Users and email uniqueness items.
pub const USERS: TableDef = TableDef {
    name: "users",
    env_var: "USERS_TABLE",
    partition: s("user_id"),
    sort: None,
    indexes: &[USERS_BY_KIND],
    ttl: None,
};

/// Device readings.
pub const METRICS: TableDef = TableDef {
    name: "metrics",
    env_var: "METRICS_TABLE",
    partition: s("device_id"),
    sort: Some(n("timestamp")),
    indexes: &[],
    ttl: Some("expires_at"),
};

/// `kind` of every subscription item: the partition of [`ALERTS_BY_KIND`].
pub const SUBSCRIPTION_KIND: &str = "subscription";

/// Every subscription, for delivery.
pub const ALERTS_BY_KIND: IndexDef = IndexDef {
    name: "by_kind",
    partition: s("kind"),
    sort: Some(s("sk")),
};

/// Alert subscriptions (`pk` `user#<owner>`, `sk` `sub#<id>`, kind `subscription`), delivery
/// records (`pk` `sub#<id>`, `sk` `item#<item id>`) and attempts (`pk` `sub#<id>`, `sk`
/// `attempt#<time>#<item id>#<n>`); records and attempts expire after 30 days.
pub const ALERTS: TableDef = TableDef {
    name: "alerts",
    env_var: "ALERTS_TABLE",
    partition: s("pk"),
    sort: Some(s("sk")),
    indexes: &[ALERTS_BY_KIND],
    ttl: Some("expires_at"),
};

/// Every table.
pub const TABLES: [&TableDef; 4] = [&NEWS, &USERS, &METRICS, &ALERTS];

/// Deployed table names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableNames {
    /// The news table.
    pub news: String,
    /// The users table.
    pub users: String,
    /// The metrics table.
    pub metrics: String,
    /// The alerts table.
    pub alerts: String,
}

impl TableNames {
    /// Names with a common prefix (`<prefix>-news`, ...), for tests and local runs.
    pub fn prefixed(prefix: &str) -> Self {
        Self {
            news: format!("{prefix}-news"),
            users: format!("{prefix}-users"),
            metrics: format!("{prefix}-metrics"),
            alerts: format!("{prefix}-alerts"),
        }
    }

    /// Names from `NEWS_TABLE`, `USERS_TABLE`, `METRICS_TABLE` and `ALERTS_TABLE`, defaulting to
    /// `nba-tracker-<table>`.
    pub fn from_env() -> Self {
        let get = |def: &TableDef| {
            std::env::var(def.env_var).unwrap_or_else(|_| format!("nba-tracker-{}", def.name))
        };
        Self {
            news: get(&NEWS),
            users: get(&USERS),
            metrics: get(&METRICS),
            alerts: get(&ALERTS),
        }
    }

    /// The deployed name of `def`.
    pub fn name_of(&self, def: &TableDef) -> &str {
        match def.name {
            "news" => &self.news,
            "users" => &self.users,
            "alerts" => &self.alerts,
            _ => &self.metrics,
        }
    }
}
