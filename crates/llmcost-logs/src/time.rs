//! Timestamps of log lines: a fast path for the common
//! `YYYY-MM-DDTHH:MM:SS[.fraction]Z` form, jiff for everything else.

use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use llmcost_core::Timestamp;

fn digits(b: &[u8]) -> Option<i64> {
    let mut v: i64 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + i64::from(c - b'0');
    }
    Some(v)
}

fn fast(b: &[u8]) -> Option<Timestamp> {
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let y = digits(&b[0..4])?;
    let mo = digits(&b[5..7])?;
    let d = digits(&b[8..10])?;
    let h = digits(&b[11..13])?;
    let mi = digits(&b[14..16])?;
    let s = digits(&b[17..19])?;
    let mut rest = &b[19..];
    let mut nanos: i64 = 0;
    if let Some(frac) = rest.strip_prefix(b".") {
        let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 || n > 9 {
            return None;
        }
        nanos = digits(&frac[..n])? * 10i64.pow(9 - u32::try_from(n).ok()?);
        rest = &frac[n..];
    }
    if rest != b"Z" && rest != b"z" && rest != b"+00:00" {
        return None;
    }
    // Checks the ranges (2025-02-30, 24:00 and 12:60 are refused).
    let dt = DateTime::new(
        i16::try_from(y).ok()?,
        i8::try_from(mo).ok()?,
        i8::try_from(d).ok()?,
        i8::try_from(h).ok()?,
        i8::try_from(mi).ok()?,
        i8::try_from(s).ok()?,
        i32::try_from(nanos).ok()?,
    )
    .ok()?;
    TimeZone::UTC.to_timestamp(dt).ok()
}

/// Parses an RFC 3339 timestamp (any offset), or `None`.
pub(crate) fn parse(b: &[u8]) -> Option<Timestamp> {
    fast(b).or_else(|| std::str::from_utf8(b).ok()?.parse::<Timestamp>().ok())
}

/// Unix seconds (or milliseconds, when too large to be seconds) as an instant.
pub(crate) fn from_unix(v: i64) -> Option<Timestamp> {
    if v.unsigned_abs() >= 100_000_000_000 {
        Timestamp::from_millisecond(v).ok()
    } else {
        Timestamp::from_second(v).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_path_matches_jiff() {
        for s in [
            "2025-06-01T00:00:00Z",
            "2025-07-30T07:50:43.179Z",
            "2024-02-29T23:59:59.999999999Z",
            "1999-12-31T12:00:00.5+00:00",
        ] {
            let want: Timestamp = s.parse().unwrap();
            assert_eq!(fast(s.as_bytes()), Some(want), "{s}");
        }
        assert_eq!(fast(b"2025-02-30T00:00:00Z"), None);
        assert_eq!(fast(b"2025-13-01T00:00:00Z"), None);
        assert_eq!(fast(b"2025-06-01T24:00:00Z"), None);
        assert_eq!(fast(b"2025-06-01T12:60:00Z"), None);
        assert_eq!(fast(b"2025-06-01T12:00:60Z"), None);
        assert_eq!(fast(b"2025-00-01T00:00:00Z"), None);
        assert_eq!(
            parse(b"2025-06-01T02:00:00+02:00"),
            Some("2025-06-01T00:00:00Z".parse().unwrap())
        );
        assert_eq!(parse(b"yesterday"), None);
    }
}
