//! Alert delivery end to end on both stores, against a local receiver that records what it
//! gets: matching, signatures, at most once per (subscription, item) on replays, one alert per
//! story within its quiet window, none for old news, retries of a 500, pausing on 410 and on repeated failures, redirects not followed, and non-public
//! destinations refused when a subscription is created and when an alert is sent.

use chrono::TimeZone;
use shared::alerts::deliver::{DeliveryConfig, HttpSender, Notifier};
use shared::alerts::{
    signature, subscription, Channel, NewSubscription, Outcome, Sender, Subscription,
    SubscriptionStatus, MAX_SUBSCRIPTIONS,
};
use shared::classify::Category;
use shared::model::NewsItem;
use shared::store::Store;
use shared::testing;
use shared::testing::receiver::Receiver;
use std::sync::Arc;
use std::time::Duration;

/// Local receivers allowed, fast retries.
fn local_sender() -> HttpSender {
    HttpSender::new(DeliveryConfig {
        backoff: Duration::from_millis(10),
        timeout: Duration::from_secs(2),
        ..DeliveryConfig::local()
    })
    .expect("sender")
}

fn item(n: u32, title: &str, category: Category, teams: &[&str]) -> NewsItem {
    let at = chrono::Utc
        .with_ymd_and_hms(2026, 11, 30, 12, 0, 0)
        .single()
        .expect("time");
    NewsItem {
        id: shared::feed::sha256_hex(format!("alert-{n}").as_bytes()),
        title: title.into(),
        link: Some(format!("https://example.com/news/{n}")),
        summary: String::new(),
        source: "ESPN".into(),
        category,
        evidence: shared::classify::classify(title, "").evidence,
        confidence: Some(0.95),
        teams: teams.iter().map(|t| (*t).to_owned()).collect(),
        team_evidence: Vec::new(),
        players: Vec::new(),
        player_evidence: Vec::new(),
        story_id: None,
        published_at: Some(at),
        fetched_at: at,
        expires_at: None,
    }
}

/// A stored subscription of `owner` to Celtics trades at `url`.
async fn subscribe(store: &dyn Store, owner: &str, url: String) -> Subscription {
    let new: NewSubscription = serde_json::from_value(serde_json::json!({
        "filters": {"categories": ["Trade"], "teams": ["BOS"]},
        "channel": {"type": "webhook", "url": url},
    }))
    .expect("valid");
    let sub = subscription(owner, new, chrono::Utc::now()).expect("subscription");
    store
        .create_subscription(&sub, MAX_SUBSCRIPTIONS)
        .await
        .expect("create");
    sub
}

