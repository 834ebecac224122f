//! The DynamoDB backend on aws-sdk-dynamodb; items are mapped with serde_dynamo.

use super::backend::{daily_counts, into_page, sort_key_lower, sort_key_upper, USERS_SCOPE};
use super::cursor::{self, is_news_sort_key, is_reading_time, is_user_id};
use super::schema::{IndexDef, TableDef, TableNames, TABLES};
use super::{InsertOutcome, NewsQuery, ReadingQuery, StatsDays, Store, StoreError, MAX_STATS_DAYS};
use crate::classify::Category;
use crate::model::{
    DeviceId, FeedState, NewUser, NewsItem, Page, Reading, Timestamp, User, UserPatch,
};
use async_trait::async_trait;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, ConsumedCapacity, Delete,
    GlobalSecondaryIndex, KeySchemaElement, KeyType, KeysAndAttributes, Projection, ProjectionType,
    Put, PutRequest, ReturnConsumedCapacity, ScalarAttributeType, TimeToLiveSpecification,
    TransactWriteItem, Update, WriteRequest,
};
use aws_sdk_dynamodb::Client;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

type Item = HashMap<String, AttributeValue>;

/// Largest batch of a BatchWriteItem request.
const WRITE_BATCH: usize = 25;
/// Largest batch of a BatchGetItem request.
const GET_BATCH: usize = 100;
/// New news items per transaction: with at most one day and one month counter per item and
/// the all-time counter, a transaction stays within DynamoDB's 100 actions.
const NEWS_PER_TRANSACTION: usize = 32;
/// Retries of unprocessed batch items before giving up.
const MAX_RETRIES: u32 = 8;

/// The DynamoDB store.
#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: Client,
    tables: TableNames,
    /// Capacity units consumed by this store's calls, in thousandths.
    consumed_milli_units: Arc<AtomicU64>,
}

/// The email uniqueness item: `user_id` is `email#<lowercased email>`.
#[derive(Serialize, Deserialize)]
struct EmailClaim {
    user_id: String,
    owner: String,
}

/// A reading as stored: the reading's fields plus its device and TTL.
#[derive(Serialize, Deserialize)]
struct ReadingRecord {
    device_id: String,
    timestamp: i64,
    #[serde(default)]
    temperature: Option<f64>,
    #[serde(default)]
    humidity: Option<f64>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_at: Option<i64>,
}

impl ReadingRecord {
    fn new(device: &DeviceId, reading: &Reading, expires_at: Option<i64>) -> Self {
        Self {
            device_id: device.as_str().to_owned(),
            timestamp: reading.timestamp,
            temperature: reading.temperature,
            humidity: reading.humidity,
            status: reading.status.clone(),
            expires_at,
        }
    }

    fn into_reading(self) -> Reading {
        Reading {
            timestamp: self.timestamp,
            temperature: self.temperature,
            humidity: self.humidity,
            status: self.status,
        }
    }
}

fn backend<E: std::error::Error + 'static>(op: &str, err: E) -> StoreError {
    StoreError::Backend(format!("{op}: {}", DisplayErrorContext(err)))
}

fn to_item<T: Serialize>(value: &T) -> Result<Item, StoreError> {
    serde_dynamo::to_item(value).map_err(|e| StoreError::Backend(format!("encoding an item: {e}")))
}

fn from_item<T: serde::de::DeserializeOwned>(item: Item) -> Result<T, StoreError> {
    serde_dynamo::from_item(item).map_err(|e| StoreError::Backend(format!("decoding an item: {e}")))
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn claim_id(email_key: &str) -> String {
    format!("email#{email_key}")
}

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

/// Whether a cancelled transaction may succeed if sent again (a conflict with another
/// transaction on a counter, or throttling).
fn is_retryable_transaction<R>(
    err: &aws_sdk_dynamodb::error::SdkError<
        aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError,
        R,
    >,
) -> bool {
    use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
    match err.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(e)) => {
            e.cancellation_reasons().iter().any(|r| {
                matches!(
                    r.code(),
                    Some(
                        "TransactionConflict" | "ThrottlingError" | "ProvisionedThroughputExceeded"
                    )
                )
            })
        }
        _ => false,
    }
}

fn feed_state_id(feed: &str) -> String {
    format!("feed#{feed}")
}

