//! Fuzz harnesses: the checks the `cargo fuzz` targets in `fuzz/` run on each input, and that
//! `shared/tests/fuzz_corpus.rs` replays on every checked-in corpus file and past crash.
//!
//! Each harness panics when an invariant breaks; any other outcome, errors included, is a pass.

use super::access::{Principal, PRINCIPALS};
use crate::api::{router, AppState};
use crate::classify::{classify, Category};
use crate::feed::{parse_feed, ParseOptions};
use crate::model::DeviceId;
use crate::store::backend::USERS_SCOPE;
use crate::store::{cursor, NewsQuery, ReadingQuery};
use axum::body::Body;
use axum::http::{header, Method, Request};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use tower::ServiceExt;

/// HTTP charsets the feed harness passes as hints, chosen by the input's length.
const CHARSETS: [Option<&str>; 7] = [
    None,
    Some("utf-8"),
    Some("iso-8859-1"),
    Some("windows-1252"),
    Some("utf-16"),
    Some("shift_jis"),
    Some("no-such-charset"),
];

/// Largest response body the API harness reads.
const MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;

/// Parses `data` as a feed, once without a charset hint and once with one, and classifies every
/// item. Checks that ids are 64 hex digits, text is trimmed and free of control characters,
/// summaries and item counts respect their caps, and the feed survives a JSON round trip.
pub fn feed(data: &[u8]) {
    let hint = CHARSETS[data.len() % CHARSETS.len()];
    for charset in [None, hint] {
        let options = ParseOptions {
            charset: charset.map(str::to_owned),
            max_items: 50,
            max_summary_chars: 200,
            max_depth: 32,
            ..ParseOptions::default()
        };
        let Ok(parsed) = parse_feed(data, &options) else {
            continue;
        };
        assert!(parsed.items.len() <= options.max_items, "item cap exceeded");
        assert_plain(&parsed.title);
        for item in &parsed.items {
            assert!(cursor::is_item_id(&item.id), "bad item id {:?}", item.id);
            assert_plain(&item.title);
            assert_plain(&item.summary);
            assert!(
                item.summary.chars().count() <= options.max_summary_chars,
                "summary over its cap"
            );
            let verdict = classify(&item.title, &item.summary);
            assert!(
                verdict.evidence.iter().all(|e| e.weight.is_finite()),
                "non-finite evidence weight"
            );
        }
        let json = serde_json::to_string(&parsed).expect("a feed serializes");
        let back: crate::feed::Feed = serde_json::from_str(&json).expect("a feed deserializes");
        assert_eq!(back, parsed, "JSON round trip changed the feed");
    }
}

fn assert_plain(text: &str) {
    assert_eq!(text, text.trim(), "untrimmed text {text:?}");
    assert!(
        !text.chars().any(char::is_control),
        "control character in {text:?}"
    );
}

/// Whether a cursor position is well-formed for its listing.
type PositionCheck = fn(&str) -> bool;

/// Decodes `data` as a pagination cursor (the base64 of the bytes) in scopes the stores make (or, after a leading `=`, as the raw cursor text). A cursor that decodes must
/// re-encode to one that decodes to the same position. Returns how many scopes accepted it.
pub fn cursor(data: &[u8]) -> usize {
    let raw = if data.first() == Some(&b'=') {
        String::from_utf8_lossy(&data[1..]).into_owned()
    } else {
        URL_SAFE_NO_PAD.encode(data)
    };
    let filtered = NewsQuery {
        category: Some(Category::Trade),
        source: Some("ESPN".into()),
        ..NewsQuery::default()
    };
    let readings = ReadingQuery {
        device: DeviceId::parse("dev-1").expect("a valid device id"),
        from: 0,
        to: 0,
        limit: 1,
        cursor: None,
    };
    let checks: [(String, PositionCheck); 4] = [
        (NewsQuery::default().scope(), cursor::is_news_sort_key),
        (filtered.scope(), cursor::is_news_sort_key),
        (USERS_SCOPE.to_owned(), cursor::is_user_id),
        (readings.scope(), cursor::is_reading_time),
    ];
    let mut accepted = 0;
    for (scope, valid) in &checks {
        if let Ok(after) = cursor::decode(&raw, scope, valid) {
            assert!(valid(&after), "decoded an invalid position {after:?}");
            let again = cursor::encode(scope, &after);
            assert_eq!(cursor::decode(&again, scope, valid).ok(), Some(after));
            accepted += 1;
        }
    }
    accepted
}

