//! `tracker ingest`: one run with --once (summary JSON on stdout), else a run every interval.

use super::runtime::{parse_interval, pipeline, progress_line, FeedArgs, StoreArgs};

/// Arguments of `tracker ingest`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    feeds: FeedArgs,
    /// Run once, print the run summary as JSON, and exit (non-zero if every feed failed).
    #[arg(long)]
    once: bool,
    /// Time between runs without --once: 300, 30s, 5m, 1h.
    #[arg(long, default_value = "5m", value_parser = parse_interval)]
    interval: std::time::Duration,
}

/// Runs ingest.
pub async fn run(args: Args) -> super::Result {
    let feeds = args.feeds.resolve()?;
    let (store, archive) = args.store.open().await?;
    let ingest = pipeline(store, archive)?;
    loop {
        let summary = ingest.run(&feeds, chrono::Utc::now()).await;
        if args.once {
            super::print_json(&summary)?;
            if summary.all_failed() {
                return Err(format!("all {} feeds failed", summary.feeds.len()).into());
            }
            return Ok(());
        }
        eprintln!("{}", progress_line(&summary));
        tokio::select! {
            _ = tokio::time::sleep(args.interval) => {}
            _ = super::serve::shutdown_signal() => return Ok(()),
        }
    }
}
