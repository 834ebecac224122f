//! Feed URLs and their redirects are hostile input: nothing a feed names reaches a loopback,
//! private, link-local or metadata address unless that address was allowed by name, and the
//! refused server never sees a request.

use axum::response::Redirect;
use axum::routing::get;
use axum::Router;
use shared::fetch::{FetchConfig, Fetcher, Validators};
use shared::source::SourceError;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const FEED: &str = include_str!("../../samples/feeds/espn-nba.xml");

/// A server on `ip` answering /feed.xml and redirecting /to?u=URL; returns its base URL and
/// how many requests it got.
async fn server(ip: &str) -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    let app = Router::new()
        .route("/feed.xml", get(|| async { FEED }))
        .route(
            "/to",
            get(
                |axum::extract::Query(q): axum::extract::Query<
                    std::collections::HashMap<String, String>,
                >| async move {
                    Redirect::temporary(q.get("u").map_or("/", String::as_str))
                },
            ),
        )
        .layer(axum::middleware::from_fn(
            move |request: axum::extract::Request, next: axum::middleware::Next| {
                let counted = counted.clone();
                async move {
                    counted.fetch_add(1, Ordering::SeqCst);
                    next.run(request).await
                }
            },
        ));
    let listener = tokio::net::TcpListener::bind((ip, 0)).await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    (format!("http://{addr}"), hits)
}

fn fetcher(allowed: &[&str]) -> Fetcher {
    Fetcher::new(&FetchConfig {
        allowed_private: allowed
            .iter()
            .map(|a| a.parse::<IpAddr>().expect("IP"))
            .collect(),
        ..FetchConfig::default()
    })
    .expect("client")
}

async fn error_of(fetcher: &Fetcher, url: &str) -> String {
    match fetcher.fetch(url, &Validators::default()).await {
        Ok(_) => panic!("{url} was fetched"),
        Err(err) => err.to_string(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_loopback_feed_is_refused_by_default_and_fetched_when_allowed() {
    let (base, hits) = server("127.0.0.1").await;
    let url = format!("{base}/feed.xml");
    let refused = fetcher(&[])
        .fetch(&url, &Validators::default())
        .await
        .expect_err("refused");
    assert!(matches!(refused, SourceError::Refused(_)), "{refused:?}");
    assert!(
        refused.to_string().contains("not a public address"),
        "{refused}"
    );
    assert_eq!(hits.load(Ordering::SeqCst), 0, "the server saw nothing");

    let fetched = fetcher(&["127.0.0.1"])
        .fetch(&url, &Validators::default())
        .await;
    assert!(fetched.is_ok(), "{fetched:?}");
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_and_private_literals_are_refused_before_any_connection() {
    let fetcher = fetcher(&[]);
    for url in [
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://10.0.0.1/feed.xml",
        "http://192.168.0.1/feed.xml",
        "http://[::1]/feed.xml",
        "http://2130706433/feed.xml",
        "http://0.0.0.0/feed.xml",
    ] {
        let error = error_of(&fetcher, url).await;
        assert!(error.contains("not a public address"), "{url}: {error}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_to_loopback_or_metadata_is_not_followed() {
    // The feed host is allowed (127.0.0.2); what it redirects to is not.
    let (feed_host, _) = server("127.0.0.2").await;
    let (target, target_hits) = server("127.0.0.1").await;
    let port = target.rsplit(':').next().expect("port");
    let fetcher = fetcher(&["127.0.0.2"]);
    for destination in [
        format!("{target}/feed.xml"),
        format!("http://localhost:{port}/feed.xml"),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
    ] {
        let url = format!("{feed_host}/to?u={destination}");
        let error = error_of(&fetcher, &url).await;
        assert!(
            error.contains("not a public address")
                || error.contains("resolves to no public address"),
            "{destination}: {error}"
        );
    }
    assert_eq!(
        target_hits.load(Ordering::SeqCst),
        0,
        "no redirect reached the target"
    );

    let allowed = Fetcher::new(&FetchConfig {
        allowed_private: vec![
            "127.0.0.1".parse().expect("IP"),
            "127.0.0.2".parse().expect("IP"),
        ],
        ..FetchConfig::default()
    })
    .expect("client");
    let followed = allowed
        .fetch(
            &format!("{feed_host}/to?u={target}/feed.xml"),
            &Validators::default(),
        )
        .await;
    assert!(
        followed.is_ok(),
        "an allowed redirect is followed: {followed:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_resolving_to_loopback_is_refused() {
    let (target, hits) = server("127.0.0.1").await;
    let port = target.rsplit(':').next().expect("port");
    let error = error_of(&fetcher(&[]), &format!("http://localhost:{port}/feed.xml")).await;
    assert!(error.contains("resolves to no public address"), "{error}");
    assert_eq!(hits.load(Ordering::SeqCst), 0);
}
