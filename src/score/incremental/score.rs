//! Scoring a visitor from its state: the running sums decayed to `now`,
//! plus the open events scored one by one as a full re-score would.

use crate::json::{Map, Value};

use super::{growth, Decider, Memo, Model, VisitorState, CAPPED, COUNTED, STAGES, UNTRUSTED};
use crate::score::engagement::{self, decay_factor, StageTotals, Sums};
use crate::score::result::{round4, EventPoint, RuleTotal};
use crate::score::{FitFrom, ScoreOptions, ScoreResult};
use crate::time::{Millis, MS_PER_DAY};

use super::StateError;

impl Model {
    /// Scores a visitor from its state at `now`: the same result as a full
    /// re-score of every event it took (see the module docs for late
    /// events), with the breakdown of its open events.
    pub fn score_state(
        &self,
        state: &VisitorState,
        profile: Option<&Map<String, Value>>,
        now: Millis,
        options: &ScoreOptions,
    ) -> Result<ScoreResult, StateError> {
        self.score_state_fit(state, FitFrom::Profile(profile), now, options)
    }

    /// [`score_state`](Self::score_state) with the fit from `fit`.
    pub fn score_state_fit(
        &self,
        state: &VisitorState,
        fit: FitFrom<'_>,
        now: Millis,
        options: &ScoreOptions,
    ) -> Result<ScoreResult, StateError> {
        self.check_model(state)?;
        let model = self.engagement_model();
        let mut decider = Decider::new(state);
        let since = |half_life: Option<f64>| match state.r {
            Some(r) => growth(-((now - r) as f64), half_life),
            None => 0.0,
        };
        let mut total = 0.0;
        let mut total_lost = 0.0;
        let mut stage_evidence = StageTotals::default();
        let mut rules: Vec<RuleTotal> = Vec::with_capacity(self.rules.len());
        for (rule, sums) in self.rules.iter().zip(&state.s) {
            let f = since(rule.half_life_days);
            let points = sums.p * f;
            let lost = sums.b - points;
            total += points;
            total_lost += lost;
            for (slot, stage) in STAGES.iter().enumerate() {
                stage_evidence.add(*stage, sums.g.get(slot).copied().unwrap_or(0.0) * f);
            }
            rules.push(RuleTotal {
                rule: rule.id.clone(),
                events: usize::try_from(sums.n).unwrap_or(usize::MAX),
                capped: usize::try_from(sums.c).unwrap_or(usize::MAX),
                untrusted: usize::try_from(sums.u).unwrap_or(usize::MAX),
                points,
                decay_lost: lost,
            });
        }
        let f = since(self.interest_half_life);
        let mut interests: Vec<(String, f64)> =
            state.i.iter().map(|(t, w)| (t.clone(), w * f)).collect();
        let mut breakdown = Vec::new();
        // The open events mostly share their time and their rules' half-life
        // (a batch's events are stamped alike): a power per distinct pair.
        let (mut decays, mut interest_decays) = (Memo::default(), Memo::default());
        for event in &state.o {
            let touchpoint = event.p.and_then(|at| self.touchpoints.get(at));
            let weight = touchpoint.map_or(1.0, |t| t.weight);
            let age_days = (now.saturating_sub(event.t) as f64 / MS_PER_DAY).max(0.0);
            let mut event_base = 0.0;
            for m in &event.m {
                // Decided for every match, to fill the windows in order.
                let label = decider.decide(self, event.t, m);
                let Some(rule) = self.rules.get(m.r) else {
                    continue;
                };
                let base = rule.points * weight;
                let decay = decays.get(age_days, rule.half_life_days, decay_factor);
                let (points, lost) = if label == COUNTED {
                    (base * decay, base - base * decay)
                } else {
                    (0.0, 0.0)
                };
                if label == COUNTED {
                    event_base += base;
                }
                if !m.f {
                    if let Some(t) = rules.get_mut(m.r) {
                        t.events += 1;
                        match label {
                            CAPPED => t.capped += 1,
                            UNTRUSTED => t.untrusted += 1,
                            _ => {
                                t.points += points;
                                t.decay_lost += lost;
                            }
                        }
                    }
                    if label == COUNTED {
                        total += points;
                        total_lost += lost;
                        if points > 0.0 {
                            if let Some(stage) = rule.stage_at(touchpoint) {
                                stage_evidence.add(stage, points);
                            }
                        }
                    }
                }
                if options.breakdown {
                    breakdown.push(EventPoint {
                        rule: rule.id.clone(),
                        event_index: usize::try_from(event.i).unwrap_or(usize::MAX),
                        event_id: None,
                        action: String::from(&*event.a),
                        url: event.u.as_deref().map(str::to_string),
                        touchpoint: touchpoint.map(|t| t.id.clone()),
                        touchpoint_weight: weight,
                        action_points: rule.points,
                        base_points: round4(base),
                        age_days: round4(age_days),
                        decay: round4(decay),
                        points: round4(points),
                        decay_lost: round4(lost),
                        capped: label == CAPPED,
                        untrusted: label == UNTRUSTED,
                    });
                }
            }
            // The tags are only listed for an event that adds interest.
            if event_base == 0.0 {
                continue;
            }
            let tags = event.tags(self);
            if !tags.is_empty() {
                let weight = event_base.abs()
                    * interest_decays.get(age_days, self.interest_half_life, decay_factor);
                for tag in tags {
                    match interests.iter_mut().find(|(t, _)| t == tag) {
                        Some((_, w)) => *w += weight,
                        None => interests.push((tag.to_owned(), weight)),
                    }
                }
            }
        }
        let outcome = engagement::finish(
            &model,
            Sums {
                rules,
                breakdown,
                stage_evidence,
                interests: interests.iter().map(|(t, w)| (t.as_str(), *w)).collect(),
                unscored: Vec::new(),
                total,
                total_lost,
                last_interaction: state.l,
                aggregates: self.aggregate_points(state, now),
            },
            now,
        );
        let events = usize::try_from(state.n).unwrap_or(usize::MAX);
        Ok(self.result_of(fit, outcome, now, events))
    }

    fn aggregate_points(
        &self,
        state: &VisitorState,
        now: Millis,
    ) -> Vec<crate::score::result::AggregatePoint> {
        crate::score::aggregate::bins(&self.aggregates, |i, rule| {
            state
                .a
                .0
                .get(i)
                .map_or(0.0, |list| rule.value_of(list.iter().copied(), now))
        })
    }
}
