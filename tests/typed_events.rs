//! The typed event path (`parse_events_text`: JSON text straight into
//! events) against the checks on `Value`s as they were before it
//! (tests/support/event_reference.rs, kept verbatim) and as they are now
//! (`parse_events`, which `score` uses): over generated batches of valid,
//! invalid and edge-case events, written as text so that repeated members,
//! escapes, wrong kinds and text that is not JSON all occur, the three give
//! the same accepted events, the same rejections with the same reasons,
//! and fail on the same text with the same message.
#![cfg(not(target_arch = "wasm32"))]

#[path = "support/event_reference.rs"]
mod event_reference;

use nurture::score::event::{parse_events, EventSource};
use nurture::score::event_text::{parse_events_text, BatchError};
use proptest::prelude::*;
use serde_json::Value;

const NOW: i64 = 1_795_632_120_000;
const SKEW: i64 = 300_000;

/// A JSON string literal, its first character written as a `\u` escape
/// when `escape` (the typed path then owns the text instead of borrowing).
fn string(text: &str, escape: bool) -> String {
    let literal = serde_json::to_string(text).unwrap_or_default();
    match text.chars().next() {
        Some(c) if escape && c.is_ascii() && c != '"' && c != '\\' => {
            format!("\"\\u{:04x}{}", c as u32, &literal[2..])
        }
        _ => literal,
    }
}

const WORDS: &[&str] = &[
    "page",
    "Page",
    "TRACK",
    "track",
    "identify",
    "group",
    "screen",
    "click",
    "",
    "   ",
    "Download",
    " Demo Requested ",
    "Webinar Attended",
    "/pricing",
    " /blog/post ",
    "https://x.example/papers/a.pdf",
    "2026-11-25T18:00:00Z",
    "2026-11-25 18:00",
    "2026-13-01",
    "yesterday",
    "90",
    " 1,200 ",
    "-5",
    "90 seconds",
    "server",
    "Server",
    "browser",
    "m1",
    "m2",
    "Oil & Gas",
    "oil & gas ",
    "Énergie",
    "ÖL",
    "a\"b\\c",
    "tab\there",
];

const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "42",
    "-5",
    "1.5",
    "1E2",
    "1764633600",
    "1764633600.5",
    "99999999999",
    "100000000000",
    "1e11",
    "1795632120000",
    "1795632119999.6",
    "1795632420000",
    "1795632420001",
    "1795635720000",
    "1.79563212e12",
    "18446744073709551616",
    "-9223372036854775809",
    "1e300",
    "3.3e15",
    "-1795632120000",
];

fn leaf() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => (prop::sample::select(WORDS), any::<bool>()).prop_map(|(w, e)| string(w, e)),
        2 => prop::sample::select(NUMBERS).prop_map(str::to_string),
        1 => prop::sample::select(&["null", "true", "false", "{}", "[]", "{\"a\":[1,{\"b\":null}]}"][..])
            .prop_map(str::to_string),
        // Over the limits: names (200), tags (100), URLs (4,096).
        1 => prop::sample::select(&[101usize, 200, 201, 4_096, 4_097][..])
            .prop_map(|n| string(&"x".repeat(n), false)),
    ]
}

/// A list of leaves: tags, up to over the 50 allowed.
fn list() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::collection::vec(leaf(), 0..6),
        1 => prop::collection::vec(leaf(), 48..53),
    ]
    .prop_map(|items| format!("[{}]", items.join(",")))
}

/// An object of the given members with values from `value`, members
/// possibly repeated, in any order.
fn object(
    keys: &'static [&'static str],
    value: impl Strategy<Value = String> + Clone,
    size: std::ops::Range<usize>,
) -> impl Strategy<Value = String> {
    prop::collection::vec((prop::sample::select(keys), value), size).prop_map(|members| {
        let members: Vec<String> = members
            .into_iter()
            .map(|(k, v)| format!("{}:{v}", string(k, false)))
            .collect();
        format!("{{{}}}", members.join(","))
    })
}

