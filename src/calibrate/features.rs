//! The feature model: one model document holding every candidate rule (the
//! base model's and the learned ones) worth 1 point. Scoring a lead with it
//! gives each rule's contribution per point: 1 for a fit rule or a bin
//! that holds, the decayed (and capped) count of matches for an engagement
//! rule. The features are read from the scorer itself, so the model that
//! ships scores exactly what was fitted: its points are the coefficients
//! on the scorecard scale, written into the same document.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::{json, Map, Value};

use super::candidates::Candidates;
use super::fit::Row;
use crate::diagnostics::{ConfigDocument, Issue};
use crate::score::event::Event;
use crate::score::{Model, ScoreOptions};
use crate::time::Millis;

/// What kind of line of the model a feature is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Kind {
    Fit,
    Negative,
    Engagement,
    Aggregate,
    Inactivity,
}

#[derive(Debug, Clone)]
enum Slot {
    FitRule(usize),
    Negative(String),
    EngagementRule(usize),
    Aggregate(usize),
    Inactivity,
}

#[derive(Debug, Clone)]
pub struct Feature {
    pub id: String,
    pub kind: Kind,
    pub label: Option<String>,
    pub from_base: bool,
    slot: Slot,
}

/// The feature model's document and its features, in column order.
#[derive(Debug, Clone)]
pub struct Template {
    doc: Value,
    pub features: Vec<Feature>,
    index: HashMap<String, usize>,
}

fn section<'a>(doc: &'a mut Value, path: &[&str]) -> Option<&'a mut Vec<Value>> {
    let mut at = doc;
    for key in path {
        let map = at.as_object_mut()?;
        at = map.entry(key.to_string()).or_insert_with(|| json!({}));
    }
    if !at.is_array() {
        *at = json!([]);
    }
    at.as_array_mut()
}

