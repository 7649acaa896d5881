//! Translation of JavaScript `RegExp` source (no `u` flag, optionally the `i`
//! flag, as GrowthBook's `new RegExp(src, insensitive ? "i" : undefined)`)
//! into `regex-lite` syntax, for the builds that match with regex-lite
//! (native, and wasm with the `rust-engines` feature: Node and the edge
//! worker). The page build hands the source to the browser's own `RegExp`
//! instead and has none of the differences below (see [`crate::regex`]).
//!
//! `regex-lite` is small in wasm and matches in linear time, so hostile
//! patterns cannot cause catastrophic backtracking. The translation keeps JS
//! meaning where the two dialects disagree:
//!
//! - `.` excludes all JS line terminators (`\n \r U+2028 U+2029`), not just `\n`.
//! - `\s`/`\S` use the JS white-space set (incl. U+00A0, U+FEFF, U+2000..U+200A…);
//!   `\d \w \b` are ASCII in both dialects.
//! - JS identity escapes (`\/`, `\a`, `\e`, `\z`, `\A`…) become the literal
//!   character (in `regex-lite`, `\A`/`\z` would be anchors).
//! - `\xHH`, `\uHHHH` (surrogate pairs combined), `\cX`, `\0`, `[\b]` (backspace).
//! - Annex-B literals: a `{` that does not start a quantifier, a lone `]` or `}`,
//!   `[` and `&&`/`~~`/`--` inside a class, `[]` (matches nothing) and `[^]`
//!   (matches anything).
//! - Named groups `(?<n>…)`.
//! - With the `i` flag, non-ASCII literals also match their simple upper/lower
//!   case variants (`regex-lite` case-folds ASCII only).
//!
//! Not supported (the pattern is reported invalid, so the operator is `false`
//! where JS could match): lookahead/lookbehind, backreferences (`\1`, `\k<n>`),
//! legacy octal escapes, lone surrogates, quantifier bounds so large that
//! `regex-lite` exceeds its size limit. Remaining differences: JS without `u`
//! sees astral characters as two code units (so `^.$` does not match "😀" in JS
//! but does here), and case-insensitive ranges over non-ASCII characters are
//! not case-folded.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::regex::RegexError;

/// JS `\s` class items (usable inside `[...]`).
const WS_ITEMS: &str = r"\x{9}-\x{D}\x{20}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{FEFF}";
/// Complement of [`WS_ITEMS`] over all scalar values (usable inside `[...]`).
const NON_WS_ITEMS: &str = r"\x{0}-\x{8}\x{E}-\x{1F}\x{21}-\x{9F}\x{A1}-\x{167F}\x{1681}-\x{1FFF}\x{200B}-\x{2027}\x{202A}-\x{202E}\x{2030}-\x{205E}\x{2060}-\x{2FFF}\x{3001}-\x{FEFE}\x{FF00}-\x{10FFFF}";
const NOTHING: &str = r"[^\x{0}-\x{10FFFF}]";
const ANYTHING: &str = r"[\x{0}-\x{10FFFF}]";
const DOT: &str = r"[^\x{A}\x{D}\x{2028}\x{2029}]";

/// Translates JS regex source into `regex-lite` syntax.
pub(crate) fn translate(source: &str, insensitive: bool) -> Result<String, RegexError> {
    let chars: Vec<char> = source.chars().collect();
    let has_named_groups = source.contains("(?<")
        && chars
            .windows(4)
            .any(|w| matches!(w, ['(', '?', '<', c] if *c != '=' && *c != '!'));
    let mut t = Translator {
        chars,
        pos: 0,
        out: String::with_capacity(source.len() * 2 + 8),
        insensitive,
        has_named_groups,
    };
    if insensitive {
        t.out.push_str("(?i)");
    }
    t.run()?;
    Ok(t.out)
}

