//! The feed parser against hand-written fixtures (one per format and hazard) and the real
//! published feeds in `testdata/feeds/`.

use proptest::prelude::*;
use shared::feed::{
    canonical_link, parse_feed, sha256_hex, Feed, FeedError, FeedFormat, ParseOptions,
};
use std::path::PathBuf;

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn parse(bytes: &[u8]) -> Result<Feed, FeedError> {
    parse_feed(bytes, &ParseOptions::default())
}

fn parse_ok(name: &str) -> Feed {
    parse(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn rfc3339(feed: &Feed, index: usize) -> Option<String> {
    feed.items[index]
        .published
        .map(|p| p.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

#[test]
fn rss2_channel_items_and_fields() {
    let feed = parse_ok("rss2.xml");
    assert_eq!(feed.format, FeedFormat::Rss2);
    assert_eq!(feed.title, "Hoops Wire & More");
    // Kept as published: no case change.
    assert_eq!(
        feed.link.as_deref(),
        Some("https://Hoops.Example.com/news/")
    );
    assert_eq!(feed.items.len(), 3);

    let trade = &feed.items[0];
    assert_eq!(trade.guid.as_deref(), Some("hoops-1001"));
    assert_eq!(trade.id, sha256_hex(b"hoops-1001"));
    assert_eq!(trade.summary, "The Houston Rockets have agreed to trade Russell Westbrook to the Washington Wizards for John Wall and a first-round pick.");
    assert_eq!(rfc3339(&feed, 0).as_deref(), Some("2020-12-03T00:05:00Z"));
    assert_eq!(trade.authors, ["Hoops Desk"]);
    assert_eq!(trade.categories, ["Trades", "Rockets"]);

    let signing = &feed.items[1];
    assert_eq!(signing.title, "Lakers sign Jay Huff to two-way contract");
    // A relative link resolves against the channel link; without a guid the id is the link's.
    assert_eq!(
        signing.link.as_deref(),
        Some("https://hoops.example.com/news/lakers-huff")
    );
    assert_eq!(
        signing.id,
        sha256_hex(b"https://hoops.example.com/news/lakers-huff")
    );
    assert_eq!(
        signing.summary,
        "The Lakers have signed rookie free agent Jay Huff to a two-way contract."
    );
    assert_eq!(rfc3339(&feed, 1).as_deref(), Some("2021-09-14T23:30:00Z"));
    assert_eq!(signing.authors, ["Staff"]);

    let other = &feed.items[2];
    assert_eq!(
        other.summary,
        "Jaylen Brown is out for Thursday\u{2019}s game."
    );
    assert_eq!(
        other.published, None,
        "an unreadable date is null, never now"
    );
    assert_eq!(other.link, None);
}

#[test]
fn rss091_is_detected() {
    let feed = parse_ok("rss091.xml");
    assert_eq!(feed.format, FeedFormat::Rss09);
    assert_eq!(feed.items[0].title, "Hornets Waive Robert Franks");
    assert_eq!(
        feed.items[0].id,
        sha256_hex(b"http://old.example.com/franks.html")
    );
}

#[test]
fn rss1_rdf_items_are_siblings_of_the_channel() {
    let feed = parse_ok("rss1.rdf");
    assert_eq!(feed.format, FeedFormat::Rss1);
    assert_eq!(feed.title, "RDF Hoops");
    assert_eq!(feed.items.len(), 1);
    let item = &feed.items[0];
    assert_eq!(item.guid.as_deref(), Some("https://rdf.example.org/a"));
    assert_eq!(item.categories, ["Trades"]);
    assert_eq!(item.authors, ["RDF Desk"]);
    assert_eq!(rfc3339(&feed, 0).as_deref(), Some("2023-09-27T18:00:00Z"));
}

#[test]
fn atom1_links_bases_authors_and_text_constructs() {
    let feed = parse_ok("atom1.xml");
    assert_eq!(feed.format, FeedFormat::Atom1);
    assert_eq!(feed.title, "Atom Hoops");
    assert_eq!(feed.link.as_deref(), Some("https://atom.example.net/"));
    let moody = &feed.items[0];
    assert_eq!(
        moody.title,
        "Warriors Sign Moses Moody to Multi-Year Contract Extension"
    );
    // rel="alternate" wins over the enclosure, resolved against the feed's xml:base.
    assert_eq!(
        moody.link.as_deref(),
        Some("https://atom.example.net/blog/posts/moody")
    );
    assert_eq!(
        moody.guid.as_deref(),
        Some("tag:atom.example.net,2024:moody")
    );
    assert_eq!(moody.authors, ["Jane Writer"]);
    assert_eq!(moody.categories, ["Signings"]);
    assert_eq!(
        moody.summary,
        "The Golden State Warriors have signed guard Moses Moody."
    );
    // published is preferred over updated.
    assert_eq!(rfc3339(&feed, 0).as_deref(), Some("2024-07-01T12:00:00Z"));

    let rankings = &feed.items[1];
    assert_eq!(rankings.title, "Power Rankings");
    assert_eq!(
        rankings.link.as_deref(),
        Some("https://other.example.net/x/rankings")
    );
    assert_eq!(rankings.summary, "Who can beat the Nuggets?");
    assert_eq!(rfc3339(&feed, 1).as_deref(), Some("2024-07-03T10:00:00Z"));
}

#[test]
fn atom03_is_detected() {
    let feed = parse_ok("atom03.xml");
    assert_eq!(feed.format, FeedFormat::Atom03);
    assert_eq!(
        feed.items[0].link.as_deref(),
        Some("http://old-atom.example.com/2005/01/option")
    );
    assert_eq!(rfc3339(&feed, 0).as_deref(), Some("2005-01-01T09:00:00Z"));
}

#[test]
fn latin1_declared_in_the_xml_declaration() {
    let feed = parse_ok("latin1.xml");
    assert_eq!(feed.title, "Diario éxito");
    assert_eq!(feed.items[0].title, "Dallas ficha a Donèiæ");
    assert_eq!(feed.items[0].summary, "Café con leña");
}

#[test]
fn http_charset_and_utf16() {
    let text = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><rss version=\"2.0\"><channel><title>Dončić</title></channel></rss>";
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    assert_eq!(parse(&utf16).map(|f| f.title), Ok("Dončić".to_owned()));

    let latin1 = b"<rss version=\"2.0\"><channel><title>Man\xe9</title></channel></rss>";
    let options = ParseOptions {
        charset: Some("iso-8859-1".into()),
        ..ParseOptions::default()
    };
    assert_eq!(
        parse_feed(latin1, &options).map(|f| f.title),
        Ok("Mané".to_owned())
    );
}

#[test]
fn entities_are_never_expanded_and_nothing_is_fetched() {
    let feed = parse_ok("billion-laughs.xml");
    assert_eq!(feed.title, "&lol9;");
    assert_eq!(feed.items[0].title, "Entity &lol9; and &xxe;");
}

/// HTML's named entities, undeclared in XML, are read as HTML5 defines them, whether written in
/// the XML itself or escaped inside HTML text; so is HTML's `&#X41;` (XML wants `&#x41;`).
#[test]
fn html_named_entities_in_xml_and_in_escaped_html() {
    let feed = parse(
        "<rss version=\"2.0\"><channel><title>t</title><item>\
         <title>Luka Don&ccaron;i&cacute; and Nikola Joki&cacute; &mdash; &alpha;&#X41;</title>\
         <description>&lt;p&gt;Dario &amp;Scaron;ari&amp;cacute; signs&lt;/p&gt;</description>\
         </item></channel></rss>"
            .as_bytes(),
    )
    .expect("parses");
    assert_eq!(feed.items[0].title, "Luka Dončić and Nikola Jokić — αA");
    assert_eq!(feed.items[0].summary, "Dario Šarić signs");
}

/// A namespace URI over 1 KB is an unknown namespace: resolving one for each of many elements
/// once cost a copy of the whole URI each (2 MB times 20,000 elements took 2.1 s).
#[test]
fn over_long_namespace_uris_are_unknown_namespaces() {
    let uri = format!("http://example.com/{}", "a".repeat(2_000));
    let atom = format!(r#"<feed xmlns="{uri}"><title>t</title></feed>"#);
    assert_eq!(
        parse(atom.as_bytes()),
        Err(FeedError::NotAFeed("feed".into()))
    );
    let rss = format!(
        r#"<rss version="2.0"><channel><item><title>kept</title><x:b xmlns:x="{uri}">{}</x:b></item></channel></rss>"#,
        "<x:i/>".repeat(1_000)
    );
    let feed = parse(rss.as_bytes()).expect("parses");
    assert_eq!(feed.items[0].title, "kept");
}

#[test]
fn bad_input_is_a_typed_error() {
    assert_eq!(parse(b""), Err(FeedError::Empty));
    assert_eq!(parse(b"  \n\t "), Err(FeedError::Empty));
    assert_eq!(
        parse(&fixture("html-page.html")),
        Err(FeedError::NotAFeed("html".into()))
    );
    assert!(matches!(
        parse(b"<rss version=\"2.0\"><channel><title>x"),
        Err(FeedError::Malformed { .. })
    ));
    assert!(matches!(
        parse(b"<<<>>>&&&"),
        Err(FeedError::Malformed { .. } | FeedError::NotAFeed(_))
    ));
    assert!(matches!(
        parse(b"just some text"),
        Err(FeedError::NotAFeed(_))
    ));
}

#[test]
fn oversized_bodies_are_refused_before_parsing() {
    let big = vec![b' '; 50 * 1024 * 1024];
    let options = ParseOptions {
        max_bytes: 5 * 1024 * 1024,
        ..ParseOptions::default()
    };
    assert_eq!(
        parse_feed(&big, &options),
        Err(FeedError::TooLarge {
            size: 50 * 1024 * 1024,
            limit: 5 * 1024 * 1024
        })
    );
}

#[test]
fn truncated_documents_keep_the_complete_items() {
    let feed = parse_ok("truncated.xml");
    let titles: Vec<_> = feed.items.iter().map(|i| i.title.as_str()).collect();
    assert_eq!(titles, ["Complete one", "Complete two"]);
    assert!(
        feed.warning
            .as_deref()
            .is_some_and(|w| w.contains("ends inside")),
        "{:?}",
        feed.warning
    );
}

#[test]
fn mismatched_tags_are_recovered() {
    let feed = parse_ok("mismatched.xml");
    let titles: Vec<_> = feed.items.iter().map(|i| i.title.as_str()).collect();
    assert_eq!(titles, ["First bold", "Second"]);
}

#[test]
fn deep_nesting_is_bounded() {
    let mut doc =
        String::from("<rss version=\"2.0\"><channel><item><title>ok</title><guid>1</guid></item>");
    doc.push_str(&"<x>".repeat(10_000));
    let feed = parse(doc.as_bytes()).expect("items before the damage are kept");
    assert_eq!(feed.items.len(), 1);
    assert!(feed.warning.is_some());
    let only_nesting = "<rss><channel>".to_owned() + &"<x>".repeat(10_000);
    assert!(matches!(
        parse(only_nesting.as_bytes()),
        Err(FeedError::Malformed { .. })
    ));
}

#[test]
fn item_cap_drops_the_rest_with_a_warning() {
    let items: String = (0..20)
        .map(|i| format!("<item><guid>{i}</guid></item>"))
        .collect();
    let doc = format!("<rss version=\"2.0\"><channel>{items}</channel></rss>");
    let options = ParseOptions {
        max_items: 5,
        ..ParseOptions::default()
    };
    let feed = parse_feed(doc.as_bytes(), &options).expect("parses");
    assert_eq!(feed.items.len(), 5);
    assert!(feed.warning.is_some_and(|w| w.contains("15 items")));
}

#[test]
fn ids_are_stable_and_ignore_tracking_parameters() {
    let a = parse(b"<rss><channel><item><link>https://A.example/x?utm_source=rss&amp;id=3#c</link></item></channel></rss>").expect("a");
    let b =
        parse(b"<rss><channel><item><link>https://a.example/x?id=3</link></item></channel></rss>")
            .expect("b");
    assert_eq!(a.items[0].id, b.items[0].id);
    assert_eq!(
        canonical_link("https://A.example/x?utm_source=rss&id=3#c"),
        "https://a.example/x?id=3"
    );
    // Pinned: the id must not change across releases, or stored items would duplicate.
    assert_eq!(
        a.items[0].id,
        "e4e92c82abbeaa17bec68418a56f224ea65b4e800f5e23726a696ffd744d56b8"
    );
}

fn real_feeds() -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/feeds");
    let mut feeds: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "xml"))
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).expect("readable"),
            )
        })
        .collect();
    feeds.sort();
    feeds
}

