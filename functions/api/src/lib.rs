//! Start-up shared by the three API Lambdas: each serves the one router of
//! `shared::api` through lambda_http (API Gateway HTTP API, payload 2.0). news-api and
//! metrics-api run the `api` binary; users-api runs `users-api`, the same router able to send
//! alerts.
//!
//! Identity comes only from the request context: API Gateway's JWT authorizer has verified the
//! token and passes its claims there. The `Authorization` header itself is never read, so a
//! token the gateway did not verify (a public route's, say) grants nothing.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use lambda_http::request::RequestContext;
use lambda_http::RequestExt;
use shared::auth::{Caller, Identity};
use std::sync::Arc;

/// The caller API Gateway's JWT authorizer verified, or anonymous.
pub fn gateway_caller(context: Option<&RequestContext>) -> Caller {
    let Some(RequestContext::ApiGatewayV2(context)) = context else {
        return Caller::Anonymous;
    };
    let Some(jwt) = context.authorizer.as_ref().and_then(|a| a.jwt.as_ref()) else {
        return Caller::Anonymous;
    };
    match Identity::from_claims(&jwt.claims, jwt.scopes.as_deref()) {
        Ok(identity) => Caller::Signed(identity),
        Err(err) => Caller::Invalid(err.to_string()),
    }
}

/// Middleware: puts the gateway-verified [`Caller`] in the request's extensions, and API
/// Gateway's request id (the one in its access log) in `x-request-id` for the request span.
async fn authenticate(mut request: Request, next: Next) -> Response {
    let context = request.request_context_ref();
    let caller = gateway_caller(context);
    let request_id = match context {
        Some(RequestContext::ApiGatewayV2(context)) => context
            .request_id
            .as_deref()
            .and_then(|id| HeaderValue::from_str(id).ok()),
        _ => None,
    };
    if let Some(id) = request_id {
        request.headers_mut().insert("x-request-id", id);
    }
    request.extensions_mut().insert(caller);
    next.run(request).await
}

/// The shared router, with identity read from API Gateway's authorizer context.
pub fn app(state: shared::api::AppState) -> axum::Router {
    shared::api::router(state).layer(axum::middleware::from_fn(authenticate))
}

/// Runs the API router on the Lambda runtime over the DynamoDB store named by the environment,
/// sending alerts through `sender` (users-api only: the `api` binary passes none, so it links no
/// HTTP client or SNS SDK).
pub async fn run(
    sender: Option<Arc<dyn shared::alerts::Sender>>,
) -> Result<(), lambda_http::Error> {
    shared::logs::init_lambda();
    let store = shared::config::aws_store().await;
    let state = shared::config::api_state(Arc::new(store), sender)?;
    lambda_http::run(app(state)).await
}
