use super::*;
use serde_json::json;

fn matrix(v: Value) -> ContentMatrix {
    let c: ContentMatrixConfig = serde_json::from_value(v).unwrap();
    ContentMatrix::compile(
        c,
        "content",
        &mut crate::diagnostics::Diagnostics::default(),
    )
}

#[test]
fn persona_stage_interest_and_seen() {
    let m = matrix(json!({"limit": 5, "items": [
        {"id": "og-case", "type": "case-study", "topic": "oil-gas", "stage": "consideration",
         "persona": {"industry": "Oil & Gas", "companySize": ["1000+"]}},
        {"id": "retail-case", "type": "case-study", "topic": "retail", "stage": "consideration",
         "persona": {"industry": "Retail"}},
        {"id": "og-report", "type": "report", "topic": "oil-gas", "stage": "awareness"},
        {"id": "demo", "type": "demo", "stage": "decision"},
        {"id": "seen-one", "type": "blog"}
    ]}));
    let ctx = json!({"industry": "oil-gas", "companySize": 5000, "stage": "consideration",
        "tier": "warm", "interestShares": {"Oil & Gas": 0.75, "iot": 0.25}, "seen": ["seen-one"]});
    let recs = m.recommend(&ctx);
    let ids: Vec<&str> = recs.iter().map(|r| r.id.as_str()).collect();
    // Retail case is for another industry; the seen blog is skipped.
    assert_eq!(ids, ["og-case", "og-report", "demo"]);
    let top = &recs[0];
    let factors: Vec<&str> = top.reasons.iter().map(|r| r.factor).collect();
    assert_eq!(
        factors,
        ["industry", "companySize", "stage", "interest", "tier"]
    );
    assert_eq!(top.score, round4(0.82 + 0.49 + 1.0 + 0.75 + 0.3));
    // The decision-stage demo is the next stage.
    assert_eq!(recs[2].reasons[0].points, 0.5);
}

#[test]
fn unknown_persona_is_general() {
    let m = matrix(json!({"items": [
        {"id": "a", "type": "white-paper", "persona": {"role": "engineering"}},
        {"id": "b", "type": "white-paper", "persona": {"role": "finance"}}
    ]}));
    assert_eq!(m.recommend(&json!({})).len(), 2);
    let recs = m.recommend(&json!({"profile": {"title": "Head of Engineering"}}));
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].reasons[0].value, "engineering");
}