enum ClassItem {
    Char(char),
    Set(&'static str),
    Dash,
}

struct Translator {
    chars: Vec<char>,
    pos: usize,
    out: String,
    insensitive: bool,
    has_named_groups: bool,
}

fn push_hex(out: &mut String, c: char) {
    out.push_str(&format!("\\x{{{:X}}}", u32::from(c)));
}

/// Emits `c` as a literal inside a class or outside (escaping everything that is
/// not alphanumeric or non-ASCII).
fn push_lit(out: &mut String, c: char) {
    if c.is_ascii_alphanumeric() || !c.is_ascii() {
        out.push(c);
    } else {
        push_hex(out, c);
    }
}

/// JS non-unicode `Canonicalize(ch)`: the single-character upper-case mapping,
/// except that a non-ASCII character never maps onto ASCII.
fn canonicalize(c: char) -> char {
    let mut up = c.to_uppercase();
    match (up.next(), up.next()) {
        (Some(u), None) if !u.is_ascii() || c.is_ascii() => u,
        _ => c,
    }
}

/// Non-ASCII BMP characters grouped by [`canonicalize`] (only groups with more
/// than one member). Built on first use of a case-insensitive regex with a
/// non-ASCII literal.
fn fold_classes() -> &'static HashMap<char, Vec<char>> {
    static FOLD: OnceLock<HashMap<char, Vec<char>>> = OnceLock::new();
    FOLD.get_or_init(|| {
        let mut m: HashMap<char, Vec<char>> = HashMap::new();
        for c in (0x80u32..=0xFFFF).filter_map(char::from_u32) {
            m.entry(canonicalize(c)).or_default().push(c);
        }
        m.retain(|_, v| v.len() > 1);
        m
    })
}

/// Every character that JS's `i` flag (without `u`) treats as equal to `c`.
/// ASCII is left to `regex-lite`'s own (ASCII) case folding; astral
/// characters are surrogate pairs to JS and never fold.
fn case_variants(c: char) -> Vec<char> {
    if c.is_ascii() || u32::from(c) > 0xFFFF {
        return vec![c];
    }
    fold_classes()
        .get(&canonicalize(c))
        .cloned()
        .unwrap_or_else(|| vec![c])
}

impl Translator {
    fn peek(&self, off: usize) -> Option<char> {
        self.chars.get(self.pos + off).copied()
    }

    fn hex_digits(&self, from: usize, n: usize) -> Option<u32> {
        let mut v = 0u32;
        for i in 0..n {
            v = v * 16 + self.chars.get(from + i)?.to_digit(16)?;
        }
        Some(v)
    }

    fn emit_char(&mut self, c: char) {
        if self.insensitive {
            let vars = case_variants(c);
            if vars.len() > 1 {
                self.out.push('[');
                for v in vars {
                    push_lit(&mut self.out, v);
                }
                self.out.push(']');
                return;
            }
        }
        push_lit(&mut self.out, c);
    }

    fn run(&mut self) -> Result<(), RegexError> {
        while let Some(c) = self.peek(0) {
            self.pos += 1;
            match c {
                '\\' => self.escape_outside()?,
                '[' => self.class()?,
                '.' => self.out.push_str(DOT),
                '(' => self.group()?,
                ')' | '|' | '^' | '$' | '*' | '+' | '?' => self.out.push(c),
                '{' => match self.quantifier_len() {
                    Some(len) => {
                        self.out.push('{');
                        for _ in 0..len {
                            if let Some(q) = self.peek(0) {
                                self.out.push(q);
                            }
                            self.pos += 1;
                        }
                    }
                    None => push_lit(&mut self.out, '{'),
                },
                _ => self.emit_char(c),
            }
        }
        Ok(())
    }

    /// After a `{`: length of `n}`, `n,}` or `n,m}` if that follows.
    fn quantifier_len(&self) -> Option<usize> {
        let mut i = 0;
        let digits = |i: &mut usize| {
            let start = *i;
            while self.peek(*i).is_some_and(|c| c.is_ascii_digit()) {
                *i += 1;
            }
            *i > start
        };
        if !digits(&mut i) {
            return None;
        }
        if self.peek(i) == Some(',') {
            i += 1;
            digits(&mut i);
        }
        (self.peek(i) == Some('}')).then_some(i + 1)
    }

    fn group(&mut self) -> Result<(), RegexError> {
        if self.peek(0) != Some('?') {
            self.out.push('(');
            return Ok(());
        }
        match (self.peek(1), self.peek(2)) {
            (Some(':'), _) => {
                self.pos += 2;
                self.out.push_str("(?:");
                Ok(())
            }
            (Some('=') | Some('!'), _) | (Some('<'), Some('=') | Some('!')) => {
                Err(RegexError::Lookaround)
            }
            (Some('<'), _) => {
                self.pos += 2;
                let mut name = String::new();
                loop {
                    match self.peek(0) {
                        Some('>') => break,
                        Some(c) if c.is_ascii_alphanumeric() || c == '_' || c == '$' => {
                            name.push(c);
                            self.pos += 1;
                        }
                        _ => return Err(RegexError::InvalidGroupName),
                    }
                }
                self.pos += 1;
                if name.is_empty()
                    || name.starts_with(|c: char| c.is_ascii_digit())
                    || name.contains('$')
                {
                    return Err(RegexError::InvalidGroupName);
                }
                self.out.push_str("(?P<");
                self.out.push_str(&name);
                self.out.push('>');
                Ok(())
            }
            _ => Err(RegexError::InvalidGroup),
        }
    }

