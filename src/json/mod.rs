//! The JSON value the core works with: `serde_json`'s in every build but
//! the page build (`page-only`), which carries its own lean one
//! (`src/json/lean.rs`) so that neither `serde_json` nor `BTreeMap`'s
//! code is linked into the wasm a page downloads.
//!
//! Both have the same shape and the same semantics for what the core does
//! with them: numbers keep `serde_json`'s three kinds (`1` is not `1.0`),
//! and an object's keys iterate in sorted order, as `serde_json`'s
//! `BTreeMap` does (the JS key order in `targeting::js` relies on it).
//! Code that only the other builds compile may keep `serde_json` paths.

#[cfg(any(test, feature = "page-only"))]
pub mod lean;

#[cfg(feature = "page-only")]
pub use lean::{Map, Number, Value};
#[cfg(not(feature = "page-only"))]
pub use serde_json::{Map, Number, Value};
