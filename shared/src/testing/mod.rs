//! Test backends (feature `test-support`): a fresh SQLite file, or uniquely named tables and buckets on the DynamoDB
//! Local and S3 servers that `scripts/test.sh` starts. A missing server fails the test with
//! a message; nothing is skipped.

pub mod access;
pub mod emulator;
#[cfg(feature = "dynamodb")]
pub mod faults;
pub mod fuzz;
pub mod receiver;

use crate::archive::LocalArchive;
#[cfg(feature = "s3")]
use crate::archive::S3Archive;
#[cfg(feature = "dynamodb")]
use crate::store::dynamo::DynamoStore;
#[cfg(feature = "dynamodb")]
use crate::store::schema::TableNames;
use crate::store::sqlite::SqliteStore;
use crate::store::Store;
#[cfg(feature = "dynamodb")]
use aws_sdk_dynamodb::config::{Credentials, SharedCredentialsProvider};
#[cfg(all(feature = "s3", not(feature = "dynamodb")))]
use aws_sdk_s3::config::{Credentials, SharedCredentialsProvider};

/// Environment variable with the DynamoDB Local endpoint.
pub const DYNAMODB_ENV: &str = "TRACKER_TEST_DYNAMODB_URL";
/// Environment variable with the S3 server endpoint.
pub const S3_ENV: &str = "TRACKER_TEST_S3_URL";

/// A store and whatever must live as long as it.
pub struct Harness {
    /// The store under test.
    pub store: std::sync::Arc<dyn Store>,
    _dir: Option<tempfile::TempDir>,
}

#[cfg(any(feature = "dynamodb", feature = "s3", feature = "sns"))]
fn endpoint(var: &str, what: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| {
        panic!("{what} is not running: {var} is unset. Run the tests with scripts/test.sh, which starts it.")
    })
}

/// Runs a `harness = false` bench's body on a multi-thread runtime, only under `cargo bench`
/// (which passes `--bench`): `cargo test --all-targets` runs bench binaries too, and they must
/// then do nothing.
pub fn run_bench<F: std::future::Future<Output = ()>>(body: impl FnOnce() -> F) {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(body());
}

/// A free TCP port on 127.0.0.1 (bound, read and released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free loopback port")
        .port()
}

/// A unique name for tables and buckets of one test.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::now_v7().simple())
}

/// The dummy access key of the tests (DynamoDB Local keeps one database per key and region).
pub const LOCAL_ACCESS_KEY: &str = "test";
/// The region of the tests.
pub const LOCAL_REGION: &str = "us-east-1";

/// AWS configuration pointing at a local endpoint with dummy credentials.
#[cfg(any(feature = "dynamodb", feature = "s3", feature = "sns"))]
pub fn local_config(endpoint_url: &str) -> aws_config::SdkConfig {
    aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(LOCAL_REGION))
        .http_client(crate::aws::http_client())
        .endpoint_url(endpoint_url)
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            LOCAL_ACCESS_KEY,
            LOCAL_ACCESS_KEY,
            None,
            None,
            "tests",
        )))
        .build()
}

/// A store on a fresh SQLite file.
pub async fn sqlite() -> Harness {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(&dir.path().join("tracker.db")).expect("open sqlite");
    Harness {
        store: std::sync::Arc::new(store),
        _dir: Some(dir),
    }
}

/// A store on fresh, uniquely named tables of DynamoDB Local.
#[cfg(feature = "dynamodb")]
pub async fn dynamo_store() -> DynamoStore {
    traced_dynamo_store(crate::aws::xray::XrayInterceptor::new()).await
}

/// [`dynamo_store`] with its client reporting calls through `xray`.
#[cfg(feature = "dynamodb")]
pub async fn traced_dynamo_store(xray: crate::aws::xray::XrayInterceptor) -> DynamoStore {
    let config = local_config(&endpoint(DYNAMODB_ENV, "DynamoDB Local"));
    with_tables(crate::aws::traced_dynamodb(&config, xray)).await
}

/// [`dynamo_store`] with `interceptor` on its client (see [`faults`]).
#[cfg(feature = "dynamodb")]
pub async fn intercepted_dynamo_store(
    interceptor: impl aws_smithy_runtime_api::client::interceptors::Intercept + 'static,
) -> DynamoStore {
    let config = local_config(&endpoint(DYNAMODB_ENV, "DynamoDB Local"));
    let config = aws_sdk_dynamodb::config::Builder::from(&config)
        .interceptor(interceptor)
        .build();
    with_tables(aws_sdk_dynamodb::Client::from_conf(config)).await
}

