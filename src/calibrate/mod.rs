//! Learning a model's points from outcomes: `calibrate(leads, options)`
//! returns an ordinary model document (rules with points, on a scorecard
//! scale) and a report of how well it ranks and how honest its
//! probabilities are.
//!
//! The steps, one module each: [`candidates`] proposes rules (profile
//! values and numeric bins, missing as its own bin, event names, page
//! sections, long reads, binned activity totals) and flags leaks;
//! [`features`] scores every lead with all candidates worth 1 point, so a
//! feature is exactly what the scorer will count; [`fit`] fits an
//! L2-regularized logistic regression; the half-life and the L2 weight are
//! chosen by cross-validated log loss; coefficients become points
//! (`points = β × pointsToDoubleOdds / ln 2`, whole points for fit lines
//! and bins, tenths for per-event lines); and a logistic curve on the
//! out-of-fold point totals (Platt scaling) maps points to a probability.
//! [`metrics`] reports the out-of-fold figures.
//!
//! Why Platt rather than isotonic: the points total is already a log-odds
//! scale, so two numbers map it exactly and keep the explanation a formula
//! (points → total → probability); an isotonic table would be a step
//! function to explain and to ship.

pub mod binning;
pub mod candidates;
pub mod features;
pub mod fit;
pub mod input;
pub mod metrics;
mod report;

use serde_json::Value;

pub use input::{leads_from_values, parse_leads, CalibrateOptions, Lead};
pub use report::{Calibration, Report};

use crate::diagnostics::{ConfigDocument, Issue};
use crate::score::event::Event;
use crate::score::{EventSource, Model};
use crate::time::Millis;
use candidates::Population;
use features::{Kind, Template};
use fit::{Coefficients, FitSettings, Row};

/// Where a run is, for a progress bar: `done` of `total` steps. A step is
/// the features of one half-life tried, one cross-validation fold of one
/// setting tried, or the final fit with its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
    /// `"features"`, `"cross-validation"` or `"final fit"`.
    pub stage: &'static str,
}

/// Fits the points of a model to `leads` (see the module docs).
pub fn calibrate(leads: &[Lead], options: &CalibrateOptions) -> Result<Calibration, Issue> {
    calibrate_with_progress(leads, options, &mut |_| {})
}