async fn delivery(harness: testing::Harness) {
    let store = harness.store.clone();
    let receiver = Receiver::start(&[("flaky", &[500]), ("gone", &[410]), ("moved", &[302])]).await;
    let owner = uuid::Uuid::now_v7().to_string();
    let ok = subscribe(store.as_ref(), &owner, receiver.url("ok")).await;
    let flaky = subscribe(store.as_ref(), &owner, receiver.url("flaky")).await;
    let gone = subscribe(store.as_ref(), &owner, receiver.url("gone")).await;
    let moved = subscribe(store.as_ref(), &owner, receiver.url("moved")).await;
    let notifier = Notifier {
        store: store.clone(),
        sender: Arc::new(local_sender()),
    };
    let items = [
        item(
            1,
            "Celtics trade Jrue Holiday to Trail Blazers",
            Category::Trade,
            &["BOS", "POR"],
        ),
        item(2, "Lakers sign Jaxson Hayes", Category::Signing, &["LAL"]),
        item(3, "Celtics practice report", Category::Other, &["BOS"]),
        item(4, "Knicks trade for a wing", Category::Trade, &["NYK"]),
    ];
    let report = notifier
        .notify(&items, chrono::Utc::now())
        .await
        .expect("notify");
    assert_eq!(
        report.matched, 4,
        "one item, four subscriptions: {report:?}"
    );
    assert_eq!((report.delivered, report.failed), (2, 2), "{report:?}");

    // The Celtics trade, once, signed, with what a receiver needs.
    let got = receiver.got("ok");
    assert_eq!(got.len(), 1);
    let request = &got[0];
    let header = |name: &str| request.header(name).to_owned();
    let timestamp: i64 = header("x-timestamp").parse().expect("timestamp");
    assert!((chrono::Utc::now().timestamp() - timestamp).abs() < 60);
    assert_eq!(
        header("x-signature"),
        signature(&ok.secret, timestamp, &request.body)
    );
    assert_eq!(
        header("x-delivery-id"),
        format!("{}:{}", ok.id, items[0].id)
    );
    let body = request.json();
    assert_eq!(body["event"], "news.item");
    assert_eq!(body["item"]["id"], items[0].id.as_str());
    assert_eq!(
        body["item"]["title"],
        "Celtics trade Jrue Holiday to Trail Blazers"
    );
    assert_eq!(body["item"]["link"], "https://example.com/news/1");
    assert_eq!(body["item"]["category"], "Trade");
    assert_eq!(body["item"]["teams"], serde_json::json!(["BOS", "POR"]));
    assert!(!body["item"]["evidence"]
        .as_array()
        .expect("evidence")
        .is_empty());

    // 500 then 200: delivered on the second try, exactly once more.
    assert_eq!(receiver.got("flaky").len(), 2);
    let attempts = store.list_attempts(&flaky.id, 10).await.expect("attempts");
    let outcomes: Vec<(Outcome, Option<u16>)> =
        attempts.iter().map(|a| (a.outcome, a.status)).collect();
    assert_eq!(
        outcomes,
        [
            (Outcome::Delivered, Some(200)),
            (Outcome::Failed, Some(500))
        ]
    );

    // 410: sent once, never retried, and the subscription is paused with the reason.
    assert_eq!(receiver.got("gone").len(), 1);
    let paused = store
        .get_subscription(&owner, &gone.id)
        .await
        .expect("get")
        .expect("stored");
    assert_eq!(paused.status, SubscriptionStatus::Paused);
    assert_eq!(
        paused.paused_reason.as_deref(),
        Some("the receiver answered 410 Gone")
    );
    assert_eq!(report.paused, std::slice::from_ref(&gone.id));

    // A redirect is not followed: rejected, not retried.
    assert_eq!(receiver.got("moved").len(), 1);
    let moved_attempts = store.list_attempts(&moved.id, 10).await.expect("attempts");
    assert_eq!(moved_attempts.len(), 1);
    assert_eq!(moved_attempts[0].outcome, Outcome::Rejected);

    // A replayed batch sends nothing twice.
    let replay = notifier
        .notify(&items, chrono::Utc::now())
        .await
        .expect("replay");
    // (The failed alert released its story, which its own replay may not take again.)
    assert_eq!(
        (replay.already_delivered, replay.same_story),
        (2, 1),
        "{replay:?}"
    );
    assert_eq!(replay.delivered + replay.failed, 0);
    assert_eq!(receiver.got("ok").len(), 1);
    assert_eq!(receiver.got("flaky").len(), 2);
}

async fn repeated_failures_pause(harness: testing::Harness) {
    let store = harness.store.clone();
    let receiver = Receiver::start(&[("down", &[503; 20])]).await;
    let owner = uuid::Uuid::now_v7().to_string();
    let down = subscribe(store.as_ref(), &owner, receiver.url("down")).await;
    let sender = HttpSender::new(DeliveryConfig {
        attempts: 1,
        ..DeliveryConfig::local()
    })
    .expect("sender");
    let notifier = Notifier {
        store: store.clone(),
        sender: Arc::new(sender),
    };
    let items: Vec<NewsItem> = (10..36)
        .map(|n| {
            item(
                n,
                &format!("Celtics trade number {n}"),
                Category::Trade,
                &["BOS"],
            )
        })
        .collect();
    notifier
        .notify(&items[..4], chrono::Utc::now())
        .await
        .expect("notify");
    let after_four = store
        .get_subscription(&owner, &down.id)
        .await
        .expect("get")
        .expect("stored");
    assert_eq!(
        (after_four.status, after_four.consecutive_failures),
        (SubscriptionStatus::Active, 4)
    );
    // A batch of 20, 16 sent at a time: the fifth failure pauses the subscription, so the sends
    // that start after it are held: every one past the first 16 at least (how many of those 16
    // start before the first failure is learnt depends on scheduling).
    let batch = notifier
        .notify(&items[4..24], chrono::Utc::now())
        .await
        .expect("notify");
    assert_eq!(batch.failed + batch.held, 20, "{batch:?}");
    assert!(batch.failed >= 1 && batch.held >= 4, "{batch:?}");
    let paused = store
        .get_subscription(&owner, &down.id)
        .await
        .expect("get")
        .expect("stored");
    assert_eq!(paused.status, SubscriptionStatus::Paused);
    assert!(
        paused
            .paused_reason
            .as_deref()
            .is_some_and(|r| r.starts_with("5 deliveries in a row failed")),
        "{paused:?}"
    );
    notifier
        .notify(&items[24..], chrono::Utc::now())
        .await
        .expect("notify");
    assert_eq!(
        receiver.got("down").len(),
        4 + batch.failed,
        "nothing goes to a paused subscription"
    );
}

