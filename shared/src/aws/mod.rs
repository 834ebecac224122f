//! AWS clients from the standard configuration chain (environment, profile, role), honouring
//! `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_DYNAMODB` and `AWS_ENDPOINT_URL_S3` for local servers.

use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
use aws_smithy_runtime_api::client::http::SharedHttpClient;

/// The SDKs' HTTPS client: hyper 1 with rustls on ring.
pub fn http_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// Loads the shared AWS configuration.
pub async fn sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(http_client())
        .load()
        .await
}

/// A DynamoDB client.
#[cfg(feature = "dynamodb")]
pub fn dynamodb(config: &SdkConfig) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(config)
}

/// An S3 client; a custom S3 endpoint implies path-style addressing (local S3 servers).
#[cfg(feature = "s3")]
pub fn s3(config: &SdkConfig) -> aws_sdk_s3::Client {
    let custom_endpoint = ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"]
        .iter()
        .any(|v| std::env::var_os(v).is_some());
    let s3_config = aws_sdk_s3::config::Builder::from(config)
        .force_path_style(custom_endpoint)
        .build();
    aws_sdk_s3::Client::from_conf(s3_config)
}
