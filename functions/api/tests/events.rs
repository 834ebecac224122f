//! Every API request in `events/` pushed through the Lambdas' app in-process, as lambda_http
//! delivers it (authorizer claims in the request context), on the embedded store and on
//! DynamoDB Local; and through each API binary under the real Lambda emulator.

use api_functions::app;
use http_body_util::BodyExt;
use serde_json::Value;
use shared::alerts::deliver::{DeliveryConfig, HttpSender};
use shared::api::AppState;
use shared::store::Store;
use shared::testing::access::{run_matrix, Principal};
use shared::testing::emulator::{self, Emulator};
use shared::testing::{self, Harness};
use std::sync::Arc;
use tower::ServiceExt;

const EVENTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../events");

/// Where the events go: the router in-process, or a function binary under the emulator.
enum Api<'a> {
    Router(axum::Router),
    Emulated(&'a Emulator),
}

impl Api<'_> {
    /// Sends one events/ file; returns status and JSON body (null if empty).
    async fn invoke(&self, file: &str) -> (u16, Value) {
        let path = format!("{EVENTS}/{file}");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let (status, bytes) = match self {
            Api::Router(app) => {
                let request = lambda_http::request::from_str(&text)
                    .unwrap_or_else(|e| panic!("{file}: not an API Gateway request: {e}"));
                let request = request.map(|body| axum::body::Body::from(body.to_vec()));
                let response = app
                    .clone()
                    .oneshot(request)
                    .await
                    .expect("the router answers");
                let status = response.status().as_u16();
                let body = response.into_body().collect().await.expect("body");
                (status, body.to_bytes().to_vec())
            }
            Api::Emulated(emulator) => {
                let response = emulator.invoke(text.as_bytes()).await;
                let status = response["statusCode"]
                    .as_u64()
                    .and_then(|s| u16::try_from(s).ok())
                    .unwrap_or_else(|| panic!("{file}: not an API Gateway response: {response}"));
                assert_ne!(response["isBase64Encoded"], true, "{file}: JSON is text");
                let body = response["body"].as_str().unwrap_or_default();
                assert!(status < 500, "{file}: {status} {body}\n{}", emulator.log());
                (status, body.as_bytes().to_vec())
            }
        };
        let body = if bytes.is_empty() {
            Value::Null
        } else if bytes.starts_with(b"<?xml") {
            // The Atom feed: the one answer that is not JSON.
            Value::String(String::from_utf8_lossy(&bytes).into_owned())
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|e| panic!("{file}: body is not JSON: {e}"))
        };
        (status, body)
    }
}

fn error_code(body: &Value) -> &str {
    body["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("not an error body: {body}"))
}

/// Stores the sample feeds' 28 items in `store`.
async fn seed(store: Arc<dyn Store>) {
    let (archive, _dir) = testing::local_archive();
    let ingest = testing::ingest(store, Arc::new(archive));
    let summary = ingest
        .run(&testing::sample_feeds(), chrono::Utc::now())
        .await;
    assert_eq!(summary.feeds_failed, 0, "{summary:?}");
}

/// The in-process router over `harness`, seeded.
async fn seeded_router(harness: &Harness) -> Api<'static> {
    seed(harness.store.clone()).await;
    let sender = HttpSender::new(DeliveryConfig::default()).expect("sender");
    Api::Router(app(AppState {
        store: harness.store.clone(),
        metrics_retention: None,
        sender: Some(Arc::new(sender)),
    }))
}

