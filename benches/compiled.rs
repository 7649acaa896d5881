//! Loading the demo's site config and the built-in model the way a page
//! did (JSON text → checked documents with path tracking → compiled) and
//! from their compiled form (header and checksum → tree → compiled), with
//! the phases of each, natively. The page's own figures (wasm, in
//! Chromium) come from `bench/compiled.bench.mjs`.
//! `cargo bench --bench compiled`; prints `key=value` lines.

mod common;

use common::time_per_call;
use nurture::compiled::{compile, tree, Compiled};
use nurture::personalize::Personalizer;
use nurture::score::{Model, DEFAULT_MODEL_JSON};
use nurture::ConfigDocument;
use serde_json::{json, Value};

fn main() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/demo/site-config.json");
    let Ok(site_text) = std::fs::read_to_string(path) else {
        eprintln!("{path} is missing");
        return;
    };
    let Ok(site) = serde_json::from_str::<Value>(&site_text) else {
        eprintln!("{path} is not JSON");
        return;
    };
    let Ok(model) = serde_json::from_str::<Value>(DEFAULT_MODEL_JSON) else {
        return;
    };
    let doc = json!({"version": "0123456789abcdef", "site": site, "model": model});
    let Ok(bytes) = compile(&doc, None) else {
        eprintln!("the demo's documents do not compile");
        return;
    };
    let us = |s: f64| s * 1e6;

    let json_parse = time_per_call(200, 11, || {
        std::hint::black_box(serde_json::from_str::<Value>(&site_text).ok());
        std::hint::black_box(serde_json::from_str::<Value>(DEFAULT_MODEL_JSON).ok());
    });
    let json_load = time_per_call(200, 11, || {
        std::hint::black_box(Personalizer::from_json(&site_text).ok());
        std::hint::black_box(Model::from_json(DEFAULT_MODEL_JSON).ok());
    });
    let compiled_read = time_per_call(200, 11, || {
        std::hint::black_box(Compiled::read(&bytes).ok());
    });
    let compiled_load = time_per_call(200, 11, || {
        std::hint::black_box(Compiled::read(&bytes).ok().and_then(|c| c.load().ok()));
    });
    let mut payload = Vec::new();
    tree::write(&site, &mut payload);
    tree::write(&model, &mut payload);
    let tree_only = time_per_call(200, 11, || {
        let mut r = tree::Reader::new(&payload);
        std::hint::black_box((r.value().ok(), r.value().ok()));
    });

    let json_bytes = site_text.len() + DEFAULT_MODEL_JSON.len();
    println!("compiled.json_bytes={json_bytes}");
    println!("compiled.bytes={}", bytes.len());
    println!("compiled.json_parse_us={:.1}", us(json_parse));
    println!("compiled.json_load_us={:.1}", us(json_load));
    println!("compiled.tree_decode_us={:.1}", us(tree_only));
    println!("compiled.read_us={:.1}", us(compiled_read));
    println!("compiled.load_us={:.1}", us(compiled_load));
    println!(
        "compiled.read_vs_json_parse={:.2}x",
        json_parse / compiled_read
    );
    println!(
        "compiled.load_vs_json_load={:.2}x",
        json_load / compiled_load
    );
}
