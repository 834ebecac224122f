//! Parse (+ classify) throughput on the real published feeds, next to the `rss` and `feed-rs`
//! crates parsing the same bytes, a hostile feed's cost, and the time to load the classifier's
//! model. Run with
//! `cargo bench -p shared --bench parse_classify`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use shared::classify::model::Model;
use shared::classify::{classify, classify_found};
use shared::feed::{parse_feed, ParseOptions};
use shared::mentions::Mentions;
use std::hint::black_box;

fn corpus() -> Vec<Vec<u8>> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/feeds");
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| std::fs::read(p).expect("readable"))
        .collect()
}

fn bench(c: &mut Criterion) {
    let feeds = corpus();
    let bytes: u64 = feeds.iter().map(|f| f.len() as u64).sum();
    let options = ParseOptions::default();
    let items: usize = feeds
        .iter()
        .filter_map(|f| parse_feed(f, &options).ok())
        .map(|f| f.items.len())
        .sum();
    eprintln!(
        "corpus: {} feeds, {bytes} bytes, {items} items",
        feeds.len()
    );

    let mut group = c.benchmark_group("real_feeds");
    group.throughput(Throughput::Bytes(bytes));
    group.bench_function("tracker_parse", |b| {
        b.iter(|| {
            for feed in &feeds {
                let _ = black_box(parse_feed(black_box(feed), &options));
            }
        })
    });
    group.bench_function("tracker_parse_classify", |b| {
        b.iter(|| {
            for feed in &feeds {
                if let Ok(parsed) = parse_feed(black_box(feed), &options) {
                    for item in &parsed.items {
                        black_box(classify(&item.title, &item.summary));
                    }
                }
            }
        })
    });
    group.bench_function("rss_crate_parse", |b| {
        b.iter(|| {
            for feed in &feeds {
                let _ = black_box(rss::Channel::read_from(black_box(&feed[..])));
            }
        })
    });
    group.bench_function("feed_rs_parse", |b| {
        b.iter(|| {
            for feed in &feeds {
                let _ = black_box(feed_rs::parser::parse(black_box(&feed[..])));
            }
        })
    });
    group.finish();

    let mut classify_group = c.benchmark_group("classify");
    let headlines: Vec<(String, String)> = feeds
        .iter()
        .filter_map(|f| parse_feed(f, &options).ok())
        .flat_map(|f| f.items.into_iter().map(|i| (i.title, i.summary)))
        .collect();
    classify_group.throughput(Throughput::Elements(headlines.len() as u64));
    classify_group.bench_function("items", |b| {
        b.iter(|| {
            for (title, summary) in &headlines {
                black_box(classify(title, summary));
            }
        })
    });
    // Ingest's work per item: one scan for names, read by the decision and by the tags.
    classify_group.bench_function("items_tagged", |b| {
        b.iter(|| {
            for (title, summary) in &headlines {
                let found = Mentions::find(title, summary);
                black_box(classify_found(&found));
                black_box((found.teams(), found.players()));
            }
        })
    });
    classify_group.finish();

    // A hostile feed: 230,000 hidden elements in one Atom category (4.8 MB), which cost one
    // pass over the rest of the text each before they were skipped in one pass (20 s).
    let hidden = format!(
        "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>t</title><entry><title>x</title><id>1</id><category term=\"{}\"/></entry></feed>",
        "&lt;style>&lt;/style>".repeat(230_000)
    );
    let mut hostile = c.benchmark_group("hostile_feed");
    hostile.sample_size(10);
    hostile.throughput(Throughput::Bytes(hidden.len() as u64));
    hostile.bench_function("hidden_elements", |b| {
        b.iter(|| black_box(parse_feed(black_box(hidden.as_bytes()), &options)))
    });
    // 700,000 elements under a 2 MB namespace URI (4.8 MB): each once copied the whole URI
    // (2.1 s for 20,000 of them).
    let namespaced = format!(
        "<rss version=\"2.0\"><channel><title>t</title><item xmlns=\"http://e/{}\"><title>x</title>{}</item></channel></rss>",
        "a".repeat(2_000_000),
        "<b/>".repeat(700_000)
    );
    hostile.throughput(Throughput::Bytes(namespaced.len() as u64));
    hostile.bench_function("long_namespace", |b| {
        b.iter(|| black_box(parse_feed(black_box(namespaced.as_bytes()), &options)))
    });
    hostile.finish();

    // The model's share of a cold start: reading the shipped weights once.
    let shipped = include_str!("../data/classifier.tsv");
    c.bench_function("model_load", |b| {
        b.iter(|| black_box(Model::parse(black_box(shipped))))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