/// Every event in order, each with its expected answer, against an API over the seeded store.
async fn every_event(app: &Api<'_>, alerts: bool) {
    let (status, body) = app.invoke("health.json").await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ok")));

    let (status, body) = app.invoke("news-list.json").await;
    assert_eq!(status, 200);
    assert_eq!(body["items"].as_array().map(Vec::len), Some(5));
    assert!(body["next_cursor"].is_string());

    let (status, body) = app.invoke("news-list-filtered.json").await;
    assert_eq!(status, 200);
    let items = body["items"].as_array().expect("items");
    assert!(!items.is_empty());
    assert!(
        items
            .iter()
            .all(|i| i["category"] == "Trade" && i["source"] == "ESPN"),
        "{body}"
    );

    let (status, body) = app.invoke("news-get.json").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["title"],
        "Blockbuster: Nets trade All-Star forward to Clippers for package of picks"
    );
    assert_eq!(body["category"], "Trade");
    assert!(!body["evidence"].as_array().expect("evidence").is_empty());
    assert_eq!(body["teams"], serde_json::json!(["BKN", "LAC"]), "{body}");

    let (status, body) = app.invoke("news-list-team.json").await;
    assert_eq!(status, 200, "{body}");
    let items = body["items"].as_array().expect("items");
    assert!(!items.is_empty(), "{body}");
    assert!(
        items.iter().all(|i| i["category"] == "Trade"
            && i["teams"]
                .as_array()
                .is_some_and(|t| t.contains(&"LAC".into()))),
        "{body}"
    );
    let (status, body) = app.invoke("news-json-feed.json").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["title"], "NBA Trade Tracker · LAC", "{body}");
    let (status, body) = app.invoke("news-atom.json").await;
    assert_eq!(status, 200);
    assert!(
        body.as_str()
            .is_some_and(|xml| xml.contains("<feed xmlns=\"http://www.w3.org/2005/Atom\">")),
        "{body}"
    );
    let (status, body) = app.invoke("teams.json").await;
    assert_eq!(
        (status, body.as_array().map(Vec::len)),
        (200, Some(30)),
        "{body}"
    );
    let (status, body) = app.invoke("stories.json").await;
    assert_eq!(status, 200, "{body}");
    let stories = body["items"].as_array().expect("items");
    assert!(!stories.is_empty(), "{body}");
    assert!(
        stories.iter().all(|s| s["reports"]
            .as_array()
            .is_some_and(|r| r.iter().any(|r| r["id"] == s["item"]["id"]))),
        "{body}"
    );
    // hooks.example.com resolves nowhere: refused, as any destination that is not public. The
    // `api` binary (news-api, metrics-api, which API Gateway never sends these routes) has no
    // subscription routes.
    let (status, body) = app.invoke("subscriptions-create.json").await;
    let refused = if alerts {
        (422, "destination_refused")
    } else {
        (404, "not_found")
    };
    assert_eq!((status, error_code(&body)), refused, "{body}");
    let (status, body) = app.invoke("subscriptions-list.json").await;
    if alerts {
        assert_eq!((status, &body["items"]), (200, &serde_json::json!([])));
    } else {
        assert_eq!(status, 404, "{body}");
    }
    let (status, body) = app.invoke("sources.json").await;
    assert_eq!(status, 200, "{body}");
    let feeds: Vec<&str> = body
        .as_array()
        .expect("sources")
        .iter()
        .filter_map(|s| s["feed"].as_str())
        .collect();
    assert_eq!(feeds, ["espn-nba", "realgm-wiretap"], "{body}");

    let (status, body) = app.invoke("news-stats.json").await;
    assert_eq!(status, 200);
    assert_eq!(body["total"], 28);
    assert_eq!(body["counts"]["Trade"], 7);

    let (status, body) = app.invoke("users-create.json").await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        (
            body["user_id"].as_str(),
            body["email"].as_str(),
            body["version"].as_u64()
        ),
        (
            Some("0195f0a2-7c5e-7d6b-8a1f-0123456789ab"),
            Some("fan@example.com"),
            Some(1)
        ),
        "the id and email come from the verified claims"
    );
    let (status, body) = app.invoke("users-create.json").await;
    assert_eq!((status, error_code(&body)), (409, "profile_exists"));
    let (status, body) = app.invoke("users-list.json").await;
    assert_eq!(
        (status, body["items"].as_array().map(Vec::len)),
        (200, Some(1))
    );
    let (status, body) = app.invoke("users-me-get.json").await;
    assert_eq!((status, body["username"].as_str()), (200, Some("hoopsfan")));
    let (status, body) = app.invoke("users-me-update.json").await;
    assert_eq!(
        (status, body["username"].as_str(), body["version"].as_u64()),
        (200, Some("hoopsfan2"), Some(2)),
        "{body}"
    );
    let (status, body) = app.invoke("users-get.json").await;
    assert_eq!((status, body["version"].as_u64()), (200, Some(2)));
    let (status, body) = app.invoke("users-update.json").await;
    assert_eq!(
        (status, body["username"].as_str()),
        (200, Some("hoopsfan3"))
    );
    for (file, want_status, want_code) in [
        ("denied-users-list-anonymous.json", 401, "unauthorized"),
        ("denied-users-me-forged-header.json", 401, "unauthorized"),
        ("denied-users-list-not-admin.json", 403, "forbidden"),
        ("denied-users-get-other.json", 403, "forbidden"),
        ("denied-users-delete-other.json", 403, "forbidden"),
        ("denied-metrics-put-other-device.json", 403, "forbidden"),
        ("denied-metrics-list-device.json", 403, "forbidden"),
    ] {
        let (status, body) = app.invoke(file).await;
        assert_eq!(
            (status, error_code(&body)),
            (want_status, want_code),
            "{file}: {body}"
        );
    }
    let (status, _) = app.invoke("users-delete.json").await;
    assert_eq!(status, 204);
    for file in [
        "users-get.json",
        "users-me-get.json",
        "users-me-delete.json",
    ] {
        let (status, body) = app.invoke(file).await;
        assert_eq!((status, error_code(&body)), (404, "not_found"), "{file}");
    }
    let (status, _) = app.invoke("users-create.json").await;
    assert_eq!(status, 201, "the email was freed with the profile");
    let (status, _) = app.invoke("users-me-delete.json").await;
    assert_eq!(status, 204);

    let (status, body) = app.invoke("metrics-put.json").await;
    assert_eq!((status, body["count"].as_u64()), (201, Some(1)), "{body}");
    let (status, body) = app.invoke("metrics-put-batch.json").await;
    assert_eq!((status, body["count"].as_u64()), (201, Some(5)), "{body}");
    let (status, body) = app.invoke("metrics-list.json").await;
    assert_eq!(
        (status, body["items"].as_array().map(Vec::len)),
        (200, Some(5)),
        "{body}"
    );
    let (status, body) = app.invoke("metrics-summary.json").await;
    assert_eq!((status, body["count"].as_u64()), (200, Some(5)), "{body}");
    assert_eq!(body["temperature"]["max"], 24.0);

    for (file, want_status, want_code) in [
        ("bad-news-limit.json", 422, "validation_failed"),
        ("bad-news-category.json", 422, "validation_failed"),
        ("bad-news-cursor.json", 400, "invalid_cursor"),
        ("bad-news-since.json", 400, "bad_request"),
        ("bad-news-team.json", 422, "validation_failed"),
        ("bad-news-team-source.json", 422, "validation_failed"),
        ("bad-news-stats-window.json", 422, "validation_failed"),
        ("bad-users-json.json", 400, "bad_request"),
        ("bad-users-email.json", 422, "validation_failed"),
        ("bad-users-content-type.json", 415, "unsupported_media_type"),
        ("bad-metrics-window.json", 422, "validation_failed"),
        ("bad-metrics-batch.json", 422, "validation_failed"),
        ("bad-route.json", 404, "not_found"),
        ("bad-method.json", 405, "method_not_allowed"),
    ] {
        let (status, body) = app.invoke(file).await;
        assert_eq!(
            (status, error_code(&body)),
            (want_status, want_code),
            "{file}: {body}"
        );
        assert!(
            !body["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .is_empty(),
            "{file}"
        );
    }
    // Nothing stored was lost to the bad requests.
    let (_, body) = app.invoke("news-stats.json").await;
    assert_eq!(body["total"], 28);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_on_the_embedded_store() {
    let harness = testing::sqlite().await;
    every_event(&seeded_router(&harness).await, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_on_dynamodb_local() {
    let harness = testing::dynamo().await;
    every_event(&seeded_router(&harness).await, true).await;
}

/// Every event through a function binary under the emulator, over a seeded DynamoDB Local.
async fn every_event_under_the_emulator(binary: &str, alerts: bool) -> String {
    let store = testing::dynamo_store().await;
    let env = emulator::local_aws_env()
        .into_iter()
        .chain(emulator::table_env(store.tables()));
    let emulator = Emulator::start(std::path::Path::new(binary), env).await;
    seed(Arc::new(store)).await;
    every_event(&Api::Emulated(&emulator), alerts).await;
    emulator.log()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_through_the_users_api_binary_under_the_emulator() {
    every_event_under_the_emulator(env!("CARGO_BIN_EXE_users-api"), true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_through_the_api_binary_under_the_emulator() {
    let log = every_event_under_the_emulator(env!("CARGO_BIN_EXE_api"), false).await;
    assert!(
        log.contains(r#""request_id":"req-1""#) && log.contains(r#""route":"/news/{id}""#),
        "JSON request spans carry API Gateway's request id and the route:\n{log}"
    );
}

#[test]
fn every_event_file_is_covered() {
    let source = include_str!("events.rs");
    // Tested with their functions (functions/ingest, functions/maintenance, functions/notify).
    let ingest_events = [
        "ingest-schedule.json",
        "ingest-scheduler-v2.json",
        "maintenance-schedule.json",
        "notify-stream.json",
    ];
    for entry in std::fs::read_dir(EVENTS).expect("events/") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        assert!(
            ingest_events.contains(&name.as_str()) || source.contains(&format!("\"{name}\"")),
            "{name} is not tested"
        );
    }
}

/// One request of the access matrix as API Gateway delivers it: the principal's claims in the
/// authorizer context, or none (an expired token never passes the gateway; its header alone
/// must grant nothing).
fn gateway_event(method: &str, path: &str, body: Option<&Value>, principal: Principal) -> String {
    let (raw_path, query) = path.split_once('?').unwrap_or((path, ""));
    let mut headers = serde_json::json!({"host": "api.example.com"});
    if body.is_some() {
        headers["content-type"] = "application/json".into();
    }
    if principal == Principal::Expired {
        headers["authorization"] = "Bearer eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjF9.c2ln".into();
    }
    let mut context = serde_json::json!({
        "accountId": "123456789012", "apiId": "abc123", "domainName": "api.example.com",
        "http": {"method": method, "path": raw_path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7"},
        "requestId": "matrix", "routeKey": "$default", "stage": "$default",
        "time": "22/Nov/2026:12:00:00 +0000", "timeEpoch": 1_795_348_800_000_i64,
    });
    if let Some(claims) = principal.gateway_claims() {
        context["authorizer"] = serde_json::json!({"jwt": {"claims": claims}});
    }
    serde_json::json!({
        "version": "2.0", "routeKey": "$default", "rawPath": raw_path, "rawQueryString": query,
        "headers": headers, "requestContext": context, "isBase64Encoded": false,
        "body": body.map(Value::to_string),
    })
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_access_matrix_holds_on_the_lambda_path() {
    let harness = testing::sqlite().await;
    let sender = HttpSender::new(DeliveryConfig::local()).expect("sender");
    let app = app(AppState {
        store: harness.store.clone(),
        metrics_retention: None,
        sender: Some(Arc::new(sender)),
    });
    run_matrix(|method, path, body, principal| {
        let app = app.clone();
        async move {
            let event = gateway_event(method, &path, body.as_ref(), principal);
            let request = lambda_http::request::from_str(&event).expect("an API Gateway event");
            let request = request.map(|body| axum::body::Body::from(body.to_vec()));
            app.oneshot(request)
                .await
                .expect("the router answers")
                .status()
                .as_u16()
        }
    })
    .await;
}
