//! The users-api Lambda binary: the shared router, sending alerts (subscription checks, email
//! topics, test alerts). A binary of its own so news-api and metrics-api link no HTTP client or
//! SNS SDK.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let sender = shared::config::alerts_sender().await?;
    api_functions::run(Some(sender)).await
}
