//! Delivering alerts: [`HttpSender`] posts one alert (signed, bounded, public addresses only,
//! redirects not followed, 5xx and timeouts retried with backoff) and [`Notifier`] delivers new
//! items to every subscription that wants them, each (subscription, item) at most once: a
//! delivery record is written conditionally before anything is sent, so a replayed batch sends
//! nothing twice. A subscription whose receiver answers 410, or fails
//! [`MAX_CONSECUTIVE_FAILURES`] deliveries in a row, is paused with the reason.

use super::{
    body, signature, Channel, DeliveryAttempt, Outcome, Sender, Subscription, SubscriptionStatus,
    MAX_CONSECUTIVE_FAILURES,
};
use crate::fetch::guard::AddressGuard;
use crate::model::{NewsItem, Timestamp};
use crate::store::{Store, StoreError};
use async_trait::async_trait;
use futures::StreamExt;
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Longest URL a subscription may name, in bytes.
pub const MAX_URL_BYTES: usize = 2_048;

/// How alerts are sent.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// Non-public addresses receivers may have anyway (local development, tests).
    pub allowed_private: Vec<IpAddr>,
    /// Whether `http` URLs are accepted (only with `allowed_private`: a local receiver).
    pub allow_http: bool,
    /// Time limit of one try, connection included.
    pub timeout: Duration,
    /// Tries per alert (the first included).
    pub attempts: u32,
    /// Wait before the second try; it doubles before each further one.
    pub backoff: Duration,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        Self {
            allowed_private: Vec::new(),
            allow_http: false,
            timeout: Duration::from_secs(5),
            attempts: 3,
            backoff: Duration::from_millis(500),
        }
    }
}

impl DeliveryConfig {
    /// Receivers on this machine allowed, over plain HTTP too: `tracker serve
    /// --allow-local-webhooks` and tests.
    pub fn local() -> Self {
        Self {
            allowed_private: vec![
                IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
                IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
            ],
            allow_http: true,
            ..Self::default()
        }
    }
}

/// Sends alerts over HTTPS.
#[derive(Debug, Clone)]
pub struct HttpSender {
    client: reqwest::Client,
    guard: AddressGuard,
    config: DeliveryConfig,
}

impl HttpSender {
    /// A sender: rustls, no redirects, a resolver that drops non-public answers.
    pub fn new(config: DeliveryConfig) -> Result<Self, String> {
        crate::fetch::install_tls_provider();
        let guard = AddressGuard::allowing(&config.allowed_private);
        let client = reqwest::Client::builder()
            .user_agent(concat!(
                "nba-trade-tracker-alerts/",
                env!("CARGO_PKG_VERSION")
            ))
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(Arc::new(guard.clone()))
            // A proxy from the environment would resolve names itself, past the guard.
            .no_proxy()
            .build()
            .map_err(|e| format!("building the alerts HTTP client: {e}"))?;
        Ok(Self {
            client,
            guard,
            config,
        })
    }

