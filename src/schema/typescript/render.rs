//! Rendering one schema as a TypeScript declaration: the types, objects
//! (one line when short), unions (a member a line when long) and JSDoc
//! comments wrapped to 100 columns.

use serde_json::{Map, Value};

use super::ts_name;

const WIDTH: usize = 100;

/// `export interface` for an object with properties, `export type` for the
/// rest; `refs` gets the names of the schemas it refers to, in order.
pub(super) fn declaration(name: &str, schema: &Value, refs: &mut Vec<String>) -> String {
    let empty = Map::new();
    let s = schema.as_object().unwrap_or(&empty);
    let mut out = doc(s.get("description"), None, 0);
    if s.get("type").and_then(Value::as_str) == Some("object") && s.contains_key("properties") {
        out.push_str(&format!("export interface {name} "));
        out.push_str(&object(s, 0, usize::MAX, refs));
        out.push('\n');
        return out;
    } else if let Some(variants) = documented_variants(s) {
        out.push_str(&format!("export type {name} =\n"));
        for (description, value) in variants {
            out.push_str(&doc(description, None, 2));
            out.push_str(&format!("  | {}\n", literal(value)));
        }
        out.pop();
    } else {
        let head = format!("export type {name} = ");
        let t = ty(schema, 0, head.len(), refs);
        if t.members.len() > 1 && !fits(&t.members.join(" | "), head.len() + 1) {
            out.push_str(head.trim_end());
            for member in &t.members {
                out.push_str(&format!("\n  | {member}"));
            }
        } else {
            out.push_str(&head);
            out.push_str(&t.text());
        }
    }
    out.push_str(";\n");
    out
}

/// The variants of an enum with a doc comment on at least one of them:
/// `oneOf` of `const`s.
fn documented_variants(s: &Map<String, Value>) -> Option<Vec<(Option<&Value>, &Value)>> {
    let members = s.get("oneOf")?.as_array()?;
    let variants: Option<Vec<_>> = members
        .iter()
        .map(|m| Some((m.get("description"), m.get("const")?)))
        .collect();
    variants.filter(|v| v.iter().any(|(d, _)| d.is_some()))
}

/// A type: one member, or the members of a union.
struct Ty {
    members: Vec<String>,
}

impl Ty {
    fn one(text: impl Into<String>) -> Ty {
        Ty {
            members: vec![text.into()],
        }
    }

    fn union(types: impl IntoIterator<Item = Ty>) -> Ty {
        let mut members: Vec<String> = Vec::new();
        for member in types.into_iter().flat_map(|t| t.members) {
            if !members.contains(&member) {
                members.push(member);
            }
        }
        // `T | null` reads better than `null | T`.
        if let Some(i) = members.iter().position(|m| m == "null") {
            let null = members.remove(i);
            members.push(null);
        }
        Ty { members }
    }

    fn text(&self) -> String {
        self.members.join(" | ")
    }

    /// As the element of an array or a type argument.
    fn grouped(&self) -> String {
        if self.members.len() > 1 {
            format!("({})", self.text())
        } else {
            self.text()
        }
    }
}

/// The type of `schema`. `indent`: the indentation of the line it starts
/// on; `used`: the columns already used on that line (for what fits).
fn ty(schema: &Value, indent: usize, used: usize, refs: &mut Vec<String>) -> Ty {
    let Value::Object(s) = schema else {
        return Ty::one(if schema == &Value::Bool(false) {
            "never"
        } else {
            "Json"
        });
    };
    if let Some(t) = s.get("tsType").and_then(Value::as_str) {
        return Ty::one(t);
    }
    if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        let name = r.trim_start_matches("#/definitions/");
        refs.push(name.to_string());
        return Ty::one(ts_name(name));
    }
    if let Some([one]) = s.get("allOf").and_then(Value::as_array).map(Vec::as_slice) {
        return ty(one, indent, used, refs);
    }
    if let Some(value) = s.get("const") {
        return Ty::one(literal(value));
    }
    if let Some(values) = s.get("enum").and_then(Value::as_array) {
        return Ty::union(values.iter().map(|v| Ty::one(literal(v))));
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(members) = s.get(key).and_then(Value::as_array) {
            if let Some(item) = one_or_list(members) {
                let item = ty(item, indent, used, refs);
                return Ty::one(match item.text().as_str() {
                    "string" => "OneOrMany".to_string(),
                    _ => format!("OneOrMany<{}>", item.text()),
                });
            }
            return Ty::union(members.iter().map(|m| ty(m, indent, used, refs)));
        }
    }
    match s.get("type") {
        Some(Value::String(t)) => typed(t, s, indent, used, refs),
        Some(Value::Array(types)) => Ty::union(
            types
                .iter()
                .filter_map(Value::as_str)
                .map(|t| typed(t, s, indent, used, refs)),
        ),
        _ => Ty::one("Json"),
    }
}

/// `[A, {type: array, items: A}]`: one `A` or a list of them.
fn one_or_list(members: &[Value]) -> Option<&Value> {
    match members {
        [one, list] if list.get("type")? == "array" && list.get("items")? == one => Some(one),
        _ => None,
    }
}

