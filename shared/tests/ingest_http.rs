//! Ingest against a local HTTP server that misbehaves in every way a feed host can.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use shared::config::FeedConfig;
use shared::ingest::{FeedStatus, RunSummary};
use shared::store::NewsQuery;
use shared::testing;
use std::sync::{Arc, Mutex};

const SAMPLE: &str = include_str!("../../samples/feeds/realgm-wiretap.xml");
const ETAG: &str = "\"wire-v1\"";
const LAST_MODIFIED: &str = "Fri, 20 Nov 2026 18:00:00 GMT";

/// Conditional headers the server received on /ok.xml, per request.
type Seen = Arc<Mutex<Vec<(Option<String>, Option<String>)>>>;

async fn ok(State(seen): State<Seen>, headers: HeaderMap) -> Response {
    let get = |name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let (etag, since) = (get(header::IF_NONE_MATCH), get(header::IF_MODIFIED_SINCE));
    seen.lock().expect("lock").push((etag.clone(), since));
    if etag.as_deref() == Some(ETAG) {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    (
        [
            (header::ETAG, ETAG),
            (header::LAST_MODIFIED, LAST_MODIFIED),
            (header::CONTENT_TYPE, "application/rss+xml; charset=utf-8"),
        ],
        SAMPLE,
    )
        .into_response()
}

async fn same() -> &'static str {
    include_str!("../../samples/feeds/espn-nba.xml")
}

async fn slow() -> &'static str {
    tokio::time::sleep(std::time::Duration::from_secs(10)).await;
    SAMPLE
}

async fn big() -> Vec<u8> {
    let mut body = b"<rss version=\"2.0\"><channel><title>big</title>".to_vec();
    body.resize(2 * 1024 * 1024, b' ');
    body
}

/// A JSON Feed, for a client that says it takes one (406 otherwise).
async fn json_feed(headers: HeaderMap) -> Response {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    if !accept.is_some_and(|a| a.contains("application/feed+json")) {
        return StatusCode::NOT_ACCEPTABLE.into_response();
    }
    (
        [(header::CONTENT_TYPE, "application/feed+json")],
        include_str!("fixtures/conformance/jsonfeed-1.1.json"),
    )
        .into_response()
}

async fn spawn_server() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let app = Router::new()
        .route("/ok.xml", get(ok))
        .route("/same.xml", get(same))
        .route(
            "/500.xml",
            get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "boom") }),
        )
        .route("/slow.xml", get(slow))
        .route("/big.xml", get(big))
        .route(
            "/garbage.xml",
            get(|| async { "<html><body>Sorry, we moved</body></html>" }),
        )
        .route(
            "/loop.xml",
            get(|| async { Redirect::temporary("/loop.xml") }),
        )
        .route("/feed.json", get(json_feed))
        .route(
            "/busy.xml",
            get(|| async {
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    [(header::RETRY_AFTER, "120")],
                    "later",
                )
            }),
        )
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    (format!("http://{addr}"), seen)
}

fn feeds(base: &str, names: &[&str]) -> Vec<FeedConfig> {
    names
        .iter()
        .map(|n| FeedConfig {
            name: (*n).into(),
            url: format!("{base}/{n}.xml"),
            source: Some(format!("src-{n}")),
        })
        .collect()
}

