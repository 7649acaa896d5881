//! The TypeScript declarations of the config documents and of the results
//! (`pkg-template/generated/types.d.ts`, re-exported by the package's
//! hand-written `index.d.ts`), rendered from the same schemas as
//! `schema/*.json`:
//!
//! - the config documents from exactly the published JSON Schemas, so they
//!   type what the loaders accept (a key with a serde default is optional,
//!   `Option` is `| null`, unknown keys are refused);
//! - the results from what the Rust types serialize (schemars' serialize
//!   contract: a key skipped when empty is optional, and then never `null`).
//!
//! Doc comments become JSDoc, so editors show the Rust docs. Only the part
//! of JSON Schema that schemars writes for these types is read: `$ref`,
//! `allOf` of one, `anyOf`/`oneOf`, `const`, `enum`, `type` (with `null`),
//! `items` (a list of schemas is a tuple), `properties`, `required`,
//! `additionalProperties`, `description` and `default`; and `tsType`, a
//! type written out where JSON Schema has no words for it (only in the
//! result schemas, which are not published).

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::path::Path;

use schemars::generate::SchemaSettings;
use schemars::transform::{transform_subschemas, Transform};
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde_json::{Map, Value};

mod render;

use render::declaration;

use super::{Tidy, DOCUMENTS};
use crate::diagnostics::Diagnostics;
use crate::email::EmailCheck;
use crate::forms::{NextFields, Submission};
use crate::personalize::Decisions;
use crate::phone::PhoneCheck;
use crate::score::ScoreResult;
use crate::segment::cidr::LineIssue;

/// The file, from the crate's root.
pub const TYPES_FILE: &str = "pkg-template/generated/types.d.ts";

/// The TypeScript names of the types whose Rust (schema) names differ: the
/// names the package has always exported.
const NAMES: &[(&str, &str)] = &[
    ("CapConfig", "FrequencyCap"),
    ("Condition", "TargetingCondition"),
    ("ContentItemConfig", "ContentItem"),
    ("ContentMatrixConfig", "ContentMatrix"),
    ("Diagnostics", "ConfigReport"),
    ("EngagementRuleConfig", "EngagementRule"),
    ("ErrorCode", "FormErrorCode"),
    ("ExperimentConfig", "Experiment"),
    ("FieldConfig", "FormField"),
    ("FieldNames", "FitFieldNames"),
    ("FitRuleConfig", "FitRule"),
    ("HoldoutConfig", "Holdout"),
    ("InactivityConfig", "Inactivity"),
    ("Issue", "ConfigIssue"),
    ("IssueKind", "LineIssueKind"),
    ("Merge", "ProfileMerge"),
    ("NegativeConfig", "NegativeFit"),
    ("OptionConfig", "FieldOption"),
    ("OrgRuleConfig", "OrgRule"),
    ("PersonaConfig", "Persona"),
    ("Reason", "DecisionReason"),
    ("SegmentConfig", "SegmentDef"),
    ("Signals", "SubmissionSignals"),
    ("SlotConfig", "Slot"),
    ("Strings", "OneOrMany"),
    ("Submission", "FormSubmission"),
    ("TouchpointConfig", "Touchpoint"),
    ("VariantConfig", "Variant"),
];

/// What JSON Schema says without a name (any value; one or a list), typed
/// once here. A schema that is only one of these is not declared again.
const PRELUDE: &str = r#"
/** Any JSON value. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** One string or a list of them (the shorthand config keys accept either). */
export type OneOrMany<T extends string = string> = T | T[];
"#;
const PRELUDE_NAMES: [&str; 2] = ["Json", "OneOrMany"];

const HEADER: &str = "\
// GENERATED from the Rust types: do not edit. After changing a config or result
// type, rewrite it with
//     UPDATE_SCHEMAS=1 cargo test --features schema --test schema_drift
// (src/schema/typescript.rs). The config documents are typed from the JSON
// Schemas in schema/ (what the loaders accept), the results from what the Rust
// types serialize. index.d.ts re-exports every type here.
";

