//! The HTTP API: one axum [`Router`] served by the API Lambdas (through lambda_http) and by
//! `tracker serve` locally. Each entry point authenticates requests and hands the handlers a
//! [`Caller`](crate::auth::Caller); the handlers apply the rules of [`crate::auth`]. CORS is the
//! entry point's too: API Gateway's configuration on AWS, `--cors-origin` locally.

pub mod error;
pub mod feeds;
pub mod headers;
pub mod metrics;
pub mod news;
pub mod openapi;
pub mod params;
pub mod sources;
pub mod stories;
pub mod subscriptions;
pub mod trace;
pub mod users;

use crate::store::Store;
use axum::extract::DefaultBodyLimit;
use axum::http::{header, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use error::ApiError;
use std::sync::Arc;

/// Largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// What handlers share.
#[derive(Clone)]
pub struct AppState {
    /// The store.
    pub store: Arc<dyn Store>,
    /// How long readings are kept (sets their TTL); `None` keeps them.
    pub metrics_retention: Option<chrono::Duration>,
    /// Sends alerts (subscription checks, email topics, test alerts); `None`: no subscription
    /// routes (the news-api and metrics-api binary).
    pub sender: Option<std::sync::Arc<dyn crate::alerts::Sender>>,
}

/// The alert subscription routes (only where the state can send alerts).
fn subscription_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/users/me/subscriptions",
            get(subscriptions::list).post(subscriptions::create),
        )
        .route(
            "/users/me/subscriptions/{id}",
            get(subscriptions::get)
                .patch(subscriptions::update)
                .delete(subscriptions::delete),
        )
        .route(
            "/users/me/subscriptions/{id}/test",
            post(subscriptions::test),
        )
        .route(
            "/users/me/subscriptions/{id}/deliveries",
            get(subscriptions::deliveries),
        )
}

/// The API router: every route (the subscription routes when `state` can send alerts), JSON
/// errors for 404/405/413/415, and the security headers.
pub fn router(state: AppState) -> Router {
    let alerts = if state.sender.is_some() {
        subscription_routes()
    } else {
        Router::new()
    };
    Router::new()
        .merge(alerts)
        .route("/health", get(health))
        .route("/openapi.json", get(openapi))
        .route("/news", get(news::list))
        .route("/news/stats", get(news::stats))
        .route("/news.atom", get(feeds::atom_feed))
        .route("/news.json", get(feeds::json_feed_route))
        .route("/news/{id}", get(news::get))
        .route("/teams", get(news::teams))
        .route("/stories", get(stories::list))
        .route("/sources", get(sources::list))
        .route("/users", get(users::list).post(users::create))
        .route(
            "/users/me",
            get(users::get_me)
                .patch(users::update_me)
                .delete(users::delete_me),
        )
        .route(
            "/users/{id}",
            get(users::get).patch(users::update).delete(users::delete),
        )
        .route(
            "/devices/{device_id}/metrics",
            get(metrics::list).post(metrics::put),
        )
        .route(
            "/devices/{device_id}/metrics/summary",
            get(metrics::summary),
        )
        .route_layer(axum::middleware::from_fn(trace::span))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(headers::add))
        .with_state(state)
}

/// The answer of `GET /health`.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Health {
    /// Always "ok" when the function answers.
    pub status: &'static str,
    /// The deployed version.
    pub version: &'static str,
}

/// `GET /health`.
#[utoipa::path(get, path = "/health", operation_id = "health", tag = "health", security(()), responses((status = 200, description = "Alive", body = Health)))]
pub async fn health() -> Json<Health> {
    Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
    })
}

async fn openapi() -> ([(header::HeaderName, &'static str); 1], &'static str) {
    (
        [(header::CONTENT_TYPE, "application/json")],
        openapi::document(),
    )
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "method not allowed on this route",
    )
}
