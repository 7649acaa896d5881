//! Numeric values into bins: quantile cuts, every bin with at least the
//! minimum support, and monotonic (adjacent bins pooled until the rates
//! rise or fall steadily) when the rates mostly rise or fall already. A
//! count effect that peaks in the middle keeps its shape.

/// A bin from `min` (included) to the next bin's `min` (excluded).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bin {
    pub min: f64,
    pub leads: usize,
    pub converted: usize,
}

impl Bin {
    fn rate(&self) -> f64 {
        self.converted as f64 / self.leads.max(1) as f64
    }

    fn absorb(&mut self, other: Bin) {
        self.min = self.min.min(other.min);
        self.leads += other.leads;
        self.converted += other.converted;
    }
}

/// Bins of `values` (value, converted), lowest first. Empty when fewer than
/// two bins would have the support.
pub fn numeric_bins(values: &[(f64, bool)], min_support: usize, max_bins: usize) -> Vec<Bin> {
    let mut sorted: Vec<(f64, bool)> = values.iter().copied().filter(|v| v.0.is_finite()).collect();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let n = sorted.len();
    if n < 2 * min_support.max(1) {
        return Vec::new();
    }
    // Runs of equal values, so a cut never splits one value.
    let mut bins: Vec<Bin> = Vec::new();
    let target = (n / max_bins.max(1)).max(min_support.max(1));
    let mut previous: Option<f64> = None;
    for &(value, y) in &sorted {
        let same = previous == Some(value);
        previous = Some(value);
        match bins.last_mut() {
            Some(last) if last.leads < target || same => {
                last.leads += 1;
                last.converted += usize::from(y);
            }
            _ => bins.push(Bin {
                min: value,
                leads: 1,
                converted: usize::from(y),
            }),
        }
    }
    // The last bin may be short: fold it into the one before.
    while bins.len() > 1 && bins.last().is_some_and(|b| b.leads < min_support) {
        if let Some(short) = bins.pop() {
            if let Some(prev) = bins.last_mut() {
                prev.absorb(short);
            }
        }
    }
    let slope = trend(&bins);
    if slope.abs() >= 0.6 {
        bins = pool_adjacent_violators(bins, slope > 0.0);
    }
    if bins.len() < 2 {
        return Vec::new();
    }
    bins
}

/// Spearman-like trend of the bin rates against their order, −1 … 1.
fn trend(bins: &[Bin]) -> f64 {
    let k = bins.len();
    if k < 3 {
        return 0.0;
    }
    let mut ranked: Vec<(usize, f64)> = bins.iter().map(Bin::rate).enumerate().collect();
    ranked.sort_by(|a, b| a.1.total_cmp(&b.1));
    let mut rank = vec![0.0; k];
    for (r, (i, _)) in ranked.iter().enumerate() {
        if let Some(slot) = rank.get_mut(*i) {
            *slot = r as f64;
        }
    }
    let d2: f64 = rank
        .iter()
        .enumerate()
        .map(|(i, r)| (i as f64 - r).powi(2))
        .sum();
    let k = k as f64;
    1.0 - 6.0 * d2 / (k * (k * k - 1.0))
}

/// Pools neighbouring bins until the rates rise (or fall) steadily.
fn pool_adjacent_violators(bins: Vec<Bin>, rising: bool) -> Vec<Bin> {
    let mut out: Vec<Bin> = Vec::with_capacity(bins.len());
    for bin in bins {
        out.push(bin);
        while out.len() >= 2 {
            let (Some(last), Some(prev)) = (out.last().copied(), out.get(out.len() - 2)) else {
                break;
            };
            let violates = if rising {
                prev.rate() > last.rate()
            } else {
                prev.rate() < last.rate()
            };
            if !violates {
                break;
            }
            out.pop();
            if let Some(prev) = out.last_mut() {
                prev.absorb(last);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_have_support_and_follow_a_trend() {
        // Rate rises with the value, with noise in the middle.
        let values: Vec<(f64, bool)> = (0..1000)
            .map(|i| (f64::from(i), (i * 7919) % 1000 < i))
            .collect();
        let bins = numeric_bins(&values, 50, 8);
        assert!(bins.len() >= 2);
        assert!(bins.iter().all(|b| b.leads >= 50));
        assert!(bins.windows(2).all(|w| w[0].rate() <= w[1].rate()));
        assert_eq!(bins.iter().map(|b| b.leads).sum::<usize>(), 1000);
    }

    #[test]
    fn equal_values_share_a_bin() {
        let values: Vec<(f64, bool)> = (0..300).map(|i| (f64::from(i % 3), i % 2 == 0)).collect();
        let bins = numeric_bins(&values, 10, 10);
        assert_eq!(bins.len(), 3);
        assert!(bins.iter().all(|b| b.leads == 100));
    }
}
