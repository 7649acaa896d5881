//! A synthetic population of leads with KNOWN effects, for the calibration
//! tests (tests/calibrate.rs) and the accuracy benchmark
//! (`cargo run --release --example synthetic-leads`, bench/calibrate/).
//!
//! The log-odds of converting is a sum of planted effects:
//!
//! | part | effect on the log-odds |
//! |---|---|
//! | base | −2.4 |
//! | industry | energy +1.0, retail +0.5, software 0, education −0.9; the rare value aerospace (0.3% of leads) +2.0 |
//! | title | VP … +0.9, Manager +0.35, Analyst 0, Student −1.1 |
//! | companySize | +0.5 per tenfold above 100 employees (capped at ±1); missing (15%) −0.3 |
//! | country | none (noise) |
//! | page views in the last 30 days | nonlinear: 0–4 → 0, 5–19 → +1.2, 20+ → +0.5 |
//! | each `/pricing` view | +0.45 × 0.5^(age / 14 days), at most 3 counted |
//! | a `/careers` view | −0.8 |
//! | `Demo Requested` | +1.6 × 0.5^(age / 14 days) |
//! | `Webinar Attended` | +0.6 |
//! | `Email Opened` | none (noise) |
//!
//! After the outcome is drawn, a LEAKED field `salesStage` ("opportunity")
//! is set on 80% of converted leads and 1% of the others, as a CRM status
//! set after contact would be.

use serde_json::{json, Value};

/// 2026-11-01T00:00:00Z: the `now` of every lead.
pub const NOW: i64 = 1_793_491_200_000;
const DAY: i64 = 86_400_000;

/// xorshift64*: deterministic for a seed, no dependency.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    fn pick<'a, T>(&mut self, items: &'a [(T, f64)]) -> &'a T {
        let total: f64 = items.iter().map(|(_, w)| w).sum();
        let mut x = self.unit() * total;
        for (item, w) in items {
            if x < *w {
                return item;
            }
            x -= w;
        }
        &items[items.len() - 1].0
    }
}

pub const INDUSTRIES: [(&str, f64, f64); 5] = [
    // (value, share, effect)
    ("Energy", 0.22, 1.0),
    ("Retail", 0.25, 0.5),
    ("Software", 0.30, 0.0),
    ("Education", 0.227, -0.9),
    ("Aerospace", 0.003, 2.0),
];
pub const TITLES: [(&str, f64, f64); 4] = [
    ("VP Operations", 0.15, 0.9),
    ("Marketing Manager", 0.30, 0.35),
    ("Analyst", 0.40, 0.0),
    ("Student", 0.15, -1.1),
];

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// One lead and its true log-odds.
pub fn lead(rng: &mut Rng, index: usize) -> (Value, f64) {
    let mut z = -2.4;
    let industries: Vec<((&str, f64), f64)> =
        INDUSTRIES.iter().map(|&(v, s, e)| ((v, e), s)).collect();
    let &(industry, e) = rng.pick(&industries);
    z += e;
    let titles: Vec<((&str, f64), f64)> = TITLES.iter().map(|&(v, s, e)| ((v, e), s)).collect();
    let &(title, e) = rng.pick(&titles);
    z += e;
    let country = ["US", "DE", "CN", "GB", "JP"][rng.below(5) as usize];
    let mut profile = json!({
        "email": format!("lead{index}@example{}.com", rng.below(5000)),
        "industry": industry,
        "title": title,
        "country": country,
    });
    if rng.unit() < 0.15 {
        z -= 0.3;
    } else {
        // Log-uniform from 5 to 50,000 employees.
        let size = (10f64.powf(0.7 + rng.unit() * 4.0)).round();
        z += (0.5 * (size / 100.0).log10()).clamp(-1.0, 1.0);
        profile["companySize"] = json!(size);
    }

    let mut events = Vec::new();
    // Page views: a heavy-tailed count over the last 60 days.
    let activity = rng.unit();
    let views = if activity < 0.35 {
        rng.below(5)
    } else if activity < 0.8 {
        5 + rng.below(15)
    } else {
        20 + rng.below(40)
    };
    let mut recent_views = 0;
    let mut pricing_counted = 0;
    let mut careers = false;
    for _ in 0..views {
        let age_days = rng.unit() * 60.0;
        let t = NOW - (age_days * DAY as f64) as i64;
        let page = [
            "/blog/post",
            "/docs/start",
            "/pricing",
            "/careers",
            "/",
            "/blog/news",
        ][rng
            .pick(&[
                (0usize, 0.3),
                (1, 0.2),
                (2, 0.15),
                (3, 0.05),
                (4, 0.2),
                (5, 0.1),
            ])
            .to_owned()];
        if age_days < 30.0 {
            recent_views += 1;
        }
        if page == "/pricing" && pricing_counted < 3 {
            pricing_counted += 1;
            z += 0.45 * 0.5f64.powf(age_days / 14.0);
        }
        if page == "/careers" {
            careers = true;
        }
        events.push(json!({"type": "page", "timestamp": t,
            "properties": {"path": page, "dwellSeconds": (rng.unit() * 240.0).round()}}));
    }
    z += match recent_views {
        0..=4 => 0.0,
        5..=19 => 1.2,
        _ => 0.5,
    };
    if careers {
        z -= 0.8;
    }
    if rng.unit() < 0.12 {
        let age_days = rng.unit() * 60.0;
        z += 1.6 * 0.5f64.powf(age_days / 14.0);
        events.push(json!({"type": "track", "event": "Demo Requested",
            "timestamp": NOW - (age_days * DAY as f64) as i64}));
    }
    if rng.unit() < 0.15 {
        z += 0.6;
        events.push(json!({"type": "track", "event": "Webinar Attended",
            "timestamp": NOW - (rng.unit() * 60.0 * DAY as f64) as i64}));
    }
    for _ in 0..rng.below(6) {
        events.push(json!({"type": "track", "event": "Email Opened",
            "timestamp": NOW - (rng.unit() * 60.0 * DAY as f64) as i64}));
    }
    let converted = rng.unit() < sigmoid(z);
    if (converted && rng.unit() < 0.8) || (!converted && rng.unit() < 0.01) {
        profile["salesStage"] = json!("opportunity");
    }
    (
        json!({"profile": profile, "events": events, "converted": converted, "now": NOW}),
        z,
    )
}

/// `n` leads from `seed`, with their true log-odds.
pub fn population(n: usize, seed: u64) -> (Vec<Value>, Vec<f64>) {
    let mut rng = Rng::new(seed);
    (0..n).map(|i| lead(&mut rng, i)).unzip()
}

/// Adds `Email Opened` events (no effect) until `lead` has `events` events:
/// the speed benchmark's 30 events a lead.
pub fn pad(lead: &mut Value, events: usize, rng: &mut Rng) {
    if let Some(list) = lead["events"].as_array_mut() {
        while list.len() < events {
            list.push(json!({"type": "track", "event": "Email Opened",
                "timestamp": NOW - (rng.unit() * 60.0 * DAY as f64) as i64}));
        }
    }
}
