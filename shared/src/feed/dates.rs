//! Lenient date parsing for feeds: RFC 822 as published in the wild, and ISO 8601 / W3C-DTF.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

/// Parses a feed date to UTC, or `None` when it cannot be read (never "now").
///
/// Accepts RFC 822/2822 with real-world variants (named zones, missing weekday, one-digit day,
/// two-digit year, missing seconds, missing zone taken as UTC) and RFC 3339 / W3C-DTF / ISO 8601
/// with or without a zone (no zone means UTC; a bare date means midnight UTC).
pub fn parse_date(input: &str) -> Option<DateTime<Utc>> {
    let s = input.trim();
    if s.is_empty() || s.len() > 64 {
        return None;
    }
    let bytes = s.as_bytes();
    let iso = bytes[0].is_ascii_digit() && (bytes.get(4) == Some(&b'-') || bytes.len() == 4);
    if iso {
        parse_iso8601(s)
    } else {
        parse_rfc822(s)
    }
}

fn parse_iso8601(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt.with_timezone(&Utc));
    }
    let (date_part, time_part) = match s.find(['T', 't', ' ']) {
        Some(i) => (&s[..i], Some(s[i + 1..].trim())),
        None => (s, None),
    };
    let date = parse_iso_date(date_part)?;
    let Some(time_part) = time_part.filter(|t| !t.is_empty()) else {
        return Some(Utc.from_utc_datetime(&date.and_time(NaiveTime::MIN)));
    };
    let (clock, offset) = split_zone(time_part)?;
    let time = parse_clock(clock)?;
    to_utc(date.and_time(time), offset)
}

fn parse_iso_date(s: &str) -> Option<NaiveDate> {
    let mut parts = s.split('-');
    let year: i32 = parse_digits(parts.next()?, 4)?;
    let month = parts.next().map_or(Some(1), |m| parse_digits(m, 2))?;
    let day = parts.next().map_or(Some(1), |d| parse_digits(d, 2))?;
    if parts.next().is_some() {
        return None;
    }
    NaiveDate::from_ymd_opt(year, month, day)
}

/// Splits `HH:MM[:SS[.fff]]` from a trailing `Z`, `±HH:MM`, `±HHMM` or `±HH` zone.
fn split_zone(s: &str) -> Option<(&str, Option<FixedOffset>)> {
    if let Some(clock) = s.strip_suffix(['Z', 'z']) {
        return Some((clock, FixedOffset::east_opt(0)));
    }
    match s.rfind(['+', '-']) {
        Some(i) => Some((&s[..i], Some(parse_numeric_offset(&s[i..])?))),
        None => Some((s, None)),
    }
}

fn parse_numeric_offset(s: &str) -> Option<FixedOffset> {
    let sign = match s.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits: String = s[1..].chars().filter(|c| *c != ':').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (hours, minutes): (i32, i32) = match digits.len() {
        2 => (digits.parse().ok()?, 0),
        4 => (digits[..2].parse().ok()?, digits[2..].parse().ok()?),
        _ => return None,
    };
    if hours > 14 || minutes > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))
}

fn parse_clock(s: &str) -> Option<NaiveTime> {
    let (whole, frac) = match s.split_once(['.', ',']) {
        Some((w, f)) => (w, Some(f)),
        None => (s, None),
    };
    let mut parts = whole.split(':');
    let hour = parse_digits(parts.next()?, 2)?;
    let minute = parse_digits(parts.next()?, 2)?;
    let second = parts.next().map_or(Some(0), |x| parse_digits(x, 2))?;
    if parts.next().is_some() {
        return None;
    }
    let nanos = match frac {
        Some(f) if !f.is_empty() && f.len() <= 9 && f.bytes().all(|b| b.is_ascii_digit()) => {
            f.parse::<u32>().ok()? * 10u32.pow(9 - u32::try_from(f.len()).ok()?)
        }
        Some(_) => return None,
        None => 0,
    };
    // A leap second (:60) is read as the last second of the minute.
    NaiveTime::from_hms_nano_opt(hour, minute, second.min(59), nanos)
}

