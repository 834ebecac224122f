//! The streaming state machine over quick-xml events.

use super::{
    dates::parse_date, id::item_id, text::html_to_text, Feed, FeedError, FeedFormat, FeedItem,
    ParseOptions,
};
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;
use url::Url;

/// Longest title kept, in characters.
const MAX_TITLE_CHARS: usize = 500;
/// Longest author or category label kept, in characters.
const MAX_LABEL_CHARS: usize = 200;
/// Longest link kept, in bytes; a longer one is dropped and its item kept.
const MAX_LINK_BYTES: usize = 2_048;
/// Largest amount of text gathered for one field before the rest is ignored.
const MAX_FIELD_BYTES: usize = 256 * 1024;

/// Namespaces the parser understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ns {
    None,
    Atom,
    Atom03,
    Rss1,
    Rss090,
    Rdf,
    Dc,
    Content,
    Other,
}

impl Ns {
    fn from_uri(uri: &str) -> Self {
        match uri.trim_end_matches('/') {
            "http://www.w3.org/2005/Atom" => Ns::Atom,
            "http://purl.org/atom/ns#" => Ns::Atom03,
            "http://purl.org/rss/1.0" => Ns::Rss1,
            "http://my.netscape.com/rdf/simple/0.9" => Ns::Rss090,
            "http://www.w3.org/1999/02/22-rdf-syntax-ns#" => Ns::Rdf,
            "http://purl.org/dc/elements/1.1" | "http://purl.org/dc/terms" => Ns::Dc,
            "http://purl.org/rss/1.0/modules/content" => Ns::Content,
            _ => Ns::Other,
        }
    }

    /// Undeclared prefixes are common in hand-made feeds; the usual ones are honoured.
    fn from_prefix(prefix: &str) -> Self {
        match prefix {
            "atom" => Ns::Atom,
            "rdf" => Ns::Rdf,
            "dc" | "dcterms" => Ns::Dc,
            "content" => Ns::Content,
            _ => Ns::Other,
        }
    }

    fn resolve(result: &ResolveResult<'_>) -> Self {
        match result {
            ResolveResult::Unbound => Ns::None,
            ResolveResult::Bound(ns) => Ns::from_uri(ns.0),
            ResolveResult::Unknown(prefix) => Ns::from_prefix(prefix),
        }
    }

    /// Plain RSS element names: no namespace, or the RSS 1.0 / 0.90 namespaces.
    fn is_rss(self) -> bool {
        matches!(self, Ns::None | Ns::Rss1 | Ns::Rss090)
    }

    fn is_atom(self) -> bool {
        matches!(self, Ns::Atom | Ns::Atom03)
    }
}

/// Text fields gathered from an element's content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Title,
    Link,
    Summary,
    Content,
    Guid,
    Published,
    Updated,
    Author,
    Category,
}

/// What an open element is to the parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Node {
    /// The document root (`rss`, `rdf:RDF`, `feed`).
    Root,
    /// `channel`, or the Atom `feed` root acting as its own channel.
    Channel,
    Item,
    Field(Field),
    /// An element inside a field whose text must not join it (an Atom author's email).
    Muted,
    /// Anything else; its subtree is walked but not read (unless inside a field).
    Other,
}

struct Frame {
    name: String,
    node: Node,
    base: Option<Url>,
}

#[derive(Default)]
struct ItemDraft {
    guid: Option<String>,
    title: Option<String>,
    link: Option<(String, Option<Url>)>,
    fallback_link: Option<(String, Option<Url>)>,
    summary: Option<String>,
    content: Option<String>,
    published: Option<String>,
    updated: Option<String>,
    authors: Vec<String>,
    categories: Vec<String>,
}

/// Field text being gathered.
struct Capture {
    field: Field,
    depth: usize,
    text: String,
}

struct State<'o> {
    options: &'o ParseOptions,
    stack: Vec<Frame>,
    format: Option<FeedFormat>,
    title: Option<String>,
    link: Option<(String, Option<Url>)>,
    items: Vec<FeedItem>,
    dropped_items: usize,
    item: Option<ItemDraft>,
    capture: Option<Capture>,
}

