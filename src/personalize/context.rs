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

use crate::json::{Map, Value};

use super::orgmap::OrgRules;
use super::view::ContextView;
use crate::score::ScoreSummary;
use crate::segment::cidr::CidrTable;
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
                                ["seen[", &crate::text::int_text(i as i64), "]"].concat(),
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
pub(super) fn useful(v: Option<&Value>) -> Option<&Value> {
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
pub(super) const REQUEST_FACTS: [(&str, &str); 9] = [
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

/// Adds the network facts of the request attributes (Cloudflare's
/// `request.cf`) to `ip`, keeping what MaxMind gave; returns the keys added.
pub(super) fn add_ip_facts(
    request: &Map<String, Value>,
    ip: &mut Map<String, Value>,
) -> Vec<&'static str> {
    let mut added = Vec::new();
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
            added.push(to);
        }
    }
    added
}

/// Builds the context for `visitor` as one JSON object (see
/// [`ContextView`], which answers the same paths without building it).
/// `top_interests` is how many interest tags go into `interests`. Segments
/// are not evaluated here.
pub fn build_context(
    visitor: &Visitor,
    tables: &Tables<'_>,
    org_rules: &OrgRules,
    top_interests: usize,
) -> Value {
    ContextView::new(visitor, tables, org_rules, top_interests).to_value()
}

// The reference the typed view is property-tested against (host only,
// as proptest is).
#[cfg(all(test, not(target_arch = "wasm32")))]
pub(super) mod legacy;

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
