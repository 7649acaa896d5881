//! How well scores rank and how honest probabilities are: AUC, log loss,
//! the reliability table with its expected calibration error, gains by
//! decile, ROC points and information value. Every table is plain data, so
//! a page can draw it.

use serde::Serialize;

/// Area under the ROC curve: the chance that a converted lead scores above
/// one that did not, ties counting half (the Mann–Whitney U statistic over
/// its maximum). `None` when one class is empty.
pub fn auc(scores: &[f64], labels: &[bool]) -> Option<f64> {
    let mut order: Vec<(f64, bool)> = scores.iter().copied().zip(labels.iter().copied()).collect();
    order.sort_by(|a, b| a.0.total_cmp(&b.0));
    let positives = labels.iter().filter(|&&y| y).count() as f64;
    let negatives = labels.len() as f64 - positives;
    if positives == 0.0 || negatives == 0.0 {
        return None;
    }
    // Sum of the positives' mid-ranks.
    let mut rank_sum = 0.0;
    let mut start = 0usize;
    while start < order.len() {
        let score = order.get(start).map_or(0.0, |p| p.0);
        let end = order
            .iter()
            .skip(start)
            .position(|p| p.0 != score)
            .map_or(order.len(), |k| start + k);
        let mid = (start + end + 1) as f64 / 2.0;
        let hits = order
            .get(start..end)
            .map_or(0, |run| run.iter().filter(|p| p.1).count());
        rank_sum += mid * hits as f64;
        start = end;
    }
    Some((rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives))
}

/// Mean negative log-likelihood, probabilities clipped to [1e-15, 1 − 1e-15].
pub fn log_loss(probabilities: &[f64], labels: &[bool]) -> f64 {
    let n = probabilities.len().max(1) as f64;
    probabilities
        .iter()
        .zip(labels)
        .map(|(&p, &y)| {
            let p = p.clamp(1e-15, 1.0 - 1e-15);
            if y {
                -p.ln()
            } else {
                -(1.0 - p).ln()
            }
        })
        .sum::<f64>()
        / n
}

/// One row of the reliability table: leads whose predicted probability is
/// in `[from, to)`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ReliabilityBin {
    pub from: f64,
    pub to: f64,
    pub leads: usize,
    pub mean_predicted: f64,
    pub observed_rate: f64,
}

/// Ten equal-width bins of predicted probability, and the expected
/// calibration error: `Σ (leads in bin / leads) × |observed − predicted|`.
pub fn reliability(probabilities: &[f64], labels: &[bool]) -> (Vec<ReliabilityBin>, f64) {
    const BINS: usize = 10;
    let mut sums = [(0usize, 0.0f64, 0usize); BINS];
    for (&p, &y) in probabilities.iter().zip(labels) {
        let at = ((p * BINS as f64).floor() as usize).min(BINS - 1);
        if let Some(bin) = sums.get_mut(at) {
            bin.0 += 1;
            bin.1 += p;
            bin.2 += usize::from(y);
        }
    }
    let n = probabilities.len().max(1) as f64;
    let mut ece = 0.0;
    let mut table = Vec::new();
    for (i, &(count, sum, hits)) in sums.iter().enumerate() {
        if count == 0 {
            continue;
        }
        let mean = sum / count as f64;
        let rate = hits as f64 / count as f64;
        ece += count as f64 / n * (rate - mean).abs();
        table.push(ReliabilityBin {
            from: i as f64 / BINS as f64,
            to: (i + 1) as f64 / BINS as f64,
            leads: count,
            mean_predicted: round6(mean),
            observed_rate: round6(rate),
        });
    }
    (table, round6(ece))
}

/// One tenth of the leads, best scores first.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct GainsRow {
    /// 1 (the best-scored tenth) … 10.
    pub decile: usize,
    pub leads: usize,
    pub converted: usize,
    pub rate: f64,
    /// Share of all conversions found in this decile and the ones above it.
    pub cumulative_share: f64,
    /// This decile's rate over the overall rate.
    pub lift: f64,
}

