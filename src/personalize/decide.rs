//! Deciding: a visitor's context → segments → one decision per slot
//! (holdout, targeted variants, experiment, fallback), plus recommendations.

use std::borrow::Cow;

use crate::json::{Map, Value};

use super::view::ContextView;
use super::{
    Decision, Decisions, Experiment, Holdout, Personalizer, Reason, ReasonKind, Recommendation,
    Slot, Tables, Target, Visitor, DEFAULT_VARIANT,
};
use crate::targeting::{choose_variation, hash, in_namespace, js_number_to_string, Attributes};

/// What a slot is decided against: a context as a JSON object, or its
/// typed view.
pub(super) trait DecideContext: Attributes {
    /// The experiment's hash attribute at `path`, walked through objects
    /// only, as GrowthBook reads `attributes[hashAttribute]`; `None` when a
    /// step is missing.
    fn hash_attribute(&self, path: &[String]) -> Option<Cow<'_, Value>>;
}

impl DecideContext for Value {
    fn hash_attribute(&self, path: &[String]) -> Option<Cow<'_, Value>> {
        path.iter()
            .try_fold(self, |v, k| v.get(k))
            .map(Cow::Borrowed)
    }
}

impl DecideContext for ContextView<'_> {
    fn hash_attribute(&self, path: &[String]) -> Option<Cow<'_, Value>> {
        let (first, rest) = path.split_first()?;
        // A missing top-level key reads as `null`, which hashes as missing.
        match self.get_path(std::slice::from_ref(first)) {
            Cow::Borrowed(v) => rest.iter().try_fold(v, |v, k| v.get(k)).map(Cow::Borrowed),
            Cow::Owned(v) => rest
                .iter()
                .try_fold(&v, |v, k| v.get(k))
                .cloned()
                .map(Cow::Owned),
        }
    }
}

impl Target {
    fn matches<A: Attributes + ?Sized>(
        &self,
        ctx: &A,
        groups: &Map<String, Value>,
        matched: &MatchedSegments,
    ) -> bool {
        self.segment
            .as_ref()
            .is_none_or(|(_, at)| matched.contains(*at))
            && self
                .conds
                .iter()
                .all(|c| c.eval_in(ctx, Some(groups), None))
    }
}

/// The segments a context names, as a set of positions in the config's
/// `segments`.
pub(super) struct MatchedSegments(Vec<bool>);

impl MatchedSegments {
    fn contains(&self, at: usize) -> bool {
        self.0.get(at).copied().unwrap_or(false)
    }
}

impl Personalizer {
    /// The visitor context before segments are evaluated: what
    /// [`segments_of`](Self::segments_of) reads.
    pub fn context_without_segments(&self, visitor: &Visitor, tables: &Tables<'_>) -> Value {
        self.view(visitor, tables).to_value()
    }

    /// The visitor context with `segments` and `segment` (the primary) set.
    pub fn context(&self, visitor: &Visitor, tables: &Tables<'_>) -> Value {
        self.segmented_view(visitor, tables).to_value()
    }

    /// The visitor's context as conditions read it, without segments.
    pub fn view<'a>(&self, visitor: &'a Visitor, tables: &Tables<'a>) -> ContextView<'a> {
        ContextView::new(visitor, tables, &self.org_rules, self.top_interests)
    }