/// Backoff before retry `attempt` (1-based): 50 ms doubling, capped at 2 s, with jitter.
fn backoff(attempt: u32) -> Duration {
    let base = 50u64.saturating_mul(1 << attempt.min(6)).min(2_000);
    let jitter = u64::from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos()),
    ) % (base / 2 + 1);
    Duration::from_millis(base / 2 + jitter)
}

/// Whether a transaction was cancelled with a failed condition at `index`.
fn condition_failed_at<R>(
    err: &aws_sdk_dynamodb::error::SdkError<
        aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError,
        R,
    >,
    index: usize,
) -> bool {
    use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
    match err.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(e)) => e
            .cancellation_reasons()
            .get(index)
            .and_then(|r| r.code())
            .is_some_and(|code| code == "ConditionalCheckFailed"),
        _ => false,
    }
}

impl DynamoStore {
    /// A store over `client` with the given table names.
    pub fn new(client: Client, tables: TableNames) -> Self {
        Self {
            client,
            tables,
            consumed_milli_units: Arc::default(),
        }
    }

    /// Capacity units (reads and writes) this store's calls have consumed so far, as DynamoDB
    /// reported them: what `scripts/bench.sh` divides by requests for the cost of a route.
    pub fn consumed_capacity_units(&self) -> f64 {
        self.consumed_milli_units.load(Ordering::Relaxed) as f64 / 1000.0
    }

    /// Logs and adds up the capacity a call consumed.
    fn record_capacity(&self, op: &str, capacity: Option<&[ConsumedCapacity]>) {
        if let Some(capacity) = capacity {
            let units: f64 = capacity
                .iter()
                .filter_map(ConsumedCapacity::capacity_units)
                .sum();
            tracing::debug!(op, capacity_units = units, "DynamoDB consumed capacity");
            self.consumed_milli_units
                .fetch_add((units * 1000.0).round() as u64, Ordering::Relaxed);
        }
    }

    /// The table names in use.
    pub fn tables(&self) -> &TableNames {
        &self.tables
    }

    /// Creates every table of the [schema](super::schema) that does not exist, on-demand, with
    /// its indexes and TTL, and waits until each is active. For local endpoints and tests; on
    /// AWS the template owns the tables.
    pub async fn create_tables(&self) -> Result<(), StoreError> {
        for def in TABLES {
            self.create_table(def).await?;
        }
        Ok(())
    }

