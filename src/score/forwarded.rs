//! The score as the edge stores it and forwards it with every event: what
//! decisions read ([`super::ScoreSummary`]'s fields), the fit grade, and the
//! five rules of fit and of engagement that weigh most, their points to two
//! decimals. Built in the core from the [`ScoreResult`] so that only this
//! small document crosses into the worker's JS, not the per-rule totals it
//! is cut from.
//!
//! The worker built the same document in JS before (`summarize` in
//! worker/src/enrich.js, which forms' callers of `scoreState` still use):
//! the fields, their order, the ranking and the rounding are that
//! function's, so a stored `last` score and a forwarded one read the same
//! (tests/forwarded_score.rs holds the two to it).

use serde::Serialize;

use super::result::{ScoreResult, Tier};
use super::Stage;

/// Rules listed per side in [`ForwardedScore::breakdown`].
const TOP_RULES: usize = 5;

/// The edge's stored and forwarded score (`Summary` in the worker).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ForwardedScore<'a> {
    pub fit: f64,
    pub fit_grade: char,
    pub engagement: f64,
    pub grade: &'a str,
    pub tier: Tier,
    pub stage: Stage,
    pub mql: bool,
    /// Every interest tag with its share, strongest first.
    pub interests: Vec<TagShare<'a>>,
    pub breakdown: TopRules<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TagShare<'a> {
    pub tag: &'a str,
    pub share: f64,
}

/// The rules that weigh most on each side, by absolute points.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopRules<'a> {
    pub fit: Vec<RulePoints<'a>>,
    pub engagement: Vec<RulePoints<'a>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RulePoints<'a> {
    pub rule: &'a str,
    pub points: f64,
}

impl ScoreResult {
    /// The score as the edge stores and forwards it.
    pub fn forwarded(&self) -> ForwardedScore<'_> {
        ForwardedScore {
            fit: self.fit.score,
            fit_grade: self.fit.grade,
            engagement: self.engagement.score,
            grade: &self.grade,
            tier: self.tier,
            stage: self.stage,
            mql: self.mql.qualified,
            interests: self
                .interests
                .iter()
                .map(|i| TagShare {
                    tag: &i.tag,
                    share: i.share,
                })
                .collect(),
            breakdown: TopRules {
                fit: top(self
                    .fit
                    .breakdown
                    .iter()
                    .map(|p| (p.rule.as_str(), p.points))),
                engagement: top(self
                    .engagement
                    .rules
                    .iter()
                    .map(|r| (r.rule.as_str(), r.points))),
            },
            model: self.model.as_deref(),
        }
    }
}

/// The [`TOP_RULES`] non-zero entries of largest absolute points, ties in
/// their order (a stable sort, as JS's), each rounded as JS's
/// `Math.round(points * 100) / 100`.
fn top<'a>(items: impl Iterator<Item = (&'a str, f64)>) -> Vec<RulePoints<'a>> {
    let mut kept: Vec<(&str, f64)> = items.filter(|(_, p)| *p != 0.0).collect();
    kept.sort_by(|a, b| {
        b.1.abs()
            .partial_cmp(&a.1.abs())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    kept.into_iter()
        .take(TOP_RULES)
        .map(|(rule, points)| RulePoints {
            rule,
            points: js_round(points * 100.0) / 100.0,
        })
        .collect()
}

/// JS's `Math.round`: the nearest integer, halves toward +∞, and −0 for
/// values in [−0.5, −0] (the sign survives into the JSON as `-0.0`, which
/// JS reads back as −0).
fn js_round(x: f64) -> f64 {
    if !x.is_finite() {
        return x;
    }
    let floor = x.floor();
    // `x - floor` is exact for every finite double.
    let rounded = if x - floor >= 0.5 { floor + 1.0 } else { floor };
    if rounded == 0.0 && x.is_sign_negative() {
        -0.0
    } else {
        rounded
    }
}

#[cfg(test)]
mod tests {
    use super::js_round;

    #[test]
    fn rounds_as_math_round() {
        // Math.round's answers, from node.
        let cases = [
            (2.5, 3.0),
            (-2.5, -2.0),
            (-2.6, -3.0),
            (0.49999999999999994, 0.0),
            (1234.5, 1235.0),
            (-1234.5, -1234.0),
            (4503599627370495.5, 4503599627370496.0),
        ];
        for (x, want) in cases {
            assert_eq!(js_round(x), want, "{x}");
        }
        assert!(js_round(-0.4).is_sign_negative());
        assert!(js_round(-0.5).is_sign_negative());
        assert!(js_round(0.4).is_sign_positive());
    }
}
