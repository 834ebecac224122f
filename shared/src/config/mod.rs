//! Building the runtime pieces from environment variables: the ones `template.yaml` sets for
//! the Lambdas, and that `tracker serve --store dynamodb` reads too.
//!
//! | variable | meaning | default |
//! | --- | --- | --- |
//! | `NEWS_TABLE`, `USERS_TABLE`, `METRICS_TABLE`, `ALERTS_TABLE` | DynamoDB table names | `nba-tracker-<table>` |
//! | `ARCHIVE_BUCKET` | S3 bucket for raw feeds and exports | required for AWS backends |
//! | `FEEDS_JSON` | `[{"name","url","source"}]` | ESPN NBA and RealGM wiretap |
//! | `NEWS_RETENTION_DAYS`, `METRICS_RETENTION_DAYS` | TTL of stored items, days (0: keep) | 90, 30 |
//! | `INGEST_CONCURRENCY` | feeds fetched at once | 4 |
//! | `ALERTS_TOPIC_PREFIX` | SNS topic name prefix of email alerts (empty: no email) | empty |

mod feeds;

pub use feeds::{check_feeds, default_feeds, feeds_from_json, ConfigError, FeedConfig};

#[cfg(feature = "http")]
use crate::archive::Archive;
#[cfg(feature = "s3")]
use crate::archive::S3Archive;
#[cfg(feature = "http")]
use crate::fetch::{FetchConfig, Fetcher};
#[cfg(feature = "http")]
use crate::ingest::Ingest;
#[cfg(feature = "dynamodb")]
use crate::store::dynamo::DynamoStore;
#[cfg(feature = "dynamodb")]
use crate::store::schema::TableNames;
use crate::store::Store;
use std::sync::Arc;

/// The environment variable naming the archive bucket.
pub const ARCHIVE_BUCKET_ENV: &str = "ARCHIVE_BUCKET";

/// Default news retention, days.
pub const DEFAULT_NEWS_RETENTION_DAYS: i64 = 90;
/// Default metrics retention, days.
pub const DEFAULT_METRICS_RETENTION_DAYS: i64 = 30;

/// The configured feeds: `FEEDS_JSON`, or the defaults.
pub fn feeds_from_env() -> Result<Vec<FeedConfig>, ConfigError> {
    match std::env::var("FEEDS_JSON") {
        Ok(text) if !text.trim().is_empty() => feeds_from_json(&text),
        _ => Ok(default_feeds()),
    }
}

/// A retention from a `*_RETENTION_DAYS` variable; 0 means keep forever.
pub fn retention_from_env(
    var: &str,
    default_days: i64,
) -> Result<Option<chrono::Duration>, ConfigError> {
    let days = match std::env::var(var) {
        Ok(text) => text
            .trim()
            .parse::<i64>()
            .map_err(|_| ConfigError(format!("{var}={text:?} is not a whole number of days")))?,
        Err(_) => default_days,
    };
    if days < 0 {
        return Err(ConfigError(format!("{var} must not be negative")));
    }
    Ok((days > 0).then(|| chrono::Duration::days(days)))
}

/// The DynamoDB store named by the environment.
#[cfg(feature = "dynamodb")]
pub async fn aws_store() -> DynamoStore {
    let sdk = crate::aws::sdk_config().await;
    DynamoStore::new(crate::aws::dynamodb(&sdk), TableNames::from_env())
}

/// The DynamoDB store and S3 archive named by the environment.
#[cfg(all(feature = "dynamodb", feature = "s3"))]
pub async fn aws_backends() -> Result<(DynamoStore, S3Archive), ConfigError> {
    let bucket = std::env::var(ARCHIVE_BUCKET_ENV)
        .map_err(|_| ConfigError(format!("{ARCHIVE_BUCKET_ENV} is not set")))?;
    Ok(aws_backends_in(bucket).await)
}

/// The DynamoDB store named by the environment and an S3 archive on `bucket`.
#[cfg(all(feature = "dynamodb", feature = "s3"))]
pub async fn aws_backends_in(bucket: String) -> (DynamoStore, S3Archive) {
    let sdk = crate::aws::sdk_config().await;
    let store = DynamoStore::new(crate::aws::dynamodb(&sdk), TableNames::from_env());
    let archive = S3Archive::new(crate::aws::s3(&sdk), bucket);
    (store, archive)
}