/// Parses decoded feed text.
pub(super) fn parse_text(text: &str, options: &ParseOptions) -> Result<Feed, FeedError> {
    let mut reader = NsReader::from_str(text);
    let config = reader.config_mut();
    config.check_end_names = false;
    config.allow_unmatched_ends = true;
    config.allow_dangling_amp = true;
    config.expand_empty_elements = false;

    let mut state = State {
        options,
        stack: Vec::with_capacity(16),
        format: None,
        title: None,
        link: None,
        items: Vec::new(),
        dropped_items: 0,
        item: None,
        capture: None,
    };

    let damage = loop {
        let (ns, event) = match reader.read_resolved_event() {
            Ok((result, event)) => (Ns::resolve(&result), event),
            Err(err) => break Some((reader.error_position(), err.to_string())),
        };
        match event {
            Event::Start(start) => {
                if state.stack.len() >= options.max_depth {
                    break Some((
                        reader.buffer_position(),
                        format!("elements nested deeper than {} levels", options.max_depth),
                    ));
                }
                state.open(ns, &start, false)?;
            }
            Event::Empty(start) => state.open(ns, &start, true)?,
            Event::End(end) => state.close(end.name().0),
            Event::Text(t) => state.push_text(&t),
            Event::CData(c) => state.push_text(&c),
            Event::GeneralRef(r) => {
                let name: &str = &r;
                if let Ok(Some(ch)) = r.resolve_char_ref() {
                    state.push_text(ch.encode_utf8(&mut [0; 4]));
                } else if let Some(s) = quick_xml::escape::resolve_predefined_entity(name)
                    .or_else(|| quick_xml::escape::resolve_html5_entity(name))
                {
                    state.push_text(s);
                } else {
                    // Undefined (or DTD-declared) entities are never expanded: kept as written.
                    state.push_text(&format!("&{name};"));
                }
            }
            Event::Eof => break None,
            Event::Decl(_) | Event::PI(_) | Event::DocType(_) | Event::Comment(_) => {}
        }
    };

    state.finish(damage)
}

