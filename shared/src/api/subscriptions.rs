//! `/users/me/subscriptions` routes: a signed-in user's alert subscriptions (see
//! [`crate::alerts`]). Only the owner sees or changes them; the secret is shown once, when the
//! subscription is created.

use super::error::{found, parse_body, ApiError, ErrorBody};
use super::params::{Params, PathParam};
use super::users::own_id;
use super::AppState;
use crate::alerts::{
    sample_item, subscription, Channel, DeliveryAttempt, NewSubscription, Sender, Subscription,
    SubscriptionStatus, SubscriptionUpdate, SubscriptionView, MAX_SUBSCRIPTIONS,
};
use crate::auth::{Caller, Identity};
use crate::model::{Email, Page};
use crate::store::StoreError;
use axum::extract::rejection::JsonRejection;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::Json;
use std::sync::Arc;

type Body = Result<Json<serde_json::Value>, JsonRejection>;

/// How long test attempts are listed.
const TEST_RETENTION: chrono::Duration = chrono::Duration::days(30);

/// The state's sender (the routes are only served with one).
fn sender(state: &AppState) -> Result<&Arc<dyn Sender>, ApiError> {
    state.sender.as_ref().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "alerts_unavailable",
            "this deployment sends no alerts",
        )
    })
}

/// Prepares the subscription's channel (an email topic); 502 when that fails.
async fn enroll(state: &AppState, sub: &mut Subscription) -> Result<(), ApiError> {
    sender(state)?.enroll(sub).await.map_err(|why| {
        tracing::error!(error = %why, "enrolling a subscription's channel");
        ApiError::new(
            StatusCode::BAD_GATEWAY,
            "channel_unavailable",
            "the channel could not be set up now; try again later",
        )
    })
}

/// 422 unless an email channel names the caller's own verified address: nobody signs anyone
/// else up for mail.
fn own_address(identity: &Identity, channel: &Channel) -> Result<(), ApiError> {
    let Channel::Email { address } = channel else {
        return Ok(());
    };
    let own = identity.verified_email.as_ref().map(Email::key);
    let asked = Email::parse(address).map(|e| e.key()).ok();
    if own.is_some() && own == asked {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "email_not_yours",
        "channel.address: email alerts go only to your own verified address (your token's email)",
    ))
}

/// 422 when alerts may not go to `channel`.
async fn check(state: &AppState, channel: &Channel) -> Result<(), ApiError> {
    match sender(state)?.check(channel).await {
        Some(why) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "destination_refused",
            format!("channel.url: {why}"),
        )),
        None => Ok(()),
    }
}

async fn owned(state: &AppState, owner: &str, id: &str) -> Result<Subscription, ApiError> {
    state
        .store
        .get_subscription(owner, id)
        .await?
        .ok_or_else(|| ApiError::not_found("subscription"))
}

