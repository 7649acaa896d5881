//! The wasm entry points in headless Chromium.
#![cfg(target_arch = "wasm32")]

#[macro_use]
mod wasm_common;

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

all_wasm_tests!();
