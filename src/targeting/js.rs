//! The handful of JavaScript coercion rules that GrowthBook's `mongrule.ts`
//! relies on implicitly (`value + ""`, `value * 1`, `!!value`, `===`, `<`,
//! `Array.prototype.includes`, `JSON.stringify(a) === JSON.stringify(b)`),
//! re-implemented over [`serde_json::Value`].
//!
//! Everything that recurses into a value carries a depth budget: a value nested
//! deeper than [`MAX_VALUE_DEPTH`] yields [`Abort`] (JS would throw a
//! `RangeError` on a deep enough structure too), never a stack overflow.

use std::borrow::Cow;
use std::cmp::Ordering;

use crate::json::{Map, Value};

use crate::compiled::read::{Wire, WireRead};

/// How deep attribute / literal values may be nested before evaluation aborts.
pub(crate) const MAX_VALUE_DEPTH: usize = 256;

/// Evaluation could not continue: JS would have thrown (e.g. `Object.entries(null)`),
/// or a value/condition is nested past the recursion budget. The whole
/// condition then evaluates to `false`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Abort;

/// `Number::toString(x)` (ECMAScript 2023, 6.1.6.1.20), e.g. `1e21` → `"1e+21"`,
/// `0.000001` → `"0.000001"`, `1e-7` → `"1e-7"`, `-0` → `"0"`.
///
/// Rust's `{:e}` formatting yields the same shortest round-trip digits as JS;
/// only the placement of the decimal point / exponent differs. The page
/// build asks the JS engine instead (`crate::wasm::engine`), which ships no
/// float formatting code.
#[cfg(js_engine)]
pub fn number_to_string(x: f64) -> String {
    crate::wasm::engine::number_to_string(x)
}

/// `Number::toString(x)`, see the page build's version above.
#[cfg(not(js_engine))]
pub fn number_to_string(x: f64) -> String {
    if x.is_nan() {
        return "NaN".to_string();
    }
    if x == 0.0 {
        return "0".to_string();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.to_string();
    }
    let sci = format!("{:e}", x.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let k = digits.len() as i64;
    let n = exp.parse::<i64>().unwrap_or(0) + 1;
    let mut out = String::new();
    if x < 0.0 {
        out.push('-');
    }
    if k <= n && n <= 21 {
        out.push_str(&digits);
        out.extend(std::iter::repeat_n('0', (n - k) as usize));
    } else if 0 < n && n <= 21 {
        let (int, frac) = digits.split_at(n as usize);
        out.push_str(int);
        out.push('.');
        out.push_str(frac);
    } else if -6 < n && n <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-n) as usize));
        out.push_str(&digits);
    } else {
        let mut chars = digits.chars();
        if let Some(first) = chars.next() {
            out.push(first);
        }
        let rest = chars.as_str();
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        out.push('e');
        out.push(if n > 0 { '+' } else { '-' });
        out.push_str(&(n - 1).abs().to_string());
    }
    out
}

/// JS `StrWhiteSpaceChar` (WhiteSpace + LineTerminator), used by `Number("…")`
/// trimming. Differs from Rust's `char::is_whitespace` (U+FEFF yes, U+0085 no).
pub(crate) fn is_js_whitespace(c: char) -> bool {
    matches!(
        c,
        '\u{9}' | '\u{A}' | '\u{B}' | '\u{C}' | '\u{D}' | ' ' | '\u{A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202F}'
                | '\u{205F}'
                | '\u{3000}'
                | '\u{FEFF}'
    )
}

/// `Number(string)`: trims JS whitespace, `""` → 0, `0x`/`0o`/`0b` prefixes,
/// `Infinity`, decimal literals (`"1."`, `".5"`, `"1e3"`), anything else NaN.
pub(crate) fn string_to_number(s: &str) -> f64 {
    let t = s.trim_matches(is_js_whitespace);
    if t.is_empty() {
        return 0.0;
    }
    let radix_body = |p: &[&str]| p.iter().find_map(|p| t.strip_prefix(p));
    for (prefixes, radix) in [(["0x", "0X"], 16u32), (["0o", "0O"], 8), (["0b", "0B"], 2)] {
        if let Some(body) = radix_body(&prefixes) {
            if body.is_empty() {
                return f64::NAN;
            }
            let mut acc = 0.0f64;
            for c in body.chars() {
                match c.to_digit(radix) {
                    Some(d) => acc = acc * f64::from(radix) + f64::from(d),
                    None => return f64::NAN,
                }
            }
            return acc;
        }
    }
    match t {
        "Infinity" | "+Infinity" => return f64::INFINITY,
        "-Infinity" => return f64::NEG_INFINITY,
        _ => {}
    }
    // The StrDecimalLiteral grammar checked here: Rust's parser also
    // accepts "inf", "NaN", "infinity", which JS does not.
    let unsigned = t.strip_prefix(['+', '-']).unwrap_or(t);
    if !crate::text::is_decimal(unsigned) {
        return f64::NAN;
    }
    crate::text::decimal_value(t)
}

