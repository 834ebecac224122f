//! Alerts: a signed-in user's subscriptions (filters and a channel) and what is delivered to
//! them. The domain lives here: parsing a new subscription, which items match it, the bodies
//! each channel receives and the webhook signature. Sending is [`deliver`] (feature `http`).
//!
//! A webhook body is signed with the subscription's secret (returned once, at creation):
//! `X-Signature: sha256=<hex HMAC-SHA256 of "<X-Timestamp>.<body>">`, with `X-Timestamp` the
//! Unix seconds of the send, so a receiver checks both and refuses old timestamps (replays).

#[cfg(feature = "http")]
pub mod deliver;
#[cfg(all(feature = "http", feature = "sns"))]
pub mod email;

use crate::classify::Category;
use crate::model::time::{rfc3339, Timestamp};
use crate::model::{NewsItem, ValidationError};
use crate::teams::TeamCode;
use async_trait::async_trait;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};

/// Most subscriptions a user may hold.
pub const MAX_SUBSCRIPTIONS: usize = 20;
/// Most teams, and most players, one subscription may name.
pub const MAX_FILTER_VALUES: usize = 10;
/// The confidence an item needs by default: the probability a Trade decision needs anyway
/// ([`crate::classify::TRADE_MIN`]), so Signing and Other items are held to it too.
pub const DEFAULT_MIN_CONFIDENCE: f32 = 0.8;
/// Deliveries in a row that may fail before a subscription is paused.
pub const MAX_CONSECUTIVE_FAILURES: u32 = 5;

/// Which items a subscription wants; an empty list means any.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Filters {
    /// Only these categories.
    #[serde(default)]
    pub categories: Vec<Category>,
    /// Only items about one of these teams (codes of `GET /teams`).
    #[serde(default)]
    pub teams: Vec<String>,
    /// Only items naming one of these players (full names as `players` on items writes them).
    #[serde(default)]
    pub players: Vec<String>,
    /// Only items classified with at least this confidence (0 to 1).
    #[serde(default = "default_min_confidence")]
    pub min_confidence: f32,
}

fn default_min_confidence() -> f32 {
    DEFAULT_MIN_CONFIDENCE
}

impl Filters {
    /// Checks and normalises filters: known categories, team codes and roster players, at most
    /// [`MAX_FILTER_VALUES`] of each, a confidence within 0..=1.
    pub fn parse(mut self) -> Result<Self, ValidationError> {
        let too_many = |field: &'static str, n: usize| {
            (n > MAX_FILTER_VALUES).then(|| {
                ValidationError::new(field, format!("at most {MAX_FILTER_VALUES}, got {n}"))
            })
        };
        if let Some(err) = too_many("filters.teams", self.teams.len())
            .or_else(|| too_many("filters.players", self.players.len()))
        {
            return Err(err);
        }
        self.teams = self
            .teams
            .iter()
            .map(|t| t.parse::<TeamCode>().map(|c| c.as_str().to_owned()))
            .collect::<Result<_, _>>()
            .map_err(|e| ValidationError::new("filters.teams", e.to_string()))?;
        self.players = self
            .players
            .iter()
            .map(|p| {
                crate::players::roster_name(p)
                    .map(str::to_owned)
                    .ok_or_else(|| {
                        ValidationError::new(
                            "filters.players",
                            format!("{p:?} is not a player of the roster"),
                        )
                    })
            })
            .collect::<Result<_, _>>()?;
        if !(0.0..=1.0).contains(&self.min_confidence) {
            return Err(ValidationError::new(
                "filters.min_confidence",
                "must be within 0 and 1",
            ));
        }
        for list in [&mut self.teams, &mut self.players] {
            list.sort();
            list.dedup();
        }
        self.categories.sort();
        self.categories.dedup();
        Ok(self)
    }

    /// Whether `item` passes the filters.
    pub fn matches(&self, item: &NewsItem) -> bool {
        let any_of = |wanted: &[String], have: &[String]| {
            wanted.is_empty() || wanted.iter().any(|w| have.contains(w))
        };
        (self.categories.is_empty() || self.categories.contains(&item.category))
            && any_of(&self.teams, &item.teams)
            && any_of(&self.players, &item.players)
            && item.confidence.unwrap_or(1.0) >= self.min_confidence
    }
}

