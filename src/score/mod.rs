//! Lead scoring: a model loaded from JSON, validated and compiled once, that
//! scores a profile (fit) and a history of events (engagement) at a given
//! `now`, and explains every point.
//!
//! ```
//! use nurture::score::{Model, ScoreOptions};
//! use serde_json::json;
//!
//! let model = Model::default_model();
//! let now = 1_795_632_120_000; // 2026-11-25T18:42:00Z
//! let profile = json!({"email": "li.wei@petrochina.com.cn", "title": "VP Operations",
//!                      "company": "PetroChina", "industry": "Oil & Gas", "companySize": 5000});
//! let events = [json!({"type": "track", "event": "Demo Requested", "timestamp": now})];
//! let result = model.score(profile.as_object(), &events, now, &ScoreOptions::default());
//! assert_eq!(result.fit.score, 60.0);        // 25 title + 15 industry + 20 size
//! assert_eq!(result.engagement.score, 40.0); // a demo request today
//! assert_eq!(result.grade, "A2");
//! ```

mod actions;
pub mod aggregate;
pub mod config;
pub mod engagement;
pub mod event;
pub mod event_text;
pub mod fit;
pub mod forwarded;
pub mod incremental;
pub mod result;
pub mod summary;
pub mod urlpattern;
pub(crate) mod wire;

#[cfg(not(feature = "page-only"))]
use std::collections::HashMap;

use crate::json::{Map, Value};

pub use config::{ModelConfig, RuleSource, Stage};
pub use event::{Event, EventSource, RejectedEvent};
pub use incremental::{
    EventFields, FieldError, InternedEvent, LiveVisitor, StateError, VisitorState, TAG_SEPARATOR,
};
pub use result::{FitResult, Interest, MqlResult, ScoreResult, StageEvidence, Tier, UnscoredEvent};
pub use summary::{InterestShare, ScoreSummary};

/// Where a score's fit comes from: a profile, scored then, or a fit
/// already scored from one (a visitor held in memory keeps its
/// profile's, which only the profile changes).
#[derive(Debug, Clone, Copy)]
pub enum FitFrom<'a> {
    Profile(Option<&'a Map<String, Value>>),
    Scored(&'a FitResult),
}

use crate::diagnostics::{number_text, Issue};
#[cfg(not(feature = "page-only"))]
use crate::diagnostics::{ConfigDocument, Diagnostics};
use crate::time::Millis;
#[cfg(not(feature = "page-only"))]
use crate::time::MS_PER_SECOND;
use engagement::{ActionTable, EngagementModel, EngagementRule, Inactivity, Touchpoint};
use fit::{FitRule, NegativeChecks};
use result::round4;

/// The model that ships in the crate, built from the source documents'
/// examples: offline event +50, live stream +30, download +10, a month
/// without interaction −30, pricing strong, case studies medium, careers
/// negative, grades A1–D4. Back-office actions (events, webinars, sales
/// requests, form posts, e-mail) count only when a server reports them, and
/// every high-value rule is capped.
pub const DEFAULT_MODEL_JSON: &str = include_str!("default_model.json");

/// Options for one scoring call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScoreOptions {
    /// Include one breakdown entry per (event, rule) match. Per-rule totals
    /// are always included; the per-event list can be long for a visitor
    /// with thousands of events.
    pub breakdown: bool,
    /// Who hands the events over. `Server` (the default: a caller scoring
    /// its own records) trusts an event unless its `channel` names another
    /// source; `Browser` (the page, or an edge passing on what a page
    /// posted) trusts none, so rules with `"source": "server"` score 0.
    pub source: EventSource,
}

impl Default for ScoreOptions {
    fn default() -> Self {
        Self {
            breakdown: true,
            source: EventSource::Server,
        }
    }
}

impl ScoreOptions {
    /// Per-rule totals without the per-event breakdown, events from the
    /// caller's own records: what a caller wants that reads the score and
    /// not its explanation line by line (the edge, forms, calibration).
    pub fn totals_only() -> Self {
        Self {
            breakdown: false,
            ..Self::default()
        }
    }
}

