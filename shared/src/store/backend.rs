//! What the backends share: sort-key bounds, pages, cursor scopes and the stats counters'
//! increments. Built with a backend (`dynamodb` or `sqlite`).

use super::{NewsQuery, ReadingQuery};
use crate::classify::Category;
use crate::model::{NewsItem, Page, Timestamp};
use std::collections::BTreeMap;

/// The UTC day an item is counted on: the day of its sort time.
pub fn stats_day(item: &NewsItem) -> chrono::NaiveDate {
    item.sort_time().date_naive()
}

/// New items per UTC day and category, the increments of the stats counters.
pub fn daily_counts<'a>(
    items: impl IntoIterator<Item = &'a NewsItem>,
) -> BTreeMap<chrono::NaiveDate, BTreeMap<Category, u64>> {
    let mut days: BTreeMap<_, BTreeMap<Category, u64>> = BTreeMap::new();
    for item in items {
        *days
            .entry(stats_day(item))
            .or_default()
            .entry(item.category)
            .or_default() += 1;
    }
    days
}

impl NewsQuery {
    /// The cursor scope of this listing: a cursor of one filter combination is refused by another.
    pub fn scope(&self) -> String {
        let mut scope = format!(
            "news|{}|{}",
            self.category.map_or("", Category::as_str),
            self.source.as_deref().unwrap_or("")
        );
        if let Some(team) = self.team {
            scope.push('|');
            scope.push_str(team.as_str());
        }
        scope
    }
}

impl ReadingQuery {
    /// The cursor scope of this device's readings.
    pub fn scope(&self) -> String {
        format!("metrics|{}", self.device.as_str())
    }
}

/// The cursor scope of the user listing.
pub const USERS_SCOPE: &str = "users";

/// Upper bound of a sort-key range ending at `until` (sort keys are `<time>#<id>`).
pub fn sort_key_upper(until: Option<&Timestamp>) -> String {
    match until {
        Some(t) => format!("{}#~", crate::model::format_timestamp(t)),
        None => "~".to_owned(),
    }
}

/// Lower bound of a sort-key range starting at `since` ("0" sorts before every time, and
/// DynamoDB refuses empty strings in key conditions).
pub fn sort_key_lower(since: Option<&Timestamp>) -> String {
    since.map_or_else(|| "0".to_owned(), crate::model::format_timestamp)
}

/// Splits a fetched `limit + 1` rows into a page: the cursor is made from the last row kept.
pub fn into_page<T>(mut rows: Vec<T>, limit: usize, cursor_of: impl Fn(&T) -> String) -> Page<T> {
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next_cursor = if more {
        rows.last().map(cursor_of)
    } else {
        None
    };
    Page {
        items: rows,
        next_cursor,
    }
}

/// The rows that decode, each one that does not logged and skipped: for reads one stored row
/// must not stop (every subscription, for alerts).
pub fn readable<T>(
    rows: impl IntoIterator<Item = Result<T, super::StoreError>>,
    what: &str,
) -> Vec<T> {
    rows.into_iter()
        .filter_map(|row| {
            row.map_err(
                |err| tracing::error!(error = %err, "a stored {what} cannot be read: skipped"),
            )
            .ok()
        })
        .collect()
}