    /// Shared escapes that denote a single character. `pos` is just past the
    /// escaped char `c`. Returns `None` if `c` is not one of them.
    fn char_escape(&mut self, c: char, in_class: bool) -> Result<Option<char>, RegexError> {
        Ok(Some(match c {
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'v' => '\u{B}',
            'f' => '\u{C}',
            '0' if !self.peek(0).is_some_and(|d| d.is_ascii_digit()) => '\0',
            '0'..='9' => return Err(RegexError::Backreference),
            'x' => match self.hex_digits(self.pos, 2) {
                Some(v) => {
                    self.pos += 2;
                    char::from_u32(v).unwrap_or('x')
                }
                None => 'x',
            },
            'u' => match self.hex_digits(self.pos, 4) {
                Some(hi) => {
                    self.pos += 4;
                    if (0xD800..0xDC00).contains(&hi)
                        && self.peek(0) == Some('\\')
                        && self.peek(1) == Some('u')
                    {
                        if let Some(lo) = self.hex_digits(self.pos + 2, 4) {
                            if (0xDC00..0xE000).contains(&lo) {
                                self.pos += 6;
                                let cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                                return Ok(char::from_u32(cp));
                            }
                        }
                    }
                    match char::from_u32(hi) {
                        Some(ch) => ch,
                        None => return Err(RegexError::LoneSurrogate),
                    }
                }
                None => 'u',
            },
            'c' => match self.peek(0) {
                Some(l)
                    if l.is_ascii_alphabetic()
                        || (in_class && (l.is_ascii_digit() || l == '_')) =>
                {
                    self.pos += 1;
                    char::from_u32(u32::from(l) % 32).unwrap_or('c')
                }
                // Annex B: `\c` not followed by a control letter is a literal `\`
                // and the `c` is read again as an ordinary character.
                _ => {
                    self.pos -= 1;
                    '\\'
                }
            },
            'k' if self.has_named_groups => return Err(RegexError::NamedBackreference),
            _ => return Ok(None),
        }))
    }

    fn escape_outside(&mut self) -> Result<(), RegexError> {
        let Some(c) = self.peek(0) else {
            return Err(RegexError::TrailingBackslash);
        };
        self.pos += 1;
        match c {
            'd' | 'D' | 'w' | 'W' | 'b' | 'B' => {
                self.out.push('\\');
                self.out.push(c);
            }
            's' => {
                self.out.push('[');
                self.out.push_str(WS_ITEMS);
                self.out.push(']');
            }
            'S' => {
                self.out.push('[');
                self.out.push_str(NON_WS_ITEMS);
                self.out.push(']');
            }
            _ => match self.char_escape(c, false)? {
                Some(ch) => self.emit_char(ch),
                // Identity escape: the character itself.
                None => self.emit_char(c),
            },
        }
        Ok(())
    }

