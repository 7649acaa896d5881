//! Rules over totals of activity in a window: "at least 8 page views in the
//! last 30 days", "20–60 minutes of reading", "3 or more visits". Per-event
//! points grow linearly with activity; conversion seldom does. Each rule is
//! one bin (`min ≤ value < below`) of one measure, so a binned total is
//! still a list of lines, each with its points and its reason.

use super::config::AggregateRuleConfig;
use super::event::Event;
use super::result::{round4, AggregatePoint};
use super::urlpattern::{NormalizedUrl, UrlPattern};
use crate::compiled::read::{Wire, WireRead};
use crate::diagnostics::{Diagnostics, Issue};
use crate::time::{Millis, MS_PER_DAY};

/// A gap this long between two matching events starts a new visit.
pub const VISIT_GAP_MS: i64 = 30 * 60 * 1000;

/// What an aggregate rule totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Measure {
    Count,
    DwellMinutes,
    Visits,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct AggregateRule {
    pub id: String,
    measure: Measure,
    actions: Option<Vec<String>>,
    url: Option<UrlPattern>,
    window_ms: Option<f64>,
    min: f64,
    below: Option<f64>,
    pub points: f64,
}

impl WireRead for Measure {
    fn read(w: &mut Wire<'_>) -> Self {
        match w.u32() {
            0 => Measure::Count,
            1 => Measure::DwellMinutes,
            2 => Measure::Visits,
            _ => w.invalid(Measure::Count),
        }
    }
}

impl WireRead for AggregateRule {
    fn read(w: &mut Wire<'_>) -> Self {
        AggregateRule {
            id: w.read(),
            measure: w.read(),
            actions: w.read(),
            url: w.read(),
            window_ms: w.read(),
            min: w.read(),
            below: w.read(),
            points: w.read(),
        }
    }
}

impl AggregateRule {
    pub fn compile(config: &AggregateRuleConfig, path: &str, d: &mut Diagnostics) -> Option<Self> {
        if config.id.trim().is_empty() {
            d.push(Issue::error(
                format!("{path}.id"),
                "expected a non-empty id",
            ));
        }
        let measure = match config.measure.as_str() {
            "count" => Measure::Count,
            "dwellMinutes" => Measure::DwellMinutes,
            "visits" => Measure::Visits,
            _ => {
                d.push(Issue::error(
                    format!("{path}.measure"),
                    "expected \"count\", \"dwellMinutes\" or \"visits\"",
                ));
                return None;
            }
        };
        if let Some(days) = config.window_days {
            if days <= 0.0 {
                d.push(Issue::error(
                    format!("{path}.windowDays"),
                    "expected a number of days > 0 (leave it out for all time)",
                ));
            }
        }
        if let Some(below) = config.below {
            if below <= config.min {
                d.push(Issue::error(
                    format!("{path}.below"),
                    "expected below > min: the bin is empty",
                ));
            }
        }
        if let Some(url) = &config.url {
            if let Some(why) = UrlPattern::never_matches(url) {
                d.push(Issue::warning(format!("{path}.url"), why));
            }
        }
        Some(Self {
            id: config.id.clone(),
            measure,
            actions: config.event.clone().map(|e| {
                e.into_vec()
                    .iter()
                    .map(|a| crate::text::lowercase(a.trim()))
                    .collect()
            }),
            url: config.url.as_deref().map(UrlPattern::compile),
            window_ms: config.window_days.map(|days| days * MS_PER_DAY),
            min: config.min,
            below: config.below,
            points: config.points,
        })
    }

    /// Whether `other` totals the same thing, so its value can be reused.
    fn same_total(&self, other: &AggregateRule) -> bool {
        self.measure == other.measure
            && self.actions == other.actions
            && self.window_ms == other.window_ms
            && match (&self.url, &other.url) {
                (None, None) => true,
                (Some(a), Some(b)) => a == b,
                _ => false,
            }
    }

    /// Whether the rule counts this event, wherever it falls in time.
    pub fn takes(&self, event: &Event<'_>) -> bool {
        if let Some(actions) = &self.actions {
            if !actions.iter().any(|a| *a == event.action_key) {
                return false;
            }
        }
        match (&self.url, event.url.as_deref()) {
            (None, _) => true,
            (Some(pattern), Some(url)) => pattern.matches_normalized(&NormalizedUrl::new(url)),
            (Some(_), None) => false,
        }
    }

    /// How long before its newest match a match can still count; `None`
    /// for all time.
    pub fn window_ms(&self) -> Option<f64> {
        self.window_ms
    }

    /// The measure over the times and dwell seconds of the events it takes
    /// (in time order) at `now`.
    pub fn value_of(&self, taken: impl Iterator<Item = (Millis, Option<f64>)>, now: Millis) -> f64 {
        let mut value = 0.0;
        let mut last: Option<Millis> = None;
        for (t, dwell) in taken {
            if self
                .window_ms
                .is_some_and(|w| (now.saturating_sub(t) as f64) >= w)
            {
                continue;
            }
            value += match self.measure {
                Measure::Count => 1.0,
                Measure::DwellMinutes => dwell.unwrap_or(0.0).max(0.0) / 60.0,
                Measure::Visits => {
                    let new = last.is_none_or(|l| t.saturating_sub(l) >= VISIT_GAP_MS);
                    last = Some(t);
                    if new {
                        1.0
                    } else {
                        0.0
                    }
                }
            };
        }
        value
    }

