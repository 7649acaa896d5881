//! Personalization: visitor context → segments → one declarative decision
//! per page slot, plus the next best content from the content matrix.
//!
//! ```
//! use nurture::personalize::{Personalizer, Tables, Visitor};
//! use nurture::ConfigDocument;
//! use serde_json::json;
//!
//! let site = Personalizer::from_value(json!({
//!     "segments": [{"id": "china", "when": {"country": "CN"}}],
//!     "slots": [{
//!         "id": "hero",
//!         "default": {"content": "Software for industry"},
//!         "variants": [{"id": "cn", "segment": "china", "content": "为工业打造的软件"}]
//!     }]
//! })).unwrap();
//! let visitor = Visitor::from_value(json!({"id": "v1", "request": {"country": "CN"}})).unwrap();
//! let out = site.decide(&visitor, &Tables::default());
//! assert_eq!(out.decisions[0].variant, "cn");
//! assert_eq!(out.primary_segment.as_deref(), Some("china"));
//! ```
//!
//! # Config
//!
//! One JSON document, validated and compiled once (conditions and regexes
//! included) through [`ConfigDocument`](crate::ConfigDocument):
//! `Personalizer::from_json` fails with every error, each a path-precise
//! [`Issue`](crate::Issue) (`slots[2].variants[0].when.name.$regex: invalid
//! regex …`), and keeps suspicious but usable parts as warnings.
//!
//! - `orgRules`: organization → industry mapping, see [`orgmap`].
//! - `segments`: `[{id, priority?, when}]`, `when` a GrowthBook condition
//!   over the context ([`context`] describes it). A visitor's segments are
//!   all matching ones, highest priority first (ties: config order); the
//!   first is the primary. Segment conditions cannot refer to other
//!   segments; slot conditions can (`{"segments": {"$in": ["oil-gas"]}}`).
//! - `savedGroups`: `{id: [values]}` for `$inGroup` / `$notInGroup`.
//! - `holdout`: `{share, seed?}` over every slot (the same visitors get every
//!   default, so overall lift can be measured).
//! - `slots`: `[{id, default?, variants, experiment?, holdout?}]`.
//! - `content`: the content matrix, see [`content`].
//!
//! # How a slot is decided
//!
//! 1. **holdout**: the global holdout, then the slot's own: a visitor whose
//!    `hash(seed, id, 2)` is below `share` gets the default
//!    (`reason.kind = "holdout"`, `bucket` = that hash). Seeds default to
//!    `"holdout"` and `"holdout:<slot id>"`. Visitors without an id are never
//!    held out.
//! 2. **targeted variants**, in config order, the first whose targeting all
//!    matches: `when` (a condition), and the shorthands `segment` (one
//!    segment id), `tier`, `stage`, `interest` (a value or a list; `interest`
//!    matches the context's top `interests`, case-insensitively). A variant
//!    chosen through `segment` reports `kind: "segment"` with the segment,
//!    any other `kind: "rule"`.
//! 3. **experiment**: GrowthBook bucketing, bit-exact with its SDKs'
//!    `run()`: `n = hash(seed ?? key, <hashAttribute, default id>,
//!    hashVersion)` (`hashVersion` 1 or 2, default 1 as in GrowthBook, with a
//!    warning when it is not set: earlier nurture builds always used 2), an optional
//!    namespace (`inNamespace`), `getBucketRanges(variations, coverage,
//!    weights)`, `chooseVariation(n, ranges)`. The same id always gets the
//!    same variation, across calls and config reloads, as long as the seed,
//!    variations, weights and coverage stay the same. Eligibility can be
//!    narrowed with `when` / `segment`. `"default"` in `variations` is the
//!    control arm (the slot's default). Reason: `kind: "experiment"`,
//!    `experiment`, `bucket` (= n), `variationIndex`.
//! 4. **fallback**: the slot's default (`reason.kind = "fallback"`).
//!
//! Decisions are declarative: `{slot, variant, kind, content, reason}`. The
//! content is exactly what the config says, with its `kind` (`text` or
//! `html-template`); the browser and the edge apply the same decision.

pub mod config;
pub mod content;
pub mod context;
pub mod orgmap;
mod strings;
pub mod view;

// The compiled form lives here, shared by the two halves: `compile` turns a
// config into it, `decide` reads it per visitor. `types` holds the output.
mod chosen;
#[cfg(not(feature = "page-only"))]
mod compile;
mod decide;
mod types;

use crate::json::{Map, Value};

use crate::compiled::read::{Wire, WireRead};
use crate::diagnostics::Issue;
use crate::targeting::Condition;
#[cfg(feature = "page-only")]
pub(crate) use chosen::Shown;
pub use chosen::{Choice, Chosen, Layout, Picked};
pub use config::{ContentKind, PersonalizeConfig};
pub use content::{ContentMatrix, Recommendation, RecommendationReason};
pub use context::{build_context, IpDatabase, Tables, Visitor};
pub use orgmap::OrgRules;
pub use types::{Decision, Decisions, Reason, ReasonKind};
pub use view::{ContextView, ViewBase};

