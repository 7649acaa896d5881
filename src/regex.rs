//! The regex engine behind every pattern a configuration holds: conditions'
//! `$regex` / `$regexi`, forms' and organization rules' JavaScript regexes,
//! fit rules' `pattern` and the phone number metadata's leading digits.
//!
//! Which engine matches depends on the build:
//!
//! - Native builds, and wasm builds with the `rust-engines` feature (Node and
//!   the edge worker): regex-lite, which matches in linear time, so a
//!   hostile pattern cannot hang an isolate. JavaScript sources are
//!   translated into its syntax first, with the differences that remain
//!   listed in [`crate::targeting::jsregex`].
//! - The page build (wasm without `rust-engines`, the `js_engine` cfg): the
//!   browser's own `RegExp` (`crate::wasm::engine`), so no regex engine
//!   ships to pages, and a JavaScript source means exactly what it means
//!   to GrowthBook's SDK and to a browser, lookaround and backreferences
//!   included. A browser already runs a page's own regexes on the same
//!   engine, so linear time buys nothing there. Fit rules' `pattern`,
//!   written in regex-lite's syntax, is handed to `RegExp` with a leading
//!   group of inline flags (`(?i)`, `(?s)`, `(?m)`) made into `RegExp`
//!   flags and `(?P<name>` made into `(?<name>`; elsewhere the two dialects
//!   differ as the translation's list says, read the other way round
//!   (for example `\s` and a case-insensitive match reach beyond ASCII in
//!   `RegExp`, and inline flags elsewhere in a pattern are refused).

use std::fmt;

/// A compiled regular expression; [`Regex::is_match`] finds it anywhere in
/// a text, as `RegExp.prototype.test` does. It keeps its source, so a
/// config compiled ahead (src/compiled/) carries the pattern text and each
/// build compiles it with its own engine when it loads.
#[derive(Debug, Clone)]
pub struct Regex(Engine, Source);

/// What a regex was compiled from: a pattern in regex-lite's syntax, or
/// JavaScript source and whether it is case-insensitive.
#[derive(Debug, Clone, serde::Serialize)]
enum Source {
    Rust(Box<str>),
    Js(Box<str>, bool),
}

impl serde::Serialize for Regex {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.1.serialize(s)
    }
}

impl Regex {
    /// A regex from a compiled config ([`crate::compiled::read`]): its
    /// [`Source`], compiled again with this build's engine. `None`, and
    /// the cursor bad, if it does not decode or compile.
    pub(crate) fn read_compiled(w: &mut crate::compiled::read::Wire<'_>) -> Option<Regex> {
        let (tag, pattern) = (w.u32(), w.str());
        let compiled = match tag {
            0 if !w.is_bad() => Regex::rust(pattern),
            1 => {
                let insensitive = w.bool();
                if w.is_bad() {
                    return None;
                }
                compile_js_regex(pattern, insensitive)
            }
            _ => return w.invalid(None),
        };
        compiled.map_err(|_| w.fail()).ok()
    }
}

#[cfg(not(js_engine))]
type Engine = regex_lite::Regex;
#[cfg(js_engine)]
type Engine = crate::wasm::engine::JsRegExp;

impl Regex {
    /// Whether the regex matches somewhere in `text`.
    #[cfg(not(js_engine))]
    pub fn is_match(&self, text: &str) -> bool {
        self.0.is_match(text)
    }

    /// Whether the regex matches somewhere in `text`.
    #[cfg(js_engine)]
    pub fn is_match(&self, text: &str) -> bool {
        self.0.test(text)
    }

    /// Compiles a pattern in regex-lite's syntax (fit rules' `pattern`, the
    /// phone metadata's leading digits).
    #[cfg(not(js_engine))]
    pub fn rust(pattern: &str) -> Result<Regex, RegexError> {
        regex_lite::Regex::new(pattern)
            .map(|r| Regex(r, Source::Rust(pattern.into())))
            .map_err(|e| RegexError::Engine(e.to_string()))
    }