#[test]
fn every_real_feed_parses_with_titles_links_and_dates() {
    let feeds = real_feeds();
    assert_eq!(feeds.len(), 15);
    for (name, bytes) in feeds {
        let feed = parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!feed.items.is_empty(), "{name}: no items");
        assert!(!feed.title.is_empty(), "{name}: no title");
        for item in &feed.items {
            assert_eq!(item.id.len(), 64, "{name}");
            assert!(item.link.is_some(), "{name}: {} has no link", item.title);
        }
        // Every item whose source carries a date element gets a date.
        let text = String::from_utf8_lossy(&bytes);
        let with_date_element = text
            .split("<item")
            .skip(1)
            .filter(|item| item.contains("<pubDate") || item.contains("<dc:date"))
            .count();
        let dated = feed.items.iter().filter(|i| i.published.is_some()).count();
        assert_eq!(dated, with_date_element, "{name}");
    }
}

#[test]
fn the_espn_nba_feed_reads_exactly() {
    let (_, bytes) = real_feeds()
        .into_iter()
        .find(|(n, _)| n.starts_with("01_espn_nba"))
        .expect("ESPN feed");
    let feed = parse(&bytes).expect("parses");
    assert_eq!(feed.title, "www.espn.com - NBA");
    assert_eq!(feed.items.len(), 12);
    let first = &feed.items[0];
    assert_eq!(
        first.title,
        "Luka shines in clutch, outduels LeBron in 2OT win"
    );
    assert_eq!(rfc3339(&feed, 0).as_deref(), Some("2023-01-13T09:04:48Z"));
    assert!(first
        .link
        .as_deref()
        .is_some_and(|l| l.starts_with("https://www.espn.com/nba/story/")));
    let ids: std::collections::HashSet<_> = feed.items.iter().map(|i| &i.id).collect();
    assert_eq!(ids.len(), 12, "ids are distinct");
}

