//! The maintenance job: its schedule event through the handler, and its report on fixed data.

use chrono::TimeZone;
use shared::archive::Archive;
use shared::testing;
use shared::testing::emulator::{self, Emulator};
use std::sync::Arc;

/// The sample feeds (items published 2026-11-20) ingested at `at`.
async fn seeded(
    at: chrono::DateTime<chrono::Utc>,
) -> (
    testing::Harness,
    shared::archive::LocalArchive,
    tempfile::TempDir,
) {
    let harness = testing::sqlite().await;
    let (archive, dir) = testing::local_archive();
    let pipeline = testing::ingest(harness.store.clone(), Arc::new(archive.clone()));
    let summary = pipeline.run(&testing::sample_feeds(), at).await;
    assert_eq!(summary.feeds_failed, 0);
    (harness, archive, dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_schedule_event_runs_the_job() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../events/maintenance-schedule.json"
    );
    let _event: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("event")).expect("JSON");
    let (harness, archive, _dir) = seeded(chrono::Utc::now()).await;
    let report = maintenance::handle(harness.store.as_ref(), &archive, &testing::sample_feeds())
        .await
        .expect("runs");
    assert_eq!(report.feeds.len(), 2);
    assert!(archive.exists(&report.export_key).await.expect("exists"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_the_previous_day_and_reports_freshness() {
    let ingested = chrono::Utc
        .with_ymd_and_hms(2026, 11, 20, 12, 0, 0)
        .single()
        .expect("time");
    let (harness, archive, _dir) = seeded(ingested).await;
    let now = chrono::Utc
        .with_ymd_and_hms(2026, 11, 21, 6, 0, 0)
        .single()
        .expect("time");
    let report = shared::maintenance::run(
        harness.store.as_ref(),
        &archive,
        &testing::sample_feeds(),
        now,
        24,
    )
    .await
    .expect("runs");
    assert_eq!(report.export_date.to_string(), "2026-11-20");
    assert_eq!(
        report.exported_items, 28,
        "every sample item was first stored on 2026-11-20"
    );
    let body = archive
        .get(&report.export_key)
        .await
        .expect("get")
        .expect("written");
    assert_eq!(String::from_utf8(body).expect("utf-8").lines().count(), 28);
    assert!(
        report.uncertain_items < report.exported_items / 4,
        "{}",
        report.uncertain_items
    );
    assert!(report.feeds.iter().all(|f| f.fresh), "{report:?}");

    let later = now + chrono::Duration::days(10);
    let stale = shared::maintenance::run(
        harness.store.as_ref(),
        &archive,
        &testing::sample_feeds(),
        later,
        24,
    )
    .await
    .expect("runs");
    assert_eq!((stale.stale_feeds, stale.exported_items), (2, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_item_ingested_after_its_publication_day_is_exported_on_its_ingest_day() {
    let at = |day: u32| {
        chrono::Utc
            .with_ymd_and_hms(2026, 11, day, 6, 0, 0)
            .single()
            .expect("time")
    };
    // Published on the 20th, first stored on the 22nd.
    let (harness, archive, _dir) = seeded(at(22)).await;
    let feeds = testing::sample_feeds();
    let run = |now| shared::maintenance::run(harness.store.as_ref(), &archive, &feeds, now, 24);
    let publication_day = run(at(21)).await.expect("runs");
    assert_eq!(publication_day.exported_items, 0);
    let ingest_day = run(at(23)).await.expect("runs");
    assert_eq!(
        (
            ingest_day.export_date.to_string(),
            ingest_day.exported_items
        ),
        ("2026-11-22".to_owned(), 28)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_under_the_emulator_runs_the_job() {
    let store = testing::dynamo_store().await;
    let archive = testing::s3_archive().await;
    let feeds = testing::sample_feeds();
    let env = emulator::scheduled_env(&store, &archive, &feeds);
    let pipeline = testing::ingest(Arc::new(store), Arc::new(archive.clone()));
    assert_eq!(pipeline.run(&feeds, chrono::Utc::now()).await.items_new, 28);

    let binary = std::path::Path::new(env!("CARGO_BIN_EXE_maintenance"));
    let function = Emulator::start(binary, env).await;
    let event = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../events/maintenance-schedule.json"
    ))
    .expect("event");
    let report = function.invoke(&event).await;
    assert_eq!(
        report["feeds"].as_array().map(Vec::len),
        Some(2),
        "{report}"
    );
    let key = report["export_key"].as_str().expect("an export key");
    assert!(
        archive.exists(key).await.expect("exists"),
        "{key} is written"
    );
}
