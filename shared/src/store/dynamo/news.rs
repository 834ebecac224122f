//! The news table: news items, the stats counters and feed state.

use super::*;
use crate::model::time::format_timestamp;
use crate::store::schema::{
    FEED_KIND, NEWS_BY_CATEGORY, NEWS_BY_CATEGORY_SOURCE, NEWS_BY_FETCHED, NEWS_BY_SOURCE,
    NEWS_BY_STORY, NEWS_BY_TEAM, NEWS_BY_TIME, NEWS_KIND,
};
use futures::{StreamExt, TryStreamExt};

/// Story queries a listing page runs at once.
const STORY_QUERIES_AT_ONCE: usize = 8;

/// New news items per transaction: with at most one day and one month counter per item and
/// the all-time counter, a transaction stays within DynamoDB's 100 actions.
const NEWS_PER_TRANSACTION: usize = 32;

/// A stats counter item: items per category first stored for a UTC day, a month, or all time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Counter {
    Day(chrono::NaiveDate),
    Month(i32, u32),
    All,
}

impl Counter {
    fn id(self) -> String {
        match self {
            Counter::Day(day) => format!("stats#{day}"),
            Counter::Month(year, month) => format!("stats#{year:04}-{month:02}"),
            Counter::All => "stats#all".to_owned(),
        }
    }

    fn month_of(day: chrono::NaiveDate) -> Self {
        use chrono::Datelike;
        Counter::Month(day.year(), day.month())
    }

    /// The fewest counters that cover `first..=last`: whole months inside it, days at its edges.
    fn cover(first: chrono::NaiveDate, last: chrono::NaiveDate) -> Vec<Self> {
        use chrono::Datelike;
        let mut counters = Vec::new();
        let mut day = first;
        while day <= last {
            let next_month = day
                .with_day(1)
                .and_then(|d| d.checked_add_months(chrono::Months::new(1)));
            match next_month {
                Some(next) if day.day() == 1 && next.pred_opt().is_some_and(|end| end <= last) => {
                    counters.push(Counter::month_of(day));
                    day = next;
                }
                _ => {
                    counters.push(Counter::Day(day));
                    match day.succ_opt() {
                        Some(next) => day = next,
                        None => break,
                    }
                }
            }
        }
        counters
    }
}

/// The `by_category_source` partition of an item.
fn category_source(category: Category, source: &str) -> String {
    format!("{}#{source}", category.as_str())
}

/// A news item as stored: its fields (`fields`, the item encoded) plus the index keys.
fn news_record(item: &NewsItem, fields: Item) -> Item {
    let mut record = fields;
    record.insert(NEWS_BY_TIME.partition.name.into(), s(NEWS_KIND));
    record.insert("sort_key".into(), s(item.sort_key()));
    record.insert(
        NEWS_BY_CATEGORY_SOURCE.partition.name.into(),
        s(category_source(item.category, &item.source)),
    );
    record
}

/// The `by_team` partition of a listing: the team, or the team and a category.
fn team_key(team: &str, category: Option<Category>) -> String {
    match category {
        Some(category) => format!("{team}#{}", category.as_str()),
        None => team.to_owned(),
    }
}

/// The id of the team link of `news_id` under `key`.
fn link_id(key: &str, news_id: &str) -> String {
    format!("team#{key}#{news_id}")
}

/// The team links of an item (see [`crate::store::schema`]): two per team, each holding its
/// index key, the sort key, the TTL and the item (`fields`, the item encoded).
fn team_links(item: &NewsItem, fields: &Item) -> Vec<Item> {
    let copy = AttributeValue::M(fields.clone());
    let keys = item
        .teams
        .iter()
        .flat_map(|team| [team_key(team, None), team_key(team, Some(item.category))]);
    keys.map(|key| {
        let mut link = Item::from([
            ("id".to_owned(), s(link_id(&key, &item.id))),
            (NEWS_BY_TEAM.partition.name.to_owned(), s(key)),
            ("sort_key".to_owned(), s(item.sort_key())),
            ("item".to_owned(), copy.clone()),
        ]);
        if let Some(expires) = item.expires_at {
            link.insert("expires_at".into(), AttributeValue::N(expires.to_string()));
        }
        link
    })
    .collect()
}

