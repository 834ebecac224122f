//! Timestamps stored as fixed-width RFC 3339 UTC strings (`2023-01-13T09:04:48Z`), which sort
//! as time both in DynamoDB and SQLite.

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use serde::{Deserialize, Deserializer, Serializer};

/// A UTC instant with whole seconds.
pub type Timestamp = DateTime<Utc>;

/// Formats `t` as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn format_timestamp(t: &Timestamp) -> String {
    t.trunc_subsecs(0)
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Parses any RFC 3339 instant to UTC, truncated to whole seconds.
pub fn parse_timestamp(s: &str) -> Option<Timestamp> {
    DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc).trunc_subsecs(0))
}

/// Serde for [`Timestamp`] fields in the fixed format.
pub mod rfc3339 {
    use super::*;

    /// Serializes in the fixed format.
    pub fn serialize<S: Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_timestamp(t))
    }

    /// Deserializes any RFC 3339 instant.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        let text = String::deserialize(d)?;
        parse_timestamp(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("not an RFC 3339 time: {text:?}")))
    }
}

/// Serde for `Option<Timestamp>` fields in the fixed format.
pub mod rfc3339_option {
    use super::*;

    /// Serializes in the fixed format, or null.
    pub fn serialize<S: Serializer>(t: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&format_timestamp(t)),
            None => s.serialize_none(),
        }
    }

    /// Deserializes any RFC 3339 instant, or null.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
        let text = Option::<String>::deserialize(d)?;
        text.map(|text| {
            parse_timestamp(&text)
                .ok_or_else(|| serde::de::Error::custom(format!("not an RFC 3339 time: {text:?}")))
        })
        .transpose()
    }
}
