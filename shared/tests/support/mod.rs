//! Test backends: a fresh SQLite file, or uniquely named tables and buckets on the DynamoDB
//! Local and S3 servers that `scripts/test.sh` starts. A missing server fails the test with
//! a message; nothing is skipped.

#![allow(dead_code)]

use shared::archive::{LocalArchive, S3Archive};
use shared::store::dynamo::DynamoStore;
use shared::store::schema::TableNames;
use shared::store::sqlite::SqliteStore;
use shared::store::Store;

/// Environment variable with the DynamoDB Local endpoint.
pub const DYNAMODB_ENV: &str = "TRACKER_TEST_DYNAMODB_URL";
/// Environment variable with the S3 server endpoint.
pub const S3_ENV: &str = "TRACKER_TEST_S3_URL";

/// A store and whatever must live as long as it.
pub struct Harness {
    pub store: Box<dyn Store>,
    _dir: Option<tempfile::TempDir>,
}

fn endpoint(var: &str, what: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| {
        panic!("{what} is not running: {var} is unset. Run the tests with scripts/test.sh, which starts it.")
    })
}

/// A unique name for tables and buckets of one test.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::now_v7().simple())
}

/// AWS configuration pointing at a local endpoint with dummy credentials.
pub fn local_config(endpoint_url: &str) -> aws_config::SdkConfig {
    aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(endpoint_url)
        .credentials_provider(aws_sdk_dynamodb::config::SharedCredentialsProvider::new(
            aws_sdk_dynamodb::config::Credentials::new("test", "test", None, None, "tests"),
        ))
        .build()
}

pub async fn sqlite() -> Harness {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(&dir.path().join("tracker.db")).expect("open sqlite");
    Harness {
        store: Box::new(store),
        _dir: Some(dir),
    }
}

pub async fn dynamo_store() -> DynamoStore {
    let config = local_config(&endpoint(DYNAMODB_ENV, "DynamoDB Local"));
    let store = DynamoStore::new(
        aws_sdk_dynamodb::Client::new(&config),
        TableNames::prefixed(&unique("t")),
    );
    store
        .create_tables()
        .await
        .expect("create tables on DynamoDB Local");
    store
}

pub async fn dynamo() -> Harness {
    Harness {
        store: Box::new(dynamo_store().await),
        _dir: None,
    }
}

pub async fn s3_archive() -> S3Archive {
    let config = local_config(&endpoint(S3_ENV, "the S3 server"));
    let client = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    );
    let archive = S3Archive::new(client, unique("b"));
    archive
        .create_bucket()
        .await
        .expect("create bucket on the S3 server");
    archive
}

pub fn local_archive() -> (LocalArchive, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    (LocalArchive::new(dir.path()), dir)
}
