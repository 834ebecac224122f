//! `tracker backfill`: tags items stored before teams and stories existed (see `shared::backfill`).

use super::runtime::StoreArgs;

/// Arguments of `tracker backfill`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    store: StoreArgs,
}

/// Runs the backfill over the whole store and prints its report as JSON.
pub async fn run(args: Args) -> super::Result {
    let (store, _) = args.store.open().await?;
    let report = shared::backfill::backfill(store.as_ref())
        .await
        .map_err(|e| format!("backfill: {e}"))?;
    super::print_json(&report)
}
