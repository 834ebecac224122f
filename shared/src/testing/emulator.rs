//! A function binary under AWS's real Lambda Runtime Interface Emulator (`aws-lambda-rie`, shipped
//! in the aws-sam-cli wheel; `scripts/test-servers.sh` installs it and exports its path as
//! [`RIE_ENV`]), addressed on loopback the way the Lambda service invokes it.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio::sync::{Mutex, MutexGuard};

/// The environment variable naming the emulator binary.
pub const RIE_ENV: &str = "TRACKER_TEST_RIE";

/// The emulator's internal Runtime API always binds 127.0.0.1:9001, so one runs at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::const_new(());

/// A running emulator with its function; stopped on drop.
pub struct Emulator {
    child: Child,
    url: String,
    log: PathBuf,
    _dir: tempfile::TempDir,
    _turn: MutexGuard<'static, ()>,
}

impl Emulator {
    /// Starts `binary` under the emulator with exactly `env` (plus the emulator's own Lambda
    /// variables) as its environment, and waits until the emulator accepts invocations.
    pub async fn start<K, V>(binary: &Path, env: impl IntoIterator<Item = (K, V)>) -> Emulator
    where
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        let rie = std::env::var(RIE_ENV).unwrap_or_else(|_| {
            panic!("{RIE_ENV} is not set: run the tests through scripts/test.sh (or source scripts/test-servers.sh)")
        });
        assert!(
            binary.is_file(),
            "{} is missing: cargo test builds it",
            binary.display()
        );
        let turn = ONE_AT_A_TIME.lock().await;
        let dir = tempfile::tempdir().expect("temp dir");
        let log = dir.path().join("emulator.log");
        let out = std::fs::File::create(&log).expect("emulator log");
        let err = out.try_clone().expect("emulator log");
        let port = super::free_port();
        let child = Command::new(&rie)
            .arg("--runtime-interface-emulator-address")
            .arg(format!("127.0.0.1:{port}"))
            .arg(binary)
            .env_clear()
            .envs(env)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("{rie}: {e}"));
        let emulator = Emulator {
            child,
            url: format!("http://127.0.0.1:{port}/2015-03-31/functions/function/invocations"),
            log,
            _dir: dir,
            _turn: turn,
        };
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return emulator;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("the emulator did not listen on {port}:\n{}", emulator.log());
    }

    /// Invokes the function with `event` and returns its answer as JSON (a handler error is an
    /// `errorType`/`errorMessage` object, as on Lambda).
    pub async fn invoke(&self, event: &[u8]) -> serde_json::Value {
        crate::fetch::install_tls_provider();
        let response = reqwest::Client::new()
            .post(&self.url)
            .body(event.to_vec())
            .timeout(Duration::from_secs(60))
            .send()
            .await
            .unwrap_or_else(|e| panic!("invoke: {e}\n{}", self.log()));
        let status = response.status();
        let bytes = response.bytes().await.expect("invocation body");
        assert!(
            status.is_success(),
            "the emulator answered {status}: {}\n{}",
            String::from_utf8_lossy(&bytes),
            self.log()
        );
        serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {}\n{}",
                String::from_utf8_lossy(&bytes),
                self.log()
            )
        })
    }

    /// Everything the emulator and the function wrote so far (their logs and REPORT lines).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The environment a deployed function gets, pointed at the local servers: the tests' dummy
/// credentials and region (so it sees their tables), and DynamoDB and S3 endpoints from the
/// test-server variables that are set.
pub fn local_aws_env() -> Vec<(&'static str, String)> {
    let mut env = vec![
        ("AWS_ACCESS_KEY_ID", super::LOCAL_ACCESS_KEY.to_string()),
        ("AWS_SECRET_ACCESS_KEY", super::LOCAL_ACCESS_KEY.to_string()),
        ("AWS_REGION", super::LOCAL_REGION.to_string()),
        ("AWS_LAMBDA_LOG_FORMAT", "JSON".to_string()),
    ];
    for (var, endpoint) in [
        (super::DYNAMODB_ENV, "AWS_ENDPOINT_URL_DYNAMODB"),
        (super::S3_ENV, "AWS_ENDPOINT_URL_S3"),
    ] {
        if let Ok(url) = std::env::var(var) {
            env.push((endpoint, url));
        }
    }
    env
}

/// The table variables (`NEWS_TABLE`, ...) a deployed function gets, for `names`.
#[cfg(feature = "dynamodb")]
pub fn table_env(
    names: &crate::store::schema::TableNames,
) -> impl Iterator<Item = (&'static str, String)> + '_ {
    crate::store::schema::TABLES
        .into_iter()
        .map(|def| (def.env_var, names.name_of(def).to_string()))
}

/// The environment the template gives the scheduled functions (ingest, maintenance), on the
/// local servers: [`local_aws_env`], the tables of `store`, the bucket of `archive` and `feeds`.
#[cfg(all(feature = "dynamodb", feature = "s3"))]
pub fn scheduled_env(
    store: &crate::store::dynamo::DynamoStore,
    archive: &crate::archive::S3Archive,
    feeds: &[crate::config::FeedConfig],
) -> Vec<(&'static str, String)> {
    let mut env = local_aws_env();
    env.extend(table_env(store.tables()));
    env.push((
        crate::config::ARCHIVE_BUCKET_ENV,
        archive.bucket().to_string(),
    ));
    env.push(("FEEDS_JSON", serde_json::to_string(feeds).expect("JSON")));
    env
}