impl State<'_> {
    fn base(&self) -> Option<&Url> {
        self.stack.iter().rev().find_map(|f| f.base.as_ref())
    }

    fn parent(&self) -> Option<Node> {
        self.stack.last().map(|f| f.node)
    }

    fn open(&mut self, ns: Ns, start: &BytesStart<'_>, empty: bool) -> Result<(), FeedError> {
        let local = start.local_name();
        let local: &str = local.as_ref();
        let base = self.element_base(start);
        let mut node = self.classify(ns, local, start)?;

        // Atom links and categories carry their value in attributes, not content.
        if node == Node::Field(Field::Link) && ns.is_atom() {
            self.atom_link(start, base.clone());
            node = Node::Other;
        } else if node == Node::Field(Field::Category) && ns.is_atom() {
            let label = attr(start, "label").or_else(|| attr(start, "term"));
            self.finish_field(Field::Category, label.unwrap_or_default());
            node = Node::Other;
        }
        if node == Node::Item {
            // RSS 1.0 items name themselves in rdf:about.
            let guid = attr(start, "about").filter(|v| !v.trim().is_empty());
            self.item = Some(ItemDraft {
                guid,
                ..ItemDraft::default()
            });
        }
        if empty {
            if node == Node::Item {
                self.finish_item();
            }
            return Ok(());
        }
        if let Node::Field(field) = node {
            if self.capture.is_none() {
                self.capture = Some(Capture {
                    field,
                    depth: self.stack.len(),
                    text: String::new(),
                });
            }
        }
        self.stack.push(Frame {
            name: start.name().0.to_owned(),
            node,
            base,
        });
        Ok(())
    }

    /// Decides what an opening element is, from its namespace, name and parent.
    fn classify(&mut self, ns: Ns, local: &str, start: &BytesStart<'_>) -> Result<Node, FeedError> {
        let Some(parent) = self.parent() else {
            // The root element decides the format.
            self.format = Some(match (ns, local) {
                (Ns::None, "rss") => match attr(start, "version").as_deref().map(str::trim) {
                    Some("0.90" | "0.91") => FeedFormat::Rss09,
                    _ => FeedFormat::Rss2,
                },
                (Ns::Rdf, "RDF") | (Ns::None, "RDF") => FeedFormat::Rss1,
                (Ns::Atom03, "feed") => FeedFormat::Atom03,
                (Ns::Atom | Ns::None, "feed") => FeedFormat::Atom1,
                _ => return Err(FeedError::NotAFeed(start.name().0.to_owned())),
            });
            return Ok(if local == "feed" {
                Node::Channel
            } else {
                Node::Root
            });
        };
        if self.capture.is_some() {
            let muted = matches!(self.capture.as_ref().map(|c| c.field), Some(Field::Author))
                && matches!(local, "email" | "uri" | "url");
            return Ok(if muted { Node::Muted } else { Node::Other });
        }
        Ok(match parent {
            Node::Root if local == "channel" && ns.is_rss() => {
                if ns == Ns::Rss090 {
                    self.format = Some(FeedFormat::Rss09);
                }
                Node::Channel
            }
            Node::Root | Node::Channel if local == "item" && ns.is_rss() => Node::Item,
            Node::Channel if local == "entry" && ns.is_atom() => Node::Item,
            Node::Channel => match (ns, local) {
                (n, "title") if n.is_rss() || n.is_atom() => Node::Field(Field::Title),
                (n, "link") if n.is_rss() => Node::Field(Field::Link),
                (n, "link") if n.is_atom() => Node::Field(Field::Link),
                _ => Node::Other,
            },
            Node::Item => match (ns, local) {
                (n, "title") if n.is_rss() || n.is_atom() => Node::Field(Field::Title),
                (n, "link") if n.is_rss() || n.is_atom() => Node::Field(Field::Link),
                (n, "description") if n.is_rss() => Node::Field(Field::Summary),
                (n, "summary") if n.is_atom() => Node::Field(Field::Summary),
                (n, "content") if n.is_atom() => Node::Field(Field::Content),
                (Ns::Content, "encoded") => Node::Field(Field::Content),
                (Ns::None, "guid") => Node::Field(Field::Guid),
                (n, "id") if n.is_atom() => Node::Field(Field::Guid),
                (Ns::None, "pubDate") | (Ns::Dc, "date") => Node::Field(Field::Published),
                (n, "published" | "issued" | "created") if n.is_atom() => {
                    Node::Field(Field::Published)
                }
                (n, "updated" | "modified") if n.is_atom() => Node::Field(Field::Updated),
                (Ns::None, "author") | (Ns::Dc, "creator") => Node::Field(Field::Author),
                (n, "author" | "contributor") if n.is_atom() => Node::Field(Field::Author),
                (Ns::None, "category") | (Ns::Dc, "subject") => Node::Field(Field::Category),
                (n, "category") if n.is_atom() => Node::Field(Field::Category),
                _ => Node::Other,
            },
            _ => Node::Other,
        })
    }

    /// The xml:base in force for an element, resolved against its parent's.
    fn element_base(&self, start: &BytesStart<'_>) -> Option<Url> {
        let value = start
            .attributes()
            .flatten()
            .find(|a| a.key.0 == "xml:base")
            .map(|a| attr_value(&a))?;
        match self.base() {
            Some(parent) => parent.join(value.trim()).ok(),
            None => Url::parse(value.trim()).ok(),
        }
    }

    fn atom_link(&mut self, start: &BytesStart<'_>, base: Option<Url>) {
        let Some(href) = attr(start, "href").filter(|h| !h.trim().is_empty()) else {
            return;
        };
        let rel = attr(start, "rel").unwrap_or_else(|| "alternate".into());
        let base = base.or_else(|| self.base().cloned());
        let entry = Some((href, base));
        let in_item = self.item.is_some();
        match (rel.as_str(), in_item) {
            ("alternate", true) => {
                let draft = self.item.as_mut().expect("in_item");
                if draft.link.is_none() {
                    draft.link = entry;
                }
            }
            ("alternate", false) => {
                if self.link.is_none() {
                    self.link = entry;
                }
            }
            ("self" | "edit" | "enclosure" | "replies" | "hub" | "next" | "previous", _) => {}
            (_, true) => {
                let draft = self.item.as_mut().expect("in_item");
                if draft.fallback_link.is_none() {
                    draft.fallback_link = entry;
                }
            }
            (_, false) => {}
        }
    }

    fn push_text(&mut self, text: &str) {
        let muted = self
            .stack
            .iter()
            .rev()
            .take_while(|f| !matches!(f.node, Node::Field(_)))
            .any(|f| f.node == Node::Muted);
        if let Some(capture) = self.capture.as_mut() {
            if !muted && capture.text.len() + text.len() <= MAX_FIELD_BYTES {
                capture.text.push_str(text);
            }
        }
    }

    fn close(&mut self, qname: &str) {
        // Tolerate sloppy markup: close back to the matching open element, ignore strays.
        let Some(pos) = self.stack.iter().rposition(|f| f.name == qname) else {
            return;
        };
        while self.stack.len() > pos {
            let Some(frame) = self.stack.pop() else { break };
            self.closed(frame);
        }
    }

    fn closed(&mut self, frame: Frame) {
        match frame.node {
            Node::Field(_) => {
                let ends_capture = self
                    .capture
                    .as_ref()
                    .is_some_and(|c| c.depth == self.stack.len());
                if ends_capture {
                    if let Some(capture) = self.capture.take() {
                        if capture.field == Field::Link {
                            let base = frame.base.or_else(|| self.base().cloned());
                            self.rss_link(capture.text, base);
                        } else {
                            self.finish_field(capture.field, capture.text);
                        }
                    }
                }
            }
            Node::Item => self.finish_item(),
            _ => {}
        }
    }

    fn rss_link(&mut self, text: String, base: Option<Url>) {
        let link = text.trim().to_owned();
        if link.is_empty() {
            return;
        }
        let slot = match self.item.as_mut() {
            Some(draft) => &mut draft.link,
            None => &mut self.link,
        };
        if slot.is_none() {
            *slot = Some((link, base));
        }
    }

    fn finish_field(&mut self, field: Field, text: String) {
        let Some(draft) = self.item.as_mut() else {
            if field == Field::Title && self.title.is_none() {
                self.title = Some(text);
            }
            return;
        };
        let slot = match field {
            Field::Title => &mut draft.title,
            Field::Summary => &mut draft.summary,
            Field::Content => &mut draft.content,
            Field::Guid => &mut draft.guid,
            Field::Published => &mut draft.published,
            Field::Updated => &mut draft.updated,
            Field::Author => {
                let name = author_name(&text);
                if !name.is_empty() && !draft.authors.contains(&name) {
                    draft.authors.push(name);
                }
                return;
            }
            Field::Category => {
                let label = html_to_text(&text, MAX_LABEL_CHARS);
                if !label.is_empty() && !draft.categories.contains(&label) {
                    draft.categories.push(label);
                }
                return;
            }
            Field::Link => return,
        };
        if slot.as_deref().is_none_or(|s| s.trim().is_empty()) {
            *slot = Some(text);
        }
    }

    fn finish_item(&mut self) {
        let Some(draft) = self.item.take() else {
            return;
        };
        if self.items.len() >= self.options.max_items {
            self.dropped_items += 1;
            return;
        }
        let feed_base = self.feed_link_url();
        let link = draft
            .link
            .or(draft.fallback_link)
            .and_then(|(href, base)| resolve(&href, base.as_ref().or(feed_base.as_ref())));
        let title = html_to_text(draft.title.as_deref().unwrap_or(""), MAX_TITLE_CHARS);
        let summary_source = draft
            .summary
            .filter(|s| !s.trim().is_empty())
            .or(draft.content)
            .unwrap_or_default();
        let summary = html_to_text(&summary_source, self.options.max_summary_chars);
        let published = draft
            .published
            .as_deref()
            .and_then(parse_date)
            .or_else(|| draft.updated.as_deref().and_then(parse_date));
        let guid = draft
            .guid
            .map(|g| g.trim().to_owned())
            .filter(|g| !g.is_empty());
        let published_text =
            published.map(|p| p.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        let id = item_id(
            guid.as_deref(),
            link.as_deref(),
            &title,
            published_text.as_deref(),
        );
        self.items.push(FeedItem {
            id,
            guid,
            title,
            link,
            summary,
            published,
            authors: draft.authors,
            categories: draft.categories,
        });
    }

    fn feed_link_url(&self) -> Option<Url> {
        let (href, base) = self.link.as_ref()?;
        match base {
            Some(base) => base.join(href.trim()).ok(),
            None => Url::parse(href.trim()).ok(),
        }
    }

    fn finish(mut self, damage: Option<(u64, String)>) -> Result<Feed, FeedError> {
        let Some(format) = self.format else {
            return Err(match damage {
                Some((position, message)) => FeedError::Malformed { position, message },
                None => FeedError::NotAFeed("(none)".into()),
            });
        };
        let unclosed = self
            .stack
            .iter()
            .find(|f| f.node == Node::Root || f.node == Node::Channel)
            .map(|f| f.name.clone());
        let warning = match (damage, unclosed) {
            (Some((position, message)), _) => {
                if self.items.is_empty() {
                    return Err(FeedError::Malformed { position, message });
                }
                Some(format!(
                    "malformed XML at byte {position}: {message}; kept the {} items before it",
                    self.items.len()
                ))
            }
            (None, Some(name)) => {
                if self.items.is_empty() {
                    return Err(FeedError::Malformed {
                        position: 0,
                        message: format!("document ends inside <{name}>"),
                    });
                }
                Some(format!(
                    "document ends inside <{name}>; kept the {} complete items",
                    self.items.len()
                ))
            }
            (None, None) if self.dropped_items > 0 => Some(format!(
                "{} items over the {}-item limit were dropped",
                self.dropped_items, self.options.max_items
            )),
            (None, None) => None,
        };
        // An item still open at the end is incomplete and is not kept.
        self.item = None;
        let link = self
            .link
            .as_ref()
            .and_then(|(href, base)| resolve(href, base.as_ref()));
        Ok(Feed {
            title: html_to_text(self.title.as_deref().unwrap_or(""), MAX_TITLE_CHARS),
            link,
            format,
            items: self.items,
            warning,
        })
    }
}

