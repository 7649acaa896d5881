//! `calibrate_with_progress`: one call per step (the features of each
//! half-life, each fold of each setting tried, the final fit), counting up
//! to a total known from the start, and the same model as `calibrate`.
#![cfg(feature = "calibrate")]

#[path = "support/synthetic.rs"]
#[allow(dead_code)]
mod synthetic;

use nurture::calibrate::{
    calibrate, calibrate_with_progress, leads_from_values, CalibrateOptions, Progress,
};

#[test]
fn progress_counts_every_step_up_to_its_total() {
    let leads = leads_from_values(&synthetic::population(400, 3).0, 10_000).unwrap();
    let options = CalibrateOptions {
        folds: 3,
        half_lives: vec![Some(14.0), None],
        l2: vec![1.0, 4.0],
        ..CalibrateOptions::default()
    };
    let mut seen: Vec<Progress> = Vec::new();
    let with = calibrate_with_progress(&leads, &options, &mut |p| seen.push(p)).unwrap();
    // 2 half-lives × (features + 3 folds) + 1 other L2 × 3 folds + the final fit.
    let total = 2 * (1 + 3) + 3 + 1;
    let done: Vec<usize> = seen.iter().map(|p| p.done).collect();
    assert_eq!(done, (1..=total).collect::<Vec<_>>());
    assert!(seen.iter().all(|p| p.total == total));
    let stages: Vec<&str> = seen.iter().map(|p| p.stage).collect();
    assert_eq!(stages[0], "features");
    assert_eq!(
        stages.iter().filter(|s| **s == "cross-validation").count(),
        9
    );
    assert_eq!(stages.last(), Some(&"final fit"));
    assert_eq!(with.model, calibrate(&leads, &options).unwrap().model);
}
