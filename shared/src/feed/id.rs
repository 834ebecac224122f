//! Stable item identifiers: SHA-256 of the guid, else of the canonical link, else of title + date.

use sha2::{Digest, Sha256};
use url::Url;

/// Hex SHA-256 of `input`; identical across runs, machines and Rust versions.
pub fn sha256_hex(input: &[u8]) -> String {
    hex::encode(Sha256::digest(input))
}

/// Canonical form of a link for identity: scheme and host lowercased, fragment and `utm_*`
/// parameters dropped. A link that is not an absolute URL is returned trimmed, as written.
pub fn canonical_link(link: &str) -> String {
    let trimmed = link.trim();
    let Ok(mut url) = Url::parse(trimmed) else {
        return trimmed.to_owned();
    };
    url.set_fragment(None);
    if url.query().is_some() {
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(key, _)| !key.to_ascii_lowercase().starts_with("utm_"))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if kept.is_empty() {
            url.set_query(None);
        } else {
            url.query_pairs_mut().clear().extend_pairs(kept);
        }
    }
    url.into()
}

/// The stable id of an item, from the first identity it has.
pub fn item_id(
    guid: Option<&str>,
    link: Option<&str>,
    title: &str,
    published: Option<&str>,
) -> String {
    if let Some(guid) = guid.map(str::trim).filter(|g| !g.is_empty()) {
        return sha256_hex(guid.as_bytes());
    }
    if let Some(link) = link.map(str::trim).filter(|l| !l.is_empty()) {
        return sha256_hex(canonical_link(link).as_bytes());
    }
    sha256_hex(format!("{}\n{}", title.trim(), published.unwrap_or("")).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_is_the_standard_digest() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn canonical_link_normalises_identity_only() {
        assert_eq!(
            canonical_link(
                "HTTPS://WWW.ESPN.com/nba/story/_/id/1?utm_source=rss&x=1&UTM_medium=a#top"
            ),
            "https://www.espn.com/nba/story/_/id/1?x=1"
        );
        assert_eq!(
            canonical_link("https://a.com/p?utm_source=x"),
            "https://a.com/p"
        );
        assert_eq!(canonical_link(" /relative/path "), "/relative/path");
    }

    #[test]
    fn id_prefers_guid_then_link_then_title() {
        let by_guid = item_id(Some("tag:espn,1"), Some("https://a.com/x"), "T", None);
        assert_eq!(by_guid, sha256_hex(b"tag:espn,1"));
        let by_link = item_id(Some("  "), Some("https://A.com/x#frag"), "T", None);
        assert_eq!(by_link, sha256_hex(b"https://a.com/x"));
        let by_title = item_id(None, None, "T", Some("2023-01-01T00:00:00Z"));
        assert_eq!(by_title, sha256_hex(b"T\n2023-01-01T00:00:00Z"));
    }
}