/// A JSON number as text: an integer exactly, any other number as JS's
/// `String(x)` ([`number_to_string`]), so the page and the edge write it
/// alike and the page build needs no float formatting.
pub(crate) fn json_number_text(n: &crate::json::Number) -> String {
    if let Some(i) = n.as_i64() {
        crate::text::int_text(i)
    } else if let Some(u) = n.as_u64() {
        crate::text::uint_text(u)
    } else {
        number_to_string(num(n))
    }
}

/// A serde_json number as the JS double it would be.
pub(crate) fn num(n: &crate::json::Number) -> f64 {
    n.as_f64().unwrap_or(f64::NAN)
}

/// `String(value)` / `value + ""`: arrays join with `,` (null elements become
/// empty), objects become `"[object Object]"`, numbers use JS formatting.
pub(crate) fn to_js_string(v: &Value) -> Result<Cow<'_, str>, Abort> {
    match v {
        Value::String(s) => Ok(Cow::Borrowed(s.as_str())),
        _ => {
            let mut out = String::new();
            push_js_string(v, &mut out, 0)?;
            Ok(Cow::Owned(out))
        }
    }
}

fn push_js_string(v: &Value, out: &mut String, depth: usize) -> Result<(), Abort> {
    if depth > MAX_VALUE_DEPTH {
        return Err(Abort);
    }
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&number_to_string(num(n))),
        Value::String(s) => out.push_str(s),
        Value::Array(a) => {
            for (i, el) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                // Array.prototype.join renders null/undefined elements as "".
                if !el.is_null() {
                    push_js_string(el, out, depth + 1)?;
                }
            }
        }
        Value::Object(_) => out.push_str("[object Object]"),
    }
    Ok(())
}

/// `!!value`.
pub(crate) fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => {
            let f = num(n);
            f != 0.0 && !f.is_nan()
        }
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// The result of `ToPrimitive(value, number)` reduced to what the relational
/// operators need: either a string or (for everything else) its numeric value.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub(crate) enum Prim {
    Str(String),
    Num(f64),
}

impl WireRead for Prim {
    fn read(w: &mut Wire<'_>) -> Self {
        match w.u32() {
            0 => Prim::Str(w.read()),
            1 => Prim::Num(w.read()),
            _ => w.invalid(Prim::Num(0.0)),
        }
    }
}

pub(crate) fn to_primitive(v: &Value) -> Result<Prim, Abort> {
    Ok(match v {
        Value::Null => Prim::Num(0.0),
        Value::Bool(b) => Prim::Num(if *b { 1.0 } else { 0.0 }),
        Value::Number(n) => Prim::Num(num(n)),
        // Arrays and objects: valueOf() returns the object, so toString() wins.
        _ => Prim::Str(to_js_string(v)?.into_owned()),
    })
}

impl Prim {
    fn to_number(&self) -> f64 {
        match self {
            Prim::Str(s) => string_to_number(s),
            Prim::Num(n) => *n,
        }
    }
}

/// `value * 1` (ToNumber).
pub(crate) fn to_number(v: &Value) -> Result<f64, Abort> {
    Ok(match v {
        Value::Null => 0.0,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Number(n) => num(n),
        Value::String(s) => string_to_number(s),
        _ => string_to_number(&to_js_string(v)?),
    })
}

/// JS compares strings by UTF-16 code units, which differs from Rust's byte
/// (= code point) order for astral characters vs. U+E000..U+FFFF.
pub(crate) fn utf16_cmp(a: &str, b: &str) -> Ordering {
    // The orders differ only where a 4-byte character (lead byte 0xF0 or
    // more) meets one of U+E000..U+FFFF (lead byte 0xEE or 0xEF): without
    // such bytes, the byte order is the answer, and far cheaper.
    if a.bytes().chain(b.bytes()).all(|c| c < 0xEE) {
        return a.cmp(b);
    }
    a.encode_utf16().cmp(b.encode_utf16())
}

/// IsLessThan(x, y): `None` stands for JS's `undefined` (a NaN was involved).
fn is_less_than(x: &Prim, y: &Prim) -> Option<bool> {
    if let (Prim::Str(a), Prim::Str(b)) = (x, y) {
        return Some(utf16_cmp(a, b) == Ordering::Less);
    }
    let (a, b) = (x.to_number(), y.to_number());
    if a.is_nan() || b.is_nan() {
        None
    } else {
        Some(a < b)
    }
}

