//! GrowthBook's `paddedVersionString` (util.ts), used by `$veq $vne $vgt $vgte
//! $vlt $vlte`.
//!
//! A version is turned into a string whose plain string order (UTF-16 code
//! units, as JS compares) approximates SemVer order:
//! strip a leading `v` and any `+build` suffix, split on `-` and `.`, append
//! `~` when there are exactly three parts (so a release sorts after its
//! pre-releases, `~` being the largest printable ASCII), left-pad all-digit
//! parts to width 5 with spaces, and join with `-`.
//!
//! Consequences carried over from GrowthBook on purpose: numeric parts wider
//! than 5 digits compare as strings of their own width, pre-release tags compare
//! case-sensitively (`"1.0.0-ALPHA" < "1.0.0-alpha"`), and `"1-2-3"` equals
//! `"1.2.3"`.

use std::borrow::Cow;
use std::cmp::Ordering;

use crate::json::Value;

use super::js::{num, number_to_string, utf16_cmp};

/// `paddedVersionString(input)` for any JSON value: numbers are formatted the
/// JS way (`1.5` → `"1.5"`), empty strings and non-strings become `"0"`.
pub fn padded_version_string(input: &Value) -> String {
    let s: Cow<'_, str> = match input {
        Value::Number(n) => Cow::Owned(number_to_string(num(n))),
        Value::String(s) if !s.is_empty() => Cow::Borrowed(s.as_str()),
        _ => Cow::Borrowed("0"),
    };
    padded_version_str(&s)
}

/// `paddedVersionString` for a string (an empty string counts as `"0"`).
pub fn padded_version_str(input: &str) -> String {
    let input = if input.is_empty() { "0" } else { input };
    // `input.replace(/(^v|\+.*$)/g, "")`: a leading `v`, and everything from the
    // first `+` that has no line terminator after it (`.` does not match line
    // terminators and `$` is end-of-input without the `m` flag).
    let body = input.strip_prefix('v').unwrap_or(input);
    let last_lt = body
        .char_indices()
        .rev()
        .find(|(_, c)| matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}'))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let body = match body.get(last_lt..).and_then(|tail| tail.find('+')) {
        Some(p) => body.get(..last_lt + p).unwrap_or(body),
        None => body,
    };
    let mut parts: Vec<&str> = body.split(['-', '.']).collect();
    if parts.len() == 3 {
        parts.push("~");
    }
    let mut out = String::with_capacity(body.len() + 16);
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            out.push('-');
        }
        if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && p.len() < 5 {
            out.extend(std::iter::repeat_n(' ', 5 - p.len()));
        }
        out.push_str(p);
    }
    out
}

