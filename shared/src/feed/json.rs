//! JSON Feed 1.0 and 1.1 (<https://www.jsonfeed.org/version/1.1/>), read into the same [`Feed`]
//! as RSS and Atom. Every member is read leniently: one of the wrong type is as if absent. Its
//! titles, summaries, `content_text`, names and tags are plain text; `content_html` is HTML.

use super::{
    dates::parse_date,
    parser::{push_label, resolve, MAX_LABEL_CHARS, MAX_TITLE_CHARS},
    text::html_to_text,
    Feed, FeedError, FeedFormat, FeedItem, ParseOptions,
};
use serde_json::Value;
use url::Url;

/// The start of every JSON Feed `version` URL (`https://jsonfeed.org/version/1.1`).
const VERSION_PREFIX: &str = "jsonfeed.org/version/";

/// Parses a JSON Feed document. JSON that does not parse is [`FeedError::Malformed`]; JSON
/// without a JSON Feed `version` is [`FeedError::NotAJsonFeed`].
pub(super) fn parse_json_feed(text: &str, options: &ParseOptions) -> Result<Feed, FeedError> {
    let doc: Value = serde_json::from_str(text).map_err(|err| FeedError::Malformed {
        position: byte_offset(text, err.line(), err.column()),
        message: err.to_string(),
    })?;
    let is_json_feed = string(&doc, "version").is_some_and(|v| v.contains(VERSION_PREFIX));
    if !is_json_feed {
        return Err(FeedError::NotAJsonFeed);
    }
    let link =
        string(&doc, "home_page_url").and_then(|href| resolve(href, options.base_url.as_ref()));
    let base = link
        .as_deref()
        .and_then(|l| Url::parse(l).ok())
        .or_else(|| options.base_url.clone());
    let feed_authors = authors_of(&doc).unwrap_or_default();
    let entries = doc.get("items").and_then(Value::as_array);
    let entries = entries.map(Vec::as_slice).unwrap_or_default();
    let items: Vec<FeedItem> = entries
        .iter()
        .filter(|entry| entry.is_object())
        .take(options.max_items)
        .map(|entry| item(entry, base.as_ref(), &feed_authors, options))
        .collect();
    let dropped = entries.iter().filter(|e| e.is_object()).count() - items.len();
    Ok(Feed {
        title: plain(string(&doc, "title"), MAX_TITLE_CHARS),
        link,
        format: FeedFormat::JsonFeed,
        items,
        warning: (dropped > 0).then(|| {
            format!(
                "{dropped} items over the {}-item limit were dropped",
                options.max_items
            )
        }),
    })
}

/// One item; `feed_authors` are its authors when it names none.
fn item(
    entry: &Value,
    base: Option<&Url>,
    feed_authors: &[&Value],
    options: &ParseOptions,
) -> FeedItem {
    // Ids are strings; a number (or another scalar) is read as its text.
    let guid = match entry.get("id") {
        Some(Value::String(id)) => Some(id.trim().to_owned()),
        Some(id @ (Value::Number(_) | Value::Bool(_))) => Some(id.to_string()),
        _ => None,
    }
    .filter(|id| !id.is_empty());
    let link = ["url", "external_url"]
        .into_iter()
        .find_map(|key| resolve(string(entry, key)?, base));
    let title = plain(string(entry, "title"), MAX_TITLE_CHARS);
    // The summary, else the HTML content, else the text content.
    let filled = |key| string(entry, key).filter(|s| !s.trim().is_empty());
    let summary = match (filled("summary"), filled("content_html")) {
        (Some(text), _) => plain(Some(text), options.max_summary_chars),
        (None, Some(html)) => html_to_text(html, options.max_summary_chars),
        (None, None) => plain(filled("content_text"), options.max_summary_chars),
    };
    let published = ["date_published", "date_modified"]
        .into_iter()
        .find_map(|key| parse_date(string(entry, key)?));
    let mut authors = Vec::new();
    let named = authors_of(entry);
    for author in named.as_deref().unwrap_or(feed_authors) {
        if let Some(name) = string(author, "name") {
            push_label(&mut authors, plain(Some(name), MAX_LABEL_CHARS));
        }
    }
    let mut categories = Vec::new();
    let tags = entry.get("tags").and_then(Value::as_array);
    for tag in tags.into_iter().flatten().filter_map(Value::as_str) {
        push_label(&mut categories, plain(Some(tag), MAX_LABEL_CHARS));
    }
    FeedItem::from_parts(guid, title, link, summary, published, authors, categories)
}

/// The authors an object names: its `authors` (1.1), else its `author` (1.0); `None` when it
/// names neither.
fn authors_of(object: &Value) -> Option<Vec<&Value>> {
    if let Some(list) = object.get("authors").and_then(Value::as_array) {
        return Some(list.iter().collect());
    }
    object.get("author").map(|author| vec![author])
}

/// Plain text, collapsed and capped as every text is (`<b>` stays four characters).
fn plain(text: Option<&str>, max_chars: usize) -> String {
    html_to_text(
        &quick_xml::escape::escape(text.unwrap_or_default()),
        max_chars,
    )
}

/// A member that is a string.
fn string<'a>(object: &'a Value, key: &str) -> Option<&'a str> {
    object.get(key)?.as_str()
}

/// The byte offset of serde_json's one-based line and column in `text`.
fn byte_offset(text: &str, line: usize, column: usize) -> u64 {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    u64::try_from(line_start + column.saturating_sub(1)).unwrap_or(u64::MAX)
}
