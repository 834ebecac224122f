//! Choosing a feed's character encoding and decoding its bytes to UTF-8.

use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};
use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8, WINDOWS_1252};
use std::borrow::Cow;
use url::Url;

/// How many leading bytes are searched for the XML declaration.
const DECLARATION_WINDOW: usize = 1024;

/// Decodes feed bytes to text.
///
/// Precedence: a byte-order mark, then the HTTP charset the caller passes, then the XML
/// declaration's `encoding`, then UTF-8. Malformed sequences become U+FFFD. When nothing
/// declared an encoding and the bytes are not valid UTF-8, the encoding is guessed from the
/// bytes (chardetng, Firefox's detector) and the source's top-level domain: most often
/// windows-1252 (the usual mislabelled Latin-1 feed), else Big5, Shift_JIS, EUC-KR, KOI8-R,
/// windows-1255 and the other legacy ones. A multi-byte guess that would swallow markup (a
/// Latin-1 `\xe9` before `]]>` read as half a Big5 character) gives way to windows-1252.
pub fn decode<'a>(
    bytes: &'a [u8],
    http_charset: Option<&str>,
    source: Option<&Url>,
) -> Cow<'a, str> {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        return encoding.decode_without_bom_handling(&bytes[bom_len..]).0;
    }
    let declared = http_charset
        .and_then(|label| encoding_for_label(label.as_bytes()))
        .or_else(|| sniff_utf16(bytes))
        .or_else(|| declared_encoding(bytes));
    match declared {
        Some(encoding) => encoding.decode_without_bom_handling(bytes).0,
        None => match UTF_8.decode_without_bom_handling_and_without_replacement(bytes) {
            Some(text) => text,
            None => {
                let mut detector = EncodingDetector::new(Iso2022JpDetection::Deny);
                detector.feed(bytes, true);
                let tld = source.and_then(top_level_label);
                let guess = detector.guess(tld.as_deref().map(str::as_bytes), Utf8Detection::Deny);
                let text = guess.decode_without_bom_handling(bytes).0;
                if guess.is_single_byte() || keeps_markup(bytes, &text) {
                    text
                } else {
                    WINDOWS_1252.decode_without_bom_handling(bytes).0
                }
            }
        },
    }
}

/// The encoding a label names: the Encoding Standard's labels, and the spellings of Python's
/// codecs that feeds also declare (`windows_1251`, `macroman`, `mac-cyrillic`).
fn encoding_for_label(label: &[u8]) -> Option<&'static Encoding> {
    Encoding::for_label(label).or_else(|| {
        let label = String::from_utf8_lossy(label)
            .trim()
            .to_ascii_lowercase()
            .replace('_', "-");
        match label.as_str() {
            "macroman" | "mac-roman" => Some(encoding_rs::MACINTOSH),
            "maccyrillic" | "mac-cyrillic" => Some(encoding_rs::X_MAC_CYRILLIC),
            other => Encoding::for_label(other.as_bytes()),
        }
    })
}

/// Whether decoding kept every markup character of the bytes (a multi-byte encoding's trail
/// byte can be an ASCII `]`, say).
fn keeps_markup(bytes: &[u8], text: &str) -> bool {
    let markup = |c: u8| matches!(c, b'<' | b'>' | b']' | b'&');
    let in_bytes = bytes.iter().filter(|b| markup(**b)).count();
    let in_text = text.bytes().filter(|b| markup(*b)).count();
    in_bytes == in_text
}

/// The last label of `url`'s host, as chardetng takes it (lowercase ASCII, punycode for an
/// international one); none for an IP address.
fn top_level_label(url: &Url) -> Option<String> {
    let Some(url::Host::Domain(host)) = url.host() else {
        return None;
    };
    let label = host
        .trim_end_matches('.')
        .rsplit('.')
        .next()?
        .to_ascii_lowercase();
    let plain = !label.is_empty()
        && label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-');
    plain.then_some(label)
}

/// UTF-16 without a BOM shows as `<` next to a NUL byte.
fn sniff_utf16(bytes: &[u8]) -> Option<&'static Encoding> {
    match bytes {
        [b'<', 0, b'?' | b'r' | b'f', 0, ..] => Some(UTF_16LE),
        [0, b'<', 0, b'?' | b'r' | b'f', ..] => Some(UTF_16BE),
        _ => None,
    }
}

