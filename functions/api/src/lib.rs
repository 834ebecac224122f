//! Start-up shared by the three API Lambdas: each serves the one router of
//! `shared::api` through lambda_http (API Gateway HTTP API, payload 2.0).

use std::sync::Arc;

/// Runs the API router on the Lambda runtime over the DynamoDB store named by the environment.
pub async fn run() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    let store = shared::config::aws_store().await;
    let state = shared::config::api_state(Arc::new(store))?;
    lambda_http::run(shared::api::router(state)).await
}