    /// One try: its outcome, the status and what went wrong.
    async fn try_once(
        &self,
        url: &reqwest::Url,
        sub: &Subscription,
        delivery_id: &str,
        payload: &[u8],
    ) -> (Outcome, Option<u16>, Option<String>) {
        if let Some(why) = self.guard.refusal(url) {
            return (Outcome::Refused, None, Some(why));
        }
        let timestamp = chrono::Utc::now().timestamp();
        let request = self
            .client
            .post(url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("X-Timestamp", timestamp.to_string())
            .header("X-Signature", signature(&sub.secret, timestamp, payload))
            .header("X-Delivery-Id", delivery_id)
            .body(payload.to_vec());
        match request.send().await {
            Ok(response) => {
                let status = response.status();
                let code = Some(status.as_u16());
                if status.is_success() {
                    (Outcome::Delivered, code, None)
                } else if status.is_server_error() || status.as_u16() == 429 {
                    (Outcome::Failed, code, Some(format!("HTTP {status}")))
                } else if status.is_redirection() {
                    let why = format!("HTTP {status}: redirects are not followed");
                    (Outcome::Rejected, code, Some(why))
                } else {
                    (Outcome::Rejected, code, Some(format!("HTTP {status}")))
                }
            }
            Err(err) => {
                let text = crate::fetch::describe(&err);
                if text.contains("no public address") {
                    (Outcome::Refused, None, Some(text))
                } else {
                    (Outcome::Failed, None, Some(text))
                }
            }
        }
    }
}

#[async_trait]
impl Sender for HttpSender {
    async fn check(&self, channel: &Channel) -> Option<String> {
        if let Channel::Email { .. } = channel {
            return Some("email alerts need the AWS deployment (Amazon SNS)".into());
        }
        let raw = channel.target();
        if raw.len() > MAX_URL_BYTES {
            return Some(format!("the URL is longer than {MAX_URL_BYTES} bytes"));
        }
        let url = match reqwest::Url::parse(raw) {
            Ok(url) => url,
            Err(e) => return Some(format!("not a URL: {e}")),
        };
        let http_allowed = self.config.allow_http && url.scheme() == "http";
        if url.scheme() != "https" && !http_allowed {
            return Some("the URL must be https".into());
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Some("the URL must not carry credentials".into());
        }
        if let Some(why) = self.guard.refusal(&url) {
            return Some(why);
        }
        let Some(host) = url.host_str() else {
            return Some("the URL has no host".into());
        };
        let port = url.port_or_known_default().unwrap_or(443);
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let resolved = tokio::net::lookup_host((host.clone(), port)).await;
        match resolved {
            Ok(addrs) => {
                let addrs: Vec<IpAddr> = addrs.map(|a| a.ip()).collect();
                if addrs.is_empty() {
                    return Some(format!("{host} does not resolve"));
                }
                let refused = addrs.iter().find(|ip| !self.guard.permits(**ip));
                refused.map(|ip| format!("{host} resolves to {ip}, not a public address"))
            }
            Err(e) => Some(format!("{host} does not resolve: {e}")),
        }
    }

    fn longest_send(&self) -> Duration {
        let tries = self.config.attempts.max(1);
        let waits = (0..tries - 1).map(|n| self.config.backoff * 2u32.saturating_pow(n));
        self.config.timeout * tries + waits.sum::<Duration>()
    }

    async fn send(&self, sub: &Subscription, item: &NewsItem, test: bool) -> Vec<DeliveryAttempt> {
        let payload = serde_json::to_vec(&body(sub, item, test)).unwrap_or_default();
        let delivery_id = format!("{}:{}", sub.id, item.id);
        let item_id = if test { "test" } else { item.id.as_str() };
        let mut attempts = Vec::new();
        let url = reqwest::Url::parse(sub.channel.target());
        // A test alert answers its caller: one try, within the API's time limit.
        let tries = if test { 1 } else { self.config.attempts.max(1) };
        for n in 1..=tries {
            let started = Instant::now();
            let at = chrono::Utc::now();
            let (outcome, status, error) = match &url {
                Ok(url) => self.try_once(url, sub, &delivery_id, &payload).await,
                Err(e) => (Outcome::Rejected, None, Some(format!("not a URL: {e}"))),
            };
            attempts.push(DeliveryAttempt {
                subscription_id: sub.id.clone(),
                item_id: item_id.to_owned(),
                attempt: n,
                at,
                outcome,
                status,
                error,
                duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            });
            if outcome != Outcome::Failed || n == tries {
                break;
            }
            tokio::time::sleep(self.config.backoff * 2u32.saturating_pow(n - 1)).await;
        }
        attempts
    }
}

/// What one [`Notifier::notify`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct NotifyReport {
    /// Items looked at.
    pub items: usize,
    /// (subscription, item) pairs that matched.
    pub matched: usize,
    /// Of those, the ones delivered before (a replay): not sent again.
    pub already_delivered: usize,
    /// Of those, the ones whose story was alerted to the subscription within [`STORY_QUIET`]
    /// (the same deal from another source): not sent.
    pub same_story: usize,
    /// Items published more than [`MAX_ALERT_AGE`] before they were stored: they alert nobody.
    pub too_old: usize,
    /// Pairs not sent because this batch's outcomes paused their subscription (a receiver gone,
    /// or failing [`MAX_CONSECUTIVE_FAILURES`] times in a row).
    pub held: usize,
    /// Alerts the receiver accepted.
    pub delivered: usize,
    /// Alerts that were not accepted after every try.
    pub failed: usize,
    /// Subscriptions paused by this run.
    pub paused: Vec<String>,
    /// Items whose delivery records could not be written (the store failed): to retry. What
    /// was claimed is not sent again.
    pub store_failures: Vec<String>,
    /// Items with alerts not started because the deadline was near: to retry. What was sent
    /// is not sent again.
    pub deferred: Vec<String>,
}

