//! Backfills what later versions add to stored items: their teams and players, and their story
//! ids. It tags every item stored without teams nor players and gives a story to each one
//! without one (against the items stored around it, oldest first, as ingest does); it rewrites
//! nothing else, and a second run finds nothing to do.

use crate::model::{NewsItem, Timestamp};
use crate::store::{NewsQuery, NewsStore, StoreError, PAGE_LIMITS};
use crate::stories::{self, WINDOW};
use serde::Serialize;
use std::collections::HashMap;

/// Most items read around one time to find a story (a window wider than the story window, so
/// consecutive items share one read).
const MAX_WINDOW_ITEMS: usize = 2_000;

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
struct Neighbours {
    /// Most items one read keeps.
    max: usize,
    /// The items read, as the backfill sees them (tagged, with the stories given so far).
    items: Vec<NewsItem>,
    /// The times the read covers completely.
    covered: Option<(Timestamp, Timestamp)>,
}

impl Neighbours {
    fn new(max: usize) -> Self {
        Self {
            max,
            items: Vec::new(),
            covered: None,
        }
    }

    /// The items within [`WINDOW`] of `time`, reading the store when `time` is new ground: the
    /// read reaches further forward than back, as the walk goes forward in time, unless that
    /// holds more than `max` items (a read keeps the newest), when it reads the window alone.
    async fn around(
        &mut self,
        store: &dyn NewsStore,
        time: Timestamp,
        given: &HashMap<String, String>,
    ) -> Result<&mut [NewsItem], StoreError> {
        let (since, until) = (time - WINDOW, time + WINDOW);
        if self
            .covered
            .is_some_and(|(from, to)| from <= since && until <= to)
        {
            return Ok(&mut self.items);
        }
        let mut to = until + WINDOW * 2;
        loop {
            self.items = store.news_between(since, to, self.max).await?;
            let full = self.items.len() < self.max;
            if full || to == until {
                let oldest = self.items.last().map(NewsItem::sort_time);
                self.covered = Some((if full { since } else { oldest.unwrap_or(to) }, to));
                break;
            }
            to = until;
        }
        for item in &mut self.items {
            tag(item);
            if item.story_id.is_none() {
                item.story_id = given.get(&item.id).cloned();
            }
        }
        Ok(&mut self.items)
    }
}

/// Tags every stored item that has no teams nor players yet with those its title and summary
/// name, and gives every item without a story id its story.
///
/// Two walks: every item newest first (the listing's order), tagging; then the items without a
/// story oldest first, as ingest meets them, so a chain of reports longer than [`WINDOW`] is one
/// story here as it would have been there.
pub async fn backfill(store: &dyn NewsStore) -> Result<BackfillReport, StoreError> {
    backfill_reading(store, MAX_WINDOW_ITEMS).await
}

/// [`backfill`], reading at most `max` items around a time at once.
async fn backfill_reading(store: &dyn NewsStore, max: usize) -> Result<BackfillReport, StoreError> {
    let mut report = BackfillReport::default();
    let mut query = NewsQuery {
        limit: *PAGE_LIMITS.end(),
        ..NewsQuery::default()
    };
    let mut storyless: Vec<(Timestamp, String)> = Vec::new();
    loop {
        let page = store.list_news(&query).await?;
        report.items_seen += page.items.len();
        let mut tagged = Vec::new();
        for mut item in page.items {
            let found = tag(&mut item);
            report.items_tagged += usize::from(found);
            if item.story_id.is_none() {
                storyless.push((item.sort_time(), item.id));
            } else if found {
                tagged.push(item);
            }
        }
        if !tagged.is_empty() {
            store.retag_news(&tagged).await?;
        }
        match page.next_cursor {
            Some(cursor) => query.cursor = Some(cursor),
            None => break,
        }
    }
    storyless.sort();
    let mut neighbours = Neighbours::new(max);
    let mut given: HashMap<String, String> = HashMap::new();
    let mut pending = Vec::new();
    for (time, id) in storyless {
        let around = neighbours.around(store, time, &given).await?;
        let read = around.iter().position(|i| i.id == id);
        let mut item = match read {
            Some(at) => around[at].clone(),
            None => match store.get_news(&id).await? {
                Some(mut item) => {
                    tag(&mut item);
                    item
                }
                None => continue,
            },
        };
        // Items still without a story come later in the walk: they join this one, not it them.
        let earlier = around.iter().filter(|i| i.story_id.is_some());
        item.story_id = Some(stories::story_for(&item, earlier));
        given.insert(item.id.clone(), stories::story_of(&item).to_owned());
        report.items_given_stories += 1;
        if let Some(at) = read {
            around[at].story_id.clone_from(&item.story_id);
        }
        pending.push(item);
        if pending.len() == *PAGE_LIMITS.end() {
            store.retag_news(&pending).await?;
            pending.clear();
        }
    }
    if !pending.is_empty() {
        store.retag_news(&pending).await?;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A chain of three reports 40 hours apart, then a dense stretch of other news ahead of it:
    /// a read that reaches ahead keeps the newest items only, so it reads the window alone.
    #[tokio::test]
    async fn a_dense_stretch_ahead_hides_no_report_of_a_chain() {
        let harness = crate::testing::sqlite().await;
        let t0 =
            crate::alerts::sample_item(chrono::Utc::now()).fetched_at - chrono::Duration::days(30);
        let at = |n: u32, minutes: i64, title: &str| {
            let mut item = crate::alerts::sample_item(t0);
            item.id = crate::feed::sha256_hex(format!("backfill-{n}").as_bytes());
            item.title = title.to_owned();
            item.summary = String::new();
            item.teams = Vec::new();
            item.players = Vec::new();
            item.story_id = None;
            item.published_at = Some(t0 + chrono::Duration::minutes(minutes));
            item
        };
        let mut items = vec![
            at(1, 0, "Warriors trade Andrew Wiggins to the Heat"),
            at(
                2,
                40 * 60,
                "Warriors trade Andrew Wiggins to the Heat, reports say",
            ),
            at(
                3,
                80 * 60,
                "Warriors trade Andrew Wiggins to the Heat officially",
            ),
        ];
        // More than a listing page (a read keeps whole pages of 100).
        for n in 0..120 {
            items.push(at(
                100 + n,
                130 * 60 + i64::from(n) * 5,
                &format!("Practice report number {n}"),
            ));
        }
        harness.store.insert_news(&items).await.expect("insert");
        backfill_reading(harness.store.as_ref(), 20)
            .await
            .expect("backfill");
        for report in &items[..3] {
            let stored = harness
                .store
                .get_news(&report.id)
                .await
                .expect("get")
                .expect("stored");
            assert_eq!(
                stored.story_id.as_deref(),
                Some(items[0].id.as_str()),
                "{}",
                report.title
            );
        }
    }
}