/// Where alerts go, and in which format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Channel {
    /// A JSON body signed with the subscription's secret.
    Webhook {
        /// An `https` URL.
        url: String,
    },
    /// A Slack incoming webhook (`{"text"}`).
    Slack {
        /// An `https` URL.
        url: String,
    },
    /// A Discord webhook (`{"content"}`, mentions disabled).
    Discord {
        /// An `https` URL.
        url: String,
    },
    /// Email through Amazon SNS (on AWS only): SNS asks the address to confirm first and sends
    /// it nothing until it does.
    Email {
        /// The address.
        address: String,
    },
}

impl Channel {
    /// Where alerts go: the URL, or the email address.
    pub fn target(&self) -> &str {
        match self {
            Channel::Webhook { url } | Channel::Slack { url } | Channel::Discord { url } => url,
            Channel::Email { address } => address,
        }
    }
}

/// Whether a subscription receives alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionStatus {
    /// Alerts are delivered.
    Active,
    /// Nothing is delivered until the owner resumes it (see `paused_reason`).
    Paused,
}

/// A subscription as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subscription {
    /// Its id (a UUID).
    pub id: String,
    /// The user who owns it.
    pub owner: String,
    /// Which items it wants.
    pub filters: Filters,
    /// Where they go.
    pub channel: Channel,
    /// The webhook signing secret (64 hex digits); never shown after creation.
    pub secret: String,
    /// Active or paused.
    pub status: SubscriptionStatus,
    /// Why it was paused, when the product paused it.
    #[serde(default)]
    pub paused_reason: Option<String>,
    /// Deliveries that failed in a row.
    #[serde(default)]
    pub consecutive_failures: u32,
    /// The SNS topic of an email subscription (see [`Sender::enroll`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_topic: Option<String>,
    /// Creation time.
    #[serde(with = "rfc3339")]
    pub created_at: Timestamp,
    /// Last change.
    #[serde(with = "rfc3339")]
    pub updated_at: Timestamp,
    /// Optimistic version, from 1.
    pub version: u64,
}

/// A subscription as the API shows it (no secret).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SubscriptionView {
    /// Its id.
    pub id: String,
    /// Which items it wants.
    pub filters: Filters,
    /// Where they go.
    pub channel: Channel,
    /// Active or paused.
    pub status: SubscriptionStatus,
    /// Why it was paused, when the product paused it.
    pub paused_reason: Option<String>,
    /// Deliveries that failed in a row.
    pub consecutive_failures: u32,
    /// Creation time.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
    /// Send it back with a change.
    pub version: u64,
    /// The signing secret: present only in the answer that created the subscription.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl Subscription {
    /// The API's view, without the secret.
    pub fn view(&self) -> SubscriptionView {
        SubscriptionView {
            id: self.id.clone(),
            filters: self.filters.clone(),
            channel: self.channel.clone(),
            status: self.status,
            paused_reason: self.paused_reason.clone(),
            consecutive_failures: self.consecutive_failures,
            created_at: crate::model::format_timestamp(&self.created_at),
            updated_at: crate::model::format_timestamp(&self.updated_at),
            version: self.version,
            secret: None,
        }
    }

    /// Whether it should receive `item`.
    pub fn wants(&self, item: &NewsItem) -> bool {
        self.status == SubscriptionStatus::Active && self.filters.matches(item)
    }
}

/// The body of `POST /users/me/subscriptions`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSubscription {
    /// Which items (every field optional).
    #[serde(default = "no_filters")]
    pub filters: Filters,
    /// Where they go.
    pub channel: Channel,
}

fn no_filters() -> Filters {
    Filters {
        categories: Vec::new(),
        teams: Vec::new(),
        players: Vec::new(),
        min_confidence: DEFAULT_MIN_CONFIDENCE,
    }
}

/// The body of `PATCH /users/me/subscriptions/{id}`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionUpdate {
    /// The version read.
    pub version: u64,
    /// New filters (replacing the old ones).
    #[serde(default)]
    pub filters: Option<Filters>,
    /// A new channel.
    #[serde(default)]
    pub channel: Option<Channel>,
    /// `active` resumes a paused subscription (and clears its failures); `paused` pauses it.
    #[serde(default)]
    pub status: Option<SubscriptionStatus>,
}

/// How a delivery attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A 2xx answer.
    Delivered,
    /// A 4xx answer: not retried.
    Rejected,
    /// A 5xx answer, a timeout or a transport error: retried with backoff.
    Failed,
    /// The URL leads to an address alerts may not reach: not sent.
    Refused,
}

