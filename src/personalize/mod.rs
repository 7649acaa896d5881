//! Personalization: visitor context → segments → one declarative decision
//! per page slot, plus the next best content from the content matrix.
//!
//! ```
//! use nurture::personalize::{Personalizer, Tables, Visitor};
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
//! included): [`Personalizer::from_json`] fails with a path-precise
//! [`ConfigError`] (`slots[2].variants[0].when.name.$regex: invalid regex …`)
//! and lists suspicious but usable parts as [`Warning`]s.
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
//! 3. **experiment**: GrowthBook bucketing, bit-exact with its SDKs:
//!    `n = hash(seed ?? key, <hashAttribute, default id>, 2)`, an optional
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

use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::error::{from_json_with_path, from_value_with_path, ConfigError, ConfigReport, Warning};
use crate::target::{
    choose_variation, get_bucket_ranges, hash, in_namespace, js_number_to_string, Condition,
};
pub use config::{ContentKind, PersonalizeConfig};
pub use content::{ContentMatrix, Recommendation, RecommendationReason};
pub use context::{build_context, IpDatabase, Tables, Visitor};
pub use orgmap::OrgRules;

/// The variant id of a slot's default content.
pub const DEFAULT_VARIANT: &str = "default";

#[derive(Debug, Clone)]
struct Segment {
    id: String,
    priority: f64,
    cond: Condition,
}

#[derive(Debug, Clone)]
struct Holdout {
    share: f64,
    seed: String,
}

#[derive(Debug, Clone)]
struct Target {
    conds: Vec<Condition>,
    /// The `segment` shorthand: the segment's id and its position in the
    /// config's `segments`. Checked against the visitor's matched segments as
    /// a set, not as a condition: with hundreds of variants and dozens of
    /// matched segments, evaluating `{"segments": {"$in": [id]}}` for each
    /// variant made deciding grow with variants × matched segments.
    segment: Option<(String, usize)>,
}

impl Target {
    /// No condition and no segment: every visitor matches.
    fn always_matches(&self) -> bool {
        self.conds.is_empty() && self.segment.is_none()
    }

    fn matches(&self, ctx: &Value, groups: &Map<String, Value>, matched: &MatchedSegments) -> bool {
        self.segment
            .as_ref()
            .is_none_or(|(_, at)| matched.contains(*at))
            && self.conds.iter().all(|c| c.eval_with_groups(ctx, groups))
    }
}

/// Segment ids sorted, each with its position in the config's `segments`
/// (what [`Target`] refers to): one lookup for compiling a variant's
/// `segment` and for reading the segments a context names.
#[derive(Debug, Clone)]
struct SegmentPositions(Vec<(String, usize)>);

impl SegmentPositions {
    fn new(segments: &[config::SegmentConfig]) -> Self {
        let mut positions: Vec<(String, usize)> = segments
            .iter()
            .enumerate()
            .map(|(at, s)| (s.id.clone(), at))
            .collect();
        positions.sort_unstable();
        Self(positions)
    }

    fn of(&self, id: &str) -> Option<usize> {
        let found = self
            .0
            .binary_search_by(|(known, _)| known.as_str().cmp(id))
            .ok()?;
        self.0.get(found).map(|(_, at)| *at)
    }
}

/// The segments a context names, as a set of positions in the config's
/// `segments`.
struct MatchedSegments(Vec<bool>);

impl MatchedSegments {
    fn contains(&self, at: usize) -> bool {
        self.0.get(at).copied().unwrap_or(false)
    }
}

#[derive(Debug, Clone)]
struct Variant {
    id: String,
    content: Value,
    kind: ContentKind,
    target: Option<Target>,
}

#[derive(Debug, Clone)]
struct Experiment {
    key: String,
    seed: String,
    /// Variant index per variation; `None` = the slot's default.
    variations: Vec<Option<usize>>,
    /// Bucket ranges, computed once (GrowthBook's fallbacks applied).
    ranges: Vec<(f64, f64)>,
    namespace: Option<(String, f64, f64)>,
    hash_attribute: Vec<String>,
    target: Target,
}

#[derive(Debug, Clone)]
struct Slot {
    id: String,
    default_content: Value,
    default_kind: ContentKind,
    variants: Vec<Variant>,
    experiment: Option<Experiment>,
    holdout: Option<Holdout>,
}

