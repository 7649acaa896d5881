//! Personalization decisions, natively: building the visitor context,
//! evaluating segments and deciding every slot over the site config
//! (`tests/data/site-config.json`), then the growth of compile time, memory,
//! scoring and deciding with generated configs of 10 / 100 / 1,000
//! engagement rules and 5 / 50 / 500 segments.
//! `cargo bench --bench decide`; prints `key=value` lines for
//! `scripts/bench.sh`.

mod common;

use common::{live, mib, peak_above, reset_peak, time_per_call, Counting};
use nurture::personalize::{Personalizer, Tables, Visitor};
use nurture::score::{Model, ScoreOptions};
use nurture::ConfigDocument;
use serde_json::{json, Value};

#[global_allocator]
static ALLOC: Counting = Counting;

const NOW: i64 = 1_795_632_120_000; // 2026-11-25T18:42Z, as in the wasm benchmarks

fn profile() -> Value {
    json!({"email": "li.wei@petrochina.com.cn", "title": "VP of Operations", "company": "PetroChina",
        "industry": "Oil & Gas", "companySize": 5000, "country": "CN", "budget": "approved",
        "timeline": "this quarter"})
}

/// The visitor `bench/decide.bench.mjs` decides too: a request from China,
/// a profile and a full score of 20 events.
fn site_visitor(model: &Model) -> Value {
    let p = profile();
    let events = common::heavy_visitor(NOW, 20);
    let scored = model.score(p.as_object(), &events, NOW, &ScoreOptions::default());
    json!({"id": "v-1", "request": {"country": "CN", "asOrganization": "PetroChina"},
        "profile": p, "score": serde_json::to_value(&scored).unwrap_or(Value::Null),
        "page": {"path": "/pricing"}})
}

fn site() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/site-config.json");
    let Ok(text) = std::fs::read_to_string(path) else {
        eprintln!("{path} is missing");
        return;
    };
    let Ok(p) = Personalizer::from_json(&text) else {
        eprintln!("{path}: does not compile");
        return;
    };
    let model = Model::default_model();
    let doc = site_visitor(&model);
    let Ok(visitor) = Visitor::from_value(doc.clone()) else {
        return;
    };
    let tables = Tables::default();
    let compile = time_per_call(200, 11, || {
        std::hint::black_box(Personalizer::from_json(&text).ok());
    });
    let context = time_per_call(2_000, 11, || {
        std::hint::black_box(p.context(&visitor, &tables));
    });
    let decide = time_per_call(2_000, 11, || {
        std::hint::black_box(p.decide(&visitor, &tables));
    });
    // What the wasm call does besides the work: read the visitor document and
    // write the decisions out (here as JSON values).
    let whole = time_per_call(2_000, 11, || {
        let v = Visitor::from_value(doc.clone()).ok();
        if let Some(v) = v {
            std::hint::black_box(serde_json::to_value(p.decide(&v, &tables)).ok());
        }
    });
    println!("native.decide_compile_site_us={:.1}", compile * 1e6);
    println!("native.decide_context_us={:.2}", context * 1e6);
    println!("native.decide_us={:.2}", decide * 1e6);
    println!("native.decide_per_sec={:.0}", 1.0 / decide);
    println!("native.decide_with_values_us={:.2}", whole * 1e6);
}

/// A model with `n` engagement rules: a third on URL patterns, a third on
/// track events, a third on dwell time with a daily cap.
fn scaled_model(n: usize) -> Option<Model> {
    let mut doc: Value = serde_json::from_str(nurture::score::DEFAULT_MODEL_JSON).ok()?;
    let rules: Vec<Value> = (0..n)
        .map(|i| match i % 3 {
            0 => json!({"id": format!("r{i}"), "event": "page", "url": format!("/section-{}/*", i % 50), "points": 1 + i % 7}),
            1 => json!({"id": format!("r{i}"), "event": [format!("Event {}", i % 40), "Download"], "points": 5 + i % 11}),
            _ => json!({"id": format!("r{i}"), "event": "page", "minDwellSeconds": 10 + i % 120, "points": 2,
                    "cap": {"count": 3 + i % 5, "windowDays": 1}}),
        })
        .collect();
    *doc.pointer_mut("/engagement/rules")? = Value::Array(rules);
    Model::from_json(&doc.to_string()).ok()
}

/// A site config with `n` segments (GrowthBook conditions over industry,
/// country, interests, company size and tier) and `n / 5` slots of five
/// variants, each variant for one segment.
fn scaled_site(n: usize) -> Value {
    let industries = [
        "Oil & Gas",
        "Retail",
        "Manufacturing",
        "Energy",
        "Education",
        "Finance",
        "Health",
    ];
    let countries = ["CN", "US", "DE", "SG", "JP", "GB", "FR", "BR"];
    let segments: Vec<Value> = (0..n)
        .map(|i| {
            let when = match i % 4 {
                0 => json!({"industry": {"$ini": [industries[i % industries.len()]]}}),
                1 => json!({"$and": [{"country": {"$in": [countries[i % countries.len()], countries[(i + 3) % countries.len()]]}},
                                      {"tier": {"$in": ["warm", "hot"]}}]}),
                2 => json!({"$or": [{"interests": {"$ini": [format!("topic-{}", i % 30)]}},
                                     {"companySize": {"$gte": 100 * (i % 50)}}]}),
                _ => json!({"company": {"$regex": format!("^Co{}", i % 17)}}),
            };
            json!({"id": format!("s{i}"), "priority": (i * 37) % 101, "when": when})
        })
        .collect();
    let slots: Vec<Value> = (0..(n / 5).max(1))
        .map(|k| {
            let variants: Vec<Value> = (0..5)
                .map(|v| json!({"id": format!("slot{k}-v{v}"), "segment": format!("s{}", (k * 5 + v) % n),
                    "content": format!("Variant {v} of slot {k}")}))
                .collect();
            json!({"id": format!("slot{k}"), "default": {"content": "default"}, "variants": variants})
        })
        .collect();
    json!({"version": format!("scale-{n}"), "segments": segments, "slots": slots})
}