/// The item a team link holds.
fn from_link(mut link: Item) -> Result<NewsItem, StoreError> {
    match link.remove("item") {
        Some(AttributeValue::M(item)) => from_item(item),
        _ => Err(StoreError::Backend("team link without its item".into())),
    }
}

/// A news item with its stored record and team links, encoded once.
type Encoded<'a> = (&'a NewsItem, Item, Vec<Item>);

/// Actions one transaction may hold (DynamoDB's limit).
const MAX_TRANSACTION_ACTIONS: usize = 100;

/// Groups `items` with their team links into transactions within DynamoDB's action and
/// request-size limits; an item too large for DynamoDB (or, with its links, for one
/// transaction) is left out, logged and returned in `oversized`.
fn transactions<'a>(
    items: Vec<&'a NewsItem>,
    oversized: &mut Vec<String>,
) -> Result<Vec<Vec<Encoded<'a>>>, StoreError> {
    let mut chunks = vec![Vec::new()];
    let (mut bytes, mut actions) = (0, 0);
    for item in items {
        // Encoded once: the stored record and the links' copies share the encoding.
        let fields = to_item(item)?;
        let links = team_links(item, &fields);
        let record = news_record(item, fields);
        let sizes = std::iter::once(&record).chain(&links).map(item_size);
        let (size, largest) = sizes.fold((0, 0), |(sum, max), s| (sum + s, max.max(s)));
        // Its put, its links and at most its day's and month's counters; plus the all-time one.
        let cost = 1 + links.len() + 2;
        if largest > MAX_ITEM_BYTES
            || size > MAX_TRANSACTION_BYTES
            || cost + 1 > MAX_TRANSACTION_ACTIONS
        {
            tracing::warn!(id = %item.id, size, "news item over DynamoDB's item or transaction limits: skipped");
            oversized.push(item.id.clone());
            continue;
        }
        let chunk = chunks.last_mut().expect("never empty");
        if chunk.len() == NEWS_PER_TRANSACTION
            || bytes + size > MAX_TRANSACTION_BYTES
            || actions + cost + 1 > MAX_TRANSACTION_ACTIONS
        {
            chunks.push(vec![(item, record, links)]);
            (bytes, actions) = (size, cost);
        } else {
            chunk.push((item, record, links));
            bytes += size;
            actions += cost;
        }
    }
    chunks.retain(|chunk| !chunk.is_empty());
    Ok(chunks)
}

fn feed_state_id(feed: &str) -> String {
    format!("feed#{feed}")
}

impl DynamoStore {
    /// Which of `ids` exist in the news table.
    async fn existing_ids(&self, ids: &[String]) -> Result<HashSet<String>, StoreError> {
        Ok(self
            .batch_get(ids, &["id"])
            .await?
            .into_iter()
            .filter_map(|item| match item.get("id") {
                Some(AttributeValue::S(id)) => Some(id.clone()),
                _ => None,
            })
            .collect())
    }

