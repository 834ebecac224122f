//! The streaming state machine over quick-xml events.

use super::{
    dates::parse_date,
    text::{html_to_text, HIDDEN_TAGS, INLINE_TAGS},
    Feed, FeedError, FeedFormat, FeedItem, ParseOptions,
};
use base64::Engine;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;
use url::Url;

/// Longest title kept, in characters.
pub(super) const MAX_TITLE_CHARS: usize = 500;
/// Longest author or category label kept, in characters.
pub(super) const MAX_LABEL_CHARS: usize = 200;
/// Longest link kept, in bytes; a longer one is dropped and its item kept.
const MAX_LINK_BYTES: usize = 2_048;
/// Largest amount of text gathered for one field before the rest is ignored.
const MAX_FIELD_BYTES: usize = 256 * 1024;
/// Most authors, and most categories, kept per item (the rest are dropped, so that no item
/// outgrows a store's item size).
const MAX_LABELS: usize = 50;

/// Longest root element name an error repeats.
const MAX_ROOT_NAME_CHARS: usize = 64;
/// Namespace URIs of Atom's predecessors (Echo, Pie, Atom 0.3 and its drafts), read as Atom 0.3.
const PRE_ATOM_NAMESPACES: [&str; 6] = [
    "http://purl.org/atom/ns#",
    "http://purl.org/echo",
    "http://purl.org/pie",
    "http://example.com/newformat#",
    "http://example.com/necho",
    "uri/of/echo/namespace#",
];
/// Longest namespace URI read as one; a longer one is an unknown namespace (which keeps the
/// per-element work of resolving it bounded).
const MAX_NAMESPACE_BYTES: usize = 1_024;
/// The namespace URI some RSS 2.0 feeds declare as their default (Harvard's).
const HARVARD_RSS_NAMESPACE: &str = "http://blogs.law.harvard.edu/tech/rss";
/// UserLand's RSS namespaces: every URI that begins so (`rss`, `rss2`, `rss2.1`) names RSS 2.0.
const USERLAND_RSS_NAMESPACE: &str = "http://backend.userland.com/rss";

/// Namespaces the parser understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ns {
    None,
    Atom,
    Atom03,
    Rss1,
    Rss090,
    /// RSS 2.0 elements under a declared namespace ([`HARVARD_RSS_NAMESPACE`],
    /// [`USERLAND_RSS_NAMESPACE`]).
    Rss2,
    Rdf,
    /// Dublin Core elements (`dc:`).
    Dc,
    /// DCMI Terms (`dcterms:`).
    DcTerms,
    Content,
    /// Media RSS (`media:`), as YouTube's feeds use it.
    Media,
    /// Apple's podcast elements (`itunes:`).
    Itunes,
    /// XHTML (an RSS item's `xhtml:body`).
    Xhtml,
    Other,
}

impl Ns {
    fn from_uri(uri: &str) -> Self {
        if uri.len() > MAX_NAMESPACE_BYTES {
            return Ns::Other;
        }
        let uri = uri.trim_end_matches('/');
        match uri {
            "http://purl.org/rss/1.0" => Ns::Rss1,
            "http://my.netscape.com/rdf/simple/0.9" => Ns::Rss090,
            "http://www.w3.org/1999/02/22-rdf-syntax-ns#" => Ns::Rdf,
            "http://purl.org/dc/elements/1.1" => Ns::Dc,
            "http://purl.org/dc/terms" => Ns::DcTerms,
            "http://purl.org/rss/1.0/modules/content" => Ns::Content,
            "http://search.yahoo.com/mrss" => Ns::Media,
            "http://www.w3.org/1999/xhtml" => Ns::Xhtml,
            _ if uri.eq_ignore_ascii_case("http://www.itunes.com/dtds/podcast-1.0.dtd") => {
                Ns::Itunes
            }
            _ if uri.eq_ignore_ascii_case("http://www.w3.org/2005/Atom") => Ns::Atom,
            _ if PRE_ATOM_NAMESPACES.iter().any(|p| uri.starts_with(p)) => Ns::Atom03,
            _ if uri == HARVARD_RSS_NAMESPACE
                || uri
                    .get(..USERLAND_RSS_NAMESPACE.len())
                    .is_some_and(|p| p.eq_ignore_ascii_case(USERLAND_RSS_NAMESPACE)) =>
            {
                Ns::Rss2
            }
            _ => Ns::Other,
        }
    }

