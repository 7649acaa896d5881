//! Writes the JSON Schemas of the config documents to `schema/` and the
//! package's TypeScript declarations to `pkg-template/generated/types.d.ts`,
//! generated from the Rust types (see `src/schema.rs`):
//!
//!     cargo run --features schema --example gen-schema
//!
//! With `--check`, writes nothing and exits 1 when a committed file differs
//! from what would be generated.

use std::path::Path;
use std::process::ExitCode;

use nurture::schema::{types_are_current, write_types, TYPES_FILE};

fn main() -> ExitCode {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("schema");
    if std::env::args().any(|a| a == "--check") {
        let mut stale: Vec<String> = nurture::schema::stale(&dir)
            .into_iter()
            .map(|file| format!("schema/{file}"))
            .collect();
        if !types_are_current(root) {
            stale.push(TYPES_FILE.to_string());
        }
        if stale.is_empty() {
            return ExitCode::SUCCESS;
        }
        for file in stale {
            eprintln!("{file} differs from the Rust types; run `cargo run --features schema --example gen-schema`");
        }
        return ExitCode::FAILURE;
    }
    if let Err(e) = nurture::schema::write_all(&dir).and_then(|()| write_types(root)) {
        eprintln!("cannot write the generated files: {e}");
        return ExitCode::FAILURE;
    }
    for doc in &nurture::schema::DOCUMENTS {
        println!("schema/{} ({} bytes)", doc.file, doc.render().len());
    }
    println!("{TYPES_FILE}");
    ExitCode::SUCCESS
}