/// `href` as an absolute http(s) URL, resolved against `base` when relative. Anything else is
/// `None`: another scheme (`javascript:`, `data:`, `vbscript:`, ...), a relative link without a
/// base, or a link over [`MAX_LINK_BYTES`].
fn resolve(href: &str, base: Option<&Url>) -> Option<String> {
    let href = href.trim();
    if href.is_empty() || href.len() > MAX_LINK_BYTES {
        return None;
    }
    let url = match Url::parse(href) {
        Ok(url) => url,
        Err(_) => base?.join(href).ok()?,
    };
    (matches!(url.scheme(), "http" | "https") && url.as_str().len() <= MAX_LINK_BYTES)
        .then(|| url.into())
}

/// "jane@example.com (Jane Doe)" is RSS's author form; the name in parentheses is kept.
fn author_name(text: &str) -> String {
    let text = html_to_text(text, MAX_LABEL_CHARS);
    if let (Some(open), true) = (text.find('('), text.ends_with(')')) {
        let inner = text[open + 1..text.len() - 1].trim();
        if !inner.is_empty() && text[..open].contains('@') {
            return inner.to_owned();
        }
    }
    text
}

/// An attribute's value with entities decoded leniently (unknown ones kept as written).
fn attr_value(attribute: &quick_xml::events::attributes::Attribute<'_>) -> String {
    super::text::decode_entities(&attribute.value).into_owned()
}

/// An attribute's unescaped value, looked up by local name.
fn attr(start: &BytesStart<'_>, local: &str) -> Option<String> {
    start
        .attributes()
        .with_checks(false)
        .flatten()
        .find(|a| {
            let key = a.key.0;
            key == local || key.rsplit(':').next() == Some(local) && !key.starts_with("xmlns")
        })
        .map(|a| attr_value(&a))
}
