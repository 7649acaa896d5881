//! The CSV and JSON loaders, and what they report about bad lines.

use std::fmt;

use crate::json::{Map, Value};
use serde::Serialize;

use super::{Attributes, CidrTable, CidrTableBuilder};
use crate::segment::csv;
use crate::segment::ip::Prefix;

/// What went wrong (or was adjusted) on one input line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum IssueKind {
    /// The prefix could not be parsed; the line was skipped.
    BadPrefix,
    /// The line has no prefix value; skipped.
    MissingPrefix,
    /// The line is not a valid record (bad quoting, not a JSON object, too
    /// many fields, ...); skipped.
    BadRecord,
    /// The header has no `cidr`/`network` column; nothing was loaded.
    BadHeader,
    /// The prefix repeats one from an earlier line; this line was skipped.
    Duplicate,
    /// The address had bits set beyond the prefix length; they were
    /// cleared and the line was kept (a warning).
    HostBitsMasked,
}

/// One reported input line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LineIssue {
    /// 1-based line number where the record starts.
    pub line: usize,
    /// The offending value (the prefix text, or the raw line).
    pub input: String,
    /// Category.
    pub kind: IssueKind,
    /// Human-readable reason.
    pub reason: String,
}

impl fmt::Display for LineIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {:?}: {}", self.line, self.input, self.reason)
    }
}

/// Result of loading a table: what loaded, what was rejected, and
/// warnings about lines that were kept after an adjustment.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The table built from the good lines.
    pub table: CidrTable,
    /// Lines that were skipped.
    pub rejected: Vec<LineIssue>,
    /// Lines that were kept with an adjustment (host bits masked).
    pub warnings: Vec<LineIssue>,
}
impl CidrTable {
    /// Loads a table from CSV text (see the module docs for the format).
    pub fn from_csv(text: &str) -> Loaded {
        load_csv(text)
    }

    /// Loads a table from JSON text: an array of objects or JSON Lines.
    pub fn from_json(text: &str) -> Loaded {
        load_json(text)
    }
}

fn issue(line: usize, input: &str, kind: IssueKind, reason: impl Into<String>) -> LineIssue {
    LineIssue {
        line,
        input: input.to_string(),
        kind,
        reason: reason.into(),
    }
}

fn line_tag(line: usize) -> u32 {
    u32::try_from(line).unwrap_or(u32::MAX)
}

/// Shared by both loaders: parse the prefix text, collect warnings/errors.
fn parse_prefix_for_line(
    line: usize,
    text: &str,
    rejected: &mut Vec<LineIssue>,
    warnings: &mut Vec<LineIssue>,
) -> Option<Prefix> {
    let t = text.trim();
    if t.is_empty() {
        rejected.push(issue(line, t, IssueKind::MissingPrefix, "empty prefix"));
        return None;
    }
    match Prefix::parse(t) {
        Ok(p) => {
            if p.had_host_bits {
                warnings.push(issue(
                    line,
                    t,
                    IssueKind::HostBitsMasked,
                    format!("host bits set beyond the prefix length; using {}", p.prefix),
                ));
            }
            Some(p.prefix)
        }
        Err(e) => {
            rejected.push(issue(line, t, IssueKind::BadPrefix, e.to_string()));
            None
        }
    }
}

fn finish(
    builder: CidrTableBuilder,
    mut rejected: Vec<LineIssue>,
    warnings: Vec<LineIssue>,
) -> Loaded {
    let (table, dups) = builder.build_with_duplicates();
    for d in dups {
        rejected.push(issue(
            usize::try_from(d.dropped_tag).unwrap_or(usize::MAX),
            &d.prefix.to_string(),
            IssueKind::Duplicate,
            format!("duplicate of line {}; the first one is kept", d.kept_tag),
        ));
    }
    rejected.sort_by_key(|i| i.line);
    Loaded {
        table,
        rejected,
        warnings,
    }
}

/// CSV cell → JSON value (numbers only for plain decimals, no leading 0).
fn cell_value(s: &str) -> Value {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let (int_part, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let int_ok = !int_part.is_empty()
        && int_part.bytes().all(|b| b.is_ascii_digit())
        && (int_part == "0" || !int_part.starts_with('0'));
    let frac_ok = frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()));
    if int_ok && frac_ok && int_part.len() <= 15 {
        if frac.is_none() {
            if let Ok(i) = s.parse::<i64>() {
                return Value::from(i);
            }
        } else if let Ok(f) = s.parse::<f64>() {
            if let Some(n) = crate::json::Number::from_f64(f) {
                return Value::Number(n);
            }
        }
    }
    Value::String(s.to_string())
}

