//! Writes the JSON Schemas of the config documents to `schema/`, generated
//! from the Rust types (see `src/schema.rs`):
//!
//!     cargo run --features schema --example gen-schema
//!
//! With `--check`, writes nothing and exits 1 when a committed schema differs
//! from what would be generated.

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema");
    if std::env::args().any(|a| a == "--check") {
        let stale = nurture::schema::stale(&dir);
        if stale.is_empty() {
            return ExitCode::SUCCESS;
        }
        for file in stale {
            eprintln!("schema/{file} differs from the Rust types; run `cargo run --features schema --example gen-schema`");
        }
        return ExitCode::FAILURE;
    }
    if let Err(e) = nurture::schema::write_all(&dir) {
        eprintln!("cannot write {}: {e}", dir.display());
        return ExitCode::FAILURE;
    }
    for doc in &nurture::schema::DOCUMENTS {
        println!("schema/{} ({} bytes)", doc.file, doc.render().len());
    }
    ExitCode::SUCCESS
}
