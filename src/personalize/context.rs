//! The visitor context: one JSON object that segment and slot conditions are
//! evaluated against.
//!
//! # Layout
//!
//! ```text
//! {
//!   "id": "v-123",
//!   "ip":      { "address", "asn", "asOrganization", "isp", "organization", "domain",
//!                "connectionType", "userType", "country", "countryName", "continent",
//!                "region", "regionName", "city", "postalCode", "timezone" },
//!   "account": { ...named-account table attributes..., "named": true, "network": "203.0.113.0/24" },
//!   "derived": { ...attributes set by org mapping rules..., "rule": "petrochina" },
//!   "request": { ...request attributes as given (Cloudflare's request.cf)... },
//!   "profile": { ...profile fields as given... },
//!   "page":    { ...page attributes as given: path, url, referrer, utm... },
//!   "path", "referrer", "utm":  copied from page for short conditions,
//!   "company", "domain", "industry", "companySize",              // who (resolved)
//!   "country", "region", "city", "continent",                    // where (resolved)
//!   "asn", "asOrganization",                                     // network (resolved)
//!   "score": { "fit", "engagement" }, "grade", "tier", "stage",
//!   "interests": ["retail", ...],        // top tags, strongest first
//!   "interestShares": { "retail": 0.6 }, // every tag's share of interest weight
//!   "seen": ["content-id", ...],
//!   "sources": { "industry": "account", "country": "maxmind", ... },
//!   "segments": [...], "segment": "primary"  // added by segment evaluation
//! }
//! ```
//!
//! Keys are only present when known.
//!
//! # Precedence
//!
//! Several sources can say the same thing; the resolved top-level keys take
//! the first that knows, and `sources` names which one it was:
//!
//! - **who** (`company`, `domain`, `industry`, `companySize`): the named
//!   account table (`account`) > the visitor's own profile (`profile.company`,
//!   `profile.industry`, `profile.companySize`, `profile.domain`) > org mapping
//!   rules (`derived`) > MaxMind (`ip.domain`, for `domain` only). The table
//!   is curated by the vendor, so it wins; what a visitor typed beats what an
//!   IP database guesses.
//! - **network** (`asn`, `asOrganization`, and everything under `ip`):
//!   MaxMind > request attributes. Several MaxMind databases are read in the order
//!   given; the first that has a field wins.
//! - **where** (`country`, `region`, `city`, `continent`): MaxMind > request
//!   attributes > profile.
//!
//! Cloudflare's `request.cf` names map as: `asn`, `asOrganization`,
//! `country`, `city`, `continent`, `postalCode`, `timezone` as they are;
//! `regionCode` → `region` and `region` → `regionName` (MaxMind's subdivision
//! ISO code is the `region`, its name the `regionName`).

use std::net::IpAddr;

use serde_json::{Map, Value};

use super::orgmap::OrgRules;
use crate::score::ScoreSummary;
use crate::segment::cidr::CidrTable;
use crate::segment::ip::parse_ip;
use crate::segment::mmdb::{FieldValue, GeoFields, MmdbReader};
use crate::targeting::js_number_to_string;

/// Anything that maps an address to a MaxMind-shaped record (ASN, ISP,
/// Domain, Connection-Type, Country, City or Enterprise).
pub trait IpDatabase {
    /// The record for `ip`, or `None` when the database has none (or cannot
    /// answer, e.g. an IPv6 address in an IPv4-only database).
    fn record(&self, ip: IpAddr) -> Option<Value>;

    /// Adds what a context reads from this database about `ip` (see
    /// [`GeoFields`]) to `out`, keeping what `out` already has. By default
    /// taken from [`IpDatabase::record`].
    fn add_facts(&self, ip: IpAddr, out: &mut Map<String, Value>) {
        if let Some(rec) = self.record(ip) {
            add_fields(&GeoFields::from_record(&rec), out);
        }
    }
}

