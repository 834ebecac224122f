//! Identity for `tracker serve` (who may call, which origins may read) and `tracker token`.

use super::runtime::parse_interval;
use axum::http::{header, HeaderValue, Method};
use shared::auth::jwt::{DevKey, TokenSpec, Verifier};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tower_http::cors::CorsLayer;

/// Largest JWKS document read from a URL.
const MAX_JWKS_BYTES: usize = 1024 * 1024;

/// Token and CORS options of `tracker serve`.
#[derive(clap::Args, Debug)]
pub struct AuthArgs {
    /// JWKS of the issuer to trust (file or https URL, e.g. a Cognito user pool's
    /// .well-known/jwks.json). Default: the development key under --data-dir/auth.
    #[arg(long, value_name = "FILE|URL", requires_all = ["issuer", "audience"])]
    jwks: Option<String>,
    /// Issuer (`iss`) the tokens must name, with --jwks.
    #[arg(long, value_name = "URL", requires = "jwks")]
    issuer: Option<String>,
    /// Accepted audience (`aud`, or `client_id` of access tokens), with --jwks; repeatable.
    #[arg(long, value_name = "ID", requires = "jwks")]
    audience: Vec<String>,
    /// Origin allowed to call the API from a browser (repeatable); default: same origin only.
    #[arg(long = "cors-origin", value_name = "URL")]
    cors_origins: Vec<String>,
}

impl AuthArgs {
    /// The token verifier: the given JWKS, else the development key of `data_dir`.
    pub async fn verifier(&self, data_dir: &Path) -> Result<(Verifier, String), String> {
        let Some(source) = &self.jwks else {
            let key = DevKey::load_or_create(data_dir).map_err(|e| e.to_string())?;
            let verifier = key.verifier().map_err(|e| e.to_string())?;
            let note = format!(
                "development tokens (key in {}; mint one with `tracker token`)",
                DevKey::dir(data_dir).display()
            );
            return Ok((verifier, note));
        };
        let jwks = read_jwks(source).await?;
        let issuer = self.issuer.clone().unwrap_or_default();
        let verifier = Verifier::from_jwks(&jwks, issuer.clone(), self.audience.clone())
            .map_err(|e| format!("--jwks {source}: {e}"))?;
        Ok((verifier, format!("tokens of {issuer}")))
    }

    /// The CORS layer for `--cors-origin`, if any were given.
    pub fn cors(&self) -> Result<Option<CorsLayer>, String> {
        if self.cors_origins.is_empty() {
            return Ok(None);
        }
        let origins = self
            .cors_origins
            .iter()
            .map(|origin| {
                let parsed = url::Url::parse(origin)
                    .ok()
                    .filter(|u| matches!(u.scheme(), "http" | "https") && u.path() == "/")
                    .ok_or_else(|| {
                        format!(
                            "--cors-origin {origin:?} is not an origin like https://example.com"
                        )
                    })?;
                HeaderValue::from_str(&parsed.origin().ascii_serialization())
                    .map_err(|e| format!("--cors-origin {origin:?}: {e}"))
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Some(
            CorsLayer::new()
                .allow_origin(origins)
                .allow_methods([Method::GET, Method::POST, Method::PATCH, Method::DELETE])
                .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION])
                .max_age(Duration::from_secs(600)),
        ))
    }
}

/// Reads a JWKS document from a file or an http(s) URL.
async fn read_jwks(source: &str) -> Result<String, String> {
    if !(source.starts_with("https://") || source.starts_with("http://")) {
        return std::fs::read_to_string(source).map_err(|e| format!("--jwks {source}: {e}"));
    }
    shared::fetch::install_tls_provider();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| e.to_string())?;
    let response = client
        .get(source)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| format!("--jwks {source}: {e}"))?;
    let body = response
        .bytes()
        .await
        .map_err(|e| format!("--jwks {source}: {e}"))?;
    if body.len() > MAX_JWKS_BYTES {
        return Err(format!(
            "--jwks {source}: larger than {MAX_JWKS_BYTES} bytes"
        ));
    }
    String::from_utf8(body.to_vec()).map_err(|_| format!("--jwks {source}: not UTF-8"))
}

/// Arguments of `tracker token`.
#[derive(clap::Args, Debug)]
pub struct TokenArgs {
    /// The user's id (a UUID, as Cognito's `sub`).
    #[arg(long, value_parser = parse_user_id, required_unless_present = "device", conflicts_with = "device")]
    sub: Option<String>,
    /// A device credential instead of a user: subject and client id are this device id.
    #[arg(long, value_name = "DEVICE_ID", value_parser = parse_device_id)]
    device: Option<String>,
    /// A verified email.
    #[arg(long, value_parser = parse_email)]
    email: Option<String>,
    /// A scope, e.g. metrics/write or metrics/read (repeatable).
    #[arg(long = "scope", value_name = "SCOPE")]
    scopes: Vec<String>,
    /// A group, e.g. admin (repeatable).
    #[arg(long = "group", value_name = "GROUP")]
    groups: Vec<String>,
    /// Lifetime: 300, 30s, 5m, 1h.
    #[arg(long, default_value = "1h", value_parser = parse_interval)]
    ttl: Duration,
    /// Folder of the development key (the one `tracker serve --data-dir` uses).
    #[arg(long, default_value = ".data")]
    data_dir: PathBuf,
}

fn parse_user_id(text: &str) -> Result<String, String> {
    uuid::Uuid::parse_str(text)
        .map(|id| id.hyphenated().to_string())
        .map_err(|_| format!("{text:?} is not a UUID (user ids are UUIDs, like Cognito's sub)"))
}

fn parse_device_id(text: &str) -> Result<String, String> {
    shared::model::DeviceId::parse(text)
        .map(|id| id.as_str().to_owned())
        .map_err(|e| e.to_string())
}

fn parse_email(text: &str) -> Result<String, String> {
    shared::model::Email::parse(text)
        .map(|email| email.as_str().to_owned())
        .map_err(|e| e.to_string())
}

/// Prints a development token that `tracker serve` on the same data directory accepts.
pub fn token(args: TokenArgs) -> super::Result {
    let key = DevKey::load_or_create(&args.data_dir)?;
    let spec = TokenSpec {
        sub: args.sub.or(args.device.clone()).unwrap_or_default(),
        email: args.email,
        scopes: args.scopes,
        groups: args.groups,
        client_id: args.device,
        ttl_seconds: i64::try_from(args.ttl.as_secs()).unwrap_or(i64::MAX),
    };
    super::out(format_args!("{}\n", key.mint(&spec)?))
}
