//! nurture: explainable lead scoring and website personalization.
//!
//! The crate is one pure core plus a thin WebAssembly layer:
//!
//! - [`score`]: the scoring model (JSON config, validated and compiled once),
//!   fit and engagement scoring with time decay, caps, grades A1–D4, tiers,
//!   buying stages, interests and a per-point breakdown.
//! - [`targeting`]: the GrowthBook-compatible condition language and hashing.
//! - [`segment`]: IP segmentation (CIDR tables, MaxMind DB files).
//! - [`personalize`]: visitor context, segments, slot decisions (targeting,
//!   experiments, holdouts) and content recommendations.
//! - [`email`]: free-mail / disposable-mail / role-account classification.
//! - `calibrate` (feature `calibrate`): learning a model's points from
//!   labelled leads, with a cross-validated report.
//! - [`time`]: timestamps. The core has no clock: every function that depends
//!   on time takes `now` as an argument.
//!
//! Nothing in the core imports `wasm_bindgen` or `js_sys`; the bindings
//! live in `src/wasm/` and are compiled only for `wasm32`. The page runtime
//! (DOM, storage, tracking, sending) is JavaScript around them
//! (pkg-template/runtime/).
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]

/// Learning a model's points from labelled leads (feature `calibrate`).
#[cfg(feature = "calibrate")]
pub mod calibrate;
/// Compiled models and site configs: what pages load instead of JSON.
pub mod compiled;
pub mod diagnostics;
pub mod email;
pub mod forms;
pub mod json;
pub mod personalize;
pub mod phone;
pub mod regex;
/// JSON Schemas of the config documents, generated from the serde types.
#[cfg(feature = "schema")]
pub mod schema;
pub mod score;
pub mod segment;
/// The condition engine. Named `targeting`, not `target`: the old name was
/// also Cargo's build folder, so tools that skip `target/` (search, coverage,
/// editors' ignore lists) missed the condition engine.
pub mod targeting;
pub mod text;
pub mod time;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use diagnostics::{ConfigDocument, Diagnostics, Issue, Severity};
pub use score::{Model, ScoreResult};

/// The README's Rust examples, compiled and run as doctests so they cannot
/// drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
