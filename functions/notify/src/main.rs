//! The notify Lambda: triggered by the news table's stream (new items only).

use lambda_runtime::{service_fn, Error, LambdaEvent};
use shared::alerts::deliver::Notifier;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::logs::init_lambda();
    let store = shared::config::aws_store().await;
    let notifier = Notifier {
        store: Arc::new(store),
        sender: shared::config::alerts_sender().await?,
    };
    let notifier = &notifier;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<aws_lambda_events::dynamodb::Event>| async move {
            let deadline = notify::deadline(event.context.deadline, std::time::SystemTime::now());
            Ok::<_, Error>(notify::handle(notifier, &event.payload, deadline).await)
        },
    ))
    .await
}