/// [`calibrate`], calling `progress` after each step (a page's Web Worker
/// posts it to draw a progress bar).
pub fn calibrate_with_progress(
    leads: &[Lead],
    options: &CalibrateOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Calibration, Issue> {
    let labels: Vec<bool> = leads.iter().map(|l| l.converted).collect();
    let positives = labels.iter().filter(|&&y| y).count();
    if leads.is_empty() || positives == 0 || positives == leads.len() {
        return Err(Issue::error(
            "leads",
            "calibrating needs leads that converted and leads that did not",
        ));
    }
    for (i, lead) in leads.iter().enumerate() {
        if lead.events.len() > options.max_events_per_lead {
            return Err(Issue::error(
                format!("leads[{i}].events"),
                format!(
                    "{} events on one lead; the limit is {} (options.maxEventsPerLead raises it)",
                    lead.events.len(),
                    options.max_events_per_lead
                ),
            ));
        }
    }
    if let Some(base) = &options.base {
        let d = Model::check(base.clone());
        if let Some(first) = d.errors.into_iter().next() {
            return Err(first.within("options.base"));
        }
    }
    let n = leads.len();
    let k = options.folds;
    let middle = options.l2.get(options.l2.len() / 2).copied().unwrap_or(1.0);
    let tables_count = options.half_lives.len();
    let other_l2 = options.l2.iter().filter(|&&l| l != middle).count();
    let total = tables_count * (1 + k) + other_l2 * k + 1;
    let mut done = 0;
    let mut step = |stage: &'static str| {
        done += 1;
        progress(Progress { done, total, stage });
    };
    let min_support = options.min_support.unwrap_or((n / 100).max(20));
    let mut warnings = Vec::new();

    // Events are checked once; a lead without its own `now` is judged at
    // the options' `now`, else at the newest event in the data.
    let checker = Model::from_value(serde_json::json!({}))
        .map_err(|_| Issue::error("", "internal: the empty model does not compile"))?;
    const FAR: Millis = 32_503_680_000_000; // year 3000
    let mut events: Vec<Vec<Event<'_>>> = Vec::with_capacity(n);
    let mut rejected = 0usize;
    for lead in leads {
        let at = lead.now.or(options.now).unwrap_or(FAR);
        let (mut ok, bad) = checker.validate_events(&lead.events, at, EventSource::Server);
        rejected += bad.len();
        ok.sort_by_key(|e| e.timestamp);
        events.push(ok);
    }
    let newest = events
        .iter()
        .flat_map(|list| list.last().map(|e| e.timestamp))
        .max();
    let nows: Vec<Millis> = leads
        .iter()
        .map(|l| l.now.or(options.now).or(newest).unwrap_or(0))
        .collect();
    if rejected > 0 {
        warnings.push(format!(
            "{rejected} events failed their checks and were left out (see validateEvents)"
        ));
    }
    if n < 200 {
        warnings.push(format!("only {n} leads: cross-validated figures are noisy"));
    }

    let pop = Population {
        profiles: leads.iter().map(|l| &l.profile).collect(),
        events: &events,
        labels: &labels,
        nows: &nows,
        min_support,
        keep: &options.keep_fields,
        window_days: options.window_days,
    };
    let candidates = candidates::candidates(&pop);
    let leaks = candidates.leaks.clone();
    for leak in &leaks {
        warnings.push(if leak.kept {
            format!(
                "{} looks like a leak ({}); kept as options.keepFields asks",
                leak.field, leak.reason
            )
        } else {
            format!(
                "{} left out as a likely leak: {} (options.keepFields keeps it)",
                leak.field, leak.reason
            )
        });
    }
    let template = Template::new(options.base.as_ref(), candidates)?;
    let features = template.features.len();

    // Features per half-life candidate.
    let mut tables: Vec<(Option<f64>, Vec<Row>)> = Vec::new();
    for &h in &options.half_lives {
        let model = template.model(h)?;
        let rows: Vec<Row> = leads
            .iter()
            .zip(&events)
            .zip(&nows)
            .map(|((lead, ev), &now)| template.row(&model, &lead.profile, ev, now))
            .collect();
        tables.push((h, rows));
        step("features");
    }
    // A column with too little support earns nothing: it leaves the fit.
    let mut support = vec![0usize; features];
    if let Some((_, rows)) = tables.first() {
        for row in rows {
            for &(j, _) in row {
                if let Some(s) = support.get_mut(j) {
                    *s += 1;
                }
            }
        }
    }
    // So does a line that holds for (nearly) everyone: it only moves the
    // intercept.
    let usable: Vec<bool> = support
        .iter()
        .zip(&template.features)
        .map(|(&s, f)| {
            let counts = matches!(f.kind, Kind::Engagement | Kind::Inactivity);
            s >= min_support && (counts || n - s >= min_support)
        })
        .collect();
    for (_, rows) in &mut tables {
        for row in rows.iter_mut() {
            row.retain(|&(j, _)| usable.get(j).copied().unwrap_or(false));
        }
    }

    let folds = assign_folds(&labels, k, options.seed);
    let mut search = Vec::new();
    // (log loss, table, l2, fold coefficients) of the best setting so far.
    let mut best: Option<(f64, usize, f64, Vec<Coefficients>)> = None;
    let mut warm: Option<Vec<Coefficients>> = None;
    for (t, (h, rows)) in tables.iter().enumerate() {
        let (z, coefs) = cross_validate(
            rows,
            &labels,
            (&folds, k),
            features,
            middle,
            warm.as_deref(),
            &mut step,
        );
        let loss = metrics::log_loss(
            &z.iter().map(|&v| fit::sigmoid(v)).collect::<Vec<_>>(),
            &labels,
        );
        search.push(report::SearchRow::new(*h, middle, loss, &z, &labels));
        warm = Some(coefs.clone());
        if best.as_ref().is_none_or(|b| loss < b.0) {
            best = Some((loss, t, middle, coefs));
        }
    }
    let Some((loss, chosen, _, coefs)) = best else {
        return Err(Issue::error(
            "options.halfLifeDays",
            "expected at least one",
        ));
    };
    let (half_life, rows) = match tables.get(chosen) {
        Some((h, rows)) => (*h, rows),
        None => {
            return Err(Issue::error(
                "options.halfLifeDays",
                "expected at least one",
            ))
        }
    };
    let mut best_l2 = (loss, middle, coefs);
    for &l2 in options.l2.iter().filter(|&&l| l != middle) {
        let (z, coefs) = cross_validate(
            rows,
            &labels,
            (&folds, k),
            features,
            l2,
            Some(&best_l2.2),
            &mut step,
        );
        let loss = metrics::log_loss(
            &z.iter().map(|&v| fit::sigmoid(v)).collect::<Vec<_>>(),
            &labels,
        );
        search.push(report::SearchRow::new(half_life, l2, loss, &z, &labels));
        if loss < best_l2.0 {
            best_l2 = (loss, l2, coefs);
        }
    }
    let (_, l2, fold_coefs) = best_l2;

    // Out-of-fold point totals of the rounded scorecards, then the curve.
    let scale = options.points_to_double_odds / std::f64::consts::LN_2;
    let kinds: Vec<Kind> = template.features.iter().map(|f| f.kind).collect();
    let oof: Vec<f64> = rows
        .iter()
        .zip(&folds)
        .map(|(row, &f)| {
            fold_coefs.get(f).map_or(0.0, |c| {
                points_total(&to_points(c, &kinds, scale), row) + c.intercept * scale
            })
        })
        .collect();
    let (a, b) = fit::fit_line(&oof, &labels);
    let probabilities: Vec<f64> = oof.iter().map(|&s| fit::sigmoid(a + b * s)).collect();

    let refs: Vec<&Row> = rows.iter().collect();
    let settings = FitSettings {
        l2,
        max_iterations: 300,
    };
    let warm = fold_coefs.first();
    let final_coefs = fit::fit(&refs, &labels, features, settings, warm);
    let points = to_points(&final_coefs, &kinds, scale);
    let intercept = a + b * final_coefs.intercept * scale;
    // The out-of-fold totals on the shipped model's scale (its intercept
    // lives in the calibration, not in the points), so the ROC thresholds
    // and gains read as the model's points.
    let on_scale: Vec<f64> = oof
        .iter()
        .map(|s| s - final_coefs.intercept * scale)
        .collect();
    let mut doc = template.document(&points, half_life);
    report::finish_document(&mut doc, options, intercept, b);
    let model = compile(&doc)?;
    report::set_thresholds(&mut doc, &model, leads, &events, &nows)?;
    let model = compile(&doc)?;

    let report = report::Report::build(report::Inputs {
        leads,
        labels: &labels,
        events: &events,
        nows: &nows,
        model: &model,
        template: &template,
        rows,
        points: &points,
        oof: &on_scale,
        probabilities: &probabilities,
        search,
        leaks,
        warnings,
        options,
        min_support,
        half_life,
        l2,
        calibration: (intercept, b),
    });
    step("final fit");
    Ok(Calibration { model: doc, report })
}

