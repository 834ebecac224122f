//! `tracker parse PATH_OR_URL`.

use shared::classify::{classify, Category, Evidence};
use shared::feed::{parse_feed, FeedItem, ParseOptions};
use shared::fetch::{read_source, FetchConfig};

/// Arguments of `tracker parse`.
#[derive(clap::Args)]
pub struct Args {
    /// A feed file, a file:// URL, or an http(s):// URL.
    source: String,
    /// Largest body accepted, in bytes.
    #[arg(long, default_value_t = ParseOptions::default().max_bytes)]
    max_bytes: usize,
}

#[derive(serde::Serialize)]
struct Output<'a> {
    feed: FeedMeta<'a>,
    items: Vec<Item<'a>>,
}

#[derive(serde::Serialize)]
struct FeedMeta<'a> {
    title: &'a str,
    link: Option<&'a str>,
    format: shared::feed::FeedFormat,
    #[serde(skip_serializing_if = "Option::is_none")]
    warning: Option<&'a str>,
}

#[derive(serde::Serialize)]
struct Item<'a> {
    #[serde(flatten)]
    item: &'a FeedItem,
    category: Category,
    confidence: f32,
    evidence: Vec<Evidence>,
}

/// Reads, parses and classifies the feed, then prints it as JSON.
pub async fn run(args: Args) -> super::Result {
    let fetch = FetchConfig {
        max_bytes: args.max_bytes,
        // Read for a fetch only: a local file needs no address allowed.
        allowed_private: if shared::source::is_http(&args.source) {
            shared::config::allowed_private_from_env()?
        } else {
            Vec::new()
        },
        ..FetchConfig::default()
    };
    let body = read_source(&args.source, &fetch).await?;
    let options = ParseOptions {
        max_bytes: args.max_bytes,
        charset: body.charset,
        ..ParseOptions::default()
    }
    .read_from(&args.source);
    let feed = parse_feed(&body.bytes, &options).map_err(|e| format!("{}: {e}", args.source))?;
    let items = feed
        .items
        .iter()
        .map(|item| {
            let decision = classify(&item.title, &item.summary);
            Item {
                item,
                category: decision.category,
                confidence: decision.confidence,
                evidence: decision.evidence,
            }
        })
        .collect();
    super::print_json(&Output {
        feed: FeedMeta {
            title: &feed.title,
            link: feed.link.as_deref(),
            format: feed.format,
            warning: feed.warning.as_deref(),
        },
        items,
    })
}
