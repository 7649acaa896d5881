//! The fuzz harnesses: one function per outside input, each feeding the bytes
//! to the same entry points the wasm API and the edge worker call, then
//! checking invariants beyond "does not panic".
//!
//! Shared by the cargo-fuzz targets (`fuzz/fuzz_targets/*.rs`, nightly) and
//! the stable replay test (`tests/fuzz_regressions.rs`), which runs every
//! corpus file and every saved crash through these same functions.
//!
//! Inputs with several parts (a config and what is checked against it) split
//! the bytes at NUL: `config \0 input \0 more`. A part that is not valid UTF-8
//! or JSON is simply what a caller would have rejected before the core.
#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::OnceLock;

use nurture::forms::{Form, Language, ValidateOptions};
use nurture::personalize::{IpDatabase, Personalizer, Tables, Visitor};
use nurture::score::{Model, ScoreOptions, ScoreResult};
use nurture::segment::cidr::CidrTable;
use nurture::segment::ip::{canonical, parse_ip};
use nurture::segment::mmdb::MmdbReader;
use nurture::targeting::{self, Condition};
use nurture::ConfigDocument;
use serde_json::{Map, Value};

/// A fixed "now" (2026-01-01T00:00:00Z) so every run is reproducible.
const NOW: i64 = 1_767_225_600_000;

/// Bigger inputs only slow the fuzzer down; the wasm API and the worker
/// take far bigger ones, but nothing here depends on size beyond this.
const MAX_INPUT: usize = 64 * 1024;

/// Addresses looked up in every table: both families, edges of the space,
/// an IPv4-mapped IPv6 address, and addresses in the test databases.
const PROBES: &[&str] = &[
    "0.0.0.0",
    "255.255.255.255",
    "1.2.3.4",
    "10.0.0.1",
    "81.2.69.160",
    "89.160.20.112",
    "216.160.83.56",
    "::",
    "::1",
    "::ffff:1.2.3.4",
    "2001:218::1",
    "2a02:cf40::1",
    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
];

fn parts(data: &[u8]) -> Vec<&[u8]> {
    data.split(|&b| b == 0).collect()
}

fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

fn json(data: Option<&&[u8]>) -> Option<Value> {
    data.and_then(|d| serde_json::from_slice(d).ok())
}

/// Addresses made from the input's bytes, so lookups reach the whole tree.
fn fuzz_addresses(data: &[u8]) -> Vec<IpAddr> {
    let mut out = Vec::new();
    for chunk in data.chunks(16).take(4) {
        let mut v6 = [0u8; 16];
        v6[..chunk.len()].copy_from_slice(chunk);
        out.push(IpAddr::V6(Ipv6Addr::from(v6)));
        let mut v4 = [0u8; 4];
        let n = chunk.len().min(4);
        v4[..n].copy_from_slice(&chunk[..n]);
        out.push(IpAddr::V4(Ipv4Addr::from(v4)));
    }
    out
}

fn probes() -> impl Iterator<Item = IpAddr> {
    PROBES.iter().filter_map(|s| parse_ip(s).ok())
}

fn default_model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(Model::default_model)
}

fn check_score(result: &ScoreResult, events: usize) {
    assert!(
        result.fit.score.is_finite(),
        "fit score {}",
        result.fit.score
    );
    assert!(
        result.engagement.score.is_finite(),
        "engagement score {}",
        result.engagement.score
    );
    assert!(
        result.events_scored <= events,
        "{} events scored of {events}",
        result.events_scored
    );
    for interest in &result.interests {
        assert!(
            interest.weight.is_finite(),
            "interest weight {}",
            interest.weight
        );
        assert!(
            (0.0..=1.0).contains(&interest.share),
            "interest share {}",
            interest.share
        );
    }
    // What the wasm layer hands to JS: must serialize.
    serde_json::to_string(result).expect("a score result serializes");
}

/// `profile` and `events` from a JSON value: `{profile, events, now?}`, a
/// bare array of events, or nothing.
fn scoring_input(value: Option<Value>) -> (Option<Map<String, Value>>, Vec<Value>, i64) {
    match value {
        Some(Value::Array(events)) => (None, events, NOW),
        Some(Value::Object(mut map)) => {
            let profile = match map.remove("profile") {
                Some(Value::Object(p)) => Some(p),
                _ => None,
            };
            let events = match map.remove("events") {
                Some(Value::Array(e)) => e,
                _ => Vec::new(),
            };
            let now = map
                .get("now")
                .and_then(|n| nurture::time::from_json(n).ok())
                .unwrap_or(NOW);
            (profile, events, now)
        }
        _ => (None, Vec::new(), NOW),
    }
}

