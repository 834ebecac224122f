//! The parser against `tests/fixtures/conformance/`: Dublin Core and DCMI Terms as fallbacks,
//! `guid isPermaLink`, which date wins, Atom 0.3 and Atom under other namespaces, links as
//! published, and bounded labels.

use shared::feed::{parse_feed, Feed, FeedError, FeedFormat, ParseOptions};
use std::path::PathBuf;

fn parse_ok(name: &str) -> Feed {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/conformance")
        .join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    parse_feed(&bytes, &ParseOptions::default()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn dates(feed: &Feed) -> Vec<Option<String>> {
    feed.items
        .iter()
        .map(|i| {
            i.published
                .map(|p| p.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        })
        .collect()
}

fn some(s: &str) -> Option<String> {
    Some(s.to_owned())
}

#[test]
fn dublin_core_fills_only_what_the_format_lacks() {
    let feed = parse_ok("dc-fallbacks.xml");
    assert_eq!(feed.title, "Dublin Core channel title");
    let [only_dc, native, ..] = feed.items.as_slice() else {
        panic!("items: {:?}", feed.items);
    };
    assert_eq!(only_dc.title, "Only Dublin Core: Celtics acquire a guard");
    assert_eq!(
        only_dc.summary,
        "The description comes from dc:description."
    );
    assert_eq!(only_dc.authors, ["Mark Pilgrim"]);
    assert_eq!(only_dc.categories, ["Trades"]);

    assert_eq!(native.title, "RSS title wins though it comes second");
    assert_eq!(native.summary, "The RSS description wins.");
    assert_eq!(native.authors, ["Native Author"]);
    assert_eq!(
        dates(&feed),
        [
            some("2003-12-31T18:30:02Z"),
            // pubDate outranks an earlier dc:date.
            some("2003-12-31T18:30:02Z"),
            // dcterms:issued > dcterms:created > dcterms:modified, whatever their order.
            some("2003-03-03T03:03:03Z"),
            some("2004-04-04T04:04:04Z"),
            some("2005-05-05T05:05:05Z"),
            // An unreadable pubDate gives way to a readable fallback.
            some("2002-02-02T02:02:02Z"),
        ]
    );
}

#[test]
fn rss1_dublin_core_module_example() {
    let feed = parse_ok("dc-rss1.rdf");
    assert_eq!(feed.format, FeedFormat::Rss1);
    let item = &feed.items[0];
    assert_eq!(item.title, "XML: A Disruptive Technology");
    assert!(item
        .summary
        .starts_with("XML is placing increasingly heavy loads"));
    assert_eq!(
        item.authors,
        ["Simon St.Laurent (mailto:simonstl@simonstl.com)"]
    );
    assert_eq!(item.categories, ["XML"]);
    assert_eq!(dates(&feed), [some("2000-01-01T12:00:00Z")]);
}

#[test]
fn a_permalink_guid_is_the_link_when_there_is_none() {
    let feed = parse_ok("guid-permalink.xml");
    let links: Vec<Option<&str>> = feed.items.iter().map(|i| i.link.as_deref()).collect();
    assert_eq!(
        links,
        [
            Some("https://guid.example.com/2003/12/31/permalink"),
            Some("https://guid.example.com/2003/12/31/explicit"),
            None,
            Some("https://guid.example.com/the-link"),
            None,
            // As published: no lowercasing of scheme or host, escapes untouched.
            Some("HTTPS://Guid.Example.COM/Case/Kept?Q=A%2fB&x=1"),
        ]
    );
    // The guid stays the item's identity either way.
    assert_eq!(
        feed.items[2].guid.as_deref(),
        Some("https://guid.example.com/not-a-link")
    );
}

#[test]
fn atom_published_outranks_updated_and_the_first_repeat_wins() {
    let feed = parse_ok("atom-date-precedence.xml");
    assert_eq!(
        dates(&feed),
        [
            some("2003-12-13T12:29:29Z"),
            some("2003-12-13T18:30:02Z"),
            some("2005-07-31T12:29:29Z"),
        ]
    );
}

#[test]
fn atom03_issued_then_created_then_modified() {
    let feed = parse_ok("atom03-dates.xml");
    assert_eq!(feed.format, FeedFormat::Atom03);
    assert_eq!(
        dates(&feed),
        [some("2003-12-13T12:29:29Z"), some("2003-12-13T12:00:00Z")]
    );
}

#[test]
fn atom_under_other_namespaces_and_prefixes() {
    for (name, format, title, link) in [
        (
            "atom-echo-namespace.xml",
            FeedFormat::Atom03,
            "An Echo entry",
            "https://echo.example.com/1",
        ),
        (
            "atom-prefixed.xml",
            FeedFormat::Atom1,
            "A prefixed entry",
            "https://prefixed.example.com/1",
        ),
        (
            "atom-unknown-namespace.xml",
            FeedFormat::Atom1,
            "Its elements are read as Atom",
            "https://unknown-ns.example.com/1",
        ),
        (
            "atom-no-namespace.xml",
            FeedFormat::Atom1,
            "Atom-Powered Robots Run Amok",
            "https://no-ns.example.org/2003/12/13/atom03",
        ),
    ] {
        let feed = parse_ok(name);
        assert_eq!(feed.format, format, "{name}");
        assert_eq!(feed.items.len(), 1, "{name}");
        assert_eq!(feed.items[0].title, title, "{name}");
        assert_eq!(feed.items[0].link.as_deref(), Some(link), "{name}");
        assert!(feed.items[0].published.is_some(), "{name}");
    }
}

#[test]
fn rss2_under_a_declared_namespace_with_an_asctime_date() {
    let feed = parse_ok("rss2-namespaced.xml");
    assert_eq!(feed.format, FeedFormat::Rss2);
    assert_eq!(feed.title, "RSS 2.0 under UserLand's namespace");
    assert_eq!(feed.items[0].summary, "Read as RSS 2.0.");
    assert_eq!(dates(&feed), [some("2004-01-04T16:29:06Z")]);
}

#[test]
fn every_userland_rss_namespace_is_rss2() {
    for uri in [
        "http://backend.userland.com/rss",
        "http://backend.userland.com/rss2",
        "http://backend.userland.com/rss2.1",
        "HTTP://Backend.UserLand.com/RSS2",
    ] {
        let doc = format!(
            r#"<rss xmlns="{uri}"><channel><title>UserLand</title>
            <item><title>Read as RSS 2.0</title></item></channel></rss>"#
        );
        let feed = parse_feed(doc.as_bytes(), &ParseOptions::default())
            .unwrap_or_else(|e| panic!("{uri}: {e}"));
        assert_eq!(feed.format, FeedFormat::Rss2, "{uri}");
        assert_eq!(feed.items[0].title, "Read as RSS 2.0", "{uri}");
    }
}

#[test]
fn labels_are_bounded_and_the_item_kept() {
    let categories: String = (0..5_000)
        .map(|i| format!("<category>tag {i}</category><dc:creator>writer {i}</dc:creator>"))
        .collect();
    let xml = format!(
        r#"<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>t</title>
        <item><title>Many labels</title><link>https://labels.example.com/1</link>{categories}</item>
        </channel></rss>"#
    );
    let feed = parse_feed(xml.as_bytes(), &ParseOptions::default()).expect("parses");
    let item = &feed.items[0];
    assert_eq!(item.title, "Many labels");
    assert_eq!(item.categories.len(), 50);
    assert_eq!(item.authors.len(), 50);
    assert_eq!(item.categories[0], "tag 0");
}

#[test]
fn relative_links_resolve_against_the_url_the_feed_was_read_from() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/conformance/relative-links.xml");
    let bytes = std::fs::read(&path).expect("fixture");
    let read_from = ParseOptions::default().read_from("https://example.com/blog/feed.xml");
    let feed = parse_feed(&bytes, &read_from).expect("parses");
    assert_eq!(feed.link.as_deref(), Some("https://example.com/blog/"));
    let links: Vec<Option<&str>> = feed.items.iter().map(|i| i.link.as_deref()).collect();
    assert_eq!(
        links,
        [
            Some("https://example.com/blog/2003/12/13/atom03"),
            Some("https://example.com/blog/2003/12/14/next"),
        ]
    );
    // Without the URL, a relative link has no base and is not kept.
    let alone = parse_ok("relative-links.xml");
    assert_eq!(alone.items[0].link, None);
    // A file path is no base for web links.
    let file = ParseOptions::default().read_from("/tmp/feed.xml");
    assert_eq!(file.base_url, None);
}

fn titles_and_summaries(feed: &Feed) -> Vec<(&str, &str)> {
    feed.items
        .iter()
        .map(|i| (i.title.as_str(), i.summary.as_str()))
        .collect()
}

#[test]
fn atom_text_constructs_are_read_by_their_type() {
    let feed = parse_ok("atom-text-constructs.xml");
    assert_eq!(
        titles_and_summaries(&feed),
        [
            (
                "History of the <blink> tag",
                "AT&amp;T: type text (the default) is plain text, its brackets and ampersands kept"
            ),
            ("Celtics acquire a guard", "Escaped HTML is read as HTML"),
            ("The <blink> tag in XHTML", "safe description"),
            // Base64 of HTML is decoded; base64 of an image is no text.
            ("Base64 of HTML", ""),
            ("An empty type is text", "Plain <text>"),
            ("A type with parameters", "HTML all the same"),
        ]
    );
}

#[test]
fn atom03_modes_escaped_base64_and_xml() {
    let feed = parse_ok("atom03-modes.xml");
    assert_eq!(feed.title, "Base64 feed title");
    assert_eq!(
        titles_and_summaries(&feed),
        [
            ("Escaped HTML", "safe description"),
            ("Escaped <plain> text", "Base64 of <plain> text"),
            ("safe title", "not base64 at all!"),
            ("Escaped XHTML", "Escaped XHTML is markup"),
        ]
    );
}

#[test]
fn media_itunes_and_body_elements_fill_what_the_item_lacks() {
    let feed = parse_ok("module-fallbacks.xml");
    assert_eq!(
        titles_and_summaries(&feed),
        [
            ("Media title", "Media description"),
            ("Own title", "Grouped media description"),
            ("Podcast episode", "iTunes summary"),
            ("XHTML body", "safe body"),
            ("Full item", "The description wins"),
        ]
    );
}

#[test]
fn json_feed_1_1_and_1_0() {
    let feed = parse_ok("jsonfeed-1.1.json");
    assert_eq!(feed.format, FeedFormat::JsonFeed);
    assert_eq!(feed.title, "JSON Feed 1.1 <plain> title");
    assert_eq!(feed.link.as_deref(), Some("https://example.org/"));
    assert_eq!(
        titles_and_summaries(&feed),
        [
            (
                "Celtics acquire a guard",
                "The Celtics acquired a guard & a pick."
            ),
            (
                "Plain text keeps <brackets>",
                "The summary wins over content."
            ),
            ("", "Only text: a & b < c"),
        ]
    );
    let [html, text, hostile] = feed.items.as_slice() else {
        panic!("three items: {:?}", feed.items);
    };
    assert_eq!(
        html.link.as_deref(),
        Some("https://example.org/2026/11/30/celtics-acquire-guard")
    );
    assert_eq!(html.guid.as_deref(), Some("2"));
    assert_eq!(html.authors, ["Jane Reporter"]);
    assert_eq!(html.categories, ["Trade", "BOS"]);
    assert_eq!(text.link.as_deref(), Some("https://example.com/elsewhere"));
    assert_eq!(
        text.authors,
        ["The Desk"],
        "the feed's authors when it names none"
    );
    assert_eq!(
        text.guid.as_deref(),
        Some("1"),
        "a number id is read as its text"
    );
    assert_eq!(hostile.link, None, "a javascript: url is dropped");
    assert_eq!(
        dates(&feed),
        [
            some("2026-11-30T15:00:00Z"),
            some("2026-11-29T12:00:00Z"),
            None
        ]
    );

    let old = parse_ok("jsonfeed-1.0.json");
    assert_eq!(old.items[0].authors, ["New Style"], "authors before author");
    assert_eq!(old.items[0].summary, "Given both, authors wins.");
}

#[test]
fn json_that_is_not_a_json_feed_is_a_typed_error() {
    let options = ParseOptions::default();
    assert_eq!(
        parse_feed(br#"{"title": "no version"}"#, &options),
        Err(FeedError::NotAJsonFeed)
    );
    assert!(matches!(
        parse_feed(
            b"{\n  \"version\": \"https://jsonfeed.org/version/1.1\",\n  oops",
            &options
        ),
        Err(FeedError::Malformed { position: 53, .. })
    ));
    let many: Vec<String> = (0..5).map(|n| format!(r#"{{"id": "{n}"}}"#)).collect();
    let doc = format!(
        r#"{{"version": "https://jsonfeed.org/version/1.1", "items": [{}]}}"#,
        many.join(",")
    );
    let capped = ParseOptions {
        max_items: 3,
        ..ParseOptions::default()
    };
    let feed = parse_feed(doc.as_bytes(), &capped).expect("a JSON Feed");
    assert_eq!(feed.items.len(), 3);
    assert_eq!(
        feed.warning.as_deref(),
        Some("2 items over the 3-item limit were dropped")
    );
}
