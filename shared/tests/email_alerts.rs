//! Email alerts through SNS, on moto's SNS API: a subscription gets its own topic with the
//! address subscribed (SNS confirms it before sending anything), test alerts and matching items
//! are published to it, changing the channel or deleting the subscription deletes the topic, and
//! a sender without SNS (`tracker serve`) refuses email channels.

use axum::http::StatusCode;
use axum::Router;
use serde_json::{json, Value};
use shared::alerts::deliver::{DeliveryConfig, HttpSender, Notifier};
use shared::alerts::email::{AwsSender, SnsMailer};
use shared::alerts::{Channel, Outcome, Sender};
use shared::api::{router, AppState};
use shared::testing::{self, access::user_caller};
use std::sync::Arc;

const OWNER: &str = "0195f0a2-7c5e-7d6b-8a1f-0000000e3a11";

async fn call(app: &Router, method: &str, uri: &str, body: Option<Value>) -> (StatusCode, Value) {
    let owner = user_caller(OWNER, "fan@example.com", false);
    testing::call_as(app, owner, method, uri, body).await
}

/// The email subscriptions of `topic`: (protocol, endpoint).
async fn subscribers(sns: &aws_sdk_sns::Client, topic: &str) -> Vec<(String, String)> {
    let out = sns
        .list_subscriptions_by_topic()
        .topic_arn(topic)
        .send()
        .await
        .expect("list subscriptions");
    out.subscriptions()
        .iter()
        .map(|s| {
            (
                s.protocol().unwrap_or_default().to_owned(),
                s.endpoint().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

async fn topic_exists(sns: &aws_sdk_sns::Client, topic: &str) -> bool {
    sns.get_topic_attributes()
        .topic_arn(topic)
        .send()
        .await
        .is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_subscriptions_live_in_their_own_sns_topic() {
    let sns = testing::sns_client();
    let prefix = format!("{}-alert-", testing::unique("t"));
    let sender = AwsSender {
        http: HttpSender::new(DeliveryConfig::local()).expect("http"),
        mail: SnsMailer::new(sns.clone(), prefix.clone()),
    };
    let bad = Channel::Email {
        address: "not an address".into(),
    };
    assert!(sender.check(&bad).await.is_some());
    let local_only = HttpSender::new(DeliveryConfig::local()).expect("http");
    let email = Channel::Email {
        address: "fan@example.com".into(),
    };
    assert!(
        local_only.check(&email).await.is_some(),
        "no email without SNS"
    );

    let harness = testing::sqlite().await;
    let sender: Arc<dyn Sender> = Arc::new(sender);
    let app = router(AppState {
        store: harness.store.clone(),
        metrics_retention: None,
        sender: Some(sender.clone()),
    });
    let (status, refused) = call(
        &app,
        "POST",
        "/users/me/subscriptions",
        Some(json!({"channel": {"type": "email", "address": "someone.else@example.com"}})),
    )
    .await;
    assert_eq!(
        (status, &refused["error"]["code"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("email_not_yours")),
        "mail goes only to the caller's own verified address"
    );
    let (status, created) = call(
        &app,
        "POST",
        "/users/me/subscriptions",
        Some(json!({"filters": {"teams": ["BOS"], "min_confidence": 0},
                    "channel": {"type": "email", "address": "fan@example.com"}})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().expect("id").to_owned();
    let stored = harness
        .store
        .get_subscription(OWNER, &id)
        .await
        .expect("get")
        .expect("stored");
    let topic = stored.email_topic.clone().expect("an email topic");
    assert!(topic.contains(&format!(":{prefix}{id}-")), "{topic}");
    assert_eq!(
        subscribers(&sns, &topic).await,
        [("email".to_owned(), "fan@example.com".to_owned())]
    );

    // A test alert and a matching item are published to the topic.
    let path = format!("/users/me/subscriptions/{id}");
    let (status, result) = call(&app, "POST", &format!("{path}/test"), None).await;
    assert_eq!(
        (status, &result["delivered"]),
        (StatusCode::OK, &json!(true)),
        "{result}"
    );
    let notifier = Notifier {
        store: harness.store.clone(),
        sender: sender.clone(),
    };
    let mut item = shared::alerts::sample_item(chrono::Utc::now());
    item.id = "e".repeat(64);
    item.teams = vec!["BOS".into()];
    let report = notifier
        .notify(&[item], chrono::Utc::now())
        .await
        .expect("notify");
    assert_eq!(report.delivered, 1, "{report:?}");
    let attempts = harness
        .store
        .list_attempts(&id, 10)
        .await
        .expect("attempts");
    assert!(attempts.iter().all(|a| a.outcome == Outcome::Delivered));

    // Moving to a webhook gives the topic up; deleting the subscription leaves nothing behind.
    let receiver = testing::receiver::Receiver::start(&[]).await;
    let (status, moved) = call(
        &app,
        "PATCH",
        &path,
        Some(json!({"version": 1, "channel": {"type": "webhook", "url": receiver.url("hook")}})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert!(
        !topic_exists(&sns, &topic).await,
        "the old topic is deleted"
    );
    // Setting an email channel (PATCH from `version`) gives the subscription a topic: its ARN.
    let set_email = |version: u64, address: &'static str| {
        let (app, path, store, id) = (&app, &path, harness.store.clone(), id.clone());
        async move {
            let body =
                json!({"version": version, "channel": {"type": "email", "address": address}});
            let (status, answer) = call(app, "PATCH", path, Some(body)).await;
            assert_eq!(status, StatusCode::OK, "{answer}");
            let stored = store.get_subscription(OWNER, &id).await.expect("get");
            stored.and_then(|s| s.email_topic).expect("a topic")
        }
    };
    let again = set_email(2, "fan@example.com").await;
    assert!(topic_exists(&sns, &again).await);

    // The address written another way is a new channel: a topic of its own replaces the
    // previous one (SNS would hand back a topic of the same name, and deleting the replaced
    // one deleted the channel's).
    let latest = set_email(3, "Fan@Example.com").await;
    assert_ne!(latest, again);
    assert!(
        !topic_exists(&sns, &again).await,
        "the replaced topic is deleted"
    );

    // A change from a stale version (the one the live topic replaced) is refused before a topic
    // is set up, and the live one stays.
    let (status, _) = call(
        &app,
        "PATCH",
        &path,
        Some(json!({"version": 3, "channel": {"type": "email", "address": "fan@example.com"}})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(topic_exists(&sns, &latest).await, "the live topic stays");
    assert_eq!(
        subscribers(&sns, &latest).await,
        [("email".to_owned(), "Fan@Example.com".to_owned())]
    );
    let (status, _) = call(&app, "DELETE", &path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(
        !topic_exists(&sns, &latest).await,
        "deleted with its subscription"
    );
}