/// The variant id of a slot's default content.
pub const DEFAULT_VARIANT: &str = "default";

#[derive(Debug, Clone, serde::Serialize)]
struct Segment {
    id: String,
    priority: f64,
    cond: Condition,
}

#[derive(Debug, Clone, serde::Serialize)]
struct Holdout {
    share: f64,
    seed: String,
}

#[derive(Debug, Clone, serde::Serialize)]
struct Target {
    conds: Vec<Condition>,
    /// The `segment` shorthand: the segment's id and its position in the
    /// config's `segments`. Checked against the visitor's matched segments as
    /// a set, not as a condition: with hundreds of variants and dozens of
    /// matched segments, evaluating `{"segments": {"$in": [id]}}` for each
    /// variant made deciding grow with variants × matched segments.
    segment: Option<(String, usize)>,
}

/// Segment ids sorted, each with its position in the config's `segments`
/// (what [`Target`] refers to): one lookup for compiling a variant's
/// `segment` and for reading the segments a context names.
#[derive(Debug, Clone, serde::Serialize)]
struct SegmentPositions(Vec<(String, usize)>);

impl SegmentPositions {
    fn of(&self, id: &str) -> Option<usize> {
        let found = self
            .0
            .binary_search_by(|(known, _)| known.as_str().cmp(id))
            .ok()?;
        self.0.get(found).map(|(_, at)| *at)
    }
}

#[derive(Debug, Clone, serde::Serialize)]
struct Variant {
    id: String,
    #[serde(with = "crate::compiled::wire::value")]
    content: Value,
    kind: ContentKind,
    target: Option<Target>,
}

#[derive(Debug, Clone, serde::Serialize)]
struct Experiment {
    key: String,
    seed: String,
    /// Variant index per variation; `None` = the slot's default.
    variations: Vec<Option<usize>>,
    /// Bucket ranges, computed once (GrowthBook's fallbacks applied).
    ranges: Vec<(f64, f64)>,
    namespace: Option<(String, f64, f64)>,
    /// GrowthBook's hash version, 1 or 2.
    hash_version: u32,
    hash_attribute: Vec<String>,
    target: Target,
}

#[derive(Debug, Clone, serde::Serialize)]
struct Slot {
    id: String,
    #[serde(with = "crate::compiled::wire::value")]
    default_content: Value,
    default_kind: ContentKind,
    variants: Vec<Variant>,
    experiment: Option<Experiment>,
    holdout: Option<Holdout>,
}

/// A compiled personalization config.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Personalizer {
    version: Option<String>,
    #[serde(with = "crate::compiled::wire::object")]
    saved_groups: Map<String, Value>,
    top_interests: usize,
    org_rules: OrgRules,
    /// Sorted by priority (highest first), ties in config order.
    segments: Vec<Segment>,
    segment_positions: SegmentPositions,
    holdout: Option<Holdout>,
    slots: Vec<Slot>,
    content: ContentMatrix,
    /// Kept by the full build; a page loading a compiled config has none.
    #[serde(skip)]
    warnings: Vec<Issue>,
}

impl Personalizer {
    /// Suspicious but usable parts of the config.
    pub fn warnings(&self) -> &[Issue] {
        &self.warnings
    }
}

impl WireRead for Segment {
    fn read(w: &mut Wire<'_>) -> Self {
        Segment {
            id: w.read(),
            priority: w.read(),
            cond: w.read(),
        }
    }
}

impl WireRead for Holdout {
    fn read(w: &mut Wire<'_>) -> Self {
        Holdout {
            share: w.read(),
            seed: w.read(),
        }
    }
}

impl WireRead for Target {
    fn read(w: &mut Wire<'_>) -> Self {
        Target {
            conds: w.read(),
            segment: w.read(),
        }
    }
}

impl WireRead for Variant {
    fn read(w: &mut Wire<'_>) -> Self {
        Variant {
            id: w.read(),
            content: w.read(),
            kind: w.read(),
            target: w.read(),
        }
    }
}

impl WireRead for Experiment {
    fn read(w: &mut Wire<'_>) -> Self {
        Experiment {
            key: w.read(),
            seed: w.read(),
            variations: w.read(),
            ranges: w.read(),
            namespace: w.read(),
            hash_version: w.read(),
            hash_attribute: w.read(),
            target: w.read(),
        }
    }
}

impl WireRead for Slot {
    fn read(w: &mut Wire<'_>) -> Self {
        Slot {
            id: w.read(),
            default_content: w.read(),
            default_kind: w.read(),
            variants: w.read(),
            experiment: w.read(),
            holdout: w.read(),
        }
    }
}

/// A compiled site config, as [`crate::compiled::wire`] writes it.
impl WireRead for Personalizer {
    fn read(w: &mut Wire<'_>) -> Self {
        Personalizer {
            version: w.read(),
            saved_groups: w.read(),
            top_interests: w.read(),
            org_rules: w.read(),
            segments: w.read(),
            segment_positions: SegmentPositions(w.read()),
            holdout: w.read(),
            slots: w.read(),
            content: w.read(),
            warnings: Vec::new(),
        }
    }
}
