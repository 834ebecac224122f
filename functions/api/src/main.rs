//! The API Lambda binary of news-api and metrics-api, each function with the routes and IAM
//! policy of its table; the router is shared (users-api runs `users-api`, which sends alerts).

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    api_functions::run(None).await
}