    /// Stores `items` (none stored yet) and adds them to the stats counters in one
    /// transaction, with their team links; items that turn out to exist (a concurrent run) are
    /// left out and counted.
    async fn insert_chunk(
        &self,
        mut pending: Vec<Encoded<'_>>,
        outcome: &mut InsertOutcome,
    ) -> Result<(), StoreError> {
        for attempt in 1..=MAX_RETRIES {
            if pending.is_empty() {
                return Ok(());
            }
            // The items' puts come first: a cancellation's reasons are matched to them by index.
            let mut actions = Vec::with_capacity(pending.len() + 2);
            for (_, record, _) in &pending {
                let put = Put::builder()
                    .table_name(&self.tables.news)
                    .set_item(Some(record.clone()))
                    .condition_expression("attribute_not_exists(id)")
                    .build()
                    .map_err(|e| backend("Put", e))?;
                actions.push(TransactWriteItem::builder().put(put).build());
            }
            for link in pending.iter().flat_map(|(_, _, links)| links) {
                let put = Put::builder()
                    .table_name(&self.tables.news)
                    .set_item(Some(link.clone()))
                    .build()
                    .map_err(|e| backend("Put", e))?;
                actions.push(TransactWriteItem::builder().put(put).build());
            }
            let mut counters: BTreeMap<Counter, BTreeMap<Category, u64>> = BTreeMap::new();
            for (day, counts) in daily_counts(pending.iter().map(|(item, _, _)| *item)) {
                for counter in [Counter::Day(day), Counter::month_of(day), Counter::All] {
                    let entry = counters.entry(counter).or_default();
                    for (category, n) in &counts {
                        *entry.entry(*category).or_default() += n;
                    }
                }
            }
            for (counter, counts) in &counters {
                actions.push(self.counter_add(&counter.id(), counts)?);
            }
            let err = match self.transact(actions).await {
                Ok(()) => {
                    outcome
                        .inserted
                        .extend(pending.iter().map(|(item, _, _)| item.id.clone()));
                    return Ok(());
                }
                Err(err) => err,
            };
            let before = pending.len();
            let mut index = 0;
            pending.retain(|_| {
                index += 1;
                !condition_failed_at(&err, index - 1)
            });
            outcome.existing += before - pending.len();
            if before == pending.len() && !is_retryable_transaction(&err) {
                return Err(backend("TransactWriteItems", err));
            }
            tokio::time::sleep(backoff(attempt)).await;
        }
        Err(StoreError::Backend(
            "TransactWriteItems: news items still conflicting".into(),
        ))
    }

    /// An update adding `counts` to the counter item `id`.
    fn counter_add(
        &self,
        id: &str,
        counts: &BTreeMap<Category, u64>,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut update = Update::builder()
            .table_name(&self.tables.news)
            .key("id", s(id));
        let mut adds = Vec::new();
        for (n, (category, count)) in counts.iter().enumerate() {
            adds.push(format!("#c{n} :n{n}"));
            update = update
                .expression_attribute_names(format!("#c{n}"), category.as_str())
                .expression_attribute_values(
                    format!(":n{n}"),
                    AttributeValue::N(count.to_string()),
                );
        }
        let update = update
            .update_expression(format!("ADD {}", adds.join(", ")))
            .build()
            .map_err(|e| backend("Update", e))?;
        Ok(TransactWriteItem::builder().update(update).build())
    }
}

#[async_trait]
impl NewsStore for DynamoStore {
    async fn insert_news(&self, items: &[NewsItem]) -> Result<InsertOutcome, StoreError> {
        let mut seen = HashSet::new();
        let unique: Vec<&NewsItem> = items
            .iter()
            .filter(|i| seen.insert(i.id.as_str()))
            .collect();
        let ids: Vec<String> = unique.iter().map(|i| i.id.clone()).collect();
        let existing = self.existing_ids(&ids).await?;
        let mut outcome = InsertOutcome {
            existing: items.len() - unique.len(),
            ..InsertOutcome::default()
        };
        let fresh: Vec<&NewsItem> = unique
            .into_iter()
            .filter(|item| {
                let stored = existing.contains(&item.id);
                outcome.existing += usize::from(stored);
                !stored
            })
            .collect();
        for chunk in transactions(fresh, &mut outcome.oversized)? {
            self.insert_chunk(chunk, &mut outcome).await?;
        }
        Ok(outcome)
    }