    /// Undeclared prefixes are common in hand-made feeds; the usual ones are honoured.
    fn from_prefix(prefix: &str) -> Self {
        match prefix {
            "atom" => Ns::Atom,
            "rdf" => Ns::Rdf,
            "dc" => Ns::Dc,
            "dcterms" => Ns::DcTerms,
            "content" => Ns::Content,
            "media" => Ns::Media,
            "itunes" => Ns::Itunes,
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

    /// Plain RSS element names: no namespace, or the RSS 1.0 / 0.90 / 2.0 namespaces.
    fn is_rss(self) -> bool {
        matches!(self, Ns::None | Ns::Rss1 | Ns::Rss090 | Ns::Rss2)
    }

    /// Dublin Core or DCMI Terms: fallbacks for what the format's own elements lack.
    fn is_dc(self) -> bool {
        matches!(self, Ns::Dc | Ns::DcTerms)
    }

    fn is_atom(self) -> bool {
        matches!(self, Ns::Atom | Ns::Atom03)
    }
}

/// Text fields gathered from an element's content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Title,
    /// `dc:title` or `media:title`: the title when the format's own is missing or empty.
    AltTitle,
    Link,
    Summary,
    /// `dc:description`, `media:description` or `itunes:summary`: the summary when the format's
    /// own is missing or empty.
    AltDescription,
    /// Atom `content`, `content:encoded`, an RSS item's `body` or `fullitem`: the summary when
    /// there is no other.
    Content,
    Guid,
    Date(DateKind),
    Author,
    /// `dc:creator`: the authors when the format names none.
    DcCreator,
    Category,
}

/// The dates an item may carry, in the order they are preferred for its publication time;
/// within one kind the first element wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DateKind {
    /// RSS `pubDate`, Atom `published`, Atom 0.3 `issued`.
    Published,
    /// `dcterms:issued`.
    DcIssued,
    /// `dc:date`, `dcterms:date`.
    DcDate,
    /// Atom 0.3 `created`, `dcterms:created`.
    Created,
    /// Atom `updated`, Atom 0.3 `modified`.
    Updated,
    /// `dcterms:modified`.
    DcModified,
}

impl DateKind {
    const COUNT: usize = 6;
}

/// What an open element is to the parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Node {
    /// The document root (`rss`, `rdf:RDF`, `feed`).
    Root,
    /// `channel`, or the Atom `feed` root acting as its own channel.
    Channel,
    Item,
    /// A `media:group` in an item, whose `media:title` and `media:description` are the item's.
    MediaGroup,
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
    /// The RSS guid is the item's permalink (`isPermaLink` absent or true).
    guid_is_permalink: bool,
    title: Option<String>,
    alt_title: Option<String>,
    link: Option<(String, Option<Url>)>,
    fallback_link: Option<(String, Option<Url>)>,
    summary: Option<String>,
    alt_description: Option<String>,
    content: Option<String>,
    /// The first date of each [`DateKind`], by its discriminant.
    dates: [Option<String>; DateKind::COUNT],
    authors: Vec<String>,
    dc_authors: Vec<String>,
    categories: Vec<String>,
}

/// Field text being gathered.
struct Capture {
    field: Field,
    depth: usize,
    text: String,
    markup: Markup,
}