fn typed(
    t: &str,
    s: &Map<String, Value>,
    indent: usize,
    used: usize,
    refs: &mut Vec<String>,
) -> Ty {
    Ty::one(match t {
        "string" | "boolean" | "null" | "number" => t.to_string(),
        "integer" => "number".to_string(),
        "array" => match s.get("items") {
            Some(Value::Array(tuple)) => {
                let items: Vec<String> = tuple
                    .iter()
                    .map(|item| ty(item, indent, used, refs).text())
                    .collect();
                format!("[{}]", items.join(", "))
            }
            Some(items) => format!("{}[]", ty(items, indent, used, refs).grouped()),
            None => "Json[]".to_string(),
        },
        "object" => object(s, indent, used, refs),
        _ => "Json".to_string(),
    })
}

/// An object type: `{ a: T; b?: U }` on one line when it fits and no member
/// has a doc comment, else a member a line. `used` of `usize::MAX` asks for
/// a member a line (an interface).
fn object(s: &Map<String, Value>, indent: usize, used: usize, refs: &mut Vec<String>) -> String {
    let pad = " ".repeat(indent + 2);
    let required: Vec<&str> = s
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut members: Vec<(String, String)> = Vec::new();
    let empty = Map::new();
    let properties = s
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    for (key, schema) in properties {
        let optional = if required.contains(&key.as_str()) {
            ""
        } else {
            "?"
        };
        let head = format!("{}{optional}: ", property_name(key));
        let t = ty(schema, indent + 2, indent + 2 + head.len(), refs);
        let default = schema.get("default");
        let comment = doc(schema.get("description"), default, indent + 2);
        members.push((comment, format!("{head}{}", t.text())));
    }
    let rest = match s.get("additionalProperties") {
        Some(Value::Bool(false)) => None,
        Some(schema) => Some(ty(schema, indent + 2, indent + 20, refs).text()),
        None if properties.is_empty() => Some("unknown".to_string()),
        None => None,
    };
    if let Some(rest) = rest {
        members.push((String::new(), format!("[key: string]: {rest}")));
    }
    if used != usize::MAX && members.iter().all(|(comment, _)| comment.is_empty()) {
        let lines: Vec<&str> = members.iter().map(|(_, line)| line.as_str()).collect();
        let one = format!("{{ {} }}", lines.join("; "));
        if fits(&one, used + 1) {
            return one;
        }
    }
    let mut out = String::from("{\n");
    for (comment, line) in members {
        out.push_str(&comment);
        out.push_str(&format!("{pad}{line};\n"));
    }
    out.push_str(&" ".repeat(indent));
    out.push('}');
    out
}

fn fits(text: &str, used: usize) -> bool {
    !text.contains('\n') && used.saturating_add(text.chars().count()) <= WIDTH
}

fn property_name(key: &str) -> String {
    let mut chars = key.chars();
    let identifier = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    if identifier {
        key.to_string()
    } else {
        literal(&Value::from(key))
    }
}

fn literal(value: &Value) -> String {
    value.to_string()
}

/// A JSDoc comment (empty without a description or a default): one line
/// when it fits, else wrapped to the width.
fn doc(description: Option<&Value>, default: Option<&Value>, indent: usize) -> String {
    let pad = " ".repeat(indent);
    let text = description.and_then(Value::as_str).unwrap_or_default();
    let mut paragraphs: Vec<String> = text
        .split("\n\n")
        .map(|p| plain(&p.split_whitespace().collect::<Vec<_>>().join(" ")))
        .filter(|p| !p.is_empty())
        .collect();
    let tag = default
        .filter(|d| !is_empty_value(d))
        .map(|d| format!("@default {}", js_value(d)));
    paragraphs.extend(tag);
    if let [one] = paragraphs.as_slice() {
        let line = format!("/** {one} */");
        if fits(&line, indent) {
            return format!("{pad}{line}\n");
        }
    }
    if paragraphs.is_empty() {
        return String::new();
    }
    let mut out = format!("{pad}/**\n");
    for (i, paragraph) in paragraphs.iter().enumerate() {
        if paragraph.starts_with('@') {
            // A tag stays on one line, and right after the text.
            out.push_str(&format!("{pad} * {paragraph}\n"));
            continue;
        }
        if i > 0 {
            out.push_str(&format!("{pad} *\n"));
        }
        for line in wrap(paragraph, WIDTH.saturating_sub(indent + 3)) {
            out.push_str(&format!("{pad} * {line}\n"));
        }
    }
    out.push_str(&format!("{pad} */\n"));
    out
}

/// A value as JavaScript would write it: `30`, not `30.0`; `{ A: 60 }`.
fn js_value(value: &Value) -> String {
    match value {
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            _ => n.to_string(),
        },
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(js_value).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(map) => {
            let members: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}: {}", property_name(k), js_value(v)))
                .collect();
            format!("{{ {} }}", members.join(", "))
        }
        other => other.to_string(),
    }
}

fn is_empty_value(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(items) => items.is_empty(),
        Value::Object(map) => map.is_empty(),
        _ => false,
    }
}

/// Doc text for TypeScript readers: rustdoc links lose their brackets
/// (`` [`Form`] `` is `` `Form` ``), and nothing closes the comment early.
fn plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("[`") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find("`]") {
            Some(end) => {
                out.push_str(&after[..end + 1]);
                rest = &after[end + 2..];
                // A link target, `[`x`](path)`, goes too.
                if rest.starts_with('(') {
                    if let Some(close) = rest.find(')') {
                        rest = &rest[close + 1..];
                    }
                }
            }
            None => {
                out.push('[');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out.replace("*/", "*\\/")
}

/// Greedy word wrap; a word longer than the width has a line of its own.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines
}
