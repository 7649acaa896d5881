//! What scoring returns: the scores, the grade and state, and a breakdown in
//! which every point names the rule and the field or event it came from.

use crate::json::Value;
use serde::Serialize;

use super::config::Stage;
use super::event::RejectedEvent;
use crate::time::Millis;

#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct ScoreResult {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The `now` the scores were computed at.
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::Millis"))]
    pub now: Millis,
    pub fit: FitResult,
    pub engagement: EngagementResult,
    /// Fit letter and engagement level: `A1` (best) … `D4` (worst).
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::Grade"))]
    pub grade: String,
    pub tier: Tier,
    pub stage: Stage,
    pub stage_evidence: StageEvidence,
    pub mql: MqlResult,
    /// Topics by decayed weight, strongest first.
    pub interests: Vec<Interest>,
    /// Events accepted and scored.
    pub events_scored: usize,
    /// Events that failed their checks, with the reason; they score nothing.
    pub rejected: Vec<RejectedEvent>,
    /// Matches that scored 0 because a browser reported an action that only
    /// a back-office source may (a rule with `"source": "server"`): one per
    /// (event, rule), in batch order. Always listed, breakdown or not.
    pub unscored: Vec<UnscoredEvent>,
    /// With a model that has a `calibration`: the probability of
    /// converting, `1 / (1 + e^-(intercept + slope × (fit.score +
    /// engagement.score)))`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
}

/// An accepted event that a server-only rule matched but did not score.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct UnscoredEvent {
    /// Position in the batch the caller gave.
    pub index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub rule: String,
    /// Why, in words: `"Demo Requested" counts only when a back-office
    /// source reports it (rule sales-request); reported by a browser, it
    /// scores 0`.
    pub reason: String,
}

impl UnscoredEvent {
    /// A browser reported what only a back-office source may: kept, worth 0.
    pub(crate) fn browser_report(event: &super::Event<'_>, rule: &str) -> Self {
        Self {
            index: event.index,
            id: event.id.as_deref().map(str::to_string),
            rule: rule.to_string(),
            reason: [
                "\"",
                &event.action,
                "\" counts only when a back-office source reports it (rule ",
                rule,
                "); reported by a browser, it scores 0",
            ]
            .concat(),
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct FitResult {
    pub score: f64,
    /// `A` … `D`.
    #[cfg_attr(feature = "schema", schemars(with = "crate::schema::FitGrade"))]
    pub grade: char,
    pub breakdown: Vec<FitPoint>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct FitPoint {
    /// Rule id, or the built-in check (`negative.freeEmail`).
    pub rule: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    pub field: String,
    /// The profile value the rule matched.
    pub value: Value,
    pub points: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct EngagementResult {
    pub score: f64,
    /// 1 (most engaged) … 4.
    #[cfg_attr(feature = "schema", schemars(extend("enum" = [1, 2, 3, 4])))]
    pub level: u8,
    /// Points that decay took away from all contributions together.
    pub decay_lost: f64,
    /// Per-rule totals; always present.
    pub rules: Vec<RuleTotal>,
    /// One entry per (event, rule) match; empty when not asked for.
    pub breakdown: Vec<EventPoint>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inactivity: Option<InactivityPoint>,
    /// The aggregate rules (`engagement.aggregates`) whose bin held.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub aggregates: Vec<AggregatePoint>,
}

/// An aggregate rule whose bin held: the total it measured and its points.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AggregatePoint {
    pub rule: String,
    /// The measured total (events, minutes or visits in the window).
    pub value: f64,
    pub points: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct EventPoint {
    pub rule: String,
    pub event_index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    pub action: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub touchpoint: Option<String>,
    /// WHERE: the touchpoint's weight (1 when no touchpoint matched).
    pub touchpoint_weight: f64,
    /// WHAT: the rule's points.
    pub action_points: f64,
    /// `touchpoint_weight × action_points`, before decay.
    pub base_points: f64,
    pub age_days: f64,
    /// WHEN: `0.5 ^ (age / half-life)`; 1 without decay.
    pub decay: f64,
    /// `base_points × decay`; 0 when capped.
    pub points: f64,
    pub decay_lost: f64,
    /// True when the rule's frequency cap kept this event from counting.
    pub capped: bool,
    /// True when the rule counts only server-reported events and a browser
    /// reported this one: 0 points, and no place under the cap.
    pub untrusted: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct RuleTotal {
    pub rule: String,
    /// Events the rule matched, the capped and untrusted ones included.
    pub events: usize,
    pub capped: usize,
    /// Matches a browser reported to a server-only rule; they score 0.
    pub untrusted: usize,
    pub points: f64,
    pub decay_lost: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct InactivityPoint {
    pub days_since_last_interaction: f64,
    pub after_days: f64,
    /// How many times the penalty applies (1 unless it repeats).
    pub times: u32,
    pub points: f64,
}

/// An engagement tier: below `tiers.warm` is cold, from `tiers.hot` hot.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    Cold,
    Warm,
    Hot,
}

impl Tier {
    /// The JSON name (`"cold"`, `"warm"`, `"hot"`), as serialized.
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Tier::Cold => "cold",
            Tier::Warm => "warm",
            Tier::Hot => "hot",
        }
    }

    /// The tier with this JSON name.
    pub(crate) fn from_name(name: &str) -> Option<Tier> {
        match name {
            "cold" => Some(Tier::Cold),
            "warm" => Some(Tier::Warm),
            "hot" => Some(Tier::Hot),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct StageEvidence {
    pub awareness: f64,
    pub consideration: f64,
    pub decision: f64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MqlResult {
    pub qualified: bool,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Interest {
    pub tag: String,
    pub weight: f64,
    /// This tag's part of all interest weight, 0–1.
    pub share: f64,
}

/// Scores are reported to two decimals, and grades are decided on the
/// reported figure, so what a person reads is what was compared.
pub fn round2(x: f64) -> f64 {
    // `+ 0.0` turns a negative zero into zero, so nobody reads "-0".
    (x * 100.0).round() / 100.0 + 0.0
}

/// Factors and breakdown figures keep four decimals.
pub fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0 + 0.0
}

#[cfg(test)]
mod tests {
    use super::Tier;
    use crate::score::Stage;

    /// Personalization validates and reads tiers and stages by these names:
    /// they must stay the serialized ones.
    #[test]
    fn tier_and_stage_names_are_their_json() {
        for t in [Tier::Cold, Tier::Warm, Tier::Hot] {
            assert_eq!(serde_json::to_value(t).unwrap(), t.as_str());
            assert_eq!(Tier::from_name(t.as_str()), Some(t));
        }
        for s in [Stage::Awareness, Stage::Consideration, Stage::Decision] {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
            assert_eq!(
                serde_json::from_value::<Stage>(s.as_str().into()).unwrap(),
                s
            );
            assert_eq!(Stage::from_name(s.as_str()), Some(s));
        }
        assert_eq!(Tier::from_name("Hot"), None);
        assert_eq!(Stage::from_name(""), None);
    }
}
