#![no_main]
// The checks live in harness.rs, shared with tests/fuzz_regressions.rs,
// which replays the corpus and every crash on stable Rust.
#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::forms(data));
