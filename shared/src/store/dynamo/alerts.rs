//! The alerts table: subscriptions, delivery records and attempts (keys in
//! [`crate::store::schema::ALERTS`]).

use super::*;
use crate::alerts::{DeliveryAttempt, Subscription};
use crate::store::backend::readable;
use crate::store::schema::{ALERTS_BY_KIND, SUBSCRIPTION_KIND};
use crate::store::AlertStore;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure;

/// The attribute naming the write that put an alerts-table item (see `put_alert_item`).
const WRITE_TOKEN: &str = "write_token";

fn owner_key(owner: &str) -> String {
    format!("user#{owner}")
}

fn subscription_key(id: &str) -> String {
    format!("sub#{id}")
}

/// The key of an alerts-table item.
fn alert_key(pk: String, sk: String) -> Item {
    Item::from([("pk".to_owned(), s(pk)), ("sk".to_owned(), s(sk))])
}

/// The sort key of the item under an owner that counts their subscriptions.
const COUNT_KEY: &str = "count";

/// The counter item's attribute holding the count.
const COUNT: &str = "subscriptions";

/// Tries of a counted write before concurrent changes to the same owner make it give up.
const COUNTED_TRIES: u32 = 8;

/// The error of a counted write that found the owner's subscriptions changing every time.
fn kept_changing(operation: &str) -> StoreError {
    StoreError::Backend(format!(
        "{operation}: the owner's subscriptions kept changing"
    ))
}

/// A short random pause before a counted write tries again, so racing writers spread out.
async fn contention_pause() {
    use rand::Rng;
    let millis = rand::rngs::OsRng.gen_range(5..40);
    tokio::time::sleep(std::time::Duration::from_millis(millis)).await;
}

fn is_condition_failed<E: ProvideErrorMetadata>(
    err: &aws_sdk_dynamodb::error::SdkError<E>,
) -> bool {
    err.as_service_error()
        .and_then(ProvideErrorMetadata::code)
        .is_some_and(|code| code == "ConditionalCheckFailedException")
}

impl DynamoStore {
    /// A subscription as stored: its fields, keys and kind.
    fn subscription_item(&self, sub: &Subscription) -> Result<Item, StoreError> {
        let mut item = to_item(sub)?;
        item.insert("pk".into(), s(owner_key(&sub.owner)));
        item.insert("sk".into(), s(subscription_key(&sub.id)));
        item.insert(ALERTS_BY_KIND.partition.name.into(), s(SUBSCRIPTION_KIND));
        Ok(item)
    }

    /// Puts `item` in the alerts table under `condition` (with `values`); whether it held.
    ///
    /// The item carries a token of this write: when the SDK retries a put that was applied but
    /// whose answer was lost, the retry fails its condition on the item the first try wrote,
    /// and the token (read back with the failure) shows the write was this one's.
    async fn put_alert_item(
        &self,
        mut item: Item,
        condition: &str,
        values: &[(&str, AttributeValue)],
    ) -> Result<bool, StoreError> {
        let token = s(uuid::Uuid::now_v7().to_string());
        item.insert(WRITE_TOKEN.to_owned(), token.clone());
        let mut request = self
            .client
            .put_item()
            .table_name(&self.tables.alerts)
            .set_item(Some(item))
            .condition_expression(condition)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .return_consumed_capacity(ReturnConsumedCapacity::Total);
        for (name, value) in values {
            request = request.expression_attribute_values(*name, value.clone());
        }
        match request.send().await {
            Ok(out) => {
                self.record_capacity("PutItem", out.consumed_capacity().map(std::slice::from_ref));
                Ok(true)
            }
            Err(err) if is_condition_failed(&err) => {
                let found = match err.as_service_error() {
                    Some(PutItemError::ConditionalCheckFailedException(failed)) => {
                        failed.item().and_then(|old| old.get(WRITE_TOKEN)).cloned()
                    }
                    _ => None,
                };
                Ok(found == Some(token))
            }
            Err(err) => Err(backend("PutItem", err)),
        }
    }

    /// The count of `owner`'s subscriptions on their counter item; `None` before the first
    /// create that keeps one.
    async fn subscription_count(&self, owner: &str) -> Result<Option<u64>, StoreError> {
        let key = alert_key(owner_key(owner), COUNT_KEY.to_owned());
        let item = self.get_keyed(&self.tables.alerts, key).await?;
        match item.as_ref().and_then(|item| item.get(COUNT)) {
            None => Ok(None),
            Some(AttributeValue::N(n)) => n.parse().map(Some).map_err(|e| backend("GetItem", e)),
            Some(other) => Err(StoreError::Backend(format!(
                "GetItem: a subscription count of {other:?}"
            ))),
        }
    }