/// 1,000 events that the generated rules match: pages under the generated
/// sections and the generated track events.
fn scaled_events() -> Vec<Value> {
    (0..1000usize)
        .map(|i| {
            let timestamp = NOW - (i as i64 * 90 * 86_400_000) / 1000;
            if i % 4 == 3 {
                json!({"type": "track", "event": format!("Event {}", i % 40), "timestamp": timestamp, "messageId": format!("m{i}")})
            } else {
                json!({"type": "page", "timestamp": timestamp, "messageId": format!("m{i}"),
                    "properties": {"path": format!("/section-{}/page-{}", i % 60, i % 7), "dwellSeconds": (i * 7) % 180,
                        "tags": [format!("topic-{}", i % 30)]}})
            }
        })
        .collect()
}

fn scale() {
    let events = scaled_events();
    let p = profile();
    for (rules, segments) in [(10usize, 5usize), (100, 50), (1000, 500)] {
        let base = live();
        reset_peak();
        let Some(model) = scaled_model(rules) else {
            eprintln!("the generated model with {rules} rules does not compile");
            return;
        };
        let model_bytes = live().saturating_sub(base);
        let model_peak = peak_above(base);
        let compile_model = time_per_call(20, 7, || {
            std::hint::black_box(scaled_model(rules));
        });
        let score = time_per_call(5, 7, || {
            std::hint::black_box(model.score(
                p.as_object(),
                &events,
                NOW,
                &ScoreOptions {
                    breakdown: false,
                    ..ScoreOptions::default()
                },
            ));
        });
        let base = live();
        reset_peak();
        let scored = model.score(
            p.as_object(),
            &events,
            NOW,
            &ScoreOptions {
                breakdown: false,
                ..ScoreOptions::default()
            },
        );
        let score_peak = peak_above(base);

        let site = scaled_site(segments);
        let text = site.to_string();
        let base = live();
        reset_peak();
        let Ok(personalizer) = Personalizer::from_json(&text) else {
            eprintln!("the generated site with {segments} segments does not compile");
            return;
        };
        let site_bytes = live().saturating_sub(base);
        let site_peak = peak_above(base);
        let compile_site = time_per_call(10, 7, || {
            std::hint::black_box(Personalizer::from_json(&text).ok());
        });
        let doc = json!({"id": "v-9", "request": {"country": "SG"}, "profile": {"company": "Co7 Ltd", "industry": "Retail",
            "companySize": 800}, "score": serde_json::to_value(&scored).unwrap_or(Value::Null)});
        let Ok(visitor) = Visitor::from_value(doc) else {
            return;
        };
        let tables = Tables::default();
        let decisions = personalizer.decide(&visitor, &tables);
        let decide = time_per_call(50, 7, || {
            std::hint::black_box(personalizer.decide(&visitor, &tables));
        });
        let base = live();
        reset_peak();
        std::hint::black_box(personalizer.decide(&visitor, &tables));
        let decide_peak = peak_above(base);
        let k = format!("native.scale_r{rules}_s{segments}");
        println!("{k}_model_compile_us={:.0}", compile_model * 1e6);
        println!("{k}_model_kib={:.1}", model_bytes as f64 / 1024.0);
        println!("{k}_model_peak_kib={:.1}", model_peak as f64 / 1024.0);
        println!("{k}_score_ms={:.2}", score * 1e3);
        println!("{k}_score_peak_kib={:.1}", score_peak as f64 / 1024.0);
        println!("{k}_site_compile_us={:.0}", compile_site * 1e6);
        println!("{k}_site_kib={:.1}", site_bytes as f64 / 1024.0);
        println!("{k}_site_peak_mib={:.2}", mib(site_peak));
        println!("{k}_decide_us={:.1}", decide * 1e6);
        println!("{k}_decide_peak_kib={:.1}", decide_peak as f64 / 1024.0);
        println!("{k}_segments_matched={}", decisions.segments.len());
    }
}

fn main() {
    // `cargo test --benches` runs bench binaries too; skip the work there.
    if std::env::args().any(|a| a == "--test" || a == "--list") {
        return;
    }
    let only = std::env::var("NURTURE_BENCH_ONLY").unwrap_or_default();
    if only.is_empty() || only == "site" {
        site();
    }
    if only.is_empty() || only == "scale" {
        scale();
    }
}
