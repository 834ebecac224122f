//! The DynamoDB backend on aws-sdk-dynamodb; items are mapped with serde_dynamo.

use super::backend::{daily_counts, into_page, sort_key_lower, sort_key_upper, USERS_SCOPE};
use super::cursor::{self, is_news_sort_key, is_reading_time, is_user_id};
use super::schema::{IndexDef, TableDef, TableNames, TABLES};
use super::{
    FeedStateStore, InsertOutcome, NewsQuery, NewsStore, ReadingQuery, ReadingStore, StatsDays,
    StoreError, UserStore, MAX_STATS_DAYS,
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
    Put, PutRequest, ReturnConsumedCapacity, ScalarAttributeType, TimeToLiveSpecification,
    TransactWriteItem, Update, WriteRequest,
};
use aws_sdk_dynamodb::Client;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

mod alerts;
mod metrics;
mod news;
mod provision;
mod users;

type Item = HashMap<String, AttributeValue>;

/// Largest batch of a BatchWriteItem request.
const WRITE_BATCH: usize = 25;
/// Largest batch of a BatchGetItem request.
const GET_BATCH: usize = 100;
/// Retries of unprocessed batch items before giving up.
const MAX_RETRIES: u32 = 8;
/// DynamoDB's limit on one item (attribute names and values).
const MAX_ITEM_BYTES: usize = 400 * 1024;
/// DynamoDB's limit on one TransactWriteItems request, less room for the counter updates.
const MAX_TRANSACTION_BYTES: usize = 4 * 1024 * 1024 - 64 * 1024;

/// An item's size as DynamoDB counts it: attribute names and values, strings and binaries by
/// their bytes, numbers by their digits (an upper bound), and 1 byte per list or map element
/// plus 3 per list or map.
fn item_size(item: &Item) -> usize {
    item.iter()
        .map(|(name, value)| name.len() + value_size(value))
        .sum()
}

fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(s) | AttributeValue::N(s) => s.len(),
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::Ss(v) | AttributeValue::Ns(v) => v.iter().map(String::len).sum(),
        AttributeValue::Bs(v) => v.iter().map(|b| b.as_ref().len()).sum(),
        AttributeValue::L(v) => 3 + v.iter().map(|e| 1 + value_size(e)).sum::<usize>(),
        AttributeValue::M(m) => {
            3 + m
                .iter()
                .map(|(k, e)| 1 + k.len() + value_size(e))
                .sum::<usize>()
        }
        _ => 1,
    }
}

/// The DynamoDB store.
#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: Client,
    tables: TableNames,
    /// Capacity units consumed by this store's calls, in thousandths.
    consumed_milli_units: Arc<AtomicU64>,
}

fn backend<E: std::error::Error + 'static>(op: &str, err: E) -> StoreError {
    StoreError::Backend(format!("{op}: {}", DisplayErrorContext(err)))
}

fn to_item<T: Serialize>(value: &T) -> Result<Item, StoreError> {
    serde_dynamo::to_item(value).map_err(|e| StoreError::Backend(format!("encoding an item: {e}")))
}

fn to_value<T: Serialize>(value: &T) -> Result<AttributeValue, StoreError> {
    serde_dynamo::to_attribute_value(value)
        .map_err(|e| StoreError::Backend(format!("encoding an attribute: {e}")))
}

fn from_item<T: serde::de::DeserializeOwned>(item: Item) -> Result<T, StoreError> {
    serde_dynamo::from_item(item).map_err(|e| StoreError::Backend(format!("decoding an item: {e}")))
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
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

/// Whether a transaction was cancelled because another one was changing the same items.
fn transaction_conflict<R>(
    err: &aws_sdk_dynamodb::error::SdkError<
        aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError,
        R,
    >,
) -> bool {
    use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
    match err.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(e)) => e
            .cancellation_reasons()
            .iter()
            .any(|r| r.code() == Some("TransactionConflict")),
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

    /// The table names in use.
    pub fn tables(&self) -> &TableNames {
        &self.tables
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

    /// One item of a table keyed by `key` alone (a strongly consistent read).
    async fn get_item(
        &self,
        table: &str,
        key: &str,
        value: AttributeValue,
    ) -> Result<Option<Item>, StoreError> {
        self.get_keyed(table, Item::from([(key.to_owned(), value)]))
            .await
    }

    /// One item by its whole key (a strongly consistent read).
    async fn get_keyed(&self, table: &str, key: Item) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(table)
            .set_key(Some(key))
            .consistent_read(true)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(|e| backend("GetItem", e))?;
        self.record_capacity("GetItem", out.consumed_capacity().map(std::slice::from_ref));
        Ok(out.item)
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
