//! Date and time functions on RFC 3339 timestamps: `formatdate`, `timeadd`,
//! `timecmp` and `plantimestamp`.
//!
//! Timestamps are read as Terraform reads them (Go's `time.RFC3339`: an
//! upper-case `T`, seconds, an optional fraction, and `Z` or `±hh:mm`) and
//! keep their offset; results are written in that offset, to the second.
//! The calendar arithmetic is `jiff`'s.

use super::args::Args;
use super::{Context, Error};
use crate::value::Value;
use jiff::civil::{DateTime, Weekday};
use jiff::tz::Offset;
use jiff::{SignedDuration, Timestamp};

/// A parsed timestamp: the instant, and the offset it was written in.
#[derive(Clone, Copy)]
struct Stamp {
    at: Timestamp,
    offset: Offset,
}

impl Stamp {
    /// Reads an RFC 3339 timestamp strictly, as Go's `time.Parse` does.
    fn parse(s: &str) -> Option<Stamp> {
        let b = s.as_bytes();
        let num = |range: std::ops::Range<usize>| -> Option<i32> {
            let digits = b.get(range)?;
            if !digits.iter().all(u8::is_ascii_digit) {
                return None;
            }
            std::str::from_utf8(digits).ok()?.parse().ok()
        };
        let sep = |i: usize, c: u8| b.get(i) == Some(&c);
        if !(sep(4, b'-') && sep(7, b'-') && sep(10, b'T') && sep(13, b':') && sep(16, b':')) {
            return None;
        }
        let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
        let mut i = 19;
        let mut nanos: i64 = 0;
        if sep(i, b'.') {
            let digits = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
            if digits == 0 {
                return None;
            }
            for (k, c) in b[i + 1..i + 1 + digits].iter().enumerate() {
                if k < 9 {
                    nanos = nanos * 10 + i64::from(c - b'0');
                }
            }
            nanos *= 10i64.pow(9u32.saturating_sub(digits as u32));
            i += 1 + digits;
        }
        let offset_seconds = match b.get(i..)? {
            b"Z" => 0,
            [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
                let (h, m) = (num(i + 1..i + 3)?, num(i + 4..i + 6)?);
                if h > 23 || m > 59 {
                    return None;
                }
                let total = h * 3600 + m * 60;
                if *sign == b'-' { -total } else { total }
            }
            _ => return None,
        };
        let offset = Offset::from_seconds(offset_seconds).ok()?;
        let civil = DateTime::new(
            i16::try_from(year).ok()?,
            i8::try_from(month).ok()?,
            i8::try_from(day).ok()?,
            i8::try_from(hour).ok()?,
            i8::try_from(minute).ok()?,
            i8::try_from(second).ok()?,
            i32::try_from(nanos).ok()?,
        )
        .ok()?;
        let at = offset.to_timestamp(civil).ok()?;
        Some(Stamp { at, offset })
    }

    /// The wall-clock time in the timestamp's own offset.
    fn civil(&self) -> DateTime {
        self.offset.to_datetime(self.at)
    }

    /// RFC 3339 to the second, `Z` for a zero offset (Go's `time.RFC3339`).
    fn rfc3339(&self) -> String {
        let c = self.civil();
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}",
            c.year(),
            c.month(),
            c.day(),
            c.hour(),
            c.minute(),
            c.second(),
            offset_text(self.offset, true, true)
        )
    }
}

/// `Z` (when `z` and the offset is zero), else `±hh:mm` or `±hhmm`.
fn offset_text(offset: Offset, z: bool, colon: bool) -> String {
    let secs = offset.seconds();
    if z && secs == 0 {
        return "Z".into();
    }
    let sign = if secs < 0 { '-' } else { '+' };
    let (h, m) = (secs.abs() / 3600, secs.abs() % 3600 / 60);
    if colon {
        format!("{sign}{h:02}:{m:02}")
    } else {
        format!("{sign}{h:02}{m:02}")
    }
}

fn stamp(args: &Args, i: usize) -> Result<Stamp, Error> {
    let s = args.string(i)?;
    Stamp::parse(&s).ok_or_else(|| {
        args.error(
            i,
            format!(
                "is not a valid RFC 3339 timestamp: {s:?} (write it like \"2006-01-02T15:04:05Z\")"
            ),
        )
    })
}