/// A scoring model, compiled and ready to score many visitors.
#[derive(Debug, Clone)]
pub struct Model {
    config: ModelConfig,
    fields: config::FieldNames,
    fit_rules: Vec<FitRule>,
    negative: NegativeChecks,
    touchpoints: Vec<Touchpoint>,
    rules: Vec<EngagementRule>,
    inactivity: Option<Inactivity>,
    aggregates: Vec<aggregate::AggregateRule>,
    actions: ActionTable,
    skew_ms: i64,
    interest_half_life: Option<f64>,
    mql_grades: Vec<String>,
    warnings: Vec<Issue>,
    /// Names the compiled document in a stored visitor state; computed on
    /// first use, so a page that never stores a state does not carry the
    /// document's serializer.
    fingerprint: std::sync::OnceLock<String>,
}

#[cfg(not(feature = "page-only"))]
impl ConfigDocument for Model {
    type Document = ModelConfig;

    fn compile(config: ModelConfig, diagnostics: &mut Diagnostics) -> Model {
        Self::compile_into(config, diagnostics)
    }
}

impl Model {
    #[cfg(not(feature = "page-only"))]
    /// The embedded default model.
    pub fn default_model() -> Model {
        // The embedded document is checked by a test; should it ever fail to
        // load, an empty model is a safe answer (it scores nothing).
        <Self as ConfigDocument>::from_json(DEFAULT_MODEL_JSON).unwrap_or_else(|_| Self::empty())
    }

    #[cfg(not(feature = "page-only"))]
    fn empty() -> Model {
        Model {
            config: empty_config(),
            fields: config::FieldNames::default(),
            fit_rules: Vec::new(),
            negative: NegativeChecks::default(),
            touchpoints: Vec::new(),
            rules: Vec::new(),
            inactivity: None,
            aggregates: Vec::new(),
            actions: ActionTable::default(),
            skew_ms: 300_000,
            interest_half_life: None,
            mql_grades: Vec::new(),
            warnings: Vec::new(),
            fingerprint: std::sync::OnceLock::new(),
        }
    }

