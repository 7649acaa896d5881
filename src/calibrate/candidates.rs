//! What may earn points: candidate rules from the profile fields (values
//! with support, numeric bins, missing as its own bin), from the events
//! (event names, page sections, long reads) and activity totals in a
//! window, each one a rule of the model language. The leakage check runs
//! here too: a field present almost only on converted leads, or one that
//! alone tells the outcome, is left out unless the caller keeps it.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::{json, Value};

use super::binning::{numeric_bins, Bin};
use super::metrics::auc;
use crate::score::event::Event;
use crate::score::fit::parse_number_loose;
use crate::score::urlpattern::path_of;

/// A leads' value of one profile field, as the rules will read it.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Missing,
    Number(f64),
    Text(String),
}

fn cell_of(value: Option<&Value>) -> Cell {
    match value {
        None | Some(Value::Null) => Cell::Missing,
        Some(Value::String(s)) if s.trim().is_empty() => Cell::Missing,
        Some(Value::String(s)) => match parse_number_loose(s) {
            Some(n) => Cell::Number(n),
            None => Cell::Text(s.trim().to_lowercase()),
        },
        Some(Value::Number(n)) => n.as_f64().map_or(Cell::Missing, Cell::Number),
        Some(Value::Bool(b)) => Cell::Text(b.to_string()),
        // Lists and objects: not a single value a rule compares.
        Some(_) => Cell::Missing,
    }
}

/// A field the leakage check flagged.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Leak {
    /// The profile field, or `event:<name>` for an event.
    pub field: String,
    pub reason: String,
    /// Leads that have it.
    pub leads: usize,
    /// Of those, the share that converted.
    pub converted_share: f64,
    /// The AUC of the field alone (its values' in-sample rates).
    pub auc: f64,
    /// Kept by `options.keepFields`.
    pub kept: bool,
}

/// Candidate rules, as model-document JSON with `points` 1.
#[derive(Debug, Default)]
pub struct Candidates {
    pub fit_rules: Vec<Value>,
    pub engagement_rules: Vec<Value>,
    pub aggregates: Vec<Value>,
    pub leaks: Vec<Leak>,
}

pub struct Population<'a> {
    pub profiles: Vec<&'a serde_json::Map<String, Value>>,
    /// Accepted events per lead, in time order.
    pub events: &'a [Vec<Event<'a>>],
    pub labels: &'a [bool],
    pub nows: &'a [i64],
    pub min_support: usize,
    pub keep: &'a [String],
    pub window_days: f64,
}

const MAX_VALUES_PER_FIELD: usize = 30;
const MAX_EVENT_RULES: usize = 40;
const MAX_BINS: usize = 6;
/// A cap on every learned per-event rule: a bot's thousand page views a day
/// count like five.
const DAILY_CAP: u32 = 5;

/// The leak `field` (named as the report shows it) is, if any.
fn leak_check(
    field: String,
    cells: &[Cell],
    labels: &[bool],
    min_support: usize,
    kept: bool,
) -> Option<Leak> {
    let positives = labels.iter().filter(|&&y| y).count();
    let base_rate = positives as f64 / labels.len().max(1) as f64;
    let present: Vec<bool> = cells.iter().map(|c| *c != Cell::Missing).collect();
    let leads = present.iter().filter(|&&p| p).count();
    let hits = present.iter().zip(labels).filter(|(&p, &y)| p && y).count();
    let share = hits as f64 / leads.max(1) as f64;
    // Each value's in-sample rate (numbers by their rank tenth), as a score.
    let mut groups: HashMap<String, (usize, usize)> = HashMap::new();
    let mut numbers: Vec<f64> = cells
        .iter()
        .filter_map(|c| match c {
            Cell::Number(n) => Some(*n),
            _ => None,
        })
        .collect();
    numbers.sort_by(f64::total_cmp);
    let key = |c: &Cell| match c {
        Cell::Missing => "\u{0}missing".to_string(),
        Cell::Text(t) => t.clone(),
        Cell::Number(n) => {
            let rank = numbers.partition_point(|x| x < n);
            format!("\u{0}n{}", rank * 10 / numbers.len().max(1))
        }
    };
    let mut keys: Vec<String> = cells.iter().map(key).collect();
    let mut sizes: HashMap<&str, usize> = HashMap::new();
    for k in &keys {
        *sizes.entry(k.as_str()).or_default() += 1;
    }
    // Values too rare to judge (ids, e-mails) pool together: one lead's
    // own rate would tell its outcome and flag every identifier.
    let rare: Vec<bool> = keys
        .iter()
        .map(|k| sizes.get(k.as_str()).copied().unwrap_or(0) < min_support.max(2))
        .collect();
    for (k, r) in keys.iter_mut().zip(rare) {
        if r {
            *k = "\u{0}other".to_string();
        }
    }
    for (k, &y) in keys.iter().zip(labels) {
        let g = groups.entry(k.clone()).or_default();
        g.0 += 1;
        g.1 += usize::from(y);
    }
    let scores: Vec<f64> = keys
        .iter()
        .map(|k| {
            groups.get(k).map_or(base_rate, |&(n, c)| {
                (c as f64 + base_rate) / (n as f64 + 1.0)
            })
        })
        .collect();
    let field_auc = auc(&scores, labels).unwrap_or(0.5);
    let on_converted = hits as f64 / positives.max(1) as f64;
    let reason = if leads >= min_support.min(10)
        && share >= 0.9
        && on_converted >= 0.3
        && base_rate < 0.5
    {
        format!(
            "present on {leads} leads, {:.0}% of them converted (overall {:.0}%): likely set after the outcome",
            share * 100.0,
            base_rate * 100.0
        )
    } else if field_auc >= 0.95 || field_auc <= 0.05 {
        format!("alone it predicts the outcome almost perfectly (AUC {field_auc:.3})")
    } else {
        return None;
    };
    Some(Leak {
        field,
        reason,
        leads,
        converted_share: super::metrics::round6(share),
        auc: super::metrics::round6(field_auc),
        kept,
    })
}