    async fn create_table(&self, def: &TableDef) -> Result<(), StoreError> {
        let name = self.tables.name_of(def).to_owned();
        let key_schema =
            |partition: &str, sort: Option<&str>| -> Result<Vec<KeySchemaElement>, StoreError> {
                let mut keys = vec![KeySchemaElement::builder()
                    .attribute_name(partition)
                    .key_type(KeyType::Hash)
                    .build()
                    .map_err(|e| backend("key schema", e))?];
                if let Some(sort) = sort {
                    keys.push(
                        KeySchemaElement::builder()
                            .attribute_name(sort)
                            .key_type(KeyType::Range)
                            .build()
                            .map_err(|e| backend("key schema", e))?,
                    );
                }
                Ok(keys)
            };
        let mut attrs = BTreeMap::new();
        let all_keys = std::iter::once(def.partition).chain(def.sort).chain(
            def.indexes
                .iter()
                .flat_map(|i: &IndexDef| std::iter::once(i.partition).chain(i.sort)),
        );
        for key in all_keys {
            attrs.insert(key.name, key.kind);
        }
        let mut request = self
            .client
            .create_table()
            .table_name(&name)
            .billing_mode(BillingMode::PayPerRequest)
            .set_key_schema(Some(key_schema(
                def.partition.name,
                def.sort.map(|k| k.name),
            )?));
        for (attr, kind) in attrs {
            request = request.attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(attr)
                    .attribute_type(ScalarAttributeType::from(kind.as_str()))
                    .build()
                    .map_err(|e| backend("attribute definition", e))?,
            );
        }
        for index in def.indexes {
            request = request.global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(index.name)
                    .set_key_schema(Some(key_schema(
                        index.partition.name,
                        index.sort.map(|k| k.name),
                    )?))
                    .projection(
                        Projection::builder()
                            .projection_type(ProjectionType::All)
                            .build(),
                    )
                    .build()
                    .map_err(|e| backend("index", e))?,
            );
        }
        match request.send().await {
            Ok(_) => {}
            Err(err) if err.code() == Some("ResourceInUseException") => return Ok(()),
            Err(err) => return Err(backend("CreateTable", err)),
        }
        for _ in 0..100 {
            let described = self
                .client
                .describe_table()
                .table_name(&name)
                .send()
                .await
                .map_err(|e| backend("DescribeTable", e))?;
            let active = described
                .table()
                .and_then(|t| t.table_status())
                .is_some_and(|s| s.as_str() == "ACTIVE");
            if active {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        if let Some(attr) = def.ttl {
            let spec = TimeToLiveSpecification::builder()
                .attribute_name(attr)
                .enabled(true)
                .build()
                .map_err(|e| backend("TTL", e))?;
            self.client
                .update_time_to_live()
                .table_name(&name)
                .time_to_live_specification(spec)
                .send()
                .await
                .map_err(|e| backend("UpdateTimeToLive", e))?;
        }
        Ok(())
    }

    /// Writes put requests in batches of 25, retrying unprocessed items with backoff.
    async fn batch_put(&self, table: &str, items: Vec<Item>) -> Result<(), StoreError> {
        let requests: Vec<WriteRequest> = items
            .into_iter()
            .map(|item| {
                let put = PutRequest::builder()
                    .set_item(Some(item))
                    .build()
                    .map_err(|e| backend("PutRequest", e))?;
                Ok(WriteRequest::builder().put_request(put).build())
            })
            .collect::<Result<_, StoreError>>()?;
        for chunk in requests.chunks(WRITE_BATCH) {
            let mut pending = chunk.to_vec();
            let mut attempt = 0;
            while !pending.is_empty() {
                let out = self
                    .client
                    .batch_write_item()
                    .request_items(table, pending)
                    .return_consumed_capacity(ReturnConsumedCapacity::Total)
                    .send()
                    .await
                    .map_err(|e| backend("BatchWriteItem", e))?;
                self.record_capacity("BatchWriteItem", out.consumed_capacity.as_deref());
                pending = out
                    .unprocessed_items
                    .and_then(|mut u| u.remove(table))
                    .unwrap_or_default();
                if !pending.is_empty() {
                    attempt += 1;
                    if attempt > MAX_RETRIES {
                        return Err(StoreError::Backend(format!(
                            "BatchWriteItem: {} items still unprocessed",
                            pending.len()
                        )));
                    }
                    tokio::time::sleep(backoff(attempt)).await;
                }
            }
        }
        Ok(())
    }

    /// The news-table items of `ids` that exist, with only the attributes `attrs` (BatchGetItem
    /// in chunks of 100, retrying unprocessed keys with backoff).
    async fn batch_get(&self, ids: &[String], attrs: &[&str]) -> Result<Vec<Item>, StoreError> {
        let names: HashMap<String, String> = attrs
            .iter()
            .enumerate()
            .map(|(n, attr)| (format!("#a{n}"), (*attr).to_owned()))
            .collect();
        let projection = (0..attrs.len())
            .map(|n| format!("#a{n}"))
            .collect::<Vec<_>>()
            .join(", ");
        let table = &self.tables.news;
        let mut found = Vec::new();
        for chunk in ids.chunks(GET_BATCH) {
            let keys: Vec<Item> = chunk
                .iter()
                .map(|id| HashMap::from([("id".to_owned(), s(id))]))
                .collect();
            let mut pending = Some(
                KeysAndAttributes::builder()
                    .set_keys(Some(keys))
                    .projection_expression(&projection)
                    .set_expression_attribute_names(Some(names.clone()))
                    .build()
                    .map_err(|e| backend("KeysAndAttributes", e))?,
            );
            let mut attempt = 0;
            while let Some(request) = pending.take() {
                let out = self
                    .client
                    .batch_get_item()
                    .request_items(table, request)
                    .return_consumed_capacity(ReturnConsumedCapacity::Total)
                    .send()
                    .await
                    .map_err(|e| backend("BatchGetItem", e))?;
                self.record_capacity("BatchGetItem", out.consumed_capacity.as_deref());
                found.extend(
                    out.responses
                        .and_then(|mut r| r.remove(table))
                        .unwrap_or_default(),
                );
                pending = out
                    .unprocessed_keys
                    .and_then(|mut u| u.remove(table))
                    .filter(|k| !k.keys().is_empty());
                if pending.is_some() {
                    attempt += 1;
                    if attempt > MAX_RETRIES {
                        return Err(StoreError::Backend(
                            "BatchGetItem: keys still unprocessed".into(),
                        ));
                    }
                    tokio::time::sleep(backoff(attempt)).await;
                }
            }
        }
        Ok(found)
    }

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
    /// transaction; items that turn out to exist (a concurrent run) are left out and counted.
    async fn insert_chunk(
        &self,
        items: &[&NewsItem],
        outcome: &mut InsertOutcome,
    ) -> Result<(), StoreError> {
        let mut pending: Vec<&NewsItem> = items.to_vec();
        for attempt in 1..=MAX_RETRIES {
            if pending.is_empty() {
                return Ok(());
            }
            let mut actions = Vec::with_capacity(pending.len() + 2);
            for item in &pending {
                let mut record = to_item(item)?;
                record.insert("kind".into(), s(NEWS_KIND));
                record.insert("sort_key".into(), s(item.sort_key()));
                record.insert(
                    "category_source".into(),
                    s(category_source(item.category, &item.source)),
                );
                let put = Put::builder()
                    .table_name(&self.tables.news)
                    .set_item(Some(record))
                    .condition_expression("attribute_not_exists(id)")
                    .build()
                    .map_err(|e| backend("Put", e))?;
                actions.push(TransactWriteItem::builder().put(put).build());
            }
            let mut counters: BTreeMap<Counter, BTreeMap<Category, u64>> = BTreeMap::new();
            for (day, counts) in daily_counts(pending.iter().copied()) {
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
                        .extend(pending.iter().map(|i| i.id.clone()));
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

    async fn get_item(
        &self,
        table: &str,
        key: &str,
        value: AttributeValue,
    ) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(table)
            .key(key, value)
            .consistent_read(true)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(|e| backend("GetItem", e))?;
        self.record_capacity("GetItem", out.consumed_capacity().map(std::slice::from_ref));
        Ok(out.item)
    }

    fn user_put(
        &self,
        user: &User,
        condition: &str,
        version: Option<u64>,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut item = to_item(user)?;
        item.insert("kind".into(), s("user"));
        let mut put = Put::builder()
            .table_name(&self.tables.users)
            .set_item(Some(item))
            .condition_expression(condition);
        if let Some(version) = version {
            put = put.expression_attribute_values(":v", AttributeValue::N(version.to_string()));
        }
        Ok(TransactWriteItem::builder()
            .put(put.build().map_err(|e| backend("Put", e))?)
            .build())
    }

    fn claim_put(&self, user: &User) -> Result<TransactWriteItem, StoreError> {
        let claim = EmailClaim {
            user_id: claim_id(&user.email.key()),
            owner: user.user_id.clone(),
        };
        let put = Put::builder()
            .table_name(&self.tables.users)
            .set_item(Some(to_item(&claim)?))
            .condition_expression("attribute_not_exists(user_id)")
            .build()
            .map_err(|e| backend("Put", e))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    fn claim_delete(&self, user: &User) -> Result<TransactWriteItem, StoreError> {
        let delete = Delete::builder()
            .table_name(&self.tables.users)
            .key("user_id", s(claim_id(&user.email.key())))
            .condition_expression("attribute_not_exists(user_id) OR #owner = :owner")
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_values(":owner", s(&user.user_id))
            .build()
            .map_err(|e| backend("Delete", e))?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    async fn transact(
        &self,
        items: Vec<TransactWriteItem>,
    ) -> Result<
        (),
        aws_sdk_dynamodb::error::SdkError<
            aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError,
            aws_sdk_dynamodb::config::http::HttpResponse,
        >,
    > {
        let out = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await?;
        self.record_capacity("TransactWriteItems", out.consumed_capacity.as_deref());
        Ok(())
    }

    /// Runs a query page by page, keeping rows until `want` are collected or none remain.
    async fn query_rows(
        &self,
        mut request: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
        want: usize,
    ) -> Result<Vec<Item>, StoreError> {
        let mut rows = Vec::new();
        loop {
            let out = request
                .clone()
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await
                .map_err(|e| backend("Query", e))?;
            self.record_capacity("Query", out.consumed_capacity().map(std::slice::from_ref));
            rows.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(key) if rows.len() < want => {
                    request = request.set_exclusive_start_key(Some(key))
                }
                _ => return Ok(rows),
            }
        }
    }
}

#[async_trait]
impl Store for DynamoStore {
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
        for chunk in fresh.chunks(NEWS_PER_TRANSACTION) {
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

    async fn list_news(&self, query: &NewsQuery) -> Result<Page<NewsItem>, StoreError> {
        let scope = query.scope();
        let after = query
            .cursor
            .as_deref()
            .map(|c| cursor::decode(c, &scope, is_news_sort_key))
            .transpose()?;
        let (index, partition_attr, partition) = match (&query.category, &query.source) {
            (Some(category), Some(source)) => (
                "by_category_source",
                "category_source",
                category_source(*category, source),
            ),
            (Some(category), None) => ("by_category", "category", category.as_str().to_owned()),
            (None, Some(source)) => ("by_source", "source", source.clone()),
            (None, None) => ("by_time", "kind", NEWS_KIND.to_owned()),
        };
        let mut request = self
            .client
            .query()
            .table_name(&self.tables.news)
            .index_name(index)
            .key_condition_expression("#pk = :pk AND sort_key BETWEEN :lo AND :hi")
            .expression_attribute_names("#pk", partition_attr)
            .expression_attribute_values(":pk", s(&partition))
            .expression_attribute_values(":lo", s(sort_key_lower(query.since.as_ref())))
            .expression_attribute_values(":hi", s(sort_key_upper(query.until.as_ref())))
            .scan_index_forward(false)
            .limit(i32::try_from(query.limit + 1).unwrap_or(i32::MAX));
        if let Some(after) = after {
            let id = after.rsplit('#').next().unwrap_or_default().to_owned();
            let start = HashMap::from([
                ("id".to_owned(), s(id)),
                (partition_attr.to_owned(), s(&partition)),
                ("sort_key".to_owned(), s(after)),
            ]);
            request = request.set_exclusive_start_key(Some(start));
        }
        let rows = self.query_rows(request, query.limit + 1).await?;
        let items = rows
            .into_iter()
            .map(from_item)
            .collect::<Result<Vec<NewsItem>, _>>()?;
        Ok(into_page(items, query.limit, |item| {
            cursor::encode(&scope, &item.sort_key())
        }))
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

    async fn get_feed_state(&self, feed: &str) -> Result<Option<FeedState>, StoreError> {
        self.get_item(&self.tables.news, "id", s(feed_state_id(feed)))
            .await?
            .map(from_item)
            .transpose()
    }

    async fn put_feed_state(&self, state: &FeedState) -> Result<(), StoreError> {
        let mut item = to_item(state)?;
        item.insert("id".into(), s(feed_state_id(&state.feed)));
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

    async fn create_user(
        &self,
        user_id: &str,
        new: NewUser,
        now: Timestamp,
    ) -> Result<User, StoreError> {
        if !is_user_id(user_id) {
            return Err(StoreError::Backend(format!(
                "CreateUser: {user_id:?} is not a user id"
            )));
        }
        let user = User::new(user_id, new, now);
        let items = vec![
            self.user_put(&user, "attribute_not_exists(user_id)", None)?,
            self.claim_put(&user)?,
        ];
        match self.transact(items).await {
            Ok(()) => Ok(user),
            Err(err) if condition_failed_at(&err, 0) => Err(StoreError::Exists),
            Err(err) if condition_failed_at(&err, 1) => Err(StoreError::DuplicateEmail),
            Err(err) => Err(backend("TransactWriteItems", err)),
        }
    }

    async fn get_user(&self, user_id: &str) -> Result<Option<User>, StoreError> {
        if !is_user_id(user_id) {
            return Ok(None);
        }
        self.get_item(&self.tables.users, "user_id", s(user_id))
            .await?
            .map(from_item)
            .transpose()
    }

    async fn list_users(
        &self,
        limit: usize,
        cursor_text: Option<&str>,
    ) -> Result<Page<User>, StoreError> {
        let after = cursor_text
            .map(|c| cursor::decode(c, USERS_SCOPE, is_user_id))
            .transpose()?;
        let mut request = self
            .client
            .query()
            .table_name(&self.tables.users)
            .index_name("by_kind")
            .key_condition_expression("kind = :k")
            .expression_attribute_values(":k", s("user"))
            .limit(i32::try_from(limit + 1).unwrap_or(i32::MAX));
        if let Some(after) = after {
            request = request.set_exclusive_start_key(Some(HashMap::from([
                ("user_id".to_owned(), s(after)),
                ("kind".to_owned(), s("user")),
            ])));
        }
        let rows = self.query_rows(request, limit + 1).await?;
        let users = rows
            .into_iter()
            .map(from_item)
            .collect::<Result<Vec<User>, _>>()?;
        Ok(into_page(users, limit, |u| {
            cursor::encode(USERS_SCOPE, &u.user_id)
        }))
    }

    async fn update_user(
        &self,
        user_id: &str,
        version: u64,
        patch: UserPatch,
        now: Timestamp,
    ) -> Result<User, StoreError> {
        let current = self.get_user(user_id).await?.ok_or(StoreError::NotFound)?;
        if current.version != version {
            return Err(StoreError::VersionConflict {
                current: current.version,
            });
        }
        let updated = current.patched(patch, now);
        let mut items = vec![self.user_put(
            &updated,
            "attribute_exists(user_id) AND version = :v",
            Some(version),
        )?];
        let email_changed = updated.email.key() != current.email.key();
        if email_changed {
            items.push(self.claim_delete(&current)?);
            items.push(self.claim_put(&updated)?);
        }
        match self.transact(items).await {
            Ok(()) => Ok(updated),
            Err(err) if condition_failed_at(&err, 0) => match self.get_user(user_id).await? {
                Some(now_stored) => Err(StoreError::VersionConflict {
                    current: now_stored.version,
                }),
                None => Err(StoreError::NotFound),
            },
            Err(err) if email_changed && condition_failed_at(&err, 2) => {
                Err(StoreError::DuplicateEmail)
            }
            Err(err) => Err(backend("TransactWriteItems", err)),
        }
    }

    async fn delete_user(&self, user_id: &str) -> Result<(), StoreError> {
        // A concurrent update changes the version; read again and retry a few times.
        for _ in 0..3 {
            let current = self.get_user(user_id).await?.ok_or(StoreError::NotFound)?;
            let delete = Delete::builder()
                .table_name(&self.tables.users)
                .key("user_id", s(user_id))
                .condition_expression("version = :v")
                .expression_attribute_values(":v", AttributeValue::N(current.version.to_string()))
                .build()
                .map_err(|e| backend("Delete", e))?;
            let items = vec![
                TransactWriteItem::builder().delete(delete).build(),
                self.claim_delete(&current)?,
            ];
            match self.transact(items).await {
                Ok(()) => return Ok(()),
                Err(err) if condition_failed_at(&err, 0) => continue,
                Err(err) => return Err(backend("TransactWriteItems", err)),
            }
        }
        Err(StoreError::Backend(
            "DeleteUser: the user kept changing".into(),
        ))
    }

    async fn put_readings(
        &self,
        device: &DeviceId,
        readings: &[Reading],
        expires_at: Option<i64>,
    ) -> Result<(), StoreError> {
        // A batch may not name one key twice: the last reading at a timestamp wins.
        let mut by_time: BTreeMap<i64, &Reading> = BTreeMap::new();
        for reading in readings {
            by_time.insert(reading.timestamp, reading);
        }
        let items = by_time
            .into_values()
            .map(|reading| to_item(&ReadingRecord::new(device, reading, expires_at)))
            .collect::<Result<Vec<_>, _>>()?;
        self.batch_put(&self.tables.metrics, items).await
    }

    async fn list_readings(&self, query: &ReadingQuery) -> Result<Page<Reading>, StoreError> {
        let scope = query.scope();
        let after = query
            .cursor
            .as_deref()
            .map(|c| cursor::decode(c, &scope, is_reading_time))
            .transpose()?;
        let mut request = self
            .client
            .query()
            .table_name(&self.tables.metrics)
            .key_condition_expression("device_id = :d AND #ts BETWEEN :from AND :to")
            .expression_attribute_names("#ts", "timestamp")
            .expression_attribute_values(":d", s(query.device.as_str()))
            .expression_attribute_values(":from", AttributeValue::N(query.from.to_string()))
            .expression_attribute_values(":to", AttributeValue::N(query.to.to_string()))
            .scan_index_forward(true)
            .limit(i32::try_from(query.limit + 1).unwrap_or(i32::MAX));
        if let Some(after) = after {
            request = request.set_exclusive_start_key(Some(HashMap::from([
                ("device_id".to_owned(), s(query.device.as_str())),
                ("timestamp".to_owned(), AttributeValue::N(after)),
            ])));
        }
        let rows = self.query_rows(request, query.limit + 1).await?;
        let readings = rows
            .into_iter()
            .map(|row| from_item::<ReadingRecord>(row).map(ReadingRecord::into_reading))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(into_page(readings, query.limit, |r| {
            cursor::encode(&scope, &r.timestamp.to_string())
        }))
    }
}

/// The `kind` of news items in the `by_time` index.
const NEWS_KIND: &str = "news";

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
