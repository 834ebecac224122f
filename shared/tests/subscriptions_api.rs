//! `/users/me/subscriptions` through the router: the secret shown once, only the owner sees or
//! changes a subscription, refused destinations are 422s, a test alert reaches the receiver
//! and joins the deliveries, resuming clears a pause, and deleting the user deletes them.

use axum::http::StatusCode;
use axum::Router;
use serde_json::{json, Value};
use shared::alerts::deliver::{DeliveryConfig, HttpSender};
use shared::alerts::{signature, SubscriptionStatus};
use shared::api::{router, AppState};
use shared::auth::Caller;
use shared::testing::receiver::Receiver;
use shared::testing::{self, access::user_caller};
use std::sync::Arc;

const ALICE: &str = "0195f0a2-7c5e-7d6b-8a1f-00000000a11c";
const BOB: &str = "0195f0a2-7c5e-7d6b-8a1f-000000000b0b";

async fn call(
    app: &Router,
    caller: Caller,
    method: &str,
    uri: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    testing::call_as(app, caller, method, uri, body).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_belong_to_their_owner_and_send_test_alerts() {
    let harness = testing::sqlite().await;
    let sender = HttpSender::new(DeliveryConfig::local()).expect("sender");
    let app = router(AppState {
        store: harness.store.clone(),
        metrics_retention: None,
        sender: Some(Arc::new(sender)),
    });
    let alice = || user_caller(ALICE, "alice@example.com", false);
    let bob = || user_caller(BOB, "bob@example.com", false);
    let (status, _) = call(
        &app,
        alice(),
        "POST",
        "/users",
        Some(json!({"username": "alice"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let receiver = Receiver::start(&[("hook", &[204])]).await;
    let url = receiver.url("hook");

    let new = json!({"filters": {"categories": ["Trade"], "teams": ["bos"], "players": ["jrue holiday"]},
                     "channel": {"type": "webhook", "url": url}});
    let (status, created) = call(&app, alice(), "POST", "/users/me/subscriptions", Some(new)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().expect("id").to_owned();
    let secret = created["secret"]
        .as_str()
        .expect("the secret, once")
        .to_owned();
    assert_eq!(secret.len(), 64);
    assert_eq!(created["filters"]["teams"], json!(["BOS"]));
    assert_eq!(created["filters"]["players"], json!(["Jrue Holiday"]));
    assert_eq!(created["filters"]["min_confidence"], json!(0.8));
    let path = format!("/users/me/subscriptions/{id}");

    let (status, listed) = call(&app, alice(), "GET", "/users/me/subscriptions", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1));
    assert!(
        listed["items"][0].get("secret").is_none(),
        "never shown again"
    );
    let (status, one) = call(&app, alice(), "GET", &path, None).await;
    assert_eq!((status, one.get("secret")), (StatusCode::OK, None));

    // Bob sees, changes and tests nothing of Alice's.
    for (method, uri) in [
        ("GET", path.clone()),
        ("DELETE", path.clone()),
        ("POST", format!("{path}/test")),
        ("GET", format!("{path}/deliveries")),
    ] {
        let (status, _) = call(&app, bob(), method, &uri, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {uri}");
    }
    let (status, _) = call(&app, bob(), "PATCH", &path, Some(json!({"version": 1}))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, bobs) = call(&app, bob(), "GET", "/users/me/subscriptions", None).await;
    assert_eq!(bobs["items"], json!([]));

    // Bad input: clear 422s naming the field, nothing stored.
    for (body, code) in [
        (
            json!({"channel": {"type": "webhook", "url": "https://169.254.169.254/x"}}),
            "destination_refused",
        ),
        (
            json!({"channel": {"type": "webhook", "url": "http://10.0.0.8/x"}}),
            "destination_refused",
        ),
        (
            json!({"channel": {"type": "slack", "url": "ftp://example.com/x"}}),
            "destination_refused",
        ),
        (
            json!({"filters": {"teams": ["XYZ"]}, "channel": {"type": "discord", "url": url}}),
            "validation_failed",
        ),
        (
            json!({"channel": {"type": "pigeon", "url": url}}),
            "validation_failed",
        ),
    ] {
        let (status, error) = call(
            &app,
            alice(),
            "POST",
            "/users/me/subscriptions",
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {error}");
        if code == "destination_refused" {
            assert_eq!(error["error"]["code"], code, "{error}");
        }
    }
    let (_, still) = call(&app, alice(), "GET", "/users/me/subscriptions", None).await;
    assert_eq!(still["items"].as_array().map(Vec::len), Some(1));

    // A test alert reaches the receiver, signed, and is listed.
    let (status, result) = call(&app, alice(), "POST", &format!("{path}/test"), None).await;
    assert_eq!(status, StatusCode::OK, "{result}");
    assert_eq!(result["delivered"], true, "{result}");
    let received = receiver.got("hook");
    assert_eq!(received.len(), 1);
    let timestamp: i64 = received[0]
        .header("x-timestamp")
        .parse()
        .expect("timestamp");
    assert_eq!(
        received[0].header("x-signature"),
        signature(&secret, timestamp, &received[0].body)
    );
    let alert = received[0].json();
    assert_eq!(alert["event"], "test");
    let (status, deliveries) =
        call(&app, alice(), "GET", &format!("{path}/deliveries"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(deliveries["items"][0]["outcome"], "delivered");
    assert_eq!(deliveries["items"][0]["status"], 204);

    // Pausing and resuming; a stale version is a 409.
    let (status, paused) = call(
        &app,
        alice(),
        "PATCH",
        &path,
        Some(json!({"version": 1, "status": "paused"})),
    )
    .await;
    assert_eq!(
        (status, paused["status"].as_str()),
        (StatusCode::OK, Some("paused"))
    );
    let (status, _) = call(
        &app,
        alice(),
        "PATCH",
        &path,
        Some(json!({"version": 1, "status": "active"})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let mut stored = harness
        .store
        .get_subscription(ALICE, &id)
        .await
        .expect("get")
        .expect("stored");
    stored.consecutive_failures = 5;
    stored.paused_reason = Some("5 deliveries in a row failed".into());
    stored.version = 3;
    harness
        .store
        .update_subscription(&stored, 2)
        .await
        .expect("store");
    let (status, resumed) = call(
        &app,
        alice(),
        "PATCH",
        &path,
        Some(json!({"version": 3, "status": "active"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{resumed}");
    assert_eq!(resumed["status"], "active");
    assert_eq!(resumed["consecutive_failures"], 0);
    assert_eq!(resumed["paused_reason"], Value::Null);
    let again = harness
        .store
        .get_subscription(ALICE, &id)
        .await
        .expect("get")
        .expect("stored");
    assert_eq!(again.status, SubscriptionStatus::Active);

    // A new destination starts with no failures: those of the old one say nothing of it.
    let mut failing = again;
    failing.consecutive_failures = 4;
    failing.version = 5;
    harness
        .store
        .update_subscription(&failing, 4)
        .await
        .expect("store");
    let (status, moved) = call(
        &app,
        alice(),
        "PATCH",
        &path,
        Some(json!({"version": 5, "channel": {"type": "webhook", "url": receiver.url("other")}})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["consecutive_failures"], 0);

    // Deleting the user deletes their subscriptions.
    let (status, _) = call(&app, alice(), "DELETE", "/users/me", None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(harness
        .store
        .list_subscriptions(ALICE)
        .await
        .expect("list")
        .is_empty());
}
