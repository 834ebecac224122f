//! Stories and source health end to end, on both stores: feeds ingested (two reporting one
//! deal in one run, a follow-up in a later run), then `GET /stories` and `GET /sources` through
//! the router.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use chrono::{Duration, Utc};
use serde_json::Value;
use shared::api::{router, AppState};
use shared::config::FeedConfig;
use shared::model::Timestamp;
use shared::testing;
use std::path::Path;
use std::sync::Arc;
use tower::ServiceExt;

/// An RSS 2.0 feed of `(guid, title, published)` items.
fn rss(items: &[(&str, &str, Timestamp)]) -> String {
    let items: String = items
        .iter()
        .map(|(guid, title, at)| {
            format!(
                "<item><title>{title}</title><link>https://example.com/{guid}</link><guid>{guid}</guid><pubDate>{}</pubDate></item>",
                at.to_rfc2822()
            )
        })
        .collect();
    format!("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title>{items}</channel></rss>")
}

fn feed(dir: &Path, name: &str, source: &str, body: &str) -> FeedConfig {
    let path = dir.join(format!("{name}.xml"));
    std::fs::write(&path, body).expect("write feed");
    FeedConfig {
        name: name.into(),
        url: path.display().to_string(),
        source: Some(source.into()),
    }
}

async fn get(app: &Router, uri: &str) -> Value {
    let response = app
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).expect("request"))
        .await
        .expect("response");
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), 4 * 1024 * 1024)
        .await
        .expect("body");
    assert_eq!(status, StatusCode::OK, "{uri}: {body:?}");
    serde_json::from_slice(&body).expect("JSON")
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

async fn stories_group_reports_across_feeds_and_runs(harness: testing::Harness) {
    let dir = tempfile::tempdir().expect("dir");
    let now = Utc::now();
    let hours = |h: i64| now - Duration::hours(h);
    let espn = feed(
        dir.path(),
        "espn",
        "ESPN",
        &rss(&[
            (
                "e1",
                "Celtics trade Jrue Holiday to Trail Blazers",
                hours(5),
            ),
            ("e2", "Lakers sign Jaxson Hayes to one-year deal", hours(4)),
        ]),
    );
    let realgm = feed(
        dir.path(),
        "realgm",
        "RealGM",
        &rss(&[(
            "r1",
            "Trail Blazers acquire Jrue Holiday from Celtics",
            hours(3),
        )]),
    );
    let broken = FeedConfig {
        name: "broken".into(),
        url: dir.path().join("missing.xml").display().to_string(),
        source: None,
    };
    let (archive, _archive_dir) = testing::local_archive();
    let ingest = testing::ingest(harness.store.clone(), Arc::new(archive));
    let first = ingest
        .run(&[espn.clone(), realgm.clone(), broken.clone()], now)
        .await;
    assert_eq!(first.items_new, 3);

    // A follow-up in a later run, from a third source.
    let hoopshype = feed(
        dir.path(),
        "hoopshype",
        "HoopsHype",
        &rss(&[(
            "h1",
            "Grading the Jrue Holiday trade for the Celtics",
            hours(1),
        )]),
    );
    ingest.run(&[hoopshype], now).await;

    let app = router(AppState {
        store: harness.store.clone(),
        metrics_retention: None,
        sender: None,
    });
    let news = get(&app, "/news?limit=100").await;
    assert_eq!(news["items"].as_array().map(Vec::len), Some(4));

    let stories = get(&app, "/stories?limit=100").await;
    let listed = stories["items"].as_array().expect("items");
    assert_eq!(listed.len(), 2, "{stories:#}");
    let deal = &listed[0];
    assert_eq!(
        deal["item"]["title"], "Celtics trade Jrue Holiday to Trail Blazers",
        "the first report leads"
    );
    assert_eq!(strings(&deal["sources"]), ["ESPN", "RealGM", "HoopsHype"]);
    let titles: Vec<&str> = deal["reports"]
        .as_array()
        .expect("reports")
        .iter()
        .filter_map(|r| r["title"].as_str())
        .collect();
    assert_eq!(titles.len(), 3);
    assert_eq!(deal["story_id"], deal["item"]["id"]);
    assert_eq!(
        listed[1]["item"]["title"],
        "Lakers sign Jaxson Hayes to one-year deal"
    );
    assert_eq!(strings(&listed[1]["sources"]), ["ESPN"]);

    // Filters pick the stories; each is listed once across pages.
    let realgm_only = get(&app, "/stories?source=RealGM").await;
    assert_eq!(realgm_only["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        strings(&realgm_only["items"][0]["sources"]),
        ["ESPN", "RealGM", "HoopsHype"]
    );
    let lakers = get(&app, "/stories?team=LAL").await;
    assert_eq!(lakers["items"].as_array().map(Vec::len), Some(1));
    let mut seen = Vec::new();
    let mut uri = "/stories?limit=1".to_owned();
    loop {
        let page = get(&app, &uri).await;
        for story in page["items"].as_array().expect("items") {
            seen.push(story["story_id"].as_str().unwrap_or_default().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(cursor) => uri = format!("/stories?limit=1&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 2, "each story once across pages: {seen:?}");

    let sources = get(&app, "/sources").await;
    let by_feed = |name: &str| {
        sources
            .as_array()
            .and_then(|all| all.iter().find(|s| s["feed"] == name))
            .cloned()
            .unwrap_or_else(|| panic!("{name} missing from {sources:#}"))
    };
    let espn_health = by_feed("espn");
    assert_eq!(espn_health["status"], "ok");
    assert_eq!(espn_health["source"], "ESPN");
    assert_eq!(espn_health["items_stored"], 2);
    assert_eq!(espn_health["consecutive_failures"], 0);
    assert!(espn_health["last_attempt_at"].is_string());
    let newest = espn_health["newest_item_at"].as_str().expect("newest");
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(newest).map(|t| t.timestamp()),
        Ok(hours(4).timestamp())
    );
    let broken_health = by_feed("broken");
    assert_eq!(broken_health["status"], "failing");
    assert_eq!(broken_health["consecutive_failures"], 1);
    assert!(broken_health["last_error"]
        .as_str()
        .is_some_and(|e| e.contains("missing.xml")));
    assert_eq!(
        strings(&Value::Array(
            sources
                .as_array()
                .expect("array")
                .iter()
                .map(|s| s["feed"].clone())
                .collect()
        )),
        ["broken", "espn", "hoopshype", "realgm"],
        "by name"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stories_and_sources_on_sqlite() {
    stories_group_reports_across_feeds_and_runs(testing::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stories_and_sources_on_dynamodb() {
    stories_group_reports_across_feeds_and_runs(testing::dynamo().await).await;
}