pub fn gains(scores: &[f64], labels: &[bool]) -> Vec<GainsRow> {
    let mut order: Vec<(f64, bool)> = scores.iter().copied().zip(labels.iter().copied()).collect();
    order.sort_by(|a, b| b.0.total_cmp(&a.0));
    let n = order.len();
    let total = order.iter().filter(|p| p.1).count().max(1) as f64;
    let overall = total / n.max(1) as f64;
    let mut rows = Vec::new();
    let mut found = 0usize;
    for d in 0..10 {
        let (start, end) = (n * d / 10, n * (d + 1) / 10);
        let part = order.get(start..end).unwrap_or(&[]);
        let hits = part.iter().filter(|p| p.1).count();
        found += hits;
        let rate = hits as f64 / part.len().max(1) as f64;
        rows.push(GainsRow {
            decile: d + 1,
            leads: part.len(),
            converted: hits,
            rate: round6(rate),
            cumulative_share: round6(found as f64 / total),
            lift: round6(rate / overall.max(1e-12)),
        });
    }
    rows
}

/// A point of the ROC curve: leads scoring at least `threshold` are called.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RocPoint {
    pub threshold: f64,
    pub false_positive_rate: f64,
    pub true_positive_rate: f64,
}

/// The ROC curve at each distinct score, thinned to at most about 100
/// points (the first and last always kept).
pub fn roc(scores: &[f64], labels: &[bool]) -> Vec<RocPoint> {
    let mut order: Vec<(f64, bool)> = scores.iter().copied().zip(labels.iter().copied()).collect();
    order.sort_by(|a, b| b.0.total_cmp(&a.0));
    let positives = order.iter().filter(|p| p.1).count().max(1) as f64;
    let negatives = (order.len() as f64 - positives).max(1.0);
    let mut all = Vec::new();
    let (mut tp, mut fp) = (0.0, 0.0);
    let mut i = 0;
    while i < order.len() {
        let score = order.get(i).map_or(0.0, |p| p.0);
        while let Some(&(s, y)) = order.get(i) {
            if s != score {
                break;
            }
            if y {
                tp += 1.0;
            } else {
                fp += 1.0;
            }
            i += 1;
        }
        all.push(RocPoint {
            threshold: score,
            false_positive_rate: round6(fp / negatives),
            true_positive_rate: round6(tp / positives),
        });
    }
    let step = all.len().div_ceil(100).max(1);
    let last = all.len().saturating_sub(1);
    all.into_iter()
        .enumerate()
        .filter(|(k, _)| k % step == 0 || *k == last)
        .map(|(_, p)| p)
        .collect()
}

/// Information value of splitting the leads into those a rule matches and
/// the rest: `Σ (share of converted − share of not) × ln(ratio)`, with half
/// a lead added to each cell so an empty cell stays finite.
pub fn information_value(hit_pos: f64, hit_neg: f64, positives: f64, negatives: f64) -> f64 {
    let cells = [
        (hit_pos, hit_neg),
        (positives - hit_pos, negatives - hit_neg),
    ];
    let iv: f64 = cells
        .iter()
        .map(|&(p, q)| {
            let sp = (p + 0.5) / (positives + 1.0);
            let sq = (q + 0.5) / (negatives + 1.0);
            (sp - sq) * (sp / sq).ln()
        })
        .sum();
    round6(iv)
}

pub fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6 + 0.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_counts_ties_half() {
        assert_eq!(auc(&[1.0, 2.0], &[false, true]), Some(1.0));
        assert_eq!(auc(&[1.0, 1.0], &[false, true]), Some(0.5));
        assert_eq!(auc(&[3.0, 1.0, 2.0], &[false, true, true]), Some(0.0));
        assert_eq!(auc(&[1.0], &[true]), None);
    }

    #[test]
    fn gains_and_roc_cover_everyone() {
        let scores: Vec<f64> = (0..100).map(f64::from).collect();
        let labels: Vec<bool> = (0..100).map(|i| i >= 90).collect();
        let g = gains(&scores, &labels);
        assert_eq!(g[0].converted, 10);
        assert_eq!(g[9].cumulative_share, 1.0);
        let r = roc(&scores, &labels);
        assert_eq!(r.last().unwrap().true_positive_rate, 1.0);
        assert_eq!(r.last().unwrap().false_positive_rate, 1.0);
        let (table, ece) = reliability(&[0.05, 0.95], &[false, true]);
        assert_eq!(table.len(), 2);
        assert!((ece - 0.05).abs() < 1e-9);
    }
}
