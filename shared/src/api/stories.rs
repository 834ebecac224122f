//! `GET /stories`: the listing of `GET /news` with one entry per story (see
//! [`crate::stories`]): its first report in full and every report, first reporter first.

use super::error::{ApiError, ErrorBody};
use super::news::{listing, ListingParams};
use super::AppState;
use crate::model::{format_timestamp, NewsItem, Page};
use crate::stories::story_of;
use axum::extract::{RawQuery, State};
use axum::Json;
use std::collections::HashSet;

/// Most reports a story lists: its newest ones (and, of a longer story, the first report too).
pub const MAX_REPORTS: usize = 20;

/// One report of a story.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Report {
    /// The item's id.
    pub id: String,
    /// Who reported it.
    pub source: String,
    /// Its headline.
    pub title: String,
    /// Its link.
    pub link: Option<String>,
    /// When it was published (or first stored, when its feed gave no date).
    pub reported_at: String,
}

/// One story: the reports of one event.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Story {
    /// The `story_id` its reports share.
    pub story_id: String,
    /// The first report, in full.
    pub item: NewsItem,
    /// Its reports, first reporter first: the newest [`MAX_REPORTS`] (and, of a longer story,
    /// the report it is named after).
    pub reports: Vec<Report>,
    /// The sources that reported it, first reporter first, each once.
    pub sources: Vec<String>,
    /// When its latest report was published (or stored).
    pub updated_at: String,
}

/// `GET /stories?category=&source=&team=&since=&until=&limit=&cursor=`, newest first.
#[utoipa::path(get, path = "/stories", operation_id = "listStories", tag = "news", security(()),
    params(ListingParams),
    responses(
        (status = 200, description = "A page of stories, newest report first. A page reads `limit` items of GET /news and lists each story once, where its newest report that passes the filters stands: a page may hold fewer than `limit` stories; continue while `next_cursor` is present", body = Page<Story>),
        (status = 400, description = "Malformed parameter or cursor", body = ErrorBody),
        (status = 422, description = "Invalid value", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<Page<Story>>, ApiError> {
    let (query, page) = listing(&state, query.as_deref()).await?;
    let mut ids: Vec<String> = page.items.iter().map(|i| story_of(i).to_owned()).collect();
    ids.sort();
    ids.dedup();
    let mut reports = state.store.story_reports(&ids, MAX_REPORTS).await?;
    let mut listed = HashSet::new();
    let mut stories = Vec::new();
    for item in &page.items {
        let id = story_of(item).to_owned();
        let mut members = reports.remove(&id).unwrap_or_default();
        if !members.iter().any(|m| m.id == item.id) {
            members.push(item.clone());
        }
        // A story of more reports than were read: its first report, the item it is named after.
        if members.len() >= MAX_REPORTS && !members.iter().any(|m| m.id == id) {
            members.extend(state.store.get_news(&id).await?);
        }
        members.sort_by_key(NewsItem::sort_key);
        // Listed where its newest matching report stands: on an earlier page when that is newer.
        let newer = members
            .iter()
            .any(|m| m.sort_key() > item.sort_key() && query.matches(m));
        if newer || !listed.insert(id.clone()) {
            continue;
        }
        stories.extend(story(id, members));
    }
    Ok(Json(Page {
        items: stories,
        next_cursor: page.next_cursor,
    }))
}

/// A story from its reports, oldest first (`None` without any).
fn story(story_id: String, members: Vec<NewsItem>) -> Option<Story> {
    let item = members.first()?.clone();
    let mut sources: Vec<String> = Vec::new();
    for member in &members {
        if !sources.contains(&member.source) {
            sources.push(member.source.clone());
        }
    }
    let reports: Vec<Report> = members
        .iter()
        .map(|m| Report {
            id: m.id.clone(),
            source: m.source.clone(),
            title: m.title.clone(),
            link: m.link.clone(),
            reported_at: format_timestamp(&m.sort_time()),
        })
        .collect();
    let updated_at = reports
        .last()
        .map(|r| r.reported_at.clone())
        .unwrap_or_default();
    Some(Story {
        story_id,
        item,
        reports,
        sources,
        updated_at,
    })
}