fn parse_digits<T: std::str::FromStr>(s: &str, max_len: usize) -> Option<T> {
    if s.is_empty() || s.len() > max_len || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn to_utc(naive: NaiveDateTime, offset: Option<FixedOffset>) -> Option<DateTime<Utc>> {
    match offset {
        Some(offset) => offset
            .from_local_datetime(&naive)
            .single()
            .map(|dt| dt.with_timezone(&Utc)),
        None => Some(Utc.from_utc_datetime(&naive)),
    }
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

fn month_number(token: &str) -> Option<u32> {
    let lower = token.trim_end_matches('.').to_ascii_lowercase();
    let prefix = lower.get(..3)?;
    let index = MONTHS.iter().position(|m| *m == prefix)?;
    u32::try_from(index + 1).ok()
}

/// Named zones seen in feeds, in hours east of UTC (RFC 822 plus common North American ones).
fn named_zone(token: &str) -> Option<i32> {
    let hours = match token.to_ascii_uppercase().as_str() {
        "UT" | "UTC" | "GMT" | "Z" | "WET" => 0,
        "BST" | "CET" | "WEST" => 1,
        "CEST" | "EET" => 2,
        "EEST" => 3,
        "EST" | "CDT" => -5,
        "EDT" => -4,
        "CST" | "MDT" => -6,
        "MST" | "PDT" => -7,
        "PST" | "AKDT" => -8,
        "AKST" => -9,
        "HST" => -10,
        "JST" | "KST" => 9,
        _ => return None,
    };
    Some(hours)
}

fn parse_rfc822(s: &str) -> Option<DateTime<Utc>> {
    let mut tokens = s
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
        .peekable();
    // Optional weekday.
    if tokens.peek().is_some_and(|t| {
        t.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) && month_number(t).is_none()
    }) {
        tokens.next();
    }
    let first = tokens.next()?;
    // Either "13 Jan 2023" or the occasional "Jan 13 2023".
    let (day, month) = match month_number(first) {
        Some(month) => (parse_digits::<u32>(tokens.next()?, 2)?, month),
        None => (
            parse_digits::<u32>(first, 2)?,
            month_number(tokens.next()?)?,
        ),
    };
    let year_token = tokens.next()?;
    let year: i32 = parse_digits(year_token, 4)?;
    let year = match year_token.len() {
        2 if year < 50 => 2000 + year,
        2 => 1900 + year,
        4 => year,
        _ => return None,
    };
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    let time = match tokens.next() {
        Some(clock) => parse_clock(clock)?,
        None => NaiveTime::MIN,
    };
    let offset = match tokens.next() {
        None => None,
        Some(zone) if zone.starts_with(['+', '-']) => Some(parse_numeric_offset(zone)?),
        Some(zone) => {
            // "GMT+0100" and "UTC-05:00" carry a numeric offset after the name.
            match zone.find(['+', '-']) {
                Some(i) => Some(parse_numeric_offset(&zone[i..])?),
                None => Some(FixedOffset::east_opt(
                    named_zone(zone.trim_matches(['(', ')']))? * 3600,
                )?),
            }
        }
    };
    to_utc(date.and_time(time), offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> Option<String> {
        parse_date(s).map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
    }

    #[test]
    fn rfc822_variants() {
        let cases = [
            ("Fri, 13 Jan 2023 12:43:56 GMT", "2023-01-13T12:43:56Z"),
            ("Fri, 13 Jan 2023 12:43:56 +0000", "2023-01-13T12:43:56Z"),
            ("Wed, 24 Jul 2019 11:05:21 -0400", "2019-07-24T15:05:21Z"),
            ("13 Jan 2023 07:43:56 EST", "2023-01-13T12:43:56Z"),
            ("Mon, 1 Jul 2024 08:00:00 EDT", "2024-07-01T12:00:00Z"),
            ("Mon, 01 Jul 2024 05:00 PDT", "2024-07-01T12:00:00Z"),
            ("Thu, 05 Dec 24 10:00:00 PST", "2024-12-05T18:00:00Z"),
            ("Sat, 01 Jun 2019 10:54:43 UT", "2019-06-01T10:54:43Z"),
            ("Sat, 01 Jun 2019 10:54:43 Z", "2019-06-01T10:54:43Z"),
            ("Sat, 01 Jun 2019 10:54:43", "2019-06-01T10:54:43Z"),
            (
                "Tuesday, 13 August 2019 10:03:10 +0200",
                "2019-08-13T08:03:10Z",
            ),
            ("Sat, 01 Jun 99 10:54:43 GMT", "1999-06-01T10:54:43Z"),
            ("Jan 13 2023 12:00:00 GMT", "2023-01-13T12:00:00Z"),
            ("Fri, 13 Jan 2023 12:43:56 GMT+0100", "2023-01-13T11:43:56Z"),
        ];
        for (input, want) in cases {
            assert_eq!(utc(input).as_deref(), Some(want), "{input}");
        }
    }

    #[test]
    fn iso8601_variants() {
        let cases = [
            ("2023-01-13T12:43:56Z", "2023-01-13T12:43:56Z"),
            ("2023-01-13T12:43:56.123+01:00", "2023-01-13T11:43:56Z"),
            ("2023-01-13T12:43:56+0100", "2023-01-13T11:43:56Z"),
            ("2023-01-13T12:43:56", "2023-01-13T12:43:56Z"),
            ("2023-01-13 12:43", "2023-01-13T12:43:00Z"),
            ("2023-01-13T12:43-05:00", "2023-01-13T17:43:00Z"),
            ("2023-01-13", "2023-01-13T00:00:00Z"),
            ("2023-01", "2023-01-01T00:00:00Z"),
            ("2023", "2023-01-01T00:00:00Z"),
        ];
        for (input, want) in cases {
            assert_eq!(utc(input).as_deref(), Some(want), "{input}");
        }
    }

    #[test]
    fn garbage_is_none_never_now() {
        for input in [
            "",
            "yesterday",
            "32 Jan 2023 10:00 GMT",
            "Fri, 13 Foo 2023",
            "2023-13-01",
            "2023-02-30T00:00:00Z",
            "Fri, 13 Jan 2023 25:00:00 GMT",
            "13 Jan 2023 10:00 XYZ",
            "2023-01-13T10:00:00+99:00",
            "١٢٣٤-01-01",
            // Found by `cargo fuzz run feed`: a zone of four bytes but not four digits.
            "2023-01-13T10:00:00-1•",
            "Fri, 13 Jan 2023 10:00:00 +1•",
            "2023-01-13T10:00:00-+1+2",
        ] {
            assert_eq!(utc(input), None, "{input}");
        }
    }
}