    #[cfg(not(feature = "page-only"))]
    /// Compiles a parsed document, recording what serde cannot check.
    fn compile_into(config: ModelConfig, d: &mut Diagnostics) -> Model {
        if config.version != 1 {
            d.push(Issue::error(
                "version",
                format!("version {} is not supported (expected 1)", config.version),
            ));
        }

        let mut fit_rules = Vec::with_capacity(config.fit.rules.len());
        for (i, rule) in config.fit.rules.iter().enumerate() {
            if let Some(r) = FitRule::compile(rule, &format!("fit.rules[{i}]"), d) {
                fit_rules.push(r);
            }
        }
        check_unique(
            config.fit.rules.iter().map(|r| r.id.as_str()),
            "fit.rules",
            d,
        );
        let negative = NegativeChecks::compile(&config.fit.negative, d);
        let g = &config.fit.grades;
        if !(g.a > g.b && g.b > g.c) {
            d.push(Issue::error(
                "fit.grades",
                format!(
                    "expected A > B > C, found A {} B {} C {}",
                    number_text(g.a),
                    number_text(g.b),
                    number_text(g.c)
                ),
            ));
        }

        let e = &config.engagement;
        engagement::check_half_life(e.half_life_days, "engagement.halfLifeDays", d);
        if e.max_clock_skew_seconds < 0.0 {
            d.push(Issue::error(
                "engagement.maxClockSkewSeconds",
                "expected a number of seconds ≥ 0",
            ));
        }
        let touchpoints: Vec<Touchpoint> = e
            .touchpoints
            .iter()
            .enumerate()
            .map(|(i, t)| Touchpoint::compile(t, &format!("engagement.touchpoints[{i}]"), d))
            .collect();
        check_unique(
            e.touchpoints.iter().map(|t| t.id.as_str()),
            "engagement.touchpoints",
            d,
        );
        for (i, t) in e.touchpoints.iter().enumerate() {
            if let Some(first) = e
                .touchpoints
                .iter()
                .take(i)
                .position(|o| o.url.trim() == t.url.trim())
            {
                d.push(Issue::warning(
                    format!("engagement.touchpoints[{i}].url"),
                    format!("same pattern as touchpoints[{first}], which is tried first: this one never applies"),
                ));
            }
        }
        let rules: Vec<EngagementRule> = e
            .rules
            .iter()
            .enumerate()
            .map(|(i, r)| {
                EngagementRule::compile(r, e.half_life_days, &format!("engagement.rules[{i}]"), d)
            })
            .collect();
        check_unique(e.rules.iter().map(|r| r.id.as_str()), "engagement.rules", d);
        let inactivity = e.inactivity.as_ref().map(|i| Inactivity::compile(i, d));
        let aggregates: Vec<aggregate::AggregateRule> = e
            .aggregates
            .iter()
            .enumerate()
            .filter_map(|(i, a)| {
                aggregate::AggregateRule::compile(a, &format!("engagement.aggregates[{i}]"), d)
            })
            .collect();
        check_unique(
            e.aggregates.iter().map(|a| a.id.as_str()),
            "engagement.aggregates",
            d,
        );
        if let Some(c) = &config.calibration {
            if !(c.intercept.is_finite() && c.slope.is_finite()) {
                d.push(Issue::error("calibration", "expected finite numbers"));
            }
        }
        let l = &e.levels;
        if !(l.one > l.two && l.two > l.three) {
            d.push(Issue::error(
                "engagement.levels",
                format!(
                    "expected 1 > 2 > 3, found 1 {} 2 {} 3 {}",
                    number_text(l.one),
                    number_text(l.two),
                    number_text(l.three)
                ),
            ));
        }
        if config.tiers.hot <= config.tiers.warm {
            d.push(Issue::error(
                "tiers",
                format!(
                    "expected hot > warm, found hot {} warm {}",
                    number_text(config.tiers.hot),
                    number_text(config.tiers.warm)
                ),
            ));
        }
        for (name, value) in [
            ("consideration", config.stages.consideration),
            ("decision", config.stages.decision),
        ] {
            if value <= 0.0 {
                d.push(Issue::error(
                    format!("stages.{name}"),
                    "expected a number of points > 0",
                ));
            }
        }

        let mut mql_grades = Vec::new();
        for (i, grade) in config.mql.grades.iter().enumerate() {
            // ASCII is enough (a grade is A1 … D4), and keeps the Unicode
            // `str::to_uppercase` (3 KB) out of the wasm.
            let upper = grade.trim().to_ascii_uppercase();
            if is_grade(&upper) {
                mql_grades.push(upper);
            } else {
                d.push(Issue::error(
                    format!("mql.grades[{i}]"),
                    format!("\"{grade}\" is not a grade (A1 … D4)"),
                ));
            }
        }
        if config.mql.grades.is_empty()
            && (config.mql.min_fit.is_none() || config.mql.min_engagement.is_none())
        {
            d.push(Issue::warning(
                "mql",
                "no grades and not both minFit and minEngagement: no lead will ever qualify",
            ));
        }
        engagement::check_half_life(
            config.interests.half_life_days.flatten(),
            "interests.halfLifeDays",
            d,
        );
        if config.interests.top > 100 {
            d.push(Issue::error("interests.top", "expected at most 100"));
        }

        if d.has_errors() {
            return Model {
                warnings: d.warnings.clone(),
                ..Self::empty()
            };
        }
        let interest_half_life = match config.interests.half_life_days {
            None => e.half_life_days,
            Some(own) => own,
        };
        let actions = ActionTable::build(&rules, inactivity.as_ref());
        Model {
            fields: config.fit.fields.clone(),
            fit_rules,
            negative,
            touchpoints,
            rules,
            inactivity,
            aggregates,
            actions,
            skew_ms: (e.max_clock_skew_seconds * MS_PER_SECOND) as i64,
            interest_half_life,
            mql_grades,
            warnings: d.warnings.clone(),
            fingerprint: std::sync::OnceLock::new(),
            config,
        }
    }

    /// Warnings found when the model was compiled.
    pub fn warnings(&self) -> &[Issue] {
        &self.warnings
    }

    /// The document the model was compiled from, with defaults filled in.
    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    /// The profile fields (`fit.browserTraits`) that a browser's own
    /// `identify`/`group` calls may set for scoring; whoever merges traits
    /// into the profile (the edge worker) keeps every other field from a
    /// browser out unless a validated form or a server source set it.
    pub fn browser_traits(&self) -> &[String] {
        &self.config.fit.browser_traits
    }

