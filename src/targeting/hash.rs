//! Deterministic hashing and bucketing, as in GrowthBook's `util.ts`.
//!
//! Every float operation is done in the same order and precision as the JS
//! source (all JS numbers are `f64`), so results are bit-identical:
//! - `hashFnv32a` walks UTF-16 code units (`charCodeAt`), not bytes; its
//!   shift-and-add step is multiplication by the FNV prime modulo 2^32.
//! - version 2 hashes the *decimal string* of the first hash again.
//! - bucket ranges are built by the same running sum (`cumulative += w`) with
//!   no rounding; callers that compare to 8 decimals (as GrowthBook's own test
//!   suite does) should round themselves.

/// Largest variation count accepted by [`get_equal_weights`] /
/// [`get_bucket_ranges`]. JS would try to allocate whatever it is given (and
/// throw a `RangeError` past 2^32 - 1); here a hostile count must not abort the
/// wasm instance through an allocation failure, so larger counts yield no
/// weights (and hence no ranges).
pub const MAX_VARIATIONS: i64 = 100_000;

/// 32-bit FNV-1a over the UTF-16 code units of `s` (GrowthBook's `hashFnv32a`).
pub fn fnv1a32(s: &str) -> u32 {
    fnv1a32_units(s.encode_utf16())
}

