//! The scheduled ingest Lambda's handler, apart from the runtime so tests can call it.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use serde_json::Value;
use shared::config::FeedConfig;
use shared::ingest::{Ingest, RunSummary};

/// What triggered a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// An EventBridge rule (SAM `Schedule`): the event in its envelope.
    EventBridge {
        /// The event id.
        id: String,
        /// `detail-type`, "Scheduled Event" for rules.
        detail_type: String,
    },
    /// EventBridge Scheduler (SAM `ScheduleV2`) or a manual invoke: the raw input.
    Direct,
}

impl Trigger {
    /// Reads the trigger from an invocation payload.
    pub fn of(payload: &Value) -> Self {
        match serde_json::from_value::<EventBridgeEvent<Value>>(payload.clone()) {
            Ok(event) if payload.get("detail-type").is_some() => Trigger::EventBridge {
                id: event.id.unwrap_or_default(),
                detail_type: event.detail_type,
            },
            _ => Trigger::Direct,
        }
    }
}

/// The run failed for every feed; the invocation fails so Lambda retries and alarms fire.
#[derive(Debug, thiserror::Error)]
#[error("all {0} feeds failed")]
pub struct AllFeedsFailed(pub usize);

/// Runs ingest once, logs the summary as one JSON line and an EMF metrics line.
pub async fn handle(
    ingest: &Ingest,
    feeds: &[FeedConfig],
    payload: &Value,
) -> Result<RunSummary, AllFeedsFailed> {
    let trigger = Trigger::of(payload);
    let summary = ingest.run(feeds, chrono::Utc::now()).await;
    tracing::info!(
        trigger = ?trigger,
        feeds_ok = summary.feeds_ok,
        feeds_failed = summary.feeds_failed,
        items_new = summary.items_new,
        duration_ms = summary.duration_ms,
        feeds = %serde_json::to_string(&summary.feeds).unwrap_or_default(),
        "ingest run"
    );
    for line in summary.emf_lines() {
        println!("{line}");
    }
    if summary.all_failed() {
        return Err(AllFeedsFailed(summary.feeds.len()));
    }
    Ok(summary)
}
