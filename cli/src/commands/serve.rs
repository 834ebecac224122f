//! `tracker serve`: the API and web page on one port, ingest at start and on an interval.

use super::auth::AuthArgs;
use super::runtime::{parse_interval, pipeline, progress_line, FeedArgs, StoreArgs};
use shared::alerts::deliver::{DeliveryConfig, HttpSender, Notifier};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::watch;

/// Arguments of `tracker serve`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: std::net::IpAddr,
    /// Port to listen on.
    #[arg(long, default_value_t = 3000)]
    port: u16,
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    feeds: FeedArgs,
    #[command(flatten)]
    auth: AuthArgs,
    /// Time between ingest runs: 300, 30s, 5m, 1h.
    #[arg(long, default_value = "5m", value_parser = parse_interval)]
    interval: std::time::Duration,
    /// Serve the API only; never ingest.
    #[arg(long)]
    no_ingest: bool,
    /// Let alert subscriptions post to receivers on this machine (127.0.0.1, ::1), over plain
    /// HTTP too: for trying webhooks locally. Never on a shared host.
    #[arg(long)]
    allow_local_webhooks: bool,
}

/// Serves until Ctrl-C, then stops accepting, lets a running ingest finish, and exits.
pub async fn run(args: Args) -> super::Result {
    let feeds = if args.no_ingest {
        Vec::new()
    } else {
        args.feeds.resolve()?
    };
    let (store, archive) = args.store.open().await?;
    let delivery = if args.allow_local_webhooks {
        DeliveryConfig::local()
    } else {
        DeliveryConfig::default()
    };
    let sender: Arc<dyn shared::alerts::Sender> = Arc::new(HttpSender::new(delivery)?);
    let notifier = Notifier {
        store: store.clone(),
        sender: sender.clone(),
    };
    let state =
        shared::config::api_state(store.clone(), Some(sender)).map_err(|e| e.to_string())?;
    let (verifier, token_note) = args.auth.verifier(&args.store.data_dir).await?;
    let api = shared::api::router(state).layer(axum::middleware::from_fn_with_state(
        Arc::new(verifier),
        shared::auth::jwt::authenticate,
    ));
    let mut app = crate::web::router()
        .merge(api)
        .layer(axum::middleware::from_fn(shared::api::headers::add));
    if let Some(cors) = args.auth.cors()? {
        app = app.layer(cors);
    }
    let addr = SocketAddr::new(args.host, args.port);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let local = listener.local_addr()?;
    eprintln!("tracker: serving http://{local}/ (API and news page; Ctrl-C stops)");
    eprintln!("tracker: protected routes take bearer {token_note}");

    let (stop_tx, stop_rx) = watch::channel(false);
    let ingest_task = if args.no_ingest {
        None
    } else {
        let ingest = pipeline(store, archive)?;
        let mut stop = stop_rx.clone();
        Some(tokio::spawn(async move {
            loop {
                let summary = ingest.run(&feeds, chrono::Utc::now()).await;
                eprintln!("{}", progress_line(&summary));
                match notifier.notify_run(&summary).await {
                    Ok(report) if report.matched > 0 => eprintln!(
                        "tracker: alerts: {} delivered, {} failed, {} sent before",
                        report.delivered, report.failed, report.already_delivered
                    ),
                    Ok(_) => {}
                    Err(err) => eprintln!("tracker: alerts: {err}"),
                }
                tokio::select! {
                    _ = tokio::time::sleep(args.interval) => {}
                    _ = stop.changed() => return,
                }
            }
        }))
    };

    let mut server_stop = stop_rx;
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        let _ = server_stop.changed().await;
    });
    let signal = async move {
        shutdown_signal().await;
        eprintln!("tracker: stopping");
        let _ = stop_tx.send(true);
    };
    let (served, ()) = tokio::join!(server, signal);
    served?;
    if let Some(task) = ingest_task {
        task.await?;
    }
    Ok(())
}

/// Ctrl-C, or SIGTERM on Unix.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
