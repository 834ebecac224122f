//! The alerts table: subscriptions, delivery records and attempts (keys in
//! [`crate::store::schema::ALERTS`]).

use super::*;
use crate::alerts::{DeliveryAttempt, Subscription};
use crate::store::schema::{ALERTS_BY_KIND, SUBSCRIPTION_KIND};
use crate::store::AlertStore;

fn owner_key(owner: &str) -> String {
    format!("user#{owner}")
}

fn subscription_key(id: &str) -> String {
    format!("sub#{id}")
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
    async fn put_alert_item(
        &self,
        item: Item,
        condition: &str,
        values: &[(&str, AttributeValue)],
    ) -> Result<bool, StoreError> {
        let mut request = self
            .client
            .put_item()
            .table_name(&self.tables.alerts)
            .set_item(Some(item))
            .condition_expression(condition)
            .return_consumed_capacity(ReturnConsumedCapacity::Total);
        for (name, value) in values {
            request = request.expression_attribute_values(*name, value.clone());
        }
        match request.send().await {
            Ok(out) => {
                self.record_capacity("PutItem", out.consumed_capacity().map(std::slice::from_ref));
                Ok(true)
            }
            Err(err) if is_condition_failed(&err) => Ok(false),
            Err(err) => Err(backend("PutItem", err)),
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
    async fn create_subscription(&self, sub: &Subscription) -> Result<(), StoreError> {
        let item = self.subscription_item(sub)?;
        if self
            .put_alert_item(item, "attribute_not_exists(pk)", &[])
            .await?
        {
            Ok(())
        } else {
            Err(StoreError::Exists)
        }
    }

    async fn get_subscription(
        &self,
        owner: &str,
        id: &str,
    ) -> Result<Option<Subscription>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.tables.alerts)
            .key("pk", s(owner_key(owner)))
            .key("sk", s(subscription_key(id)))
            .consistent_read(true)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
            .await
            .map_err(|e| backend("GetItem", e))?;
        self.record_capacity("GetItem", out.consumed_capacity().map(std::slice::from_ref));
        out.item.map(from_item).transpose()
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

    async fn delete_subscription(&self, owner: &str, id: &str) -> Result<(), StoreError> {
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

    async fn all_subscriptions(&self) -> Result<Vec<Subscription>, StoreError> {
        let request = self
            .client
            .query()
            .index_name(ALERTS_BY_KIND.name)
            .key_condition_expression("#kind = :kind")
            .expression_attribute_names("#kind", ALERTS_BY_KIND.partition.name)
            .expression_attribute_values(":kind", s(SUBSCRIPTION_KIND));
        self.alert_rows(request, usize::MAX)
            .await?
            .into_iter()
            .map(from_item)
            .collect()
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
