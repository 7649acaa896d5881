//! What `calibrate` hands back besides the model: out-of-fold figures, the
//! tables a page draws (ROC, reliability, gains), the search over
//! half-lives and L2 weights, every learned line with its support and
//! information value, the leaks and the warnings. All plain data.

use serde::Serialize;
use serde_json::{json, Value};

use super::candidates::Leak;
use super::features::{Kind, Template};
use super::fit::Row;
use super::input::{CalibrateOptions, Lead};
use super::metrics::{self, round6, GainsRow, ReliabilityBin, RocPoint};
use crate::diagnostics::Issue;
use crate::score::event::Event;
use crate::score::{Model, ScoreOptions};
use crate::time::Millis;

/// `calibrate`'s answer: a model document and its report.
#[derive(Debug, Clone, Serialize)]
pub struct Calibration {
    pub model: Value,
    pub report: Report,
}

/// One candidate setting tried by cross-validation.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SearchRow {
    pub half_life_days: Option<f64>,
    pub l2: f64,
    pub log_loss: f64,
    pub auc: f64,
}

impl SearchRow {
    pub fn new(half_life: Option<f64>, l2: f64, log_loss: f64, z: &[f64], labels: &[bool]) -> Self {
        Self {
            half_life_days: half_life,
            l2,
            log_loss: round6(log_loss),
            auc: round6(metrics::auc(z, labels).unwrap_or(0.5)),
        }
    }
}

/// A line of the model and what the data says of it.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RuleReport {
    /// The rule's id (`aggregate:` before an aggregate's, `negative.` before
    /// a built-in check's).
    pub id: String,
    pub kind: Kind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The rule came from `options.base`.
    pub from_base: bool,
    /// Leads it applies to (for a per-event line: with at least one match).
    pub support: usize,
    pub converted: usize,
    pub rate: f64,
    /// Its points in the model: per match for per-event lines.
    pub points: f64,
    pub information_value: f64,
}

/// Out-of-fold figures: every lead scored by a model that did not see it.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Figures {
    pub auc: f64,
    pub log_loss: f64,
    pub brier: f64,
    pub expected_calibration_error: f64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub leads: usize,
    pub converted: usize,
    pub base_rate: f64,
    pub folds: usize,
    pub min_support: usize,
    pub points_to_double_odds: f64,
    /// The half-life chosen by cross-validation (`null`: no decay).
    pub half_life_days: Option<f64>,
    pub l2: f64,
    pub window_days: f64,
    /// `probability = 1 / (1 + e^-(intercept + slope × points))`.
    pub calibration: Value,
    /// Out-of-fold: AUC of the point totals, log loss, Brier score and ECE
    /// of the calibrated probabilities.
    pub cross_validated: Figures,
    /// The model as shipped, scored by `Model::score` on the same leads
    /// (in-sample, so optimistic): its AUC over the total points.
    pub training_auc: f64,
    /// Out-of-fold reliability table (ten bins of predicted probability).
    pub reliability: Vec<ReliabilityBin>,
    /// Out-of-fold gains by decile of points.
    pub gains: Vec<GainsRow>,
    /// Out-of-fold ROC curve over the point totals (thresholds on the
    /// shipped model's scale: its intercept is in the calibration).
    pub roc: Vec<RocPoint>,
    pub search: Vec<SearchRow>,
    pub rules: Vec<RuleReport>,
    pub leakage: Vec<Leak>,
    pub warnings: Vec<String>,
}

pub struct Inputs<'a> {
    pub leads: &'a [Lead],
    pub labels: &'a [bool],
    pub events: &'a [Vec<Event<'a>>],
    pub nows: &'a [Millis],
    pub model: &'a Model,
    pub template: &'a Template,
    pub rows: &'a [Row],
    pub points: &'a [f64],
    pub oof: &'a [f64],
    pub probabilities: &'a [f64],
    pub search: Vec<SearchRow>,
    pub leaks: Vec<Leak>,
    pub warnings: Vec<String>,
    pub options: &'a CalibrateOptions,
    pub min_support: usize,
    pub half_life: Option<f64>,
    pub l2: f64,
    pub calibration: (f64, f64),
}

