use super::*;
use crate::diagnostics::ConfigDocument;
use crate::score::{Model, ScoreOptions};
use serde_json::json;

#[test]
fn a_cap_picks_among_simultaneous_events_by_content_not_batch_position() {
    // Found by tests/properties.rs: with the batch position as the tie
    // break, the pricing view counted or not depending on the order.
    let model = Model::from_value(json!({"engagement": {
        "touchpoints": [{"id": "pricing", "url": "/pricing", "weight": 3}],
        "rules": [{"id": "view", "event": "page", "points": 10, "cap": {"count": 1}}],
    }}))
    .unwrap();
    let t = 1_795_632_120_000i64;
    let pricing = json!({"type": "page", "timestamp": t, "properties": {"path": "/pricing"}});
    let blog = json!({"type": "page", "timestamp": t, "properties": {"path": "/blog"}});
    let options = ScoreOptions {
        breakdown: false,
        ..ScoreOptions::default()
    };
    let a = model.score(None, &[pricing.clone(), blog.clone()], t, &options);
    let b = model.score(None, &[blog, pricing], t, &options);
    assert_eq!(a.engagement.score, b.engagement.score);
    assert_eq!(a.engagement.rules, b.engagement.rules);
}

#[test]
fn decay_halves_every_half_life_and_never_grows() {
    assert_eq!(decay_factor(0.0, Some(30.0)), 1.0);
    assert_eq!(decay_factor(30.0, Some(30.0)), 0.5);
    assert_eq!(decay_factor(60.0, Some(30.0)), 0.25);
    assert_eq!(decay_factor(90.0, Some(30.0)), 0.125);
    assert_eq!(decay_factor(-5.0, Some(30.0)), 1.0);
    assert_eq!(decay_factor(1_000.0, None), 1.0);
    let mut previous = 1.0;
    for day in 0..400 {
        let d = decay_factor(f64::from(day) * 0.5, Some(7.0));
        assert!(d <= previous && d > 0.0);
        previous = d;
    }
}
