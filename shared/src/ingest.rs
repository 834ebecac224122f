//! The ingest pipeline: fetch every configured feed concurrently, each isolated from the
//! others; skip unchanged feeds (304 or identical body hash); parse, classify and insert only
//! new items; archive changed raw bodies; keep per-feed state; report one summary per run.

use crate::archive::{archive_raw, Archive};
use crate::classify::{classify_found, Category};
use crate::config::FeedConfig;
use crate::feed::{collapse_and_cap, parse_feed, sha256_hex, ParseOptions};
use crate::fetch::{Fetched, Fetcher, Validators};
use crate::mentions::Mentions;
use crate::model::{FeedState, NewsItem, Timestamp};
use crate::source::{is_http, read_file, Body};
use crate::store::Store;
use crate::stories;
use chrono::SubsecRound;
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

/// Longest error kept in a feed's state and report.
const MAX_ERROR_CHARS: usize = 1_000;

/// What the pipeline works with.
#[derive(Clone)]
pub struct Ingest {
    /// Where items and feed state go.
    pub store: Arc<dyn Store>,
    /// Where changed raw bodies go.
    pub archive: Arc<dyn Archive>,
    /// The HTTP client.
    pub fetcher: Fetcher,
    /// How long items are kept (sets `expires_at`); `None` keeps them.
    pub retention: Option<chrono::Duration>,
    /// Feeds fetched at once.
    pub concurrency: usize,
    /// Largest body accepted.
    pub max_bytes: usize,
}

/// How one feed's run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedStatus {
    /// Fetched, parsed and stored.
    Updated,
    /// The server answered 304 Not Modified.
    NotModified,
    /// The body was identical to the last one: nothing parsed, nothing written.
    Unchanged,
    /// 429 or 503: skipped this run, as the server asked.
    Deferred,
    /// Fetching, parsing or storing failed.
    Failed,
}

/// The outcome for one feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedReport {
    /// The feed's name.
    pub feed: String,
    /// How it ended.
    pub status: FeedStatus,
    /// Items in the feed.
    pub items_seen: usize,
    /// Items stored for the first time.
    pub items_new: usize,
    /// Items left out because the store cannot hold an item that large.
    #[serde(default)]
    pub items_oversized: usize,
    /// New items per category.
    pub new_by_category: BTreeMap<Category, usize>,
    /// The archive key of the raw body, when it was archived.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub archived: Option<String>,
    /// Seconds the server asked us to wait, when deferred.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<u64>,
    /// The failure, when failed; or a parser warning about a damaged feed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Wall time for this feed.
    pub duration_ms: u64,
}

/// The outcome of one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// When the run started.
    #[serde(with = "crate::model::time::rfc3339")]
    pub started_at: Timestamp,
    /// Wall time of the run.
    pub duration_ms: u64,
    /// Feeds that did not fail.
    pub feeds_ok: usize,
    /// Feeds that failed.
    pub feeds_failed: usize,
    /// New items across feeds.
    pub items_new: usize,
    /// Items left out across feeds for their size.
    #[serde(default)]
    pub items_oversized: usize,
    /// New items per category across feeds.
    pub new_by_category: BTreeMap<Category, usize>,
    /// Per-feed outcomes, in configuration order.
    pub feeds: Vec<FeedReport>,
}

impl RunSummary {
    /// Whether every feed failed (the invocation should then fail, so retries and alarms fire).
    pub fn all_failed(&self) -> bool {
        !self.feeds.is_empty() && self.feeds_failed == self.feeds.len()
    }

    /// The CloudWatch Embedded Metric Format lines of the run: its counts, then one line per
    /// feed with `FeedFailed` (1 or 0) under a `Feed` dimension, so one feed that keeps failing
    /// while the others succeed shows (and alarms) on its own.
    pub fn emf_lines(&self) -> Vec<String> {
        let mut lines = vec![self.emf_line()];
        lines.extend(self.feeds.iter().map(|feed| {
            let failed = usize::from(feed.status == FeedStatus::Failed);
            crate::emf::line_with(
                self.started_at,
                &[("Feed", &feed.feed)],
                &[("FeedFailed", failed)],
            )
        }));
        lines
    }