fn totals(
    model: &Model,
    leads: &[Lead],
    events: &[Vec<Event<'_>>],
    nows: &[Millis],
) -> Vec<(f64, f64)> {
    let options = ScoreOptions::totals_only();
    leads
        .iter()
        .zip(events)
        .zip(nows)
        .map(|((lead, ev), &now)| {
            let r = model.score_events(Some(&lead.profile), ev, now, &options);
            (r.fit.score, r.engagement.score)
        })
        .collect()
}

impl Report {
    pub fn build(i: Inputs<'_>) -> Report {
        let n = i.labels.len();
        let positives = i.labels.iter().filter(|&&y| y).count();
        let negatives = n - positives;
        let (table, ece) = metrics::reliability(i.probabilities, i.labels);
        let brier = i
            .probabilities
            .iter()
            .zip(i.labels)
            .map(|(&p, &y)| (p - if y { 1.0 } else { 0.0 }).powi(2))
            .sum::<f64>()
            / n.max(1) as f64;
        let scored = totals(i.model, i.leads, i.events, i.nows);
        let training: Vec<f64> = scored.iter().map(|(f, e)| f + e).collect();
        let mut rules = Vec::new();
        for (j, feature) in i.template.features.iter().enumerate() {
            let (mut support, mut hits) = (0usize, 0usize);
            for (row, &y) in i.rows.iter().zip(i.labels) {
                if row.iter().any(|&(k, _)| k == j) {
                    support += 1;
                    hits += usize::from(y);
                }
            }
            let points = i.points.get(j).copied().unwrap_or(0.0);
            if points == 0.0 && !feature.from_base {
                continue;
            }
            rules.push(RuleReport {
                id: feature.id.clone(),
                kind: feature.kind,
                label: feature.label.clone(),
                from_base: feature.from_base,
                support,
                converted: hits,
                rate: round6(hits as f64 / support.max(1) as f64),
                points,
                information_value: metrics::information_value(
                    hits as f64,
                    (support - hits) as f64,
                    positives as f64,
                    negatives as f64,
                ),
            });
        }
        let (a, b) = i.calibration;
        Report {
            leads: n,
            converted: positives,
            base_rate: round6(positives as f64 / n.max(1) as f64),
            folds: i.options.folds,
            min_support: i.min_support,
            points_to_double_odds: i.options.points_to_double_odds,
            half_life_days: i.half_life,
            l2: i.l2,
            window_days: i.options.window_days,
            calibration: json!({"intercept": a, "slope": b}),
            cross_validated: Figures {
                auc: round6(metrics::auc(i.oof, i.labels).unwrap_or(0.5)),
                log_loss: round6(metrics::log_loss(i.probabilities, i.labels)),
                brier: round6(brier),
                expected_calibration_error: ece,
            },
            training_auc: round6(metrics::auc(&training, i.labels).unwrap_or(0.5)),
            reliability: table,
            gains: metrics::gains(i.oof, i.labels),
            roc: metrics::roc(i.oof, i.labels),
            search: i.search,
            rules,
            leakage: i.leaks,
            warnings: i.warnings,
        }
    }
}

/// Name and calibration section of the learned document.
pub fn finish_document(doc: &mut Value, options: &CalibrateOptions, intercept: f64, slope: f64) {
    let Some(obj) = doc.as_object_mut() else {
        return;
    };
    let name =
        options
            .name
            .clone()
            .unwrap_or_else(|| match obj.get("name").and_then(Value::as_str) {
                Some(base) => format!("{base} (calibrated)"),
                None => "calibrated".to_string(),
            });
    obj.insert("name".into(), json!(name));
    obj.insert(
        "calibration".into(),
        json!({
            "intercept": round6(intercept),
            "slope": round6(slope),
            "pointsToDoubleOdds": round6(std::f64::consts::LN_2 / slope.max(1e-12)),
        }),
    );
}

/// Lowest value at or above the share `q` of `values` (sorted).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let at = ((sorted.len() as f64 - 1.0) * q).round().max(0.0) as usize;
    sorted.get(at).copied().unwrap_or(0.0)
}

/// Three strictly falling thresholds from the 90th, 70th and 40th
/// percentiles (one point apart at least).
fn three(mut values: Vec<f64>) -> (f64, f64, f64) {
    values.sort_by(f64::total_cmp);
    let top = quantile(&values, 0.9).round();
    let mid = quantile(&values, 0.7).round().min(top - 1.0);
    let low = quantile(&values, 0.4).round().min(mid - 1.0);
    (top, mid, low)
}

/// Grades, levels and tiers where the learned points put the leads: A or
/// level 1 for the top tenth, B / 2 to the 70th percentile, C / 3 to the
/// 40th; hot from the 90th percentile of engagement, warm from the 70th.
pub fn set_thresholds(
    doc: &mut Value,
    model: &Model,
    leads: &[Lead],
    events: &[Vec<Event<'_>>],
    nows: &[Millis],
) -> Result<(), Issue> {
    let scored = totals(model, leads, events, nows);
    let (a, b, c) = three(scored.iter().map(|s| s.0).collect());
    let (one, two, three_) = three(scored.iter().map(|s| s.1).collect());
    let Some(obj) = doc.as_object_mut() else {
        return Err(Issue::error("", "the learned model is not an object"));
    };
    if let Some(fit) = obj.get_mut("fit").and_then(Value::as_object_mut) {
        fit.insert("grades".into(), json!({"A": a, "B": b, "C": c}));
    }
    if let Some(e) = obj.get_mut("engagement").and_then(Value::as_object_mut) {
        e.insert("levels".into(), json!({"1": one, "2": two, "3": three_}));
    }
    obj.insert("tiers".into(), json!({"warm": two, "hot": one}));
    Ok(())
}
