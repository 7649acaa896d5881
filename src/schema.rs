//! The JSON Schemas of the three config documents (`schema/*.schema.json`),
//! generated from the serde types by `schemars` (feature `schema`): the
//! derive reads the same `#[serde]` attributes as the loaders, and the doc
//! comments of the fields become the descriptions that editors show.
//!
//! `examples/gen-schema.rs` writes the files (`--check` compares them);
//! `tests/schema_drift.rs` fails when a committed file differs from what is
//! generated here. The package's TypeScript declarations of the same
//! documents and of the results are rendered from these schemas too
//! ([`typescript`]).

use std::borrow::Cow;
use std::marker::PhantomData;
use std::path::Path;

use schemars::generate::SchemaSettings;
use schemars::transform::{transform_subschemas, RestrictFormats, Transform};
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde_json::Value;

use crate::forms::FormConfig;
use crate::personalize::PersonalizeConfig;
use crate::score::ModelConfig;

pub mod typescript;

pub use typescript::{
    as_result, declare, render_types, types_are_current, write_types, TypesError, TYPES_FILE,
};

/// One config document and the file its schema is kept in.
#[derive(Debug, Clone, Copy)]
pub struct Document {
    /// File name under `schema/`.
    pub file: &'static str,
    /// The schema's `title`.
    pub title: &'static str,
    /// The document's type in the package's TypeScript declarations.
    pub ts_name: &'static str,
    root: fn() -> Schema,
}

/// The scoring model, the site (personalization) config and the form.
pub const DOCUMENTS: [Document; 3] = [
    Document {
        file: "model.schema.json",
        ts_name: "ModelConfig",
        title: "nurture scoring model",
        root: root_schema::<ModelConfig>,
    },
    Document {
        file: "site.schema.json",
        ts_name: "SiteConfig",
        title: "nurture site (personalization) config",
        root: root_schema::<PersonalizeConfig>,
    },
    Document {
        file: "form.schema.json",
        ts_name: "FormConfig",
        title: "nurture form",
        root: root_schema::<FormConfig>,
    },
];

impl Document {
    /// The schema: draft-07 (what editors and ajv read by default), with
    /// `$id` (the file's path in the npm package) and `title`.
    pub fn schema(&self) -> Value {
        let mut schema = (self.root)();
        schema.insert("$id".into(), format!("nurture/schema/{}", self.file).into());
        schema.insert("title".into(), self.title.into());
        schema.to_value()
    }

    /// The file's text (see [`to_text`]).
    pub fn render(&self) -> String {
        to_text(&self.schema())
    }

    /// Whether the file under `dir` holds exactly what is generated.
    pub fn is_current(&self, dir: &Path) -> bool {
        std::fs::read_to_string(dir.join(self.file)).is_ok_and(|text| text == self.render())
    }
}

/// The files under `dir` that are missing or differ from what is generated.
pub fn stale(dir: &Path) -> Vec<&'static str> {
    DOCUMENTS
        .iter()
        .filter(|d| !d.is_current(dir))
        .map(|d| d.file)
        .collect()
}

/// Writes every schema under `dir`.
pub fn write_all(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for doc in &DOCUMENTS {
        std::fs::write(dir.join(doc.file), doc.render())?;
    }
    Ok(())
}

/// JSON for people: an array or object stays on one line when it fits in
/// 100 columns, else has one member a line, indented by two spaces. In a
/// schema object, what a reader looks for first comes first (see
/// [`key_rank`]); property names, definitions and data keep alphabetical
/// order. Ends with a newline.
pub fn to_text(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value, Role::Schema, 0, 0);
    out.push('\n');
    out
}

const WIDTH: usize = 100;

/// What a JSON value is within a schema, for the order of its keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// A schema (or a list of schemas).
    Schema,
    /// A map from names to schemas (`properties`, `definitions`).
    Names,
    /// An instance value (`default`, `enum`, `examples`).
    Data,
}

impl Role {
    fn of_member(self, key: &str) -> Role {
        match (self, key) {
            (Role::Schema, "properties" | "patternProperties" | "definitions") => Role::Names,
            (Role::Schema, "default" | "const" | "enum" | "examples") => Role::Data,
            (Role::Names, _) => Role::Schema,
            (role, _) => role,
        }
    }
}

/// `indent`: the line's indentation; `used`: columns already taken on the
/// line (the indentation and a key).
fn write_value(out: &mut String, value: &Value, role: Role, indent: usize, used: usize) {
    let one_line = compact(value, role);
    if used + one_line.len() <= WIDTH {
        out.push_str(&one_line);
        return;
    }
    let pad = " ".repeat(indent + 2);
    let (open, close, members) = match value {
        Value::Array(items) => ('[', ']', items.iter().map(|v| (None, v, role)).collect()),
        Value::Object(map) => ('{', '}', members(map, role)),
        // A long string: nothing to break.
        _ => {
            out.push_str(&one_line);
            return;
        }
    };
    out.push(open);
    for (i, (key, item, item_role)) in members.into_iter().enumerate() {
        out.push_str(if i == 0 { "\n" } else { ",\n" });
        out.push_str(&pad);
        let key = key
            .map(|k| format!("{}: ", Value::from(k)))
            .unwrap_or_default();
        out.push_str(&key);
        write_value(out, item, item_role, indent + 2, indent + 2 + key.len());
    }
    out.push('\n');
    out.push_str(&" ".repeat(indent));
    out.push(close);
}