/// `formatdate(spec, timestamp)`: the timestamp written by a format
/// specification such as `"DD MMM YYYY hh:mm ZZZ"`.
pub fn formatdate(args: Args) -> Result<Value, Error> {
    let spec = args.string(0)?;
    let t = stamp(&args, 1)?;
    let c = t.civil();
    let mut out = String::new();
    let chars: Vec<char> = spec.chars().collect();
    let mut i = 0;
    while let Some(&ch) = chars.get(i) {
        if ch == '\'' {
            // A quoted literal; `''` inside it (or alone) is one quote.
            let mut j = i + 1;
            if chars.get(j) == Some(&'\'') {
                out.push('\'');
                i = j + 1;
                continue;
            }
            loop {
                match chars.get(j) {
                    None => return Err(args.error(0, "has an unterminated quoted literal")),
                    Some('\'') if chars.get(j + 1) == Some(&'\'') => {
                        out.push('\'');
                        j += 2;
                    }
                    Some('\'') => break,
                    Some(&other) => {
                        out.push(other);
                        j += 1;
                    }
                }
            }
            i = j + 1;
            continue;
        }
        if !ch.is_alphabetic() {
            out.push(ch);
            i += 1;
            continue;
        }
        let run = chars[i..].iter().take_while(|&&c| c == ch).count();
        let seq: String = chars[i..i + run].iter().collect();
        let hour12 = match c.hour() % 12 {
            0 => 12,
            h => h,
        };
        let text = match (ch, run) {
            ('Y', 4) => format!("{:04}", c.year()),
            ('Y', 2) => format!("{:02}", c.year().rem_euclid(100)),
            ('M', 4) => month_name(c.month()).to_string(),
            ('M', 3) => month_name(c.month())
                .get(..3)
                .unwrap_or_default()
                .to_string(),
            ('M', 2) => format!("{:02}", c.month()),
            ('M', 1) => c.month().to_string(),
            ('D', 2) => format!("{:02}", c.day()),
            ('D', 1) => c.day().to_string(),
            ('E', 4) => weekday_name(c.weekday()).to_string(),
            ('E', 3) => weekday_name(c.weekday())
                .get(..3)
                .unwrap_or_default()
                .to_string(),
            ('h', 2) => format!("{:02}", c.hour()),
            ('h', 1) => c.hour().to_string(),
            ('H', 2) => format!("{hour12:02}"),
            ('H', 1) => hour12.to_string(),
            ('A', 2) => (if c.hour() < 12 { "AM" } else { "PM" }).to_string(),
            ('a', 2) => (if c.hour() < 12 { "am" } else { "pm" }).to_string(),
            ('m', 2) => format!("{:02}", c.minute()),
            ('m', 1) => c.minute().to_string(),
            ('s', 2) => format!("{:02}", c.second()),
            ('s', 1) => c.second().to_string(),
            ('Z', 5) => offset_text(t.offset, false, true),
            ('Z', 4) => offset_text(t.offset, false, false),
            ('Z', 3) if t.offset.seconds() == 0 => "UTC".into(),
            ('Z', 3) => offset_text(t.offset, false, false),
            ('Z', 1) => offset_text(t.offset, true, true),
            _ => {
                return Err(args.error(
                    0,
                    format!("has an invalid date format sequence {seq:?}; quote literal letters as '{seq}'"),
                ));
            }
        };
        out.push_str(&text);
        i += run;
    }
    Ok(Value::String(out))
}

fn month_name(m: i8) -> &'static str {
    const NAMES: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    usize::try_from(m - 1)
        .ok()
        .and_then(|i| NAMES.get(i))
        .copied()
        .unwrap_or_default()
}

fn weekday_name(d: Weekday) -> &'static str {
    match d {
        Weekday::Monday => "Monday",
        Weekday::Tuesday => "Tuesday",
        Weekday::Wednesday => "Wednesday",
        Weekday::Thursday => "Thursday",
        Weekday::Friday => "Friday",
        Weekday::Saturday => "Saturday",
        Weekday::Sunday => "Sunday",
    }
}