    async fn get_news(&self, id: &str) -> Result<Option<NewsItem>, StoreError> {
        if !cursor::is_item_id(id) {
            return Ok(None);
        }
        self.get_item(&self.tables.news, "id", s(id))
            .await?
            .map(from_item)
            .transpose()
    }

    async fn stored_news_ids(&self, ids: &[String]) -> Result<HashSet<String>, StoreError> {
        let mut unique: Vec<String> = ids.to_vec();
        unique.sort();
        unique.dedup();
        self.existing_ids(&unique).await
    }

    async fn story_reports(
        &self,
        story_ids: &[String],
        limit: usize,
    ) -> Result<BTreeMap<String, Vec<NewsItem>>, StoreError> {
        let queries = story_ids.iter().map(|story| {
            let request = self
                .client
                .query()
                .table_name(&self.tables.news)
                .index_name(NEWS_BY_STORY.name)
                .key_condition_expression("#pk = :pk")
                .expression_attribute_names("#pk", NEWS_BY_STORY.partition.name)
                .expression_attribute_values(":pk", s(story))
                .scan_index_forward(false)
                .limit(i32::try_from(limit).unwrap_or(i32::MAX));
            async move {
                let rows = self.query_rows(request, limit).await?;
                let mut reports = rows
                    .into_iter()
                    .map(from_item)
                    .collect::<Result<Vec<NewsItem>, _>>()?;
                reports.truncate(limit);
                Ok::<_, StoreError>((story.clone(), reports))
            }
        });
        // Collected first: a lazy `map` inside the stream trips higher-ranked lifetimes.
        let queries: Vec<_> = queries.collect();
        let found: Vec<(String, Vec<NewsItem>)> = futures::stream::iter(queries)
            .buffered(STORY_QUERIES_AT_ONCE)
            .try_collect()
            .await?;
        Ok(found
            .into_iter()
            .filter(|(_, reports)| !reports.is_empty())
            .collect())
    }