/// The fit candidates of the profile fields, and the leaks among them.
fn profile_candidates(pop: &Population<'_>, out: &mut Candidates) {
    let mut fields: Vec<&str> = pop
        .profiles
        .iter()
        .flat_map(|p| p.keys().map(String::as_str))
        .collect();
    fields.sort_unstable();
    fields.dedup();
    for field in fields {
        let cells: Vec<Cell> = pop.profiles.iter().map(|p| cell_of(p.get(field))).collect();
        let present = cells.iter().filter(|c| **c != Cell::Missing).count();
        if present == 0 {
            continue;
        }
        let kept = pop.keep.iter().any(|k| k == field);
        if let Some(leak) = leak_check(field.to_string(), &cells, pop.labels, pop.min_support, kept)
        {
            out.leaks.push(leak);
            if !kept {
                continue;
            }
        }
        let missing = cells.len() - present;
        let group = format!("{field} (learned)");
        let numeric = cells
            .iter()
            .filter(|c| matches!(c, Cell::Number(_)))
            .count();
        if numeric as f64 >= 0.9 * present as f64 {
            let values: Vec<(f64, bool)> = cells
                .iter()
                .zip(pop.labels)
                .filter_map(|(c, &y)| match c {
                    Cell::Number(n) => Some((*n, y)),
                    _ => None,
                })
                .collect();
            let bins = numeric_bins(&values, pop.min_support, MAX_BINS);
            for (k, bin) in bins.iter().enumerate().rev() {
                let next = bins.get(k + 1).map(|b: &Bin| b.min);
                let label = match next {
                    Some(to) => format!("{field} {} to under {}", num(bin.min), num(to)),
                    None => format!("{field} {} or more", num(bin.min)),
                };
                // Highest bin first: in a group the first match counts, so
                // each rule needs only its lower edge; the lowest takes
                // everything below the next one.
                let rule = if k == 0 {
                    json!({"id": format!("{field}<{}", num(next.unwrap_or(bin.min))), "label": label,
                           "field": field, "op": "range", "max": next.unwrap_or(bin.min), "points": 1, "group": group})
                } else {
                    json!({"id": format!("{field}>={}", num(bin.min)), "label": label,
                           "field": field, "op": "range", "min": bin.min, "points": 1, "group": group})
                };
                out.fit_rules.push(rule);
            }
        } else {
            let mut counts: HashMap<&str, usize> = HashMap::new();
            for c in &cells {
                if let Cell::Text(t) = c {
                    *counts.entry(t.as_str()).or_default() += 1;
                }
            }
            let mut values: Vec<(&str, usize)> = counts
                .into_iter()
                .filter(|&(_, n)| n >= pop.min_support && n + pop.min_support <= cells.len())
                .collect();
            values.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            values.truncate(MAX_VALUES_PER_FIELD);
            let covered: usize = values.iter().map(|v| v.1).sum();
            for (value, _) in values {
                out.fit_rules.push(json!({
                    "id": format!("{field}={value}"), "label": format!("{field} is {value}"),
                    "field": field, "op": "equals", "value": value, "points": 1, "group": group
                }));
            }
            // Free text (job titles typed by hand): most values are rare,
            // so the words with support become `contains` rules.
            if covered * 2 < present {
                word_candidates(field, &cells, pop, out);
            }
        }
        if missing >= pop.min_support && present >= pop.min_support {
            out.fit_rules.push(json!({
                "id": format!("{field} missing"), "label": format!("{field} not given"),
                "field": field, "op": "absent", "points": 1
            }));
        }
    }
}