/// The four relational operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub(crate) enum Rel {
    Lt,
    Lte,
    Gt,
    Gte,
}

impl WireRead for Rel {
    fn read(w: &mut Wire<'_>) -> Self {
        match w.u32() {
            0 => Rel::Lt,
            1 => Rel::Lte,
            2 => Rel::Gt,
            3 => Rel::Gte,
            _ => w.invalid(Rel::Lt),
        }
    }
}

/// `actual <op> expected` with JS semantics (`null < 5` is true, `"8" > 5` is
/// true, `"10" < "5"` is true, anything involving NaN is false).
pub(crate) fn relational(rel: Rel, actual: &Prim, expected: &Prim) -> bool {
    match rel {
        Rel::Lt => is_less_than(actual, expected) == Some(true),
        Rel::Gt => is_less_than(expected, actual) == Some(true),
        Rel::Lte => is_less_than(expected, actual) == Some(false),
        Rel::Gte => is_less_than(actual, expected) == Some(false),
    }
}

/// `a === b` for a value from the attributes and one from the condition.
/// Distinct arrays/objects are never `===` (reference identity).
/// Also serves as SameValueZero (`includes`), since JSON has no NaN.
pub(crate) fn strict_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => num(x) == num(y),
        (Value::String(x), Value::String(y)) => x == y,
        _ => false,
    }
}

/// `typeof`-like type name used by `$type`.
pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Is `key` an array index in the JS sense (`ToString(ToUint32(key)) === key`,
/// below 2^32 - 1)?
pub(crate) fn array_index(key: &str) -> Option<usize> {
    if key.is_empty() || (key.len() > 1 && key.starts_with('0')) {
        return None;
    }
    if !key.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = key.parse().ok()?;
    if n >= u64::from(u32::MAX) {
        return None;
    }
    usize::try_from(n).ok()
}

/// Own enumerable keys in JS order: array-index keys ascending, then the rest
/// in map order (insertion order with serde_json's `preserve_order`, sorted
/// otherwise).
fn js_key_order(m: &Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut idx: Vec<(usize, &String, &Value)> = Vec::new();
    let mut rest: Vec<(&String, &Value)> = Vec::new();
    for (k, v) in m {
        match array_index(k) {
            Some(i) => idx.push((i, k, v)),
            None => rest.push((k, v)),
        }
    }
    // Keys are unique, so their indexes too.
    idx.sort_unstable_by_key(|(i, _, _)| *i);
    idx.into_iter()
        .map(|(_, k, v)| (k, v))
        .chain(rest)
        .collect()
}

/// `JSON.stringify(a) === JSON.stringify(b)`, computed structurally.
pub(crate) fn stringify_eq(a: &Value, b: &Value, depth: usize) -> Result<bool, Abort> {
    if depth > MAX_VALUE_DEPTH {
        return Err(Abort);
    }
    Ok(match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        // Same double ⇒ same JSON text (and -0 prints as 0).
        (Value::Number(x), Value::Number(y)) => num(x) == num(y),
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                return Ok(false);
            }
            for (p, q) in x.iter().zip(y) {
                if !stringify_eq(p, q, depth + 1)? {
                    return Ok(false);
                }
            }
            true
        }
        (Value::Object(x), Value::Object(y)) => {
            if x.len() != y.len() {
                return Ok(false);
            }
            for ((ka, va), (kb, vb)) in js_key_order(x).into_iter().zip(js_key_order(y)) {
                if ka != kb || !stringify_eq(va, vb, depth + 1)? {
                    return Ok(false);
                }
            }
            true
        }
        _ => false,
    })
}

