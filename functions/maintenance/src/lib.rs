//! The daily maintenance Lambda's handler, apart from the runtime so tests can call it.

use shared::archive::Archive;
use shared::config::FeedConfig;
use shared::maintenance::{run, MaintenanceError, MaintenanceReport};
use shared::store::Store;

/// Hours within which a feed must produce an item to count as fresh.
pub const FRESHNESS_HOURS: i64 = 24;

/// Runs the job, logs the report and an EMF metrics line.
pub async fn handle(
    store: &dyn Store,
    archive: &dyn Archive,
    feeds: &[FeedConfig],
) -> Result<MaintenanceReport, MaintenanceError> {
    let report = run(store, archive, feeds, chrono::Utc::now(), FRESHNESS_HOURS).await?;
    tracing::info!(
        stale_feeds = report.stale_feeds,
        exported_items = report.exported_items,
        uncertain_items = report.uncertain_items,
        report = %serde_json::to_string(&report).unwrap_or_default(),
        "maintenance run"
    );
    println!(
        "{}",
        shared::emf::line(
            report.ran_at,
            &[
                ("StaleFeeds", report.stale_feeds),
                ("ExportedItems", report.exported_items),
                ("UncertainItems", report.uncertain_items),
            ],
        )
    );
    Ok(report)
}