    /// Checks the events and scores profile and events at `now`. Bad events
    /// are listed in `rejected` and score nothing; the good ones count.
    pub fn score(
        &self,
        profile: Option<&Map<String, Value>>,
        events: &[Value],
        now: Millis,
        options: &ScoreOptions,
    ) -> ScoreResult {
        let (accepted, rejected) = event::parse_events(events, now, self.skew_ms, options.source);
        let mut result = self.score_events(profile, &accepted, now, options);
        result.rejected = rejected;
        result
    }

    /// Checks events the way scoring does (shape, timestamp within the
    /// model's clock skew of `now`, duplicate ids), without scoring: the
    /// valid ones, borrowed from `values`, and each rejection's reason.
    pub fn validate_events<'v>(
        &self,
        values: &'v [Value],
        now: Millis,
        source: EventSource,
    ) -> (Vec<Event<'v>>, Vec<RejectedEvent>) {
        event::parse_events(values, now, self.skew_ms, source)
    }

    /// [`Model::validate_events`] of a batch's JSON text, read straight into
    /// events (no `Value` tree): the same events and reasons, the valid
    /// ones borrowing from `text`. Fails only for text that is not a JSON
    /// array (or `null`).
    pub fn validate_events_text<'t>(
        &self,
        text: &'t str,
        now: Millis,
        source: EventSource,
    ) -> Result<(Vec<Event<'t>>, Vec<RejectedEvent>), event_text::BatchError> {
        event_text::parse_events_text(text, now, self.skew_ms, source)
    }

    /// Scores events that were already checked (see [`event::parse_events`]),
    /// for callers that keep a visitor's history in parsed form. With
    /// `options.source` `Browser`, no event counts as a server's, whatever
    /// it was parsed as.
    pub fn score_events(
        &self,
        profile: Option<&Map<String, Value>>,
        events: &[Event<'_>],
        now: Millis,
        options: &ScoreOptions,
    ) -> ScoreResult {
        let outcome = engagement::score(
            &self.engagement_model(),
            events,
            now,
            options.breakdown,
            options.source == EventSource::Browser,
        );
        self.result_of(FitFrom::Profile(profile), outcome, now, events.len())
    }

    /// The parts of the model that engagement scoring reads.
    pub(crate) fn engagement_model(&self) -> EngagementModel<'_> {
        EngagementModel {
            touchpoints: &self.touchpoints,
            rules: &self.rules,
            actions: &self.actions,
            inactivity: self.inactivity.as_ref(),
            levels: &self.config.engagement.levels,
            interest_half_life: self.interest_half_life,
            aggregates: &self.aggregates,
        }
    }

    /// The fit of `profile` (none: an empty profile), with its breakdown.
    pub fn fit_of(&self, profile: Option<&Map<String, Value>>) -> FitResult {
        let empty = Map::new();
        fit::score(
            &self.fit_rules,
            &self.negative,
            &self.fields,
            &self.config.fit.grades,
            profile.unwrap_or(&empty),
        )
    }

    /// Fit, grade, tier, stage, MQL and interests around an engagement
    /// outcome, from a full re-score or from a visitor's incremental state.
    pub(crate) fn result_of(
        &self,
        fit: FitFrom<'_>,
        outcome: engagement::EngagementOutcome<'_>,
        now: Millis,
        events_scored: usize,
    ) -> ScoreResult {
        let fit = match fit {
            FitFrom::Profile(profile) => self.fit_of(profile),
            FitFrom::Scored(fit) => fit.clone(),
        };
        let engagement = outcome.result;
        let mut grade = String::with_capacity(2);
        grade.push(fit.grade);
        grade.push_str(&crate::text::int_text(i64::from(engagement.level)));
        let tiers = &self.config.tiers;
        let tier = if engagement.score >= tiers.hot {
            Tier::Hot
        } else if engagement.score >= tiers.warm {
            Tier::Warm
        } else {
            Tier::Cold
        };
        let evidence = |s: Stage| round4(outcome.stage_evidence.get(s));
        let stage_evidence = StageEvidence {
            awareness: evidence(Stage::Awareness),
            consideration: evidence(Stage::Consideration),
            decision: evidence(Stage::Decision),
        };
        // Later-stage behaviour implies the earlier stage has been passed.
        let stages = &self.config.stages;
        let stage = if stage_evidence.decision >= stages.decision {
            Stage::Decision
        } else if stage_evidence.consideration + stage_evidence.decision >= stages.consideration {
            Stage::Consideration
        } else {
            Stage::Awareness
        };
        let mql = self.qualify(&grade, fit.score, engagement.score);
        let interests = top_interests(outcome.interests, self.config.interests.top);
        let unscored = outcome.unscored;
        let probability = self.config.calibration.as_ref().map(|c| {
            let z = c.intercept + c.slope * (fit.score + engagement.score);
            round4(1.0 / (1.0 + (-z).exp()))
        });
        ScoreResult {
            model: self.config.name.clone(),
            now,
            fit,
            engagement,
            grade,
            tier,
            stage,
            stage_evidence,
            mql,
            interests,
            events_scored,
            rejected: Vec::new(),
            unscored,
            probability,
        }
    }

    fn qualify(&self, grade: &str, fit: f64, engagement: f64) -> MqlResult {
        if self.mql_grades.iter().any(|g| g == grade) {
            return MqlResult {
                qualified: true,
                reason: ["grade ", grade, " is one of the MQL grades"].concat(),
            };
        }
        let mql = &self.config.mql;
        let not_a_grade = || ["grade ", grade, " is not one of the MQL grades"].concat();
        let (Some(min_fit), Some(min_engagement)) = (mql.min_fit, mql.min_engagement) else {
            return MqlResult {
                qualified: false,
                reason: not_a_grade(),
            };
        };
        let qualified = fit >= min_fit && engagement >= min_engagement;
        let [fit, engagement, min_fit, min_engagement] =
            [fit, engagement, min_fit, min_engagement].map(number_text);
        let reason = if qualified {
            [
                "fit ",
                &fit,
                " ≥ ",
                &min_fit,
                " and engagement ",
                &engagement,
                " ≥ ",
                &min_engagement,
            ]
            .concat()
        } else {
            [
                &not_a_grade(),
                ", and fit ",
                &fit,
                " / engagement ",
                &engagement,
                " do not reach ",
                &min_fit,
                " / ",
                &min_engagement,
            ]
            .concat()
        };
        MqlResult { qualified, reason }
    }
}