const PREFIX_COLUMNS: [&str; 4] = ["cidr", "network", "prefix", "ip"];

fn load_csv(text: &str) -> Loaded {
    let mut builder = CidrTableBuilder::new();
    let mut rejected = Vec::new();
    let mut warnings = Vec::new();
    let mut recs = csv::records(text);
    // Header: the first record.
    let header = match recs.next() {
        None => return finish(builder, rejected, warnings),
        Some(Err(e)) => {
            rejected.push(issue(e.line, &e.raw, IssueKind::BadHeader, e.reason));
            return finish(builder, rejected, warnings);
        }
        Some(Ok(r)) => r,
    };
    let names: Vec<String> = header
        .fields
        .iter()
        .map(|h| h.trim().to_lowercase())
        .collect();
    let Some(cidr_col) = PREFIX_COLUMNS
        .iter()
        .find_map(|c| names.iter().position(|n| n == c))
    else {
        rejected.push(issue(
            header.line,
            &header.raw,
            IssueKind::BadHeader,
            "header has no \"cidr\" or \"network\" column",
        ));
        return finish(builder, rejected, warnings);
    };
    let mut key = String::new();
    for rec in recs {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                rejected.push(issue(e.line, &e.raw, IssueKind::BadRecord, e.reason));
                continue;
            }
        };
        if rec.fields.len() > names.len() {
            rejected.push(issue(
                rec.line,
                &rec.raw,
                IssueKind::BadRecord,
                format!(
                    "{} fields, but the header has {} columns",
                    rec.fields.len(),
                    names.len()
                ),
            ));
            continue;
        }
        let Some(cidr_text) = rec.fields.get(cidr_col) else {
            rejected.push(issue(
                rec.line,
                &rec.raw,
                IssueKind::MissingPrefix,
                "no value in the prefix column",
            ));
            continue;
        };
        let Some(prefix) = parse_prefix_for_line(rec.line, cidr_text, &mut rejected, &mut warnings)
        else {
            continue;
        };
        key.clear();
        for (i, f) in rec.fields.iter().enumerate() {
            if i != cidr_col {
                key.push_str(f.trim());
                key.push('\u{1f}');
            }
        }
        let make = || {
            let mut m = Map::new();
            for (i, (name, f)) in names.iter().zip(rec.fields.iter()).enumerate() {
                let f = f.trim();
                if i != cidr_col && !f.is_empty() && !name.is_empty() {
                    m.insert(name.clone(), cell_value(f));
                }
            }
            Attributes(m)
        };
        match builder.intern_with(key.clone(), make) {
            Some(id) => builder.push_interned(prefix, id, line_tag(rec.line)),
            None => rejected.push(issue(
                rec.line,
                &rec.raw,
                IssueKind::BadRecord,
                "too many distinct attribute sets",
            )),
        }
    }
    finish(builder, rejected, warnings)
}

/// A top-level JSON element: `Ok((line, text))` or `Err((line, reason))`.
type JsonElement<'a> = Result<(usize, &'a str), (usize, String)>;