/// Whether `v` nests deeper than `limit` (checked iteratively, so it cannot
/// itself overflow the stack).
pub(crate) fn deeper_than(v: &Value, limit: usize) -> bool {
    let mut stack: Vec<(&Value, usize)> = vec![(v, 0)];
    while let Some((v, d)) = stack.pop() {
        if d > limit {
            return true;
        }
        match v {
            Value::Array(a) => stack.extend(a.iter().map(|c| (c, d + 1))),
            Value::Object(m) => stack.extend(m.values().map(|c| (c, d + 1))),
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn utf16_order_with_and_without_the_byte_shortcut() {
        use Ordering::*;
        for (a, b, want) in [
            ("1.2", "1.10", Greater),
            ("", "a", Less),
            ("abc", "abc", Equal),
            ("é", "z", Greater),
            // U+FFFF is one unit 0xFFFF; U+10000 starts with 0xD800.
            ("\u{ffff}", "\u{10000}", Greater),
            ("a\u{e000}", "a\u{1f600}", Greater),
            ("\u{1f600}", "\u{d7ff}", Greater),
        ] {
            assert_eq!(utf16_cmp(a, b), want, "{a:?} {b:?}");
            assert_eq!(utf16_cmp(b, a), want.reverse(), "{b:?} {a:?}");
            let units = a.encode_utf16().cmp(b.encode_utf16());
            assert_eq!(units, want);
        }
    }

    #[test]
    fn number_formatting_matches_js() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0"),
            (-0.0, "0"),
            (1.0, "1"),
            (-1.5, "-1.5"),
            (10.0, "10"),
            (0.1, "0.1"),
            (0.000001, "0.000001"),
            (1e-7, "1e-7"),
            (1.5e-7, "1.5e-7"),
            (1e21, "1e+21"),
            (1.2345e22, "1.2345e+22"),
            (1e20, "100000000000000000000"),
            (123456789012345680000.0, "123456789012345680000"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1.0 / 3.0, "0.3333333333333333"),
            (f64::MAX, "1.7976931348623157e+308"),
            (5e-324, "5e-324"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
        ];
        for (x, s) in cases {
            assert_eq!(number_to_string(*x), *s, "{x:?}");
        }
    }

    #[test]
    fn string_to_number_matches_js() {
        let cases: &[(&str, f64)] = &[
            ("", 0.0),
            ("  \n\t ", 0.0),
            (" 12 ", 12.0),
            ("\u{FEFF}7\u{A0}", 7.0),
            ("1.", 1.0),
            (".5", 0.5),
            ("-.5e1", -5.0),
            ("+3", 3.0),
            ("0x1F", 31.0),
            ("0b101", 5.0),
            ("0o17", 15.0),
            ("Infinity", f64::INFINITY),
            ("-Infinity", f64::NEG_INFINITY),
        ];
        for (s, x) in cases {
            assert_eq!(string_to_number(s), *x, "{s:?}");
        }
        for s in [
            ".", "e5", "1e", "abc", "inf", "NaN", "infinity", "-0x10", "0x", "1_000", "1 2",
            "\u{85}1",
        ] {
            assert!(string_to_number(s).is_nan(), "{s:?}");
        }
    }

    #[test]
    fn to_string_and_number_of_compound_values() {
        let v = json!([1, null, [2, [3]], {"a": 1}, true, 1.5]);
        assert_eq!(
            to_js_string(&v).ok().as_deref(),
            Some("1,,2,3,[object Object],true,1.5")
        );
        assert_eq!(to_number(&json!([])), Ok(0.0));
        assert_eq!(to_number(&json!([" 5 "])), Ok(5.0));
        assert!(to_number(&json!([1, 2])).is_ok_and(f64::is_nan));
        assert!(to_number(&json!({})).is_ok_and(f64::is_nan));
        assert_eq!(to_number(&json!(null)), Ok(0.0));
        assert_eq!(to_number(&json!(true)), Ok(1.0));
    }

    #[test]
    fn relational_semantics() {
        let p = |v: Value| to_primitive(&v).unwrap_or(Prim::Num(f64::NAN));
        assert!(relational(Rel::Lt, &p(json!("10")), &p(json!("5"))));
        assert!(relational(Rel::Gt, &p(json!("8")), &p(json!(5))));
        assert!(relational(Rel::Lt, &p(json!(null)), &p(json!(1))));
        assert!(!relational(Rel::Lte, &p(json!("abc")), &p(json!(1))));
        assert!(!relational(Rel::Gte, &p(json!("abc")), &p(json!(1))));
        assert!(relational(Rel::Gte, &p(json!([2])), &p(json!(2))));
        // UTF-16 order: U+FF61 sorts after U+1F600's high surrogate? No: 0xD83D < 0xFF61.
        assert!(relational(
            Rel::Lt,
            &p(json!("\u{1F600}")),
            &p(json!("\u{FF61}"))
        ));
    }

    #[test]
    fn array_index_rules() {
        assert_eq!(array_index("0"), Some(0));
        assert_eq!(array_index("12"), Some(12));
        assert_eq!(array_index("01"), None);
        assert_eq!(array_index("-1"), None);
        assert_eq!(array_index("1.0"), None);
        assert_eq!(array_index("4294967295"), None);
    }

    #[test]
    fn stringify_eq_ignores_map_order_but_not_array_order() {
        assert_eq!(
            stringify_eq(&json!({"a": 1, "b": [1.0]}), &json!({"b": [1], "a": 1}), 0),
            Ok(true)
        );
        assert_eq!(stringify_eq(&json!([1, 2]), &json!([2, 1]), 0), Ok(false));
        assert_eq!(stringify_eq(&json!({"a": null}), &json!({}), 0), Ok(false));
    }
}