fn status(summary: &RunSummary, feed: &str) -> FeedStatus {
    summary
        .feeds
        .iter()
        .find(|f| f.feed == feed)
        .map(|f| f.status)
        .unwrap_or_else(|| panic!("{feed} missing"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_bad_feed_never_stops_the_others_and_replays_store_nothing_twice() {
    let (base, seen) = spawn_server().await;
    let harness = testing::sqlite().await;
    let (archive, dir) = testing::local_archive();
    let ingest = testing::ingest(harness.store.clone(), Arc::new(archive));
    let feeds = feeds(
        &base,
        &[
            "ok", "same", "500", "slow", "big", "garbage", "loop", "busy",
        ],
    );

    let first = ingest.run(&feeds, chrono::Utc::now()).await;
    assert_eq!(status(&first, "ok"), FeedStatus::Updated);
    assert_eq!(status(&first, "same"), FeedStatus::Updated);
    for bad in ["500", "slow", "big", "garbage", "loop"] {
        assert_eq!(status(&first, bad), FeedStatus::Failed, "{bad}");
        let report = first.feeds.iter().find(|f| f.feed == bad).expect("report");
        assert!(report.error.is_some(), "{bad} says why");
    }
    let busy = first.feeds.iter().find(|f| f.feed == "busy").expect("busy");
    assert_eq!(
        (busy.status, busy.retry_after_secs),
        (FeedStatus::Deferred, Some(120))
    );
    assert_eq!((first.feeds_failed, first.feeds_ok), (5, 3));
    assert!(!first.all_failed());
    assert_eq!(first.items_new, 16 + 12);
    let emf: Vec<serde_json::Value> = first
        .emf_lines()
        .iter()
        .map(|line| serde_json::from_str(line).expect("EMF is JSON"))
        .collect();
    assert_eq!(
        (emf[0]["ItemsNew"].as_u64(), emf[0]["FeedErrors"].as_u64()),
        (Some(28), Some(5))
    );
    let failing: Vec<&str> = emf[1..]
        .iter()
        .filter(|line| line["FeedFailed"] == 1)
        .filter_map(|line| line["Feed"].as_str())
        .collect();
    assert_eq!(
        failing,
        ["500", "slow", "big", "garbage", "loop"],
        "one line per feed"
    );
    assert_eq!(emf.len(), 1 + first.feeds.len());

    for _ in 0..2 {
        let again = ingest.run(&feeds, chrono::Utc::now()).await;
        assert_eq!(status(&again, "ok"), FeedStatus::NotModified);
        assert_eq!(status(&again, "same"), FeedStatus::Unchanged);
        assert_eq!(again.items_new, 0);
    }
    // The second request carried the validators the first response gave.
    let requests = seen.lock().expect("lock").clone();
    assert_eq!(requests[0], (None, None));
    assert_eq!(requests[1], (Some(ETAG.into()), Some(LAST_MODIFIED.into())));

    let page = harness
        .store
        .list_news(&NewsQuery {
            limit: 100,
            ..NewsQuery::default()
        })
        .await
        .expect("list");
    assert_eq!(
        page.items.len(),
        28,
        "each item stored once after three runs"
    );
    assert!(page.items.iter().all(|i| i.expires_at.is_some()));

    let failing = harness
        .store
        .get_feed_state("500")
        .await
        .expect("state")
        .expect("kept");
    assert_eq!(failing.consecutive_failures, 3);
    assert!(failing
        .last_error
        .as_deref()
        .is_some_and(|e| e.contains("500")));
    let healthy = harness
        .store
        .get_feed_state("ok")
        .await
        .expect("state")
        .expect("kept");
    assert_eq!(
        (healthy.consecutive_failures, healthy.etag.as_deref()),
        (0, Some(ETAG))
    );

    let raw: Vec<_> = walk(dir.path())
        .into_iter()
        .filter(|p| p.contains("/raw/"))
        .collect();
    assert_eq!(raw.len(), 2, "one archived body per changed feed: {raw:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_after_a_success_is_counted_and_a_success_resets_it() {
    let (base, _) = spawn_server().await;
    let harness = testing::sqlite().await;
    let (archive, _dir) = testing::local_archive();
    let ingest = testing::ingest(harness.store.clone(), Arc::new(archive));
    let summary = ingest
        .run(&feeds(&base, &["500", "garbage"]), chrono::Utc::now())
        .await;
    assert!(summary.all_failed());
    // The same feed name now pointing at a healthy URL resets the count.
    let healed = vec![FeedConfig {
        name: "500".into(),
        url: format!("{base}/ok.xml"),
        source: None,
    }];
    let summary = ingest.run(&healed, chrono::Utc::now()).await;
    assert_eq!(summary.feeds_failed, 0);
    let state = harness
        .store
        .get_feed_state("500")
        .await
        .expect("state")
        .expect("kept");
    assert_eq!((state.consecutive_failures, state.last_error), (0, None));
}

fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path.display().to_string());
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unchanged_feed_costs_no_state_write_until_the_heartbeat() {
    let (base, _) = spawn_server().await;
    let harness = testing::sqlite().await;
    let (archive, _dir) = testing::local_archive();
    let ingest = testing::ingest(harness.store.clone(), Arc::new(archive));
    let feeds = feeds(&base, &["same"]);
    let start = chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 0);
    ingest.run(&feeds, start).await;
    let saved = harness
        .store
        .get_feed_state("same")
        .await
        .expect("state")
        .expect("kept");
    ingest
        .run(&feeds, start + chrono::Duration::minutes(5))
        .await;
    let after = harness
        .store
        .get_feed_state("same")
        .await
        .expect("state")
        .expect("kept");
    assert_eq!(after, saved, "an unchanged run wrote nothing");
    ingest
        .run(&feeds, start + chrono::Duration::minutes(61))
        .await;
    let heartbeat = harness
        .store
        .get_feed_state("same")
        .await
        .expect("state")
        .expect("kept");
    assert_eq!(
        heartbeat.last_success_at,
        Some(start + chrono::Duration::minutes(61))
    );
}

/// An archive that cannot write (S3 down, say).
struct BrokenArchive;

#[async_trait::async_trait]
impl shared::archive::Archive for BrokenArchive {
    async fn exists(&self, _key: &str) -> Result<bool, shared::archive::ArchiveError> {
        Ok(false)
    }
    async fn put(
        &self,
        _key: &str,
        _body: Vec<u8>,
        _content_type: &str,
    ) -> Result<(), shared::archive::ArchiveError> {
        Err(shared::archive::ArchiveError::S3 {
            op: "PutObject",
            message: "unavailable".into(),
        })
    }
    async fn get(&self, _key: &str) -> Result<Option<Vec<u8>>, shared::archive::ArchiveError> {
        Ok(None)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_stored_before_an_archive_failure_stay_counted() {
    let (base, _) = spawn_server().await;
    let harness = testing::sqlite().await;
    let ingest = testing::ingest(harness.store.clone(), Arc::new(BrokenArchive));
    let summary = ingest.run(&feeds(&base, &["ok"]), chrono::Utc::now()).await;
    assert_eq!(status(&summary, "ok"), FeedStatus::Failed);
    let stored = harness
        .store
        .list_news(&NewsQuery {
            limit: 100,
            ..NewsQuery::default()
        })
        .await
        .expect("list")
        .items;
    assert!(!stored.is_empty(), "the items are stored all the same");
    let state = harness
        .store
        .get_feed_state("ok")
        .await
        .expect("state")
        .expect("kept");
    assert_eq!(state.consecutive_failures, 1);
    assert!(
        state
            .last_error
            .as_deref()
            .is_some_and(|e| e.starts_with("archiving")),
        "{state:?}"
    );
    assert_eq!(
        state.items_stored,
        stored.len() as u64,
        "a later run finds them stored, so only this one can count them"
    );
    assert_eq!(
        state.newest_item_at,
        stored.iter().map(|i| i.sort_time()).max()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_json_feed_is_fetched_stored_and_archived_as_json() {
    let (base, _) = spawn_server().await;
    let harness = testing::sqlite().await;
    let (archive, dir) = testing::local_archive();
    let ingest = testing::ingest(harness.store.clone(), Arc::new(archive));
    let feed = FeedConfig {
        name: "json".into(),
        url: format!("{base}/feed.json"),
        source: Some("JSON source".into()),
    };

    let summary = ingest.run(&[feed], chrono::Utc::now()).await;
    assert_eq!(status(&summary, "json"), FeedStatus::Updated);
    assert_eq!(summary.items_new, 3);
    let page = harness
        .store
        .list_news(&NewsQuery {
            limit: 10,
            ..NewsQuery::default()
        })
        .await
        .expect("list");
    let celtics = page
        .items
        .iter()
        .find(|i| i.title == "Celtics acquire a guard")
        .expect("stored");
    assert_eq!(
        celtics.link.as_deref(),
        Some("https://example.org/2026/11/30/celtics-acquire-guard")
    );
    let raw: Vec<String> = walk(dir.path())
        .into_iter()
        .filter(|p| p.contains("/raw/"))
        .collect();
    assert!(
        matches!(raw.as_slice(), [one] if one.ends_with(".json")),
        "{raw:?}"
    );
}