impl<B: AsRef<[u8]>> IpDatabase for MmdbReader<B> {
    fn record(&self, ip: IpAddr) -> Option<Value> {
        self.lookup(ip).ok().flatten().map(|m| m.record)
    }

    /// Decodes the context's fields alone, not the whole record.
    #[cfg(feature = "maxmind-fields")]
    fn add_facts(&self, ip: IpAddr, out: &mut Map<String, Value>) {
        if let Ok(Some(fields)) = self.lookup_fields(ip) {
            add_fields(&fields, out);
        }
    }
}

/// The lookup tables a context is built with. All optional: with none, the
/// request attributes alone still give country, ASN and the rest.
#[derive(Default, Clone, Copy)]
pub struct Tables<'a> {
    /// Named-account networks.
    pub accounts: Option<&'a CidrTable>,
    /// MaxMind databases, read in order (the first that knows a field wins).
    pub maxmind: &'a [&'a dyn IpDatabase],
}

/// What is known about one visitor, as the host passes it in.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Visitor {
    /// Stable visitor id (cookie id, user id); experiments and holdouts hash it.
    pub id: String,
    /// The visitor's IP address as text.
    pub ip: Option<String>,
    /// Request attributes the edge already knows (Cloudflare's `request.cf`).
    pub request: Option<Map<String, Value>>,
    /// Profile fields.
    pub profile: Option<Map<String, Value>>,
    /// What decisions read of the visitor's score: the page and the edge
    /// both build it with [`ScoreResult::summary`](crate::ScoreResult::summary).
    pub score: Option<ScoreSummary>,
    /// Page attributes: `path`, `url`, `referrer`, `utm`, ...
    pub page: Option<Map<String, Value>>,
    /// Ids of content items already seen (skipped by recommendations).
    pub seen: Vec<String>,
}

/// Why a visitor document was refused: `path` names the field.
pub type VisitorError = crate::diagnostics::Issue;

impl Visitor {
    /// Reads `{id, ip?, request?, profile?, score?, page?, seen?}`. `id` may
    /// be a string or a number; missing optional parts may be `null`.
    pub fn from_value(value: Value) -> Result<Visitor, VisitorError> {
        let Value::Object(mut map) = value else {
            return Err(VisitorError::error("", "expected a visitor object"));
        };
        let id = match map.remove("id") {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s,
            Some(Value::Number(n)) => n.as_f64().map(js_number_to_string).unwrap_or_default(),
            Some(_) => return Err(VisitorError::error("id", "expected a string or a number")),
        };
        let ip = match map.remove("ip") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s),
            Some(_) => return Err(VisitorError::error("ip", "expected an IP address string")),
        };
        let object = |map: &mut Map<String, Value>, key: &str| match map.remove(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(o)) => Ok(Some(o)),
            Some(_) => Err(VisitorError::error(key, "expected an object")),
        };
        let request = object(&mut map, "request")?;
        let profile = object(&mut map, "profile")?;
        let score = object(&mut map, "score")?.map(|s| ScoreSummary::from_map(&s));
        let page = object(&mut map, "page")?;
        let seen = match map.remove("seen") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => {
                let mut seen = Vec::with_capacity(items.len());
                for (i, item) in items.into_iter().enumerate() {
                    match item {
                        Value::String(s) => seen.push(s),
                        _ => {
                            return Err(VisitorError::error(
                                format!("seen[{i}]"),
                                "expected a content id string",
                            ))
                        }
                    }
                }
                seen
            }
            Some(_) => {
                return Err(VisitorError::error(
                    "seen",
                    "expected an array of content ids",
                ))
            }
        };
        Ok(Visitor {
            id,
            ip,
            request,
            profile,
            score,
            page,
            seen,
        })
    }
}

/// A non-empty string or a number, as a JSON value worth keeping.
fn useful(v: Option<&Value>) -> Option<&Value> {
    match v? {
        Value::String(s) if s.trim().is_empty() => None,
        v @ (Value::String(_) | Value::Number(_) | Value::Bool(_)) => Some(v),
        _ => None,
    }
}

