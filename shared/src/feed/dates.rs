//! Lenient date parsing for feeds: RFC 822 as published in the wild, and ISO 8601 / W3C-DTF.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

/// Parses a feed date to UTC, or `None` when it cannot be read (never "now").
///
/// Accepts RFC 822/2822 with real-world variants (named zones, missing weekday, one-digit day,
/// two-digit year, missing seconds, missing zone taken as UTC, month names in Spanish,
/// Portuguese, French, German, Italian, Hungarian and Greek, Perforce's `2006/09/15`), C's
/// asctime (`Sun Jan  4 16:29:06 2004`), Korean blog dates (`2004년 05월 28일 01:31:15`,
/// `2004-05-25 오후 11:23:17`, in Korean time), and RFC 3339 / W3C-DTF / ISO 8601 in extended,
/// basic (`20031231T120000Z`), ordinal (`2003-365`), week (`2003-W01-1`) and two-digit-year
/// (`03-12-31`, `031231`, `-03-12`, `03335`) forms, with or without a zone (no zone means UTC; a
/// bare date means midnight UTC).
pub fn parse_date(input: &str) -> Option<DateTime<Utc>> {
    let s = input.trim();
    if s.is_empty() || s.len() > 64 {
        return None;
    }
    if let Some(korean) = parse_korean(s) {
        return Some(korean);
    }
    if let Some(widened) = widen_two_digit_year(s) {
        return parse_iso8601(&widened);
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
    let (date_part, time_part) = match split_time(s) {
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

/// Where the time begins: the first `T`, `t` or space before a digit or at the end (month names
/// such as `augusztus` hold a `t` of their own).
fn split_time(s: &str) -> Option<usize> {
    s.char_indices()
        .find(|&(i, c)| {
            matches!(c, 'T' | 't' | ' ')
                && s[i + 1..]
                    .bytes()
                    .next()
                    .is_none_or(|b| b.is_ascii_digit() || b == b' ')
        })
        .map(|(i, _)| i)
}

/// ISO 8601:2000's two-digit-year dates, widened to four digits as the RFC 822 ones are:
/// `031231` and `03-12-31` → `2003-12-31`, `03335` and `03-335` → `2003-335`, `-0312` and
/// `-03-12` → `2003-12`. `None` for any other shape.
fn widen_two_digit_year(s: &str) -> Option<String> {
    let (date, rest) = s.split_at(split_time(s).unwrap_or(s.len()));
    let shape: String = date
        .chars()
        .map(|c| if c.is_ascii_digit() { 'd' } else { c })
        .collect();
    // Every shape below is ASCII, so the cuts fall between characters.
    let (year, tail) = match shape.as_str() {
        "dddddd" | "ddddd" | "dd-dd-dd" | "dd-ddd" => (&date[..2], date[2..].to_owned()),
        "-dddd" => (&date[1..3], format!("-{}", &date[3..])),
        "-dd-dd" => (&date[1..3], date[3..].to_owned()),
        _ => return None,
    };
    let year: i32 = parse_digits(year, 2)?;
    Some(format!(
        "{}{tail}{rest}",
        century_of_two_digit_year(year) + year
    ))
}

/// The century a two-digit year falls in: below 50 is this century, 50 and above the last.
fn century_of_two_digit_year(year: i32) -> i32 {
    if year < 50 {
        2000
    } else {
        1900
    }
}

/// Korean blog dates (`2004년 05월 28일 01:31:15`, `2004-05-25 오후 11:23:17` with 오전/오후 for
/// a.m./p.m.), in Korean time.
fn parse_korean(s: &str) -> Option<DateTime<Utc>> {
    let (am, pm) = (s.contains("오전"), s.contains("오후"));
    if !(am || pm || s.contains('년')) {
        return None;
    }
    let numbers: Vec<&str> = s
        .split(|c: char| !c.is_ascii_digit())
        .filter(|t| !t.is_empty())
        .collect();
    let [year, month, day, hour, minute, second] = numbers.as_slice() else {
        return None;
    };
    let hour: u32 = parse_digits(hour, 2)?;
    let hour = match (am, pm) {
        (true, _) if hour == 12 => 0,
        (_, true) if hour < 12 => hour + 12,
        _ => hour,
    };
    let year = match (year.len(), parse_digits::<i32>(year, 4)?) {
        (2, short) => century_of_two_digit_year(short) + short,
        (4, full) => full,
        _ => return None,
    };
    let date = NaiveDate::from_ymd_opt(year, parse_digits(month, 2)?, parse_digits(day, 2)?)?;
    let time = NaiveTime::from_hms_opt(hour, parse_digits(minute, 2)?, parse_digits(second, 2)?)?;
    to_utc(date.and_time(time), FixedOffset::east_opt(9 * 3600))
}

/// A calendar (`2003-12-31`, `20031231`, `2003-12`, `2003`), ordinal (`2003-365`, `2003365`) or
/// week (`2003-W01-1`, `2003W011`, `2003-W01`) date. A month may be written `012` (Google's extra
/// zero) or named (`2004-július-13`).
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
            let month = parts.next()?;
            let month = parse_digits(
                month
                    .strip_prefix('0')
                    .filter(|m| m.len() == 2)
                    .unwrap_or(month),
                2,
            )
            .or_else(|| month_number(month))?;
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
        Some(i) => Some((s[..i].trim_end(), Some(parse_numeric_offset(&s[i..])?))),
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

/// Month names of feeds published in Spanish, Portuguese, French, German, Italian, Hungarian
/// and Greek (written without its accents) that English does not share, as they are abbreviated
/// (or begin).
const LOCAL_MONTHS: &[(&str, u32)] = &[
    ("ene", 1),
    ("gen", 1),
    ("ιαν", 1),
    ("fev", 2),
    ("fév", 2),
    ("φεβ", 2),
    ("mär", 3),
    ("mrz", 3),
    ("már", 3),
    ("μαρ", 3),
    ("abr", 4),
    ("avr", 4),
    ("ápr", 4),
    ("απρ", 4),
    ("mai", 5),
    ("mag", 5),
    ("máj", 5),
    ("μαι", 5),
    ("juin", 6),
    ("giu", 6),
    ("jún", 6),
    ("ιουν", 6),
    ("ιον", 6),
    ("juil", 7),
    ("lug", 7),
    ("júl", 7),
    ("ιουλ", 7),
    ("ιολ", 7),
    ("ago", 8),
    ("aoû", 8),
    ("αυγ", 8),
    ("set", 9),
    ("szep", 9),
    ("σεπ", 9),
    ("out", 10),
    ("okt", 10),
    ("ott", 10),
    ("οκτ", 10),
    ("νοε", 11),
    ("dic", 12),
    ("dez", 12),
    ("déc", 12),
    ("δεκ", 12),
];

fn month_number(token: &str) -> Option<u32> {
    let lower: String = token
        .trim_end_matches('.')
        .to_lowercase()
        .chars()
        .map(without_greek_accent)
        .collect();
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

/// A lowercase Greek vowel without its tonos or dialytika (`ύ` → `υ`); other characters as they are.
fn without_greek_accent(c: char) -> char {
    match c {
        'ά' => 'α',
        'έ' => 'ε',
        'ή' => 'η',
        'ί' | 'ϊ' | 'ΐ' => 'ι',
        'ό' => 'ο',
        'ύ' | 'ϋ' | 'ΰ' => 'υ',
        'ώ' => 'ω',
        other => other,
    }
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
    // Perforce writes "Fri, 2006/09/15 08:19:53 EDT".
    if let Some(date) = slashed_date(first) {
        return clock_and_zone(date, None, None, tokens);
    }
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
        2 => century_of_two_digit_year(year) + year,
        4 => year,
        _ => return None,
    };
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    clock_and_zone(date, asctime_clock, asctime_zone, tokens)
}

/// `YYYY/MM/DD`.
fn slashed_date(token: &str) -> Option<NaiveDate> {
    let mut parts = token.split('/');
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || year.len() != 4 {
        return None;
    }
    NaiveDate::from_ymd_opt(
        parse_digits(year, 4)?,
        parse_digits(month, 2)?,
        parse_digits(day, 2)?,
    )
}

/// The rest of an RFC 822 date after its day: the clock and the zone, where asctime may have
/// given them already.
fn clock_and_zone<'a>(
    date: NaiveDate,
    clock: Option<&'a str>,
    zone: Option<&'a str>,
    mut tokens: impl Iterator<Item = &'a str>,
) -> Option<DateTime<Utc>> {
    let time = match clock.or_else(|| tokens.next()) {
        Some(clock) => parse_clock(clock)?,
        None => NaiveTime::MIN,
    };
    let offset = match zone.or_else(|| tokens.next()) {
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

    /// ISO 8601:2000's truncated two-digit-year forms and the forms of particular publishers.
    #[test]
    fn two_digit_years_and_publishers_own_forms() {
        let cases = [
            ("03-12-31", "2003-12-31T00:00:00Z"),
            ("031231", "2003-12-31T00:00:00Z"),
            ("03335", "2003-12-01T00:00:00Z"),
            ("03-335", "2003-12-01T00:00:00Z"),
            ("-0312", "2003-12-01T00:00:00Z"),
            ("-03-12", "2003-12-01T00:00:00Z"),
            ("99-12-31T23:00:00Z", "1999-12-31T23:00:00Z"),
            // Google's extra zero in the month.
            ("2003-012-31T10:14:55+00:00", "2003-12-31T10:14:55Z"),
            // Microsoft SQL Server, with its zone after a space.
            ("2004-07-08 23:56:58 -00:20", "2004-07-09T00:16:58Z"),
            ("2004-07-08 23:56:58.0", "2004-07-08T23:56:58Z"),
            // Perforce.
            ("Fri, 2006/09/15 08:19:53 EDT", "2006-09-15T12:19:53Z"),
            // Hungarian and Greek month names.
            ("2004-július-13T9:15-05:00", "2004-07-13T14:15:00Z"),
            ("2004-augusztus-13T9:15Z", "2004-08-13T09:15:00Z"),
            ("Κυρ, 11 Ιούλ 2004 12:00:00 EST", "2004-07-11T17:00:00Z"),
            ("Τρι, 03 Μαΐου 2005 08:00:00 GMT", "2005-05-03T08:00:00Z"),
            // Korean blogs, in Korean time.
            ("2004년 05월 28일  01:31:15", "2004-05-27T16:31:15Z"),
            ("2004-05-25 오후 11:23:17", "2004-05-25T14:23:17Z"),
            ("2004-05-25 오전 12:05:00", "2004-05-24T15:05:00Z"),
            ("24년 05월 28일 오후 01:31:15", "2024-05-28T04:31:15Z"),
        ];
        for (input, want) in cases {
            assert_eq!(utc(input).as_deref(), Some(want), "{input}");
        }
    }

    /// A character of more than one byte anywhere in a date must never cut a slice in two.
    #[test]
    fn multibyte_characters_anywhere_never_panic() {
        let dates = [
            "Sáb, 04 Abr 2026 10:00:00 GMT",
            "Sun, 06-Nov-94 08:49:37 GMT",
            "Sun Jan  4 16:29:06 PST 2004",
            "Fri, 2006/09/15 08:19:53 EDT",
            "2003-012-31T10:14:55+00:00",
            "2004-07-08 23:56:58 -00:20",
            "-03-12",
            "031231",
            "2003-W01-1",
            "2004년 05월 28일 01:31:15",
        ];
        for date in dates {
            for (at, _) in date.char_indices() {
                for extra in ["é", "ύ", "오후", "\u{202e}"] {
                    let input = format!("{}{extra}{}", &date[..at], &date[at..]);
                    let _ = parse_date(&input);
                }
            }
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
            "031232",
            "-0313",
            "03366",
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
            // Korean markers without a whole date, and Perforce's slashes out of range.
            "2004년 05월",
            "2004-05-25 오후 11:23",
            "Fri, 2006/13/15 08:19:53 EDT",
            // Not ISO 8601:2000's two-digit-year shapes.
            "05-06",
            "123-45",
            "-031",
            "1234567-1",
            // A Korean date's year has two digits or four.
            "124년 05월 28일 01:31:15",
        ] {
            assert_eq!(utc(input), None, "{input}");
        }
    }
}