/// A compiled personalization config.
#[derive(Debug, Clone)]
pub struct Personalizer {
    version: Option<String>,
    saved_groups: Map<String, Value>,
    top_interests: usize,
    org_rules: OrgRules,
    /// Sorted by priority (highest first), ties in config order.
    segments: Vec<Segment>,
    segment_positions: SegmentPositions,
    holdout: Option<Holdout>,
    slots: Vec<Slot>,
    content: ContentMatrix,
    warnings: Vec<Warning>,
}

/// Why a slot got its variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReasonKind {
    Segment,
    Rule,
    Experiment,
    Holdout,
    Fallback,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reason {
    pub kind: ReasonKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub experiment: Option<String>,
    /// The visitor's hash in `[0, 1)` (experiment and holdout).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bucket: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variation_index: Option<usize>,
}

impl Reason {
    fn of(kind: ReasonKind) -> Reason {
        Reason {
            kind,
            segment: None,
            experiment: None,
            bucket: None,
            variation_index: None,
        }
    }
}

/// What one slot shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    pub slot: String,
    /// The variant id, or `"default"`.
    pub variant: String,
    pub kind: ContentKind,
    /// The content as configured; `null` means "leave the page as it is".
    pub content: Value,
    pub reason: Reason,
}

/// Everything decided for one visitor.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Decisions {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Matching segments, highest priority first.
    pub segments: Vec<String>,
    pub primary_segment: Option<String>,
    pub decisions: Vec<Decision>,
    pub recommendations: Vec<Recommendation>,
}

fn join(base: &str, inner: &str) -> String {
    if inner.is_empty() {
        base.to_string()
    } else if inner.starts_with('[') {
        let mut s = String::with_capacity(base.len() + inner.len());
        s.push_str(base);
        s.push_str(inner);
        s
    } else {
        let mut s = String::with_capacity(base.len() + inner.len() + 1);
        s.push_str(base);
        s.push('.');
        s.push_str(inner);
        s
    }
}

fn compile_condition(value: &Value, path: &str) -> Result<Condition, ConfigError> {
    Condition::compile(value).map_err(|e| ConfigError::new(join(path, &e.path), e.message))
}

fn check_holdout(h: config::HoldoutConfig, path: &str, seed: &str) -> Result<Holdout, ConfigError> {
    if !(0.0..=1.0).contains(&h.share) {
        return Err(ConfigError::new(
            join(path, "share"),
            "expected a share between 0 and 1",
        ));
    }
    Ok(Holdout {
        share: h.share,
        seed: h.seed.unwrap_or_else(|| seed.to_string()),
    })
}

/// Collects every string anywhere in a JSON value (to find segment ids a
/// condition mentions).
fn strings_in<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::String(s) => out.push(s),
        Value::Array(a) => a.iter().for_each(|x| strings_in(x, out)),
        Value::Object(o) => o.values().for_each(|x| strings_in(x, out)),
        _ => {}
    }
}

const TIERS: [&str; 3] = ["cold", "warm", "hot"];
const STAGES: [&str; 3] = ["awareness", "consideration", "decision"];

/// Compiles targeting keys into conditions. `Ok(None)` when none is given.
#[allow(clippy::too_many_arguments)]
fn compile_target(
    when: Option<&Value>,
    segment: Option<&String>,
    tier: Option<&strings::Strings>,
    stage: Option<&strings::Strings>,
    interest: Option<&strings::Strings>,
    path: &str,
    segment_positions: &SegmentPositions,
    used: &mut Vec<String>,
) -> Result<Option<Target>, ConfigError> {
    if when.is_none()
        && segment.is_none()
        && tier.is_none()
        && stage.is_none()
        && interest.is_none()
    {
        return Ok(None);
    }
    let mut conds = Vec::new();
    if let Some(w) = when {
        let mut mentioned = Vec::new();
        strings_in(w, &mut mentioned);
        used.extend(mentioned.into_iter().map(str::to_string));
        conds.push(compile_condition(w, &join(path, "when"))?);
    }
    let mut segment_at = None;
    if let Some(seg) = segment {
        let Some(at) = segment_positions.of(seg) else {
            return Err(ConfigError::new(
                join(path, "segment"),
                format!("unknown segment \"{seg}\""),
            ));
        };
        used.push(seg.clone());
        segment_at = Some((seg.clone(), at));
    }
    for (key, list, allowed) in [("tier", tier, &TIERS[..]), ("stage", stage, &STAGES[..])] {
        let Some(list) = list else { continue };
        for (i, v) in list.0.iter().enumerate() {
            if !allowed.contains(&v.as_str()) {
                return Err(ConfigError::new(
                    format!("{}[{i}]", join(path, key)),
                    format!(
                        "unknown {key} \"{v}\", expected one of {}",
                        allowed.join(", ")
                    ),
                ));
            }
        }
        conds.push(compile_condition(&json!({ key: {"$in": list.0} }), path)?);
    }
    if let Some(list) = interest {
        conds.push(compile_condition(
            &json!({"interests": {"$ini": list.0}}),
            path,
        )?);
    }
    Ok(Some(Target {
        conds,
        segment: segment_at,
    }))
}

