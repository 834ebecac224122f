//! Raw feed archives and exports: S3, or a local folder with the same key layout.
//!
//! Keys: `raw/<source>/<YYYY>/<MM>/<DD>/<sha256 of body>.xml` (content-addressed: the same
//! body on the same day is stored once) and `exports/news/date=<YYYY-MM-DD>/news.jsonl`.

use crate::feed::sha256_hex;
use crate::model::{NewsItem, Timestamp};
use async_trait::async_trait;
use chrono::NaiveDate;
use std::path::{Path, PathBuf};

#[cfg(feature = "s3")]
mod s3;
#[cfg(feature = "s3")]
pub use s3::S3Archive;

/// Why an archive operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// A key that could escape the archive root.
    #[error("invalid archive key {0:?}")]
    InvalidKey(String),
    /// Local filesystem failure.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// S3 failure.
    #[error("S3 {op}: {message}")]
    S3 {
        /// The operation.
        op: &'static str,
        /// The error with its context.
        message: String,
    },
    /// Encoding an export failed.
    #[error("encoding an export: {0}")]
    Encode(String),
}

/// Somewhere to keep objects by key.
#[async_trait]
pub trait Archive: Send + Sync {
    /// Whether an object exists.
    async fn exists(&self, key: &str) -> Result<bool, ArchiveError>;
    /// Writes an object, replacing any previous one.
    async fn put(&self, key: &str, body: Vec<u8>, content_type: &str) -> Result<(), ArchiveError>;
    /// Reads an object.
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, ArchiveError>;
}

/// A source name made safe for a key: lowercase letters, digits and dashes.
pub fn slug(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    for c in source.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let trimmed = out.trim_end_matches('-');
    if trimmed.is_empty() {
        "feed".to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// The file extension and media type a raw feed body is stored under: JSON Feed (its text
/// begins with `{` after any UTF-8 BOM, as the parser reads it) or XML.
fn raw_feed_kind(body: &[u8]) -> (&'static str, &'static str) {
    let text = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    match text.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => ("json", "application/feed+json"),
        _ => ("xml", "application/xml"),
    }
}

/// The key of a raw feed body fetched from `source` at `when`.
pub fn raw_feed_key(source: &str, when: &Timestamp, body: &[u8]) -> String {
    format!(
        "raw/{}/{}/{}.{}",
        slug(source),
        when.format("%Y/%m/%d"),
        sha256_hex(body),
        raw_feed_kind(body).0
    )
}

/// The key of the news export of `date`.
pub fn export_key(date: NaiveDate) -> String {
    format!("exports/news/date={}/news.jsonl", date.format("%Y-%m-%d"))
}

/// Archives a raw feed body unless the same body is already stored for that source and day.
/// Returns the key and whether it was written.
pub async fn archive_raw(
    archive: &dyn Archive,
    source: &str,
    when: &Timestamp,
    body: &[u8],
) -> Result<(String, bool), ArchiveError> {
    let key = raw_feed_key(source, when, body);
    if archive.exists(&key).await? {
        return Ok((key, false));
    }
    archive
        .put(&key, body.to_vec(), raw_feed_kind(body).1)
        .await?;
    Ok((key, true))
}

/// Writes `items` as JSON Lines under the export key of `date`; returns the key.
pub async fn write_export(
    archive: &dyn Archive,
    date: NaiveDate,
    items: &[NewsItem],
) -> Result<String, ArchiveError> {
    let mut body = Vec::new();
    for item in items {
        serde_json::to_writer(&mut body, item).map_err(|e| ArchiveError::Encode(e.to_string()))?;
        body.push(b'\n');
    }
    let key = export_key(date);
    archive.put(&key, body, "application/x-ndjson").await?;
    Ok(key)
}

/// A folder on disk laid out like the bucket.
#[derive(Debug, Clone)]
pub struct LocalArchive {
    root: PathBuf,
}

impl LocalArchive {
    /// An archive rooted at `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    fn path(&self, key: &str) -> Result<PathBuf, ArchiveError> {
        let safe = !key.is_empty()
            && key
                .split('/')
                .all(|part| !part.is_empty() && part != "." && part != "..")
            && !key.contains('\\');
        if safe {
            Ok(self.root.join(key))
        } else {
            Err(ArchiveError::InvalidKey(key.to_owned()))
        }
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ArchiveError + '_ {
    move |source| ArchiveError::Io {
        path: path.display().to_string(),
        source,
    }
}

#[async_trait]
impl Archive for LocalArchive {
    async fn exists(&self, key: &str) -> Result<bool, ArchiveError> {
        let path = self.path(key)?;
        tokio::fs::try_exists(&path).await.map_err(io(&path))
    }

    async fn put(&self, key: &str, body: Vec<u8>, _content_type: &str) -> Result<(), ArchiveError> {
        let path = self.path(key)?;
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(io(parent))?;
        }
        // Write then rename, so a reader never sees half a file.
        let partial = path.with_extension("partial");
        tokio::fs::write(&partial, body)
            .await
            .map_err(io(&partial))?;
        tokio::fs::rename(&partial, &path).await.map_err(io(&path))
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, ArchiveError> {
        let path = self.path(key)?;
        match tokio::fs::read(&path).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(&path)(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_content_addressed_and_safe() {
        let when = chrono::DateTime::parse_from_rfc3339("2026-11-22T10:00:00Z")
            .expect("date")
            .with_timezone(&chrono::Utc);
        assert_eq!(
            raw_feed_key("ESPN NBA / News", &when, b"abc"),
            "raw/espn-nba-news/2026/11/22/ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad.xml"
        );
        assert!(raw_feed_key("JSON", &when, b" {\"version\": 1}").ends_with(".json"));
        assert_eq!(raw_feed_kind(b"\n{}").1, "application/feed+json");
        assert_eq!(raw_feed_kind(b"\xEF\xBB\xBF{}").0, "json");
        assert_eq!(raw_feed_kind(b"<rss/>").1, "application/xml");
        assert_eq!(slug("../../etc"), "etc");
        assert_eq!(
            export_key(when.date_naive()),
            "exports/news/date=2026-11-22/news.jsonl"
        );
        let local = LocalArchive::new("/tmp/x");
        assert!(local.path("../escape").is_err());
        assert!(local.path("a//b").is_err());
    }
}
