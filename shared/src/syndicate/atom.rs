//! Atom 1.0 (RFC 4287), written by hand: five escapes and the characters XML 1.0 allows.

use super::{entry_id, last_modified, FeedInfo, PUBLISHER};
use crate::model::{format_timestamp, NewsItem, Timestamp};
use std::fmt::Write;

/// The Atom document of `items` (newest first); `now` dates an empty feed.
pub fn atom(info: &FeedInfo, items: &[NewsItem], now: Timestamp) -> String {
    let updated = last_modified(items).unwrap_or(now);
    let mut out = String::with_capacity(1024 + items.len() * 1024);
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    out.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    element(&mut out, 1, "title", &info.title);
    element(&mut out, 1, "id", &info.id);
    element(&mut out, 1, "updated", &format_timestamp(&updated));
    let _ = writeln!(out, "  <author><name>{}</name></author>", escape(PUBLISHER));
    element(&mut out, 1, "generator", PUBLISHER);
    for item in items {
        out.push_str("  <entry>\n");
        element(&mut out, 2, "id", &entry_id(item));
        element(&mut out, 2, "title", &item.title);
        if let Some(link) = &item.link {
            let _ = writeln!(
                out,
                "    <link rel=\"alternate\" href=\"{}\"/>",
                escape(link)
            );
        }
        if let Some(published) = &item.published_at {
            element(&mut out, 2, "published", &format_timestamp(published));
        }
        element(&mut out, 2, "updated", &format_timestamp(&item.sort_time()));
        let _ = writeln!(
            out,
            "    <author><name>{}</name></author>",
            escape(&item.source)
        );
        let category = item.category.as_str();
        let _ = writeln!(
            out,
            "    <category term=\"{category}\" label=\"{category}\"/>"
        );
        for team in &item.teams {
            let _ = writeln!(
                out,
                "    <category term=\"{}\" scheme=\"tag:nba-trade-tracker,2026:teams\"/>",
                escape(team)
            );
        }
        if !item.summary.is_empty() {
            element(&mut out, 2, "summary", &item.summary);
        }
        out.push_str("  </entry>\n");
    }
    out.push_str("</feed>\n");
    out
}

/// `<name>text</name>` on its own line, indented `depth` levels.
fn element(out: &mut String, depth: usize, name: &str, text: &str) {
    let _ = writeln!(
        out,
        "{:indent$}<{name}>{}</{name}>",
        "",
        escape(text),
        indent = depth * 2
    );
}

/// Text safe in XML content and attribute values: markup characters escaped, characters XML 1.0
/// forbids (most C0 controls, U+FFFE, U+FFFF) dropped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::Category;
    use crate::feed::{parse_feed, FeedFormat, ParseOptions};
    use chrono::TimeZone;

    fn at(hour: u32) -> Timestamp {
        chrono::Utc
            .with_ymd_and_hms(2026, 11, 30, hour, 0, 0)
            .single()
            .expect("time")
    }

    fn item(n: u32, title: &str, link: Option<&str>) -> NewsItem {
        NewsItem {
            id: crate::feed::sha256_hex(format!("atom-{n}").as_bytes()),
            title: title.to_owned(),
            link: link.map(str::to_owned),
            summary: format!("Summary {n} & more \u{1}"),
            source: "ESPN & Co".to_owned(),
            category: Category::Trade,
            evidence: Vec::new(),
            confidence: None,
            teams: vec!["BOS".to_owned(), "LAL".to_owned()],
            team_evidence: Vec::new(),
            players: Vec::new(),
            player_evidence: Vec::new(),
            story_id: None,
            published_at: Some(at(n)),
            fetched_at: at(n),
            expires_at: None,
        }
    }

    #[test]
    fn our_parser_reads_back_what_we_write_in_atom_and_json_feed() {
        let items = [
            item(
                5,
                "Lakers trade \"big\" guard to Celtics & more",
                Some("https://example.com/a?x=1&y=2"),
            ),
            item(4, "No link", None),
        ];
        let info = FeedInfo::new(&[Some("Trade"), Some("LAL")]);
        let xml = atom(&info, &items, at(9));
        let json =
            serde_json::to_string(&crate::syndicate::json_feed(&info, &items)).expect("serializes");
        for (document, format) in [(&xml, FeedFormat::Atom1), (&json, FeedFormat::JsonFeed)] {
            let feed = parse_feed(document.as_bytes(), &ParseOptions::default())
                .unwrap_or_else(|e| panic!("{format:?}: {e}"));
            assert_eq!(feed.format, format);
            assert_eq!(feed.title, "NBA Trade Tracker · Trade · LAL");
            assert_eq!(feed.items.len(), 2);
            let first = &feed.items[0];
            assert_eq!(first.title, items[0].title);
            assert_eq!(first.link.as_deref(), Some("https://example.com/a?x=1&y=2"));
            assert_eq!(first.published, items[0].published_at);
            assert_eq!(first.authors, ["ESPN & Co"]);
            assert_eq!(first.categories, ["Trade", "BOS", "LAL"]);
            assert_eq!(
                first.summary, "Summary 5 & more",
                "escaped and read back; the control character is dropped"
            );
            assert_eq!(feed.items[1].link, None);
        }
        assert!(
            xml.contains("<updated>2026-11-30T05:00:00Z</updated>"),
            "the feed's time is its newest item's"
        );
    }

    #[test]
    fn an_empty_feed_is_dated_now_and_still_valid() {
        let xml = atom(&FeedInfo::new(&[]), &[], at(9));
        assert!(xml.contains("<updated>2026-11-30T09:00:00Z</updated>"));
        assert!(xml.contains("<id>tag:nba-trade-tracker,2026:news/</id>"));
    }
}
