//! The news API Lambda. API Gateway routes only the news paths here; the router is shared.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    api_functions::run().await
}