    /// The run's counts as one EMF line (items new per category, feeds failed and ok).
    pub fn emf_line(&self) -> String {
        let per_category: Vec<(String, usize)> = Category::ALL
            .iter()
            .map(|c| {
                (
                    format!("{c}New"),
                    self.new_by_category.get(c).copied().unwrap_or(0),
                )
            })
            .collect();
        let mut counts = vec![
            ("ItemsNew", self.items_new),
            ("ItemsOversized", self.items_oversized),
            ("FeedErrors", self.feeds_failed),
            ("FeedsOk", self.feeds_ok),
        ];
        counts.extend(per_category.iter().map(|(name, n)| (name.as_str(), *n)));
        crate::emf::line(self.started_at, &counts)
    }
}

/// Most stored items a run reads per time window to find the stories of its new items.
const MAX_STORY_CANDIDATES: usize = 300;

/// A feed after its fetch: what is left to do is storing its items.
struct FeedFetch<'a> {
    feed: &'a FeedConfig,
    started: Instant,
    report: FeedReport,
    /// The state read before the fetch (`None`: it could not be read, the feed failed).
    state: Option<FeedState>,
    outcome: Result<Step, String>,
}

/// Where a feed's fetch left it.
enum Step {
    /// Nothing to store; the state to save (when it changed).
    Done(FeedState),
    /// New content: its items, the raw body to archive and the state to save after storing.
    Parsed {
        items: Vec<NewsItem>,
        body: Vec<u8>,
        next: FeedState,
    },
}

impl Ingest {
    /// Runs every feed once: fetches at most `concurrency` at a time, gives the new items their
    /// stories (across feeds: two feeds reporting one deal in one run share its story), then
    /// stores each feed's items and state.
    pub async fn run(&self, feeds: &[FeedConfig], now: Timestamp) -> RunSummary {
        let started = Instant::now();
        // Collected first: a lazy `map` inside the stream trips higher-ranked lifetimes when the
        // run is spawned as a task.
        let fetches: Vec<_> = feeds
            .iter()
            .map(|feed| self.fetch_feed(feed, now))
            .collect();
        let mut fetched: Vec<FeedFetch> = futures::stream::iter(fetches)
            .buffered(self.concurrency.max(1))
            .collect()
            .await;
        self.assign_stories(&mut fetched).await;
        let stores: Vec<_> = fetched
            .into_iter()
            .map(|f| self.store_feed(f, now))
            .collect();
        let reports: Vec<FeedReport> = futures::stream::iter(stores)
            .buffered(self.concurrency.max(1))
            .collect()
            .await;
        let mut summary = RunSummary {
            started_at: now,
            duration_ms: elapsed_ms(started),
            feeds_ok: 0,
            feeds_failed: 0,
            items_new: 0,
            items_oversized: 0,
            new_by_category: Category::ALL.iter().map(|c| (*c, 0)).collect(),
            feeds: Vec::new(),
        };
        for report in reports {
            if report.status == FeedStatus::Failed {
                summary.feeds_failed += 1;
            } else {
                summary.feeds_ok += 1;
            }
            summary.items_new += report.items_new;
            summary.items_oversized += report.items_oversized;
            for (category, n) in &report.new_by_category {
                *summary.new_by_category.entry(*category).or_default() += n;
            }
            summary.feeds.push(report);
        }
        summary
    }

