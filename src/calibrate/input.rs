//! Lead records and options, read from JSON with an error that names the
//! lead (and line) at fault.

use serde_json::{Map, Value};

use crate::diagnostics::Issue;
use crate::time::{self, Millis};

/// One labelled lead: its profile, its events (Segment shapes) and whether
/// it converted.
#[derive(Debug, Clone, PartialEq)]
pub struct Lead {
    pub profile: Map<String, Value>,
    pub events: Vec<Value>,
    pub converted: bool,
    /// When the lead was judged; events are aged from here.
    pub now: Option<Millis>,
}

/// Events one lead may carry unless `maxEventsPerLead` says otherwise: the
/// work per lead is bounded, so one runaway record cannot stall a run.
pub const MAX_EVENTS_PER_LEAD: usize = 10_000;
/// Leads one run takes.
pub const MAX_LEADS: usize = 1_000_000;

/// Reads leads from a JSON array or from JSON Lines (one lead per line).
pub fn parse_leads(text: &str, max_events: usize) -> Result<Vec<Lead>, Issue> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') {
        let values: Vec<Value> = serde_json::from_str(trimmed)
            .map_err(|e| Issue::error("leads", format!("not a JSON array of leads: {e}")))?;
        return leads_from_values(&values, max_events);
    }
    let mut leads = Vec::new();
    for (line_no, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = leads.len();
        let path = format!("leads[{at}]");
        if at >= MAX_LEADS {
            return Err(Issue::error(
                path,
                format!("more than {MAX_LEADS} leads in one run"),
            ));
        }
        let value: Value = serde_json::from_str(line).map_err(|e| {
            Issue::error(
                path.clone(),
                format!("line {} is not JSON: {e}", line_no + 1),
            )
        })?;
        leads.push(
            lead_from_value(&value, &path, max_events).map_err(|mut issue| {
                issue.message = format!("{} (line {})", issue.message, line_no + 1);
                issue
            })?,
        );
    }
    check_population(&leads)?;
    Ok(leads)
}

/// Reads leads already parsed (a JS array).
pub fn leads_from_values(values: &[Value], max_events: usize) -> Result<Vec<Lead>, Issue> {
    if values.len() > MAX_LEADS {
        return Err(Issue::error(
            "leads",
            format!("{} leads; the limit is {MAX_LEADS}", values.len()),
        ));
    }
    let leads = values
        .iter()
        .enumerate()
        .map(|(i, v)| lead_from_value(v, &format!("leads[{i}]"), max_events))
        .collect::<Result<Vec<_>, _>>()?;
    check_population(&leads)?;
    Ok(leads)
}

fn check_population(leads: &[Lead]) -> Result<(), Issue> {
    if leads.is_empty() {
        return Err(Issue::error(
            "leads",
            "no leads: calibrating needs leads that converted and leads that did not",
        ));
    }
    let converted = leads.iter().filter(|l| l.converted).count();
    if converted == 0 || converted == leads.len() {
        let which = if converted == 0 { "false" } else { "true" };
        return Err(Issue::error(
            "leads",
            format!(
                "all {} leads have \"converted\": {which}; calibrating needs both outcomes",
                leads.len()
            ),
        ));
    }
    Ok(())
}

fn lead_from_value(value: &Value, path: &str, max_events: usize) -> Result<Lead, Issue> {
    let Value::Object(map) = value else {
        return Err(Issue::error(
            path,
            "expected an object {profile, events, converted}",
        ));
    };
    let converted = match map.get("converted") {
        Some(Value::Bool(b)) => *b,
        None => {
            return Err(Issue::error(
                format!("{path}.converted"),
                "missing: every lead needs \"converted\": true or false",
            ))
        }
        Some(other) => {
            return Err(Issue::error(
                format!("{path}.converted"),
                format!("expected true or false, found {}", short(other)),
            ))
        }
    };
    let profile = match map.get("profile") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(p)) => p.clone(),
        Some(_) => {
            return Err(Issue::error(
                format!("{path}.profile"),
                "expected an object of profile fields",
            ))
        }
    };
    let events = match map.get("events") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(list)) if list.len() > max_events => {
            return Err(Issue::error(
                format!("{path}.events"),
                format!(
                    "{} events on one lead; the limit is {max_events} (options.maxEventsPerLead raises it)",
                    list.len()
                ),
            ))
        }
        Some(Value::Array(list)) => list.clone(),
        Some(_) => {
            return Err(Issue::error(
                format!("{path}.events"),
                "expected an array of events",
            ))
        }
    };
    let now = match map.get("now") {
        None | Some(Value::Null) => None,
        Some(v) => {
            Some(time::from_json(v).map_err(|e| Issue::error(format!("{path}.now"), e.message()))?)
        }
    };
    for key in map.keys() {
        if !matches!(
            key.as_str(),
            "profile" | "events" | "converted" | "now" | "id"
        ) {
            return Err(Issue::error(
                format!("{path}.{key}"),
                "unknown key (expected profile, events, converted, now, id)",
            ));
        }
    }
    Ok(Lead {
        profile,
        events,
        converted,
        now,
    })
}

fn short(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(40) {
        Some((at, _)) => format!("{}…", text.get(..at).unwrap_or("")),
        None => text,
    }
}