impl Personalizer {
    /// Parses, validates and compiles a config document.
    pub fn from_json(json: &str) -> Result<Personalizer, ConfigError> {
        Self::from_config(from_json_with_path(json)?)
    }

    /// Like [`from_json`](Self::from_json) for an already-parsed value.
    pub fn from_value(value: Value) -> Result<Personalizer, ConfigError> {
        Self::from_config(from_value_with_path(value)?)
    }

    /// Every problem in a document, without failing (the first error stops
    /// compiling, so at most one error is listed).
    pub fn check(value: Value) -> ConfigReport {
        match Self::from_value(value) {
            Ok(p) => ConfigReport {
                errors: Vec::new(),
                warnings: p.warnings,
            },
            Err(e) => ConfigReport::failed(e),
        }
    }

    /// Compiles a parsed document.
    pub fn from_config(cfg: PersonalizeConfig) -> Result<Personalizer, ConfigError> {
        let mut warnings = Vec::new();
        let org_rules = OrgRules::compile(cfg.org_rules, "orgRules")?;

        for (id, v) in &cfg.saved_groups {
            if !v.is_array() {
                return Err(ConfigError::new(
                    join("savedGroups", id),
                    "expected an array of values",
                ));
            }
        }

        let mut segments: Vec<Segment> = Vec::with_capacity(cfg.segments.len());
        for (i, s) in cfg.segments.iter().enumerate() {
            let path = format!("segments[{i}]");
            if s.id.is_empty() {
                return Err(ConfigError::new(join(&path, "id"), "must not be empty"));
            }
            if segments.iter().any(|x| x.id == s.id) {
                return Err(ConfigError::new(
                    join(&path, "id"),
                    format!("duplicate segment id \"{}\"", s.id),
                ));
            }
            if !s.priority.is_finite() {
                return Err(ConfigError::new(
                    join(&path, "priority"),
                    "expected a number",
                ));
            }
            segments.push(Segment {
                id: s.id.clone(),
                priority: s.priority,
                cond: compile_condition(&s.when, &join(&path, "when"))?,
            });
        }
        // Stable: equal priorities keep config order.
        segments.sort_by(|a, b| b.priority.total_cmp(&a.priority));
        let segment_positions = SegmentPositions::new(&cfg.segments);
        let mut used: Vec<String> = Vec::new();

        let holdout = cfg
            .holdout
            .map(|h| check_holdout(h, "holdout", "holdout"))
            .transpose()?;
        if holdout.as_ref().is_some_and(|h| h.share >= 1.0) {
            warnings.push(Warning::new(
                "holdout.share",
                "every visitor is held out: every slot always shows its default",
            ));
        }

        let mut slots: Vec<Slot> = Vec::with_capacity(cfg.slots.len());
        for (i, s) in cfg.slots.into_iter().enumerate() {
            let path = format!("slots[{i}]");
            if s.id.is_empty() {
                return Err(ConfigError::new(join(&path, "id"), "must not be empty"));
            }
            if slots.iter().any(|x| x.id == s.id) {
                return Err(ConfigError::new(
                    join(&path, "id"),
                    format!("duplicate slot id \"{}\"", s.id),
                ));
            }
            let mut variants: Vec<Variant> = Vec::with_capacity(s.variants.len());
            for (j, v) in s.variants.iter().enumerate() {
                let vpath = format!("{path}.variants[{j}]");
                if v.id.is_empty() || v.id == DEFAULT_VARIANT {
                    return Err(ConfigError::new(
                        join(&vpath, "id"),
                        "must be a non-empty id other than \"default\" (reserved for the slot's default)",
                    ));
                }
                if variants.iter().any(|x| x.id == v.id) {
                    return Err(ConfigError::new(
                        join(&vpath, "id"),
                        format!("duplicate variant id \"{}\"", v.id),
                    ));
                }
                let target = compile_target(
                    v.when.as_ref(),
                    v.segment.as_ref(),
                    v.tier.as_ref(),
                    v.stage.as_ref(),
                    v.interest.as_ref(),
                    &vpath,
                    &segment_positions,
                    &mut used,
                )?;
                variants.push(Variant {
                    id: v.id.clone(),
                    content: v.content.clone(),
                    kind: v.kind,
                    target,
                });
            }

            let experiment = match s.experiment {
                None => None,
                Some(e) => Some(compile_experiment(
                    e,
                    &join(&path, "experiment"),
                    &variants,
                    &segment_positions,
                    &mut used,
                    &mut warnings,
                )?),
            };

            // Reachability: an always-matching targeted variant hides
            // everything after it, the experiment included.
            let mut shadowed_by: Option<usize> = None;
            for (j, v) in variants.iter().enumerate() {
                let vpath = format!("{path}.variants[{j}]");
                let in_experiment = experiment
                    .as_ref()
                    .is_some_and(|e| e.variations.contains(&Some(j)));
                if let Some(k) = shadowed_by {
                    if v.target.is_some() || in_experiment {
                        warnings.push(Warning::new(
                            vpath,
                            format!("can never be chosen: variants[{k}] before it always matches"),
                        ));
                    }
                    continue;
                }
                match &v.target {
                    None if !in_experiment => warnings.push(Warning::new(
                        vpath,
                        "can never be chosen: it has no targeting (when, segment, tier, stage, interest) and is not in the slot's experiment",
                    )),
                    Some(t) if t.always_matches() || is_always(s.variants.get(j)) => {
                        shadowed_by = Some(j);
                    }
                    _ => {}
                }
            }
            if let (Some(k), Some(_)) = (shadowed_by, &experiment) {
                warnings.push(Warning::new(
                    join(&path, "experiment"),
                    format!("never runs: variants[{k}] always matches first"),
                ));
            }

            let holdout = s
                .holdout
                .map(|h| {
                    let mut seed = String::with_capacity(8 + s.id.len());
                    seed.push_str("holdout:");
                    seed.push_str(&s.id);
                    check_holdout(h, &join(&path, "holdout"), &seed)
                })
                .transpose()?;
            let (default_content, default_kind) = match s.default {
                Some(d) => (d.content, d.kind),
                None => (Value::Null, ContentKind::Text),
            };
            slots.push(Slot {
                id: s.id,
                default_content,
                default_kind,
                variants,
                experiment,
                holdout,
            });
        }

        for (i, s) in cfg.segments.iter().enumerate() {
            if !used.contains(&s.id) {
                warnings.push(Warning::new(
                    format!("segments[{i}]"),
                    format!(
                        "segment \"{}\" is not used by any slot (it is still reported in decisions)",
                        s.id
                    ),
                ));
            }
        }

        let content = match cfg.content {
            Some(c) => ContentMatrix::compile(c, "content", &mut warnings)?,
            None => ContentMatrix::default(),
        };

        Ok(Personalizer {
            version: cfg.version,
            saved_groups: cfg.saved_groups,
            top_interests: cfg.top_interests.unwrap_or(3),
            org_rules,
            segments,
            segment_positions,
            holdout,
            slots,
            content,
            warnings,
        })
    }

