//! A compiled [`Model`] as a full build writes it into a compiled config
//! (src/compiled/wire.rs): the compiled rules and the few numbers of the
//! document that scoring reads, not the document. A model loaded from it
//! has no warnings, and its `config()` holds only those numbers (the
//! defaults elsewhere); the page reads neither. Its fingerprint is the
//! full document's, carried along.

use serde::Serialize;

use super::aggregate::AggregateRule;
use super::config::{CalibrationConfig, FieldNames};
use super::engagement::{EngagementRule, Inactivity, Touchpoint};
use super::fit::{FitRule, NegativeChecks};
use super::{empty_config, ActionTable, Model};
use crate::compiled::read::{Wire, WireRead};

/// What a compiled config carries of a model.
#[derive(Serialize)]
pub(crate) struct Parts {
    name: Option<String>,
    /// email, phone, company, title, role, website.
    fields: [String; 6],
    browser_traits: Vec<String>,
    fit_rules: Vec<FitRule>,
    negative: NegativeChecks,
    touchpoints: Vec<Touchpoint>,
    rules: Vec<EngagementRule>,
    inactivity: Option<Inactivity>,
    aggregates: Vec<AggregateRule>,
    actions: ActionTable,
    skew_ms: i64,
    interest_half_life: Option<f64>,
    mql_grades: Vec<String>,
    /// Grades A, B, C; levels 1, 2, 3; tiers warm, hot; stages
    /// consideration, decision.
    thresholds: [f64; 10],
    /// MQL's minFit and minEngagement.
    mql_min: (Option<f64>, Option<f64>),
    top_interests: usize,
    /// Intercept and slope.
    calibration: Option<(f64, f64)>,
    /// [`Model::fingerprint`] of the whole document, so a stored visitor
    /// state names the same model whichever way it was loaded.
    fingerprint: String,
}

impl WireRead for Parts {
    fn read(w: &mut Wire<'_>) -> Self {
        Parts {
            name: w.read(),
            fields: w.read(),
            browser_traits: w.read(),
            fit_rules: w.read(),
            negative: w.read(),
            touchpoints: w.read(),
            rules: w.read(),
            inactivity: w.read(),
            aggregates: w.read(),
            actions: w.read(),
            skew_ms: w.read(),
            interest_half_life: w.read(),
            mql_grades: w.read(),
            thresholds: w.read(),
            mql_min: w.read(),
            top_interests: w.read(),
            calibration: w.read(),
            fingerprint: w.read(),
        }
    }
}

impl Model {
    /// What a compiled config carries of this model.
    #[cfg(feature = "config-compiler")]
    pub(crate) fn parts(&self) -> Parts {
        let c = &self.config;
        let f = &self.fields;
        Parts {
            name: c.name.clone(),
            fields: [
                &f.email, &f.phone, &f.company, &f.title, &f.role, &f.website,
            ]
            .map(String::clone),
            browser_traits: c.fit.browser_traits.clone(),
            fit_rules: self.fit_rules.clone(),
            negative: self.negative.clone(),
            touchpoints: self.touchpoints.clone(),
            rules: self.rules.clone(),
            inactivity: self.inactivity.clone(),
            aggregates: self.aggregates.clone(),
            actions: self.actions.clone(),
            skew_ms: self.skew_ms,
            interest_half_life: self.interest_half_life,
            mql_grades: self.mql_grades.clone(),
            thresholds: [
                c.fit.grades.a,
                c.fit.grades.b,
                c.fit.grades.c,
                c.engagement.levels.one,
                c.engagement.levels.two,
                c.engagement.levels.three,
                c.tiers.warm,
                c.tiers.hot,
                c.stages.consideration,
                c.stages.decision,
            ],
            mql_min: (c.mql.min_fit, c.mql.min_engagement),
            top_interests: c.interests.top,
            calibration: c.calibration.as_ref().map(|k| (k.intercept, k.slope)),
            fingerprint: self.fingerprint().to_string(),
        }
    }

    /// A model from what a compiled config carries: nothing checked or
    /// compiled again.
    pub(crate) fn from_parts(p: Parts) -> Model {
        let mut config = empty_config();
        config.name = p.name;
        let [a, b, c, one, two, three, warm, hot, consideration, decision] = p.thresholds;
        (
            config.fit.grades.a,
            config.fit.grades.b,
            config.fit.grades.c,
        ) = (a, b, c);
        let levels = &mut config.engagement.levels;
        (levels.one, levels.two, levels.three) = (one, two, three);
        (config.tiers.warm, config.tiers.hot) = (warm, hot);
        (config.stages.consideration, config.stages.decision) = (consideration, decision);
        (config.mql.min_fit, config.mql.min_engagement) = p.mql_min;
        config.mql.grades = p.mql_grades.clone();
        config.interests.top = p.top_interests;
        config.calibration = p.calibration.map(|(intercept, slope)| CalibrationConfig {
            intercept,
            slope,
            points_to_double_odds: None,
        });
        config.fit.browser_traits = p.browser_traits;
        let [email, phone, company, title, role, website] = p.fields;
        let fields = FieldNames {
            email,
            phone,
            company,
            title,
            role,
            website,
        };
        config.fit.fields = fields.clone();
        Model {
            config,
            fields,
            fit_rules: p.fit_rules,
            negative: p.negative,
            touchpoints: p.touchpoints,
            rules: p.rules,
            inactivity: p.inactivity,
            aggregates: p.aggregates,
            actions: p.actions,
            skew_ms: p.skew_ms,
            interest_half_life: p.interest_half_life,
            mql_grades: p.mql_grades,
            warnings: Vec::new(),
            fingerprint: std::sync::OnceLock::from(p.fingerprint),
        }
    }
}