/// How to calibrate. Every field has a default.
#[derive(Debug, Clone, PartialEq)]
pub struct CalibrateOptions {
    /// A model whose rules are kept and re-weighted.
    pub base: Option<Value>,
    /// When leads without their own `now` were judged; the newest event in
    /// the data when absent.
    pub now: Option<Millis>,
    /// Cross-validation folds (2–20).
    pub folds: usize,
    /// Leads a value, bin or rule must cover to earn points; 1% of the
    /// leads and at least 20 when absent.
    pub min_support: Option<usize>,
    /// Points that double the odds of converting (the scorecard scale).
    pub points_to_double_odds: f64,
    /// Half-lives (days; `None` for no decay) tried by cross-validation.
    /// No decay is among the defaults for histories judged long after.
    pub half_lives: Vec<Option<f64>>,
    /// Window of the aggregate rules, in days.
    pub window_days: f64,
    /// L2 weights tried by cross-validation.
    pub l2: Vec<f64>,
    /// Fields (or event names) the leakage check flagged that stay in.
    pub keep_fields: Vec<String>,
    pub max_events_per_lead: usize,
    /// Seed of the fold assignment.
    pub seed: u64,
    pub name: Option<String>,
}

impl Default for CalibrateOptions {
    fn default() -> Self {
        Self {
            base: None,
            now: None,
            folds: 5,
            min_support: None,
            points_to_double_odds: 20.0,
            half_lives: vec![Some(7.0), Some(30.0), Some(90.0), None],
            window_days: 30.0,
            l2: vec![1.0, 4.0, 16.0],
            keep_fields: Vec::new(),
            max_events_per_lead: MAX_EVENTS_PER_LEAD,
            seed: 1,
            name: None,
        }
    }
}

impl CalibrateOptions {
    /// Reads options from JSON (`null` for the defaults); unknown keys are
    /// refused so a typo does not go unnoticed.
    pub fn from_value(value: &Value) -> Result<Self, Issue> {
        let mut o = Self::default();
        let map = match value {
            Value::Null => return Ok(o),
            Value::Object(map) => map,
            _ => return Err(Issue::error("options", "expected an object")),
        };
        let number = |key: &str, min: f64, max: f64| -> Result<Option<f64>, Issue> {
            match map.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => match v.as_f64().filter(|x| *x >= min && *x <= max) {
                    Some(x) => Ok(Some(x)),
                    None => Err(Issue::error(
                        format!("options.{key}"),
                        format!("expected a number from {min} to {max}"),
                    )),
                },
            }
        };
        for (key, value) in map {
            match key.as_str() {
                "base" => o.base = Some(value.clone()).filter(|v| !v.is_null()),
                "now" => {
                    if !value.is_null() {
                        o.now = Some(
                            time::from_json(value)
                                .map_err(|e| Issue::error("options.now", e.message()))?,
                        );
                    }
                }
                "folds" => {
                    if let Some(x) = number(key, 2.0, 20.0)? {
                        o.folds = x as usize;
                    }
                }
                "minSupport" => o.min_support = number(key, 1.0, 1e9)?.map(|x| x as usize),
                "pointsToDoubleOdds" => {
                    if let Some(x) = number(key, 1.0, 1000.0)? {
                        o.points_to_double_odds = x;
                    }
                }
                "windowDays" => {
                    if let Some(x) = number(key, 1.0, 3650.0)? {
                        o.window_days = x;
                    }
                }
                "maxEventsPerLead" => {
                    if let Some(x) = number(key, 1.0, 1e7)? {
                        o.max_events_per_lead = x as usize;
                    }
                }
                "seed" => {
                    if let Some(x) = number(key, 0.0, 9e15)? {
                        o.seed = x as u64;
                    }
                }
                "halfLifeDays" => o.half_lives = half_lives(value)?,
                "l2" => o.l2 = numbers(value, "options.l2")?,
                "keepFields" => o.keep_fields = strings(value, "options.keepFields")?,
                "name" => o.name = value.as_str().map(str::to_string),
                _ => {
                    return Err(Issue::error(
                        format!("options.{key}"),
                        "unknown option (expected base, now, folds, minSupport, pointsToDoubleOdds, halfLifeDays, windowDays, l2, keepFields, maxEventsPerLead, seed, name)",
                    ))
                }
            }
        }
        Ok(o)
    }
}

fn half_lives(value: &Value) -> Result<Vec<Option<f64>>, Issue> {
    let list = match value {
        Value::Array(list) => list.clone(),
        single => vec![single.clone()],
    };
    let mut out = Vec::new();
    for (i, v) in list.iter().enumerate() {
        match v {
            Value::Null => out.push(None),
            v => match v.as_f64().filter(|x| *x > 0.0 && x.is_finite()) {
                Some(x) => out.push(Some(x)),
                None => {
                    return Err(Issue::error(
                        format!("options.halfLifeDays[{i}]"),
                        "expected a number of days > 0, or null for no decay",
                    ))
                }
            },
        }
    }
    if out.is_empty() {
        return Err(Issue::error(
            "options.halfLifeDays",
            "expected at least one",
        ));
    }
    Ok(out)
}

fn numbers(value: &Value, path: &str) -> Result<Vec<f64>, Issue> {
    let list = match value {
        Value::Array(list) => list.clone(),
        single => vec![single.clone()],
    };
    let out: Vec<f64> = list
        .iter()
        .filter_map(|v| v.as_f64().filter(|x| *x > 0.0 && x.is_finite()))
        .collect();
    if out.is_empty() || out.len() != list.len() {
        return Err(Issue::error(path, "expected numbers > 0"));
    }
    Ok(out)
}

fn strings(value: &Value, path: &str) -> Result<Vec<String>, Issue> {
    let Value::Array(list) = value else {
        return Err(Issue::error(path, "expected a list of names"));
    };
    list.iter()
        .map(|v| {
            v.as_str()
                .map(str::to_string)
                .ok_or_else(|| Issue::error(path, "expected a list of names"))
        })
        .collect()
}