    /// Suspicious but usable parts of the config.
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// The visitor context with `segments` and `segment` (the primary) set.
    pub fn context(&self, visitor: &Visitor, tables: &Tables<'_>) -> Value {
        let mut ctx = build_context(visitor, tables, &self.org_rules, self.top_interests);
        let segments = self.segments_of(&ctx);
        if let Value::Object(map) = &mut ctx {
            map.insert(
                "segment".into(),
                segments
                    .first()
                    .map_or(Value::Null, |s| Value::String(s.to_string())),
            );
            map.insert(
                "segments".into(),
                Value::Array(
                    segments
                        .into_iter()
                        .map(|s| Value::String(s.to_string()))
                        .collect(),
                ),
            );
        }
        ctx
    }

    /// Ids of the segments `ctx` matches, highest priority first.
    pub fn segments_of(&self, ctx: &Value) -> Vec<&str> {
        self.segments
            .iter()
            .filter(|s| s.cond.eval_with_groups(ctx, &self.saved_groups))
            .map(|s| s.id.as_str())
            .collect()
    }

    /// Builds the context and decides every slot.
    pub fn decide(&self, visitor: &Visitor, tables: &Tables<'_>) -> Decisions {
        self.decide_context(&self.context(visitor, tables))
    }

    /// Decides every slot for a context from [`context`](Self::context)
    /// (its `segments` are read from it, not recomputed).
    pub fn decide_context(&self, ctx: &Value) -> Decisions {
        let segments: Vec<String> = ctx
            .get("segments")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let id = ctx.get("id").and_then(Value::as_str).unwrap_or("");
        let global_holdout = self.holdout.as_ref().and_then(|h| held_out(h, id));
        let matched = self.matched_segments(&segments);
        let decisions = self
            .slots
            .iter()
            .map(|slot| self.decide_slot(slot, ctx, &matched, id, global_holdout))
            .collect();
        Decisions {
            version: self.version.clone(),
            primary_segment: segments.first().cloned(),
            segments,
            decisions,
            recommendations: self.content.recommend(ctx),
        }
    }