/// Where a part of the file starts.
enum Root {
    /// A config document: its published schema (`schema/<file>`).
    Document(&'static str),
    /// A result type, as it serializes.
    Serialized(fn(&mut SchemaGenerator) -> Schema),
}

fn serialized<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// The file's parts, in order; each declares its roots and then every type
/// they reach that an earlier part did not declare.
const SECTIONS: [(&str, &[Root]); 8] = [
    ("scoring model", &[Root::Document("model.schema.json")]),
    (
        "site config (personalization)",
        &[Root::Document("site.schema.json")],
    ),
    ("form", &[Root::Document("form.schema.json")]),
    (
        "score result",
        &[Root::Serialized(serialized::<ScoreResult>)],
    ),
    ("decisions", &[Root::Serialized(serialized::<Decisions>)]),
    (
        "form results",
        &[
            Root::Serialized(serialized::<NextFields>),
            Root::Serialized(serialized::<Submission>),
            Root::Serialized(serialized::<EmailCheck>),
            Root::Serialized(serialized::<PhoneCheck>),
        ],
    ),
    (
        "config reports",
        &[Root::Serialized(serialized::<Diagnostics>)],
    ),
    (
        "lookup tables",
        &[Root::Serialized(serialized::<LineIssue>)],
    ),
];

/// Why the declarations cannot be rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypesError {
    /// Two schemas of one name that would render differently (a type whose
    /// input and output shapes differ): give one of them its own name.
    Conflict(String),
    /// Two types that would get the same TypeScript name (see `NAMES`).
    SameName(String),
    /// A `$ref` to no definition, or a document not in `DOCUMENTS`.
    Missing(String),
}

impl fmt::Display for TypesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TypesError::Conflict(name) => write!(f, "two different schemas are named {name}"),
            TypesError::SameName(name) => write!(f, "two types would be declared as {name}"),
            TypesError::Missing(name) => write!(f, "no schema for {name}"),
        }
    }
}

impl std::error::Error for TypesError {}

/// The text of `types.d.ts`.
pub fn render_types() -> Result<String, TypesError> {
    let (pool, sections) = schemas()?;
    let mut out = String::from(HEADER);
    out.push_str(PRELUDE);
    // TypeScript name → the schema declared under it.
    let mut declared: BTreeMap<String, String> = PRELUDE_NAMES
        .iter()
        .map(|n| (n.to_string(), String::new()))
        .collect();
    for ((heading, _), roots) in SECTIONS.iter().zip(sections) {
        out.push_str(&format!("\n// {} {heading}\n", "-".repeat(66)));
        let mut queue: VecDeque<String> = roots.into();
        while let Some(name) = queue.pop_front() {
            let ts = ts_name(&name);
            match declared.get(ts) {
                Some(other) if other == &name || PRELUDE_NAMES.contains(&ts) => continue,
                Some(_) => return Err(TypesError::SameName(ts.into())),
                None => {}
            }
            declared.insert(ts.into(), name.clone());
            let schema = pool.get(&name).ok_or(TypesError::Missing(name.clone()))?;
            let mut refs = Vec::new();
            out.push('\n');
            out.push_str(&declaration(ts, schema, &mut refs));
            queue.extend(refs);
        }
    }
    Ok(out)
}

/// Whether the file under `root` (the crate's root) is what is generated.
pub fn types_are_current(root: &Path) -> bool {
    let committed = std::fs::read_to_string(root.join(TYPES_FILE));
    matches!((committed, render_types()), (Ok(c), Ok(g)) if c == g)
}

/// Writes the file under `root` (the crate's root).
pub fn write_types(root: &Path) -> std::io::Result<()> {
    let text = render_types().map_err(std::io::Error::other)?;
    let file = root.join(TYPES_FILE);
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(file, text)
}

/// Every schema by name, and the names each section starts from.
type Schemas = (BTreeMap<String, Value>, Vec<Vec<String>>);

