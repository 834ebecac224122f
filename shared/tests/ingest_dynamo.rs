//! Ingest into DynamoDB Local at DynamoDB's size limits: a link too long to keep is dropped by
//! the parser and its item stored; an item over the 400 KB item limit is skipped and counted while
//! the rest of its batch lands; a batch over the 4 MB transaction limit is split.

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
async fn a_600_kb_link_is_dropped_and_its_item_stored() {
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
        (3, 3, 0)
    );
    let page = harness
        .store
        .list_news(&NewsQuery {
            limit: 10,
            ..NewsQuery::default()
        })
        .await
        .expect("list");
    let links: Vec<_> = page.items.iter().map(|i| i.link.as_deref()).collect();
    assert_eq!(
        links,
        [
            Some("https://example.com/3"),
            None,
            Some("https://example.com/1")
        ]
    );
}

fn item(id: &str, summary: String) -> NewsItem {
    let now = chrono::Utc::now();
    NewsItem {
        id: id.into(),
        title: format!("Item {id}"),
        link: None,
        summary,
        source: "Test".into(),
        category: Category::Other,
        evidence: Vec::new(),
        confidence: None,
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_item_over_dynamodbs_item_limit_is_skipped_and_the_rest_lands() {
    let store = testing::dynamo_store().await;
    let items = [
        item("small-1", "short".into()),
        item("huge", "h".repeat(600 * 1024)),
        item("small-2", "short".into()),
    ];
    let outcome = store.insert_news(&items).await.expect("the batch lands");
    assert_eq!(outcome.inserted, ["small-1", "small-2"]);
    assert_eq!(outcome.oversized, ["huge"]);
    assert_eq!(store.get_news("huge").await.expect("get"), None);
    let again = store.insert_news(&items).await.expect("and again");
    assert_eq!((again.existing, again.oversized.len()), (2, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_over_the_transaction_size_limit_is_split() {
    let store = testing::dynamo_store().await;
    let items: Vec<NewsItem> = (0..32)
        .map(|n| NewsItem {
            link: Some(format!(
                "https://example.com/{n}/{}",
                "b".repeat(150 * 1024)
            )),
            ..item(&format!("big-{n:02}"), String::new())
        })
        .collect();
    let outcome = store.insert_news(&items).await.expect("32 items of 150 KB");
    assert_eq!((outcome.inserted.len(), outcome.oversized.len()), (32, 0));
}