#[test]
fn the_two_ill_formed_real_feeds_recover() {
    for prefix in ["12_elpais", "15_europapress"] {
        let (name, bytes) = real_feeds()
            .into_iter()
            .find(|(n, _)| n.starts_with(prefix))
            .expect("feed present");
        let feed = parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(feed.items.len() >= 10, "{name}: {} items", feed.items.len());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = parse(&bytes);
    }

    #[test]
    fn mangled_real_feeds_never_panic(cut in 0usize..9047, flip in 0usize..9047, byte in any::<u8>()) {
        let (_, mut bytes) = real_feeds().into_iter().next().expect("a feed");
        let flip = flip % bytes.len();
        bytes[flip] = byte;
        bytes.truncate(cut.min(bytes.len()));
        let _ = parse(&bytes);
    }

    #[test]
    fn markup_soup_never_panics(parts in proptest::collection::vec(prop_oneof![
        Just("<rss>"), Just("<channel>"), Just("<item>"), Just("</item>"), Just("<title>"), Just("</title>"),
        Just("<entry>"), Just("<feed xmlns=\"http://www.w3.org/2005/Atom\">"), Just("<link href=\"../x\"/>"),
        Just("&amp;"), Just("&#xD800;"), Just("&bogus;"), Just("<![CDATA[x"), Just("]]>"), Just("\u{0}"),
        Just("<a:b xmlns:a=\"\">"), Just("<pubDate>"), Just("Mon, 99 Foo"), Just("xml:base=\"::\""),
    ], 0..64)) {
        let _ = parse(parts.concat().as_bytes());
    }
}

