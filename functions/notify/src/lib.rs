//! The notify Lambda's handler, apart from the runtime so tests can call it: the news table's
//! stream records (new images) in, alerts out, and the records to retry reported back.

use aws_lambda_events::dynamodb::{Event, EventRecord};
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use shared::alerts::deliver::{Notifier, NotifyReport};
use shared::model::NewsItem;
use shared::store::schema::NEWS_KIND;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

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

/// The [`Instant`] of a Lambda invocation's deadline, given in milliseconds since the epoch.
pub fn deadline(deadline_ms: u64, now: SystemTime) -> Instant {
    let now_ms = now
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    Instant::now() + Duration::from_millis(deadline_ms.saturating_sub(now_ms))
}

/// Delivers the batch's new items, all (subscription, item) pairs at once (one slow receiver
/// does not hold up the others), starting none too close to `deadline`, and reports for retry
/// the records whose alerts were not all started or whose delivery records the store could
/// not write, or every record when the subscriptions could not be read (alerts already
/// claimed are not sent again).
pub async fn handle(
    notifier: &Notifier,
    event: &Event,
    deadline: Instant,
) -> DynamoDbEventResponse {
    let mut response = DynamoDbEventResponse::default();
    let news: Vec<(&EventRecord, NewsItem)> = event
        .records
        .iter()
        .filter_map(|record| inserted_news(record).map(|item| (record, item)))
        .collect();
    let items: Vec<NewsItem> = news.iter().map(|(_, item)| item.clone()).collect();
    let report = match notifier
        .notify_before(&items, chrono::Utc::now(), deadline)
        .await
    {
        Ok(report) => {
            let retried = news
                .iter()
                .filter(|(_, item)| {
                    report.store_failures.contains(&item.id) || report.deferred.contains(&item.id)
                })
                .map(|(record, _)| *record);
            fail(&mut response, retried);
            report
        }
        Err(err) => {
            tracing::error!(error = %err, "reading subscriptions: the batch is retried");
            fail(&mut response, event.records.iter());
            NotifyReport::default()
        }
    };
    tracing::info!(
        records = event.records.len(),
        items = items.len(),
        matched = report.matched,
        delivered = report.delivered,
        failed = report.failed,
        already_delivered = report.already_delivered,
        same_story = report.same_story,
        too_old = report.too_old,
        held = report.held,
        paused = ?report.paused,
        deferred = report.deferred.len(),
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
                ("ItemsDeferred", report.deferred.len()),
            ],
        )
    );
    response
}

/// Reports `records` as failed, by sequence number.
fn fail<'a>(response: &mut DynamoDbEventResponse, records: impl Iterator<Item = &'a EventRecord>) {
    for record in records {
        let mut failure = DynamoDbBatchItemFailure::default();
        failure.item_identifier = record.change.sequence_number.clone();
        response.batch_item_failures.push(failure);
    }
}
