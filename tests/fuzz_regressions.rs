//! Replays every fuzz corpus file (`fuzz/corpus/<target>/`) and every input
//! that once crashed a target (`fuzz/regressions/<target>/`) through the
//! fuzz harnesses, on stable Rust in the normal test suite. The harnesses
//! themselves (`fuzz/harness.rs`) are shared with the cargo-fuzz targets,
//! so a fixed crash stays fixed without nightly or cargo-fuzz.

#[path = "../fuzz/harness.rs"]
mod harness;

use std::fs;
use std::path::Path;

fn replay(target: &str, run: fn(&[u8])) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut count = 0;
    for dir in ["corpus", "regressions"] {
        let Ok(entries) = fs::read_dir(root.join(dir).join(target)) else {
            continue;
        };
        let mut files: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
        files.sort();
        for file in files {
            let data = fs::read(&file).unwrap();
            let name = file.display().to_string();
            // Name the input that fails, to make a failure easy to reproduce.
            let outcome = std::panic::catch_unwind(|| run(&data));
            assert!(outcome.is_ok(), "{target}: {name} fails");
            count += 1;
        }
    }
    // A corpus that went missing would make this test pass vacuously.
    assert!(count > 0, "no corpus for fuzz target {target}");
}

#[test]
fn model() {
    replay("model", harness::model);
}

#[test]
fn events() {
    replay("events", harness::events);
}

#[test]
fn personalize() {
    replay("personalize", harness::personalize);
}

#[test]
fn forms() {
    replay("forms", harness::forms);
}

#[test]
fn cidr() {
    replay("cidr", harness::cidr);
}

#[test]
fn mmdb() {
    replay("mmdb", harness::mmdb);
}

#[test]
fn condition() {
    replay("condition", harness::condition);
}

#[test]
fn contact() {
    replay("contact", harness::contact);
}
