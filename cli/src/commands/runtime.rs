//! Options shared by `serve` and `ingest`: which store, which feeds, how often.

use shared::archive::{Archive, LocalArchive};
use shared::config::{check_feeds, feeds_from_json, FeedConfig};
use shared::ingest::Ingest;
use shared::store::sqlite::SqliteStore;
use shared::store::Store;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Where data lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum StoreKind {
    /// SQLite file and archive folder under --data-dir: zero set-up.
    Embedded,
    /// DynamoDB and S3 through the normal AWS configuration (NEWS_TABLE, ..., ARCHIVE_BUCKET,
    /// AWS_ENDPOINT_URL*).
    Dynamodb,
}

/// Store options.
#[derive(clap::Args, Debug)]
pub struct StoreArgs {
    /// Which backend to use.
    #[arg(long, value_enum, default_value_t = StoreKind::Embedded)]
    pub store: StoreKind,
    /// Folder of the embedded database and archive.
    #[arg(long, default_value = ".data")]
    pub data_dir: PathBuf,
    /// Create missing tables and the bucket from the code's declarations (local endpoints).
    #[arg(long)]
    pub create_tables: bool,
}

/// Feed options.
#[derive(clap::Args, Debug)]
pub struct FeedArgs {
    /// A feed URL, file:// URL or path (repeatable); replaces the configured feeds.
    #[arg(long = "feed", value_name = "URL")]
    pub feeds: Vec<String>,
    /// A JSON file of feeds: [{"name","url","source"}]; replaces the configured feeds.
    #[arg(long = "feeds", value_name = "FILE", conflicts_with = "feeds")]
    pub feeds_file: Option<PathBuf>,
}

/// The bucket used with `--store dynamodb` when ARCHIVE_BUCKET is unset.
const DEFAULT_BUCKET: &str = "nba-tracker-archive";

impl StoreArgs {
    /// Opens the store and archive, creating tables and bucket when asked.
    pub async fn open(&self) -> Result<(Arc<dyn Store>, Arc<dyn Archive>), String> {
        match self.store {
            StoreKind::Embedded => {
                let db = self.data_dir.join("tracker.db");
                let store = SqliteStore::open(&db).map_err(|e| e.to_string())?;
                Ok((
                    Arc::new(store),
                    Arc::new(LocalArchive::new(self.data_dir.join("archive"))),
                ))
            }
            StoreKind::Dynamodb => {
                let bucket = std::env::var(shared::config::ARCHIVE_BUCKET_ENV)
                    .unwrap_or_else(|_| DEFAULT_BUCKET.to_owned());
                let (store, archive) = shared::config::aws_backends_in(bucket).await;
                if self.create_tables {
                    store.create_tables().await.map_err(|e| e.to_string())?;
                    archive.create_bucket().await.map_err(|e| e.to_string())?;
                }
                Ok((Arc::new(store), Arc::new(archive)))
            }
        }
    }
}

impl FeedArgs {
    /// The feeds: --feed, else --feeds FILE, else FEEDS_JSON, else the defaults.
    pub fn resolve(&self) -> Result<Vec<FeedConfig>, String> {
        if !self.feeds.is_empty() {
            let feeds: Vec<FeedConfig> = self
                .feeds
                .iter()
                .map(|url| FeedConfig {
                    name: feed_name(url),
                    url: url.clone(),
                    source: None,
                })
                .collect();
            check_feeds(&feeds).map_err(|e| e.to_string())?;
            return Ok(feeds);
        }
        if let Some(path) = &self.feeds_file {
            let text =
                std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            return feeds_from_json(&text).map_err(|e| format!("{}: {e}", path.display()));
        }
        shared::config::feeds_from_env().map_err(|e| e.to_string())
    }
}

/// A feed's name from its URL or path: host and path, slugged.
fn feed_name(url: &str) -> String {
    let trimmed = url.split("://").nth(1).unwrap_or(url);
    shared::archive::slug(trimmed.trim_end_matches(".xml").trim_end_matches(".rss"))
}

/// The ingest pipeline over the given backends.
pub fn pipeline(store: Arc<dyn Store>, archive: Arc<dyn Archive>) -> Result<Ingest, String> {
    shared::config::ingest_from_env(store, archive).map_err(|e| e.to_string())
}

/// Parses "300", "300s", "5m" or "1h".
pub fn parse_interval(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration like 300, 30s, 5m or 1h"))?;
    let scale: u64 = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        _ => return Err(format!("{text:?}: unknown unit {unit:?} (use s, m or h)")),
    };
    let secs = n
        .checked_mul(scale)
        .ok_or_else(|| format!("{text:?} is too long an interval"))?;
    if secs == 0 {
        return Err("the interval must be positive".into());
    }
    Ok(Duration::from_secs(secs))
}

/// One line describing a run, for people watching the terminal.
pub fn progress_line(summary: &shared::ingest::RunSummary) -> String {
    let per_category: Vec<String> = summary
        .new_by_category
        .iter()
        .map(|(c, n)| format!("{n} {c}"))
        .collect();
    let mut line = format!(
        "[{}] ingest: {} feeds ok, {} failed; new: {} ({}) in {} ms",
        summary.started_at.format("%H:%M:%S"),
        summary.feeds_ok,
        summary.feeds_failed,
        summary.items_new,
        per_category.join(", "),
        summary.duration_ms
    );
    for failed in summary
        .feeds
        .iter()
        .filter(|f| f.error.is_some() && f.status == shared::ingest::FeedStatus::Failed)
    {
        line.push_str(&format!(
            "\n  {} failed: {}",
            failed.feed,
            failed.error.as_deref().unwrap_or_default()
        ));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals() {
        assert_eq!(parse_interval("300"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_interval("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_interval("1h"), Ok(Duration::from_secs(3600)));
        assert!(
            parse_interval("6000000000000000h").is_err(),
            "no wrap to a short interval"
        );
        assert!(parse_interval("0").is_err());
        assert!(parse_interval("5d").is_err());
        assert!(parse_interval("soon").is_err());
    }

    #[test]
    fn feed_names_from_urls() {
        assert_eq!(
            feed_name("https://www.espn.com/espn/rss/nba/news"),
            "www-espn-com-espn-rss-nba-news"
        );
        assert_eq!(
            feed_name("samples/feeds/espn-nba.xml"),
            "samples-feeds-espn-nba"
        );
    }
}
