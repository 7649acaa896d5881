//! Text that the page build leaves to the JS engine, like numbers
//! ([`crate::diagnostics::number_text`]): lower-casing beyond ASCII.

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

#[cfg(test)]
mod tests {
    use super::*;

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
