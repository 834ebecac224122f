//! Fetching feeds over HTTP: public addresses only ([`guard`]), timeouts, a redirect cap, a body
//! cap enforced while streaming, conditional GET with stored validators, and `Retry-After` on
//! 429/503.

pub mod guard;

use crate::source::{is_http, read_file, Body, SourceError};
use futures::StreamExt;
use guard::AddressGuard;
use reqwest::header::{
    HeaderMap, ACCEPT, CONTENT_TYPE, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED,
    RETRY_AFTER,
};
use reqwest::StatusCode;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

/// The User-Agent every request sends.
pub const USER_AGENT: &str = concat!(
    "nba-trade-tracker/",
    env!("CARGO_PKG_VERSION"),
    " (RSS, Atom and JSON Feed reader; polls politely with conditional GET)"
);

const ACCEPT_FEEDS: &str =
    "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml;q=0.9, application/xml;q=0.8, text/xml;q=0.8, application/json;q=0.8, */*;q=0.1";

/// Client settings.
#[derive(Debug, Clone)]
pub struct FetchConfig {
    /// Time allowed to connect.
    pub connect_timeout: Duration,
    /// Time allowed for the whole request, body included.
    pub timeout: Duration,
    /// Redirects followed at most.
    pub max_redirects: usize,
    /// Largest body accepted, in bytes.
    pub max_bytes: usize,
    /// Non-public addresses a fetch may reach anyway (tests and local feed servers); every
    /// other loopback, private, link-local or metadata address is refused.
    pub allowed_private: Vec<IpAddr>,
}

impl Default for FetchConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(15),
            max_redirects: 5,
            max_bytes: 5 * 1024 * 1024,
            allowed_private: Vec::new(),
        }
    }
}

/// Validators from the last successful fetch, for a conditional GET.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    /// The `ETag` the server sent.
    pub etag: Option<String>,
    /// The `Last-Modified` the server sent.
    pub last_modified: Option<String>,
}

/// What a fetch brought back.
#[derive(Debug)]
pub enum Fetched {
    /// 200 with a body, and the validators to send next time.
    Body(Body, Validators),
    /// 304: unchanged since the validators sent.
    NotModified,
    /// 429 or 503: the server asked us to come back later (seconds, when it said).
    RetryLater(Option<u64>),
}

/// Makes ring the process's rustls crypto provider (idempotent). reqwest is built without one
/// (`rustls-no-provider`), so every program that builds a reqwest client calls this first; ring
/// is also what the AWS SDKs' client uses.
pub fn install_tls_provider() {
    // Err means a provider is installed already, which is all this asks.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A reusable HTTP client for feeds.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    guard: AddressGuard,
    max_bytes: usize,
}

impl Fetcher {
    /// Builds a client with the given settings (rustls, gzip, bounded redirects, public
    /// addresses only: checked after DNS and on every redirect).
    pub fn new(config: &FetchConfig) -> Result<Self, SourceError> {
        install_tls_provider();
        let guard = AddressGuard::allowing(&config.allowed_private);
        let redirect_guard = guard.clone();
        let max_redirects = config.max_redirects;
        let redirects = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() > max_redirects {
                let limit = format!("more than {max_redirects} redirects");
                return attempt.error(limit);
            }
            match redirect_guard.refusal(attempt.url()) {
                Some(why) => attempt.error(why),
                None => attempt.follow(),
            }
        });
        let client = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .redirect(redirects)
            .dns_resolver(Arc::new(guard.clone()))
            // A proxy from the environment would resolve names itself, past the guard.
            .no_proxy()
            .gzip(true)
            .build()
            .map_err(|e| SourceError::Client(e.to_string()))?;
        Ok(Self {
            client,
            guard,
            max_bytes: config.max_bytes,
        })
    }

    /// GETs `url`, conditionally when validators are given.
    pub async fn fetch(&self, url: &str, validators: &Validators) -> Result<Fetched, SourceError> {
        let parsed =
            reqwest::Url::parse(url).map_err(|e| SourceError::Transport(format!("{url}: {e}")))?;
        if let Some(why) = self.guard.refusal(&parsed) {
            return Err(SourceError::Refused(format!("{url}: {why}")));
        }
        let mut request = self.client.get(parsed).header(ACCEPT, ACCEPT_FEEDS);
        if let Some(etag) = &validators.etag {
            request = request.header(IF_NONE_MATCH, etag);
        }
        if let Some(modified) = &validators.last_modified {
            request = request.header(IF_MODIFIED_SINCE, modified);
        }
        let response = request
            .send()
            .await
            .map_err(|e| SourceError::Transport(describe(&e)))?;
        let status = response.status();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified);
        }
        if status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::SERVICE_UNAVAILABLE {
            return Ok(Fetched::RetryLater(retry_after(response.headers())));
        }
        if !status.is_success() {
            return Err(SourceError::Status(status.as_u16()));
        }
        if response
            .content_length()
            .is_some_and(|len| len > self.max_bytes as u64)
        {
            return Err(SourceError::TooLarge(url.to_owned(), self.max_bytes));
        }
        let headers = response.headers().clone();
        let mut bytes = Vec::new();
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| SourceError::Transport(describe(&e)))?;
            if bytes.len() + chunk.len() > self.max_bytes {
                return Err(SourceError::TooLarge(url.to_owned(), self.max_bytes));
            }
            bytes.extend_from_slice(&chunk);
        }
        let validators = Validators {
            etag: header(&headers, ETAG),
            last_modified: header(&headers, LAST_MODIFIED),
        };
        Ok(Fetched::Body(
            Body {
                bytes,
                charset: charset(&headers),
            },
            validators,
        ))
    }
}

/// Reads a source of any kind: a local file (at most `config.max_bytes`), or one unconditional
/// GET under `config`.
pub async fn read_source(source: &str, config: &FetchConfig) -> Result<Body, SourceError> {
    if is_http(source) {
        get(source, config).await
    } else {
        Ok(Body {
            bytes: read_file(source, config.max_bytes)?,
            charset: None,
        })
    }
}

/// One unconditional GET under `config`.
pub async fn get(url: &str, config: &FetchConfig) -> Result<Body, SourceError> {
    let fetcher = Fetcher::new(config)?;
    match fetcher.fetch(url, &Validators::default()).await? {
        Fetched::Body(body, _) => Ok(body),
        Fetched::NotModified => Err(SourceError::UnexpectedNotModified),
        Fetched::RetryLater(after) => Err(SourceError::RetryLater(after)),
    }
}

fn header(headers: &HeaderMap, name: reqwest::header::HeaderName) -> Option<String> {
    headers.get(name)?.to_str().ok().map(str::to_owned)
}

/// The `charset` parameter of the `Content-Type` header.
fn charset(headers: &HeaderMap) -> Option<String> {
    let content_type = header(headers, CONTENT_TYPE)?;
    content_type.split(';').skip(1).find_map(|param| {
        let (key, value) = param.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches('"').to_owned())
    })
}

/// `Retry-After` as seconds: either delta-seconds or an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<u64> {
    let value = header(headers, RETRY_AFTER)?;
    if let Ok(secs) = value.trim().parse::<u64>() {
        return Some(secs);
    }
    let when = crate::feed::parse_date(&value)?;
    u64::try_from((when - chrono::Utc::now()).num_seconds().max(0)).ok()
}

/// A reqwest error with its cause chain, which names timeouts and DNS failures.
pub(crate) fn describe(err: &reqwest::Error) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    if err.is_timeout() {
        text.push_str(" (timed out)");
    }
    text
}