/// How long delivery records and attempts are kept.
pub const DELIVERY_RETENTION: chrono::Duration = chrono::Duration::days(30);

/// Most alerts sent at once.
const CONCURRENCY: usize = 16;

/// Time kept beyond an alert's longest send for what follows it before the deadline: its
/// attempts' records, the subscriptions' health and the answer to Lambda.
pub const RECORD_TIME: Duration = Duration::from_secs(10);

/// How long other reports of a story alerted to a subscription stay quiet: the same deal from
/// another source within it is not sent again; a development of it later alerts anew.
pub const STORY_QUIET: chrono::Duration = chrono::Duration::hours(2);

/// Oldest news that alerts: an item published more than this before it was stored (a new
/// feed's backlog, an old item back in its feed after its record expired) alerts nobody.
pub const MAX_ALERT_AGE: chrono::Duration = chrono::Duration::hours(24);

/// Delivers new items to the subscriptions that want them.
#[derive(Clone)]
pub struct Notifier {
    /// Subscriptions, delivery records and attempts (and, for [`Notifier::notify_run`], news).
    pub store: Arc<dyn Store>,
    /// How alerts are sent.
    pub sender: Arc<dyn Sender>,
}

impl Notifier {
    /// Delivers each of `items` to every active subscription that wants it, once. Items the
    /// store failed on are listed in [`NotifyReport::store_failures`] for the caller to retry;
    /// only failing to read the subscriptions is an error.
    pub async fn notify(
        &self,
        items: &[NewsItem],
        now: Timestamp,
    ) -> Result<NotifyReport, StoreError> {
        let subscriptions = self.store.all_subscriptions().await?;
        self.deliver(&subscriptions, items, now, None).await
    }

    /// [`Notifier::notify`] that starts no alert when less than the sender's
    /// [`Sender::longest_send`] and [`RECORD_TIME`] is left before `deadline` (a Lambda's): the items it leaves
    /// are listed in [`NotifyReport::deferred`] for the caller to retry, nothing claimed and
    /// unsent.
    pub async fn notify_before(
        &self,
        items: &[NewsItem],
        now: Timestamp,
        deadline: Instant,
    ) -> Result<NotifyReport, StoreError> {
        let subscriptions = self.store.all_subscriptions().await?;
        self.deliver(&subscriptions, items, now, Some(deadline))
            .await
    }