fn id_of(rule: &Value) -> String {
    rule.get("id")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

fn label_of(rule: &Value) -> Option<String> {
    rule.get("label")
        .and_then(Value::as_str)
        .map(str::to_string)
}

fn set_points(rule: &mut Value, points: f64) {
    if let Some(obj) = rule.as_object_mut() {
        obj.insert("points".into(), json!(points));
    }
}

const NEGATIVE_CHECKS: [&str; 8] = [
    "freeEmail",
    "disposableEmail",
    "roleEmail",
    "fakePhone",
    "missingCompany",
    "student",
    "jobSeeker",
    "competitor",
];

impl Template {
    /// The base model (checked by the caller) with every point set to 1,
    /// and the candidates beside its rules. Without a base, the built-in
    /// negative checks are candidates too.
    pub fn new(base: Option<&Value>, candidates: Candidates) -> Result<Template, Issue> {
        let mut doc = base.cloned().unwrap_or_else(|| {
            json!({"version": 1, "fit": {"negative": {
                "freeEmail": {"points": 1}, "disposableEmail": {"points": 1}, "roleEmail": {"points": 1},
                "missingCompany": {"points": 1}, "student": {"points": 1}, "jobSeeker": {"points": 1}}},
                "mql": {"grades": ["A1", "A2", "B1"]}})
        });
        if !doc.is_object() {
            return Err(Issue::error("options.base", "expected a model document"));
        }
        let from_base = base.is_some();
        let mut t = Template {
            doc: Value::Null,
            features: Vec::new(),
            index: HashMap::new(),
        };
        let add = |t: &mut Template, id: String, kind, label, from_base, slot| {
            t.index.insert(id.clone(), t.features.len());
            t.features.push(Feature {
                id,
                kind,
                label,
                from_base,
                slot,
            });
        };
        if let Some(rules) = section(&mut doc, &["fit", "rules"]) {
            for (i, rule) in rules.iter_mut().enumerate() {
                set_points(rule, 1.0);
                add(
                    &mut t,
                    id_of(rule),
                    Kind::Fit,
                    label_of(rule),
                    from_base,
                    Slot::FitRule(i),
                );
            }
        }
        if let Some(negative) = doc
            .get_mut("fit")
            .and_then(|f| f.get_mut("negative"))
            .and_then(Value::as_object_mut)
        {
            for name in NEGATIVE_CHECKS {
                if let Some(check) = negative.get_mut(name).filter(|c| c.is_object()) {
                    set_points(check, 1.0);
                    let id = format!("negative.{name}");
                    add(
                        &mut t,
                        id,
                        Kind::Negative,
                        None,
                        from_base,
                        Slot::Negative(name.into()),
                    );
                }
            }
        }
        if let Some(rules) = section(&mut doc, &["engagement", "rules"]) {
            for (i, rule) in rules.iter_mut().enumerate() {
                set_points(rule, 1.0);
                let id = id_of(rule);
                add(
                    &mut t,
                    id,
                    Kind::Engagement,
                    label_of(rule),
                    from_base,
                    Slot::EngagementRule(i),
                );
            }
        }
        if let Some(rules) = section(&mut doc, &["engagement", "aggregates"]) {
            for (i, rule) in rules.iter_mut().enumerate() {
                set_points(rule, 1.0);
                let id = format!("aggregate:{}", id_of(rule));
                add(
                    &mut t,
                    id,
                    Kind::Aggregate,
                    label_of(rule),
                    from_base,
                    Slot::Aggregate(i),
                );
            }
        }
        if let Some(inactivity) = doc
            .get_mut("engagement")
            .and_then(|e| e.get_mut("inactivity"))
            .filter(|i| i.is_object())
        {
            set_points(inactivity, 1.0);
            add(
                &mut t,
                "inactivity".into(),
                Kind::Inactivity,
                None,
                from_base,
                Slot::Inactivity,
            );
        }
        // Learned rules beside the base's; an id the base already uses gets
        // a suffix.
        let Candidates {
            fit_rules,
            engagement_rules,
            aggregates,
            ..
        } = candidates;
        let lists: [(&[&str], Vec<Value>, Kind); 3] = [
            (&["fit", "rules"], fit_rules, Kind::Fit),
            (&["engagement", "rules"], engagement_rules, Kind::Engagement),
            (&["engagement", "aggregates"], aggregates, Kind::Aggregate),
        ];
        for (path, list, kind) in lists {
            for mut rule in list {
                let mut id = id_of(&rule);
                let key = |id: &str| match kind {
                    Kind::Aggregate => format!("aggregate:{id}"),
                    _ => id.to_string(),
                };
                while t.index.contains_key(&key(&id)) {
                    id.push_str(" (learned)");
                }
                if let Some(obj) = rule.as_object_mut() {
                    obj.insert("id".into(), json!(id));
                }
                let label = label_of(&rule);
                let Some(rules) = section(&mut doc, path) else {
                    continue;
                };
                let slot = match kind {
                    Kind::Fit => Slot::FitRule(rules.len()),
                    Kind::Engagement => Slot::EngagementRule(rules.len()),
                    _ => Slot::Aggregate(rules.len()),
                };
                rules.push(rule);
                add(&mut t, key(&id), kind, label, false, slot);
            }
        }
        t.doc = doc;
        Ok(t)
    }

    /// The feature model with the model's half-life set to `half_life`.
    pub fn model(&self, half_life: Option<f64>) -> Result<Model, Issue> {
        let mut doc = self.doc.clone();
        set_half_life(&mut doc, half_life);
        Model::from_value(doc).map_err(|d| {
            d.errors
                .into_iter()
                .next()
                .map(|e| e.within("options.base"))
                .unwrap_or_else(|| Issue::error("options.base", "the model does not compile"))
        })
    }

    /// One lead's features, as the feature model scores it.
    pub fn row(
        &self,
        model: &Model,
        profile: &Map<String, Value>,
        events: &[Event<'_>],
        now: Millis,
    ) -> Row {
        let options = ScoreOptions::totals_only();
        let result = model.score_events(Some(profile), events, now, &options);
        let mut row: Row = Vec::new();
        let mut put = |id: &str, value: f64| {
            if value != 0.0 {
                if let Some(&j) = self.index.get(id) {
                    row.push((j, value));
                }
            }
        };
        for point in &result.fit.breakdown {
            put(&point.rule, point.points);
        }
        for total in &result.engagement.rules {
            put(&total.rule, total.points);
        }
        for bin in &result.engagement.aggregates {
            put(&format!("aggregate:{}", bin.rule), bin.points);
        }
        if let Some(inactivity) = &result.engagement.inactivity {
            put("inactivity", inactivity.points);
        }
        row.sort_by_key(|&(j, _)| j);
        row
    }

    /// The model document with `points` per feature: learned lines worth 0
    /// are left out, the base's lines stay whatever their points.
    pub fn document(&self, points: &[f64], half_life: Option<f64>) -> Value {
        let mut doc = self.doc.clone();
        set_half_life(&mut doc, half_life);
        let mut drop: Vec<(Kind, usize)> = Vec::new();
        for (feature, &p) in self.features.iter().zip(points) {
            let target = match &feature.slot {
                Slot::FitRule(i) => doc.pointer_mut(&format!("/fit/rules/{i}")),
                Slot::EngagementRule(i) => doc.pointer_mut(&format!("/engagement/rules/{i}")),
                Slot::Aggregate(i) => doc.pointer_mut(&format!("/engagement/aggregates/{i}")),
                Slot::Negative(name) => doc.pointer_mut(&format!("/fit/negative/{name}")),
                Slot::Inactivity => doc.pointer_mut("/engagement/inactivity"),
            };
            if let Some(rule) = target {
                set_points(rule, p);
            }
            if p == 0.0 && !feature.from_base {
                match feature.slot {
                    Slot::FitRule(i) => drop.push((Kind::Fit, i)),
                    Slot::EngagementRule(i) => drop.push((Kind::Engagement, i)),
                    Slot::Aggregate(i) => drop.push((Kind::Aggregate, i)),
                    Slot::Negative(ref name) => {
                        if let Some(neg) = doc
                            .pointer_mut("/fit/negative")
                            .and_then(Value::as_object_mut)
                        {
                            neg.remove(name);
                        }
                    }
                    Slot::Inactivity => {}
                }
            }
        }
        // Highest index first, so the lower ones stay where they are.
        drop.sort_by_key(|d| std::cmp::Reverse(d.1));
        for (kind, i) in drop {
            let path = match kind {
                Kind::Fit => "/fit/rules",
                Kind::Engagement => "/engagement/rules",
                _ => "/engagement/aggregates",
            };
            if let Some(list) = doc.pointer_mut(path).and_then(Value::as_array_mut) {
                if i < list.len() {
                    list.remove(i);
                }
            }
        }
        doc
    }
}

fn set_half_life(doc: &mut Value, half_life: Option<f64>) {
    if let Some(obj) = doc.as_object_mut() {
        let engagement = obj.entry("engagement").or_insert_with(|| json!({}));
        if let Some(e) = engagement.as_object_mut() {
            e.insert("halfLifeDays".into(), json!(half_life));
        }
    }
}