#[cfg(not(feature = "page-only"))]
fn check_unique<'a>(ids: impl Iterator<Item = &'a str>, path: &str, d: &mut Diagnostics) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, id) in ids.enumerate() {
        if let Some(first) = seen.insert(id, i) {
            // Keep pointing at the first one for later duplicates too.
            seen.insert(id, first);
            d.push(Issue::error(
                format!("{path}[{i}].id"),
                format!("id \"{id}\" is already used by {path}[{first}]"),
            ));
        }
    }
}

#[cfg(not(feature = "page-only"))]
fn is_grade(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 2
        && matches!(bytes.first(), Some(b'A'..=b'D'))
        && matches!(bytes.get(1), Some(b'1'..=b'4'))
}

fn top_interests(weights: Vec<(&str, f64)>, top: usize) -> Vec<Interest> {
    let total: f64 = weights.iter().map(|(_, w)| w).sum();
    let mut list: Vec<Interest> = weights
        .into_iter()
        .map(|(tag, weight)| Interest {
            share: if total > 0.0 {
                round4(weight / total)
            } else {
                0.0
            },
            weight: round4(weight),
            tag: tag.to_string(),
        })
        .collect();
    // Tags are unique, so the order is total: no stable sort needed.
    list.sort_unstable_by(|a, b| {
        b.weight
            .total_cmp(&a.weight)
            .then_with(|| a.tag.cmp(&b.tag))
    });
    list.truncate(top);
    list
}

fn empty_config() -> ModelConfig {
    ModelConfig {
        schema: None,
        version: 1,
        name: None,
        fit: config::FitConfig::default(),
        engagement: config::EngagementConfig::default(),
        tiers: config::TierThresholds::default(),
        stages: config::StageThresholds::default(),
        mql: config::MqlConfig::default(),
        interests: config::InterestConfig::default(),
        calibration: None,
    }
}
