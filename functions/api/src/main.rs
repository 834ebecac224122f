//! The API Lambda binary. The template deploys it three times (news-api, users-api, metrics-api),
//! each function with the routes and IAM policy of its table; the router is shared.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    api_functions::run().await
}