/// Splits JSON text into top-level elements: (line, text). An array's
/// elements, or, if the text does not start with `[`, one value per
/// non-blank line (JSON Lines). An unterminated value yields an error.
fn json_elements(text: &str) -> Vec<JsonElement<'_>> {
    let mut out = Vec::new();
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let trimmed = text.trim_start();
    if !trimmed.starts_with('[') {
        for (i, line) in text.lines().enumerate() {
            let t = line.trim();
            if !t.is_empty() && !t.starts_with('#') {
                out.push(Ok((i + 1, t)));
            }
        }
        return out;
    }
    let bytes = text.as_bytes();
    let mut line = 1usize;
    let mut i = 0usize;
    // Move past the opening bracket.
    while let Some(&b) = bytes.get(i) {
        i += 1;
        if b == b'\n' {
            line += 1;
        }
        if b == b'[' {
            break;
        }
    }
    let mut depth = 0usize;
    let mut in_str = false;
    let mut escaped = false;
    let mut elem_start: Option<(usize, usize)> = None;
    let mut closed = false;
    while let Some(&b) = bytes.get(i) {
        if in_str {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_str = false;
            } else if b == b'\n' {
                line += 1;
            }
            i += 1;
            continue;
        }
        match b {
            b'\n' => line += 1,
            b' ' | b'\t' | b'\r' => {}
            b',' | b']' if depth == 0 => {
                if let Some((s, l)) = elem_start.take() {
                    out.push(Ok((l, text.get(s..i).unwrap_or_default().trim())));
                } else if b == b',' {
                    out.push(Err((line, "empty array element".to_string())));
                }
                if b == b']' {
                    closed = true;
                    i += 1;
                    break;
                }
            }
            _ => {
                if elem_start.is_none() {
                    elem_start = Some((i, line));
                }
                match b {
                    b'"' => in_str = true,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => depth = depth.saturating_sub(1),
                    _ => {}
                }
            }
        }
        i += 1;
    }
    if !closed {
        let l = elem_start.map_or(line, |(_, l)| l);
        out.push(Err((l, "unterminated JSON array".to_string())));
    } else if let Some(rest) = text.get(i..) {
        if !rest.trim().is_empty() {
            out.push(Err((
                line,
                "unexpected text after the JSON array".to_string(),
            )));
        }
    }
    out
}

fn load_json(text: &str) -> Loaded {
    let mut builder = CidrTableBuilder::new();
    let mut rejected = Vec::new();
    let mut warnings = Vec::new();
    for elem in json_elements(text) {
        let (line, raw) = match elem {
            Ok(x) => x,
            Err((line, reason)) => {
                rejected.push(issue(line, "", IssueKind::BadRecord, reason));
                continue;
            }
        };
        let short: String = raw.chars().take(120).collect();
        let mut obj = match serde_json::from_str::<Value>(raw) {
            Ok(Value::Object(m)) => m,
            Ok(_) => {
                rejected.push(issue(
                    line,
                    &short,
                    IssueKind::BadRecord,
                    "not a JSON object",
                ));
                continue;
            }
            Err(e) => {
                rejected.push(issue(
                    line,
                    &short,
                    IssueKind::BadRecord,
                    format!("invalid JSON: {e}"),
                ));
                continue;
            }
        };
        let cidr = ["cidr", "network"].into_iter().find_map(|k| obj.remove(k));
        let cidr_text = match cidr {
            Some(Value::String(s)) => s,
            Some(other) => {
                rejected.push(issue(
                    line,
                    // `Value`'s own text, in every build.
                    &serde_json::to_string(&other).unwrap_or_default(),
                    IssueKind::BadPrefix,
                    "\"cidr\" is not a string",
                ));
                continue;
            }
            None => {
                rejected.push(issue(
                    line,
                    &short,
                    IssueKind::MissingPrefix,
                    "object has no \"cidr\" key",
                ));
                continue;
            }
        };
        let Some(prefix) = parse_prefix_for_line(line, &cidr_text, &mut rejected, &mut warnings)
        else {
            continue;
        };
        let attrs = Attributes(obj);
        let key = serde_json::to_string(&attrs).unwrap_or_default();
        match builder.intern_with(key, || attrs) {
            Some(id) => builder.push_interned(prefix, id, line_tag(line)),
            None => rejected.push(issue(
                line,
                &short,
                IssueKind::BadRecord,
                "too many distinct attribute sets",
            )),
        }
    }
    finish(builder, rejected, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_values() {
        assert_eq!(cell_value("500"), Value::from(500));
        assert_eq!(cell_value("-3"), Value::from(-3));
        assert_eq!(cell_value("2.5"), Value::from(2.5));
        assert_eq!(cell_value("02134"), Value::from("02134"));
        assert_eq!(cell_value("51-200"), Value::from("51-200"));
        assert_eq!(cell_value("1e5"), Value::from("1e5"));
        assert_eq!(cell_value("0"), Value::from(0));
        assert_eq!(cell_value("1."), Value::from("1."));
    }

    #[test]
    fn json_splitting() {
        let e = json_elements("[\n {\"a\": \"],\"},\n 3 ,\n [1,2]\n]");
        let ok: Vec<_> = e.iter().map(|x| x.clone().unwrap()).collect();
        assert_eq!(ok, vec![(2, "{\"a\": \"],\"}"), (3, "3"), (4, "[1,2]")]);
        let e = json_elements("[ {\"a\": 1},");
        assert!(e.last().unwrap().is_err());
    }
}