/// The API on a SQLite store seeded with the sample feeds, driven one request at a time.
pub struct Api {
    runtime: tokio::runtime::Runtime,
    app: axum::Router,
    _store: super::Harness,
    _archive: tempfile::TempDir,
}

impl Api {
    /// A fresh store with the bundled sample feeds ingested, and the router over it.
    pub fn new() -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");
        let (store, archive_dir) = runtime.block_on(async {
            let store = super::sqlite().await;
            let (archive, dir) = super::local_archive();
            let summary = super::ingest(store.store.clone(), std::sync::Arc::new(archive))
                .run(&super::sample_feeds(), chrono::Utc::now())
                .await;
            assert!(
                !summary.all_failed(),
                "seeding the store failed: {summary:?}"
            );
            (store, dir)
        });
        let app = router(AppState {
            store: store.store.clone(),
            metrics_retention: Some(chrono::Duration::days(30)),
            sender: None,
        });
        Self {
            runtime,
            app,
            _store: store,
            _archive: archive_dir,
        }
    }

    /// Sends `data`, read as a small HTTP request (`METHOD TARGET` line, `Name: value` header
    /// lines, a blank line, the body), and checks the answer: never a 5xx, every error the JSON
    /// `{"error":{"code","message"}}`, every JSON answer valid JSON. Inputs that are not a
    /// request at all are ignored (`None`): HTTP servers refuse them before the router sees them.
    /// Returns the status and the JSON body (`null` when there is none).
    pub fn request(&self, data: &[u8]) -> Option<(u16, serde_json::Value)> {
        let request = http_request(data)?;
        let label = format!("{} {}", request.method(), request.uri());
        let head = request.method() == Method::HEAD;
        let (status, content_type, body) = self.runtime.block_on(async {
            let response = self
                .app
                .clone()
                .oneshot(request)
                .await
                .expect("the router is infallible");
            let status = response.status();
            let content_type = response
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let body = axum::body::to_bytes(response.into_body(), MAX_RESPONSE_BYTES)
                .await
                .expect("response body");
            (status, content_type, body)
        });
        assert!(
            !status.is_server_error(),
            "{label}: {status} {}",
            String::from_utf8_lossy(&body)
        );
        if head {
            return Some((status.as_u16(), serde_json::Value::Null));
        }
        if !content_type.starts_with("application/json") {
            assert!(
                status.is_success() && body.is_empty(),
                "{label}: {status} answered {content_type:?}"
            );
            return Some((status.as_u16(), serde_json::Value::Null));
        }
        let json: serde_json::Value = serde_json::from_slice(&body)
            .unwrap_or_else(|e| panic!("{label}: {status} with invalid JSON: {e}"));
        if status.is_client_error() {
            let error = &json["error"];
            assert!(
                error["code"].is_string() && error["message"].is_string(),
                "{label}: {status} without an error object: {json}"
            );
        }
        Some((status.as_u16(), json))
    }
}

impl Default for Api {
    fn default() -> Self {
        Self::new()
    }
}

/// The pseudo-header naming who sends a request: `X-Fuzz-As: owner` (any [`Principal`] name in
/// kebab case); the harness hands that caller to the router as an entry point would.
pub const AS_HEADER: &str = "x-fuzz-as";

fn principal(name: &str) -> Principal {
    PRINCIPALS
        .into_iter()
        .find(|p| {
            let kebab = format!("{p:?}")
                .chars()
                .flat_map(|c| {
                    let lower = c.to_ascii_lowercase();
                    (c.is_ascii_uppercase().then_some('-').into_iter()).chain([lower])
                })
                .collect::<String>();
            kebab.trim_start_matches('-') == name.trim().to_ascii_lowercase()
        })
        .unwrap_or(Principal::Anonymous)
}

/// Reads the harness's request format; `None` when the bytes do not make an HTTP request.
fn http_request(data: &[u8]) -> Option<Request<Body>> {
    let split = memchr::memmem::find(data, b"\n\n");
    let (head, body) = match split {
        Some(at) => (&data[..at], data[at + 2..].to_vec()),
        None => (data, Vec::new()),
    };
    let head = std::str::from_utf8(head).ok()?;
    let mut lines = head.lines();
    let (method, target) = lines.next()?.split_once(' ')?;
    let mut builder = Request::builder().method(method).uri(target);
    let mut caller = Principal::Anonymous;
    for line in lines {
        let (name, value) = line.split_once(':')?;
        if name.trim().eq_ignore_ascii_case(AS_HEADER) {
            caller = principal(value);
        } else {
            builder = builder.header(name.trim(), value.trim());
        }
    }
    builder
        .extension(caller.caller())
        .body(Body::from(body))
        .ok()
}
