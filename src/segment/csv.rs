//! Minimal RFC 4180 CSV record splitter with line numbers.
//!
//! * Fields are separated by `,`; records by `\n` or `\r\n`.
//! * A field starting with `"` is quoted: it may contain commas, newlines and
//!   doubled quotes (`""` → `"`).
//! * Blank lines and lines whose first non-blank character is `#` are skipped
//!   (only at the start of a record, never inside a quoted field).
//! * A quote inside an unquoted field is kept literally; text after a closing
//!   quote is appended (lenient, like most spreadsheet exports).

/// One CSV record: the 1-based line it starts on, its fields, and the raw
/// text (for error messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    pub line: usize,
    pub fields: Vec<String>,
    pub raw: String,
}

/// A record that could not be split (unterminated quote).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RecordError {
    pub line: usize,
    pub raw: String,
    pub reason: String,
}

pub(crate) struct Records<'a> {
    text: &'a str,
    pos: usize,
    line: usize,
}

pub(crate) fn records(text: &str) -> Records<'_> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    Records {
        text,
        pos: 0,
        line: 1,
    }
}

fn truncate_raw(s: &str) -> String {
    let s = s.trim_end_matches(['\r', '\n']);
    if s.len() <= 120 {
        return s.to_string();
    }
    let mut end = 120;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    let mut out = s.get(..end).unwrap_or_default().to_string();
    out.push('…');
    out
}

impl Iterator for Records<'_> {
    type Item = Result<Record, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        // Skip blank and comment lines.
        loop {
            let rest = self.text.get(self.pos..)?;
            if rest.is_empty() {
                return None;
            }
            let line_end = rest.find('\n').map_or(rest.len(), |i| i + 1);
            let line = rest.get(..line_end).unwrap_or_default();
            let t = line.trim();
            if t.is_empty() || t.starts_with('#') {
                self.pos += line_end;
                self.line += 1;
                continue;
            }
            break;
        }
        let start_line = self.line;
        let start_pos = self.pos;
        let rest = self.text.get(self.pos..)?;
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut in_quotes = false;
        let mut at_field_start = true;
        let mut chars = rest.char_indices().peekable();
        let mut consumed = rest.len();
        let mut newlines = 0usize;
        while let Some((i, c)) = chars.next() {
            if in_quotes {
                if c == '"' {
                    if matches!(chars.peek(), Some((_, '"'))) {
                        field.push('"');
                        chars.next();
                    } else {
                        in_quotes = false;
                    }
                } else {
                    if c == '\n' {
                        newlines += 1;
                    }
                    field.push(c);
                }
                continue;
            }
            match c {
                '"' if at_field_start => {
                    in_quotes = true;
                    at_field_start = false;
                }
                ',' => {
                    fields.push(std::mem::take(&mut field));
                    at_field_start = true;
                }
                '\n' => {
                    newlines += 1;
                    consumed = i + 1;
                    break;
                }
                '\r' if matches!(chars.peek(), Some((_, '\n'))) => {}
                _ => {
                    if at_field_start && c.is_whitespace() {
                        // Leading blanks before an opening quote are ignored.
                        if matches!(chars.peek(), Some((_, ' ' | '\t' | '"'))) {
                            continue;
                        }
                    }
                    field.push(c);
                    at_field_start = false;
                }
            }
        }
        let raw = truncate_raw(rest.get(..consumed).unwrap_or(rest));
        self.pos = start_pos + consumed;
        self.line += newlines;
        if in_quotes {
            self.pos = self.text.len();
            return Some(Err(RecordError {
                line: start_line,
                raw,
                reason: "unterminated quoted field".to_string(),
            }));
        }
        fields.push(field);
        Some(Ok(Record {
            line: start_line,
            fields,
            raw,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(s: &str) -> Vec<Result<Record, RecordError>> {
        records(s).collect()
    }

    #[test]
    fn quoted_fields_and_lines() {
        let r = all("a,b\n\n# c\n\"x, y\",\"he said \"\"hi\"\"\"\r\n1,\"multi\nline\"\n2,3");
        assert_eq!(r.len(), 4);
        let rec = r[1].as_ref().unwrap();
        assert_eq!(rec.line, 4);
        assert_eq!(rec.fields, vec!["x, y", "he said \"hi\""]);
        let rec = r[2].as_ref().unwrap();
        assert_eq!(rec.line, 5);
        assert_eq!(rec.fields, vec!["1", "multi\nline"]);
        let rec = r[3].as_ref().unwrap();
        assert_eq!(rec.line, 7);
        assert_eq!(rec.fields, vec!["2", "3"]);
    }

    #[test]
    fn unterminated() {
        let r = all("a\n\"oops\n");
        assert!(r[1].is_err());
        assert_eq!(r[1].as_ref().unwrap_err().line, 2);
    }

    #[test]
    fn empty_fields() {
        let r = all(",,\n");
        assert_eq!(r[0].as_ref().unwrap().fields, vec!["", "", ""]);
    }
}