/// A store over `client` with tables of its own, created.
#[cfg(feature = "dynamodb")]
async fn with_tables(client: aws_sdk_dynamodb::Client) -> DynamoStore {
    let store = DynamoStore::new(client, TableNames::prefixed(&unique("t")));
    store
        .create_tables()
        .await
        .expect("create tables on DynamoDB Local");
    store
}

/// [`dynamo_store`] as a harness.
#[cfg(feature = "dynamodb")]
pub async fn dynamo() -> Harness {
    Harness {
        store: std::sync::Arc::new(dynamo_store().await),
        _dir: None,
    }
}

/// Calls `app` in-process as `caller`: `method uri` with an optional JSON body; the status and
/// the body as JSON (`null` when it is not).
pub async fn call_as(
    app: &axum::Router,
    caller: crate::auth::Caller,
    method: &str,
    uri: &str,
    body: Option<serde_json::Value>,
) -> (axum::http::StatusCode, serde_json::Value) {
    use tower::ServiceExt;
    let mut request = axum::http::Request::builder().method(method).uri(uri);
    if body.is_some() {
        request = request.header("content-type", "application/json");
    }
    let mut request = request
        .body(body.map_or_else(axum::body::Body::empty, |b| {
            axum::body::Body::from(b.to_string())
        }))
        .expect("request");
    request.extensions_mut().insert(caller);
    let response = app.clone().oneshot(request).await.expect("response");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body");
    (status, serde_json::from_slice(&bytes).unwrap_or_default())
}

/// An SNS client of the local moto server (which serves SNS beside S3).
#[cfg(feature = "sns")]
pub fn sns_client() -> aws_sdk_sns::Client {
    aws_sdk_sns::Client::new(&local_config(&endpoint(S3_ENV, "the S3 server (moto)")))
}

/// An archive on a fresh bucket of the S3 server.
#[cfg(feature = "s3")]
pub async fn s3_archive() -> S3Archive {
    traced_s3_archive(crate::aws::xray::XrayInterceptor::new()).await
}

/// [`s3_archive`] with its client reporting calls through `xray`.
#[cfg(feature = "s3")]
pub async fn traced_s3_archive(xray: crate::aws::xray::XrayInterceptor) -> S3Archive {
    let config = local_config(&endpoint(S3_ENV, "the S3 server"));
    let client = crate::aws::traced_s3(&config, xray, true);
    let archive = S3Archive::new(client, unique("b"));
    archive
        .create_bucket()
        .await
        .expect("create bucket on the S3 server");
    archive
}

/// An archive on a fresh temporary folder.
pub fn local_archive() -> (LocalArchive, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    (LocalArchive::new(dir.path()), dir)
}

/// The bundled sample feeds (`samples/feeds/`), as absolute file paths.
pub fn sample_feeds() -> Vec<crate::config::FeedConfig> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../samples/feeds");
    [
        ("espn-nba", "espn-nba.xml", "ESPN"),
        ("realgm-wiretap", "realgm-wiretap.xml", "RealGM"),
    ]
    .into_iter()
    .map(|(name, file, source)| crate::config::FeedConfig {
        name: name.into(),
        url: format!("{dir}/{file}"),
        source: Some(source.into()),
    })
    .collect()
}

/// An ingest pipeline over `store` and `archive` with short timeouts for tests.
pub fn ingest(
    store: std::sync::Arc<dyn Store>,
    archive: std::sync::Arc<dyn crate::archive::Archive>,
) -> crate::ingest::Ingest {
    let config = crate::fetch::FetchConfig {
        connect_timeout: std::time::Duration::from_secs(2),
        timeout: std::time::Duration::from_secs(2),
        max_redirects: 5,
        max_bytes: 256 * 1024,
        // The tests' feed servers listen on loopback.
        allowed_private: vec![std::net::Ipv4Addr::LOCALHOST.into()],
    };
    crate::ingest::Ingest {
        store,
        archive,
        fetcher: crate::fetch::Fetcher::new(&config).expect("HTTP client"),
        retention: Some(chrono::Duration::days(90)),
        concurrency: 4,
        max_bytes: config.max_bytes,
    }
}
