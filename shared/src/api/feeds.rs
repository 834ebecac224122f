//! `GET /news.atom` and `GET /news.json`: the newest items as Atom 1.0 and JSON Feed 1.1, with
//! the listing's filters, an `ETag` and `Last-Modified`, and conditional GET (304).

use super::error::{ApiError, ErrorBody};
use super::news::news_query;
use super::params::Params;
use super::AppState;
use crate::feed::{parse_date, sha256_hex};
use crate::model::{NewsItem, Timestamp};
use crate::syndicate::{atom, json_feed, last_modified, FeedInfo};
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// The parameters a feed takes: the listing's filters and its size (no window, no cursor).
const FEED_PARAMS: &[&str] = &["category", "source", "team", "limit"];

/// The query parameters of both feeds, as the API description documents them (the handlers
/// read them through [`Params`]).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(
    dead_code,
    reason = "documentation only: the handlers read the query through Params"
)]
struct FeedParams {
    /// Trade, Signing or Other (any case).
    category: Option<String>,
    /// Only items from this source.
    source: Option<String>,
    /// Only items about this team (a code of GET /teams); not with source.
    team: Option<String>,
    /// 1 to 100, default 20.
    limit: Option<u32>,
}

/// How long readers and caches may keep a feed before asking again (conditionally).
const CACHE_CONTROL: &str = "public, max-age=60";

/// `GET /news.atom?category=&source=&team=&limit=`.
#[utoipa::path(get, path = "/news.atom", operation_id = "newsAtom", tag = "news", security(()),
    params(FeedParams),
    responses(
        (status = 200, description = "An Atom 1.0 feed, newest first", content_type = "application/atom+xml", body = String),
        (status = 304, description = "Not modified since the ETag or date the reader sent"),
        (status = 400, description = "Malformed parameter", body = ErrorBody),
        (status = 422, description = "Invalid value", body = ErrorBody),
    ))]
pub async fn atom_feed(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (info, items) = read(&state, query.as_deref()).await?;
    let body = atom(&info, &items, chrono::Utc::now());
    Ok(answer(
        &headers,
        &items,
        "application/atom+xml; charset=utf-8",
        body.into_bytes(),
    ))
}

/// `GET /news.json?category=&source=&team=&limit=`.
#[utoipa::path(get, path = "/news.json", operation_id = "newsJsonFeed", tag = "news", security(()),
    params(FeedParams),
    responses(
        (status = 200, description = "A JSON Feed 1.1, newest first", content_type = "application/feed+json", body = Object),
        (status = 304, description = "Not modified since the ETag or date the reader sent"),
        (status = 400, description = "Malformed parameter", body = ErrorBody),
        (status = 422, description = "Invalid value", body = ErrorBody),
    ))]
pub async fn json_feed_route(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (info, items) = read(&state, query.as_deref()).await?;
    let body = serde_json::to_vec(&json_feed(&info, &items)).map_err(ApiError::internal)?;
    Ok(answer(&headers, &items, "application/feed+json", body))
}

/// The feed's description and its items.
async fn read(
    state: &AppState,
    query: Option<&str>,
) -> Result<(FeedInfo, Vec<NewsItem>), ApiError> {
    let params = Params::parse(query, FEED_PARAMS)?;
    let listing = news_query(&params)?;
    let info = FeedInfo::new(&[
        listing.category.map(|c| c.as_str()),
        listing.team.map(|t| t.as_str()),
        listing.source.as_deref(),
    ]);
    let items = state.store.list_news(&listing).await?.items;
    Ok((info, items))
}

/// 200 with the body and its validators, or 304 when the reader's copy is current.
fn answer(
    headers: &HeaderMap,
    items: &[NewsItem],
    content_type: &'static str,
    body: Vec<u8>,
) -> Response {
    let etag = format!("\"{}\"", &sha256_hex(&body)[..32]);
    let modified = last_modified(items);
    let mut response = if not_modified(headers, &etag, modified) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut response = body.into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        response
    };
    let out = response.headers_mut();
    out.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    if let Ok(value) = HeaderValue::from_str(&etag) {
        out.insert(header::ETAG, value);
    }
    if let Some(value) = modified.and_then(|m| HeaderValue::from_str(&http_date(&m)).ok()) {
        out.insert(header::LAST_MODIFIED, value);
    }
    response
}

/// RFC 9110: `If-None-Match` decides when present; else `If-Modified-Since`.
fn not_modified(headers: &HeaderMap, etag: &str, modified: Option<Timestamp>) -> bool {
    if let Some(tags) = headers.get(header::IF_NONE_MATCH) {
        return tags.to_str().is_ok_and(|tags| {
            tags.split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == "*" || t == etag)
        });
    }
    let since = headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_date);
    matches!((since, modified), (Some(since), Some(modified)) if modified.timestamp() <= since.timestamp())
}

/// An HTTP date: `Sun, 30 Nov 2026 08:00:00 GMT`.
fn http_date(t: &Timestamp) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}
