//! In-process API latency per route: p50 and p99 over sequential requests through the router,
//! on the embedded store, and on DynamoDB Local when TRACKER_TEST_DYNAMODB_URL is set.
//! Run with `cargo bench -p api-functions --bench latency` (scripts/bench.sh does).

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use shared::api::{router, AppState};
use shared::auth::Caller;
use shared::testing::access::{device_caller, user_caller};
use shared::testing::{self, Harness};
use std::time::{Duration, Instant};
use tower::ServiceExt;

const REQUESTS: usize = 300;

/// A route to time: label, method, the URI of request n, the body of request n, who calls.
type Route = (
    &'static str,
    &'static str,
    Box<dyn Fn(usize) -> String>,
    Box<dyn Fn(usize) -> Option<String>>,
    Box<dyn Fn(usize) -> Caller>,
);

async fn time_route(app: &axum::Router, route: &Route) -> (Duration, Duration) {
    let (_, method, uri, body, caller) = route;
    let mut samples = Vec::with_capacity(REQUESTS);
    for n in 0..REQUESTS {
        let mut request = Request::builder()
            .method(*method)
            .uri(uri(n))
            .extension(caller(n));
        let payload = body(n);
        if payload.is_some() {
            request = request.header("content-type", "application/json");
        }
        let request = request
            .body(payload.map_or_else(Body::empty, Body::from))
            .expect("request");
        let started = Instant::now();
        let response = app.clone().oneshot(request).await.expect("response");
        let status = response.status();
        let _ = response.into_body().collect().await.expect("body");
        samples.push(started.elapsed());
        assert!(status.is_success(), "{method} {}: {status}", uri(n));
    }
    samples.sort();
    (samples[REQUESTS / 2], samples[REQUESTS * 99 / 100])
}

async fn bench(name: &str, harness: Harness) {
    let (archive, _dir) = testing::local_archive();
    testing::ingest(harness.store.clone(), std::sync::Arc::new(archive))
        .run(&testing::sample_feeds(), chrono::Utc::now())
        .await;
    let app = router(AppState {
        store: harness.store.clone(),
        metrics_retention: None,
        sender: None,
    });
    let base = 1_795_000_000_000_i64;
    let routes: Vec<Route> = vec![
        (
            "GET /news?limit=20",
            "GET",
            Box::new(|_| "/news?limit=20".into()),
            Box::new(|_| None),
            Box::new(|_| Caller::Anonymous),
        ),
        (
            "GET /news?category=Trade",
            "GET",
            Box::new(|_| "/news?category=Trade&limit=20".into()),
            Box::new(|_| None),
            Box::new(|_| Caller::Anonymous),
        ),
        (
            "GET /news/stats",
            "GET",
            Box::new(|_| "/news/stats".into()),
            Box::new(|_| None),
            Box::new(|_| Caller::Anonymous),
        ),
        (
            "POST /users",
            "POST",
            Box::new(|_| "/users".into()),
            Box::new(|n| Some(format!("{{\"username\":\"bench{n}\"}}"))),
            Box::new(|n| {
                user_caller(
                    &uuid::Uuid::now_v7().to_string(),
                    &format!("b{n}@example.com"),
                    false,
                )
            }),
        ),
        (
            "GET /users?limit=20",
            "GET",
            Box::new(|_| "/users?limit=20".into()),
            Box::new(|_| None),
            Box::new(|_| user_caller(&uuid::Uuid::now_v7().to_string(), "ops@example.com", true)),
        ),
        (
            "POST /devices/d/metrics",
            "POST",
            Box::new(|_| "/devices/d/metrics".into()),
            Box::new(move |n| {
                Some(format!(
                    "{{\"timestamp\":{},\"temperature\":20}}",
                    base + n as i64
                ))
            }),
            Box::new(|_| device_caller("d", &["metrics/write"])),
        ),
        (
            "GET /devices/d/metrics",
            "GET",
            Box::new(|_| "/devices/d/metrics?limit=20".into()),
            Box::new(|_| None),
            Box::new(|_| user_caller(&uuid::Uuid::now_v7().to_string(), "ops@example.com", true)),
        ),
        (
            "GET /health",
            "GET",
            Box::new(|_| "/health".into()),
            Box::new(|_| None),
            Box::new(|_| Caller::Anonymous),
        ),
    ];
    for route in &routes {
        let label = route.0;
        let (p50, p99) = time_route(&app, route).await;
        println!(
            "| {name} | {label} | {:.3} | {:.3} |",
            p50.as_secs_f64() * 1000.0,
            p99.as_secs_f64() * 1000.0
        );
    }
}

fn main() {
    testing::run_bench(|| async {
        println!("| store | route | p50 ms | p99 ms |\n| --- | --- | --- | --- |");
        bench("embedded (SQLite)", testing::sqlite().await).await;
        if std::env::var_os(testing::DYNAMODB_ENV).is_some() {
            bench("DynamoDB Local", testing::dynamo().await).await;
        }
    });
}