    /// Compiles a pattern in regex-lite's syntax with `RegExp`: a leading
    /// group of inline flags becomes flags, `(?P<name>` becomes `(?<name>`.
    #[cfg(js_engine)]
    pub fn rust(pattern: &str) -> Result<Regex, RegexError> {
        let (flags, body) = leading_flags(pattern);
        let body = body.replace("(?P<", "(?<");
        crate::wasm::engine::compile(&body, flags)
            .map(|r| Regex(r, Source::Rust(pattern.into())))
            .map_err(RegexError::Engine)
    }
}

/// Compiles JavaScript regex source as GrowthBook passes it to `new
/// RegExp(source, insensitive ? "i" : undefined)`.
#[cfg(not(js_engine))]
pub fn compile_js_regex(source: &str, insensitive: bool) -> Result<Regex, RegexError> {
    let translated = crate::targeting::jsregex::translate(source, insensitive)?;
    let source = Source::Js(source.into(), insensitive);
    regex_lite::Regex::new(&translated)
        .map(|r| Regex(r, source))
        .map_err(|e| {
            let msg = e.to_string();
            RegexError::Engine(msg.lines().last().unwrap_or("").trim().to_string())
        })
}

/// Compiles JavaScript regex source as GrowthBook passes it to `new
/// RegExp(source, insensitive ? "i" : undefined)`.
#[cfg(js_engine)]
pub fn compile_js_regex(source: &str, insensitive: bool) -> Result<Regex, RegexError> {
    crate::wasm::engine::compile(source, if insensitive { "i" } else { "" })
        .map(|r| Regex(r, Source::Js(source.into(), insensitive)))
        .map_err(RegexError::Engine)
}

/// A leading group of inline flags (`(?i)`, `(?is)`…) as `RegExp` flags,
/// and the rest of the pattern.
#[cfg(js_engine)]
fn leading_flags(pattern: &str) -> (&str, &str) {
    let Some(rest) = pattern.strip_prefix("(?") else {
        return ("", pattern);
    };
    match rest.split_once(')') {
        Some((flags, body))
            if !flags.is_empty() && flags.bytes().all(|b| matches!(b, b'i' | b'm' | b's')) =>
        {
            (flags, body)
        }
        _ => ("", pattern),
    }
}

/// Why a regular expression cannot be used. The message
/// ([`Display`](fmt::Display)) is what an author of a rule or a form reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegexError {
    /// `(?=…)`, `(?!…)`, `(?<=…)` or `(?<!…)`: lookaround cannot be matched
    /// in linear time, so it is refused.
    Lookaround,
    /// `(?<name>…)` whose name is not a JavaScript identifier.
    InvalidGroupName,
    /// `(?` followed by something that starts no group JavaScript knows.
    InvalidGroup,
    /// `\1`…`\9` (a backreference) or a legacy octal escape such as `\012`.
    Backreference,
    /// `\uD83D` without the second half of its surrogate pair.
    LoneSurrogate,
    /// `\k<name>`, a backreference to a named group.
    NamedBackreference,
    /// The pattern's last character is a lone `\`.
    TrailingBackslash,
    /// A `[` without its closing `]`.
    UnterminatedClass,
    /// A range such as `[z-a]` whose start comes after its end.
    RangeOutOfOrder,
    /// The regex engine refused the pattern (an unclosed group, a
    /// repetition too large to compile…); its own reason.
    Engine(String),
}

impl fmt::Display for RegexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Lookaround => "lookaround assertions are not supported",
            Self::InvalidGroupName => "invalid capture group name",
            Self::InvalidGroup => "invalid group",
            Self::Backreference => "backreferences and octal escapes are not supported",
            Self::LoneSurrogate => "lone surrogate escapes are not supported",
            Self::NamedBackreference => "named backreferences are not supported",
            Self::TrailingBackslash => "pattern ends with a backslash",
            Self::UnterminatedClass => "unterminated character class",
            Self::RangeOutOfOrder => "range out of order in character class",
            Self::Engine(reason) => reason,
        })
    }
}

impl std::error::Error for RegexError {}