    async fn news_fetched_between(
        &self,
        since: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<NewsItem>, StoreError> {
        let sort = NEWS_BY_FETCHED.sort.map_or("fetched_at", |key| key.name);
        let request = self
            .client
            .query()
            .table_name(&self.tables.news)
            .index_name(NEWS_BY_FETCHED.name)
            .key_condition_expression("#pk = :pk AND #sk BETWEEN :lo AND :hi")
            .expression_attribute_names("#pk", NEWS_BY_FETCHED.partition.name)
            .expression_attribute_names("#sk", sort)
            .expression_attribute_values(":pk", s(NEWS_KIND))
            .expression_attribute_values(":lo", s(format_timestamp(&since)))
            .expression_attribute_values(":hi", s(format_timestamp(&until)));
        self.query_rows(request, usize::MAX)
            .await?
            .into_iter()
            .map(from_item)
            .collect()
    }

    async fn list_news(&self, query: &NewsQuery) -> Result<Page<NewsItem>, StoreError> {
        let scope = query.scope();
        let after = query
            .cursor
            .as_deref()
            .map(|c| cursor::decode(c, &scope, is_news_sort_key))
            .transpose()?;
        let (index, partition_attr, partition) = match (&query.category, &query.source) {
            _ if query.team.is_some() && query.source.is_some() => {
                return Err(StoreError::Unsupported(
                    "team cannot be combined with source",
                ))
            }
            (category, None) if query.team.is_some() => (
                NEWS_BY_TEAM.name,
                NEWS_BY_TEAM.partition.name,
                team_key(query.team.map_or("", |t| t.as_str()), *category),
            ),
            (Some(category), Some(source)) => (
                NEWS_BY_CATEGORY_SOURCE.name,
                NEWS_BY_CATEGORY_SOURCE.partition.name,
                category_source(*category, source),
            ),
            (Some(category), None) => (
                NEWS_BY_CATEGORY.name,
                NEWS_BY_CATEGORY.partition.name,
                category.as_str().to_owned(),
            ),
            (None, Some(source)) => (
                NEWS_BY_SOURCE.name,
                NEWS_BY_SOURCE.partition.name,
                source.clone(),
            ),
            (None, None) => (
                NEWS_BY_TIME.name,
                NEWS_BY_TIME.partition.name,
                NEWS_KIND.to_owned(),
            ),
        };
        let (lo, hi) = (
            sort_key_lower(query.since.as_ref()),
            sort_key_upper(query.until.as_ref()),
        );
        // DynamoDB refuses a start key outside the key condition: a cursor older than the window
        // has nothing after it, one newer than the window starts at its top.
        let after = match after {
            Some(after) if after < lo => {
                return Ok(Page {
                    items: Vec::new(),
                    next_cursor: None,
                })
            }
            after => after.filter(|a| *a <= hi),
        };
        let mut request = self
            .client
            .query()
            .table_name(&self.tables.news)
            .index_name(index)
            .key_condition_expression("#pk = :pk AND sort_key BETWEEN :lo AND :hi")
            .expression_attribute_names("#pk", partition_attr)
            .expression_attribute_values(":pk", s(&partition))
            .expression_attribute_values(":lo", s(lo))
            .expression_attribute_values(":hi", s(hi))
            .scan_index_forward(false)
            .limit(i32::try_from(query.limit + 1).unwrap_or(i32::MAX));
        if let Some(after) = after {
            let news_id = after.rsplit('#').next().unwrap_or_default();
            let id = match query.team {
                Some(_) => link_id(&partition, news_id),
                None => news_id.to_owned(),
            };
            let start = HashMap::from([
                ("id".to_owned(), s(id)),
                (partition_attr.to_owned(), s(&partition)),
                ("sort_key".to_owned(), s(after)),
            ]);
            request = request.set_exclusive_start_key(Some(start));
        }
        let rows = self.query_rows(request, query.limit + 1).await?;
        let read = if query.team.is_some() {
            from_link
        } else {
            from_item
        };
        let items = rows
            .into_iter()
            .map(read)
            .collect::<Result<Vec<NewsItem>, _>>()?;
        Ok(into_page(items, query.limit, |item| {
            cursor::encode(&scope, &item.sort_key())
        }))
    }

    async fn retag_news(&self, items: &[NewsItem]) -> Result<(), StoreError> {
        let mut links = Vec::new();
        for item in items {
            let mut update = self
                .client
                .update_item()
                .table_name(&self.tables.news)
                .key("id", s(&item.id));
            let mut set =
                "SET #teams = :teams, #evidence = :evidence, #players = :players, #pevidence = :pevidence"
                    .to_owned();
            if let Some(story) = &item.story_id {
                set.push_str(", #story = :story");
                update = update
                    .expression_attribute_names("#story", NEWS_BY_STORY.partition.name)
                    .expression_attribute_values(":story", s(story));
            }
            let out = update
                .update_expression(set)
                .condition_expression("attribute_exists(id)")
                .expression_attribute_names("#teams", "teams")
                .expression_attribute_names("#evidence", "team_evidence")
                .expression_attribute_names("#players", "players")
                .expression_attribute_names("#pevidence", "player_evidence")
                .expression_attribute_values(":teams", to_value(&item.teams)?)
                .expression_attribute_values(":evidence", to_value(&item.team_evidence)?)
                .expression_attribute_values(":players", to_value(&item.players)?)
                .expression_attribute_values(":pevidence", to_value(&item.player_evidence)?)
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await;
            match out {
                Ok(out) => {
                    self.record_capacity(
                        "UpdateItem",
                        out.consumed_capacity().map(std::slice::from_ref),
                    );
                    links.extend(team_links(item, &to_item(item)?));
                }
                Err(err)
                    if err
                        .as_service_error()
                        .is_some_and(|e| e.is_conditional_check_failed_exception()) => {}
                Err(err) => return Err(backend("UpdateItem", err)),
            }
        }
        self.batch_put(&self.tables.news, links).await
    }

    async fn news_stats(&self, days: StatsDays) -> Result<BTreeMap<Category, u64>, StoreError> {
        let counters = match days {
            None => vec![Counter::All],
            Some((first, last)) => {
                let last = last.min(first + chrono::Duration::days(MAX_STATS_DAYS - 1));
                Counter::cover(first, last)
            }
        };
        let ids: Vec<String> = counters.into_iter().map(Counter::id).collect();
        let mut counts: BTreeMap<Category, u64> = Category::ALL.iter().map(|c| (*c, 0)).collect();
        let attrs: Vec<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
        for item in self.batch_get(&ids, &attrs).await? {
            for category in Category::ALL {
                if let Some(AttributeValue::N(n)) = item.get(category.as_str()) {
                    *counts.entry(category).or_default() += n.parse::<u64>().unwrap_or(0);
                }
            }
        }
        Ok(counts)
    }
}

#[async_trait]
impl FeedStateStore for DynamoStore {
    async fn get_feed_state(&self, feed: &str) -> Result<Option<FeedState>, StoreError> {
        self.get_item(&self.tables.news, "id", s(feed_state_id(feed)))
            .await?
            .map(from_item)
            .transpose()
    }