/// The `encoding` of an `<?xml ... ?>` declaration at the start of the document.
fn declared_encoding(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(DECLARATION_WINDOW)];
    let start = memchr::memmem::find(head, b"<?xml")?;
    let end = start + memchr::memmem::find(&head[start..], b"?>")?;
    let decl = &head[start..end];
    let at = memchr::memmem::find(decl, b"encoding")? + "encoding".len();
    let rest = decl[at..]
        .trim_ascii_start()
        .strip_prefix(b"=")?
        .trim_ascii_start();
    let quote = *rest.first().filter(|q| **q == b'"' || **q == b'\'')?;
    let value = &rest[1..];
    let label = &value[..memchr::memchr(quote, value)?];
    let encoding = encoding_for_label(label)?;
    // A declaration read from ASCII-compatible bytes cannot truthfully name UTF-16.
    Some(if encoding == UTF_16LE || encoding == UTF_16BE {
        UTF_8
    } else {
        encoding
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_wins_over_everything() {
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend_from_slice("<?xml version='1.0' encoding='ISO-8859-1'?><a>é</a>".as_bytes());
        assert!(decode(&bytes, Some("windows-1252"), None).ends_with("<a>é</a>"));
    }

    #[test]
    fn utf16_with_and_without_bom() {
        let text = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><rss>ñ</rss>";
        let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let mut with_bom = vec![0xFF, 0xFE];
        with_bom.extend_from_slice(&le);
        assert_eq!(decode(&with_bom, None, None), text);
        assert_eq!(decode(&le, None, None), text);
        let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(decode(&be, None, None), text);
    }

    #[test]
    fn declaration_and_http_charset() {
        let latin1 = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><t>Dallas Man\xe9</t>";
        assert!(decode(latin1, None, None).contains("Dallas Mané"));
        let utf8 = "<?xml version=\"1.0\"?><t>Doncic é</t>".as_bytes();
        assert!(decode(utf8, Some("utf-8"), None).contains("é"));
        // The HTTP charset outranks the declaration.
        assert!(decode(latin1, Some("utf-8"), None).contains('\u{FFFD}'));
    }

    #[test]
    fn python_codec_spellings_name_their_encodings() {
        for (label, byte, want) in [
            ("windows_1251", 0x80, 'Ђ'),
            ("macroman", 0x80, 'Ä'),
            ("mac-cyrillic", 0x80, 'А'),
            ("MacCyrillic", 0x80, 'А'),
            ("ISO_8859_2", 0xA3, 'Ł'),
        ] {
            let mut doc = format!("<?xml version=\"1.0\" encoding=\"{label}\"?><t>").into_bytes();
            doc.extend_from_slice(&[byte, b'<', b'/', b't', b'>']);
            assert!(
                decode(&doc, None, None).ends_with(&format!("<t>{want}</t>")),
                "{label}"
            );
            assert!(
                decode(&doc[doc.len() - 5..], Some(label), None).starts_with(want),
                "{label}"
            );
        }
    }

    /// Three bytes of British text read as Czech from a .com but as British from a .co.uk.
    #[test]
    fn the_source_domain_steers_the_guess() {
        let bytes = b"<t>This is a \xa3\x93test.\x94</t>";
        let from = |url: &str| Url::parse(url).ok();
        let uk = from("https://news.example.co.uk/feed");
        assert_eq!(
            decode(bytes, None, uk.as_ref()),
            "<t>This is a £“test.”</t>"
        );
        assert_eq!(decode(bytes, None, None), "<t>This is a Ł“test.”</t>");
        // Hosts chardetng takes no hint from: an address, a trailing dot, punycode.
        for odd in [
            "https://10.0.0.1/",
            "https://example.uk./",
            "https://xn--80ak6aa92e.xn--p1ai/",
        ] {
            assert!(
                decode(bytes, None, from(odd).as_ref()).contains("test."),
                "{odd}"
            );
        }
    }

    #[test]
    fn a_guess_that_would_swallow_markup_gives_way_to_windows_1252() {
        // As Big5, \xe9] is one character and the CDATA section would never close.
        let bytes = b"<t><![CDATA[caf\xe9]]></t>";
        let big5 = encoding_rs::BIG5.decode_without_bom_handling(bytes).0;
        assert!(!keeps_markup(bytes, &big5), "{big5}");
        assert!(keeps_markup(
            bytes,
            &WINDOWS_1252.decode_without_bom_handling(bytes).0
        ));
        assert_eq!(decode(bytes, None, None), "<t><![CDATA[caf\u{e9}]]></t>");
    }

    #[test]
    fn undeclared_invalid_utf8_falls_back_to_windows_1252() {
        assert_eq!(
            decode(b"<t>caf\xe9 \x93q\x94</t>", None, None),
            "<t>caf\u{e9} \u{201c}q\u{201d}</t>"
        );
    }

    /// Feeds in legacy encodings that declare none, as feedparser's `illformed/chardet` cases
    /// are: each decodes to its text, not to windows-1252 mojibake.
    #[test]
    fn undeclared_legacy_encodings_are_detected() {
        let cases = [
            (encoding_rs::BIG5, "我希望這篇文章很容易翻譯成中文，並有助於改進軟件。感謝您閱讀本文。"),
            (encoding_rs::SHIFT_JIS, "この記事を日本語に翻訳するのは簡単で、ソフトウェアの改善に役立つことを願っています。"),
            (encoding_rs::EUC_KR, "이 기사를 한국어로 번역하기 쉽고 소프트웨어 개선에 도움이 되기를 바랍니다."),
            (encoding_rs::WINDOWS_1252, "El base español Ñíguez firmó con los Celtics, según fuentes: «acuerdo cerrado»."),
            (encoding_rs::KOI8_R, "Надеюсь, эту статью будет легко перевести на русский язык."),
            (encoding_rs::WINDOWS_1255, "אני מקווה שקל לתרגם את המאמר הזה לעברית ושהוא יעזור לשפר את התוכנה."),
        ];
        for (encoding, text) in cases {
            let doc =
                format!("<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>{text}</title></feed>");
            let (bytes, _, unmappable) = encoding.encode(&doc);
            assert!(!unmappable, "{}", encoding.name());
            assert_eq!(decode(&bytes, None, None), doc, "{}", encoding.name());
        }
    }
}
