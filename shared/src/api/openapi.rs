//! The OpenAPI 3 document, generated from the handlers' and types' annotations. It is served at
//! `GET /openapi.json` and checked in as `openapi.json` at the repository root; a test keeps
//! the two identical (`UPDATE_OPENAPI=1 cargo test -p shared --lib openapi` rewrites the file).

use super::error::{ErrorBody, ErrorDetail};
use super::{feeds, metrics, news, sources, stories, subscriptions, users, Health};
use crate::classify::{Category, Evidence, Place};
use crate::model::{
    FieldSummary, NewProfile, NewsItem, Page, ProfileUpdate, Reading, ReadingSummary, User,
    UserUpdate,
};
use std::sync::OnceLock;
use utoipa::OpenApi;

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(title = "NBA Trade Tracker API", description = "Classified NBA transaction news, users and IoT device metrics."),
    paths(
        super::health,
        news::list, news::get, news::stats, news::teams, stories::list, sources::list, feeds::atom_feed, feeds::json_feed_route,
        users::create, users::list, users::get_me, users::update_me, users::delete_me,
        users::get, users::update, users::delete,
        subscriptions::create, subscriptions::list, subscriptions::get, subscriptions::update,
        subscriptions::delete, subscriptions::test, subscriptions::deliveries,
        metrics::put, metrics::list, metrics::summary,
    ),
    components(schemas(
        Health, ErrorBody, ErrorDetail, Category, Place, Evidence, NewsItem, crate::teams::TeamMention, crate::players::PlayerMention, news::TeamInfo, news::NewsStats, Page<NewsItem>, stories::Story, stories::Report, Page<stories::Story>, sources::SourceHealth, sources::SourceStatus,
        crate::alerts::Filters, crate::alerts::Channel, crate::alerts::SubscriptionStatus,
        crate::alerts::SubscriptionView, crate::alerts::NewSubscription, crate::alerts::SubscriptionUpdate,
        crate::alerts::Outcome, crate::alerts::DeliveryAttempt, Page<crate::alerts::SubscriptionView>,
        Page<crate::alerts::DeliveryAttempt>, subscriptions::TestResult,
        User, NewProfile, ProfileUpdate, UserUpdate, Page<User>, Reading, Page<Reading>, ReadingSummary, FieldSummary, metrics::Stored,
    )),
    modifiers(&BearerScheme),
    tags(
        (name = "news", description = "Classified news items"),
        (name = "users", description = "Profiles: each signed-in user owns theirs; the admin group manages all"),
        (name = "metrics", description = "IoT device readings"),
        (name = "alerts", description = "A signed-in user's alert subscriptions and their deliveries"),
        (name = "health", description = "Liveness"),
    )
)]
pub struct ApiDoc;

/// Declares `bearer`: a JWT from the Cognito user pool (on AWS) or `tracker token` (locally).
struct BearerScheme;

impl utoipa::Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT")
            .description(Some(
                "A Cognito access or ID token (AWS), or a `tracker token` (local). Users own \
                 their profile; the admin group manages all; device credentials need \
                 metrics/write for their own device; reading readings needs metrics/read.",
            ))
            .build();
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// The document as pretty JSON, built once.
pub fn document() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| {
        ApiDoc::openapi()
            .to_pretty_json()
            .unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHECKED_IN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.json");

    #[test]
    fn openapi_json_is_in_sync_with_the_code() {
        let generated = format!("{}\n", document());
        if std::env::var_os("UPDATE_OPENAPI").is_some() {
            std::fs::write(CHECKED_IN, &generated).expect("write openapi.json");
        }
        let checked_in = std::fs::read_to_string(CHECKED_IN).expect("openapi.json is checked in");
        assert!(
            checked_in == generated,
            "openapi.json is stale: run UPDATE_OPENAPI=1 cargo test -p shared --lib openapi"
        );
    }

    #[test]
    fn every_route_is_documented() {
        let doc: serde_json::Value = serde_json::from_str(document()).expect("JSON");
        for path in [
            "/health",
            "/news",
            "/news/{id}",
            "/news/stats",
            "/teams",
            "/stories",
            "/sources",
            "/news.atom",
            "/news.json",
            "/users",
            "/users/{id}",
            "/users/me",
            "/users/me/subscriptions",
            "/users/me/subscriptions/{id}",
            "/users/me/subscriptions/{id}/test",
            "/users/me/subscriptions/{id}/deliveries",
            "/devices/{device_id}/metrics",
            "/devices/{device_id}/metrics/summary",
        ] {
            assert!(doc["paths"][path].is_object(), "{path} missing");
        }
    }
}
