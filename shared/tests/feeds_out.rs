//! `GET /news.atom` and `GET /news.json` over the sample feeds as ingest stores them: the same
//! items as `GET /news` with the same filters, read back by our own parser, with validators and
//! conditional GET. (scripts/feeds_out.py reads them with feedparser, an independent consumer.)

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use shared::api::{router, AppState};
use shared::feed::{parse_feed, FeedFormat, ParseOptions};
use shared::testing;
use std::sync::Arc;
use tower::ServiceExt;

async fn app() -> (Router, testing::Harness) {
    let harness = testing::sqlite().await;
    let (archive, _dir) = testing::local_archive();
    let ingest = testing::ingest(harness.store.clone(), Arc::new(archive));
    let feeds = testing::sample_feeds();
    ingest.run(&feeds, chrono::Utc::now()).await;
    let app = router(AppState {
        store: harness.store.clone(),
        metrics_retention: None,
        sender: None,
    });
    (app, harness)
}

async fn get(
    app: &Router,
    uri: &str,
    headers: &[(header::HeaderName, &str)],
) -> (StatusCode, header::HeaderMap, Vec<u8>) {
    let mut request = Request::get(uri);
    for (name, value) in headers {
        request = request.header(name, *value);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).expect("request"))
        .await
        .expect("response");
    let status = response.status();
    let headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), 4 * 1024 * 1024)
        .await
        .expect("body")
        .to_vec();
    (status, headers, body)
}

fn header(headers: &header::HeaderMap, name: header::HeaderName) -> &str {
    headers
        .get(&name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn atom_carries_the_listing_and_our_parser_reads_it() {
    let (app, _harness) = app().await;
    let (status, _, listing) = get(&app, "/news?category=Trade&limit=100", &[]).await;
    assert_eq!(status, StatusCode::OK);
    let listing: serde_json::Value = serde_json::from_slice(&listing).expect("JSON");
    let titles: Vec<&str> = listing["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["title"].as_str())
        .collect();
    assert!(!titles.is_empty());

    let (status, headers, body) = get(&app, "/news.atom?category=trade&limit=100", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        header(&headers, header::CONTENT_TYPE),
        "application/atom+xml; charset=utf-8"
    );
    let feed = parse_feed(&body, &ParseOptions::default()).expect("Atom");
    assert_eq!(feed.format, FeedFormat::Atom1);
    assert_eq!(feed.title, "NBA Trade Tracker · Trade");
    let got: Vec<&str> = feed.items.iter().map(|i| i.title.as_str()).collect();
    assert_eq!(got, titles, "the same items, newest first");
    assert!(feed
        .items
        .iter()
        .all(|i| i.categories.first().map(String::as_str) == Some("Trade")));
    assert!(feed
        .items
        .iter()
        .all(|i| i.published.is_some() && i.link.is_some()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_feed_filters_by_team() {
    let (app, _harness) = app().await;
    let (status, headers, body) = get(&app, "/news.json?team=MIA", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        header(&headers, header::CONTENT_TYPE),
        "application/feed+json"
    );
    let feed: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(feed["version"], "https://jsonfeed.org/version/1.1");
    assert_eq!(feed["title"], "NBA Trade Tracker · MIA");
    let items = feed["items"].as_array().expect("items");
    assert!(!items.is_empty());
    for item in items {
        assert!(
            item["tags"]
                .as_array()
                .is_some_and(|t| t.contains(&"MIA".into())),
            "{item}"
        );
        assert!(item["id"].as_str().is_some_and(|id| id.starts_with("tag:")));
        assert!(item["content_text"].is_string() && item["date_modified"].is_string());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conditional_get_answers_304_and_bad_filters_422() {
    let (app, _harness) = app().await;
    let (status, headers, _) = get(&app, "/news.atom", &[]).await;
    assert_eq!(status, StatusCode::OK);
    let etag = header(&headers, header::ETAG).to_owned();
    let modified = header(&headers, header::LAST_MODIFIED).to_owned();
    assert!(etag.starts_with('"') && etag.len() == 34, "{etag}");
    assert!(modified.ends_with(" GMT"), "{modified}");
    assert!(header(&headers, header::CACHE_CONTROL).contains("max-age"));

    let (status, again, body) = get(&app, "/news.atom", &[(header::IF_NONE_MATCH, &etag)]).await;
    assert_eq!((status, body.len()), (StatusCode::NOT_MODIFIED, 0));
    assert_eq!(header(&again, header::ETAG), etag);
    let (status, _, _) = get(&app, "/news.atom", &[(header::IF_NONE_MATCH, "\"other\"")]).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = get(
        &app,
        "/news.atom",
        &[(header::IF_MODIFIED_SINCE, &modified)],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    let old = "Mon, 01 Jan 2001 00:00:00 GMT";
    let (status, _, _) = get(&app, "/news.atom", &[(header::IF_MODIFIED_SINCE, old)]).await;
    assert_eq!(status, StatusCode::OK);
    // Another filter is another document: the validator does not match it.
    let (status, _, _) = get(
        &app,
        "/news.atom?category=Other",
        &[(header::IF_NONE_MATCH, &etag)],
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    for (uri, want) in [
        ("/news.json?team=XYZ", StatusCode::UNPROCESSABLE_ENTITY),
        (
            "/news.atom?team=LAL&source=ESPN",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ("/news.atom?limit=1000", StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let (status, _, body) = get(&app, uri, &[]).await;
        assert_eq!(status, want, "{uri}");
        let error: serde_json::Value = serde_json::from_slice(&body).expect("JSON error");
        assert!(error["error"]["code"].is_string(), "{uri}: {error}");
    }
}
