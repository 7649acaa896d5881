//! Config → compiled [`Personalizer`]: validation with path-precise errors,
//! targeting shorthands turned into conditions, experiments' bucket ranges
//! computed once, and the warnings for unreachable variants.

use crate::json::{Map, Value};
use serde_json::json;

use super::{
    config, strings, ContentKind, ContentMatrix, Experiment, Holdout, OrgRules, PersonalizeConfig,
    Personalizer, Segment, SegmentPositions, Slot, Target, Variant, DEFAULT_VARIANT,
};
use crate::diagnostics::{join_path as join, ConfigDocument, Diagnostics, Issue};
use crate::score::{Stage, Tier};
use crate::targeting::{get_bucket_ranges, js_number_to_string, Condition};

impl Target {
    /// No condition and no segment: every visitor matches.
    fn always_matches(&self) -> bool {
        self.conds.is_empty() && self.segment.is_none()
    }
}

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
}

/// The condition at `path`, or `None` with its every problem recorded.
fn compile_condition(value: &Value, path: &str, d: &mut Diagnostics) -> Option<Condition> {
    match Condition::compile(value) {
        Ok(c) => Some(c),
        Err(issues) => {
            d.extend_within(path, issues);
            None
        }
    }
}

fn check_holdout(
    h: config::HoldoutConfig,
    path: &str,
    seed: &str,
    d: &mut Diagnostics,
) -> Option<Holdout> {
    if !(0.0..=1.0).contains(&h.share) {
        d.error(join(path, "share"), "expected a share between 0 and 1");
        return None;
    }
    Some(Holdout {
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

/// The names a variant's `tier` / `stage` accept: the scoring result's own.
const TIERS: [&str; 3] = [Tier::Cold.as_str(), Tier::Warm.as_str(), Tier::Hot.as_str()];
const STAGES: [&str; 3] = [
    Stage::Awareness.as_str(),
    Stage::Consideration.as_str(),
    Stage::Decision.as_str(),
];

/// Compiles targeting keys into conditions: `None` when none is given.
/// Problems are recorded in `d`; the target then holds what did compile
/// (it is never used, as the document has errors).
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
    d: &mut Diagnostics,
) -> Option<Target> {
    if when.is_none()
        && segment.is_none()
        && tier.is_none()
        && stage.is_none()
        && interest.is_none()
    {
        return None;
    }
    let mut conds = Vec::new();
    if let Some(w) = when {
        let mut mentioned = Vec::new();
        strings_in(w, &mut mentioned);
        used.extend(mentioned.into_iter().map(str::to_string));
        conds.extend(compile_condition(w, &join(path, "when"), d));
    }
    let mut segment_at = None;
    if let Some(seg) = segment {
        used.push(seg.clone());
        match segment_positions.of(seg) {
            Some(at) => segment_at = Some((seg.clone(), at)),
            // A segment set aside for its own error is not unknown.
            None if d.set_aside_id("segments", seg) => {}
            None => d.error(join(path, "segment"), format!("unknown segment \"{seg}\"")),
        }
    }
    for (key, list, allowed) in [("tier", tier, &TIERS[..]), ("stage", stage, &STAGES[..])] {
        let Some(list) = list else { continue };
        for (i, v) in list.0.iter().enumerate() {
            if !allowed.contains(&v.as_str()) {
                d.error(
                    format!("{}[{i}]", join(path, key)),
                    format!(
                        "unknown {key} \"{v}\", expected one of {}",
                        allowed.join(", ")
                    ),
                );
            }
        }
        conds.extend(compile_condition(&json!({ key: {"$in": list.0} }), path, d));
    }
    if let Some(list) = interest {
        conds.extend(compile_condition(
            &json!({"interests": {"$ini": list.0}}),
            path,
            d,
        ));
    }
    Some(Target {
        conds,
        segment: segment_at,
    })
}

impl ConfigDocument for Personalizer {
    type Document = PersonalizeConfig;

    /// Compiles a parsed document, recording every problem: each segment,
    /// slot, variant and experiment is checked even after an error in
    /// another one.
    fn compile(cfg: PersonalizeConfig, d: &mut Diagnostics) -> Personalizer {
        Self::compile_into(cfg, d)
    }
}

impl Personalizer {
    fn compile_into(cfg: PersonalizeConfig, d: &mut Diagnostics) -> Personalizer {
        let org_rules = OrgRules::compile(cfg.org_rules, "orgRules", d);

        for (id, v) in &cfg.saved_groups {
            if !v.is_array() {
                d.error(join("savedGroups", id), "expected an array of values");
            }
        }

        let mut segments: Vec<Segment> = Vec::with_capacity(cfg.segments.len());
        for (i, s) in cfg.segments.iter().enumerate() {
            let path = format!("segments[{i}]");
            if s.id.is_empty() {
                d.error(join(&path, "id"), "must not be empty");
            } else if cfg.segments.iter().take(i).any(|x| x.id == s.id) {
                d.error(
                    join(&path, "id"),
                    format!("duplicate segment id \"{}\"", s.id),
                );
            }
            if !s.priority.is_finite() {
                d.error(join(&path, "priority"), "expected a number");
            }
            if let Some(cond) = compile_condition(&s.when, &join(&path, "when"), d) {
                segments.push(Segment {
                    id: s.id.clone(),
                    priority: s.priority,
                    cond,
                });
            }
        }
        // Stable: equal priorities keep config order.
        segments.sort_by(|a, b| b.priority.total_cmp(&a.priority));
        let segment_positions = SegmentPositions::new(&cfg.segments);
        let mut used: Vec<String> = Vec::new();

        let holdout = cfg
            .holdout
            .and_then(|h| check_holdout(h, "holdout", "holdout", d));
        if holdout.as_ref().is_some_and(|h| h.share >= 1.0) {
            d.push(Issue::warning(
                "holdout.share",
                "every visitor is held out: every slot always shows its default",
            ));
        }

        let mut slots: Vec<Slot> = Vec::with_capacity(cfg.slots.len());
        for (i, s) in cfg.slots.into_iter().enumerate() {
            let path = format!("slots[{i}]");
            if s.id.is_empty() {
                d.error(join(&path, "id"), "must not be empty");
            } else if slots.iter().any(|x| x.id == s.id) {
                d.error(join(&path, "id"), format!("duplicate slot id \"{}\"", s.id));
            }
            let mut variants: Vec<Variant> = Vec::with_capacity(s.variants.len());
            for (j, v) in s.variants.iter().enumerate() {
                let vpath = format!("{path}.variants[{j}]");
                if v.id.is_empty() || v.id == DEFAULT_VARIANT {
                    d.error(
                        join(&vpath, "id"),
                        "must be a non-empty id other than \"default\" (reserved for the slot's default)",
                    );
                } else if variants.iter().any(|x| x.id == v.id) {
                    d.error(
                        join(&vpath, "id"),
                        format!("duplicate variant id \"{}\"", v.id),
                    );
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
                    d,
                );
                variants.push(Variant {
                    id: v.id.clone(),
                    content: v.content.clone(),
                    kind: v.kind,
                    target,
                });
            }

            let experiment = s.experiment.and_then(|e| {
                compile_experiment(e, &path, &variants, &segment_positions, &mut used, d)
            });

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
                        d.push(Issue::warning(
                            vpath,
                            format!("can never be chosen: variants[{k}] before it always matches"),
                        ));
                    }
                    continue;
                }
                match &v.target {
                    None if !in_experiment => d.push(Issue::warning(
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
                d.push(Issue::warning(
                    join(&path, "experiment"),
                    format!("never runs: variants[{k}] always matches first"),
                ));
            }

            let holdout = s.holdout.and_then(|h| {
                let mut seed = String::with_capacity(8 + s.id.len());
                seed.push_str("holdout:");
                seed.push_str(&s.id);
                check_holdout(h, &join(&path, "holdout"), &seed, d)
            });
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
                d.push(Issue::warning(
                    format!("segments[{i}]"),
                    format!(
                        "segment \"{}\" is not used by any slot (it is still reported in decisions)",
                        s.id
                    ),
                ));
            }
        }

        let content = match cfg.content {
            Some(c) => ContentMatrix::compile(c, "content", d),
            None => ContentMatrix::default(),
        };

        Personalizer {
            version: cfg.version,
            saved_groups: cfg.saved_groups,
            top_interests: cfg.top_interests.unwrap_or(3),
            org_rules,
            segments,
            segment_positions,
            holdout,
            slots,
            content,
            warnings: d.warnings.clone(),
        }
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

/// GrowthBook's `experiment.hashVersion || 1`.
const DEFAULT_HASH_VERSION: u32 = 1;

/// The experiment of the slot at `slot_path`.
fn compile_experiment(
    e: config::ExperimentConfig,
    slot_path: &str,
    variants: &[Variant],
    segment_positions: &SegmentPositions,
    used: &mut Vec<String>,
    d: &mut Diagnostics,
) -> Option<Experiment> {
    let path = &join(slot_path, "experiment");
    let errors_before = d.errors.len();
    if e.key.is_empty() {
        d.error(join(path, "key"), "must not be empty");
    }
    if e.variations.len() < 2 {
        d.error(
            join(path, "variations"),
            "expected at least two variant ids",
        );
    }
    let mut variations = Vec::with_capacity(e.variations.len());
    for (k, id) in e.variations.iter().enumerate() {
        if id == DEFAULT_VARIANT {
            variations.push(None);
            continue;
        }
        match variants.iter().position(|v| v.id == *id) {
            Some(j) => variations.push(Some(j)),
            // A variant set aside for its own error is not unknown.
            None if d.set_aside_id(&join(slot_path, "variants"), id) => {}
            None => d.error(
                format!("{path}.variations[{k}]"),
                format!("unknown variant \"{id}\" (use \"default\" for the slot's default)"),
            ),
        }
    }
    let coverage = e.coverage.unwrap_or(1.0);
    if !(0.0..=1.0).contains(&coverage) {
        d.error(join(path, "coverage"), "expected a share between 0 and 1");
    }
    if let Some((_, lo, hi)) = &e.namespace {
        if !(0.0..=1.0).contains(lo) || !(0.0..=1.0).contains(hi) || lo >= hi {
            d.error(
                join(path, "namespace"),
                "expected [id, start, end] with 0 ≤ start < end ≤ 1",
            );
        }
    }
    let n = variations.len();
    if let Some(w) = &e.weights {
        let total: f64 = w.iter().sum();
        if w.len() != n {
            d.push(Issue::warning(
                join(path, "weights"),
                format!(
                    "{} weights for {n} variations: GrowthBook ignores them and splits equally",
                    w.len()
                ),
            ));
        } else if !(0.99..=1.01).contains(&total) {
            d.push(Issue::warning(
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
    let hash_version = match e.hash_version {
        Some(v @ (1 | 2)) => v,
        Some(_) => {
            d.error(
                join(path, "hashVersion"),
                "expected 1 or 2 (GrowthBook's hash versions)",
            );
            DEFAULT_HASH_VERSION
        }
        None => {
            d.push(Issue::warning(
                join(path, "hashVersion"),
                "not set: GrowthBook's default 1; nurture used 2 before (\"hashVersion\": 2 keeps those variations)",
            ));
            DEFAULT_HASH_VERSION
        }
    };
    let hash_attribute = e.hash_attribute.unwrap_or_else(|| "id".to_string());
    if hash_attribute.is_empty() {
        d.error(join(path, "hashAttribute"), "must not be empty");
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
        d,
    )
    .unwrap_or(Target {
        conds: Vec::new(),
        segment: None,
    });
    if d.errors.len() > errors_before {
        return None;
    }
    Some(Experiment {
        seed: e.seed.unwrap_or_else(|| e.key.clone()),
        key: e.key,
        variations,
        ranges,
        namespace: e.namespace,
        hash_version,
        hash_attribute: hash_attribute.split('.').map(str::to_string).collect(),
        target,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::diagnostics::ConfigDocument;
    use crate::personalize::Personalizer;

    #[test]
    fn warnings_for_unreachable_variants_and_bad_weights() {
        let p = Personalizer::from_value(json!({
            "segments": [{"id": "unused", "when": {}}],
            "slots": [{"id": "s", "variants": [
                {"id": "lost", "content": "x"},
                {"id": "all", "when": {}, "content": "y"},
                {"id": "after", "tier": "hot", "content": "z"}
            ], "experiment": {"key": "e", "hashVersion": 1, "variations": ["default", "after"], "weights": [0.6, 0.6]}}]
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
            let err = Personalizer::from_value(doc).unwrap_err().errors.remove(0);
            assert_eq!(err.path, path, "{err}");
        }
    }
}