/// Adds the network and place facts of one MaxMind record to `out`,
/// keeping what `out` already has.
fn add_fields<V: FieldValue>(fields: &GeoFields<V>, out: &mut Map<String, Value>) {
    for (key, value) in fields.entries() {
        if let Some(v) = value {
            if !out.contains_key(key) {
                out.insert(key.to_string(), v.to_value());
            }
        }
    }
}

/// Request attribute names (Cloudflare `request.cf`) → context `ip` keys.
const REQUEST_FACTS: [(&str, &str); 9] = [
    ("asn", "asn"),
    ("asOrganization", "asOrganization"),
    ("country", "country"),
    ("continent", "continent"),
    ("regionCode", "region"),
    ("region", "regionName"),
    ("city", "city"),
    ("postalCode", "postalCode"),
    ("timezone", "timezone"),
];

/// Records where a resolved value came from.
struct Resolver<'a> {
    ctx: &'a mut Map<String, Value>,
    sources: Map<String, Value>,
}

impl Resolver<'_> {
    /// Sets `key` from the first candidate that has a useful value.
    fn resolve(&mut self, key: &str, candidates: &[(&str, Option<&Value>)]) {
        for (source, value) in candidates {
            if let Some(v) = useful(*value) {
                self.ctx.insert(key.to_string(), v.clone());
                self.sources
                    .insert(key.to_string(), Value::String((*source).to_string()));
                return;
            }
        }
    }
}

