//! The event checks on `Value`s (`score`'s path); the same checks on the
//! batch's text are held to these by tests/typed_events.rs.

use super::*;
use serde_json::json;

const NOW: Millis = 1_795_632_120_000;

#[test]
fn accepts_segment_shapes() {
    let batch = [
        json!({"type":"page","messageId":"a","timestamp":NOW,"properties":{"path":"/pricing","url":"https://x.example/pricing","tags":["Pricing"," Pricing "],"dwellSeconds":42}}),
        json!({"type":"track","event":"Download","timestamp":"2026-11-25T18:00:00Z","context":{"page":{"url":"https://x.example/papers/a.pdf"}}}),
        json!({"event":"Webinar Attended","timestamp":NOW - 1}),
    ];
    let (ok, bad) = parse_events(&batch, NOW, 300_000, EventSource::Server);
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(ok.len(), 3);
    assert_eq!(ok[0].url.as_deref(), Some("/pricing"));
    assert_eq!(ok[0].tags, vec!["pricing"]);
    assert_eq!(ok[0].dwell_seconds, Some(42.0));
    assert_eq!(ok[1].action, "Download");
    assert_eq!(ok[1].url.as_deref(), Some("https://x.example/papers/a.pdf"));
    assert_eq!(ok[2].action_key, "webinar attended");
}

#[test]
fn channel_says_who_reported_the_event() {
    let batch = [
        json!({"type":"page","timestamp":NOW}),
        json!({"type":"page","timestamp":NOW,"channel":null}),
        json!({"type":"page","timestamp":NOW,"channel":"Server"}),
        json!({"type":"page","timestamp":NOW,"channel":"browser"}),
        json!({"type":"page","timestamp":NOW,"channel":"mobile"}),
        json!({"type":"page","timestamp":NOW,"channel":""}),
        json!({"type":"page","timestamp":NOW,"channel":["server"]}),
    ];
    let (ok, bad) = parse_events(&batch, NOW, 300_000, EventSource::Server);
    let from_server: Vec<bool> = ok.iter().map(|e| e.from_server).collect();
    assert_eq!(from_server, [true, true, true, false, false, false]);
    let reasons: Vec<(usize, &str)> = bad.iter().map(|r| (r.index, r.reason.as_str())).collect();
    assert_eq!(reasons, [(6, "channel: expected a string, found an array")]);
    let (ok, _) = parse_events(&batch, NOW, 300_000, EventSource::Browser);
    assert!(ok.iter().all(|e| !e.from_server));
}

#[test]
fn rejects_bad_events_and_keeps_good_ones() {
    let batch = [
        json!("page"),
        json!({"type":"page"}),
        json!({"type":"click","timestamp":NOW}),
        json!({"type":"track","timestamp":NOW}),
        json!({"type":"page","timestamp":"yesterday"}),
        json!({"type":"page","timestamp":NOW + 3_600_000}),
        json!({"type":"page","timestamp":NOW,"properties":{"tags":"pricing"}}),
        json!({"type":"page","timestamp":NOW,"properties":{"dwellSeconds":-5}}),
        json!({"type":"page","timestamp":NOW,"properties":{"path":"x".repeat(5000)}}),
        json!({"type":"page","timestamp":NOW,"messageId":"m1"}),
        json!({"type":"page","timestamp":NOW,"messageId":"m1"}),
    ];
    let (ok, bad) = parse_events(&batch, NOW, 300_000, EventSource::Server);
    assert_eq!(ok.len(), 1);
    assert_eq!(ok[0].index, 9);
    let reasons: Vec<(usize, &str)> = bad.iter().map(|r| (r.index, r.reason.as_str())).collect();
    assert_eq!(
        reasons,
        vec![
            (0, "expected an event object, found a string"),
            (1, "timestamp: missing"),
            (
                2,
                "type: \"click\" is not one of page, track, identify, group, screen"
            ),
            (3, "event: a track event needs an event name"),
            (
                4,
                "timestamp: expected an ISO 8601 date-time such as 2026-11-25T09:30:00Z"
            ),
            (5, "timestamp: 3600 seconds in the future"),
            (
                6,
                "properties.tags: expected an array of strings, found a string"
            ),
            (7, "properties.dwellSeconds: expected a number ≥ 0"),
            (8, "properties.path: longer than 4096 characters"),
            (10, "duplicate: same messageId as event 9"),
        ]
    );
}

#[test]
fn seconds_are_refused_with_the_reason() {
    // 2025-12-02T00:00:00Z in seconds, and the same instant in ms.
    let batch = [
        json!({"type":"page","timestamp":1_764_633_600}),
        json!({"type":"page","timestamp":1_764_633_600.5}),
        json!({"type":"page","timestamp":0}),
        json!({"type":"page","timestamp":1_764_633_600_000_i64}),
        json!({"type":"page","timestamp":"1970-01-02T00:00:00Z"}),
        // The line itself: 1e11 ms is 1973-03-03, and taken.
        json!({"type":"page","timestamp":100_000_000_000_i64}),
        json!({"type":"page","timestamp":99_999_999_999_i64}),
    ];
    let (ok, bad) = parse_events(&batch, NOW, 300_000, EventSource::Server);
    let taken: Vec<usize> = ok.iter().map(|e| e.index).collect();
    assert_eq!(taken, [3, 4, 5]);
    let reasons: Vec<(usize, &str)> = bad.iter().map(|r| (r.index, r.reason.as_str())).collect();
    let says = |n: &str| {
        format!("timestamp: {n} looks like seconds since 1970; nurture expects milliseconds (Date.now()), an ISO 8601 string or a Date")
    };
    assert_eq!(
        reasons,
        [
            (0, says("1764633600").as_str()),
            (1, says("1764633600.5").as_str()),
            (2, says("0").as_str()),
            (6, says("99999999999").as_str()),
        ]
    );
    assert_eq!(ok[0].timestamp, 1_764_633_600_000);
}

#[test]
fn dwell_seconds_as_text_read_like_fit_numbers() {
    let page =
        |dwell: Value| json!({"type":"page","timestamp":NOW,"properties":{"dwellSeconds":dwell}});
    let batch = [
        page(json!("90")),
        page(json!(" 1,200 ")),
        page(json!("90 seconds")),
        page(json!("-5")),
        page(json!("")),
    ];
    let (ok, bad) = parse_events(&batch, NOW, 300_000, EventSource::Server);
    let dwell: Vec<Option<f64>> = ok.iter().map(|e| e.dwell_seconds).collect();
    assert_eq!(dwell, [Some(90.0), Some(1200.0)]);
    let reasons: Vec<(usize, &str)> = bad.iter().map(|r| (r.index, r.reason.as_str())).collect();
    assert_eq!(
        reasons,
        [
            (
                2,
                "properties.dwellSeconds: expected a number ≥ 0, found the string \"90 seconds\""
            ),
            (
                3,
                "properties.dwellSeconds: expected a number ≥ 0, found the string \"-5\""
            ),
            (
                4,
                "properties.dwellSeconds: expected a number ≥ 0, found the string \"\""
            ),
        ]
    );
}
