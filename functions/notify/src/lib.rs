//! The notify Lambda's handler, apart from the runtime so tests can call it: the news table's
//! stream records (new images) in, alerts out, and the records to retry reported back.

use aws_lambda_events::dynamodb::{Event, EventRecord};
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use shared::alerts::deliver::{Notifier, NotifyReport};
use shared::model::NewsItem;
use shared::store::schema::NEWS_KIND;

/// The news item a stream record inserted; `None` for other records (team links, feed state,
/// counters, changes and removals) and for images that are not news items.
pub fn inserted_news(record: &EventRecord) -> Option<NewsItem> {
    if record.event_name != "INSERT" {
        return None;
    }
    let image = &record.change.new_image;
    let kind = image.get("kind").and_then(|kind| match kind {
        serde_dynamo::AttributeValue::S(kind) => Some(kind.as_str()),
        _ => None,
    });
    if kind != Some(NEWS_KIND) {
        return None;
    }
    match serde_dynamo::from_item(image.clone()) {
        Ok(item) => Some(item),
        Err(err) => {
            tracing::warn!(event_id = %record.event_id, error = %err, "a news image that is no news item: skipped");
            None
        }
    }
}

/// Delivers the batch's new items record by record. When the store fails, the failing record
/// and every later one are reported, so Lambda retries from there (records already claimed are
/// not sent again).
pub async fn handle(notifier: &Notifier, event: &Event) -> DynamoDbEventResponse {
    let mut response = DynamoDbEventResponse::default();
    let mut report = NotifyReport::default();
    let subscriptions = match notifier.store.all_subscriptions().await {
        Ok(subscriptions) => subscriptions,
        Err(err) => {
            tracing::error!(error = %err, "reading subscriptions: the whole batch is retried");
            fail_from(&mut response, &event.records);
            return response;
        }
    };
    for (index, record) in event.records.iter().enumerate() {
        let Some(item) = inserted_news(record) else {
            continue;
        };
        match notifier
            .deliver(&subscriptions, &[item], chrono::Utc::now())
            .await
        {
            Ok(done) => report.add(&done),
            Err(err) => {
                tracing::error!(event_id = %record.event_id, error = %err, "delivering: retried from this record");
                fail_from(&mut response, &event.records[index..]);
                break;
            }
        }
    }
    tracing::info!(
        records = event.records.len(),
        matched = report.matched,
        delivered = report.delivered,
        failed = report.failed,
        already_delivered = report.already_delivered,
        paused = ?report.paused,
        retried = response.batch_item_failures.len(),
        "notify batch"
    );
    println!(
        "{}",
        shared::emf::line(
            chrono::Utc::now(),
            &[
                ("AlertsDelivered", report.delivered),
                ("AlertsFailed", report.failed),
                ("SubscriptionsPaused", report.paused.len()),
            ],
        )
    );
    response
}

/// Reports `records` as failed, by sequence number.
fn fail_from(response: &mut DynamoDbEventResponse, records: &[EventRecord]) {
    for record in records {
        let mut failure = DynamoDbBatchItemFailure::default();
        failure.item_identifier = record.change.sequence_number.clone();
        response.batch_item_failures.push(failure);
    }
}
