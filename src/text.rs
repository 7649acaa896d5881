//! Text that the page build leaves to the JS engine, like the text of
//! numbers ([`crate::diagnostics::number_text`]): lower-casing beyond
//! ASCII and reading numbers people typed. And text written without
//! `core::fmt`: the page build ships no formatting machinery, so the code
//! it runs joins its messages from parts (`[..].concat()`) and writes
//! integers with [`int_text`] rather than with `format!` or `to_string`.

use std::borrow::Cow;

/// `text` lower-cased by Unicode's default case mapping, as both Rust's
/// `str::to_lowercase` and JS's `toLowerCase` do it (final sigma
/// included). ASCII text is lower-cased here in every build; other text
/// by the JS engine in the builds that leave text to it (`js_engine`),
/// which so ship no case tables.
pub fn lowercase(text: &str) -> String {
    lower(text).into_owned()
}

/// [`lowercase`], borrowed when it would change nothing.
pub fn lower(text: &str) -> Cow<'_, str> {
    if text.is_ascii() {
        if text.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(text.to_ascii_lowercase())
        } else {
            Cow::Borrowed(text)
        }
    } else {
        Cow::Owned(unicode_lowercase(text))
    }
}

#[cfg(not(js_engine))]
fn unicode_lowercase(text: &str) -> String {
    text.to_lowercase()
}

#[cfg(js_engine)]
fn unicode_lowercase(text: &str) -> String {
    crate::wasm::engine::to_lower_case(text)
}

/// A number written as Rust's `str::parse::<f64>` reads it (`12`, `-1.5e3`,
/// `.5`, `inf`, `NaN`; no spaces). The page build checks that grammar and
/// asks the JS engine's `Number` for the value (the same, correctly
/// rounded), and so ships no float parsing code.
pub fn parse_number(text: &str) -> Option<f64> {
    #[cfg(not(js_engine))]
    {
        text.parse().ok()
    }
    #[cfg(js_engine)]
    {
        let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
        let sign = if text.starts_with('-') { -1.0 } else { 1.0 };
        if unsigned.eq_ignore_ascii_case("inf") || unsigned.eq_ignore_ascii_case("infinity") {
            return Some(sign * f64::INFINITY);
        }
        if unsigned.eq_ignore_ascii_case("nan") {
            return Some(f64::NAN);
        }
        is_decimal(unsigned).then(|| decimal_value(text))
    }
}

/// A decimal literal already checked ([`is_decimal`], a sign allowed) as a
/// double: Rust's parser natively, the JS engine's `Number` in the builds
/// that leave numbers to it (both round to nearest).
pub(crate) fn decimal_value(text: &str) -> f64 {
    #[cfg(not(js_engine))]
    {
        text.parse().unwrap_or(f64::NAN)
    }
    #[cfg(js_engine)]
    {
        crate::wasm::engine::string_to_number(text)
    }
}

/// `digits [. digits] [e [+-] digits]` with a digit before or after the
/// point: Rust's (and JS's StrDecimalLiteral's) unsigned decimal literal.
pub(crate) fn is_decimal(text: &str) -> bool {
    let b = text.as_bytes();
    let digits = |mut i: usize| {
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        i
    };
    let whole = digits(0);
    let mut i = whole;
    let mut fraction = 0;
    if b.get(i) == Some(&b'.') {
        let end = digits(i + 1);
        fraction = end - i - 1;
        i = end;
    }
    if whole == 0 && fraction == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let end = digits(i);
        if end == i {
            return false;
        }
        i = end;
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The page build's grammar check takes exactly what Rust's parser
    /// takes, apart from `inf` / `NaN`, which it reads itself.
    #[test]
    fn decimal_grammar_matches_rusts_parser() {
        let cases = [
            "0", "12", "-1.5", "+3", ".5", "5.", "1e5", "1E-5", "-.5e+2", "007", "1_000", "", ".",
            "-", "+", "e5", "1e", "1e+", "1.2.3", " 1", "1 ", "0x1f", "1,000", "1e5.5", "١٢",
            "--1", "+-1", "1ee2", "12k", "Infinity", "inf", "NaN", "-inf", "infinity",
        ];
        for case in cases {
            let unsigned = case.strip_prefix(['+', '-']).unwrap_or(case);
            let special = ["inf", "infinity", "nan"]
                .iter()
                .any(|s| unsigned.eq_ignore_ascii_case(s));
            if special {
                continue;
            }
            assert_eq!(
                is_decimal(unsigned),
                case.parse::<f64>().is_ok(),
                "{case:?}"
            );
            assert_eq!(
                parse_number(case).is_some(),
                case.parse::<f64>().is_ok(),
                "{case:?}"
            );
        }
    }

    #[test]
    fn matches_unicode_lowercasing() {
        for text in [
            "",
            "abc",
            "ABC Def",
            "ÉCOLE",
            "ΟΔΟΣ",
            "İstanbul",
            "straße",
            "ǅ",
            "Ⅻ",
        ] {
            assert_eq!(lowercase(text), text.to_lowercase(), "{text}");
        }
        assert!(matches!(lower("already lower"), Cow::Borrowed(_)));
    }
}

/// The decimal text of an integer, as `n.to_string()` writes it, without
/// `core::fmt` (see above).
pub fn int_text(n: i64) -> String {
    let mut out = String::with_capacity(20);
    if n < 0 {
        out.push('-');
    }
    push_digits(&mut out, n.unsigned_abs());
    out
}

/// [`int_text`] of an unsigned integer.
pub fn uint_text(n: u64) -> String {
    let mut out = String::with_capacity(20);
    push_digits(&mut out, n);
    out
}

fn push_digits(out: &mut String, n: u64) {
    // The place of the first digit; `10 * place` cannot overflow, as it
    // is at most `n`.
    let mut place = 1u64;
    while n / place >= 10 {
        place *= 10;
    }
    loop {
        out.push(char::from(b'0' + (n / place % 10) as u8));
        if place == 1 {
            break;
        }
        place /= 10;
    }
}

#[cfg(test)]
mod int_text_tests {
    use super::{int_text, uint_text};

    #[test]
    fn writes_what_to_string_writes() {
        for n in [
            0,
            1,
            -1,
            9,
            10,
            99,
            100,
            255,
            -128,
            1_000_000,
            i64::MAX,
            i64::MIN,
        ] {
            assert_eq!(int_text(n), n.to_string());
        }
        for n in [0, 7, 10, u64::from(u32::MAX), u64::MAX] {
            assert_eq!(uint_text(n), n.to_string());
        }
    }
}
