//! `/news` routes.

use super::error::{ApiError, ErrorBody};
use super::params::{ordered, Params, PathParam};
use super::AppState;
use crate::classify::Category;
use crate::model::{format_timestamp, NewsItem, Page, Timestamp};
use crate::store::{NewsQuery, StatsDays, MAX_STATS_DAYS};
use crate::teams::{TeamCode, TEAMS};
use axum::extract::{RawQuery, State};
use axum::Json;

/// The parameters of a listing (`GET /news`, `GET /stories`).
pub const LISTING_PARAMS: &[&str] = &[
    "category", "source", "team", "since", "until", "limit", "cursor",
];

/// The query parameters of a listing, as the API description documents them (the handlers
/// read them through [`Params`]).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(
    dead_code,
    reason = "documentation only: the handlers read the query through Params"
)]
pub struct ListingParams {
    /// Trade, Signing or Other (any case).
    category: Option<String>,
    /// Only items from this source.
    source: Option<String>,
    /// Only items about this team: a code of GET /teams (any case); combines with category, not
    /// with source.
    team: Option<String>,
    /// RFC 3339 time or YYYY-MM-DD, inclusive.
    since: Option<String>,
    /// RFC 3339 time or YYYY-MM-DD (end of day), inclusive.
    until: Option<String>,
    /// 1 to 100, default 20.
    limit: Option<u32>,
    /// next_cursor of the previous page.
    cursor: Option<String>,
}

/// `GET /news?category=&source=&team=&since=&until=&limit=&cursor=`, newest first.
#[utoipa::path(get, path = "/news", operation_id = "listNews", tag = "news", security(()),
    params(ListingParams),
    responses(
        (status = 200, description = "A page of news, newest first", body = Page<NewsItem>),
        (status = 400, description = "Malformed parameter or cursor", body = ErrorBody),
        (status = 422, description = "Invalid value", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<Page<NewsItem>>, ApiError> {
    Ok(Json(listing(&state, query.as_deref()).await?.1))
}

/// A listing's query from the raw query string, and its page.
pub async fn listing(
    state: &AppState,
    raw: Option<&str>,
) -> Result<(NewsQuery, Page<NewsItem>), ApiError> {
    let query = news_query(&Params::parse(raw, LISTING_PARAMS)?)?;
    let page = state.store.list_news(&query).await?;
    Ok((query, page))
}

/// The listing a request's parameters ask for (those it may not carry are absent).
pub fn news_query(params: &Params) -> Result<NewsQuery, ApiError> {
    let (since, until) = (params.time("since", false)?, params.time("until", true)?);
    ordered(since, until, ("since", "until"))?;
    let source = params.get("source").map(str::to_owned);
    if source.as_ref().is_some_and(|s| s.chars().count() > 100) {
        return Err(ApiError::validation("source: at most 100 characters"));
    }
    let team = params
        .get("team")
        .map(|raw| raw.parse::<TeamCode>())
        .transpose()
        .map_err(|e| ApiError::validation(format!("team: {e}")))?;
    if team.is_some() && source.is_some() {
        return Err(ApiError::validation(
            "team and source cannot be combined: filter by one of them",
        ));
    }
    Ok(NewsQuery {
        category: params.category("category")?,
        source,
        team,
        since,
        until,
        limit: params.limit()?,
        cursor: params.cursor(),
    })
}

/// `GET /news/{id}`.
#[utoipa::path(get, path = "/news/{id}", operation_id = "getNews", tag = "news", security(()),
    params(("id" = String, Path, description = "The item id (64 hex digits)")),
    responses(
        (status = 200, description = "The item", body = NewsItem),
        (status = 404, description = "No such item", body = ErrorBody),
    ))]
pub async fn get(
    State(state): State<AppState>,
    PathParam(id): PathParam,
) -> Result<Json<NewsItem>, ApiError> {
    state
        .store
        .get_news(&id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("news item"))
}

