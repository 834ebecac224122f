//! Lenient date parsing for feeds: RFC 822 as published in the wild, and ISO 8601 / W3C-DTF.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

/// Parses a feed date to UTC, or `None` when it cannot be read (never "now").
///
/// Accepts RFC 822/2822 with real-world variants (named zones, missing weekday, one-digit day,
/// two-digit year, missing seconds, missing zone taken as UTC, month names in Spanish,
/// Portuguese, French, German and Italian), C's asctime (`Sun Jan  4 16:29:06
/// 2004`), and RFC 3339 / W3C-DTF / ISO 8601 in extended, basic (`20031231T120000Z`), ordinal
/// (`2003-365`) and week (`2003-W01-1`) forms, with or without a zone (no zone means UTC; a bare
/// date means midnight UTC).
pub fn parse_date(input: &str) -> Option<DateTime<Utc>> {
    let s = input.trim();
    if s.is_empty() || s.len() > 64 {
        return None;
    }
    let bytes = s.as_bytes();
    let iso = bytes.len() >= 4
        && bytes[..4].iter().all(u8::is_ascii_digit)
        && bytes
            .get(4)
            .is_none_or(|b| b.is_ascii_digit() || matches!(b, b'-' | b'W' | b'w'));
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

/// A calendar (`2003-12-31`, `20031231`, `2003-12`, `2003`), ordinal (`2003-365`, `2003365`) or
/// week (`2003-W01-1`, `2003W011`, `2003-W01`) date.
fn parse_iso_date(s: &str) -> Option<NaiveDate> {
    let year: i32 = parse_digits(s.get(..4)?, 4)?;
    let rest = &s[4..];
    let rest = rest.strip_prefix('-').unwrap_or(rest);
    if let Some(week) = rest.strip_prefix(['W', 'w']) {
        let (week, weekday) = match week.split_once('-') {
            Some((w, d)) => (w, d),
            None if week.len() > 2 => week.split_at_checked(2)?,
            None => (week, "1"),
        };
        let weekday =
            chrono::Weekday::try_from(parse_digits::<u8>(weekday, 1)?.checked_sub(1)?).ok()?;
        return NaiveDate::from_isoywd_opt(year, parse_digits(week, 2)?, weekday);
    }
    let basic = !s[4..].starts_with('-');
    match (rest.len(), basic) {
        (0, _) => NaiveDate::from_ymd_opt(year, 1, 1),
        (3, _) => NaiveDate::from_yo_opt(year, parse_digits(rest, 3)?),
        (4, true) => NaiveDate::from_ymd_opt(
            year,
            parse_digits(rest.get(..2)?, 2)?,
            parse_digits(rest.get(2..)?, 2)?,
        ),
        (_, false) => {
            let mut parts = rest.split('-');
            let month = parse_digits(parts.next()?, 2)?;
            let day = parts.next().map_or(Some(1), |d| parse_digits(d, 2))?;
            if parts.next().is_some() {
                return None;
            }
            NaiveDate::from_ymd_opt(year, month, day)
        }
        _ => None,
    }
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

/// `HH:MM[:SS[.fff]]`, or ISO 8601's basic `HHMM[SS[.fff]]`.
fn parse_clock(s: &str) -> Option<NaiveTime> {
    let (whole, frac) = match s.split_once(['.', ',']) {
        Some((w, f)) => (w, Some(f)),
        None => (s, None),
    };
    let (hour, minute, second) = if whole.contains(':') {
        let mut parts = whole.split(':');
        let hour = parse_digits(parts.next()?, 2)?;
        let minute = parse_digits(parts.next()?, 2)?;
        let second = parts.next().map_or(Some(0), |x| parse_digits(x, 2))?;
        if parts.next().is_some() {
            return None;
        }
        (hour, minute, second)
    } else {
        if !matches!(whole.len(), 4 | 6) {
            return None;
        }
        let second = whole.get(4..).filter(|x| !x.is_empty());
        (
            parse_digits(whole.get(..2)?, 2)?,
            parse_digits(whole.get(2..4)?, 2)?,
            second.map_or(Some(0), |x| parse_digits(x, 2))?,
        )
    };
    let nanos = match frac {
        Some(f) if !f.is_empty() && f.len() <= 9 && f.bytes().all(|b| b.is_ascii_digit()) => {
            f.parse::<u32>().ok()? * 10u32.pow(9 - u32::try_from(f.len()).ok()?)
        }
        Some(_) => return None,
        None => 0,
    };
    // A leap second (:60) is read as the last second of the minute; :61 and above are not times.
    if second > 60 {
        return None;
    }
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

/// Month names of feeds published in Spanish, Portuguese, French, German and Italian that
/// English does not share, as they are abbreviated (or begin).
const LOCAL_MONTHS: [(&str, u32); 23] = [
    ("ene", 1),
    ("gen", 1),
    ("fev", 2),
    ("fév", 2),
    ("mär", 3),
    ("mrz", 3),
    ("abr", 4),
    ("avr", 4),
    ("mai", 5),
    ("mag", 5),
    ("juin", 6),
    ("giu", 6),
    ("juil", 7),
    ("lug", 7),
    ("ago", 8),
    ("aoû", 8),
    ("set", 9),
    ("out", 10),
    ("okt", 10),
    ("ott", 10),
    ("dic", 12),
    ("dez", 12),
    ("déc", 12),
];

fn month_number(token: &str) -> Option<u32> {
    let lower = token.trim_end_matches('.').to_lowercase();
    if let Some((_, month)) = LOCAL_MONTHS
        .iter()
        .find(|(name, _)| lower.starts_with(name))
    {
        return Some(*month);
    }
    let prefix = lower.get(..3)?;
    let index = MONTHS.iter().position(|m| *m == prefix)?;
    u32::try_from(index + 1).ok()
}

/// Named zones seen in feeds, in minutes east of UTC: RFC 822's (with its military letters A, M,
/// N, Y as RFC 822 defines them), North American (generic ET/CT/MT/PT/AT as standard time,
/// Atlantic, Newfoundland, Alaska, Hawaii), European, a few Asian ones, and `Etc/GMT`, `Etc/UTC`
/// and POSIX's `Etc/GMT+5` (five hours *west*).
fn named_zone(token: &str) -> Option<i32> {
    let upper = token.to_ascii_uppercase();
    if let Some(etc) = upper.strip_prefix("ETC/") {
        return match etc {
            "GMT" | "UTC" | "UCT" | "UNIVERSAL" | "ZULU" | "GMT0" => Some(0),
            _ => {
                let (sign, hours) = etc.strip_prefix("GMT")?.split_at_checked(1)?;
                let hours: i32 = parse_digits(hours, 2).filter(|h| *h <= 14)?;
                match sign {
                    "+" => Some(-hours * 60),
                    "-" => Some(hours * 60),
                    _ => None,
                }
            }
        };
    }
    let hours = match upper.as_str() {
        "UT" | "UTC" | "GMT" | "Z" | "WET" => 0,
        "BST" | "CET" | "MET" | "WEST" | "N" => 1,
        "CEST" | "MEST" | "EET" => 2,
        "EEST" | "MSK" => 3,
        "ADT" => -3,
        "NST" => return Some(-210),
        "NDT" => return Some(-150),
        "AST" | "AT" | "EDT" => -4,
        "EST" | "ET" | "CDT" => -5,
        "CST" | "CT" | "MDT" => -6,
        "MST" | "MT" | "PDT" => -7,
        "PST" | "PT" | "AKDT" => -8,
        "AKST" | "HDT" => -9,
        "HST" => -10,
        "JST" | "KST" => 9,
        "A" => -1,
        "M" => -12,
        "Y" => 12,
        _ => return None,
    };
    Some(hours * 60)
}

fn parse_rfc822(s: &str) -> Option<DateTime<Utc>> {
    // RFC 850 (and cookies) join the date with hyphens: "Sunday, 06-Nov-94 08:49:37 GMT".
    let all: Vec<&str> = s
        .split(|c: char| c.is_whitespace() || c == ',')
        .flat_map(|t| {
            let dashed_date = t.starts_with(|c: char| c.is_ascii_digit())
                && t.contains(|c: char| c.is_ascii_alphabetic());
            t.split(move |c| dashed_date && c == '-')
        })
        .filter(|t| !t.is_empty())
        .collect();
    // Optional weekday: a name that is no month, or one before a day and a month ("mar 02 juin":
    // Tuesday in French, where "Mar 02 2026" is March).
    let weekday = all.first().is_some_and(|t| {
        t.chars().next().is_some_and(char::is_alphabetic)
            && (month_number(t).is_none()
                || (all
                    .get(1)
                    .is_some_and(|d| parse_digits::<u32>(d, 2).is_some())
                    && all.get(2).is_some_and(|m| month_number(m).is_some())))
    });
    let mut tokens = all.into_iter().skip(usize::from(weekday)).peekable();
    let first = tokens.next()?;
    // Either "13 Jan 2023" or the occasional "Jan 13 2023".
    let (day, month) = match month_number(first) {
        Some(month) => (parse_digits::<u32>(tokens.next()?, 2)?, month),
        None => (
            parse_digits::<u32>(first, 2)?,
            month_number(tokens.next()?)?,
        ),
    };
    // asctime puts the clock before the year: "Sun Jan  4 16:29:06 2004".
    // Unix date(1) adds a zone between them: "Sun Jan  4 16:29:06 PST 2004".
    let asctime_clock = tokens.next_if(|t| t.contains(':'));
    let asctime_zone =
        asctime_clock.and_then(|_| tokens.next_if(|t| !t.bytes().all(|b| b.is_ascii_digit())));
    let year_token = tokens.next()?;
    let year: i32 = parse_digits(year_token, 4)?;
    let year = match year_token.len() {
        2 if year < 50 => 2000 + year,
        2 => 1900 + year,
        4 => year,
        _ => return None,
    };
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    let time = match asctime_clock.or_else(|| tokens.next()) {
        Some(clock) => parse_clock(clock)?,
        None => NaiveTime::MIN,
    };
    let offset = match asctime_zone.or_else(|| tokens.next()) {
        None => None,
        Some(zone) if zone.starts_with(['+', '-']) => Some(parse_numeric_offset(zone)?),
        Some(zone) => match named_zone(zone.trim_matches(['(', ')'])) {
            Some(minutes) => Some(FixedOffset::east_opt(minutes * 60)?),
            // "GMT+0100" and "UTC-05:00" carry a numeric offset after the name.
            None => Some(parse_numeric_offset(&zone[zone.find(['+', '-'])?..])?),
        },
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
            // asctime, with its space-padded day.
            ("Sun Jan  4 16:29:06 2004", "2004-01-04T16:29:06Z"),
            ("Sun Jan 4 16:29:06 PST 2004", "2004-01-05T00:29:06Z"),
            // North American generic and standard/daylight names, Atlantic and Newfoundland.
            ("Thu, 01 Jan 2004 19:48:21 ET", "2004-01-02T00:48:21Z"),
            ("Thu, 01 Jan 2004 19:48:21 CT", "2004-01-02T01:48:21Z"),
            ("Thu, 01 Jan 2004 19:48:21 MT", "2004-01-02T02:48:21Z"),
            ("Thu, 01 Jan 2004 19:48:21 PT", "2004-01-02T03:48:21Z"),
            ("Thu, 01 Jan 2004 19:48:21 AT", "2004-01-01T23:48:21Z"),
            ("Thu, 01 Jan 2004 19:48:21 AST", "2004-01-01T23:48:21Z"),
            ("Thu, 01 Jan 2004 19:48:21 ADT", "2004-01-01T22:48:21Z"),
            ("Thu, 01 Jan 2004 19:48:21 NST", "2004-01-01T23:18:21Z"),
            ("Thu, 01 Jan 2004 19:48:21 cdt", "2004-01-02T00:48:21Z"),
            // European names, and the IANA Etc zones (POSIX signs: Etc/GMT+5 is five hours west).
            ("Thu, 01 Jan 2004 19:48:21 MET", "2004-01-01T18:48:21Z"),
            ("Thu, 01 Jan 2004 19:48:21 MEST", "2004-01-01T17:48:21Z"),
            ("Thu, 01 Jan 2004 19:48:21 Etc/GMT", "2004-01-01T19:48:21Z"),
            (
                "Thu, 01 Jan 2004 19:48:21 Etc/GMT+5",
                "2004-01-02T00:48:21Z",
            ),
            (
                "Thu, 01 Jan 2004 19:48:21 Etc/GMT-2",
                "2004-01-01T17:48:21Z",
            ),
            // RFC 822's military letters, as RFC 822 defines them.
            ("Thu, 01 Jan 2004 19:48:21 N", "2004-01-01T18:48:21Z"),
            ("Thu, 01 Jan 2004 19:48:21 Y", "2004-01-01T07:48:21Z"),
            // Month and day names of feeds in other languages.
            ("Lun, 30 Nov 2026 10:00:00 +0100", "2026-11-30T09:00:00Z"),
            ("Sáb, 04 Abr 2026 10:00:00 GMT", "2026-04-04T10:00:00Z"),
            ("Qua, 12 Out 2026 08:00:00 -0300", "2026-10-12T11:00:00Z"),
            ("Ter, 01 Dez 2026 08:00:00 GMT", "2026-12-01T08:00:00Z"),
            ("mer., 14 août 2026 12:00:00 +0200", "2026-08-14T10:00:00Z"),
            ("Mo, 02 Mär 2026 12:00:00 +0100", "2026-03-02T11:00:00Z"),
            ("gio, 16 lug 2026 12:00:00 +0200", "2026-07-16T10:00:00Z"),
            ("ven, 03 juil. 2026 12:00:00 GMT", "2026-07-03T12:00:00Z"),
            ("mar, 02 juin 2026 12:00:00 GMT", "2026-06-02T12:00:00Z"),
            ("Jan, 13 2023 10:00 GMT", "2023-01-13T10:00:00Z"),
            ("Mar 02 2026 10:00:00 GMT", "2026-03-02T10:00:00Z"),
            // RFC 850's hyphenated date, as HTTP and cookies still write it.
            ("Sunday, 06-Nov-94 08:49:37 GMT", "1994-11-06T08:49:37Z"),
            ("Thu, 01-Jan-2004 19:48:21 -0500", "2004-01-02T00:48:21Z"),
            // A leap second is the minute's last second.
            ("Wed, 31 Dec 2008 23:59:60 GMT", "2008-12-31T23:59:59Z"),
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
            // Basic (compact) forms.
            ("20031231", "2003-12-31T00:00:00Z"),
            ("20031231T235959Z", "2003-12-31T23:59:59Z"),
            ("20031231T2359-0500", "2004-01-01T04:59:00Z"),
            ("2003-12-31T235959+01", "2003-12-31T22:59:59Z"),
            // Ordinal dates.
            ("2003-365", "2003-12-31T00:00:00Z"),
            ("2003335", "2003-12-01T00:00:00Z"),
            ("2004-366T12:00Z", "2004-12-31T12:00:00Z"),
            // Week dates: 2003-W01-1 is Monday 30 December 2002.
            ("2003-W01-1", "2002-12-30T00:00:00Z"),
            ("2003W017", "2003-01-05T00:00:00Z"),
            ("2003-W01", "2002-12-30T00:00:00Z"),
            ("2004-W53-6T10:00:00Z", "2005-01-01T10:00:00Z"),
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
            // Out-of-range ordinal, week and basic dates.
            "2003-366",
            "2003-W54-1",
            "2003-W01-8",
            "20031232",
            "200312",
            "Sun Jan  4 16:29:06",
            "Thu, 01 Jan 2004 19:48:21 Etc/GMT+99",
            "Thu, 01 Jan 2004 19:48:21 Etc/Nowhere",
            // Seconds past a leap second.
            "2003-12-31T10:14:61Z",
            "Thu, 01 Jan 2004 19:48:61 GMT",
            "Thu, 01-Foo-2004 19:48:21 GMT",
            // Cuts that would fall inside a character of more than one byte.
            "2003W1é",
            "20031é1",
            "1 Jan 2004 00:00 Etc/GMTé",
        ] {
            assert_eq!(utc(input), None, "{input}");
        }
    }
}
