//! L2-regularized logistic regression on sparse rows, by L-BFGS.
//!
//! Hand-written rather than a crate: the features are a few hundred sparse
//! indicators and decayed counts, the objective is smooth and convex, and
//! L-BFGS with a backtracking line search is about a hundred lines. The ML
//! crates (linfa, smartcore) bring dense matrices, BLAS-style dependencies
//! and tens of KB of wasm for the same answer; here the work per iteration is
//! one pass over the non-zero entries, which keeps 10,000 leads fast in wasm.

use std::collections::VecDeque;

/// One lead's features: (feature, value) pairs, value ≠ 0.
pub type Row = Vec<(usize, f64)>;

/// What a fit needs besides the rows.
#[derive(Debug, Clone, Copy)]
pub struct FitSettings {
    /// Weight of the L2 penalty on the coefficients (not the intercept).
    pub l2: f64,
    pub max_iterations: usize,
}

/// The intercept and one coefficient per feature.
#[derive(Debug, Clone, PartialEq)]
pub struct Coefficients {
    pub intercept: f64,
    pub beta: Vec<f64>,
}

impl Coefficients {
    pub fn log_odds(&self, row: &[(usize, f64)]) -> f64 {
        self.intercept
            + row
                .iter()
                .map(|&(j, v)| self.beta.get(j).map_or(0.0, |b| b * v))
                .sum::<f64>()
    }
}

/// `log(1 + e^z)` without overflow.
fn softplus(z: f64) -> f64 {
    if z > 30.0 {
        z
    } else if z < -30.0 {
        z.exp()
    } else {
        z.exp().ln_1p()
    }
}

pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// The penalized negative log-likelihood and its gradient at `w`
/// (`w[0]` the intercept, `w[1 + j]` feature j).
fn objective(rows: &[&Row], labels: &[bool], l2: f64, w: &[f64], grad: &mut [f64]) -> f64 {
    grad.iter_mut().for_each(|g| *g = 0.0);
    let (intercept, beta) = w.split_first().map_or((0.0, &[][..]), |(a, b)| (*a, b));
    let mut loss = 0.0;
    for (row, &y) in rows.iter().zip(labels) {
        let z = intercept
            + row
                .iter()
                .map(|&(j, v)| beta.get(j).map_or(0.0, |b| b * v))
                .sum::<f64>();
        loss += softplus(z) - if y { z } else { 0.0 };
        let r = sigmoid(z) - if y { 1.0 } else { 0.0 };
        if let Some(g) = grad.first_mut() {
            *g += r;
        }
        for &(j, v) in row.iter() {
            if let Some(g) = grad.get_mut(j + 1) {
                *g += r * v;
            }
        }
    }
    for (g, b) in grad.iter_mut().skip(1).zip(beta) {
        loss += 0.5 * l2 * b * b;
        *g += l2 * b;
    }
    loss
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Fits the model to `rows` (features below `features`), starting from
/// `start` when given (a warm start from a neighbouring fit).
pub fn fit(
    rows: &[&Row],
    labels: &[bool],
    features: usize,
    settings: FitSettings,
    start: Option<&Coefficients>,
) -> Coefficients {
    const MEMORY: usize = 8;
    let n = rows.len().max(1) as f64;
    let positives = labels.iter().filter(|&&y| y).count() as f64;
    let rate = (positives / n).clamp(1e-6, 1.0 - 1e-6);
    let mut w = vec![0.0; features + 1];
    match start {
        Some(s) => {
            if let Some(w0) = w.first_mut() {
                *w0 = s.intercept;
            }
            for (wj, b) in w.iter_mut().skip(1).zip(&s.beta) {
                *wj = *b;
            }
        }
        None => {
            if let Some(w0) = w.first_mut() {
                *w0 = (rate / (1.0 - rate)).ln();
            }
        }
    }
    let mut grad = vec![0.0; features + 1];
    let mut f = objective(rows, labels, settings.l2, &w, &mut grad);
    let mut history: VecDeque<(Vec<f64>, Vec<f64>, f64)> = VecDeque::new();
    let mut next_grad = vec![0.0; features + 1];
    for _ in 0..settings.max_iterations {
        let gmax = grad.iter().fold(0.0f64, |m, g| m.max(g.abs()));
        if gmax < 1e-4 * n {
            break;
        }
        // Two-loop recursion: the direction −H·g.
        let mut q = grad.clone();
        let mut alphas = Vec::with_capacity(history.len());
        for (s, y, rho) in history.iter().rev() {
            let a = rho * dot(s, &q);
            q.iter_mut().zip(y).for_each(|(qi, yi)| *qi -= a * yi);
            alphas.push(a);
        }
        if let Some((s, y, _)) = history.back() {
            let gamma = dot(s, y) / dot(y, y).max(1e-300);
            q.iter_mut().for_each(|qi| *qi *= gamma);
        } else {
            // First step: scaled so that it moves about one unit.
            let norm = dot(&q, &q).sqrt().max(1e-300);
            q.iter_mut().for_each(|qi| *qi /= norm);
        }
        for ((s, y, rho), a) in history.iter().zip(alphas.iter().rev()) {
            let b = rho * dot(y, &q);
            q.iter_mut().zip(s).for_each(|(qi, si)| *qi += si * (a - b));
        }
        let direction: Vec<f64> = q.iter().map(|x| -x).collect();
        let slope = dot(&grad, &direction);
        if slope >= 0.0 {
            history.clear();
            continue;
        }
        // Backtracking (Armijo) line search.
        let mut step = 1.0;
        let mut accepted = None;
        for _ in 0..30 {
            let trial: Vec<f64> = w
                .iter()
                .zip(&direction)
                .map(|(wi, di)| wi + step * di)
                .collect();
            let ft = objective(rows, labels, settings.l2, &trial, &mut next_grad);
            if ft <= f + 1e-4 * step * slope {
                accepted = Some((trial, ft));
                break;
            }
            step *= 0.5;
        }
        let Some((trial, ft)) = accepted else {
            break;
        };
        let s: Vec<f64> = trial.iter().zip(&w).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = next_grad.iter().zip(&grad).map(|(a, b)| a - b).collect();
        let sy = dot(&s, &y);
        if sy > 1e-12 {
            if history.len() == MEMORY {
                history.pop_front();
            }
            history.push_back((s, y, 1.0 / sy));
        }
        let change = (f - ft).abs();
        w = trial;
        std::mem::swap(&mut grad, &mut next_grad);
        f = ft;
        if change <= 1e-8 * f.abs().max(1.0) {
            break;
        }
    }
    let (intercept, beta) = w
        .split_first()
        .map_or((0.0, Vec::new()), |(a, b)| (*a, b.to_vec()));
    Coefficients { intercept, beta }
}

/// `p = σ(a + b·x)` fitted to one score per lead (Platt scaling), by
/// Newton's method on the two parameters.
pub fn fit_line(scores: &[f64], labels: &[bool]) -> (f64, f64) {
    let n = scores.len().max(1) as f64;
    let positives = labels.iter().filter(|&&y| y).count() as f64;
    let rate = (positives / n).clamp(1e-6, 1.0 - 1e-6);
    let (mut a, mut b) = ((rate / (1.0 - rate)).ln(), 0.0);
    for _ in 0..100 {
        let (mut ga, mut gb, mut haa, mut hab, mut hbb) = (0.0, 0.0, 1e-9, 0.0, 1e-9);
        for (&x, &y) in scores.iter().zip(labels) {
            let p = sigmoid(a + b * x);
            let r = p - if y { 1.0 } else { 0.0 };
            let w = p * (1.0 - p);
            ga += r;
            gb += r * x;
            haa += w;
            hab += w * x;
            hbb += w * x * x;
        }
        let det = haa * hbb - hab * hab;
        if det.abs() < 1e-300 {
            break;
        }
        let da = (hbb * ga - hab * gb) / det;
        let db = (haa * gb - hab * ga) / det;
        a -= da;
        b -= db;
        if da.abs() < 1e-10 && db.abs() < 1e-12 {
            break;
        }
    }
    (a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_a_planted_coefficient() {
        // x = 1 doubles... e^1 the odds: a balanced design recovers it.
        let mut rows = Vec::new();
        let mut labels = Vec::new();
        for i in 0..4000 {
            let x = i % 2 == 0;
            let p = if x { sigmoid(0.0) } else { sigmoid(-1.0) };
            // Deterministic labels at the right rate.
            let y = ((i / 2) % 100) as f64 / 100.0 < p;
            rows.push(if x { vec![(0, 1.0)] } else { vec![] });
            labels.push(y);
        }
        let refs: Vec<&Row> = rows.iter().collect();
        let c = fit(
            &refs,
            &labels,
            1,
            FitSettings {
                l2: 1e-6,
                max_iterations: 200,
            },
            None,
        );
        assert!((c.intercept + 1.0).abs() < 0.05, "{c:?}");
        assert!((c.beta[0] - 1.0).abs() < 0.05, "{c:?}");
        let (a, b) = fit_line(
            &rows.iter().map(|r| r.len() as f64).collect::<Vec<_>>(),
            &labels,
        );
        assert!((a + 1.0).abs() < 0.05 && (b - 1.0).abs() < 0.05, "{a} {b}");
    }
}
