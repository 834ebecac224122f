//! Turning feed markup into plain text: entities decoded, tags stripped, whitespace collapsed.

/// Longest entity name looked for after `&` (HTML5's longest is 32 characters).
const MAX_ENTITY_LEN: usize = 40;

/// The text of an HTML5 named entity, XML's five included (`alpha` → `α`), from WHATWG's table
/// (quick-xml's maps 444 names to wrong characters, `ccaron` to U+0010).
fn named_entity(name: &str) -> Option<&'static str> {
    if name.len() > MAX_ENTITY_LEN {
        return None;
    }
    // The table's keys are whole references: `&alpha;`.
    let mut key = [0u8; MAX_ENTITY_LEN + 2];
    let end = name.len() + 2;
    key[0] = b'&';
    key[1..end - 1].copy_from_slice(name.as_bytes());
    key[end - 1] = b';';
    std::str::from_utf8(htmlize::ENTITIES.get(&key[..end])?).ok()
}

/// What one entity body (the text between `&` and `;`) stands for: a numeric reference
/// (written into `buf`), or an XML or HTML5 name; `None` when it stands for nothing.
pub(super) fn entity<'a>(body: &str, buf: &'a mut [u8; 4]) -> Option<&'a str> {
    let Some(num) = body.strip_prefix('#') else {
        return named_entity(body);
    };
    let code = match num.strip_prefix(['x', 'X']) {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => num.parse::<u32>().ok(),
    };
    // HTML reads `&#150;` as windows-1252's dash, in attributes (links) too.
    let ch = code.filter(|c| *c != 0).and_then(char::from_u32)?;
    Some(c1_as_windows_1252(ch).encode_utf8(buf))
}

/// Whether `c` is a C1 control character (U+0080 to U+009F).
fn is_c1(c: char) -> bool {
    ('\u{80}'..='\u{9f}').contains(&c)
}

/// A C1 control character as windows-1252 reads its byte, as browsers show it: text that was
/// decoded as Latin-1 once (`don\u{92}t`, `&#146;`) reads `don’t`. Other characters as they are.
fn c1_as_windows_1252(c: char) -> char {
    let Some(byte) = u8::try_from(u32::from(c)).ok().filter(|_| is_c1(c)) else {
        return c;
    };
    let bytes = [byte];
    let (decoded, _, _) = encoding_rs::WINDOWS_1252.decode(&bytes);
    decoded.chars().next().unwrap_or(c)
}