    /// The visitor's context with its segments evaluated and set.
    pub fn segmented_view<'a>(
        &'a self,
        visitor: &'a Visitor,
        tables: &Tables<'a>,
    ) -> ContextView<'a> {
        let view = self.view(visitor, tables);
        let segments = self.segments_of(&view);
        view.with_segments(segments)
    }

    /// Ids of the segments `ctx` (a context, or its view) matches, highest
    /// priority first.
    pub fn segments_of<A: Attributes + ?Sized>(&self, ctx: &A) -> Vec<&str> {
        self.segments
            .iter()
            .filter(|s| s.cond.eval_in(ctx, Some(&self.saved_groups), None))
            .map(|s| s.id.as_str())
            .collect()
    }

    /// Decides every slot for one visitor. Conditions read the visitor's
    /// context through its typed view, only at the paths they name.
    pub fn decide(&self, visitor: &Visitor, tables: &Tables<'_>) -> Decisions {
        let view = self.segmented_view(visitor, tables);
        let segments = view.segments();
        let recommendations = if self.content.is_empty() {
            Vec::new()
        } else {
            self.content.recommend_view(&view)
        };
        self.decide_slots(
            &view,
            view.id(),
            segments.iter().map(|s| s.to_string()).collect(),
            recommendations,
        )
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
        self.decide_slots(ctx, id, segments, self.content.recommend(ctx))
    }

    fn decide_slots<C: DecideContext>(
        &self,
        ctx: &C,
        id: &str,
        segments: Vec<String>,
        recommendations: Vec<Recommendation>,
    ) -> Decisions {
        let decisions = self
            .choose_all(ctx, id, &segments)
            .map(|(slot, choice)| Self::decision(slot, choice))
            .collect();
        Decisions {
            version: self.version.clone(),
            primary_segment: segments.first().cloned(),
            segments,
            decisions,
            recommendations,
        }
    }

    /// Ids the config does not know match no variant, as the `$in`
    /// condition they stand for would not.
    pub(super) fn matched_segments<S: AsRef<str>>(&self, ids: &[S]) -> MatchedSegments {
        let mut matched = vec![false; self.segments.len()];
        for at in ids
            .iter()
            .filter_map(|id| self.segment_positions.of(id.as_ref()))
        {
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

    /// Each slot in the config's order with what it shows and why
    /// ([`choose`](Self::choose)), for a context matching `segments`.
    pub(super) fn choose_all<'s, C: DecideContext, S: AsRef<str>>(
        &'s self,
        ctx: &'s C,
        id: &'s str,
        segments: &[S],
    ) -> impl Iterator<Item = (&'s Slot, (Option<usize>, Reason))> + 's {
        let global_holdout = self.holdout.as_ref().and_then(|h| held_out(h, id));
        let matched = self.matched_segments(segments);
        self.slots.iter().map(move |slot| {
            let choice = self.choose(slot, ctx, &matched, id, global_holdout);
            (slot, choice)
        })
    }

    /// The decision for `slot` that [`choose`](Self::choose) made.
    fn decision(slot: &Slot, (choice, reason): (Option<usize>, Reason)) -> Decision {
        match choice.and_then(|at| slot.variants.get(at)) {
            Some(v) => Decision {
                slot: slot.id.clone(),
                variant: v.id.clone(),
                kind: v.kind,
                content: v.content.clone(),
                reason,
            },
            None => Decision {
                slot: slot.id.clone(),
                variant: DEFAULT_VARIANT.to_string(),
                kind: slot.default_kind,
                content: slot.default_content.clone(),
                reason,
            },
        }
    }

    /// What `slot` shows (a variant by position, `None` for the default)
    /// and why.
    fn choose<C: DecideContext>(
        &self,
        slot: &Slot,
        ctx: &C,
        matched: &MatchedSegments,
        id: &str,
        global_holdout: Option<f64>,
    ) -> (Option<usize>, Reason) {
        let holdout =
            global_holdout.or_else(|| slot.holdout.as_ref().and_then(|h| held_out(h, id)));
        if let Some(bucket) = holdout {
            let reason = Reason {
                bucket: Some(bucket),
                ..Reason::of(ReasonKind::Holdout)
            };
            return (None, reason);
        }
        for (at, v) in slot.variants.iter().enumerate() {
            let Some(t) = &v.target else { continue };
            if t.matches(ctx, &self.saved_groups, matched) {
                let reason = match &t.segment {
                    Some((seg, _)) => Reason {
                        segment: Some(seg.clone()),
                        ..Reason::of(ReasonKind::Segment)
                    },
                    None => Reason::of(ReasonKind::Rule),
                };
                return (Some(at), reason);
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
                let at = e.variations.get(index).copied().flatten();
                return (at.filter(|&at| at < slot.variants.len()), reason);
            }
        }
        (None, Reason::of(ReasonKind::Fallback))
    }

    /// GrowthBook assignment: `(variation index, hash)`, or `None` when the
    /// visitor is not in the experiment.
    fn assign<C: DecideContext>(
        &self,
        e: &Experiment,
        ctx: &C,
        matched: &MatchedSegments,
    ) -> Option<(usize, f64)> {
        if !e.target.matches(ctx, &self.saved_groups, matched) {
            return None;
        }
        let value = ctx.hash_attribute(&e.hash_attribute)?;
        // GrowthBook hashes a truthy attribute as JS turns it into a string:
        // `0`, `false` and `""` leave the visitor out.
        let hash_value: Cow<'_, str> = match &*value {
            Value::String(s) => s.as_str().into(),
            Value::Number(n) => match n.as_f64()? {
                0.0 => return None,
                x => js_number_to_string(x).into(),
            },
            Value::Bool(true) => "true".into(),
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
        let n = hash(&e.seed, &hash_value, e.hash_version)?;
        let index = usize::try_from(choose_variation(n, &e.ranges)).ok()?;
        Some((index, n))
    }
}

pub(super) fn held_out(h: &Holdout, id: &str) -> Option<f64> {
    if id.is_empty() || h.share <= 0.0 {
        return None;
    }
    let n = hash(&h.seed, id, 2)?;
    (n < h.share).then_some(n)
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use crate::diagnostics::ConfigDocument;
    use crate::personalize::{Personalizer, ReasonKind, Tables, Visitor};

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
                "experiment": {"key": "hero-ab", "hashVersion": 2, "variations": ["default", "b"]}}]
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
    fn experiments_hash_with_their_hash_version() {
        let site = |version: Value| {
            let mut e = json!({"key": "k", "seed": "s", "variations": ["default", "b"]});
            if !version.is_null() {
                e["hashVersion"] = version;
            }
            Personalizer::from_value(json!({"slots": [{"id": "hero",
                "variants": [{"id": "b", "content": "B"}], "experiment": e}]}))
        };
        let (v1, v2, unset) = (
            site(json!(1)).unwrap(),
            site(json!(2)).unwrap(),
            site(Value::Null).unwrap(),
        );
        assert!(v1.warnings().is_empty() && v2.warnings().is_empty());
        // Unset is GrowthBook's default, 1, and says so.
        assert_eq!(unset.warnings()[0].path, "slots[0].experiment.hashVersion");
        let mut differ = 0;
        for i in 0..300 {
            let who = visitor(json!({"id": format!("u{i}")}));
            let bucket = |p: &Personalizer| {
                p.decide(&who, &Tables::default()).decisions[0]
                    .reason
                    .bucket
            };
            let id = format!("u{i}");
            assert_eq!(bucket(&v1), crate::targeting::hash("s", &id, 1));
            assert_eq!(bucket(&v2), crate::targeting::hash("s", &id, 2));
            assert_eq!(bucket(&unset), bucket(&v1));
            differ += usize::from(bucket(&v1) != bucket(&v2));
        }
        assert!(differ > 250, "{differ}");
        for bad in [json!(0), json!(3)] {
            let err = site(bad).unwrap_err().errors.remove(0);
            assert_eq!(err.path, "slots[0].experiment.hashVersion", "{err}");
            assert!(err.message.contains("expected 1 or 2"), "{err}");
        }
    }

    #[test]
    fn hash_attribute_values_are_read_as_growthbook_reads_them() {
        let p = Personalizer::from_value(json!({"slots": [{"id": "s",
            "variants": [{"id": "b", "content": "B"}],
            "experiment": {"key": "k", "hashVersion": 2, "hashAttribute": "request.n",
                "variations": ["default", "b"]}}]}))
        .unwrap();
        let kind = |n: Value| {
            p.decide(
                &visitor(json!({"id": "x", "request": {"n": n}})),
                &Tables::default(),
            )
            .decisions[0]
                .reason
                .kind
        };
        // Falsy values leave the visitor out, as `if (!hashValue)` does.
        for falsy in [json!(0), json!(false), json!(""), Value::Null] {
            assert_eq!(kind(falsy.clone()), ReasonKind::Fallback, "{falsy}");
        }
        for truthy in [json!(7), json!(true), json!("u")] {
            assert_eq!(kind(truthy.clone()), ReasonKind::Experiment, "{truthy}");
        }
    }
}
