//! Time from an item stored to its webhook received, locally: each of 300 items is stored,
//! handed to the notifier (as `tracker serve` does after an ingest run, and the notify Lambda
//! for a stream record), and timed until a receiver on 127.0.0.1 has its signed body; on
//! SQLite and on DynamoDB Local, where the capacity units the delivery consumed (subscriptions
//! read, delivery record claimed, attempt recorded) are reported per alert. Run with
//! `cargo bench -p notify --bench alert_latency` (scripts/bench.sh does; it needs
//! TRACKER_TEST_DYNAMODB_URL, set by scripts/test-servers.sh).

use shared::alerts::deliver::{DeliveryConfig, HttpSender, Notifier};
use shared::alerts::{sample_item, subscription, NewSubscription, MAX_SUBSCRIPTIONS};
use shared::model::NewsItem;
use shared::store::Store;
use shared::testing;
use shared::testing::receiver::Receiver;
use std::sync::Arc;
use std::time::Instant;

const ITEMS: usize = 300;

/// The sample alert's item, as a Celtics trade of its own.
fn item(n: usize) -> NewsItem {
    let now = chrono::Utc::now();
    NewsItem {
        id: shared::feed::sha256_hex(format!("latency-{n}-{now}").as_bytes()),
        teams: vec!["BOS".into(), "POR".into()],
        ..sample_item(now)
    }
}

/// Capacity units the store has consumed so far (DynamoDB), or nothing to report.
type Capacity = Option<Box<dyn Fn() -> f64>>;

async fn measure(name: &str, store: Arc<dyn Store>, capacity: Capacity) {
    let receiver = Receiver::start(&[]).await;
    let url = receiver.url("hook");
    let new: NewSubscription = serde_json::from_value(serde_json::json!({
        "filters": {"categories": ["Trade"], "teams": ["BOS"]},
        "channel": {"type": "webhook", "url": url},
    }))
    .expect("valid");
    let owner = "0195f0a2-0000-7000-8000-00000000beef";
    let sub = subscription(owner, new, chrono::Utc::now()).expect("subscription");
    store
        .create_subscription(&sub, MAX_SUBSCRIPTIONS)
        .await
        .expect("subscribe");
    let notifier = Notifier {
        store: store.clone(),
        sender: Arc::new(HttpSender::new(DeliveryConfig::local()).expect("sender")),
    };
    let mut latencies = Vec::with_capacity(ITEMS);
    let mut units = 0.0;
    for n in 0..ITEMS {
        let item = item(n);
        store
            .insert_news(std::slice::from_ref(&item))
            .await
            .expect("store");
        let stored = Instant::now();
        let before = capacity.as_ref().map_or(0.0, |c| c());
        notifier
            .notify(std::slice::from_ref(&item), chrono::Utc::now())
            .await
            .expect("notify");
        units += capacity.as_ref().map_or(0.0, |c| c()) - before;
        let key = format!("{}:{}", sub.id, item.id);
        let received = receiver
            .got("hook")
            .iter()
            .find(|r| r.header("x-delivery-id") == key)
            .map(|r| r.at)
            .expect("received");
        latencies.push(received.duration_since(stored).as_secs_f64() * 1000.0);
    }
    latencies.sort_by(f64::total_cmp);
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
    let per_alert = match capacity {
        Some(_) => format!("{:.2}", units / ITEMS as f64),
        None => "-".to_owned(),
    };
    println!(
        "| {name} | {ITEMS} | {:.2} | {:.2} | {:.2} | {per_alert} |",
        at(0.5),
        at(0.99),
        latencies[latencies.len() - 1]
    );
}

fn main() {
    testing::run_bench(|| async {
        println!(
            "| store | items | p50 ms | p99 ms | max ms | capacity units per alert |\n| --- | --- | --- | --- | --- | --- |"
        );
        let sqlite = testing::sqlite().await;
        measure("SQLite", sqlite.store.clone(), None).await;
        let dynamo = testing::dynamo_store().await;
        let meter = dynamo.clone();
        let capacity: Capacity = Some(Box::new(move || meter.consumed_capacity_units()));
        measure("DynamoDB Local", Arc::new(dynamo), capacity).await;
    });
}