/// Decodes HTML entities leniently: unknown or unterminated references stay as written.
pub fn decode_entities(input: &str) -> std::borrow::Cow<'_, str> {
    if !input.contains('&') {
        return std::borrow::Cow::Borrowed(input);
    }
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let window = &after[..floor_char_boundary(after, MAX_ENTITY_LEN)];
        let mut buf = [0u8; 4];
        let resolved = match window.find(';') {
            Some(semi) => entity(&window[..semi], &mut buf).map(|text| (semi, text)),
            None => None,
        };
        match resolved {
            Some((semi, text)) => {
                out.push_str(text);
                rest = &after[semi + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

/// Largest char boundary of `s` not above `max`.
pub(crate) fn floor_char_boundary(s: &str, max: usize) -> usize {
    if max >= s.len() {
        return s.len();
    }
    let mut i = max;
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Inline elements whose tags join the surrounding text without a space.
pub(super) const INLINE_TAGS: &[&str] = &[
    "a", "abbr", "b", "cite", "code", "em", "font", "i", "small", "span", "strong", "sub", "sup",
    "u",
];

/// Elements whose whole content is dropped.
pub(super) const HIDDEN_TAGS: &[&str] = &["script", "style", "noscript", "template"];

/// Converts an HTML fragment to one line of plain text of at most `max_chars` characters.
///
/// Tags are removed (block tags become spaces), script and style content is dropped,
/// entities are decoded, runs of whitespace become one space, and a cut text ends in `…`.
pub fn html_to_text(input: &str, max_chars: usize) -> String {
    let stripped = strip_tags(input);
    let decoded = decode_entities(&stripped);
    collapse_and_cap(&decoded, max_chars)
}

fn strip_tags(input: &str) -> std::borrow::Cow<'_, str> {
    if !input.contains('<') {
        return std::borrow::Cow::Borrowed(input);
    }
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        let after = &rest[lt + 1..];
        let starts_tag = after
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || matches!(c, '/' | '!' | '?'));
        if !starts_tag {
            out.push('<');
            rest = after;
            continue;
        }
        if let Some(body) = after.strip_prefix("!--") {
            rest = body.find("-->").map_or("", |end| &body[end + 3..]);
            out.push(' ');
            continue;
        }
        let Some(gt) = after.find('>') else {
            // An unterminated tag at the end: drop it.
            rest = "";
            break;
        };
        let tag = &after[..gt];
        rest = &after[gt + 1..];
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        if !tag.starts_with('/') && HIDDEN_TAGS.contains(&name.as_str()) {
            rest = skip_hidden(rest, &name);
            out.push(' ');
        } else if !INLINE_TAGS.contains(&name.as_str()) {
            out.push(' ');
        }
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

/// Skips past the closing tag of a hidden element such as `</script>` (any case), reading
/// only as far as it: a text of many hidden elements costs one pass.
fn skip_hidden<'a>(rest: &'a str, name: &str) -> &'a str {
    let bytes = rest.as_bytes();
    let closing = memchr::memmem::find_iter(bytes, b"</").find(|&at| {
        bytes
            .get(at + 2..at + 2 + name.len())
            .is_some_and(|n| n.eq_ignore_ascii_case(name.as_bytes()))
    });
    match closing {
        Some(pos) => rest[pos..].find('>').map_or("", |gt| &rest[pos + gt + 1..]),
        None => "",
    }
}

/// Invisible formatting characters dropped from text: the zero-width space, bidi marks,
/// embeddings, overrides and isolates, the word joiner and invisible operators, and the BOM (a
/// title could otherwise render reversed, or hide a name from the recognisers). The zero-width
/// (non-)joiners stay: emoji sequences and Persian and Indic scripts need them.
pub(super) fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// Collapses whitespace (including non-breaking spaces) to single spaces, trims, and caps length
/// at `max_chars` characters, the `…` that marks a cut included. Invisible characters are
/// dropped and C1 controls read as windows-1252.
pub fn collapse_and_cap(input: &str, max_chars: usize) -> String {
    if max_chars == 0 {
        return String::new();
    }
    let mut out = String::with_capacity(input.len().min(max_chars * 4));
    let mut count = 0;
    let visible: std::borrow::Cow<'_, str> = if input.contains(|c| is_invisible(c) || is_c1(c)) {
        std::borrow::Cow::Owned(
            input
                .chars()
                .filter(|c| !is_invisible(*c))
                .map(c1_as_windows_1252)
                .collect(),
        )
    } else {
        std::borrow::Cow::Borrowed(input)
    };
    for word in visible.split(|c: char| c.is_whitespace() || c.is_control()) {
        if word.is_empty() {
            continue;
        }
        let separator = usize::from(count > 0);
        let extra = separator + word.chars().count();
        if count + extra > max_chars {
            let keep = max_chars - 1;
            if let Some((cut, _)) = out.char_indices().nth(keep) {
                out.truncate(cut);
            } else {
                if separator > 0 {
                    out.push(' ');
                }
                out.extend(word.chars().take(keep.saturating_sub(count + separator)));
            }
            out.truncate(out.trim_end().len());
            out.push('…');
            return out;
        }
        if separator > 0 {
            out.push(' ');
        }
        out.push_str(word);
        count += extra;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_elements_close_in_any_case_and_invisible_characters_go() {
        assert_eq!(
            html_to_text("<style>a</style>x<STYLE>b</Style>y<script>z", 100),
            "x y"
        );
        assert_eq!(
            collapse_and_cap("Lakers trade \u{202E}fdp.exe", 100),
            "Lakers trade fdp.exe"
        );
        assert_eq!(
            collapse_and_cap("Le\u{200B}Bron James", 100),
            "LeBron James"
        );
        let family = "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467} fans";
        assert_eq!(collapse_and_cap(family, 100), family, "joiners stay");
    }

    #[test]
    fn strips_tags_and_decodes_entities() {
        let html =
            "<p>Lakers&nbsp;trade <b>Russell</b> &amp; a pick</p><br/>to the <a href='x'>Jazz</a>";
        assert_eq!(
            html_to_text(html, 200),
            "Lakers trade Russell & a pick to the Jazz"
        );
    }

    #[test]
    fn drops_script_style_and_comments() {
        let html = "A<script>alert('x<y')</script>B<!-- hidden -->C<style>p{}</style>";
        assert_eq!(html_to_text(html, 200), "A B C");
    }

    /// Every HTML5 name quick-xml's table got wrong, as they appear in NBA names.
    #[test]
    fn named_entities_follow_whatwg() {
        assert_eq!(
            decode_entities(
                "Luka Don&ccaron;i&cacute;, Nikola Joki&cacute;, Dario &Scaron;ari&cacute;"
            ),
            "Luka Dončić, Nikola Jokić, Dario Šarić"
        );
        assert_eq!(
            decode_entities("&alpha;&beta;&Alpha;&chi;&fnof;&OverBar;&NotEqualTilde;"),
            "αβΑχƒ‾\u{2242}\u{338}"
        );
    }

    #[test]
    fn keeps_unknown_entities_and_bare_ampersands() {
        assert_eq!(
            decode_entities("AT&T &bogus; &#x2019; &#8217; &#0; &#150;"),
            "AT&T &bogus; \u{2019} \u{2019} &#0; \u{2013}"
        );
    }

    #[test]
    fn c1_controls_read_as_windows_1252() {
        assert_eq!(
            html_to_text("don&#146;t &#150; don\u{92}t", 100),
            "don’t – don’t"
        );
        // Bytes windows-1252 leaves undefined stay control characters, which separate words.
        assert_eq!(html_to_text("a\u{81}b", 100), "a b");
    }

    #[test]
    fn lone_angle_brackets_are_text() {
        assert_eq!(html_to_text("3 < 4 and 5 > 2", 100), "3 < 4 and 5 > 2");
    }

    #[test]
    fn caps_length_with_ellipsis() {
        assert_eq!(collapse_and_cap("one two three four", 9), "one two…");
        assert_eq!(collapse_and_cap("abcdefghij", 5), "abcd…");
        // Found by `cargo fuzz run feed`: a text exactly at the cap, then one more word.
        assert_eq!(collapse_and_cap("abc def", 3), "ab…");
        assert_eq!(collapse_and_cap("ab cd ef", 5), "ab c…");
        assert_eq!(collapse_and_cap("abc", 0), "");
        assert_eq!(collapse_and_cap("  spaced\n\t out  ", 100), "spaced out");
    }
}