    /// The measure over `events` (in time order) at `now`.
    pub fn value(&self, events: &[&Event<'_>], now: Millis) -> f64 {
        self.value_of(
            events
                .iter()
                .filter(|e| self.takes(e))
                .map(|e| (e.timestamp, e.dwell_seconds)),
            now,
        )
    }

    fn holds(&self, value: f64) -> bool {
        value >= self.min && self.below.is_none_or(|b| value < b)
    }
}

/// The aggregate rules whose bin holds at `now`, for `events` in time order.
pub fn evaluate(
    rules: &[AggregateRule],
    events: &[&Event<'_>],
    now: Millis,
) -> Vec<AggregatePoint> {
    bins(rules, |_, rule| rule.value(events, now))
}

/// The rules whose bin holds, each rule's value found by `value_of` (once
/// for a run of rules that total the same thing).
pub fn bins(
    rules: &[AggregateRule],
    mut value_of: impl FnMut(usize, &AggregateRule) -> f64,
) -> Vec<AggregatePoint> {
    let mut out = Vec::new();
    let mut previous: Option<(&AggregateRule, f64)> = None;
    for (i, rule) in rules.iter().enumerate() {
        let value = match previous {
            Some((p, v)) if p.same_total(rule) => v,
            _ => value_of(i, rule),
        };
        previous = Some((rule, value));
        if rule.holds(value) {
            out.push(AggregatePoint {
                rule: rule.id.clone(),
                value: round4(value),
                points: rule.points,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::diagnostics::ConfigDocument;
    use crate::score::{Model, ScoreOptions};
    use serde_json::json;

    const NOW: i64 = 1_795_632_120_000;
    const MIN: i64 = 60_000;
    const DAY: i64 = 86_400_000;

    fn page(t: i64, path: &str, dwell: f64) -> serde_json::Value {
        json!({"type": "page", "timestamp": t, "properties": {"path": path, "dwellSeconds": dwell}})
    }

    #[test]
    fn bins_count_read_and_visit_within_their_window() {
        let model = Model::from_value(json!({"engagement": {"aggregates": [
            {"id": "views-3", "measure": "count", "event": "page", "windowDays": 7, "min": 3, "below": 5, "points": 10},
            {"id": "views-5", "measure": "count", "event": "page", "windowDays": 7, "min": 5, "points": 4},
            {"id": "reading", "measure": "dwellMinutes", "url": "/blog/*", "min": 5, "points": 7},
            {"id": "visits", "measure": "visits", "min": 2, "points": 3},
        ]}}))
        .unwrap();
        // Three views this week (two in one visit), one 30 days ago.
        let events = [
            page(NOW - 10 * MIN, "/blog/a", 120.0),
            page(NOW - 5 * MIN, "/blog/b", 200.0),
            page(NOW - 2 * DAY, "/pricing", 30.0),
            page(NOW - 30 * DAY, "/blog/c", 60.0),
        ];
        let r = model.score(None, &events, NOW, &ScoreOptions::default());
        let held: Vec<(&str, f64, f64)> = r
            .engagement
            .aggregates
            .iter()
            .map(|a| (a.rule.as_str(), a.value, a.points))
            .collect();
        // 3 views in 7 days: the 3–5 bin, not the 5+ one; 6.3 minutes on
        // the blog (all time); 3 visits (the 5-minute gap is one visit).
        assert_eq!(
            held,
            vec![
                ("views-3", 3.0, 10.0),
                ("reading", 6.3333, 7.0),
                ("visits", 3.0, 3.0)
            ]
        );
        assert_eq!(r.engagement.score, 20.0);
    }

    #[test]
    fn a_bad_bin_is_an_error_with_its_path() {
        let d = Model::check(json!({"engagement": {"aggregates": [
            {"id": "a", "measure": "views", "min": 1, "points": 1},
            {"id": "b", "measure": "count", "min": 5, "below": 5, "points": 1},
            {"id": "b", "measure": "count", "min": 0, "windowDays": 0, "points": 1},
        ]}}));
        let paths: Vec<&str> = d.errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            vec![
                "engagement.aggregates[0].measure",
                "engagement.aggregates[1].below",
                "engagement.aggregates[2].windowDays",
                "engagement.aggregates[2].id",
            ]
        );
    }

    #[test]
    fn a_calibration_adds_a_probability_of_the_total() {
        let model = Model::from_value(json!({
            "fit": {"rules": [{"id": "cto", "field": "title", "op": "contains", "values": ["cto"], "points": 20}]},
            "calibration": {"intercept": -2.0, "slope": 0.05},
        }))
        .unwrap();
        let profile = json!({"title": "CTO"});
        let r = model.score(profile.as_object(), &[], NOW, &ScoreOptions::default());
        // −2 + 0.05 × 20 = −1: 1 / (1 + e) = 0.2689.
        assert_eq!(r.probability, Some(0.2689));
        let plain = Model::default_model().score(None, &[], NOW, &ScoreOptions::default());
        assert_eq!(plain.probability, None);
        assert!(!serde_json::to_string(&plain)
            .unwrap()
            .contains("probability"));
    }
}
