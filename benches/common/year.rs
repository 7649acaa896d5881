//! A long-lived visitor: 10,000 events over a year (page views, some read,
//! some on pricing; downloads; now and then a webinar or an offline event;
//! e-mail), in time order with unique ids. The incremental-state test and
//! benchmark both use it.

use serde_json::{json, Value};

pub const DAY: i64 = 86_400_000;

/// `count` events spread over the year before `end`.
pub fn year_of_events(end: i64, count: i64) -> Vec<Value> {
    let start = end - 365 * DAY;
    let paths = [
        "/",
        "/pricing",
        "/case-studies/oil-gas",
        "/blog/edge-scoring",
    ];
    (0..count)
        .map(|i| {
            // Jitter of up to an hour, so a batch is not in time order.
            let t = start + i * (365 * DAY / count) + (i * 7919) % 3_600_000;
            let mut e = match i % 50 {
                0 => json!({"type": "track", "event": "Download", "properties": {"tags": ["oil-gas"]}}),
                1 if i % 1000 == 1 => {
                    json!({"type": "track", "event": "Event Attended", "channel": "server"})
                }
                2 if i % 400 == 2 => {
                    json!({"type": "track", "event": "Webinar Attended", "channel": "server"})
                }
                3 | 4 => json!({"type": "track", "event": "Email Opened", "channel": "server"}),
                _ => {
                    let path = paths[(i % 4) as usize];
                    json!({"type": "page", "properties": {"path": path, "dwellSeconds": (i * 13) % 120}})
                }
            };
            e["timestamp"] = json!(t);
            e["messageId"] = json!(format!("{:08x}-5c1e-4f0a-9d1b-{:012x}", i, i * 7919));
            e
        })
        .collect()
}