#[test]
fn only_http_and_https_links_are_kept_and_their_items_stay() {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/e2e/fixtures/hostile-feed.xml"
    ))
    .expect("the hostile feed of the browser test");
    let feed = parse(&bytes).expect("parses");
    let links: Vec<_> = feed.items.iter().map(|i| i.link.as_deref()).collect();
    assert_eq!(
        links,
        [
            None,
            None,
            None,
            None,
            Some("https://hostile.example/articles/suns-sign-guard")
        ]
    );
    assert!(feed.items.iter().all(|i| !i.title.contains('<')));
    assert_eq!(feed.items[0].summary, "Summary stays text");
}

#[test]
fn relative_links_resolve_and_overlong_ones_are_dropped() {
    let long = format!("https://example.com/{}", "a".repeat(2_100));
    let xml = format!(
        r#"<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
        <link>https://site.example/news/</link>
        <item><title>a</title><link>/story/1</link></item>
        <item><title>b</title><link>{long}</link></item>
        <item><title>c</title><link>mailto:desk@site.example</link></item>
        <item><title>d</title><link>https://site.example/x?y=1</link></item>
        </channel></rss>"#
    );
    let feed = parse(xml.as_bytes()).expect("parses");
    assert_eq!(feed.link.as_deref(), Some("https://site.example/news/"));
    let links: Vec<_> = feed.items.iter().map(|i| i.link.as_deref()).collect();
    assert_eq!(
        links,
        [
            Some("https://site.example/story/1"),
            None,
            None,
            Some("https://site.example/x?y=1")
        ]
    );
}

