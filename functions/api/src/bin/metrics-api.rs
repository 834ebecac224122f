//! The metrics API Lambda. API Gateway routes only the metrics paths here; the router is shared.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    api_functions::run().await
}