    fn class(&mut self) -> Result<(), RegexError> {
        let negated = self.peek(0) == Some('^');
        if negated {
            self.pos += 1;
        }
        let mut items: Vec<ClassItem> = Vec::new();
        loop {
            let Some(c) = self.peek(0) else {
                return Err(RegexError::UnterminatedClass);
            };
            self.pos += 1;
            match c {
                ']' => break,
                '-' => items.push(ClassItem::Dash),
                '\\' => {
                    let Some(e) = self.peek(0) else {
                        return Err(RegexError::TrailingBackslash);
                    };
                    self.pos += 1;
                    items.push(match e {
                        'd' => ClassItem::Set(r"\d"),
                        'D' => ClassItem::Set(r"\D"),
                        'w' => ClassItem::Set(r"\w"),
                        'W' => ClassItem::Set(r"\W"),
                        's' => ClassItem::Set(WS_ITEMS),
                        'S' => ClassItem::Set(NON_WS_ITEMS),
                        'b' => ClassItem::Char('\u{8}'),
                        _ => ClassItem::Char(self.char_escape(e, true)?.unwrap_or(e)),
                    });
                }
                _ => items.push(ClassItem::Char(c)),
            }
        }
        if items.is_empty() {
            self.out.push_str(if negated { ANYTHING } else { NOTHING });
            return Ok(());
        }
        self.out.push('[');
        if negated {
            self.out.push('^');
        }
        let mut i = 0;
        while let Some(item) = items.get(i) {
            match item {
                ClassItem::Char(a) => {
                    if let (Some(ClassItem::Dash), Some(ClassItem::Char(b))) =
                        (items.get(i + 1), items.get(i + 2))
                    {
                        if a > b {
                            return Err(RegexError::RangeOutOfOrder);
                        }
                        push_hex(&mut self.out, *a);
                        self.out.push('-');
                        push_hex(&mut self.out, *b);
                        i += 3;
                        continue;
                    }
                    let vars = if self.insensitive {
                        case_variants(*a)
                    } else {
                        vec![*a]
                    };
                    for v in vars {
                        push_lit(&mut self.out, v);
                    }
                }
                ClassItem::Set(s) => self.out.push_str(s),
                ClassItem::Dash => push_lit(&mut self.out, '-'),
            }
            i += 1;
        }
        self.out.push(']');
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::regex::compile_js_regex;

    fn m(re: &str, hay: &str) -> bool {
        compile_js_regex(re, false)
            .map(|r| r.is_match(hay))
            .unwrap_or(false)
    }
    fn mi(re: &str, hay: &str) -> bool {
        compile_js_regex(re, true)
            .map(|r| r.is_match(hay))
            .unwrap_or(false)
    }

    #[test]
    fn js_semantics() {
        assert!(m(r"^a/b$", "a/b"));
        assert!(m(r"^a\/b$", "a/b"));
        assert!(m(r"-12-25$", "1980-12-25"));
        assert!(!m(r"^.$", "\r"));
        assert!(!m(r"^.$", "\u{2028}"));
        assert!(m(r"^\s$", "\u{A0}"));
        assert!(m(r"^\s$", "\u{FEFF}"));
        assert!(!m(r"^\S$", "\u{A0}"));
        assert!(m(r"^[\s]$", "\u{3000}"));
        assert!(m(r"^[^\s]$", "x"));
        assert!(m(r"^\z\A\e$", "zAe"));
        assert!(m(r"^a{$", "a{"));
        assert!(m(r"^a{2}$", "aa"));
        assert!(m(r"^a{1,}b{,2}$", "aab{,2}"));
        assert!(m(r"^]}$", "]}"));
        assert!(m(r"^[[]$", "["));
        assert!(m(r"^[a&&b]+$", "a&&b"));
        assert!(m(r"^[\d-z]+$", "1-z"));
        assert!(m(r"^[a-c]+$", "abc"));
        assert!(m(r"^[\b]$", "\u{8}"));
        assert!(m(r"^[\B]$", "B"));
        assert!(m(r"^\x41\u0042\u{3}$", "ABuuu"));
        assert!(m(r"^\uD83D\uDE00$", "\u{1F600}"));
        assert!(m(r"^\cJ$", "\n"));
        assert!(m(r"^\c$", "\\c"));
        assert!(m(r"^\0$", "\0"));
        assert!(!m(r"[]", "anything"));
        assert!(m(r"^[^]$", "\n"));
        assert!(m(r"^(?<year>\d{4})-(?:\d\d)$", "2024-05"));
        assert!(m(r"\bfoo\b", "a foo b"));
        assert!(m(r"^\w+$", "abc_123"));
        assert!(!m(r"^\w$", "é"));
    }

    #[test]
    fn case_insensitive() {
        assert!(mi("(mobile|tablet)", "Android Mobile Browser"));
        assert!(mi("^é$", "É"));
        assert!(mi("^[é]$", "É"));
        assert!(mi("^σ$", "ς"));
        assert!(!mi("^s$", "ſ"));
        assert!(!mi("^k$", "\u{212A}"));
        assert!(mi("^µ$", "μ"));
        assert!(mi("^[^é]$", "x"));
        assert!(!mi("^[^é]$", "É"));
        assert!(!m("^a$", "A"));
    }

    #[test]
    fn unsupported_or_invalid() {
        for re in [
            "/???***[)",
            "(?=a)",
            "(?!a)",
            "(?<=a)b",
            "(?<!a)b",
            r"(a)\1",
            r"(?<n>a)\k<n>",
            "(",
            "[a",
            "a\\",
            "[z-a]",
            "(?i)a",
            r"\uD800",
            "a{100000}{100000}",
        ] {
            assert!(compile_js_regex(re, false).is_err(), "{re:?}");
        }
        // Without named groups `\k` is an identity escape.
        assert!(m(r"^\k$", "k"));
    }
}