#[test]
fn hostile_bases_names_and_links_are_bounded() {
    // An xml:base longer than a link may be is ignored (each open element would hold a copy):
    // the relative link resolves against the feed's link instead.
    let base = format!("https://example.com/{}/", "a".repeat(3_000));
    let xml = format!(
        r#"<rss version="2.0"><channel xml:base="{base}"><title>t</title>
        <link>https://site.example/</link>
        <item><title>a</title><link>story/1</link></item></channel></rss>"#
    );
    let feed = parse(xml.as_bytes()).expect("parses");
    assert_eq!(
        feed.items[0].link.as_deref(),
        Some("https://site.example/story/1")
    );

    // A root that is no feed is named in the error, at most 64 characters of it, control
    // characters replaced (the message reaches terminals).
    let root = format!("<{}/>", "x".repeat(100_000));
    match parse(root.as_bytes()) {
        Err(FeedError::NotAFeed(name)) => assert_eq!(name, "x".repeat(64)),
        other => panic!("{other:?}"),
    }
    match parse(b"<x\x1b[31my/>") {
        Err(FeedError::NotAFeed(name)) => assert_eq!(name, "x\u{FFFD}[31my"),
        other => panic!("{other:?}"),
    }
    match parse("<x\u{202E}y/>".as_bytes()) {
        Err(FeedError::NotAFeed(name)) => assert_eq!(name, "x\u{FFFD}y"),
        other => panic!("{other:?}"),
    }

    // A link with characters beyond ASCII (a bidi override among them) is kept escaped.
    let xml = "<rss version=\"2.0\"><channel><title>t</title>\
        <item><title>a</title><link>https://example.com/Jos\u{e9}/\u{202e}fdp.exe</link></item>\
        </channel></rss>";
    let feed = parse(xml.as_bytes()).expect("parses");
    assert_eq!(
        feed.items[0].link.as_deref(),
        Some("https://example.com/Jos%C3%A9/%E2%80%AEfdp.exe")
    );
}

#[test]
fn markup_inside_a_text_field_separates_words_where_a_browser_would() {
    let feed = parse(
        br#"<?xml version="1.0"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>
<entry><title>XHTML content</title><id>urn:x:1</id><updated>2003-12-13T18:30:02Z</updated>
<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>First</p><p>Second<br/>Third</p><p>An <a href="https://x.example/">inline</a>link, <em>kept</em>together</p></div></content>
</entry></feed>"#,
    )
    .expect("parses");
    assert_eq!(
        feed.items[0].summary,
        "First Second Third An inlinelink, kepttogether"
    );
    let rss = parse(
        br#"<?xml version="1.0"?>
<rss version="2.0"><channel><title>T</title><link>https://x.example/</link>
<item><title>Raw HTML left unescaped</title><link>https://x.example/1</link>
<description><table><tr><td>submitted by</td><td>someone</td></tr></table><br/>[link]</description></item>
</channel></rss>"#,
    )
    .expect("parses");
    assert_eq!(rss.items[0].summary, "submitted by someone [link]");
}