/// Scoring model config (`new Model(config)`, `checkModel`), then a score
/// with the compiled model over `{profile, events}` from the second part.
pub fn model(data: &[u8]) {
    if data.len() > MAX_INPUT {
        return;
    }
    let p = parts(data);
    let Some(doc) = p.first().and_then(|d| text(d)) else {
        return;
    };
    let compiled = Model::from_json(doc);
    let report = Model::check_json(doc);
    assert_eq!(
        compiled.is_ok(),
        report.errors.is_empty(),
        "from_json and check_json disagree: {:?}",
        report.errors
    );
    let Ok(model) = compiled else { return };
    // A compiled model's document re-serializes and compiles again.
    let again = serde_json::to_value(model.config()).expect("a model config serializes");
    let recompiled = Model::from_value(again.clone());
    assert!(
        recompiled.is_ok(),
        "re-serialized config fails: {:?}\n{again}",
        recompiled.err()
    );
    let (profile, events, now) = scoring_input(json(p.get(1)));
    let options = ScoreOptions {
        breakdown: true,
        ..ScoreOptions::default()
    };
    let result = model.score(profile.as_ref(), &events, now, &options);
    check_score(&result, events.len());
}

/// An event batch (what the worker's /events route and `score()` take),
/// scored with the default model: a bare array, or `{profile, events, now}`.
pub fn events(data: &[u8]) {
    if data.len() > MAX_INPUT {
        return;
    }
    let Ok(value) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let (profile, events, now) = scoring_input(Some(value));
    for breakdown in [false, true] {
        let result = default_model().score(
            profile.as_ref(),
            &events,
            now,
            &ScoreOptions {
                breakdown,
                ..ScoreOptions::default()
            },
        );
        check_score(&result, events.len());
        assert_eq!(
            result.events_scored + result.rejected.len(),
            events.len(),
            "every event is either scored or rejected"
        );
    }
}

fn test_tables() -> &'static (CidrTable, Vec<MmdbReader<Vec<u8>>>) {
    static TABLES: OnceLock<(CidrTable, Vec<MmdbReader<Vec<u8>>>)> = OnceLock::new();
    TABLES.get_or_init(|| {
        let cidr = CidrTable::from_csv(include_str!("../tests/data/accounts.csv")).table;
        let dbs = [
            &include_bytes!("../tests/data/maxmind/GeoIP2-City-Test.mmdb")[..],
            &include_bytes!("../tests/data/maxmind/GeoLite2-ASN-Test.mmdb")[..],
        ]
        .iter()
        .filter_map(|b| MmdbReader::from_bytes(b.to_vec()).ok())
        .collect();
        (cidr, dbs)
    })
}

/// Site / personalization config (segments, slots, org rules: what the
/// worker compiles with `new Personalizer(doc)`), then `decide` for a
/// visitor from the second part, with the test CIDR table and databases.
pub fn personalize(data: &[u8]) {
    if data.len() > MAX_INPUT {
        return;
    }
    let p = parts(data);
    let Some(config) = json(p.first()) else {
        return;
    };
    let compiled = Personalizer::from_value(config.clone());
    let report = Personalizer::check(config);
    assert_eq!(compiled.is_ok(), report.errors.is_empty());
    let Ok(personalizer) = compiled else { return };
    let Some(visitor) = json(p.get(1)).and_then(|v| Visitor::from_value(v).ok()) else {
        return;
    };
    let (cidr, dbs) = test_tables();
    let dbs: Vec<&dyn IpDatabase> = dbs.iter().map(|d| d as &dyn IpDatabase).collect();
    for tables in [
        Tables::default(),
        Tables {
            accounts: Some(cidr),
            maxmind: &dbs,
        },
    ] {
        let decisions = personalizer.decide(&visitor, &tables);
        // Same visitor, same answer: decisions are deterministic.
        assert_eq!(decisions, personalizer.decide(&visitor, &tables));
        if let Some(primary) = &decisions.primary_segment {
            assert!(
                decisions.segments.contains(primary),
                "primary not in segments"
            );
        }
        serde_json::to_string(&decisions).expect("decisions serialize");
    }
}

/// A form definition (`nextFields`, `validateForm`), a submission against
/// it (second part) and a known profile (third part): validation, next
/// fields and the merge.
pub fn forms(data: &[u8]) {
    if data.len() > MAX_INPUT {
        return;
    }
    let p = parts(data);
    let Some(doc) = p.first().and_then(|d| text(d)) else {
        return;
    };
    let compiled = Form::from_json(doc);
    let report = Form::check_json(doc);
    assert_eq!(compiled.is_ok(), report.errors.is_empty());
    let Ok(form) = compiled else { return };
    let profile = match json(p.get(2)) {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    };
    let next = form.next_fields(&profile);
    serde_json::to_string(&next).expect("next fields serialize");
    let Some(Value::Object(submission)) = json(p.get(1)) else {
        return;
    };
    // One language per input (by its length) halves the replay time of the
    // corpus; the fuzzer still reaches both.
    let language = if data.len() % 2 == 0 {
        Language::En
    } else {
        Language::from_tag("zh-Hans")
    };
    {
        let options = ValidateOptions {
            language,
            profile: Some(&profile),
            asked: None,
            rendered_at: Some(NOW - 5_000),
            now: Some(NOW),
        };
        let out = form.submit(Some(default_model()), &submission, &options);
        assert_eq!(out.validation.valid, out.validation.errors.is_empty());
        assert_eq!(out.validation.valid, out.merge.is_some());
        if let Some(merge) = &out.merge {
            // Nothing known is lost: every known field is still there.
            for key in profile.keys() {
                assert!(merge.profile.contains_key(key), "merge lost {key}");
            }
            for key in merge.newly_known.iter().chain(&merge.updated) {
                assert!(
                    merge.profile.contains_key(key),
                    "merge lists {key} but lacks it"
                );
            }
        }
        if let Some(fit) = &out.fit {
            assert!(fit.score.is_finite());
        }
        serde_json::to_string(&out).expect("a submission serializes");
    }
}