fn member_value() -> impl Strategy<Value = String> + Clone {
    prop_oneof![4 => leaf(), 1 => list()].boxed()
}

fn properties() -> impl Strategy<Value = String> {
    prop_oneof![
        5 => object(&["path", "url", "tags", "dwellSeconds", "other", "tags"], member_value(), 0..5),
        1 => leaf(),
    ]
}

fn context() -> impl Strategy<Value = String> {
    let page = prop_oneof![
        4 => object(&["path", "url", "title"], member_value(), 0..3),
        1 => leaf(),
    ];
    prop_oneof![
        4 => prop::collection::vec(page, 0..2).prop_map(|pages| {
            let members: Vec<String> = pages.into_iter().map(|p| format!("\"page\":{p}")).collect();
            format!("{{\"ip\":\"1.2.3.4\",{}}}", members.join(","))
                .replace(",}", "}")
        }),
        1 => leaf(),
    ]
}

/// One event: mostly an object of the members scoring reads (some missing,
/// some repeated, any kind), sometimes something else.
fn event() -> impl Strategy<Value = String> {
    let usual = (
        prop::sample::select(&["page", "track", "identify", "group", "screen", "Track"][..]),
        prop::sample::select(
            &[
                "1795632120000",
                "\"2026-11-25T18:00:00Z\"",
                "1795632000000.4",
                "\"2026-11-20\"",
            ][..],
        ),
    );
    let members = prop::collection::vec(
        prop_oneof![
            3 => (
                prop::sample::select(&[
                    "messageId", "id", "type", "event", "timestamp", "channel", "anonymousId",
                ][..]),
                member_value(),
            )
                .prop_map(|(k, v)| format!("\"{k}\":{v}")),
            2 => properties().prop_map(|p| format!("\"properties\":{p}")),
            1 => context().prop_map(|c| format!("\"context\":{c}")),
        ],
        0..5,
    );
    prop_oneof![
        8 => (usual, members, any::<bool>()).prop_map(|((kind, ts), members, valid_first)| {
            // Most events start valid, so the members after decide.
            let mut all = Vec::new();
            if valid_first {
                all.push(format!("\"type\":\"{kind}\",\"event\":\"Download\",\"timestamp\":{ts}"));
            }
            all.extend(members);
            format!("{{{}}}", all.join(","))
        }),
        1 => leaf(),
    ]
}

fn batch() -> impl Strategy<Value = String> {
    prop_oneof![
        20 => prop::collection::vec(event(), 0..8).prop_map(|events| format!("[{}]", events.join(","))),
        1 => leaf(),
        // Not JSON: cut short, a lone surrogate, a number out of range.
        1 => prop::collection::vec(event(), 1..4).prop_map(|events| {
            let text = format!("[{}]", events.join(","));
            // Cut on a character boundary: the words include "Énergie".
            let cut = (0..=text.len() / 2).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
            text[..cut].to_string()
        }),
        1 => Just("[{\"type\":\"page\",\"timestamp\":1795632120000,\"x\":\"\\ud800\"}]".to_string()),
        1 => Just("[{\"type\":\"page\",\"timestamp\":1795632120000,\"x\":1e400}]".to_string()),
    ]
}

fn source() -> impl Strategy<Value = EventSource> {
    prop_oneof![Just(EventSource::Server), Just(EventSource::Browser)]
}