    /// Ids the config does not know match no variant, as the `$in`
    /// condition they stand for would not.
    fn matched_segments(&self, ids: &[String]) -> MatchedSegments {
        let mut matched = vec![false; self.segments.len()];
        for at in ids.iter().filter_map(|id| self.segment_positions.of(id)) {
            if let Some(slot) = matched.get_mut(at) {
                *slot = true;
            }
        }
        MatchedSegments(matched)
    }

    /// The next best content for a context.
    pub fn recommend(&self, ctx: &Value) -> Vec<Recommendation> {
        self.content.recommend(ctx)
    }

    fn decide_slot(
        &self,
        slot: &Slot,
        ctx: &Value,
        matched: &MatchedSegments,
        id: &str,
        global_holdout: Option<f64>,
    ) -> Decision {
        let default = |reason: Reason| Decision {
            slot: slot.id.clone(),
            variant: DEFAULT_VARIANT.to_string(),
            kind: slot.default_kind,
            content: slot.default_content.clone(),
            reason,
        };
        let variant = |v: &Variant, reason: Reason| Decision {
            slot: slot.id.clone(),
            variant: v.id.clone(),
            kind: v.kind,
            content: v.content.clone(),
            reason,
        };
        let holdout =
            global_holdout.or_else(|| slot.holdout.as_ref().and_then(|h| held_out(h, id)));
        if let Some(bucket) = holdout {
            return default(Reason {
                bucket: Some(bucket),
                ..Reason::of(ReasonKind::Holdout)
            });
        }
        for v in &slot.variants {
            let Some(t) = &v.target else { continue };
            if t.matches(ctx, &self.saved_groups, matched) {
                let reason = match &t.segment {
                    Some((seg, _)) => Reason {
                        segment: Some(seg.clone()),
                        ..Reason::of(ReasonKind::Segment)
                    },
                    None => Reason::of(ReasonKind::Rule),
                };
                return variant(v, reason);
            }
        }
        if let Some(e) = &slot.experiment {
            if let Some((index, bucket)) = self.assign(e, ctx, matched) {
                let reason = Reason {
                    experiment: Some(e.key.clone()),
                    bucket: Some(bucket),
                    variation_index: Some(index),
                    ..Reason::of(ReasonKind::Experiment)
                };
                return match e.variations.get(index).copied().flatten() {
                    Some(vi) => match slot.variants.get(vi) {
                        Some(v) => variant(v, reason),
                        None => default(reason),
                    },
                    None => default(reason),
                };
            }
        }
        default(Reason::of(ReasonKind::Fallback))
    }

