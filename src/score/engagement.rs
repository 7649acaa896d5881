//! Engagement (implicit) scoring: is this person interested now? Every event
//! that a rule matches contributes
//! `time decay (WHEN) × touchpoint weight (WHERE) × action points (WHAT)`.

use std::collections::{HashMap, VecDeque};

pub use super::actions::ActionTable;
use super::config::{EngagementRuleConfig, InactivityConfig, RuleSource, Stage, TouchpointConfig};
use super::event::{normalize_tag, Event};
use super::result::{
    round2, round4, AggregatePoint, EngagementResult, EventPoint, InactivityPoint, RuleTotal,
    UnscoredEvent,
};
use super::urlpattern::{NormalizedUrl, UrlPattern};
use crate::diagnostics::{Diagnostics, Issue};
use crate::time::{Millis, MS_PER_DAY};

#[derive(Debug, Clone, serde::Serialize)]
pub struct Touchpoint {
    pub id: String,
    pattern: UrlPattern,
    pub weight: f64,
    pub tags: Vec<String>,
    pub stage: Option<Stage>,
}

impl Touchpoint {
    pub fn compile(config: &TouchpointConfig, path: &str, d: &mut Diagnostics) -> Self {
        if let Some(why) = UrlPattern::never_matches(&config.url) {
            d.push(Issue::warning(format!("{path}.url"), why));
        }
        if config.weight == 0.0 {
            d.push(Issue::warning(
                format!("{path}.weight"),
                "weight 0 cancels every rule on these pages",
            ));
        }
        Self {
            id: config.id.clone(),
            pattern: UrlPattern::compile(&config.url),
            weight: config.weight,
            tags: config.tags.iter().map(|t| normalize_tag(t)).collect(),
            stage: config.stage,
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Cap {
    pub(super) count: usize,
    pub(super) window_ms: Option<f64>,
}

impl Cap {
    /// Whether a match at `t` finds the cap full, given the times of the
    /// matches counted before it in the window (`window`, oldest first,
    /// trimmed here to what the window still reaches) and, for a lifetime
    /// cap, how many were counted before it. The full re-score and the
    /// incremental state both decide with this.
    pub(super) fn is_full(
        &self,
        window: &mut VecDeque<Millis>,
        counted_before: u64,
        t: Millis,
    ) -> bool {
        match self.window_ms {
            Some(window_ms) => {
                while window
                    .front()
                    .is_some_and(|&w| (t.saturating_sub(w) as f64) >= window_ms)
                {
                    window.pop_front();
                }
                window.len() >= self.count
            }
            None => counted_before >= self.count as u64,
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct EngagementRule {
    pub id: String,
    pub(super) actions: Option<Vec<String>>,
    url: Option<UrlPattern>,
    tags: Option<Vec<String>>,
    min_dwell_seconds: Option<f64>,
    pub points: f64,
    pub(super) half_life_days: Option<f64>,
    pub(super) cap: Option<Cap>,
    pub stage: Option<Stage>,
    /// Counts only events a server reported (`"source": "server"`).
    pub(super) server_only: bool,
}

impl EngagementRule {
    /// The stage a match is evidence of: the rule's own, else its
    /// touchpoint's.
    pub(super) fn stage_at(&self, touchpoint: Option<&Touchpoint>) -> Option<Stage> {
        self.stage.or(touchpoint.and_then(|t| t.stage))
    }

    pub fn compile(
        config: &EngagementRuleConfig,
        model_half_life: Option<f64>,
        path: &str,
        d: &mut Diagnostics,
    ) -> Self {
        if config.id.trim().is_empty() {
            d.push(Issue::error(
                format!("{path}.id"),
                "expected a non-empty id",
            ));
        }
        let actions = config.event.clone().map(|e| {
            let list: Vec<String> = e
                .into_vec()
                .iter()
                .map(|a| crate::text::lowercase(a.trim()))
                .collect();
            if list.is_empty() {
                d.push(Issue::warning(
                    format!("{path}.event"),
                    "an empty list matches no event (leave event out to match every event)",
                ));
            }
            list
        });
        if let Some(url) = &config.url {
            if let Some(why) = UrlPattern::never_matches(url) {
                d.push(Issue::warning(format!("{path}.url"), why));
            }
        }
        if config.tags.as_ref().is_some_and(Vec::is_empty) {
            d.push(Issue::warning(
                format!("{path}.tags"),
                "an empty list never matches",
            ));
        }
        if let Some(dwell) = config.min_dwell_seconds {
            if dwell < 0.0 {
                d.push(Issue::error(
                    format!("{path}.minDwellSeconds"),
                    "expected a number of seconds ≥ 0",
                ));
            }
        }
        if config.points == 0.0 {
            d.push(Issue::warning(
                format!("{path}.points"),
                "0 points: this rule adds nothing",
            ));
        }
        let half_life_days = match config.half_life_days {
            None => model_half_life,
            Some(own) => {
                check_half_life(own, &format!("{path}.halfLifeDays"), d);
                own
            }
        };
        let cap = config.cap.as_ref().map(|cap| {
            if cap.count == 0 {
                d.push(Issue::warning(
                    format!("{path}.cap.count"),
                    "a cap of 0 means this rule never counts",
                ));
            }
            if let Some(window) = cap.window_days {
                if window <= 0.0 {
                    d.push(Issue::error(
                        format!("{path}.cap.windowDays"),
                        "expected a number of days > 0 (leave it out for a lifetime cap)",
                    ));
                }
            }
            Cap {
                count: cap.count as usize,
                window_ms: cap.window_days.map(|d| d * MS_PER_DAY),
            }
        });
        Self {
            id: config.id.clone(),
            actions,
            url: config.url.as_deref().map(UrlPattern::compile),
            tags: config
                .tags
                .as_ref()
                .map(|t| t.iter().map(|x| normalize_tag(x)).collect()),
            min_dwell_seconds: config.min_dwell_seconds,
            points: config.points,
            half_life_days,
            cap,
            stage: config.stage,
            server_only: config.source == RuleSource::Server,
        }
    }

    /// Whether matching reads the event's URL.
    pub(super) fn reads_url(&self) -> bool {
        self.url.is_some()
    }

    /// Whether matching reads the event's tags.
    pub(super) fn reads_tags(&self) -> bool {
        self.tags.is_some()
    }

    /// Everything but the action, which [`ActionTable`] has already checked.
    /// `url` is the event's URL, normalized once for all its rules.
    pub(super) fn matches(
        &self,
        event: &Event<'_>,
        url: Option<&NormalizedUrl<'_>>,
        tags: &[&str],
    ) -> bool {
        let url_ok = match (&self.url, url) {
            (None, _) => true,
            (Some(pattern), Some(url)) => pattern.matches_normalized(url),
            (Some(_), None) => false,
        };
        url_ok && self.matches_besides_url(event.dwell_seconds, tags)
    }

    /// Whether the rule's URL pattern takes `url`; `None` for a rule
    /// without one. A visitor held in memory asks once per distinct URL.
    pub(super) fn url_matches(&self, url: &NormalizedUrl<'_>) -> Option<bool> {
        self.url.as_ref().map(|p| p.matches_normalized(url))
    }

    /// [`Self::matches`] once the URL has passed.
    pub(super) fn matches_besides_url(&self, dwell_seconds: Option<f64>, tags: &[&str]) -> bool {
        if let Some(wanted) = &self.tags {
            if !wanted.iter().any(|w| tags.contains(&w.as_str())) {
                return false;
            }
        }
        if let Some(min) = self.min_dwell_seconds {
            if dwell_seconds.is_none_or(|d| d < min) {
                return false;
            }
        }
        true
    }
}

/// The touchpoint of a URL, by position: the first whose pattern matches.
pub(super) fn touchpoint_at(touchpoints: &[Touchpoint], url: &NormalizedUrl<'_>) -> Option<usize> {
    touchpoints
        .iter()
        .position(|t| t.pattern.matches_normalized(url))
}

/// Time first, then what the event is: events stamped the same
/// millisecond (a page view and its click, a batch replayed by a tracker)
/// compete for a cap's last place by content, not by their position in the
/// batch, so reordering a batch cannot change the score. Only events alike
/// in everything scoring reads fall back to the position, and those score
/// the same whichever goes first.
pub(super) fn canonical_order(a: &Event<'_>, b: &Event<'_>) -> std::cmp::Ordering {
    a.timestamp
        .cmp(&b.timestamp)
        .then_with(|| a.action_key.cmp(&b.action_key))
        .then_with(|| a.url.cmp(&b.url))
        .then_with(|| a.tags.cmp(&b.tags))
        .then_with(|| match (a.dwell_seconds, b.dwell_seconds) {
            (Some(x), Some(y)) => x.total_cmp(&y),
            (x, y) => x.is_some().cmp(&y.is_some()),
        })
        .then_with(|| a.action.cmp(&b.action))
        .then_with(|| a.from_server.cmp(&b.from_server))
        .then_with(|| a.id.cmp(&b.id))
        .then_with(|| a.index.cmp(&b.index))
}

pub fn check_half_life(value: Option<f64>, path: &str, d: &mut Diagnostics) {
    if let Some(days) = value {
        if days <= 0.0 {
            d.push(Issue::error(
                path,
                "expected a number of days > 0, or null for no decay",
            ));
        }
    }
}

/// `0.5 ^ (age / half-life)`: after one half-life an action counts half,
/// after two a quarter. Never above 1, so decay can only take points away.
pub fn decay_factor(age_days: f64, half_life_days: Option<f64>) -> f64 {
    match half_life_days {
        Some(h) if h > 0.0 => 0.5f64.powf(age_days.max(0.0) / h),
        _ => 1.0,
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Inactivity {
    after_days: f64,
    points: f64,
    repeat: bool,
    max_repeats: Option<u32>,
    pub(super) ignore: Vec<String>,
}

impl Inactivity {
    pub fn compile(config: &InactivityConfig, d: &mut Diagnostics) -> Self {
        if config.after_days <= 0.0 {
            d.push(Issue::error(
                "engagement.inactivity.afterDays",
                "expected a number of days > 0",
            ));
        }
        if config.points > 0.0 {
            d.push(Issue::warning(
                "engagement.inactivity.points",
                "inactivity adds points: did you mean a negative number?",
            ));
        }
        Self {
            after_days: config.after_days,
            points: config.points,
            repeat: config.repeat,
            max_repeats: config.max_repeats,
            ignore: config
                .ignore
                .iter()
                .map(|a| crate::text::lowercase(a.trim()))
                .collect(),
        }
    }
}

/// Points each stage collected.
#[derive(Debug, Clone, Copy, Default)]
pub struct StageTotals {
    pub awareness: f64,
    pub consideration: f64,
    pub decision: f64,
}

impl StageTotals {
    pub fn get(&self, stage: Stage) -> f64 {
        match stage {
            Stage::Awareness => self.awareness,
            Stage::Consideration => self.consideration,
            Stage::Decision => self.decision,
        }
    }

    pub(super) fn add(&mut self, stage: Stage, points: f64) {
        match stage {
            Stage::Awareness => self.awareness += points,
            Stage::Consideration => self.consideration += points,
            Stage::Decision => self.decision += points,
        }
    }
}

/// What one pass over the events yields besides the score.
pub struct EngagementOutcome<'a> {
    pub result: EngagementResult,
    pub stage_evidence: StageTotals,
    /// Weight per tag, in the order the tags were first seen.
    pub interests: Vec<(&'a str, f64)>,
    /// Browser-reported matches of server-only rules, in batch order.
    pub unscored: Vec<UnscoredEvent>,
}

pub struct EngagementModel<'m> {
    pub touchpoints: &'m [Touchpoint],
    pub rules: &'m [EngagementRule],
    pub actions: &'m ActionTable,
    pub inactivity: Option<&'m Inactivity>,
    pub levels: &'m super::config::LevelThresholds,
    pub interest_half_life: Option<f64>,
    pub aggregates: &'m [super::aggregate::AggregateRule],
}

/// Scores `events` (already checked) at `now`. Events are taken in time
/// order, so frequency caps keep the earliest events of a window, the same
/// answer whatever order the batch arrived in. With `browser`, no event
/// counts as a server's, whatever it was parsed as.
pub fn score<'a>(
    model: &EngagementModel<'a>,
    events: &'a [Event<'_>],
    now: Millis,
    with_breakdown: bool,
    browser: bool,
) -> EngagementOutcome<'a> {
    let mut order: Vec<&Event<'_>> = events.iter().collect();
    order.sort_by(|a, b| canonical_order(a, b));
    let aggregates = super::aggregate::evaluate(model.aggregates, &order, now);

    let mut totals: Vec<RuleTotal> = model
        .rules
        .iter()
        .map(|r| RuleTotal {
            rule: r.id.clone(),
            events: 0,
            capped: 0,
            untrusted: 0,
            points: 0.0,
            decay_lost: 0.0,
        })
        .collect();
    let mut counted: Vec<VecDeque<Millis>> = vec![VecDeque::new(); model.rules.len()];
    let mut breakdown = Vec::new();
    let mut unscored = Vec::new();
    let mut stage_evidence = StageTotals::default();
    // Tag → position in `interests`. Maps keyed by `&str` with `usize`
    // values only, here and below: one instance of the map code in the wasm.
    let mut interest_at: HashMap<&'a str, usize> = HashMap::new();
    let mut interests: Vec<(&'a str, f64)> = Vec::new();
    let mut total = 0.0;
    let mut total_lost = 0.0;
    let mut last_interaction: Option<Millis> = None;
    // Visitors come back to the same pages: each distinct URL is normalized
    // (path and whole URL lower-cased, query and trailing slash dropped) and
    // matched against the touchpoint globs once per call, then every URL
    // rule matches against the normalized forms. The map's value is the
    // URL's position in `urls`, next to its touchpoint's position (the number
    // of touchpoints for none).
    let mut url_at: HashMap<&'a str, usize> = HashMap::new();
    let mut urls: Vec<(usize, NormalizedUrl<'a>)> = Vec::new();
    // Reused for every event: the event's tags and its touchpoint's.
    let mut tags: Vec<&'a str> = Vec::new();

    for event in order {
        let (candidates, ignored) = model.actions.lookup(&event.action_key);
        let counts_as_interaction = model.inactivity.is_none() || !ignored;
        if counts_as_interaction {
            last_interaction =
                Some(last_interaction.map_or(event.timestamp, |t| t.max(event.timestamp)));
        }
        let url = match event.url.as_deref() {
            None => None,
            Some(url) => {
                let at = *url_at.entry(url).or_insert_with(|| {
                    let normalized = NormalizedUrl::new(url);
                    let touchpoint = touchpoint_at(model.touchpoints, &normalized)
                        .unwrap_or(model.touchpoints.len());
                    urls.push((touchpoint, normalized));
                    urls.len() - 1
                });
                urls.get(at)
            }
        };
        let touchpoint = url.and_then(|(at, _)| model.touchpoints.get(*at));
        let url = url.map(|(_, normalized)| normalized);
        tags.clear();
        tags.extend(event.tags.iter().map(|t| t.as_ref()));
        if let Some(tp) = touchpoint {
            for tag in &tp.tags {
                if !tags.contains(&tag.as_str()) {
                    tags.push(tag);
                }
            }
        }
        let weight = touchpoint.map_or(1.0, |t| t.weight);
        let age_days = (now.saturating_sub(event.timestamp) as f64 / MS_PER_DAY).max(0.0);
        let mut event_base_for_interest = 0.0;
        let from_server = event.from_server && !browser;

        for &i in candidates {
            let Some(rule) = model.rules.get(i) else {
                continue;
            };
            if !rule.matches(event, url, &tags) {
                continue;
            }
            let (Some(total_for_rule), Some(window)) = (totals.get_mut(i), counted.get_mut(i))
            else {
                continue;
            };
            // A browser claiming what only the back office knows: no points,
            // no place under the cap, no stage or interest evidence.
            let untrusted = rule.server_only && !from_server;
            // A lifetime cap's window is never trimmed: its length is the
            // count so far.
            let capped = !untrusted
                && rule.cap.as_ref().is_some_and(|cap| {
                    let counted = window.len() as u64;
                    cap.is_full(window, counted, event.timestamp)
                });
            let base = rule.points * weight;
            let decay = decay_factor(age_days, rule.half_life_days);
            let (points, lost) = if capped || untrusted {
                (0.0, 0.0)
            } else {
                window.push_back(event.timestamp);
                (base * decay, base - base * decay)
            };
            total_for_rule.events += 1;
            if untrusted {
                total_for_rule.untrusted += 1;
                // Found in time order, listed in batch order: after every
                // entry of an earlier or the same event (so an event's rules
                // stay in rule order). Inserting, rather than sorting at the
                // end, keeps a generic sort's few KB out of the wasm; the
                // list is short.
                let at = unscored.partition_point(|u: &UnscoredEvent| u.index <= event.index);
                unscored.insert(at, UnscoredEvent::browser_report(event, &rule.id));
            } else if capped {
                total_for_rule.capped += 1;
            } else {
                total_for_rule.points += points;
                total_for_rule.decay_lost += lost;
                total += points;
                total_lost += lost;
                event_base_for_interest += base;
                if points > 0.0 {
                    if let Some(stage) = rule.stage_at(touchpoint) {
                        stage_evidence.add(stage, points);
                    }
                }
            }
            if with_breakdown {
                breakdown.push(EventPoint {
                    rule: rule.id.clone(),
                    event_index: event.index,
                    event_id: event.id.as_deref().map(str::to_string),
                    action: event.action.to_string(),
                    url: event.url.as_deref().map(str::to_string),
                    touchpoint: touchpoint.map(|t| t.id.clone()),
                    touchpoint_weight: weight,
                    action_points: rule.points,
                    base_points: round4(base),
                    age_days: round4(age_days),
                    decay: round4(decay),
                    points: round4(points),
                    decay_lost: round4(lost),
                    capped,
                    untrusted,
                });
            }
        }

        // Interest in a topic follows the seed formula too; its sign does not
        // matter (reading the careers page is a real interest in careers).
        if event_base_for_interest != 0.0 && !tags.is_empty() {
            let weight =
                event_base_for_interest.abs() * decay_factor(age_days, model.interest_half_life);
            for &tag in &tags {
                let at = *interest_at.entry(tag).or_insert(interests.len());
                match interests.get_mut(at) {
                    Some((_, sum)) => *sum += weight,
                    None => interests.push((tag, weight)),
                }
            }
        }
    }

    finish(
        model,
        Sums {
            rules: totals,
            breakdown,
            stage_evidence,
            interests,
            unscored,
            total,
            total_lost,
            last_interaction,
            aggregates,
        },
        now,
    )
}

/// What a pass over a visitor's events sums up, before the inactivity
/// penalty, the level and rounding: the full re-score and the incremental
/// [`VisitorState`](super::incremental::VisitorState) both end here.
pub(super) struct Sums<'a> {
    pub rules: Vec<RuleTotal>,
    pub breakdown: Vec<EventPoint>,
    pub stage_evidence: StageTotals,
    pub interests: Vec<(&'a str, f64)>,
    pub unscored: Vec<UnscoredEvent>,
    pub total: f64,
    pub total_lost: f64,
    pub last_interaction: Option<Millis>,
    pub aggregates: Vec<AggregatePoint>,
}

/// Adds the inactivity penalty, picks the level and rounds.
pub(super) fn finish<'a>(
    model: &EngagementModel<'_>,
    sums: Sums<'a>,
    now: Millis,
) -> EngagementOutcome<'a> {
    let Sums {
        rules: mut totals,
        breakdown,
        stage_evidence,
        interests,
        unscored,
        mut total,
        total_lost,
        last_interaction,
        aggregates,
    } = sums;
    total += aggregates.iter().map(|a| a.points).sum::<f64>();
    let inactivity = match (model.inactivity, last_interaction) {
        (Some(rule), Some(last)) => {
            let days = (now.saturating_sub(last) as f64 / MS_PER_DAY).max(0.0);
            let periods = (days / rule.after_days).floor();
            if periods >= 1.0 {
                let times = if rule.repeat {
                    let cap = rule.max_repeats.map_or(f64::from(u32::MAX), f64::from);
                    periods.min(cap).max(1.0) as u32
                } else {
                    1
                };
                let points = rule.points * f64::from(times);
                total += points;
                Some(InactivityPoint {
                    days_since_last_interaction: round4(days),
                    after_days: rule.after_days,
                    times,
                    points,
                })
            } else {
                None
            }
        }
        _ => None,
    };

    let score = round2(total);
    let levels = model.levels;
    let level = if score >= levels.one {
        1
    } else if score >= levels.two {
        2
    } else if score >= levels.three {
        3
    } else {
        4
    };
    for t in &mut totals {
        t.points = round4(t.points);
        t.decay_lost = round4(t.decay_lost);
    }
    EngagementOutcome {
        result: EngagementResult {
            score,
            level,
            decay_lost: round2(total_lost),
            rules: totals,
            breakdown,
            inactivity,
            aggregates,
        },
        stage_evidence,
        interests,
        unscored,
    }
}

mod wire;

#[cfg(test)]
mod tests;