fn agree(text: &str, source: EventSource) -> Result<(), TestCaseError> {
    let typed = parse_events_text(text, NOW, SKEW, source);
    let values = match serde_json::from_str::<Value>(text) {
        Err(e) => {
            match typed {
                Err(BatchError::Json(t)) => prop_assert_eq!(t.to_string(), e.to_string()),
                other => prop_assert!(false, "Value refused {text}: {e}; typed: {other:?}"),
            }
            return Ok(());
        }
        Ok(Value::Null) => Vec::new(),
        Ok(Value::Array(values)) => values,
        Ok(_) => {
            prop_assert!(
                matches!(typed, Err(BatchError::NotAnArray)),
                "{text}: {typed:?}"
            );
            return Ok(());
        }
    };
    let reference = event_reference::parse_events(&values, NOW, SKEW, source);
    let now = parse_events(&values, NOW, SKEW, source);
    prop_assert_eq!(&now, &reference, "Value path, {}", text);
    match typed {
        Ok(typed) => prop_assert_eq!(typed, reference, "typed path, {}", text),
        Err(e) => prop_assert!(false, "typed refused {text}: {e}"),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn typed_path_equals_the_value_path(text in batch(), source in source()) {
        agree(&text, source)?;
    }
}

/// Cases worth naming, each once.
#[test]
fn edge_cases_agree() {
    let cases = [
        "[]",
        "null",
        "{\"batch\":[]}",
        "\"page\"",
        "[1, \"page\", null, [], {}]",
        // Repeated members: the last is the one read, as in a Value.
        r#"[{"type":"click","type":"page","timestamp":1795632120000}]"#,
        r#"[{"type":"page","timestamp":1795632120000,"properties":{"path":"/a"},"properties":5}]"#,
        r#"[{"type":"page","timestamp":1795632120000,"context":{"page":{"path":"/a"},"page":[]}}]"#,
        r#"[{"type":"page","timestamp":1795632120000,"properties":{"tags":["A"],"tags":"b"}}]"#,
        // messageId present but null hides `id`; a number id.
        r#"[{"type":"page","timestamp":1795632120000,"messageId":null,"id":"x"},{"type":"page","timestamp":1795632120000,"id":"x"}]"#,
        r#"[{"type":"page","timestamp":1795632120000,"id":7},{"type":"page","timestamp":1795632120000,"messageId":7.0},{"type":"page","timestamp":1795632120000,"messageId":7}]"#,
        // Escapes in every text that is kept, and in member names.
        r#"[{"\u0074ype":"\u0074rack","event":" \u0044ownload ","timestamp":"2026-11-25T18:00:00Z","properties":{"tags":[" \u004fil & Gas","oil & gas"],"url":" \/x "}}]"#,
        // An event that is rejected keeps its id in the rejection.
        r#"[{"type":"page","messageId":"k\u0031","timestamp":"soon"},{"type":"page","messageId":["k"],"timestamp":"soon"}]"#,
        // Nested beyond serde_json's limit of 128, inside a member no check reads.
        &format!(
            "[{{\"type\":\"page\",\"timestamp\":1795632120000,\"x\":{}{}}}]",
            "[".repeat(130),
            "]".repeat(130)
        ),
        &format!(
            "[{{\"type\":\"page\",\"timestamp\":1795632120000,\"x\":{}{}}}]",
            "[".repeat(120),
            "]".repeat(120)
        ),
        "[{\"type\":\"page\",\"timestamp\":1795632120000}] x",
    ];
    for text in cases {
        for source in [EventSource::Server, EventSource::Browser] {
            if let Err(e) = agree(text, source) {
                panic!("{text}: {e}");
            }
        }
    }
}

/// The typed path borrows what it keeps from the text when there is
/// nothing to unescape or lower-case.
#[test]
fn kept_text_is_borrowed_from_the_batch() {
    use std::borrow::Cow;
    let text = r#"[{"type":"track","event":"download","messageId":"m1","timestamp":1795632120000,"properties":{"path":"/pricing","tags":["energy"]}}]"#;
    let (events, rejected) =
        parse_events_text(text, NOW, SKEW, EventSource::Server).unwrap_or_default();
    assert!(rejected.is_empty());
    let event = &events[0];
    for kept in [
        &event.action,
        &event.action_key,
        event.url.as_ref().unwrap_or(&Cow::Borrowed("")),
        &event.tags[0],
    ] {
        assert!(matches!(kept, Cow::Borrowed(_)), "{kept:?} was copied");
    }
    assert!(matches!(event.id, Some(Cow::Borrowed("m1"))));
}
