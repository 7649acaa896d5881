//! The wasm entry points in Node.js (wasm-bindgen-test's default runner).
#![cfg(target_arch = "wasm32")]

#[macro_use]
mod wasm_common;

all_wasm_tests!();
