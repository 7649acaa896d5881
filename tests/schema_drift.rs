//! The committed JSON Schemas (`schema/*.schema.json`) are what `schemars`
//! generates from the Rust config types, and the package's TypeScript
//! declarations of the documents and results
//! (`pkg-template/generated/types.d.ts`) what is rendered from the same
//! schemas, byte for byte. After changing a config or result type, rewrite
//! them with
//!
//!     UPDATE_SCHEMAS=1 cargo test --features schema --test schema_drift
//!
//! (or `cargo run --features schema --example gen-schema`).

use std::path::{Path, PathBuf};

use nurture::schema::{
    as_result, declare, render_types, stale, types_are_current, write_all, write_types, DOCUMENTS,
    TYPES_FILE,
};
use serde_json::json;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn committed() -> PathBuf {
    root().join("schema")
}

#[test]
fn committed_schemas_are_generated_from_the_rust_types() {
    let dir = committed();
    if std::env::var_os("UPDATE_SCHEMAS").is_some() {
        write_all(&dir).unwrap();
    }
    let stale = stale(&dir);
    assert!(
        stale.is_empty(),
        "{stale:?} differ from the Rust config types: run \
         `UPDATE_SCHEMAS=1 cargo test --features schema --test schema_drift` and commit the result"
    );
}

