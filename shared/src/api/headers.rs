//! The security headers every response carries. On AWS, CloudFront's response headers policy
//! sends them (template.yaml and the CDK app declare these values; infra/tests compares them
//! with this file); the API router and `tracker serve` add them through [`add`], so what is
//! tested locally is what runs.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

/// The page's policy: its own scripts, styles and API only; no inline script or style, no
/// plugins, no framing, no `<base>` rewrites.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// Every security header, name and value.
pub const SECURITY_HEADERS: [(&str, &str); 5] = [
    ("content-security-policy", CONTENT_SECURITY_POLICY),
    (
        "strict-transport-security",
        "max-age=63072000; includeSubDomains",
    ),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
];

/// Middleware: adds each security header the response does not already carry.
pub async fn add(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in SECURITY_HEADERS {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::SECURITY_HEADERS;
    use crate::api::{router, AppState};
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    #[tokio::test]
    async fn every_api_answer_carries_the_security_headers() {
        let harness = crate::testing::sqlite().await;
        let app = router(AppState {
            store: harness.store.clone(),
            metrics_retention: None,
            sender: None,
        });
        for (uri, status) in [("/health", 200), ("/news?limit=0", 422), ("/nowhere", 404)] {
            let request = Request::get(uri).body(Body::empty()).expect("request");
            let response = app.clone().oneshot(request).await.expect("answer");
            assert_eq!(response.status(), status, "{uri}");
            for (name, value) in SECURITY_HEADERS {
                assert_eq!(
                    response.headers().get_all(name).iter().collect::<Vec<_>>(),
                    [value],
                    "{uri}: {name}"
                );
            }
        }
    }
}
