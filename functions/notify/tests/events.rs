//! The notify Lambda on `events/notify-stream.json` (a news item, a team link and a feed-state
//! change): in-process against DynamoDB Local and a local receiver (delivered once, a replay
//! sends nothing, a store failure reports the batch for retry), and the binary under AWS's
//! Lambda emulator, which refuses a loopback receiver as deployed.

use shared::alerts::deliver::{DeliveryConfig, HttpSender, Notifier};
use shared::alerts::{subscription, NewSubscription, Outcome, Subscription, MAX_SUBSCRIPTIONS};
use shared::store::dynamo::DynamoStore;
use shared::store::schema::TableNames;
use shared::store::AlertStore;
use shared::testing::receiver::Receiver;
use shared::testing::{self, emulator};
use std::sync::Arc;
use std::time::{Duration, Instant};

const EVENT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../events/notify-stream.json"
);

fn event() -> aws_lambda_events::dynamodb::Event {
    serde_json::from_str(&std::fs::read_to_string(EVENT).expect("event")).expect("a stream event")
}

async fn subscribe(store: &dyn AlertStore, url: &str, teams: &[&str]) -> Subscription {
    let new: NewSubscription = serde_json::from_value(serde_json::json!({
        "filters": {"categories": ["Trade"], "teams": teams},
        "channel": {"type": "webhook", "url": url},
    }))
    .expect("valid");
    let owner = uuid_like();
    let sub = subscription(&owner, new, chrono::Utc::now()).expect("subscription");
    store
        .create_subscription(&sub, MAX_SUBSCRIPTIONS)
        .await
        .expect("create");
    sub
}

fn uuid_like() -> String {
    format!(
        "0195f0a2-0000-7000-8000-{:012x}",
        chrono::Utc::now().timestamp_subsec_nanos()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_batch_alerts_once_and_a_replay_sends_nothing() {
    let store = Arc::new(testing::dynamo_store().await);
    let receiver = Receiver::start(&[]).await;
    let url = receiver.url("hook");
    let celtics = subscribe(store.as_ref(), &url, &["BOS"]).await;
    subscribe(store.as_ref(), &url, &["LAL"]).await;
    let notifier = Notifier {
        store: store.clone(),
        sender: Arc::new(HttpSender::new(DeliveryConfig::local()).expect("sender")),
    };
    let event = event();
    assert_eq!(event.records.len(), 3);
    let news: Vec<_> = event
        .records
        .iter()
        .filter_map(notify::inserted_news)
        .collect();
    assert_eq!(news.len(), 1, "only the news item's INSERT is news");
    assert_eq!(news[0].teams, ["BOS", "POR"]);

    let response = notify::handle(&notifier, &event, ample()).await;
    assert!(response.batch_item_failures.is_empty());
    let got = receiver.got("hook");
    assert_eq!(got.len(), 1, "the Celtics subscription only: {got:?}");
    let body = got[0].json();
    assert_eq!(body["item"]["title"], news[0].title.as_str());
    assert_eq!(body["subscription_id"], celtics.id.as_str());

    let replay = notify::handle(&notifier, &event, ample()).await;
    assert!(replay.batch_item_failures.is_empty());
    assert_eq!(
        receiver.got("hook").len(),
        1,
        "a replayed batch sends nothing twice"
    );
}

/// A deadline no batch here comes near.
fn ample() -> Instant {
    Instant::now() + Duration::from_secs(600)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_out_of_time_sends_nothing_and_is_retried_for_its_alerts() {
    let store = Arc::new(testing::dynamo_store().await);
    let receiver = Receiver::start(&[]).await;
    subscribe(store.as_ref(), &receiver.url("hook"), &["BOS"]).await;
    let notifier = Notifier {
        store: store.clone(),
        sender: Arc::new(HttpSender::new(DeliveryConfig::local()).expect("sender")),
    };
    let event = event();
    // Less time left than one alert and its records may take: nothing is claimed, the news
    // record is retried.
    let short = Instant::now() + notifier.sender.longest_send() + Duration::from_secs(5);
    let response = notify::handle(&notifier, &event, short).await;
    let failed: Vec<Option<String>> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    assert_eq!(failed, [Some("100000000000000000001".to_owned())]);
    assert!(receiver.got("hook").is_empty());

    let retry = notify::handle(&notifier, &event, ample()).await;
    assert!(retry.batch_item_failures.is_empty());
    assert_eq!(receiver.got("hook").len(), 1, "the retry sends the alert");
}

#[test]
fn the_deadline_is_read_from_epoch_milliseconds() {
    let now = std::time::UNIX_EPOCH + Duration::from_secs(1_000);
    let soon = notify::deadline(1_005_000, now);
    let left = soon.saturating_duration_since(Instant::now());
    assert!(
        left <= Duration::from_secs(5) && left > Duration::from_secs(4),
        "{left:?}"
    );
    let past = notify::deadline(999_000, now);
    assert!(past <= Instant::now());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_failure_reports_the_batch_for_retry() {
    let client = aws_sdk_dynamodb::Client::new(&testing::local_config(
        &std::env::var(testing::DYNAMODB_ENV).expect("DynamoDB Local"),
    ));
    let store = DynamoStore::new(client, TableNames::prefixed("no-such-tables"));
    let notifier = Notifier {
        store: Arc::new(store),
        sender: Arc::new(HttpSender::new(DeliveryConfig::local()).expect("sender")),
    };
    let response = notify::handle(&notifier, &event(), ample()).await;
    let failed: Vec<Option<String>> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    assert_eq!(
        failed,
        [
            Some("100000000000000000001".to_owned()),
            Some("200000000000000000001".to_owned()),
            Some("300000000000000000001".to_owned()),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_under_the_emulator_refuses_a_loopback_receiver() {
    let store = testing::dynamo_store().await;
    let receiver = Receiver::start(&[]).await;
    let sub = subscribe(
        &store,
        &receiver.url("hook").replace("http://", "https://"),
        &["BOS"],
    )
    .await;
    let mut env = emulator::local_aws_env();
    env.extend(emulator::table_env(store.tables()));
    let binary = std::path::Path::new(env!("CARGO_BIN_EXE_notify"));
    let function = emulator::Emulator::start(binary, env).await;
    let response = function.invoke(&std::fs::read(EVENT).expect("event")).await;
    assert_eq!(
        response["batchItemFailures"],
        serde_json::json!([]),
        "{response}\n{}",
        function.log()
    );
    assert!(receiver.got("hook").is_empty());
    let attempts = store.list_attempts(&sub.id, 10).await.expect("attempts");
    assert_eq!(attempts.len(), 1, "{}", function.log());
    assert_eq!(attempts[0].outcome, Outcome::Refused);
}
