//! Backfills what later versions add to stored items: today their teams and players. It walks
//! every item newest first and tags the ones stored without either; it rewrites nothing else,
//! and a second run finds nothing to do.

use crate::model::NewsItem;
use crate::players::{find_players, names};
use crate::store::{NewsQuery, NewsStore, StoreError, PAGE_LIMITS};
use crate::teams::{codes, find_teams};
use serde::Serialize;

/// What a backfill did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct BackfillReport {
    /// Items read.
    pub items_seen: usize,
    /// Items that had no teams nor players and now have some.
    pub items_tagged: usize,
}

/// Tags every stored item that has no teams nor players yet with those its title and summary
/// name.
pub async fn backfill_teams(store: &dyn NewsStore) -> Result<BackfillReport, StoreError> {
    let mut report = BackfillReport::default();
    let mut query = NewsQuery {
        limit: *PAGE_LIMITS.end(),
        ..NewsQuery::default()
    };
    loop {
        let page = store.list_news(&query).await?;
        report.items_seen += page.items.len();
        let tagged: Vec<NewsItem> = page
            .items
            .into_iter()
            .filter(|item| item.teams.is_empty() && item.players.is_empty())
            .filter_map(|mut item| {
                item.team_evidence = find_teams(&item.title, &item.summary);
                item.teams = codes(&item.team_evidence);
                item.player_evidence = find_players(&item.title, &item.summary);
                item.players = names(&item.player_evidence);
                (!item.teams.is_empty() || !item.players.is_empty()).then_some(item)
            })
            .collect();
        if !tagged.is_empty() {
            store.retag_news(&tagged).await?;
            report.items_tagged += tagged.len();
        }
        match page.next_cursor {
            Some(cursor) => query.cursor = Some(cursor),
            None => return Ok(report),
        }
    }
}
