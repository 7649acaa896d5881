//! What decisions read of a visitor's score: one typed summary that the page
//! and the edge build the same way and hand to `decide`, so one visitor is
//! decided alike in both places.
//!
//! The page builds it from its own [`ScoreResult`] ([`ScoreResult::summary`]);
//! the edge from the result of its incremental state (the same method), and
//! passes it through JS as JSON, which [`ScoreSummary::from_map`] reads back
//! unchanged. Callers of the npm API may hand `decide` a whole `score()`
//! result or any subset of one (`{tier, stage, interests: ["tag"]}`);
//! `from_map` reads those too.

use crate::json::{Map, Value};
use serde::Serialize;

use super::result::{ScoreResult, Tier};
use super::Stage;

/// A visitor's score as decisions see it. Every part is optional: a caller
/// may know only some (a CRM that sends a tier, say).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScoreSummary {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fit: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub engagement: Option<f64>,
    /// `A1` … `D4`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grade: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tier: Option<Tier>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<Stage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mql: Option<bool>,
    /// Every interest tag with its weight relative to the others, strongest
    /// first. Decisions read the shares over the listed tags, so a list cut
    /// short changes them: a summary carries every tag.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub interests: Vec<InterestShare>,
}

/// One interest tag and its share of the visitor's interest weight.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InterestShare {
    pub tag: String,
    pub share: f64,
}

impl ScoreResult {
    /// The summary decisions read: scores, grade, tier, stage, MQL and every
    /// interest with its real share.
    pub fn summary(&self) -> ScoreSummary {
        ScoreSummary {
            fit: Some(self.fit.score),
            engagement: Some(self.engagement.score),
            grade: Some(self.grade.clone()),
            tier: Some(self.tier),
            stage: Some(self.stage),
            mql: Some(self.mql.qualified),
            interests: self
                .interests
                .iter()
                .map(|i| InterestShare {
                    tag: i.tag.clone(),
                    share: i.share,
                })
                .collect(),
        }
    }
}

impl ScoreSummary {
    /// Reads a summary, a whole `score()` result or any subset of one:
    /// `fit`/`engagement` as numbers or `{score}`, `mql` as a boolean or
    /// `{qualified}`, `interests` as `[{tag, share}]`, `[{tag, weight}]` or a
    /// bare, ranked `["tag"]` (the first counts most: weights 1, ½, ⅓, …).
    /// Parts of another type are left out, as unknown.
    pub fn from_map(score: &Map<String, Value>) -> ScoreSummary {
        let text = |key: &str| score.get(key).and_then(Value::as_str);
        ScoreSummary {
            fit: score_number(score.get("fit")),
            engagement: score_number(score.get("engagement")),
            grade: text("grade").map(str::to_string),
            tier: text("tier").and_then(Tier::from_name),
            stage: text("stage").and_then(Stage::from_name),
            mql: match score.get("mql") {
                Some(Value::Bool(b)) => Some(*b),
                Some(Value::Object(m)) => m.get("qualified").and_then(Value::as_bool),
                _ => None,
            },
            interests: interests(score.get("interests")),
        }
    }

    /// The interests ranked strongest first (ties keep their order), each
    /// with its share of the listed tags' weight, rounded to four places.
    pub fn ranked_shares(&self) -> Vec<(&str, f64)> {
        let total: f64 = self.interests.iter().map(|i| i.share).sum();
        // (tag, weight as given, share): ranked on the weights, not the
        // rounded shares, so two tags rounding alike keep their real order.
        // An insertion sort: a handful of tags, and no sort routine for
        // the page build to carry.
        let mut ranked: Vec<(&str, f64, f64)> = Vec::with_capacity(self.interests.len());
        for i in &self.interests {
            let share = if total > 0.0 { i.share / total } else { 0.0 };
            let at = ranked
                .iter()
                .position(|(_, weight, _)| *weight < i.share)
                .unwrap_or(ranked.len());
            ranked.insert(at, (i.tag.as_str(), i.share, super::result::round4(share)));
        }
        ranked
            .into_iter()
            .map(|(tag, _, share)| (tag, share))
            .collect()
    }
}

fn score_number(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64(),
        Value::Object(o) => o.get("score").and_then(Value::as_f64),
        _ => None,
    }
}

fn interests(list: Option<&Value>) -> Vec<InterestShare> {
    let Some(Value::Array(list)) = list else {
        return Vec::new();
    };
    let mut out: Vec<InterestShare> = Vec::new();
    for (rank, item) in list.iter().enumerate() {
        let (tag, weight) = match item {
            Value::String(t) => (t.as_str(), None),
            Value::Object(o) => match o.get("tag").and_then(Value::as_str) {
                Some(t) => (
                    t,
                    o.get("share")
                        .and_then(Value::as_f64)
                        .or_else(|| o.get("weight").and_then(Value::as_f64)),
                ),
                None => continue,
            },
            _ => continue,
        };
        if tag.is_empty() || out.iter().any(|i| i.tag == tag) {
            continue;
        }
        let weight = weight.filter(|w| w.is_finite() && *w >= 0.0);
        out.push(InterestShare {
            tag: tag.to_string(),
            share: weight.unwrap_or(1.0 / (rank as f64 + 1.0)),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn reads_back_what_it_writes() {
        let s = ScoreSummary {
            fit: Some(60.0),
            engagement: Some(12.5),
            grade: Some("A3".into()),
            tier: Some(Tier::Warm),
            stage: Some(Stage::Consideration),
            mql: Some(false),
            interests: vec![
                InterestShare {
                    tag: "oil & gas".into(),
                    share: 0.7,
                },
                InterestShare {
                    tag: "retail".into(),
                    share: 0.3,
                },
            ],
        };
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(ScoreSummary::from_map(json.as_object().unwrap()), s);
    }

    #[test]
    fn a_bare_tag_list_is_ranked() {
        let s = ScoreSummary::from_map(&map(json!({"interests": ["a", "b", "a", "", 3]})));
        assert_eq!(s.interests.len(), 2);
        assert_eq!(s.ranked_shares(), vec![("a", 0.6667), ("b", 0.3333)]);
    }

    #[test]
    fn result_shapes_and_wrong_types() {
        let s = ScoreSummary::from_map(&map(json!({
            "fit": {"score": 40}, "engagement": "high", "tier": "tepid", "stage": "decision",
            "mql": {"qualified": true}, "grade": 7
        })));
        assert_eq!(s.fit, Some(40.0));
        assert_eq!(s.engagement, None);
        assert_eq!(s.tier, None);
        assert_eq!(s.stage, Some(Stage::Decision));
        assert_eq!(s.mql, Some(true));
        assert_eq!(s.grade, None);
    }

    #[test]
    fn ties_keep_their_order_and_weaker_tags_follow() {
        let s = ScoreSummary::from_map(&map(json!({"interests": [
            {"tag": "x", "weight": 1.0}, {"tag": "y", "weight": 3.0}, {"tag": "z", "weight": 1.0}
        ]})));
        let tags: Vec<&str> = s.ranked_shares().into_iter().map(|(t, _)| t).collect();
        assert_eq!(tags, ["y", "x", "z"]);
    }
}