    /// [`Notifier::notify`] with the subscriptions read already.
    async fn deliver<'a>(
        &self,
        subscriptions: &'a [Subscription],
        items: &'a [NewsItem],
        now: Timestamp,
        deadline: Option<Instant>,
    ) -> Result<NotifyReport, StoreError> {
        let reserve = self.sender.longest_send() + RECORD_TIME;
        let out_of_time = move || deadline.is_some_and(|d| Instant::now() + reserve >= d);
        let fresh: Vec<&NewsItem> = items
            .iter()
            .filter(|item| item.fetched_at - item.sort_time() <= MAX_ALERT_AGE)
            .collect();
        let pairs: Vec<(&Subscription, &NewsItem)> = fresh
            .iter()
            .flat_map(|&item| {
                subscriptions
                    .iter()
                    .filter(|s| s.wants(item))
                    .map(move |s| (s, item))
            })
            .collect();
        let mut report = NotifyReport {
            items: items.len(),
            too_old: items.len() - fresh.len(),
            matched: pairs.len(),
            ..NotifyReport::default()
        };
        let expires_at = (now + DELIVERY_RETENTION).timestamp();
        let quiet_until = (now + STORY_QUIET).timestamp();
        // Each subscription as this batch's outcomes leave it, with those outcomes in the order
        // they came: one they pause (a receiver gone, or failing again and again) is sent
        // nothing more, so it holds no send slot, and its health is written from the same list.
        let health: std::sync::Mutex<BTreeMap<&str, (Subscription, Vec<Last>)>> =
            std::sync::Mutex::new(
                subscriptions
                    .iter()
                    .map(|s| (s.id.as_str(), (s.clone(), Vec::new())))
                    .collect(),
            );
        let paused = |sub: &Subscription| {
            health.lock().is_ok_and(|h| {
                h.get(sub.id.as_str())
                    .is_some_and(|(s, _)| s.status != SubscriptionStatus::Active)
            })
        };
        let learn = |sub: &Subscription, last: &Last| {
            if let Ok(mut h) = health.lock() {
                if let Some((seen, outcomes)) = h.get_mut(sub.id.as_str()) {
                    apply_outcomes(seen, std::slice::from_ref(last));
                    outcomes.push(last.clone());
                }
            }
        };
        let send = |sub: &'a Subscription, item: &'a NewsItem| async move {
            let failed = |err: StoreError| (item.id.as_str(), err);
            if out_of_time() {
                return Ok((sub, item, Pair::Deferred));
            }
            if paused(sub) {
                return Ok((sub, item, Pair::Held));
            }
            // The story first, by this item (which may take its own claim again): a store
            // error between the two claims leaves the item unclaimed, so its retry sends it.
            let story = crate::stories::story_of(item);
            if !self
                .store
                .claim_story(&sub.id, story, &item.id, now.timestamp(), quiet_until)
                .await
                .map_err(failed)?
            {
                return Ok((sub, item, Pair::SameStory));
            }
            if !self
                .store
                .claim_delivery(&sub.id, &item.id, expires_at)
                .await
                .map_err(failed)?
            {
                return Ok((sub, item, Pair::SentBefore));
            }
            let attempts = self.sender.send(sub, item, false).await;
            let Some(last) = attempts
                .last()
                .map(|a| (a.outcome, a.status, a.error.clone()))
            else {
                return Ok((sub, item, Pair::SentBefore));
            };
            learn(sub, &last);
            if last.0 != Outcome::Delivered {
                // Nothing reached the fan: the story's other reports may try.
                let release = self
                    .store
                    .claim_story(&sub.id, story, &item.id, now.timestamp(), now.timestamp())
                    .await;
                if let Err(err) = release {
                    tracing::warn!(subscription = %sub.id, story, error = %err, "releasing a story after a failed alert");
                }
            }
            for attempt in &attempts {
                self.store
                    .record_attempt(attempt, expires_at)
                    .await
                    .map_err(failed)?;
            }
            Ok((sub, item, Pair::Sent(last)))
        };
        // A subscription's reports of one story go one after another, in the batch's order:
        // the first one delivered quiets the others, and one that fails lets the next try.
        let mut by_story: Vec<(&Subscription, Vec<&NewsItem>)> = Vec::new();
        let mut group_of: HashMap<(&str, &str), usize> = HashMap::new();
        for (sub, item) in pairs {
            let key = (sub.id.as_str(), crate::stories::story_of(item));
            let at = *group_of.entry(key).or_insert_with(|| {
                by_story.push((sub, Vec::new()));
                by_story.len() - 1
            });
            by_story[at].1.push(item);
        }
        // Collected first: a lazy `map` inside the stream trips higher-ranked lifetimes when
        // the caller is spawned as a task.
        let sends: Vec<_> = by_story
            .into_iter()
            .map(|(sub, items)| async move {
                let mut done = Vec::with_capacity(items.len());
                for item in items {
                    done.push(send(sub, item).await);
                }
                done
            })
            .collect();
        let results: Vec<_> = futures::stream::iter(sends)
            .buffer_unordered(CONCURRENCY)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .flatten()
            .collect();
        for result in results {
            match result {
                Ok((_, _, Pair::Sent(last))) if last.0 == Outcome::Delivered => {
                    report.delivered += 1;
                }
                Ok((_, _, Pair::Sent(_))) => report.failed += 1,
                Ok((_, _, Pair::SentBefore)) => report.already_delivered += 1,
                Ok((_, _, Pair::SameStory)) => report.same_story += 1,
                Ok((_, _, Pair::Held)) => report.held += 1,
                Ok((_, item, Pair::Deferred)) => add_once(&mut report.deferred, &item.id),
                Err((item, err)) => {
                    tracing::error!(item, error = %err, "recording a delivery: its item is retried");
                    add_once(&mut report.store_failures, item);
                }
            }
        }
        let outcomes: BTreeMap<&str, Vec<Last>> = health
            .into_inner()
            .unwrap_or_default()
            .into_iter()
            .filter(|(_, (_, outcomes))| !outcomes.is_empty())
            .map(|(id, (_, outcomes))| (id, outcomes))
            .collect();
        for sub in subscriptions {
            let Some(outcomes) = outcomes.get(sub.id.as_str()) else {
                continue;
            };
            match self.record_health(sub, outcomes, now).await {
                Ok(true) => report.paused.push(sub.id.clone()),
                Ok(false) => {}
                Err(err) => {
                    tracing::warn!(subscription = %sub.id, error = %err, "recording a subscription's failures")
                }
            }
        }
        Ok(report)
    }

    /// Delivers the items an ingest run stored (`tracker serve`: the same alerts as the
    /// stream does on AWS).
    pub async fn notify_run(
        &self,
        summary: &crate::ingest::RunSummary,
    ) -> Result<NotifyReport, StoreError> {
        if summary.items_new == 0 {
            return Ok(NotifyReport::default());
        }
        let at = summary.started_at;
        let items = self.store.news_fetched_between(at, at).await?;
        self.notify(&items, chrono::Utc::now()).await
    }

    /// Applies delivery outcomes to a subscription's failure count and status; whether it was
    /// paused by them. Retries on a concurrent change.
    async fn record_health(
        &self,
        sub: &Subscription,
        outcomes: &[Last],
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut current = sub.clone();
        for _ in 0..3 {
            let mut next = current.clone();
            apply_outcomes(&mut next, outcomes);
            if next == current {
                return Ok(false);
            }
            next.updated_at = now;
            next.version = current.version + 1;
            match self.store.update_subscription(&next, current.version).await {
                Ok(()) => {
                    return Ok(current.status == SubscriptionStatus::Active
                        && next.status == SubscriptionStatus::Paused)
                }
                Err(StoreError::VersionConflict { .. }) => {
                    match self.store.get_subscription(&sub.owner, &sub.id).await? {
                        Some(fresh) => current = fresh,
                        None => return Ok(false),
                    }
                }
                Err(StoreError::NotFound) => return Ok(false),
                Err(err) => return Err(err),
            }
        }
        Ok(false)
    }
}