/// One alert per story: the same deal from a second source within the quiet window alerts
/// nobody, a report of it after the window alerts again; old news (a new feed's backlog)
/// alerts nobody.
async fn once_per_story_and_only_news(harness: testing::Harness) {
    let store = harness.store.clone();
    let receiver = Receiver::start(&[]).await;
    let owner = uuid::Uuid::now_v7().to_string();
    subscribe(store.as_ref(), &owner, receiver.url("fan")).await;
    let notifier = Notifier {
        store: store.clone(),
        sender: Arc::new(local_sender()),
    };
    let first = item(
        20,
        "Celtics trade Jrue Holiday to Blazers",
        Category::Trade,
        &["BOS"],
    );
    let story = first.id.clone();
    let report_of_it = |n: u32, title: &str| NewsItem {
        story_id: Some(story.clone()),
        ..item(n, title, Category::Trade, &["BOS", "POR"])
    };
    let second = report_of_it(21, "Blazers acquire Jrue Holiday from Celtics");
    let third = report_of_it(22, "Jrue Holiday dealt to Portland");
    let mut backlog = item(23, "Celtics trade for a center", Category::Trade, &["BOS"]);
    backlog.published_at = Some(backlog.fetched_at - chrono::Duration::days(3));

    let now = chrono::Utc::now();
    let report = notifier
        .notify(&[first.clone(), second.clone(), backlog], now)
        .await
        .expect("notify");
    assert_eq!(
        (report.delivered, report.same_story, report.too_old),
        (1, 1, 1),
        "{report:?}"
    );
    assert_eq!(receiver.got("fan").len(), 1);
    let later = notifier
        .notify(
            std::slice::from_ref(&third),
            now + chrono::Duration::hours(3),
        )
        .await
        .expect("notify");
    assert_eq!(later.delivered, 1, "past the quiet window: {later:?}");
    assert_eq!(receiver.got("fan").len(), 2);

    // An alert that fails releases its story: another report of it may reach the fan.
    let down = subscriber_down_three_times(store.as_ref()).await;
    let (failing, retold) = two_reports(
        24,
        "Celtics trade Al Horford to Warriors",
        "Warriors land Al Horford from Boston",
    );
    let first_try = notifier
        .notify(std::slice::from_ref(&failing), now)
        .await
        .expect("notify");
    assert!(first_try.failed >= 1, "{first_try:?}");
    // A replay of the failed report sends nothing, and quiets the story no more.
    let replay = notifier.notify(&[failing], now).await.expect("replay");
    assert_eq!(replay.delivered + replay.failed, 0, "{replay:?}");
    notifier
        .notify(std::slice::from_ref(&retold), now)
        .await
        .expect("notify");
    let got = down.got("down");
    assert_eq!(got.len(), 4, "three failed tries, then the other report");
    assert_eq!(got[3].json()["item"]["id"], retold.id.as_str());

    // Two reports of one story in one batch go one after the other: the first fails, so the
    // second is sent.
    let flaky = subscriber_down_three_times(store.as_ref()).await;
    let (lead, follow) = two_reports(
        26,
        "Celtics trade Derrick White to Spurs",
        "Spurs land Derrick White from Celtics",
    );
    notifier
        .notify(&[lead, follow.clone()], now)
        .await
        .expect("notify");
    let got = flaky.got("down");
    assert_eq!(
        got.len(),
        4,
        "three failed tries, then the batch's other report"
    );
    assert_eq!(got[3].json()["item"]["id"], follow.id.as_str());
}

