//! AWS clients from the standard configuration chain (environment, profile, role), honouring
//! `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_DYNAMODB`, `AWS_ENDPOINT_URL_S3` and
//! `AWS_ENDPOINT_URL_SNS` for local servers.
//! Every client reports its calls to X-Ray ([`xray`]) when the invocation is traced.

pub mod xray;

use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use xray::XrayInterceptor;

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

/// A DynamoDB client, traced from the process environment.
#[cfg(feature = "dynamodb")]
pub fn dynamodb(config: &SdkConfig) -> aws_sdk_dynamodb::Client {
    traced_dynamodb(config, XrayInterceptor::new())
}

/// A DynamoDB client reporting its calls through `xray`.
#[cfg(feature = "dynamodb")]
pub fn traced_dynamodb(config: &SdkConfig, xray: XrayInterceptor) -> aws_sdk_dynamodb::Client {
    let config = aws_sdk_dynamodb::config::Builder::from(config)
        .interceptor(xray)
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

/// An S3 client, traced from the process environment; a custom S3 endpoint implies path-style
/// addressing (local S3 servers).
#[cfg(feature = "s3")]
pub fn s3(config: &SdkConfig) -> aws_sdk_s3::Client {
    let custom_endpoint = ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"]
        .iter()
        .any(|v| std::env::var_os(v).is_some());
    traced_s3(config, XrayInterceptor::new(), custom_endpoint)
}

/// An S3 client reporting its calls through `xray`, with path-style addressing or not.
#[cfg(feature = "s3")]
pub fn traced_s3(
    config: &SdkConfig,
    xray: XrayInterceptor,
    path_style: bool,
) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::config::Builder::from(config)
        .force_path_style(path_style)
        .interceptor(xray)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// An SNS client (email alerts), traced from the process environment.
#[cfg(feature = "sns")]
pub fn sns(config: &SdkConfig) -> aws_sdk_sns::Client {
    let config = aws_sdk_sns::config::Builder::from(config)
        .interceptor(XrayInterceptor::new())
        .build();
    aws_sdk_sns::Client::from_conf(config)
}