fn compact(value: &Value, role: Role) -> String {
    match value {
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(|v| compact(v, role)).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(map) => {
            let members: Vec<String> = members(map, role)
                .into_iter()
                .map(|(k, v, r)| {
                    format!("{}: {}", Value::from(k.unwrap_or_default()), compact(v, r))
                })
                .collect();
            format!("{{ {} }}", members.join(", "))
        }
        scalar => scalar.to_string(),
    }
}

type Member<'a> = (Option<&'a str>, &'a Value, Role);

fn members(map: &serde_json::Map<String, Value>, role: Role) -> Vec<Member<'_>> {
    let mut members: Vec<Member<'_>> = map
        .iter()
        .map(|(k, v)| (Some(k.as_str()), v, role.of_member(k)))
        .collect();
    if role == Role::Schema {
        members.sort_by_key(|(k, _, _)| key_rank(k.unwrap_or_default()));
    }
    members
}

/// The document's identity first, then what a schema is about; its
/// definitions last. The other keys keep their alphabetical order between
/// (the sort is stable).
fn key_rank(key: &str) -> usize {
    const FIRST: [&str; 5] = ["$schema", "$id", "title", "description", "type"];
    match key {
        "definitions" => FIRST.len() + 1,
        _ => FIRST.iter().position(|k| *k == key).unwrap_or(FIRST.len()),
    }
}

fn root_schema<T: JsonSchema>() -> Schema {
    // Tidy before draft-07's own transforms, which wrap a `$ref` that has
    // siblings (a dropped default) in `allOf`.
    SchemaSettings::draft07()
        .with(|s| s.transforms.insert(0, Box::new(Tidy)))
        .with_transform(RestrictFormats::default())
        .into_generator()
        .into_root_schema_for::<T>()
}

/// Leaves out what helps no reader of the file, and that an editor would
/// paste in: `"default": null` on optional fields (absent and `null` mean the
/// same there) and the defaults of whole sections that hold lists or other
/// sections (their own fields say their defaults); and the line breaks of
/// wrapped doc comments (a blank line still starts a paragraph).
#[derive(Debug, Clone, Copy)]
struct Tidy;

impl Transform for Tidy {
    fn transform(&mut self, schema: &mut Schema) {
        if let Some(Value::Object(fields)) = schema.get_mut("default") {
            fields.retain(|_, v| !v.is_null());
        }
        let useless = match schema.get("default") {
            Some(Value::Null) => true,
            Some(Value::Object(fields)) => {
                fields.is_empty() || fields.values().any(|v| v.is_object() || v.is_array())
            }
            _ => false,
        };
        if useless {
            schema.remove("default");
        }
        if let Some(Value::String(text)) = schema.get_mut("description") {
            *text = unwrap_lines(text);
        }
        transform_subschemas(self, schema);
    }
}

fn unwrap_lines(text: &str) -> String {
    text.split("\n\n")
        .map(|paragraph| {
            paragraph
                .split('\n')
                .map(str::trim)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// The schema of a GrowthBook condition (a field typed `serde_json::Value`
/// in Rust, compiled by [`crate::targeting::Condition`]).
#[derive(Debug, Clone, Copy)]
pub struct Condition;

impl JsonSchema for Condition {
    fn schema_name() -> Cow<'static, str> {
        "Condition".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A GrowthBook condition (MongoDB-like): `{\"industry\": {\"$in\": [\"Retail\"]}}`, `{\"$or\": [...]}`, `{\"score.fit\": {\"$gte\": 50}}`. Evaluated with GrowthBook's semantics; see `evalCondition`.",
            "type": "object",
        })
    }
}

/// The schema of a time (`crate::time::Millis`): milliseconds since the
/// epoch, as `Date.now()` gives them.
#[derive(Debug, Clone, Copy)]
pub struct Millis;

impl JsonSchema for Millis {
    fn schema_name() -> Cow<'static, str> {
        "Millis".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Milliseconds since the epoch (`Date.now()`).",
            "type": "integer",
        })
    }
}

/// The schema of a fit grade letter (a `char` in Rust): `A` … `D`.
#[derive(Debug, Clone, Copy)]
pub struct FitGrade;

impl JsonSchema for FitGrade {
    fn schema_name() -> Cow<'static, str> {
        "FitGrade".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Fit letter: `A` (best fit) … `D`.",
            "type": "string",
            "enum": ["A", "B", "C", "D"],
        })
    }
}

/// The schema of a grade (a `String` in Rust): the fit letter and the
/// engagement level, `A1` … `D4`. Only the result types use it, and they
/// are not published as JSON Schema, so it may say its TypeScript type.
#[derive(Debug, Clone, Copy)]
pub struct Grade;

impl JsonSchema for Grade {
    fn schema_name() -> Cow<'static, str> {
        "Grade".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Fit letter and engagement level: `A1` (best) … `D4` (worst).",
            "type": "string",
            "pattern": "^[A-D][1-4]$",
            // `FitGrade` is declared for `FitResult.grade`.
            "tsType": "`${FitGrade}${1 | 2 | 3 | 4}`",
        })
    }
}

/// One `T` or a list of them: the schema of the shorthand keys that Rust
/// reads as a list of strings but that only take certain names (a variant's
/// `tier` and `stage`).
#[derive(Debug, Clone, Copy)]
pub struct OneOrList<T>(PhantomData<T>);

impl<T: JsonSchema> JsonSchema for OneOrList<T> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        format!("OneOrList_{}", T::schema_name()).into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        one_or_list::<T>(generator)
    }
}

/// `T` or an array of `T`.
pub(crate) fn one_or_list<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    let one = generator.subschema_for::<T>();
    json_schema!({
        "anyOf": [one, { "type": "array", "items": one }],
    })
}