#[test]
fn a_hand_edited_schema_is_drift() {
    let dir = std::env::temp_dir().join(format!("nurture-schema-drift-{}", std::process::id()));
    write_all(&dir).unwrap();
    assert!(stale(&dir).is_empty());

    // A description changed by hand: the check names that file only.
    let file = dir.join("form.schema.json");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replacen("priority order", "any order", 1)).unwrap();
    assert_eq!(stale(&dir), ["form.schema.json"]);

    // A file gone is drift too.
    std::fs::remove_file(dir.join("model.schema.json")).unwrap();
    assert_eq!(stale(&dir), ["model.schema.json", "form.schema.json"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn every_schema_is_draft_07_with_an_id_and_a_title() {
    for doc in &DOCUMENTS {
        let schema = doc.schema();
        assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
        assert_eq!(schema["$id"], format!("nurture/schema/{}", doc.file));
        assert_eq!(schema["title"], doc.title);
        assert_eq!(schema["additionalProperties"], false, "{}", doc.file);
        // Every root accepts `$schema`, so editors can be pointed at the file.
        assert!(schema["properties"]["$schema"].is_object(), "{}", doc.file);
        assert!(schema["description"]
            .as_str()
            .is_some_and(|d| !d.is_empty()));
        assert!(
            !doc.render().contains("\"format\""),
            "{}: non-standard formats",
            doc.file
        );
    }
}

#[test]
fn committed_typescript_is_generated_from_the_rust_types() {
    if std::env::var_os("UPDATE_SCHEMAS").is_some() {
        write_types(root()).unwrap();
    }
    assert!(
        types_are_current(root()),
        "{TYPES_FILE} differs from the Rust types: run \
         `UPDATE_SCHEMAS=1 cargo test --features schema --test schema_drift` and commit the result"
    );
}

#[test]
fn a_hand_edited_declaration_is_drift() {
    let dir = std::env::temp_dir().join(format!("nurture-types-drift-{}", std::process::id()));
    write_types(&dir).unwrap();
    assert!(types_are_current(&dir));

    // A field made optional by hand: drift.
    let file = dir.join(TYPES_FILE);
    let text = std::fs::read_to_string(&file).unwrap();
    let edited = text.replacen("  points: number;", "  points?: number;", 1);
    assert_ne!(edited, text);
    std::fs::write(&file, edited).unwrap();
    assert!(!types_are_current(&dir));

    // A file gone is drift too.
    std::fs::remove_file(&file).unwrap();
    assert!(!types_are_current(&dir));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_declarations_type_every_document_and_result() {
    let text = render_types().unwrap();
    for name in [
        "ModelConfig",
        "SiteConfig",
        "FormConfig",
        "ScoreResult",
        "Decisions",
        "NextFields",
        "FormSubmission",
        "EmailCheck",
        "PhoneCheck",
        "ConfigReport",
        "LineIssue",
    ] {
        assert!(
            text.contains(&format!("export interface {name} {{")),
            "{name} is not declared"
        );
    }
    // Config documents as the loaders read them: a serde default is an
    // optional key, `Option` is nullable; results as they serialize.
    assert!(text.contains("  halfLifeDays?: number | null;"));
    assert!(text.contains("  fields: FormField[];"));
    assert!(text.contains("  tier?: OneOrMany<Tier> | null;"));
    assert!(text.contains("  grade: Grade;"));
    assert!(text.contains("  level: 1 | 2 | 3 | 4;"));
}

// ---------------------------------------------------------------- rendering

#[test]
fn an_object_is_an_interface_with_optional_nullable_and_quoted_keys() {
    let schema = json!({
        "description": "A thing.",
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "id": { "type": "string" },
            "max": { "description": "Upper bound.", "type": ["number", "null"], "default": 3.0 },
            "on": { "type": "boolean", "default": false },
            "zh-Hans": { "type": "array", "items": { "$ref": "#/definitions/FieldConfig" } }
        },
        "required": ["id"]
    });
    assert_eq!(
        declare("T", &schema),
        "/** A thing. */
export interface T {
  id: string;
  /**
   * Upper bound.
   * @default 3
   */
  max?: number | null;
  /** @default false */
  on?: boolean;
  \"zh-Hans\"?: FormField[];
}
"
    );
}

#[test]
fn unions_tuples_maps_and_one_or_many() {
    let alias = |schema| declare("T", &schema);
    let tier = json!({ "$ref": "#/definitions/Tier" });
    assert_eq!(
        alias(json!({ "anyOf": [tier, { "type": "array", "items": tier }] })),
        "export type T = OneOrMany<Tier>;\n"
    );
    assert_eq!(
        alias(
            json!({ "type": ["array", "null"], "items": [{ "type": "string" }, { "type": "number" }] })
        ),
        "export type T = [string, number] | null;\n"
    );
    assert_eq!(
        alias(
            json!({ "type": "object", "additionalProperties": { "type": "array", "items": true } })
        ),
        "export type T = { [key: string]: Json[] };\n"
    );
    assert_eq!(
        alias(json!({ "type": "object" })),
        "export type T = { [key: string]: unknown };\n"
    );
    assert_eq!(
        alias(json!({ "type": "array", "items": { "enum": ["a", 1] } })),
        "export type T = (\"a\" | 1)[];\n"
    );
    assert_eq!(
        alias(json!({ "description": "Anything." })),
        "/** Anything. */\nexport type T = Json;\n"
    );
    assert_eq!(
        alias(json!({ "type": "string", "tsType": "`${FitGrade}${1 | 2}`" })),
        "export type T = `${FitGrade}${1 | 2}`;\n"
    );
}

#[test]
fn an_enum_keeps_the_doc_comments_of_its_variants() {
    let schema = json!({
        "description": "How.",
        "oneOf": [
            { "description": "First.", "type": "string", "const": "a" },
            { "type": "string", "const": "b" }
        ]
    });
    assert_eq!(
        declare("T", &schema),
        "/** How. */\nexport type T =\n  /** First. */\n  | \"a\"\n  | \"b\";\n"
    );
}

#[test]
fn docs_lose_rustdoc_links_wrap_and_cannot_close_early() {
    let schema = json!({
        "description": "The answer of [`Form::validate`] and [`x`](crate::x); a */ b [c].",
        "type": "string"
    });
    assert_eq!(
        declare("T", &schema),
        "/** The answer of `Form::validate` and `x`; a *\\/ b [c]. */\nexport type T = string;\n"
    );
    let long = json!({ "description": "word ".repeat(30), "type": "string" });
    let text = declare("T", &long);
    assert!(text.starts_with("/**\n * word word"), "{text}");
    assert!(text.lines().all(|l| l.len() <= 100), "{text}");
    let defaults = json!({
        "type": "object",
        "properties": { "grades": { "type": "object", "default": { "A": 60.0, "1": 0.25 } } }
    });
    assert!(declare("T", &defaults).contains("  /** @default { \"1\": 0.25, A: 60 } */\n"));
}

#[test]
fn a_result_key_that_may_be_left_out_is_never_null() {
    let schema = json!({
        "type": "object",
        "properties": {
            "a": { "type": ["string", "null"] },
            "b": { "anyOf": [{ "$ref": "#/definitions/X" }, { "type": "null" }] },
            "c": { "type": ["string", "null"] }
        },
        "required": ["c"]
    });
    assert_eq!(
        declare("T", &as_result(schema)),
        "export interface T {\n  a?: string;\n  b?: X;\n  c: string | null;\n}\n"
    );
}

#[test]
fn index_d_ts_declares_no_generated_name_again() {
    // `export *` is shadowed by a local declaration of the same name without
    // an error, so a hand-written copy would silently win over the generated
    // type.
    let names = |text: &str| -> Vec<String> {
        text.lines()
            .filter_map(|l| {
                let rest = ["export type ", "export interface ", "export class "]
                    .iter()
                    .find_map(|p| l.strip_prefix(p))?;
                let end = rest.find(|c: char| !c.is_alphanumeric() && c != '_')?;
                Some(rest[..end].to_string())
            })
            .collect()
    };
    let generated = names(&render_types().unwrap());
    let index = std::fs::read_to_string(root().join("pkg-template/index.d.ts")).unwrap();
    let again: Vec<String> = names(&index)
        .into_iter()
        .filter(|n| generated.contains(n))
        .collect();
    assert!(
        again.is_empty(),
        "declared by hand and generated: {again:?}"
    );
    assert!(index.contains("export * from \"./generated/types.js\";"));
}