/// `contains` rules for the words (2+ letters or digits) of a free-text
/// field that at least `minSupport` leads (and not nearly all) use.
fn word_candidates(field: &str, cells: &[Cell], pop: &Population<'_>, out: &mut Candidates) {
    const MAX_WORDS: usize = 20;
    let mut leads_with: HashMap<&str, usize> = HashMap::new();
    for cell in cells {
        let Cell::Text(text) = cell else { continue };
        let mut words: Vec<&str> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().count() >= 2)
            .collect();
        words.sort_unstable();
        words.dedup();
        for w in words {
            *leads_with.entry(w).or_default() += 1;
        }
    }
    let mut words: Vec<(&str, usize)> = leads_with
        .into_iter()
        .filter(|&(_, n)| n >= pop.min_support && n + pop.min_support <= cells.len())
        .collect();
    words.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    words.truncate(MAX_WORDS);
    for (word, _) in words {
        out.fit_rules.push(json!({
            "id": format!("{field}~{word}"), "label": format!("{field} mentions \"{word}\""),
            "field": field, "op": "contains", "values": [word], "points": 1
        }));
    }
}

/// A number as a label shows it: whole numbers without `.0`.
fn num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{}", (x * 1000.0).round() / 1000.0)
    }
}

/// The section of a path a rule names: `/pricing/team` → `/pricing`.
fn section(url: &str) -> String {
    let path = path_of(url).to_lowercase();
    let first = path
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or("")
        .to_string();
    format!("/{first}")
}

/// Event, page-section and long-read rules, and the leaks among events.
fn event_candidates(pop: &Population<'_>, out: &mut Candidates) {
    // Per key: leads that have it, and the name as first written.
    let mut names: HashMap<String, (Vec<bool>, String)> = HashMap::new();
    let n = pop.events.len();
    let mut mark = |key: String, shown: &str, lead: usize| {
        let entry = names
            .entry(key)
            .or_insert_with(|| (vec![false; n], shown.to_string()));
        if let Some(slot) = entry.0.get_mut(lead) {
            *slot = true;
        }
    };
    let mut any_dwell = vec![false; n];
    for (lead, events) in pop.events.iter().enumerate() {
        for e in events {
            mark(format!("event:{}", e.action_key), &e.action, lead);
            if e.action_key == "page" {
                if let Some(url) = e.url.as_deref() {
                    let s = section(url);
                    mark(format!("page:{s}"), &s, lead);
                }
                if e.dwell_seconds.is_some_and(|d| d >= 60.0) {
                    if let Some(slot) = any_dwell.get_mut(lead) {
                        *slot = true;
                    }
                }
            }
        }
    }
    let mut keys: Vec<(String, usize, String)> = names
        .into_iter()
        .filter_map(|(key, (has, shown))| {
            let support = has.iter().filter(|&&h| h).count();
            if support < pop.min_support {
                return None;
            }
            if let Some(name) = key.strip_prefix("event:") {
                let cells: Vec<Cell> = has
                    .iter()
                    .map(|&h| {
                        if h {
                            Cell::Text("y".into())
                        } else {
                            Cell::Missing
                        }
                    })
                    .collect();
                let kept = pop
                    .keep
                    .iter()
                    .any(|k| *k == key || *k == shown || k == name);
                let field = format!("event:{shown}");
                if let Some(leak) = leak_check(field, &cells, pop.labels, pop.min_support, kept) {
                    out.leaks.push(leak);
                    if !kept {
                        return None;
                    }
                }
            }
            Some((key, support, shown))
        })
        .collect();
    keys.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    keys.truncate(MAX_EVENT_RULES);
    let cap = json!({"count": DAILY_CAP, "windowDays": 1});
    for (key, _, shown) in keys {
        let rule = if let Some(pattern) = key.strip_prefix("page:") {
            let url = if pattern == "/" {
                "/".to_string()
            } else {
                format!("{pattern}*")
            };
            json!({"id": key, "label": format!("Viewed {url}"), "event": "page", "url": url,
                   "points": 1, "cap": cap})
        } else if shown == "page" {
            json!({"id": "page-view", "label": "Page view", "event": "page", "points": 1, "cap": cap})
        } else {
            json!({"id": key, "label": shown, "event": shown, "points": 1, "cap": cap})
        };
        out.engagement_rules.push(rule);
    }
    if any_dwell.iter().filter(|&&d| d).count() >= pop.min_support {
        out.engagement_rules.push(
            json!({"id": "read-1min", "label": "Read a page for a minute or more",
            "event": "page", "minDwellSeconds": 60, "points": 1, "cap": cap}),
        );
    }
}

