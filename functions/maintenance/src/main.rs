//! The daily maintenance Lambda.

use lambda_runtime::{service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::logs::init_lambda();
    let (store, archive) = shared::config::aws_backends().await?;
    let feeds = shared::config::feeds_from_env()?;
    let (store, archive, feeds) = (&store, &archive, &feeds);
    lambda_runtime::run(service_fn(
        move |_: LambdaEvent<serde_json::Value>| async move {
            let report = maintenance::handle(store, archive, feeds).await?;
            Ok::<_, Error>(serde_json::to_value(report)?)
        },
    ))
    .await
}