/// `POST /users/me/subscriptions`: 201 with the subscription and its signing secret (shown
/// this once).
#[utoipa::path(post, path = "/users/me/subscriptions", operation_id = "createSubscription", tag = "alerts",
    request_body = NewSubscription, security(("bearer" = [])),
    responses(
        (status = 201, description = "Created; `secret` signs its webhook bodies and is not shown again", body = SubscriptionView),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No valid bearer token", body = ErrorBody),
        (status = 403, description = "A device's credential", body = ErrorBody),
        (status = 409, description = "The caller has 20 subscriptions already", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
        (status = 422, description = "Invalid filters, or a channel URL alerts may not reach", body = ErrorBody),
        (status = 502, description = "An email channel's topic could not be set up", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    body: Body,
) -> Result<(StatusCode, Json<SubscriptionView>), ApiError> {
    let identity = caller.identity()?;
    let owner = own_id(identity)?.to_owned();
    let new: NewSubscription = parse_body(body)?;
    let mut sub = subscription(&owner, new, chrono::Utc::now())?;
    own_address(identity, &sub.channel)?;
    check(&state, &sub.channel).await?;
    // Answered before an email topic is made; the store holds the limit against races.
    if state.store.list_subscriptions(&owner).await?.len() >= MAX_SUBSCRIPTIONS {
        return Err(StoreError::LimitReached(MAX_SUBSCRIPTIONS).into());
    }
    enroll(&state, &mut sub).await?;
    if let Err(err) = state
        .store
        .create_subscription(&sub, MAX_SUBSCRIPTIONS)
        .await
    {
        sender(&state)?.retire(&sub).await;
        return Err(err.into());
    }
    let mut view = sub.view();
    view.secret = Some(sub.secret);
    Ok((StatusCode::CREATED, Json(view)))
}

/// `GET /users/me/subscriptions`: the caller's subscriptions, oldest first (one page).
#[utoipa::path(get, path = "/users/me/subscriptions", operation_id = "listSubscriptions", tag = "alerts",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every subscription of the caller", body = Page<SubscriptionView>),
        (status = 401, description = "No valid bearer token", body = ErrorBody),
        (status = 403, description = "A device's credential", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Page<SubscriptionView>>, ApiError> {
    let owner = own_id(caller.identity()?)?;
    let subs = state.store.list_subscriptions(owner).await?;
    Ok(Json(Page {
        items: subs.iter().map(Subscription::view).collect(),
        next_cursor: None,
    }))
}

/// `GET /users/me/subscriptions/{id}`.
#[utoipa::path(get, path = "/users/me/subscriptions/{id}", operation_id = "getSubscription", tag = "alerts",
    security(("bearer" = [])), params(("id" = String, Path, description = "The subscription id")),
    responses(
        (status = 200, description = "The subscription", body = SubscriptionView),
        (status = 401, description = "No valid bearer token", body = ErrorBody),
        (status = 403, description = "A device's credential", body = ErrorBody),
        (status = 404, description = "No such subscription of the caller", body = ErrorBody),
    ))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(id): PathParam,
) -> Result<Json<SubscriptionView>, ApiError> {
    let owner = own_id(caller.identity()?)?;
    Ok(Json(owned(&state, owner, &id).await?.view()))
}

/// `PATCH /users/me/subscriptions/{id}`: `{"version", "filters"?, "channel"?, "status"?}`;
/// `"status": "active"` resumes a paused subscription and clears its failures.
#[utoipa::path(patch, path = "/users/me/subscriptions/{id}", operation_id = "updateSubscription", tag = "alerts",
    request_body = SubscriptionUpdate, security(("bearer" = [])),
    params(("id" = String, Path, description = "The subscription id")),
    responses(
        (status = 200, description = "The updated subscription", body = SubscriptionView),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No valid bearer token", body = ErrorBody),
        (status = 403, description = "A device's credential", body = ErrorBody),
        (status = 404, description = "No such subscription of the caller", body = ErrorBody),
        (status = 409, description = "Version conflict", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Not JSON", body = ErrorBody),
        (status = 422, description = "Invalid fields or a refused channel URL", body = ErrorBody),
        (status = 502, description = "An email channel's topic could not be set up", body = ErrorBody),
    ))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(id): PathParam,
    body: Body,
) -> Result<Json<SubscriptionView>, ApiError> {
    let identity = caller.identity()?;
    let owner = own_id(identity)?;
    let change: SubscriptionUpdate = parse_body(body)?;
    let before = owned(&state, owner, &id).await?;
    // A stale version is refused before anything is set up for a new channel.
    if change.version != before.version {
        return Err(StoreError::VersionConflict {
            current: before.version,
        }
        .into());
    }
    let mut sub = before.clone();
    if let Some(filters) = change.filters {
        sub.filters = filters.parse()?;
    }
    let moved = change
        .channel
        .as_ref()
        .is_some_and(|channel| *channel != before.channel);
    sub.version = change.version + 1;
    if let Some(channel) = change.channel.filter(|_| moved) {
        own_address(identity, &channel)?;
        check(&state, &channel).await?;
        sub.channel = channel;
        sub.email_topic = None;
        // Failures at the old destination say nothing of the new one.
        sub.consecutive_failures = 0;
        enroll(&state, &mut sub).await?;
    }
    if let Some(status) = change.status {
        if status == SubscriptionStatus::Active {
            sub.consecutive_failures = 0;
            sub.paused_reason = None;
        }
        sub.status = status;
    }
    sub.updated_at = chrono::Utc::now();
    let updated = state.store.update_subscription(&sub, change.version).await;
    if moved {
        // The channel not in use any more gives up what it held.
        let unused = if updated.is_ok() { &before } else { &sub };
        sender(&state)?.retire(unused).await;
    }
    found(updated, "subscription")?;
    Ok(Json(sub.view()))
}

