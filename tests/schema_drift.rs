//! The committed JSON Schemas (`schema/*.schema.json`) are what `schemars`
//! generates from the Rust config types, byte for byte. After changing a
//! config type, rewrite them with
//!
//!     UPDATE_SCHEMAS=1 cargo test --features schema --test schema_drift
//!
//! (or `cargo run --features schema --example gen-schema`).

use std::path::{Path, PathBuf};

use nurture::schema::{stale, write_all, DOCUMENTS};

fn committed() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("schema")
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
