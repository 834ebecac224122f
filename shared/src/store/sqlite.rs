//! The embedded backend: one SQLite file (WAL mode), zero set-up, the same semantics as
//! DynamoDB: newest-first news by `sort_key`, the same cursors, insert-if-absent, unique
//! emails (a UNIQUE column), optimistic versions checked inside a transaction.

use super::backend::{into_page, readable, sort_key_lower, sort_key_upper, stats_day, USERS_SCOPE};
use super::cursor::{self, is_news_sort_key, is_reading_time, is_user_id};
use super::{
    AlertStore, FeedStateStore, InsertOutcome, NewsQuery, NewsStore, ReadingQuery, ReadingStore,
    StatsDays, StoreError, UserStore,
};
use crate::alerts::{DeliveryAttempt, Subscription};
use crate::classify::Category;
use crate::model::time::format_timestamp;
use crate::model::{
    DeviceId, FeedState, NewUser, NewsItem, Page, Reading, Timestamp, User, UserPatch,
};
use crate::teams::TeamCode;
use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS news (
    id TEXT PRIMARY KEY,
    sort_key TEXT NOT NULL,
    category TEXT NOT NULL,
    source TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS news_by_time ON news(sort_key);
CREATE INDEX IF NOT EXISTS news_by_category ON news(category, sort_key);
CREATE INDEX IF NOT EXISTS news_by_source ON news(source, sort_key);
CREATE INDEX IF NOT EXISTS news_by_category_source ON news(category, source, sort_key);
CREATE INDEX IF NOT EXISTS news_by_fetched ON news(json_extract(doc, '$.fetched_at'));
CREATE INDEX IF NOT EXISTS news_by_story ON news(json_extract(doc, '$.story_id'), sort_key);
CREATE TABLE IF NOT EXISTS news_teams (
    team TEXT NOT NULL,
    sort_key TEXT NOT NULL,
    category TEXT NOT NULL,
    id TEXT NOT NULL,
    PRIMARY KEY (team, sort_key)
);
CREATE INDEX IF NOT EXISTS news_teams_by_category ON news_teams(team, category, sort_key);
CREATE TABLE IF NOT EXISTS news_counts (
    day TEXT NOT NULL,
    category TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (day, category)
);
CREATE TABLE IF NOT EXISTS feed_state (feed TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    user_id TEXT PRIMARY KEY,
    email_key TEXT NOT NULL UNIQUE,
    doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS subscriptions (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    version INTEGER NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS subscriptions_by_owner ON subscriptions(owner);
CREATE TABLE IF NOT EXISTS deliveries (
    subscription TEXT NOT NULL,
    item TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (subscription, item)
);
CREATE TABLE IF NOT EXISTS story_claims (
    subscription TEXT NOT NULL,
    story TEXT NOT NULL,
    item TEXT NOT NULL,
    until INTEGER NOT NULL,
    PRIMARY KEY (subscription, story)
);
CREATE TABLE IF NOT EXISTS delivery_attempts (
    subscription TEXT NOT NULL,
    key TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (subscription, key)
);
CREATE TABLE IF NOT EXISTS metrics (
    device_id TEXT NOT NULL,
    timestamp INTEGER NOT NULL,
    expires_at INTEGER,
    doc TEXT NOT NULL,
    PRIMARY KEY (device_id, timestamp)
);
";

/// The SQLite store. Cheap to clone; calls run on the blocking pool.
#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
}

fn backend(err: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(err.to_string())
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(backend)
}

fn from_json<T: serde::de::DeserializeOwned>(doc: &str) -> Result<T, StoreError> {
    serde_json::from_str(doc).map_err(backend)
}

fn is_unique_violation(err: &rusqlite::Error) -> bool {
    matches!(err, rusqlite::Error::SqliteFailure(e, _) if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE)
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path`, and its parent folder.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| backend(format!("{}: {e}", parent.display())))?;
        }
        let conn =
            Connection::open(path).map_err(|e| backend(format!("{}: {e}", path.display())))?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(backend)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(backend)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(backend)?;
        conn.execute_batch(SCHEMA).map_err(backend)?;
        // Databases from before the counters: count what they hold, once.
        conn.execute_batch(
            "INSERT INTO news_counts (day, category, n)
             SELECT substr(sort_key, 1, 10), category, COUNT(*) FROM news
             WHERE NOT EXISTS (SELECT 1 FROM news_counts)
             GROUP BY 1, 2",
        )
        .map_err(backend)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            let mut guard = conn
                .lock()
                .map_err(|_| backend("the database lock is poisoned"))?;
            f(&mut guard)
        })
        .await
        .map_err(backend)?
    }
}

/// Reads the one JSON document `sql` selects for `key`, if any.
fn read_doc<T: serde::de::DeserializeOwned>(
    conn: &Connection,
    sql: &str,
    key: &str,
) -> Result<Option<T>, StoreError> {
    let doc: Option<String> = conn
        .query_row(sql, [key], |row| row.get(0))
        .optional()
        .map_err(backend)?;
    doc.map(|d| from_json(&d)).transpose()
}

fn read_user(conn: &Connection, user_id: &str) -> Result<Option<User>, StoreError> {
    read_doc(conn, "SELECT doc FROM users WHERE user_id = ?1", user_id)
}

#[async_trait]
impl NewsStore for SqliteStore {
    async fn insert_news(&self, items: &[NewsItem]) -> Result<InsertOutcome, StoreError> {
        type Row = (
            String,
            String,
            &'static str,
            String,
            String,
            String,
            Vec<String>,
        );
        let rows: Vec<Row> = items
            .iter()
            .map(|i| {
                Ok((
                    i.id.clone(),
                    i.sort_key(),
                    i.category.as_str(),
                    i.source.clone(),
                    to_json(i)?,
                    stats_day(i).to_string(),
                    i.teams.clone(),
                ))
            })
            .collect::<Result<_, StoreError>>()?;
        self.run(move |conn| {
            let tx = conn.transaction().map_err(backend)?;
            let mut outcome = InsertOutcome::default();
            {
                let mut insert = tx
                    .prepare("INSERT OR IGNORE INTO news (id, sort_key, category, source, doc) VALUES (?1, ?2, ?3, ?4, ?5)")
                    .map_err(backend)?;
                let mut count = tx
                    .prepare("INSERT INTO news_counts (day, category, n) VALUES (?1, ?2, 1)
                              ON CONFLICT (day, category) DO UPDATE SET n = n + 1")
                    .map_err(backend)?;
                let mut link = tx
                    .prepare("INSERT OR IGNORE INTO news_teams (team, sort_key, category, id) VALUES (?1, ?2, ?3, ?4)")
                    .map_err(backend)?;
                for (id, sort_key, category, source, doc, day, teams) in rows {
                    if insert.execute(params![id, sort_key, category, source, doc]).map_err(backend)? == 1 {
                        count.execute(params![day, category]).map_err(backend)?;
                        for team in &teams {
                            link.execute(params![team, sort_key, category, id]).map_err(backend)?;
                        }
                        outcome.inserted.push(id);
                    } else {
                        outcome.existing += 1;
                    }
                }
            }
            tx.commit().map_err(backend)?;
            Ok(outcome)
        })
        .await
    }

    async fn get_news(&self, id: &str) -> Result<Option<NewsItem>, StoreError> {
        let id = id.to_owned();
        self.run(move |conn| read_doc(conn, "SELECT doc FROM news WHERE id = ?1", &id))
            .await
    }

    async fn stored_news_ids(&self, ids: &[String]) -> Result<HashSet<String>, StoreError> {
        let ids = ids.to_vec();
        self.run(move |conn| {
            let mut stmt = conn
                .prepare("SELECT 1 FROM news WHERE id = ?1")
                .map_err(backend)?;
            let mut stored = HashSet::new();
            for id in ids {
                if stmt.exists([&id]).map_err(backend)? {
                    stored.insert(id);
                }
            }
            Ok(stored)
        })
        .await
    }

    async fn story_reports(
        &self,
        story_ids: &[String],
        limit: usize,
    ) -> Result<BTreeMap<String, Vec<NewsItem>>, StoreError> {
        let story_ids = story_ids.to_vec();
        self.run(move |conn| {
            let mut stmt = conn
                .prepare(
                    "SELECT doc FROM news WHERE json_extract(doc, '$.story_id') = ?1
                     ORDER BY sort_key DESC LIMIT ?2",
                )
                .map_err(backend)?;
            let mut stories = BTreeMap::new();
            for story in story_ids {
                let docs = stmt
                    .query_map(params![story, limit as i64], |row| row.get::<_, String>(0))
                    .map_err(backend)?;
                let reports = docs
                    .map(|doc| from_json(&doc.map_err(backend)?))
                    .collect::<Result<Vec<NewsItem>, StoreError>>()?;
                if !reports.is_empty() {
                    stories.insert(story, reports);
                }
            }
            Ok(stories)
        })
        .await
    }

    async fn news_fetched_between(
        &self,
        since: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<NewsItem>, StoreError> {
        let (since, until) = (format_timestamp(&since), format_timestamp(&until));
        self.run(move |conn| {
            let mut stmt = conn
                .prepare(
                    "SELECT doc FROM news WHERE json_extract(doc, '$.fetched_at') BETWEEN ?1 AND ?2
                     ORDER BY json_extract(doc, '$.fetched_at')",
                )
                .map_err(backend)?;
            let docs = stmt
                .query_map(params![since, until], |row| row.get::<_, String>(0))
                .map_err(backend)?;
            docs.map(|doc| from_json(&doc.map_err(backend)?)).collect()
        })
        .await
    }

    async fn list_news(&self, query: &NewsQuery) -> Result<Page<NewsItem>, StoreError> {
        let scope = query.scope();
        let after = query
            .cursor
            .as_deref()
            .map(|c| cursor::decode(c, &scope, is_news_sort_key))
            .transpose()?;
        let lower = sort_key_lower(query.since.as_ref());
        let mut upper = sort_key_upper(query.until.as_ref());
        if let Some(after) = after {
            upper = upper.min(after);
        }
        let category = query.category.map(Category::as_str);
        let source = query.source.clone();
        let team = query.team.map(TeamCode::as_str);
        if team.is_some() && source.is_some() {
            return Err(StoreError::Unsupported(
                "team cannot be combined with source",
            ));
        }
        let limit = query.limit;
        let rows: Vec<NewsItem> = self
            .run(move |conn| {
                // With a team, the walk is over that team's links (index news_teams), never
                // over all news.
                let sql = if team.is_some() {
                    "SELECT news.doc FROM news_teams JOIN news ON news.id = news_teams.id
                     WHERE news_teams.team = ?6
                       AND news_teams.sort_key >= ?1 AND news_teams.sort_key < ?2
                       AND (?3 IS NULL OR news_teams.category = ?3) AND ?4 IS NULL
                     ORDER BY news_teams.sort_key DESC LIMIT ?5"
                } else {
                    "SELECT doc FROM news
                     WHERE sort_key >= ?1 AND sort_key < ?2
                       AND (?3 IS NULL OR category = ?3) AND (?4 IS NULL OR source = ?4)
                       AND ?6 IS NULL
                     ORDER BY sort_key DESC LIMIT ?5"
                };
                let mut stmt = conn.prepare(sql).map_err(backend)?;
                let docs = stmt
                    .query_map(
                        params![lower, upper, category, source, limit as i64 + 1, team],
                        |row| row.get::<_, String>(0),
                    )
                    .map_err(backend)?;
                docs.map(|doc| from_json(&doc.map_err(backend)?)).collect()
            })
            .await?;
        Ok(into_page(rows, limit, |item| {
            cursor::encode(&scope, &item.sort_key())
        }))
    }

    async fn retag_news(&self, items: &[NewsItem]) -> Result<(), StoreError> {
        type Row = (String, [String; 4], Option<String>, Vec<String>);
        let rows: Vec<Row> = items
            .iter()
            .map(|i| {
                let fields = [
                    to_json(&i.teams)?,
                    to_json(&i.team_evidence)?,
                    to_json(&i.players)?,
                    to_json(&i.player_evidence)?,
                ];
                Ok((i.id.clone(), fields, i.story_id.clone(), i.teams.clone()))
            })
            .collect::<Result<_, StoreError>>()?;
        self.run(move |conn| {
            let tx = conn.transaction().map_err(backend)?;
            {
                let mut update = tx
                    .prepare("UPDATE news SET doc = json_set(doc, '$.teams', json(?2), '$.team_evidence', json(?3),
                                                          '$.players', json(?4), '$.player_evidence', json(?5),
                                                          '$.story_id', coalesce(?6, json_extract(doc, '$.story_id')))
                              WHERE id = ?1 RETURNING sort_key, category")
                    .map_err(backend)?;
                let mut link = tx
                    .prepare("INSERT OR IGNORE INTO news_teams (team, sort_key, category, id) VALUES (?1, ?2, ?3, ?4)")
                    .map_err(backend)?;
                for (id, [teams_json, evidence_json, players_json, player_evidence_json], story, teams) in rows {
                    let stored: Option<(String, String)> = update
                        .query_row(
                            params![id, teams_json, evidence_json, players_json, player_evidence_json, story],
                            |row| Ok((row.get(0)?, row.get(1)?)),
                        )
                        .optional()
                        .map_err(backend)?;
                    let Some((sort_key, category)) = stored else { continue };
                    for team in &teams {
                        link.execute(params![team, sort_key, category, id]).map_err(backend)?;
                    }
                }
            }
            tx.commit().map_err(backend)
        })
        .await
    }

    async fn news_stats(&self, days: StatsDays) -> Result<BTreeMap<Category, u64>, StoreError> {
        let (first, last) = days.map_or_else(
            || (String::new(), "~".to_owned()),
            |(a, b)| (a.to_string(), b.to_string()),
        );
        self.run(move |conn| {
            let mut counts: BTreeMap<Category, u64> = Category::ALL.iter().map(|c| (*c, 0)).collect();
            let mut stmt = conn
                .prepare("SELECT category, SUM(n) FROM news_counts WHERE day BETWEEN ?1 AND ?2 GROUP BY category")
                .map_err(backend)?;
            let rows = stmt
                .query_map(params![first, last], |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?)))
                .map_err(backend)?;
            for row in rows {
                let (name, count) = row.map_err(backend)?;
                let category: Category = name.parse().map_err(backend)?;
                counts.insert(category, u64::try_from(count).unwrap_or(0));
            }
            Ok(counts)
        })
        .await
    }
}

#[async_trait]
impl FeedStateStore for SqliteStore {
    async fn get_feed_state(&self, feed: &str) -> Result<Option<FeedState>, StoreError> {
        let feed = feed.to_owned();
        self.run(move |conn| read_doc(conn, "SELECT doc FROM feed_state WHERE feed = ?1", &feed))
            .await
    }

    async fn put_feed_state(&self, state: &FeedState) -> Result<(), StoreError> {
        let (feed, doc) = (state.feed.clone(), to_json(state)?);
        self.run(move |conn| {
            conn.execute(
                "INSERT OR REPLACE INTO feed_state (feed, doc) VALUES (?1, ?2)",
                params![feed, doc],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn list_feed_states(&self, limit: usize) -> Result<Vec<FeedState>, StoreError> {
        self.run(move |conn| {
            let mut stmt = conn
                .prepare("SELECT doc FROM feed_state ORDER BY feed LIMIT ?1")
                .map_err(backend)?;
            let docs = stmt
                .query_map([limit as i64], |row| row.get::<_, String>(0))
                .map_err(backend)?;
            docs.map(|doc| from_json(&doc.map_err(backend)?)).collect()
        })
        .await
    }
}

#[async_trait]
impl UserStore for SqliteStore {
    async fn create_user(
        &self,
        user_id: &str,
        new: NewUser,
        now: Timestamp,
    ) -> Result<User, StoreError> {
        if !is_user_id(user_id) {
            return Err(StoreError::Backend(format!(
                "CreateUser: {user_id:?} is not a user id"
            )));
        }
        let user = User::new(user_id, new, now);
        let (id, key, doc) = (user.user_id.clone(), user.email.key(), to_json(&user)?);
        self.run(move |conn| {
            if read_user(conn, &id)?.is_some() {
                return Err(StoreError::Exists);
            }
            match conn.execute(
                "INSERT INTO users (user_id, email_key, doc) VALUES (?1, ?2, ?3)",
                params![id, key, doc],
            ) {
                Ok(_) => Ok(user),
                Err(e) if is_unique_violation(&e) => Err(StoreError::DuplicateEmail),
                Err(e) => Err(backend(e)),
            }
        })
        .await
    }

    async fn get_user(&self, user_id: &str) -> Result<Option<User>, StoreError> {
        let user_id = user_id.to_owned();
        self.run(move |conn| read_user(conn, &user_id)).await
    }

    async fn list_users(
        &self,
        limit: usize,
        cursor_text: Option<&str>,
    ) -> Result<Page<User>, StoreError> {
        let after = cursor_text
            .map(|c| cursor::decode(c, USERS_SCOPE, is_user_id))
            .transpose()?
            .unwrap_or_default();
        let rows: Vec<User> = self
            .run(move |conn| {
                let mut stmt = conn
                    .prepare(
                        "SELECT doc FROM users WHERE user_id > ?1 ORDER BY user_id ASC LIMIT ?2",
                    )
                    .map_err(backend)?;
                let docs = stmt
                    .query_map(params![after, limit as i64 + 1], |row| {
                        row.get::<_, String>(0)
                    })
                    .map_err(backend)?;
                docs.map(|doc| from_json(&doc.map_err(backend)?)).collect()
            })
            .await?;
        Ok(into_page(rows, limit, |user| {
            cursor::encode(USERS_SCOPE, &user.user_id)
        }))
    }

    async fn update_user(
        &self,
        user_id: &str,
        version: u64,
        patch: UserPatch,
        now: Timestamp,
    ) -> Result<User, StoreError> {
        let user_id = user_id.to_owned();
        self.run(move |conn| {
            let tx = conn.transaction().map_err(backend)?;
            let current = read_user(&tx, &user_id)?.ok_or(StoreError::NotFound)?;
            if current.version != version {
                return Err(StoreError::VersionConflict {
                    current: current.version,
                });
            }
            let updated = current.patched(patch, now);
            let result = tx.execute(
                "UPDATE users SET email_key = ?2, doc = ?3 WHERE user_id = ?1",
                params![user_id, updated.email.key(), to_json(&updated)?],
            );
            match result {
                Ok(_) => {}
                Err(e) if is_unique_violation(&e) => return Err(StoreError::DuplicateEmail),
                Err(e) => return Err(backend(e)),
            }
            tx.commit().map_err(backend)?;
            Ok(updated)
        })
        .await
    }

    async fn delete_user(&self, user_id: &str) -> Result<(), StoreError> {
        let user_id = user_id.to_owned();
        self.run(move |conn| {
            match conn
                .execute("DELETE FROM users WHERE user_id = ?1", [user_id])
                .map_err(backend)?
            {
                0 => Err(StoreError::NotFound),
                _ => Ok(()),
            }
        })
        .await
    }
}

#[async_trait]
impl ReadingStore for SqliteStore {
    async fn put_readings(
        &self,
        device: &DeviceId,
        readings: &[Reading],
        expires_at: Option<i64>,
    ) -> Result<(), StoreError> {
        let device = device.as_str().to_owned();
        let rows: Vec<(i64, String)> = readings
            .iter()
            .map(|r| Ok((r.timestamp, to_json(r)?)))
            .collect::<Result<_, StoreError>>()?;
        self.run(move |conn| {
            let tx = conn.transaction().map_err(backend)?;
            {
                let mut put = tx
                    .prepare("INSERT OR REPLACE INTO metrics (device_id, timestamp, expires_at, doc) VALUES (?1, ?2, ?3, ?4)")
                    .map_err(backend)?;
                for (timestamp, doc) in rows {
                    put.execute(params![device, timestamp, expires_at, doc]).map_err(backend)?;
                }
            }
            tx.commit().map_err(backend)
        })
        .await
    }

    async fn list_readings(&self, query: &ReadingQuery) -> Result<Page<Reading>, StoreError> {
        let scope = query.scope();
        let after = query
            .cursor
            .as_deref()
            .map(|c| cursor::decode(c, &scope, is_reading_time))
            .transpose()?;
        let from = match after.and_then(|a| a.parse::<i64>().ok()) {
            Some(after) => query.from.max(after.saturating_add(1)),
            None => query.from,
        };
        let (device, to, limit) = (query.device.as_str().to_owned(), query.to, query.limit);
        let rows: Vec<Reading> = self
            .run(move |conn| {
                let mut stmt = conn
                    .prepare(
                        "SELECT doc FROM metrics WHERE device_id = ?1 AND timestamp >= ?2 AND timestamp <= ?3
                         ORDER BY timestamp ASC LIMIT ?4",
                    )
                    .map_err(backend)?;
                let docs = stmt
                    .query_map(params![device, from, to, limit as i64 + 1], |row| row.get::<_, String>(0))
                    .map_err(backend)?;
                docs.map(|doc| from_json(&doc.map_err(backend)?)).collect()
            })
            .await?;
        Ok(into_page(rows, limit, |r| {
            cursor::encode(&scope, &r.timestamp.to_string())
        }))
    }
}

/// Reads the subscription documents `sql` selects with `key`.
fn read_subscriptions(
    conn: &Connection,
    sql: &str,
    key: &str,
) -> Result<Vec<Subscription>, StoreError> {
    let mut stmt = conn.prepare(sql).map_err(backend)?;
    let docs = stmt
        .query_map([key], |row| row.get::<_, String>(0))
        .map_err(backend)?;
    docs.map(|doc| from_json(&doc.map_err(backend)?)).collect()
}

#[async_trait]
impl AlertStore for SqliteStore {
    async fn create_subscription(
        &self,
        sub: &Subscription,
        limit: usize,
    ) -> Result<(), StoreError> {
        let (id, owner, version, doc) = (
            sub.id.clone(),
            sub.owner.clone(),
            sub.version as i64,
            to_json(sub)?,
        );
        let max = i64::try_from(limit).unwrap_or(i64::MAX);
        self.run(move |conn| {
            // One statement: the count and the insert cannot be separated by another writer.
            let inserted = conn
                .execute(
                    "INSERT OR IGNORE INTO subscriptions (id, owner, version, doc)
                     SELECT ?1, ?2, ?3, ?4
                     WHERE (SELECT COUNT(*) FROM subscriptions WHERE owner = ?2) < ?5",
                    params![id, owner, version, doc, max],
                )
                .map_err(backend)?;
            if inserted == 1 {
                return Ok(());
            }
            let taken: bool = conn
                .query_row(
                    "SELECT EXISTS (SELECT 1 FROM subscriptions WHERE id = ?1)",
                    params![id],
                    |row| row.get(0),
                )
                .map_err(backend)?;
            Err(if taken {
                StoreError::Exists
            } else {
                StoreError::LimitReached(limit)
            })
        })
        .await
    }

    async fn get_subscription(
        &self,
        owner: &str,
        id: &str,
    ) -> Result<Option<Subscription>, StoreError> {
        let (owner, id) = (owner.to_owned(), id.to_owned());
        let found: Option<Subscription> = self
            .run(move |conn| read_doc(conn, "SELECT doc FROM subscriptions WHERE id = ?1", &id))
            .await?;
        Ok(found.filter(|sub| sub.owner == owner))
    }

    async fn list_subscriptions(&self, owner: &str) -> Result<Vec<Subscription>, StoreError> {
        let owner = owner.to_owned();
        self.run(move |conn| {
            read_subscriptions(
                conn,
                "SELECT doc FROM subscriptions WHERE owner = ?1 ORDER BY id",
                &owner,
            )
        })
        .await
    }

    async fn update_subscription(
        &self,
        sub: &Subscription,
        version: u64,
    ) -> Result<(), StoreError> {
        let (id, owner, next, doc) = (
            sub.id.clone(),
            sub.owner.clone(),
            sub.version as i64,
            to_json(sub)?,
        );
        self.run(move |conn| {
            let tx = conn.transaction().map_err(backend)?;
            let stored: Option<i64> = tx
                .query_row(
                    "SELECT version FROM subscriptions WHERE id = ?1 AND owner = ?2",
                    params![id, owner],
                    |row| row.get(0),
                )
                .optional()
                .map_err(backend)?;
            match stored {
                None => return Err(StoreError::NotFound),
                Some(current) if current != version as i64 => {
                    return Err(StoreError::VersionConflict {
                        current: current as u64,
                    })
                }
                Some(_) => {}
            }
            tx.execute(
                "UPDATE subscriptions SET version = ?2, doc = ?3 WHERE id = ?1",
                params![id, next, doc],
            )
            .map_err(backend)?;
            tx.commit().map_err(backend)
        })
        .await
    }

    async fn delete_subscription(&self, owner: &str, id: &str) -> Result<(), StoreError> {
        let (owner, id) = (owner.to_owned(), id.to_owned());
        self.run(move |conn| {
            let deleted = conn
                .execute(
                    "DELETE FROM subscriptions WHERE id = ?1 AND owner = ?2",
                    params![id, owner],
                )
                .map_err(backend)?;
            if deleted == 1 {
                Ok(())
            } else {
                Err(StoreError::NotFound)
            }
        })
        .await
    }

    async fn all_subscriptions(&self) -> Result<Vec<Subscription>, StoreError> {
        self.run(|conn| {
            let mut stmt = conn
                .prepare("SELECT doc FROM subscriptions ORDER BY id")
                .map_err(backend)?;
            let docs = stmt
                .query_map([], |row| row.get::<_, String>(0))
                .map_err(backend)?
                .collect::<Result<Vec<String>, _>>()
                .map_err(backend)?;
            Ok(readable(
                docs.iter().map(|doc| from_json(doc)),
                "subscription",
            ))
        })
        .await
    }

    async fn claim_delivery(
        &self,
        subscription: &str,
        item: &str,
        expires_at: i64,
    ) -> Result<bool, StoreError> {
        let (subscription, item) = (subscription.to_owned(), item.to_owned());
        self.run(move |conn| {
            let inserted = conn
                .execute(
                    "INSERT OR IGNORE INTO deliveries (subscription, item, expires_at) VALUES (?1, ?2, ?3)",
                    params![subscription, item, expires_at],
                )
                .map_err(backend)?;
            Ok(inserted == 1)
        })
        .await
    }

    async fn claim_story(
        &self,
        subscription: &str,
        story: &str,
        item: &str,
        now: i64,
        until: i64,
    ) -> Result<bool, StoreError> {
        let (subscription, story, item) =
            (subscription.to_owned(), story.to_owned(), item.to_owned());
        self.run(move |conn| {
            let written = conn
                .execute(
                    "INSERT INTO story_claims (subscription, story, item, until) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (subscription, story) DO UPDATE SET item = excluded.item, until = excluded.until
                     WHERE (story_claims.until <= ?5 AND story_claims.item <> excluded.item)
                        OR (story_claims.item = excluded.item AND story_claims.until > ?5)",
                    params![subscription, story, item, until, now],
                )
                .map_err(backend)?;
            Ok(written == 1)
        })
        .await
    }

    async fn record_attempt(
        &self,
        attempt: &DeliveryAttempt,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        let key = attempt.sort_key();
        let (subscription, doc) = (attempt.subscription_id.clone(), to_json(attempt)?);
        self.run(move |conn| {
            conn.execute(
                "INSERT OR REPLACE INTO delivery_attempts (subscription, key, expires_at, doc) VALUES (?1, ?2, ?3, ?4)",
                params![subscription, key, expires_at, doc],
            )
            .map_err(backend)?;
            Ok(())
        })
        .await
    }

    async fn list_attempts(
        &self,
        subscription: &str,
        limit: usize,
    ) -> Result<Vec<DeliveryAttempt>, StoreError> {
        let subscription = subscription.to_owned();
        self.run(move |conn| {
            let mut stmt = conn
                .prepare(
                    "SELECT doc FROM delivery_attempts WHERE subscription = ?1 AND expires_at > ?2
                     ORDER BY key DESC LIMIT ?3",
                )
                .map_err(backend)?;
            let now = chrono::Utc::now().timestamp();
            let docs = stmt
                .query_map(params![subscription, now, limit as i64], |row| {
                    row.get::<_, String>(0)
                })
                .map_err(backend)?;
            docs.map(|doc| from_json(&doc.map_err(backend)?)).collect()
        })
        .await
    }
}