    /// GrowthBook assignment: `(variation index, hash)`, or `None` when the
    /// visitor is not in the experiment.
    fn assign(
        &self,
        e: &Experiment,
        ctx: &Value,
        matched: &MatchedSegments,
    ) -> Option<(usize, f64)> {
        if !e.target.matches(ctx, &self.saved_groups, matched) {
            return None;
        }
        let value = e.hash_attribute.iter().try_fold(ctx, |v, k| v.get(k))?;
        let hash_value: std::borrow::Cow<'_, str> = match value {
            Value::String(s) => s.as_str().into(),
            Value::Number(n) => js_number_to_string(n.as_f64()?).into(),
            _ => return None,
        };
        if hash_value.is_empty() {
            return None;
        }
        if let Some((ns, lo, hi)) = &e.namespace {
            if !in_namespace(&hash_value, (ns, *lo, *hi)) {
                return None;
            }
        }
        let n = hash(&e.seed, &hash_value, 2)?;
        let index = usize::try_from(choose_variation(n, &e.ranges)).ok()?;
        Some((index, n))
    }
}

/// A variant whose only targeting is an empty `when: {}`.
fn is_always(v: Option<&config::VariantConfig>) -> bool {
    v.is_some_and(|v| {
        v.segment.is_none()
            && v.tier.is_none()
            && v.stage.is_none()
            && v.interest.is_none()
            && v.when
                .as_ref()
                .is_some_and(|w| w.as_object().is_some_and(Map::is_empty))
    })
}

fn held_out(h: &Holdout, id: &str) -> Option<f64> {
    if id.is_empty() || h.share <= 0.0 {
        return None;
    }
    let n = hash(&h.seed, id, 2)?;
    (n < h.share).then_some(n)
}