/// Activity totals, binned: page views, all events, visits and minutes of
/// reading, in the window and over all time (leads judged long after their
/// activity have nothing in the window).
fn aggregate_candidates(pop: &Population<'_>, out: &mut Candidates) {
    use crate::diagnostics::Diagnostics;
    use crate::score::aggregate::AggregateRule;
    use crate::score::config::{AggregateRuleConfig, OneOrMany};
    let measures: [(&str, &str, Option<&str>, &str); 4] = [
        ("page-views", "count", Some("page"), "page views"),
        ("events", "count", None, "events"),
        ("visits", "visits", None, "visits"),
        ("reading", "dwellMinutes", Some("page"), "minutes reading"),
    ];
    // The windowed totals, so an all-time total equal to them everywhere
    // (all activity inside the window) is not proposed twice.
    let mut windowed: Vec<Vec<(f64, bool)>> = Vec::new();
    for window in [Some(pop.window_days), None] {
        for (m, (id, measure, event, what)) in measures.into_iter().enumerate() {
            let (id, what) = match window {
                Some(w) => (
                    format!("{id}-{}d", num(w)),
                    format!("{what} in the last {} days", num(w)),
                ),
                None => (format!("{id}-ever"), format!("{what} in all")),
            };
            let config = AggregateRuleConfig {
                id: id.clone(),
                label: None,
                measure: measure.to_string(),
                event: event.map(|e| OneOrMany::One(e.to_string())),
                url: None,
                window_days: window,
                min: 0.0,
                below: None,
                points: 1.0,
            };
            let Some(rule) = AggregateRule::compile(&config, "", &mut Diagnostics::default())
            else {
                continue;
            };
            let values: Vec<(f64, bool)> = pop
                .events
                .iter()
                .zip(pop.nows)
                .zip(pop.labels)
                .map(|((events, &now), &y)| {
                    let refs: Vec<&Event<'_>> = events.iter().collect();
                    (rule.value(&refs, now), y)
                })
                .collect();
            let repeated = window.is_none() && windowed.get(m) == Some(&values);
            if window.is_some() {
                windowed.push(values.clone());
            }
            if repeated || values.iter().all(|v| v.0 == 0.0) {
                continue;
            }
            let bins = numeric_bins(&values, pop.min_support, MAX_BINS);
            for (k, bin) in bins.iter().enumerate() {
                let next = bins.get(k + 1).map(|b| b.min);
                let min = if k == 0 { 0.0 } else { bin.min };
                let label = match next {
                    Some(to) => format!("{} to under {} {what}", num(min), num(to)),
                    None => format!("{} or more {what}", num(min)),
                };
                let mut rule = json!({"id": format!("{id}:{}", num(min)), "label": label,
                                      "measure": measure, "min": min, "points": 1});
                if let Some(obj) = rule.as_object_mut() {
                    if let Some(w) = window {
                        obj.insert("windowDays".into(), json!(w));
                    }
                    if let Some(to) = next {
                        obj.insert("below".into(), json!(to));
                    }
                    if let Some(e) = event {
                        obj.insert("event".into(), json!(e));
                    }
                }
                out.aggregates.push(rule);
            }
        }
    }
}

/// Every candidate rule for this population.
pub fn candidates(pop: &Population<'_>) -> Candidates {
    let mut out = Candidates::default();
    profile_candidates(pop, &mut out);
    event_candidates(pop, &mut out);
    aggregate_candidates(pop, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_text_gives_word_rules_and_identifiers_give_none() {
        let profiles: Vec<serde_json::Map<String, Value>> = (0..200)
            .map(|i| {
                let title = if i % 2 == 0 { "Senior VP" } else { "Analyst" };
                json!({"title": format!("{title} #{i}"), "email": format!("p{i}@x.example")})
                    .as_object()
                    .cloned()
                    .unwrap_or_default()
            })
            .collect();
        let labels: Vec<bool> = (0..200).map(|i| i % 4 == 0).collect();
        let events: Vec<Vec<Event<'_>>> = vec![Vec::new(); 200];
        let nows = vec![0i64; 200];
        let pop = Population {
            profiles: profiles.iter().collect(),
            events: &events,
            labels: &labels,
            nows: &nows,
            min_support: 20,
            keep: &[],
            window_days: 30.0,
        };
        let c = candidates(&pop);
        let ids: Vec<&str> = c
            .fit_rules
            .iter()
            .filter_map(|r| r["id"].as_str())
            .collect();
        assert!(
            ids.contains(&"title~senior") && ids.contains(&"title~vp"),
            "{ids:?}"
        );
        assert!(ids.contains(&"title~analyst"), "{ids:?}");
        assert!(!ids.iter().any(|id| id.starts_with("email")), "{ids:?}");
        assert!(c.leaks.is_empty(), "{:?}", c.leaks);
    }
}
