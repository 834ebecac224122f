//! Bounded concurrent write load through the router: no lost and no duplicated writes, checked
//! by reading everything back, on the embedded store and on DynamoDB Local.

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use shared::api::{router, AppState};
use shared::auth::Caller;
use shared::testing::access::{device_caller, user_caller};
use shared::testing::{self, Harness};
use std::collections::HashSet;
use tower::ServiceExt;

/// An admin (lists users, patches any, reads readings).
fn admin() -> Caller {
    user_caller(&uuid::Uuid::now_v7().to_string(), "ops@example.com", true)
}

async fn call(
    app: &axum::Router,
    caller: Caller,
    method: &str,
    uri: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = Request::builder().method(method).uri(uri).extension(caller);
    if body.is_some() {
        request = request.header("content-type", "application/json");
    }
    let request = request
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
        .expect("request");
    let response = app.clone().oneshot(request).await.expect("response");
    let status = response.status().as_u16();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (
        status,
        if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).expect("JSON")
        },
    )
}

async fn read_all(app: &axum::Router, path: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let sep = if path.contains('?') { '&' } else { '?' };
        let uri = match &cursor {
            Some(c) => format!("{path}{sep}limit=100&cursor={c}"),
            None => format!("{path}{sep}limit=100"),
        };
        let (status, body) = call(app, admin(), "GET", &uri, None).await;
        assert_eq!(status, 200, "{body}");
        items.extend(body["items"].as_array().expect("items").iter().cloned());
        match body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return items,
        }
    }
}

async fn concurrent_writes(harness: Harness) {
    let app = router(AppState {
        store: harness.store.clone(),
        metrics_retention: None,
        sender: None,
    });

    // 64 distinct users, and 32 more whose verified emails are 8 contested ones, all at once.
    let mut tasks = Vec::new();
    for n in 0..96 {
        let app = app.clone();
        let email = if n < 64 {
            format!("u{n}@example.com")
        } else {
            format!("CONTESTED{}@example.com", n % 8)
        };
        tasks.push(tokio::spawn(async move {
            let me = user_caller(&uuid::Uuid::now_v7().to_string(), &email, false);
            let body = json!({"username": format!("user{n}")});
            call(&app, me, "POST", "/users", Some(body)).await.0
        }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.expect("task"));
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        72,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        24,
        "{statuses:?}"
    );

    let users = read_all(&app, "/users").await;
    assert_eq!(users.len(), 72, "every created user is listed once");
    let ids: HashSet<_> = users
        .iter()
        .map(|u| u["user_id"].as_str().expect("id").to_owned())
        .collect();
    let emails: HashSet<_> = users
        .iter()
        .map(|u| u["email"].as_str().expect("email").to_lowercase())
        .collect();
    assert_eq!((ids.len(), emails.len()), (72, 72));

    // Eight racing updates of one version: exactly one wins.
    let target = users[0]["user_id"].as_str().expect("id").to_owned();
    let mut racers = Vec::new();
    for n in 0..8 {
        let (app, target) = (app.clone(), target.clone());
        racers.push(tokio::spawn(async move {
            call(
                &app,
                admin(),
                "PATCH",
                &format!("/users/{target}"),
                Some(json!({"version": 1, "username": format!("winner{n}")})),
            )
            .await
            .0
        }));
    }
    let mut outcomes = Vec::new();
    for racer in racers {
        outcomes.push(racer.await.expect("task"));
    }
    assert_eq!(
        outcomes.iter().filter(|s| **s == 200).count(),
        1,
        "{outcomes:?}"
    );
    assert_eq!(
        outcomes.iter().filter(|s| **s == 409).count(),
        7,
        "{outcomes:?}"
    );
    let (_, stored) = call(&app, admin(), "GET", &format!("/users/{target}"), None).await;
    assert_eq!(stored["version"], 2);

    // 20 batches of 50 readings with disjoint timestamps, all at once.
    let base = 1_795_000_000_000_i64;
    let mut batches = Vec::new();
    for b in 0..20 {
        let app = app.clone();
        batches.push(tokio::spawn(async move {
            let readings: Vec<Value> = (0..50)
                .map(|i| json!({"timestamp": base + (b * 50 + i) * 1000, "temperature": b as f64}))
                .collect();
            call(
                &app,
                device_caller("load-1", &["metrics/write"]),
                "POST",
                "/devices/load-1/metrics",
                Some(Value::Array(readings)),
            )
            .await
            .0
        }));
    }
    for batch in batches {
        assert_eq!(batch.await.expect("task"), 201);
    }
    let readings = read_all(&app, "/devices/load-1/metrics").await;
    let times: HashSet<i64> = readings
        .iter()
        .map(|r| r["timestamp"].as_i64().expect("ts"))
        .collect();
    assert_eq!(
        (readings.len(), times.len()),
        (1000, 1000),
        "no reading lost or duplicated"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writes_on_the_embedded_store() {
    concurrent_writes(testing::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writes_on_dynamodb_local() {
    concurrent_writes(testing::dynamo().await).await;
}