/// The learned document, compiled; an error here is a bug in calibrate.
fn compile(doc: &Value) -> Result<Model, Issue> {
    Model::from_value(doc.clone()).map_err(|d| {
        d.errors
            .into_iter()
            .next()
            .unwrap_or_else(|| Issue::error("", "the learned model does not compile"))
    })
}

/// Reads leads from JSON text (an array or JSON Lines) and calibrates.
pub fn calibrate_text(text: &str, options: &Value) -> Result<Calibration, Issue> {
    calibrate_text_with_progress(text, options, &mut |_| {})
}

/// [`calibrate_text`] with a progress callback ([`calibrate_with_progress`]).
pub fn calibrate_text_with_progress(
    text: &str,
    options: &Value,
    progress: &mut dyn FnMut(Progress),
) -> Result<Calibration, Issue> {
    let options = CalibrateOptions::from_value(options)?;
    let leads = parse_leads(text, options.max_events_per_lead)?;
    calibrate_with_progress(&leads, &options, progress)
}

/// Stratified folds: converted and other leads each dealt round-robin in a
/// seeded shuffle, so every fold has the base rate.
fn assign_folds(labels: &[bool], k: usize, seed: u64) -> Vec<usize> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        // xorshift64*
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    let mut folds = vec![0usize; labels.len()];
    for class in [true, false] {
        let mut members: Vec<usize> = (0..labels.len())
            .filter(|&i| labels.get(i) == Some(&class))
            .collect();
        for i in (1..members.len()).rev() {
            let j = (next() % (i as u64 + 1)) as usize;
            members.swap(i, j);
        }
        for (r, &i) in members.iter().enumerate() {
            if let Some(f) = folds.get_mut(i) {
                *f = r % k.max(1);
            }
        }
    }
    folds
}

/// Out-of-fold log-odds of every lead, and each fold's coefficients;
/// `step` after each fold.
fn cross_validate(
    rows: &[Row],
    labels: &[bool],
    (folds, k): (&[usize], usize),
    features: usize,
    l2: f64,
    start: Option<&[Coefficients]>,
    step: &mut dyn FnMut(&'static str),
) -> (Vec<f64>, Vec<Coefficients>) {
    let mut z = vec![0.0; rows.len()];
    let mut coefs: Vec<Coefficients> = Vec::with_capacity(k);
    for fold in 0..k {
        let (train, train_labels): (Vec<&Row>, Vec<bool>) = rows
            .iter()
            .zip(labels)
            .zip(folds)
            .filter(|(_, &f)| f != fold)
            .map(|((r, &y), _)| (r, y))
            .unzip();
        let settings = FitSettings {
            l2,
            max_iterations: 200,
        };
        // Warm start: the same fold at a neighbouring setting, else the
        // previous fold.
        let warm = start.and_then(|s| s.get(fold)).or(coefs.last());
        let c = fit::fit(&train, &train_labels, features, settings, warm);
        for ((zi, row), &f) in z.iter_mut().zip(rows).zip(folds) {
            if f == fold {
                *zi = c.log_odds(row);
            }
        }
        coefs.push(c);
        step("cross-validation");
    }
    (z, coefs)
}

/// Coefficients on the scorecard scale: whole points for lines that hold
/// or not, tenths for per-event lines (a decayed count).
fn to_points(c: &Coefficients, kinds: &[Kind], scale: f64) -> Vec<f64> {
    c.beta
        .iter()
        .zip(kinds)
        .map(|(b, kind)| {
            let p = b * scale;
            let rounded = match kind {
                Kind::Engagement | Kind::Inactivity => (p * 10.0).round() / 10.0,
                _ => p.round(),
            };
            rounded + 0.0
        })
        .collect()
}

fn points_total(points: &[f64], row: &[(usize, f64)]) -> f64 {
    row.iter()
        .map(|&(j, v)| points.get(j).map_or(0.0, |p| p * v))
        .sum()
}
