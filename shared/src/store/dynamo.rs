//! The DynamoDB backend on aws-sdk-dynamodb; items are mapped with serde_dynamo.

use super::cursor::{self, is_news_sort_key, is_reading_time, is_user_id};
use super::schema::{IndexDef, TableDef, TableNames, TABLES};
use super::{
    into_page, sort_key_lower, sort_key_upper, InsertOutcome, NewsQuery, ReadingQuery, Store,
    StoreError, USERS_SCOPE,
};
use crate::classify::Category;
use crate::model::{
    DeviceId, FeedState, NewUser, NewsItem, Page, Reading, Timestamp, User, UserPatch,
};
use async_trait::async_trait;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, ConsumedCapacity, Delete,
    GlobalSecondaryIndex, KeySchemaElement, KeyType, KeysAndAttributes, Projection, ProjectionType,
    Put, PutRequest, ReturnConsumedCapacity, ScalarAttributeType, Select, TimeToLiveSpecification,
    TransactWriteItem, WriteRequest,
};
use aws_sdk_dynamodb::Client;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

type Item = HashMap<String, AttributeValue>;

/// Largest batch of a BatchWriteItem request.
const WRITE_BATCH: usize = 25;
/// Largest batch of a BatchGetItem request.
const GET_BATCH: usize = 100;
/// Retries of unprocessed batch items before giving up.
const MAX_RETRIES: u32 = 8;

/// The DynamoDB store.
#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: Client,
    tables: TableNames,
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

fn feed_state_id(feed: &str) -> String {
    format!("feed#{feed}")
}

fn log_capacity(op: &str, capacity: Option<&[ConsumedCapacity]>) {
    if let Some(capacity) = capacity {
        let units: f64 = capacity
            .iter()
            .filter_map(ConsumedCapacity::capacity_units)
            .sum();
        tracing::debug!(op, capacity_units = units, "DynamoDB consumed capacity");
    }
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
        Self { client, tables }
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
                log_capacity("BatchWriteItem", out.consumed_capacity.as_deref());
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

    /// Which of `ids` exist in the news table (BatchGetItem, retrying unprocessed keys).
    async fn existing_ids(&self, ids: &[&str]) -> Result<HashSet<String>, StoreError> {
        let table = &self.tables.news;
        let mut found = HashSet::new();
        for chunk in ids.chunks(GET_BATCH) {
            let keys: Vec<Item> = chunk
                .iter()
                .map(|id| HashMap::from([("id".to_owned(), s(*id))]))
                .collect();
            let mut pending = Some(
                KeysAndAttributes::builder()
                    .set_keys(Some(keys))
                    .projection_expression("id")
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
                log_capacity("BatchGetItem", out.consumed_capacity.as_deref());
                for item in out
                    .responses
                    .and_then(|mut r| r.remove(table))
                    .unwrap_or_default()
                {
                    if let Some(AttributeValue::S(id)) = item.get("id") {
                        found.insert(id.clone());
                    }
                }
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
        log_capacity("GetItem", out.consumed_capacity().map(std::slice::from_ref));
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
        log_capacity("TransactWriteItems", out.consumed_capacity.as_deref());
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
            log_capacity("Query", out.consumed_capacity().map(std::slice::from_ref));
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
        let ids: Vec<&str> = unique.iter().map(|i| i.id.as_str()).collect();
        let existing = self.existing_ids(&ids).await?;
        let mut outcome = InsertOutcome {
            existing: items.len() - unique.len(),
            ..InsertOutcome::default()
        };
        let mut records = Vec::new();
        for item in unique {
            if existing.contains(&item.id) {
                outcome.existing += 1;
                continue;
            }
            let mut record = to_item(item)?;
            record.insert("kind".into(), s(NEWS_KIND));
            record.insert("sort_key".into(), s(item.sort_key()));
            records.push(record);
            outcome.inserted.push(item.id.clone());
        }
        self.batch_put(&self.tables.news, records).await?;
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
            (Some(category), _) => ("by_category", "category", category.as_str().to_owned()),
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
        if let (Some(_), Some(source)) = (&query.category, &query.source) {
            request = request
                .filter_expression("#source = :source")
                .expression_attribute_names("#source", "source")
                .expression_attribute_values(":source", s(source));
        }
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

    async fn news_stats(
        &self,
        since: Option<Timestamp>,
        until: Option<Timestamp>,
    ) -> Result<BTreeMap<Category, u64>, StoreError> {
        let mut counts = BTreeMap::new();
        for category in Category::ALL {
            let mut request = self
                .client
                .query()
                .table_name(&self.tables.news)
                .index_name("by_category")
                .key_condition_expression("category = :c AND sort_key BETWEEN :lo AND :hi")
                .expression_attribute_values(":c", s(category.as_str()))
                .expression_attribute_values(":lo", s(sort_key_lower(since.as_ref())))
                .expression_attribute_values(":hi", s(sort_key_upper(until.as_ref())))
                .select(Select::Count);
            let mut total = 0u64;
            loop {
                let out = request
                    .clone()
                    .send()
                    .await
                    .map_err(|e| backend("Query", e))?;
                total += u64::try_from(out.count).unwrap_or(0);
                match out.last_evaluated_key {
                    Some(key) => request = request.set_exclusive_start_key(Some(key)),
                    None => break,
                }
            }
            counts.insert(category, total);
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
        log_capacity("PutItem", out.consumed_capacity().map(std::slice::from_ref));
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
