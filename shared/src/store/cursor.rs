//! Opaque, URL-safe pagination cursors.
//!
//! A cursor names the query it belongs to (its scope) and the position after which the next
//! page starts. Both backends use the same cursors; a cursor that does not decode, names
//! another scope or holds a malformed position is [`StoreError::InvalidCursor`].

use super::StoreError;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

const VERSION: u8 = 1;

#[derive(Serialize, Deserialize)]
struct Payload {
    v: u8,
    s: String,
    a: String,
}

/// Encodes a position within `scope`.
pub fn encode(scope: &str, after: &str) -> String {
    let payload = Payload {
        v: VERSION,
        s: scope.to_owned(),
        a: after.to_owned(),
    };
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&payload).unwrap_or_default())
}

/// Decodes a cursor of `scope`, checking the position with `valid`.
pub fn decode(
    cursor: &str,
    scope: &str,
    valid: impl Fn(&str) -> bool,
) -> Result<String, StoreError> {
    if cursor.len() > 1024 {
        return Err(StoreError::InvalidCursor);
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor.trim())
        .map_err(|_| StoreError::InvalidCursor)?;
    let payload: Payload = serde_json::from_slice(&bytes).map_err(|_| StoreError::InvalidCursor)?;
    if payload.v != VERSION || payload.s != scope || !valid(&payload.a) {
        return Err(StoreError::InvalidCursor);
    }
    Ok(payload.a)
}

/// Whether `s` is a news sort key: `<YYYY-MM-DDTHH:MM:SSZ>#<64 hex>`.
pub fn is_news_sort_key(s: &str) -> bool {
    s.split_once('#').is_some_and(|(time, id)| {
        time.len() == 20 && crate::model::parse_timestamp(time).is_some() && is_item_id(id)
    })
}

/// Whether `s` is an item id: 64 lowercase hex digits.
pub fn is_item_id(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Whether `s` is a user id (a UUID).
pub fn is_user_id(s: &str) -> bool {
    uuid::Uuid::parse_str(s).is_ok()
}

/// Whether `s` is an epoch-millisecond reading time.
pub fn is_reading_time(s: &str) -> bool {
    s.parse::<i64>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_rejections() {
        let cursor = encode("users", "0190f0a2-7c5e-7d6b-8a1f-0123456789ab");
        assert!(cursor
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(
            decode(&cursor, "users", is_user_id).as_deref(),
            Ok("0190f0a2-7c5e-7d6b-8a1f-0123456789ab")
        );
        assert_eq!(
            decode(&cursor, "news|all", is_user_id),
            Err(StoreError::InvalidCursor)
        );
        assert_eq!(
            decode("not base64!!", "users", is_user_id),
            Err(StoreError::InvalidCursor)
        );
        assert_eq!(
            decode(&URL_SAFE_NO_PAD.encode(b"{}"), "users", is_user_id),
            Err(StoreError::InvalidCursor)
        );
        let forged = encode("users", "'; DROP TABLE users; --");
        assert_eq!(
            decode(&forged, "users", is_user_id),
            Err(StoreError::InvalidCursor)
        );
    }
}
