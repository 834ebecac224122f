//! `/news` routes.

use super::error::ApiError;
use super::params::{ordered, Params};
use super::AppState;
use crate::model::{format_timestamp, NewsItem, Page};
use crate::store::NewsQuery;
use axum::extract::{Path, RawQuery, State};
use axum::Json;
use serde_json::{json, Value};

/// `GET /news?category=&source=&since=&until=&limit=&cursor=`, newest first.
pub async fn list(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<Page<NewsItem>>, ApiError> {
    let params = Params::parse(
        query.as_deref(),
        &["category", "source", "since", "until", "limit", "cursor"],
    )?;
    let (since, until) = (params.time("since", false)?, params.time("until", true)?);
    ordered(since, until, ("since", "until"))?;
    let source = params.get("source").map(str::to_owned);
    if source.as_ref().is_some_and(|s| s.chars().count() > 100) {
        return Err(ApiError::validation("source: at most 100 characters"));
    }
    let query = NewsQuery {
        category: params.category("category")?,
        source,
        since,
        until,
        limit: params.limit()?,
        cursor: params.cursor(),
    };
    Ok(Json(state.store.list_news(&query).await?))
}

/// `GET /news/{id}`.
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<NewsItem>, ApiError> {
    state
        .store
        .get_news(&id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("news item"))
}

/// `GET /news/stats?since=&until=`: counts per category.
pub async fn stats(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let params = Params::parse(query.as_deref(), &["since", "until"])?;
    let (since, until) = (params.time("since", false)?, params.time("until", true)?);
    ordered(since, until, ("since", "until"))?;
    let counts = state.store.news_stats(since, until).await?;
    let total: u64 = counts.values().sum();
    Ok(Json(json!({
        "since": since.as_ref().map(format_timestamp),
        "until": until.as_ref().map(format_timestamp),
        "counts": counts,
        "total": total,
    })))
}