/// One attempt to deliver an item (or a test alert) to a subscription.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DeliveryAttempt {
    /// The subscription.
    pub subscription_id: String,
    /// The item (`test` for a test alert).
    pub item_id: String,
    /// 1 for the first try.
    pub attempt: u32,
    /// When it was sent.
    #[serde(with = "rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// How it ended.
    pub outcome: Outcome,
    /// The receiver's HTTP status, when it answered.
    pub status: Option<u16>,
    /// What went wrong, when something did.
    pub error: Option<String>,
    /// Wall time of the attempt.
    pub duration_ms: u64,
}

impl DeliveryAttempt {
    /// Its place in a subscription's attempts: by time (to the microsecond), then item and try.
    pub fn sort_key(&self) -> String {
        format!(
            "{}#{}#{}",
            self.at.format("%Y-%m-%dT%H:%M:%S%.6fZ"),
            self.item_id,
            self.attempt
        )
    }
}

/// The JSON body a generic webhook receives.
#[derive(Debug, Clone, Serialize)]
pub struct WebhookBody<'a> {
    /// `news.item`, or `test` for a test alert.
    pub event: &'static str,
    /// `<subscription id>:<item id>`: the same on every retry, so a receiver can drop repeats.
    pub delivery_id: String,
    /// The subscription.
    pub subscription_id: &'a str,
    /// The item.
    pub item: AlertItem<'a>,
}

/// What an alert says about an item.
#[derive(Debug, Clone, Serialize)]
pub struct AlertItem<'a> {
    /// The item id.
    pub id: &'a str,
    /// Headline.
    pub title: &'a str,
    /// Article link.
    pub link: Option<&'a str>,
    /// Trade, Signing or Other.
    pub category: Category,
    /// The classifier's confidence.
    pub confidence: Option<f32>,
    /// Team codes.
    pub teams: &'a [String],
    /// Player names.
    pub players: &'a [String],
    /// Why it got its category.
    pub evidence: &'a [crate::classify::Evidence],
    /// Who reported it.
    pub source: &'a str,
    /// When it was published, if known.
    pub published_at: Option<String>,
    /// The story it reports (see [`crate::stories`]): a subscription gets one alert per story
    /// within [`deliver::STORY_QUIET`].
    pub story_id: &'a str,
}

impl<'a> AlertItem<'a> {
    /// The alert's view of `item`.
    pub fn of(item: &'a NewsItem) -> Self {
        Self {
            id: &item.id,
            title: &item.title,
            link: item.link.as_deref(),
            category: item.category,
            confidence: item.confidence,
            teams: &item.teams,
            players: &item.players,
            evidence: &item.evidence,
            source: &item.source,
            published_at: item
                .published_at
                .as_ref()
                .map(crate::model::format_timestamp),
            story_id: crate::stories::story_of(item),
        }
    }
}

/// The body `channel` receives for `item` (`test`: a test alert).
pub fn body(sub: &Subscription, item: &NewsItem, test: bool) -> serde_json::Value {
    let teams = if item.teams.is_empty() {
        String::new()
    } else {
        format!(" · {}", item.teams.join(", "))
    };
    let prefix = if test { "[test] " } else { "" };
    match &sub.channel {
        Channel::Webhook { .. } => serde_json::to_value(WebhookBody {
            event: if test { "test" } else { "news.item" },
            delivery_id: format!("{}:{}", sub.id, item.id),
            subscription_id: &sub.id,
            item: AlertItem::of(item),
        })
        .unwrap_or_default(),
        Channel::Slack { .. } => {
            let title = slack_escape(&item.title);
            let headline = match item.link.as_deref() {
                Some(link) => format!("<{}|{title}>", slack_escape(link).replace('|', "%7C")),
                None => title,
            };
            serde_json::json!({
                "text": format!("{prefix}*{}*{teams}: {headline} ({})", item.category, slack_escape(&item.source)),
            })
        }
        Channel::Discord { .. } => {
            let link = item
                .link
                .as_deref()
                .map(|l| format!(" <{l}>"))
                .unwrap_or_default();
            serde_json::json!({
                "content": format!("{prefix}**{}**{teams}: {} ({}){link}", item.category,
                                   discord_escape(&item.title), discord_escape(&item.source)),
                "allowed_mentions": {"parse": []},
            })
        }
        Channel::Email { .. } => {
            let (subject, text) = email(item, test);
            serde_json::json!({"subject": subject, "text": text})
        }
    }
}

