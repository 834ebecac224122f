//! Backfills what later versions add to stored items: their teams and players, and their story
//! ids. It walks every item newest first, tags the ones stored without teams nor players and
//! gives a story to the ones without one (against the items stored around them, as ingest
//! does); it rewrites nothing else, and a second run finds nothing to do.

use crate::model::{NewsItem, Timestamp};
use crate::store::{NewsQuery, NewsStore, StoreError, PAGE_LIMITS};
use crate::stories::{self, WINDOW};
use serde::Serialize;
use std::collections::HashMap;

/// Most items read around one time to find a story (a window wider than the story window, so
/// consecutive items share one read).
const MAX_WINDOW_ITEMS: usize = 1_000;

/// What a backfill did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct BackfillReport {
    /// Items read.
    pub items_seen: usize,
    /// Items that had no teams nor players and now have some.
    pub items_tagged: usize,
    /// Items that had no story id and now have one.
    pub items_given_stories: usize,
}

/// Gives `item` its teams and players when it has neither; whether it found any.
fn tag(item: &mut NewsItem) -> bool {
    if !item.teams.is_empty() || !item.players.is_empty() {
        return false;
    }
    item.find_names();
    !item.teams.is_empty() || !item.players.is_empty()
}

/// The items stored around the times being backfilled, read once per stretch of time.
#[derive(Default)]
struct Neighbours {
    /// The items read, as the backfill sees them (tagged, with the stories given so far).
    items: Vec<NewsItem>,
    /// The times the read covers completely.
    covered: Option<(Timestamp, Timestamp)>,
}

impl Neighbours {
    /// The items within [`WINDOW`] of `time`, reading the store when `time` is new ground:
    /// newest first, so the read reaches further back than forward.
    async fn around(
        &mut self,
        store: &dyn NewsStore,
        time: Timestamp,
        given: &HashMap<String, String>,
    ) -> Result<&[NewsItem], StoreError> {
        let (since, until) = (time - WINDOW, time + WINDOW);
        if !self
            .covered
            .is_some_and(|(from, to)| from <= since && until <= to)
        {
            let from = since - WINDOW * 2;
            self.items = store.news_between(from, until, MAX_WINDOW_ITEMS).await?;
            let full = self.items.len() < MAX_WINDOW_ITEMS;
            let oldest = self.items.last().map(NewsItem::sort_time);
            self.covered = Some((if full { from } else { oldest.unwrap_or(until) }, until));
        }
        for item in &mut self.items {
            tag(item);
            if item.story_id.is_none() {
                item.story_id = given.get(&item.id).cloned();
            }
        }
        Ok(&self.items)
    }
}

/// Tags every stored item that has no teams nor players yet with those its title and summary
/// name, and gives every item without a story id its story.
pub async fn backfill(store: &dyn NewsStore) -> Result<BackfillReport, StoreError> {
    let mut report = BackfillReport::default();
    let mut query = NewsQuery {
        limit: *PAGE_LIMITS.end(),
        ..NewsQuery::default()
    };
    let mut neighbours = Neighbours::default();
    let mut given: HashMap<String, String> = HashMap::new();
    loop {
        let page = store.list_news(&query).await?;
        report.items_seen += page.items.len();
        let mut changed = Vec::new();
        for mut item in page.items {
            let tagged = tag(&mut item);
            report.items_tagged += usize::from(tagged);
            let storyless = item.story_id.is_none();
            if storyless {
                let around = neighbours.around(store, item.sort_time(), &given).await?;
                let mut one = [item];
                stories::assign(&mut one, around);
                let [done] = one;
                item = done;
                let story = stories::story_of(&item).to_owned();
                given.insert(item.id.clone(), story);
                report.items_given_stories += 1;
            }
            if tagged || storyless {
                changed.push(item);
            }
        }
        if !changed.is_empty() {
            store.retag_news(&changed).await?;
        }
        match page.next_cursor {
            Some(cursor) => query.cursor = Some(cursor),
            None => return Ok(report),
        }
    }
}