fn fnv1a32_units(units: impl Iterator<Item = u16>) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for u in units {
        h ^= u32::from(u);
        // hval += (hval<<1) + (hval<<4) + (hval<<7) + (hval<<8) + (hval<<24)
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// GrowthBook's `hash(seed, value, version)`: a number in `[0, 1)`.
///
/// - version 1 (legacy, biased): `(fnv(value + seed) % 1000) / 1000`
/// - version 2: `(fnv(String(fnv(seed + value))) % 10000) / 10000`
/// - any other version: `None`
pub fn hash(seed: &str, value: &str, version: u32) -> Option<f64> {
    match version {
        2 => {
            let inner = fnv1a32_units(seed.encode_utf16().chain(value.encode_utf16()));
            let outer = fnv1a32(&crate::text::uint_text(u64::from(inner)));
            Some(f64::from(outer % 10_000) / 10_000.0)
        }
        1 => {
            let h = fnv1a32_units(value.encode_utf16().chain(seed.encode_utf16()));
            Some(f64::from(h % 1_000) / 1_000.0)
        }
        _ => None,
    }
}

/// `getEqualWeights(n)`: `n` copies of `1 / n`; empty for `n <= 0` (and for
/// `n > MAX_VARIATIONS`, see there).
pub fn get_equal_weights(n: i64) -> Vec<f64> {
    if n <= 0 || n > MAX_VARIATIONS {
        return Vec::new();
    }
    let w = 1.0 / n as f64;
    vec![w; n as usize]
}

/// `inRange(n, range)`: `start <= n < end`.
pub fn in_range(n: f64, range: (f64, f64)) -> bool {
    n >= range.0 && n < range.1
}

/// `getBucketRanges(numVariations, coverage, weights)`.
///
/// Coverage is clamped to `[0, 1]` (a NaN coverage stays NaN, as in JS).
/// Weights are replaced by equal weights when missing, of the wrong length, or
/// when they do not sum to within `[0.99, 1.01]`. Variation `i` gets
/// `[start_i, start_i + coverage * w_i)` where `start_i` is the running sum of
/// the previous weights.
pub fn get_bucket_ranges(
    num_variations: i64,
    coverage: f64,
    weights: Option<&[f64]>,
) -> Vec<(f64, f64)> {
    // Like the JS if/else chain, `clamp` leaves NaN as NaN.
    let coverage = coverage.clamp(0.0, 1.0);
    let equal = get_equal_weights(num_variations);
    let mut w: &[f64] = weights.unwrap_or(&equal);
    if i64::try_from(w.len()).ok() != Some(num_variations) {
        w = &equal;
    }
    // weights.reduce((w, sum) => sum + w, 0): accumulator on the right.
    let total = w.iter().fold(0.0f64, |acc, x| x + acc);
    // Not `!(0.99..=1.01).contains(&total)`: a NaN total must pass, as in JS.
    #[allow(clippy::manual_range_contains)]
    if total < 0.99 || total > 1.01 {
        w = &equal;
    }
    let mut cumulative = 0.0f64;
    w.iter()
        .map(|&x| {
            let start = cumulative;
            cumulative += x;
            (start, start + coverage * x)
        })
        .collect()
}

/// `chooseVariation(n, ranges)`: index of the first range containing `n`,
/// `-1` when none does.
pub fn choose_variation(n: f64, ranges: &[(f64, f64)]) -> i32 {
    ranges
        .iter()
        .position(|r| in_range(n, *r))
        .and_then(|i| i32::try_from(i).ok())
        .unwrap_or(-1)
}

/// `inNamespace(hashValue, [namespace, lo, hi])`: the version-1 hash of the id
/// with seed `"__" + namespace` falls in `[lo, hi)`.
pub fn in_namespace(hash_value: &str, namespace: (&str, f64, f64)) -> bool {
    let seed = ["__", namespace.0].concat();
    match hash(&seed, hash_value, 1) {
        Some(n) => n >= namespace.1 && n < namespace.2,
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_known_values() {
        // Standard FNV-1a 32 test vectors (ASCII, so UTF-16 units = bytes).
        assert_eq!(fnv1a32(""), 0x811c_9dc5);
        assert_eq!(fnv1a32("a"), 0xe40c_292c);
        assert_eq!(fnv1a32("foobar"), 0xbf9c_f968);
    }

    #[test]
    fn fnv_uses_utf16_code_units() {
        // "é" is one UTF-16 unit (0xE9), not the two UTF-8 bytes.
        let mut h: u32 = 0x811c_9dc5;
        h ^= 0xE9;
        h = h.wrapping_mul(16_777_619);
        assert_eq!(fnv1a32("é"), h);
        // An astral char is two surrogate units.
        let mut h: u32 = 0x811c_9dc5;
        for u in [0xD83Du32, 0xDE00] {
            h ^= u;
            h = h.wrapping_mul(16_777_619);
        }
        assert_eq!(fnv1a32("\u{1F600}"), h);
    }

    #[test]
    fn hash_range_and_versions() {
        for v in ["", "a", "user-123", "\u{1F600}"] {
            for ver in [1, 2] {
                let h = hash("seed", v, ver).unwrap_or(-1.0);
                assert!((0.0..1.0).contains(&h));
            }
        }
        assert_eq!(hash("a", "b", 0), None);
        assert_eq!(hash("a", "b", 3), None);
    }

    #[test]
    fn bucket_edge_cases() {
        assert!(get_bucket_ranges(0, 1.0, None).is_empty());
        assert!(get_bucket_ranges(-3, 1.0, Some(&[])).is_empty());
        let r = get_bucket_ranges(2, f64::NAN, None);
        assert_eq!(r.len(), 2);
        assert!(r.iter().all(|(_, e)| e.is_nan()));
        // NaN weights sum to NaN, which passes the [0.99, 1.01] check in JS.
        let r = get_bucket_ranges(1, 1.0, Some(&[f64::NAN]));
        assert!(r.first().is_some_and(|(s, e)| *s == 0.0 && e.is_nan()));
        assert!(get_equal_weights(MAX_VARIATIONS + 1).is_empty());
        assert_eq!(
            get_equal_weights(MAX_VARIATIONS).len(),
            MAX_VARIATIONS as usize
        );
        assert_eq!(choose_variation(1.0, &[(0.0, 1.0)]), -1);
        assert_eq!(choose_variation(f64::NAN, &[(0.0, 1.0)]), -1);
        assert!(!in_range(0.5, (0.5, 0.5)));
    }
}