/// `DELETE /users/me/subscriptions/{id}`: 204.
#[utoipa::path(delete, path = "/users/me/subscriptions/{id}", operation_id = "deleteSubscription", tag = "alerts",
    security(("bearer" = [])), params(("id" = String, Path, description = "The subscription id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No valid bearer token", body = ErrorBody),
        (status = 403, description = "A device's credential", body = ErrorBody),
        (status = 404, description = "No such subscription of the caller", body = ErrorBody),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(id): PathParam,
) -> Result<StatusCode, ApiError> {
    let owner = own_id(caller.identity()?)?;
    let sub = owned(&state, owner, &id).await?;
    found(
        state.store.delete_subscription(owner, &id).await,
        "subscription",
    )?;
    if let Some(sender) = &state.sender {
        sender.retire(&sub).await;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// What a test alert did.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct TestResult {
    /// Whether the receiver accepted it.
    pub delivered: bool,
    /// Each try, the last one last.
    pub attempts: Vec<DeliveryAttempt>,
}

/// `POST /users/me/subscriptions/{id}/test`: sends a sample alert now (paused or not) and
/// answers what happened; the attempts join the deliveries list.
#[utoipa::path(post, path = "/users/me/subscriptions/{id}/test", operation_id = "testSubscription", tag = "alerts",
    security(("bearer" = [])), params(("id" = String, Path, description = "The subscription id")),
    responses(
        (status = 200, description = "The delivery result", body = TestResult),
        (status = 401, description = "No valid bearer token", body = ErrorBody),
        (status = 403, description = "A device's credential", body = ErrorBody),
        (status = 404, description = "No such subscription of the caller", body = ErrorBody),
    ))]
pub async fn test(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(id): PathParam,
) -> Result<Json<TestResult>, ApiError> {
    let owner = own_id(caller.identity()?)?;
    let sub = owned(&state, owner, &id).await?;
    let now = chrono::Utc::now();
    let attempts = sender(&state)?.send(&sub, &sample_item(now), true).await;
    let expires_at = (now + TEST_RETENTION).timestamp();
    for attempt in &attempts {
        state.store.record_attempt(attempt, expires_at).await?;
    }
    Ok(Json(TestResult {
        delivered: attempts
            .last()
            .is_some_and(|a| a.outcome == crate::alerts::Outcome::Delivered),
        attempts,
    }))
}

/// `GET /users/me/subscriptions/{id}/deliveries?limit=`: the newest attempts (30 days kept).
#[utoipa::path(get, path = "/users/me/subscriptions/{id}/deliveries", operation_id = "listDeliveries", tag = "alerts",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "The subscription id"),
        ("limit" = Option<u32>, Query, description = "1 to 100, default 20"),
    ),
    responses(
        (status = 200, description = "Attempts, newest first", body = Page<DeliveryAttempt>),
        (status = 400, description = "Malformed parameter", body = ErrorBody),
        (status = 401, description = "No valid bearer token", body = ErrorBody),
        (status = 403, description = "A device's credential", body = ErrorBody),
        (status = 404, description = "No such subscription of the caller", body = ErrorBody),
        (status = 422, description = "Invalid limit", body = ErrorBody),
    ))]
pub async fn deliveries(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(id): PathParam,
    RawQuery(query): RawQuery,
) -> Result<Json<Page<DeliveryAttempt>>, ApiError> {
    let owner = own_id(caller.identity()?)?;
    let limit = Params::parse(query.as_deref(), &["limit"])?.limit()?;
    let sub = owned(&state, owner, &id).await?;
    Ok(Json(Page {
        items: state.store.list_attempts(&sub.id, limit).await?,
        next_cursor: None,
    }))
}
