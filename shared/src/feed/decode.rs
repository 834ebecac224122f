//! Choosing a feed's character encoding and decoding its bytes to UTF-8.

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8, WINDOWS_1252};
use std::borrow::Cow;

/// How many leading bytes are searched for the XML declaration.
const DECLARATION_WINDOW: usize = 1024;

/// Decodes feed bytes to text.
///
/// Precedence: a byte-order mark, then the HTTP charset the caller passes, then the XML
/// declaration's `encoding`, then UTF-8. Malformed sequences become U+FFFD. When nothing
/// declared an encoding and the bytes are not valid UTF-8, windows-1252 is used instead
/// (the usual mislabelled Latin-1 feed).
pub fn decode<'a>(bytes: &'a [u8], http_charset: Option<&str>) -> Cow<'a, str> {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        return encoding.decode_without_bom_handling(&bytes[bom_len..]).0;
    }
    let declared = http_charset
        .and_then(|label| Encoding::for_label(label.trim().as_bytes()))
        .or_else(|| sniff_utf16(bytes))
        .or_else(|| declared_encoding(bytes));
    match declared {
        Some(encoding) => encoding.decode_without_bom_handling(bytes).0,
        None => match UTF_8.decode_without_bom_handling_and_without_replacement(bytes) {
            Some(text) => text,
            None => WINDOWS_1252.decode_without_bom_handling(bytes).0,
        },
    }
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
    let encoding = Encoding::for_label(label)?;
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
        assert!(decode(&bytes, Some("windows-1252")).ends_with("<a>é</a>"));
    }

    #[test]
    fn utf16_with_and_without_bom() {
        let text = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><rss>ñ</rss>";
        let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let mut with_bom = vec![0xFF, 0xFE];
        with_bom.extend_from_slice(&le);
        assert_eq!(decode(&with_bom, None), text);
        assert_eq!(decode(&le, None), text);
        let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(decode(&be, None), text);
    }

    #[test]
    fn declaration_and_http_charset() {
        let latin1 = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><t>Dallas Man\xe9</t>";
        assert!(decode(latin1, None).contains("Dallas Mané"));
        let utf8 = "<?xml version=\"1.0\"?><t>Doncic é</t>".as_bytes();
        assert!(decode(utf8, Some("utf-8")).contains("é"));
        // The HTTP charset outranks the declaration.
        assert!(decode(latin1, Some("utf-8")).contains('\u{FFFD}'));
    }

    #[test]
    fn undeclared_invalid_utf8_falls_back_to_windows_1252() {
        assert_eq!(
            decode(b"<t>caf\xe9 \x93q\x94</t>", None),
            "<t>café \u{201c}q\u{201d}</t>"
        );
    }
}