/// The last attempt of one alert: outcome, status, error.
type Last = (Outcome, Option<u16>, Option<String>);

/// What became of one (subscription, item) pair.
enum Pair {
    /// Sent now; its last attempt.
    Sent(Last),
    /// Claimed by an earlier run: not sent again.
    SentBefore,
    /// Its story was alerted to the subscription within [`STORY_QUIET`]: not sent.
    SameStory,
    /// Its subscription was paused by this batch's outcomes: not sent.
    Held,
    /// Not started: too little time was left.
    Deferred,
}

/// Adds `id` to `ids` unless it is there.
fn add_once(ids: &mut Vec<String>, id: &str) {
    if !ids.iter().any(|i| i == id) {
        ids.push(id.to_owned());
    }
}

/// A subscription after these outcomes, in order: a success clears the failures; a 410 pauses
/// it; [`MAX_CONSECUTIVE_FAILURES`] failures in a row pause it.
pub fn apply_outcomes(sub: &mut Subscription, outcomes: &[Last]) {
    for (outcome, status, error) in outcomes {
        if *outcome == Outcome::Delivered {
            sub.consecutive_failures = 0;
            continue;
        }
        sub.consecutive_failures += 1;
        if sub.status != SubscriptionStatus::Active {
            continue;
        }
        let why = error.clone().unwrap_or_else(|| format!("{outcome:?}"));
        if *status == Some(410) {
            sub.status = SubscriptionStatus::Paused;
            sub.paused_reason = Some("the receiver answered 410 Gone".into());
        } else if sub.consecutive_failures >= MAX_CONSECUTIVE_FAILURES {
            sub.status = SubscriptionStatus::Paused;
            sub.paused_reason = Some(format!(
                "{} deliveries in a row failed; the last: {why}",
                sub.consecutive_failures
            ));
        }
    }
}
