//! Feed sources: a path, a `file://` URL or an `http(s)://` URL; reading local ones. HTTP
//! sources are fetched by [`crate::fetch`].

use std::io::Read;

/// A body read from a source, with the charset its server declared.
#[derive(Debug, Clone)]
pub struct Body {
    /// The raw bytes.
    pub bytes: Vec<u8>,
    /// The `charset` of an HTTP `Content-Type`, if any.
    pub charset: Option<String>,
}

/// Why a source could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The path tried.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The body is larger than allowed.
    #[error("{0}: larger than the {1}-byte limit")]
    TooLarge(String, usize),
    /// The HTTP client could not be built.
    #[error("building the HTTP client: {0}")]
    Client(String),
    /// The request failed before an answer: DNS, connection, TLS, timeout, redirect limit.
    #[error("{0}")]
    Transport(String),
    /// The URL, or a redirect, leads to an address a fetch may not reach (fetch::guard).
    #[error("{0}")]
    Refused(String),
    /// The server answered with an error status.
    #[error("HTTP {0}")]
    Status(u16),
    /// The server answered 304 to a request that sent no validators.
    #[error("HTTP 304 without validators")]
    UnexpectedNotModified,
    /// The server answered 429 or 503 (with the seconds it asked to wait, if it said).
    #[error("the server asked to retry later{}", .0.map(|s| format!(" (after {s} s)")).unwrap_or_default())]
    RetryLater(Option<u64>),
}

/// Reads a local source: a plain path or a `file://` URL. At most `max_bytes` are accepted.
pub fn read_file(source: &str, max_bytes: usize) -> Result<Vec<u8>, SourceError> {
    let path = file_path(source);
    let io = |source| SourceError::Io {
        path: path.clone(),
        source,
    };
    let file = std::fs::File::open(&path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(max_bytes as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() > max_bytes {
        return Err(SourceError::TooLarge(path, max_bytes));
    }
    Ok(bytes)
}

/// The filesystem path of a plain path or `file://` URL.
pub fn file_path(source: &str) -> String {
    match url::Url::parse(source) {
        Ok(url) if url.scheme() == "file" => url
            .to_file_path()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|()| source.trim_start_matches("file://").to_owned()),
        _ => source.to_owned(),
    }
}

/// Whether the source is fetched over HTTP.
pub fn is_http(source: &str) -> bool {
    let lower = source.trim_start().to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}
