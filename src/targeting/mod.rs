//! Targeting: GrowthBook-compatible condition language and hashing/bucketing
//! (JS SDK spec 0.8.0), so existing GrowthBook targeting rules and experiment
//! assignments carry over unchanged.
//!
//! - [`Condition`] / [`eval_condition`]: `evalCondition` from `mongrule.ts`,
//!   compiled once (regexes included) and evaluated against JSON attributes.
//! - [`hash()`], [`get_bucket_ranges`], [`choose_variation`], [`in_namespace`],
//!   [`get_equal_weights`]: the bucketing helpers from `util.ts`, bit-exact.
//! - [`padded_version_string`]: the version ordering behind `$vgt` & co.
//!
//! Nothing here panics: malformed or hostile conditions evaluate to `false`
//! (as GrowthBook's JS does, or where JS would throw), recursion is bounded and
//! regexes run in linear time (or, in the page build, on the browser's own
//! `RegExp`: [`crate::regex`]).

pub mod condition;
pub mod hash;
mod js;
/// JS regex source → regex-lite syntax, where regex-lite matches.
#[cfg(not(js_engine))]
pub mod jsregex;
pub mod version;

pub use crate::regex::{compile_js_regex, Regex, RegexError};
pub use condition::{
    eval_condition, looks_swapped, Attributes, Condition, RegexEngine, SavedGroups,
    MAX_CONDITION_DEPTH,
};
pub use hash::{
    choose_variation, fnv1a32, get_bucket_ranges, get_equal_weights, hash, in_namespace, in_range,
    MAX_VARIATIONS,
};
pub(crate) use js::json_number_text;
pub use js::number_to_string as js_number_to_string;
pub use version::{compare_versions, padded_version_str, padded_version_string};