/// Counts per category within a window of whole UTC days.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct NewsStats {
    /// Start of the first day counted, if any.
    pub since: Option<String>,
    /// End of the last day counted, if any.
    pub until: Option<String>,
    /// Items per category; every category is present.
    pub counts: std::collections::BTreeMap<Category, u64>,
    /// Items in the window.
    pub total: u64,
}

/// The whole UTC days `since`..`until` cover. One side alone spans [`MAX_STATS_DAYS`] from it;
/// neither is all time.
fn stats_days(since: Option<Timestamp>, until: Option<Timestamp>) -> Result<StatsDays, ApiError> {
    let span = chrono::Duration::days(MAX_STATS_DAYS - 1);
    let (first, last) = match (since, until) {
        (None, None) => return Ok(None),
        (Some(a), Some(b)) => (a.date_naive(), b.date_naive()),
        (Some(a), None) => (a.date_naive(), a.date_naive() + span),
        (None, Some(b)) => (b.date_naive() - span, b.date_naive()),
    };
    if (last - first).num_days() >= MAX_STATS_DAYS {
        return Err(ApiError::validation(format!(
            "a stats window spans at most {MAX_STATS_DAYS} days; omit since and until for all time"
        )));
    }
    Ok(Some((first, last)))
}

/// `GET /news/stats?since=&until=`: counts per category, over whole UTC days.
#[utoipa::path(get, path = "/news/stats", operation_id = "newsStats", tag = "news", security(()),
    params(
        ("since" = Option<String>, Query, description = "RFC 3339 time or YYYY-MM-DD: counting starts at the start of its UTC day"),
        ("until" = Option<String>, Query, description = "RFC 3339 time or YYYY-MM-DD: counting ends at the end of its UTC day. At most 366 days after since; one side alone spans 366 days; neither counts all time"),
    ),
    responses(
        (status = 200, description = "Counts per category", body = NewsStats),
        (status = 400, description = "Malformed parameter or cursor", body = ErrorBody),
        (status = 422, description = "Invalid value or a window over 366 days", body = ErrorBody),
    ))]
pub async fn stats(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<NewsStats>, ApiError> {
    let params = Params::parse(query.as_deref(), &["since", "until"])?;
    let (since, until) = (params.time("since", false)?, params.time("until", true)?);
    ordered(since, until, ("since", "until"))?;
    let days = stats_days(since, until)?;
    let counts = state.store.news_stats(days).await?;
    let total: u64 = counts.values().sum();
    let bound = |day: chrono::NaiveDate, time: chrono::NaiveTime| {
        format_timestamp(&day.and_time(time).and_utc())
    };
    Ok(Json(NewsStats {
        since: days.map(|(first, _)| bound(first, chrono::NaiveTime::MIN)),
        until: days.map(|(_, last)| bound(last, END_OF_DAY)),
        counts,
        total,
    }))
}

/// The last second of a day.
const END_OF_DAY: chrono::NaiveTime = match chrono::NaiveTime::from_hms_opt(23, 59, 59) {
    Some(t) => t,
    None => chrono::NaiveTime::MIN,
};

/// One franchise, as `GET /teams` lists it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct TeamInfo {
    /// Three-letter code: the value of `GET /news?team=`.
    pub code: &'static str,
    /// Full name.
    pub name: &'static str,
}

/// `GET /teams`: the 30 franchises items are tagged with, by code.
#[utoipa::path(get, path = "/teams", operation_id = "listTeams", tag = "news", security(()),
    responses((status = 200, description = "Every team, by code", body = Vec<TeamInfo>)))]
pub async fn teams() -> Json<Vec<TeamInfo>> {
    let mut teams: Vec<TeamInfo> = TEAMS
        .iter()
        .map(|t| TeamInfo {
            code: t.code,
            name: t.name,
        })
        .collect();
    teams.sort_by_key(|t| t.code);
    Json(teams)
}
