//! What one public read costs in DynamoDB capacity units, on a table of 10,000 and of 100,000
//! news items (DynamoDB Local, which reports consumed capacity like DynamoDB). Each route is
//! called through the router; the cost is what the store's calls consumed per request. For
//! comparison, the stats design this replaced (a `Select=COUNT` query over each category's
//! partition) is measured on the same table.
//! Run with `cargo bench -p api-functions --bench read_cost` (scripts/bench.sh does; it needs
//! TRACKER_TEST_DYNAMODB_URL, set by scripts/test-servers.sh).

use axum::body::Body;
use axum::http::Request;
use chrono::{Duration, TimeZone, Utc};
use shared::api::{router, AppState};
use shared::classify::Category;
use shared::model::NewsItem;
use shared::store::{FeedStateStore, Store};
use shared::teams::TEAMS;
use shared::testing;
use std::sync::Arc;
use tower::ServiceExt;

/// Requests per route; the cost reported is their mean.
const REQUESTS: u32 = 5;
/// Items per insert call while seeding.
const SEED_BATCH: usize = 1_000;

fn item(n: usize) -> NewsItem {
    let t0 = Utc
        .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .expect("time");
    // About 140 items a day over the table, three categories, two sources, one team each
    // (every third item a second one): a team has about 6 items a day. Stories of three
    // consecutive items.
    let published = t0 + Duration::minutes(i64::try_from(n).unwrap_or(0) * 10);
    NewsItem {
        id: shared::feed::sha256_hex(format!("bench-{n}").as_bytes()),
        title: format!("Headline number {n} about a trade or a signing"),
        link: Some(format!("https://example.com/news/{n}")),
        summary: "A summary of a few dozen words, as feeds carry them. ".repeat(4),
        source: if n % 2 == 0 { "ESPN" } else { "RealGM" }.into(),
        category: Category::ALL[n % 3],
        evidence: Vec::new(),
        confidence: None,
        teams: if n % 3 == 0 {
            vec![
                TEAMS[n % 30].code.to_owned(),
                TEAMS[(n + 7) % 30].code.to_owned(),
            ]
        } else {
            vec![TEAMS[n % 30].code.to_owned()]
        },
        team_evidence: Vec::new(),
        players: Vec::new(),
        player_evidence: Vec::new(),
        story_id: Some(shared::feed::sha256_hex(
            format!("bench-{}", n - n % 3).as_bytes(),
        )),
        published_at: Some(published),
        fetched_at: published,
        expires_at: None,
    }
}

async fn seed(store: &dyn Store, from: usize, to: usize) {
    let mut start = from;
    while start < to {
        let end = (start + SEED_BATCH).min(to);
        let items: Vec<NewsItem> = (start..end).map(item).collect();
        store.insert_news(&items).await.expect("seed");
        start = end;
    }
}

/// Mean capacity units per request of `uri`.
async fn cost(app: &axum::Router, store: &shared::store::dynamo::DynamoStore, uri: &str) -> f64 {
    let before = store.consumed_capacity_units();
    for _ in 0..REQUESTS {
        let request = Request::get(uri).body(Body::empty()).expect("request");
        let response = app.clone().oneshot(request).await.expect("response");
        assert!(
            response.status().is_success(),
            "{uri}: {}",
            response.status()
        );
    }
    (store.consumed_capacity_units() - before) / f64::from(REQUESTS)
}

/// The replaced stats design: a COUNT query over each category's whole partition.
async fn old_stats_cost(table: &str) -> f64 {
    let endpoint = std::env::var(testing::DYNAMODB_ENV).expect("DynamoDB Local");
    let client = aws_sdk_dynamodb::Client::new(&testing::local_config(&endpoint));
    let mut units = 0.0;
    for category in Category::ALL {
        let mut start = None;
        loop {
            let out = client
                .query()
                .table_name(table)
                .index_name("by_category")
                .key_condition_expression("category = :c")
                .expression_attribute_values(
                    ":c",
                    aws_sdk_dynamodb::types::AttributeValue::S(category.as_str().into()),
                )
                .select(aws_sdk_dynamodb::types::Select::Count)
                .return_consumed_capacity(aws_sdk_dynamodb::types::ReturnConsumedCapacity::Total)
                .set_exclusive_start_key(start)
                .send()
                .await
                .expect("count query");
            units += out
                .consumed_capacity()
                .and_then(|c| c.capacity_units())
                .unwrap_or(0.0);
            match out.last_evaluated_key {
                Some(key) => start = Some(key),
                None => break,
            }
        }
    }
    units
}

async fn report(size: usize, app: &axum::Router, store: &shared::store::dynamo::DynamoStore) {
    let one = item(size / 2).id;
    let routes = [
        "/news?limit=20".to_owned(),
        "/news?category=Trade&limit=20".to_owned(),
        "/news?source=ESPN&limit=20".to_owned(),
        "/news?category=Trade&source=ESPN&limit=20".to_owned(),
        "/news?team=LAL&limit=20".to_owned(),
        "/news?team=LAL&category=Trade&limit=20".to_owned(),
        "/news?since=2026-02-01&until=2026-02-07&limit=100".to_owned(),
        "/stories?limit=20".to_owned(),
        "/stories?team=LAL&limit=20".to_owned(),
        "/sources".to_owned(),
        format!("/news/{one}"),
        "/news/stats".to_owned(),
        "/news/stats?since=2026-02-01&until=2026-02-28".to_owned(),
        "/news/stats?since=2026-01-01&until=2026-12-31".to_owned(),
    ];
    for uri in routes {
        let units = cost(app, store, &uri).await;
        println!("| {size} | `GET {uri}` | {units:.1} |");
    }
    let old = old_stats_cost(&store.tables().news).await;
    println!(
        "| {size} | `GET /news/stats`, replaced design (COUNT over 3 partitions) | {old:.1} |"
    );
}

fn main() {
    testing::run_bench(|| async {
        let store = testing::dynamo_store().await;
        let app = router(AppState {
            store: Arc::new(store.clone()),
            metrics_retention: None,
            sender: None,
        });
        println!("| items in table | request | capacity units per request |\n| --- | --- | --- |");
        for feed in ["espn-nba", "realgm-wiretap"] {
            let state = shared::model::FeedState {
                feed: feed.into(),
                ..Default::default()
            };
            store.put_feed_state(&state).await.expect("feed state");
        }
        seed(&store, 0, 10_000).await;
        report(10_000, &app, &store).await;
        seed(&store, 10_000, 100_000).await;
        report(100_000, &app, &store).await;
    });
}
