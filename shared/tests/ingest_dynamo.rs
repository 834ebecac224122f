//! Ingest into DynamoDB Local at DynamoDB's size limits: an item over the 400 KB item limit is
//! skipped and counted while the rest of its batch lands, and a batch over the 4 MB transaction
//! limit is split.

use shared::classify::Category;
use shared::config::FeedConfig;
use shared::model::NewsItem;
use shared::store::{NewsQuery, NewsStore};
use shared::testing;
use std::sync::Arc;

fn entry(n: usize, link: &str) -> String {
    format!(
        "<entry><id>urn:test:{n}</id><title>Lakers sign guard {n} to a two-year deal</title>\
         <link href=\"{link}\"/><updated>2026-11-20T12:00:0{n}Z</updated></entry>"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_item_over_dynamodbs_item_limit_is_skipped_and_the_rest_lands() {
    let huge_link = format!("https://example.com/{}", "a".repeat(600 * 1024));
    let feed = format!(
        "<?xml version=\"1.0\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"><title>t</title>{}{}{}</feed>",
        entry(1, "https://example.com/1"),
        entry(2, &huge_link),
        entry(3, "https://example.com/3"),
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("huge-link.xml");
    std::fs::write(&path, feed).expect("write feed");
    let harness = testing::dynamo().await;
    let (archive, _archive_dir) = testing::local_archive();
    let mut ingest = testing::ingest(harness.store.clone(), Arc::new(archive));
    // The product reads feeds up to 5 MB; the test harness's smaller cap would refuse this one.
    ingest.max_bytes = shared::fetch::FetchConfig::default().max_bytes;
    let feeds = [FeedConfig {
        name: "huge-link".into(),
        url: path.to_string_lossy().into_owned(),
        source: Some("Test".into()),
    }];

    let summary = ingest.run(&feeds, chrono::Utc::now()).await;
    let report = &summary.feeds[0];
    assert_eq!(report.error, None, "the feed does not fail: {report:?}");
    assert_eq!(
        (report.items_seen, report.items_new, report.items_oversized),
        (3, 2, 1)
    );
    assert_eq!(summary.items_oversized, 1);
    let page = harness
        .store
        .list_news(&NewsQuery {
            limit: 10,
            ..NewsQuery::default()
        })
        .await
        .expect("list");
    assert_eq!(page.items.len(), 2);

    let again = ingest.run(&feeds, chrono::Utc::now()).await;
    assert_eq!(again.feeds_failed, 0, "nor on the next run: {again:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_over_the_transaction_size_limit_is_split() {
    let store = testing::dynamo_store().await;
    let now = chrono::Utc::now();
    let items: Vec<NewsItem> = (0..32)
        .map(|n| NewsItem {
            id: format!("big-{n:02}"),
            title: format!("Item {n}"),
            link: Some(format!(
                "https://example.com/{n}/{}",
                "b".repeat(150 * 1024)
            )),
            summary: String::new(),
            source: "Test".into(),
            category: Category::Other,
            evidence: Vec::new(),
            published_at: Some(now),
            fetched_at: now,
            expires_at: None,
        })
        .collect();
    let outcome = store.insert_news(&items).await.expect("32 items of 150 KB");
    assert_eq!((outcome.inserted.len(), outcome.oversized.len()), (32, 0));
}