/// Reads a Go duration (`"1h30m"`, `"-10s"`, `"1.5h"`, `"300ms"`) as
/// nanoseconds; units `ns us µs ms s m h`.
fn go_duration(s: &str) -> Option<i128> {
    let (negative, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total: i128 = 0;
    while !rest.is_empty() {
        let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let int_part = &rest[..int_len];
        rest = &rest[int_len..];
        let mut frac_part = "";
        if let Some(after) = rest.strip_prefix('.') {
            let n = after.bytes().take_while(u8::is_ascii_digit).count();
            frac_part = &after[..n];
            rest = &after[n..];
        }
        if int_part.is_empty() && frac_part.is_empty() {
            return None;
        }
        let unit_len = rest
            .char_indices()
            .find(|(_, c)| c.is_ascii_digit() || *c == '.')
            .map_or(rest.len(), |(i, _)| i);
        let scale: i128 = match &rest[..unit_len] {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return None,
        };
        rest = &rest[unit_len..];
        let whole: i128 = if int_part.is_empty() {
            0
        } else {
            int_part.parse().ok()?
        };
        let mut value = whole.checked_mul(scale)?;
        let mut unit = scale;
        for d in frac_part.bytes().take(30) {
            unit /= 10;
            value += i128::from(d - b'0') * unit;
        }
        total = total.checked_add(value)?;
    }
    Some(if negative { -total } else { total })
}

/// `timeadd(timestamp, duration)`: the timestamp moved by a Go duration
/// such as `"10m"` or `"-1h30m"`, in the timestamp's offset, to the second.
pub fn timeadd(args: Args) -> Result<Value, Error> {
    let t = stamp(&args, 0)?;
    let text = args.string(1)?;
    let nanos = go_duration(&text).ok_or_else(|| {
        args.error(
            1,
            format!(
                "is not a valid duration: {text:?} (use units h, m, s, ms, us, ns, like \"1h30m\")"
            ),
        )
    })?;
    let duration = i64::try_from(nanos)
        .ok()
        .map(SignedDuration::from_nanos)
        .ok_or_else(|| args.error(1, "is too long a duration"))?;
    let at =
        t.at.checked_add(duration)
            .map_err(|_| Error::new("the resulting time is out of range"))?;
    Ok(Value::String(
        Stamp {
            at,
            offset: t.offset,
        }
        .rfc3339(),
    ))
}

/// `timecmp(a, b)`: `-1`, `0` or `1` as instant `a` is before, the same as
/// or after `b`, whatever offsets they are written in.
pub fn timecmp(args: Args) -> Result<Value, Error> {
    let (a, b) = (stamp(&args, 0)?, stamp(&args, 1)?);
    Ok(Value::int(match a.at.cmp(&b.at) {
        std::cmp::Ordering::Less => -1,
        std::cmp::Ordering::Equal => 0,
        std::cmp::Ordering::Greater => 1,
    }))
}

/// `plantimestamp()`: the time of the plan, in UTC to the second. Known
/// while planning (unlike `timestamp()`), the same in every call of a run,
/// and, when a saved plan is applied, the time that plan was made.
pub fn plantimestamp(_args: Args, ctx: &Context) -> Result<Value, Error> {
    Ok(Value::String(
        Stamp {
            at: ctx.plan_time,
            offset: Offset::UTC,
        }
        .rfc3339(),
    ))
}

#[cfg(test)]
mod tests {
    use super::super::call;
    use super::super::tests::ctx;
    use super::go_duration;
    use crate::value::Value;

    fn run(name: &str, args: &[&str]) -> Result<Value, String> {
        call(name, args.iter().map(|&a| Value::from(a)).collect(), &ctx())
            .expect("exists")
            .map_err(|e| e.message)
    }

    #[test]
    fn formatdate_follows_terraform_examples() {
        let t = "2018-01-02T23:12:01Z";
        assert_eq!(
            run("formatdate", &["DD MMM YYYY hh:mm ZZZ", t]),
            Ok("02 Jan 2018 23:12 UTC".into())
        );
        assert_eq!(
            run(
                "formatdate",
                &["EEE, DD MMM YYYY hh:mm:ss ZZZ", "2018-01-02T23:12:01-08:00"]
            ),
            Ok("Tue, 02 Jan 2018 23:12:01 -0800".into())
        );
        assert_eq!(run("formatdate", &["HH:mmaa", t]), Ok("11:12pm".into()));
        assert_eq!(
            run("formatdate", &["H 'o''clock'", t]),
            Ok("11 o'clock".into())
        );
        assert!(
            run("formatdate", &["YYYYY", t])
                .unwrap_err()
                .contains("\"YYYYY\"")
        );
        assert!(run("formatdate", &["'x", t]).is_err());
        assert!(run("formatdate", &["YYYY", "2018-01-02"]).is_err());
        assert!(run("formatdate", &["YYYY", "2018-01-02t00:00:00Z"]).is_err());
    }

    #[test]
    fn durations_are_read_as_go_reads_them() {
        assert_eq!(go_duration("10m"), Some(600_000_000_000));
        assert_eq!(go_duration("-1h30m"), Some(-5_400_000_000_000));
        assert_eq!(go_duration("1.5h"), Some(5_400_000_000_000));
        assert_eq!(go_duration("1us1ns"), Some(1_001));
        assert_eq!(go_duration("0"), Some(0));
        for bad in ["", "1", "1d", "h", "-", "1.h2"] {
            assert_eq!(go_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn timeadd_and_timecmp_keep_offsets() {
        assert_eq!(
            run("timeadd", &["2017-11-22T00:00:00+01:00", "1h"]),
            Ok("2017-11-22T01:00:00+01:00".into())
        );
        assert_eq!(
            run("timeadd", &["2017-11-22T00:00:00.5Z", "1s"]),
            Ok("2017-11-22T00:00:01Z".into())
        );
        assert_eq!(
            run(
                "timecmp",
                &["2017-11-22T01:00:00Z", "2017-11-22T00:00:00-01:00"]
            ),
            Ok(Value::int(0))
        );
    }

    #[test]
    fn plantimestamp_is_one_utc_second_per_run() {
        let a = run("plantimestamp", &[]).expect("a timestamp");
        assert_eq!(run("plantimestamp", &[]), Ok(a.clone()));
        let Value::String(s) = a else {
            panic!("not a string")
        };
        assert_eq!(s.len(), 20);
        assert!(s.ends_with('Z'));
    }
}
