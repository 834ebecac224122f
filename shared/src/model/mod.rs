//! Domain types shared by storage, the API and ingest. Inputs from outside are parsed into
//! these types once ("parse, don't validate"); everything past that point trusts them.

pub mod metrics;
mod news;
pub mod time;
mod user;

pub use metrics::{DeviceId, FieldSummary, Reading, ReadingSummary, MAX_READINGS_PER_BATCH};
pub use news::{FeedState, NewsItem};
pub use time::{format_timestamp, parse_timestamp, Timestamp};
pub use user::{Email, NewProfile, NewUser, ProfileUpdate, User, UserPatch, UserUpdate, Username};

/// Why an input value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ValidationError {
    /// The field or parameter at fault.
    pub field: &'static str,
    /// What is wrong with it.
    pub message: String,
}

impl ValidationError {
    /// A validation error on `field`.
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

/// A page of results and the cursor for the next one (`None` on the last page).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Opaque cursor for the next page.
    pub next_cursor: Option<String>,
}