/// How a text field is written: Atom's `type` (RFC 4287 §3.1, §4.1.3) and Atom 0.3's `mode`.
/// Fields are kept as HTML until the item is finished, so text is escaped into it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Markup {
    /// HTML, escaped or not: every RSS field, Atom's `html` and `text/html`.
    Html,
    /// Plain text, where `<b>` is four characters: Atom's `text` (its default), other `text/*`,
    /// and the text nodes of inline XHTML or XML.
    Text,
    /// Base64 (Atom 0.3's `mode="base64"`, an Atom type that is neither text nor XML): of HTML,
    /// unless the type says `text/plain`.
    Base64 { html: bool },
}

impl Markup {
    /// The markup of an Atom text construct or content element, from its attributes.
    fn of_atom(start: &BytesStart<'_>) -> Self {
        // A media type's parameters (`text/html; charset=utf-8`) do not change how it is read.
        let kind = attr(start, "type")
            .map(|t| {
                let essence = t.split(';').next().unwrap_or_default();
                essence.trim().to_ascii_lowercase()
            })
            .filter(|t| !t.is_empty());
        let html = matches!(kind.as_deref(), Some("html" | "text/html"));
        let xhtml_type = kind.as_deref() == Some("application/xhtml+xml");
        let base64 = Markup::Base64 {
            html: kind.as_deref() != Some("text/plain"),
        };
        let mode = attr(start, "mode").map(|m| m.trim().to_ascii_lowercase());
        match (mode.as_deref(), kind.as_deref()) {
            (Some("base64"), _) => base64,
            // Escaped XHTML is markup as escaped HTML is.
            _ if html || (mode.as_deref() == Some("escaped") && xhtml_type) => Markup::Html,
            (Some("escaped" | "xml"), _) | (_, None | Some("text" | "xhtml")) => Markup::Text,
            (_, Some(mime)) if mime.starts_with("text/") || mime.ends_with("xml") => Markup::Text,
            (_, Some(_)) => base64,
        }
    }

    /// The gathered text as the HTML the item is finished from. Base64 that does not decode is
    /// read as HTML; base64 of anything but UTF-8 text (an image) is no text at all.
    fn to_html(self, text: String) -> String {
        let (text, html) = match self {
            Markup::Html => return text,
            Markup::Text => (text, false),
            Markup::Base64 { html } => {
                let packed: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
                match base64::engine::general_purpose::STANDARD.decode(packed) {
                    Ok(bytes) => (String::from_utf8(bytes).unwrap_or_default(), html),
                    Err(_) => return text,
                }
            }
        };
        if html {
            text
        } else {
            quick_xml::escape::escape(&text).into_owned()
        }
    }
}

struct State<'o> {
    options: &'o ParseOptions,
    stack: Vec<Frame>,
    format: Option<FeedFormat>,
    /// The namespace of an Atom `feed` root under a URI the parser does not know.
    atom_alias: Option<String>,
    /// Whether the root is a `feed` in no namespace, whose un-namespaced elements are Atom's.
    atom_unbound: bool,
    title: Option<String>,
    alt_title: Option<String>,
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
        atom_alias: None,
        atom_unbound: false,
        title: None,
        alt_title: None,
        link: None,
        items: Vec::new(),
        dropped_items: 0,
        item: None,
        capture: None,
    };

    let damage = loop {
        let (ns, event) = match reader.read_resolved_event() {
            Ok((result, event)) => (state.namespace(&result, &event), event),
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
                // Character references (also HTML's `&#X41;`) and HTML5 names; undefined (or
                // DTD-declared) entities are never expanded: kept as written.
                let name: &str = &r;
                let mut buf = [0u8; 4];
                match super::text::entity(name, &mut buf) {
                    Some(text) => state.push_text(text),
                    None => state.push_text(&format!("&{name};")),
                }
            }
            Event::Eof => break None,
            Event::Decl(_) | Event::PI(_) | Event::DocType(_) | Event::Comment(_) => {}
        }
    };

    state.finish(damage)
}