    /// Reads a feed's state and fetches and parses it.
    async fn fetch_feed<'a>(&self, feed: &'a FeedConfig, now: Timestamp) -> FeedFetch<'a> {
        let started = Instant::now();
        let mut report = FeedReport {
            feed: feed.name.clone(),
            status: FeedStatus::Failed,
            items_seen: 0,
            items_new: 0,
            items_oversized: 0,
            new_by_category: BTreeMap::new(),
            archived: None,
            retry_after_secs: None,
            error: None,
            duration_ms: 0,
        };
        let (state, outcome) = match self.store.get_feed_state(&feed.name).await {
            Ok(state) => {
                let state = state.unwrap_or_else(|| FeedState {
                    feed: feed.name.clone(),
                    ..FeedState::default()
                });
                let outcome = self.fetch_and_parse(feed, &state, now, &mut report).await;
                (Some(state), outcome)
            }
            Err(err) => (None, Err(format!("reading feed state: {err}"))),
        };
        FeedFetch {
            feed,
            started,
            report,
            state,
            outcome,
        }
    }

    /// Sets the story of every new item of the run (see [`crate::stories`]), against the
    /// items stored around their times. When the store cannot say, each new item starts its
    /// own story: stories never hold up storing.
    async fn assign_stories(&self, fetched: &mut [FeedFetch<'_>]) {
        // Owned before any await: borrowed iterators held across one trip higher-ranked
        // lifetimes when the run is spawned as a task.
        let parsed: Vec<NewsItem> = fetched
            .iter()
            .filter_map(|f| match &f.outcome {
                Ok(Step::Parsed { items, .. }) => Some(items.iter().cloned()),
                _ => None,
            })
            .flatten()
            .collect();
        if parsed.is_empty() {
            return;
        }
        let stories = match self.new_items_stories(parsed).await {
            Ok(assigned) => assigned,
            Err(err) => {
                tracing::warn!(error = %err, "finding stories: each new item starts its own");
                HashMap::new()
            }
        };
        for f in fetched.iter_mut() {
            if let Ok(Step::Parsed { items, .. }) = &mut f.outcome {
                for item in items {
                    let story = stories
                        .get(&item.id)
                        .cloned()
                        .unwrap_or_else(|| item.id.clone());
                    item.story_id = Some(story);
                }
            }
        }
    }

    /// The story ids of the items of `parsed` not stored yet, by item id.
    async fn new_items_stories(
        &self,
        parsed: Vec<NewsItem>,
    ) -> Result<HashMap<String, String>, crate::store::StoreError> {
        let ids: Vec<String> = parsed.iter().map(|i| i.id.clone()).collect();
        let stored = self.store.stored_news_ids(&ids).await?;
        let mut seen = HashSet::new();
        let mut new: Vec<NewsItem> = parsed
            .into_iter()
            .filter(|i| !stored.contains(&i.id) && seen.insert(i.id.clone()))
            .collect();
        let mut candidates = Vec::new();
        for (since, until) in story_windows(&new) {
            candidates.extend(
                self.store
                    .news_between(since, until, MAX_STORY_CANDIDATES)
                    .await?,
            );
        }
        stories::assign(&mut new, &candidates);
        Ok(new
            .into_iter()
            .filter_map(|i| i.story_id.map(|story| (i.id, story)))
            .collect())
    }

    /// Stores a fetched feed's items, archives its body and saves its state.
    async fn store_feed(&self, fetched: FeedFetch<'_>, now: Timestamp) -> FeedReport {
        let FeedFetch {
            feed,
            started,
            mut report,
            state,
            outcome,
        } = fetched;
        let outcome = match outcome {
            Ok(Step::Done(next)) => Ok(next),
            Ok(Step::Parsed { items, body, next }) => {
                self.store_items(feed, items, &body, next, now, &mut report)
                    .await
            }
            Err(message) => Err((message, None)),
        };
        // A hostile feed can make an error quote megabytes (a root element's name, say).
        let outcome = outcome
            .map_err(|(message, counted)| (collapse_and_cap(&message, MAX_ERROR_CHARS), counted));
        let Some(state) = state else {
            report.error = outcome.err().map(|(message, _)| message);
            report.duration_ms = elapsed_ms(started);
            return report;
        };
        let next_state = match outcome {
            Ok(next) if !worth_saving(&state, &next) => None,
            Ok(next) => Some(next),
            Err((message, counted)) => {
                report.status = FeedStatus::Failed;
                report.error = Some(message.clone());
                let failed = attempted(feed, &state, now);
                // Items stored before the failure stay counted: a later run finds them stored.
                let counted = counted.unwrap_or_else(|| failed.clone());
                Some(FeedState {
                    consecutive_failures: state.consecutive_failures + 1,
                    last_error: Some(message),
                    items_stored: counted.items_stored,
                    newest_item_at: counted.newest_item_at,
                    ..failed
                })
            }
        };
        if let Some(next) = next_state {
            if let Err(err) = self.store.put_feed_state(&next).await {
                report.status = FeedStatus::Failed;
                report.error = Some(format!("saving feed state: {err}"));
            }
        }
        report.duration_ms = elapsed_ms(started);
        report
    }

    /// Fetches and parses one feed.
    async fn fetch_and_parse(
        &self,
        feed: &FeedConfig,
        state: &FeedState,
        now: Timestamp,
        report: &mut FeedReport,
    ) -> Result<Step, String> {
        let succeeded = |validators: Validators, body_hash: Option<String>| FeedState {
            etag: validators.etag,
            last_modified: validators.last_modified,
            body_hash,
            last_success_at: Some(now),
            consecutive_failures: 0,
            last_error: None,
            ..attempted(feed, state, now)
        };
        let validators = Validators {
            etag: state.etag.clone(),
            last_modified: state.last_modified.clone(),
        };
        let (body, fresh_validators) = match self.fetch(&feed.url, &validators).await? {
            Fetched::Body(body, fresh) => (body, fresh),
            Fetched::NotModified => {
                report.status = FeedStatus::NotModified;
                return Ok(Step::Done(succeeded(validators, state.body_hash.clone())));
            }
            Fetched::RetryLater(after) => {
                report.status = FeedStatus::Deferred;
                report.retry_after_secs = after;
                return Ok(Step::Done(attempted(feed, state, now)));
            }
        };
        let hash = sha256_hex(&body.bytes);
        if state.body_hash.as_deref() == Some(hash.as_str()) {
            report.status = FeedStatus::Unchanged;
            return Ok(Step::Done(succeeded(fresh_validators, Some(hash))));
        }
        let options = ParseOptions {
            max_bytes: self.max_bytes,
            charset: body.charset.clone(),
            ..ParseOptions::default()
        }
        .read_from(&feed.url);
        // Off the runtime's threads: a large body takes a while, and the other feeds' requests
        // keep being polled (their timeouts run) meanwhile.
        let bytes = body.bytes;
        let (parsed, bytes) = tokio::task::spawn_blocking(move || {
            let parsed = parse_feed(&bytes, &options);
            (parsed, bytes)
        })
        .await
        .map_err(|e| format!("parsing: {e}"))?;
        let parsed = parsed.map_err(|e| format!("parsing: {e}"))?;
        report.items_seen = parsed.items.len();
        report.error = parsed.warning.clone();
        let expires_at = self.retention.map(|keep| (now + keep).timestamp());
        let items: Vec<NewsItem> = parsed
            .items
            .into_iter()
            .map(|item| {
                let found = Mentions::find(&item.title, &item.summary);
                let decision = classify_found(&found);
                let (teams, players) = (found.teams(), found.players());
                let mut news = NewsItem {
                    id: item.id,
                    title: item.title,
                    link: item.link,
                    summary: item.summary,
                    source: feed.source_label().to_owned(),
                    category: decision.category,
                    evidence: decision.evidence,
                    confidence: Some(decision.confidence),
                    teams: Vec::new(),
                    team_evidence: Vec::new(),
                    players: Vec::new(),
                    player_evidence: Vec::new(),
                    story_id: None,
                    published_at: item.published.map(|p| p.trunc_subsecs(0)),
                    fetched_at: now,
                    expires_at,
                };
                news.set_names(teams, players);
                news
            })
            .collect();
        Ok(Step::Parsed {
            items,
            body: bytes,
            next: succeeded(fresh_validators, Some(hash)),
        })
    }

    /// Stores parsed items and archives the body; returns the state to save, or why it failed
    /// and, when the items were stored first, the state that counts them.
    async fn store_items(
        &self,
        feed: &FeedConfig,
        items: Vec<NewsItem>,
        body: &[u8],
        mut next: FeedState,
        now: Timestamp,
        report: &mut FeedReport,
    ) -> Result<FeedState, (String, Option<FeedState>)> {
        let outcome = self
            .store
            .insert_news(&items)
            .await
            .map_err(|e| (format!("storing items: {e}"), None))?;
        let inserted: HashSet<&str> = outcome.inserted.iter().map(String::as_str).collect();
        for item in items.iter().filter(|i| inserted.contains(i.id.as_str())) {
            *report.new_by_category.entry(item.category).or_default() += 1;
            next.newest_item_at = next.newest_item_at.max(Some(item.sort_time()));
        }
        next.items_stored += outcome.inserted.len() as u64;
        report.items_new = outcome.inserted.len();
        report.items_oversized = outcome.oversized.len();
        let archived = archive_raw(self.archive.as_ref(), feed.source_label(), &now, body).await;
        let (key, _) = match archived {
            Ok(done) => done,
            Err(e) => return Err((format!("archiving: {e}"), Some(next))),
        };
        report.archived = Some(key);
        report.status = FeedStatus::Updated;
        Ok(next)
    }

    async fn fetch(&self, url: &str, validators: &Validators) -> Result<Fetched, String> {
        if is_http(url) {
            return self
                .fetcher
                .fetch(url, validators)
                .await
                .map_err(|e| format!("fetching: {e}"));
        }
        let (path, max) = (url.to_owned(), self.max_bytes);
        let bytes = tokio::task::spawn_blocking(move || read_file(&path, max))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("reading: {e}"))?;
        Ok(Fetched::Body(
            Body {
                bytes,
                charset: None,
            },
            Validators::default(),
        ))
    }
}