/// Compares two versions the way the `$v*` operators do.
pub fn compare_versions(a: &Value, b: &Value) -> Ordering {
    utf16_cmp(&padded_version_string(a), &padded_version_string(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cmp(a: &str, b: &str) -> Ordering {
        compare_versions(&json!(a), &json!(b))
    }

    #[test]
    fn padding() {
        assert_eq!(padded_version_str("v1.2.3+build"), "    1-    2-    3-~");
        assert_eq!(
            padded_version_str("1.2.3-rc.1"),
            "    1-    2-    3-rc-    1"
        );
        assert_eq!(padded_version_str(""), "    0");
        assert_eq!(padded_version_string(&json!(null)), "    0");
        assert_eq!(padded_version_string(&json!(1.5)), "    1-    5");
        assert_eq!(padded_version_string(&json!(["1"])), "    0");
        assert_eq!(padded_version_str("123456.0.0"), "123456-    0-    0-~");
        // `+` followed by a newline is not stripped (`.` stops at line terminators).
        assert_eq!(padded_version_str("1+a\nb"), "1+a\nb");
        assert_eq!(padded_version_str("1+a\n2+b"), "1+a\n2");
    }

    // The `versionCompare` section of GrowthBook's cases.json (spec 0.5.4),
    // which the vector copy does not carry.
    #[test]
    fn upstream_version_compare_cases() {
        let lt = [
            ("0.9.99", "1.0.0"),
            ("0.9.0", "0.10.0"),
            ("1.0.0-0.0", "1.0.0-0.0.0"),
            ("1.0.0-9999", "1.0.0--"),
            ("1.0.0-99", "1.0.0-100"),
            ("1.0.0-alpha", "1.0.0-alpha.1"),
            ("1.0.0-alpha.1", "1.0.0-alpha.beta"),
            ("1.0.0-alpha.beta", "1.0.0-beta"),
            ("1.0.0-beta", "1.0.0-beta.2"),
            ("1.0.0-beta.2", "1.0.0-beta.11"),
            ("1.0.0-beta.11", "1.0.0-rc.1"),
            ("1.0.0-rc.1", "1.0.0"),
            ("1.0.0-0", "1.0.0--1"),
            ("1.0.0-0", "1.0.0-1"),
            ("1.0.0-1.0", "1.0.0-1.-1"),
        ];
        for (a, b) in lt {
            assert_eq!(cmp(a, b), Ordering::Less, "{a} < {b}");
        }
        let gt = [
            ("0.0.0", "0.0.0-foo", true),
            ("0.0.1", "0.0.0", true),
            ("1.0.0", "0.9.9", true),
            ("0.10.0", "0.9.0", true),
            ("0.99.0", "0.10.0", true),
            ("2.0.0", "1.2.3", true),
            ("v0.0.0", "0.0.0-foo", true),
            ("v0.0.1", "0.0.0", true),
            ("v1.0.0", "0.9.9", true),
            ("v0.10.0", "0.9.0", true),
            ("v0.99.0", "0.10.0", true),
            ("v2.0.0", "1.2.3", true),
            ("0.0.0", "v0.0.0-foo", true),
            ("0.0.1", "v0.0.0", true),
            ("1.0.0", "v0.9.9", true),
            ("0.10.0", "v0.9.0", true),
            ("0.99.0", "v0.10.0", true),
            ("2.0.0", "v1.2.3", true),
            ("1.2.3", "1.2.3-asdf", true),
            ("1.2.3", "1.2.3-4", true),
            ("1.2.3", "1.2.3-4-foo", true),
            ("1.2.3-5-foo", "1.2.3-5", true),
            ("1.2.3-5", "1.2.3-4", true),
            ("1.2.3-5-foo", "1.2.3-5-Foo", true),
            ("3.0.0", "2.7.2+asdf", true),
            ("1.2.3-a.10", "1.2.3-a.5", true),
            ("1.2.3-a.b", "1.2.3-a.5", true),
            ("1.2.3-a.b", "1.2.3-a", true),
            ("1.2.3-a.b.c", "1.2.3-a.b.c.d", false),
            ("1.2.3-a.b.c.10.d.5", "1.2.3-a.b.c.5.d.100", true),
            ("1.2.3-r2", "1.2.3-r100", true),
            ("1.2.3-r100", "1.2.3-R2", true),
            ("a.b.c.d.e.f", "1.2.3", true),
            ("10.0.0", "9.0.0", true),
            ("10000.0.0", "9999.0.0", true),
        ];
        for (a, b, expected) in gt {
            assert_eq!(cmp(a, b) == Ordering::Greater, expected, "{a} > {b}");
            assert_eq!(cmp(a, b) != Ordering::Less, expected, "{a} >= {b}");
        }
        let eq = [
            ("1.2.3", "1.2.3"),
            ("1.2.3", "v1.2.3"),
            ("1.2.3-0", "v1.2.3-0"),
            ("1.2.3-1", "1.2.3-1"),
            ("1.2.3-1", "v1.2.3-1"),
            ("1.2.3-beta", "1.2.3-beta"),
            ("1.2.3-beta", "v1.2.3-beta"),
            ("1.2.3-beta+build", "1.2.3-beta+otherbuild"),
            ("1.2.3-beta+build", "v1.2.3-beta+otherbuild"),
            ("1-2-3", "1.2.3"),
            ("1-2-3", "1-2.3+build99"),
            ("1-2-3", "v1.2.3"),
            ("1.2.3.4", "1.2.3-4"),
        ];
        for (a, b) in eq {
            assert_eq!(cmp(a, b), Ordering::Equal, "{a} == {b}");
        }
    }
}
