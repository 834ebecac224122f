//! Query-string parameters, parsed strictly: malformed values are 400, out-of-range or
//! unknown values 422, unknown parameter names 400.

use super::error::ApiError;
use crate::classify::Category;
use crate::model::Timestamp;
use crate::store::PAGE_LIMITS;
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use std::collections::HashMap;

/// Page size when none is given.
pub const DEFAULT_LIMIT: usize = 20;

/// Parsed query parameters of one request.
pub struct Params(HashMap<String, String>);

impl Params {
    /// Parses a raw query string, allowing only `allowed` names, each at most once.
    pub fn parse(query: Option<&str>, allowed: &[&str]) -> Result<Self, ApiError> {
        let mut map = HashMap::new();
        for (key, value) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            if !allowed.contains(&key.as_ref()) {
                return Err(ApiError::bad_request(format!(
                    "unknown parameter {key:?}; allowed: {}",
                    allowed.join(", ")
                )));
            }
            if map
                .insert(key.clone().into_owned(), value.into_owned())
                .is_some()
            {
                return Err(ApiError::bad_request(format!(
                    "parameter {key:?} given twice"
                )));
            }
        }
        Ok(Self(map))
    }

    /// A raw value; an empty value counts as absent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// `limit`, within [`PAGE_LIMITS`], defaulting to [`DEFAULT_LIMIT`].
    pub fn limit(&self) -> Result<usize, ApiError> {
        let Some(raw) = self.get("limit") else {
            return Ok(DEFAULT_LIMIT);
        };
        let limit: i64 = raw
            .parse()
            .map_err(|_| ApiError::bad_request(format!("limit: {raw:?} is not a whole number")))?;
        usize::try_from(limit)
            .ok()
            .filter(|l| PAGE_LIMITS.contains(l))
            .ok_or_else(|| {
                ApiError::validation(format!(
                    "limit: must be between {} and {}",
                    PAGE_LIMITS.start(),
                    PAGE_LIMITS.end()
                ))
            })
    }

    /// `cursor`, as given.
    pub fn cursor(&self) -> Option<String> {
        self.get("cursor").map(str::to_owned)
    }

    /// A category name (any case); unknown names are 422.
    pub fn category(&self, name: &str) -> Result<Option<Category>, ApiError> {
        self.get(name)
            .map(|raw| {
                raw.parse::<Category>()
                    .map_err(|e| ApiError::validation(format!("{name}: {e}")))
            })
            .transpose()
    }

    /// An instant: RFC 3339, or a date `YYYY-MM-DD` (its start, or its end when `end_of_day`),
    /// within the years 0000 to 9999 in UTC (RFC 3339's, which sort keys are written in).
    pub fn time(&self, name: &str, end_of_day: bool) -> Result<Option<Timestamp>, ApiError> {
        let Some(raw) = self.get(name) else {
            return Ok(None);
        };
        let time = match crate::model::parse_timestamp(raw) {
            Some(t) => t,
            None => {
                let date = chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| {
                    ApiError::bad_request(format!(
                        "{name}: {raw:?} is not an RFC 3339 time or a YYYY-MM-DD date"
                    ))
                })?;
                let clock = if end_of_day {
                    chrono::NaiveTime::from_hms_opt(23, 59, 59).unwrap_or(chrono::NaiveTime::MIN)
                } else {
                    chrono::NaiveTime::MIN
                };
                date.and_time(clock).and_utc()
            }
        };
        if !(0..=9999).contains(&chrono::Datelike::year(&time)) {
            return Err(ApiError::validation(format!(
                "{name}: {raw:?} falls outside the years 0000 to 9999 (UTC)"
            )));
        }
        Ok(Some(time))
    }

    /// Epoch milliseconds, or an RFC 3339 instant converted to them.
    pub fn millis(&self, name: &str) -> Result<Option<i64>, ApiError> {
        let Some(raw) = self.get(name) else {
            return Ok(None);
        };
        if let Ok(ms) = raw.parse::<i64>() {
            return Ok(Some(ms));
        }
        crate::model::parse_timestamp(raw)
            .map(|t| Some(t.timestamp_millis()))
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "{name}: {raw:?} is not epoch milliseconds or an RFC 3339 time"
                ))
            })
    }
}

/// Checks that a window's start is not after its end.
pub fn ordered<T: PartialOrd>(
    from: Option<T>,
    to: Option<T>,
    names: (&str, &str),
) -> Result<(), ApiError> {
    match (from, to) {
        (Some(a), Some(b)) if a > b => Err(ApiError::validation(format!(
            "{} must not be after {}",
            names.0, names.1
        ))),
        _ => Ok(()),
    }
}

/// The one path parameter of a route (an id). A segment that does not decode as UTF-8 is the
/// JSON 400 of [`ApiError`], not axum's plain-text rejection.
pub struct PathParam(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PathParam {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(value) = Path::<String>::from_request_parts(parts, state).await?;
        Ok(Self(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time(query: &str) -> Result<Option<Timestamp>, ApiError> {
        Params::parse(Some(query), &["until"])?.time("until", true)
    }

    #[test]
    fn times_are_rfc3339_or_dates_within_four_digit_years() {
        let end = time("until=2026-11-30").expect("date");
        assert_eq!(
            end.map(|t| crate::model::format_timestamp(&t)).as_deref(),
            Some("2026-11-30T23:59:59Z")
        );
        assert!(time("until=9999-12-31T23:00:00Z").is_ok());
        for (query, status) in [
            ("until=9999-12-31T23:00:00-02:00", 422),
            ("until=-0001-01-01", 422),
            ("until=yesterday", 400),
        ] {
            let err = time(query).expect_err(query);
            assert_eq!(err.status.as_u16(), status, "{query}");
        }
    }
}