    /// Sets `owner`'s counter from `current` (`None`: no counter yet) to `next` (0 removes
    /// it), provided it still reads `current`.
    fn count_write(
        &self,
        owner: &str,
        current: Option<u64>,
        next: u64,
    ) -> Result<TransactWriteItem, StoreError> {
        let (condition, current) = match current {
            Some(n) => (
                format!("{COUNT} = :n"),
                Some(AttributeValue::N(n.to_string())),
            ),
            None => ("attribute_not_exists(pk)".to_owned(), None),
        };
        let values = current.map(|n| HashMap::from([(":n".to_owned(), n)]));
        let key = alert_key(owner_key(owner), COUNT_KEY.to_owned());
        if next == 0 {
            let delete = Delete::builder()
                .table_name(&self.tables.alerts)
                .set_key(Some(key))
                .condition_expression(condition)
                .set_expression_attribute_values(values)
                .build()
                .map_err(|e| backend("Delete", e))?;
            return Ok(TransactWriteItem::builder().delete(delete).build());
        }
        let mut item = key;
        item.insert(COUNT.into(), AttributeValue::N(next.to_string()));
        let put = Put::builder()
            .table_name(&self.tables.alerts)
            .set_item(Some(item))
            .condition_expression(condition)
            .set_expression_attribute_values(values)
            .build()
            .map_err(|e| backend("Put", e))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// Runs a counter write and a subscription write as one transaction: whether it held.
    /// Not when the counter no longer reads what was read or another transaction was at it
    /// (after a short pause, to read again); `refused` when the subscription's own condition
    /// failed.
    async fn counted(
        &self,
        [counter, write]: [TransactWriteItem; 2],
        refused: StoreError,
    ) -> Result<bool, StoreError> {
        match self.transact(vec![counter, write]).await {
            Ok(()) => Ok(true),
            Err(err) if condition_failed_at(&err, 1) => Err(refused),
            Err(err) if condition_failed_at(&err, 0) || transaction_conflict(&err) => {
                contention_pause().await;
                Ok(false)
            }
            Err(err) => Err(backend("TransactWriteItems", err)),
        }
    }

    /// Deletes a subscription of an owner who has no counter yet (all stored before it).
    async fn delete_uncounted(&self, owner: &str, id: &str) -> Result<(), StoreError> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.tables.alerts)
            .key("pk", s(owner_key(owner)))
            .key("sk", s(subscription_key(id)))
            .condition_expression("attribute_exists(pk)")
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await;
        match out {
            Ok(out) => {
                self.record_capacity(
                    "DeleteItem",
                    out.consumed_capacity().map(std::slice::from_ref),
                );
                Ok(())
            }
            Err(err) if is_condition_failed(&err) => Err(StoreError::NotFound),
            Err(err) => Err(backend("DeleteItem", err)),
        }
    }

    /// Runs an alerts-table query to the end (or `want` rows).
    async fn alert_rows(
        &self,
        request: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
        want: usize,
    ) -> Result<Vec<Item>, StoreError> {
        self.query_rows(request.table_name(&self.tables.alerts), want)
            .await
    }
}

#[async_trait]
impl AlertStore for DynamoStore {
    /// Written with the owner's counter item in one transaction, on the condition that the
    /// counter still reads what was read: a concurrent create or delete makes it read again.
    /// An owner whose subscriptions predate the counter is counted once, from the listing.
    async fn create_subscription(
        &self,
        sub: &Subscription,
        limit: usize,
    ) -> Result<(), StoreError> {
        let item = self.subscription_item(sub)?;
        for _ in 0..COUNTED_TRIES {
            let current = self.subscription_count(&sub.owner).await?;
            let held = match current {
                Some(n) => n,
                None => self.list_subscriptions(&sub.owner).await?.len() as u64,
            };
            if held >= limit as u64 {
                return Err(StoreError::LimitReached(limit));
            }
            let put = Put::builder()
                .table_name(&self.tables.alerts)
                .set_item(Some(item.clone()))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .map_err(|e| backend("Put", e))?;
            let items = [
                self.count_write(&sub.owner, current, held + 1)?,
                TransactWriteItem::builder().put(put).build(),
            ];
            if self.counted(items, StoreError::Exists).await? {
                return Ok(());
            }
        }
        Err(kept_changing("CreateSubscription"))
    }

    async fn get_subscription(
        &self,
        owner: &str,
        id: &str,
    ) -> Result<Option<Subscription>, StoreError> {
        let key = alert_key(owner_key(owner), subscription_key(id));
        self.get_keyed(&self.tables.alerts, key)
            .await?
            .map(from_item)
            .transpose()
    }

    async fn list_subscriptions(&self, owner: &str) -> Result<Vec<Subscription>, StoreError> {
        let request = self
            .client
            .query()
            .key_condition_expression("pk = :pk AND begins_with(sk, :sub)")
            .expression_attribute_values(":pk", s(owner_key(owner)))
            .expression_attribute_values(":sub", s("sub#"))
            .consistent_read(true);
        let mut subs: Vec<Subscription> = self
            .alert_rows(request, usize::MAX)
            .await?
            .into_iter()
            .map(from_item)
            .collect::<Result<_, _>>()?;
        subs.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        Ok(subs)
    }