    async fn put_feed_state(&self, state: &FeedState) -> Result<(), StoreError> {
        let mut item = to_item(state)?;
        item.insert("id".into(), s(feed_state_id(&state.feed)));
        // Listed by `by_time` under its own kind, by name.
        item.insert(NEWS_BY_TIME.partition.name.into(), s(FEED_KIND));
        item.insert("sort_key".into(), s(&state.feed));
        let out = self
            .client
            .put_item()
            .table_name(&self.tables.news)
            .set_item(Some(item))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(|e| backend("PutItem", e))?;
        self.record_capacity("PutItem", out.consumed_capacity().map(std::slice::from_ref));
        Ok(())
    }

    async fn list_feed_states(&self, limit: usize) -> Result<Vec<FeedState>, StoreError> {
        let request = self
            .client
            .query()
            .table_name(&self.tables.news)
            .index_name(NEWS_BY_TIME.name)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", NEWS_BY_TIME.partition.name)
            .expression_attribute_values(":pk", s(FEED_KIND))
            .limit(i32::try_from(limit).unwrap_or(i32::MAX));
        let mut rows = self.query_rows(request, limit).await?;
        rows.truncate(limit);
        rows.into_iter().map(from_item).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::Counter;
    use chrono::NaiveDate;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    #[test]
    fn a_window_is_covered_by_whole_months_and_edge_days() {
        let cover = Counter::cover(day(2026, 1, 30), day(2026, 4, 2));
        assert_eq!(
            cover,
            vec![
                Counter::Day(day(2026, 1, 30)),
                Counter::Day(day(2026, 1, 31)),
                Counter::Month(2026, 2),
                Counter::Month(2026, 3),
                Counter::Day(day(2026, 4, 1)),
                Counter::Day(day(2026, 4, 2)),
            ]
        );
        assert_eq!(
            Counter::cover(day(2026, 2, 1), day(2026, 2, 28)),
            vec![Counter::Month(2026, 2)]
        );
        assert_eq!(
            Counter::cover(day(2026, 3, 5), day(2026, 3, 5)),
            vec![Counter::Day(day(2026, 3, 5))]
        );
        let year = Counter::cover(day(2025, 11, 24), day(2026, 11, 24));
        assert!(year.len() <= 11 + 31 + 24, "{}", year.len());
        assert_eq!(Counter::Month(2026, 2).id(), "stats#2026-02");
        assert_eq!(Counter::Day(day(2026, 2, 3)).id(), "stats#2026-02-03");
    }
}