/// The time windows whose stored items may share a story with `items`: each item's sort time
/// ± [`stories::WINDOW`], overlapping windows merged.
fn story_windows(items: &[NewsItem]) -> Vec<(Timestamp, Timestamp)> {
    let mut times: Vec<Timestamp> = items.iter().map(NewsItem::sort_time).collect();
    times.sort();
    let mut windows: Vec<(Timestamp, Timestamp)> = Vec::new();
    for time in times {
        let (since, until) = (time - stories::WINDOW, time + stories::WINDOW);
        match windows.last_mut() {
            Some(last) if since <= last.1 => last.1 = until,
            _ => windows.push((since, until)),
        }
    }
    windows
}

/// How often an unchanged feed's state is written anyway, so its last success stays visible.
const STATE_HEARTBEAT: chrono::Duration = chrono::Duration::hours(1);

/// A feed's state after an attempt at `now`, before its outcome.
fn attempted(feed: &FeedConfig, state: &FeedState, now: Timestamp) -> FeedState {
    FeedState {
        feed: feed.name.clone(),
        source: Some(feed.source_label().to_owned()),
        last_attempt_at: Some(now),
        ..state.clone()
    }
}

/// Whether `next` differs from `previous` in more than recent attempt and success times:
/// unchanged feeds then cost no write at all.
fn worth_saving(previous: &FeedState, next: &FeedState) -> bool {
    let stale = |before: Option<Timestamp>, now: Option<Timestamp>| match (before, now) {
        (Some(before), Some(now)) => now - before >= STATE_HEARTBEAT,
        (before, now) => before != now,
    };
    stale(previous.last_success_at, next.last_success_at)
        || stale(previous.last_attempt_at, next.last_attempt_at)
        || FeedState {
            last_success_at: next.last_success_at,
            last_attempt_at: next.last_attempt_at,
            ..previous.clone()
        } != *next
}

fn elapsed_ms(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}