/// Builds the context for `visitor`. `top_interests` is how many interest
/// tags go into `interests`. Segments are not evaluated here.
pub fn build_context(
    visitor: &Visitor,
    tables: &Tables<'_>,
    org_rules: &OrgRules,
    top_interests: usize,
) -> Value {
    let mut ctx = Map::new();
    ctx.insert("id".into(), Value::String(visitor.id.clone()));

    // ---- network facts: MaxMind > request
    let addr = visitor.ip.as_deref().and_then(|s| parse_ip(s.trim()).ok());
    let mut ip = Map::new();
    let mut ip_sources: Map<String, Value> = Map::new();
    if let Some(addr) = addr {
        ip.insert("address".into(), Value::String(addr.to_string()));
        for db in tables.maxmind {
            db.add_facts(addr, &mut ip);
        }
    }
    for key in ip.keys() {
        ip_sources.insert(key.clone(), Value::String("maxmind".into()));
    }
    if let Some(request) = &visitor.request {
        for (from, to) in REQUEST_FACTS {
            if ip.contains_key(to) {
                continue;
            }
            if let Some(v) = useful(request.get(from)) {
                // Cloudflare sends `asn` as a number; a string "13335" is
                // accepted too, so `{"asn": 13335}` matches either way.
                let v = match (to, v) {
                    ("asn", Value::String(s)) => s
                        .trim()
                        .parse::<u64>()
                        .map(Value::from)
                        .unwrap_or_else(|_| v.clone()),
                    _ => v.clone(),
                };
                ip.insert(to.to_string(), v);
                ip_sources.insert(to.to_string(), Value::String("request".into()));
            }
        }
    }

    // ---- named account table
    let account: Option<Map<String, Value>> = addr
        .and_then(|a| tables.accounts.and_then(|t| t.lookup(a)))
        .map(|m| {
            let mut acc = m.attributes.as_map().clone();
            acc.insert("named".into(), Value::Bool(true));
            acc.insert("network".into(), Value::String(m.prefix.to_string()));
            acc
        });

    // ---- org mapping rules, over what is known so far
    let profile = visitor.profile.as_ref();
    let pget = |k: &str| profile.and_then(|p| p.get(k));
    let derived = {
        let company = account
            .as_ref()
            .and_then(|a| useful(a.get("company")))
            .or_else(|| useful(pget("company")));
        let domain = account
            .as_ref()
            .and_then(|a| useful(a.get("domain")))
            .or_else(|| useful(pget("domain")))
            .or_else(|| useful(ip.get("domain")));
        org_rules.apply(&super::orgmap::OrgFacts {
            as_organization: ip.get("asOrganization").and_then(Value::as_str),
            organization: ip.get("organization").and_then(Value::as_str),
            isp: ip.get("isp").and_then(Value::as_str),
            domain: domain.and_then(Value::as_str),
            company: company.and_then(Value::as_str),
            asn: ip.get("asn").and_then(Value::as_u64),
        })
    };

    // ---- resolved top-level keys
    let sources = {
        let acc = account.as_ref();
        let aget = |k: &str| acc.and_then(|a| a.get(k));
        let iget = |k: &str| ip.get(k);
        let rget = |k: &str| visitor.request.as_ref().and_then(|r| r.get(k));
        let mut r = Resolver {
            ctx: &mut ctx,
            sources: Map::new(),
        };
        let who = [
            ("company", "company", "company"),
            ("domain", "domain", "domain"),
            ("industry", "industry", "industry"),
            ("companySize", "size", "companySize"),
        ];
        for (key, account_key, profile_key) in who {
            let (rule_value, rule_label) = rule_source(derived.as_ref(), key, account_key);
            let mut candidates = vec![
                ("account", aget(account_key)),
                ("profile", pget(profile_key)),
                (rule_label.as_str(), rule_value),
            ];
            if key == "domain" {
                candidates.push((src(&ip_sources, "domain"), iget("domain")));
            }
            r.resolve(key, &candidates);
        }
        for key in ["country", "region", "city", "continent"] {
            let ip_source = src(&ip_sources, key);
            r.resolve(key, &[(ip_source, iget(key)), ("profile", pget(key))]);
        }
        for key in ["asn", "asOrganization"] {
            let ip_source = src(&ip_sources, key);
            r.resolve(key, &[(ip_source, iget(key)), ("request", rget(key))]);
        }
        r.sources
    };

    if !ip.is_empty() {
        ctx.insert("ip".into(), Value::Object(ip));
    }
    if let Some(acc) = account {
        ctx.insert("account".into(), Value::Object(acc));
    }
    if let Some(d) = derived {
        ctx.insert("derived".into(), Value::Object(d));
    }
    if let Some(request) = &visitor.request {
        ctx.insert("request".into(), Value::Object(request.clone()));
    }
    if let Some(profile) = profile {
        ctx.insert("profile".into(), Value::Object(profile.clone()));
    }
    if let Some(page) = &visitor.page {
        for key in ["path", "referrer", "utm"] {
            if let Some(v) = page.get(key) {
                ctx.insert(key.into(), v.clone());
            }
        }
        ctx.insert("page".into(), Value::Object(page.clone()));
    }
    if let Some(score) = &visitor.score {
        score_facts(score, top_interests, &mut ctx);
    }
    ctx.insert(
        "seen".into(),
        Value::Array(visitor.seen.iter().cloned().map(Value::String).collect()),
    );
    ctx.insert("sources".into(), Value::Object(sources));
    Value::Object(ctx)
}

/// The value a rule set for `key` (or its account-table name) and the
/// source label naming that rule (`rule:petrochina`).
fn rule_source<'a>(
    derived: Option<&'a Map<String, Value>>,
    key: &str,
    alt: &str,
) -> (Option<&'a Value>, String) {
    let Some(d) = derived else {
        return (None, String::new());
    };
    let (value, name) = match d.get(key) {
        Some(v) => (Some(v), key),
        None => (d.get(alt), alt),
    };
    let rule = d
        .get("rules")
        .and_then(|r| r.get(name))
        .and_then(Value::as_str)
        .unwrap_or("");
    let mut label = String::with_capacity(5 + rule.len());
    label.push_str("rule:");
    label.push_str(rule);
    (value, label)
}