impl State<'_> {
    /// What an element's namespace is to the parser. An Atom `feed` root under an unknown URI
    /// makes that URI Atom's for the rest of the document, and one in no namespace makes
    /// un-namespaced elements Atom's.
    fn namespace(&mut self, result: &ResolveResult<'_>, event: &Event<'_>) -> Ns {
        let ns = Ns::resolve(result);
        let root_feed = self.stack.is_empty()
            && self.format.is_none()
            && matches!(event, Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "feed");
        match result {
            ResolveResult::Bound(uri) if self.atom_alias.as_deref() == Some(uri.0) => Ns::Atom,
            ResolveResult::Bound(uri)
                if root_feed && ns == Ns::Other && uri.0.len() <= MAX_NAMESPACE_BYTES =>
            {
                self.atom_alias = Some(uri.0.to_owned());
                Ns::Atom
            }
            ResolveResult::Unbound if self.atom_unbound => Ns::Atom,
            ResolveResult::Unbound if root_feed => {
                self.atom_unbound = true;
                Ns::Atom
            }
            _ => ns,
        }
    }

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
        self.mark_boundary(local);

        // Atom links and categories carry their value in attributes, not content.
        if node == Node::Field(Field::Link) && ns.is_atom() {
            self.atom_link(start, base.clone());
            node = Node::Other;
        } else if node == Node::Field(Field::Category) && ns.is_atom() {
            let label = attr(start, "label").or_else(|| attr(start, "term"));
            self.finish_field(Field::Category, label.unwrap_or_default());
            node = Node::Other;
        }
        if node == Node::Field(Field::Guid) && ns.is_rss() {
            if let Some(draft) = self.item.as_mut().filter(|d| d.guid.is_none()) {
                draft.guid_is_permalink = attr(start, "isPermaLink")
                    .is_none_or(|v| v.trim().eq_ignore_ascii_case("true"));
            }
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
                let construct = matches!(field, Field::Title | Field::Summary | Field::Content);
                let markup = if construct && ns.is_atom() {
                    Markup::of_atom(start)
                } else {
                    Markup::Html
                };
                self.capture = Some(Capture {
                    field,
                    depth: self.stack.len(),
                    text: String::new(),
                    markup,
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
                (n, "rss") if n.is_rss() => {
                    match attr(start, "version").as_deref().map(str::trim) {
                        Some("0.90" | "0.91") => FeedFormat::Rss09,
                        _ => FeedFormat::Rss2,
                    }
                }
                (Ns::Rdf, "RDF") | (Ns::None, "RDF") => FeedFormat::Rss1,
                (Ns::Atom03, "feed") => FeedFormat::Atom03,
                (Ns::Atom | Ns::None, "feed") => FeedFormat::Atom1,
                _ => {
                    let name = start.name();
                    let name: String = name
                        .0
                        .chars()
                        .take(MAX_ROOT_NAME_CHARS)
                        .map(|c| {
                            if c.is_control() || super::text::is_invisible(c) {
                                '\u{FFFD}'
                            } else {
                                c
                            }
                        })
                        .collect();
                    return Err(FeedError::NotAFeed(name));
                }
            });
            return Ok(if local == "feed" {
                Node::Channel
            } else {
                Node::Root
            });
        };
        if self.capture.is_some() {
            let author_address =
                matches!(self.capture.as_ref().map(|c| c.field), Some(Field::Author))
                    && matches!(local, "email" | "uri" | "url");
            let hidden = HIDDEN_TAGS
                .iter()
                .any(|tag| tag.eq_ignore_ascii_case(local));
            return Ok(if author_address || hidden {
                Node::Muted
            } else {
                Node::Other
            });
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
                (n, "title") if n.is_dc() => Node::Field(Field::AltTitle),
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
                (n, "body" | "fullitem") if n.is_rss() || n == Ns::Xhtml => {
                    Node::Field(Field::Content)
                }
                (Ns::Media, "group") => Node::MediaGroup,
                (Ns::Media, "title") => Node::Field(Field::AltTitle),
                (Ns::Media, "description") | (Ns::Itunes, "summary") => {
                    Node::Field(Field::AltDescription)
                }
                (n, "guid") if n.is_rss() => Node::Field(Field::Guid),
                (n, "id") if n.is_atom() => Node::Field(Field::Guid),
                (n, "pubDate" | "pubdate") if n.is_rss() => {
                    Node::Field(Field::Date(DateKind::Published))
                }
                (n, "published" | "issued") if n.is_atom() => {
                    Node::Field(Field::Date(DateKind::Published))
                }
                (n, "created") if n.is_atom() => Node::Field(Field::Date(DateKind::Created)),
                (n, "updated" | "modified") if n.is_atom() => {
                    Node::Field(Field::Date(DateKind::Updated))
                }
                (n, "author") if n.is_rss() => Node::Field(Field::Author),
                (n, "author" | "contributor") if n.is_atom() => Node::Field(Field::Author),
                (n, "category") if n.is_rss() || n.is_atom() => Node::Field(Field::Category),
                (n, dc) if n.is_dc() => match dc {
                    "title" => Node::Field(Field::AltTitle),
                    "description" => Node::Field(Field::AltDescription),
                    "date" => Node::Field(Field::Date(DateKind::DcDate)),
                    "issued" => Node::Field(Field::Date(DateKind::DcIssued)),
                    "created" => Node::Field(Field::Date(DateKind::Created)),
                    "modified" => Node::Field(Field::Date(DateKind::DcModified)),
                    "creator" => Node::Field(Field::DcCreator),
                    "subject" => Node::Field(Field::Category),
                    _ => Node::Other,
                },
                _ => Node::Other,
            },
            Node::MediaGroup => match (ns, local) {
                (Ns::Media, "title") => Node::Field(Field::AltTitle),
                (Ns::Media, "description") => Node::Field(Field::AltDescription),
                _ => Node::Other,
            },
            _ => Node::Other,
        })
    }

    /// The xml:base in force for an element, resolved against its parent's; one longer than
    /// a link may be is ignored (every open element keeps its base).
    fn element_base(&self, start: &BytesStart<'_>) -> Option<Url> {
        let value = start
            .attributes()
            .flatten()
            .find(|a| a.key.0 == "xml:base")
            .map(|a| attr_value(&a))
            .filter(|v| v.len() <= MAX_LINK_BYTES)?;
        match self.base() {
            Some(parent) => parent.join(value.trim()).ok(),
            None => Url::parse(value.trim()).ok(),
        }
        .filter(|url| url.as_str().len() <= MAX_LINK_BYTES)
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

    /// Markup inside a captured text field (XHTML content, HTML left unescaped) separates words
    /// where a browser would: at every element but the inline ones.
    fn mark_boundary(&mut self, local: &str) {
        let in_text = self
            .capture
            .as_ref()
            .is_some_and(|c| c.field != Field::Link);
        if in_text && !INLINE_TAGS.contains(&local.to_ascii_lowercase().as_str()) {
            self.push_text(" ");
        }
    }

    fn closed(&mut self, frame: Frame) {
        if !matches!(frame.node, Node::Field(_)) {
            self.mark_boundary(frame.name.rsplit(':').next().unwrap_or_default());
        }
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
                            let text = capture.markup.to_html(capture.text);
                            self.finish_field(capture.field, text);
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
            let slot = match field {
                Field::Title => &mut self.title,
                Field::AltTitle => &mut self.alt_title,
                _ => return,
            };
            if slot.is_none() {
                *slot = Some(text);
            }
            return;
        };
        let slot = match field {
            Field::Title => &mut draft.title,
            Field::AltTitle => &mut draft.alt_title,
            Field::Summary => &mut draft.summary,
            Field::AltDescription => &mut draft.alt_description,
            Field::Content => &mut draft.content,
            Field::Guid => &mut draft.guid,
            Field::Date(kind) => &mut draft.dates[kind as usize],
            Field::Author => return push_label(&mut draft.authors, author_name(&text)),
            Field::DcCreator => return push_label(&mut draft.dc_authors, author_name(&text)),
            Field::Category => {
                return push_label(&mut draft.categories, html_to_text(&text, MAX_LABEL_CHARS))
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
        let guid = draft
            .guid
            .map(|g| g.trim().to_owned())
            .filter(|g| !g.is_empty());
        // Without a link, a permalink guid is the item's link.
        let permalink = guid
            .clone()
            .filter(|_| draft.guid_is_permalink)
            .map(|g| (g, None));
        let link = draft
            .link
            .or(draft.fallback_link)
            .or(permalink)
            .and_then(|(href, base)| {
                let base = base.as_ref().or(feed_base.as_ref());
                resolve(&href, base.or(self.options.base_url.as_ref()))
            });
        let title = first_filled([draft.title, draft.alt_title]).unwrap_or_default();
        let title = html_to_text(&title, MAX_TITLE_CHARS);
        let summary_source =
            first_filled([draft.summary, draft.alt_description, draft.content]).unwrap_or_default();
        let summary = html_to_text(&summary_source, self.options.max_summary_chars);
        let published = draft.dates.iter().flatten().find_map(|d| parse_date(d));
        let authors = if draft.authors.is_empty() {
            draft.dc_authors
        } else {
            draft.authors
        };
        self.items.push(FeedItem::from_parts(
            guid,
            title,
            link,
            summary,
            published,
            authors,
            draft.categories,
        ));
    }

    fn feed_link_url(&self) -> Option<Url> {
        let (href, base) = self.link.as_ref()?;
        match base.as_ref().or(self.options.base_url.as_ref()) {
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
        let link = self.link.as_ref().and_then(|(href, base)| {
            resolve(href, base.as_ref().or(self.options.base_url.as_ref()))
        });
        let title = first_filled([self.title, self.alt_title]).unwrap_or_default();
        Ok(Feed {
            title: html_to_text(&title, MAX_TITLE_CHARS),
            link,
            format,
            items: self.items,
            warning,
        })
    }
}

/// `href` as an absolute http(s) URL, resolved against `base` when relative. An absolute link is
/// kept as published (case and escapes untouched) unless it holds whitespace, control or
/// non-ASCII characters (a bidi override, say), which the URL's serialization escapes. Anything else is `None`: another scheme
/// (`javascript:`, `data:`, `vbscript:`, ...), a relative link without a base, or a link over
/// [`MAX_LINK_BYTES`].
pub(super) fn resolve(href: &str, base: Option<&Url>) -> Option<String> {
    let href = href.trim();
    if href.is_empty() || href.len() > MAX_LINK_BYTES {
        return None;
    }
    let (url, absolute) = match Url::parse(href) {
        Ok(url) => (url, true),
        Err(_) => (base?.join(href).ok()?, false),
    };
    if !matches!(url.scheme(), "http" | "https") || url.as_str().len() > MAX_LINK_BYTES {
        return None;
    }
    let as_published = absolute
        && href.is_ascii()
        && !href
            .chars()
            .any(|c| c.is_ascii_whitespace() || c.is_ascii_control());
    Some(if as_published {
        href.to_owned()
    } else {
        url.into()
    })
}

/// The first value that is not blank.
fn first_filled<const N: usize>(values: [Option<String>; N]) -> Option<String> {
    values.into_iter().flatten().find(|v| !v.trim().is_empty())
}

/// Adds a non-empty label not already there, up to [`MAX_LABELS`].
pub(super) fn push_label(labels: &mut Vec<String>, label: String) {
    if !label.is_empty() && labels.len() < MAX_LABELS && !labels.contains(&label) {
        labels.push(label);
    }
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