fn schemas() -> Result<Schemas, TypesError> {
    let mut generator = SchemaSettings::draft07()
        .for_serialize()
        .with(|s| s.transforms.insert(0, Box::new(Tidy)))
        .with_transform(Omitted)
        .into_generator();
    let mut pool = BTreeMap::new();
    let mut sections = Vec::new();
    for (_, roots) in &SECTIONS {
        let mut names = Vec::new();
        for root in roots.iter() {
            match root {
                Root::Document(file) => {
                    let doc = DOCUMENTS
                        .iter()
                        .find(|d| d.file == *file)
                        .ok_or(TypesError::Missing(file.to_string()))?;
                    let Value::Object(mut schema) = doc.schema() else {
                        return Err(TypesError::Missing(file.to_string()));
                    };
                    if let Some(Value::Object(defs)) = schema.remove("definitions") {
                        add(&mut pool, defs)?;
                    }
                    for key in ["$schema", "$id", "title"] {
                        schema.remove(key);
                    }
                    let name = doc.ts_name.to_string();
                    add(&mut pool, Map::from_iter([(name.clone(), schema.into())]))?;
                    names.push(name);
                }
                Root::Serialized(schema_for) => {
                    let reference = schema_for(&mut generator);
                    let name = reference
                        .get("$ref")
                        .and_then(Value::as_str)
                        .and_then(|r| r.strip_prefix("#/definitions/"))
                        .ok_or(TypesError::Missing("a result root".into()))?;
                    names.push(name.to_string());
                }
            }
        }
        sections.push(names);
    }
    add(&mut pool, generator.take_definitions(true))?;
    Ok((pool, sections))
}

/// Adds schemas to the pool. A name seen before must be the same schema,
/// but for `null` on keys that may be left out: a type that is read and
/// also returned (a form field's `label`) may be `null` where it is read,
/// and is never `null` where it is returned; the first schema (the config
/// document's, which accepts both) is kept.
fn add(pool: &mut BTreeMap<String, Value>, schemas: Map<String, Value>) -> Result<(), TypesError> {
    for (name, schema) in schemas {
        if let Some(seen) = pool.get(&name) {
            if seen != &schema && omit_null(seen.clone()) != omit_null(schema) {
                return Err(TypesError::Conflict(name));
            }
            continue;
        }
        pool.insert(name, schema);
    }
    Ok(())
}

/// A key of a result that may be left out is left out rather than `null`
/// (`skip_serializing_if = "Option::is_none"`): its type loses `null`.
#[derive(Debug, Clone, Copy)]
struct Omitted;

impl Transform for Omitted {
    fn transform(&mut self, schema: &mut Schema) {
        let required: Vec<Value> = schema
            .get("required")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if let Some(Value::Object(properties)) = schema.get_mut("properties") {
            for (key, property) in properties.iter_mut() {
                if !required.contains(&Value::from(key.as_str())) {
                    drop_null(property);
                }
            }
        }
        transform_subschemas(self, schema);
    }
}

fn omit_null(mut schema: Value) -> Value {
    if let Ok(schema) = <&mut Schema>::try_from(&mut schema) {
        Omitted.transform(schema);
    }
    schema
}

/// `T | null` → `T`, for `"type": [T, "null"]` and `anyOf: [T, {"type": "null"}]`.
fn drop_null(property: &mut Value) {
    let null = Value::from("null");
    let Some(p) = property.as_object_mut() else {
        return;
    };
    if let Some(Value::Array(types)) = p.get_mut("type") {
        types.retain(|t| t != &null);
        if let [one] = types.as_slice() {
            let one = one.clone();
            p.insert("type".into(), one);
        }
    }
    if let Some(Value::Array(members)) = p.get_mut("anyOf") {
        members.retain(|m| m.get("type") != Some(&null));
        if let [one] = members.as_slice() {
            let one = one.clone();
            p.remove("anyOf");
            p.insert("allOf".into(), Value::Array(vec![one]));
        }
    }
}

/// The TypeScript name of the schema named `schema_name`.
fn ts_name(schema_name: &str) -> &str {
    NAMES
        .iter()
        .find(|(rust, _)| *rust == schema_name)
        .map_or(schema_name, |(_, ts)| ts)
}

/// The declaration of one schema as the file would have it (`name` as
/// given), for tests of the rendering.
pub fn declare(name: &str, schema: &Value) -> String {
    declaration(name, schema, &mut Vec::new())
}

/// `schema` as a result's: a key that may be left out is never `null`.
pub fn as_result(schema: Value) -> Value {
    omit_null(schema)
}
