//! Timestamps. The core never reads a clock: callers pass `now`, so scoring is
//! deterministic and a test can put a visitor at any age.
//!
//! A timestamp is milliseconds since the Unix epoch (what `Date.now()` gives in
//! JavaScript), or an RFC 3339 / ISO 8601 string as Segment-style events carry.

/// Milliseconds since 1970-01-01T00:00:00Z.
pub type Millis = i64;

pub const MS_PER_SECOND: f64 = 1_000.0;
pub const MS_PER_DAY: f64 = 86_400_000.0;

/// Why a timestamp could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeError {
    /// Not a number of milliseconds nor an ISO 8601 string.
    WrongType,
    /// A number that is not finite or is outside ±100,000 years.
    OutOfRange,
    /// A string that is not `YYYY-MM-DD[THH:MM[:SS[.fff]]][Z|±HH:MM]`.
    BadFormat,
}

impl TimeError {
    pub fn message(&self) -> &'static str {
        match self {
            TimeError::WrongType => {
                "expected milliseconds since the epoch or an ISO 8601 date-time string"
            }
            TimeError::OutOfRange => "timestamp is out of range",
            TimeError::BadFormat => "expected an ISO 8601 date-time such as 2026-11-25T09:30:00Z",
        }
    }
}

/// Far enough for any real event, small enough that day arithmetic on it
/// cannot overflow an `i64` of milliseconds.
const LIMIT_MS: f64 = 3.2e18 / 1_000.0;

/// Reads a timestamp from JSON: a number of milliseconds or an ISO string.
pub fn from_json(value: &crate::json::Value) -> Result<Millis, TimeError> {
    match value {
        crate::json::Value::Number(n) => {
            let ms = n.as_f64().ok_or(TimeError::OutOfRange)?;
            from_f64(ms)
        }
        crate::json::Value::String(s) => parse_iso8601(s),
        _ => Err(TimeError::WrongType),
    }
}

pub fn from_f64(ms: f64) -> Result<Millis, TimeError> {
    if ms.is_finite() && ms.abs() < LIMIT_MS {
        // Sub-millisecond precision means nothing for visitor events.
        Ok(ms.round() as Millis)
    } else {
        Err(TimeError::OutOfRange)
    }
}

/// Parses `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM`, `YYYY-MM-DDTHH:MM:SS(.f+)` with an
/// optional `Z` or `±HH:MM` / `±HHMM` offset (UTC when absent). A space may
/// stand for the `T`, as many exports write it.
pub fn parse_iso8601(text: &str) -> Result<Millis, TimeError> {
    let bytes = text.trim().as_bytes();
    let mut cursor = Cursor { bytes, at: 0 };
    let year = cursor.digits(4)?;
    cursor.expect(b'-')?;
    let month = cursor.digits(2)?;
    cursor.expect(b'-')?;
    let day = cursor.digits(2)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return Err(TimeError::BadFormat);
    }
    let (mut hour, mut minute, mut second, mut millis) = (0, 0, 0, 0);
    let mut offset_minutes: i64 = 0;
    if !cursor.done() {
        match cursor.next() {
            Some(b'T' | b't' | b' ') => {}
            _ => return Err(TimeError::BadFormat),
        }
        hour = cursor.digits(2)?;
        cursor.expect(b':')?;
        minute = cursor.digits(2)?;
        if cursor.peek() == Some(b':') {
            cursor.at += 1;
            second = cursor.digits(2)?;
            if matches!(cursor.peek(), Some(b'.' | b',')) {
                cursor.at += 1;
                let mut scale = 100;
                let mut any = false;
                while let Some(d @ b'0'..=b'9') = cursor.peek() {
                    any = true;
                    millis += i64::from(d - b'0') * scale;
                    scale /= 10;
                    cursor.at += 1;
                }
                if !any {
                    return Err(TimeError::BadFormat);
                }
            }
        }
        if hour > 23 || minute > 59 || second > 60 {
            return Err(TimeError::BadFormat);
        }
        match cursor.next() {
            None => {}
            Some(b'Z' | b'z') => {}
            Some(sign @ (b'+' | b'-')) => {
                let oh = cursor.digits(2)?;
                if cursor.peek() == Some(b':') {
                    cursor.at += 1;
                }
                let om = cursor.digits(2)?;
                if oh > 23 || om > 59 {
                    return Err(TimeError::BadFormat);
                }
                offset_minutes = oh * 60 + om;
                if sign == b'-' {
                    offset_minutes = -offset_minutes;
                }
            }
            Some(_) => return Err(TimeError::BadFormat),
        }
        if !cursor.done() {
            return Err(TimeError::BadFormat);
        }
    }
    // A leap second is read as the last millisecond-resolution instant of
    // its minute's successor, as JavaScript's Date does.
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second - offset_minutes * 60;
    Ok(seconds * 1_000 + millis)
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }
    fn next(&mut self) -> Option<u8> {
        let b = self.peek();
        if b.is_some() {
            self.at += 1;
        }
        b
    }
    fn done(&self) -> bool {
        self.at >= self.bytes.len()
    }
    fn expect(&mut self, want: u8) -> Result<(), TimeError> {
        if self.next() == Some(want) {
            Ok(())
        } else {
            Err(TimeError::BadFormat)
        }
    }
    fn digits(&mut self, count: usize) -> Result<i64, TimeError> {
        let mut value = 0i64;
        for _ in 0..count {
            match self.next() {
                Some(d @ b'0'..=b'9') => value = value * 10 + i64::from(d - b'0'),
                _ => return Err(TimeError::BadFormat),
            }
        }
        Ok(value)
    }
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_and_known_instants() {
        assert_eq!(parse_iso8601("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(parse_iso8601("2026-11-25T18:42:00Z"), Ok(1_795_632_120_000));
        assert_eq!(parse_iso8601("2026-11-25"), Ok(1_795_564_800_000));
        assert_eq!(
            parse_iso8601("2026-11-26T02:42:00.250+08:00"),
            Ok(1_795_632_120_250)
        );
        assert_eq!(parse_iso8601("2000-02-29 12:00"), Ok(951_825_600_000));
        assert_eq!(parse_iso8601("1969-12-31T23:59:59Z"), Ok(-1_000));
    }

    #[test]
    fn rejects_malformed_dates() {
        for bad in [
            "",
            "2026",
            "2026-13-01",
            "2026-02-29",
            "2026-11-25T25:00",
            "2026-11-25T10:00Zjunk",
            "2026-11-25T10:00:00.",
            "not a date",
            "2026-1-5",
        ] {
            assert_eq!(parse_iso8601(bad), Err(TimeError::BadFormat), "{bad}");
        }
    }

    #[test]
    fn json_numbers_and_strings() {
        assert_eq!(from_json(&serde_json::json!(1234.4)), Ok(1234));
        assert_eq!(
            from_json(&serde_json::json!("1970-01-01T00:00:01Z")),
            Ok(1000)
        );
        assert_eq!(
            from_json(&serde_json::json!(true)),
            Err(TimeError::WrongType)
        );
        assert_eq!(
            from_json(&serde_json::json!(1e300)),
            Err(TimeError::OutOfRange)
        );
    }
}