/// A Celtics trade report, and another report of its story (the same deal from elsewhere).
fn two_reports(n: u32, first: &str, second: &str) -> (NewsItem, NewsItem) {
    let lead = item(n, first, Category::Trade, &["BOS"]);
    let follow = NewsItem {
        story_id: Some(lead.id.clone()),
        ..item(n + 1, second, Category::Trade, &["BOS"])
    };
    (lead, follow)
}

/// A new subscriber to Celtics trades whose receiver (path `down`) fails its first three
/// requests.
async fn subscriber_down_three_times(store: &dyn Store) -> Receiver {
    let receiver = Receiver::start(&[("down", &[503, 503, 503])]).await;
    subscribe(
        store,
        &uuid::Uuid::now_v7().to_string(),
        receiver.url("down"),
    )
    .await;
    receiver
}

/// A store error on either claim (the story's, the item's) loses no alert: the item is
/// reported for retry, and the retry sends it.
async fn a_failed_claim_is_retried(marker: &'static str) {
    use shared::testing::faults::{FailFirstPut, Fault};
    let fault = FailFirstPut::new(marker, Fault::Refuse);
    let store: Arc<dyn Store> = Arc::new(testing::intercepted_dynamo_store(fault.clone()).await);
    let receiver = Receiver::start(&[]).await;
    subscribe(
        store.as_ref(),
        &uuid::Uuid::now_v7().to_string(),
        receiver.url("fan"),
    )
    .await;
    let notifier = Notifier {
        store: store.clone(),
        sender: Arc::new(local_sender()),
    };
    let news = [item(
        30,
        "Celtics trade for a guard",
        Category::Trade,
        &["BOS"],
    )];
    let now = chrono::Utc::now();
    let first = notifier.notify(&news, now).await.expect("notify");
    assert!(fault.fired(), "{marker}");
    assert_eq!(
        first.store_failures,
        [news[0].id.clone()],
        "{marker}: {first:?}"
    );
    let retry = notifier.notify(&news, now).await.expect("notify");
    assert_eq!(retry.delivered, 1, "{marker}: {retry:?}");
    assert_eq!(receiver.got("fan").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_story_claim_is_retried() {
    a_failed_claim_is_retried("story#").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_item_claim_is_retried() {
    a_failed_claim_is_retried("item#").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivery_on_sqlite() {
    delivery(testing::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivery_on_dynamodb() {
    delivery(testing::dynamo().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_failures_pause_on_sqlite() {
    repeated_failures_pause(testing::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_failures_pause_on_dynamodb() {
    repeated_failures_pause(testing::dynamo().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loopback_private_and_metadata_destinations_are_refused() {
    let sender = HttpSender::new(DeliveryConfig::default()).expect("sender");
    let webhook = |url: &str| Channel::Webhook { url: url.into() };
    for url in [
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/hook",
        "https://10.0.0.8/hook",
        "https://[fd00:ec2::254]/hook",
        "http://example.com/hook",
        "https://user:pass@example.com/hook",
        "ftp://example.com/hook",
    ] {
        assert!(
            sender.check(&webhook(url)).await.is_some(),
            "{url} accepted"
        );
    }

    // A subscription stored pointing at loopback (as if DNS changed after it was created) is
    // refused when an alert is sent: nothing reaches the receiver.
    let receiver = Receiver::start(&[]).await;
    let harness = testing::sqlite().await;
    let owner = uuid::Uuid::now_v7().to_string();
    let url = receiver.url("ok").replace("http://", "https://");
    let sub = subscribe(harness.store.as_ref(), &owner, url).await;
    let attempts = sender
        .send(
            &sub,
            &item(1, "Celtics trade", Category::Trade, &["BOS"]),
            false,
        )
        .await;
    assert_eq!(attempts.len(), 1, "refusals are not retried");
    assert_eq!(attempts[0].outcome, Outcome::Refused);
    assert!(receiver.got("ok").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn once_per_story_on_sqlite() {
    once_per_story_and_only_news(testing::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn once_per_story_on_dynamodb() {
    once_per_story_and_only_news(testing::dynamo().await).await;
}
