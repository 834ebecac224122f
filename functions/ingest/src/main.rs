//! The scheduled ingest Lambda.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::logs::init_lambda();
    let (store, archive) = shared::config::aws_backends().await?;
    let ingest = shared::config::ingest_from_env(Arc::new(store), Arc::new(archive))?;
    let feeds = shared::config::feeds_from_env()?;
    let (ingest, feeds) = (&ingest, &feeds);
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            let summary = ingest::handle(ingest, feeds, &event.payload).await?;
            Ok::<_, Error>(serde_json::to_value(summary)?)
        },
    ))
    .await
}