fn compile_experiment(
    e: config::ExperimentConfig,
    path: &str,
    variants: &[Variant],
    segment_positions: &SegmentPositions,
    used: &mut Vec<String>,
    warnings: &mut Vec<Warning>,
) -> Result<Experiment, ConfigError> {
    if e.key.is_empty() {
        return Err(ConfigError::new(join(path, "key"), "must not be empty"));
    }
    if e.variations.is_empty() {
        return Err(ConfigError::new(
            join(path, "variations"),
            "expected at least one variant id",
        ));
    }
    let mut variations = Vec::with_capacity(e.variations.len());
    for (k, id) in e.variations.iter().enumerate() {
        if id == DEFAULT_VARIANT {
            variations.push(None);
            continue;
        }
        match variants.iter().position(|v| v.id == *id) {
            Some(j) => variations.push(Some(j)),
            None => {
                return Err(ConfigError::new(
                    format!("{path}.variations[{k}]"),
                    format!("unknown variant \"{id}\" (use \"default\" for the slot's default)"),
                ))
            }
        }
    }
    let coverage = e.coverage.unwrap_or(1.0);
    if !(0.0..=1.0).contains(&coverage) {
        return Err(ConfigError::new(
            join(path, "coverage"),
            "expected a share between 0 and 1",
        ));
    }
    if let Some((_, lo, hi)) = &e.namespace {
        if !(0.0..=1.0).contains(lo) || !(0.0..=1.0).contains(hi) || lo >= hi {
            return Err(ConfigError::new(
                join(path, "namespace"),
                "expected [id, start, end] with 0 ≤ start < end ≤ 1",
            ));
        }
    }
    let n = variations.len();
    if let Some(w) = &e.weights {
        let total: f64 = w.iter().sum();
        if w.len() != n {
            warnings.push(Warning::new(
                join(path, "weights"),
                format!(
                    "{} weights for {n} variations: GrowthBook ignores them and splits equally",
                    w.len()
                ),
            ));
        } else if !(0.99..=1.01).contains(&total) {
            warnings.push(Warning::new(
                join(path, "weights"),
                format!(
                    "weights sum to {}, not 1: GrowthBook ignores them and splits equally",
                    js_number_to_string(total)
                ),
            ));
        }
    }
    let ranges = get_bucket_ranges(
        i64::try_from(n).unwrap_or(i64::MAX),
        coverage,
        e.weights.as_deref(),
    );
    let hash_attribute = e.hash_attribute.unwrap_or_else(|| "id".to_string());
    if hash_attribute.is_empty() {
        return Err(ConfigError::new(
            join(path, "hashAttribute"),
            "must not be empty",
        ));
    }
    let target = compile_target(
        e.when.as_ref(),
        e.segment.as_ref(),
        None,
        None,
        None,
        path,
        segment_positions,
        used,
    )?
    .unwrap_or(Target {
        conds: Vec::new(),
        segment: None,
    });
    Ok(Experiment {
        seed: e.seed.unwrap_or_else(|| e.key.clone()),
        key: e.key,
        variations,
        ranges,
        namespace: e.namespace,
        hash_attribute: hash_attribute.split('.').map(str::to_string).collect(),
        target,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn visitor(v: Value) -> Visitor {
        Visitor::from_value(v).unwrap()
    }

    #[test]
    fn holdout_then_targeting_then_experiment_then_fallback() {
        let p = Personalizer::from_value(json!({
            "segments": [{"id": "cn", "when": {"country": "CN"}}],
            "slots": [{"id": "hero", "default": {"content": "Hi"},
                "holdout": {"share": 0.5},
                "variants": [
                    {"id": "cn", "segment": "cn", "content": "你好"},
                    {"id": "b", "content": "<b>B</b>", "kind": "html-template"}
                ],
                "experiment": {"key": "hero-ab", "variations": ["default", "b"]}}]
        }))
        .unwrap();
        assert!(p.warnings().is_empty(), "{:?}", p.warnings());
        let mut kinds = std::collections::BTreeMap::new();
        for i in 0..2000 {
            let country = if i % 2 == 0 { "CN" } else { "US" };
            let d = p.decide(
                &visitor(json!({"id": format!("v{i}"), "request": {"country": country}})),
                &Tables::default(),
            );
            let r = &d.decisions[0].reason;
            *kinds.entry(format!("{:?}", r.kind)).or_insert(0) += 1;
            if r.kind == ReasonKind::Holdout {
                assert!(r.bucket.unwrap() < 0.5);
            }
        }
        assert!(kinds.contains_key("Segment") && kinds.contains_key("Experiment"));
        assert!(
            kinds["Holdout"] > 900 && kinds["Holdout"] < 1100,
            "{kinds:?}"
        );
        // No id: never held out, never in the experiment.
        let d = p.decide(&visitor(json!({})), &Tables::default());
        assert_eq!(d.decisions[0].reason.kind, ReasonKind::Fallback);
    }

    #[test]
    fn warnings_for_unreachable_variants_and_bad_weights() {
        let p = Personalizer::from_value(json!({
            "segments": [{"id": "unused", "when": {}}],
            "slots": [{"id": "s", "variants": [
                {"id": "lost", "content": "x"},
                {"id": "all", "when": {}, "content": "y"},
                {"id": "after", "tier": "hot", "content": "z"}
            ], "experiment": {"key": "e", "variations": ["default", "after"], "weights": [0.6, 0.6]}}]
        }))
        .unwrap();
        let paths: Vec<&str> = p.warnings().iter().map(|w| w.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "slots[0].experiment.weights",
                "slots[0].variants[0]",
                "slots[0].variants[2]",
                "slots[0].experiment",
                "segments[0]"
            ]
        );
        assert!(p.warnings()[0].message.contains("splits equally"));
    }

    #[test]
    fn errors_are_path_precise() {
        let cases = [
            (
                json!({"slots": [{"id": "a"}, {"id": "b", "variants": [{"id": "v", "when": {"name": {"$regex": "("}}}]}]}),
                "slots[1].variants[0].when.name.$regex",
            ),
            (
                json!({"slots": [{"id": "a", "variants": [{"id": "v", "segment": "nope"}]}]}),
                "slots[0].variants[0].segment",
            ),
            (
                json!({"slots": [{"id": "a", "variants": [{"id": "v", "tier": ["hot", "lukewarm"]}]}]}),
                "slots[0].variants[0].tier[1]",
            ),
            (
                json!({"slots": [{"id": "a", "experiment": {"key": "k", "variations": ["default", "x"]}}]}),
                "slots[0].experiment.variations[1]",
            ),
            (
                json!({"slots": [{"id": "a", "holdout": {"share": 1.5}}]}),
                "slots[0].holdout.share",
            ),
            (
                json!({"slots": [{"id": "a", "colour": 1}]}),
                "slots[0].colour",
            ),
            (
                json!({"content": {"items": [{"id": "x", "type": "podcast"}]}}),
                "content.items[0].type",
            ),
        ];
        for (doc, path) in cases {
            let err = Personalizer::from_value(doc).unwrap_err();
            assert_eq!(err.path, path, "{err}");
        }
    }
}
