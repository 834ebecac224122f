//! The scheduled events in `events/` through the real ingest handler, on the embedded store.

use shared::store::NewsStore;
use shared::testing;
use shared::testing::emulator::{self, Emulator};
use std::sync::Arc;

fn event(name: &str) -> serde_json::Value {
    let path = format!("{}/../../events/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}")))
        .expect("JSON")
}

#[test]
fn both_schedule_shapes_are_understood() {
    assert_eq!(
        ingest::Trigger::of(&event("ingest-schedule.json")),
        ingest::Trigger::EventBridge {
            id: "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa".into(),
            detail_type: "Scheduled Event".into()
        }
    );
    assert_eq!(
        ingest::Trigger::of(&event("ingest-scheduler-v2.json")),
        ingest::Trigger::Direct
    );
    assert_eq!(
        ingest::Trigger::of(&serde_json::Value::Null),
        ingest::Trigger::Direct
    );
}

async fn scheduled_events_ingest_the_sample_feeds_once(harness: testing::Harness) {
    let (archive, _dir) = testing::local_archive();
    let pipeline = testing::ingest(harness.store.clone(), Arc::new(archive));
    let feeds = testing::sample_feeds();
    let first = ingest::handle(&pipeline, &feeds, &event("ingest-schedule.json"))
        .await
        .expect("run");
    assert_eq!((first.items_new, first.feeds_ok), (28, 2));
    let second = ingest::handle(&pipeline, &feeds, &event("ingest-scheduler-v2.json"))
        .await
        .expect("run");
    assert_eq!(second.items_new, 0, "the same input stores nothing twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_events_on_the_embedded_store() {
    scheduled_events_ingest_the_sample_feeds_once(testing::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_events_on_dynamodb_local_and_s3() {
    let harness = testing::dynamo().await;
    let archive = testing::s3_archive().await;
    let pipeline = testing::ingest(harness.store.clone(), Arc::new(archive));
    let feeds = testing::sample_feeds();
    let first = ingest::handle(&pipeline, &feeds, &event("ingest-schedule.json"))
        .await
        .expect("run");
    assert_eq!((first.items_new, first.feeds_ok), (28, 2));
    assert!(first.feeds.iter().all(|f| f.archived.is_some()));
    let second = ingest::handle(&pipeline, &feeds, &event("ingest-schedule.json"))
        .await
        .expect("run");
    assert_eq!(second.items_new, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_invocation_fails_only_when_every_feed_failed() {
    let harness = testing::sqlite().await;
    let (archive, _dir) = testing::local_archive();
    let pipeline = testing::ingest(harness.store.clone(), Arc::new(archive));
    let mut feeds = testing::sample_feeds();
    feeds[0].url = "/no/such/feed.xml".into();
    let partial = ingest::handle(&pipeline, &feeds, &event("ingest-schedule.json"))
        .await
        .expect("one feed still works");
    assert_eq!((partial.feeds_ok, partial.feeds_failed), (1, 1));
    feeds[1].url = "/no/such/other.xml".into();
    let err = ingest::handle(&pipeline, &feeds, &event("ingest-schedule.json"))
        .await
        .expect_err("all failed");
    assert_eq!(err.to_string(), "all 2 feeds failed");
}

fn event_bytes(name: &str) -> Vec<u8> {
    serde_json::to_vec(&event(name)).expect("JSON")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_under_the_emulator_stores_each_item_once() {
    let store = testing::dynamo_store().await;
    let archive = testing::s3_archive().await;
    let feeds = testing::sample_feeds();
    let binary = std::path::Path::new(env!("CARGO_BIN_EXE_ingest"));
    let function = Emulator::start(binary, emulator::scheduled_env(&store, &archive, &feeds)).await;

    let first = function.invoke(&event_bytes("ingest-schedule.json")).await;
    assert_eq!(
        (
            &first["items_new"],
            &first["feeds_ok"],
            &first["feeds_failed"]
        ),
        (&28.into(), &2.into(), &0.into()),
        "{first}"
    );
    let second = function
        .invoke(&event_bytes("ingest-scheduler-v2.json"))
        .await;
    assert_eq!(second["items_new"], 0, "{second}");
    let page = store
        .list_news(&shared::store::NewsQuery {
            limit: 100,
            ..Default::default()
        })
        .await
        .expect("list the stored news");
    assert_eq!(page.items.len(), 28);
    let log = function.log();
    assert!(
        log.contains("\"items_new\":28"),
        "the EMF line is logged:\n{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_under_the_emulator_reports_an_error_when_every_feed_fails() {
    let store = testing::dynamo_store().await;
    let archive = testing::s3_archive().await;
    let mut feeds = testing::sample_feeds();
    for feed in &mut feeds {
        feed.url = "/no/such/feed.xml".into();
    }
    let binary = std::path::Path::new(env!("CARGO_BIN_EXE_ingest"));
    let function = Emulator::start(binary, emulator::scheduled_env(&store, &archive, &feeds)).await;
    let answer = function.invoke(&event_bytes("ingest-schedule.json")).await;
    assert_eq!(
        answer["errorMessage"], "all 2 feeds failed",
        "a Lambda error, so the failure alarm counts it: {answer}"
    );
}