/// The API state over `store`, with the metrics retention from the environment, sending
/// alerts through `sender`.
pub fn api_state(
    store: Arc<dyn Store>,
    sender: Option<Arc<dyn crate::alerts::Sender>>,
) -> Result<crate::api::AppState, ConfigError> {
    Ok(crate::api::AppState {
        store,
        metrics_retention: retention_from_env(
            "METRICS_RETENTION_DAYS",
            DEFAULT_METRICS_RETENTION_DAYS,
        )?,
        sender,
    })
}

/// The deployed functions' alert sender: with [`crate::alerts::email::TOPIC_PREFIX_ENV`] set,
/// email through SNS as well as webhooks; without it, webhooks only.
#[cfg(all(feature = "http", feature = "sns"))]
pub async fn alerts_sender() -> Result<Arc<dyn crate::alerts::Sender>, ConfigError> {
    use crate::alerts::deliver::HttpSender;
    use crate::alerts::email::{AwsSender, SnsMailer, TOPIC_PREFIX_ENV};
    let http = HttpSender::new(Default::default()).map_err(ConfigError)?;
    match std::env::var(TOPIC_PREFIX_ENV) {
        Ok(prefix) if !prefix.is_empty() => {
            let sdk = crate::aws::sdk_config().await;
            let mail = SnsMailer::new(crate::aws::sns(&sdk), prefix);
            Ok(Arc::new(AwsSender { http, mail }))
        }
        _ => Ok(Arc::new(http)),
    }
}

/// The variable naming non-public addresses feeds may be fetched from anyway: a comma-separated
/// list of IP addresses, for local feed servers (tests, a Docker bridge); never needed on AWS.
pub const FEEDS_ALLOW_PRIVATE_ENV: &str = "FEEDS_ALLOW_PRIVATE";

/// The addresses of [`FEEDS_ALLOW_PRIVATE_ENV`], none when it is unset.
#[cfg(feature = "http")]
pub fn allowed_private_from_env() -> Result<Vec<std::net::IpAddr>, ConfigError> {
    std::env::var(FEEDS_ALLOW_PRIVATE_ENV)
        .map_or(Ok(Vec::new()), |text| parse_allowed_private(&text))
}

/// A comma-separated list of IP addresses.
#[cfg(feature = "http")]
fn parse_allowed_private(text: &str) -> Result<Vec<std::net::IpAddr>, ConfigError> {
    text.split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            part.parse().map_err(|_| {
                ConfigError(format!(
                    "{FEEDS_ALLOW_PRIVATE_ENV}: {part:?} is not an IP address"
                ))
            })
        })
        .collect()
}

/// The ingest pipeline over the given backends, tuned by the environment.
#[cfg(feature = "http")]
pub fn ingest_from_env(
    store: Arc<dyn Store>,
    archive: Arc<dyn Archive>,
) -> Result<Ingest, ConfigError> {
    let fetch = FetchConfig {
        allowed_private: allowed_private_from_env()?,
        ..FetchConfig::default()
    };
    let concurrency = match std::env::var("INGEST_CONCURRENCY") {
        Ok(text) => text
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=32).contains(n))
            .ok_or_else(|| ConfigError("INGEST_CONCURRENCY must be 1 to 32".into()))?,
        Err(_) => 4,
    };
    Ok(Ingest {
        store,
        archive,
        fetcher: Fetcher::new(&fetch).map_err(|e| ConfigError(e.to_string()))?,
        retention: retention_from_env("NEWS_RETENTION_DAYS", DEFAULT_NEWS_RETENTION_DAYS)?,
        concurrency,
        max_bytes: fetch.max_bytes,
    })
}

#[cfg(all(test, feature = "http"))]
mod tests {
    use super::parse_allowed_private;

    #[test]
    fn allowed_private_addresses_parse_or_fail_with_the_variable_named() {
        let parsed = parse_allowed_private(" 172.17.0.1, ::1 ,").expect("two addresses");
        assert_eq!(
            parsed,
            [
                "172.17.0.1".parse::<std::net::IpAddr>().expect("IP"),
                "::1".parse().expect("IP")
            ]
        );
        let error = parse_allowed_private("localhost").expect_err("a name is not an address");
        assert!(error.to_string().contains("FEEDS_ALLOW_PRIVATE"), "{error}");
    }
}