fn src(sources: &Map<String, Value>, key: &str) -> &'static str {
    match sources.get(key).and_then(Value::as_str) {
        Some("request") => "request",
        _ => "maxmind",
    }
}

/// `score.fit` / `score.engagement` as numbers, whether given as the full
/// `ScoreResult` (`fit.score`) or as plain numbers.
fn score_facts(score: &ScoreSummary, top: usize, ctx: &mut Map<String, Value>) {
    let mut s = Map::new();
    if let Some(fit) = score.fit {
        s.insert("fit".into(), Value::from(fit));
    }
    if let Some(engagement) = score.engagement {
        s.insert("engagement".into(), Value::from(engagement));
    }
    if !s.is_empty() {
        ctx.insert("score".into(), Value::Object(s));
    }
    if let Some(grade) = &score.grade {
        ctx.insert("grade".into(), Value::String(grade.clone()));
    }
    if let Some(tier) = score.tier {
        ctx.insert("tier".into(), Value::String(tier.as_str().into()));
    }
    if let Some(stage) = score.stage {
        ctx.insert("stage".into(), Value::String(stage.as_str().into()));
    }
    if let Some(mql) = score.mql {
        ctx.insert("mql".into(), Value::Bool(mql));
    }
    if score.interests.is_empty() {
        return;
    }
    let ranked = score.ranked_shares();
    // Inserted one by one: collecting into a map would sort first, and
    // bring a sort routine into the page build for a handful of tags.
    let mut shares = Map::new();
    for (tag, share) in &ranked {
        shares.insert(tag.to_string(), Value::from(*share));
    }
    ctx.insert(
        "interests".into(),
        Value::Array(
            ranked
                .iter()
                .take(top)
                .map(|(tag, _)| Value::String(tag.to_string()))
                .collect(),
        ),
    );
    ctx.insert("interestShares".into(), Value::Object(shares));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn request_attributes_alone_give_network_and_place() {
        let v = Visitor::from_value(json!({"id": 7, "request": {"country": "CN", "asn": "4134",
            "asOrganization": "Chinanet", "region": "Beijing", "regionCode": "BJ"}}))
        .unwrap();
        assert_eq!(v.id, "7");
        let ctx = build_context(&v, &Tables::default(), &OrgRules::default(), 3);
        assert_eq!(ctx["country"], "CN");
        assert_eq!(ctx["asn"], 4134);
        assert_eq!(ctx["ip"]["regionName"], "Beijing");
        assert_eq!(ctx["region"], "BJ");
        assert_eq!(ctx["sources"]["country"], "request");
    }

    #[test]
    fn interests_ranked_from_a_tag_list_or_shares() {
        let v = Visitor::from_value(json!({"id": "a", "score": {"fit": {"score": 40},
            "engagement": 12, "tier": "warm",
            "interests": [{"tag": "iot", "weight": 1.0, "share": 0.2},
                          {"tag": "retail", "weight": 4.0, "share": 0.8}]}}))
        .unwrap();
        let ctx = build_context(&v, &Tables::default(), &OrgRules::default(), 1);
        assert_eq!(ctx["interests"], json!(["retail"]));
        assert_eq!(ctx["score"], json!({"fit": 40.0, "engagement": 12.0}));
        assert_eq!(ctx["interestShares"]["iot"], 0.2);
    }

    #[test]
    fn visitor_shape_errors_name_the_field() {
        let e = Visitor::from_value(json!({"id": [1]})).unwrap_err();
        assert_eq!(e.path, "id");
        let e = Visitor::from_value(json!({"id": "x", "seen": ["a", 3]})).unwrap_err();
        assert_eq!(e.path, "seen[1]");
        let e = Visitor::from_value(json!({"id": "x", "page": "/"})).unwrap_err();
        assert_eq!(e.path, "page");
    }
}