    async fn update_subscription(
        &self,
        sub: &Subscription,
        version: u64,
    ) -> Result<(), StoreError> {
        let item = self.subscription_item(sub)?;
        let held = self
            .put_alert_item(
                item,
                "attribute_exists(pk) AND version = :v",
                &[(":v", AttributeValue::N(version.to_string()))],
            )
            .await?;
        if held {
            return Ok(());
        }
        match self.get_subscription(&sub.owner, &sub.id).await? {
            Some(stored) => Err(StoreError::VersionConflict {
                current: stored.version,
            }),
            None => Err(StoreError::NotFound),
        }
    }

    /// Deleted with the owner's counter lowered in one transaction (the counter goes with
    /// the last subscription).
    async fn delete_subscription(&self, owner: &str, id: &str) -> Result<(), StoreError> {
        for _ in 0..COUNTED_TRIES {
            let Some(n) = self.subscription_count(owner).await? else {
                return self.delete_uncounted(owner, id).await;
            };
            let delete = Delete::builder()
                .table_name(&self.tables.alerts)
                .key("pk", s(owner_key(owner)))
                .key("sk", s(subscription_key(id)))
                .condition_expression("attribute_exists(pk)")
                .build()
                .map_err(|e| backend("Delete", e))?;
            let items = [
                self.count_write(owner, Some(n), n.saturating_sub(1))?,
                TransactWriteItem::builder().delete(delete).build(),
            ];
            if self.counted(items, StoreError::NotFound).await? {
                return Ok(());
            }
        }
        Err(kept_changing("DeleteSubscription"))
    }

    async fn all_subscriptions(&self) -> Result<Vec<Subscription>, StoreError> {
        let request = self
            .client
            .query()
            .index_name(ALERTS_BY_KIND.name)
            .key_condition_expression("#kind = :kind")
            .expression_attribute_names("#kind", ALERTS_BY_KIND.partition.name)
            .expression_attribute_values(":kind", s(SUBSCRIPTION_KIND));
        let rows = self.alert_rows(request, usize::MAX).await?;
        Ok(readable(rows.into_iter().map(from_item), "subscription"))
    }

    async fn claim_delivery(
        &self,
        subscription: &str,
        item: &str,
        expires_at: i64,
    ) -> Result<bool, StoreError> {
        let record = Item::from([
            ("pk".to_owned(), s(subscription_key(subscription))),
            ("sk".to_owned(), s(format!("item#{item}"))),
            (
                "expires_at".to_owned(),
                AttributeValue::N(expires_at.to_string()),
            ),
        ]);
        self.put_alert_item(record, "attribute_not_exists(pk)", &[])
            .await
    }

    async fn claim_story(
        &self,
        subscription: &str,
        story: &str,
        item: &str,
        now: i64,
        until: i64,
    ) -> Result<bool, StoreError> {
        let record = Item::from([
            ("pk".to_owned(), s(subscription_key(subscription))),
            ("sk".to_owned(), s(format!("story#{story}"))),
            ("claimed_by".to_owned(), s(item)),
            (
                "expires_at".to_owned(),
                AttributeValue::N(until.to_string()),
            ),
        ]);
        // TTL deletes a lapsed record late: the condition reads its time. An item takes its own
        // claim again only while it holds (a retry); a lapsed or released one goes to another
        // item (a replay of the item it released must not quiet the story again).
        self.put_alert_item(
            record,
            "attribute_not_exists(pk) \
             OR (expires_at <= :now AND (attribute_not_exists(claimed_by) OR claimed_by <> :item)) \
             OR (claimed_by = :item AND expires_at > :now)",
            &[
                (":now", AttributeValue::N(now.to_string())),
                (":item", s(item)),
            ],
        )
        .await
    }

    async fn record_attempt(
        &self,
        attempt: &DeliveryAttempt,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        let mut item = to_item(attempt)?;
        item.insert("pk".into(), s(subscription_key(&attempt.subscription_id)));
        item.insert("sk".into(), s(format!("attempt#{}", attempt.sort_key())));
        item.insert(
            "expires_at".into(),
            AttributeValue::N(expires_at.to_string()),
        );
        let out = self
            .client
            .put_item()
            .table_name(&self.tables.alerts)
            .set_item(Some(item))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(|e| backend("PutItem", e))?;
        self.record_capacity("PutItem", out.consumed_capacity().map(std::slice::from_ref));
        Ok(())
    }

    async fn list_attempts(
        &self,
        subscription: &str,
        limit: usize,
    ) -> Result<Vec<DeliveryAttempt>, StoreError> {
        let request = self
            .client
            .query()
            .key_condition_expression("pk = :pk AND begins_with(sk, :attempt)")
            // TTL deletes expired rows only eventually (typically within 48 hours).
            .filter_expression("expires_at > :now")
            .expression_attribute_values(":pk", s(subscription_key(subscription)))
            .expression_attribute_values(":attempt", s("attempt#"))
            .expression_attribute_values(
                ":now",
                AttributeValue::N(chrono::Utc::now().timestamp().to_string()),
            )
            .scan_index_forward(false)
            .limit(i32::try_from(limit).unwrap_or(i32::MAX));
        let mut rows = self.alert_rows(request, limit).await?;
        rows.truncate(limit);
        rows.into_iter().map(from_item).collect()
    }
}