fn check_cidr(table: &CidrTable, extra: &[IpAddr]) {
    for ip in probes().chain(extra.iter().copied()) {
        if let Some(hit) = table.lookup(ip) {
            assert!(
                hit.prefix.contains(canonical(ip)),
                "{ip} matched {} which does not contain it",
                hit.prefix
            );
        }
    }
}

/// CIDR lists: the CSV and JSON loaders (`CidrTable.fromCsv/fromJson`),
/// then lookups; a hit's network must contain the address.
pub fn cidr(data: &[u8]) {
    if data.len() > MAX_INPUT {
        return;
    }
    let Some(t) = text(data) else { return };
    let extra = fuzz_addresses(data);
    for loaded in [CidrTable::from_csv(t), CidrTable::from_json(t)] {
        check_cidr(&loaded.table, &extra);
        // Every issue names a real line of the input (1-based).
        let lines = t.split('\n').count();
        for issue in loaded.rejected.iter().chain(&loaded.warnings) {
            assert!(
                (1..=lines).contains(&issue.line),
                "issue on line {} of {lines}",
                issue.line
            );
        }
    }
    // Lines of the input read as addresses, as the worker reads the client IP.
    let table = &CidrTable::from_csv(t).table;
    for line in t.lines().take(8) {
        let _ = table.lookup_str(line.trim());
    }
}

/// MaxMind DB bytes (`new MaxMindDb(bytes)`): metadata, then lookups. A
/// hit's network must contain the address and fit its family.
pub fn mmdb(data: &[u8]) {
    let Ok(db) = MmdbReader::from_bytes(data.to_vec()) else {
        return;
    };
    let meta = db.metadata();
    assert!(
        matches!(meta.ip_version, 4 | 6),
        "ip_version {}",
        meta.ip_version
    );
    assert!(
        matches!(meta.record_size, 24 | 28 | 32),
        "record_size {}",
        meta.record_size
    );
    let tail = data.get(data.len().saturating_sub(64)..).unwrap_or(&[]);
    for ip in probes().chain(fuzz_addresses(tail)) {
        if let Ok(Some(hit)) = db.lookup(ip) {
            let ip = canonical(ip);
            let width = if ip.is_ipv4() { 32 } else { 128 };
            assert!(hit.prefix_len <= width, "prefix_len {}", hit.prefix_len);
            assert!(hit.network.contains(ip), "{ip} not in {}", hit.network);
            serde_json::to_string(&hit.record).expect("a record serializes");
        }
        // The trait the personalizer reads through agrees with lookup.
        let via_trait = IpDatabase::record(&db, ip);
        assert_eq!(via_trait, db.lookup(ip).ok().flatten().map(|m| m.record));
    }
}

/// GrowthBook conditions (from site configs, `new Condition(c)`,
/// `evalCondition`): condition, attributes and saved groups, NUL-separated.
/// A condition that compiles strictly evaluates as the lenient path does.
pub fn condition(data: &[u8]) {
    if data.len() > MAX_INPUT {
        return;
    }
    let p = parts(data);
    let Some(cond) = json(p.first()) else { return };
    let attributes = json(p.get(1)).unwrap_or(Value::Null);
    let groups = json(p.get(2)).unwrap_or(Value::Null);
    let lenient = targeting::eval_condition(&attributes, &cond, Some(&groups));
    if let Ok(compiled) = Condition::compile(&cond) {
        assert_eq!(
            compiled.eval(&attributes, &groups),
            lenient,
            "strict and lenient evaluation disagree"
        );
    }
}

/// E-mail and phone checks (`checkEmail`, `checkPhone`), which see raw form
/// input. The first line is a region for the phone check.
pub fn contact(data: &[u8]) {
    if data.len() > 4096 {
        return;
    }
    let Some(t) = text(data) else { return };
    let (region, rest) = t.split_once('\n').unwrap_or(("", t));
    let email = nurture::email::check_email(rest);
    serde_json::to_string(&email).expect("an e-mail check serializes");
    for region in [None, Some(region)] {
        let phone = nurture::phone::check_phone(rest, region);
        serde_json::to_string(&phone).expect("a phone check serializes");
    }
}