/// Longest email subject SNS accepts, in characters.
const MAX_SUBJECT_CHARS: usize = 100;

/// An email alert's subject (printable ASCII, at most 100 characters, as SNS requires) and
/// plain text.
pub fn email(item: &NewsItem, test: bool) -> (String, String) {
    let teams = if item.teams.is_empty() {
        String::new()
    } else {
        format!(" ({})", item.teams.join(", "))
    };
    let prefix = if test { "[test] " } else { "" };
    let subject: String = format!("{prefix}{}{teams}: {}", item.category, item.title)
        .chars()
        .map(|c| if c.is_ascii_graphic() { c } else { ' ' })
        .take(MAX_SUBJECT_CHARS)
        .collect();
    let mut text = format!("{}\n\n{}\n", item.title, item.summary);
    if let Some(link) = &item.link {
        text.push_str(&format!("\n{link}\n"));
    }
    text.push_str(&format!(
        "\n{} · reported by {}{teams}\n\nYou get this because you subscribed on NBA Trade Tracker; \
         pause or delete the subscription there to stop.\n",
        item.category, item.source
    ));
    (subject.trim().to_owned(), text)
}

/// Discord's markdown characters, escaped (a headline must not become a link or formatting).
fn discord_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '*' | '_' | '~' | '`' | '|' | '>' | '[' | ']' | '(' | ')' | '#' | '-' | '<'
        ) {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// Slack's three control characters, escaped (a headline must not become a link or mention).
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// `sha256=<hex>`: the HMAC-SHA256 of `<timestamp>.<body>` under `secret`.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// A new signing secret: 32 random bytes, hex.
pub fn new_secret() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// A new subscription of `owner` from a request whose channel was checked
/// ([`Sender::check`]).
pub fn subscription(
    owner: &str,
    new: NewSubscription,
    now: Timestamp,
) -> Result<Subscription, ValidationError> {
    Ok(Subscription {
        id: uuid::Uuid::now_v7().to_string(),
        owner: owner.to_owned(),
        filters: new.filters.parse()?,
        channel: new.channel,
        secret: new_secret(),
        status: SubscriptionStatus::Active,
        paused_reason: None,
        consecutive_failures: 0,
        email_topic: None,
        created_at: now,
        updated_at: now,
        version: 1,
    })
}

/// The item a test alert carries (its id, `test-<epoch ms>`, is new each time, so each test
/// alert has its own delivery id).
pub fn sample_item(now: Timestamp) -> NewsItem {
    NewsItem {
        id: format!("test-{}", now.timestamp_millis()),
        title: "Test alert from NBA Trade Tracker: your subscription works".into(),
        link: None,
        summary: "A sample alert, sent because you asked for one.".into(),
        source: "NBA Trade Tracker".into(),
        category: Category::Trade,
        evidence: Vec::new(),
        confidence: Some(1.0),
        teams: Vec::new(),
        team_evidence: Vec::new(),
        players: Vec::new(),
        player_evidence: Vec::new(),
        story_id: None,
        published_at: Some(now),
        fetched_at: now,
        expires_at: None,
    }
}

/// Sends alerts: the HTTP implementation is [`deliver::HttpSender`] (feature `http`).
#[async_trait]
pub trait Sender: Send + Sync {
    /// Why alerts may not go to `channel`'s URL (scheme, length, an address that is not
    /// public, a name that does not resolve), or `None`.
    async fn check(&self, channel: &Channel) -> Option<String>;
    /// Prepares what a new or changed channel needs before alerts can go to it (an email
    /// subscription's SNS topic, recorded on `sub`); the error says why it could not.
    async fn enroll(&self, _sub: &mut Subscription) -> Result<(), String> {
        Ok(())
    }
    /// Undoes [`Sender::enroll`] for a subscription deleted or moved to another channel.
    async fn retire(&self, _sub: &Subscription) {}
    /// Sends `item` to `sub`, retrying 5xx answers and timeouts with backoff (a test alert,
    /// `test`, is tried once: its caller waits); one attempt per try, the last one last.
    async fn send(&self, sub: &Subscription, item: &NewsItem, test: bool) -> Vec<DeliveryAttempt>;
    /// The longest one [`Sender::send`] can take, every try and wait included: a notifier
    /// starts no alert with less time than this left before its deadline.
    fn longest_send(&self) -> std::time::Duration;
}

#[cfg(test)]
mod tests;
